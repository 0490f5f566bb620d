namespace etcdsnap::client {}

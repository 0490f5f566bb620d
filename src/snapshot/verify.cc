namespace etcdsnap::snapshot {}

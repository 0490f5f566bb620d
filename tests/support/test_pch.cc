// Compiles the tests' precompiled header (CMakeLists.txt: etcdsnap_test_pch); nothing else.

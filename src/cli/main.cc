// etcdsnap: back up and restore etcd. The command tree mirrors `etcdctl snapshot ...`.
#include <malloc.h>

#include "etcdsnap/cli/command.h"

int main(int argc, char** argv) {
  // Streaming frees and allocates 32 KiB messages at a high rate. With glibc's default trimming
  // the heap top is handed back with brk() hundreds of times per GiB, each a TLB shootdown
  // across cores: measured, it doubled save's system time. Keep a fixed pad instead (this also
  // pins the mmap threshold at 128 KiB).
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  mallopt(M_TOP_PAD, 8 << 20);
  return etcdsnap::cli::Main(argc, argv);
}

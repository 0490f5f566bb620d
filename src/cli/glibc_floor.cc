// The release binary's glibc floor (ETCDSNAP_STATIC only). Everything but glibc is linked in,
// so the newest glibc symbol version it references is the oldest glibc it runs on. Debian 12's
// libstdc++.a calls arc4random (glibc 2.36) from std::random_device, which gRPC's RLS policy
// pulls in; defining it here from getrandom (glibc 2.25) keeps the floor at 2.35 (the static
// unwinder's _dl_find_object), so the binary runs on Ubuntu 22.04 as well. Only this
// executable's own references bind to it; glibc's internal callers use their own.
#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>

extern "C" uint32_t arc4random(void) {
  uint32_t v;
  for (;;) {
    const ssize_t n = getrandom(&v, sizeof v, 0);
    if (n == static_cast<ssize_t>(sizeof v)) return v;  // 4 bytes never come short
    if (n < 0 && errno == EINTR) continue;
    break;  // ENOSYS: a kernel before 3.17
  }
  const int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd >= 0 && read(fd, &v, sizeof v) == static_cast<ssize_t>(sizeof v)) {
    close(fd);
    return v;
  }
  std::abort();  // as glibc's arc4random does when the kernel gives no randomness
}

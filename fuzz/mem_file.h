// The fuzz targets read files by path: WithMemFile() copies the input into an anonymous
// in-memory file (memfd) and names it through /proc/self/fd.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace etcdsnap::fuzz {

// Calls fn(path) with a file holding exactly data[0, size); does nothing if memfd fails.
template <typename Fn>
void WithMemFile(const uint8_t* data, size_t size, Fn fn) {
  const int fd = ::memfd_create("fuzz", 0);
  if (fd < 0) return;
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd, data + done, size - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  if (done == size) fn("/proc/self/fd/" + std::to_string(fd));
  ::close(fd);
}

}  // namespace etcdsnap::fuzz

#include "write_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "etcdsnap/util/file.h"

namespace etcdsnap::raft {

std::string HexPairFileName(uint64_t a, uint64_t b, const char* ext) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%016llx-%016llx", static_cast<unsigned long long>(a),
                static_cast<unsigned long long>(b));
  return buf + std::string(ext);
}

Status WriteNewFile(const std::string& path, std::string_view data,
                    const std::function<Status(int fd)>& prepare) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) {
    const int err = errno;
    if (err == EEXIST) {
      return Status::InvalidArgument(path + " already exists; it was left untouched");
    }
    return Status::FromErrno("create " + path, err);
  }
  Status st = prepare ? prepare(fd.get()) : Status::Ok();
  for (size_t done = 0; st.ok() && done < data.size();) {
    const ssize_t n =
        ::pwrite(fd.get(), data.data() + done, data.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      st = Status::FromErrno("write " + path, n < 0 ? errno : EIO);
    } else {
      done += static_cast<size_t>(n);
    }
  }
  if (st.ok() && ::fdatasync(fd.get()) != 0) st = Status::FromErrno("fdatasync " + path, errno);
  if (st.ok() && ::close(fd.Release()) != 0) st = Status::FromErrno("close " + path, errno);
  if (!st.ok()) {
    fd.Reset();
    ::unlink(path.c_str());
  }
  return st;
}

}  // namespace etcdsnap::raft

#include "etcdsnap/util/status.h"

#include <cstring>

namespace etcdsnap {

const char* CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kInvalidArgument: return "invalid argument";
    case Code::kNotFound: return "not found";
    case Code::kCorruption: return "corruption";
    case Code::kIOError: return "I/O error";
    case Code::kUnavailable: return "unavailable";
    case Code::kDeadlineExceeded: return "deadline exceeded";
    case Code::kPermissionDenied: return "permission denied";
    case Code::kCancelled: return "cancelled";
    case Code::kAborted: return "aborted";
    case Code::kUnsupported: return "unsupported";
    case Code::kInternal: return "internal";
    case Code::kBusy: return "busy";
  }
  return "unknown";
}

Status Status::FromErrno(const std::string& what, int err) {
  Code code = (err == ENOENT) ? Code::kNotFound : Code::kIOError;
  return Status(code, what + ": " + std::strerror(err));
}

}  // namespace etcdsnap

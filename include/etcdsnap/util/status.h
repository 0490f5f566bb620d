// Status and Result<T>: errors as values across module boundaries.
//
// Every fallible call that crosses a module returns a Status (or a Result<T> holding either a T
// or a non-ok Status). A message says what failed, where (path, endpoint, flag) and, where it
// helps, what to do next. Status is a small value type; copy it freely. Not thread-safe to mutate
// from several threads at once, like any value.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace etcdsnap {

enum class Code {
  kOk = 0,
  kInvalidArgument,   // bad flag, bad file name, bad format: the user must change the input
  kNotFound,          // a file or key that must exist does not
  kCorruption,        // a file's content is not what its format says
  kIOError,           // the OS refused a read, write, fsync or rename
  kUnavailable,       // the server could not be reached or went away
  kDeadlineExceeded,  // a timeout (dial, command, idle) fired
  kPermissionDenied,  // authentication or authorization failed
  kCancelled,         // interrupted (SIGINT/SIGTERM)
  kAborted,           // an operation that had started broke off (a stream cut mid-way)
  kUnsupported,       // a feature or format we do not support
  kInternal,          // a bug or an unexpected server answer
  kBusy,              // another process holds what we need (a save's locked .part): retry later
};

const char* CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  static Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Status Corruption(std::string m) { return {Code::kCorruption, std::move(m)}; }
  static Status IOError(std::string m) { return {Code::kIOError, std::move(m)}; }
  static Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
  static Status DeadlineExceeded(std::string m) { return {Code::kDeadlineExceeded, std::move(m)}; }
  static Status PermissionDenied(std::string m) { return {Code::kPermissionDenied, std::move(m)}; }
  static Status Cancelled(std::string m) { return {Code::kCancelled, std::move(m)}; }
  static Status Aborted(std::string m) { return {Code::kAborted, std::move(m)}; }
  static Status Unsupported(std::string m) { return {Code::kUnsupported, std::move(m)}; }
  static Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }
  static Status Busy(std::string m) { return {Code::kBusy, std::move(m)}; }

  // An IOError from errno: "<what>: <strerror(err)>".
  static Status FromErrno(const std::string& what, int err);

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy whose message is "<prefix>: <message>".
  Status Annotate(const std::string& prefix) const {
    return ok() ? *this : Status(code_, prefix + ": " + message_);
  }

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// Either a T or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).ok());
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace etcdsnap

// Returns the Status from the enclosing function when `expr` is not ok.
#define ETCDSNAP_RETURN_IF_ERROR(expr)            \
  do {                                            \
    ::etcdsnap::Status _st = (expr);              \
    if (!_st.ok()) return _st;                    \
  } while (0)

#define ETCDSNAP_CONCAT_INNER(a, b) a##b
#define ETCDSNAP_CONCAT(a, b) ETCDSNAP_CONCAT_INNER(a, b)
// `ETCDSNAP_ASSIGN_OR_RETURN(auto x, F());` declares x from a Result or returns its Status.
#define ETCDSNAP_ASSIGN_OR_RETURN(lhs, rexpr) \
  ETCDSNAP_ASSIGN_OR_RETURN_IMPL(ETCDSNAP_CONCAT(_res_, __LINE__), lhs, rexpr)
#define ETCDSNAP_ASSIGN_OR_RETURN_IMPL(res, lhs, rexpr) \
  auto res = (rexpr);                                   \
  if (!res.ok()) return res.status();                   \
  lhs = std::move(res).value()

#pragma once

#include <optional>
#include <string>
#include <utility>

namespace docpipe {

// The outcome of an operation that can fail for expected reasons (I/O, bad
// input, conflicts, remote services). Exceptions are reserved for bugs.
class Status {
 public:
  enum class Code {
    kOk = 0,
    kNotFound,      // the object, record or message does not exist
    kConflict,      // a conditional write lost (someone else changed the item)
    kInvalidInput,  // the input is malformed; retrying cannot help
    kUnavailable,   // transient: retrying may help
    kThrottled,     // transient: the peer asked us to slow down
    kTimeout,       // a deadline passed
    kCancelled,     // shutdown or caller cancellation
    kInternal,      // unexpected failure in our own code or environment
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Status Conflict(std::string m) { return {Code::kConflict, std::move(m)}; }
  static Status InvalidInput(std::string m) { return {Code::kInvalidInput, std::move(m)}; }
  static Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
  static Status Throttled(std::string m) { return {Code::kThrottled, std::move(m)}; }
  static Status Timeout(std::string m) { return {Code::kTimeout, std::move(m)}; }
  static Status Cancelled(std::string m) { return {Code::kCancelled, std::move(m)}; }
  static Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsConflict() const { return code_ == Code::kConflict; }
  // Whether the same call might succeed later (drives retries).
  bool IsRetryable() const {
    return code_ == Code::kUnavailable || code_ == Code::kThrottled || code_ == Code::kTimeout ||
           code_ == Code::kInternal;
  }
  // "NotFound: no such object input/a.pdf"
  std::string ToString() const;
  // Same code, message prefixed with context ("reading input/a.pdf: ...").
  Status Annotate(const std::string& context) const {
    if (ok()) return *this;
    return Status(code_, context + ": " + message_);
  }

 private:
  Status(Code c, std::string m) : code_(c), message_(std::move(m)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

const char* CodeName(Status::Code code);

// A value or the Status explaining why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    if (status_.ok()) status_ = Status::Internal("Result constructed from OK status without value");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  // By value, so `for (auto& x : *Foo())` keeps the moved-out value alive.
  T operator*() && { return std::move(*value_); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace docpipe

#define DOCPIPE_RETURN_IF_ERROR(expr)        \
  do {                                       \
    ::docpipe::Status _st = (expr);          \
    if (!_st.ok()) return _st;               \
  } while (0)

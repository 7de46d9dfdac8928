// Status and Result<T>: how every Dala module reports an expected failure.
//
// A failure has three parts, each for a different reader:
//  - code(): what the caller does next (retry, fix the input, give up);
//  - reason(): a stable snake_case name for the exact failure, such as
//    "revoked_device" or "bad_enroll_code", for programs: the HTTP status,
//    the JSON error's "code" and the CLI's exit code are derived from it
//    and code(), never from the text (server/API.md lists the reasons);
//  - message(): the sentence for a person, free to change.
//
// A function that can fail for reasons the caller should handle (bad input,
// a missing file, a refused request) returns Status or Result<T>. Exceptions
// are reserved for programming errors and never cross a module boundary: code
// that calls a throwing library (nlohmann/json, std::regex) converts at its
// own edge.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace dala {

class [[nodiscard]] Status {
 public:
  // The codes follow what a caller does next, not where the failure arose.
  enum class Code {
    kOk = 0,
    kInvalidArgument,     // the input is wrong; retrying the same input fails again
    kNotFound,            // the thing named does not exist
    kAlreadyExists,       // creating something that is already there
    kCorruption,          // stored or signed bytes fail an integrity check
    kPermissionDenied,    // authenticated, but not allowed
    kUnauthenticated,     // identity missing, wrong, stale or replayed
    kFailedPrecondition,  // the system is not in a state to do this now
    kResourceExhausted,   // too large, too many, too fast
    kUnavailable,         // transient: network, busy database; retry may work
    kIoError,             // the operating system refused a file operation
    kInternal,            // a bug: an invariant did not hold
  };

  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  Status(Code code, std::string_view reason, std::string message)
      : code_(code), reason_(reason), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {Code::kAlreadyExists, std::move(m)}; }
  static Status Corruption(std::string m) { return {Code::kCorruption, std::move(m)}; }
  static Status PermissionDenied(std::string m) { return {Code::kPermissionDenied, std::move(m)}; }
  static Status Unauthenticated(std::string m) { return {Code::kUnauthenticated, std::move(m)}; }
  static Status FailedPrecondition(std::string m) { return {Code::kFailedPrecondition, std::move(m)}; }
  static Status ResourceExhausted(std::string m) { return {Code::kResourceExhausted, std::move(m)}; }
  static Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
  static Status IoError(std::string m) { return {Code::kIoError, std::move(m)}; }
  static Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  // Empty when the failure has no name of its own.
  const std::string& reason() const { return reason_; }
  const std::string& message() const { return message_; }

  // A copy with `reason` as its reason (a no-op on success).
  Status WithReason(std::string_view reason) const;
  // Returns a copy whose message is "context: message". Used to say where a
  // failure happened without losing what it was; the reason is kept.
  Status WithContext(std::string_view context) const;

  // "ok", or "<code name>: <message>", with " [reason]" when there is one.
  std::string ToString() const;

  static const char* CodeName(Code code);

 private:
  Code code_ = Code::kOk;
  std::string reason_;
  std::string message_;
};

// Either a value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : data_(std::in_place_index<1>, std::move(status)) {  // NOLINT
    assert(!std::get<1>(data_).ok() && "a Result holding a Status must hold a failure");
  }

  bool ok() const { return data_.index() == 0; }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<1>(data_);
  }

  T& value() & {
    assert(ok());
    return std::get<0>(data_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(data_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(data_));
  }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace dala

#define DALA_CONCAT_INNER_(a, b) a##b
#define DALA_CONCAT_(a, b) DALA_CONCAT_INNER_(a, b)

// Returns the Status from the enclosing function if `expr` failed.
#define DALA_RETURN_IF_ERROR(expr)                  \
  do {                                              \
    ::dala::Status dala_status_ = (expr);           \
    if (!dala_status_.ok()) return dala_status_;    \
  } while (0)

// `DALA_ASSIGN_OR_RETURN(auto x, MakeX());` declares x from a Result or
// returns its Status from the enclosing function.
#define DALA_ASSIGN_OR_RETURN(lhs, rexpr) \
  DALA_ASSIGN_OR_RETURN_IMPL_(DALA_CONCAT_(dala_result_, __LINE__), lhs, rexpr)
#define DALA_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()

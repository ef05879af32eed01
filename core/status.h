// Status and Result<T>: how csim reports errors caused by input or the environment.
//
// Every error says what went wrong and where (a field path, a file:line, an object);
// nothing in csim throws across a module boundary. Code and message are meant for
// users: "spec.rules[0].http.paths[1].path: must start with '/'".
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace csim::core {

enum class Code {
  kOk = 0,
  kInvalid,        // bad input (HTTP 400/422)
  kNotFound,       // (404)
  kAlreadyExists,  // (409)
  kConflict,       // stale resourceVersion, refs still pointing at it (409)
  kUnavailable,    // an environment failure: a command failed, kernel refused (503)
  kInternal,       // a broken invariant
};

const char* code_name(Code code);

class Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status ok() { return Status(); }

  bool is_ok() const { return code_ == Code::kOk; }
  explicit operator bool() const { return is_ok(); }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "NotFound: loadbalancer 1234 does not exist"
  std::string to_string() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status invalid(std::string m) { return Status(Code::kInvalid, std::move(m)); }
inline Status not_found(std::string m) { return Status(Code::kNotFound, std::move(m)); }
inline Status already_exists(std::string m) { return Status(Code::kAlreadyExists, std::move(m)); }
inline Status conflict(std::string m) { return Status(Code::kConflict, std::move(m)); }
inline Status unavailable(std::string m) { return Status(Code::kUnavailable, std::move(m)); }
inline Status internal(std::string m) { return Status(Code::kInternal, std::move(m)); }

// A value or the Status that explains why there is none.
template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit on purpose
  Result(Status status) : v_(std::move(status)) {}  // NOLINT: must not be ok

  bool is_ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return is_ok(); }
  const Status& status() const {
    static const Status kOk;
    return is_ok() ? kOk : std::get<Status>(v_);
  }
  T& value() { return std::get<T>(v_); }
  const T& value() const { return std::get<T>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace csim::core

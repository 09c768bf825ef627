// Result<T>: a value or an Error, returned by everything that touches the OS, JSON or policy.
// Context is added on the way up (crun's idiom); only main() turns an Error into output.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace oci_harden {

// Error codes say what kind of failure happened; the exit status is derived from them.
enum class ErrorCode {
  kUsage,      // bad command line
  kPolicy,     // policy file missing fields, wrong types, insecure permissions
  kSpec,       // config.json / process.json unreadable or malformed
  kIo,         // the OS refused something (open, write, rename, exec)
  kAudit,      // the audit record could not be made durable
  kRuntime,    // the wrapped runtime is missing or unusable
};

struct Error {
  ErrorCode code;
  std::string message;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<Error>(v_); }

  // Prefixes the error message with what was being done: "loading policy: ...".
  Result&& context(const std::string& what) && {
    if (!ok()) {
      auto& e = std::get<Error>(v_);
      e.message = what + ": " + e.message;
    }
    return std::move(*this);
  }

 private:
  std::variant<T, Error> v_;
};

// Result<void> equivalent.
struct Ok {};
using Status = Result<Ok>;

inline Error make_error(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

}  // namespace oci_harden

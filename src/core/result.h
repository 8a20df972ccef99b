// Result<T, E>: a value or an error, without exceptions. The data plane returns these instead
// of throwing (GCC 12 ships std::expected only in C++23 mode and clang 14 cannot compile it,
// so this is the small subset warden needs).
#pragma once

#include <cassert>
#include <cstddef>
#include <string_view>
#include <utility>
#include <variant>

namespace warden {

template <class E>
struct Unexpected {
  E error;
};

template <class E>
Unexpected<E> unexpected(E e) {
  return Unexpected<E>{std::move(e)};
}

template <class T, class E>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Unexpected<E> err) : v_(std::in_place_index<1>, std::move(err.error)) {}  // NOLINT

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    assert(has_value());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(has_value());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(has_value());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const E& error() const {
    assert(!has_value());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, E> v_;
};

// A parse failure of untrusted bytes: a static reason (never a formatted string, so failing
// costs nothing on a hostile network) and the byte offset where the input stopped making sense.
struct ParseError {
  std::string_view reason;
  std::size_t offset = 0;
};

template <class T>
using ParseResult = Result<T, ParseError>;

inline Unexpected<ParseError> parse_error(std::string_view reason, std::size_t offset) {
  return Unexpected<ParseError>{ParseError{reason, offset}};
}

}  // namespace warden

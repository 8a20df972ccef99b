// ByteReader: the only way warden reads untrusted bytes. Every read is bounds-checked and
// returns std::nullopt past the end; nothing is read through a cast pointer, so there are no
// unaligned loads and no reads beyond the span. The reader borrows the span: the caller keeps
// the bytes alive for as long as the reader and any sub-spans it handed out.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace warden {

using Bytes = std::span<const std::byte>;

inline Bytes as_bytes(std::string_view s) {
  return Bytes(reinterpret_cast<const std::byte*>(s.data()), s.size());
}
inline std::string_view as_string_view(Bytes b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}
inline std::uint8_t byte_at(Bytes b, std::size_t i) { return static_cast<std::uint8_t>(b[i]); }

class ByteReader {
 public:
  explicit ByteReader(Bytes data) : data_(data) {}

  std::size_t offset() const { return pos_; }
  std::size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return pos_ >= data_.size(); }
  Bytes rest() const { return data_.subspan(pos_); }
  Bytes whole() const { return data_; }

  std::optional<std::uint8_t> u8() {
    if (remaining() < 1) return std::nullopt;
    return static_cast<std::uint8_t>(data_[pos_++]);
  }
  std::optional<std::uint16_t> be16() { return read_uint<std::uint16_t, 2>(true); }
  std::optional<std::uint32_t> be24() { return read_uint<std::uint32_t, 3>(true); }
  std::optional<std::uint32_t> be32() { return read_uint<std::uint32_t, 4>(true); }
  std::optional<std::uint64_t> be64() { return read_uint<std::uint64_t, 8>(true); }
  std::optional<std::uint16_t> le16() { return read_uint<std::uint16_t, 2>(false); }
  std::optional<std::uint32_t> le32() { return read_uint<std::uint32_t, 4>(false); }
  std::optional<std::uint64_t> le64() { return read_uint<std::uint64_t, 8>(false); }

  std::optional<Bytes> bytes(std::size_t n) {
    if (remaining() < n) return std::nullopt;
    Bytes out = data_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  std::optional<std::string_view> string(std::size_t n) {
    auto b = bytes(n);
    if (!b) return std::nullopt;
    return as_string_view(*b);
  }
  bool skip(std::size_t n) {
    if (remaining() < n) return false;
    pos_ += n;
    return true;
  }
  // Moves to an absolute offset (used by formats with back-pointers, e.g. DNS compression).
  bool seek(std::size_t off) {
    if (off > data_.size()) return false;
    pos_ = off;
    return true;
  }
  std::optional<std::uint8_t> peek_u8(std::size_t ahead = 0) const {
    if (remaining() <= ahead) return std::nullopt;
    return static_cast<std::uint8_t>(data_[pos_ + ahead]);
  }

 private:
  // memcpy into an integer compiles to one unaligned-safe load; the byte swap to one bswap.
  template <class U, std::size_t N>
  std::optional<U> read_uint(bool big_endian) {
    if (remaining() < N) return std::nullopt;
    U v = 0;
    if constexpr (N == sizeof(U)) {
      std::memcpy(&v, data_.data() + pos_, N);
      if (big_endian) v = byteswap(v);
    } else {
      for (std::size_t i = 0; i < N; ++i) {
        std::size_t idx = big_endian ? i : N - 1 - i;
        v = static_cast<U>((v << 8) | static_cast<U>(static_cast<std::uint8_t>(data_[pos_ + idx])));
      }
    }
    pos_ += N;
    return v;
  }
  template <class U>
  static U byteswap(U v) {
    static_assert(std::endian::native == std::endian::little,
                  "warden assumes a little-endian host");
    if constexpr (sizeof(U) == 2)
      return static_cast<U>(__builtin_bswap16(v));
    else if constexpr (sizeof(U) == 4)
      return static_cast<U>(__builtin_bswap32(v));
    else
      return static_cast<U>(__builtin_bswap64(v));
  }

  Bytes data_;
  std::size_t pos_ = 0;
};

// Printable form of arbitrary bytes for JSON and logs: keeps printable ASCII, escapes the rest
// as \xNN. Bounded by max_len so a hostile 64 KB field cannot bloat the output.
std::string printable(std::string_view s, std::size_t max_len = 256);

std::string to_hex(Bytes b);
// Decodes hex text (either case; spaces and newlines between byte pairs ignored), as test
// vectors and indicator lists are written. std::nullopt on any other character or an odd digit.
std::optional<std::vector<std::byte>> from_hex(std::string_view hex);

}  // namespace warden

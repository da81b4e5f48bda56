// .npy reading and writing (NumPy's numpy.lib.format). A file is: the magic "\x93NUMPY",
// a major and minor version byte, the header length (u16 in 1.0, u32 in 2.0 and 3.0), the
// header (a Python dict literal, space-padded, ending in '\n'), then the raw data.
// Sizes from the file are checked against the file's length before anything is allocated.
#include "io/npy.hpp"

#include "io/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <utility>

#include "vkrope/dtype.hpp"
#include "vkrope/error.hpp"

namespace vkrope::io {

namespace {

constexpr unsigned char kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
constexpr std::size_t kPreamble = 8;   // magic + major + minor
constexpr std::size_t kAlign = 64;     // numpy.save aligns the data to 64 bytes
constexpr std::size_t kGrowthDigits = 21;  // numpy.save leaves room for shape[0] to grow to this
// NumPy 2's NPY_MAXDIMS: NumPy cannot load more, and it keeps our headers far below the
// 65535 bytes a version 1.0 header can hold.
constexpr std::size_t kMaxDims = 64;
constexpr NpyType kTypes[] = {NpyType::f32, NpyType::f16, NpyType::i32, NpyType::i64};

[[noreturn]] void invalid(const std::string& path, const std::string& what) {
  throw Error(ErrorKind::InvalidArgument, path + ": " + what);
}

[[noreturn]] void io_failure(const std::string& path, const std::string& what, int err) {
  throw Error(ErrorKind::Io, path + ": " + what + ": " + std::strerror(err));
}

// Printable ASCII as is, everything else as \xNN, so messages never carry raw bytes.
std::string escaped(std::string_view bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
      out += c;
    } else {
      out += "\\x";
      out += digits[u >> 4];
      out += digits[u & 15];
    }
  }
  return out;
}

std::string shape_repr(std::span<const std::int64_t> shape) {  // as Python writes a tuple
  std::string out = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + (shape.size() == 1 ? ",)" : ")");
}

// Bytes the data of `shape` takes, or nothing when it does not fit in int64. Zero extents
// are skipped in the check, as NumPy does ("array is too big" for (0, 2**62, 2**62)).
std::optional<std::uint64_t> checked_nbytes(std::span<const std::int64_t> shape, NpyType type) {
  constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  std::uint64_t nonzero = size_of(type);
  bool any_zero = false;
  for (const std::int64_t d : shape) {
    if (d == 0) {
      any_zero = true;
      continue;
    }
    const auto u = static_cast<std::uint64_t>(d);
    if (nonzero > max / u) return std::nullopt;
    nonzero *= u;
  }
  return any_zero ? 0 : nonzero;
}

// --- Header parsing ----------------------------------------------------------------------

struct Header {
  NpyType type;
  std::vector<std::int64_t> shape;
};

// A recursive-descent reader for exactly the dict NumPy writes: the keys 'descr',
// 'fortran_order' and 'shape' in any order, whitespace between tokens, trailing commas.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& path) : text_(text), path_(path) {}

  Header parse() {
    if (!eat('{')) fail("the header is not a Python dict literal: expected '{', found " + found());
    std::optional<NpyType> type;
    std::optional<bool> fortran;
    std::optional<std::vector<std::int64_t>> shape;
    while (!eat('}')) {
      const std::string key = string_literal("a quoted dict key");
      if (!eat(':')) fail("expected ':' after '" + escaped(key) + "', found " + found());
      if (key == "descr" && !type) {
        type = descr_value();
      } else if (key == "fortran_order" && !fortran) {
        fortran = bool_value();
      } else if (key == "shape" && !shape) {
        shape = shape_value();
      } else if (key == "descr" || key == "fortran_order" || key == "shape") {
        fail("the header has the key '" + key + "' twice");
      } else {
        fail("unexpected key '" + escaped(key) +
             "' in the header; expected exactly 'descr', 'fortran_order' and 'shape'");
      }
      if (!eat(',') && !peek('}')) fail("expected ',' or '}' after the value of '" + key + "', found " + found());
    }
    skip_space();
    if (pos_ != text_.size()) fail("unexpected text after the header dict: " + found());
    for (const auto& [seen, name] : {std::pair{type.has_value(), "descr"}, {fortran.has_value(), "fortran_order"},
                                     {shape.has_value(), "shape"}})
      if (!seen) fail(std::string("the header lacks the key '") + name + "'");
    if (*fortran)
      refuse("fortran_order is True: Fortran-ordered arrays are not supported; expected False "
             "(save np.ascontiguousarray(a) instead)");
    return {*type, std::move(*shape)};
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { invalid(path_, "malformed .npy header: " + what); }
  // For a well-formed header describing an array vkrope does not take.
  [[noreturn]] void refuse(const std::string& what) const { invalid(path_, "unsupported .npy file: " + what); }

  std::string found() const {
    if (pos_ >= text_.size()) return "the end of the header";
    return "\"" + escaped(text_.substr(pos_, 24)) + (text_.size() - pos_ > 24 ? "...\"" : "\"");
  }

  void skip_space() {
    while (pos_ < text_.size() && std::string_view(" \t\n\r").find(text_[pos_]) != std::string_view::npos) ++pos_;
  }
  bool peek(char c) {
    skip_space();
    return pos_ < text_.size() && text_[pos_] == c;
  }
  bool eat(char c) {
    if (!peek(c)) return false;
    ++pos_;
    return true;
  }
  static bool is_word_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
  }

  // A '...' or "..." literal. NumPy never writes escapes; a backslash is refused, not decoded.
  std::string string_literal(const std::string& what) {
    skip_space();
    const char quote = pos_ < text_.size() ? text_[pos_] : '\0';
    if (quote != '\'' && quote != '"') fail("expected " + what + ", found " + found());
    const std::size_t end = text_.find(quote, pos_ + 1);
    if (end == std::string_view::npos) fail("unterminated string " + found());
    const std::string_view body = text_.substr(pos_ + 1, end - pos_ - 1);
    if (body.find('\\') != std::string_view::npos) fail("escape sequences are not supported: " + found());
    pos_ = end + 1;
    return std::string(body);
  }

  NpyType descr_value() {
    if (peek('['))
      refuse("'descr' is a list: structured dtypes are not supported; expected '<f4', '<f2', '<i4' or '<i8'");
    const std::string d = string_literal("a dtype string such as '<f4' for 'descr'");
    for (const NpyType t : kTypes) {
      if (d == descr(t)) return t;
      if (d.size() == 3 && d[0] == '>' && d.substr(1) == descr(t).substr(1))
        refuse("big-endian dtype '" + d + "' is not supported; expected little-endian '" + std::string(descr(t)) +
               "' (convert with a.astype('" + std::string(descr(t)) + "'))");
    }
    refuse("unsupported dtype '" + escaped(d) +
           "'; expected '<f4' (float32), '<f2' (float16), '<i4' (int32) or '<i8' (int64)");
  }

  bool bool_value() {
    skip_space();
    for (const auto& [word, value] : {std::pair{std::string_view("True"), true}, {std::string_view("False"), false}}) {
      const std::size_t end = pos_ + word.size();
      if (text_.substr(pos_, word.size()) == word && (end == text_.size() || !is_word_char(text_[end]))) {
        pos_ = end;
        return value;
      }
    }
    fail("'fortran_order' must be True or False, found " + found());
  }

  std::int64_t extent() {
    skip_space();
    const std::size_t start = pos_;
    if (pos_ < text_.size() && text_[pos_] == '-')
      fail("'shape' has a negative extent: " + found() + "; extents must be >= 0");
    std::uint64_t value = 0;
    constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      const auto digit = static_cast<std::uint64_t>(text_[pos_] - '0');
      if (value > (max - digit) / 10) fail("a 'shape' extent does not fit in 64 bits: " + found());
      value = value * 10 + digit;
      ++pos_;
    }
    // Python rejects leading zeros ("01"); "3L", "3.0", "3e2" and "1_0" are not plain integers.
    const bool suffix = pos_ < text_.size() && is_word_char(text_[pos_]);
    if (pos_ == start || suffix || (text_[start] == '0' && pos_ - start > 1)) {
      pos_ = start;
      fail("'shape' must be a tuple of non-negative integers, found " + found());
    }
    return static_cast<std::int64_t>(value);
  }

  std::vector<std::int64_t> shape_value() {
    if (!eat('(')) fail("'shape' must be a tuple of non-negative integers, found " + found());
    std::vector<std::int64_t> dims;
    while (!eat(')')) {
      dims.push_back(extent());
      if (dims.size() > kMaxDims) fail("'shape' has more than " + std::to_string(kMaxDims) + " dimensions");
      if (eat(',')) continue;
      if (!peek(')')) fail("expected ',' or ')' in 'shape', found " + found());
      // "(3)" is the integer 3 in Python, not a tuple; NumPy writes "(3,)".
      if (dims.size() == 1) fail("'shape' (" + std::to_string(dims[0]) + ") is not a tuple; a 1-tuple is written (n,)");
    }
    return dims;
  }

  std::string_view text_;
  const std::string& path_;
  std::size_t pos_ = 0;
};

// --- Files ---------------------------------------------------------------------------------

// An owned file descriptor for reading. The destructor never throws; a close failure after
// reading loses nothing (TempFile, for writing, closes explicitly to see its errors).
class Fd {
 public:
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const noexcept { return fd_; }

 private:
  int fd_;
};

// Reads up to n bytes; fewer only at the end of the file.
std::size_t read_fully(int fd, void* out, std::size_t n, const std::string& path) {
  std::size_t done = 0;
  while (done < n) {
    const ssize_t got = ::read(fd, static_cast<char*>(out) + done, n - done);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) io_failure(path, "read failed", errno);
    if (got == 0) break;
    done += static_cast<std::size_t>(got);
  }
  return done;
}

void read_exactly(int fd, void* out, std::size_t n, const std::string& path) {
  // The sizes were checked against fstat, so coming up short means the file shrank meanwhile.
  if (read_fully(fd, out, n, path) != n) throw Error(ErrorKind::Io, path + ": the file shrank while being read");
}

std::uint32_t little_endian(const unsigned char* p, std::size_t n) {
  std::uint32_t v = 0;
  for (std::size_t i = n; i-- > 0;) v = (v << 8) | p[i];
  return v;
}

// The bytes numpy.save writes before the data of a C-ordered array (NumPy >= 1.23):
// keys sorted, spaces for shape[0] to grow to 21 digits, then padding so the data starts
// on a 64-byte boundary; NumPy pads a full 64 when it is already aligned.
std::string npy_header(NpyType type, std::span<const std::int64_t> shape) {
  std::string dict = "{'descr': '" + std::string(descr(type)) + "', 'fortran_order': False, 'shape': " +
                     shape_repr(shape) + ", }";
  if (!shape.empty()) dict.append(kGrowthDigits - std::to_string(shape[0]).size(), ' ');
  const std::size_t pad = kAlign - (kPreamble + 2 + dict.size() + 1) % kAlign;
  const std::size_t header_len = dict.size() + pad + 1;  // < 2000 bytes with at most 64 dims
  std::string out(reinterpret_cast<const char*>(kMagic), sizeof kMagic);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header_len & 0xff);
  out += static_cast<char>(header_len >> 8);
  return out + dict + std::string(pad, ' ') + '\n';
}

// For the typed helpers, which may be handed an NpyArray not made by read_npy.
void check_consistent(const NpyArray& array) {
  const auto nbytes = checked_nbytes(array.shape, array.type);
  if (!nbytes || *nbytes != array.data.size())
    throw Error(ErrorKind::InvalidArgument, "NpyArray holds " + std::to_string(array.data.size()) +
                                                " bytes, its shape " + shape_repr(array.shape) + " of " +
                                                std::string(to_string(array.type)) + " does not match");
}

}  // namespace

std::string_view to_string(NpyType type) noexcept {
  switch (type) {
    case NpyType::f32: return "float32";
    case NpyType::f16: return "float16";
    case NpyType::i32: return "int32";
    case NpyType::i64: return "int64";
  }
  return "unknown";
}

std::string_view descr(NpyType type) noexcept {
  switch (type) {
    case NpyType::f32: return "<f4";
    case NpyType::f16: return "<f2";
    case NpyType::i32: return "<i4";
    case NpyType::i64: return "<i8";
  }
  return "?";
}

std::size_t size_of(NpyType type) noexcept {
  switch (type) {
    case NpyType::f32: return 4;
    case NpyType::f16: return 2;
    case NpyType::i32: return 4;
    case NpyType::i64: return 8;
  }
  return 0;
}

std::int64_t NpyArray::numel() const noexcept {
  std::uint64_t n = 1;  // unsigned so a hand-made oversized shape wraps instead of being UB
  for (const std::int64_t d : shape) n *= static_cast<std::uint64_t>(d);
  return static_cast<std::int64_t>(n);
}

NpyArray read_npy(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) io_failure(path, "cannot open", errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) io_failure(path, "cannot stat", errno);
  if (S_ISDIR(st.st_mode)) throw Error(ErrorKind::Io, path + ": is a directory, not a .npy file");
  if (!S_ISREG(st.st_mode)) throw Error(ErrorKind::Io, path + ": is not a regular file");
  const auto file_size = static_cast<std::uint64_t>(st.st_size);

  // The fixed part: magic, version, header length (2 or 4 bytes).
  unsigned char pre[kPreamble + 4] = {};
  const std::size_t got = read_fully(fd.get(), pre, sizeof pre, path);
  // Every later size check subtracts from file_size; a file that grew since fstat must not wrap it.
  if (got > file_size) throw Error(ErrorKind::Io, path + ": the file changed while being read");
  const std::size_t magic_seen = std::min(got, sizeof kMagic);
  if (got == 0) invalid(path, "the file is empty; expected a .npy file starting with \"\\x93NUMPY\"");
  if (std::memcmp(pre, kMagic, magic_seen) != 0)
    invalid(path, "not a .npy file: it starts with \"" + escaped({reinterpret_cast<const char*>(pre), magic_seen}) +
                      "\", expected the magic \"\\x93NUMPY\"");
  if (got < kPreamble)
    invalid(path, "truncated .npy file: " + std::to_string(got) + " bytes end inside the magic and version");
  const unsigned major = pre[6], minor = pre[7];
  if ((major < 1 || major > 3) || minor != 0)
    invalid(path, "unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor) +
                      "; expected 1.0, 2.0 or 3.0");
  const std::size_t len_size = major == 1 ? 2 : 4;
  if (got < kPreamble + len_size) invalid(path, "truncated .npy file: it ends inside the header length");
  const std::uint64_t header_len = little_endian(pre + kPreamble, len_size);
  const std::uint64_t header_start = kPreamble + len_size;
  if (header_len > file_size - header_start)
    invalid(path, "truncated .npy header: the header length says " + std::to_string(header_len) + " bytes but only " +
                      std::to_string(file_size - header_start) + " follow");

  // The header, now that its length is known to fit in the file.
  std::string text(static_cast<std::size_t>(header_len), '\0');
  const std::size_t spill = got - header_start;  // header bytes already read with the preamble
  std::memcpy(text.data(), pre + header_start, std::min<std::uint64_t>(spill, header_len));
  if (header_len > spill) read_exactly(fd.get(), text.data() + spill, text.size() - spill, path);
  Header header = HeaderParser(text, path).parse();

  const auto nbytes = checked_nbytes(header.shape, header.type);
  const std::string what = "shape " + shape_repr(header.shape) + " of " + std::string(to_string(header.type));
  if (!nbytes) invalid(path, what + " is too big: its size in bytes does not fit in 64 bits");
  const std::uint64_t data_start = header_start + header_len;
  const std::uint64_t present = file_size - data_start;
  if (present < *nbytes)
    invalid(path, "truncated .npy data: " + what + " needs " + std::to_string(*nbytes) + " bytes, the file has " +
                      std::to_string(present));
  if (present > *nbytes)
    invalid(path, std::to_string(present - *nbytes) + " unexpected bytes after the data: " + what + " needs " +
                      std::to_string(*nbytes) + " bytes, the file has " + std::to_string(present));

  NpyArray array{header.type, std::move(header.shape), std::vector<std::byte>(static_cast<std::size_t>(*nbytes))};
  std::size_t pos = 0;
  if (header_len < spill) {  // a short header: the preamble read took some data bytes too
    pos = std::min<std::size_t>(spill - static_cast<std::size_t>(header_len), array.data.size());
    std::memcpy(array.data.data(), pre + data_start, pos);
  }
  read_exactly(fd.get(), array.data.data() + pos, array.data.size() - pos, path);
  return array;
}

void write_npy(const std::string& path, NpyType type, std::span<const std::int64_t> shape,
               std::span<const std::byte> data) {
  // Everything about the arguments is checked before the file system is touched.
  if (shape.size() > kMaxDims)
    invalid(path, "cannot write " + std::to_string(shape.size()) + " dimensions; NumPy allows at most 64");
  for (const std::int64_t d : shape)
    if (d < 0) invalid(path, "cannot write shape " + shape_repr(shape) + ": extents must be >= 0");
  const std::string what = "shape " + shape_repr(shape) + " of " + std::string(to_string(type));
  const auto nbytes = checked_nbytes(shape, type);
  if (!nbytes) invalid(path, "cannot write " + what + ": its size in bytes does not fit in 64 bits");
  if (data.size() != *nbytes)
    invalid(path, "cannot write " + what + ": it needs " + std::to_string(*nbytes) + " bytes of data, got " +
                      std::to_string(data.size()));

  // Header and data in one buffer, written whole or not at all.
  const std::string header = npy_header(type, shape);
  std::vector<std::byte> file(header.size() + data.size());
  std::memcpy(file.data(), header.data(), header.size());
  if (!data.empty()) std::memcpy(file.data() + header.size(), data.data(), data.size());
  write_file_atomically(path, file);
}

std::vector<float> to_floats(const NpyArray& array) {
  if (array.type != NpyType::f32 && array.type != NpyType::f16)
    throw Error(ErrorKind::InvalidArgument,
                "expected a float32 or float16 array, found " + std::string(to_string(array.type)));
  check_consistent(array);
  const std::size_t size = size_of(array.type);
  const auto* bytes = reinterpret_cast<const unsigned char*>(array.data.data());
  std::vector<float> out(array.data.size() / size);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::uint32_t bits = little_endian(bytes + i * size, size);
    out[i] = size == 4 ? std::bit_cast<float>(bits) : half_to_float(static_cast<std::uint16_t>(bits));
  }
  return out;
}

std::vector<std::int64_t> to_int64s(const NpyArray& array) {
  if (array.type != NpyType::i32 && array.type != NpyType::i64)
    throw Error(ErrorKind::InvalidArgument,
                "expected an int32 or int64 array, found " + std::string(to_string(array.type)));
  check_consistent(array);
  const std::size_t size = size_of(array.type);
  const auto* bytes = reinterpret_cast<const unsigned char*>(array.data.data());
  std::vector<std::int64_t> out(array.data.size() / size);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const unsigned char* p = bytes + i * size;
    if (size == 4) {
      out[i] = std::bit_cast<std::int32_t>(little_endian(p, 4));
    } else {
      const std::uint64_t u = little_endian(p, 4) | (std::uint64_t{little_endian(p + 4, 4)} << 32);
      out[i] = std::bit_cast<std::int64_t>(u);
    }
  }
  return out;
}

void write_npy_floats(const std::string& path, NpyType type, std::span<const std::int64_t> shape,
                      std::span<const float> values) {
  if (type != NpyType::f32 && type != NpyType::f16)
    invalid(path, "cannot write floats as " + std::string(to_string(type)) + "; expected float32 or float16");
  const std::size_t size = size_of(type);
  std::vector<std::byte> bytes(values.size() * size);
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::uint32_t bits = size == 4 ? std::bit_cast<std::uint32_t>(values[i]) : float_to_half(values[i]);
    for (std::size_t b = 0; b < size; ++b) bytes[i * size + b] = static_cast<std::byte>((bits >> (8 * b)) & 0xff);
  }
  write_npy(path, type, shape, bytes);
}

}  // namespace vkrope::io

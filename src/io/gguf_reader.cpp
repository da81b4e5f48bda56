// The GGUF metadata reader (see gguf_reader.hpp for the format). One parser walks a
// GgufSource, which is either a file read through a window buffer or a span of memory, so the
// fuzzer's in-memory inputs and real files take the same path. Every read first checks the
// bytes left (need()), and counts are compared with the smallest size their items can take
// before the loop that reads them starts.
#include "io/gguf_reader.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <utility>

#include "vkrope/dtype.hpp"
#include "vkrope/error.hpp"

namespace vkrope::io {

// ---- byte sources -------------------------------------------------------------------------

class GgufSource {
 public:
  virtual ~GgufSource() = default;
  virtual std::uint64_t size() const noexcept = 0;
  // Exactly out.size() bytes from `offset`; the caller has checked they lie in the source.
  virtual void read(std::uint64_t offset, std::span<std::byte> out) = 0;
};

namespace {

class MemorySource final : public GgufSource {
 public:
  explicit MemorySource(std::span<const std::byte> bytes) : bytes_(bytes) {}
  std::uint64_t size() const noexcept override { return bytes_.size(); }
  void read(std::uint64_t offset, std::span<std::byte> out) override {
    if (!out.empty()) std::memcpy(out.data(), bytes_.data() + offset, out.size());
  }

 private:
  std::span<const std::byte> bytes_;
};

// A file read through a 64 KiB window: metadata is thousands of small fields (a token list
// has one string per token), and skipping a field must not cost a seek and a refill.
class FileSource final : public GgufSource {
 public:
  explicit FileSource(const std::string& path) : path_(path) {
    std::error_code ec;
    // An ifstream opens a directory and fails only on the first read: check first.
    if (std::filesystem::is_directory(path, ec))
      throw Error(ErrorKind::Io, "cannot read GGUF file '" + path + "': it is a directory");
    file_.open(path, std::ios::binary);
    if (!file_) throw Error(ErrorKind::Io, "cannot open GGUF file '" + path + "': " + std::strerror(errno));
    file_.seekg(0, std::ios::end);
    const std::streamoff end = file_.tellg();
    if (!file_ || end < 0)
      throw Error(ErrorKind::Io, "cannot read GGUF file '" + path + "': seeking to its end failed");
    size_ = static_cast<std::uint64_t>(end);
    window_.resize(kWindow);
  }

  std::uint64_t size() const noexcept override { return size_; }

  void read(std::uint64_t offset, std::span<std::byte> out) override {
    while (!out.empty()) {
      if (offset >= window_start_ && offset < window_start_ + window_length_) {
        const auto at = static_cast<std::size_t>(offset - window_start_);
        const std::size_t n = std::min(out.size(), window_length_ - at);
        std::memcpy(out.data(), window_.data() + at, n);
        out = out.subspan(n);
        offset += n;
      } else if (out.size() >= kWindow) {
        fill(offset, out);  // large reads (tensor data) bypass the window
        return;
      } else {
        const auto length = static_cast<std::size_t>(std::min<std::uint64_t>(kWindow, size_ - offset));
        window_length_ = 0;  // invalid until filled
        fill(offset, std::span(window_.data(), length));
        window_start_ = offset;
        window_length_ = length;
      }
    }
  }

 private:
  static constexpr std::size_t kWindow = 64 * 1024;

  void fill(std::uint64_t offset, std::span<std::byte> out) {
    file_.clear();
    file_.seekg(static_cast<std::streamoff>(offset));
    file_.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(out.size()));
    if (!file_ || file_.gcount() != static_cast<std::streamsize>(out.size())) {
      throw Error(ErrorKind::Io, "cannot read GGUF file '" + path_ + "': reading " + std::to_string(out.size()) +
                                     " bytes at offset " + std::to_string(offset) + " failed (changed while read?)");
    }
  }

  std::string path_;
  std::ifstream file_;
  std::uint64_t size_ = 0;
  std::vector<std::byte> window_;
  std::uint64_t window_start_ = 0;
  std::size_t window_length_ = 0;
};

// ---- format facts -------------------------------------------------------------------------

constexpr std::uint32_t kMagic = 0x46554747;  // "GGUF" read as a little-endian u32
constexpr std::uint64_t kDefaultAlignment = 32;
constexpr std::uint32_t kMaxDims = 4;  // GGML_MAX_DIMS
constexpr std::uint64_t kInt64Max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
// The fewest bytes an item can take: a kv is a key length, a type and a one-byte value (an
// empty key is refused later, but the bound stays safe); a tensor info is a name length,
// n_dims, a type and an offset.
constexpr std::uint64_t kMinKvBytes = 8 + 4 + 1;
constexpr std::uint64_t kMinTensorInfoBytes = 8 + 4 + 4 + 8;
constexpr std::uint64_t kNoIndex = std::numeric_limits<std::uint64_t>::max();

// Bytes per element of the fixed-size value types; 0 for string, array and unknown codes.
std::uint64_t scalar_size(std::uint32_t type) noexcept {
  switch (static_cast<GgufType>(type)) {
    case GgufType::u8:
    case GgufType::i8:
    case GgufType::boolean:
      return 1;
    case GgufType::u16:
    case GgufType::i16:
      return 2;
    case GgufType::u32:
    case GgufType::i32:
    case GgufType::f32:
      return 4;
    case GgufType::u64:
    case GgufType::i64:
    case GgufType::f64:
      return 8;
    case GgufType::string:
    case GgufType::array:
      return 0;
  }
  return 0;
}

bool known_type(std::uint32_t type) noexcept { return type <= static_cast<std::uint32_t>(GgufType::f64); }

// ggml's block sizes (elements per block, bytes per block) from ggml.h and ggml-common.h,
// for the data bounds check. Codes 4, 5 and 31..33, 36..38 were removed from ggml.
struct GgmlBlock {
  std::uint32_t type;
  std::uint64_t elements;
  std::uint64_t bytes;
};
constexpr GgmlBlock kGgmlBlocks[] = {
    {0, 1, 4},      {1, 1, 2},     {2, 32, 18},    {3, 32, 20},    {6, 32, 22},    {7, 32, 24},    {8, 32, 34},
    {9, 32, 36},    {10, 256, 84}, {11, 256, 110}, {12, 256, 144}, {13, 256, 176}, {14, 256, 210}, {15, 256, 292},
    {16, 256, 66},  {17, 256, 74}, {18, 256, 98},  {19, 256, 50},  {20, 32, 18},   {21, 256, 110}, {22, 256, 82},
    {23, 256, 136}, {24, 1, 1},    {25, 1, 2},     {26, 1, 4},     {27, 1, 8},     {28, 1, 8},     {29, 256, 56},
    {30, 1, 2},     {34, 256, 54}, {35, 256, 66},  {39, 32, 17},
};

const GgmlBlock* ggml_block(std::uint32_t type) noexcept {
  for (const GgmlBlock& block : kGgmlBlocks)
    if (block.type == type) return &block;
  return nullptr;
}

// Printable ASCII as is, everything else as \xNN, so messages never carry raw bytes.
std::string escaped(std::string_view bytes, std::size_t limit = 80) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes.substr(0, limit)) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '\'') {
      out += c;
    } else {
      out += "\\x";
      out += digits[u >> 4];
      out += digits[u & 15];
    }
  }
  if (bytes.size() > limit) out += "...";
  return out;
}

std::string describe(const GgufValue& value) {
  switch (value.type) {
    case GgufType::string:
      return "string \"" + escaped(std::get<std::string>(value.data), 40) + "\"";
    case GgufType::array: {
      const auto& array = std::get<GgufArray>(value.data);
      return "an array of " + std::to_string(array.count) + " " + std::string(to_string(array.element_type));
    }
    case GgufType::boolean:
      return std::string("bool ") + (std::get<bool>(value.data) ? "true" : "false");
    case GgufType::f32:
    case GgufType::f64: {
      char buffer[64];  // shortest text that reads back as the same double
      const auto result = std::to_chars(buffer, buffer + sizeof buffer, std::get<double>(value.data));
      return std::string(to_string(value.type)) + " " + std::string(buffer, result.ptr);
    }
    default:
      break;
  }
  if (const auto* u = std::get_if<std::uint64_t>(&value.data))
    return std::string(to_string(value.type)) + " " + std::to_string(*u);
  return std::string(to_string(value.type)) + " " + std::to_string(std::get<std::int64_t>(value.data));
}

// ---- the parser ---------------------------------------------------------------------------

class Parser {
 public:
  Parser(GgufSource& source, const GgufFile& file) : source_(source), file_(file), size_(source.size()) {}

  std::uint64_t pos() const noexcept { return pos_; }
  void seek(std::uint64_t pos) noexcept { pos_ = pos; }
  std::uint64_t left() const noexcept { return size_ - pos_; }
  // What is being read, for messages: "key 'x'", "tensor 'y'" or "metadata entry 3 of 7".
  void set_context(std::string context) { context_ = std::move(context); }

  [[noreturn]] void fail(std::uint64_t at, const std::string& what) const {
    throw Error(ErrorKind::InvalidArgument, file_.name() + ": offset " + std::to_string(at) +
                                                (context_.empty() ? "" : ", " + context_) + ": " + what);
  }

  std::string end_of_file() const { return "the end of the file (" + std::to_string(size_) + " bytes)"; }

  void need(std::uint64_t bytes, const std::string& what) const {
    if (bytes > left()) fail(pos_, what + " (" + std::to_string(bytes) + " bytes) runs past " + end_of_file());
  }

  template <typename T>
  T scalar(const char* what) {
    need(sizeof(T), what);
    std::byte raw[sizeof(T)];
    source_.read(pos_, raw);
    pos_ += sizeof(T);
    // The format is little-endian; so is every host vkrope builds for.
    static_assert(std::endian::native == std::endian::little);
    T value;
    std::memcpy(&value, raw, sizeof(T));
    return value;
  }

  void skip(std::uint64_t bytes, const std::string& what) {
    need(bytes, what);
    pos_ += bytes;
  }

  // A string's length, checked against the bytes left; leaves pos_ at its first byte. The
  // label ("key", "string element 7") is only built for a message: a token list calls this
  // once per token.
  std::uint64_t string_length(const char* what, std::uint64_t index = kNoIndex) {
    const auto label = [&] { return std::string(what) + (index == kNoIndex ? "" : " " + std::to_string(index)); };
    const std::uint64_t at = pos_;
    if (left() < 8) fail(at, label() + " length (8 bytes) runs past " + end_of_file());
    const auto length = scalar<std::uint64_t>("string length");
    if (length > left()) {
      fail(at, label() + " length " + std::to_string(length) + " runs past " + end_of_file() + ", " +
                   std::to_string(left()) + " bytes left");
    }
    return length;
  }

  std::string string(const char* what) {
    const std::uint64_t length = string_length(what);
    std::string out(static_cast<std::size_t>(length), '\0');
    if (length) source_.read(pos_, std::as_writable_bytes(std::span(out.data(), out.size())));
    pos_ += length;
    return out;
  }

  // A count of items that take at least `min_bytes` each, checked before any loop over them.
  void check_count(std::uint64_t at, std::uint64_t count, std::uint64_t min_bytes, const std::string& what) const {
    if (count > left() / min_bytes) {
      fail(at, what + " " + std::to_string(count) + " needs at least " + std::to_string(min_bytes) +
                   " bytes each, more than the " + std::to_string(left()) + " bytes left before " + end_of_file());
    }
  }

  std::uint32_t value_type(const char* what) {
    const std::uint64_t at = pos_;
    const auto type = scalar<std::uint32_t>(what);
    if (!known_type(type)) fail(at, std::string("unknown ") + what + " " + std::to_string(type) + " (expected 0..12)");
    return type;
  }

  GgufValue value(std::uint32_t type) {
    GgufValue out;
    out.type = static_cast<GgufType>(type);
    out.offset = pos_;
    switch (out.type) {
      case GgufType::u8:
        out.data = std::uint64_t{scalar<std::uint8_t>("u8 value")};
        break;
      case GgufType::u16:
        out.data = std::uint64_t{scalar<std::uint16_t>("u16 value")};
        break;
      case GgufType::u32:
        out.data = std::uint64_t{scalar<std::uint32_t>("u32 value")};
        break;
      case GgufType::u64:
        out.data = scalar<std::uint64_t>("u64 value");
        break;
      case GgufType::i8:
        out.data = std::int64_t{scalar<std::int8_t>("i8 value")};
        break;
      case GgufType::i16:
        out.data = std::int64_t{scalar<std::int16_t>("i16 value")};
        break;
      case GgufType::i32:
        out.data = std::int64_t{scalar<std::int32_t>("i32 value")};
        break;
      case GgufType::i64:
        out.data = scalar<std::int64_t>("i64 value");
        break;
      case GgufType::f32:
        out.data = double{scalar<float>("f32 value")};
        break;
      case GgufType::f64:
        out.data = scalar<double>("f64 value");
        break;
      case GgufType::boolean: {
        const auto byte = scalar<std::uint8_t>("bool value");
        if (byte > 1) fail(out.offset, "bool value " + std::to_string(byte) + ": expected 0 or 1");
        out.data = byte == 1;
        break;
      }
      case GgufType::string:
        out.data = string("string");
        break;
      case GgufType::array:
        out.data = array(/*nested=*/false);
        break;
    }
    return out;
  }

  // An array's header, then a walk over its elements (skipped, not stored). Inside an array
  // of arrays (nested), a further array is refused.
  GgufArray array(bool nested) {
    const std::uint64_t at = pos_;
    const std::uint32_t element = value_type("array element type");
    if (element == static_cast<std::uint32_t>(GgufType::array) && nested)
      fail(at, "an array nested more than one level deep (arrays of arrays of arrays are not supported)");
    const std::uint64_t count_at = pos_;
    const auto count = scalar<std::uint64_t>("array count");
    GgufArray out{static_cast<GgufType>(element), count, pos_};
    const std::string what = "array of " + std::string(to_string(out.element_type)) + " count";
    if (const std::uint64_t size = scalar_size(element)) {
      check_count(count_at, count, size, what);
      pos_ += count * size;  // count * size <= left(): no overflow
    } else if (out.element_type == GgufType::string) {
      check_count(count_at, count, 8, what);
      for (std::uint64_t i = 0; i < count; ++i) pos_ += string_length("string element", i);
    } else {
      check_count(count_at, count, 4 + 8, what);
      for (std::uint64_t i = 0; i < count; ++i) array(/*nested=*/true);
    }
    return out;
  }

  GgufTensorInfo tensor_info(std::uint64_t index, std::uint64_t count) {
    GgufTensorInfo info;
    info.info_offset = pos_;
    set_context("tensor info " + std::to_string(index) + " of " + std::to_string(count));
    info.name = string("tensor name");
    set_context("tensor '" + escaped(info.name) + "'");
    const std::uint64_t dims_at = pos_;
    const auto n_dims = scalar<std::uint32_t>("n_dims");
    if (n_dims > kMaxDims) fail(dims_at, "n_dims " + std::to_string(n_dims) + ": expected at most 4 (GGML_MAX_DIMS)");
    std::uint64_t elements = 1;
    for (std::uint32_t d = 0; d < n_dims; ++d) {
      const std::uint64_t at = pos_;
      const auto extent = scalar<std::uint64_t>("dimension");
      if (extent > kInt64Max)
        fail(at, "dimension " + std::to_string(d) + " = " + std::to_string(extent) + " exceeds int64");
      if (extent != 0 && elements > kInt64Max / extent) {
        fail(at, "dimensions multiply to more than int64 can count (dimension " + std::to_string(d) + " = " +
                     std::to_string(extent) + ")");
      }
      elements *= extent;
      info.dims.push_back(extent);
    }
    const std::uint64_t type_at = pos_;
    info.ggml_type = scalar<std::uint32_t>("ggml type");
    if (const GgmlBlock* block = ggml_block(info.ggml_type)) {
      const std::uint64_t row = info.dims.empty() ? 1 : info.dims[0];
      if (row % block->elements != 0) {
        fail(type_at, "ggml type " + std::to_string(info.ggml_type) + " stores blocks of " +
                          std::to_string(block->elements) + " elements, but dimension 0 is " + std::to_string(row));
      }
      const std::uint64_t blocks = elements / block->elements;
      if (blocks > kInt64Max / block->bytes) {
        fail(type_at, std::to_string(elements) + " elements of ggml type " + std::to_string(info.ggml_type) +
                          " take more bytes than int64 can count");
      }
      info.nbytes = blocks * block->bytes;
    }
    const std::uint64_t offset_at = pos_;
    info.offset = scalar<std::uint64_t>("data offset");
    if (info.offset % file_.alignment() != 0) {
      fail(offset_at, "data offset " + std::to_string(info.offset) + " is not a multiple of the alignment " +
                          std::to_string(file_.alignment()));
    }
    return info;
  }

 private:
  GgufSource& source_;
  const GgufFile& file_;
  std::uint64_t size_;
  std::uint64_t pos_ = 0;
  std::string context_;
};

}  // namespace

std::string_view to_string(GgufType type) noexcept {
  switch (type) {
    case GgufType::u8:
      return "u8";
    case GgufType::i8:
      return "i8";
    case GgufType::u16:
      return "u16";
    case GgufType::i16:
      return "i16";
    case GgufType::u32:
      return "u32";
    case GgufType::i32:
      return "i32";
    case GgufType::f32:
      return "f32";
    case GgufType::boolean:
      return "bool";
    case GgufType::string:
      return "string";
    case GgufType::array:
      return "array";
    case GgufType::u64:
      return "u64";
    case GgufType::i64:
      return "i64";
    case GgufType::f64:
      return "f64";
  }
  return "unknown";
}

std::uint64_t GgufTensorInfo::elements() const noexcept {
  std::uint64_t n = 1;
  for (const std::uint64_t d : dims) n *= d;  // checked against overflow when parsed
  return n;
}

// ---- GgufFile -----------------------------------------------------------------------------

GgufFile::GgufFile(std::unique_ptr<GgufSource> source, std::string name)
    : source_(std::move(source)), name_(std::move(name)), size_(source_->size()) {}
GgufFile::GgufFile(GgufFile&&) noexcept = default;
GgufFile& GgufFile::operator=(GgufFile&&) noexcept = default;
GgufFile::~GgufFile() = default;

GgufFile GgufFile::open(const std::string& path) {
  GgufFile file(std::make_unique<FileSource>(path), path);
  file.parse_all();
  return file;
}

GgufFile GgufFile::parse(std::span<const std::byte> bytes, std::string name) {
  GgufFile file(std::make_unique<MemorySource>(bytes), std::move(name));
  file.parse_all();
  return file;
}

void GgufFile::parse_all() {
  Parser in(*source_, *this);
  const auto magic = in.scalar<std::uint32_t>("magic");
  if (magic != kMagic) {
    std::string found(4, '\0');
    std::memcpy(found.data(), &magic, 4);
    in.fail(0, "not a GGUF file: the magic is \"" + escaped(found) + "\", expected \"GGUF\"");
  }
  version_ = in.scalar<std::uint32_t>("version");
  if (version_ == 1) {
    in.fail(4,
            "GGUF version 1 is not supported (it used 32-bit counts and lengths); expected version 2 or 3 "
            "(re-convert the model with a current llama.cpp)");
  }
  if (version_ == 0x02000000 || version_ == 0x03000000) {
    in.fail(4, "a big-endian GGUF file (version " + std::to_string(version_ >> 24) +
                   " byte-swapped); only little-endian files are supported");
  }
  if (version_ != 2 && version_ != 3) {
    in.fail(4, "GGUF version " + std::to_string(version_) + " is not supported; expected version 2 or 3");
  }
  const std::uint64_t tensor_count_at = in.pos();
  const auto tensor_count = in.scalar<std::uint64_t>("tensor count");
  const std::uint64_t kv_count_at = in.pos();
  const auto kv_count = in.scalar<std::uint64_t>("metadata count");
  in.check_count(kv_count_at, kv_count, kMinKvBytes, "metadata count");

  for (std::uint64_t i = 0; i < kv_count; ++i) {
    const std::uint64_t entry_at = in.pos();
    in.set_context("metadata entry " + std::to_string(i) + " of " + std::to_string(kv_count));
    std::string key = in.string("key");
    if (key.empty()) in.fail(entry_at, "empty key");
    in.set_context("key '" + escaped(key) + "'");
    if (metadata_.count(key)) {
      in.fail(entry_at, "duplicate key (its first value is at offset " +
                            std::to_string(metadata_.find(key)->second.offset) + ")");
    }
    const std::uint32_t type = in.value_type("value type");
    metadata_.emplace(std::move(key), in.value(type));
  }
  in.set_context("");

  if (const GgufValue* align = find("general.alignment")) {
    in.set_context("key 'general.alignment'");
    const auto* value = std::get_if<std::uint64_t>(&align->data);
    if (align->type != GgufType::u32 || !value) in.fail(align->offset, describe(*align) + ": expected a u32");
    if (*value == 0 || !std::has_single_bit(*value)) {
      in.fail(align->offset, "alignment " + std::to_string(*value) + ": expected a power of two");
    }
    alignment_ = *value;
    in.set_context("");
  } else {
    alignment_ = kDefaultAlignment;
  }

  in.check_count(tensor_count_at, tensor_count, kMinTensorInfoBytes, "tensor count");
  for (std::uint64_t i = 0; i < tensor_count; ++i) {
    GgufTensorInfo info = in.tensor_info(i, tensor_count);
    if (find_tensor(info.name)) in.fail(info.info_offset, "duplicate tensor name");
    tensors_.push_back(std::move(info));
  }
  in.set_context("");

  // The data section starts at the next multiple of the alignment (a file of metadata alone
  // may end before it).
  const std::uint64_t header_end = in.pos();
  const std::uint64_t padding = (alignment_ - header_end % alignment_) % alignment_;
  data_offset_ = header_end + padding;
  if (!tensors_.empty() && data_offset_ > size_) {
    in.fail(header_end, "the tensor data section, at offset " + std::to_string(data_offset_) +
                            " after padding to the alignment, starts past " + in.end_of_file());
  }
  for (const GgufTensorInfo& info : tensors_) {
    in.set_context("tensor '" + escaped(info.name) + "'");
    const std::uint64_t data_size = size_ > data_offset_ ? size_ - data_offset_ : 0;
    const std::uint64_t bytes = info.nbytes.value_or(0);
    if (info.offset > data_size || bytes > data_size - info.offset) {
      in.fail(info.info_offset, "data at offset " + std::to_string(data_offset_) + " + " + std::to_string(info.offset) +
                                    (info.nbytes ? ", " + std::to_string(bytes) + " bytes," : "") + " runs past " +
                                    in.end_of_file());
    }
  }
}

const GgufValue* GgufFile::find(std::string_view key) const {
  const auto it = metadata_.find(key);
  return it == metadata_.end() ? nullptr : &it->second;
}

const GgufTensorInfo* GgufFile::find_tensor(std::string_view name) const {
  for (const GgufTensorInfo& info : tensors_)
    if (info.name == name) return &info;
  return nullptr;
}

void GgufFile::fail(std::uint64_t offset, std::string_view key, const std::string& what) const {
  throw Error(ErrorKind::InvalidArgument, name_ + ": offset " + std::to_string(offset) +
                                              (key.empty() ? "" : ", key '" + escaped(key) + "'") + ": " + what);
}

std::optional<std::string> GgufFile::get_string(std::string_view key) const {
  const GgufValue* value = find(key);
  if (!value) return std::nullopt;
  if (const auto* s = std::get_if<std::string>(&value->data)) return *s;
  fail(value->offset, key, describe(*value) + ": expected a string");
}

std::optional<std::int64_t> GgufFile::get_int(std::string_view key) const {
  const GgufValue* value = find(key);
  if (!value) return std::nullopt;
  if (const auto* i = std::get_if<std::int64_t>(&value->data)) return *i;
  if (const auto* u = std::get_if<std::uint64_t>(&value->data)) {
    if (*u > kInt64Max) fail(value->offset, key, describe(*value) + ": too large (expected at most 2^63 - 1)");
    return static_cast<std::int64_t>(*u);
  }
  fail(value->offset, key, describe(*value) + ": expected an integer");
}

std::optional<double> GgufFile::get_float(std::string_view key) const {
  const GgufValue* value = find(key);
  if (!value) return std::nullopt;
  if (const auto* d = std::get_if<double>(&value->data)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&value->data)) return static_cast<double>(*i);
  if (const auto* u = std::get_if<std::uint64_t>(&value->data)) return static_cast<double>(*u);
  fail(value->offset, key, describe(*value) + ": expected a number");
}

std::optional<std::vector<std::int64_t>> GgufFile::get_ints(std::string_view key, std::uint64_t max_count) const {
  const GgufValue* value = find(key);
  if (!value) return std::nullopt;
  const auto* array = std::get_if<GgufArray>(&value->data);
  if (!array) return std::vector<std::int64_t>{*get_int(key)};
  const std::uint32_t element = static_cast<std::uint32_t>(array->element_type);
  const std::uint64_t size = scalar_size(element);
  const bool integer = size != 0 && array->element_type != GgufType::f32 && array->element_type != GgufType::f64 &&
                       array->element_type != GgufType::boolean;
  if (!integer) fail(value->offset, key, describe(*value) + ": expected an integer or an array of integers");
  if (array->count > max_count) {
    fail(value->offset, key, describe(*value) + ": expected at most " + std::to_string(max_count) + " elements");
  }
  // The parser checked count * size against the file when it walked the array.
  std::vector<std::byte> raw(static_cast<std::size_t>(array->count * size));
  source_->read(array->elements_offset, raw);
  std::vector<std::int64_t> out;
  out.reserve(static_cast<std::size_t>(array->count));
  for (std::size_t i = 0; i < raw.size(); i += size) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, raw.data() + i, size);
    std::int64_t v = 0;
    switch (array->element_type) {
      case GgufType::i8:
        v = static_cast<std::int8_t>(bits);
        break;
      case GgufType::i16:
        v = static_cast<std::int16_t>(bits);
        break;
      case GgufType::i32:
        v = static_cast<std::int32_t>(bits);
        break;
      case GgufType::i64:
        v = static_cast<std::int64_t>(bits);
        break;
      default:
        if (bits > kInt64Max) {
          fail(array->elements_offset + i, key,
               "element " + std::to_string(i / size) + " = " + std::to_string(bits) +
                   ": too large (expected at most 2^63 - 1)");
        }
        v = static_cast<std::int64_t>(bits);
    }
    out.push_back(v);
  }
  return out;
}

std::vector<float> GgufFile::read_tensor_floats(std::string_view name) const {
  const GgufTensorInfo* info = find_tensor(name);
  const std::string quoted = "tensor '" + escaped(name) + "'";
  if (!info) throw Error(ErrorKind::InvalidArgument, name_ + ": " + quoted + " is not in the file");
  if (info->ggml_type != kGgmlTypeF32 && info->ggml_type != kGgmlTypeF16) {
    throw Error(ErrorKind::InvalidArgument, name_ + ": offset " + std::to_string(info->info_offset) + ", " + quoted +
                                                ": ggml type " + std::to_string(info->ggml_type) +
                                                ": expected f32 (0) or f16 (1)");
  }
  // parse_all checked that nbytes from data_offset_ + offset lies in the file.
  std::vector<std::byte> raw(static_cast<std::size_t>(*info->nbytes));
  source_->read(data_offset_ + info->offset, raw);
  const std::size_t n = static_cast<std::size_t>(info->elements());
  std::vector<float> out(n);
  if (info->ggml_type == kGgmlTypeF32) {
    if (n) std::memcpy(out.data(), raw.data(), n * sizeof(float));
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      std::uint16_t bits = 0;
      std::memcpy(&bits, raw.data() + 2 * i, 2);
      out[i] = half_to_float(bits);
    }
  }
  return out;
}

}  // namespace vkrope::io

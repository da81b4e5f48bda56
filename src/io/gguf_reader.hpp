// GGUF (versions 2 and 3) model files, metadata only: the header, every metadata key/value
// and the tensor-info table are parsed; tensor data is read only on request, one tensor at a
// time, by seeking to it. The format (all little-endian):
//
//   "GGUF" | u32 version | u64 tensor_count | u64 metadata_kv_count
//   metadata_kv_count x { string key | u32 value type | value }
//   tensor_count x { string name | u32 n_dims | u64 dims[n_dims] | u32 ggml type | u64 offset }
//   padding to general.alignment (default 32) | tensor data (offsets relative to here)
//
// where a string is a u64 byte count and the bytes (no terminator), and an array value is a
// u32 element type, a u64 count and the elements.
//
// The input is untrusted. Every count and length is checked against the bytes left before
// anything is allocated or skipped, so a hostile file costs at most a small multiple of its
// own size in memory and a pass over its bytes in time. Each refusal is an
// Error(InvalidArgument) naming the file, the byte offset and the key (or tensor) being
// read; a file that cannot be opened or read is an Error(Io).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace vkrope::io {

// The metadata value types, with their codes in the file.
enum class GgufType : std::uint32_t {
  u8 = 0,
  i8 = 1,
  u16 = 2,
  i16 = 3,
  u32 = 4,
  i32 = 5,
  f32 = 6,
  boolean = 7,  // one byte, 0 or 1
  string = 8,
  array = 9,
  u64 = 10,
  i64 = 11,
  f64 = 12,
};

std::string_view to_string(GgufType type) noexcept;  // "u8" ... "f64", "bool", "string", "array"

// An array value, described but not decoded: a 150,000-entry token list costs nothing until
// someone asks for it (GgufFile::get_ints). Arrays of arrays are read one level deep: the
// element type is then `array` and each element is itself an array of scalars or strings.
struct GgufArray {
  GgufType element_type = GgufType::u8;
  std::uint64_t count = 0;
  std::uint64_t elements_offset = 0;  // the first element's byte in the file
};

struct GgufValue {
  GgufType type = GgufType::u8;
  std::uint64_t offset = 0;  // where the value starts (just after its type code)
  // Unsigned integers as uint64_t, signed as int64_t, f32 and f64 as double, bool, string,
  // or an array's description.
  std::variant<std::uint64_t, std::int64_t, double, bool, std::string, GgufArray> data;
};

// ggml's type codes for the two tensor element types vkrope decodes.
inline constexpr std::uint32_t kGgmlTypeF32 = 0;
inline constexpr std::uint32_t kGgmlTypeF16 = 1;

struct GgufTensorInfo {
  std::string name;
  std::uint64_t info_offset = 0;    // where its entry in the tensor-info table starts
  std::vector<std::uint64_t> dims;  // ggml order: dims[0] varies fastest; 0 to 4 of them
  std::uint32_t ggml_type = 0;
  std::uint64_t offset = 0;  // of its data, from the start of the data section
  // Bytes of data, when ggml_type is one whose block size this reader knows (every type up
  // to MXFP4); nothing for a newer type, whose data is then only checked to start in the file.
  std::optional<std::uint64_t> nbytes;

  std::uint64_t elements() const noexcept;  // product of dims (1 for none); checked not to overflow
};

class GgufSource;  // where the bytes come from: a file, or memory

class GgufFile {
 public:
  // Parses the file's header, metadata and tensor infos. Throws Error(Io) when it cannot be
  // opened or read (missing, a directory, unreadable) and Error(InvalidArgument) when it is
  // not a GGUF v2/v3 file this reader accepts.
  static GgufFile open(const std::string& path);
  // The same parser over bytes in memory (the fuzzer's entry); `name` stands for the path in
  // messages. The bytes must outlive the GgufFile: get_ints and read_tensor_floats read them.
  static GgufFile parse(std::span<const std::byte> bytes, std::string name = "<memory>");

  GgufFile(GgufFile&&) noexcept;
  GgufFile& operator=(GgufFile&&) noexcept;
  ~GgufFile();

  const std::string& name() const noexcept { return name_; }
  std::uint32_t version() const noexcept { return version_; }
  std::uint64_t size() const noexcept { return size_; }            // bytes in the file
  std::uint64_t alignment() const noexcept { return alignment_; }  // general.alignment, or 32
  std::uint64_t data_offset() const noexcept { return data_offset_; }
  const std::map<std::string, GgufValue, std::less<>>& metadata() const noexcept { return metadata_; }
  const std::vector<GgufTensorInfo>& tensors() const noexcept { return tensors_; }

  const GgufValue* find(std::string_view key) const;
  const GgufTensorInfo* find_tensor(std::string_view name) const;

  // Typed reads of one key: nothing when the key is absent; Error(InvalidArgument) naming
  // the key and its offset when it holds another type or a value out of range.
  std::optional<std::string> get_string(std::string_view key) const;
  // Any integer type whose value fits in int64_t.
  std::optional<std::int64_t> get_int(std::string_view key) const;
  // f32, f64, or any integer type.
  std::optional<double> get_float(std::string_view key) const;
  // An array of any integer element type, read from the source now; an integer scalar reads
  // as one element (llama.cpp's per-layer keys may hold either). More than max_count
  // elements is an error, so a hostile array never becomes a huge allocation.
  std::optional<std::vector<std::int64_t>> get_ints(std::string_view key, std::uint64_t max_count = 4096) const;

  // One tensor's elements as floats (f32 as is, f16 widened exactly), read by seeking to it.
  // Throws InvalidArgument naming the tensor when it is absent or of another type.
  std::vector<float> read_tensor_floats(std::string_view name) const;

  // An Error(InvalidArgument) in this reader's form, "<name>: offset <offset>, key '<key>':
  // <what>" (the key part left out when `key` is empty), for callers that find a value
  // well-formed but unusable.
  [[noreturn]] void fail(std::uint64_t offset, std::string_view key, const std::string& what) const;

 private:
  GgufFile(std::unique_ptr<GgufSource> source, std::string name);
  void parse_all();

  std::unique_ptr<GgufSource> source_;
  std::string name_;
  std::uint32_t version_ = 0;
  std::uint64_t size_ = 0;
  std::uint64_t alignment_ = 32;
  std::uint64_t data_offset_ = 0;
  std::map<std::string, GgufValue, std::less<>> metadata_;
  std::vector<GgufTensorInfo> tensors_;
};

}  // namespace vkrope::io

// NumPy .npy files: the CLI's input and output format. Strict on purpose: only the four
// little-endian, C-order dtypes vkrope uses are accepted, and every other file is refused
// with a message naming what was found, rather than guessed at.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vkrope::io {

// The element types vkrope reads and writes, with their NumPy descr.
enum class NpyType {
  f32,  // '<f4'
  f16,  // '<f2'
  i32,  // '<i4'
  i64,  // '<i8'
};

std::string_view to_string(NpyType type) noexcept;  // "float32", "float16", "int32", "int64"
std::string_view descr(NpyType type) noexcept;      // "<f4", "<f2", "<i4", "<i8"
std::size_t size_of(NpyType type) noexcept;         // bytes per element

struct NpyArray {
  NpyType type = NpyType::f32;
  std::vector<std::int64_t> shape;  // empty for a 0-d array (one element)
  std::vector<std::byte> data;      // C order, little-endian, exactly numel() * size_of(type) bytes

  std::int64_t numel() const noexcept;  // product of shape; 1 when shape is empty
};

// Reads a .npy file of format version 1.0, 2.0 or 3.0.
// Throws Error(Io) when the file cannot be opened or read (missing, a directory, no
// permission), and Error(InvalidArgument) when its content is not a .npy file vkrope
// accepts: wrong magic or version, a malformed header, another dtype or byte order,
// Fortran order, a shape whose size overflows, or data shorter or longer than the shape.
NpyArray read_npy(const std::string& path);

// Writes a version 1.0 .npy file byte-identical to what numpy.save writes for the same
// C-contiguous array (NumPy >= 1.23, which leaves header room for growth).
// The file is written under a temporary name in the same directory and renamed into
// place, so on failure `path` is untouched and no temporary is left behind.
// Throws Error(InvalidArgument) when shape has a negative extent, more than 64 dimensions,
// an element count that overflows, or data.size() != numel * size_of(type); nothing is
// created then. Throws Error(Io) when the directory is missing or unwritable, or `path`
// names a directory.
void write_npy(const std::string& path, NpyType type, std::span<const std::int64_t> shape,
               std::span<const std::byte> data);

// --- Typed helpers ---------------------------------------------------------------------

// The elements of a float32 or float16 array as floats (float16 widened exactly).
// Throws Error(InvalidArgument) naming the type for an integer array.
std::vector<float> to_floats(const NpyArray& array);

// The elements of an int32 or int64 array as int64 (for positions).
// Throws Error(InvalidArgument) naming the type for a float array.
std::vector<std::int64_t> to_int64s(const NpyArray& array);

// Writes `values` as float32, or as float16 (rounded to nearest even) when type is f16.
// Throws Error(InvalidArgument) for an integer type, plus everything write_npy throws.
void write_npy_floats(const std::string& path, NpyType type, std::span<const std::int64_t> shape,
                      std::span<const float> values);

}  // namespace vkrope::io

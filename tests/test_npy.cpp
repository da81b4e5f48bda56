// .npy reading and writing: round trips, byte-for-byte agreement with numpy.save, and one
// test per malformed or unsupported file, each checking the error kind and message.
// The expected NumPy bytes are written out by hand below (header text, space count,
// data), checked once against numpy.save of NumPy 1.24; no Python is needed to run them.
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <unistd.h>

#include <bit>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>

#include "io/npy.hpp"
#include "support/device_matrix.hpp"
#include "vkrope/dtype.hpp"
#include "vkrope/error.hpp"

namespace vkrope::io {
namespace {

namespace fs = std::filesystem;

// ---- Helpers ----------------------------------------------------------------------------

std::string le_bytes(std::uint64_t value, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += static_cast<char>((value >> (8 * i)) & 0xff);
  return out;
}

// A .npy file as NumPy lays it out: magic, version, header length, header, data.
std::string npy_file(int major, const std::string& header, const std::string& data) {
  std::string out = "\x93NUMPY";
  out += static_cast<char>(major);
  out += '\0';
  out += le_bytes(header.size(), major == 1 ? 2 : 4);
  return out + header + data;
}

// The header numpy.save writes: dict text, `spaces` spaces, '\n'.
std::string padded(const std::string& dict, std::size_t spaces) { return dict + std::string(spaces, ' ') + "\n"; }

std::vector<std::byte> to_bytes(const std::string& s) {
  std::vector<std::byte> out(s.size());
  std::memcpy(out.data(), s.data(), s.size());
  return out;
}

std::string f32_bytes(std::initializer_list<float> values) {
  std::string out;
  for (const float v : values) out += le_bytes(std::bit_cast<std::uint32_t>(v), 4);
  return out;
}

class Npy : public testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("vkrope-npy-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    ASSERT_TRUE(fs::create_directory(dir_)) << dir_;
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(dir_, ec);
  }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  std::string put(const std::string& name, const std::string& bytes) const {
    std::ofstream(path(name), std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return path(name);
  }

  static std::string slurp(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) out.push_back(e.path().filename().string());
    return out;
  }

  fs::path dir_;
};

// Runs fn, expecting vkrope::Error of `kind` whose message contains every fragment.
void expect_error(const std::function<void()>& fn, ErrorKind kind, std::initializer_list<std::string_view> fragments) {
  try {
    fn();
    ADD_FAILURE() << "no error thrown; expected " << to_string(kind);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    for (const auto f : fragments) {
      EXPECT_NE(std::string_view(e.what()).find(f), std::string_view::npos)
          << "message \"" << e.what() << "\" lacks \"" << f << "\"";
    }
  }
}

void expect_invalid(const std::string& file, std::initializer_list<std::string_view> fragments) {
  expect_error([&] { read_npy(file); }, ErrorKind::InvalidArgument, fragments);
}

const std::string kF32x2x3 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";

// ---- Types ------------------------------------------------------------------------------

TEST(NpyType, NamesDescrsAndSizes) {
  EXPECT_EQ(to_string(NpyType::f32), "float32");
  EXPECT_EQ(to_string(NpyType::f16), "float16");
  EXPECT_EQ(to_string(NpyType::i32), "int32");
  EXPECT_EQ(to_string(NpyType::i64), "int64");
  EXPECT_EQ(descr(NpyType::f32), "<f4");
  EXPECT_EQ(descr(NpyType::f16), "<f2");
  EXPECT_EQ(descr(NpyType::i32), "<i4");
  EXPECT_EQ(descr(NpyType::i64), "<i8");
  EXPECT_EQ(size_of(NpyType::f32), 4u);
  EXPECT_EQ(size_of(NpyType::f16), 2u);
  EXPECT_EQ(size_of(NpyType::i32), 4u);
  EXPECT_EQ(size_of(NpyType::i64), 8u);
  EXPECT_EQ((NpyArray{NpyType::f32, {}, {}}.numel()), 1);
  EXPECT_EQ((NpyArray{NpyType::f32, {2, 0, 3}, {}}.numel()), 0);
  EXPECT_EQ((NpyArray{NpyType::f32, {2, 5, 3}, {}}.numel()), 30);
}

// ---- Round trips ------------------------------------------------------------------------

TEST_F(Npy, RoundTripsEveryTypeAndRankWithRandomData) {
  const std::uint32_t seed = test::fresh_seed();
  std::cout << "seed " << seed << " (replay with VKROPE_TEST_SEED=" << seed << ")\n";
  RecordProperty("seed", std::to_string(seed));
  std::mt19937 rng(seed);
  const std::vector<std::vector<std::int64_t>> shapes = {
      {}, {1}, {0}, {7}, {1031}, {3, 5}, {13, 1}, {2, 3, 7}, {3, 0, 2}, {2, 1, 3, 5}, {5, 3, 1, 17}};
  for (const NpyType type : {NpyType::f32, NpyType::f16, NpyType::i32, NpyType::i64}) {
    for (const auto& shape : shapes) {
      SCOPED_TRACE(testing::Message() << to_string(type) << " rank " << shape.size() << " seed " << seed);
      std::int64_t numel = 1;
      for (const auto d : shape) numel *= d;
      std::vector<std::byte> data(static_cast<std::size_t>(numel) * size_of(type));
      for (auto& b : data) b = static_cast<std::byte>(rng() & 0xff);
      const std::string file = path("a.npy");
      write_npy(file, type, shape, data);
      const std::uint64_t file_size = fs::file_size(file);
      EXPECT_EQ((file_size - data.size()) % 64, 0u) << "the data must start on a 64-byte boundary";
      const NpyArray back = read_npy(file);
      EXPECT_EQ(back.type, type);
      EXPECT_EQ(back.shape, shape);
      EXPECT_EQ(back.numel(), numel);
      EXPECT_TRUE(back.data == data);
    }
  }
  EXPECT_EQ(entries(), std::vector<std::string>{"a.npy"}) << "no temporary file may be left behind";
}

TEST_F(Npy, OverwritesAnExistingFile) {
  const std::string file = put("a.npy", "old content");
  write_npy(file, NpyType::f32, std::vector<std::int64_t>{1}, to_bytes(f32_bytes({2.5f})));
  EXPECT_EQ(read_npy(file).shape, std::vector<std::int64_t>{1});
}

// ---- Byte-for-byte agreement with numpy.save ---------------------------------------------

struct NumpyCase {
  const char* what;
  NpyType type;
  std::vector<std::int64_t> shape;
  std::string file;  // what numpy.save wrote
};

std::vector<NumpyCase> numpy_cases() {
  std::string i8;
  for (std::int64_t i = 0; i < 5; ++i) i8 += le_bytes(static_cast<std::uint64_t>(i), 8);
  std::string i4;
  for (std::int32_t i = -3; i < 3; ++i) i4 += le_bytes(static_cast<std::uint32_t>(i), 4);
  std::vector<std::int64_t> long_shape = {2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 10, 10};
  return {
      // np.save(f, np.arange(6, dtype='<f4').reshape(2, 3))
      {"arange(6) f4 (2,3)", NpyType::f32, {2, 3},
       npy_file(1, padded(kF32x2x3, 58), f32_bytes({0, 1, 2, 3, 4, 5}))},
      // np.save(f, np.array(1.5, dtype='<f2')): 0-d, so no growth room for shape[0]
      {"0-d f2", NpyType::f16, {},
       npy_file(1, padded("{'descr': '<f2', 'fortran_order': False, 'shape': (), }", 62), std::string("\x00\x3e", 2))},
      // np.save(f, np.arange(5, dtype='<i8'))
      {"arange(5) i8", NpyType::i64, {5},
       npy_file(1, padded("{'descr': '<i8', 'fortran_order': False, 'shape': (5,), }", 60), i8)},
      // np.save(f, np.arange(-3, 3, dtype='<i4').reshape(1, 2, 1, 3))
      {"4-d i4", NpyType::i32, {1, 2, 1, 3},
       npy_file(1, padded("{'descr': '<i4', 'fortran_order': False, 'shape': (1, 2, 1, 3), }", 52), i4)},
      // np.save(f, np.zeros((2,) + (1,) * 11 + (10, 10), dtype='<i4')): the unpadded header
      // would end exactly on 128 bytes, and NumPy then pads a whole 64 more.
      {"full 64-byte pad", NpyType::i32, long_shape,
       npy_file(1,
                padded("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, "
                       "10, 10), }",
                       84),
                std::string(800, '\0'))},
  };
}

TEST_F(Npy, WritesExactlyWhatNumpySaves) {
  for (const auto& c : numpy_cases()) {
    SCOPED_TRACE(c.what);
    const auto nbytes = static_cast<std::size_t>(NpyArray{c.type, c.shape, {}}.numel()) * size_of(c.type);
    const std::string data = c.file.substr(c.file.size() - nbytes);
    const std::string file = path("w.npy");
    write_npy(file, c.type, c.shape, to_bytes(data));
    const std::string written = slurp(file);
    EXPECT_EQ(written.size(), c.file.size());
    EXPECT_EQ(written, c.file);
  }
}

TEST_F(Npy, ReadsWhatNumpySaves) {
  for (const auto& c : numpy_cases()) {
    SCOPED_TRACE(c.what);
    const NpyArray a = read_npy(put("r.npy", c.file));
    EXPECT_EQ(a.type, c.type);
    EXPECT_EQ(a.shape, c.shape);
    const std::size_t nbytes = static_cast<std::size_t>(a.numel()) * size_of(c.type);
    ASSERT_EQ(a.data.size(), nbytes);
    EXPECT_TRUE(a.data == to_bytes(c.file.substr(c.file.size() - nbytes)));
  }
  const NpyArray f = read_npy(put("f.npy", numpy_cases()[0].file));
  EXPECT_EQ(to_floats(f), (std::vector<float>{0, 1, 2, 3, 4, 5}));
}

TEST_F(Npy, ReadsVersions2And3) {
  // numpy.save switches to 2.0 (u32 header length) for huge headers, 3.0 for UTF-8 ones;
  // the layout after the length is the same.
  for (const int major : {2, 3}) {
    SCOPED_TRACE(major);
    const NpyArray a = read_npy(put("v.npy", npy_file(major, padded(kF32x2x3, 56), f32_bytes({0, 1, 2, 3, 4, 5}))));
    EXPECT_EQ(a.type, NpyType::f32);
    EXPECT_EQ(a.shape, (std::vector<std::int64_t>{2, 3}));
    EXPECT_EQ(to_floats(a), (std::vector<float>{0, 1, 2, 3, 4, 5}));
  }
}

TEST_F(Npy, ReadsHeaderVariantsOtherWritersProduce) {
  const std::string six = f32_bytes({0, 1, 2, 3, 4, 5});
  for (const std::string& header : {
           std::string("{'shape': (2, 3), 'fortran_order': False, 'descr': '<f4'}"),  // other order, no comma
           std::string("{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2, 3)}"),  // double quotes
           std::string("{ 'descr' :'<f4' ,'fortran_order':False,'shape':( 2 ,3 , ) , }   \n"),  // spacing
           std::string("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n"),  // no alignment
           std::string("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"),  // no newline
       }) {
    SCOPED_TRACE(header);
    const NpyArray a = read_npy(put("v.npy", npy_file(1, header, six)));
    EXPECT_EQ(a.shape, (std::vector<std::int64_t>{2, 3}));
    EXPECT_EQ(to_floats(a), (std::vector<float>{0, 1, 2, 3, 4, 5}));
  }
  // A zero-size array has no data at all.
  const std::string header = padded("{'descr': '<i8', 'fortran_order': False, 'shape': (3, 0), }", 10);
  const NpyArray empty = read_npy(put("e.npy", npy_file(1, header, "")));
  EXPECT_EQ(empty.shape, (std::vector<std::int64_t>{3, 0}));
  EXPECT_TRUE(empty.data.empty());
}

// ---- Malformed files: InvalidArgument ----------------------------------------------------

TEST_F(Npy, RefusesWrongMagic) {
  expect_invalid(put("zip.npy", "PK\x03\x04 this is an npz archive"),
                 {"not a .npy file", "PK\\x03\\x04", "\\x93NUMPY"});
  expect_invalid(put("text.npy", "hello"), {"not a .npy file", "hello"});
}

TEST_F(Npy, RefusesEmptyFile) { expect_invalid(put("empty.npy", ""), {"empty"}); }

TEST_F(Npy, RefusesUnknownVersion) {
  std::string v4 = npy_file(2, padded(kF32x2x3, 56), f32_bytes({0, 1, 2, 3, 4, 5}));
  v4[6] = 4;
  expect_invalid(put("v4.npy", v4), {"version 4.0", "expected 1.0, 2.0 or 3.0"});
  std::string v11 = npy_file(1, padded(kF32x2x3, 58), f32_bytes({0, 1, 2, 3, 4, 5}));
  v11[7] = 1;
  expect_invalid(put("v11.npy", v11), {"version 1.1"});
}

TEST_F(Npy, RefusesFileEndingInThePreamble) {
  expect_invalid(put("a.npy", std::string("\x93NUM")), {"truncated", "magic and version"});
  expect_invalid(put("b.npy", std::string("\x93NUMPY\x01\x00\x76", 9)), {"truncated", "header length"});
  expect_invalid(put("c.npy", std::string("\x93NUMPY\x02\x00\x76\x00\x00", 11)), {"truncated", "header length"});
}

TEST_F(Npy, RefusesTruncatedHeader) {
  const std::string whole = npy_file(1, padded(kF32x2x3, 58), "");
  expect_invalid(put("a.npy", whole.substr(0, 40)), {"truncated .npy header", "says 118 bytes", "only 30 follow"});
  // A version 2.0 length of 4 GiB - 1 in a tiny file: refused before any allocation.
  expect_invalid(put("b.npy", std::string("\x93NUMPY\x02\x00\xff\xff\xff\xff{}", 14)), {"says 4294967295 bytes"});
}

TEST_F(Npy, RefusesHeaderThatIsNotADict) {
  expect_invalid(put("a.npy", npy_file(1, "['<f4', False, (2, 3)]\n", "")), {"not a Python dict", "['<f4'"});
  expect_invalid(put("b.npy", npy_file(1, "", "")), {"not a Python dict", "end of the header"});
  expect_invalid(put("c.npy", npy_file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)", "")),
                 {"expected ',' or '}'", "end of the header"});
  expect_invalid(put("d.npy", npy_file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': ()} x", "")),
                 {"unexpected text after the header dict", "\"x\""});
  expect_invalid(put("e.npy", npy_file(1, "{descr: '<f4'}", "")), {"expected a quoted dict key", "descr:"});
}

TEST_F(Npy, RefusesMissingKey) {
  expect_invalid(put("a.npy", npy_file(1, "{'descr': '<f4', 'fortran_order': False}", "")), {"lacks the key 'shape'"});
  expect_invalid(put("b.npy", npy_file(1, "{'descr': '<f4', 'shape': (1,)}", "")), {"lacks the key 'fortran_order'"});
  expect_invalid(put("c.npy", npy_file(1, "{'fortran_order': False, 'shape': (1,)}", "")), {"lacks the key 'descr'"});
}

TEST_F(Npy, RefusesExtraOrRepeatedKey) {
  expect_invalid(put("a.npy", npy_file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), 'extra': 1}", "")),
                 {"unexpected key 'extra'", "expected exactly"});
  expect_invalid(put("b.npy", npy_file(1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': ()}", "")),
                 {"key 'descr' twice"});
}

std::string with_descr(const std::string& descr) {
  return npy_file(1, "{'descr': " + descr + ", 'fortran_order': False, 'shape': (1,), }\n", std::string(8, '\0'));
}

TEST_F(Npy, RefusesBigEndian) {
  expect_invalid(put("a.npy", with_descr("'>f4'")), {"big-endian dtype '>f4'", "expected little-endian '<f4'"});
  expect_invalid(put("b.npy", with_descr("'>i8'")), {"big-endian dtype '>i8'", "'<i8'"});
}

TEST_F(Npy, RefusesOtherDtypes) {
  for (const char* d : {"<f8", "|u1", "<c8", "=f4", "<u4", "|b1", "<i2", "f4", "<f4 "}) {
    SCOPED_TRACE(d);
    expect_invalid(put("a.npy", with_descr(std::string("'") + d + "'")),
                   {"unsupported dtype '" + std::string(d) + "'", "expected '<f4' (float32), '<f2' (float16)"});
  }
  expect_invalid(put("b.npy", with_descr("[('x', '<f4')]")), {"structured dtypes are not supported"});
  expect_invalid(put("c.npy", with_descr("4")), {"dtype string", "\"4,"});
}

TEST_F(Npy, RefusesFortranOrder) {
  expect_invalid(put("a.npy", npy_file(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }\n",
                                       f32_bytes({0, 1, 2, 3, 4, 5}))),
                 {"fortran_order is True", "expected False"});
  expect_invalid(put("b.npy", npy_file(1, "{'descr': '<f4', 'fortran_order': 0, 'shape': (), }\n", "")),
                 {"'fortran_order' must be True or False", "\"0,"});
  expect_invalid(put("c.npy", npy_file(1, "{'descr': '<f4', 'fortran_order': Falsehood, 'shape': (), }\n", "")),
                 {"'fortran_order' must be True or False"});
}

std::string with_shape(const std::string& shape) {
  return npy_file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }\n", "");
}

TEST_F(Npy, RefusesShapeThatIsNotATupleOfIntegers) {
  for (const char* s : {"[2, 3]", "3", "(2.0,)", "(2, 'a')", "(,)", "(1, 2,,)", "(3L,)", "(1e3,)", "(01,)", "(+1,)",
                        "(1_0,)", "None"}) {
    SCOPED_TRACE(s);
    expect_invalid(put("a.npy", with_shape(s)), {"'shape' must be a tuple of non-negative integers"});
  }
  expect_invalid(put("b.npy", with_shape("(3)")), {"'shape' (3) is not a tuple", "(n,)"});
  expect_invalid(put("c.npy", with_shape("(2 3)")), {"expected ',' or ')' in 'shape'"});
}

TEST_F(Npy, RefusesNegativeExtent) {
  expect_invalid(put("a.npy", with_shape("(2, -3)")), {"negative extent", "-3"});
}

TEST_F(Npy, RefusesShapeWhoseSizeOverflows) {
  // Fits in int64 as an extent, but 2**62 * 2 elements * 4 bytes does not.
  expect_invalid(put("a.npy", with_shape("(4611686018427387904, 2)")),
                 {"shape (4611686018427387904, 2) of float32 is too big", "64 bits"});
  // Element count alone fits (2**61), bytes (2**63) do not.
  expect_invalid(put("b.npy", with_shape("(2305843009213693952,)")), {"too big"});
  // NumPy refuses these too even though a zero extent makes the array empty.
  expect_invalid(put("c.npy", with_shape("(0, 4611686018427387904, 4611686018427387904)")), {"too big"});
  // An extent beyond int64 itself.
  expect_invalid(put("d.npy", with_shape("(9223372036854775808,)")), {"does not fit in 64 bits"});
  expect_invalid(put("e.npy", with_shape("(99999999999999999999999,)")), {"does not fit in 64 bits"});
  std::string many = "(";
  for (int i = 0; i < 65; ++i) many += "1, ";
  expect_invalid(put("f.npy", with_shape(many + ")")), {"more than 64 dimensions"});
}

TEST_F(Npy, RefusesTruncatedData) {
  const std::string whole = npy_file(1, padded(kF32x2x3, 58), f32_bytes({0, 1, 2, 3, 4, 5}));
  expect_invalid(put("a.npy", whole.substr(0, whole.size() - 1)),
                 {"truncated .npy data", "shape (2, 3) of float32 needs 24 bytes", "has 23"});
  expect_invalid(put("b.npy", npy_file(1, padded(kF32x2x3, 58), "")), {"truncated .npy data", "has 0"});
  // A shape promising 4 TiB in a file of a few bytes: refused before allocating.
  expect_invalid(put("c.npy", with_shape("(1099511627776,)") + "abcd"),
                 {"truncated .npy data", "needs 4398046511104 bytes"});
}

TEST_F(Npy, RefusesTrailingBytes) {
  const std::string whole = npy_file(1, padded(kF32x2x3, 58), f32_bytes({0, 1, 2, 3, 4, 5}));
  expect_invalid(put("a.npy", whole + "x"), {"1 unexpected bytes after the data", "needs 24 bytes, the file has 25"});
  // Two arrays appended to one file (np.save twice into one handle) is not one array.
  expect_invalid(put("b.npy", whole + whole), {"unexpected bytes after the data"});
}

// ---- Files that cannot be read: Io ---------------------------------------------------------

TEST_F(Npy, ReadMissingFileIsIo) {
  const std::string file = path("missing.npy");
  expect_error([&] { read_npy(file); }, ErrorKind::Io, {file, "cannot open"});
}

TEST_F(Npy, ReadDirectoryIsIo) {
  expect_error([&] { read_npy(dir_.string()); }, ErrorKind::Io, {dir_.string(), "is a directory"});
}

TEST_F(Npy, ReadFailingFileIsIo) {
  // Opens, and fstat calls it a regular file, but read() fails (EIO): memory at address 0.
  if (!fs::exists("/proc/self/mem")) GTEST_SKIP() << "no /proc/self/mem";
  expect_error([] { read_npy("/proc/self/mem"); }, ErrorKind::Io, {"/proc/self/mem", "read failed"});
}

TEST_F(Npy, ReadUnreadableFileIsIo) {
  if (::geteuid() == 0) GTEST_SKIP() << "running as root: permissions are not enforced";
  const std::string file = put("locked.npy", npy_file(1, padded(kF32x2x3, 58), f32_bytes({0, 1, 2, 3, 4, 5})));
  fs::permissions(file, fs::perms::none);
  expect_error([&] { read_npy(file); }, ErrorKind::Io, {file, "cannot open"});
}

// ---- Writing failures leave nothing behind --------------------------------------------------

TEST_F(Npy, WriteWithWrongDataSizeIsInvalidAndCreatesNothing) {
  const std::vector<std::int64_t> shape = {2, 3};
  const std::string file = path("out.npy");
  expect_error([&] { write_npy(file, NpyType::f32, shape, std::vector<std::byte>(20)); }, ErrorKind::InvalidArgument,
               {file, "shape (2, 3) of float32", "needs 24 bytes", "got 20"});
  expect_error([&] { write_npy(file, NpyType::f16, shape, std::vector<std::byte>(24)); }, ErrorKind::InvalidArgument,
               {"needs 12 bytes", "got 24"});
  EXPECT_TRUE(entries().empty());
}

TEST_F(Npy, WriteWithBadShapeIsInvalidAndCreatesNothing) {
  const std::string file = path("out.npy");
  expect_error([&] { write_npy(file, NpyType::f32, std::vector<std::int64_t>{2, -1}, {}); }, ErrorKind::InvalidArgument,
               {"(2, -1)", ">= 0"});
  expect_error([&] { write_npy(file, NpyType::i64, std::vector<std::int64_t>{std::int64_t{1} << 61, 0, 2}, {}); },
               ErrorKind::InvalidArgument, {"64 bits"});
  expect_error([&] { write_npy(file, NpyType::f32, std::vector<std::int64_t>(65, 1), std::vector<std::byte>(4)); },
               ErrorKind::InvalidArgument, {"65 dimensions"});
  EXPECT_TRUE(entries().empty());
}

TEST_F(Npy, WriteIntoMissingDirectoryIsIo) {
  const std::string file = path("no/such/dir/out.npy");
  expect_error([&] { write_npy(file, NpyType::f32, std::vector<std::int64_t>{1}, std::vector<std::byte>(4)); },
               ErrorKind::Io, {file, "No such file or directory"});
  EXPECT_TRUE(entries().empty());
}

TEST_F(Npy, WriteOntoDirectoryIsIo) {
  fs::create_directory(path("sub"));
  for (const std::string& target : {path("sub"), path("sub") + "/"}) {
    SCOPED_TRACE(target);
    expect_error([&] { write_npy(target, NpyType::f32, std::vector<std::int64_t>{1}, std::vector<std::byte>(4)); },
                 ErrorKind::Io, {target, "is a directory"});
  }
  EXPECT_EQ(entries(), std::vector<std::string>{"sub"});
  EXPECT_TRUE(fs::is_empty(path("sub")));
}

TEST_F(Npy, WriteIntoUnwritableDirectoryIsIo) {
  if (::geteuid() == 0) GTEST_SKIP() << "running as root: permissions are not enforced";
  fs::create_directory(path("ro"));
  fs::permissions(path("ro"), fs::perms::owner_read | fs::perms::owner_exec);
  const std::string file = path("ro/out.npy");
  expect_error([&] { write_npy(file, NpyType::f32, std::vector<std::int64_t>{1}, std::vector<std::byte>(4)); },
               ErrorKind::Io, {file, "Permission denied"});
  EXPECT_TRUE(fs::is_empty(path("ro")));
}

// A write that fails half way (here: the file size limit, EFBIG) must leave neither a
// partial file nor a temporary, and must not touch an existing file of the same name.
TEST_F(Npy, WriteFailingMidwayLeavesOldFileAndNoTemporary) {
  const std::string file = put("out.npy", "previous content");
  rlimit old{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  rlimit small = old;
  small.rlim_cur = 4096;
  auto* const old_handler = std::signal(SIGXFSZ, SIG_IGN);  // get EFBIG instead of being killed
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  const std::vector<std::byte> big(1 << 16);
  expect_error([&] { write_npy(file, NpyType::f32, std::vector<std::int64_t>{1 << 14}, big); }, ErrorKind::Io,
               {file, "write failed"});
  ::setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_EQ(slurp(file), "previous content");
  EXPECT_EQ(entries(), std::vector<std::string>{"out.npy"});
}

// ---- Typed helpers ---------------------------------------------------------------------------

TEST_F(Npy, TypedHelpersConvertAndCheckTheType) {
  const std::vector<std::int64_t> shape = {2, 2};
  const std::vector<float> values = {1.0f, -2.5f, 65504.0f, 1.0f / 3.0f};
  write_npy_floats(path("h.npy"), NpyType::f16, shape, values);
  const NpyArray h = read_npy(path("h.npy"));
  EXPECT_EQ(h.type, NpyType::f16);
  EXPECT_EQ(to_floats(h), (std::vector<float>{1.0f, -2.5f, 65504.0f, half_to_float(float_to_half(1.0f / 3.0f))}));
  write_npy_floats(path("f.npy"), NpyType::f32, shape, values);
  EXPECT_EQ(to_floats(read_npy(path("f.npy"))), values);
  expect_error([&] { write_npy_floats(path("i.npy"), NpyType::i32, shape, values); }, ErrorKind::InvalidArgument,
               {"int32"});
  expect_error([&] { write_npy_floats(path("s.npy"), NpyType::f32, shape, std::vector<float>(3)); },
               ErrorKind::InvalidArgument, {"needs 16 bytes", "got 12"});

  std::string i4;
  for (const std::int32_t v : {0, -1, 2147483647, -2147483647 - 1}) i4 += le_bytes(static_cast<std::uint32_t>(v), 4);
  const NpyArray pos32{NpyType::i32, {4}, to_bytes(i4)};
  EXPECT_EQ(to_int64s(pos32), (std::vector<std::int64_t>{0, -1, 2147483647, -2147483648LL}));
  std::string i8;
  for (const std::int64_t v : {std::int64_t{5}, std::int64_t{-7}, std::int64_t{1} << 40})
    i8 += le_bytes(static_cast<std::uint64_t>(v), 8);
  EXPECT_EQ(to_int64s(NpyArray{NpyType::i64, {3}, to_bytes(i8)}),
            (std::vector<std::int64_t>{5, -7, std::int64_t{1} << 40}));

  expect_error([&] { to_floats(pos32); }, ErrorKind::InvalidArgument, {"expected a float32 or float16 array", "int32"});
  expect_error([&] { to_int64s(h); }, ErrorKind::InvalidArgument, {"expected an int32 or int64 array", "float16"});
  expect_error([&] { to_int64s(NpyArray{NpyType::i32, {5}, to_bytes(i4)}); }, ErrorKind::InvalidArgument,
               {"16 bytes", "(5,)"});
}

}  // namespace
}  // namespace vkrope::io

# cmake -DIN=x.spv -DOUT=x.spv.cpp -DSYMBOL=name -P embed_spirv.cmake
# Writes the SPIR-V words of IN as a C++ array. SPIR-V is a stream of little-endian 32-bit
# words; the hex dump is byte order, so each group of four bytes is reversed into a word.
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" nhex)
math(EXPR rem "${nhex} % 8")
if(nhex EQUAL 0 OR NOT rem EQUAL 0)
  message(FATAL_ERROR "${IN}: not a whole number of 32-bit words")
endif()
math(EXPR count "${nhex} / 8")
string(REGEX REPLACE "(..)(..)(..)(..)" "0x\\4\\3\\2\\1u,\n" words "${hex}")
file(WRITE ${OUT}.tmp "// Generated from ${IN}; do not edit.
#include <cstddef>
#include <cstdint>
namespace vkrope::detail {
extern const std::uint32_t ${SYMBOL}[];
extern const std::size_t ${SYMBOL}_count;
alignas(4) const std::uint32_t ${SYMBOL}[] = {
${words}};
const std::size_t ${SYMBOL}_count = ${count};
}  // namespace vkrope::detail
")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUT}.tmp)

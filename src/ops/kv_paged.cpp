// KvCache's paged layout: page pools, block tables, shared pages (fork) and copy-on-write.
// Only host bookkeeping and the dispatches of kv_cache.cpp (store_sequence) and copy().
#include <algorithm>
#include <string>

#include "vkrope/kv_cache.hpp"
#include "vkrope/roofline.hpp"

namespace vkrope {

namespace {

[[noreturn]] void fail(const std::string& message) { throw Error(ErrorKind::InvalidArgument, "KvCache: " + message); }
std::string str(std::int64_t v) { return std::to_string(v); }

}  // namespace

std::int64_t KvCache::free_pages(std::int64_t layer) const {
  check_layer(layer, "free_pages");
  if (!paged()) fail("free_pages: the cache is not paged");
  const auto& users = page_users_[static_cast<std::size_t>(layer)];
  return std::count(users.begin(), users.end(), 0);
}

const std::vector<std::int64_t>& KvCache::block_table(std::int64_t layer, std::int64_t sequence) const {
  check_layer(layer, "block_table");
  if (!paged()) fail("block_table: the cache is not paged");
  if (sequence < 0 || sequence >= shape_.batch)
    fail("block_table: sequence " + str(sequence) + " is outside [0, " + str(shape_.batch) + ")");
  return tables_[static_cast<std::size_t>(layer)][static_cast<std::size_t>(sequence)];
}

void KvCache::append_paged(Batch& batch, std::int64_t layer, const Tensor& k_new, const Tensor& v_new,
                           const std::vector<std::int64_t>& sequences) {
  const std::int64_t p = shape_.page_size;
  const std::int64_t tokens = k_new.shape()[k_new.rank() == 4 ? 1 : 0];
  auto& tables = tables_[static_cast<std::size_t>(layer)];
  auto& users = page_users_[static_cast<std::size_t>(layer)];
  auto& lengths = lengths_[static_cast<std::size_t>(layer)];
  // The pages this append takes: new ones past each table's end, and a private copy of a
  // shared last page the sequence writes into. All or nothing.
  std::int64_t needed = 0;
  for (std::int64_t b : sequences) {
    const std::int64_t n = lengths[static_cast<std::size_t>(b)];
    const auto& table = tables[static_cast<std::size_t>(b)];
    needed += (n + tokens + p - 1) / p - static_cast<std::int64_t>(table.size());
    if (n % p != 0 && users[static_cast<std::size_t>(table.back())] > 1) ++needed;
  }
  const std::int64_t available = std::count(users.begin(), users.end(), 0);
  if (needed > available)
    fail("append of " + str(tokens) + " tokens to layer " + str(layer) + " needs " + str(needed) +
         " pages; its pool of " + str(shape_.pages) + " has " + str(available) + " free (nothing was written)");
  std::int64_t next_free = 0;
  const auto take_page = [&] {
    while (users[static_cast<std::size_t>(next_free)] != 0) ++next_free;
    users[static_cast<std::size_t>(next_free)] = 1;
    return next_free;
  };
  const Tensor& k_pool = keys_[static_cast<std::size_t>(layer)];
  const Tensor& v_pool = values_[static_cast<std::size_t>(layer)];
  const auto page_of = [&](const Tensor& pool, std::int64_t page) {
    const Shape one = {1, p, shape_.kv_heads, shape_.head_dim};
    return pool.view(one, contiguous_strides(one), page * p * pool.strides()[1]);
  };
  for (std::size_t i = 0; i < sequences.size(); ++i) {
    const std::int64_t b = sequences[i];
    std::int64_t& n = lengths[static_cast<std::size_t>(b)];
    auto& table = tables[static_cast<std::size_t>(b)];
    if (n % p != 0 && users[static_cast<std::size_t>(table.back())] > 1) {  // copy on write
      const std::int64_t shared = table.back(), own = take_page();
      copy(batch, page_of(k_pool, shared), page_of(k_pool, own));
      copy(batch, page_of(v_pool, shared), page_of(v_pool, own));
      --users[static_cast<std::size_t>(shared)];
      table.back() = own;
    }
    while (static_cast<std::int64_t>(table.size()) * p < n + tokens) table.push_back(take_page());
    // One store per page the tokens fall in (row i of k_new is this sequence's).
    for (std::int64_t t = 0; t < tokens;) {
      const std::int64_t position = n + t, count = std::min(tokens - t, p - position % p);
      const std::int64_t row = table[static_cast<std::size_t>(position / p)] * p + position % p;
      store_sequence(batch, layer, 0, k_new, v_new, static_cast<std::int64_t>(i), row, t, count, position);
      t += count;
    }
    n += tokens;
  }
}

void KvCache::release_pages(std::int64_t layer, std::int64_t sequence) {
  auto& table = tables_[static_cast<std::size_t>(layer)][static_cast<std::size_t>(sequence)];
  for (std::int64_t page : table) --page_users_[static_cast<std::size_t>(layer)][static_cast<std::size_t>(page)];
  table.clear();
  lengths_[static_cast<std::size_t>(layer)][static_cast<std::size_t>(sequence)] = 0;
}

void KvCache::fork(std::int64_t from, std::int64_t to) {
  if (!paged()) fail("fork: the cache is not paged (page_size = 0)");
  for (std::int64_t s : {from, to})
    if (s < 0 || s >= shape_.batch) fail("fork: sequence " + str(s) + " is outside [0, " + str(shape_.batch) + ")");
  if (from == to) return;
  for (std::int64_t layer = 0; layer < shape_.layers; ++layer) {
    release_pages(layer, to);
    const auto& source = tables_[static_cast<std::size_t>(layer)][static_cast<std::size_t>(from)];
    for (std::int64_t page : source) ++page_users_[static_cast<std::size_t>(layer)][static_cast<std::size_t>(page)];
    tables_[static_cast<std::size_t>(layer)][static_cast<std::size_t>(to)] = source;
    lengths_[static_cast<std::size_t>(layer)][static_cast<std::size_t>(to)] =
        lengths_[static_cast<std::size_t>(layer)][static_cast<std::size_t>(from)];
  }
}

void KvCache::release(std::int64_t sequence) {
  if (!paged()) fail("release: the cache is not paged (page_size = 0)");
  if (sequence < 0 || sequence >= shape_.batch)
    fail("release: sequence " + str(sequence) + " is outside [0, " + str(shape_.batch) + ")");
  for (std::int64_t layer = 0; layer < shape_.layers; ++layer) release_pages(layer, sequence);
}

}  // namespace vkrope

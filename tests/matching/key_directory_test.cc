// KeyDirectory (services/matching/name_index_impl.h): the bucket directory
// the index uses instead of binary searches over its sorted hash-key arrays
// must find exactly what std::equal_range finds, for any key set: empty,
// one key, runs of equal keys, keys crowded into one bucket, keys absent.
#include <algorithm>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "services/matching/name_index_impl.h"

namespace exportscreen::matching::index_internal {
namespace {

std::pair<uint32_t, uint32_t> Reference(const std::vector<uint64_t>& keys, uint64_t key) {
  auto [lo, hi] = std::equal_range(keys.begin(), keys.end(), key);
  return {static_cast<uint32_t>(lo - keys.begin()), static_cast<uint32_t>(hi - keys.begin())};
}

void ExpectSameAsBinarySearch(const std::vector<uint64_t>& keys,
                              const std::vector<uint64_t>& probes) {
  KeyDirectory dir;
  dir.Build(keys);
  for (uint64_t p : probes) {
    auto got = dir.Find(keys, p);
    auto want = Reference(keys, p);
    if (want.first == want.second) {
      EXPECT_EQ(got.first, got.second) << "absent key " << p << " found";
    } else {
      EXPECT_EQ(got, want) << "key " << p;
    }
  }
}

TEST(KeyDirectoryTest, EmptyAndSingle) {
  ExpectSameAsBinarySearch({}, {0, 1, ~uint64_t{0}});
  ExpectSameAsBinarySearch({42}, {0, 41, 42, 43, ~uint64_t{0}});
  KeyDirectory unbuilt;
  std::vector<uint64_t> none;
  EXPECT_EQ(unbuilt.Find(none, 7).first, unbuilt.Find(none, 7).second);
}

TEST(KeyDirectoryTest, RandomHashesWithDuplicatesAndAbsentKeys) {
  std::mt19937_64 rng(20261201);
  for (size_t n : {2u, 3u, 17u, 1000u, 100000u}) {
    std::vector<uint64_t> keys;
    for (size_t i = 0; i < n; ++i) {
      keys.push_back(Fnv(std::to_string(rng() % (n / 2 + 1))));  // many repeats
    }
    std::sort(keys.begin(), keys.end());
    std::vector<uint64_t> probes(keys.begin(), keys.end());
    for (int i = 0; i < 2000; ++i) probes.push_back(rng());
    probes.push_back(0);
    probes.push_back(~uint64_t{0});
    ExpectSameAsBinarySearch(keys, probes);
  }
}

TEST(KeyDirectoryTest, SkewedKeysInOneBucket) {
  // All keys share their top bits: one bucket holds them all.
  std::vector<uint64_t> keys;
  for (uint64_t i = 0; i < 5000; ++i) keys.push_back((uint64_t{0xABCD} << 48) | (i / 3));
  std::sort(keys.begin(), keys.end());
  std::vector<uint64_t> probes = {
      keys.front(), keys.back(), keys[2500], keys[2500] + 1, (uint64_t{0xABCD} << 48) | 9999999, 0,
      ~uint64_t{0}};
  ExpectSameAsBinarySearch(keys, probes);
}

}  // namespace
}  // namespace exportscreen::matching::index_internal

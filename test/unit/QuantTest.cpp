//===- QuantTest.cpp - The quantization maths against GGML's rule ---------===//
//
// References here are written independently of lib/Math: GGML's
// quantize_row_q8_0_ref transcribed, fp16 through the compiler's _Float16.
//
//===----------------------------------------------------------------------===//

#include "qnt/Math/Quant.h"
#include "qnt/Math/Ggml.h"
#include "qnt/Math/Records.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <set>

using namespace qnt::math;

namespace {

uint16_t halfBits(_Float16 h) {
  uint16_t b;
  std::memcpy(&b, &h, 2);
  return b;
}

uint32_t bitsOfFloat(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

_Float16 halfOf(uint16_t b) {
  _Float16 h;
  std::memcpy(&h, &b, 2);
  return h;
}

/// GGML's block_q8_0 and quantize_row_q8_0_ref (ggml-quants.c), transcribed.
struct BlockQ8_0 {
  uint16_t d;
  int8_t qs[32];
};

void ggmlQuantizeRowQ8_0(const float *x, BlockQ8_0 *y, int64_t k) {
  const int nb = k / 32;
  for (int i = 0; i < nb; i++) {
    float amax = 0.0f;
    for (int j = 0; j < 32; j++) {
      const float v = x[i * 32 + j];
      amax = std::max(amax, fabsf(v));
    }
    const float d = amax / ((1 << 7) - 1);
    const float id = d ? 1.0f / d : 0.0f;
    y[i].d = halfBits(_Float16(d));
    for (int j = 0; j < 32; ++j) {
      const float x0 = x[i * 32 + j] * id;
      y[i].qs[j] = roundf(x0);
    }
  }
}

/// GGML's block_q4_0 and quantize_row_q4_0_ref (ggml-quants.c), transcribed.
struct BlockQ4_0 {
  uint16_t d;
  uint8_t qs[16];
};

void ggmlQuantizeRowQ4_0(const float *x, BlockQ4_0 *y, int64_t k) {
  static const int qk = 32;
  const int nb = k / qk;
  for (int i = 0; i < nb; i++) {
    float amax = 0.0f; // absolute max
    float max = 0.0f;
    for (int j = 0; j < qk; j++) {
      const float v = x[i * qk + j];
      if (amax < fabsf(v)) {
        amax = fabsf(v);
        max = v;
      }
    }
    const float d = max / -8;
    const float id = d ? 1.0f / d : 0.0f;
    y[i].d = halfBits(_Float16(d));
    for (int j = 0; j < qk / 2; ++j) {
      const float x0 = x[i * qk + 0 + j] * id;
      const float x1 = x[i * qk + qk / 2 + j] * id;
      const uint8_t xi0 = std::min<int8_t>(15, (int8_t)(x0 + 8.5f));
      const uint8_t xi1 = std::min<int8_t>(15, (int8_t)(x1 + 8.5f));
      y[i].qs[j] = xi0;
      y[i].qs[j] |= xi1 << 4;
    }
  }
}

std::vector<float> randomValues(int64_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(rng);
  return v;
}

} // namespace

//===----------------------------------------------------------------------===//
// fp16 / bf16
//===----------------------------------------------------------------------===//

TEST(Fp16, EveryHalfConvertsExactlyAndBack) {
  for (uint32_t b = 0; b < 0x10000; ++b) {
    float expected = float(halfOf(uint16_t(b)));
    float got = fp16ToFloat(uint16_t(b));
    if (std::isnan(expected)) {
      EXPECT_TRUE(std::isnan(got)) << std::hex << b;
      continue;
    }
    ASSERT_EQ(expected, got) << "half 0x" << std::hex << b;
    ASSERT_EQ(uint16_t(b), floatToFp16(got)) << "half 0x" << std::hex << b;
  }
}

TEST(Fp16, FloatRoundsToNearestEven) {
  std::vector<float> cases = {0.0f, -0.0f, 1.0f, 65504.0f, 65519.99f, 65520.0f,
                              1e9f, -1e9f, 5.96e-8f, 2.98e-8f, 2.99e-8f,
                              1.0f + 1.0f / 2048, 1.0f + 3.0f / 2048,
                              6.1e-5f, 6.0e-5f, 1e-10f, INFINITY, -INFINITY};
  std::mt19937 rng(7);
  std::uniform_int_distribution<uint32_t> bits;
  for (int i = 0; i < 200000; ++i) {
    uint32_t u = bits(rng);
    float f;
    std::memcpy(&f, &u, 4);
    if (!std::isnan(f))
      cases.push_back(f);
  }
  for (float f : cases)
    ASSERT_EQ(halfBits(_Float16(f)), floatToFp16(f)) << f;
}

TEST(Bf16, IsTheHighHalfOfAFloat) {
  EXPECT_EQ(1.0f, bf16ToFloat(0x3f80));
  EXPECT_EQ(-2.0f, bf16ToFloat(0xc000));
  EXPECT_EQ(0.0f, bf16ToFloat(0x0000));
}

//===----------------------------------------------------------------------===//
// Q8_0
//===----------------------------------------------------------------------===//

TEST(Q8_0, MatchesGgmlBitForBit) {
  const int64_t rows = 7, cols = 4096;
  for (float scale : {1e-3f, 1.0f, 300.0f}) {
    std::vector<float> x = randomValues(rows * cols, 42, scale);
    QuantizedTensor q;
    ASSERT_TRUE(quantize(x.data(), rows, cols, Scheme::q8_0(), q));
    std::vector<BlockQ8_0> ref(rows * cols / 32);
    ggmlQuantizeRowQ8_0(x.data(), ref.data(), rows * cols);
    ASSERT_EQ(q.scalesF16.size(), ref.size());
    for (size_t b = 0; b < ref.size(); ++b) {
      ASSERT_EQ(ref[b].d, q.scalesF16[b]) << "block " << b;
      ASSERT_EQ(fp16ToFloat(ref[b].d), q.scales[b]);
      for (int j = 0; j < 32; ++j)
        ASSERT_EQ(ref[b].qs[j], q.data[b * 32 + j]) << "block " << b << " j " << j;
    }
  }
}

TEST(Q8_0, ZeroBlockHasZeroScaleAndValues) {
  std::vector<float> x(64, 0.0f);
  x[40] = 1.0f; // the second block is not zero
  QuantizedTensor q;
  ASSERT_TRUE(quantize(x.data(), 1, 64, Scheme::q8_0(), q));
  EXPECT_EQ(0.0f, q.scales[0]);
  for (int j = 0; j < 32; ++j)
    EXPECT_EQ(0, q.data[j]);
  EXPECT_EQ(127, q.data[40]);
}

TEST(Q8_0, TheLargestMagnitudeSaturatesAt127) {
  std::vector<float> x = randomValues(32, 3, 0.01f);
  x[5] = -1000.0f;
  x[9] = 999.9f;
  QuantizedTensor q;
  ASSERT_TRUE(quantize(x.data(), 1, 32, Scheme::q8_0(), q));
  EXPECT_EQ(-127, q.data[5]);
  EXPECT_EQ(127, q.data[9]); // 999.9 * 127 / 1000 = 126.99 rounds to 127
  for (int j = 0; j < 32; ++j)
    EXPECT_LE(std::abs(int(q.data[j])), 127);
}

TEST(Q8_0, RoundingRules) {
  // amax 127 gives d = 1 and id = 1 exactly: x * id is x.
  std::vector<float> x(32, 0.0f);
  x[0] = 127.0f;
  x[1] = 2.5f;
  x[2] = -2.5f;
  x[3] = 3.5f;
  x[4] = 0.5f;
  Scheme away = Scheme::q8_0(), even = Scheme::q8_0();
  even.rounding = Rounding::HalfToEven;
  QuantizedTensor a, e;
  ASSERT_TRUE(quantize(x.data(), 1, 32, away, a));
  ASSERT_TRUE(quantize(x.data(), 1, 32, even, e));
  EXPECT_EQ(3, a.data[1]);
  EXPECT_EQ(-3, a.data[2]);
  EXPECT_EQ(4, a.data[3]);
  EXPECT_EQ(1, a.data[4]);
  EXPECT_EQ(2, e.data[1]);
  EXPECT_EQ(-2, e.data[2]);
  EXPECT_EQ(4, e.data[3]);
  EXPECT_EQ(0, e.data[4]);
}

TEST(Q8_0, UnpackingGgmlBlocksKeepsEveryValue) {
  const int64_t rows = 3, cols = 96;
  std::vector<float> x = randomValues(rows * cols, 9);
  std::vector<BlockQ8_0> blocks(rows * cols / 32);
  ggmlQuantizeRowQ8_0(x.data(), blocks.data(), rows * cols);
  std::vector<uint8_t> bytes(blocks.size() * kQ8_0BlockBytes);
  for (size_t b = 0; b < blocks.size(); ++b) {
    std::memcpy(&bytes[b * 34], &blocks[b].d, 2);
    std::memcpy(&bytes[b * 34 + 2], blocks[b].qs, 32);
  }
  for (Storage storage : {Storage::I8, Storage::U8Offset128}) {
    QuantizedTensor q;
    ASSERT_TRUE(unpackQ8_0(bytes.data(), rows, cols, storage, q));
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) {
        const BlockQ8_0 &blk = blocks[(r * cols + c) / 32];
        ASSERT_EQ(blk.qs[c % 32], q.q(r, c));
        ASSERT_EQ(float(halfOf(blk.d)), q.scales[q.group(r, c)]);
      }
  }
  QuantizedTensor bad;
  EXPECT_FALSE(unpackQ8_0(bytes.data(), 1, 48, Storage::I8, bad));
}

//===----------------------------------------------------------------------===//
// 4 bits: GGML Q4_0
//===----------------------------------------------------------------------===//

TEST(Q4_0, MatchesGgmlBitForBit) {
  const int64_t rows = 5, cols = 1024;
  for (float scale : {1e-3f, 1.0f, 300.0f}) {
    std::vector<float> x = randomValues(rows * cols, 43, scale);
    QuantizedTensor q;
    ASSERT_TRUE(quantize(x.data(), rows, cols, q4_0Scheme(), q));
    std::vector<BlockQ4_0> ref(rows * cols / 32);
    ggmlQuantizeRowQ4_0(x.data(), ref.data(), rows * cols);
    ASSERT_EQ(q.scalesF16.size(), ref.size());
    for (size_t b = 0; b < ref.size(); ++b) {
      ASSERT_EQ(ref[b].d, q.scalesF16[b]) << "block " << b;
      for (int j = 0; j < 16; ++j) {
        // Stored as u = q + 8, one a byte; q() gives q back.
        ASSERT_EQ(ref[b].qs[j] & 0x0F, uint8_t(q.data[b * 32 + j]));
        ASSERT_EQ(ref[b].qs[j] >> 4, uint8_t(q.data[b * 32 + 16 + j]));
        ASSERT_EQ((ref[b].qs[j] & 0x0F) - 8, q.q(b * 32 / cols, (b * 32 + j) % cols));
      }
    }
  }
}

TEST(Q4_0, UnpackingGgmlBlocksKeepsEveryValue) {
  const int64_t rows = 3, cols = 96;
  std::vector<float> x = randomValues(rows * cols, 10);
  std::vector<BlockQ4_0> blocks(rows * cols / 32);
  ggmlQuantizeRowQ4_0(x.data(), blocks.data(), rows * cols);
  std::vector<uint8_t> bytes(blocks.size() * kQ4_0BlockBytes);
  for (size_t b = 0; b < blocks.size(); ++b) {
    std::memcpy(&bytes[b * 18], &blocks[b].d, 2);
    std::memcpy(&bytes[b * 18 + 2], blocks[b].qs, 16);
  }
  QuantizedTensor q;
  ASSERT_TRUE(unpackQ4_0(bytes.data(), rows, cols, q));
  EXPECT_EQ(q.scheme.bits, 4u);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      const BlockQ4_0 &blk = blocks[(r * cols + c) / 32];
      int j = c % 32;
      int u = j < 16 ? blk.qs[j] & 0x0F : blk.qs[j - 16] >> 4;
      ASSERT_EQ(u - 8, q.q(r, c));
      // ggml's dequantize_row_q4_0: (u - 8) * d, to the bit.
      ASSERT_EQ(float(u - 8) * float(halfOf(blk.d)), q.dequantized(r, c));
    }
  QuantizedTensor bad;
  EXPECT_FALSE(unpackQ4_0(bytes.data(), 1, 48, bad));
}

TEST(Q4_0, TilesPackTwoStepsAByteLowNibbleFirst) {
  // 3 rows of 64 (two blocks) in tiles of n0 = 2 channels by k0 = 4: tile t,
  // packed step p, channel i, byte j holds u of column 8p + j (low nibble)
  // and of column 8p + 4 + j (high); the padding row holds u = 8 twice.
  const int64_t rows = 3, cols = 64, n0 = 2, k0 = 4;
  std::vector<float> x = randomValues(rows * cols, 11);
  QuantizedTensor q;
  ASSERT_TRUE(quantize(x.data(), rows, cols, q4_0Scheme(), q));
  TiledTensor t;
  ASSERT_TRUE(tile(q, n0, k0, t));
  ASSERT_EQ(t.rowTiles, 2);
  ASSERT_EQ(int64_t(t.data.size()), t.rowTiles * cols / 2 * n0);
  for (int64_t r = 0; r < t.rowTiles * n0; ++r)
    for (int64_t p = 0; p < cols / (2 * k0); ++p)
      for (int64_t j = 0; j < k0; ++j) {
        uint8_t byte = uint8_t(t.data[((r / n0 * (cols / k0 / 2) + p) * n0 + r % n0) * k0 + j]);
        int low = r < rows ? q.q(r, 2 * p * k0 + j) + 8 : 8;
        int high = r < rows ? q.q(r, (2 * p + 1) * k0 + j) + 8 : 8;
        ASSERT_EQ(low, byte & 0x0F) << r << " " << p << " " << j;
        ASSERT_EQ(high, byte >> 4) << r << " " << p << " " << j;
      }
  // Scales beside the tiles, 0 for the padding row; a k0 that does not
  // divide the packed steps is refused.
  EXPECT_EQ(q.scales[q.group(2, 32)], t.scales[(1 * t.groups + 1) * n0 + 0]);
  EXPECT_EQ(0.0f, t.scales[(1 * t.groups + 1) * n0 + 1]);
  TiledTensor bad;
  EXPECT_FALSE(tile(q, n0, 48, bad));
}

TEST(Records, FewestGroupsFillingWholeCacheLines) {
  // Q4_0 in tiles of 32 channels: 512 bytes of nibbles and 32 f16 scales a
  // group, 576 bytes, whole lines: one group a record.
  RecordLayout q4 = recordLayout({{512, 1}, {64, 1}}, 64);
  EXPECT_EQ(1, q4.groups);
  EXPECT_EQ(576, q4.bytes);
  EXPECT_EQ((std::vector<int64_t>{0, 512}), q4.offsets);
  // Tiles of 16 (AVX2): 288 bytes a group, two groups a record.
  RecordLayout avx2 = recordLayout({{256, 1}, {32, 1}}, 64);
  EXPECT_EQ(2, avx2.groups);
  EXPECT_EQ(576, avx2.bytes);
  EXPECT_EQ((std::vector<int64_t>{0, 512}), avx2.offsets);
  // Q4_K: byte scales and mins a group, f16 d and dmin a super-block of 8:
  // one super-block a record, data, scales, mins, d, dmin.
  RecordLayout q4k =
      recordLayout({{512, 1}, {32, 1}, {32, 1}, {64, 8}, {64, 8}}, 16);
  EXPECT_EQ(8, q4k.groups);
  EXPECT_EQ(4736, q4k.bytes);
  EXPECT_EQ((std::vector<int64_t>{0, 4096, 4352, 4608, 4672}), q4k.offsets);
  // 144 bytes a group (tiles of 8) want 4 groups for whole lines; 9 groups
  // take none but 1, 3 and 9: the fewest that divide them, unaligned.
  RecordLayout odd = recordLayout({{128, 1}, {16, 1}}, 9);
  EXPECT_EQ(1, odd.groups);
  EXPECT_EQ(144, odd.bytes);
  // No whole super-block in the tile: no layout.
  EXPECT_EQ(0, recordLayout({{512, 1}, {64, 8}}, 4).groups);
}

TEST(Records, InterleaveMatchesAScalarReadingOfTheComponents) {
  // Two tiles of 4 groups: data (6 bytes a group), a per-group part (2), a
  // per-two-groups part (3); each byte names its component, tile and place.
  const int64_t tiles = 2, groups = 4;
  const std::vector<RecordPart> parts = {{6, 1}, {2, 1}, {3, 2}};
  std::vector<std::vector<char>> components(parts.size());
  for (size_t c = 0; c < parts.size(); ++c)
    for (int64_t i = 0;
         i < tiles * groups / parts[c].unitGroups * parts[c].unitBytes; ++i)
      components[c].push_back(char(c * 64 + i));
  RecordLayout layout = recordLayout(parts, groups);
  // Whole lines would take 64 groups: the fewest that divide 4, 2 (19 bytes).
  ASSERT_EQ(2, layout.groups);
  ASSERT_EQ(19, layout.bytes);
  std::vector<char> records =
      interleaveRecords(components, parts, layout, tiles, groups);
  ASSERT_EQ(size_t(tiles * groups / layout.groups * layout.bytes),
            records.size());
  // Byte b of unit u (of its tile) of component c lies in record
  // u * unitGroups / R of the tile, at offset[c] + (u % units a record) *
  // unitBytes + b.
  for (size_t c = 0; c < parts.size(); ++c) {
    const int64_t units = groups / parts[c].unitGroups;
    const int64_t perRecord = layout.groups / parts[c].unitGroups;
    for (int64_t t = 0; t < tiles; ++t)
      for (int64_t u = 0; u < units; ++u)
        for (int64_t b = 0; b < parts[c].unitBytes; ++b) {
          int64_t record = t * (groups / layout.groups) + u / perRecord;
          int64_t at = record * layout.bytes + layout.offsets[c] +
                       (u % perRecord) * parts[c].unitBytes + b;
          ASSERT_EQ(
              components[c][size_t((t * units + u) * parts[c].unitBytes + b)],
              char(records[size_t(at)]))
              << c << " " << t << " " << u << " " << b;
        }
  }
}

TEST(Q4Mins, UnpackedQ4_1AndQ4_KAreGgmlsValuesToTheBit) {
  // Random blocks (sane fp16 d and dmin/m, every other byte random): scale *
  // u + min of each value, as the kernels and the reference take them, is
  // ggml's dequantize_row_q4_1 / q4_K (ggmlDequantize, itself checked
  // against numpy's transcription in test/e2e/ggml-types.test).
  std::mt19937 rng(5);
  for (GgmlFormat type : {GgmlFormat::Q4_1, GgmlFormat::Q4_K}) {
    int64_t values, bytes;
    ASSERT_TRUE(ggmlBlockGeometry(uint32_t(type), values, bytes));
    const int64_t rows = 3, cols = 2 * values;
    std::vector<uint8_t> raw(rows * cols / values * bytes);
    for (uint8_t &b : raw)
      b = uint8_t(rng());
    std::uniform_real_distribution<float> scale(0.001f, 0.1f);
    for (size_t b = 0; b < raw.size(); b += bytes) {
      uint16_t d = floatToFp16(scale(rng)), m = floatToFp16(-scale(rng));
      if (type == GgmlFormat::Q4_K)
        m = floatToFp16(scale(rng)); // dmin: the minimums are -dmin * m
      std::memcpy(&raw[b], &d, 2);
      std::memcpy(&raw[b + 2], &m, 2);
    }
    std::vector<float> ggml(rows * cols);
    ASSERT_TRUE(ggmlDequantize(uint32_t(type), raw.data(), ggml.data(), rows * cols));
    QuantizedTensor q;
    ASSERT_TRUE(unpackGgmlWithMins(uint32_t(type), raw.data(), rows, cols, q));
    EXPECT_TRUE(q.scheme.mins);
    EXPECT_TRUE(q.scheme.f16Scale);
    bool k = type == GgmlFormat::Q4_K;
    EXPECT_EQ(q.scheme.superBlock, k ? 256 : 0);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) {
        ASSERT_GE(q.q(r, c), 0);
        ASSERT_LE(q.q(r, c), 15);
        ASSERT_EQ(bitsOfFloat(ggml[r * cols + c]), bitsOfFloat(q.dequantized(r, c)))
            << int(type) << " at " << r << ", " << c;
        if (!k)
          continue;
        // Q4_K's two levels, as the kernels multiply them: the 6-bit byte
        // times its super-block's fp16 factor is the f32 product, exactly.
        int64_t g = q.group(r, c), s = (r * cols + c) / 256;
        ASSERT_LT(q.subScales[g], 64);
        ASSERT_LT(q.subMins[g], 64);
        ASSERT_EQ(bitsOfFloat(q.scales[g]),
                  bitsOfFloat(float(q.subScales[g]) * fp16ToFloat(q.superScalesF16[s])));
        ASSERT_EQ(bitsOfFloat(q.mins[g]),
                  bitsOfFloat(float(q.subMins[g]) * fp16ToFloat(q.superMinsF16[s])));
      }
    if (k) {
      // Tiled: the bytes beside their channels, a factor per 8 groups.
      const int64_t n0 = 2;
      TiledTensor t;
      ASSERT_TRUE(tile(q, n0, 4, t));
      ASSERT_EQ(t.subScales.size(), size_t(2 * t.groups * n0));
      ASSERT_EQ(t.superScalesF16.size(), size_t(2 * t.groups / 8 * n0));
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t g = 0; g < t.groups; ++g) {
          int64_t at = ((r / n0) * t.groups + g) * n0 + r % n0;
          int64_t sat = ((r / n0) * (t.groups / 8) + g / 8) * n0 + r % n0;
          EXPECT_EQ(t.subScales[at], q.subScales[r * t.groups + g]);
          EXPECT_EQ(t.subMins[at], q.subMins[r * t.groups + g]);
          EXPECT_EQ(t.superScalesF16[sat], q.superScalesF16[r * 2 + g / 8]);
          EXPECT_EQ(t.superMinsF16[sat], q.superMinsF16[r * 2 + g / 8]);
        }
      // The padding channel (row 3 of tile 1) has zero factors.
      EXPECT_EQ(0, t.superScalesF16[(1 * (t.groups / 8)) * n0 + 1]);
      EXPECT_EQ(0, t.subScales[(1 * t.groups) * n0 + 1]);
    }
    QuantizedTensor bad;
    EXPECT_FALSE(unpackGgmlWithMins(uint32_t(type), raw.data(), 1, values / 2, bad));
  }
  QuantizedTensor none;
  EXPECT_FALSE(
      unpackGgmlWithMins(uint32_t(GgmlFormat::Q4_0), nullptr, 1, 32, none));
}

/// `count` GGML blocks of `bytes` each, every byte random but the fp16 d at
/// byte `dAt` of each, kept in a sane range.
static std::vector<uint8_t> randomBlocks(int64_t count, int64_t bytes, int64_t dAt,
                                         uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> raw(count * bytes);
  for (uint8_t &b : raw)
    b = uint8_t(rng());
  std::uniform_real_distribution<float> scale(0.001f, 0.1f);
  for (int64_t b = 0; b < count; ++b) {
    uint16_t d = floatToFp16(scale(rng));
    std::memcpy(&raw[b * bytes + dAt], &d, 2);
  }
  return raw;
}

TEST(IQ4NL, UnpackedIQ4_NLIsGgmlsValuesToTheBitAndTilesAsNibbles) {
  // Random IQ4_NL blocks (a sane fp16 d, random index bytes): d * grid[u]
  // is ggml's dequantize_row_iq4_nl to the bit; every index shows up, and
  // the tiles hold the indices as Q4_0's nibbles (step 2p low, 2p + 1 high).
  const int64_t rows = 3, cols = 128;
  std::vector<uint8_t> raw = randomBlocks(rows * cols / 32, 18, 0, 12);
  std::vector<float> ggml(rows * cols);
  ASSERT_TRUE(ggmlDequantize(uint32_t(GgmlFormat::IQ4_NL), raw.data(),
                             ggml.data(), rows * cols));
  QuantizedTensor q;
  ASSERT_TRUE(unpackIQ4_NL(raw.data(), rows, cols, q));
  EXPECT_EQ(q.scheme.bits, 4u);
  EXPECT_EQ(q.scheme.storage, Storage::U4Grid);
  std::set<int32_t> seen;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      ASSERT_EQ(bitsOfFloat(ggml[r * cols + c]), bitsOfFloat(q.dequantized(r, c)))
          << r << ", " << c;
      seen.insert(q.q(r, c));
    }
  EXPECT_EQ(seen.size(), 16u);
  EXPECT_EQ(*seen.begin(), -127);
  EXPECT_EQ(*seen.rbegin(), 113);

  const int64_t n0 = 2, k0 = 4;
  TiledTensor t;
  ASSERT_TRUE(tile(q, n0, k0, t));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      int64_t kq = c / k0, row = kq / 2;
      uint8_t byte = uint8_t(t.data[(((r / n0) * (cols / k0 / 2) + row) * n0 + r % n0) * k0 + c % k0]);
      uint8_t u = kq % 2 ? byte >> 4 : byte & 0x0F;
      ASSERT_EQ(kIq4nlGrid[u], q.q(r, c)) << r << ", " << c;
    }
}

TEST(Q6K, UnpackedQ6_KIsGgmlsValuesToTheBitAndTilesInThreeRows) {
  // Random Q6_K blocks (a sane fp16 d, every other byte random, so the int8
  // scales take both signs): d * sc * (u - 32) is ggml's dequantize_row_q6_K
  // to the bit, and sc * d is the f32 product the kernels multiply.
  const int64_t rows = 3, cols = 512;
  std::vector<uint8_t> raw = randomBlocks(rows * cols / 256, 210, 208, 11);
  std::vector<float> ggml(rows * cols);
  ASSERT_TRUE(ggmlDequantize(uint32_t(GgmlFormat::Q6_K), raw.data(),
                             ggml.data(), rows * cols));
  QuantizedTensor q;
  ASSERT_TRUE(unpackQ6_K(raw.data(), rows, cols, q));
  EXPECT_EQ(q.scheme.bits, 6u);
  EXPECT_EQ(q.scheme.block, 16);
  EXPECT_EQ(q.scheme.superBlock, 256);
  EXPECT_EQ(q.scheme.offset(), 32);
  bool negative = false;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      ASSERT_GE(q.q(r, c), -32);
      ASSERT_LE(q.q(r, c), 31);
      ASSERT_EQ(bitsOfFloat(ggml[r * cols + c]), bitsOfFloat(q.dequantized(r, c)))
          << r << ", " << c;
      int64_t g = q.group(r, c), s = (r * cols + c) / 256;
      int8_t sc = int8_t(q.subScales[g]);
      negative |= sc < 0;
      ASSERT_EQ(bitsOfFloat(q.scales[g]),
                bitsOfFloat(float(sc) * fp16ToFloat(q.superScalesF16[s])));
    }
  EXPECT_TRUE(negative) << "the random scales should take both signs";

  // The tiles: per four steps (16 columns) two rows of nibbles and one of
  // high bits (step s in bits 2s, 2s + 1); the padding channel holds u = 32.
  const int64_t n0 = 2, k0 = 4, steps = cols / k0;
  TiledTensor t;
  ASSERT_TRUE(tile(q, n0, k0, t));
  ASSERT_EQ(t.rowTiles, 2);
  ASSERT_EQ(int64_t(t.data.size()), t.rowTiles * cols * n0 * 6 / 8);
  const int64_t tileRows = steps / 4 * 3;
  auto byteAt = [&](int64_t tt, int64_t row, int64_t i, int64_t j) {
    return uint8_t(t.data[((tt * tileRows + row) * n0 + i) * k0 + j]);
  };
  for (int64_t r = 0; r < t.rowTiles * n0; ++r)
    for (int64_t step = 0; step < steps; ++step)
      for (int64_t j = 0; j < k0; ++j) {
        int64_t h = step / 4, s = step % 4;
        int u = r < rows ? q.q(r, step * k0 + j) + 32 : 32;
        uint8_t nib = byteAt(r / n0, 3 * h + s / 2, r % n0, j);
        uint8_t hi = byteAt(r / n0, 3 * h + 2, r % n0, j);
        int lo = s % 2 ? nib >> 4 : nib & 0x0F;
        ASSERT_EQ(u, lo | ((hi >> (2 * s)) & 3) << 4) << r << " " << step << " " << j;
      }
  // One super factor per 16 groups, no minimums.
  EXPECT_EQ(t.superScalesF16.size(), size_t(2 * t.groups / 16 * n0));
  EXPECT_TRUE(t.subMins.empty());
  EXPECT_TRUE(t.superMinsF16.empty());
  TiledTensor bad;
  EXPECT_FALSE(tile(q, n0, 48, bad));
  QuantizedTensor short_;
  EXPECT_FALSE(unpackQ6_K(raw.data(), 1, 128, short_));
}

TEST(Q4Mins, Q4_1sRuleAndTheReferenceMatmul) {
  // quantize_row_q4_1_ref's rule: the block's min and (max - min) / 15, u in
  // [0, 15]; the reference matmul adds sa * sum(qa) * min per block, and
  // equals the dot of the dequantized values up to float rounding.
  const int64_t k = 64;
  std::vector<float> w = randomValues(2 * k, 21), x = randomValues(3 * k, 22);
  QuantizedTensor qw, qx;
  ASSERT_TRUE(quantize(w.data(), 2, k, q4MinScheme(true), qw));
  for (int64_t r = 0; r < 2; ++r)
    for (int64_t b = 0; b < k / 32; ++b) {
      const float *blk = &w[r * k + b * 32];
      float lo = *std::min_element(blk, blk + 32), hi = *std::max_element(blk, blk + 32);
      EXPECT_EQ(fp16ToFloat(floatToFp16(lo)), qw.mins[qw.group(r, b * 32)]);
      EXPECT_EQ(fp16ToFloat(floatToFp16((hi - lo) / 15.0f)), qw.scales[qw.group(r, b * 32)]);
      for (int i = 0; i < 32; ++i)
        EXPECT_NEAR(blk[i], qw.dequantized(r, b * 32 + i),
                    (hi - lo) / 15.0f * 0.51f + std::fabs(lo) * 1e-3f);
    }
  Scheme as = Scheme::q8_0();
  as.f16Scale = false;
  as.sums = true;
  ASSERT_TRUE(quantize(x.data(), 3, k, as, qx));
  std::vector<float> y(3 * 2);
  ASSERT_TRUE(referenceMatmul(qx, qw, y.data()));
  for (int64_t m = 0; m < 3; ++m)
    for (int64_t n = 0; n < 2; ++n) {
      double dot = 0, mag = 0;
      for (int64_t i = 0; i < k; ++i) {
        dot += double(qx.dequantized(m, i)) * qw.dequantized(n, i);
        mag += std::fabs(double(qx.dequantized(m, i)) * qw.dequantized(n, i));
      }
      EXPECT_NEAR(dot, y[m * 2 + n], 1e-5 * mag);
    }
}

TEST(Q4_0, FourBitSchemesOtherThanQ4_0AreRefused) {
  std::vector<float> x = randomValues(64, 12);
  QuantizedTensor q;
  Scheme s = q4_0Scheme();
  s.storage = Storage::I8;
  EXPECT_FALSE(quantize(x.data(), 2, 32, s, q));
  s = q4_0Scheme();
  s.granularity = Granularity::PerChannel;
  EXPECT_FALSE(quantize(x.data(), 2, 32, s, q));
  s = q4_0Scheme();
  s.symmetric = false;
  EXPECT_FALSE(quantize(x.data(), 2, 32, s, q));
}

//===----------------------------------------------------------------------===//
// Other granularities and storage
//===----------------------------------------------------------------------===//

/// Absmax quantization of one group, written out directly.
void expectGroup(const float *x, int64_t n, const QuantizedTensor &q,
                 int64_t r, int64_t c0, bool f16) {
  float amax = 0.0f;
  for (int64_t i = 0; i < n; ++i)
    amax = std::max(amax, std::fabs(x[i]));
  float d = amax / 127.0f, id = d ? 1.0f / d : 0.0f;
  float stored = f16 ? float(_Float16(d)) : d;
  ASSERT_EQ(stored, q.scales[q.group(r, c0)]);
  for (int64_t i = 0; i < n; ++i)
    ASSERT_EQ(int(std::round(x[i] * id)), q.q(r, c0 + i)) << r << "," << c0 + i;
}

TEST(Granularity, PerChannelHasOneScalePerRow) {
  const int64_t rows = 5, cols = 172; // stories260K's FFN width
  std::vector<float> x = randomValues(rows * cols, 11);
  Scheme s;
  s.granularity = Granularity::PerChannel;
  s.f16Scale = false;
  QuantizedTensor q;
  ASSERT_TRUE(quantize(x.data(), rows, cols, s, q));
  EXPECT_EQ(size_t(rows), q.scales.size());
  for (int64_t r = 0; r < rows; ++r)
    expectGroup(&x[r * cols], cols, q, r, 0, false);
}

TEST(Granularity, PerTokenHasOneScalePerRow) {
  const int64_t rows = 17, cols = 64;
  std::vector<float> x = randomValues(rows * cols, 12, 4.0f);
  Scheme s;
  s.granularity = Granularity::PerToken;
  QuantizedTensor q;
  ASSERT_TRUE(quantize(x.data(), rows, cols, s, q));
  for (int64_t r = 0; r < rows; ++r)
    expectGroup(&x[r * cols], cols, q, r, 0, true);
}

TEST(Granularity, PerTensorHasOneScale) {
  std::vector<float> x = randomValues(6 * 32, 13);
  Scheme s;
  s.granularity = Granularity::PerTensor;
  s.f16Scale = false;
  QuantizedTensor q;
  ASSERT_TRUE(quantize(x.data(), 6, 32, s, q));
  ASSERT_EQ(1u, q.scales.size());
  expectGroup(x.data(), 6 * 32, q, 0, 0, false);
}

TEST(Granularity, ImpossibleLayoutsAreRefused) {
  std::vector<float> x(48, 1.0f);
  QuantizedTensor q;
  EXPECT_FALSE(quantize(x.data(), 1, 48, Scheme::q8_0(), q)); // 32 does not divide 48
  Scheme axis1;
  axis1.granularity = Granularity::PerChannel;
  axis1.axis = 1;
  EXPECT_FALSE(quantize(x.data(), 1, 48, axis1, q));
  Scheme four = Scheme::q8_0();
  four.bits = 4;
  EXPECT_FALSE(quantize(x.data(), 1, 32, four, q));
}

TEST(Storage, U8Offset128IsQPlus128AndSumsAreOfQ) {
  std::vector<float> x = randomValues(2 * 64, 14);
  Scheme s = Scheme::q8_0();
  QuantizedTensor i8, u8;
  ASSERT_TRUE(quantize(x.data(), 2, 64, s, i8));
  s.storage = Storage::U8Offset128;
  s.sums = true;
  ASSERT_TRUE(quantize(x.data(), 2, 64, s, u8));
  for (size_t i = 0; i < i8.data.size(); ++i)
    ASSERT_EQ(int(i8.data[i]) + 128, int(uint8_t(u8.data[i])));
  for (int64_t g = 0; g < 4; ++g) {
    int32_t sum = 0;
    for (int j = 0; j < 32; ++j)
      sum += i8.data[g * 32 + j];
    EXPECT_EQ(sum, u8.sums[g]);
  }
  restore(u8, Storage::I8);
  EXPECT_EQ(i8.data, u8.data);
}

//===----------------------------------------------------------------------===//
// Asymmetric activations
//===----------------------------------------------------------------------===//

TEST(Asymmetric, RangeWithZeroMapsOntoPlusMinus127) {
  // [-1, 3] in one block: d = 4 / 254, id = 63.5, z = round(-127 + 63.5) =
  // -64 (half away from zero); -1 -> round(-63.5) - 64 = -128, clamped to
  // -127; 0 -> z exactly; 3 -> round(190.5) - 64 = 127.
  std::vector<float> x(32, 0.0f);
  x[0] = -1.0f;
  x[1] = 3.0f;
  x[2] = 0.5f;
  Scheme s = Scheme::q8_0();
  s.symmetric = false;
  s.f16Scale = false;
  QuantizedTensor q;
  ASSERT_TRUE(quantize(x.data(), 1, 32, s, q));
  EXPECT_FLOAT_EQ(q.scales[0], 4.0f / 254.0f);
  ASSERT_EQ(q.zeroPoints.size(), 1u);
  EXPECT_EQ(q.zeroPoints[0], -64);
  EXPECT_EQ(q.q(0, 0), -127);
  EXPECT_EQ(q.q(0, 1), 127);
  EXPECT_EQ(q.q(0, 2), int(std::round(0.5f * 63.5f)) - 64); // 32 - 64
  EXPECT_EQ(q.q(0, 3), -64);
  EXPECT_EQ(q.dequantized(0, 3), 0.0f);
  for (int64_t i = 0; i < 32; ++i)
    EXPECT_LE(std::fabs(q.dequantized(0, i) - x[i]), q.scales[0]);
}

TEST(Asymmetric, OneSidedBlocksHalveTheStep) {
  // All values >= 0: lo = 0, z = -127, and the step is amax / 254, half of
  // absmax's amax / 127; so is the error.
  std::vector<float> x = randomValues(4 * 64, 21);
  for (float &v : x)
    v = std::fabs(v);
  Scheme sym = Scheme::q8_0(), asym = Scheme::q8_0();
  sym.f16Scale = asym.f16Scale = false;
  asym.symmetric = false;
  QuantizedTensor qs, qa;
  ASSERT_TRUE(quantize(x.data(), 4, 64, sym, qs));
  ASSERT_TRUE(quantize(x.data(), 4, 64, asym, qa));
  double errSym = 0, errAsym = 0;
  for (int64_t g = 0; g < 8; ++g) {
    EXPECT_EQ(qa.zeroPoints[g], -127);
    EXPECT_FLOAT_EQ(qa.scales[g], qs.scales[g] / 2);
  }
  for (int64_t r = 0; r < 4; ++r)
    for (int64_t c = 0; c < 64; ++c) {
      errSym += std::fabs(qs.dequantized(r, c) - x[r * 64 + c]);
      errAsym += std::fabs(qa.dequantized(r, c) - x[r * 64 + c]);
    }
  EXPECT_LT(errAsym, 0.6 * errSym);
}

TEST(Asymmetric, WeightSumsAreOfQPerGroup) {
  std::vector<float> w = randomValues(3 * 64, 22);
  Scheme s = Scheme::q8_0();
  s.storage = Storage::U8Offset128;
  QuantizedTensor q;
  ASSERT_TRUE(quantize(w.data(), 3, 64, s, q));
  computeSums(q);
  ASSERT_EQ(q.sums.size(), 6u);
  for (int64_t r = 0; r < 3; ++r)
    for (int64_t g = 0; g < 2; ++g) {
      int32_t sum = 0;
      for (int64_t c = g * 32; c < g * 32 + 32; ++c)
        sum += int32_t(uint8_t(q.data[r * 64 + c])) - 128;
      EXPECT_EQ(sum, q.sums[r * 2 + g]);
    }
}

//===----------------------------------------------------------------------===//
// The quantized matmul reference
//===----------------------------------------------------------------------===//

TEST(ReferenceMatmul, EqualsTheDotOfDequantizedValues) {
  const int64_t m = 3, n = 4, k = 128;
  std::vector<float> a = randomValues(m * k, 15), w = randomValues(n * k, 16);
  Scheme act = Scheme::q8_0();
  act.f16Scale = false;
  for (float &v : a)
    v += 0.7f; // blocks that asymmetric activations see as skewed
  for (bool symmetric : {true, false}) {
    for (Storage storage : {Storage::I8, Storage::U8Offset128}) {
      act.symmetric = symmetric;
      Scheme ws = Scheme::q8_0();
      ws.storage = storage;
      QuantizedTensor qa, qw;
      ASSERT_TRUE(quantize(a.data(), m, k, act, qa));
      ASSERT_TRUE(quantize(w.data(), n, k, ws, qw));
      std::vector<float> y(m * n);
      ASSERT_TRUE(referenceMatmul(qa, qw, y.data()));
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
          double dot = 0, mag = 0;
          for (int64_t p = 0; p < k; ++p) {
            double t = double(qa.dequantized(i, p)) * qw.dequantized(j, p);
            dot += t;
            mag += std::fabs(t);
          }
          EXPECT_NEAR(dot, y[i * n + j], 1e-6 * mag + 1e-12);
        }
    }
  }
}

//===- Quant.cpp - Quantization formulas ------------------------*- C++ -*-===//
//
// See include/qnt/Math/Quant.h for the maths.
//
//===----------------------------------------------------------------------===//

#include "qnt/Math/Quant.h"
#include "qnt/Math/Records.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

namespace qnt::math {

//===----------------------------------------------------------------------===//
// Scalar conversions
//===----------------------------------------------------------------------===//

static uint32_t bitsOf(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof(u));
  return u;
}

static float floatOf(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof(f));
  return f;
}

float fp16ToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t man = h & 0x3ff;
  if (exp == 0x1f) // inf or nan
    return floatOf(sign | 0x7f800000u | (man << 13));
  if (exp == 0) {
    if (man == 0)
      return floatOf(sign);
    // Subnormal: value = man * 2^-24.
    float v = std::ldexp(float(man), -24);
    return sign ? -v : v;
  }
  return floatOf(sign | ((exp + 112) << 23) | (man << 13));
}

uint16_t floatToFp16(float f) {
  uint32_t u = bitsOf(f);
  uint16_t sign = uint16_t((u >> 16) & 0x8000);
  uint32_t absu = u & 0x7fffffffu;
  if (absu >= 0x7f800000u) // inf or nan
    return sign | 0x7c00 | (absu > 0x7f800000u ? 0x200 : 0);
  if (absu >= 0x477ff000u) // rounds to >= 65520: overflow to infinity
    return sign | 0x7c00;
  if (absu < 0x38800000u) {
    // Result is subnormal (or zero): value / 2^-24 rounded to nearest even.
    float a = floatOf(absu);
    float m = std::nearbyint(a * 16777216.0f); // exact scaling by 2^24
    return sign | uint16_t(m);
  }
  // Normal: drop 13 mantissa bits with round to nearest even.
  uint32_t rounded = absu + 0xfffu + ((absu >> 13) & 1u);
  return sign | uint16_t((rounded - 0x38000000u) >> 13);
}

float bf16ToFloat(uint16_t h) { return floatOf(uint32_t(h) << 16); }

float storedScale(float d, const Scheme &s) {
  return s.f16Scale ? fp16ToFloat(floatToFp16(d)) : d;
}

float roundValue(float x, Rounding r) {
  // roundf is half away from zero; nearbyintf under the default rounding mode
  // is half to even.
  return r == Rounding::HalfAwayFromZero ? std::round(x) : std::nearbyint(x);
}

//===----------------------------------------------------------------------===//
// Layout
//===----------------------------------------------------------------------===//

bool scaleLayout(const Scheme &s, int64_t rows, int64_t cols,
                 ScaleLayout &out) {
  if (rows <= 0 || cols <= 0)
    return false;
  out = ScaleLayout();
  switch (s.granularity) {
  case Granularity::PerTensor:
    out.groupCols = cols;
    return true;
  case Granularity::PerChannel:
    if (s.axis != 0)
      return false;
    [[fallthrough]];
  case Granularity::PerToken:
    out.rowsVary = true;
    out.scaleRows = rows;
    out.groupCols = cols;
    return true;
  case Granularity::PerBlock:
    if (s.block <= 0 || cols % s.block != 0 ||
        (s.superBlock && (s.superBlock % s.block != 0 || cols % s.superBlock != 0)))
      return false;
    out.rowsVary = true;
    out.scaleRows = rows;
    out.scaleCols = cols / s.block;
    out.groupCols = s.block;
    return true;
  }
  return false;
}

int64_t QuantizedTensor::group(int64_t r, int64_t c) const {
  return (layout.rowsVary ? r : 0) * layout.scaleCols + c / layout.groupCols;
}

int32_t QuantizedTensor::q(int64_t r, int64_t c) const {
  int8_t v = data[r * cols + c];
  if (scheme.storage == Storage::U4Grid)
    return kIq4nlGrid[uint8_t(v) & 0x0F];
  if (scheme.storage != Storage::I8)
    return int32_t(uint8_t(v)) - scheme.offset();
  return v;
}

int32_t QuantizedTensor::zeroPoint(int64_t r, int64_t c) const {
  return zeroPoints.empty() ? 0 : zeroPoints[group(r, c)];
}

float QuantizedTensor::dequantized(int64_t r, int64_t c) const {
  if (scheme.mins)
    return scales[group(r, c)] * float(q(r, c)) + mins[group(r, c)];
  return scales[group(r, c)] * float(q(r, c) - zeroPoint(r, c));
}

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

float quantizeGroup(const float *x, int64_t n, const Scheme &s, int8_t *q) {
  float amax = 0.0f;
  for (int64_t i = 0; i < n; ++i)
    amax = std::max(amax, std::fabs(x[i]));
  const float d = amax / float(s.qmax());
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  for (int64_t i = 0; i < n; ++i)
    q[i] = int8_t(roundValue(x[i] * id, s.rounding));
  return d;
}

float quantizeGroupQ4_0(const float *x, int64_t n, int8_t *q) {
  float amax = 0.0f, max = 0.0f;
  for (int64_t i = 0; i < n; ++i)
    if (std::fabs(x[i]) > amax) {
      amax = std::fabs(x[i]);
      max = x[i];
    }
  const float d = max / -8.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  for (int64_t i = 0; i < n; ++i)
    q[i] = int8_t(std::min(15, int(int8_t(x[i] * id + 8.5f))) - 8);
  return d;
}

float quantizeGroupQ4_1(const float *x, int64_t n, int8_t *u, float &m) {
  float min = x[0], max = x[0];
  for (int64_t i = 1; i < n; ++i) {
    min = std::min(min, x[i]);
    max = std::max(max, x[i]);
  }
  const float d = (max - min) / 15.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  for (int64_t i = 0; i < n; ++i)
    u[i] = int8_t(std::min(15, int(int8_t((x[i] - min) * id + 0.5f))));
  m = min;
  return d;
}

float quantizeGroupAsymmetric(const float *x, int64_t n, const Scheme &s,
                              int8_t *q, int32_t &z) {
  float lo = 0.0f, hi = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  const float qmax = float(s.qmax());
  const float d = (hi - lo) / (2.0f * qmax);
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  const float zf = roundValue(-qmax - lo * id, s.rounding);
  z = int32_t(zf);
  for (int64_t i = 0; i < n; ++i)
    q[i] = int8_t(std::min(std::max(roundValue(x[i] * id, s.rounding) + zf, -qmax),
                           qmax));
  return d;
}

void computeSums(QuantizedTensor &t) {
  t.scheme.sums = true;
  if (int64_t sb = t.scheme.sumsBlock) {
    // Row-major [rows, cols / sumsBlock] (per-block activations).
    int64_t perRow = (t.cols + sb - 1) / sb;
    t.sums.assign(size_t(t.rows * perRow), 0);
    for (int64_t r = 0; r < t.rows; ++r)
      for (int64_t c = 0; c < t.cols; ++c)
        t.sums[size_t(r * perRow + c / sb)] += t.q(r, c);
    return;
  }
  t.sums.assign(size_t(t.layout.scaleRows * t.layout.scaleCols), 0);
  for (int64_t r = 0; r < t.rows; ++r)
    for (int64_t c = 0; c < t.cols; ++c)
      t.sums[t.group(r, c)] += t.q(r, c);
}

/// Stores q into t.data at [offset, offset + n) in t's storage form.
static void storeGroup(QuantizedTensor &t, int64_t offset, const int8_t *q,
                       int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    t.data[offset + i] = int8_t(uint8_t(int32_t(q[i]) + t.scheme.offset()));
}

void quantizeGroupWithScale(const float *x, int64_t n, float d, const Scheme &s,
                            int8_t *q) {
  const float id = 1.0f / d, qmax = float(s.qmax());
  for (int64_t i = 0; i < n; ++i)
    q[i] = int8_t(roundValue(std::min(std::max(x[i] * id, -qmax), qmax), s.rounding));
}

float percentileOf(std::vector<float> &magnitudes, double p) {
  if (magnitudes.empty())
    return 0.0f;
  size_t n = magnitudes.size();
  size_t rank = size_t(std::ceil(p / 100.0 * double(n)));
  rank = std::min(std::max(rank, size_t(1)), n);
  std::nth_element(magnitudes.begin(), magnitudes.begin() + (rank - 1),
                   magnitudes.end());
  return magnitudes[rank - 1];
}

float staticScale(float clip, float fallback, const Scheme &s) {
  float c = clip > 0.0f ? clip : (fallback > 0.0f ? fallback : 1.0f);
  return c / float(s.qmax());
}

bool quantize(const float *x, int64_t rows, int64_t cols, const Scheme &s,
              QuantizedTensor &out, const float *staticScales) {
  bool q4 = s.bits == 4;
  bool u4 = s.storage == Storage::U4Offset8 || s.storage == Storage::U4;
  if ((s.bits != 8 && !q4) || (!s.symmetric && staticScales) || q4 != u4 ||
      s.mins != (s.storage == Storage::U4) ||
      (q4 && (!s.symmetric || s.granularity != Granularity::PerBlock ||
              staticScales)) ||
      s.superBlock != 0) // two levels arrive from GGML blocks only
    return false;
  ScaleLayout layout;
  if (!scaleLayout(s, rows, cols, layout))
    return false;
  out = QuantizedTensor();
  out.rows = rows;
  out.cols = cols;
  out.scheme = s;
  out.layout = layout;
  out.data.resize(rows * cols);
  int64_t numScales = layout.scaleRows * layout.scaleCols;
  out.scales.resize(numScales);
  if (s.f16Scale)
    out.scalesF16.resize(numScales);
  if (!s.symmetric)
    out.zeroPoints.resize(numScales);
  if (s.mins) {
    out.mins.resize(numScales);
    if (s.f16Scale)
      out.minsF16.resize(numScales);
  }

  // A group is a contiguous run of the row-major data, except per-tensor
  // whose one group is everything: also contiguous.
  int64_t groupSize = layout.rowsVary ? layout.groupCols : rows * cols;
  std::vector<int8_t> q(groupSize);
  for (int64_t g = 0; g < numScales; ++g) {
    const float *src = x + g * groupSize;
    float d;
    if (staticScales) {
      d = staticScales[g % layout.scaleCols];
      quantizeGroupWithScale(src, groupSize, d, s, q.data());
    } else if (s.mins) {
      float m;
      d = quantizeGroupQ4_1(src, groupSize, q.data(), m);
      if (s.f16Scale)
        out.minsF16[g] = floatToFp16(m);
      out.mins[g] = storedScale(m, s);
    } else if (q4) {
      d = quantizeGroupQ4_0(src, groupSize, q.data());
    } else if (!s.symmetric) {
      d = quantizeGroupAsymmetric(src, groupSize, s, q.data(), out.zeroPoints[g]);
    } else {
      d = quantizeGroup(src, groupSize, s, q.data());
    }
    if (s.f16Scale)
      out.scalesF16[g] = floatToFp16(d);
    out.scales[g] = storedScale(d, s);
    storeGroup(out, g * groupSize, q.data(), groupSize);
  }
  if (s.sums)
    computeSums(out);
  return true;
}

void toggleOffset128(int8_t *data, size_t n) {
  for (size_t i = 0; i < n; ++i)
    data[i] = int8_t(uint8_t(data[i]) ^ 0x80u);
}

void restore(QuantizedTensor &t, Storage storage) {
  if (t.scheme.storage == storage)
    return;
  toggleOffset128(t.data.data(), t.data.size());
  t.scheme.storage = storage;
}

//===----------------------------------------------------------------------===//
// Tiled layout
//===----------------------------------------------------------------------===//

std::vector<float> padColumns(const float *x, int64_t rows, int64_t cols,
                              int64_t paddedCols) {
  std::vector<float> out(rows * paddedCols, 0.0f);
  for (int64_t r = 0; r < rows; ++r)
    std::copy(x + r * cols, x + (r + 1) * cols, out.begin() + r * paddedCols);
  return out;
}

bool padColumns(QuantizedTensor &q, int64_t paddedCols) {
  if (paddedCols == q.cols)
    return true;
  const Scheme &s = q.scheme;
  if (paddedCols < q.cols ||
      (s.granularity == Granularity::PerBlock &&
       paddedCols % (s.superBlock ? s.superBlock : s.block) != 0) ||
      s.granularity == Granularity::PerTensor)
    return false;
  ScaleLayout layout;
  if (!scaleLayout(s, q.rows, paddedCols, layout))
    return false;
  int8_t zero = int8_t(uint8_t(s.offset()));
  std::vector<int8_t> data(q.rows * paddedCols, zero);
  for (int64_t r = 0; r < q.rows; ++r)
    std::copy(q.data.begin() + r * q.cols, q.data.begin() + (r + 1) * q.cols,
              data.begin() + r * paddedCols);
  auto widen = [&](auto &v) {
    using T = typename std::decay_t<decltype(v)>::value_type;
    if (v.empty())
      return;
    std::vector<T> out(layout.scaleRows * layout.scaleCols, T(0));
    for (int64_t r = 0; r < layout.scaleRows; ++r)
      std::copy(v.begin() + r * q.layout.scaleCols,
                v.begin() + (r + 1) * q.layout.scaleCols,
                out.begin() + r * layout.scaleCols);
    v = std::move(out);
  };
  widen(q.scales);
  widen(q.scalesF16);
  widen(q.sums);
  widen(q.zeroPoints);
  widen(q.mins);
  widen(q.minsF16);
  widen(q.subScales);
  widen(q.subMins);
  // The super factors: a row's groups / superRatio of them, whole.
  const int64_t ratio = s.superRatio();
  auto widenSuper = [&](auto &v) {
    using T = typename std::decay_t<decltype(v)>::value_type;
    if (v.empty())
      return;
    int64_t from = q.layout.scaleCols / ratio, to = layout.scaleCols / ratio;
    std::vector<T> out(layout.scaleRows * to, T(0));
    for (int64_t r = 0; r < layout.scaleRows; ++r)
      std::copy(v.begin() + r * from, v.begin() + (r + 1) * from,
                out.begin() + r * to);
    v = std::move(out);
  };
  widenSuper(q.superScales);
  widenSuper(q.superScalesF16);
  widenSuper(q.superMins);
  widenSuper(q.superMinsF16);
  q.data = std::move(data);
  q.cols = paddedCols;
  q.layout = layout;
  return true;
}

std::vector<int8_t> packRowNibbles(const QuantizedTensor &q) {
  std::vector<int8_t> out(q.data.size() / 2);
  for (size_t j = 0; j < out.size(); ++j)
    out[j] = int8_t((uint8_t(q.data[2 * j]) & 0x0F) |
                    (uint8_t(q.data[2 * j + 1]) & 0x0F) << 4);
  return out;
}

std::vector<char>
interleaveRecords(const std::vector<std::vector<char>> &components,
                  const std::vector<RecordPart> &parts,
                  const RecordLayout &layout, int64_t tiles, int64_t groups) {
  const int64_t records = groups / layout.groups;
  std::vector<char> out(size_t(tiles * records * layout.bytes), 0);
  for (size_t c = 0; c < parts.size(); ++c) {
    const RecordPart &p = parts[c];
    // A tile's units of this part, and the units a record takes.
    const int64_t tileUnits = groups / p.unitGroups;
    const int64_t recordUnits = layout.groups / p.unitGroups;
    const int64_t span = recordUnits * p.unitBytes;
    for (int64_t t = 0; t < tiles; ++t)
      for (int64_t r = 0; r < records; ++r)
        std::memcpy(
            &out[size_t((t * records + r) * layout.bytes + layout.offsets[c])],
            &components[c][size_t((t * tileUnits + r * recordUnits) *
                                  p.unitBytes)],
            size_t(span));
  }
  return out;
}

bool tile(const QuantizedTensor &q, int64_t n0, int64_t k0, TiledTensor &out) {
  const Scheme &s = q.scheme;
  bool perChannel = s.granularity == Granularity::PerChannel && s.axis == 0;
  // Values per byte: 4-bit data packs the steps 2p and 2p + 1 into one;
  // 6-bit data takes three rows for four steps.
  const int64_t pack = s.bits == 4 ? 2 : 1;
  const bool six = s.bits == 6;
  if (n0 <= 0 || k0 <= 0 || q.cols % ((six ? 4 : pack) * k0) != 0 ||
      !(perChannel || s.granularity == Granularity::PerBlock))
    return false;
  out = TiledTensor();
  out.rows = q.rows;
  out.cols = q.cols;
  out.n0 = n0;
  out.k0 = k0;
  out.rowTiles = (q.rows + n0 - 1) / n0;
  out.groups = q.layout.scaleCols;
  uint8_t zero = uint8_t(s.offset());
  if (pack == 2)
    zero = uint8_t(zero | zero << 4);
  if (six) // u = 32: the low nibbles 0, the high bits 2
    zero = 0;
  out.data.assign(out.rowTiles * q.cols * n0 * (six ? 6 : 8 / pack) / 8, int8_t(zero));
  // Rows of a tile, of n0 * k0 bytes.
  const int64_t tileRows = q.cols / k0 * (six ? 3 : 1) / (six ? 4 : pack);
  if (six)
    for (int64_t t = 0; t < out.rowTiles; ++t)
      for (int64_t h = 0; h < tileRows / 3; ++h)
        std::fill_n(out.data.begin() + ((t * tileRows + 3 * h + 2) * n0) * k0,
                    n0 * k0, int8_t(0xAA)); // 2 in each of the four steps
  int64_t numScales = out.rowTiles * out.groups * n0;
  out.scales.assign(numScales, 0.0f);
  if (s.f16Scale && !s.superBlock)
    out.scalesF16.assign(numScales, 0);
  if (s.sums)
    out.sums.assign(numScales, 0);
  if (s.mins) {
    out.mins.assign(numScales, 0.0f);
    if (s.f16Scale && !s.superBlock)
      out.minsF16.assign(numScales, 0);
  }
  const int64_t ratio = s.superRatio();
  if (s.superBlock) {
    if (out.groups % ratio != 0)
      return false;
    out.subScales.assign(numScales, 0);
    int64_t numSupers = numScales / ratio;
    if (s.f16Scale)
      out.superScalesF16.assign(numSupers, 0);
    else
      out.superScales.assign(numSupers, 0.0f);
    if (s.mins) {
      out.subMins.assign(numScales, 0);
      if (s.f16Scale)
        out.superMinsF16.assign(numSupers, 0);
      else
        out.superMins.assign(numSupers, 0.0f);
    }
  }
  for (int64_t r = 0; r < q.rows; ++r) {
    int64_t t = r / n0, i = r % n0;
    // 8-bit data: each step's k0 bytes are contiguous in both layouts.
    for (int64_t step = 0; !six && pack == 1 && step < q.cols / k0; ++step)
      std::memcpy(&out.data[((t * tileRows + step) * n0 + i) * k0],
                  &q.data[r * q.cols + step * k0], size_t(k0));
    // 4-bit data: the byte of steps 2p and 2p + 1, step 2p's nibble low.
    for (int64_t p = 0; !six && pack == 2 && p < q.cols / k0 / 2; ++p) {
      auto *dst = reinterpret_cast<uint8_t *>(
          &out.data[((t * tileRows + p) * n0 + i) * k0]);
      const int8_t *lo = &q.data[r * q.cols + 2 * p * k0], *hi = lo + k0;
      for (int64_t j = 0; j < k0; ++j)
        dst[j] = uint8_t((uint8_t(lo[j]) & 0x0F) | (uint8_t(hi[j]) & 0x0F) << 4);
    }
    // 6-bit data: steps 4h + s, nibbles in rows 3h + s / 2, high bits in
    // row 3h + 2.
    for (int64_t c = 0; six && c < q.cols; ++c) {
      int64_t step = c / k0, j = c % k0;
      auto byteAt = [&](int64_t row) -> uint8_t & {
        return reinterpret_cast<uint8_t &>(
            out.data[((t * tileRows + row) * n0 + i) * k0 + j]);
      };
      uint8_t u = uint8_t(q.data[r * q.cols + c]) & 0x3F;
      int64_t h = step / 4, st = step % 4;
      uint8_t &lo = byteAt(3 * h + st / 2), &hi = byteAt(3 * h + 2);
      lo = st % 2 ? uint8_t((lo & 0x0F) | (u & 0x0F) << 4)
                  : uint8_t((lo & 0xF0) | (u & 0x0F));
      hi = uint8_t((hi & ~(3 << 2 * st)) | (u >> 4) << 2 * st);
    }
    for (int64_t g = 0; g < out.groups; ++g) {
      int64_t from = r * q.layout.scaleCols + g, to = (t * out.groups + g) * n0 + i;
      out.scales[to] = q.scales[from];
      if (s.f16Scale && !s.superBlock)
        out.scalesF16[to] = q.scalesF16[from];
      if (s.sums)
        out.sums[to] = q.sums[from];
      if (s.mins) {
        out.mins[to] = q.mins[from];
        if (s.f16Scale && !s.superBlock)
          out.minsF16[to] = q.minsF16[from];
      }
      if (s.superBlock) {
        out.subScales[to] = q.subScales[from];
        if (s.mins)
          out.subMins[to] = q.subMins[from];
      }
    }
    for (int64_t g = 0; s.superBlock && g < out.groups / ratio; ++g) {
      int64_t from = r * (q.layout.scaleCols / ratio) + g;
      int64_t to = (t * (out.groups / ratio) + g) * n0 + i;
      if (s.f16Scale)
        out.superScalesF16[to] = q.superScalesF16[from];
      else
        out.superScales[to] = q.superScales[from];
      if (s.mins && s.f16Scale)
        out.superMinsF16[to] = q.superMinsF16[from];
      else if (s.mins)
        out.superMins[to] = q.superMins[from];
    }
  }
  return true;
}

//===----------------------------------------------------------------------===//
// GGML block formats
//===----------------------------------------------------------------------===//

Scheme q4_0Scheme() {
  Scheme s;
  s.bits = 4;
  s.storage = Storage::U4Offset8;
  return s;
}

Scheme iq4nlScheme() {
  Scheme s;
  s.bits = 4;
  s.storage = Storage::U4Grid;
  return s;
}

Scheme q4KScheme() {
  Scheme s = q4MinScheme(/*f16=*/true);
  s.superBlock = 256;
  return s;
}

Scheme q6KScheme() {
  Scheme s;
  s.bits = 6;
  s.block = 16;
  s.storage = Storage::U6Offset32;
  s.superBlock = 256;
  return s;
}

Scheme q4MinScheme(bool f16) {
  Scheme s;
  s.bits = 4;
  s.storage = Storage::U4;
  s.mins = true;
  s.f16Scale = f16;
  return s;
}

/// Unpacks GGML blocks of 32 values led by an fp16 scale into `out`, of
/// scheme `s`: `values(block, q)` gives a block's 32 values q (signed, or
/// the nibbles u of a 4-bit scheme as they are stored).
template <typename Values>
static bool unpackScaledBlocks(const uint8_t *blocks, int64_t rows,
                               int64_t cols, const Scheme &s,
                               int64_t blockBytes, QuantizedTensor &out,
                               Values values) {
  if (rows <= 0 || cols <= 0 || cols % kQ8_0BlockSize != 0)
    return false;
  out = QuantizedTensor();
  out.rows = rows;
  out.cols = cols;
  out.scheme = s;
  scaleLayout(out.scheme, rows, cols, out.layout);
  int64_t numBlocks = rows * (cols / kQ8_0BlockSize);
  out.data.resize(rows * cols);
  out.scales.resize(numBlocks);
  out.scalesF16.resize(numBlocks);
  for (int64_t b = 0; b < numBlocks; ++b) {
    const uint8_t *blk = blocks + b * blockBytes;
    uint16_t h = uint16_t(blk[0] | (blk[1] << 8)); // little-endian fp16
    out.scalesF16[b] = h;
    out.scales[b] = fp16ToFloat(h);
    int8_t q[kQ8_0BlockSize];
    values(blk, q);
    if (s.bits == 4)
      std::copy(q, q + kQ8_0BlockSize, out.data.begin() + b * kQ8_0BlockSize);
    else
      storeGroup(out, b * kQ8_0BlockSize, q, kQ8_0BlockSize);
  }
  return true;
}

/// The 32 nibbles of a Q4_0 or IQ4_NL block (after its fp16 d): value j in
/// the low nibble of byte j, value j + 16 in its high nibble.
static void blockNibbles(const uint8_t *blk, int8_t *u) {
  for (int64_t j = 0; j < 16; ++j) {
    u[j] = int8_t(blk[2 + j] & 0x0F);
    u[j + 16] = int8_t(blk[2 + j] >> 4);
  }
}

bool unpackQ4_0(const uint8_t *blocks, int64_t rows, int64_t cols,
                QuantizedTensor &out) {
  return unpackScaledBlocks(blocks, rows, cols, q4_0Scheme(), kQ4_0BlockBytes,
                            out, blockNibbles);
}

bool unpackIQ4_NL(const uint8_t *blocks, int64_t rows, int64_t cols,
                  QuantizedTensor &out) {
  return unpackScaledBlocks(blocks, rows, cols, iq4nlScheme(), kQ4_0BlockBytes,
                            out, blockNibbles);
}

bool unpackQ8_0(const uint8_t *blocks, int64_t rows, int64_t cols,
                Storage storage, QuantizedTensor &out) {
  Scheme s = Scheme::q8_0();
  s.storage = storage;
  return unpackScaledBlocks(blocks, rows, cols, s, kQ8_0BlockBytes, out,
                            [](const uint8_t *blk, int8_t *q) {
                              std::memcpy(q, blk + 2, kQ8_0BlockSize);
                            });
}

//===----------------------------------------------------------------------===//
// References
//===----------------------------------------------------------------------===//

bool referenceMatmul(const QuantizedTensor &a, const QuantizedTensor &w,
                     float *y) {
  if (a.cols != w.cols)
    return false;
  const int64_t k = a.cols;
  const int64_t group = std::min(a.layout.groupCols, w.layout.groupCols);
  if (a.layout.groupCols % group != 0 || w.layout.groupCols % group != 0)
    return false;
  for (int64_t m = 0; m < a.rows; ++m) {
    for (int64_t n = 0; n < w.rows; ++n) {
      float acc = 0.0f;
      for (int64_t k0 = 0; k0 < k; k0 += group) {
        int32_t idot = 0, za = a.zeroPoint(m, k0), asum = 0;
        for (int64_t i = k0; i < k0 + group; ++i) {
          idot += (a.q(m, i) - za) * w.q(n, i);
          asum += a.q(m, i) - za;
        }
        float sa = a.scales[a.group(m, k0)];
        acc += float(idot) * (sa * w.scales[w.group(n, k0)]);
        // x = scale * u + min: the minimum times the activations' sum (in
        // the kernels' order: sa * sum first, then the minimum).
        if (w.scheme.mins)
          acc += (sa * float(asum)) * w.mins[w.group(n, k0)];
      }
      y[m * w.rows + n] = acc;
    }
  }
  return true;
}

void referenceLinear(const float *x, const float *w, int64_t m, int64_t n,
                     int64_t k, float *y) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0.0;
      for (int64_t p = 0; p < k; ++p)
        acc += double(x[i * k + p]) * double(w[j * k + p]);
      y[i * n + j] = float(acc);
    }
}

} // namespace qnt::math

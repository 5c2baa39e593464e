//===- Ggml.cpp - GGML's dequantize_row_*, transcribed --------------------===//
//
// Each function follows ggml's reference dequantizer of its format: the same
// f32 operations in the same order (this file is compiled without floating
// point contraction, so a*b - c stays two roundings, as in ggml's C).
//
//===----------------------------------------------------------------------===//

#include "qnt/Math/Ggml.h"
#include "qnt/Math/Quant.h"

#include <cstring>

namespace qnt::math {

namespace {

constexpr int64_t QK = 32;   // values per block of the 32-formats
constexpr int64_t QK_K = 256; // values per super-block of the K-quants

float half(const uint8_t *p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return fp16ToFloat(h);
}

void q4_0(const uint8_t *x, float *y) { // {d, qs[16]}
  const float d = half(x);
  const uint8_t *qs = x + 2;
  for (int j = 0; j < QK / 2; ++j) {
    const int x0 = (qs[j] & 0x0F) - 8;
    const int x1 = (qs[j] >> 4) - 8;
    y[j] = float(x0) * d;
    y[j + QK / 2] = float(x1) * d;
  }
}

void q4_1(const uint8_t *x, float *y) { // {d, m, qs[16]}
  const float d = half(x), m = half(x + 2);
  const uint8_t *qs = x + 4;
  for (int j = 0; j < QK / 2; ++j) {
    const int x0 = qs[j] & 0x0F;
    const int x1 = qs[j] >> 4;
    y[j] = float(x0) * d + m;
    y[j + QK / 2] = float(x1) * d + m;
  }
}

void q5_0(const uint8_t *x, float *y) { // {d, qh[4], qs[16]}
  const float d = half(x);
  uint32_t qh;
  std::memcpy(&qh, x + 2, 4);
  const uint8_t *qs = x + 6;
  for (int j = 0; j < QK / 2; ++j) {
    const uint8_t xh0 = ((qh >> (j + 0)) << 4) & 0x10;
    const uint8_t xh1 = ((qh >> (j + 12))) & 0x10;
    const int32_t x0 = ((qs[j] & 0x0F) | xh0) - 16;
    const int32_t x1 = ((qs[j] >> 4) | xh1) - 16;
    y[j] = float(x0) * d;
    y[j + QK / 2] = float(x1) * d;
  }
}

void q5_1(const uint8_t *x, float *y) { // {d, m, qh[4], qs[16]}
  const float d = half(x), m = half(x + 2);
  uint32_t qh;
  std::memcpy(&qh, x + 4, 4);
  const uint8_t *qs = x + 8;
  for (int j = 0; j < QK / 2; ++j) {
    const uint8_t xh0 = ((qh >> (j + 0)) << 4) & 0x10;
    const uint8_t xh1 = ((qh >> (j + 12))) & 0x10;
    const int x0 = (qs[j] & 0x0F) | xh0;
    const int x1 = (qs[j] >> 4) | xh1;
    y[j] = float(x0) * d + m;
    y[j + QK / 2] = float(x1) * d + m;
  }
}

void q8_0(const uint8_t *x, float *y) { // {d, qs[32]}
  const float d = half(x);
  for (int j = 0; j < QK; ++j)
    y[j] = float(int8_t(x[2 + j])) * d;
}

void q2_K(const uint8_t *x, float *y) { // {scales[16], qs[64], d, dmin}
  const uint8_t *scales = x, *q = x + 16;
  const float d = half(x + 80), min = half(x + 82);
  int is = 0;
  for (int n = 0; n < QK_K; n += 128) {
    int shift = 0;
    for (int j = 0; j < 4; ++j) {
      uint8_t sc = scales[is++];
      float dl = d * float(sc & 0xF), ml = min * float(sc >> 4);
      for (int l = 0; l < 16; ++l)
        *y++ = dl * float(int8_t((q[l] >> shift) & 3)) - ml;
      sc = scales[is++];
      dl = d * float(sc & 0xF), ml = min * float(sc >> 4);
      for (int l = 0; l < 16; ++l)
        *y++ = dl * float(int8_t((q[l + 16] >> shift) & 3)) - ml;
      shift += 2;
    }
    q += 32;
  }
}

void q3_K(const uint8_t *x, float *y) { // {hmask[32], qs[64], scales[12], d}
  const uint32_t kmask1 = 0x03030303, kmask2 = 0x0f0f0f0f;
  const uint8_t *hm = x, *q = x + 32;
  const float dAll = half(x + 108);
  uint32_t aux[4];
  std::memcpy(aux, x + 96, 12);
  uint32_t tmp = aux[2];
  aux[2] = ((aux[0] >> 4) & kmask2) | (((tmp >> 4) & kmask1) << 4);
  aux[3] = ((aux[1] >> 4) & kmask2) | (((tmp >> 6) & kmask1) << 4);
  aux[0] = (aux[0] & kmask2) | (((tmp >> 0) & kmask1) << 4);
  aux[1] = (aux[1] & kmask2) | (((tmp >> 2) & kmask1) << 4);
  int8_t scales[16];
  std::memcpy(scales, aux, 16);
  uint8_t m = 1;
  int is = 0;
  for (int n = 0; n < QK_K; n += 128) {
    int shift = 0;
    for (int j = 0; j < 4; ++j) {
      float dl = dAll * float(scales[is++] - 32);
      for (int l = 0; l < 16; ++l)
        *y++ = dl * float(int8_t((q[l + 0] >> shift) & 3) - ((hm[l + 0] & m) ? 0 : 4));
      dl = dAll * float(scales[is++] - 32);
      for (int l = 0; l < 16; ++l)
        *y++ = dl * float(int8_t((q[l + 16] >> shift) & 3) - ((hm[l + 16] & m) ? 0 : 4));
      shift += 2;
      m <<= 1;
    }
    q += 32;
  }
}

/// The 6-bit scale and min of sub-block j of a Q4_K/Q5_K super-block.
void scaleMinK4(int j, const uint8_t *q, uint8_t &d, uint8_t &m) {
  if (j < 4) {
    d = q[j] & 63;
    m = q[j + 4] & 63;
  } else {
    d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    m = (q[j + 4] >> 4) | ((q[j - 0] >> 6) << 4);
  }
}

void q4_K(const uint8_t *x, float *y) { // {d, dmin, scales[12], qs[128]}
  const float d = half(x), min = half(x + 2);
  const uint8_t *scales = x + 4, *q = x + 16;
  int is = 0;
  for (int j = 0; j < QK_K; j += 64) {
    uint8_t sc, m;
    scaleMinK4(is + 0, scales, sc, m);
    const float d1 = d * float(sc), m1 = min * float(m);
    scaleMinK4(is + 1, scales, sc, m);
    const float d2 = d * float(sc), m2 = min * float(m);
    for (int l = 0; l < 32; ++l)
      *y++ = d1 * float(q[l] & 0xF) - m1;
    for (int l = 0; l < 32; ++l)
      *y++ = d2 * float(q[l] >> 4) - m2;
    q += 32;
    is += 2;
  }
}

void q5_K(const uint8_t *x, float *y) { // {d, dmin, scales[12], qh[32], qs[128]}
  const float d = half(x), min = half(x + 2);
  const uint8_t *scales = x + 4, *qh = x + 16, *ql = x + 48;
  int is = 0;
  uint8_t u1 = 1, u2 = 2;
  for (int j = 0; j < QK_K; j += 64) {
    uint8_t sc, m;
    scaleMinK4(is + 0, scales, sc, m);
    const float d1 = d * float(sc), m1 = min * float(m);
    scaleMinK4(is + 1, scales, sc, m);
    const float d2 = d * float(sc), m2 = min * float(m);
    for (int l = 0; l < 32; ++l)
      *y++ = d1 * float((ql[l] & 0xF) + (qh[l] & u1 ? 16 : 0)) - m1;
    for (int l = 0; l < 32; ++l)
      *y++ = d2 * float((ql[l] >> 4) + (qh[l] & u2 ? 16 : 0)) - m2;
    ql += 32;
    is += 2;
    u1 <<= 2;
    u2 <<= 2;
  }
}

void q6_K(const uint8_t *x, float *y) { // {ql[128], qh[64], scales[16], d}
  const float d = half(x + 208);
  const uint8_t *ql = x, *qh = x + 128;
  const int8_t *sc = reinterpret_cast<const int8_t *>(x + 192);
  for (int n = 0; n < QK_K; n += 128) {
    for (int l = 0; l < 32; ++l) {
      int is = l / 16;
      const int8_t q1 = int8_t((ql[l + 0] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
      const int8_t q2 = int8_t((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
      const int8_t q3 = int8_t((ql[l + 0] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
      const int8_t q4 = int8_t((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
      y[l + 0] = d * float(sc[is + 0]) * float(q1);
      y[l + 32] = d * float(sc[is + 2]) * float(q2);
      y[l + 64] = d * float(sc[is + 4]) * float(q3);
      y[l + 96] = d * float(sc[is + 6]) * float(q4);
    }
    y += 128;
    ql += 64;
    qh += 32;
    sc += 8;
  }
}

void iq4_nl(const uint8_t *x, float *y) { // {d, qs[16]}
  const int8_t *kvalues = kIq4nlGrid;
  const float d = half(x);
  const uint8_t *qs = x + 2;
  for (int j = 0; j < QK / 2; ++j) {
    y[j] = d * float(kvalues[qs[j] & 0xf]);
    y[j + QK / 2] = d * float(kvalues[qs[j] >> 4]);
  }
}

/// Each format's block dequantizer; its geometry is GgmlFormats.h's.
struct Format {
  GgmlFormat type;
  void (*block)(const uint8_t *, float *);
};

constexpr Format kFormats[] = {
    {GgmlFormat::Q4_0, q4_0},     {GgmlFormat::Q4_1, q4_1},
    {GgmlFormat::Q5_0, q5_0},     {GgmlFormat::Q5_1, q5_1},
    {GgmlFormat::Q8_0, q8_0},     {GgmlFormat::Q2_K, q2_K},
    {GgmlFormat::Q3_K, q3_K},     {GgmlFormat::Q4_K, q4_K},
    {GgmlFormat::Q5_K, q5_K},     {GgmlFormat::Q6_K, q6_K},
    {GgmlFormat::IQ4_NL, iq4_nl},
};

constexpr bool everyFormatDequantizes() {
  for (const GgmlBlockGeometry &g : kGgmlBlockGeometries) {
    bool found = false;
    for (const Format &f : kFormats)
      found = found || f.type == g.type;
    if (!found)
      return false;
  }
  return true;
}
static_assert(everyFormatDequantizes(),
              "a format of GgmlFormats.h without its dequantizer here");

} // namespace

bool ggmlDequantize(uint32_t type, const uint8_t *src, float *dst, int64_t n) {
  const GgmlBlockGeometry *g = ggmlBlockGeometry(type);
  if (!g || n < 0 || n % g->values != 0)
    return false;
  void (*block)(const uint8_t *, float *) = nullptr;
  for (const Format &f : kFormats)
    if (f.type == g->type)
      block = f.block;
  for (int64_t b = 0; b < n / g->values; ++b)
    block(src + b * g->bytes, dst + b * g->values);
  return true;
}

bool unpackGgmlWithMins(uint32_t type, const uint8_t *blocks, int64_t rows,
                        int64_t cols, QuantizedTensor &out) {
  bool k = type == uint32_t(GgmlFormat::Q4_K);
  if (!k && type != uint32_t(GgmlFormat::Q4_1))
    return false;
  const int64_t block = k ? QK_K : QK, bytes = k ? 144 : 20;
  if (rows <= 0 || cols <= 0 || cols % block != 0)
    return false;
  out = QuantizedTensor();
  out.rows = rows;
  out.cols = cols;
  out.scheme = k ? q4KScheme() : q4MinScheme(/*f16=*/true);
  scaleLayout(out.scheme, rows, cols, out.layout);
  const int64_t groups = rows * cols / QK;
  out.data.resize(rows * cols);
  out.scales.resize(groups);
  out.mins.resize(groups);
  if (!k) {
    out.scalesF16.resize(groups);
    out.minsF16.resize(groups);
  } else {
    out.subScales.resize(groups);
    out.subMins.resize(groups);
    out.superScalesF16.resize(rows * cols / QK_K);
    out.superMinsF16.resize(rows * cols / QK_K);
  }
  int8_t *u = out.data.data();
  int64_t g = 0;
  for (int64_t b = 0; b < rows * cols / block; ++b) {
    const uint8_t *x = blocks + b * bytes;
    if (!k) { // {d, m, qs[16]}: value j low, j + 16 high
      std::memcpy(&out.scalesF16[g], x, 2);
      std::memcpy(&out.minsF16[g], x + 2, 2);
      out.scales[g] = half(x);
      out.mins[g] = half(x + 2);
      for (int j = 0; j < QK / 2; ++j) {
        u[j] = int8_t(x[4 + j] & 0x0F);
        u[j + QK / 2] = int8_t(x[4 + j] >> 4);
      }
      u += QK;
      ++g;
      continue;
    }
    // {d, dmin, scales[12], qs[128]}: as q4_K above, 64 values a step.
    const float d = half(x), min = half(x + 2);
    std::memcpy(&out.superScalesF16[b], x, 2);
    std::memcpy(&out.superMinsF16[b], x + 2, 2);
    out.superMinsF16[b] ^= 0x8000; // -dmin: the sign bit flipped, exactly
    const uint8_t *scales = x + 4, *q = x + 16;
    for (int is = 0; is < 8; is += 2, q += 32) {
      for (int half2 = 0; half2 < 2; ++half2) {
        uint8_t sc, m;
        scaleMinK4(is + half2, scales, sc, m);
        out.scales[g] = d * float(sc);
        out.mins[g] = -(min * float(m));
        out.subScales[g] = sc;
        out.subMins[g] = m;
        for (int l = 0; l < 32; ++l)
          *u++ = int8_t(half2 ? q[l] >> 4 : q[l] & 0xF);
        ++g;
      }
    }
  }
  return true;
}

bool unpackQ6_K(const uint8_t *blocks, int64_t rows, int64_t cols,
                QuantizedTensor &out) {
  if (rows <= 0 || cols <= 0 || cols % QK_K != 0)
    return false;
  out = QuantizedTensor();
  out.rows = rows;
  out.cols = cols;
  out.scheme = q6KScheme();
  scaleLayout(out.scheme, rows, cols, out.layout);
  const int64_t supers = rows * cols / QK_K, groups = supers * 16;
  out.data.resize(rows * cols);
  out.scales.resize(groups);
  out.subScales.resize(groups);
  out.superScalesF16.resize(supers);
  // {ql[128], qh[64], scales[16], d}: as q6_K above, value v of a half of
  // 128 in group v / 16 of the half's 8.
  for (int64_t b = 0; b < supers; ++b) {
    const uint8_t *x = blocks + b * 210;
    const float d = half(x + 208);
    std::memcpy(&out.superScalesF16[b], x + 208, 2);
    const int8_t *sc = reinterpret_cast<const int8_t *>(x + 192);
    for (int g = 0; g < 16; ++g) {
      out.subScales[b * 16 + g] = uint8_t(sc[g]);
      out.scales[b * 16 + g] = d * float(sc[g]);
    }
    int8_t *u = out.data.data() + b * QK_K;
    const uint8_t *ql = x, *qh = x + 128;
    for (int n = 0; n < QK_K; n += 128, ql += 64, qh += 32, u += 128)
      for (int l = 0; l < 32; ++l) {
        u[l + 0] = int8_t((ql[l + 0] & 0xF) | (((qh[l] >> 0) & 3) << 4));
        u[l + 32] = int8_t((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4));
        u[l + 64] = int8_t((ql[l + 0] >> 4) | (((qh[l] >> 4) & 3) << 4));
        u[l + 96] = int8_t((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4));
      }
  }
  return true;
}

} // namespace qnt::math

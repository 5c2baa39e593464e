//===- GgmlFormats.h - GGML's block formats: ids and geometry ---*- C++ -*-===//
//
// What a GGML block format is, as a table in a header: its type id in GGUF
// files, the values a block holds and the bytes it takes. Header-only, so
// the qnt dialect's verifiers check a qnt.ggml_constant's shape without
// linking the maths library (lib/Math/Ggml.cpp dequantizes by this table).
//
//===----------------------------------------------------------------------===//

#ifndef QNT_MATH_GGMLFORMATS_H
#define QNT_MATH_GGMLFORMATS_H

#include <cstdint>

namespace qnt::math {

/// ggml's type ids of the block formats.
enum class GgmlType : uint32_t {
  Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8,
  Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, IQ4_NL = 20,
};

/// A format's block: `values` values in `bytes` bytes.
struct GgmlBlockGeometry {
  GgmlType type;
  int64_t values, bytes;
};

inline constexpr GgmlBlockGeometry kGgmlBlockGeometries[] = {
    {GgmlType::Q4_0, 32, 18},    {GgmlType::Q4_1, 32, 20},
    {GgmlType::Q5_0, 32, 22},    {GgmlType::Q5_1, 32, 24},
    {GgmlType::Q8_0, 32, 34},    {GgmlType::Q2_K, 256, 84},
    {GgmlType::Q3_K, 256, 110},  {GgmlType::Q4_K, 256, 144},
    {GgmlType::Q5_K, 256, 176},  {GgmlType::Q6_K, 256, 210},
    {GgmlType::IQ4_NL, 32, 18},
};

/// The geometry of `type` (a ggml type id), or null if it is not a block
/// format handled here.
constexpr const GgmlBlockGeometry *ggmlBlockGeometry(uint32_t type) {
  for (const GgmlBlockGeometry &g : kGgmlBlockGeometries)
    if (uint32_t(g.type) == type)
      return &g;
  return nullptr;
}

/// Values per block of `type` and bytes per block; false if `type` is not a
/// block format handled here.
constexpr bool ggmlBlockGeometry(uint32_t type, int64_t &values,
                                 int64_t &bytes) {
  const GgmlBlockGeometry *g = ggmlBlockGeometry(type);
  if (!g)
    return false;
  values = g->values;
  bytes = g->bytes;
  return true;
}

} // namespace qnt::math

#endif // QNT_MATH_GGMLFORMATS_H

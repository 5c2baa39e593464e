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

#include "qnt/Math/SchemeEnums.h.inc"

#include <cstdint>

namespace qnt::math {

// GgmlFormat, ggml's type ids of the block formats, is the qnt dialect's enum
// (dialects/qnt/QntTypes.td), generated here as plain C++.

/// A format's block: `values` values in `bytes` bytes.
struct GgmlBlockGeometry {
  GgmlFormat type;
  int64_t values, bytes;
};

inline constexpr GgmlBlockGeometry kGgmlBlockGeometries[] = {
    {GgmlFormat::Q4_0, 32, 18},   {GgmlFormat::Q4_1, 32, 20},
    {GgmlFormat::Q5_0, 32, 22},   {GgmlFormat::Q5_1, 32, 24},
    {GgmlFormat::Q8_0, 32, 34},   {GgmlFormat::Q2_K, 256, 84},
    {GgmlFormat::Q3_K, 256, 110}, {GgmlFormat::Q4_K, 256, 144},
    {GgmlFormat::Q5_K, 256, 176}, {GgmlFormat::Q6_K, 256, 210},
    {GgmlFormat::IQ4_NL, 32, 18},
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

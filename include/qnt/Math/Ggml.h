//===- Ggml.h - GGML's block formats, dequantized as ggml does ------------===//
//
// The tensor types GGUF files carry: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 (blocks of
// 32 values), the K-quants Q2_K .. Q6_K (super-blocks of 256 with 16 or 8
// sub-block scales) and IQ4_NL (32 values, a non-linear 4-bit grid). Each is
// turned into floats by a transcription of ggml's dequantize_row_* (ggml-quants.c,
// the reference C code), the same operations in the same order in f32, so the
// values are ggml's to the bit. The compiler reads weights in these formats
// this way and quantizes them into its own scheme; the float reference reads
// them the same way.
//
//===----------------------------------------------------------------------===//

#ifndef QNT_MATH_GGML_H
#define QNT_MATH_GGML_H

#include "qnt/Math/GgmlFormats.h"
#include "qnt/Math/Quant.h"

#include <cstdint>

namespace qnt::math {

/// Dequantizes `n` values (a multiple of the block) stored in `type`'s
/// blocks at `src` into `dst`. False if the type or n does not fit.
bool ggmlDequantize(uint32_t type, const uint8_t *src, float *dst, int64_t n);

/// Unpacks `rows` rows of `cols` values in Q4_1 or Q4_K blocks into a
/// QuantizedTensor with minimums (q4MinScheme), without requantizing: the
/// nibbles as they are, and per block of 32 a scale and a minimum such that
/// scale * u + min is ggml's dequantized value to the bit (Q4_1: d and m,
/// fp16; Q4_K: d * sc and -(dmin * m) of each sub-block, exact f32
/// products, kept as their two levels too: q4KScheme's sub-block bytes sc
/// and m, and d and -dmin per 256 values). False for other types, or rows
/// that are not whole blocks.
bool unpackGgmlWithMins(uint32_t type, const uint8_t *blocks, int64_t rows,
                        int64_t cols, QuantizedTensor &out);

/// Unpacks `rows` rows of `cols` values in Q6_K blocks into a QuantizedTensor
/// with q6KScheme(), without requantizing: u = q + 32 as the 6 bits are
/// stored, per 16 values the int8 scale byte sc (and the f32 product d * sc),
/// per 256 the fp16 d; d * sc * (u - 32) is ggml's value to the bit. False
/// for rows that are not whole blocks.
bool unpackQ6_K(const uint8_t *blocks, int64_t rows, int64_t cols,
                QuantizedTensor &out);

} // namespace qnt::math

#endif // QNT_MATH_GGML_H

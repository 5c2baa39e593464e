//===- Quant.h - Quantization formulas shared by compiler, runtime, tests -===//
//
// The one place where the quantization maths lives: rounding, scales, block
// layout, fp16/bf16 conversion. Dependency-free C++17 so that the fold pass,
// the runtime, the unit tests and the scalar references all use the same code.
//
// Symmetric absmax quantization of a group g of values x (a block of 32 along
// the reduction axis for GGML Q8_0, a whole row for per-channel/per-token):
//
//   d   = max_{i in g} |x_i| / qmax           (qmax = 127 for 8 bits)
//   id  = d != 0 ? 1 / d : 0
//   q_i = round(x_i * id)                     (half away from zero, or to even)
//   stored scale = d, rounded to fp16 when the scheme stores fp16 scales
//
// This is GGML's quantize_row_q8_0_ref to the bit: q is computed with the f32
// reciprocal of the unrounded d, and only the stored scale is rounded to fp16.
// Dequantization is x_i ~ scale * q_i.
//
// Asymmetric quantization (activations only: `symmetric = false`) maps a
// group's range, widened to hold 0, onto [-qmax, qmax] with a zero point z:
//
//   lo  = min(0, min x_i),  hi = max(0, max x_i)
//   d   = (hi - lo) / (2 qmax),  id = d != 0 ? 1 / d : 0
//   z   = round(-qmax - lo * id)              (an integer in [-qmax, qmax])
//   q_i = clamp(round(x_i * id) + z, -qmax, qmax)
//
// and x_i ~ d * (q_i - z): 0 is exact (q = z), so padding stays exact. Its
// dot with symmetric weights w corrects for z with the weight's per-group
// sums: sum_i (q_i - z) w_i = sum_i q_i w_i - z * sum_i w_i. A one-sided
// group (all x >= 0, say) gets steps half the size absmax would give it.
// -qmax rather than -qmax - 1 keeps q in the range every dot (the AVX2 sign
// trick among them) multiplies exactly.
//
// Storage "u8 offset 128" stores q + 128 as an unsigned byte, the form the
// x86 VNNI instruction vpdpbusd (u8 x s8) multiplies; a dot product with s8
// activations a is then corrected by the activation's per-block sum:
//   sum_i q_i a_i = sum_i (q_i + 128) a_i - 128 * sum_i a_i.
//
// 4-bit weights (bits = 4) are GGML Q4_0's: blocks of 32, q in [-8, 7],
// stored as the unsigned nibble u = q + 8 ("u4 offset 8"), corrected the same
// way (- 8 * sum_i a_i). Floats are quantized by ggml's quantize_row_q4_0_ref:
//
//   m   = the value of largest magnitude in the block (signed)
//   d   = m / -8,  id = d != 0 ? 1 / d : 0
//   u_i = min(15, (int)(x_i * id + 8.5))      (truncation toward zero)
//
// so the extreme value maps to -8 exactly and the grid is [-8, 7] d. In a
// QuantizedTensor each value takes a byte (u); only the tiled layout packs
// two per byte (see tile()).
//
// 4-bit weights with a minimum (`mins`: GGML Q4_1 and Q4_K's sub-blocks) keep
// the unsigned nibble as it is (storage "u4", no offset) and a minimum m per
// block beside the scale: x = scale * u + m. Their dot with activations
// a = sa * qa needs the activation's block sums, without any offset:
//   sum_i x_i a_i = sa * (scale * sum_i u_i qa_i + m * sum_i qa_i).
// Floats are quantized by ggml's quantize_row_q4_1_ref: m = the block's min,
// d = (max - min) / 15, u = min(15, (int)((x - m) / d + 0.5)).
//
// 6-bit weights (bits = 6) are GGML Q6_K's, repacked, never computed from
// floats here: q in [-32, 31] stored as u = q + 32 ("u6 offset 32"),
// corrected like the others (- 32 * sum_i a_i), in groups of 16 whose int8
// scale sc times the fp16 d of their 256 values is the scale (exact in f32);
// their activations are quantized in blocks of 16 too, so that each group's
// sum is at hand.
//
//===----------------------------------------------------------------------===//

#ifndef QNT_MATH_QUANT_H
#define QNT_MATH_QUANT_H

#include "qnt/Math/SchemeEnums.h.inc"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace qnt::math {

// Granularity (which values share a scale), Storage (how the integers are
// stored) and Rounding (of x * id) are the qnt dialect's enums, case for case
// and value for value: written once in dialects/qnt/QntTypes.td and generated
// here as plain C++ (lib/Math/gen-enums.py).

/// GGML IQ4_NL's non-linear grid: a U4Grid nibble u stands for q = grid[u].
constexpr int8_t kIq4nlGrid[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                   1,    13,   25,  38,  53,  69,  89,  113};

/// A quantization scheme for a rank-2 tensor [rows, cols] whose cols axis is
/// the reduction axis: #qnt.scheme's parameters, as the maths sees them (the
/// fold pass converts between the two).
struct Scheme {
  unsigned bits = 8;
  Granularity granularity = Granularity::PerBlock;
  int64_t axis = 0;   ///< per-channel axis; only 0 (one scale per row) is
                      ///< meaningful for the matmul operands handled here.
  int64_t block = 32; ///< per-block group size along the cols axis.
  bool symmetric = true;
  Storage storage = Storage::I8;
  bool f16Scale = true; ///< scales stored as fp16 (else f32).
  Rounding rounding = Rounding::HalfAwayFromZero;
  bool sums = false; ///< per-group sums of q are stored too.
  bool mins = false; ///< a minimum per group: x = scale * q + min (storage U4).
  /// Two-level scales (GGML's K-quant super-blocks): every group of `block`
  /// has its scale (and minimum, with mins) as a byte, and every `superBlock`
  /// values of a row an fp16 (f16Scale) or f32 factor for each:
  /// scale = superScale * sub, min = superMin * subMin. 0: one level.
  /// Q4_K's bytes are unsigned 6-bit, Q6_K's scales signed int8: bytes read
  /// as int8 serve both.
  int64_t superBlock = 0;
  /// The sums' groups when finer than the block (0: the block), a divisor
  /// of it: per-block activations against Q4_K on AVX2 have a scale per
  /// super-block of 256 and sums per 32 (GGML's Q8_K).
  int64_t sumsBlock = 0;
  /// Groups sharing a super factor (1 without super-blocks).
  int64_t superRatio() const { return superBlock ? superBlock / block : 1; }

  /// GGML Q8_0: blocks of 32, fp16 scales, round half away from zero.
  static Scheme q8_0() { return Scheme(); }
  int64_t qmax() const { return (int64_t(1) << (bits - 1)) - 1; }
  /// The offset the storage adds to q: 128 (u8), 8 (u4) or 0.
  int32_t offset() const {
    return storage == Storage::U8Offset128  ? 128
           : storage == Storage::U4Offset8  ? 8
           : storage == Storage::U6Offset32 ? 32
                                            : 0;
  }
};

//===----------------------------------------------------------------------===//
// Scalar conversions
//===----------------------------------------------------------------------===//

/// IEEE binary16 to float, exact.
float fp16ToFloat(uint16_t h);
/// Float to IEEE binary16, round to nearest even (what F16C's vcvtps2ph with
/// imm 0 and GGML_FP32_TO_FP16 do), with overflow to infinity.
uint16_t floatToFp16(float f);
/// bfloat16 to float, exact.
float bf16ToFloat(uint16_t h);
/// The value a scale takes once stored: rounded through fp16 if the scheme
/// stores fp16 scales.
float storedScale(float d, const Scheme &s);
/// Rounds x to an integral float by the scheme's rule.
float roundValue(float x, Rounding r);

//===----------------------------------------------------------------------===//
// Layout of a quantized [rows, cols] tensor
//===----------------------------------------------------------------------===//

/// Shape of the scales (and sums) of a [rows, cols] tensor: [scaleRows,
/// scaleCols]. Element (r, c) uses scale (r * rowsVary, c / groupCols).
struct ScaleLayout {
  int64_t scaleRows = 1;
  int64_t scaleCols = 1;
  int64_t groupCols = 1; ///< columns sharing one scale within a row
  bool rowsVary = false;
};
/// Fails (returns false) when the scheme cannot describe a [rows, cols] tensor
/// (a block that does not divide cols, per-channel on axis 1).
bool scaleLayout(const Scheme &s, int64_t rows, int64_t cols, ScaleLayout &out);

/// A quantized [rows, cols] tensor in the layout the compiled kernels read:
/// row-major data (int8, or q + 128 as uint8), and row-major scales/sums.
struct QuantizedTensor {
  int64_t rows = 0, cols = 0;
  Scheme scheme;
  ScaleLayout layout;
  std::vector<int8_t> data;       ///< rows * cols bytes (q + offset() as bits)
  std::vector<float> scales;      ///< stored-precision scale values, as float
  std::vector<uint16_t> scalesF16;///< the fp16 bit patterns, if f16Scale
  std::vector<int32_t> sums;      ///< sum of q (not q + 128) per group, if sums
  std::vector<int32_t> zeroPoints;///< z per group, if the scheme is asymmetric
  std::vector<float> mins;        ///< the minimum per group, if scheme.mins
  std::vector<uint16_t> minsF16;  ///< its fp16 bit patterns, if f16Scale
  /// With super-blocks: the per-group bytes (scales and mins above hold the
  /// products, exact in f32; the bytes are int8 bit patterns), and per (row,
  /// super-block) the factors' fp16 bit patterns (f16Scale) or floats;
  /// superMins are the negated dmin (with mins only).
  std::vector<uint8_t> subScales, subMins;
  std::vector<uint16_t> superScalesF16, superMinsF16;
  std::vector<float> superScales, superMins;

  /// The signed integer q at (r, c), whatever the storage.
  int32_t q(int64_t r, int64_t c) const;
  /// Index into scales/sums for element (r, c).
  int64_t group(int64_t r, int64_t c) const;
  /// The zero point of the group of (r, c): 0 for a symmetric scheme.
  int32_t zeroPoint(int64_t r, int64_t c) const;
  /// scale * (q - z) at (r, c), or scale * q + min with mins.
  float dequantized(int64_t r, int64_t c) const;
};

/// Quantizes a row-major [rows, cols] float tensor, with zero points when the
/// scheme is asymmetric. Returns false (leaving out unspecified) when the
/// layout is impossible, static scales meet an asymmetric scheme, or a 4-bit
/// scheme is not Q4_0's (symmetric, per block, u4 offset 8). With
/// `staticScales` (static, calibrated quantization: one scale per group of a
/// row, layout.scaleCols of them, the same for every row), group g of every
/// row takes d = staticScales[g] instead of its absmax (quantizeGroupWithScale).
bool quantize(const float *x, int64_t rows, int64_t cols, const Scheme &s,
              QuantizedTensor &out, const float *staticScales = nullptr);

/// Quantizes one group of n values into q (signed), returning the unrounded
/// scale d. The common core of every granularity.
float quantizeGroup(const float *x, int64_t n, const Scheme &s, int8_t *q);
/// GGML Q4_0's rule (quantize_row_q4_0_ref) for one group of n values: q in
/// [-8, 7] (signed, not offset), returning d.
float quantizeGroupQ4_0(const float *x, int64_t n, int8_t *q);
/// GGML Q4_1's rule (quantize_row_q4_1_ref): u in [0, 15], returning d and
/// setting the minimum m.
float quantizeGroupQ4_1(const float *x, int64_t n, int8_t *u, float &m);
/// The asymmetric form: returns d and sets the zero point z.
float quantizeGroupAsymmetric(const float *x, int64_t n, const Scheme &s,
                              int8_t *q, int32_t &z);

/// Sets q.sums (and scheme.sums) to the sum of q per group, from its data:
/// what a weight carries for an asymmetric activation's zero point (per
/// scheme.sumsBlock columns where it is set: [rows, cols / sumsBlock]).
void computeSums(QuantizedTensor &q);

//===----------------------------------------------------------------------===//
// Static (calibrated) activation quantization
//===----------------------------------------------------------------------===//
//
// The scale of a group is fixed before the program runs, from the values a
// calibration text produced there, so no absmax is computed at run time:
//
//   clip = the p-th percentile of |x| over the calibration's values of the
//          group (p = 100: their absmax)
//   d    = clip / qmax,  id = 1 / d
//   q_i  = round(clamp(x_i * id, -qmax, qmax))
//
// Values past the clip saturate at +-qmax (clamping before or after rounding
// is the same, qmax being an integer).

/// Quantizes n values with the given scale d > 0, saturating.
void quantizeGroupWithScale(const float *x, int64_t n, float d, const Scheme &s,
                            int8_t *q);
/// The p-th percentile (0 < p <= 100) of `magnitudes` by nearest rank: the
/// smallest value with at least p% of them at or below it; 100 is the max.
/// Reorders `magnitudes`. 0 for an empty sample.
float percentileOf(std::vector<float> &magnitudes, double p);
/// The static scale of a group whose clip value is `clip`: clip / qmax, or
/// `fallback` / qmax when the calibration saw only zeros there (clip 0).
float staticScale(float clip, float fallback, const Scheme &s);

/// i8 <-> u8 offset 128 of n stored values, in place: q + 128 as a byte is q
/// with its top bit flipped, either way.
void toggleOffset128(int8_t *data, size_t n);

/// Changes only the storage of already quantized data (i8 <-> u8 offset 128):
/// the repacking of weights that arrive quantized, without requantizing.
void restore(QuantizedTensor &t, Storage storage);

//===----------------------------------------------------------------------===//
// The data-tiled layout of the matmul kernels
//===----------------------------------------------------------------------===//
//
// A weight [rows, cols] quantized per block (or per channel) is stored for
// the micro-kernels in tiles of n0 rows (output channels) by k0 columns:
//
//   data[t][kq][i][j]   = q[t * n0 + i][kq * k0 + j]        (t < ceil(rows/n0))
//   scales[t][g][i]     = scale of row t * n0 + i, group g   (g < groups)
//
// so that one vector load of n0 * k0 bytes (k0 = 4: a vpdpbusd operand) holds
// k0 consecutive values of n0 channels, and tile t is one contiguous run.
// Rows past `rows` hold q = 0 (stored form) and scale 0. cols is the padded
// length C' (a multiple of k0 and of the block): see padColumns.
//
// 4-bit data packs two k0-steps into one row of n0 * k0 bytes: the low
// nibble of byte (i, j) of packed step p is u of step 2p, the high nibble u of
// step 2p + 1 (same channel i, same byte j):
//
//   data[t][p][i][j] = u[t*n0+i][2p*k0 + j] | u[t*n0+i][(2p+1)*k0 + j] << 4
//
// so one AND with 0x0F and one shift by 4 of a loaded vector give the
// operands of two consecutive steps, each in the order the 8-bit layout has.
//
// 6-bit data (u = q + 32 in [0, 63], GGML Q6_K's) takes three rows for every
// four k0-steps 4h .. 4h + 3 (16 columns, one group): two rows of nibbles as
// the 4-bit layout packs them (the low 4 bits of steps 4h, 4h + 1, then of
// 4h + 2, 4h + 3), and one row holding the high 2 bits of the four steps,
// step 4h + s in bits 2s and 2s + 1:
//
//   data[t][3h + p][i][j] = lo(4h + 2p) | lo(4h + 2p + 1) << 4   (p = 0, 1)
//   data[t][3h + 2][i][j] = sum over s of hi(4h + s) << 2s
//
// 6 bits a value; one AND or shift gives a step's low bits, one shift and
// one AND its high bits already in place (<< 4), and one OR joins them.

/// A quantized tensor in the tiled layout (components in stored form).
struct TiledTensor {
  int64_t rows = 0, cols = 0, n0 = 0, k0 = 0, rowTiles = 0, groups = 0;
  std::vector<int8_t> data;        ///< rowTiles * cols * n0 * bits / 8 bytes
  std::vector<uint16_t> scalesF16; ///< rowTiles * groups * n0, if f16 scales
  std::vector<float> scales;       ///< the same as float (stored precision)
  std::vector<int32_t> sums;       ///< rowTiles * groups * n0, if sums (0 past rows)
  std::vector<float> mins;         ///< rowTiles * groups * n0, if mins (0 past rows)
  std::vector<uint16_t> minsF16;   ///< the same as fp16, if f16 scales
  /// Super-blocks: subScales/subMins rowTiles * groups * n0 bytes, the super
  /// factors rowTiles * (groups / superRatio) * n0 (0 past rows).
  std::vector<uint8_t> subScales, subMins;
  std::vector<uint16_t> superScalesF16, superMinsF16;
  std::vector<float> superScales, superMins;
};

/// x [rows, cols] zero-padded to [rows, paddedCols] (paddedCols >= cols).
std::vector<float> padColumns(const float *x, int64_t rows, int64_t cols,
                              int64_t paddedCols);

/// A quantized tensor's columns padded to `paddedCols` with q = 0 (in its
/// stored form); per-block, the new blocks get scale 0 (and sum 0). False
/// if the padding is not a whole number of its groups.
bool padColumns(QuantizedTensor &q, int64_t paddedCols);

/// The row-major form of 4-bit data (the type's data without tiles): byte j
/// of a row holds values 2j and 2j + 1 in its low and high nibbles.
std::vector<int8_t> packRowNibbles(const QuantizedTensor &q);
/// Rearranges a row-major quantized tensor (per-block or per-channel) into
/// tiles of n0 x k0 (4-bit and 6-bit data packed as above). Returns false
/// when k0 (2 k0 for 4 bits, 4 k0 for 6) does not divide its cols or the
/// scheme is neither per-block nor per-channel on axis 0.
bool tile(const QuantizedTensor &q, int64_t n0, int64_t k0, TiledTensor &out);

//===----------------------------------------------------------------------===//
// GGML block formats
//===----------------------------------------------------------------------===//

/// Bytes of one GGML Q8_0 block: an fp16 scale then 32 int8 values.
constexpr int64_t kQ8_0BlockBytes = 34;
constexpr int64_t kQ8_0BlockSize = 32;

/// Bytes of one GGML Q4_0 block: an fp16 scale then 16 bytes, value j in the
/// low nibble of byte j and value j + 16 in its high nibble (value u - 8).
constexpr int64_t kQ4_0BlockBytes = 18;

/// The 4-bit scheme of GGML Q4_0: blocks of 32, u4 offset 8, fp16 scales.
Scheme q4_0Scheme();
/// The 4-bit scheme with minimums: blocks of 32, plain u4 nibbles, a scale
/// and a minimum per block (fp16 as Q4_1's, or f32 for Q4_K's products).
Scheme q4MinScheme(bool f16);

/// GGML Q4_K's: q4MinScheme with super-blocks of 256 and fp16 factors d and
/// dmin (scale = d * sc, min = -dmin * m, sc and m 6-bit).
Scheme q4KScheme();
/// GGML Q6_K's: 6 bits stored as u = q + 32 ("u6 offset 32"), groups of 16
/// with an int8 scale byte each, and an fp16 factor d per 256 values
/// (scale = d * sc, exact in f32); no minimums.
Scheme q6KScheme();
/// GGML IQ4_NL's: blocks of 32, an fp16 scale d each, 4-bit indices into
/// kIq4nlGrid (storage U4Grid): x = d * grid[u].
Scheme iq4nlScheme();
/// Unpacks `rows` rows of `cols` values stored as GGML IQ4_NL blocks into a
/// QuantizedTensor with iq4nlScheme(), without requantizing: the indices u
/// as stored and d, so scale * q (q = grid[u]) is ggml's value to the bit.
/// cols must be a multiple of 32.
bool unpackIQ4_NL(const uint8_t *blocks, int64_t rows, int64_t cols,
                  QuantizedTensor &out);
/// Unpacks `rows` rows of `cols` values stored as GGML Q4_0 blocks into a
/// QuantizedTensor with q4_0Scheme(), without requantizing: q = u - 8 and d
/// as stored, so scale * q is ggml's dequantized value to the bit. cols must
/// be a multiple of 32.
bool unpackQ4_0(const uint8_t *blocks, int64_t rows, int64_t cols,
                QuantizedTensor &out);

/// Unpacks `rows` rows of `cols` values stored as GGML Q8_0 blocks into a
/// QuantizedTensor with scheme q8_0 (storage and sums as requested), without
/// requantizing. cols must be a multiple of 32.
bool unpackQ8_0(const uint8_t *blocks, int64_t rows, int64_t cols,
                Storage storage, QuantizedTensor &out);

//===----------------------------------------------------------------------===//
// Scalar references
//===----------------------------------------------------------------------===//

/// The quantized matmul the kernels compute, in GGML's order: for every output
/// y[m, n] = sum over groups g of float(sum_{k in g} (qa[m,k] - za(m,g))
/// qw[n,k]) * (sa(m, g) * sw(n, g)), where a group is the finer of the two
/// operands' column groups (za = 0 for symmetric activations). `a` is [M, K] (activations), `w` is [N, K] (weights); y is
/// [M, N] row-major. Returns false if the operands cannot be multiplied.
bool referenceMatmul(const QuantizedTensor &a, const QuantizedTensor &w,
                     float *y);

/// Float y = x * W^T with x [M, K], w [N, K], in double precision.
void referenceLinear(const float *x, const float *w, int64_t m, int64_t n,
                     int64_t k, float *y);

} // namespace qnt::math

#endif // QNT_MATH_QUANT_H

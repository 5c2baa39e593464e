//===- MicroKernel.h - The matmul micro-kernel chosen for a target -*- C++ -*-===//
//
// One decision shared by the passes that make it and the passes that rely on
// it: --qnt-data-tiling stores weights in tiles of n0 channels, and
// --qnt-tile-matmul cuts the matmul into m0 x n0 register tiles built on the
// target's integer dot.
//
// The register tile is chosen so that its accumulators stay in registers:
// m0 rows x (n0 / lanes) vectors of i32 (one group's integer dot) and as many
// of f32 (the scaled sum over groups), plus the weight vectors of one k0 step,
// their scales and the temporaries of the dot.
//
//===----------------------------------------------------------------------===//

#ifndef QNT_PASSES_MICROKERNEL_H
#define QNT_PASSES_MICROKERNEL_H

#include "dialects/qnt/QntDialect.h"
#include "qnt/Passes/Options.h"
#include "qnt/Support/MLIR.h"

namespace qnt {

/// Bytes of one channel side by side in a tile: the 4-byte groups of
/// vpdpbusd and vpmaddubsw + vpmaddwd.
constexpr int64_t kTileK0 = 4;
/// Blocks of 32 are whole in every tiled layout.
constexpr int64_t kTilePad = 32;

struct MicroKernel {
  DotKind dot;
  int64_t lanes; ///< i32 lanes of one vector
  int64_t n0;    ///< output channels of a tile, a multiple of lanes
  int64_t m0;    ///< activation rows of a tile
};

/// The channels of a weight tile for a target: two of its vectors of i32.
int64_t tileChannels(TargetAttr target);

/// The micro-kernel for a weight stored as `storage` in tiles of n0 channels:
/// vpdpbusd for u8 + 128, 4-bit and 6-bit weights on a VNNI target; where the
/// target has AVX2 but no VNNI, vpmaddubsw + vpmaddwd, on the nibbles of 4-bit
/// and the 6 bits of 6-bit weights as they are and on i8 weights by the sign
/// trick; plain vector
/// arithmetic otherwise. m0 as large as the registers allow, at most maxM0.
MicroKernel chooseMicroKernel(TargetAttr target, Storage storage, int64_t n0,
                              int64_t maxM0);

/// Whether activations against a K-quant weight (Q4_K, Q6_K: two-level
/// scales) take one scale per super-block of 256 (sums per weight block,
/// GGML's Q8_K) on `target`: where its micro-kernel for them is AVX2's
/// vpmaddubsw, which then applies the byte scales to its i16 pairs
/// (vpmaddwd) and converts to float once per super-block instead of once per
/// group (measured 1.28-1.42x its Q4_K GEMM at 512 rows, 1.1-1.25x Q6_K's,
/// quant-bench --kernels --warm --mcpu=x86-64-v3, Xeon). VNNI's i32 dots
/// cost the same per group either way, and finer activation scales are more
/// accurate. --qnt-insert-act-quant's super-block-scales=auto, and what
/// quant-compile records for quant-run --check's reference.
bool superBlockActivationScales(TargetAttr target);

/// Whether `option` (--act-super-blocks) takes super-block activation
/// scales on `target`: on, or auto where superBlockActivationScales.
bool takesSuperBlockScales(SuperBlockScales option, TargetAttr target);

/// The weight tiles a single-row matmul (decode's GEMV) reads at once by
/// default (--qnt-tile-matmul's gemv-streams = 0), for a weight stored as
/// `storage`, with or without `superBlocks`: two on the x86 targets, but
/// one for Q4_K (nibbles with mins in super-blocks), for Q6_K's 6 bits and
/// IQ4_NL's grid where the target has 16 vector registers (the second
/// stream's accumulators and their temporaries do not fit), and for generic
/// code. Measured on a Zen 5 with AVX-512 and as AVX2 code (README, "Weight
/// streams"): two streams decoded Q4_0, Q4_1 and Q8_0 models 3-20% faster on
/// both, Q6_K and IQ4_NL ones faster with AVX-512 only, and Q4_K 2-16% slower.
int64_t defaultGemvStreams(TargetAttr target, Storage storage,
                           bool superBlocks);

} // namespace qnt

#endif // QNT_PASSES_MICROKERNEL_H

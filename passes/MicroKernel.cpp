//===- MicroKernel.cpp - The matmul micro-kernel chosen for a target -------===//

#include "passes/MicroKernel.h"

#include <algorithm>

using namespace mlir;
using namespace qnt;

int64_t qnt::tileChannels(TargetAttr target) { return 2 * target.getLanes(); }

MicroKernel qnt::chooseMicroKernel(TargetAttr target, Storage storage,
                                   int64_t n0, int64_t maxM0) {
  bool avx2 = target.getDot() != DotKind::Generic && target.getVectorBits() >= 256;
  MicroKernel k;
  k.n0 = n0;
  int64_t registers = target.getRegisters(), temporaries;
  bool u4 = storage == Storage::U4Offset8 || storage == Storage::U4;
  bool u6 = storage == Storage::U6Offset32;
  bool grid = storage == Storage::U4Grid; // nibbles, then IQ4_NL's values
  if (storage != Storage::I8 && target.getDot() == DotKind::Vnni) {
    k.dot = DotKind::Vnni;
    k.lanes = target.getLanes();
    // The act broadcast is a memory operand; sums, scale; 4-bit: the mask,
    // the shifted bytes; 6-bit: two masks, the high bits' row, a shifted
    // copy; the grid: the nibbles' and the table.
    temporaries = u4 ? 4 : u6 ? 6 : grid ? 5 : 2;
  } else if ((u4 || u6) && avx2) {
    // Nibbles times s8 need no sign trick, and their i16 pairs add up over
    // a group's 8 steps (vpmaddubsw + vpaddw), widened once (vpmaddwd): the
    // pairs of m0 rows, the unpacked weights of a row (low and high nibbles)
    // and 3 temporaries (mask, broadcast, product) are live; the i32 and f32
    // accumulators, touched once per group, and unpacked weights reused by
    // later rows may live in L1. m0 = 4 measured 7% faster than 2 on a
    // 8192x2048 GEMM of 512 rows (quant-bench --kernels, x86-64-v3), 6-bit
    // weights (i16 pairs of two steps) 11%, but that JIT code had AVX-512's
    // 32 registers; as real AVX2 code with the scheduler off (5632x2048,
    // Zen 5) 4-bit m0 = 2, 3 and 4 were within 10% of each other, run to
    // run, and 6-bit's m0 = 4 the fastest.
    k.dot = DotKind::Maddubs;
    k.lanes = std::min<int64_t>(8, n0);
    int64_t vectors = n0 / k.lanes;
    int64_t fits = (16 - 2 * vectors - 3) / vectors;
    k.m0 = std::max<int64_t>(1, std::min(maxM0, fits));
    return k;
  } else if ((storage == Storage::I8 || grid) && avx2) {
    // The sign trick: vpsignb has no EVEX form, so ymm0-15 only. Live: the
    // weights of a step and their magnitudes (|w|, made once and reused by
    // all m0 rows), the i32 accumulators, and 3 temporaries (broadcast,
    // signed copy, product); the grid's values (looked up from nibbles:
    // vpand, vpsrlw, vpshufb) also the mask and the table. The f32
    // accumulators, touched once per group, may live in L1, as the 4-bit
    // kernels' do. m0 = 4 against 2 (what keeping the f32 accumulators in
    // registers allowed): 6% more GOPS on an 8-bit 4096x14336 GEMM of 512
    // rows (quant-bench --kernels, x86-64-v3, Zen 5, 2 threads).
    k.dot = DotKind::Maddubs;
    k.lanes = std::min<int64_t>(8, n0);
    int64_t vectors = n0 / k.lanes;
    int64_t fits = (16 - 2 * vectors - (grid ? 5 : 3)) / vectors;
    k.m0 = std::max<int64_t>(1, std::min(maxM0, fits));
    return k;
  } else {
    k.dot = DotKind::Generic;
    k.lanes = target.getLanes();
    temporaries = 4;
  }
  k.lanes = std::min(k.lanes, n0);
  int64_t vectors = n0 / k.lanes;
  int64_t fits = (registers - 2 * vectors - temporaries) / (2 * vectors);
  k.m0 = std::max<int64_t>(1, std::min(maxM0, fits));
  return k;
}

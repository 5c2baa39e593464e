//===- MicroKernel.cpp - The matmul micro-kernel chosen for a target -------===//

#include "passes/MicroKernel.h"

#include <algorithm>

using namespace mlir;
using namespace qnt;

int64_t qnt::tileChannels(TargetAttr target) { return 2 * target.getLanes(); }

int64_t qnt::defaultGemvStreams(TargetAttr target, Storage storage,
                                bool superBlocks) {
  if (target.getDot() == DotKind::Generic)
    return 1;
  if (storage == Storage::U4 && superBlocks)
    return 1;
  bool wide = storage == Storage::U6Offset32 || storage == Storage::U4Grid;
  return wide && target.getRegisters() < 32 ? 1 : 2;
}

bool qnt::superBlockActivationScales(TargetAttr target) {
  return chooseMicroKernel(target, Storage::U4, tileChannels(target), 1).dot ==
         DotKind::Maddubs;
}

bool qnt::takesSuperBlockScales(SuperBlockScales option, TargetAttr target) {
  return option == SuperBlockScales::On ||
         (option == SuperBlockScales::Auto && target &&
          superBlockActivationScales(target));
}

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
  } else if (avx2 && storage != Storage::U8Offset128) {
    // vpmaddubsw on ymm (ymm0-15: vpsignb has no EVEX form). Nibbles and 6
    // bits times s8 need no sign trick, and their i16 pairs add up over a
    // group's steps (vpmaddubsw + vpaddw), widened once (vpmaddwd); i8
    // weights and the grid's values (looked up from nibbles: vpand, vpsrlw,
    // vpshufb) take the sign trick, |w| made once per weight vector and
    // reused by all m0 rows. Live: the m0 rows' accumulators (i16 pairs or
    // i32), a step's unpacked weights (or weights and |w|), and 3
    // temporaries (broadcast, signed copy or mask, product), the grid's 2
    // more (mask, table). The f32 accumulators, touched once per group, may
    // live in L1. Measured as real AVX2 code with the machine scheduler off
    // (quant-bench --kernels --mcpu=x86-64-v3, 5632x2048 at 512 rows, Zen 5,
    // 2 threads): i8 m0 = 4 312 GOPS against 306 at 2; 4-bit m0 = 2, 3 and 4
    // within 10% of each other run to run; 6-bit m0 = 4 the fastest. (The
    // earlier "m0 = 4 7% faster" for 4-bit came from JIT code that had
    // AVX-512's 32 registers.)
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

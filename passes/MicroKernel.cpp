//===- MicroKernel.cpp - The matmul micro-kernel chosen for a target -------===//

#include "passes/MicroKernel.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::qnt;

int64_t mlir::qnt::tileChannels(TargetAttr target) {
  return 2 * target.getLanes();
}

MicroKernel mlir::qnt::chooseMicroKernel(TargetAttr target, Storage storage,
                                         int64_t n0, int64_t maxM0) {
  bool avx2 = target.getDot() != DotKind::Generic && target.getVectorBits() >= 256;
  MicroKernel k;
  k.n0 = n0;
  int64_t registers = target.getRegisters(), temporaries;
  bool u4 = storage == Storage::U4Offset8 || storage == Storage::U4;
  bool u6 = storage == Storage::U6Offset32;
  if (storage != Storage::I8 && target.getDot() == DotKind::Vnni) {
    k.dot = DotKind::Vnni;
    k.lanes = target.getLanes();
    // The act broadcast is a memory operand; sums, scale; 4-bit: the mask,
    // the shifted bytes; 6-bit: two masks, the high bits' row, a shifted
    // copy.
    temporaries = u4 ? 4 : u6 ? 6 : 2;
  } else if ((u4 || u6) && avx2) {
    // Nibbles times s8 need no sign trick, and their i16 pairs add up over
    // 8 steps (vpmaddubsw + vpaddw): within the steps the i16 sums and the
    // i32 accumulators, the unpacked weights (2 per vector: low and high
    // nibbles) and 3 temporaries (mask, broadcast, product) are live; the
    // f32 accumulators, touched once per group, may live in memory. (Four
    // rows, leaving the i32 ones to memory too, measured no faster.) 6-bit
    // weights (i16 pairs of two steps) take the same tile: their rows of
    // high bits reload from L1 where registers run out.
    k.dot = DotKind::Maddubs;
    k.lanes = std::min<int64_t>(8, n0);
    int64_t vectors = n0 / k.lanes;
    int64_t fits = (16 - 2 * vectors - 3) / (2 * vectors);
    k.m0 = std::max<int64_t>(1, std::min(maxM0, fits));
    return k;
  } else if (storage == Storage::I8 && avx2) {
    // vpsignb has no EVEX form: ymm0-15 only.
    k.dot = DotKind::Maddubs;
    k.lanes = 8;
    registers = 16;
    temporaries = 4; // |a|, signed w, the i16 pairs, the ones of vpmaddwd
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

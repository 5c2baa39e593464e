// Option values the passes refuse, each with a clear error and a failure:
// the enumerated ones by the option parser (naming the option), the rest by
// the pass.
// RUN: not quant-opt %s --qnt-fold-weight-quant=granularity=rows 2>&1 | FileCheck %s --check-prefix=FOLD-GRAN
// RUN: not quant-opt %s --qnt-fold-weight-quant=block=0 2>&1 | FileCheck %s --check-prefix=FOLD-BLOCK
// RUN: not quant-opt %s --qnt-fold-weight-quant=storage=u4 2>&1 | FileCheck %s --check-prefix=FOLD-STORAGE
// RUN: not quant-opt %s --qnt-fold-weight-quant=scale=bf16 2>&1 | FileCheck %s --check-prefix=FOLD-SCALE
// RUN: not quant-opt %s --qnt-fold-weight-quant=rounding=up 2>&1 | FileCheck %s --check-prefix=ROUNDING
// RUN: not quant-opt %s --qnt-fold-weight-quant=bits=3 2>&1 | FileCheck %s --check-prefix=FOLD-BITS
// RUN: not quant-opt %s --qnt-fold-weight-quant="bits=4 granularity=per-channel" 2>&1 | FileCheck %s --check-prefix=FOLD-BITS4
// RUN: not quant-opt %s --qnt-fold-weight-quant="bits=4 block=48" 2>&1 | FileCheck %s --check-prefix=FOLD-BITS4B
// RUN: not quant-opt %s --qnt-insert-act-quant=granularity=per-channel 2>&1 | FileCheck %s --check-prefix=ACT-GRAN
// RUN: not quant-opt %s --qnt-insert-act-quant=scale=bf16 2>&1 | FileCheck %s --check-prefix=ACT-SCALE
// RUN: not quant-opt %s --qnt-insert-act-quant=rounding=down 2>&1 | FileCheck %s --check-prefix=ROUNDING
// RUN: not quant-opt %s --qnt-lower-to-vector=tile-cols=0 2>&1 | FileCheck %s --check-prefix=TILE
// RUN: not quant-opt %s --qnt-data-tiling=n0=-1 2>&1 | FileCheck %s --check-prefix=N0
// RUN: not quant-opt %s --qnt-tile-matmul=max-m0=0 2>&1 | FileCheck %s --check-prefix=M0
// RUN: not quant-opt %s --qnt-lower-microkernel=prefetch-bytes=-64 2>&1 | FileCheck %s --check-prefix=PREFETCH
// RUN: not quant-opt %s --qnt-lower-microkernel=lead-prefetch-bytes=-2 2>&1 | FileCheck %s --check-prefix=LEAD

// FOLD-GRAN: for the --granularity option: Cannot find option named 'rows'!
// FOLD-BLOCK: error: block must be positive, got 0
// FOLD-STORAGE: for the --storage option: Cannot find option named 'u4'!
// FOLD-SCALE: for the --scale option: Cannot find option named 'bf16'!
// FOLD-BITS: for the --bits option: Cannot find option named '3'!
// FOLD-BITS4: error: 4-bit weights are quantized per block of a multiple of 32 values, got per-channel with block 32
// FOLD-BITS4B: error: 4-bit weights are quantized per block of a multiple of 32 values, got per-block with block 48
// ROUNDING: for the --rounding option: Cannot find option named
// ACT-GRAN: for the --granularity option: Cannot find option named 'per-channel'!
// ACT-SCALE: for the --scale option: Cannot find option named 'bf16'!
// TILE: error: tile-cols must be at least 1
// N0: error: n0 must be positive, or 0 for the target's
// M0: error: max-m0 must be at least 1
// PREFETCH: error: prefetch-bytes must be -1 (by the weight's format), 0 (no prefetch) or positive, got -64
// LEAD: error: lead-prefetch-bytes must be -1 (by the weight's format), 0 (none) or positive, got -2

func.func @f(%x: tensor<?x32xf32>) -> tensor<?x4xf32> {
  %w = arith.constant dense<1.0> : tensor<4x32xf32>
  %y = qnt.linear %x, %w : tensor<?x32xf32>, tensor<4x32xf32> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// RUN: not quant-opt %s --qnt-attach-target="dot=maddubs vector-bits=512" 2>&1 | FileCheck %s --check-prefix=MADDUBS
// RUN: not quant-opt %s --qnt-attach-target="vector-bits=384" 2>&1 | FileCheck %s --check-prefix=BITS
// RUN: not quant-opt %s --qnt-attach-target="dot=avx10" 2>&1 | FileCheck %s --check-prefix=DOT

// Combinations the attribute refuses, and an unknown dot.
// MADDUBS: error: --qnt-attach-target: the maddubs dot is AVX2's: vector_bits must be 256
// BITS: error: --qnt-attach-target: vector_bits must be 128, 256 or 512, got 384
// DOT: for the --dot option: Cannot find option named 'avx10'!
module {
  func.func @f() {
    return
  }
}

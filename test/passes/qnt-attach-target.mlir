// RUN: quant-opt %s --qnt-attach-target="cpu=znver5 dot=vnni vector-bits=512 registers=32" | FileCheck %s
// RUN: quant-opt %s --qnt-attach-target | FileCheck %s --check-prefix=DEFAULT
// RUN: not quant-opt %s --qnt-attach-target="dot=maddubs vector-bits=512" 2>&1 | FileCheck %s --check-prefix=MADDUBS
// RUN: not quant-opt %s --qnt-attach-target="vector-bits=384" 2>&1 | FileCheck %s --check-prefix=BITS
// RUN: not quant-opt %s --qnt-attach-target="dot=avx10" 2>&1 | FileCheck %s --check-prefix=DOT

// The module's target is stated (and an existing one replaced); the
// defaults are the generic 128-bit target.
// CHECK: module attributes {qnt.target = #qnt.target<cpu = "znver5", vector_bits = 512, dot = vnni, registers = 32>}
// DEFAULT: module attributes {qnt.target = #qnt.target<vector_bits = 128, dot = generic>}
// MADDUBS: error: --qnt-attach-target: the maddubs dot is AVX2's: vector_bits must be 256
// BITS: error: --qnt-attach-target: vector_bits must be 128, 256 or 512, got 384
// DOT: for the --dot option: Cannot find option named 'avx10'!
module attributes {qnt.target = #qnt.target<vector_bits = 256, dot = maddubs>} {
  func.func @f() {
    return
  }
}

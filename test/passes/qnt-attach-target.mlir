// RUN: quant-opt %s --qnt-attach-target="cpu=znver5 dot=vnni vector-bits=512 registers=32" | FileCheck %s
// RUN: quant-opt %s --qnt-attach-target | FileCheck %s --check-prefix=DEFAULT

// The module's target is stated (and an existing one replaced); the
// defaults are the generic 128-bit target.
// CHECK: module attributes {qnt.target = #qnt.target<cpu = "znver5", vector_bits = 512, dot = vnni, registers = 32>}
// DEFAULT: module attributes {qnt.target = #qnt.target<vector_bits = 128, dot = generic>}
module attributes {qnt.target = #qnt.target<vector_bits = 256, dot = maddubs>} {
  func.func @f() {
    return
  }
}

// RUN: not quant-opt %s --qnt-profile --qnt-profile 2>&1 | FileCheck %s

// A module instrumented twice would time every op twice: refused.
// CHECK: error: is already instrumented (@qnt_profile_names exists)
func.func @f(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %s = arith.addf %x, %x : tensor<?x64xf32>
  return %s : tensor<?x64xf32>
}

// RUN: quant-opt %s --qnt-externalize-weights="file=%t min-bytes=64" | FileCheck %s

// Constants that stay in the code: below min-bytes, not byte-sized (i1),
// not a tensor, or a function with none to move keeps its signature.
// CHECK-LABEL: func.func @stays
// CHECK-SAME:    () -> (tensor<15xf32>, tensor<1024xi1>, vector<32xf32>)
// CHECK:         arith.constant dense<1.000000e+00> : tensor<15xf32>
// CHECK:         arith.constant dense<true> : tensor<1024xi1>
// CHECK:         arith.constant dense<2.000000e+00> : vector<32xf32>
// CHECK-NOT:     memref.view
func.func @stays() -> (tensor<15xf32>, tensor<1024xi1>, vector<32xf32>) {
  %a = arith.constant dense<1.0> : tensor<15xf32>
  %b = arith.constant dense<true> : tensor<1024xi1>
  %c = arith.constant dense<2.0> : vector<32xf32>
  return %a, %b, %c : tensor<15xf32>, tensor<1024xi1>, vector<32xf32>
}

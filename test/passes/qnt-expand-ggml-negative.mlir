// RUN: quant-opt %s --qnt-expand-ggml | FileCheck %s

// What --qnt-expand-ggml leaves alone: float constants and quantized
// constants are not GGML blocks.
// CHECK-LABEL: func.func @other_constants
// CHECK:         arith.constant dense<1.000000e+00> : tensor<1x32xf32>
// CHECK:         qnt.constant
// CHECK-NOT:     dense_resource
func.func @other_constants() -> (tensor<1x32xf32>, !qnt.tensor<1x32xf32, #qnt.scheme<granularity = per_block>>) {
  %a = arith.constant dense<1.0> : tensor<1x32xf32>
  %q = qnt.constant data(dense<1> : tensor<1x32xi8>) scales(dense<1.0> : tensor<1x1xf16>) : !qnt.tensor<1x32xf32, #qnt.scheme<granularity = per_block>>
  return %a, %q : tensor<1x32xf32>, !qnt.tensor<1x32xf32, #qnt.scheme<granularity = per_block>>
}

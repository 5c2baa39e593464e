// RUN: quant-opt %s --split-input-file --qnt-fold-weight-quant | FileCheck %s

// A weight passed in at run time is not known at compile time: left as is.
// CHECK-LABEL: func.func @argument_weight
// CHECK-NOT:     qnt.constant
// CHECK:         qnt.linear %{{.+}}, %{{.+}} : tensor<?x32xf32>, tensor<4x32xf32> -> tensor<?x4xf32>
func.func @argument_weight(%x: tensor<?x32xf32>, %w: tensor<4x32xf32>) -> tensor<?x4xf32> {
  %y = qnt.linear %x, %w : tensor<?x32xf32>, tensor<4x32xf32> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// A weight computed by an op is not a constant to this pass (folding it is
// the canonicalizer's job, before this pass).
// CHECK-LABEL: func.func @computed_weight
// CHECK:         %[[W:.+]] = arith.addf
// CHECK:         qnt.linear %{{.+}}, %[[W]] : tensor<?x32xf32>, tensor<4x32xf32>
func.func @computed_weight(%x: tensor<?x32xf32>) -> tensor<?x4xf32> {
  %a = arith.constant dense<1.0> : tensor<4x32xf32>
  %w = arith.addf %a, %a : tensor<4x32xf32>
  %y = qnt.linear %x, %w : tensor<?x32xf32>, tensor<4x32xf32> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// A weight that is already quantized is not quantized again.
// CHECK-LABEL: func.func @already_quantized
// CHECK:         %[[W:.+]] = qnt.constant data(dense<1> : tensor<4x32xi8>)
// CHECK-NOT:     qnt.constant
// CHECK:         qnt.linear %{{.+}}, %[[W]]
func.func @already_quantized(%x: tensor<?x32xf32>) -> tensor<?x4xf32> {
  %w = qnt.constant data(dense<1> : tensor<4x32xi8>) scales(dense<0.5> : tensor<4x1xf16>) : !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_block>>
  %y = qnt.linear %x, %w : tensor<?x32xf32>, !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_block>> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// Dequantized run-time data is not a compile-time weight: nothing to repack.
// CHECK-LABEL: func.func @dequantized_argument
// CHECK:         %[[W:.+]] = qnt.dequantize
// CHECK:         qnt.linear %{{.+}}, %[[W]] : tensor<?x32xf32>, tensor<4x32xf32>
func.func @dequantized_argument(%x: tensor<?x32xf32>, %q: !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_block>>) -> tensor<?x4xf32> {
  %w = qnt.dequantize %q : !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_block>> -> tensor<4x32xf32>
  %y = qnt.linear %x, %w : tensor<?x32xf32>, tensor<4x32xf32> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// RUN: quant-opt %s --split-input-file --qnt-insert-act-quant | FileCheck %s

// Calibrated act_scales on a linear make its quantize static: one scale per
// block of the activation (here 64 / 32 = 2), as given.
// CHECK: #[[S:.+]] = #qnt.scheme<granularity = per_block, scale = f32>
// CHECK-LABEL: func.func @per_block
// CHECK:         %[[Q:.+]] = qnt.quantize %{{.+}} {static_scales = dense<{{\[\[}}1.000000e-01, 2.000000e-01]]> : tensor<1x2xf32>} : tensor<?x64xf32> -> !qnt.tensor<?x64xf32, #[[S:.+]]>
// CHECK:         qnt.matmul %[[Q]]
func.func @per_block(%x: tensor<?x64xf32>, %w: !qnt.tensor<8x64xf32, #qnt.scheme<granularity = per_block>>) -> tensor<?x8xf32> {
  %y = qnt.linear %x, %w {act_scales = dense<[[0.1, 0.2]]> : tensor<1x2xf32>} : tensor<?x64xf32>, !qnt.tensor<8x64xf32, #qnt.scheme<granularity = per_block>> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// One scale for the whole tensor is repeated for each block (per token, it
// is the one scale of every row: qnt-insert-act-quant-per-token.mlir).
// CHECK-LABEL: func.func @per_tensor
// CHECK:         qnt.quantize %{{.+}} {static_scales = dense<5.000000e-02> : tensor<1x2xf32>}
func.func @per_tensor(%x: tensor<?x64xf32>, %w: !qnt.tensor<8x64xf32, #qnt.scheme<granularity = per_block>>) -> tensor<?x8xf32> {
  %y = qnt.linear %x, %w {act_scales = dense<0.05> : tensor<1x1xf32>} : tensor<?x64xf32>, !qnt.tensor<8x64xf32, #qnt.scheme<granularity = per_block>> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// q/k/v with the same scales share one quantize; a linear of the same input
// with other scales, or none, gets its own.
// CHECK-LABEL: func.func @sharing
// CHECK-COUNT-3: qnt.quantize
// CHECK-NOT:     qnt.quantize
func.func @sharing(%x: tensor<?x64xf32>, %w: !qnt.tensor<8x64xf32, #qnt.scheme<granularity = per_block>>) -> (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>) {
  %a = qnt.linear %x, %w {act_scales = dense<0.05> : tensor<1x1xf32>} : tensor<?x64xf32>, !qnt.tensor<8x64xf32, #qnt.scheme<granularity = per_block>> -> tensor<?x8xf32>
  %b = qnt.linear %x, %w {act_scales = dense<0.05> : tensor<1x1xf32>} : tensor<?x64xf32>, !qnt.tensor<8x64xf32, #qnt.scheme<granularity = per_block>> -> tensor<?x8xf32>
  %c = qnt.linear %x, %w {act_scales = dense<0.07> : tensor<1x1xf32>} : tensor<?x64xf32>, !qnt.tensor<8x64xf32, #qnt.scheme<granularity = per_block>> -> tensor<?x8xf32>
  %d = qnt.linear %x, %w : tensor<?x64xf32>, !qnt.tensor<8x64xf32, #qnt.scheme<granularity = per_block>> -> tensor<?x8xf32>
  return %a, %b, %c, %d : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// A float weight is left alone, act_scales and all.
// CHECK-LABEL: func.func @float_weight
// CHECK:         qnt.linear %{{.+}} {act_scales = dense<5.000000e-02> : tensor<1x1xf32>}
// CHECK-NOT:     qnt.quantize
func.func @float_weight(%x: tensor<?x64xf32>, %w: tensor<8x64xf32>) -> tensor<?x8xf32> {
  %y = qnt.linear %x, %w {act_scales = dense<0.05> : tensor<1x1xf32>} : tensor<?x64xf32>, tensor<8x64xf32> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

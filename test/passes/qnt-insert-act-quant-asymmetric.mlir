// RUN: quant-opt %s --split-input-file --qnt-insert-act-quant | FileCheck %s

// act_asymmetric: the input is quantized with zero points (symmetric =
// false), against a weight that keeps its per-group sums; with a u8 + 128
// weight the activation keeps its own sums too.
// CHECK-DAG: #[[$A:.+]] = #qnt.scheme<granularity = per_block, symmetric = false, scale = f32, sums = true>
// CHECK-LABEL: func.func @per_block
// CHECK:         %[[Q:.+]] = qnt.quantize %{{.+}} : tensor<?x64xf32> -> !qnt.tensor<?x64xf32, #[[$A]]>
// CHECK:         qnt.matmul %[[Q]], %{{.+}} : !qnt.tensor<?x64xf32, #[[$A]]>, !qnt.tensor<8x64xf32, #{{.+}}> -> tensor<?x8xf32>
func.func @per_block(%x: tensor<?x64xf32>, %w: !qnt.tensor<8x64xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128, sums = true>>) -> tensor<?x8xf32> {
  %y = qnt.linear %x, %w {act_asymmetric} : tensor<?x64xf32>, !qnt.tensor<8x64xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128, sums = true>> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// Against a per-channel weight (sums per row), the zero points are per token.
// CHECK-DAG: #[[$T:.+]] = #qnt.scheme<granularity = per_token, symmetric = false, scale = f32>
// CHECK-LABEL: func.func @per_channel
// CHECK:         qnt.quantize %{{.+}} : tensor<?x64xf32> -> !qnt.tensor<?x64xf32, #[[$T]]>
func.func @per_channel(%x: tensor<?x64xf32>, %w: !qnt.tensor<8x64xf32, #qnt.scheme<granularity = per_channel, sums = true>>) -> tensor<?x8xf32> {
  %y = qnt.linear %x, %w {act_asymmetric} : tensor<?x64xf32>, !qnt.tensor<8x64xf32, #qnt.scheme<granularity = per_channel, sums = true>> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// A symmetric and an asymmetric reader of one value get a quantize each.
// CHECK-LABEL: func.func @both
// CHECK-COUNT-2: qnt.quantize
func.func @both(%x: tensor<?x64xf32>, %w: !qnt.tensor<8x64xf32, #qnt.scheme<granularity = per_block, sums = true>>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %a = qnt.linear %x, %w {act_asymmetric} : tensor<?x64xf32>, !qnt.tensor<8x64xf32, #qnt.scheme<granularity = per_block, sums = true>> -> tensor<?x8xf32>
  %b = qnt.linear %x, %w : tensor<?x64xf32>, !qnt.tensor<8x64xf32, #qnt.scheme<granularity = per_block, sums = true>> -> tensor<?x8xf32>
  return %a, %b : tensor<?x8xf32>, tensor<?x8xf32>
}

// RUN: quant-opt %s --split-input-file --qnt-insert-act-quant | FileCheck %s

// A linear whose weight stays float (a layer kept in float on purpose, or a
// weight only known at run time) keeps a float activation.
// CHECK-LABEL: func.func @float_weight
// CHECK-NOT:     qnt.quantize
// CHECK:         qnt.linear %{{.+}}, %{{.+}} : tensor<?x32xf32>, tensor<4x32xf32> -> tensor<?x4xf32>
func.func @float_weight(%x: tensor<?x32xf32>, %w: tensor<4x32xf32>) -> tensor<?x4xf32> {
  %y = qnt.linear %x, %w : tensor<?x32xf32>, tensor<4x32xf32> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// super-block-scales=auto declines a K-quant weight that is not data-tiled
// (only the tiled micro-kernels take super-block activation scales), even
// on an AVX2 target: the activation keeps the weight's block.
#q4k = #qnt.scheme<bits = 4, granularity = per_block, storage = u4, mins = true, super_block = 256>
// CHECK:       #[[$ACT:.+]] = #qnt.scheme<granularity = per_block, scale = f32, sums = true>{{$}}
// CHECK-LABEL: func.func @untiled_k_quant
// CHECK:         qnt.quantize %{{.+}} -> !qnt.tensor<?x256xf32, #[[$ACT]]>
module attributes {qnt.target = #qnt.target<vector_bits = 256, dot = maddubs>} {
  func.func @untiled_k_quant(%x: tensor<?x256xf32>, %w: !qnt.tensor<32x256xf32, #q4k>) -> tensor<?x32xf32> {
    %y = qnt.linear %x, %w : tensor<?x256xf32>, !qnt.tensor<32x256xf32, #q4k> -> tensor<?x32xf32>
    return %y : tensor<?x32xf32>
  }
}

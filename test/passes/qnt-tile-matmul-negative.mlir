// RUN: quant-opt %s --split-input-file --qnt-tile-matmul | FileCheck %s

// A row-major weight has no tiles to cut: the matmul is left as it is (and
// --qnt-lower-to-vector then says why it cannot lower it).
// CHECK-LABEL: func.func @row_major
// CHECK:         qnt.matmul
// CHECK-NOT:     qnt.matmul_tile
func.func @row_major(%x: !qnt.tensor<?x32xf32, #qnt.scheme<granularity = per_block, scale = f32>>,
                     %w: !qnt.tensor<8x32xf32, #qnt.scheme<granularity = per_block>>) -> tensor<?x8xf32> {
  %y = qnt.matmul %x, %w : !qnt.tensor<?x32xf32, #qnt.scheme<granularity = per_block, scale = f32>>,
       !qnt.tensor<8x32xf32, #qnt.scheme<granularity = per_block>> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// Tiles 8 bytes deep are no micro-kernel's: declined.
// CHECK-LABEL: func.func @deep_tiles
// CHECK-NOT:     qnt.matmul_tile
func.func @deep_tiles(%x: !qnt.tensor<?x32xf32, #qnt.scheme<granularity = per_block, scale = f32>, #qnt.layout<pad = 32>>,
                      %w: !qnt.tensor<8x32xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<n0 = 8, k0 = 8, pad = 32>>) -> tensor<?x8xf32> {
  %y = qnt.matmul %x, %w : !qnt.tensor<?x32xf32, #qnt.scheme<granularity = per_block, scale = f32>, #qnt.layout<pad = 32>>,
       !qnt.tensor<8x32xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<n0 = 8, k0 = 8, pad = 32>> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// n0 = 6 is no multiple of the 4 lanes of generic code: declined.
// CHECK-LABEL: func.func @odd_tiles
// CHECK-NOT:     qnt.matmul_tile
func.func @odd_tiles(%x: !qnt.tensor<?x32xf32, #qnt.scheme<granularity = per_block, scale = f32>, #qnt.layout<pad = 32>>,
                     %w: !qnt.tensor<6x32xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<n0 = 6, k0 = 4, pad = 32>>) -> tensor<?x6xf32> {
  %y = qnt.matmul %x, %w : !qnt.tensor<?x32xf32, #qnt.scheme<granularity = per_block, scale = f32>, #qnt.layout<pad = 32>>,
       !qnt.tensor<6x32xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<n0 = 6, k0 = 4, pad = 32>> -> tensor<?x6xf32>
  return %y : tensor<?x6xf32>
}

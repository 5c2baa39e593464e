// RUN: quant-opt %s --split-input-file --qnt-outline-layers | FileCheck %s

// Each layer's ops (located at blk.N.*) move into @forward_blkN, called in
// their place: the layer's inputs (the residual, the cache, the weights, the
// row count) are its arguments, what later layers read its results. A
// tensor.empty the layers share (CSE) is made again in each; the residual,
// accumulated in place by a kernel into its last argument, may leave.
// CHECK-LABEL: func.func @forward
// CHECK-SAME:    (%[[X:[^:]+]]: tensor<?x8xf32>, %[[W0:[^:]+]]: tensor<8x8xf32>, %[[W1:[^:]+]]: tensor<8x8xf32>, %[[C:[^:]+]]: tensor<2x4x8xf32>)
// CHECK:         %[[N:.+]] = tensor.dim %[[X]]
// CHECK-NOT:     tensor.empty
// CHECK:         %[[L0:.+]]:2 = call @forward_blk0(%[[N]], %[[X]], %[[C]], %[[W0]]) : (index, tensor<?x8xf32>, tensor<2x4x8xf32>, tensor<8x8xf32>) -> (tensor<2x4x8xf32>, tensor<?x8xf32>)
// CHECK-NEXT:    %[[L1:.+]]:2 = call @forward_blk1(%[[L0]]#1, %[[N]], %[[L0]]#0, %[[W1]])
// CHECK-NEXT:    return %[[L1]]#1, %[[L1]]#0
// CHECK-LABEL: func.func private @forward_blk0
// CHECK-SAME:    (%[[BN:[^:]+]]: index, %[[BX:[^:]+]]: tensor<?x8xf32>, %[[BC:[^:]+]]: tensor<2x4x8xf32>, %[[BW:[^:]+]]: tensor<8x8xf32>)
// CHECK:         %[[E:.+]] = tensor.empty(%[[BN]])
// CHECK:         %[[H:.+]] = linalg.copy ins(%[[BX]] : tensor<?x8xf32>) outs(%[[E]] : tensor<?x8xf32>)
// CHECK:         %[[K:.+]] = tensor.insert_slice %{{.+}} into %[[BC]][0, 0, 0]
// CHECK:         %[[R:.+]] = call @kernel(%[[H]], %[[BW]], %[[BX]])
// CHECK:         return %[[K]], %[[R]]
// CHECK-LABEL: func.func private @forward_blk1
// CHECK:         tensor.empty
// CHECK:         tensor.insert_slice %{{.+}} into %{{.+}}[1, 0, 0]
func.func private @kernel(tensor<?x8xf32>, tensor<8x8xf32>, tensor<?x8xf32>) -> (tensor<?x8xf32> {qnt.in_last_arg})
func.func @forward(%x: tensor<?x8xf32>, %w0: tensor<8x8xf32>, %w1: tensor<8x8xf32>, %cache: tensor<2x4x8xf32>) -> (tensor<?x8xf32>, tensor<2x4x8xf32>) {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x8xf32>
  %e = tensor.empty(%n) : tensor<?x8xf32> loc("blk.0.attn_norm")
  %h0 = linalg.copy ins(%x : tensor<?x8xf32>) outs(%e : tensor<?x8xf32>) -> tensor<?x8xf32> loc("blk.0.attn_norm")
  %k0 = tensor.extract_slice %h0[0, 0] [1, 8] [1, 1] : tensor<?x8xf32> to tensor<1x8xf32> loc("blk.0.attn_k")
  %c1 = tensor.insert_slice %k0 into %cache[0, 0, 0] [1, 1, 8] [1, 1, 1] : tensor<1x8xf32> into tensor<2x4x8xf32> loc("blk.0.attn")
  %r0 = call @kernel(%h0, %w0, %x) : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32> loc("blk.0.ffn_down")
  %h1 = linalg.copy ins(%r0 : tensor<?x8xf32>) outs(%e : tensor<?x8xf32>) -> tensor<?x8xf32> loc("blk.1.attn_norm")
  %k1 = tensor.extract_slice %h1[0, 0] [1, 8] [1, 1] : tensor<?x8xf32> to tensor<1x8xf32> loc("blk.1.attn_k")
  %c2 = tensor.insert_slice %k1 into %c1[1, 0, 0] [1, 1, 8] [1, 1, 1] : tensor<1x8xf32> into tensor<2x4x8xf32> loc("blk.1.attn")
  %r1 = call @kernel(%h1, %w1, %r0) : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32> loc("blk.1.ffn_down")
  return %r1, %c2 : tensor<?x8xf32>, tensor<2x4x8xf32>
}

// -----

// A layer whose value of dynamic shape would leave it as a new buffer (not an
// argument updated in place) stays inline, as do the ops of a layer that is
// not one contiguous range.
// CHECK-LABEL: func.func @fresh
// CHECK-NOT:     call @fresh_blk
// CHECK:         linalg.copy
// CHECK-NOT:     func.func private @fresh_blk
func.func @fresh(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x8xf32>
  %e = tensor.empty(%n) : tensor<?x8xf32> loc("blk.0.attn_norm")
  %h = linalg.copy ins(%x : tensor<?x8xf32>) outs(%e : tensor<?x8xf32>) -> tensor<?x8xf32> loc("blk.0.attn_norm")
  return %h : tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func.func @interleaved
// CHECK-NOT:     call @interleaved_blk
// CHECK-NOT:     func.func private @interleaved_blk
func.func @interleaved(%c: tensor<2x8xf32>, %a: tensor<1x8xf32>) -> tensor<2x8xf32> {
  %c1 = tensor.insert_slice %a into %c[0, 0] [1, 8] [1, 1] : tensor<1x8xf32> into tensor<2x8xf32> loc("blk.0.attn")
  %c2 = tensor.insert_slice %a into %c1[1, 0] [1, 8] [1, 1] : tensor<1x8xf32> into tensor<2x8xf32> loc("blk.1.attn")
  %c3 = tensor.insert_slice %a into %c2[0, 0] [1, 8] [1, 1] : tensor<1x8xf32> into tensor<2x8xf32> loc("blk.0.attn")
  return %c3 : tensor<2x8xf32>
}

// -----

// A constant of layer 1 hoisted above layer 0 (as canonicalization puts
// constants) neither starts a range nor breaks one: both layers are
// outlined, and the constant is made again in layer 1's function.
// CHECK-LABEL: func.func @hoisted
// CHECK:         %[[L0:.+]] = call @hoisted_blk0(
// CHECK:         call @hoisted_blk1(%{{.+}}, %[[L0]])
// CHECK-LABEL: func.func private @hoisted_blk0
// CHECK-NOT:     arith.constant 7
// CHECK-LABEL: func.func private @hoisted_blk1
// CHECK:         arith.constant 7 : i64
// CHECK:         call @use(
func.func private @use(i64)
func.func @hoisted(%c: tensor<2x8xf32>, %a: tensor<1x8xf32>) -> tensor<2x8xf32> {
  %id = arith.constant 7 : i64 loc("blk.1.attn")
  %c1 = tensor.insert_slice %a into %c[0, 0] [1, 8] [1, 1] : tensor<1x8xf32> into tensor<2x8xf32> loc("blk.0.attn")
  func.call @use(%id) : (i64) -> () loc("blk.1.attn")
  %c2 = tensor.insert_slice %a into %c1[1, 0] [1, 8] [1, 1] : tensor<1x8xf32> into tensor<2x8xf32> loc("blk.1.attn")
  return %c2 : tensor<2x8xf32>
}

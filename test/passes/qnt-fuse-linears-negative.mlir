// RUN: quant-opt %s --split-input-file --qnt-fuse-linears | FileCheck %s

// What --qnt-fuse-linears leaves apart: each case has two linears that do
// not share all of input, weight kind and attributes, and both stay.

// Different GGML formats (Q4_0 and Q8_0 rows).
// CHECK-LABEL: func.func @formats
// CHECK-NOT:     dense_resource
// CHECK-COUNT-2: qnt.linear
// CHECK-NOT:     tensor.extract_slice
func.func @formats(%x: tensor<?x32xf32>) -> (tensor<?x1xf32>, tensor<?x1xf32>) {
  %wa = qnt.ggml_constant q4_0 dense<[0, 52, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48]> : tensor<18xi8> : tensor<1x32xf32> loc("blk.0.attn_k.weight")
  %a = qnt.linear %x, %wa : tensor<?x32xf32>, tensor<1x32xf32> -> tensor<?x1xf32> loc("blk.0.attn_k")
  %wb = qnt.ggml_constant q8_0 dense<[0, 48, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32]> : tensor<34xi8> : tensor<1x32xf32> loc("blk.0.attn_v.weight")
  %b = qnt.linear %x, %wb : tensor<?x32xf32>, tensor<1x32xf32> -> tensor<?x1xf32> loc("blk.0.attn_v")
  return %a, %b : tensor<?x1xf32>, tensor<?x1xf32>
}

// -----

// Different inputs; float weights of different element types; a weight that
// is an argument, not a constant; a splat constant (no bytes to stack).
// CHECK-LABEL: func.func @inputs_types_arguments
// CHECK-NOT:     dense_resource
// CHECK-COUNT-6: qnt.linear
// CHECK-NOT:     tensor.extract_slice
func.func @inputs_types_arguments(%x: tensor<?x2xf32>, %y: tensor<?x2xf32>, %w: tensor<1x2xf32>)
    -> (tensor<?x1xf32>, tensor<?x1xf32>, tensor<?x1xf32>, tensor<?x1xf32>, tensor<?x1xf32>, tensor<?x1xf32>) {
  %w32 = arith.constant dense<[[1.0, 2.0]]> : tensor<1x2xf32>
  %w16 = arith.constant dense<[[1.0, 2.0]]> : tensor<1x2xf16>
  %wsplat = arith.constant dense<1.0> : tensor<1x2xf32>
  %a = qnt.linear %x, %w32 : tensor<?x2xf32>, tensor<1x2xf32> -> tensor<?x1xf32>
  %b = qnt.linear %y, %w32 : tensor<?x2xf32>, tensor<1x2xf32> -> tensor<?x1xf32>
  %c = qnt.linear %y, %w16 : tensor<?x2xf32>, tensor<1x2xf16> -> tensor<?x1xf32>
  %d = qnt.linear %x, %w : tensor<?x2xf32>, tensor<1x2xf32> -> tensor<?x1xf32>
  %e = qnt.linear %x, %wsplat : tensor<?x2xf32>, tensor<1x2xf32> -> tensor<?x1xf32>
  %f = qnt.linear %x, %wsplat : tensor<?x2xf32>, tensor<1x2xf32> -> tensor<?x1xf32>
  return %a, %b, %c, %d, %e, %f : tensor<?x1xf32>, tensor<?x1xf32>, tensor<?x1xf32>, tensor<?x1xf32>, tensor<?x1xf32>, tensor<?x1xf32>
}

// -----

// Different static activation scales (calibration's), or one asymmetric:
// the input would be quantized differently for each.
// CHECK-LABEL: func.func @attributes
// CHECK-NOT:     dense_resource
// CHECK-COUNT-3: qnt.linear
// CHECK-NOT:     tensor.extract_slice
func.func @attributes(%x: tensor<?x2xf32>) -> (tensor<?x1xf32>, tensor<?x1xf32>, tensor<?x1xf32>) {
  %wa = arith.constant dense<[[1.0, 2.0]]> : tensor<1x2xf32>
  %wb = arith.constant dense<[[3.0, 4.0]]> : tensor<1x2xf32>
  %a = qnt.linear %x, %wa {act_scales = dense<0.5> : tensor<1x1xf32>} : tensor<?x2xf32>, tensor<1x2xf32> -> tensor<?x1xf32>
  %b = qnt.linear %x, %wb {act_scales = dense<0.25> : tensor<1x1xf32>} : tensor<?x2xf32>, tensor<1x2xf32> -> tensor<?x1xf32>
  %c = qnt.linear %x, %wb {act_asymmetric} : tensor<?x2xf32>, tensor<1x2xf32> -> tensor<?x1xf32>
  return %a, %b, %c : tensor<?x1xf32>, tensor<?x1xf32>, tensor<?x1xf32>
}

// -----

// Linears in different blocks (one inside a region), and a weight already
// given its layout (the pass runs before --qnt-data-tiling).
// CHECK-LABEL: func.func @blocks_and_layouts
// CHECK-NOT:     dense_resource
// CHECK-COUNT-2: qnt.linear
// CHECK:         scf.execute_region
// CHECK-NEXT:    qnt.linear
// CHECK-NOT:     tensor.extract_slice
func.func @blocks_and_layouts(%x: tensor<?x2xf32>) -> (tensor<?x1xf32>, tensor<?x1xf32>, tensor<?x1xf32>) {
  %wa = arith.constant dense<[[1.0, 2.0]]> : tensor<1x2xf32>
  %wb = arith.constant dense<[[3.0, 4.0]]> : tensor<1x2xf32>
  %a = qnt.linear %x, %wa : tensor<?x2xf32>, tensor<1x2xf32> -> tensor<?x1xf32>
  %b = qnt.linear %x, %wb {weight_layout = #qnt.layout<n0 = 32, k0 = 4, pad = 32>} : tensor<?x2xf32>, tensor<1x2xf32> -> tensor<?x1xf32>
  %c = scf.execute_region -> tensor<?x1xf32> {
    %r = qnt.linear %x, %wb : tensor<?x2xf32>, tensor<1x2xf32> -> tensor<?x1xf32>
    scf.yield %r : tensor<?x1xf32>
  }
  return %a, %b, %c : tensor<?x1xf32>, tensor<?x1xf32>, tensor<?x1xf32>
}

// RUN: quant-opt %s --split-input-file --qnt-fold-weight-quant=bits=4 | FileCheck %s

// 4-bit data lives in tiles only: a linear without a tiled layout keeps an
// 8-bit (Q8_0) weight, whether it came as Q4_0 blocks or as floats.
// CHECK-LABEL: func.func @untiled
// CHECK:         qnt.constant data(dense_resource<qnt_w_q4> : tensor<1x32xi8>) {{.+}} : !qnt.tensor<1x32xf32, #q8_0>
// CHECK:         qnt.constant data(dense_resource<qnt_wf> : tensor<1x32xi8>) {{.+}} : !qnt.tensor<1x32xf32, #q8_0>
// CHECK-NOT:     bits = 4
func.func @untiled(%x: tensor<?x32xf32>) -> (tensor<?x1xf32>, tensor<?x1xf32>) {
  %w = qnt.ggml_constant q4_0 dense<[0, 60, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102]> : tensor<18xi8> : tensor<1x32xf32> loc("w_q4")
  %y = qnt.linear %x, %w : tensor<?x32xf32>, tensor<1x32xf32> -> tensor<?x1xf32>
  %f = arith.constant dense<1.0> : tensor<1x32xf32> loc("wf")
  %z = qnt.linear %x, %f : tensor<?x32xf32>, tensor<1x32xf32> -> tensor<?x1xf32>
  return %y, %z : tensor<?x1xf32>, tensor<?x1xf32>
}

// -----

// Q6_K and IQ4_NL blocks without a tiled layout stay 8-bit too (Q8_0): their
// 6 bits and grid indices live in tiles only.
// CHECK-LABEL: func.func @untiled_six_and_grid
// CHECK:         qnt.constant data(dense_resource<qnt_w6u> : tensor<1x256xi8>) {{.+}} : !qnt.tensor<1x256xf32, #q8_0>
// CHECK:         qnt.constant data(dense_resource<qnt_wnlu> : tensor<1x32xi8>) {{.+}} : !qnt.tensor<1x32xf32, #q8_0>
// CHECK-NOT:     bits = 6
// CHECK-NOT:     u4_grid
func.func @untiled_six_and_grid(%x: tensor<?x256xf32>, %x32: tensor<?x32xf32>) -> (tensor<?x1xf32>, tensor<?x1xf32>) {
  %w = qnt.ggml_constant q6_k dense<[33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 60]> : tensor<210xi8> : tensor<1x256xf32> loc("w6u")
  %y = qnt.linear %x, %w : tensor<?x256xf32>, tensor<1x256xf32> -> tensor<?x1xf32>
  %g = qnt.ggml_constant iq4_nl dense<[0, 60, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102]> : tensor<18xi8> : tensor<1x32xf32> loc("wnlu")
  %z = qnt.linear %x32, %g : tensor<?x32xf32>, tensor<1x32xf32> -> tensor<?x1xf32>
  return %y, %z : tensor<?x1xf32>, tensor<?x1xf32>
}

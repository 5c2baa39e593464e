// RUN: quant-opt %s --qnt-expand-ggml | FileCheck %s

// The f32 values of GGML blocks, as ggml's dequantizers give them. Q4_0, one
// block, d = 1.0, each byte 0x9A: 16 x 2.0 (0x40000000), then 16 x 1.0
// (0x3F800000), little-endian. Two ops over one blob share one constant.
// Q8_0, d = 0.5 (fp16 0x3800): q = -2, 0, 1, 3, ... times 0.5.

// CHECK-LABEL: func.func @expand
// CHECK-NOT:     qnt.ggml_constant
// CHECK:         arith.constant dense_resource<[[BLOB:w_[ab]]]> : tensor<1x32xf32>
// CHECK:         arith.constant dense_resource<[[BLOB]]> : tensor<1x32xf32>
// CHECK:         arith.constant dense_resource<w_c> : tensor<1x32xf32>
// CHECK:       [[BLOB]]: "0x04000000000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F"
// CHECK:       w_c: "0x04000000000080BF000000000000003F0000C03F00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
func.func @expand() -> (tensor<1x32xf32>, tensor<1x32xf32>, tensor<1x32xf32>) {
  %a = qnt.ggml_constant q4_0 dense<[0, 60, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102]> : tensor<18xi8> : tensor<1x32xf32> loc("w_a")
  %b = qnt.ggml_constant q4_0 dense<[0, 60, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102]> : tensor<18xi8> : tensor<1x32xf32> loc("w_b")
  %c = qnt.ggml_constant q8_0 dense<[0, 56, -2, 0, 1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]> : tensor<34xi8> : tensor<1x32xf32> loc("w_c")
  return %a, %b, %c : tensor<1x32xf32>, tensor<1x32xf32>, tensor<1x32xf32>
}

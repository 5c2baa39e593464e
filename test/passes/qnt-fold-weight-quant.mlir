// RUN: quant-opt %s --split-input-file --qnt-fold-weight-quant | FileCheck %s
// RUN: quant-opt %s --split-input-file --qnt-fold-weight-quant="storage=u8" | FileCheck %s --check-prefix=U8
// RUN: quant-opt %s --split-input-file --qnt-fold-weight-quant="rounding=half-even scale=f32" | FileCheck %s --check-prefix=EVEN
// RUN: quant-opt %s --split-input-file --qnt-fold-weight-quant="granularity=per-channel" | FileCheck %s --check-prefix=CHANNEL

// The bytes below were computed by numpy, not by this project: for
// w = (k - 16) / 2, amax = 8, d = 8/127 (fp16 0x2C08), q = round(w * 127/8).

// CHECK-LABEL: func.func @q8_0
// CHECK:         %[[W:.+]] = qnt.constant data(dense_resource<qnt_w_proj> : tensor<1x32xi8>) scales(dense_resource<qnt_w_proj_scales> : tensor<1x1xf16>) : !qnt.tensor<1x32xf32, #q8_0>
// CHECK:         qnt.linear %{{.+}}, %[[W]] : tensor<?x32xf32>, !qnt.tensor<1x32xf32, #q8_0> -> tensor<?x1xf32>
// CHECK-NOT:     arith.constant
// CHECK:       qnt_w_proj: "0x0100000081899199A1A9B1B9C0C8D0D8E0E8F0F8000810182028303840474F575F676F77"
// CHECK:       qnt_w_proj_scales: "0x02000000082C"
// U8:       #[[$U8:.+]] = #qnt.scheme<granularity = per_block, storage = u8_offset128>
// U8-LABEL: func.func @q8_0
// U8:         !qnt.tensor<1x32xf32, #[[$U8]]>
// U8:       qnt_w_proj: "0x010000000109111921293139404850586068707880889098A0A8B0B8C0C7CFD7DFE7EFF7"
// CHANNEL:  #[[$CH:.+]] = #qnt.scheme<granularity = per_channel>
// CHANNEL-LABEL: func.func @q8_0
// CHANNEL:   !qnt.tensor<1x32xf32, #[[$CH]]>
func.func @q8_0(%x: tensor<?x32xf32>) -> tensor<?x1xf32> {
  %w = arith.constant dense<[[-8.0, -7.5, -7.0, -6.5, -6.0, -5.5, -5.0, -4.5, -4.0, -3.5, -3.0, -2.5, -2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 5.5, 6.0, 6.5, 7.0, 7.5]]> : tensor<1x32xf32> loc("w_proj")
  %y = qnt.linear %x, %w : tensor<?x32xf32>, tensor<1x32xf32> -> tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}

// -----

// Rounding: amax 127 makes d = 1, so 2.5, 3.5, -2.5 and 0.5 are ties.
// CHECK-LABEL: func.func @ties
// CHECK:       qnt_weight: "0x010000007F0304FD01
// EVEN-LABEL: func.func @ties
// EVEN:        scales(dense_resource<qnt_weight_scales> : tensor<1x1xf32>)
// EVEN:       qnt_weight: "0x010000007F0204FE00
// EVEN:       qnt_weight_scales: "0x040000000000803F"
func.func @ties(%x: tensor<?x32xf32>) -> tensor<?x1xf32> {
  %w = arith.constant dense<[[127.0, 2.5, 3.5, -2.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]> : tensor<1x32xf32>
  %y = qnt.linear %x, %w : tensor<?x32xf32>, tensor<1x32xf32> -> tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}

// -----

// One weight read by two linears is quantized once.
// CHECK-LABEL: func.func @shared
// CHECK:         %[[W:.+]] = qnt.constant
// CHECK-NOT:     qnt.constant
// CHECK:         qnt.linear %{{.+}}, %[[W]]
// CHECK:         qnt.linear %{{.+}}, %[[W]]
func.func @shared(%a: tensor<?x64xf32>, %b: tensor<?x64xf32>) -> (tensor<?x2xf32>, tensor<?x2xf32>) {
  %w = arith.constant dense<0.25> : tensor<2x64xf32>
  %y = qnt.linear %a, %w : tensor<?x64xf32>, tensor<2x64xf32> -> tensor<?x2xf32>
  %z = qnt.linear %b, %w : tensor<?x64xf32>, tensor<2x64xf32> -> tensor<?x2xf32>
  return %y, %z : tensor<?x2xf32>, tensor<?x2xf32>
}

// -----

// A reduction size the block does not divide is quantized per channel, from
// f16 and bf16 weights alike (1.5 -> q = 127, -2.0 -> q = -127).
// CHECK:       #[[$PC:.+]] = #qnt.scheme<granularity = per_channel>
// CHECK-LABEL: func.func @not_a_multiple_of_the_block
// CHECK:         %[[F16:.+]] = qnt.constant data(dense_resource<[[F16DATA:.+]]> : tensor<3x48xi8>) scales(dense_resource<{{.*}}> : tensor<3x1xf16>) : !qnt.tensor<3x48xf32, #[[$PC]]>
// CHECK:         %[[BF16:.+]] = qnt.constant data(dense_resource<[[BF16DATA:.+]]> : tensor<3x48xi8>) {{.*}} : !qnt.tensor<3x48xf32, #[[$PC]]>
// CHECK:         qnt.linear %{{.+}}, %[[F16]]
// CHECK:         qnt.linear %{{.+}}, %[[BF16]]
// CHECK:       [[F16DATA]]: "0x010000007F7F7F
// CHECK:       [[BF16DATA]]: "0x01000000818181
func.func @not_a_multiple_of_the_block(%x: tensor<?x48xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>) {
  %w = arith.constant dense<1.5> : tensor<3x48xf16>
  %v = arith.constant dense<-2.0> : tensor<3x48xbf16>
  %y = qnt.linear %x, %w : tensor<?x48xf32>, tensor<3x48xf16> -> tensor<?x3xf32>
  %z = qnt.linear %x, %v : tensor<?x48xf32>, tensor<3x48xbf16> -> tensor<?x3xf32>
  return %y, %z : tensor<?x3xf32>, tensor<?x3xf32>
}

// -----

#q8_0 = #qnt.scheme<granularity = per_block>

// A weight that arrives quantized keeps its integers and scales; only the
// storage changes (u8: each byte + 128).
// CHECK-LABEL: func.func @prequantized
// CHECK:         %[[W:.+]] = qnt.constant data(dense<[
// CHECK-NEXT:    qnt.linear %{{.+}}, %[[W]] : tensor<?x32xf32>, !qnt.tensor<2x32xf32, #q8_0>
// U8:       #[[$U8P:.+]] = #qnt.scheme<granularity = per_block, storage = u8_offset128>
// U8-LABEL: func.func @prequantized
// U8:         %[[W:.+]] = qnt.constant data(dense_resource<qnt_weight> : tensor<2x32xi8>) scales(dense<[
// U8-SAME:      [1.000000e+00], [5.000000e-01]
// U8-NEXT:    qnt.linear %{{.+}}, %[[W]] : tensor<?x32xf32>, !qnt.tensor<2x32xf32, #[[$U8P]]>
// U8:       qnt_weight: "0x01000000817F80FF
func.func @prequantized(%x: tensor<?x32xf32>) -> tensor<?x2xf32> {
  %q = qnt.constant data(dense<[[1, -1, 0, 127, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]]> : tensor<2x32xi8>)
                    scales(dense<[[1.0], [0.5]]> : tensor<2x1xf16>) : !qnt.tensor<2x32xf32, #q8_0>
  %w = qnt.dequantize %q : !qnt.tensor<2x32xf32, #q8_0> -> tensor<2x32xf32>
  %y = qnt.linear %x, %w : tensor<?x32xf32>, tensor<2x32xf32> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

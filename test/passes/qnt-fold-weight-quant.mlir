// RUN: quant-opt %s --split-input-file --qnt-fold-weight-quant | FileCheck %s
// RUN: quant-opt %s --split-input-file --qnt-fold-weight-quant="storage=u8" | FileCheck %s --check-prefix=U8
// RUN: quant-opt %s --split-input-file --qnt-fold-weight-quant="rounding=half-even scale=f32" | FileCheck %s --check-prefix=EVEN
// RUN: quant-opt %s --split-input-file --qnt-fold-weight-quant="granularity=per-channel" | FileCheck %s --check-prefix=CHANNEL
// RUN: quant-opt %s --split-input-file --qnt-fold-weight-quant="block=64" | FileCheck %s --check-prefix=B64

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

// -----

// A weight_layout (--qnt-data-tiling): tiles of 2 channels x 4 bytes; 3 rows
// make 2 tiles, the last padded with a zero row (scale 0). Each row is the
// first test's weight rotated by 8 columns. Bytes by numpy: data[t][kq][i][j]
// = q[2t + i][4kq + j].
// CHECK-LABEL: func.func @tiled
// CHECK:         qnt.constant data(dense_resource<qnt_w_tiled> : tensor<2x8x2x4xi8>) scales(dense_resource<qnt_w_tiled_scales> : tensor<2x1x2xf16>) : !qnt.tensor<3x32xf32, #q8_0, #qnt.layout<n0 = 2, k0 = 4, pad = 32>>
// CHECK:       qnt_w_tiled: "0x0100000081899199C0C8D0D8A1A9B1B9E0E8F0F8C0C8D0D800081018E0E8F0F8202830380008101840474F57202830385F676F7740474F57818991995F676F77A1A9B1B90008101800000000202830380000000040474F57000000005F676F77000000008189919900000000A1A9B1B900000000C0C8D0D800000000E0E8F0F800000000"
// CHECK:       qnt_w_tiled_scales: "0x02000000082C082C082C0000"
func.func @tiled(%x: tensor<?x32xf32>) -> tensor<?x3xf32> {
  %w = arith.constant dense<[[-8.0, -7.5, -7.0, -6.5, -6.0, -5.5, -5.0, -4.5, -4.0, -3.5, -3.0, -2.5, -2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 5.5, 6.0, 6.5, 7.0, 7.5],
                             [-4.0, -3.5, -3.0, -2.5, -2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 5.5, 6.0, 6.5, 7.0, 7.5, -8.0, -7.5, -7.0, -6.5, -6.0, -5.5, -5.0, -4.5],
                             [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 5.5, 6.0, 6.5, 7.0, 7.5, -8.0, -7.5, -7.0, -6.5, -6.0, -5.5, -5.0, -4.5, -4.0, -3.5, -3.0, -2.5, -2.0, -1.5, -1.0, -0.5]]> : tensor<3x32xf32> loc("w_tiled")
  %y = qnt.linear %x, %w {weight_layout = #qnt.layout<n0 = 2, k0 = 4, pad = 32>} : tensor<?x32xf32>, tensor<3x32xf32> -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}

// -----

// The reduction padded to whole blocks (K = 40 stored as 64: two blocks,
// the second of 8 values and 24 zeros), not quantized per channel.
// CHECK-LABEL: func.func @padded
// CHECK:         scales(dense_resource<{{.+}}> : tensor<1x2x8xf16>) : !qnt.tensor<4x40xf32, #q8_0, #qnt.layout<n0 = 8, k0 = 4, pad = 32>>
// CHANNEL-LABEL: func.func @padded
// CHANNEL:         tensor<1x1x8xf16>) : !qnt.tensor<4x40xf32, #{{.+}}, #qnt.layout<n0 = 8, k0 = 4, pad = 32>>
func.func @padded(%x: tensor<?x40xf32>) -> tensor<?x4xf32> {
  %w = arith.constant dense<0.25> : tensor<4x40xf32>
  %y = qnt.linear %x, %w {weight_layout = #qnt.layout<n0 = 8, k0 = 4, pad = 32>} : tensor<?x40xf32>, tensor<4x40xf32> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// A block of 64 makes the padding a multiple of 64 too (96 stored as 128).
// CHECK-LABEL: func.func @block64
// CHECK:         tensor<1x3x8xf16>) : !qnt.tensor<4x96xf32, #q8_0, #qnt.layout<n0 = 8, k0 = 4, pad = 32>>
// B64-LABEL: func.func @block64
// B64:         tensor<1x2x8xf16>) : !qnt.tensor<4x96xf32, #{{.+}}, #qnt.layout<n0 = 8, k0 = 4, pad = 64>>
func.func @block64(%x: tensor<?x96xf32>) -> tensor<?x4xf32> {
  %w = arith.constant dense<0.25> : tensor<4x96xf32>
  %y = qnt.linear %x, %w {weight_layout = #qnt.layout<n0 = 8, k0 = 4, pad = 32>} : tensor<?x96xf32>, tensor<4x96xf32> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// A weight that arrives quantized is tiled without requantizing: its
// integers interleave 4 bytes a row, its scales as they are.
// CHECK-LABEL: func.func @repack_tiled
// CHECK:         qnt.constant data(dense_resource<{{.+}}> : tensor<1x8x2x4xi8>) scales(dense_resource<{{.+}}> : tensor<1x1x2xf16>)
// CHECK:       "0x0100000001020304212223240506070825262728090A0B0C292A2B2C
// CHECK-SAME:  1D1E1F203D3E3F40"
// CHECK:       "0x02000000003C0040"
func.func @repack_tiled(%x: tensor<?x32xf32>) -> tensor<?x2xf32> {
  %q = qnt.constant data(dense<[[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32],
                                [33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64]]> : tensor<2x32xi8>)
                  scales(dense<[[1.0], [2.0]]> : tensor<2x1xf16>) : !qnt.tensor<2x32xf32, #qnt.scheme<granularity = per_block>>
  %w = qnt.dequantize %q : !qnt.tensor<2x32xf32, #qnt.scheme<granularity = per_block>> -> tensor<2x32xf32>
  %y = qnt.linear %x, %w {weight_layout = #qnt.layout<n0 = 2, k0 = 4, pad = 32>} : tensor<?x32xf32>, tensor<2x32xf32> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// A linear with act_asymmetric gets its weight with per-group sums of q (the
// zero-point correction's): here q = round(w * 127 / 8) for w = (k - 16) / 2
// sums, by numpy, to -127 (0xFFFFFF81).
// CHECK-LABEL: func.func @sums
// CHECK:         qnt.constant data(dense_resource<qnt_w_sums> : tensor<1x32xi8>) scales(dense_resource<qnt_w_sums_scales> : tensor<1x1xf16>) sums(dense_resource<qnt_w_sums_sums> : tensor<1x1xi32>) : !qnt.tensor<1x32xf32, #{{.+}}>
// CHECK:       qnt_w_sums_sums: "0x0400000081FFFFFF"
func.func @sums(%x: tensor<?x32xf32>) -> tensor<?x1xf32> {
  %w = arith.constant dense<[[-8.0, -7.5, -7.0, -6.5, -6.0, -5.5, -5.0, -4.5, -4.0, -3.5, -3.0, -2.5, -2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 5.5, 6.0, 6.5, 7.0, 7.5]]> : tensor<1x32xf32> loc("w_sums")
  %y = qnt.linear %x, %w {act_asymmetric} : tensor<?x32xf32>, tensor<1x32xf32> -> tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}

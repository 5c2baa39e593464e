// RUN: quant-opt %s --split-input-file --qnt-insert-act-quant | FileCheck %s

#q8_0 = #qnt.scheme<granularity = per_block>

// CHECK:       #[[$ACT:.+]] = #qnt.scheme<granularity = per_block, scale = f32>
// CHECK-LABEL: func.func @basic
// CHECK-SAME:    (%[[X:.+]]: tensor<?x64xf32>)
// CHECK:         %[[Q:.+]] = qnt.quantize %[[X]] : tensor<?x64xf32> -> !qnt.tensor<?x64xf32, #[[$ACT]]>
// CHECK:         %[[W:.+]] = qnt.constant
// CHECK:         %[[Y:.+]] = qnt.matmul %[[Q]], %[[W]] : !qnt.tensor<?x64xf32, #[[$ACT]]>, !qnt.tensor<2x64xf32, #q8_0> -> tensor<?x2xf32>
// CHECK:         return %[[Y]]
func.func @basic(%x: tensor<?x64xf32>) -> tensor<?x2xf32> {
  %w = qnt.constant data(dense<1> : tensor<2x64xi8>) scales(dense<0.5> : tensor<2x2xf16>) : !qnt.tensor<2x64xf32, #q8_0>
  %y = qnt.linear %x, %w : tensor<?x64xf32>, !qnt.tensor<2x64xf32, #q8_0> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

#q8_0 = #qnt.scheme<granularity = per_block>

// q, k and v read one activation: one quantize serves the three.
// CHECK-LABEL: func.func @shared
// CHECK:         %[[Q:.+]] = qnt.quantize
// CHECK-NOT:     qnt.quantize
// CHECK:         qnt.matmul %[[Q]]
// CHECK:         qnt.matmul %[[Q]]
// CHECK:         qnt.matmul %[[Q]]
func.func @shared(%x: tensor<?x64xf32>, %w: !qnt.tensor<2x64xf32, #q8_0>) -> (tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>) {
  %q = qnt.linear %x, %w : tensor<?x64xf32>, !qnt.tensor<2x64xf32, #q8_0> -> tensor<?x2xf32>
  %k = qnt.linear %x, %w : tensor<?x64xf32>, !qnt.tensor<2x64xf32, #q8_0> -> tensor<?x2xf32>
  %v = qnt.linear %x, %w : tensor<?x64xf32>, !qnt.tensor<2x64xf32, #q8_0> -> tensor<?x2xf32>
  return %q, %k, %v : tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>
}

// -----

// A u8_offset128 weight needs the activation's per-block sums, with the
// weight's block size.
// CHECK:       #[[$SUMS:.+]] = #qnt.scheme<granularity = per_block, block = 64, scale = f32, sums = true>
// CHECK-LABEL: func.func @u8_weight
// CHECK:         qnt.quantize %{{.+}} : tensor<?x128xf32> -> !qnt.tensor<?x128xf32, #[[$SUMS]]>
func.func @u8_weight(%x: tensor<?x128xf32>, %w: !qnt.tensor<2x128xf32, #qnt.scheme<granularity = per_block, block = 64, storage = u8_offset128>>) -> tensor<?x2xf32> {
  %y = qnt.linear %x, %w : tensor<?x128xf32>, !qnt.tensor<2x128xf32, #qnt.scheme<granularity = per_block, block = 64, storage = u8_offset128>> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// A 4-bit weight (u4_offset8) is corrected the same way, by -8 * the sums.
// CHECK:       #[[$SUMS4:.+]] = #qnt.scheme<granularity = per_block, scale = f32, sums = true>
// CHECK-LABEL: func.func @u4_weight
// CHECK:         %[[Q:.+]] = qnt.quantize %{{.+}} : tensor<?x64xf32> -> !qnt.tensor<?x64xf32, #[[$SUMS4]], #qnt.layout<pad = 32>>
// CHECK:         qnt.matmul %[[Q]], %{{.+}} : !qnt.tensor<?x64xf32, #[[$SUMS4]], #qnt.layout<pad = 32>>, !qnt.tensor<2x64xf32, #{{.+}}, #qnt.layout<n0 = 16, k0 = 4, pad = 32>>
func.func @u4_weight(%x: tensor<?x64xf32>, %w: !qnt.tensor<2x64xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8>, #qnt.layout<n0 = 16, k0 = 4, pad = 32>>) -> tensor<?x2xf32> {
  %y = qnt.linear %x, %w : tensor<?x64xf32>, !qnt.tensor<2x64xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8>, #qnt.layout<n0 = 16, k0 = 4, pad = 32>> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// Against per-channel weights, activations are quantized in blocks of 32
// when K allows it, per token otherwise.
// CHECK-DAG:   #[[$B32:.+]] = #qnt.scheme<granularity = per_block, scale = f32, sums = true>
// CHECK-DAG:   #[[$TOKEN:.+]] = #qnt.scheme<granularity = per_token, scale = f32>
// CHECK-LABEL: func.func @per_channel_weights
// CHECK:         qnt.quantize %{{.+}} : tensor<?x64xf32> -> !qnt.tensor<?x64xf32, #[[$B32]]>
// CHECK:         qnt.quantize %{{.+}} : tensor<?x48xf32> -> !qnt.tensor<?x48xf32, #[[$TOKEN]]>
func.func @per_channel_weights(%x: tensor<?x64xf32>, %w: !qnt.tensor<2x64xf32, #qnt.scheme<granularity = per_channel, storage = u8_offset128>>,
                               %z: tensor<?x48xf32>, %v: !qnt.tensor<2x48xf32, #qnt.scheme<granularity = per_channel>>) -> (tensor<?x2xf32>, tensor<?x2xf32>) {
  %y = qnt.linear %x, %w : tensor<?x64xf32>, !qnt.tensor<2x64xf32, #qnt.scheme<granularity = per_channel, storage = u8_offset128>> -> tensor<?x2xf32>
  %u = qnt.linear %z, %v : tensor<?x48xf32>, !qnt.tensor<2x48xf32, #qnt.scheme<granularity = per_channel>> -> tensor<?x2xf32>
  return %y, %u : tensor<?x2xf32>, tensor<?x2xf32>
}

// -----

// Against a weight in a padded, tiled layout the activation is padded alike
// (K = 40 stored as 64 on both sides).
// CHECK-LABEL: func.func @padded
// CHECK:         qnt.quantize %{{.+}} : tensor<?x40xf32> -> !qnt.tensor<?x40xf32, #{{.+}}, #qnt.layout<pad = 32>>
func.func @padded(%x: tensor<?x40xf32>,
                  %w: !qnt.tensor<8x40xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<n0 = 8, k0 = 4, pad = 32>>) -> tensor<?x8xf32> {
  %y = qnt.linear %x, %w : tensor<?x40xf32>, !qnt.tensor<8x40xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<n0 = 8, k0 = 4, pad = 32>> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// A 6-bit weight (Q6_K: groups of 16, u6_offset32) gets activations in
// blocks of 16 with their sums (-32 * sum per group); a 4-bit weight reading
// the same input keeps its own quantize in blocks of 32.
// CHECK-DAG:   #[[$SUMS16:.+]] = #qnt.scheme<granularity = per_block, block = 16, scale = f32, sums = true>
// CHECK-DAG:   #[[$SUMS32:.+]] = #qnt.scheme<granularity = per_block, scale = f32, sums = true>
// CHECK-LABEL: func.func @u6_weight
// CHECK-DAG:     %[[Q16:.+]] = qnt.quantize %{{.+}} : tensor<?x256xf32> -> !qnt.tensor<?x256xf32, #[[$SUMS16]], #qnt.layout<pad = 256>>
// CHECK-DAG:     %[[Q32:.+]] = qnt.quantize %{{.+}} : tensor<?x256xf32> -> !qnt.tensor<?x256xf32, #[[$SUMS32]], #qnt.layout<pad = 32>>
// CHECK-DAG:     qnt.matmul %[[Q16]], %{{.+}} : !qnt.tensor<?x256xf32, #[[$SUMS16]], #qnt.layout<pad = 256>>, !qnt.tensor<2x256xf32
// CHECK-DAG:     qnt.matmul %[[Q32]], %{{.+}} : !qnt.tensor<?x256xf32, #[[$SUMS32]], #qnt.layout<pad = 32>>, !qnt.tensor<2x256xf32
func.func @u6_weight(%x: tensor<?x256xf32>,
                     %w6: !qnt.tensor<2x256xf32, #qnt.scheme<bits = 6, granularity = per_block, block = 16, storage = u6_offset32, super_block = 256>, #qnt.layout<n0 = 16, k0 = 4, pad = 256>>,
                     %w4: !qnt.tensor<2x256xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8>, #qnt.layout<n0 = 16, k0 = 4, pad = 32>>) -> (tensor<?x2xf32>, tensor<?x2xf32>) {
  %y = qnt.linear %x, %w6 : tensor<?x256xf32>, !qnt.tensor<2x256xf32, #qnt.scheme<bits = 6, granularity = per_block, block = 16, storage = u6_offset32, super_block = 256>, #qnt.layout<n0 = 16, k0 = 4, pad = 256>> -> tensor<?x2xf32>
  %z = qnt.linear %x, %w4 : tensor<?x256xf32>, !qnt.tensor<2x256xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8>, #qnt.layout<n0 = 16, k0 = 4, pad = 32>> -> tensor<?x2xf32>
  return %y, %z : tensor<?x2xf32>, tensor<?x2xf32>
}

// RUN: quant-opt %s --split-input-file --qnt-fold-weight-quant | FileCheck %s
// RUN: quant-opt %s --split-input-file --qnt-fold-weight-quant=bits=8 | FileCheck %s --check-prefix=EIGHT
// RUN: quant-opt %s --split-input-file --qnt-fold-weight-quant=bits=4 | FileCheck %s --check-prefix=FOUR
// RUN: quant-opt %s --split-input-file --qnt-fold-weight-quant="bits=4 mins=1" | FileCheck %s --check-prefix=MINS

// 4-bit weights. One Q4_0 block: d = 1.0 (fp16 0x3C00), each byte 0x9A: the
// low nibbles u = 10 are values 0..15 (q = 2), the high ones u = 9 values
// 16..31 (q = 1). With a tiled layout (n0 = 16, k0 = 4) the nibbles stay as
// they are, repacked: tile row p holds the 4-byte steps 2p (low nibbles) and
// 2p + 1 (high) of each channel, so channel 0 reads 0xAA for steps 0-3
// (columns 0-15) and 0x99 for steps 4-7; the 15 padding channels hold q = 0
// (u = 8: 0x88) and scale 0.
// CHECK:       #[[$Q4:.+]] = #qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8>
// CHECK-LABEL: func.func @q4_0_tiled
// CHECK:         %[[W:.+]] = qnt.constant data(dense_resource<qnt_w_q4> : tensor<1x4x16x4xi8>) scales(dense_resource<qnt_w_q4_scales> : tensor<1x1x16xf16>)
// CHECK-SAME:      !qnt.tensor<1x32xf32, #[[$Q4]], #qnt.layout<n0 = 16, k0 = 4, pad = 32>>
// CHECK:         qnt.linear %{{.+}}, %[[W]]
// CHECK:       qnt_w_q4: "0x01000000AAAAAAAA888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888AAAAAAAA8888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888889999999988888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888899999999888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888"
// CHECK:       qnt_w_q4_scales: "0x02000000003C000000000000000000000000000000000000000000000000000000000000"
// bits=8 requantizes it into Q8_0 as before: q = 127 and 64.
// EIGHT-LABEL: func.func @q4_0_tiled
// EIGHT:         qnt.constant data(dense_resource<qnt_w_q4> : tensor<1x8x16x4xi8>) {{.+}} : !qnt.tensor<1x32xf32, #q8_0,
// EIGHT:       qnt_w_q4: "0x010000007F7F7F7F
func.func @q4_0_tiled(%x: tensor<?x32xf32>) -> tensor<?x1xf32> {
  %w = qnt.ggml_constant q4_0 dense<[0, 60, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102]> : tensor<18xi8> : tensor<1x32xf32> loc("w_q4")
  %y = qnt.linear %x, %w {weight_layout = #qnt.layout<n0 = 16, k0 = 4, pad = 32>} : tensor<?x32xf32>, tensor<1x32xf32> -> tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}

// -----

// An asymmetric input needs the weight's sums: of q (not u), per block:
// 16 x 2 + 16 x 1 = 48 (0x30) for channel 0, 0 for the padding channels.
// CHECK:       #[[$Q4S:.+]] = #qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8, sums = true>
// CHECK-LABEL: func.func @q4_0_sums
// CHECK:         qnt.constant data({{.+}}) scales({{.+}}) sums(dense_resource<qnt_w_s_sums> : tensor<1x1x16xi32>) : !qnt.tensor<1x32xf32, #[[$Q4S]],
// CHECK:       qnt_w_s_sums: "0x0400000030000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
func.func @q4_0_sums(%x: tensor<?x32xf32>) -> tensor<?x1xf32> {
  %w = qnt.ggml_constant q4_0 dense<[0, 60, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102]> : tensor<18xi8> : tensor<1x32xf32> loc("w_s")
  %y = qnt.linear %x, %w {weight_layout = #qnt.layout<n0 = 16, k0 = 4, pad = 32>, act_asymmetric} : tensor<?x32xf32>, tensor<1x32xf32> -> tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}

// -----

// bits=4 quantizes float weights by Q4_0's rule: the value of largest
// magnitude, -4, gives d = -4 / -8 = 0.5 (fp16 0x3800) and u = 0; 1.0 gives
// u = trunc(1 / 0.5 + 8.5) = 10. Step 0 is (u0..u3) = (0, 10, 10, 10), step 1
// all 10: row 0 of the tile is A0 AA AA AA. Without bits=4 the weight is
// Q8_0.
// FOUR:       #[[$F4:.+]] = #qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8>
// FOUR-LABEL: func.func @float_to_4
// FOUR:         qnt.constant data(dense_resource<qnt_wf> : tensor<1x4x16x4xi8>) scales(dense_resource<qnt_wf_scales> : tensor<1x1x16xf16>) : !qnt.tensor<1x32xf32, #[[$F4]],
// FOUR:       qnt_wf: "0x01000000A0AAAAAA888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888888AAAAAAAA
// FOUR:       qnt_wf_scales: "0x020000000038
// CHECK-LABEL: func.func @float_to_4
// CHECK:         qnt.constant data(dense_resource<qnt_wf> : tensor<1x8x16x4xi8>) {{.+}} : !qnt.tensor<1x32xf32, #q8_0,
func.func @float_to_4(%x: tensor<?x32xf32>) -> tensor<?x1xf32> {
  %w = arith.constant dense<[[-4.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0,
                              1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]]> : tensor<1x32xf32> loc("wf")
  %y = qnt.linear %x, %w {weight_layout = #qnt.layout<n0 = 16, k0 = 4, pad = 32>} : tensor<?x32xf32>, tensor<1x32xf32> -> tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}


// -----

// Q4_1 (d = 1.0, m = -2.0, bytes 0x9A: u = 10 for values 0..15, 9 for
// 16..31) keeps its nibbles as they are (storage u4, no offset) and its
// minimum beside the scale, both fp16: value = 1.0 * u - 2.0. Padding
// channels hold u = 0, scale 0 and minimum 0.
// CHECK:       #[[$Q41:.+]] = #qnt.scheme<bits = 4, granularity = per_block, storage = u4, mins = true>
// CHECK-LABEL: func.func @q4_1_tiled
// CHECK:         qnt.constant data(dense_resource<qnt_w41> : tensor<1x4x16x4xi8>) scales(dense_resource<qnt_w41_scales> : tensor<1x1x16xf16>) mins(dense_resource<qnt_w41_mins> : tensor<1x1x16xf16>) : !qnt.tensor<1x32xf32, #[[$Q41]],
// CHECK:       qnt_w41: "0x01000000AAAAAAAA000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000AAAAAAAA0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000009999999900000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000099999999000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
// CHECK:       qnt_w41_scales: "0x02000000003C000000000000000000000000000000000000000000000000000000000000"
// CHECK:       qnt_w41_mins: "0x0200000000C0000000000000000000000000000000000000000000000000000000000000"
func.func @q4_1_tiled(%x: tensor<?x32xf32>) -> tensor<?x1xf32> {
  %w = qnt.ggml_constant q4_1 dense<[0, 60, 0, -64, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102]> : tensor<20xi8> : tensor<1x32xf32> loc("w41")
  %y = qnt.linear %x, %w {weight_layout = #qnt.layout<n0 = 16, k0 = 4, pad = 32>} : tensor<?x32xf32>, tensor<1x32xf32> -> tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}

// -----

// Q4_K (d = 1.0, dmin = 0.5, every scale byte 1: sub-blocks 0-3 have sc = 1
// and m = 1, 4-7 sc = 1 and m = 0; every nibble 0x21: u = 1 in the first
// half of each 64-value chunk, 2 in the second) keeps its two levels: blocks
// of 32 with byte scales sc = 1 and minimums m = 1, then 0, and one fp16
// factor per 256 values: d = 1.0 (0x3C00) and -dmin = -0.5 (0xB800). The
// padding is a whole super-block.
// CHECK:       #[[$Q4K:.+]] = #qnt.scheme<bits = 4, granularity = per_block, storage = u4, mins = true, super_block = 256>
// CHECK-LABEL: func.func @q4_k_tiled
// CHECK:         qnt.constant data(dense_resource<qnt_w4k> : tensor<1x32x16x4xi8>) scales(dense_resource<qnt_w4k_scales> : tensor<1x8x16xi8>) mins(dense_resource<qnt_w4k_mins> : tensor<1x8x16xi8>) super_scales(dense_resource<qnt_w4k_super_scales> : tensor<1x1x16xf16>) super_mins(dense_resource<qnt_w4k_super_mins> : tensor<1x1x16xf16>) : !qnt.tensor<1x256xf32, #[[$Q4K]], #qnt.layout<n0 = 16, k0 = 4, pad = 256>>
// CHECK:       qnt_w4k: "0x010000001111111100000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000011111111000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000111111110000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001111111100000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000022222222
// CHECK:       qnt_w4k_scales: "0x010000000100000000000000000000000000000001000000000000000000000000000000010000000000000000000000000000000100000000000000000000000000000001000000000000000000000000000000010000000000000000000000000000000100000000000000000000000000000001000000000000000000000000000000"
// CHECK:       qnt_w4k_mins: "0x010000000100000000000000000000000000000001000000000000000000000000000000010000000000000000000000000000000100000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
// CHECK:       qnt_w4k_super_scales: "0x02000000003C000000000000000000000000000000000000000000000000000000000000"
// CHECK:       qnt_w4k_super_mins: "0x0200000000B8000000000000000000000000000000000000000000000000000000000000"
func.func @q4_k_tiled(%x: tensor<?x256xf32>) -> tensor<?x1xf32> {
  %w = qnt.ggml_constant q4_k dense<[0, 60, 0, 56, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33]> : tensor<144xi8> : tensor<1x256xf32> loc("w4k")
  %y = qnt.linear %x, %w {weight_layout = #qnt.layout<n0 = 16, k0 = 4, pad = 32>} : tensor<?x256xf32>, tensor<1x256xf32> -> tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}

// -----

// bits=4 with mins quantizes floats by Q4_1's rule: min -1.0, max 2.0,
// d = 3 / 15 = 0.2 (fp16 0x3266), u = trunc((x + 1) / 0.2 + 0.5): 0 and 15.
// MINS:       #[[$F41:.+]] = #qnt.scheme<bits = 4, granularity = per_block, storage = u4, mins = true>
// MINS-LABEL: func.func @float_to_4_mins
// MINS:         qnt.constant data(dense_resource<qnt_wm> : tensor<1x4x16x4xi8>) scales(dense_resource<qnt_wm_scales> : tensor<1x1x16xf16>) mins(dense_resource<qnt_wm_mins> : tensor<1x1x16xf16>) : !qnt.tensor<1x32xf32, #[[$F41]],
// MINS:       qnt_wm: "0x01000000F0FFFFFF
// MINS:       qnt_wm_scales: "0x020000006632
// MINS:       qnt_wm_mins: "0x0200000000BC
func.func @float_to_4_mins(%x: tensor<?x32xf32>) -> tensor<?x1xf32> {
  %w = arith.constant dense<[[-1.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0,
                              2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0]]> : tensor<1x32xf32> loc("wm")
  %y = qnt.linear %x, %w {weight_layout = #qnt.layout<n0 = 16, k0 = 4, pad = 32>} : tensor<?x32xf32>, tensor<1x32xf32> -> tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}

// -----

// Q6_K keeps its 6 bits (d = 1.0; scale bytes -1 then 2; every ql byte 0x21
// and qh byte 0xE4, so u = 1, 17, 34, 50 for values 0-31, 32-63, 64-95,
// 96-127 of each half). Tiled, every four steps (16 columns) take three rows:
// channel 0's nibbles of steps 0, 1 (0x11: u = 1 low and high), of steps 2, 3
// (0x11), then their high bits (0x00); the padding channels hold u = 32
// (nibbles 0, high bits 2 in each step: 0xAA). Columns 32-47 (u = 17) have
// high bits 1 (0x55). Scales: a signed byte per 16 (0xFF, then 0x02), d per
// 256 (0x3C00); no minimums.
// CHECK:       #[[$Q6K:.+]] = #qnt.scheme<bits = 6, granularity = per_block, block = 16, storage = u6_offset32, super_block = 256>
// CHECK-LABEL: func.func @q6_k_tiled
// CHECK:         qnt.constant data(dense_resource<qnt_w6k> : tensor<1x48x16x4xi8>) scales(dense_resource<qnt_w6k_scales> : tensor<1x16x16xi8>) super_scales(dense_resource<qnt_w6k_super_scales> : tensor<1x1x16xf16>) : !qnt.tensor<1x256xf32, #[[$Q6K]], #qnt.layout<n0 = 16, k0 = 4, pad = 256>>
// CHECK:       qnt_w6k: "0x0100000011111111{{(0{120})}}11111111{{(0{120})}}00000000{{((AA){60})}}11111111{{(0{120})}}11111111{{(0{120})}}00000000{{((AA){60})}}11111111{{(0{120})}}11111111{{(0{120})}}55555555
// CHECK:       qnt_w6k_scales: "0x01000000FF{{(0{30})}}02{{(0{30})}}02
// CHECK:       qnt_w6k_super_scales: "0x02000000003C000000000000000000000000000000000000000000000000000000000000"
// EIGHT-LABEL: func.func @q6_k_tiled
// EIGHT:         qnt.constant data(dense_resource<qnt_w6k> : tensor<1x64x16x4xi8>) {{.+}} : !qnt.tensor<1x256xf32, #q8_0,
func.func @q6_k_tiled(%x: tensor<?x256xf32>) -> tensor<?x1xf32> {
  %w = qnt.ggml_constant q6_k dense<[33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 33, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -28, -1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 60]> : tensor<210xi8> : tensor<1x256xf32> loc("w6k")
  %y = qnt.linear %x, %w {weight_layout = #qnt.layout<n0 = 16, k0 = 4, pad = 32>} : tensor<?x256xf32>, tensor<1x256xf32> -> tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}

// -----

// IQ4_NL keeps its grid indices: the block of @q4_0_tiled read as IQ4_NL
// (u = 10 for values 0..15, q = grid[10] = 25; u = 9 for 16..31, q = 13)
// is repacked as Q4_0's nibbles, the padding channels holding index 0 and
// scale 0. With an asymmetric input the sums are of the grid's values:
// 16 x 25 + 16 x 13 = 608 (0x260). bits=8 requantizes it: q = 127 and
// round(13 x 127 / 25) = 66 (0x42).
// CHECK:       #[[$GRID:.+]] = #qnt.scheme<bits = 4, granularity = per_block, storage = u4_grid>
// CHECK:       #[[$GRIDS:.+]] = #qnt.scheme<bits = 4, granularity = per_block, storage = u4_grid, sums = true>
// CHECK-LABEL: func.func @iq4_nl_tiled
// CHECK:         qnt.constant data(dense_resource<qnt_w_nl> : tensor<1x4x16x4xi8>) scales(dense_resource<qnt_w_nl_scales> : tensor<1x1x16xf16>) : !qnt.tensor<1x32xf32, #[[$GRID]], #qnt.layout<n0 = 16, k0 = 4, pad = 32>>
// CHECK:         qnt.constant data({{.+}}) scales({{.+}}) sums(dense_resource<qnt_w_nls_sums> : tensor<1x1x16xi32>) : !qnt.tensor<1x32xf32, #[[$GRIDS]],
// CHECK:       qnt_w_nl: "0x01000000AAAAAAAA{{(0{120})}}AAAAAAAA{{(0{120})}}99999999{{(0{120})}}99999999{{(0{120})}}"
// CHECK:       qnt_w_nl_scales: "0x02000000003C0000
// CHECK:       qnt_w_nls_sums: "0x0400000060020000
// EIGHT-LABEL: func.func @iq4_nl_tiled
// EIGHT:         qnt.constant data(dense_resource<qnt_w_nl> : tensor<1x8x16x4xi8>) {{.+}} : !qnt.tensor<1x32xf32, #q8_0,
// EIGHT:       qnt_w_nl: "0x010000007F7F7F7F{{(0{120})}}7F7F7F7F{{(0{120})}}7F7F7F7F{{(0{120})}}7F7F7F7F{{(0{120})}}42424242
func.func @iq4_nl_tiled(%x: tensor<?x32xf32>) -> (tensor<?x1xf32>, tensor<?x1xf32>) {
  %w = qnt.ggml_constant iq4_nl dense<[0, 60, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102]> : tensor<18xi8> : tensor<1x32xf32> loc("w_nl")
  %y = qnt.linear %x, %w {weight_layout = #qnt.layout<n0 = 16, k0 = 4, pad = 32>} : tensor<?x32xf32>, tensor<1x32xf32> -> tensor<?x1xf32>
  %v = qnt.ggml_constant iq4_nl dense<[0, 60, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102]> : tensor<18xi8> : tensor<1x32xf32> loc("w_nls")
  %z = qnt.linear %x, %v {weight_layout = #qnt.layout<n0 = 16, k0 = 4, pad = 32>, act_asymmetric} : tensor<?x32xf32>, tensor<1x32xf32> -> tensor<?x1xf32>
  return %y, %z : tensor<?x1xf32>, tensor<?x1xf32>
}

// RUN: quant-opt %s --split-input-file --qnt-fold-weight-quant | FileCheck %s

// A weight in GGML blocks (qnt.ggml_constant) is dequantized as ggml does and
// quantized into the compile scheme. One Q4_0 block: d = 1.0 (fp16 0x3C00),
// each byte 0x9A: low nibbles 10 - 8 = 2.0 (values 0..15), high 9 - 8 = 1.0
// (values 16..31). As Q8_0: amax 2, d = 2/127 (fp16 0x2408, numpy), q = 127
// (0x7F) for 2.0 and round(63.5) = 64 (0x40) for 1.0.

// CHECK-LABEL: func.func @q4_0_linear
// CHECK:         %[[W:.+]] = qnt.constant data(dense_resource<qnt_w_q4> : tensor<1x32xi8>) scales(dense_resource<qnt_w_q4_scales> : tensor<1x1xf16>)
// CHECK:         qnt.linear %{{.+}}, %[[W]]
// CHECK-NOT:     qnt.ggml_constant
// CHECK:       qnt_w_q4: "0x010000007F7F7F7F7F7F7F7F7F7F7F7F7F7F7F7F40404040404040404040404040404040"
// CHECK:       qnt_w_q4_scales: "0x020000000824"
func.func @q4_0_linear(%x: tensor<?x32xf32>) -> tensor<?x1xf32> {
  %w = qnt.ggml_constant q4_0 dense<[0, 60, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102]> : tensor<18xi8> : tensor<1x32xf32> loc("w_q4")
  %y = qnt.linear %x, %w : tensor<?x32xf32>, tensor<1x32xf32> -> tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}

// -----

// An embedding table in Q4_0 keeps its 4-bit rows, row-major: ggml's byte j
// holds values j and j + 16 (here u = 10 and 9, 0x9A), the table's byte j
// values 2j and 2j + 1 (0xAA for the first 16 values, 0x99 for the rest),
// beside the fp16 scale 1.0 as it was. With bits=8 (or in another block
// format) a table is gathered from Q8_0 rows: q = 2 -> 127, 1 -> 64.
// RUN: quant-opt %s --split-input-file --qnt-fold-weight-quant=bits=8 | FileCheck %s --check-prefix=EIGHT
// CHECK-LABEL: func.func @q4_0_table
// CHECK:         %[[T:.+]] = qnt.constant data(dense_resource<qnt_embd> : tensor<1x16xi8>) scales(dense_resource<qnt_embd_scales> : tensor<1x1xf16>) : !qnt.tensor<1x32xf32, #[[$Q40:.+]]>
// CHECK:         qnt.embedding %[[T]], %{{.+}} : !qnt.tensor<1x32xf32, #[[$Q40]]>, tensor<?xi32>
// CHECK:       qnt_embd: "0x01000000AAAAAAAAAAAAAAAA9999999999999999"
// CHECK:       qnt_embd_scales: "0x02000000003C"
// EIGHT-LABEL: func.func @q4_0_table
// EIGHT:         %[[T:.+]] = qnt.constant data(dense_resource<qnt_embd> : tensor<1x32xi8>) scales(dense_resource<qnt_embd_scales> : tensor<1x1xf16>) : !qnt.tensor<1x32xf32, #q8_0>
// EIGHT:       qnt_embd: "0x010000007F7F7F7F7F7F7F7F7F7F7F7F7F7F7F7F40404040404040404040404040404040"
func.func @q4_0_table(%ids: tensor<?xi32>) -> tensor<?x32xf32> {
  %t = qnt.ggml_constant q4_0 dense<[0, 60, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102]> : tensor<18xi8> : tensor<1x32xf32> loc("embd")
  %x = qnt.embedding %t, %ids : tensor<1x32xf32>, tensor<?xi32> -> tensor<?x32xf32>
  return %x : tensor<?x32xf32>
}

// -----

// keep-float leaves the linear's GGML weight for --qnt-expand-ggml.
// RUN: quant-opt %s --split-input-file --qnt-fold-weight-quant="keep-float=w_kept" | FileCheck %s --check-prefix=KEPT
// KEPT-LABEL: func.func @kept
// KEPT:         qnt.ggml_constant q4_0
func.func @kept(%x: tensor<?x32xf32>) -> tensor<?x1xf32> {
  %w = qnt.ggml_constant q4_0 dense<[0, 60, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102]> : tensor<18xi8> : tensor<1x32xf32> loc("w_kept")
  %y = qnt.linear %x, %w : tensor<?x32xf32>, tensor<1x32xf32> -> tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}

// -----

// The table of two functions (prefill and decode read one) is quantized
// once: both constants hold the same blobs, so the weights file holds it once.
// CHECK-LABEL: func.func @prefill
// CHECK:         qnt.constant data(dense_resource<qnt_embd2> : tensor<1x16xi8>) scales(dense_resource<qnt_embd2_scales> : tensor<1x1xf16>)
// CHECK-LABEL: func.func @decode
// CHECK:         qnt.constant data(dense_resource<qnt_embd2> : tensor<1x16xi8>) scales(dense_resource<qnt_embd2_scales> : tensor<1x1xf16>)
// CHECK:       qnt_embd2: "0x01
// CHECK-NOT:   qnt_embd2{{.+}}: "0x01
func.func @prefill(%ids: tensor<?xi32>) -> tensor<?x32xf32> {
  %t = qnt.ggml_constant q4_0 dense<[0, 60, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102]> : tensor<18xi8> : tensor<1x32xf32> loc("embd2")
  %x = qnt.embedding %t, %ids : tensor<1x32xf32>, tensor<?xi32> -> tensor<?x32xf32>
  return %x : tensor<?x32xf32>
}
func.func @decode(%ids: tensor<1xi32>) -> tensor<1x32xf32> {
  %t = qnt.ggml_constant q4_0 dense<[0, 60, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102, -102]> : tensor<18xi8> : tensor<1x32xf32> loc("embd2")
  %x = qnt.embedding %t, %ids : tensor<1x32xf32>, tensor<1xi32> -> tensor<1x32xf32>
  return %x : tensor<1x32xf32>
}

// -----

// A tied output head: the table and the head are one GGML tensor; the
// embedding gathers from the head's tiles (the same blobs, stored once),
// rather than from rows of its own.
// CHECK-LABEL: func.func @tied
// CHECK:         %[[T:.+]] = qnt.constant data(dense_resource<qnt_tok> : tensor<1x8x16x4xi8>) scales(dense_resource<qnt_tok_scales> : tensor<1x1x16xf16>) : !qnt.tensor<1x32xf32, #q8_0, #qnt.layout<n0 = 16, k0 = 4, pad = 32>>
// CHECK:         %[[W:.+]] = qnt.constant data(dense_resource<qnt_tok> : tensor<1x8x16x4xi8>) scales(dense_resource<qnt_tok_scales> : tensor<1x1x16xf16>)
// CHECK:         qnt.embedding %[[T]], %{{.+}} : !qnt.tensor<1x32xf32, #q8_0, #qnt.layout<n0 = 16, k0 = 4, pad = 32>>, tensor<?xi32>
// CHECK:         qnt.linear %{{.+}}, %[[W]]
// CHECK:       qnt_tok: "0x01
// CHECK-NOT:   qnt_tok{{(_[0-9]+)?}}: "0x01
func.func @tied(%ids: tensor<?xi32>) -> tensor<?x1xf32> {
  %t = qnt.ggml_constant q5_0 dense<[0, 60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]> : tensor<22xi8> : tensor<1x32xf32> loc("tok")
  %x = qnt.embedding %t, %ids : tensor<1x32xf32>, tensor<?xi32> -> tensor<?x32xf32>
  %y = qnt.linear %x, %t {weight_layout = #qnt.layout<n0 = 16, k0 = 4, pad = 32>} : tensor<?x32xf32>, tensor<1x32xf32> -> tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}

// -----

// Q8_0 blocks are repacked, not requantized: q = 5 and -3 with d = 1.0 stay
// as they are (requantizing would make them 127 and -76 with d = 5/127),
// as signed bytes, or + 128 with storage=u8 (0x85, 0x7D), the fp16 scale as
// it was. An embedding table in Q8_0 keeps its rows too.
// RUN: quant-opt %s --split-input-file --qnt-fold-weight-quant=storage=u8 | FileCheck %s --check-prefix=U8
// CHECK-LABEL: func.func @q8_0_linear
// CHECK:         %[[W:.+]] = qnt.constant data(dense_resource<qnt_w_q8> : tensor<1x32xi8>) scales(dense_resource<qnt_w_q8_scales> : tensor<1x1xf16>) : !qnt.tensor<1x32xf32, #q8_0>
// CHECK:         qnt.linear %{{.+}}, %[[W]]
// CHECK:         %[[T:.+]] = qnt.constant data(dense_resource<qnt_embd_q8> : tensor<1x32xi8>) scales(dense_resource<qnt_embd_q8_scales> : tensor<1x1xf16>) : !qnt.tensor<1x32xf32, #q8_0>
// CHECK:         qnt.embedding %[[T]]
// CHECK-NOT:     qnt.ggml_constant
// CHECK:       qnt_w_q8: "0x0100000005050505050505050505050505050505FDFDFDFDFDFDFDFDFDFDFDFDFDFDFDFD"
// CHECK:       qnt_w_q8_scales: "0x02000000003C"
// CHECK:       qnt_embd_q8: "0x0100000005050505050505050505050505050505FDFDFDFDFDFDFDFDFDFDFDFDFDFDFDFD"
// U8-LABEL:    func.func @q8_0_linear
// U8:          qnt_w_q8: "0x01000000858585858585858585858585858585857D7D7D7D7D7D7D7D7D7D7D7D7D7D7D7D"
// U8:          qnt_w_q8_scales: "0x02000000003C"
func.func @q8_0_linear(%x: tensor<?x32xf32>, %ids: tensor<?xi32>) -> (tensor<?x1xf32>, tensor<?x32xf32>) {
  %w = qnt.ggml_constant q8_0 dense<[0, 60, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, -3, -3, -3, -3, -3, -3, -3, -3, -3, -3, -3, -3, -3, -3, -3, -3]> : tensor<34xi8> : tensor<1x32xf32> loc("w_q8")
  %y = qnt.linear %x, %w : tensor<?x32xf32>, tensor<1x32xf32> -> tensor<?x1xf32>
  %t = qnt.ggml_constant q8_0 dense<[0, 60, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, -3, -3, -3, -3, -3, -3, -3, -3, -3, -3, -3, -3, -3, -3, -3, -3]> : tensor<34xi8> : tensor<1x32xf32> loc("embd_q8")
  %e = qnt.embedding %t, %ids : tensor<1x32xf32>, tensor<?xi32> -> tensor<?x32xf32>
  return %y, %e : tensor<?x1xf32>, tensor<?x32xf32>
}

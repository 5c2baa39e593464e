// The fold pass streaming quantized weights into a file (weights-file): each
// weight is written as it is quantized, named in the file's index, and read
// back by name (qnt.weight), assembled by qnt.pack. One module (no
// splitting): one file.
// RUN: quant-opt %s --qnt-fold-weight-quant="weights-file=%t.weights" | FileCheck %s
// RUN: od -A d -t x1 -v %t.weights | FileCheck %s --check-prefix=BYTES
// RUN: quant-run --list-weights %t.weights | FileCheck %s --check-prefix=INDEX
// Then --qnt-externalize-weights adds the remaining float constants to the
// file, after them, and binds every name to its offset through one argument.
// RUN: quant-opt %s --qnt-fold-weight-quant="weights-file=%t.w2.weights" --qnt-externalize-weights="file=%t.w2.weights" | FileCheck %s --check-prefix=APPEND
// RUN: od -A d -t x1 -v %t.w2.weights | FileCheck %s --check-prefix=APPENDED
// RUN: quant-run --list-weights %t.w2.weights | FileCheck %s --check-prefix=INDEX2
// With u8 storage, a weight that arrives quantized is written with each byte
// + 128, its scales as they are.
// RUN: quant-opt %s --qnt-fold-weight-quant="weights-file=%t.w3 storage=u8" > /dev/null
// RUN: od -A d -t x1 -v %t.w3 | FileCheck %s --check-prefix=U8

// No weights argument yet: the code names the file's tensors.
// CHECK-LABEL: func.func @first
// CHECK-SAME:    (%{{.+}}: tensor<?x32xf32>) -> tensor<?x1xf32>
// CHECK:         %[[D:.+]] = qnt.weight "[[$DATA:weight[.1]*]]" : tensor<1x32xi8>
// CHECK:         %[[S:.+]] = qnt.weight "weight_scales{{.*}}" : tensor<1x1xf16>
// CHECK:         %[[Q:.+]] = qnt.pack %[[D]], %[[S]] : tensor<1x32xi8>, tensor<1x1xf16> -> !qnt.tensor<1x32xf32, #q8_0>
// CHECK:         qnt.linear %{{.+}}, %[[Q]]
// The same weight in another function: the same tensor of the file.
// CHECK-LABEL: func.func @second
// CHECK-SAME:    (%{{.+}}: tensor<?x32xf32>) -> tensor<?x1xf32>
// CHECK:         qnt.weight "[[$DATA]]" : tensor<1x32xi8>
// CHECK:         qnt.pack
// CHECK-LABEL: func.func @prequantized
// CHECK:         qnt.weight
// CHECK:         qnt.pack
// CHECK-LABEL: func.func @float_only
// CHECK-SAME:    (%{{.+}}: tensor<?x32xf32>, %{{.+}}: tensor<1x32xf32>) -> tensor<?x1xf32>
// CHECK-NOT:     qnt.weight "

// The same weight in two functions is written once: w = (k - 16) / 2 as in
// qnt-fold-weight-quant.mlir (numpy's bytes) and its fp16 scale 0x2C08, the
// prequantized weight's data and its scale (1.0); each run 64-byte aligned,
// in the order the pass meets them, then the index at 256.
// BYTES-DAG: {{^[0-9]+}} 81 89 91 99 a1 a9 b1 b9 c0 c8 d0 d8 e0 e8 f0 f8
// BYTES-DAG: {{^[0-9]+}} 00 08 10 18 20 28 30 38 40 47 4f 57 5f 67 6f 77
// BYTES-DAG: {{^[0-9]+}} 08 2c 00 00 00 00
// BYTES-DAG: {{^[0-9]+}} 01 ff 00 7f 00 00
// BYTES-DAG: {{^[0-9]+}} 00 3c 00 00 00 00
// The index after them (checked whole by quant-run --list-weights), the
// file's last 8 bytes its magic.
// RUN: tail -c 8 %t.weights | FileCheck %s --check-prefix=MAGIC
// MAGIC: {{^QNTWIDX1$}}

// INDEX:      offset bytes type shape name
// INDEX-NEXT:      0    32 i8   1x32  weight
// INDEX-NEXT:     64     2 f16  1x1   weight_scales
// INDEX-NEXT:    128    32 i8   1x32  weight.1
// INDEX-NEXT:    192     2 f16  1x1   weight_scales.1
// INDEX-NEXT: 4 tensors, 68 bytes (a file of 650 bytes with padding and index)

// APPEND-LABEL: func.func @first
// APPEND-SAME:    (%{{.+}}: tensor<?x32xf32>, %[[W:.+]]: memref<?xi8> {qnt.weights}) -> tensor<?x1xf32>
// APPEND:         memref.view %[[W]][%{{.+}}][] : memref<?xi8> to memref<1x32xi8>
// APPEND-NOT:     qnt.weight "
// APPEND-LABEL: func.func @float_only
// APPEND-SAME:    (%{{.+}}: tensor<?x32xf32>, %{{.+}}: tensor<1x32xf32>, %[[W2:.+]]: memref<?xi8> {qnt.weights})
// APPEND:         %[[C256:.+]] = arith.constant 256 : index
// APPEND:         memref.view %[[W2]][%[[C256]]][] : memref<?xi8> to memref<1x32xf32>
// The float constant (32 x 0.25 = 0x3e800000) follows the quantized weights.
// APPENDED:      0000256 00 00 80 3e 00 00 80 3e
// INDEX2:      256   128 f32  1x32  constant
// INDEX2-NEXT: 5 tensors, 196 bytes

// U8-DAG: {{^[0-9]+}} 01 09 11 19 21 29 31 39 40 48 50 58 60 68 70 78
// U8-DAG: {{^[0-9]+}} 81 7f 80 ff 80 80

#q8_0 = #qnt.scheme<granularity = per_block>

func.func @first(%x: tensor<?x32xf32>) -> tensor<?x1xf32> {
  %w = arith.constant dense<[[-8.0, -7.5, -7.0, -6.5, -6.0, -5.5, -5.0, -4.5, -4.0, -3.5, -3.0, -2.5, -2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 5.5, 6.0, 6.5, 7.0, 7.5]]> : tensor<1x32xf32>
  %y = qnt.linear %x, %w : tensor<?x32xf32>, tensor<1x32xf32> -> tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}

func.func @second(%x: tensor<?x32xf32>) -> tensor<?x1xf32> {
  %w = arith.constant dense<[[-8.0, -7.5, -7.0, -6.5, -6.0, -5.5, -5.0, -4.5, -4.0, -3.5, -3.0, -2.5, -2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 5.5, 6.0, 6.5, 7.0, 7.5]]> : tensor<1x32xf32>
  %y = qnt.linear %x, %w : tensor<?x32xf32>, tensor<1x32xf32> -> tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}

func.func @prequantized(%x: tensor<?x32xf32>) -> tensor<?x1xf32> {
  %q = qnt.constant data(dense<[[1, -1, 0, 127, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]> : tensor<1x32xi8>)
                    scales(dense<1.0> : tensor<1x1xf16>) : !qnt.tensor<1x32xf32, #q8_0>
  %w = qnt.dequantize %q : !qnt.tensor<1x32xf32, #q8_0> -> tensor<1x32xf32>
  %y = qnt.linear %x, %w : tensor<?x32xf32>, tensor<1x32xf32> -> tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}

// A function with nothing to fold gets no weights argument from this pass.
func.func @float_only(%x: tensor<?x32xf32>, %w: tensor<1x32xf32>) -> tensor<?x1xf32> {
  %c = arith.constant dense<0.25> : tensor<1x32xf32>
  %s = arith.addf %w, %c : tensor<1x32xf32>
  %y = qnt.linear %x, %s : tensor<?x32xf32>, tensor<1x32xf32> -> tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}

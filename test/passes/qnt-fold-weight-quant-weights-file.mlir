// The fold pass streaming quantized weights into a file (weights-file): each
// weight is written as it is quantized and read back through views of a new
// weights argument, assembled by qnt.pack. One module (no splitting): one file.
// RUN: quant-opt %s --qnt-fold-weight-quant="weights-file=%t.w" | FileCheck %s
// RUN: od -A d -t x1 -v %t.w | FileCheck %s --check-prefix=BYTES
// Then the remaining float constants appended after them, through the same
// argument.
// RUN: quant-opt %s --qnt-fold-weight-quant="weights-file=%t.w2" --qnt-externalize-weights="file=%t.w2 append=1" | FileCheck %s --check-prefix=APPEND
// RUN: od -A d -t x1 -v %t.w2 | FileCheck %s --check-prefix=APPENDED
// With u8 storage, a weight that arrives quantized is written with each byte
// + 128, its scales as they are.
// RUN: quant-opt %s --qnt-fold-weight-quant="weights-file=%t.w3 storage=u8" > /dev/null
// RUN: od -A d -t x1 -v %t.w3 | FileCheck %s --check-prefix=U8

// CHECK-LABEL: func.func @first
// CHECK-SAME:    (%{{.+}}: tensor<?x32xf32>, %[[W:.+]]: memref<?xi8> {qnt.weights})
// CHECK:         %[[V0:.+]] = memref.view %[[W]][%{{.+}}][] : memref<?xi8> to memref<1x32xi8>
// CHECK:         %[[D:.+]] = bufferization.to_tensor %[[V0]] restrict
// CHECK:         %[[V1:.+]] = memref.view %[[W]][%{{.+}}][] : memref<?xi8> to memref<1x1xf16>
// CHECK:         %[[S:.+]] = bufferization.to_tensor %[[V1]] restrict
// CHECK:         %[[Q:.+]] = qnt.pack %[[D]], %[[S]] : tensor<1x32xi8>, tensor<1x1xf16> -> !qnt.tensor<1x32xf32, #q8_0>
// CHECK:         qnt.linear %{{.+}}, %[[Q]]
// CHECK-LABEL: func.func @second
// CHECK-SAME:    %{{.+}}: memref<?xi8> {qnt.weights}
// CHECK:         qnt.pack
// CHECK-LABEL: func.func @prequantized
// CHECK:         qnt.pack
// CHECK-LABEL: func.func @float_only
// CHECK-SAME:    (%{{.+}}: tensor<?x32xf32>, %{{.+}}: tensor<1x32xf32>) -> tensor<?x1xf32>

// The same weight in two functions is written once: w = (k - 16) / 2 as in
// qnt-fold-weight-quant.mlir (numpy's bytes) and its fp16 scale 0x2C08, the
// prequantized weight's data and its scale (1.0); each run 64-byte aligned,
// in the order the pass meets them: 256 bytes in all.
// BYTES-DAG: {{^[0-9]+}} 81 89 91 99 a1 a9 b1 b9 c0 c8 d0 d8 e0 e8 f0 f8
// BYTES-DAG: {{^[0-9]+}} 00 08 10 18 20 28 30 38 40 47 4f 57 5f 67 6f 77
// BYTES-DAG: {{^[0-9]+}} 08 2c 00 00 00 00
// BYTES-DAG: {{^[0-9]+}} 01 ff 00 7f 00 00
// BYTES-DAG: {{^[0-9]+}} 00 3c 00 00 00 00
// BYTES:     {{^}}0000256{{$}}

// APPEND-LABEL: func.func @first
// APPEND-SAME:    (%{{.+}}: tensor<?x32xf32>, %{{.+}}: memref<?xi8> {qnt.weights}) -> tensor<?x1xf32>
// APPEND-LABEL: func.func @float_only
// APPEND-SAME:    (%{{.+}}: tensor<?x32xf32>, %{{.+}}: tensor<1x32xf32>, %{{.+}}: memref<?xi8> {qnt.weights})
// APPEND:         memref.view %{{.+}}[%{{.+}}][] : memref<?xi8> to memref<1x32xf32>
// The float constant (32 x 0.25 = 0x3e800000) follows the quantized weights.
// APPENDED:      0000256 00 00 80 3e 00 00 80 3e

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

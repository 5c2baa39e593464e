// RUN: quant-opt %s --split-input-file --qnt-externalize-weights="file=%t.weights" | FileCheck %s
// Without splitting: one module, one file (each split chunk would rewrite it).
// RUN: quant-opt %s --qnt-externalize-weights="file=%t.one.weights" > /dev/null
// RUN: od -A d -t x1 -v %t.one.weights | FileCheck %s --check-prefix=BYTES
// RUN: quant-run --list-weights %t.one.weights | FileCheck %s --check-prefix=INDEX
// A file already there is written anew when the code names none of its
// tensors.
// RUN: quant-opt %s --qnt-externalize-weights="file=%t.one.weights" > /dev/null
// RUN: quant-run --list-weights %t.one.weights | FileCheck %s --check-prefix=INDEX

// Large constants become views of a new last argument; one attribute used
// twice is stored once; small constants stay.
// CHECK-LABEL: func.func @weights
// CHECK-SAME:    (%{{.+}}: tensor<?x64xf32>, %[[W:.+]]: memref<?xi8> {qnt.weights})
// CHECK:         %[[C0:.+]] = arith.constant 0 : index
// CHECK:         %[[V0:.+]] = memref.view %[[W]][%[[C0]]][] : memref<?xi8> to memref<16x4xi8>
// CHECK:         bufferization.to_tensor %[[V0]] restrict : memref<16x4xi8> to tensor<16x4xi8>
// CHECK:         %[[C64:.+]] = arith.constant 64 : index
// CHECK:         %[[V1:.+]] = memref.view %[[W]][%[[C64]]][] : memref<?xi8> to memref<4x4xf32>
// CHECK:         %[[C0B:.+]] = arith.constant 0 : index
// CHECK:         memref.view %[[W]][%[[C0B]]][] : memref<?xi8> to memref<16x4xi8>
// CHECK:         arith.constant dense<1.000000e+00> : tensor<2xf32>
func.func @weights(%x: tensor<?x64xf32>) -> (tensor<16x4xi8>, tensor<4x4xf32>, tensor<16x4xi8>, tensor<2xf32>) {
  %a = arith.constant dense<7> : tensor<16x4xi8>
  %b = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0]]> : tensor<4x4xf32> loc("blk.0.attn_norm.weight")
  %c = arith.constant dense<7> : tensor<16x4xi8>
  %small = arith.constant dense<1.0> : tensor<2xf32>
  return %a, %b, %c, %small : tensor<16x4xi8>, tensor<4x4xf32>, tensor<16x4xi8>, tensor<2xf32>
}

// The file: 64 bytes of 7 (the splat, expanded), then 1.0, 2.0, 3.0, 4.0 as
// little-endian f32 at offset 64, padded to 128 bytes; the index after them
// names each tensor after its location (the importer's tensor names), else
// "constant".
// BYTES:      0000000 07 07 07 07 07 07 07 07 07 07 07 07 07 07 07 07
// BYTES:      0000064 00 00 80 3f 00 00 00 40 00 00 40 40 00 00 80 40
// BYTES:      0000112 00 00 80 3f 00 00 00 40 00 00 40 40 00 00 80 40
// BYTES-NEXT: 0000128
// INDEX:      offset bytes type shape name
// INDEX-NEXT:      0    64 i8   16x4  constant
// INDEX-NEXT:     64    64 f32  4x4   blk.0.attn_norm.weight
// INDEX-NEXT: 2 tensors, 128 bytes (a file of 350 bytes with padding and index)

// -----

// A function with nothing to move keeps its signature.
// CHECK-LABEL: func.func @nothing
// CHECK-SAME:    (%{{.+}}: tensor<4xf32>) -> tensor<4xf32>
func.func @nothing(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

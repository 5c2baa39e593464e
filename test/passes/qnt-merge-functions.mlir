// RUN: quant-opt %s --qnt-merge-functions | FileCheck %s
// RUN: quant-opt %s --qnt-merge-functions=max-arguments=1 | FileCheck %s --check-prefix=CAP

// Three layers alike but for their weights' byte offsets and the cache layer
// they write and read: one function is kept, taking the first view's offset
// (the others are it plus what they are apart in every layer) and the layer
// (the insert's and the extract's offset, one value in each layer); the
// calls pass their own.
// CHECK-LABEL: func.func @forward
// CHECK-SAME:    (%[[X:[^:]+]]: tensor<1x16xf32>, %[[W:[^:]+]]: memref<?xi8>, %[[C:[^:]+]]: tensor<3x4x16xf32>, %[[P:[^:]+]]: index)
// CHECK-DAG:     %[[O1:.+]] = arith.constant 1024 : index
// CHECK-DAG:     %[[L1:.+]] = arith.constant 1 : index
// CHECK:         %[[R1:.+]]:2 = call @forward_blk1(%[[X]], %[[W]], %[[C]], %[[P]], %[[O1]], %[[L1]])
// CHECK-DAG:     %[[O2:.+]] = arith.constant 2048 : index
// CHECK-DAG:     %[[L2:.+]] = arith.constant 2 : index
// CHECK:         %[[R2:.+]]:2 = call @forward_blk1(%[[R1]]#0, %[[W]], %[[R1]]#1, %[[P]], %[[O2]], %[[L2]])
// CHECK-DAG:     %[[O0:.+]] = arith.constant 0 : index
// CHECK-DAG:     %[[L0:.+]] = arith.constant 0 : index
// CHECK:         %[[R3:.+]]:2 = call @forward_blk1(%[[R2]]#0, %[[W]], %[[R2]]#1, %[[P]], %[[O0]], %[[L0]])
// CHECK:         return %[[R3]]#0, %[[R3]]#1
// CHECK:       func.func private @forward_blk1
// CHECK-SAME:    (%{{.+}}: tensor<1x16xf32>, %[[BW:[^:]+]]: memref<?xi8>, %[[BC:[^:]+]]: tensor<3x4x16xf32>, %[[BP:[^:]+]]: index, %[[OFF:[^:]+]]: index, %[[LAYER:[^:]+]]: index)
// CHECK:         %[[D:.+]] = arith.constant 512 : index
// CHECK:         %[[OFF2:.+]] = arith.addi %[[OFF]], %[[D]] : index
// CHECK:         memref.view %[[BW]][%[[OFF]]][]
// CHECK:         memref.view %[[BW]][%[[OFF2]]][]
// CHECK:         tensor.insert_slice %{{.+}} into %[[BC]][%[[LAYER]], %[[BP]], 0] [1, 1, 16] [1, 1, 1]
// CHECK:         tensor.extract_slice %{{.+}}[%[[LAYER]], 0, 0] [1, 4, 16] [1, 1, 1]
// CHECK-NOT:   func.func private @forward_blk2
// CHECK-NOT:   func.func private @forward_blk3
// With one argument at most, the second layer's function (two values
// differ) stays as it is, and so does the third.
// CAP-LABEL:   func.func @forward
// CAP:           call @forward_blk1(
// CAP:           call @forward_blk2(
// CAP:           call @forward_blk3(
// CAP:         func.func private @forward_blk1
// CAP:         func.func private @forward_blk2
// CAP:         func.func private @forward_blk3
func.func @forward(%x: tensor<1x16xf32>, %w: memref<?xi8>, %cache: tensor<3x4x16xf32>, %pos: index) -> (tensor<1x16xf32>, tensor<3x4x16xf32>) {
  %r1:2 = call @forward_blk1(%x, %w, %cache, %pos) : (tensor<1x16xf32>, memref<?xi8>, tensor<3x4x16xf32>, index) -> (tensor<1x16xf32>, tensor<3x4x16xf32>)
  %r2:2 = call @forward_blk2(%r1#0, %w, %r1#1, %pos) : (tensor<1x16xf32>, memref<?xi8>, tensor<3x4x16xf32>, index) -> (tensor<1x16xf32>, tensor<3x4x16xf32>)
  %r3:2 = call @forward_blk3(%r2#0, %w, %r2#1, %pos) : (tensor<1x16xf32>, memref<?xi8>, tensor<3x4x16xf32>, index) -> (tensor<1x16xf32>, tensor<3x4x16xf32>)
  return %r3#0, %r3#1 : tensor<1x16xf32>, tensor<3x4x16xf32>
}
func.func private @forward_blk1(%x: tensor<1x16xf32>, %w: memref<?xi8>, %cache: tensor<3x4x16xf32>, %pos: index) -> (tensor<1x16xf32>, tensor<3x4x16xf32>) {
  %a = arith.constant 1024 : index
  %b = arith.constant 1536 : index
  %va = memref.view %w[%a][] : memref<?xi8> to memref<16xf32>
  %vb = memref.view %w[%b][] : memref<?xi8> to memref<16xf32>
  %ta = bufferization.to_tensor %va : memref<16xf32> to tensor<16xf32>
  %tb = bufferization.to_tensor %vb : memref<16xf32> to tensor<16xf32>
  %y = arith.addf %ta, %tb : tensor<16xf32>
  %row = tensor.expand_shape %y [[0, 1]] output_shape [1, 16] : tensor<16xf32> into tensor<1x16xf32>
  %c = tensor.insert_slice %row into %cache[1, %pos, 0] [1, 1, 16] [1, 1, 1] : tensor<1x16xf32> into tensor<3x4x16xf32>
  %keys = tensor.extract_slice %c[1, 0, 0] [1, 4, 16] [1, 1, 1] : tensor<3x4x16xf32> to tensor<4x16xf32>
  %k = tensor.extract_slice %keys[0, 0] [1, 16] [1, 1] : tensor<4x16xf32> to tensor<1x16xf32>
  %out = arith.addf %x, %k : tensor<1x16xf32>
  return %out, %c : tensor<1x16xf32>, tensor<3x4x16xf32>
}
func.func private @forward_blk2(%x: tensor<1x16xf32>, %w: memref<?xi8>, %cache: tensor<3x4x16xf32>, %pos: index) -> (tensor<1x16xf32>, tensor<3x4x16xf32>) {
  %a = arith.constant 2048 : index
  %b = arith.constant 2560 : index
  %va = memref.view %w[%a][] : memref<?xi8> to memref<16xf32>
  %vb = memref.view %w[%b][] : memref<?xi8> to memref<16xf32>
  %ta = bufferization.to_tensor %va : memref<16xf32> to tensor<16xf32>
  %tb = bufferization.to_tensor %vb : memref<16xf32> to tensor<16xf32>
  %y = arith.addf %ta, %tb : tensor<16xf32>
  %row = tensor.expand_shape %y [[0, 1]] output_shape [1, 16] : tensor<16xf32> into tensor<1x16xf32>
  %c = tensor.insert_slice %row into %cache[2, %pos, 0] [1, 1, 16] [1, 1, 1] : tensor<1x16xf32> into tensor<3x4x16xf32>
  %keys = tensor.extract_slice %c[2, 0, 0] [1, 4, 16] [1, 1, 1] : tensor<3x4x16xf32> to tensor<4x16xf32>
  %k = tensor.extract_slice %keys[0, 0] [1, 16] [1, 1] : tensor<4x16xf32> to tensor<1x16xf32>
  %out = arith.addf %x, %k : tensor<1x16xf32>
  return %out, %c : tensor<1x16xf32>, tensor<3x4x16xf32>
}
func.func private @forward_blk3(%x: tensor<1x16xf32>, %w: memref<?xi8>, %cache: tensor<3x4x16xf32>, %pos: index) -> (tensor<1x16xf32>, tensor<3x4x16xf32>) {
  %a = arith.constant 0 : index
  %b = arith.constant 512 : index
  %va = memref.view %w[%a][] : memref<?xi8> to memref<16xf32>
  %vb = memref.view %w[%b][] : memref<?xi8> to memref<16xf32>
  %ta = bufferization.to_tensor %va : memref<16xf32> to tensor<16xf32>
  %tb = bufferization.to_tensor %vb : memref<16xf32> to tensor<16xf32>
  %y = arith.addf %ta, %tb : tensor<16xf32>
  %row = tensor.expand_shape %y [[0, 1]] output_shape [1, 16] : tensor<16xf32> into tensor<1x16xf32>
  %c = tensor.insert_slice %row into %cache[0, %pos, 0] [1, 1, 16] [1, 1, 1] : tensor<1x16xf32> into tensor<3x4x16xf32>
  %keys = tensor.extract_slice %c[0, 0, 0] [1, 4, 16] [1, 1, 1] : tensor<3x4x16xf32> to tensor<4x16xf32>
  %k = tensor.extract_slice %keys[0, 0] [1, 16] [1, 1] : tensor<4x16xf32> to tensor<1x16xf32>
  %out = arith.addf %x, %k : tensor<1x16xf32>
  return %out, %c : tensor<1x16xf32>, tensor<3x4x16xf32>
}

// RUN: quant-opt %s --split-input-file --qnt-lower-microkernel="prefetch-bytes=512 lead-prefetch-bytes=0" --canonicalize --cse | FileCheck %s
// RUN: quant-opt %s --split-input-file --qnt-lower-microkernel=prefetch-bytes=0 | FileCheck %s --check-prefix=OFF
// RUN: quant-opt %s --split-input-file --qnt-lower-microkernel=lead-prefetch-bytes=0 --canonicalize --cse | FileCheck %s --check-prefix=DEFAULT

// A weight in records (#qnt.layout's records): the micro-kernel reads every
// component from the record of its group, at the offsets qnt/Math/Records.h
// gives, bytes read as the component's type (vector.bitcast), and prefetches
// the one stream: per group, one memref.prefetch per 64-byte line of the
// group's share of its record, prefetch-bytes ahead rounded to the nearest
// record, one at least. The default distance is the format's: 6144 bytes for
// the K-quants, 2048 for the others.
// OFF-NOT: memref.prefetch

// Q4_K on VNNI, 32 channels, K = 256: one record for the super-block's 8
// groups, 4736 bytes: data 8 x 512, byte scales (32 a group) at 4096, byte
// mins at 4352, f16 d at 4608, f16 dmin at 4672. 512 bytes ahead is the
// next record; a group's share, 592 bytes, is 10 lines. The default, 6144
// bytes, is the next record too (1.3 records, rounded to the nearest).
// CHECK-LABEL: func.func @q4_k
// CHECK-SAME:    %[[R:[^:]+]]: tensor<1x4736xi8>
// CHECK-DAG:     arith.constant 4096 : index
// CHECK-DAG:     arith.constant 4352 : index
// CHECK-DAG:     arith.constant 4608 : index
// CHECK-DAG:     arith.constant 4672 : index
// CHECK:         scf.for %[[G:[^ ]+]] =
// CHECK:           %[[REC:.+]] = arith.divui %[[G]], %c8 : index
// CHECK:           %[[IN:.+]] = arith.remui %[[G]], %c8 : index
// CHECK:           %[[V:.+]] = bufferization.to_buffer %[[R]] read_only : tensor<1x4736xi8> to memref<1x4736xi8, strided<[?, ?], offset: ?>>
// CHECK:           %[[NEXT:.+]] = arith.addi %[[REC]], %c1 : index
// CHECK-COUNT-10:  memref.prefetch %[[V]][%[[NEXT]], %{{.+}}], read, locality<3>, data
// CHECK-NOT:       memref.prefetch
// CHECK:           vector.transfer_read %[[R]][%[[REC]], %{{.+}}], %{{.+}} {in_bounds = [true]} : tensor<1x4736xi8>, vector<64xi8>
// CHECK:           qnt_x86.dpbusd
// CHECK-COUNT-4:   vector.transfer_read %[[R]][%[[REC]], %{{.+}}], %{{.+}} {in_bounds = [true]} : tensor<1x4736xi8>, vector<16xi8>
// CHECK:           vector.bitcast %{{.+}} : vector<32xi8> to vector<16xf16>
// CHECK:         return
// DEFAULT-LABEL: func.func @q4_k
// DEFAULT:         %[[REC:.+]] = arith.divui %{{.+}}, %c8 : index
// DEFAULT:         arith.addi %[[REC]], %c1 : index
// DEFAULT-COUNT-10: memref.prefetch
// DEFAULT-NOT:     memref.prefetch
// DEFAULT:       return
func.func @q4_k(%a: tensor<1x256xi8>, %s: tensor<1x8xf32>, %sum: tensor<1x8xi32>, %r: tensor<1x4736xi8>, %i: tensor<1x?xf32>) -> tensor<1x?xf32> {
  %t = qnt.matmul_tile %a, %s sums %sum, records(%r), %i {dot = #qnt<dot_kind vnni>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage u4>,
                                                       rhs_type = !qnt.tensor<32x256xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4, mins = true, super_block = 256>, #qnt.layout<n0 = 32, k0 = 4, pad = 256, records = true>>}
       : (tensor<1x256xi8>, tensor<1x8xf32>, tensor<1x8xi32>, tensor<1x4736xi8>, tensor<1x?xf32>) -> tensor<1x?xf32>
  return %t : tensor<1x?xf32>
}

// -----

// Q4_0 on AVX2, 16 channels: a group's 256 bytes of nibbles and 16 f16
// scales take 288 bytes, so a record holds two groups (576 bytes, 9 lines):
// data rows 0-3 of the first group at 0, of the second at 256 (row 4, of 64
// bytes), the scales at 512 and 544, read as 16 bytes cast to 8 f16. The
// default, 2048 bytes, is 4 records ahead (3.6).
// CHECK-LABEL: func.func @q4_0_avx2
// CHECK-SAME:    %[[R:[^:]+]]: tensor<1x576xi8>
// CHECK:         scf.for %[[G:[^ ]+]] =
// CHECK:           %[[REC:.+]] = arith.divui %[[G]], %c2 : index
// CHECK:           %[[IN:.+]] = arith.remui %[[G]], %c2 : index
// CHECK-COUNT-5:   memref.prefetch
// CHECK-NOT:       memref.prefetch
// CHECK:           %[[ROW0:.+]] = arith.muli %[[IN]], %c4 : index
// CHECK:           vector.transfer_read %[[R]][%[[REC]], %{{.+}}], %{{.+}} {in_bounds = [true]} : tensor<1x576xi8>, vector<32xi8>
// CHECK:           qnt_x86.dpbusw
// CHECK:           %[[AT:.+]] = arith.muli %[[IN]], %c32 : index
// CHECK:           %[[COL:.+]] = arith.addi %[[AT]], %c512 : index
// CHECK:           %[[SC:.+]] = vector.transfer_read %[[R]][%[[REC]], %[[COL]]], %{{.+}} {in_bounds = [true]} : tensor<1x576xi8>, vector<16xi8>
// CHECK:           vector.bitcast %[[SC]] : vector<16xi8> to vector<8xf16>
// CHECK:         return
// DEFAULT-LABEL: func.func @q4_0_avx2
// DEFAULT:         %[[REC:.+]] = arith.divui %{{.+}}, %c2 : index
// DEFAULT:         arith.addi %[[REC]], %c4 : index
// DEFAULT-COUNT-5: memref.prefetch
// DEFAULT-NOT:     memref.prefetch
// DEFAULT:       return
func.func @q4_0_avx2(%a: tensor<1x64xi8>, %s: tensor<1x2xf32>, %sum: tensor<1x2xi32>, %r: tensor<1x576xi8>, %i: tensor<1x?xf32>) -> tensor<1x?xf32> {
  %t = qnt.matmul_tile %a, %s sums %sum, records(%r), %i {dot = #qnt<dot_kind maddubs>, group = 32 : i64, lanes = 8 : i64, rhs_storage = #qnt<storage u4_offset8>,
                                                       rhs_type = !qnt.tensor<16x64xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8>, #qnt.layout<n0 = 16, k0 = 4, pad = 32, records = true>>}
       : (tensor<1x64xi8>, tensor<1x2xf32>, tensor<1x2xi32>, tensor<1x576xi8>, tensor<1x?xf32>) -> tensor<1x?xf32>
  return %t : tensor<1x?xf32>
}

// -----

// Two weight tiles at once (streams): the same Q4_0 AVX2 records, the
// channels of tile A then tile B as one register tile. Each group reads its
// record of both tiles (data rows and scales at the same offsets), both
// streams are prefetched (5 lines each), and tile s's 16 channels are
// written to the output's [0, s, :], as two vectors of 8.
// CHECK-LABEL: func.func @q4_0_two_streams
// CHECK-SAME:    %[[RA:[^:]+]]: tensor<1x576xi8>, %[[RB:[^:]+]]: tensor<1x576xi8>, %[[I:[^:]+]]: tensor<1x2x16xf32>
// CHECK:         scf.for %[[G:[^ ]+]] =
// CHECK:           %[[REC:.+]] = arith.divui %[[G]], %c2 : index
// CHECK-COUNT-10:  memref.prefetch
// CHECK-NOT:       memref.prefetch
// CHECK-DAG:       vector.transfer_read %[[RA]][%[[REC]], %{{.+}}], %{{.+}} {in_bounds = [true]} : tensor<1x576xi8>, vector<32xi8>
// CHECK-DAG:       vector.transfer_read %[[RB]][%[[REC]], %{{.+}}], %{{.+}} {in_bounds = [true]} : tensor<1x576xi8>, vector<32xi8>
// CHECK-COUNT-4:   qnt_x86.dpbusw
// CHECK-DAG:       vector.transfer_read %[[RA]][%[[REC]], %{{.+}}], %{{.+}} {in_bounds = [true]} : tensor<1x576xi8>, vector<16xi8>
// CHECK-DAG:       vector.transfer_read %[[RB]][%[[REC]], %{{.+}}], %{{.+}} {in_bounds = [true]} : tensor<1x576xi8>, vector<16xi8>
// CHECK:         %[[W0:.+]] = vector.transfer_write %{{.+}}, %[[I]][%c0, %c0, %c0]
// CHECK:         %[[W1:.+]] = vector.transfer_write %{{.+}}, %[[W0]][%c0, %c0, %c8]
// CHECK:         %[[W2:.+]] = vector.transfer_write %{{.+}}, %[[W1]][%c0, %c1, %c0]
// CHECK:         vector.transfer_write %{{.+}}, %[[W2]][%c0, %c1, %c8]
// CHECK:         return
func.func @q4_0_two_streams(%a: tensor<1x64xi8>, %s: tensor<1x2xf32>, %sum: tensor<1x2xi32>, %ra: tensor<1x576xi8>, %rb: tensor<1x576xi8>, %i: tensor<1x2x16xf32>) -> tensor<1x2x16xf32> {
  %t = qnt.matmul_tile %a, %s sums %sum, records(%ra, %rb), %i {dot = #qnt<dot_kind maddubs>, group = 32 : i64, lanes = 8 : i64, rhs_storage = #qnt<storage u4_offset8>,
                                                       rhs_type = !qnt.tensor<32x64xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8>, #qnt.layout<n0 = 16, k0 = 4, pad = 32, records = true>>}
       : (tensor<1x64xi8>, tensor<1x2xf32>, tensor<1x2xi32>, tensor<1x576xi8>, tensor<1x576xi8>, tensor<1x2x16xf32>) -> tensor<1x2x16xf32>
  return %t : tensor<1x2x16xf32>
}

// -----

// Q4_K on AVX2, 16 channels: records of 2368 bytes (the super-block's 8
// groups). The format's default, 6144 bytes, is 3 records ahead (2.6,
// rounded to the nearest); the super-blocks being in the records, not
// operands, the default is still the K-quants'.
// DEFAULT-LABEL: func.func @q4_k_avx2
// DEFAULT:         %[[REC:.+]] = arith.divui %{{.+}}, %c8 : index
// DEFAULT:         arith.addi %[[REC]], %c3 : index
// DEFAULT-COUNT-5: memref.prefetch
// DEFAULT-NOT:     memref.prefetch
// DEFAULT:       return
func.func @q4_k_avx2(%a: tensor<1x256xi8>, %s: tensor<1x8xf32>, %sum: tensor<1x8xi32>, %r: tensor<1x2368xi8>, %i: tensor<1x?xf32>) -> tensor<1x?xf32> {
  %t = qnt.matmul_tile %a, %s sums %sum, records(%r), %i {dot = #qnt<dot_kind maddubs>, group = 32 : i64, lanes = 8 : i64, rhs_storage = #qnt<storage u4>,
                                                       rhs_type = !qnt.tensor<16x256xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4, mins = true, super_block = 256>, #qnt.layout<n0 = 16, k0 = 4, pad = 256, records = true>>}
       : (tensor<1x256xi8>, tensor<1x8xf32>, tensor<1x8xi32>, tensor<1x2368xi8>, tensor<1x?xf32>) -> tensor<1x?xf32>
  return %t : tensor<1x?xf32>
}

// RUN: quant-opt %s --split-input-file --qnt-lower-microkernel --canonicalize --cse | FileCheck %s
// RUN: quant-opt %s --split-input-file --qnt-lower-microkernel=lead-prefetch-bytes=0 | FileCheck %s --check-prefix=OFF
// RUN: quant-opt %s --split-input-file --qnt-lower-microkernel=prefetch-bytes=0 | FileCheck %s --check-prefix=OFF
// RUN: quant-opt %s --split-input-file --qnt-lower-microkernel=lead-prefetch-bytes=4096 --canonicalize --cse | FileCheck %s --check-prefix=NEAR

// The lead prefetch of a single-row tile (m0 = 1, decode's GEMV): besides
// the short prefetch of every line, once every kLeadPrefetchPeriod (2048)
// bytes of each weight stream, i.e. every max(1, 2048 / B) groups with B a
// group's bytes of the stream, an scf.if prefetches one line
// lead-prefetch-bytes (default 16384) ahead, rounded up to groups, into L2
// (locality 2): the group's share of its record there, or its first data
// row. None with lead-prefetch-bytes=0, none with prefetch-bytes=0, none
// for m0 > 1; by default (-1, the format's distance) none for the K-quants.
// OFF-NOT: locality<2>
// OFF-NOT: scf.if

// Q4_0 on VNNI, 32 channels: one group a record of 576 bytes (512 of
// nibbles, 64 of f16 scales). Every 3 groups (2048 / 576), the record 29
// groups ahead (16384 / 576 = 28.4), at its start; 4096 bytes: 8 ahead.
// CHECK-LABEL: func.func @q4_0_vnni
// CHECK-SAME:    %[[R:[^:]+]]: tensor<8x576xi8>
// CHECK:         scf.for %[[G:[^ ]+]] =
// CHECK:           %[[V:.+]] = bufferization.to_buffer %[[R]] read_only
// CHECK-COUNT-9:   memref.prefetch %[[V]][%{{.+}}, %{{.+}}], read, locality<3>, data
// CHECK:           %[[PHASE:.+]] = arith.remui %[[G]], %c3 : index
// CHECK:           %[[DUE:.+]] = arith.cmpi eq, %[[PHASE]], %c0 : index
// CHECK:           scf.if %[[DUE]] {
// CHECK:             %[[AT:.+]] = arith.addi %[[G]], %c29 : index
// CHECK:             memref.prefetch %[[V]][%[[AT]], %c0], read, locality<2>, data
// CHECK-NEXT:      }
// CHECK-NOT:       memref.prefetch
// CHECK:         return
// NEAR-LABEL: func.func @q4_0_vnni
// NEAR:         arith.addi %{{.+}}, %c8 : index
// NEAR-NEXT:    memref.prefetch %{{.+}}, read, locality<2>, data
func.func @q4_0_vnni(%a: tensor<1x256xi8>, %s: tensor<1x8xf32>, %sum: tensor<1x8xi32>, %r: tensor<8x576xi8>, %i: tensor<1x32xf32>) -> tensor<1x32xf32> {
  %t = qnt.matmul_tile %a, %s sums %sum, records(%r), %i {dot = #qnt<dot_kind vnni>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage u4_offset8>,
                                                       rhs_type = !qnt.tensor<32x256xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8>, #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>>}
       : (tensor<1x256xi8>, tensor<1x8xf32>, tensor<1x8xi32>, tensor<8x576xi8>, tensor<1x32xf32>) -> tensor<1x32xf32>
  return %t : tensor<1x32xf32>
}

// -----

// Q4_0 on AVX2, two streams: records of two groups (576 bytes), a group's
// share 288 bytes. Every 7 groups (2048 / 288), the group 57 ahead (16384 /
// 288 = 56.9): its record (/ 2) at its share's offset (% 2 x 288), in each
// stream.
// CHECK-LABEL: func.func @q4_0_two_streams
// CHECK-SAME:    %[[RA:[^:]+]]: tensor<1x576xi8>, %[[RB:[^:]+]]: tensor<1x576xi8>
// CHECK:         scf.for %[[G:[^ ]+]] =
// CHECK:           %[[VA:.+]] = bufferization.to_buffer %[[RA]] read_only
// CHECK:           %[[VB:.+]] = bufferization.to_buffer %[[RB]] read_only
// CHECK:           %[[PHASE:.+]] = arith.remui %[[G]], %c7 : index
// CHECK:           %[[DUE:.+]] = arith.cmpi eq, %[[PHASE]], %c0 : index
// CHECK:           scf.if %[[DUE]] {
// CHECK:             %[[AT:.+]] = arith.addi %[[G]], %c57 : index
// CHECK:             %[[REC:.+]] = arith.divui %[[AT]], %c2 : index
// CHECK:             %[[IN:.+]] = arith.remui %[[AT]], %c2 : index
// CHECK:             %[[COL:.+]] = arith.muli %[[IN]], %c288 : index
// CHECK:             memref.prefetch %[[VA]][%[[REC]], %[[COL]]], read, locality<2>, data
// CHECK:             memref.prefetch %[[VB]][%[[REC]], %[[COL]]], read, locality<2>, data
// CHECK-NEXT:      }
// CHECK:         return
func.func @q4_0_two_streams(%a: tensor<1x64xi8>, %s: tensor<1x2xf32>, %sum: tensor<1x2xi32>, %ra: tensor<1x576xi8>, %rb: tensor<1x576xi8>, %i: tensor<1x2x16xf32>) -> tensor<1x2x16xf32> {
  %t = qnt.matmul_tile %a, %s sums %sum, records(%ra, %rb), %i {dot = #qnt<dot_kind maddubs>, group = 32 : i64, lanes = 8 : i64, rhs_storage = #qnt<storage u4_offset8>,
                                                       rhs_type = !qnt.tensor<32x64xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8>, #qnt.layout<n0 = 16, k0 = 4, pad = 32, records = true>>}
       : (tensor<1x64xi8>, tensor<1x2xf32>, tensor<1x2xi32>, tensor<1x576xi8>, tensor<1x576xi8>, tensor<1x2x16xf32>) -> tensor<1x2x16xf32>
  return %t : tensor<1x2x16xf32>
}

// -----

// Q8_0 in plain components (not records): the data stream only, a group's
// 8 rows of 128 bytes (1024 bytes): every 2 groups, the row 16 groups (128
// rows) past the group's first.
// CHECK-LABEL: func.func @q8_0_plain
// CHECK-SAME:    %[[W:[^:]+]]: tensor<16x128xi8>
// CHECK:         scf.for %[[G:[^ ]+]] =
// CHECK:           %[[PHASE:.+]] = arith.remui %[[G]], %c2 : index
// CHECK:           %[[DUE:.+]] = arith.cmpi eq, %[[PHASE]], %c0 : index
// CHECK:           scf.if %[[DUE]] {
// CHECK:             %[[ROW:.+]] = arith.muli %[[G]], %c8 : index
// CHECK:             %[[V:.+]] = bufferization.to_buffer %[[W]] read_only
// CHECK:             %[[AT:.+]] = arith.addi %[[ROW]], %c128 : index
// CHECK:             memref.prefetch %[[V]][%[[AT]], %c0], read, locality<2>, data
// CHECK-NEXT:      }
// CHECK-NOT:       locality<2>
// CHECK:         return
func.func @q8_0_plain(%a: tensor<1x64xi8>, %s: tensor<1x2xf32>, %sum: tensor<1x2xi32>, %w: tensor<16x128xi8>, %ws: tensor<2x32xf16>, %i: tensor<1x?xf32>) -> tensor<1x?xf32> {
  %t = qnt.matmul_tile %a, %s sums %sum, %w, %ws, %i {dot = #qnt<dot_kind vnni>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage u8_offset128>}
       : (tensor<1x64xi8>, tensor<1x2xf32>, tensor<1x2xi32>, tensor<16x128xi8>, tensor<2x32xf16>, tensor<1x?xf32>) -> tensor<1x?xf32>
  return %t : tensor<1x?xf32>
}

// -----

// One scale a row (per channel) with groups of 32 activations: the weight's
// group index is 0 throughout, but the lead follows the loop's group, as
// the data rows do.
// CHECK-LABEL: func.func @per_channel
// CHECK:         scf.for %[[G:[^ ]+]] =
// CHECK:           %[[PHASE:.+]] = arith.remui %[[G]], %c2 : index
// CHECK:           scf.if
// CHECK:             %[[ROW:.+]] = arith.muli %[[G]], %c8 : index
// CHECK:             %[[AT:.+]] = arith.addi %[[ROW]], %c128 : index
// CHECK:             memref.prefetch %{{.+}}[%[[AT]], %c0], read, locality<2>, data
func.func @per_channel(%a: tensor<1x64xi8>, %s: tensor<1x2xf32>, %sum: tensor<1x2xi32>, %w: tensor<16x128xi8>, %ws: tensor<1x32xf32>, %i: tensor<1x?xf32>) -> tensor<1x?xf32> {
  %t = qnt.matmul_tile %a, %s sums %sum, %w, %ws, %i {dot = #qnt<dot_kind vnni>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage u8_offset128>}
       : (tensor<1x64xi8>, tensor<1x2xf32>, tensor<1x2xi32>, tensor<16x128xi8>, tensor<1x32xf32>, tensor<1x?xf32>) -> tensor<1x?xf32>
  return %t : tensor<1x?xf32>
}

// -----

// Two rows (m0 = 2): no lead prefetch, the short one only.
// CHECK-LABEL: func.func @two_rows
// CHECK-NOT:     scf.if
// CHECK-NOT:     locality<2>
// CHECK:         memref.prefetch {{.+}} locality<3>
// CHECK-NOT:     scf.if
// CHECK-NOT:     locality<2>
// CHECK:         return
func.func @two_rows(%a: tensor<2x64xi8>, %s: tensor<2x2xf32>, %sum: tensor<2x2xi32>, %w: tensor<16x128xi8>, %ws: tensor<2x32xf16>, %i: tensor<2x?xf32>) -> tensor<2x?xf32> {
  %t = qnt.matmul_tile %a, %s sums %sum, %w, %ws, %i {dot = #qnt<dot_kind vnni>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage u8_offset128>}
       : (tensor<2x64xi8>, tensor<2x2xf32>, tensor<2x2xi32>, tensor<16x128xi8>, tensor<2x32xf16>, tensor<2x?xf32>) -> tensor<2x?xf32>
  return %t : tensor<2x?xf32>
}

// -----

// Q4_K on AVX2 (records of 2368 bytes, 8 groups; a group's share 296): by
// default no lead (a K-quant); with 4096 bytes, every 6 groups (2048 / 296),
// the group 14 ahead (4096 / 296 = 13.8).
// CHECK-LABEL: func.func @q4_k_avx2
// CHECK-NOT:     locality<2>
// CHECK:         return
// NEAR-LABEL: func.func @q4_k_avx2
// NEAR:         %[[PHASE:.+]] = arith.remui %{{.+}}, %c6 : index
// NEAR:         scf.if
// NEAR:           %[[AT:.+]] = arith.addi %{{.+}}, %c14 : index
// NEAR:           %[[REC:.+]] = arith.divui %[[AT]], %c8 : index
// NEAR:           memref.prefetch %{{.+}}[%[[REC]], %{{.+}}], read, locality<2>, data
func.func @q4_k_avx2(%a: tensor<1x256xi8>, %s: tensor<1x8xf32>, %sum: tensor<1x8xi32>, %r: tensor<1x2368xi8>, %i: tensor<1x?xf32>) -> tensor<1x?xf32> {
  %t = qnt.matmul_tile %a, %s sums %sum, records(%r), %i {dot = #qnt<dot_kind maddubs>, group = 32 : i64, lanes = 8 : i64, rhs_storage = #qnt<storage u4>,
                                                       rhs_type = !qnt.tensor<16x256xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4, mins = true, super_block = 256>, #qnt.layout<n0 = 16, k0 = 4, pad = 256, records = true>>}
       : (tensor<1x256xi8>, tensor<1x8xf32>, tensor<1x8xi32>, tensor<1x2368xi8>, tensor<1x?xf32>) -> tensor<1x?xf32>
  return %t : tensor<1x?xf32>
}

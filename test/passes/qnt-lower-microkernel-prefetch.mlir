// RUN: quant-opt %s --split-input-file --qnt-lower-microkernel="prefetch-bytes=512 lead-prefetch-bytes=0" --canonicalize --cse | FileCheck %s
// RUN: quant-opt %s --split-input-file --qnt-lower-microkernel=prefetch-bytes=0 | FileCheck %s --check-prefix=OFF
// RUN: quant-opt %s --split-input-file --qnt-lower-microkernel=lead-prefetch-bytes=0 | FileCheck %s --check-prefix=DEFAULT

// The micro-kernel prefetches the weight's streams prefetch-bytes ahead of
// its reads: per iteration of the step loop, one memref.prefetch per 64-byte
// line of the data rows it reads, that many bytes (rounded up to rows) past
// the first; per group, one per line of each per-group component (scales,
// mins, sums; not the super-blocks' factors, one row for 8 groups) as many
// groups ahead as the data's distance spans. Each through a read-only view
// of the tile's tensor (bufferization.to_buffer read_only), which one-shot
// bufferization turns into the tile's buffer.
// OFF-NOT: memref.prefetch
// OFF-NOT: bufferization.to_buffer

// VNNI, 8-bit, rows of 128 bytes: 512 bytes are 4 rows; a group's 8 steps
// read 8 rows, 16 lines: rows +4 .. +11 at columns 0 and 64. The scales (a
// row of 32 f16, 64 bytes) one group ahead (4 rows of 8 round up to 1).
// The default distance (prefetch-bytes = -1, by the weight's format) for
// Q8_0, a format of one group a block, is 2048 bytes: 16 rows, the scales 2
// groups ahead.
// CHECK-LABEL: func.func @vnni
// CHECK-SAME:    (%{{[^:]+}}: tensor<2x64xi8>, %{{[^:]+}}: tensor<2x2xf32>, %{{[^:]+}}: tensor<2x2xi32>, %[[W:[^:]+]]: tensor<16x128xi8>, %[[WS:[^:]+]]: tensor<2x32xf16>
// CHECK:         scf.for %[[G:[^ ]+]] =
// CHECK:           %[[VS:.+]] = bufferization.to_buffer %[[WS]] read_only : tensor<2x32xf16> to memref<2x32xf16, strided<[?, ?], offset: ?>>
// CHECK:           %[[G1:.+]] = arith.addi %[[G]], %c1 : index
// CHECK:           memref.prefetch %[[VS]][%[[G1]], %c0], read, locality<3>, data
// CHECK:           %[[ROW:.+]] = arith.muli %[[G]], %c8 : index
// CHECK:           %[[V:.+]] = bufferization.to_buffer %[[W]] read_only : tensor<16x128xi8> to memref<16x128xi8, strided<[?, ?], offset: ?>>
// CHECK:           %[[R4:.+]] = arith.addi %[[ROW]], %c4 : index
// CHECK:           memref.prefetch %[[V]][%[[R4]], %c0], read
// CHECK:           memref.prefetch %[[V]][%[[R4]], %c64], read
// CHECK:           %[[R5:.+]] = arith.addi %[[ROW]], %c5 : index
// CHECK:           memref.prefetch %[[V]][%[[R5]], %c0], read
// CHECK-COUNT-11:  memref.prefetch %[[V]]
// CHECK:           %[[R11:.+]] = arith.addi %[[ROW]], %c11 : index
// CHECK:           memref.prefetch %[[V]][%[[R11]], %c0], read
// CHECK:           memref.prefetch %[[V]][%[[R11]], %c64], read
// CHECK-NOT:       memref.prefetch
// CHECK:           qnt_x86.dpbusd
// CHECK-NOT:       memref.prefetch
// CHECK:         return
// DEFAULT-LABEL: func.func @vnni
// DEFAULT:         arith.addi %{{.+}}, %c2_{{[0-9]+}} : index
// DEFAULT-NEXT:    arith.constant 0 : index
// DEFAULT-NEXT:    memref.prefetch
// DEFAULT:         arith.constant 16 : index
// DEFAULT-COUNT-16: memref.prefetch
// DEFAULT-NOT:     memref.prefetch
// DEFAULT:       return
func.func @vnni(%a: tensor<2x64xi8>, %s: tensor<2x2xf32>, %sum: tensor<2x2xi32>, %w: tensor<16x128xi8>, %ws: tensor<2x32xf16>, %i: tensor<2x?xf32>) -> tensor<2x?xf32> {
  %t = qnt.matmul_tile %a, %s sums %sum, %w, %ws, %i {dot = #qnt<dot_kind vnni>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage u8_offset128>}
       : (tensor<2x64xi8>, tensor<2x2xf32>, tensor<2x2xi32>, tensor<16x128xi8>, tensor<2x32xf16>, tensor<2x?xf32>) -> tensor<2x?xf32>
  return %t : tensor<2x?xf32>
}

// -----

// Q4_K (4-bit with mins and two-level scales), rows of 64 bytes: 8 rows
// ahead; a group's 8 steps are 4 rows, so the byte scales and the mins (16
// bytes a group) 2 groups ahead, one prefetch each; the super-blocks' d and
// dmin none.
// CHECK-LABEL: func.func @u4_two_level
// CHECK-SAME:    %[[W:[^:]+]]: tensor<32x64xi8>, %[[WS:[^:]+]]: tensor<8x16xi8>, %[[WM:[^:]+]]: tensor<8x16xi8>, %[[D:[^:]+]]: tensor<1x16xf16>, %[[DM:[^:]+]]: tensor<1x16xf16>
// CHECK:         scf.for %[[G:[^ ]+]] =
// CHECK:           %[[VS:.+]] = bufferization.to_buffer %[[WS]] read_only
// CHECK:           %[[G2:.+]] = arith.addi %[[G]], %c2 : index
// CHECK:           memref.prefetch %[[VS]][%[[G2]], %c0], read
// CHECK:           %[[VM:.+]] = bufferization.to_buffer %[[WM]] read_only
// CHECK:           memref.prefetch %[[VM]][%[[G2]], %c0], read
// CHECK:           %[[ROW:.+]] = arith.shrui %{{.+}}, %c1 : index
// CHECK:           %[[V:.+]] = bufferization.to_buffer %[[W]] read_only
// CHECK:           %[[R8:.+]] = arith.addi %[[ROW]], %c8 : index
// CHECK:           memref.prefetch %[[V]][%[[R8]], %c0], read
// CHECK-COUNT-2:   memref.prefetch %[[V]]
// CHECK:           %[[R11:.+]] = arith.addi %[[ROW]], %c11 : index
// CHECK:           memref.prefetch %[[V]][%[[R11]], %c0], read
// CHECK-NOT:       memref.prefetch
// CHECK-NOT:       bufferization.to_buffer %[[D]]
// CHECK-NOT:       bufferization.to_buffer %[[DM]]
// CHECK:         return
// A K-quant's default distance is 6144 bytes: 96 rows of 64, the byte
// scales and mins 24 groups ahead.
// DEFAULT-LABEL: func.func @u4_two_level
// DEFAULT:         arith.addi %{{.+}}, %c24 : index
// DEFAULT-NEXT:    arith.constant 0 : index
// DEFAULT-NEXT:    memref.prefetch
// DEFAULT:         arith.addi %{{.+}}, %c24_{{[0-9]+}} : index
// DEFAULT-NEXT:    arith.constant 0 : index
// DEFAULT-NEXT:    memref.prefetch
// DEFAULT:         arith.constant 96 : index
// DEFAULT-NEXT:    arith.addi
// DEFAULT-NEXT:    arith.constant 0 : index
// DEFAULT-NEXT:    memref.prefetch
func.func @u4_two_level(%a: tensor<1x256xi8>, %s: tensor<1x8xf32>, %sum: tensor<1x8xi32>, %w: tensor<32x64xi8>, %ws: tensor<8x16xi8>, %wm: tensor<8x16xi8>, %d: tensor<1x16xf16>, %dm: tensor<1x16xf16>, %i: tensor<1x16xf32>) -> tensor<1x16xf32> {
  %t = qnt.matmul_tile %a, %s sums %sum, %w, %ws mins %wm supers(%d, %dm), %i {dot = #qnt<dot_kind vnni>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage u4>}
       : (tensor<1x256xi8>, tensor<1x8xf32>, tensor<1x8xi32>, tensor<32x64xi8>, tensor<8x16xi8>, tensor<8x16xi8>, tensor<1x16xf16>, tensor<1x16xf16>, tensor<1x16xf32>) -> tensor<1x16xf32>
  return %t : tensor<1x16xf32>
}

// -----

// Q6_K (6-bit, groups of 16): a group's four steps are three rows of 64
// bytes, prefetched 8 rows past the group's first; the scales 3 groups ahead
// (8 rows of 3 round up).
// CHECK-LABEL: func.func @u6_vnni
// CHECK-SAME:    %[[W:[^:]+]]: tensor<48x64xi8>, %[[WS:[^:]+]]: tensor<16x16xi8>
// CHECK:         scf.for %[[G:[^ ]+]] =
// CHECK:           %[[VS:.+]] = bufferization.to_buffer %[[WS]] read_only
// CHECK:           %[[G3:.+]] = arith.addi %[[G]], %c3 : index
// CHECK:           memref.prefetch %[[VS]][%[[G3]], %c0], read
// CHECK:           %[[ROW:.+]] = arith.muli %{{.+}}, %c3 : index
// CHECK:           %[[V:.+]] = bufferization.to_buffer %[[W]] read_only
// CHECK:           %[[R8:.+]] = arith.addi %[[ROW]], %c8 : index
// CHECK:           memref.prefetch %[[V]][%[[R8]], %c0], read
// CHECK:           %[[R9:.+]] = arith.addi %[[ROW]], %c9 : index
// CHECK:           memref.prefetch %[[V]][%[[R9]], %c0], read
// CHECK:           %[[R10:.+]] = arith.addi %[[ROW]], %c10 : index
// CHECK:           memref.prefetch %[[V]][%[[R10]], %c0], read
// CHECK-NOT:       memref.prefetch
// CHECK:         return
func.func @u6_vnni(%a: tensor<1x256xi8>, %s: tensor<1x16xf32>, %sum: tensor<1x16xi32>, %w: tensor<48x64xi8>, %ws: tensor<16x16xi8>, %d: tensor<1x16xf16>, %i: tensor<1x16xf32>) -> tensor<1x16xf32> {
  %t = qnt.matmul_tile %a, %s sums %sum, %w, %ws supers(%d), %i {dot = #qnt<dot_kind vnni>, group = 16 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage u6_offset32>}
       : (tensor<1x256xi8>, tensor<1x16xf32>, tensor<1x16xi32>, tensor<48x64xi8>, tensor<16x16xi8>, tensor<1x16xf16>, tensor<1x16xf32>) -> tensor<1x16xf32>
  return %t : tensor<1x16xf32>
}

// -----

// Per channel (one group of all 64 values, 16 steps): the step loop is the
// inner loop, 8 steps (rows of 64 bytes) an iteration, each prefetched 8
// rows ahead; the scales are one row, read once, not prefetched.
// CHECK-LABEL: func.func @i8_accumulate
// CHECK-SAME:    %[[W:[^:]+]]: tensor<16x64xi8>, %[[WS:[^:]+]]: tensor<1x16xf32>
// CHECK-NOT:     bufferization.to_buffer %[[WS]]
// CHECK:         scf.for %[[C:[^ ]+]] = %c0 to %c16 step %c8
// CHECK:           %[[V:.+]] = bufferization.to_buffer %[[W]] read_only
// CHECK:           %[[R8:.+]] = arith.addi %[[C]], %c8 : index
// CHECK:           memref.prefetch %[[V]][%[[R8]], %c0], read
// CHECK-COUNT-6:   memref.prefetch %[[V]]
// CHECK:           %[[R15:.+]] = arith.addi %[[C]], %c15 : index
// CHECK:           memref.prefetch %[[V]][%[[R15]], %c0], read
// CHECK-NOT:       memref.prefetch
// CHECK:         return
func.func @i8_accumulate(%a: tensor<1x64xi8>, %s: tensor<1x1xf32>, %w: tensor<16x64xi8>, %ws: tensor<1x16xf32>, %i: tensor<1x16xf32>) -> tensor<1x16xf32> {
  %t = qnt.matmul_tile %a, %s, %w, %ws, %i {accumulate, dot = #qnt<dot_kind maddubs>, group = 64 : i64, lanes = 8 : i64, rhs_storage = #qnt<storage i8>}
       : (tensor<1x64xi8>, tensor<1x1xf32>, tensor<16x64xi8>, tensor<1x16xf32>, tensor<1x16xf32>) -> tensor<1x16xf32>
  return %t : tensor<1x16xf32>
}

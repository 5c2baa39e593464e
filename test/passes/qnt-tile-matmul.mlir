// RUN: quant-opt %s --split-input-file --qnt-tile-matmul | FileCheck %s
// RUN: quant-opt %s --split-input-file --qnt-tile-matmul=max-m0=2 | FileCheck %s --check-prefix=M2

// AVX-512 VNNI, u8 + 128 weights in tiles of 32 channels: a parallel loop
// over the 2 weight tiles (40 channels); in each, the rows in register tiles
// of 4, then one by one; vpdpbusd on 16 lanes.
// CHECK-LABEL: func.func @vnni
// CHECK-SAME:    (%[[X:.+]]: !qnt.tensor<?x172xf32, {{.+}}>, %[[W:.+]]: !qnt.tensor<40x172xf32, {{.+}}>)
// CHECK-DAG:     %[[XD:.+]]:3 = qnt.unpack %[[X]] {{.+}} -> tensor<?x192xi8>, tensor<?x6xf32>, tensor<?x6xi32>
// CHECK-DAG:     %[[WD:.+]]:2 = qnt.unpack %[[W]] {{.+}} -> tensor<2x48x32x4xi8>, tensor<2x6x32xf16>
// CHECK:         %[[FLAT:.+]] = tensor.collapse_shape %[[WD]]#0 {{\[\[}}0], [1], [2, 3]] : tensor<2x48x32x4xi8> into tensor<2x48x128xi8>
// CHECK:         %[[ROWS:.+]] = tensor.dim %[[XD]]#0, %{{.+}} : tensor<?x192xi8>
// CHECK:         %[[OUT:.+]] = tensor.empty(%[[ROWS]]) : tensor<?x40xf32>
// CHECK:         scf.forall (%[[T:.+]]) in (2) shared_outs(%[[O:.+]] = %[[OUT]]) -> (tensor<?x40xf32>)
// CHECK:           %[[N:.+]] = arith.muli %[[T]], %{{.+}} : index
// CHECK:           %[[WIDTH:.+]] = arith.minsi
// CHECK:           %[[COLS:.+]] = tensor.extract_slice %[[O]][0, %[[N]]] [%[[ROWS]], %[[WIDTH]]] [1, 1]
// CHECK:           %[[WT:.+]] = tensor.extract_slice %[[FLAT]][%[[T]], 0, 0] [1, 48, 128] [1, 1, 1] : tensor<2x48x128xi8> to tensor<48x128xi8>
// CHECK:           %[[ST:.+]] = tensor.extract_slice %[[WD]]#1[%[[T]], 0, 0] [1, 6, 32] [1, 1, 1] : tensor<2x6x32xf16> to tensor<6x32xf16>
// CHECK:           %[[FULL:.+]] = arith.subi %[[ROWS]], %{{.+}} : index
// CHECK:           %[[R4:.+]] = scf.for %[[M:.+]] = %{{.+}} to %[[FULL]] step %{{.+}} iter_args(%[[C:.+]] = %[[COLS]])
// CHECK:             %[[A:.+]] = tensor.extract_slice %[[XD]]#0[%[[M]], 0] [4, 192] [1, 1] : tensor<?x192xi8> to tensor<4x192xi8>
// CHECK:             %[[I:.+]] = tensor.extract_slice %[[C]][%[[M]], 0] [4, %[[WIDTH]]] [1, 1]
// CHECK:             qnt.matmul_tile %[[A]], %{{.+}} sums %{{.+}}, %[[WT]], %[[ST]], %[[I]] {dot = #qnt<dot_kind vnni>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage u8_offset128>} : (tensor<4x192xi8>, tensor<4x6xf32>, tensor<4x6xi32>, tensor<48x128xi8>, tensor<6x32xf16>, tensor<4x?xf32>) -> tensor<4x?xf32>
// CHECK:             tensor.insert_slice
// CHECK:           %[[R1:.+]] = scf.for %{{.+}} = %[[FULL]] to %[[ROWS]] step %{{.+}} iter_args(%{{.+}} = %[[R4]])
// CHECK:             qnt.matmul_tile {{.+}} -> tensor<1x?xf32>
// CHECK:           scf.forall.in_parallel
// CHECK:             tensor.parallel_insert_slice %[[R1]] into %[[O]][0, %[[N]]] [%[[ROWS]], %[[WIDTH]]] [1, 1]
// M2-LABEL: func.func @vnni
// M2:         qnt.matmul_tile {{.+}} -> tensor<2x?xf32>
module attributes {qnt.target = #qnt.target<vector_bits = 512, dot = vnni, registers = 32>} {
  func.func @vnni(%x: !qnt.tensor<?x172xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>, #qnt.layout<pad = 32>>,
                  %w: !qnt.tensor<40x172xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>, #qnt.layout<n0 = 32, k0 = 4, pad = 32>>) -> tensor<?x40xf32> {
    %y = qnt.matmul %x, %w : !qnt.tensor<?x172xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>, #qnt.layout<pad = 32>>,
         !qnt.tensor<40x172xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>, #qnt.layout<n0 = 32, k0 = 4, pad = 32>> -> tensor<?x40xf32>
    return %y : tensor<?x40xf32>
  }
}

// -----

// The same weight in records (172 padded to 192: 6 groups of 1024 bytes and
// 32 f16 scales, one record a group): one component, a row tile of it per
// weight tile, given to the micro-kernel with the weight's type.
// CHECK-LABEL: func.func @records
// CHECK:         %[[REC:.+]] = qnt.unpack %{{.+}} -> tensor<2x6x1088xi8>
// CHECK:         scf.forall (%[[T:.+]]) in (2)
// CHECK:           %[[RT:.+]] = tensor.extract_slice %[[REC]][%[[T]], 0, 0] [1, 6, 1088] [1, 1, 1] : tensor<2x6x1088xi8> to tensor<6x1088xi8>
// CHECK:           qnt.matmul_tile %{{.+}}, %{{.+}} sums %{{.+}}, records(%[[RT]]), %{{.+}} {{{.+}}rhs_storage = #qnt<storage u8_offset128>, rhs_type = !qnt.tensor<40x172xf32, {{.+}}, #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>>} : (tensor<4x192xi8>, tensor<4x6xf32>, tensor<4x6xi32>, tensor<6x1088xi8>, tensor<4x?xf32>) -> tensor<4x?xf32>
module attributes {qnt.target = #qnt.target<vector_bits = 512, dot = vnni, registers = 32>} {
  func.func @records(%x: !qnt.tensor<?x172xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>, #qnt.layout<pad = 32>>,
                     %w: !qnt.tensor<40x172xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>, #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>>) -> tensor<?x40xf32> {
    %y = qnt.matmul %x, %w : !qnt.tensor<?x172xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>, #qnt.layout<pad = 32>>,
         !qnt.tensor<40x172xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>, #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>> -> tensor<?x40xf32>
    return %y : tensor<?x40xf32>
  }
}

// -----

// AVX2, i8 weights: the sign trick on 8 lanes, 4 rows in 16 registers (the
// i32 accumulators, the weights of a step and their magnitudes, 3
// temporaries; the f32 accumulators in L1). A
// residual (acc) is where the tiles start, and marks them accumulate.
// Per-channel weights against per-token activations: one group of K.
// CHECK-LABEL: func.func @avx2_residual
// CHECK-SAME:    %[[R:[^:]+]]: tensor<?x16xf32>)
// CHECK:         scf.forall (%{{.+}}) in (1) shared_outs(%{{.+}} = %[[R]])
// CHECK:           qnt.matmul_tile {{.+}} {accumulate, dot = #qnt<dot_kind maddubs>, group = 64 : i64, lanes = 8 : i64, rhs_storage = #qnt<storage i8>} : (tensor<4x64xi8>, tensor<4x1xf32>, tensor<16x64xi8>, tensor<1x16xf16>, tensor<4x?xf32>) -> tensor<4x?xf32>
module attributes {qnt.target = #qnt.target<vector_bits = 256, dot = maddubs>} {
  func.func @avx2_residual(%x: !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_token, scale = f32>, #qnt.layout<pad = 32>>,
                           %w: !qnt.tensor<16x64xf32, #qnt.scheme<granularity = per_channel>, #qnt.layout<n0 = 16, k0 = 4, pad = 32>>,
                           %r: tensor<?x16xf32>) -> tensor<?x16xf32> {
    %y = qnt.matmul %x, %w acc %r : !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_token, scale = f32>, #qnt.layout<pad = 32>>,
         !qnt.tensor<16x64xf32, #qnt.scheme<granularity = per_channel>, #qnt.layout<n0 = 16, k0 = 4, pad = 32>>, tensor<?x16xf32> -> tensor<?x16xf32>
    return %y : tensor<?x16xf32>
  }
}

// -----

// No target: generic code on 4 lanes; a single row (decode) takes the
// one-row tiles only.
// CHECK-LABEL: func.func @generic_decode
// CHECK:         qnt.matmul_tile {{.+}} {dot = #qnt<dot_kind generic>, group = 32 : i64, lanes = 4 : i64, rhs_storage = #qnt<storage i8>} : {{.+}} -> tensor<2x?xf32>
// CHECK:         qnt.matmul_tile {{.+}} -> tensor<1x?xf32>
func.func @generic_decode(%x: !qnt.tensor<1x32xf32, #qnt.scheme<granularity = per_block, scale = f32>, #qnt.layout<pad = 32>>,
                          %w: !qnt.tensor<8x32xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<n0 = 8, k0 = 4, pad = 32>>) -> tensor<1x8xf32> {
  %y = qnt.matmul %x, %w : !qnt.tensor<1x32xf32, #qnt.scheme<granularity = per_block, scale = f32>, #qnt.layout<pad = 32>>,
       !qnt.tensor<8x32xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<n0 = 8, k0 = 4, pad = 32>> -> tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}

// -----

// Asymmetric activations: the tile takes the rows' zero points and the
// weight tile's sums beside its scales.
// CHECK-LABEL: func.func @zero_points
// CHECK-DAG:     %[[XD:.+]]:4 = qnt.unpack %{{.+}} -> tensor<?x64xi8>, tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x2xi32>
// CHECK-DAG:     %[[WD:.+]]:3 = qnt.unpack %{{.+}} -> tensor<1x16x32x4xi8>, tensor<1x2x32xf16>, tensor<1x2x32xi32>
// CHECK:         %[[WU:.+]] = tensor.extract_slice %[[WD]]#2[%{{.+}}, 0, 0] [1, 2, 32] [1, 1, 1] : tensor<1x2x32xi32> to tensor<2x32xi32>
// CHECK:         %[[ZP:.+]] = tensor.extract_slice %[[XD]]#2[%{{.+}}, 0] [4, 2] [1, 1] : tensor<?x2xi32> to tensor<4x2xi32>
// CHECK:         qnt.matmul_tile %{{.+}}, %{{.+}} sums %{{.+}} zero_points %[[ZP]], %{{.+}}, %{{.+}} sums %[[WU]], %{{.+}} {dot = #qnt<dot_kind vnni>
module attributes {qnt.target = #qnt.target<vector_bits = 512, dot = vnni, registers = 32>} {
  func.func @zero_points(%x: !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, symmetric = false, scale = f32, sums = true>>,
                         %w: !qnt.tensor<32x64xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128, sums = true>, #qnt.layout<n0 = 32, k0 = 4, pad = 32>>) -> tensor<?x32xf32> {
    %y = qnt.matmul %x, %w : !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, symmetric = false, scale = f32, sums = true>>,
         !qnt.tensor<32x64xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128, sums = true>, #qnt.layout<n0 = 32, k0 = 4, pad = 32>> -> tensor<?x32xf32>
    return %y : tensor<?x32xf32>
  }
}

// -----

// IQ4_NL's grid (u4_grid) on AVX2: its looked-up values take the sign trick,
// whose live registers also hold the nibble mask and the table: 3 rows.
// CHECK-LABEL: func.func @grid_avx2
// CHECK:         qnt.matmul_tile {{.+}} {dot = #qnt<dot_kind maddubs>, group = 32 : i64, lanes = 8 : i64, rhs_storage = #qnt<storage u4_grid>} : (tensor<3x64xi8>, tensor<3x2xf32>, tensor<3x2xi32>, tensor<8x64xi8>, tensor<2x16xf16>, tensor<3x?xf32>)
module attributes {qnt.target = #qnt.target<vector_bits = 256, dot = maddubs>} {
  func.func @grid_avx2(%x: !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>>,
                       %w: !qnt.tensor<16x64xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4_grid>, #qnt.layout<n0 = 16, k0 = 4, pad = 32>>) -> tensor<?x16xf32> {
    %y = qnt.matmul %x, %w : !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>>,
         !qnt.tensor<16x64xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4_grid>, #qnt.layout<n0 = 16, k0 = 4, pad = 32>> -> tensor<?x16xf32>
    return %y : tensor<?x16xf32>
  }
}

// -----

// 4-bit weights (u4_offset8) on AVX2: the tile's rows hold two 4-byte steps
// each ([K'/8, 4 n0] = [8, 64] for K' = 64, n0 = 16); vpmaddubsw on the
// nibbles (the maddubs dot, 8 lanes), corrected with the activation sums.
// On VNNI: vpdpbusd on 16 lanes, n0 = 32.
// CHECK-LABEL: func.func @u4_avx2
// CHECK:         %[[WD:.+]]:2 = qnt.unpack %{{.+}} -> tensor<2x8x16x4xi8>, tensor<2x2x16xf16>
// CHECK:         tensor.collapse_shape %[[WD]]#0 {{\[\[}}0], [1], [2, 3]] : tensor<2x8x16x4xi8> into tensor<2x8x64xi8>
// CHECK:         qnt.matmul_tile %{{.+}}, %{{.+}} sums %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} {dot = #qnt<dot_kind maddubs>, group = 32 : i64, lanes = 8 : i64, rhs_storage = #qnt<storage u4_offset8>} : (tensor<{{[0-9]+}}x64xi8>, tensor<{{[0-9]+}}x2xf32>, tensor<{{[0-9]+}}x2xi32>, tensor<8x64xi8>, tensor<2x16xf16>, tensor<{{[0-9]+}}x?xf32>)
module attributes {qnt.target = #qnt.target<vector_bits = 256, dot = maddubs>} {
  func.func @u4_avx2(%x: !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>>,
                     %w: !qnt.tensor<20x64xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8>, #qnt.layout<n0 = 16, k0 = 4, pad = 32>>) -> tensor<?x20xf32> {
    %y = qnt.matmul %x, %w : !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>>,
         !qnt.tensor<20x64xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8>, #qnt.layout<n0 = 16, k0 = 4, pad = 32>> -> tensor<?x20xf32>
    return %y : tensor<?x20xf32>
  }
}

// -----

// CHECK-LABEL: func.func @u4_vnni
// CHECK:         qnt.matmul_tile {{.+}} {dot = #qnt<dot_kind vnni>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage u4_offset8>} : ({{.+}}, tensor<8x128xi8>, tensor<2x32xf16>, {{.+}})
module attributes {qnt.target = #qnt.target<vector_bits = 512, dot = vnni, registers = 32>} {
  func.func @u4_vnni(%x: !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>>,
                     %w: !qnt.tensor<40x64xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8>, #qnt.layout<n0 = 32, k0 = 4, pad = 32>>) -> tensor<?x40xf32> {
    %y = qnt.matmul %x, %w : !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>>,
         !qnt.tensor<40x64xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8>, #qnt.layout<n0 = 32, k0 = 4, pad = 32>> -> tensor<?x40xf32>
    return %y : tensor<?x40xf32>
  }
}

// -----

// Two-level scales (Q4_K): each tile takes its byte scales and minimums
// [groups, n0] and its super factors [groups / 8, n0].
// CHECK-LABEL: func.func @u4_two_level
// CHECK:         %[[W:.+]]:5 = qnt.unpack %{{.+}}
// CHECK:         scf.forall (%[[T:.+]]) in (2)
// CHECK-DAG:       %[[SC:.+]] = tensor.extract_slice %[[W]]#1[%[[T]], 0, 0] [1, 16, 32] [1, 1, 1] : tensor<2x16x32xi8> to tensor<16x32xi8>
// CHECK-DAG:       %[[M:.+]] = tensor.extract_slice %[[W]]#2[%[[T]], 0, 0] [1, 16, 32] [1, 1, 1] : tensor<2x16x32xi8> to tensor<16x32xi8>
// CHECK-DAG:       %[[D:.+]] = tensor.extract_slice %[[W]]#3[%[[T]], 0, 0] [1, 2, 32] [1, 1, 1] : tensor<2x2x32xf16> to tensor<2x32xf16>
// CHECK-DAG:       %[[DM:.+]] = tensor.extract_slice %[[W]]#4[%[[T]], 0, 0] [1, 2, 32] [1, 1, 1] : tensor<2x2x32xf16> to tensor<2x32xf16>
// CHECK:           qnt.matmul_tile {{.+}}, %[[SC]] mins %[[M]] supers(%[[D]], %[[DM]]), {{.+}} {dot = #qnt<dot_kind vnni>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage u4>}
module attributes {qnt.target = #qnt.target<vector_bits = 512, dot = vnni, registers = 32>} {
  func.func @u4_two_level(%x: !qnt.tensor<?x512xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>>,
                          %w: !qnt.tensor<40x512xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4, mins = true, super_block = 256>, #qnt.layout<n0 = 32, k0 = 4, pad = 256>>) -> tensor<?x40xf32> {
    %y = qnt.matmul %x, %w : !qnt.tensor<?x512xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>>,
         !qnt.tensor<40x512xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4, mins = true, super_block = 256>, #qnt.layout<n0 = 32, k0 = 4, pad = 256>> -> tensor<?x40xf32>
    return %y : tensor<?x40xf32>
  }
}

// -----

// 6 bits (Q6_K): the data tile holds four steps in three rows ([3 K / 16,
// n0 * 4]), the byte scales are per 16 (the activation's blocks too), and one
// super factor per 256 values, without minimums.
// CHECK-LABEL: func.func @u6_two_level
// CHECK:         %[[W:.+]]:3 = qnt.unpack %{{.+}} : !qnt.tensor<40x512xf32
// CHECK:         %[[WD:.+]] = tensor.collapse_shape %[[W]]#0 {{.+}} : tensor<2x96x32x4xi8> into tensor<2x96x128xi8>
// CHECK:         scf.forall (%[[T:.+]]) in (2)
// CHECK-DAG:       %[[DATA:.+]] = tensor.extract_slice %[[WD]][%[[T]], 0, 0] [1, 96, 128] [1, 1, 1] : tensor<2x96x128xi8> to tensor<96x128xi8>
// CHECK-DAG:       %[[SC:.+]] = tensor.extract_slice %[[W]]#1[%[[T]], 0, 0] [1, 32, 32] [1, 1, 1] : tensor<2x32x32xi8> to tensor<32x32xi8>
// CHECK-DAG:       %[[D:.+]] = tensor.extract_slice %[[W]]#2[%[[T]], 0, 0] [1, 2, 32] [1, 1, 1] : tensor<2x2x32xf16> to tensor<2x32xf16>
// CHECK:           qnt.matmul_tile {{.+}} sums {{.+}}, %[[DATA]], %[[SC]] supers(%[[D]]), {{.+}} {dot = #qnt<dot_kind vnni>, group = 16 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage u6_offset32>}
module attributes {qnt.target = #qnt.target<vector_bits = 512, dot = vnni, registers = 32>} {
  func.func @u6_two_level(%x: !qnt.tensor<?x512xf32, #qnt.scheme<granularity = per_block, block = 16, scale = f32, sums = true>>,
                          %w: !qnt.tensor<40x512xf32, #qnt.scheme<bits = 6, granularity = per_block, block = 16, storage = u6_offset32, super_block = 256>, #qnt.layout<n0 = 32, k0 = 4, pad = 256>>) -> tensor<?x40xf32> {
    %y = qnt.matmul %x, %w : !qnt.tensor<?x512xf32, #qnt.scheme<granularity = per_block, block = 16, scale = f32, sums = true>>,
         !qnt.tensor<40x512xf32, #qnt.scheme<bits = 6, granularity = per_block, block = 16, storage = u6_offset32, super_block = 256>, #qnt.layout<n0 = 32, k0 = 4, pad = 256>> -> tensor<?x40xf32>
    return %y : tensor<?x40xf32>
  }
}

// RUN: quant-opt %s --split-input-file --qnt-lower-microkernel="prefetch-bytes=0 lead-prefetch-bytes=0" --canonicalize --cse | FileCheck %s

// Q4_K on AVX2 against an activation with one scale per super-block of 256
// (sums_block = 32: scales [4, 2], sums [4, 16]): a loop over the two
// super-blocks, each a loop over its 8 groups whose i16 pairs widen by the
// group's byte scales (qnt_x86.widen_pairs scaled) into i32 sums; after the
// groups, the minimums' terms sum_j float(m_j) * float(sum_a_j) (one FMA a
// group), then f += float(sum) * (d * sa) + sum_m * (-dmin * sa) with sa the
// row's scale of that super-block.
// CHECK-LABEL: func.func @q4_k_super_activations
// CHECK:         %[[F:.+]]:8 = scf.for %[[SB:.+]] = %c0 to %c2 step %c1 iter_args({{.+}}) -> (vector<8xf32>, {{.+}}) {
// CHECK:           %[[I:.+]]:8 = scf.for %{{.+}} = %c0 to %c8 step %c1 iter_args({{.+}}) -> (vector<8xi32>, {{.+}}) {
// CHECK-COUNT-8:     qnt_x86.widen_pairs %{{.+}} scaled %{{.+}} : vector<16xi16>, vector<8xi16> -> vector<8xi32>
// CHECK-NOT:         arith.sitofp
// CHECK:             scf.yield {{.+}} : vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>
// CHECK:           }
// CHECK-COUNT-64:  vector.fma
// CHECK:           tensor.extract %arg1[%c0, %[[SB]]] : tensor<4x2xf32>
// CHECK:           arith.sitofp %[[I]]#0 : vector<8xi32> to vector<8xf32>
// CHECK:           vector.fma
// CHECK:           vector.fma
// CHECK:           tensor.extract %arg1[%c3, %[[SB]]] : tensor<4x2xf32>
// CHECK:           scf.yield
func.func @q4_k_super_activations(%a: tensor<4x512xi8>, %s: tensor<4x2xf32>, %sum: tensor<4x16xi32>, %r: tensor<2x2368xi8>, %i: tensor<4x?xf32>) -> tensor<4x?xf32> {
  %t = qnt.matmul_tile %a, %s sums %sum, records(%r), %i {dot = #qnt<dot_kind maddubs>, group = 32 : i64, lanes = 8 : i64, rhs_storage = #qnt<storage u4>,
                                                       rhs_type = !qnt.tensor<16x512xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4, mins = true, super_block = 256>, #qnt.layout<n0 = 16, k0 = 4, pad = 256, records = true>>}
       : (tensor<4x512xi8>, tensor<4x2xf32>, tensor<4x16xi32>, tensor<2x2368xi8>, tensor<4x?xf32>) -> tensor<4x?xf32>
  return %t : tensor<4x?xf32>
}

// -----

// Q6_K (signed byte scales per 16, d per 256; u6 + 32) the same way: one
// super-block here (K = 256, the loop over super-blocks folded away), its
// 16 groups' i16 pairs widened by the scale every two steps (two a group and
// accumulator), the offset's correction -32 sum_a per group as the
// minimums' term, times -32 d sa after the groups.
// CHECK-LABEL: func.func @q6_k_super_activations
// CHECK:         %[[M32:.+]] = arith.constant dense<-3.200000e+01> : vector<8xf32>
// CHECK:         %[[I:.+]]:8 = scf.for %{{.+}} = %c0 to %c16 step %c1 iter_args({{.+}}) -> (vector<8xi32>, {{.+}}) {
// CHECK-COUNT-16:  qnt_x86.widen_pairs %{{.+}} scaled %{{.+}} : vector<16xi16>, vector<8xi16> -> vector<8xi32>
// CHECK-NOT:       arith.sitofp
// CHECK:         }
// CHECK:         arith.mulf %{{.+}}, %[[M32]] : vector<8xf32>
// CHECK:         arith.sitofp %[[I]]#0 : vector<8xi32> to vector<8xf32>
func.func @q6_k_super_activations(%a: tensor<4x256xi8>, %s: tensor<4x1xf32>, %sum: tensor<4x16xi32>, %r: tensor<1x3360xi8>, %i: tensor<4x?xf32>) -> tensor<4x?xf32> {
  %t = qnt.matmul_tile %a, %s sums %sum, records(%r), %i {dot = #qnt<dot_kind maddubs>, group = 16 : i64, lanes = 8 : i64, rhs_storage = #qnt<storage u6_offset32>,
                                                       rhs_type = !qnt.tensor<16x256xf32, #qnt.scheme<bits = 6, granularity = per_block, block = 16, storage = u6_offset32, super_block = 256>, #qnt.layout<n0 = 16, k0 = 4, pad = 256, records = true>>}
       : (tensor<4x256xi8>, tensor<4x1xf32>, tensor<4x16xi32>, tensor<1x3360xi8>, tensor<4x?xf32>) -> tensor<4x?xf32>
  return %t : tensor<4x?xf32>
}

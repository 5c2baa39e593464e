// RUN: quant-opt %s --split-input-file --qnt-fuse-linears --mlir-print-debuginfo | FileCheck %s
// RUN: quant-opt %s --split-input-file --qnt-fuse-linears=keep-float=blk.0.attn_v | FileCheck %s --check-prefix=KEEP

// q, k and v of one block, Q4_0 rows of 18 bytes: one linear over the
// weights' blocks one after another (the blob: its alignment, 1, then q's
// two rows, k's, v's), named after its parts; each former result is its
// columns of the fused one.
// CHECK-LABEL: func.func @qkv
// CHECK-SAME:    (%[[X:[^:]+]]: tensor<?x32xf32>
// CHECK-NEXT:    %[[W:.+]] = qnt.ggml_constant q4_0 dense_resource<"blk.0.attn_q+attn_k+attn_v.weight"> : tensor<72xi8> : tensor<4x32xf32> loc(#[[WLOC:loc[0-9]*]])
// CHECK-NEXT:    %[[Y:.+]] = qnt.linear %[[X]], %[[W]] : tensor<?x32xf32>, tensor<4x32xf32> -> tensor<?x4xf32> loc(#[[LOC:loc[0-9]*]])
// CHECK-NEXT:    %[[C0:.+]] = arith.constant 0 : index
// CHECK-NEXT:    %[[M:.+]] = tensor.dim %[[Y]], %[[C0]]
// CHECK-NEXT:    %[[Q:.+]] = tensor.extract_slice %[[Y]][0, 0] [%[[M]], 2] [1, 1] : tensor<?x4xf32> to tensor<?x2xf32> loc(#[[QLOC:loc[0-9]*]])
// CHECK-NEXT:    %[[K:.+]] = tensor.extract_slice %[[Y]][0, 2] [%[[M]], 1] [1, 1] : tensor<?x4xf32> to tensor<?x1xf32> loc(#[[KLOC:loc[0-9]*]])
// CHECK-NEXT:    %[[V:.+]] = tensor.extract_slice %[[Y]][0, 3] [%[[M]], 1] [1, 1] : tensor<?x4xf32> to tensor<?x1xf32>
// CHECK-NEXT:    return %[[Q]], %[[K]], %[[V]]
// CHECK-DAG:   #[[WLOC]] = loc("blk.0.attn_q+attn_k+attn_v.weight")
// CHECK-DAG:   #[[QLOC]] = loc("blk.0.attn_q")
// CHECK-DAG:   #[[KLOC]] = loc("blk.0.attn_k")
// CHECK-DAG:   #[[PARTS:loc[0-9]*]] = loc(fused[#[[QLOC]], #[[KLOC]], #{{loc[0-9]*}}])
// CHECK-DAG:   #[[LOC]] = loc("blk.0.attn_q+attn_k+attn_v"(#[[PARTS]]))
// CHECK:       "blk.0.attn_q+attn_k+attn_v.weight": "0x01000000003C0102030405060708090A0B0C0D0E0F1000381112131415161718191A1B1C1D1E1F2000342122232425262728292A2B2C2D2E2F3000303132333435363738393A3B3C3D3E3F40"
// With v kept in float, q and k fuse and v stays as it was.
// KEEP-LABEL: func.func @qkv
// KEEP:         qnt.ggml_constant q4_0 dense_resource<"blk.0.attn_q+attn_k.weight"> : tensor<54xi8> : tensor<3x32xf32>
// KEEP:         qnt.linear {{.+}} -> tensor<?x3xf32>
// KEEP:         %[[WV:.+]] = qnt.ggml_constant q4_0 dense<{{.+}}> : tensor<18xi8> : tensor<1x32xf32>
// KEEP:         qnt.linear %{{.+}}, %[[WV]] : tensor<?x32xf32>, tensor<1x32xf32> -> tensor<?x1xf32>
func.func @qkv(%x: tensor<?x32xf32>) -> (tensor<?x2xf32>, tensor<?x1xf32>, tensor<?x1xf32>) {
  %wq = qnt.ggml_constant q4_0 dense<[0, 60, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0, 56, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32]> : tensor<36xi8> : tensor<2x32xf32> loc("blk.0.attn_q.weight")
  %q = qnt.linear %x, %wq : tensor<?x32xf32>, tensor<2x32xf32> -> tensor<?x2xf32> loc("blk.0.attn_q")
  %wk = qnt.ggml_constant q4_0 dense<[0, 52, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48]> : tensor<18xi8> : tensor<1x32xf32> loc("blk.0.attn_k.weight")
  %k = qnt.linear %x, %wk : tensor<?x32xf32>, tensor<1x32xf32> -> tensor<?x1xf32> loc("blk.0.attn_k")
  %wv = qnt.ggml_constant q4_0 dense<[0, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64]> : tensor<18xi8> : tensor<1x32xf32> loc("blk.0.attn_v.weight")
  %v = qnt.linear %x, %wv : tensor<?x32xf32>, tensor<1x32xf32> -> tensor<?x1xf32> loc("blk.0.attn_v")
  return %q, %k, %v : tensor<?x2xf32>, tensor<?x1xf32>, tensor<?x1xf32>
}

// -----

// Float weights (gate and up, f32 rows of a static-shaped input), read by
// the same linears in two functions (prefill and decode): one stacked
// weight, which both read (so the fold pass quantizes and stores it once).
// CHECK-LABEL: func.func @prefill
// CHECK:         %[[W:.+]] = arith.constant dense_resource<"blk.1.ffn_gate+ffn_up.weight"> : tensor<3x2xf32>
// CHECK:         %[[Y:.+]] = qnt.linear %{{.+}}, %[[W]] : tensor<4x2xf32>, tensor<3x2xf32> -> tensor<4x3xf32>
// CHECK:         tensor.extract_slice %[[Y]][0, 0] [4, 2] [1, 1] : tensor<4x3xf32> to tensor<4x2xf32>
// CHECK:         tensor.extract_slice %[[Y]][0, 2] [4, 1] [1, 1] : tensor<4x3xf32> to tensor<4x1xf32>
// CHECK-LABEL: func.func @decode
// CHECK:         arith.constant dense_resource<"blk.1.ffn_gate+ffn_up.weight"> : tensor<3x2xf32>
// CHECK-NOT:     dense_resource
// CHECK:       "blk.1.ffn_gate+ffn_up.weight": "0x040000000000803F000000400000404000008040000080400000C0BF"
func.func @prefill(%x: tensor<4x2xf32>) -> (tensor<4x2xf32>, tensor<4x1xf32>) {
  %wg = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32> loc("blk.1.ffn_gate.weight")
  %g = qnt.linear %x, %wg : tensor<4x2xf32>, tensor<2x2xf32> -> tensor<4x2xf32> loc("blk.1.ffn_gate")
  %wu = arith.constant dense<[[4.0, -1.5]]> : tensor<1x2xf32> loc("blk.1.ffn_up.weight")
  %u = qnt.linear %x, %wu : tensor<4x2xf32>, tensor<1x2xf32> -> tensor<4x1xf32> loc("blk.1.ffn_up")
  return %g, %u : tensor<4x2xf32>, tensor<4x1xf32>
}
func.func @decode(%x: tensor<1x2xf32>) -> (tensor<1x2xf32>, tensor<1x1xf32>) {
  %wg = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32> loc("blk.1.ffn_gate.weight")
  %g = qnt.linear %x, %wg : tensor<1x2xf32>, tensor<2x2xf32> -> tensor<1x2xf32> loc("blk.1.ffn_gate")
  %wu = arith.constant dense<[[4.0, -1.5]]> : tensor<1x2xf32> loc("blk.1.ffn_up.weight")
  %u = qnt.linear %x, %wu : tensor<1x2xf32>, tensor<1x2xf32> -> tensor<1x1xf32> loc("blk.1.ffn_up")
  return %g, %u : tensor<1x2xf32>, tensor<1x1xf32>
}

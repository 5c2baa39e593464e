// RUN: quant-opt %s | quant-opt | FileCheck %s
// RUN: quant-opt %s --mlir-print-op-generic | quant-opt | FileCheck %s

// Every op prints and parses back, in custom and generic form.

// CHECK-DAG: #q8_0 = #qnt.scheme<granularity = per_block>
// CHECK-DAG: #[[$ACT:.+]] = #qnt.scheme<granularity = per_block, scale = f32, sums = true>
// CHECK-DAG: #[[$U8:.+]] = #qnt.scheme<granularity = per_block, storage = u8_offset128>
// CHECK-DAG: #[[$PC:.+]] = #qnt.scheme<granularity = per_channel, scale = f32>
// CHECK-DAG: #[[$PT:.+]] = #qnt.scheme<granularity = per_token, rounding = half_to_even>
// CHECK-DAG: #[[$AX:.+]] = #qnt.scheme<granularity = per_channel, axis = 2>
// CHECK-DAG: #[[$B4:.+]] = #qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8>
// CHECK-DAG: #[[$B64:.+]] = #qnt.scheme<granularity = per_block, block = 64>
// CHECK-DAG: #[[$MINS:.+]] = #qnt.scheme<bits = 4, granularity = per_block, storage = u4, scale = f32, mins = true>
// CHECK-DAG: #[[$TWO:.+]] = #qnt.scheme<bits = 4, granularity = per_block, storage = u4, mins = true, super_block = 256>
// CHECK-DAG: #[[$SIX:.+]] = #qnt.scheme<bits = 6, granularity = per_block, block = 16, storage = u6_offset32, super_block = 256>
// CHECK-DAG: #[[$GRID:.+]] = #qnt.scheme<bits = 4, granularity = per_block, storage = u4_grid>
// CHECK-DAG: #[[$Q8K:.+]] = #qnt.scheme<granularity = per_block, block = 256, scale = f32, sums = true, sums_block = 32>

// CHECK-LABEL: func.func @graph
func.func @graph(%x: tensor<?x64xf32>, %w: tensor<8x64xf16>) -> tensor<?x8xf32> {
  // CHECK: qnt.linear %{{.*}}, %{{.*}} : tensor<?x64xf32>, tensor<8x64xf16> -> tensor<?x8xf32>
  %y = qnt.linear %x, %w : tensor<?x64xf32>, tensor<8x64xf16> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// CHECK-LABEL: func.func @quantized
func.func @quantized(%x: tensor<?x64xf32>) -> (tensor<?x2xf32>, tensor<?x64xf32>) {
  // CHECK: %[[W:.+]] = qnt.constant data(dense<1> : tensor<2x64xi8>) scales(dense<5.000000e-01> : tensor<2x2xf16>) : !qnt.tensor<2x64xf32, #[[$U8]]>
  %w = qnt.constant data(dense<1> : tensor<2x64xi8>) scales(dense<0.5> : tensor<2x2xf16>)
       : !qnt.tensor<2x64xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>>
  // CHECK: %[[Q:.+]] = qnt.quantize %{{.*}} : tensor<?x64xf32> -> !qnt.tensor<?x64xf32, #[[$ACT]]>
  %q = qnt.quantize %x : tensor<?x64xf32> -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>>
  // CHECK: qnt.matmul %[[Q]], %[[W]] : !qnt.tensor<?x64xf32, #[[$ACT]]>, !qnt.tensor<2x64xf32, #[[$U8]]> -> tensor<?x2xf32>
  %y = qnt.matmul %q, %w : !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>>, !qnt.tensor<2x64xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>> -> tensor<?x2xf32>
  // CHECK: qnt.dequantize %[[Q]] : !qnt.tensor<?x64xf32, #[[$ACT]]> -> tensor<?x64xf32>
  %d = qnt.dequantize %q : !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>> -> tensor<?x64xf32>
  return %y, %d : tensor<?x2xf32>, tensor<?x64xf32>
}

// CHECK-LABEL: func.func private @schemes
// CHECK-SAME: !qnt.tensor<4x172xf32, #[[$PC]]>
// CHECK-SAME: !qnt.tensor<?x?xf32, #[[$PT]]>
// CHECK-SAME: !qnt.tensor<3x2x4xf32, #[[$AX]]>
// CHECK-SAME: !qnt.tensor<16x64xf32, #[[$B4]], #qnt.layout<n0 = 16, k0 = 4, pad = 32>>
// CHECK-SAME: !qnt.tensor<2x128xf32, #[[$B64]]>
func.func private @schemes(
    !qnt.tensor<4x172xf32, #qnt.scheme<granularity = per_channel, scale = f32>>,
    !qnt.tensor<?x?xf32, #qnt.scheme<granularity = per_token, rounding = half_to_even>>,
    !qnt.tensor<3x2x4xf32, #qnt.scheme<granularity = per_channel, axis = 2>>,
    !qnt.tensor<16x64xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8>, #qnt.layout<n0 = 16, k0 = 4, pad = 32>>,
    !qnt.tensor<2x128xf32, #qnt.scheme<granularity = per_block, block = 64>>)

// The Q8_0 scheme prints under its own alias (checked with the others above).
// CHECK-LABEL: func.func private @alias
// CHECK-SAME: !qnt.tensor<32x64xf32, #q8_0>
func.func private @alias(!qnt.tensor<32x64xf32, #qnt.scheme<granularity = per_block, bits = 8, block = 32, scale = f16>>)

// An asymmetric scheme keeps zero points next to the scales.
// CHECK-LABEL: func.func @asymmetric
// CHECK:         qnt.constant data(dense<1> : tensor<2x32xi8>) scales(dense<5.000000e-01> : tensor<2x1xf16>) zero_points(dense<-3> : tensor<2x1xi32>) : !qnt.tensor<2x32xf32, #{{.+}}>
func.func @asymmetric() -> !qnt.tensor<2x32xf32, #qnt.scheme<granularity = per_channel, symmetric = false>> {
  %w = qnt.constant data(dense<1> : tensor<2x32xi8>) scales(dense<0.5> : tensor<2x1xf16>) zero_points(dense<-3> : tensor<2x1xi32>) : !qnt.tensor<2x32xf32, #qnt.scheme<granularity = per_channel, symmetric = false>>
  return %w : !qnt.tensor<2x32xf32, #qnt.scheme<granularity = per_channel, symmetric = false>>
}

// CHECK-LABEL: func.func @transformer
func.func @transformer(%table: tensor<300x64xf16>, %ids: tensor<?xi32>, %w: tensor<64xf32>,
                       %pos: index, %k: tensor<128x32xf32>, %v: tensor<128x32xf32>) -> tensor<?x64xf32> {
  // CHECK: qnt.embedding %{{.+}}, %{{.+}} : tensor<300x64xf16>, tensor<?xi32> -> tensor<?x64xf32>
  %x = qnt.embedding %table, %ids : tensor<300x64xf16>, tensor<?xi32> -> tensor<?x64xf32>
  // CHECK: qnt.rms_norm %{{.+}}, %{{.+}} {epsilon = 9.99999974E-6 : f32} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  %h = qnt.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  // CHECK: qnt.rope %{{.+}}, %{{.+}} {base = 1.000000e+04 : f32, head_dim = 16 : i64, rope_dim = 8 : i64} : tensor<?x64xf32> -> tensor<?x64xf32>
  %q = qnt.rope %h, %pos {head_dim = 16, rope_dim = 8, base = 1.0e+04 : f32} : tensor<?x64xf32> -> tensor<?x64xf32>
  // CHECK: qnt.rope %{{.+}}, %{{.+}} {base = 1.000000e+04 : f32, factors = array<f32: 1.000000e+00, 2.000000e+00, 4.000000e+00, 8.000000e+00>, head_dim = 16 : i64, neox, rope_dim = 8 : i64}
  %qn = qnt.rope %h, %pos {head_dim = 16, rope_dim = 8, base = 1.0e+04 : f32, neox, factors = array<f32: 1.0, 2.0, 4.0, 8.0>} : tensor<?x64xf32> -> tensor<?x64xf32>
  // CHECK: qnt.attention %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} {num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 2.500000e-01 : f32} : tensor<?x64xf32>, tensor<128x32xf32>, tensor<128x32xf32> -> tensor<?x64xf32>
  %a = qnt.attention %q, %k, %v, %pos {num_heads = 4, num_kv_heads = 2, scale = 0.25 : f32} : tensor<?x64xf32>, tensor<128x32xf32>, tensor<128x32xf32> -> tensor<?x64xf32>
  // An f16 cache.
  // CHECK: qnt.attention {{.+}} : tensor<?x64xf32>, tensor<128x32xf16>, tensor<128x32xf16> -> tensor<?x64xf32>
  %kh = arith.truncf %k : tensor<128x32xf32> to tensor<128x32xf16>
  %vh = arith.truncf %v : tensor<128x32xf32> to tensor<128x32xf16>
  %ah = qnt.attention %q, %kh, %vh, %pos {num_heads = 4, num_kv_heads = 2, scale = 0.25 : f32} : tensor<?x64xf32>, tensor<128x32xf16>, tensor<128x32xf16> -> tensor<?x64xf32>
  // A q8_0 cache: i8 values, an f16 scale per block of 32.
  // CHECK: qnt.attention %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} scales(%{{.+}}, %{{.+}}) {{.+}} : tensor<?x64xf32>, tensor<128x32xi8>, tensor<128x32xi8>, tensor<128x1xf16>, tensor<128x1xf16> -> tensor<?x64xf32>
  %k8 = arith.fptosi %k : tensor<128x32xf32> to tensor<128x32xi8>
  %s8 = arith.truncf %k : tensor<128x32xf32> to tensor<128x32xf16>
  %ks = tensor.extract_slice %s8[0, 0] [128, 1] [1, 1] : tensor<128x32xf16> to tensor<128x1xf16>
  %a8 = qnt.attention %q, %k8, %k8, %pos scales(%ks, %ks) {num_heads = 4, num_kv_heads = 2, scale = 0.25 : f32} : tensor<?x64xf32>, tensor<128x32xi8>, tensor<128x32xi8>, tensor<128x1xf16>, tensor<128x1xf16> -> tensor<?x64xf32>
  // A head-major cache: [num_kv_heads, positions, head size].
  // CHECK: qnt.attention {{.+}} : tensor<?x64xf32>, tensor<2x128x16xf16>, tensor<2x128x16xf16> -> tensor<?x64xf32>
  %khead = tensor.empty() : tensor<2x128x16xf16>
  %ahm = qnt.attention %q, %khead, %khead, %pos {num_heads = 4, num_kv_heads = 2, scale = 0.25 : f32} : tensor<?x64xf32>, tensor<2x128x16xf16>, tensor<2x128x16xf16> -> tensor<?x64xf32>
  // CHECK: qnt.silu_mul %{{.+}}, %{{.+}} : tensor<?x64xf32> -> tensor<?x64xf32>
  %s = qnt.silu_mul %a, %h : tensor<?x64xf32> -> tensor<?x64xf32>
  return %s : tensor<?x64xf32>
}

// CHECK-LABEL: func.func @pack
// CHECK:         qnt.pack %{{.+}}, %{{.+}}, %{{.+}} : tensor<2x64xi8>, tensor<2x2xf32>, tensor<2x2xi32> -> !qnt.tensor<2x64xf32, #[[$ACT]]>
func.func @pack(%d: tensor<2x64xi8>, %s: tensor<2x2xf32>, %u: tensor<2x2xi32>) -> !qnt.tensor<2x64xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>> {
  %q = qnt.pack %d, %s, %u : tensor<2x64xi8>, tensor<2x2xf32>, tensor<2x2xi32> -> !qnt.tensor<2x64xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>>
  return %q : !qnt.tensor<2x64xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>>
}

// Tensors of the weights file, by name.
// CHECK-LABEL: func.func @weight
// CHECK:         %[[D:.+]] = qnt.weight "blk.0.attn_q.weight" : tensor<2x64xi8>
// CHECK:         %[[S:.+]] = qnt.weight "blk.0.attn_q.weight_scales" : tensor<2x2xf16>
// CHECK:         qnt.pack %[[D]], %[[S]]
func.func @weight() -> !qnt.tensor<2x64xf32, #qnt.scheme<granularity = per_block>> {
  %d = qnt.weight "blk.0.attn_q.weight" : tensor<2x64xi8>
  %s = qnt.weight "blk.0.attn_q.weight_scales" : tensor<2x2xf16>
  %q = qnt.pack %d, %s : tensor<2x64xi8>, tensor<2x2xf16> -> !qnt.tensor<2x64xf32, #qnt.scheme<granularity = per_block>>
  return %q : !qnt.tensor<2x64xf32, #qnt.scheme<granularity = per_block>>
}

// Data tiling: a target on the module, layouts on quantized tensors, the
// micro-kernel and its dots.
// CHECK-LABEL: module attributes {qnt.target = #qnt.target<cpu = "znver4", vector_bits = 512, dot = vnni, registers = 32>}
module attributes {qnt.target = #qnt.target<cpu = "znver4", vector_bits = 512, dot = vnni, registers = 32>} {
  // CHECK-LABEL: func.func @tiled
  func.func @tiled(%x: tensor<?x172xf32>, %r: tensor<?x40xf32>, %fw: tensor<40x172xf32>,
                   %w: !qnt.tensor<40x172xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>, #qnt.layout<n0 = 32, k0 = 4, pad = 32>>)
      -> (tensor<?x40xf32>, tensor<64x40xf32>) {
    // CHECK: qnt.linear %{{.+}}, %{{.+}} {weight_layout = #qnt.layout<n0 = 32, k0 = 4, pad = 32>}
    %f = qnt.linear %x, %fw {weight_layout = #qnt.layout<n0 = 32, k0 = 4, pad = 32>} : tensor<?x172xf32>, tensor<40x172xf32> -> tensor<?x40xf32>
    // CHECK: qnt.rms_norm %{{.+}} : tensor<?x172xf32>, tensor<172xf32> -> !qnt.tensor<?x172xf32, #[[$ACT]], #qnt.layout<pad = 32>>
    %n = arith.constant dense<1.0> : tensor<172xf32>
    %q = qnt.rms_norm %x, %n {epsilon = 1.0e-05 : f32} : tensor<?x172xf32>, tensor<172xf32> -> !qnt.tensor<?x172xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>, #qnt.layout<pad = 32>>
    // CHECK: qnt.silu_mul %{{.+}}, %{{.+}} : tensor<?x172xf32> -> !qnt.tensor<?x172xf32, #[[$ACT]], #qnt.layout<pad = 32>>
    %s = qnt.silu_mul %x, %x : tensor<?x172xf32> -> !qnt.tensor<?x172xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>, #qnt.layout<pad = 32>>
    // CHECK: qnt.matmul %{{.+}}, %{{.+}} acc %{{.+}} : {{.+}}, tensor<?x40xf32> -> tensor<?x40xf32>
    %y = qnt.matmul %q, %w acc %r : !qnt.tensor<?x172xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>, #qnt.layout<pad = 32>>,
         !qnt.tensor<40x172xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>, #qnt.layout<n0 = 32, k0 = 4, pad = 32>>, tensor<?x40xf32> -> tensor<?x40xf32>
    // CHECK: qnt.unpack %{{.+}} : {{.+}} -> tensor<2x48x32x4xi8>, tensor<2x6x32xf16>
    %d, %sc = qnt.unpack %w : !qnt.tensor<40x172xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>, #qnt.layout<n0 = 32, k0 = 4, pad = 32>> -> tensor<2x48x32x4xi8>, tensor<2x6x32xf16>
    %ad, %as, %asum = qnt.unpack %q : !qnt.tensor<?x172xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>, #qnt.layout<pad = 32>> -> tensor<?x192xi8>, tensor<?x6xf32>, tensor<?x6xi32>
    %a4 = tensor.extract_slice %ad[0, 0] [4, 192] [1, 1] : tensor<?x192xi8> to tensor<4x192xi8>
    %s4 = tensor.extract_slice %as[0, 0] [4, 6] [1, 1] : tensor<?x6xf32> to tensor<4x6xf32>
    %u4 = tensor.extract_slice %asum[0, 0] [4, 6] [1, 1] : tensor<?x6xi32> to tensor<4x6xi32>
    %wt = tensor.collapse_shape %d [[0], [1], [2, 3]] : tensor<2x48x32x4xi8> into tensor<2x48x128xi8>
    %w0 = tensor.extract_slice %wt[0, 0, 0] [1, 48, 128] [1, 1, 1] : tensor<2x48x128xi8> to tensor<48x128xi8>
    %ws0 = tensor.extract_slice %sc[0, 0, 0] [1, 6, 32] [1, 1, 1] : tensor<2x6x32xf16> to tensor<6x32xf16>
    %init = tensor.empty() : tensor<4x32xf32>
    // CHECK: qnt.matmul_tile %{{.+}}, %{{.+}} sums %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} {dot = #qnt<dot_kind vnni>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage u8_offset128>}
    %t = qnt.matmul_tile %a4, %s4 sums %u4, %w0, %ws0, %init {dot = #qnt<dot_kind vnni>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage u8_offset128>}
         : (tensor<4x192xi8>, tensor<4x6xf32>, tensor<4x6xi32>, tensor<48x128xi8>, tensor<6x32xf16>, tensor<4x32xf32>) -> tensor<4x32xf32>
    %c = tensor.empty() : tensor<64x40xf32>
    %big = tensor.insert_slice %t into %c[0, 0] [4, 32] [1, 1] : tensor<4x32xf32> into tensor<64x40xf32>
    return %y, %big : tensor<?x40xf32>, tensor<64x40xf32>
  }

  // A 4-bit weight (GGML Q4_0's values): two 4-byte steps a row of its tile.
  // CHECK-LABEL: func.func @four_bits
  func.func @four_bits(%q: !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>>,
                       %w: !qnt.tensor<40x64xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8>, #qnt.layout<n0 = 16, k0 = 4, pad = 32>>)
      -> (tensor<?x40xf32>, tensor<4x16xf32>) {
    // CHECK: qnt.matmul %{{.+}}, %{{.+}} : {{.+}} -> tensor<?x40xf32>
    %y = qnt.matmul %q, %w : !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>>,
         !qnt.tensor<40x64xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8>, #qnt.layout<n0 = 16, k0 = 4, pad = 32>> -> tensor<?x40xf32>
    // CHECK: qnt.unpack %{{.+}} : {{.+}} -> tensor<3x8x16x4xi8>, tensor<3x2x16xf16>
    %d, %sc = qnt.unpack %w : !qnt.tensor<40x64xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8>, #qnt.layout<n0 = 16, k0 = 4, pad = 32>> -> tensor<3x8x16x4xi8>, tensor<3x2x16xf16>
    %ad, %as, %asum = qnt.unpack %q : !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>> -> tensor<?x64xi8>, tensor<?x2xf32>, tensor<?x2xi32>
    %a4 = tensor.extract_slice %ad[0, 0] [4, 64] [1, 1] : tensor<?x64xi8> to tensor<4x64xi8>
    %s4 = tensor.extract_slice %as[0, 0] [4, 2] [1, 1] : tensor<?x2xf32> to tensor<4x2xf32>
    %u4 = tensor.extract_slice %asum[0, 0] [4, 2] [1, 1] : tensor<?x2xi32> to tensor<4x2xi32>
    %wt = tensor.collapse_shape %d [[0], [1], [2, 3]] : tensor<3x8x16x4xi8> into tensor<3x8x64xi8>
    %w0 = tensor.extract_slice %wt[0, 0, 0] [1, 8, 64] [1, 1, 1] : tensor<3x8x64xi8> to tensor<8x64xi8>
    %ws0 = tensor.extract_slice %sc[0, 0, 0] [1, 2, 16] [1, 1, 1] : tensor<3x2x16xf16> to tensor<2x16xf16>
    %init = tensor.empty() : tensor<4x16xf32>
    // CHECK: qnt.matmul_tile {{.+}} {dot = #qnt<dot_kind maddubs>, group = 32 : i64, lanes = 8 : i64, rhs_storage = #qnt<storage u4_offset8>}
    %t = qnt.matmul_tile %a4, %s4 sums %u4, %w0, %ws0, %init {dot = #qnt<dot_kind maddubs>, group = 32 : i64, lanes = 8 : i64, rhs_storage = #qnt<storage u4_offset8>}
         : (tensor<4x64xi8>, tensor<4x2xf32>, tensor<4x2xi32>, tensor<8x64xi8>, tensor<2x16xf16>, tensor<4x16xf32>) -> tensor<4x16xf32>
    // CHECK: qnt.matmul_tile {{.+}}, %{{.+}} mins %{{.+}}, %{{.+}} {dot = #qnt<dot_kind maddubs>, group = 32 : i64, lanes = 8 : i64, rhs_storage = #qnt<storage u4>}
    %mins = arith.constant dense<-1.0> : tensor<2x16xf32>
    %ws32 = arith.constant dense<0.5> : tensor<2x16xf32>
    %tm = qnt.matmul_tile %a4, %s4 sums %u4, %w0, %ws32 mins %mins, %init {dot = #qnt<dot_kind maddubs>, group = 32 : i64, lanes = 8 : i64, rhs_storage = #qnt<storage u4>}
         : (tensor<4x64xi8>, tensor<4x2xf32>, tensor<4x2xi32>, tensor<8x64xi8>, tensor<2x16xf32>, tensor<2x16xf32>, tensor<4x16xf32>) -> tensor<4x16xf32>
    %sum = arith.addf %t, %tm : tensor<4x16xf32>
    return %y, %sum : tensor<?x40xf32>, tensor<4x16xf32>
  }

  // Records: Q4_K's components side by side, a super-block a record (8
  // groups of 512 bytes of nibbles, 8 x 32 byte scales and mins, 32 f16 d
  // and dmin: 4736 bytes), one tensor for the weight and one row tile of it
  // for the micro-kernel.
  // CHECK-LABEL: func.func @records
  func.func @records(%q: !qnt.tensor<?x256xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>>,
                     %r: tensor<1x1x4736xi8>) -> (tensor<?x32xf32>, tensor<4x32xf32>) {
    // CHECK: qnt.pack %{{.+}} : tensor<1x1x4736xi8> -> !qnt.tensor<32x256xf32, {{.+}}, #qnt.layout<n0 = 32, k0 = 4, pad = 256, records = true>>
    %w = qnt.pack %r : tensor<1x1x4736xi8> -> !qnt.tensor<32x256xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4, mins = true, super_block = 256>, #qnt.layout<n0 = 32, k0 = 4, pad = 256, records = true>>
    %y = qnt.matmul %q, %w : !qnt.tensor<?x256xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>>,
         !qnt.tensor<32x256xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4, mins = true, super_block = 256>, #qnt.layout<n0 = 32, k0 = 4, pad = 256, records = true>> -> tensor<?x32xf32>
    %ad, %as, %asum = qnt.unpack %q : !qnt.tensor<?x256xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>> -> tensor<?x256xi8>, tensor<?x8xf32>, tensor<?x8xi32>
    %a4 = tensor.extract_slice %ad[0, 0] [4, 256] [1, 1] : tensor<?x256xi8> to tensor<4x256xi8>
    %s4 = tensor.extract_slice %as[0, 0] [4, 8] [1, 1] : tensor<?x8xf32> to tensor<4x8xf32>
    %u4 = tensor.extract_slice %asum[0, 0] [4, 8] [1, 1] : tensor<?x8xi32> to tensor<4x8xi32>
    %r0 = tensor.extract_slice %r[0, 0, 0] [1, 1, 4736] [1, 1, 1] : tensor<1x1x4736xi8> to tensor<1x4736xi8>
    %init = tensor.empty() : tensor<4x32xf32>
    // CHECK: qnt.matmul_tile %{{.+}}, %{{.+}} sums %{{.+}}, records(%{{.+}}), %{{.+}} {{{.+}}rhs_storage = #qnt<storage u4>, rhs_type = !qnt.tensor<32x256xf32
    %t = qnt.matmul_tile %a4, %s4 sums %u4, records(%r0), %init {dot = #qnt<dot_kind vnni>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage u4>,
                                                                rhs_type = !qnt.tensor<32x256xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4, mins = true, super_block = 256>, #qnt.layout<n0 = 32, k0 = 4, pad = 256, records = true>>}
         : (tensor<4x256xi8>, tensor<4x8xf32>, tensor<4x8xi32>, tensor<1x4736xi8>, tensor<4x32xf32>) -> tensor<4x32xf32>
    return %y, %t : tensor<?x32xf32>, tensor<4x32xf32>
  }

  // An activation with a scale per super-block of 256 and sums per block of
  // 32 (sums_block, GGML's Q8_K) against Q4_K: its sums have the weight's
  // groups, its scales one per super-block, in the matmul and in the tile.
  // CHECK-LABEL: func.func @super_block_activations
  // CHECK: qnt.matmul %{{.+}}, %{{.+}} : !qnt.tensor<?x512xf32, #[[$Q8K]]>
  // CHECK: qnt.unpack %{{.+}} : !qnt.tensor<?x512xf32, #[[$Q8K]]> -> tensor<?x512xi8>, tensor<?x2xf32>, tensor<?x16xi32>
  // CHECK: qnt.matmul_tile
  func.func @super_block_activations(%q: !qnt.tensor<?x512xf32, #qnt.scheme<granularity = per_block, block = 256, scale = f32, sums = true, sums_block = 32>>,
                                     %r: tensor<1x2x4736xi8>) -> (tensor<?x32xf32>, tensor<4x32xf32>) {
    %w = qnt.pack %r : tensor<1x2x4736xi8> -> !qnt.tensor<32x512xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4, mins = true, super_block = 256>, #qnt.layout<n0 = 32, k0 = 4, pad = 256, records = true>>
    %y = qnt.matmul %q, %w : !qnt.tensor<?x512xf32, #qnt.scheme<granularity = per_block, block = 256, scale = f32, sums = true, sums_block = 32>>,
         !qnt.tensor<32x512xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4, mins = true, super_block = 256>, #qnt.layout<n0 = 32, k0 = 4, pad = 256, records = true>> -> tensor<?x32xf32>
    %ad, %as, %asum = qnt.unpack %q : !qnt.tensor<?x512xf32, #qnt.scheme<granularity = per_block, block = 256, scale = f32, sums = true, sums_block = 32>> -> tensor<?x512xi8>, tensor<?x2xf32>, tensor<?x16xi32>
    %a4 = tensor.extract_slice %ad[0, 0] [4, 512] [1, 1] : tensor<?x512xi8> to tensor<4x512xi8>
    %s4 = tensor.extract_slice %as[0, 0] [4, 2] [1, 1] : tensor<?x2xf32> to tensor<4x2xf32>
    %u4 = tensor.extract_slice %asum[0, 0] [4, 16] [1, 1] : tensor<?x16xi32> to tensor<4x16xi32>
    %r0 = tensor.extract_slice %r[0, 0, 0] [1, 2, 4736] [1, 1, 1] : tensor<1x2x4736xi8> to tensor<2x4736xi8>
    %init = tensor.empty() : tensor<4x32xf32>
    %t = qnt.matmul_tile %a4, %s4 sums %u4, records(%r0), %init {dot = #qnt<dot_kind maddubs>, group = 32 : i64, lanes = 8 : i64, rhs_storage = #qnt<storage u4>,
                                                                rhs_type = !qnt.tensor<32x512xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4, mins = true, super_block = 256>, #qnt.layout<n0 = 32, k0 = 4, pad = 256, records = true>>}
         : (tensor<4x512xi8>, tensor<4x2xf32>, tensor<4x16xi32>, tensor<2x4736xi8>, tensor<4x32xf32>) -> tensor<4x32xf32>
    return %y, %t : tensor<?x32xf32>, tensor<4x32xf32>
  }

  // Q4_1/Q4_K's form: plain nibbles (u4) and a minimum per block.
  // CHECK-LABEL: func.func @four_bits_with_mins
  // CHECK: qnt.constant data({{.+}}) scales({{.+}}) mins(dense<-2.000000e+00> : tensor<1x1x16xf32>) : !qnt.tensor<2x32xf32, #[[$MINS]], #qnt.layout<n0 = 16, k0 = 4, pad = 32>>
  func.func @four_bits_with_mins() -> !qnt.tensor<2x32xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4, scale = f32, mins = true>, #qnt.layout<n0 = 16, k0 = 4, pad = 32>> {
    %w = qnt.constant data(dense<0> : tensor<1x4x16x4xi8>) scales(dense<0.5> : tensor<1x1x16xf32>) mins(dense<-2.0> : tensor<1x1x16xf32>)
         : !qnt.tensor<2x32xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4, scale = f32, mins = true>, #qnt.layout<n0 = 16, k0 = 4, pad = 32>>
    return %w : !qnt.tensor<2x32xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4, scale = f32, mins = true>, #qnt.layout<n0 = 16, k0 = 4, pad = 32>>
  }

  // Q4_K's two levels: byte scales and minimums, fp16 factors per 256.
  // CHECK-LABEL: func.func @two_level_scales
  // CHECK: qnt.constant data({{.+}}) scales(dense<3> : tensor<1x8x16xi8>) mins(dense<1> : tensor<1x8x16xi8>) super_scales(dense<5.000000e-01> : tensor<1x1x16xf16>) super_mins(dense<-2.500000e-01> : tensor<1x1x16xf16>) : !qnt.tensor<2x256xf32, #[[$TWO]], #qnt.layout<n0 = 16, k0 = 4, pad = 256>>
  func.func @two_level_scales() -> !qnt.tensor<2x256xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4, mins = true, super_block = 256>, #qnt.layout<n0 = 16, k0 = 4, pad = 256>> {
    %w = qnt.constant data(dense<0> : tensor<1x32x16x4xi8>) scales(dense<3> : tensor<1x8x16xi8>) mins(dense<1> : tensor<1x8x16xi8>)
           super_scales(dense<0.5> : tensor<1x1x16xf16>) super_mins(dense<-0.25> : tensor<1x1x16xf16>)
         : !qnt.tensor<2x256xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4, mins = true, super_block = 256>, #qnt.layout<n0 = 16, k0 = 4, pad = 256>>
    return %w : !qnt.tensor<2x256xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4, mins = true, super_block = 256>, #qnt.layout<n0 = 16, k0 = 4, pad = 256>>
  }
}

// CHECK-LABEL: func.func @ggml_and_bias
// CHECK: qnt.ggml_constant q4_0 dense<0> : tensor<18xi8> : tensor<1x32xf32>
// CHECK: qnt.bias_add %{{.+}}, %{{.+}} : tensor<?x32xf32>, tensor<32xf16> -> tensor<?x32xf32>
func.func @ggml_and_bias(%x: tensor<?x32xf32>, %b: tensor<32xf16>) -> (tensor<1x32xf32>, tensor<?x32xf32>) {
  %w = qnt.ggml_constant q4_0 dense<0> : tensor<18xi8> : tensor<1x32xf32>
  %y = qnt.bias_add %x, %b : tensor<?x32xf32>, tensor<32xf16> -> tensor<?x32xf32>
  return %w, %y : tensor<1x32xf32>, tensor<?x32xf32>
}

// IQ4_NL's grid indices: 4-bit tiles (two steps a row) and fp16 scales.
// CHECK-LABEL: func.func @grid
// CHECK: qnt.constant data(dense<8> : tensor<1x32x16x4xi8>) scales(dense<5.000000e-01> : tensor<1x8x16xf16>) : !qnt.tensor<2x256xf32, #[[$GRID]], #qnt.layout<n0 = 16, k0 = 4, pad = 32>>
func.func @grid() -> !qnt.tensor<2x256xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4_grid>, #qnt.layout<n0 = 16, k0 = 4, pad = 32>> {
  %w = qnt.constant data(dense<8> : tensor<1x32x16x4xi8>) scales(dense<0.5> : tensor<1x8x16xf16>)
       : !qnt.tensor<2x256xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4_grid>, #qnt.layout<n0 = 16, k0 = 4, pad = 32>>
  return %w : !qnt.tensor<2x256xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4_grid>, #qnt.layout<n0 = 16, k0 = 4, pad = 32>>
}

// A 6-bit constant (Q6_K): byte scales and one super factor, no minimums.
// CHECK-LABEL: func.func @six_bit
// CHECK: qnt.constant data(dense<0> : tensor<1x48x16x4xi8>) scales(dense<-3> : tensor<1x16x16xi8>) super_scales(dense<5.000000e-01> : tensor<1x1x16xf16>) : !qnt.tensor<2x256xf32, #[[$SIX]], #qnt.layout<n0 = 16, k0 = 4, pad = 256>>
func.func @six_bit() -> !qnt.tensor<2x256xf32, #qnt.scheme<bits = 6, granularity = per_block, block = 16, storage = u6_offset32, super_block = 256>, #qnt.layout<n0 = 16, k0 = 4, pad = 256>> {
  %w = qnt.constant data(dense<0> : tensor<1x48x16x4xi8>) scales(dense<-3> : tensor<1x16x16xi8>) super_scales(dense<0.5> : tensor<1x1x16xf16>)
       : !qnt.tensor<2x256xf32, #qnt.scheme<bits = 6, granularity = per_block, block = 16, storage = u6_offset32, super_block = 256>, #qnt.layout<n0 = 16, k0 = 4, pad = 256>>
  return %w : !qnt.tensor<2x256xf32, #qnt.scheme<bits = 6, granularity = per_block, block = 16, storage = u6_offset32, super_block = 256>, #qnt.layout<n0 = 16, k0 = 4, pad = 256>>
}

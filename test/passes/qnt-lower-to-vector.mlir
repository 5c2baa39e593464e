// RUN: quant-opt %s --split-input-file --qnt-lower-to-vector | FileCheck %s

// Dynamic quantization, Q8_0 style: one parallel task per row; per block of
// 32, amax by a tree of vector maxima, d = amax / 127, q = round(x * (1 / d)).
// CHECK-LABEL: func.func @quantize_per_block
// CHECK-SAME:    (%[[X:.+]]: tensor<?x64xf32>) -> (tensor<?x64xi8>, tensor<?x2xf16>)
// CHECK:         %[[R:.+]]:2 = scf.forall (%[[ROW:.+]]) in (%{{.+}}) shared_outs(%[[D:.+]] = %{{.+}}, %[[S:.+]] = %{{.+}}) -> (tensor<?x64xi8>, tensor<?x2xf16>)
// CHECK:           scf.for %[[G:.+]] = %{{.+}} to %{{.+}} step
// CHECK:             %[[V:.+]] = vector.transfer_read %[[X]][%{{.+}}, %{{.+}}], %{{.+}} {in_bounds = [true]} : tensor<?x64xf32>, vector<32xf32>
// CHECK:             %[[A:.+]] = math.absf %[[V]] : vector<32xf32>
// The amax of a block as a tree of elementwise maxima over halves, 32 -> 1
// (exact in any order), not vector.reduction <maxnumf>: LLVM expands that
// into a scalar max and NaN check per lane.
// CHECK:             %[[LO:.+]] = vector.extract_strided_slice %[[A]] {offsets = [0], sizes = [16], strides = [1]} : vector<32xf32> to vector<16xf32>
// CHECK:             %[[HI:.+]] = vector.extract_strided_slice %[[A]] {offsets = [16], sizes = [16], strides = [1]} : vector<32xf32> to vector<16xf32>
// CHECK:             arith.maxnumf %[[LO]], %[[HI]] : vector<16xf32>
// CHECK:             arith.maxnumf {{.+}} : vector<8xf32>
// CHECK:             arith.maxnumf {{.+}} : vector<4xf32>
// CHECK:             arith.maxnumf {{.+}} : vector<2xf32>
// CHECK:             %[[M1:.+]] = arith.maxnumf {{.+}} : vector<1xf32>
// CHECK:             vector.extract %[[M1]][0] : f32 from vector<1xf32>
// CHECK-NOT:         vector.reduction <maxnumf>
// CHECK:           %[[DS:.+]] = arith.divf %{{.+}}, %{{.+}} : f32
// CHECK:           %[[NZ:.+]] = arith.cmpf one, %[[DS]]
// CHECK:           %[[INV:.+]] = arith.divf %{{.+}}, %[[DS]] : f32
// CHECK:           arith.select %[[NZ]], %[[INV]]
// CHECK:           arith.truncf %[[DS]] : f32 to f16
// CHECK:           math.round %{{.+}} : vector<32xf32>
// CHECK:           arith.fptosi %{{.+}} : vector<32xf32> to vector<32xi8>
// CHECK:           vector.transfer_write %{{.+}} {in_bounds = [true]} : vector<32xi8>, tensor<1x64xi8>
// CHECK:           tensor.insert
// CHECK:         scf.forall.in_parallel
// CHECK:           tensor.parallel_insert_slice %{{.+}} into %[[D]][%[[ROW]], 0] [1, 64] [1, 1]
// CHECK:           tensor.parallel_insert_slice %{{.+}} into %[[S]][%[[ROW]], 0] [1, 2] [1, 1]
// CHECK:         return %[[R]]#0, %[[R]]#1
func.func @quantize_per_block(%x: tensor<?x64xf32>) -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block>> {
  %q = qnt.quantize %x : tensor<?x64xf32> -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block>>
  return %q : !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block>>
}

// -----

// Per token over K = 48: masked tails; half-to-even rounding; u8 storage
// flips the top bit; sums of q are kept.
// CHECK-LABEL: func.func @quantize_per_token
// CHECK-SAME:    -> (tensor<?x48xi8>, tensor<?x1xf32>, tensor<?x1xi32>)
// CHECK:         vector.transfer_read {{.+}} : tensor<?x48xf32>, vector<32xf32>
// CHECK-NOT:       in_bounds = [true]
// CHECK:         math.roundeven %{{.+}} : vector<32xf32>
// CHECK:         %[[Q:.+]] = arith.fptosi
// CHECK:         %[[W:.+]] = arith.extsi %[[Q]] : vector<32xi8> to vector<32xi32>
// CHECK:         vector.reduction <add>, %[[W]] : vector<32xi32> into i32
// CHECK:         %[[U:.+]] = arith.xori %[[Q]], %{{.+}} : vector<32xi8>
// CHECK:         vector.transfer_write %[[U]]
func.func @quantize_per_token(%x: tensor<?x48xf32>) -> !qnt.tensor<?x48xf32, #qnt.scheme<granularity = per_token, storage = u8_offset128, scale = f32, rounding = half_to_even, sums = true>> {
  %q = qnt.quantize %x : tensor<?x48xf32> -> !qnt.tensor<?x48xf32, #qnt.scheme<granularity = per_token, storage = u8_offset128, scale = f32, rounding = half_to_even, sums = true>>
  return %q : !qnt.tensor<?x48xf32, #qnt.scheme<granularity = per_token, storage = u8_offset128, scale = f32, rounding = half_to_even, sums = true>>
}

// -----

// One scale for the whole tensor: a sequential two-pass loop, no forall.
// CHECK-LABEL: func.func @quantize_per_tensor
// CHECK-NOT:     scf.forall
// CHECK:         arith.maxnumf {{.+}} : vector<16xf32>
// CHECK:         tensor.insert %{{.+}} into %{{.+}}[%{{.+}}, %{{.+}}] : tensor<1x1xf32>
func.func @quantize_per_tensor(%x: tensor<4x32xf32>) -> !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_tensor, scale = f32>> {
  %q = qnt.quantize %x : tensor<4x32xf32> -> !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_tensor, scale = f32>>
  return %q : !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_tensor, scale = f32>>
}

// -----

// Dequantization: x = float(q) * scale, 32 wide.
// CHECK-LABEL: func.func @dequantize
// CHECK-SAME:    (%[[D:.+]]: tensor<3x64xi8>, %[[S:.+]]: tensor<3x2xf16>) -> tensor<3x64xf32>
// CHECK:         scf.forall
// CHECK:           %[[SC:.+]] = tensor.extract %[[S]]
// CHECK:           %[[SF:.+]] = arith.extf %[[SC]] : f16 to f32
// CHECK:           %[[B:.+]] = vector.broadcast %[[SF]] : f32 to vector<32xf32>
// CHECK:           %[[Q:.+]] = vector.transfer_read %[[D]]
// CHECK:           %[[F:.+]] = arith.sitofp %[[Q]] : vector<32xi8> to vector<32xf32>
// CHECK:           arith.mulf %[[F]], %[[B]] : vector<32xf32>
func.func @dequantize(%q: !qnt.tensor<3x64xf32, #qnt.scheme<granularity = per_block>>) -> tensor<3x64xf32> {
  %x = qnt.dequantize %q : !qnt.tensor<3x64xf32, #qnt.scheme<granularity = per_block>> -> tensor<3x64xf32>
  return %x : tensor<3x64xf32>
}

// -----

// Into a padded layout (K = 48 stored as 64): the second block reads the
// row masked (zeros past its end), and the stored row is written whole.
// CHECK-LABEL: func.func @quantize_padded
// CHECK-SAME:    -> (tensor<?x64xi8>, tensor<?x2xf32>)
// CHECK:         vector.transfer_read %{{.+}} : tensor<?x48xf32>, vector<32xf32>
// CHECK:         vector.transfer_write %{{.+}} {in_bounds = [true]} : vector<32xi8>, tensor<1x64xi8>
func.func @quantize_padded(%x: tensor<?x48xf32>) -> !qnt.tensor<?x48xf32, #qnt.scheme<granularity = per_block, scale = f32>, #qnt.layout<pad = 32>> {
  %q = qnt.quantize %x : tensor<?x48xf32> -> !qnt.tensor<?x48xf32, #qnt.scheme<granularity = per_block, scale = f32>, #qnt.layout<pad = 32>>
  return %q : !qnt.tensor<?x48xf32, #qnt.scheme<granularity = per_block, scale = f32>, #qnt.layout<pad = 32>>
}

// -----

// A quantized constant becomes its component constants; unpack gives them.
// CHECK-LABEL: func.func @constant
// CHECK-DAG:     %[[D:.+]] = arith.constant dense<3> : tensor<1x8x8x4xi8>
// CHECK-DAG:     %[[S:.+]] = arith.constant dense<2.500000e-01> : tensor<1x1x8xf16>
// CHECK:         return %[[D]], %[[S]]
func.func @constant() -> (tensor<1x8x8x4xi8>, tensor<1x1x8xf16>) {
  %w = qnt.constant data(dense<3> : tensor<1x8x8x4xi8>) scales(dense<0.25> : tensor<1x1x8xf16>) : !qnt.tensor<2x32xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<n0 = 8, k0 = 4, pad = 32>>
  %d, %s = qnt.unpack %w : !qnt.tensor<2x32xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<n0 = 8, k0 = 4, pad = 32>> -> tensor<1x8x8x4xi8>, tensor<1x1x8xf16>
  return %d, %s : tensor<1x8x8x4xi8>, tensor<1x1x8xf16>
}

// -----

// RMSNorm quantizing as it normalizes (--qnt-fuse): the float row is never
// written; per block, amax of w * (s * x), then q.
// CHECK-LABEL: func.func @rms_norm_quantized
// CHECK-SAME:    -> (tensor<?x64xi8>, tensor<?x2xf32>, tensor<?x2xi32>)
// CHECK:         scf.forall
// CHECK:           math.sqrt
// CHECK:           scf.for
// CHECK:             arith.mulf
// CHECK:             math.absf
// CHECK:             arith.maxnumf {{.+}} : vector<16xf32>
// CHECK:             math.round
// CHECK:             vector.reduction <add>
// CHECK-NOT:     tensor<?x64xf32>
func.func @rms_norm_quantized(%x: tensor<?x64xf32>, %w: tensor<64xf32>) -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>> {
  %q = qnt.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : tensor<?x64xf32>, tensor<64xf32> -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>>
  return %q : !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>>
}

// -----

// SwiGLU quantizing as it computes, per token (the row produced twice: for
// amax, then for q).
// CHECK-LABEL: func.func @silu_mul_quantized
// CHECK-SAME:    -> (tensor<?x96xi8>, tensor<?x1xf32>)
// CHECK:         arith.negf
// CHECK:         arith.maxnumf {{.+}} : vector<16xf32>
// CHECK:         arith.negf
// CHECK:         math.round
func.func @silu_mul_quantized(%g: tensor<?x96xf32>, %u: tensor<?x96xf32>) -> !qnt.tensor<?x96xf32, #qnt.scheme<granularity = per_token, scale = f32>> {
  %q = qnt.silu_mul %g, %u : tensor<?x96xf32> -> !qnt.tensor<?x96xf32, #qnt.scheme<granularity = per_token, scale = f32>>
  return %q : !qnt.tensor<?x96xf32, #qnt.scheme<granularity = per_token, scale = f32>>
}

// -----

// A layer kept in float: fused multiply-adds, f16 weights extended to f32.
// CHECK-LABEL: func.func @float_linear
// CHECK:         %[[W:.+]] = vector.transfer_read {{.+}} : tensor<5x48xf16>, vector<32xf16>
// CHECK:         %[[WF:.+]] = arith.extf %[[W]] : vector<32xf16> to vector<32xf32>
// CHECK:         vector.fma %{{.+}}, %[[WF]], %{{.+}} : vector<32xf32>
// CHECK:         vector.reduction <add>, %{{.+}} : vector<32xf32> into f32
func.func @float_linear(%x: tensor<?x48xf32>, %w: tensor<5x48xf16>) -> tensor<?x5xf32> {
  %y = qnt.linear %x, %w : tensor<?x48xf32>, tensor<5x48xf16> -> tensor<?x5xf32>
  return %y : tensor<?x5xf32>
}

// -----

// Calls pass the components of quantized values.
// CHECK-LABEL: func.func @caller
// CHECK:         %[[R:.+]]:2 = call @quantize_per_row(%{{.+}}) : (tensor<?x64xf32>) -> (tensor<?x64xi8>, tensor<?x1xf16>)
// CHECK:         call @dequantize_per_row(%[[R]]#0, %[[R]]#1) : (tensor<?x64xi8>, tensor<?x1xf16>) -> tensor<?x64xf32>
func.func private @quantize_per_row(tensor<?x64xf32>) -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_token>>
func.func private @dequantize_per_row(!qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_token>>) -> tensor<?x64xf32>
func.func @caller(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %q = call @quantize_per_row(%x) : (tensor<?x64xf32>) -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_token>>
  %y = call @dequantize_per_row(%q) : (!qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_token>>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// RoPE: the row copied, then each head's first rope_dim values turned pair by
// pair; the frequencies 1 / 10000^(2i/4) are constants.
// CHECK-LABEL: func.func @rope
// CHECK:         %[[F:.+]] = arith.constant dense<[1.000000e+00, 0.00999999977]> : vector<2xf32>
// CHECK:         scf.forall
// CHECK:           %[[ANG:.+]] = arith.mulf %{{.+}}, %[[F]] : vector<2xf32>
// CHECK:           %[[COS:.+]] = math.cos %[[ANG]] : vector<2xf32>
// CHECK:           %[[SIN:.+]] = math.sin %[[ANG]] : vector<2xf32>
// CHECK:           scf.for {{.+}} step %{{.+}} iter_args
// CHECK:             %[[V:.+]] = vector.transfer_read {{.+}} : tensor<?x16xf32>, vector<4xf32>
// CHECK:             %[[X0:.+]] = vector.shuffle %[[V]], %[[V]] [0, 2]
// CHECK:             %[[X1:.+]] = vector.shuffle %[[V]], %[[V]] [1, 3]
// CHECK:             vector.shuffle %{{.+}}, %{{.+}} [0, 2, 1, 3] : vector<2xf32>, vector<2xf32>
func.func @rope(%x: tensor<?x16xf32>, %p: index) -> tensor<?x16xf32> {
  %y = qnt.rope %x, %p {head_dim = 8, rope_dim = 4, base = 1.0e+04 : f32} : tensor<?x16xf32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// NEOX RoPE with frequency factors: the pairs are (x[i], x[i + 2]), and the
// frequencies 1 / 10000^(2i/4) are divided by the factors 2 and 4.
// CHECK-LABEL: func.func @rope_neox
// CHECK:         %[[F:.+]] = arith.constant dense<[5.000000e-01, 2.500000e-03]> : vector<2xf32>
// CHECK:             %[[V:.+]] = vector.transfer_read {{.+}} : tensor<?x16xf32>, vector<4xf32>
// CHECK:             vector.shuffle %[[V]], %[[V]] [0, 1]
// CHECK:             vector.shuffle %[[V]], %[[V]] [2, 3]
// CHECK:             vector.shuffle %{{.+}}, %{{.+}} [0, 1, 2, 3] : vector<2xf32>, vector<2xf32>
func.func @rope_neox(%x: tensor<?x16xf32>, %p: index) -> tensor<?x16xf32> {
  %y = qnt.rope %x, %p {head_dim = 8, rope_dim = 4, base = 1.0e+04 : f32, neox, factors = array<f32: 2.0, 4.0>} : tensor<?x16xf32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// A bias added to each row, a vector of 32 at a time.
// CHECK-LABEL: func.func @bias_add
// CHECK:         scf.forall
// CHECK:           %[[B:.+]] = vector.transfer_read {{.+}} : tensor<64xf32>, vector<32xf32>
// CHECK:           %[[X:.+]] = vector.transfer_read {{.+}} : tensor<?x64xf32>, vector<32xf32>
// CHECK:           arith.addf %[[X]], %[[B]] : vector<32xf32>
func.func @bias_add(%x: tensor<?x64xf32>, %b: tensor<64xf32>) -> tensor<?x64xf32> {
  %y = qnt.bias_add %x, %b : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// Attention, blocked: a task takes 16 queries in the lanes of a vector (the
// 2 heads of a KV group x 8 rows); q^T by rows of 16 lanes, pre-scaled; for
// each block of 8 cache rows, scores by fused multiply-adds of k broadcast,
// the causal mask, the online softmax on vectors, o^T updated; out = o / l.
// CHECK-LABEL: func.func @attention
// CHECK:         %[[TASKS:.+]] = arith.muli %{{.+}}, %{{.+}} : index
// CHECK:         scf.forall (%[[T:.+]]) in (%[[TASKS]])
// CHECK:           vector.from_elements {{.+}} : vector<16xf32>
// CHECK:           scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args({{.+}}) -> (vector<16xf32>, vector<16xf32>, tensor<8x16xf32>)
// CHECK:             scf.for {{.+}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK-COUNT-8:       vector.fma {{.+}} : vector<16xf32>
// CHECK:             arith.cmpi sle, {{.+}} : vector<16xi64>
// CHECK:             arith.select
// CHECK:             arith.maximumf {{.+}} : vector<16xf32>
// CHECK:             math.fma
// CHECK:             scf.for
// CHECK-COUNT-8:       vector.fma {{.+}} : vector<16xf32>
// CHECK:           arith.divf %{{.+}}, %{{.+}} : vector<16xf32>
// CHECK:           scf.forall.in_parallel
// CHECK:             tensor.parallel_insert_slice
func.func @attention(%q: tensor<?x32xf32>, %k: tensor<64x16xf32>, %v: tensor<64x16xf32>, %p: index) -> tensor<?x32xf32> {
  %a = qnt.attention %q, %k, %v, %p {num_heads = 4, num_kv_heads = 2, scale = 0.35 : f32} : tensor<?x32xf32>, tensor<64x16xf32>, tensor<64x16xf32> -> tensor<?x32xf32>
  return %a : tensor<?x32xf32>
}

// -----

// An f16 cache: each block's 8 key rows then 8 value rows of the head are
// widened, 16 values a conversion, into one [16, d] f32 tile carried by the
// key loop; the score and value loops read the tile (rows 0-7 keys, 8-15
// values) as they read an f32 cache. A head dimension of two or more 16s (32)
// sums each score as decode does: 16 partial sums, p_l over elements l,
// l + 16, ... (a loop each, the block's 8 rows carried), added as decode's
// tree of halves adds them, depth first: (p_0 + p_8) + (p_4 + p_12) ...
// CHECK-LABEL: func.func @attention_f16_cache
// CHECK:         scf.forall
// CHECK:           %[[EMPTY:.+]] = tensor.empty() : tensor<16x32xf32>
// CHECK:           scf.for {{.+}} iter_args({{.+}}, {{.+}}, {{.+}}, %[[TILE:.+]] = %[[EMPTY]]) -> (vector<16xf32>, vector<16xf32>, tensor<32x16xf32>, tensor<16x32xf32>)
// CHECK-COUNT-32:    %[[H:.+]] = vector.transfer_read %{{.+}}[%{{.+}}, %{{.+}}], %{{.+}} {in_bounds = [true]} : tensor<64x32xf16>, vector<16xf16>
// CHECK-NEXT:        arith.extf %[[H]] : vector<16xf16> to vector<16xf32>
// CHECK-NEXT:        vector.transfer_write
// CHECK:             scf.for %{{.+}} = %c0 to %c32 step %c16 iter_args({{.+}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK-COUNT-8:       vector.fma {{.+}} : vector<16xf32>
// CHECK:             scf.for %{{.+}} = %c8 to %c32 step %c16
// CHECK-COUNT-8:       vector.fma {{.+}} : vector<16xf32>
// CHECK-COUNT-8:     arith.addf {{.+}} : vector<16xf32>
// CHECK:             scf.for %{{.+}} = %c4 to %c32 step %c16
// CHECK:             scf.for %{{.+}} = %c12 to %c32 step %c16
// CHECK-COUNT-16:    arith.addf {{.+}} : vector<16xf32>
// CHECK:             scf.for %{{.+}} = %c2 to %c32 step %c16
// CHECK:             scf.for
// CHECK-COUNT-8:       tensor.extract %{{.+}}[%{{.+}}, %{{.+}}] : tensor<16x32xf32>
// CHECK-NOT:         arith.extf {{.+}} : f16 to f32
// CHECK:           scf.forall.in_parallel
func.func @attention_f16_cache(%q: tensor<?x64xf32>, %k: tensor<64x32xf16>, %v: tensor<64x32xf16>, %p: index) -> tensor<?x64xf32> {
  %a = qnt.attention %q, %k, %v, %p {num_heads = 2, num_kv_heads = 1, scale = 0.25 : f32} : tensor<?x64xf32>, tensor<64x32xf16>, tensor<64x32xf16> -> tensor<?x64xf32>
  return %a : tensor<?x64xf32>
}

// -----

// A q8_0 cache: the same tile, each 16 i8 values converted and multiplied by
// the f16 scale of their block of 32 (block = column / 32).
// CHECK-LABEL: func.func @attention_q8_0_cache
// CHECK:           scf.for {{.+}} -> (vector<16xf32>, vector<16xf32>, tensor<32x16xf32>, tensor<16x32xf32>)
// CHECK:             %[[Q:.+]] = vector.transfer_read %{{.+}} : tensor<64x32xi8>, vector<16xi8>
// CHECK-NEXT:        %[[F:.+]] = arith.sitofp %[[Q]] : vector<16xi8> to vector<16xf32>
// CHECK:             %[[D:.+]] = tensor.extract %{{.+}}[%{{.+}}, %{{.+}}] : tensor<64x1xf16>
// CHECK-NEXT:        %[[D32:.+]] = arith.extf %[[D]] : f16 to f32
// CHECK-NEXT:        %[[DV:.+]] = vector.broadcast %[[D32]] : f32 to vector<16xf32>
// CHECK-NEXT:        arith.mulf %[[F]], %[[DV]] : vector<16xf32>
func.func @attention_q8_0_cache(%q: tensor<?x64xf32>, %k: tensor<64x32xi8>, %v: tensor<64x32xi8>, %ks: tensor<64x1xf16>, %vs: tensor<64x1xf16>, %p: index) -> tensor<?x64xf32> {
  %a = qnt.attention %q, %k, %v, %p scales(%ks, %vs) {num_heads = 2, num_kv_heads = 1, scale = 0.25 : f32} : tensor<?x64xf32>, tensor<64x32xi8>, tensor<64x32xi8>, tensor<64x1xf16>, tensor<64x1xf16> -> tensor<?x64xf32>
  return %a : tensor<?x64xf32>
}

// -----

// Decode (one query row) with a head dimension of two or more whole 16s: the
// dimension in the lanes. The cache is read 16 values at a time (f16 widened in
// registers, no tile); a block's 8 rows x 2 heads dot products are summed
// across their lanes by one tree of shuffles into one vector of 16 scores
// (lane row x 2 + head), the heads' online softmax runs side by side on it
// (the carried maxima and sums a vector<2> each; the max over rows a tree of
// halves; exp expanded as everywhere), o updated by multiply-adds of 16
// lanes. Pipelined by a block: the first block's scores before the loops,
// each block's loop iteration computing the next block's (its keys read after
// the block's exps, before its values); the whole blocks but the last, then
// the last whole one (the next rows clamped), then the partial last one with
// the scores carried out, its rows clamped and masked lane by lane.
// CHECK-LABEL: func.func @attention_decode(
// CHECK-SAME:      %[[K:[^:]+]]: tensor<64x32xf16>, %[[V:[^:]+]]: tensor<64x32xf16>
// CHECK:         scf.forall
// CHECK:           vector.transfer_read %[[K]][%c0, %c0]
// CHECK:           scf.for {{.+}} -> (vector<16xf32>, vector<2xf32>, vector<2xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK-NOT:         arith.minui
// CHECK:             arith.maximumf {{.+}} : vector<8xf32>
// CHECK:             arith.maximumf {{.+}} : vector<2xf32>
// CHECK:             arith.subf {{.+}} : vector<16xf32>
// CHECK-NOT:         vector.transfer_read %[[V]]
// CHECK:             %[[H:.+]] = vector.transfer_read %[[K]]{{.+}} : tensor<64x32xf16>, vector<16xf16>
// CHECK-NEXT:        arith.extf %[[H]] : vector<16xf16> to vector<16xf32>
// CHECK:             vector.shuffle {{.+}} : vector<16xf32>, vector<16xf32>
// CHECK:             vector.transfer_read %[[V]]
// CHECK:             vector.fma {{.+}} : vector<16xf32>
// CHECK:             scf.yield
// CHECK:           scf.for {{.+}} -> (vector<16xf32>, vector<2xf32>, vector<2xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK:             arith.minui
// CHECK:           scf.for {{.+}} -> (vector<2xf32>, vector<2xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK:             arith.minui
// CHECK:             arith.select {{.+}} : vector<16xi1>, vector<16xf32>
// CHECK:           arith.divf {{.+}} : f32
// CHECK:           scf.forall.in_parallel
func.func @attention_decode(%q: tensor<1x64xf32>, %k: tensor<64x32xf16>, %v: tensor<64x32xf16>, %p: index) -> tensor<1x64xf32> {
  %a = qnt.attention %q, %k, %v, %p {num_heads = 2, num_kv_heads = 1, scale = 0.25 : f32} : tensor<1x64xf32>, tensor<64x32xf16>, tensor<64x32xf16> -> tensor<1x64xf32>
  return %a : tensor<1x64xf32>
}

// -----

// Decode over a group of 8 heads on a target with 32 vector registers: a
// task takes 4 of them (2 tasks; the next block's scores a vector<32>, the
// carried maxima and sums a vector<4> each, 4 heads x 2 vectors of outputs;
// 128 columns a task), so that their
// queries and outputs stay in registers.
// CHECK-LABEL: func.func @attention_decode_group8_avx512
// CHECK:         scf.forall
// CHECK:           scf.for {{.+}} -> (vector<32xf32>, vector<4xf32>, vector<4xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK:           tensor.parallel_insert_slice {{.+}} [%{{.+}}, 128] [1, 1] : tensor<?x128xf32> into tensor<1x256xf32>
module attributes {qnt.target = #qnt.target<vector_bits = 512, dot = vnni, registers = 32>} {
func.func @attention_decode_group8_avx512(%q: tensor<1x256xf32>, %k: tensor<64x32xf16>, %v: tensor<64x32xf16>, %p: index) -> tensor<1x256xf32> {
  %a = qnt.attention %q, %k, %v, %p {num_heads = 8, num_kv_heads = 1, scale = 0.25 : f32} : tensor<1x256xf32>, tensor<64x32xf16>, tensor<64x32xf16> -> tensor<1x256xf32>
  return %a : tensor<1x256xf32>
}
}

// -----

// The same with 16 vector registers (AVX2): a task keeps the group's 8 heads.
// CHECK-LABEL: func.func @attention_decode_group8_avx2
// CHECK:         scf.forall
// CHECK:           scf.for {{.+}} -> (vector<8xf32>, vector<8xf32>,
// CHECK:           tensor.parallel_insert_slice {{.+}} [%{{.+}}, 256] [1, 1] : tensor<?x256xf32> into tensor<1x256xf32>
module attributes {qnt.target = #qnt.target<vector_bits = 256, dot = maddubs, registers = 16>} {
func.func @attention_decode_group8_avx2(%q: tensor<1x256xf32>, %k: tensor<64x32xf16>, %v: tensor<64x32xf16>, %p: index) -> tensor<1x256xf32> {
  %a = qnt.attention %q, %k, %v, %p {num_heads = 8, num_kv_heads = 1, scale = 0.25 : f32} : tensor<1x256xf32>, tensor<64x32xf16>, tensor<64x32xf16> -> tensor<1x256xf32>
  return %a : tensor<1x256xf32>
}
}

// -----

// The output quantized inside attention: each task (2 heads x 32 = 64
// columns, 8 rows) quantizes its rows of the f32 tile in blocks of 32 (amax,
// d = amax / 127, q, the sums) and writes three tiles: the i8 data at its
// columns, the scales and sums at its columns / 32.
// CHECK-LABEL: func.func @attention_quantized
// CHECK:         %[[D:.+]] = tensor.empty(%{{.+}}) : tensor<?x128xi8>
// CHECK:         %[[S:.+]] = tensor.empty(%{{.+}}) : tensor<?x4xf32>
// CHECK:         %[[U:.+]] = tensor.empty(%{{.+}}) : tensor<?x4xi32>
// CHECK:         scf.forall (%{{.+}}) in (%{{.+}}) shared_outs(%{{.+}} = %[[D]], %{{.+}} = %[[S]], %{{.+}} = %[[U]])
// CHECK-COUNT-8:   arith.maxnumf {{.+}} : vector<16xf32>
// CHECK:           scf.forall.in_parallel
// CHECK-NEXT:        tensor.parallel_insert_slice {{.+}} : tensor<?x64xi8> into tensor<?x128xi8>
// CHECK-NEXT:        tensor.parallel_insert_slice {{.+}} : tensor<?x2xf32> into tensor<?x4xf32>
// CHECK-NEXT:        tensor.parallel_insert_slice {{.+}} : tensor<?x2xi32> into tensor<?x4xi32>
// CHECK-NOT:     qnt.quantize
func.func @attention_quantized(%q: tensor<?x128xf32>, %k: tensor<64x64xf32>, %p: index) -> (tensor<?x128xi8>, tensor<?x4xf32>, tensor<?x4xi32>) {
  %a = qnt.attention %q, %k, %k, %p {num_heads = 4, num_kv_heads = 2, scale = 0.25 : f32} : tensor<?x128xf32>, tensor<64x64xf32>, tensor<64x64xf32> -> !qnt.tensor<?x128xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>>
  %d, %s, %u = qnt.unpack %a : !qnt.tensor<?x128xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>> -> tensor<?x128xi8>, tensor<?x4xf32>, tensor<?x4xi32>
  return %d, %s, %u : tensor<?x128xi8>, tensor<?x4xf32>, tensor<?x4xi32>
}

// -----

// Keys and values rounded to an f16 cache as written: a row-parallel loop,
// 32 values a truncf.
// CHECK-LABEL: func.func @truncf_to_cache
// CHECK:         scf.forall
// CHECK:           %[[X:.+]] = vector.transfer_read {{.+}} : tensor<?x64xf32>, vector<32xf32>
// CHECK:           %[[H:.+]] = arith.truncf %[[X]] : vector<32xf32> to vector<32xf16>
// CHECK:           vector.transfer_write %[[H]], {{.+}} : vector<32xf16>, tensor<1x64xf16>
// CHECK-NOT:     arith.truncf {{.+}} : tensor
func.func @truncf_to_cache(%x: tensor<?x64xf32>) -> tensor<?x64xf16> {
  %h = arith.truncf %x : tensor<?x64xf32> to tensor<?x64xf16>
  return %h : tensor<?x64xf16>
}

// -----

// RMSNorm: s = 1 / sqrt(sum(x^2) / D + eps); y = w * (s * x).
// CHECK-LABEL: func.func @rms_norm
// CHECK:         vector.fma %[[V:.+]], %[[V]], %{{.+}} : vector<32xf32>
// CHECK:         %[[SS:.+]] = vector.reduction <add>
// CHECK:         %[[MEAN:.+]] = arith.divf %[[SS]], %{{.+}} : f32
// CHECK:         %[[EPS:.+]] = arith.addf %[[MEAN]], %{{.+}} : f32
// CHECK:         %[[ROOT:.+]] = math.sqrt %[[EPS]] : f32
// CHECK:         arith.divf %{{.+}}, %[[ROOT]] : f32
// CHECK:         %[[W:.+]] = arith.extf %{{.+}} : vector<32xf16> to vector<32xf32>
// CHECK:         arith.mulf %[[W]], %{{.+}} : vector<32xf32>
func.func @rms_norm(%x: tensor<?x64xf32>, %w: tensor<64xf16>) -> tensor<?x64xf32> {
  %y = qnt.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : tensor<?x64xf32>, tensor<64xf16> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// Embedding: the token id clamped into the table, its row copied.
// CHECK-LABEL: func.func @embedding
// CHECK:         %[[ID:.+]] = tensor.extract %{{.+}}[%{{.+}}] : tensor<?xi32>
// CHECK:         %[[IDX:.+]] = arith.index_cast %[[ID]] : i32 to index
// CHECK:         %[[LO:.+]] = arith.maxsi %[[IDX]], %{{.+}} : index
// CHECK:         %[[ROW:.+]] = arith.minsi %[[LO]], %{{.+}} : index
// CHECK:         vector.transfer_read %{{.+}}[%[[ROW]], %{{.+}}]
func.func @embedding(%t: tensor<300x64xf32>, %ids: tensor<?xi32>) -> tensor<?x64xf32> {
  %x = qnt.embedding %t, %ids : tensor<300x64xf32>, tensor<?xi32> -> tensor<?x64xf32>
  return %x : tensor<?x64xf32>
}

// -----

// A 4-bit table with two-level scales (GGML Q4_K's, kept as it is): per 32
// values, 16 bytes of the row whose low and high nibbles interleave into
// values 2j and 2j + 1, times the group's byte scale widened and multiplied
// by its super-block's d, plus the minimum made the same way.
// CHECK-LABEL: func.func @embedding_q4_k
// CHECK:         %[[BYTES:.+]] = vector.transfer_read %{{.+}}[%{{.+}}, %{{.+}}], %{{.+}} {in_bounds = [true]} : tensor<300x128xi8>, vector<16xi8>
// CHECK:         %[[LO:.+]] = arith.andi %[[BYTES]], %{{.+}} : vector<16xi8>
// CHECK:         %[[HI:.+]] = arith.shrui %[[BYTES]], %{{.+}} : vector<16xi8>
// CHECK:         %[[U:.+]] = vector.interleave %[[LO]], %[[HI]] : vector<16xi8> -> vector<32xi8>
// CHECK:         %[[F:.+]] = arith.uitofp %[[U]] : vector<32xi8> to vector<32xf32>
// CHECK:         %[[SC:.+]] = tensor.extract %{{.+}} : tensor<300x8xi8>
// CHECK:         %[[SCF:.+]] = arith.sitofp %[[SC]] : i8 to f32
// CHECK:         %[[D:.+]] = tensor.extract %{{.+}} : tensor<300x1xf16>
// CHECK:         %[[DF:.+]] = arith.extf %[[D]] : f16 to f32
// CHECK:         %[[S:.+]] = arith.mulf %[[SCF]], %[[DF]] : f32
// CHECK:         %[[SV:.+]] = vector.broadcast %[[S]] : f32 to vector<32xf32>
// CHECK:         %[[X:.+]] = arith.mulf %[[F]], %[[SV]] : vector<32xf32>
// CHECK:         %[[M:.+]] = tensor.extract %{{.+}} : tensor<300x8xi8>
// CHECK:         arith.addf %[[X]], %{{.+}} : vector<32xf32>
func.func @embedding_q4_k(%t: !qnt.tensor<300x256xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4, mins = true, super_block = 256>>, %ids: tensor<?xi32>) -> tensor<?x256xf32> {
  %x = qnt.embedding %t, %ids : !qnt.tensor<300x256xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4, mins = true, super_block = 256>>, tensor<?xi32> -> tensor<?x256xf32>
  return %x : tensor<?x256xf32>
}

// -----

// SwiGLU and the residual add, elementwise and 32 wide; exp as a polynomial
// (a range reduction by floor, then fused multiply-adds), no libm call.
// CHECK-LABEL: func.func @ffn
// CHECK-NOT:     math.exp
// CHECK:         %[[NEG:.+]] = arith.negf %{{.+}} : vector<32xf32>
// CHECK:         math.floor
// CHECK:         math.fma
// CHECK:         %[[S:.+]] = arith.divf %{{.+}}, %{{.+}} : vector<32xf32>
// CHECK:         arith.mulf %[[S]], %{{.+}} : vector<32xf32>
// CHECK:         scf.forall
// CHECK:           arith.addf %{{.+}}, %{{.+}} : vector<32xf32>
// CHECK-NOT:     arith.addf {{.*}} : tensor
func.func @ffn(%g: tensor<?x96xf32>, %u: tensor<?x96xf32>) -> tensor<?x96xf32> {
  %s = qnt.silu_mul %g, %u : tensor<?x96xf32> -> tensor<?x96xf32>
  %r = arith.addf %s, %u : tensor<?x96xf32>
  return %r : tensor<?x96xf32>
}

// -----

// A packed value is its components: unpack of pack is what was packed.
// CHECK-LABEL: func.func @packed
// CHECK-SAME:    (%[[D:.+]]: tensor<4x32xi8>, %[[S:.+]]: tensor<4x1xf16>)
// CHECK-NOT:     qnt.pack
// CHECK:         return %[[D]], %[[S]]
func.func @packed(%d: tensor<4x32xi8>, %s: tensor<4x1xf16>) -> (tensor<4x32xi8>, tensor<4x1xf16>) {
  %w = qnt.pack %d, %s : tensor<4x32xi8>, tensor<4x1xf16> -> !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_block>>
  %a, %b = qnt.unpack %w : !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_block>> -> tensor<4x32xi8>, tensor<4x1xf16>
  return %a, %b : tensor<4x32xi8>, tensor<4x1xf16>
}

// -----

// Static scales: d read from the constant per block, q saturated to
// [-127, 127] before rounding, no absmax reduction; d stored for every row
// and the sums kept as usual.
// CHECK-LABEL: func.func @quantize_static
// CHECK-DAG:     %[[LO:.+]] = arith.constant dense<-1.270000e+02> : vector<32xf32>
// CHECK-DAG:     %[[HI:.+]] = arith.constant dense<1.270000e+02> : vector<32xf32>
// CHECK-DAG:     %[[SC:.+]] = arith.constant dense<{{\[\[}}5.000000e-01, 2.500000e-01]]> : tensor<1x2xf32>
// CHECK:         scf.forall
// CHECK-NOT:       arith.maxnumf {{.+}} : vector<16xf32>
// CHECK:           %[[D:.+]] = tensor.extract %[[SC]][%{{.+}}, %{{.+}}] : tensor<1x2xf32>
// CHECK:           arith.divf %{{.+}}, %[[D]] : f32
// CHECK:           %[[M:.+]] = arith.mulf
// CHECK:           %[[C1:.+]] = arith.minnumf %[[M]], %[[HI]]
// CHECK:           %[[C2:.+]] = arith.maxnumf %[[C1]], %[[LO]]
// CHECK:           math.round %[[C2]]
// CHECK:           vector.reduction <add>
// CHECK:           tensor.insert %[[D]]
func.func @quantize_static(%x: tensor<?x64xf32>) -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>> {
  %q = qnt.quantize %x {static_scales = dense<[[0.5, 0.25]]> : tensor<1x2xf32>} : tensor<?x64xf32> -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>>
  return %q : !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>>
}

// -----

// A fused norm with static scales: the same saturating quantization of the
// normalized values.
// CHECK-LABEL: func.func @rms_norm_static
// CHECK:         scf.forall
// CHECK-NOT:       arith.maxnumf {{.+}} : vector<16xf32>
// CHECK:           arith.minnumf
// CHECK:           arith.maxnumf
// CHECK:           arith.fptosi
func.func @rms_norm_static(%x: tensor<?x64xf32>, %w: tensor<64xf32>) -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_token, scale = f32>> {
  %q = qnt.rms_norm %x, %w {epsilon = 1.0e-05 : f32, static_scales = dense<0.03> : tensor<1x1xf32>} : tensor<?x64xf32>, tensor<64xf32> -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_token, scale = f32>>
  return %q : !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_token, scale = f32>>
}

// -----

// Asymmetric: per block, the range [min, max] (widened to hold 0 by starting
// both at 0), d = (max - min) / 254, z = round(-127 - min * id); then
// q = clamp(round(x * id) + z, -127, 127); the zero point is written beside
// the scale, then the sums.
// CHECK-LABEL: func.func @quantize_asymmetric
// CHECK-SAME:    -> (tensor<?x64xi8>, tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x2xi32>)
// CHECK:         scf.forall
// CHECK:           arith.minnumf {{.+}} : vector<16xf32>
// CHECK:           arith.maxnumf {{.+}} : vector<16xf32>
// CHECK:           %[[R:.+]] = arith.subf
// CHECK:           arith.divf %[[R]], %{{.+}} : f32
// CHECK:           %[[ZF:.+]] = math.round %{{.+}} : f32
// CHECK:           %[[Z:.+]] = arith.fptosi %[[ZF]] : f32 to i32
// CHECK:           %[[Q:.+]] = math.round %{{.+}} : vector<32xf32>
// CHECK:           %[[QZ:.+]] = arith.addf %[[Q]], %{{.+}} : vector<32xf32>
// CHECK:           arith.minnumf %[[QZ]]
// CHECK:           arith.maxnumf
// CHECK:           vector.reduction <add>
// CHECK:           tensor.insert %[[Z]]
func.func @quantize_asymmetric(%x: tensor<?x64xf32>) -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, symmetric = false, scale = f32, sums = true>> {
  %q = qnt.quantize %x : tensor<?x64xf32> -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, symmetric = false, scale = f32, sums = true>>
  return %q : !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, symmetric = false, scale = f32, sums = true>>
}

// -----

// A table in a linear's tiles (a tied head, u8 + 128): row id is channel
// id % 16 of row tile id / 16; its 32 values at column c are 8 reads of the 4
// bytes of steps c/4 .. c/4 + 7, put side by side, made signed (xor 128) and
// scaled by the scale at [tile, group, channel].
// CHECK-LABEL: func.func @embedding_tiled
// CHECK:         %[[ROW:.+]] = arith.minsi %{{.+}}, %{{.+}} : index
// CHECK:         %[[T:.+]] = arith.divui %[[ROW]], %[[C16:.+]] : index
// CHECK:         %[[I:.+]] = arith.remui %[[ROW]], %[[C16]] : index
// CHECK-COUNT-8: vector.transfer_read %{{.+}}[%[[T]], %{{.+}}, %[[I]], %{{.+}}], %{{.+}} {in_bounds = [true]} : tensor<19x16x16x4xi8>, vector<4xi8>
// CHECK:         %[[Q:.+]] = vector.insert_strided_slice %{{.+}}, %{{.+}} {offsets = [28], strides = [1]} : vector<4xi8> into vector<32xi8>
// CHECK:         %[[SC:.+]] = tensor.extract %{{.+}}[%[[T]], %{{.+}}, %[[I]]] : tensor<19x2x16xf16>
// CHECK:         %[[S:.+]] = arith.xori %[[Q]], %{{.+}} : vector<32xi8>
// CHECK:         arith.sitofp %[[S]] : vector<32xi8> to vector<32xf32>
func.func @embedding_tiled(%t: !qnt.tensor<300x64xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>, #qnt.layout<n0 = 16, k0 = 4, pad = 32>>, %ids: tensor<?xi32>) -> tensor<?x64xf32> {
  %x = qnt.embedding %t, %ids : !qnt.tensor<300x64xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>, #qnt.layout<n0 = 16, k0 = 4, pad = 32>>, tensor<?xi32> -> tensor<?x64xf32>
  return %x : tensor<?x64xf32>
}

// -----

// Blocks of 16 (the activations of a 6-bit weight): each chunk of 32 is read
// once and holds two groups; each half's absmax gives its scale, the two
// inverses side by side quantize the chunk, and each half's sum and scale go
// to groups 2j and 2j + 1.
// CHECK-LABEL: func.func @quantize_blocks_of_16
// CHECK:         scf.for %[[J:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args
// CHECK:           %[[Y:.+]] = vector.transfer_read %{{.+}} : tensor<?x64xf32>, vector<32xf32>
// CHECK:           %[[ABS:.+]] = math.absf %[[Y]] : vector<32xf32>
// CHECK:           %[[H0:.+]] = vector.extract_strided_slice %[[ABS]] {offsets = [0], sizes = [16], strides = [1]} : vector<32xf32> to vector<16xf32>
// CHECK:           vector.extract_strided_slice %[[H0]] {offsets = [8], sizes = [8], strides = [1]} : vector<16xf32> to vector<8xf32>
// CHECK:           arith.maxnumf {{.+}} : vector<8xf32>
// CHECK:           vector.insert_strided_slice %{{.+}}, %{{.+}} {offsets = [0], strides = [1]} : vector<16xf32> into vector<32xf32>
// CHECK:           %[[H1:.+]] = vector.extract_strided_slice %[[ABS]] {offsets = [16], sizes = [16], strides = [1]} : vector<32xf32> to vector<16xf32>
// CHECK:           vector.extract_strided_slice %[[H1]] {offsets = [8], sizes = [8], strides = [1]} : vector<16xf32> to vector<8xf32>
// CHECK:           arith.maxnumf {{.+}} : vector<8xf32>
// CHECK:           %[[INV:.+]] = vector.insert_strided_slice %{{.+}}, %{{.+}} {offsets = [16], strides = [1]} : vector<16xf32> into vector<32xf32>
// CHECK:           arith.mulf %[[Y]], %[[INV]] : vector<32xf32>
// CHECK:           %[[Q:.+]] = arith.fptosi %{{.+}} : vector<32xf32> to vector<32xi8>
// CHECK:           vector.transfer_write %[[Q]]
// CHECK:           tensor.insert %{{.+}} into %{{.+}}[%{{.+}}, %{{.+}}] : tensor<1x4xf32>
// CHECK:           vector.extract_strided_slice %[[Q]] {offsets = [0], sizes = [16], strides = [1]} : vector<32xi8> to vector<16xi8>
// CHECK:           vector.reduction <add>, %{{.+}} : vector<16xi32> into i32
// CHECK:           tensor.insert %{{.+}} into %{{.+}}[%{{.+}}, %{{.+}}] : tensor<1x4xi32>
// CHECK:           vector.extract_strided_slice %[[Q]] {offsets = [16], sizes = [16], strides = [1]} : vector<32xi8> to vector<16xi8>
func.func @quantize_blocks_of_16(%x: tensor<?x64xf32>) -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, block = 16, scale = f32, sums = true>> {
  %q = qnt.quantize %x : tensor<?x64xf32> -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, block = 16, scale = f32, sums = true>>
  return %q : !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, block = 16, scale = f32, sums = true>>
}

// -----

// A table in a 6-bit linear's tiles (a tied Q6_K head): the 32 values at
// column c are two groups of four steps; each reads its three rows (4 bytes
// of the channel), joins each step's low nibble and high bits, and scales its
// 16 values by its byte scale (signed) times the super factor: u - 32 times
// sc * d.
// CHECK-LABEL: func.func @embedding_tiled_six
// CHECK:         %[[T:.+]] = arith.divui %{{.+}}, %[[C16:.+]] : index
// CHECK:         %[[I:.+]] = arith.remui %{{.+}}, %[[C16]] : index
// CHECK-COUNT-3: vector.transfer_read %{{.+}}[%[[T]], %{{.+}}, %[[I]], %{{.+}}], %{{.+}} {in_bounds = [true]} : tensor<19x48x16x4xi8>, vector<4xi8>
// CHECK:         arith.andi
// CHECK:         arith.shli
// CHECK:         arith.ori
// CHECK:         %[[SC:.+]] = tensor.extract %{{.+}}[%[[T]], %{{.+}}, %[[I]]] : tensor<19x16x16xi8>
// CHECK:         arith.sitofp %[[SC]] : i8 to f32
// CHECK:         tensor.extract %{{.+}}[%[[T]], %{{.+}}, %[[I]]] : tensor<19x1x16xf16>
// CHECK-COUNT-3: vector.transfer_read %{{.+}}[%[[T]], %{{.+}}, %[[I]], %{{.+}}], %{{.+}} {in_bounds = [true]} : tensor<19x48x16x4xi8>, vector<4xi8>
// CHECK:         %[[U:.+]] = vector.insert_strided_slice %{{.+}}, %{{.+}} {offsets = [28], strides = [1]} : vector<4xi8> into vector<32xi8>
// CHECK:         %[[SCALES:.+]] = vector.insert_strided_slice %{{.+}}, %{{.+}} {offsets = [16], strides = [1]} : vector<16xf32> into vector<32xf32>
// CHECK:         %[[F:.+]] = arith.uitofp %[[U]] : vector<32xi8> to vector<32xf32>
// CHECK:         %[[Q:.+]] = arith.subf %[[F]], %{{.+}} : vector<32xf32>
// CHECK:         arith.mulf %[[Q]], %[[SCALES]] : vector<32xf32>
func.func @embedding_tiled_six(%t: !qnt.tensor<300x256xf32, #qnt.scheme<bits = 6, granularity = per_block, block = 16, storage = u6_offset32, super_block = 256>, #qnt.layout<n0 = 16, k0 = 4, pad = 256>>, %ids: tensor<?xi32>) -> tensor<?x256xf32> {
  %x = qnt.embedding %t, %ids : !qnt.tensor<300x256xf32, #qnt.scheme<bits = 6, granularity = per_block, block = 16, storage = u6_offset32, super_block = 256>, #qnt.layout<n0 = 16, k0 = 4, pad = 256>>, tensor<?xi32> -> tensor<?x256xf32>
  return %x : tensor<?x256xf32>
}

// -----

// A scale per super-block of 256 and sums per 16 (sums_block, GGML's Q8_K
// against Q6_K): the absmax over 256, then each chunk of 32 quantized with
// it and its two halves' sums written at their sub-blocks; no sum per 256.
// CHECK-LABEL: func.func @quantize_super_blocks
// CHECK-SAME:    -> (tensor<?x512xi8>, tensor<?x2xf32>, tensor<?x32xi32>)
// CHECK:         scf.for %{{.+}} = %c0 to %c2 step %c1
// CHECK:           scf.for %{{.+}} = %c0 to %c256 step %c32 iter_args(%{{.+}} = %{{.+}}) -> (f32)
// CHECK:           scf.for %{{.+}} = %c0 to %c256 step %c32 iter_args({{.+}}) -> (tensor<1x512xi8>, i32, tensor<1x32xi32>)
// CHECK-NOT:         vector.reduction <add>, %{{.+}} : vector<32xi32>
// CHECK:             %[[LO:.+]] = vector.extract_strided_slice %{{.+}} {offsets = [0], sizes = [16], strides = [1]} : vector<32xi32> to vector<16xi32>
// CHECK:             %[[S0:.+]] = vector.reduction <add>, %[[LO]] : vector<16xi32> into i32
// CHECK:             tensor.insert %[[S0]]
// CHECK:             %[[HI:.+]] = vector.extract_strided_slice %{{.+}} {offsets = [16], sizes = [16], strides = [1]} : vector<32xi32> to vector<16xi32>
// CHECK:             %[[S1:.+]] = vector.reduction <add>, %[[HI]] : vector<16xi32> into i32
// CHECK:             tensor.insert %[[S1]]
func.func @quantize_super_blocks(%x: tensor<?x512xf32>) -> !qnt.tensor<?x512xf32, #qnt.scheme<granularity = per_block, block = 256, scale = f32, sums = true, sums_block = 16>> {
  %q = qnt.quantize %x : tensor<?x512xf32> -> !qnt.tensor<?x512xf32, #qnt.scheme<granularity = per_block, block = 256, scale = f32, sums = true, sums_block = 16>>
  return %q : !qnt.tensor<?x512xf32, #qnt.scheme<granularity = per_block, block = 256, scale = f32, sums = true, sums_block = 16>>
}

// -----

// Sums per 64 (two chunks a sub-block): a chunk that starts its sub-block
// writes its sum, the next adds its own to it.
// CHECK-LABEL: func.func @quantize_sums_per_64
// CHECK-SAME:    -> (tensor<?x256xi8>, tensor<?x1xf32>, tensor<?x4xi32>)
// CHECK:         %[[S:.+]] = vector.reduction <add>, %{{.+}} : vector<32xi32> into i32
// CHECK:         %[[STARTS:.+]] = arith.cmpi eq, %{{.+}}, %c0 : index
// CHECK:         %[[OLD:.+]] = tensor.extract
// CHECK:         %[[KEPT:.+]] = arith.select %[[STARTS]], %{{.+}}, %[[OLD]] : i32
// CHECK:         %[[NEW:.+]] = arith.addi %[[S]], %[[KEPT]] : i32
// CHECK:         tensor.insert %[[NEW]]
func.func @quantize_sums_per_64(%x: tensor<?x256xf32>) -> !qnt.tensor<?x256xf32, #qnt.scheme<granularity = per_block, block = 256, scale = f32, sums = true, sums_block = 64>> {
  %q = qnt.quantize %x : tensor<?x256xf32> -> !qnt.tensor<?x256xf32, #qnt.scheme<granularity = per_block, block = 256, scale = f32, sums = true, sums_block = 64>>
  return %q : !qnt.tensor<?x256xf32, #qnt.scheme<granularity = per_block, block = 256, scale = f32, sums = true, sums_block = 64>>
}

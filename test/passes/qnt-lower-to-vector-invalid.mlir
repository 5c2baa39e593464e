// RUN: quant-opt %s --split-input-file --qnt-lower-to-vector --verify-diagnostics

func.func @f(%x: tensor<2x4x32xf32>) {
  // expected-error @+1 {{lowering handles rank-2 quantized tensors, got rank 3}}
  %q = qnt.quantize %x : tensor<2x4x32xf32> -> !qnt.tensor<2x4x32xf32, #qnt.scheme<granularity = per_block>>
  return
}

// -----

func.func @f(%x: tensor<4x?xf32>) {
  // expected-error @+1 {{lowering needs a static last dimension}}
  %q = qnt.quantize %x : tensor<4x?xf32> -> !qnt.tensor<4x?xf32, #qnt.scheme<granularity = per_token>>
  return
}

// -----

// Zero points are computed per row (per_block, per_token), not per tensor.
func.func @f(%x: tensor<4x32xf32>) {
  // expected-error @+1 {{lowering handles asymmetric schemes only where activations are quantized per_block or per_token}}
  %q = qnt.quantize %x : tensor<4x32xf32> -> !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_tensor, symmetric = false>>
  return
}

// -----

func.func @f(%q: !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_token, symmetric = false>>) {
  // expected-error @+1 {{lowering handles asymmetric schemes only where activations are quantized per_block or per_token}}
  %x = qnt.dequantize %q : !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_token, symmetric = false>> -> tensor<4x32xf32>
  return
}

// -----

func.func @f(%x: tensor<4x32xf32>) {
  // expected-error @+1 {{lowering handles 8-bit schemes only (4-bit weights are read by the matmul kernels alone)}}
  %q = qnt.quantize %x : tensor<4x32xf32> -> !qnt.tensor<4x32xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8>>
  return
}

// -----

func.func @f(%q: !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_channel, axis = 1>>) {
  // expected-error @+1 {{lowering handles per_channel on axis 0 only}}
  %x = qnt.dequantize %q : !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_channel, axis = 1>> -> tensor<4x32xf32>
  return
}

// -----

func.func @f(%x: tensor<?x96xf32>) {
  // expected-error @+1 {{lowering needs a block size that is a multiple of 32 (or, for a quantize, divides it), got 48}}
  %q = qnt.quantize %x : tensor<?x96xf32> -> !qnt.tensor<?x96xf32, #qnt.scheme<granularity = per_block, block = 48>>
  return
}

// -----

// Blocks of 16 (a 6-bit weight's) are quantized two a chunk; dequantized, no.
func.func @f(%q: !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_block, block = 16>>) {
  // expected-error @+1 {{lowering needs a block size that is a multiple of 32 (or, for a quantize, divides it), got 16}}
  %x = qnt.dequantize %q : !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_block, block = 16>> -> tensor<4x32xf32>
  return
}

// -----

func.func @f(%a: !qnt.tensor<?x32xf32, #qnt.scheme<granularity = per_block, scale = f32>>,
             %w: !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_block>>) {
  // expected-error @+1 {{has a row-major weight: the matmul kernels read data-tiled weights (run --qnt-data-tiling before the fold pass)}}
  %y = qnt.matmul %a, %w : !qnt.tensor<?x32xf32, #qnt.scheme<granularity = per_block, scale = f32>>, !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_block>> -> tensor<?x4xf32>
  return
}

// -----

func.func @f(%a: !qnt.tensor<?x32xf32, #qnt.scheme<granularity = per_block, scale = f32>, #qnt.layout<pad = 32>>,
             %w: !qnt.tensor<8x32xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<n0 = 8, k0 = 4, pad = 32>>) {
  // expected-error @+1 {{is not tiled: run --qnt-tile-matmul and --qnt-lower-microkernel first}}
  %y = qnt.matmul %a, %w : !qnt.tensor<?x32xf32, #qnt.scheme<granularity = per_block, scale = f32>, #qnt.layout<pad = 32>>, !qnt.tensor<8x32xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<n0 = 8, k0 = 4, pad = 32>> -> tensor<?x8xf32>
  return
}

// -----

func.func @f(%a: tensor<1x32xi8>, %s: tensor<1x1xf32>, %w: tensor<8x32xi8>, %ws: tensor<1x8xf16>, %i: tensor<1x8xf32>) {
  // expected-error @+1 {{is not lowered: run --qnt-lower-microkernel first}}
  %t = qnt.matmul_tile %a, %s, %w, %ws, %i {dot = #qnt<dot_kind generic>, group = 32 : i64, lanes = 4 : i64, rhs_storage = #qnt<storage i8>}
       : (tensor<1x32xi8>, tensor<1x1xf32>, tensor<8x32xi8>, tensor<1x8xf16>, tensor<1x8xf32>) -> tensor<1x8xf32>
  return
}

// -----

func.func @f(%x: tensor<8x32xf32>) {
  // expected-error @+1 {{lowering quantizes into row-major tensors, not #qnt.layout<n0 = 8, k0 = 4, pad = 32>}}
  %q = qnt.quantize %x : tensor<8x32xf32> -> !qnt.tensor<8x32xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<n0 = 8, k0 = 4, pad = 32>>
  return
}

// -----

func.func @f(%x: tensor<8x32xf32>) {
  // expected-error @+1 {{lowering handles per_tensor without a layout only}}
  %q = qnt.quantize %x : tensor<8x32xf32> -> !qnt.tensor<8x32xf32, #qnt.scheme<granularity = per_tensor>, #qnt.layout<pad = 64>>
  return
}

// -----

func.func @f(%q: !qnt.tensor<8x32xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<pad = 64>>) {
  // expected-error @+1 {{lowering dequantizes tensors without a layout only}}
  %x = qnt.dequantize %q : !qnt.tensor<8x32xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<pad = 64>> -> tensor<8x32xf32>
  return
}

// -----

func.func @f(%x: tensor<8x32xf32>, %w: tensor<32xf32>) {
  // expected-error @+1 {{lowering quantizes a layer's result per row (per_block or per_token), not per_tensor}}
  %q = qnt.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : tensor<8x32xf32>, tensor<32xf32> -> !qnt.tensor<8x32xf32, #qnt.scheme<granularity = per_tensor>>
  return
}

// -----

func.func @f(%x: tensor<?x32xf32>, %w: !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_block>>) {
  // expected-error @+1 {{has a quantized weight and a float input: run --qnt-insert-act-quant before lowering}}
  %y = qnt.linear %x, %w : tensor<?x32xf32>, !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_block>> -> tensor<?x4xf32>
  return
}

// -----

// Sums per sub-block (sums_block) of whole chunks of 32, or several a chunk.
func.func @f(%x: tensor<?x96xf32>) {
  // expected-error @+1 {{lowering needs a sums_block that is a multiple of 32 or divides it, got 48}}
  %q = qnt.quantize %x : tensor<?x96xf32> -> !qnt.tensor<?x96xf32, #qnt.scheme<granularity = per_block, block = 96, sums = true, sums_block = 48>>
  return
}

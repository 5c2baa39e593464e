// RUN: quant-opt %s --split-input-file --verify-diagnostics

// expected-error @+1 {{bits must be 8, 6 or 4, got 5}}
func.func private @f(!qnt.tensor<4x32xf32, #qnt.scheme<bits = 5, granularity = per_block>>)

// -----

// expected-error @+1 {{axis must be non-negative, got -1}}
func.func private @f(!qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_channel, axis = -1>>)

// -----

// expected-error @+1 {{block size must be positive, got 0}}
func.func private @f(!qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_block, block = 0>>)

// -----

// expected-error @+1 {{scale type must be f16 or f32, got 'bf16'}}
func.func private @f(!qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_block, scale = bf16>>)

// -----

// expected-error @+1 {{u8_offset128 storage needs a symmetric 8-bit scheme}}
func.func private @f(!qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128, symmetric = false>>)

// -----

// expected-error @+1 {{4-bit schemes are stored as u4_offset8, u4 or u4_grid, and only they}}
func.func private @f(!qnt.tensor<4x32xf32, #qnt.scheme<bits = 4, granularity = per_block>>)

// -----

// expected-error @+1 {{4-bit schemes are stored as u4_offset8, u4 or u4_grid, and only they}}
func.func private @f(!qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_block, storage = u4_offset8>>)

// -----

// IQ4_NL's grid indices are 4 bits.
// expected-error @+1 {{4-bit schemes are stored as u4_offset8, u4 or u4_grid, and only they}}
func.func private @f(!qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_block, storage = u4_grid>>)

// -----

// expected-error @+1 {{u4 storage (the nibble as it is) goes with mins, and mins with it}}
func.func private @f(!qnt.tensor<4x32xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4>>)

// -----

// expected-error @+1 {{u4 storage (the nibble as it is) goes with mins, and mins with it}}
func.func private @f(!qnt.tensor<4x32xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8, mins = true>>)

// -----

// expected-error @+1 {{a 4-bit scheme must be symmetric and per_block (GGML Q4_0's values)}}
func.func private @f(!qnt.tensor<4x32xf32, #qnt.scheme<bits = 4, granularity = per_channel, storage = u4_offset8>>)

// -----

// expected-error @+1 {{a 4-bit scheme must be symmetric and per_block (GGML Q4_0's values)}}
func.func private @f(!qnt.tensor<4x32xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8, symmetric = false>>)

// -----

// expected-error @+1 {{4-bit data packs two values a byte: the last dimension 3 is odd}}
func.func private @f(!qnt.tensor<4x3xf32, #qnt.scheme<bits = 4, granularity = per_block, block = 3, storage = u4_offset8>>)

// -----

// expected-error @+1 {{4-bit tiles pack two groups of k0 = 4 columns a byte: 36 stored columns are not a multiple of 8}}
func.func private @f(!qnt.tensor<4x36xf32, #qnt.scheme<bits = 4, granularity = per_block, block = 4, storage = u4_offset8>, #qnt.layout<n0 = 16, k0 = 4, pad = 4>>)

// -----

// expected-error @+1 {{expressed type must be a float type, got 'i32'}}
func.func private @f(!qnt.tensor<4x32xi32, #qnt.scheme<granularity = per_block>>)

// -----

// expected-error @+1 {{per_channel axis 2 out of range for rank 2}}
func.func private @f(!qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_channel, axis = 2>>)

// -----

// expected-error @+1 {{per_block quantization needs a static last dimension}}
func.func private @f(!qnt.tensor<4x?xf32, #qnt.scheme<granularity = per_block>>)

// -----

// expected-error @+1 {{block size 32 does not divide the last dimension 48}}
func.func private @f(!qnt.tensor<4x48xf32, #qnt.scheme<granularity = per_block>>)

// -----

func.func @f(%x: tensor<?x32xf32>, %w: tensor<4x32x1xf32>) {
  // expected-error @+1 {{expects a rank-2 weight, got rank 3}}
  %y = qnt.linear %x, %w : tensor<?x32xf32>, tensor<4x32x1xf32> -> tensor<?x4xf32>
  return
}

// -----

func.func @f(%x: tensor<32xf32>, %w: tensor<4x32xf32>) {
  // expected-error @+1 {{expects a rank-2 input, got rank 1}}
  %y = qnt.linear %x, %w : tensor<32xf32>, tensor<4x32xf32> -> tensor<?x4xf32>
  return
}

// -----

func.func @f(%x: tensor<?x?xf32>, %w: tensor<4x32xf32>) {
  // expected-error @+1 {{expects a static reduction dimension}}
  %y = qnt.linear %x, %w : tensor<?x?xf32>, tensor<4x32xf32> -> tensor<?x4xf32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %w: tensor<4x32xf32>) {
  // expected-error @+1 {{reduction dimensions differ: input has 64, weight has 32}}
  %y = qnt.linear %x, %w : tensor<?x64xf32>, tensor<4x32xf32> -> tensor<?x4xf32>
  return
}

// -----

func.func @f(%x: tensor<?x32xf32>, %w: tensor<4x32xf32>) {
  // expected-error @+1 {{result type 'tensor<?x5xf32>' does not match [?, 4]}}
  %y = qnt.linear %x, %w : tensor<?x32xf32>, tensor<4x32xf32> -> tensor<?x5xf32>
  return
}

// -----

func.func @f(%x: tensor<?x32xf32>, %w: !qnt.tensor<4x32xf16, #qnt.scheme<granularity = per_block>>) {
  // expected-error @+1 {{quantized weight must express f32, got 'f16'}}
  %y = qnt.linear %x, %w : tensor<?x32xf32>, !qnt.tensor<4x32xf16, #qnt.scheme<granularity = per_block>> -> tensor<?x4xf32>
  return
}

// -----

func.func @f() {
  // expected-error @+1 {{a quantized constant must have a static shape}}
  %w = qnt.constant data(dense<0> : tensor<4x32xi8>) scales(dense<1.0> : tensor<4x1xf16>) : !qnt.tensor<?x32xf32, #qnt.scheme<granularity = per_block>>
  return
}

// -----

func.func @f() {
  // expected-error @+1 {{data must have type 'tensor<4x32xi8>', got 'tensor<4x32xi32>'}}
  %w = qnt.constant data(dense<0> : tensor<4x32xi32>) scales(dense<1.0> : tensor<4x1xf16>) : !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_block>>
  return
}

// -----

func.func @f() {
  // expected-error @+1 {{scales must have type 'tensor<4x1xf16>', got 'tensor<4x1xf32>'}}
  %w = qnt.constant data(dense<0> : tensor<4x32xi8>) scales(dense<1.0> : tensor<4x1xf32>) : !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_block>>
  return
}

// -----

func.func @f() {
  // expected-error @+1 {{the scheme keeps sums but none are given}}
  %w = qnt.constant data(dense<0> : tensor<4x32xi8>) scales(dense<1.0> : tensor<4x1xf16>) : !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_block, sums = true>>
  return
}

// -----

func.func @f() {
  // expected-error @+1 {{sums given but the scheme keeps none}}
  %w = qnt.constant data(dense<0> : tensor<4x32xi8>) scales(dense<1.0> : tensor<4x1xf16>) sums(dense<0> : tensor<4x1xi32>) : !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_block>>
  return
}

// -----

func.func @f() {
  // expected-error @+1 {{sums must have type 'tensor<4x1xi32>', got 'tensor<4x2xi32>'}}
  %w = qnt.constant data(dense<0> : tensor<4x32xi8>) scales(dense<1.0> : tensor<4x1xf16>) sums(dense<0> : tensor<4x2xi32>) : !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_block, sums = true>>
  return
}

// -----

func.func @f(%x: tensor<?x32xf32>) {
  // expected-error @+1 {{shapes differ: 'tensor<?x32xf32>' and '!qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_block>>'}}
  %q = qnt.quantize %x : tensor<?x32xf32> -> !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_block>>
  return
}

// -----

func.func @f(%q: !qnt.tensor<4x32xbf16, #qnt.scheme<granularity = per_block>>) {
  // expected-error @+1 {{element type 'f32' differs from the expressed type 'bf16'}}
  %x = qnt.dequantize %q : !qnt.tensor<4x32xbf16, #qnt.scheme<granularity = per_block>> -> tensor<4x32xf32>
  return
}

// -----

func.func @f(%a: !qnt.tensor<?x32xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8>>,
             %w: !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_block>>) {
  // expected-error @+1 {{expects an 8-bit lhs, got 4 bits}}
  %y = qnt.matmul %a, %w : !qnt.tensor<?x32xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8>>, !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_block>> -> tensor<?x4xf32>
  return
}

// -----

// Minimums are corrected with the lhs's plain sums: not with zero points.
func.func @f(%a: !qnt.tensor<?x32xf32, #qnt.scheme<granularity = per_block, symmetric = false, sums = true>>,
             %w: !qnt.tensor<4x32xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4, sums = true, mins = true>>) {
  // expected-error @+1 {{an rhs with mins needs a symmetric lhs (its sums correct the minimums)}}
  %y = qnt.matmul %a, %w : !qnt.tensor<?x32xf32, #qnt.scheme<granularity = per_block, symmetric = false, sums = true>>, !qnt.tensor<4x32xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4, sums = true, mins = true>> -> tensor<?x4xf32>
  return
}

// -----

// A 4-bit rhs (u4 + 8) is corrected with the lhs's per-block sums too.
func.func @f(%a: !qnt.tensor<?x32xf32, #qnt.scheme<granularity = per_block>>,
             %w: !qnt.tensor<4x32xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8>>) {
  // expected-error @+1 {{a u4_offset8 rhs needs lhs sums per group of 32}}
  %y = qnt.matmul %a, %w : !qnt.tensor<?x32xf32, #qnt.scheme<granularity = per_block>>, !qnt.tensor<4x32xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8>> -> tensor<?x4xf32>
  return
}

// -----

// An asymmetric lhs is corrected with the rhs's sums: without them, no.
func.func @f(%a: !qnt.tensor<?x32xf32, #qnt.scheme<granularity = per_token, symmetric = false>>,
             %w: !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_block>>) {
  // expected-error @+1 {{an asymmetric lhs needs rhs sums per group of 32}}
  %y = qnt.matmul %a, %w : !qnt.tensor<?x32xf32, #qnt.scheme<granularity = per_token, symmetric = false>>, !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_block>> -> tensor<?x4xf32>
  return
}

// -----

// Per-block zero points against a weight's whole-row sums do not line up.
func.func @f(%a: !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, symmetric = false>>,
             %w: !qnt.tensor<4x64xf32, #qnt.scheme<granularity = per_channel, sums = true>>) {
  // expected-error @+1 {{an asymmetric lhs needs rhs sums per group of 32}}
  %y = qnt.matmul %a, %w : !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, symmetric = false>>, !qnt.tensor<4x64xf32, #qnt.scheme<granularity = per_channel, sums = true>> -> tensor<?x4xf32>
  return
}

// -----

func.func @f(%a: !qnt.tensor<?x32xf32, #qnt.scheme<granularity = per_token>>,
             %w: !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_block, symmetric = false>>) {
  // expected-error @+1 {{expects a symmetric rhs}}
  %y = qnt.matmul %a, %w : !qnt.tensor<?x32xf32, #qnt.scheme<granularity = per_token>>, !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_block, symmetric = false>> -> tensor<?x4xf32>
  return
}

// -----

func.func @f(%a: !qnt.tensor<?x32xf32, #qnt.scheme<granularity = per_token>>,
             %w: !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_channel, axis = 1>>) {
  // expected-error @+1 {{scales must not vary along the reduction axis (per_channel axis must be 0)}}
  %y = qnt.matmul %a, %w : !qnt.tensor<?x32xf32, #qnt.scheme<granularity = per_token>>, !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_channel, axis = 1>> -> tensor<?x4xf32>
  return
}

// -----

func.func @f(%a: !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, block = 64>>,
             %w: !qnt.tensor<4x64xf32, #qnt.scheme<granularity = per_block>>) {
  // expected-error @+1 {{block sizes differ: 64 and 32}}
  %y = qnt.matmul %a, %w : !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, block = 64>>, !qnt.tensor<4x64xf32, #qnt.scheme<granularity = per_block>> -> tensor<?x4xf32>
  return
}

// -----

func.func @f(%a: !qnt.tensor<?x32xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>>,
             %w: !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_block>>) {
  // expected-error @+1 {{lhs must be stored as i8}}
  %y = qnt.matmul %a, %w : !qnt.tensor<?x32xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>>, !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_block>> -> tensor<?x4xf32>
  return
}

// -----

// Per-token sums cannot correct per-block u8 weights: the correction is per block.
func.func @f(%a: !qnt.tensor<?x32xf32, #qnt.scheme<granularity = per_token, sums = true>>,
             %w: !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>>) {
  // expected-error @+1 {{a u8_offset128 rhs needs lhs sums per group of 32}}
  %y = qnt.matmul %a, %w : !qnt.tensor<?x32xf32, #qnt.scheme<granularity = per_token, sums = true>>, !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>> -> tensor<?x4xf32>
  return
}

// -----

func.func @f(%a: !qnt.tensor<?x32xf32, #qnt.scheme<granularity = per_block>>,
             %w: !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>>) {
  // expected-error @+1 {{a u8_offset128 rhs needs lhs sums per group of 32}}
  %y = qnt.matmul %a, %w : !qnt.tensor<?x32xf32, #qnt.scheme<granularity = per_block>>, !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>> -> tensor<?x4xf32>
  return
}

// -----

func.func @f() {
  // expected-error @+1 {{the scheme keeps zero points but none are given}}
  %w = qnt.constant data(dense<0> : tensor<4x32xi8>) scales(dense<1.0> : tensor<4x1xf16>) : !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_channel, symmetric = false>>
  return
}

// -----

func.func @f() {
  // expected-error @+1 {{zero points given but the scheme keeps none}}
  %w = qnt.constant data(dense<0> : tensor<4x32xi8>) scales(dense<1.0> : tensor<4x1xf16>) zero_points(dense<3> : tensor<4x1xi32>) : !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_channel>>
  return
}

// -----

func.func @f() {
  // expected-error @+1 {{zero points must have type 'tensor<4x1xi32>', got 'tensor<4x1xi8>'}}
  %w = qnt.constant data(dense<0> : tensor<4x32xi8>) scales(dense<1.0> : tensor<4x1xf16>) zero_points(dense<3> : tensor<4x1xi8>) : !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_channel, symmetric = false>>
  return
}

// -----

func.func @f(%t: tensor<300xf32>, %ids: tensor<?xi32>) {
  // expected-error @+1 {{expects a [V, D] table with a static D}}
  %x = qnt.embedding %t, %ids : tensor<300xf32>, tensor<?xi32> -> tensor<?x64xf32>
  return
}

// -----

func.func @f(%t: tensor<300x64xf32>, %ids: tensor<2x3xi32>) {
  // expected-error @+1 {{expects rank-1 tokens}}
  %x = qnt.embedding %t, %ids : tensor<300x64xf32>, tensor<2x3xi32> -> tensor<?x64xf32>
  return
}

// -----

func.func @f(%t: tensor<300x64xf32>, %ids: tensor<?xi32>) {
  // expected-error @+1 {{result must be [tokens, 64]}}
  %x = qnt.embedding %t, %ids : tensor<300x64xf32>, tensor<?xi32> -> tensor<?x32xf32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %w: tensor<32xf32>) {
  // expected-error @+1 {{weight must be [64], got 'tensor<32xf32>'}}
  %y = qnt.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : tensor<?x64xf32>, tensor<32xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @f(%x: tensor<?x?xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{expects a static last dimension for input}}
  %y = qnt.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : tensor<?x?xf32>, tensor<64xf32> -> tensor<?x?xf32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{epsilon must be positive}}
  %y = qnt.rms_norm %x, %w {epsilon = 0.0 : f32} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{result type must equal the input type}}
  %y = qnt.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : tensor<?x64xf32>, tensor<64xf32> -> tensor<4x64xf32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %p: index) {
  // expected-error @+1 {{head_dim 24 must divide 64}}
  %y = qnt.rope %x, %p {head_dim = 24, rope_dim = 8, base = 1.0e+04 : f32} : tensor<?x64xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %p: index) {
  // expected-error @+1 {{rope_dim must be even, positive and at most head_dim}}
  %y = qnt.rope %x, %p {head_dim = 16, rope_dim = 7, base = 1.0e+04 : f32} : tensor<?x64xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %p: index) {
  // expected-error @+1 {{base must be positive}}
  %y = qnt.rope %x, %p {head_dim = 16, rope_dim = 16, base = -1.0 : f32} : tensor<?x64xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %p: index) {
  // expected-error @+1 {{result type must equal the input type}}
  %y = qnt.rope %x, %p {head_dim = 16, rope_dim = 16, base = 1.0e+04 : f32} : tensor<?x64xf32> -> tensor<2x64xf32>
  return
}

// -----

func.func @f(%q: tensor<?x64xf32>, %k: tensor<128x32xf32>, %p: index) {
  // expected-error @+1 {{num_heads must be a positive multiple of num_kv_heads}}
  %a = qnt.attention %q, %k, %k, %p {num_heads = 4, num_kv_heads = 3, scale = 0.25 : f32} : tensor<?x64xf32>, tensor<128x32xf32>, tensor<128x32xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @f(%q: tensor<?x64xf32>, %k: tensor<128x32xf32>, %p: index) {
  // expected-error @+1 {{num_heads 6 must divide 64}}
  %a = qnt.attention %q, %k, %k, %p {num_heads = 6, num_kv_heads = 2, scale = 0.25 : f32} : tensor<?x64xf32>, tensor<128x32xf32>, tensor<128x32xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @f(%q: tensor<?x64xf32>, %k: tensor<128x32xf32>, %v: tensor<64x32xf32>, %p: index) {
  // expected-error @+1 {{keys and values must have the same type}}
  %a = qnt.attention %q, %k, %v, %p {num_heads = 4, num_kv_heads = 2, scale = 0.25 : f32} : tensor<?x64xf32>, tensor<128x32xf32>, tensor<64x32xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @f(%q: tensor<?x64xf32>, %k: tensor<128x32xf16>, %v: tensor<128x32xf32>, %p: index) {
  // expected-error @+1 {{keys and values must have the same type}}
  %a = qnt.attention %q, %k, %v, %p {num_heads = 4, num_kv_heads = 2, scale = 0.25 : f32} : tensor<?x64xf32>, tensor<128x32xf16>, tensor<128x32xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @f(%q: tensor<?x64xf32>, %k: tensor<128x32xi8>, %p: index) {
  // expected-error @+1 {{i8 keys and values (a q8_0 cache) go with key and value scales, and only they}}
  %a = qnt.attention %q, %k, %k, %p {num_heads = 4, num_kv_heads = 2, scale = 0.25 : f32} : tensor<?x64xf32>, tensor<128x32xi8>, tensor<128x32xi8> -> tensor<?x64xf32>
  return
}

// -----

func.func @f(%q: tensor<?x64xf32>, %k: tensor<128x32xf16>, %s: tensor<128x1xf16>, %p: index) {
  // expected-error @+1 {{i8 keys and values (a q8_0 cache) go with key and value scales, and only they}}
  %a = qnt.attention %q, %k, %k, %p scales(%s, %s) {num_heads = 4, num_kv_heads = 2, scale = 0.25 : f32} : tensor<?x64xf32>, tensor<128x32xf16>, tensor<128x32xf16>, tensor<128x1xf16>, tensor<128x1xf16> -> tensor<?x64xf32>
  return
}

// -----

func.func @f(%q: tensor<?x64xf32>, %k: tensor<128x32xi8>, %s: tensor<128x2xf16>, %p: index) {
  // expected-error @+1 {{scales must be [128, 1] (a scale per block of 32), got 'tensor<128x2xf16>'}}
  %a = qnt.attention %q, %k, %k, %p scales(%s, %s) {num_heads = 4, num_kv_heads = 2, scale = 0.25 : f32} : tensor<?x64xf32>, tensor<128x32xi8>, tensor<128x32xi8>, tensor<128x2xf16>, tensor<128x2xf16> -> tensor<?x64xf32>
  return
}

// -----

func.func @f(%q: tensor<?x32xf32>, %k: tensor<128x16xi8>, %s: tensor<128x1xf16>, %p: index) {
  // expected-error @+1 {{a q8_0 cache needs rows of whole blocks of 32, got 16}}
  %a = qnt.attention %q, %k, %k, %p scales(%s, %s) {num_heads = 4, num_kv_heads = 2, scale = 0.25 : f32} : tensor<?x32xf32>, tensor<128x16xi8>, tensor<128x16xi8>, tensor<128x1xf16>, tensor<128x1xf16> -> tensor<?x32xf32>
  return
}

// -----

func.func @f(%q: tensor<?x64xf32>, %k: tensor<128x32xi8>, %s: tensor<128x1xf16>, %t: tensor<128x1xf32>, %p: index) {
  // expected-error @+1 {{operand #5 must be ranked tensor of 16-bit float values}}
  %a = qnt.attention %q, %k, %k, %p scales(%s, %t) {num_heads = 4, num_kv_heads = 2, scale = 0.25 : f32} : tensor<?x64xf32>, tensor<128x32xi8>, tensor<128x32xi8>, tensor<128x1xf16>, tensor<128x1xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @f(%q: tensor<?x64xf32>, %k: tensor<128x32xbf16>, %p: index) {
  // expected-error @+1 {{operand #1 must be ranked tensor of 32-bit float or 16-bit float or 8-bit signless integer values}}
  %a = qnt.attention %q, %k, %k, %p {num_heads = 4, num_kv_heads = 2, scale = 0.25 : f32} : tensor<?x64xf32>, tensor<128x32xbf16>, tensor<128x32xbf16> -> tensor<?x64xf32>
  return
}

// -----

func.func @f(%q: tensor<?x64xf32>, %k: tensor<128x48xf32>, %p: index) {
  // expected-error @+1 {{keys must have 32 columns (num_kv_heads x head size)}}
  %a = qnt.attention %q, %k, %k, %p {num_heads = 4, num_kv_heads = 2, scale = 0.25 : f32} : tensor<?x64xf32>, tensor<128x48xf32>, tensor<128x48xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @f(%q: tensor<?x64xf32>, %k: tensor<128x32xf32>, %p: index) {
  // expected-error @+1 {{result type must equal the query type}}
  %a = qnt.attention %q, %k, %k, %p {num_heads = 4, num_kv_heads = 2, scale = 0.25 : f32} : tensor<?x64xf32>, tensor<128x32xf32>, tensor<128x32xf32> -> tensor<1x64xf32>
  return
}

// -----

func.func @f(%q: tensor<?x64xf32>, %k: tensor<128xf32>, %p: index) {
  // expected-error @+1 {{expects keys of rank 2 ([positions, num_kv_heads x head size]) or 3 ([num_kv_heads, positions, head size]), got 'tensor<128xf32>'}}
  %a = qnt.attention %q, %k, %k, %p {num_heads = 4, num_kv_heads = 2, scale = 0.25 : f32} : tensor<?x64xf32>, tensor<128xf32>, tensor<128xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @f(%q: tensor<?x64xf32>, %k: tensor<4x128x16xf16>, %p: index) {
  // expected-error @+1 {{head-major keys must be [2, positions, 16], got 'tensor<4x128x16xf16>'}}
  %a = qnt.attention %q, %k, %k, %p {num_heads = 4, num_kv_heads = 2, scale = 0.25 : f32} : tensor<?x64xf32>, tensor<4x128x16xf16>, tensor<4x128x16xf16> -> tensor<?x64xf32>
  return
}

// -----

func.func @f(%q: tensor<?x128xf32>, %k: tensor<2x128x32xi8>, %s: tensor<128x2xf16>, %p: index) {
  // expected-error @+1 {{scales must be [2, 128, 1] (a scale per block of 32), got 'tensor<128x2xf16>'}}
  %a = qnt.attention %q, %k, %k, %p scales(%s, %s) {num_heads = 4, num_kv_heads = 2, scale = 0.25 : f32} : tensor<?x128xf32>, tensor<2x128x32xi8>, tensor<2x128x32xi8>, tensor<128x2xf16>, tensor<128x2xf16> -> tensor<?x128xf32>
  return
}

// -----

func.func @f(%g: tensor<64xf32>) {
  // expected-error @+1 {{expects a rank-2 gate}}
  %s = qnt.silu_mul %g, %g : tensor<64xf32> -> tensor<64xf32>
  return
}

// -----

func.func @f(%d: tensor<2x64xi8>) {
  // expected-error @+1 {{expects 2 components (data, scales, ...), got 1}}
  %q = qnt.pack %d : tensor<2x64xi8> -> !qnt.tensor<2x64xf32, #qnt.scheme<granularity = per_block>>
  return
}

// -----

func.func @f(%d: tensor<2x64xi8>, %s: tensor<2x2xf32>) {
  // expected-error @+1 {{component 1 must have type 'tensor<2x2xf16>', got 'tensor<2x2xf32>'}}
  %q = qnt.pack %d, %s : tensor<2x64xi8>, tensor<2x2xf32> -> !qnt.tensor<2x64xf32, #qnt.scheme<granularity = per_block>>
  return
}

// -----

// expected-error @+1 {{vector_bits must be 128, 256 or 512, got 64}}
module attributes {qnt.target = #qnt.target<vector_bits = 64, dot = generic>} {}

// -----

// expected-error @+1 {{registers must be 16 or 32, got 8}}
module attributes {qnt.target = #qnt.target<vector_bits = 128, dot = generic, registers = 8>} {}

// -----

// expected-error @+1 {{the maddubs dot is AVX2's: vector_bits must be 256}}
module attributes {qnt.target = #qnt.target<vector_bits = 512, dot = maddubs>} {}

// -----

// expected-error @+1 {{the vnni dot needs 256 or 512 vector_bits}}
module attributes {qnt.target = #qnt.target<vector_bits = 128, dot = vnni>} {}

// -----

// expected-error @+1 {{n0 and k0 must both be positive (tiled) or both 0, got 32 and 0}}
func.func @f(%w: !qnt.tensor<32x64xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<n0 = 32>>)

// -----

// expected-error @+1 {{pad must be positive, got 0}}
func.func @f(%w: !qnt.tensor<32x64xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<pad = 0>>)

// -----

// expected-error @+1 {{k0 4 must divide pad 6}}
func.func @f(%w: !qnt.tensor<32x64xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<n0 = 8, k0 = 4, pad = 6>>)

// -----

// expected-error @+1 {{records are a tiled layout's: n0 and k0 must be set}}
func.func @f(%w: !qnt.tensor<32x64xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<pad = 32, records = true>>)

// -----

// expected-error @+1 {{records group a per_block scheme's components}}
func.func @f(%w: !qnt.tensor<32x64xf32, #qnt.scheme<granularity = per_channel>, #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>>)

// -----

func.func @f() {
  // expected-error @+1 {{holds its components one by one: a layout with records is qnt.pack of the records tensor}}
  %q = qnt.constant data(dense<1> : tensor<1x64x32x4xi8>) scales(dense<1.0> : tensor<1x8x32xf16>) : !qnt.tensor<32x256xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>>
  return
}

// -----

// A records type is one tensor [tiles, records, bytes]: Q8_0 in tiles of 32
// channels, 1024 bytes and 32 f16 scales a group.
func.func @f(%d: tensor<1x64x32x4xi8>, %s: tensor<1x8x32xf16>) {
  // expected-error @+1 {{expects 1 components (data, scales, ...), got 2}}
  %q = qnt.pack %d, %s : tensor<1x64x32x4xi8>, tensor<1x8x32xf16> -> !qnt.tensor<32x256xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>>
  return
}

// -----

func.func @f(%r: tensor<1x8x1024xi8>) {
  // expected-error @+1 {{component 0 must have type 'tensor<1x8x1088xi8>', got 'tensor<1x8x1024xi8>'}}
  %q = qnt.pack %r : tensor<1x8x1024xi8> -> !qnt.tensor<32x256xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>>
  return
}

// -----

func.func @f(%a: tensor<4x256xi8>, %s: tensor<4x8xf32>, %r: tensor<8x1088xi8>, %i: tensor<4x32xf32>) {
  // expected-error @+1 {{a records tile needs rhs_type, a !qnt.tensor type with records}}
  %t = qnt.matmul_tile %a, %s, records(%r), %i {dot = #qnt<dot_kind generic>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage i8>}
       : (tensor<4x256xi8>, tensor<4x8xf32>, tensor<8x1088xi8>, tensor<4x32xf32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @f(%a: tensor<4x256xi8>, %s: tensor<4x8xf32>, %r: tensor<8x1024xi8>, %i: tensor<4x32xf32>) {
  // expected-error @+1 {{rhs records must be 'tensor<8x1088xi8>', a row tile of}}
  %t = qnt.matmul_tile %a, %s, records(%r), %i {dot = #qnt<dot_kind generic>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage i8>,
                                               rhs_type = !qnt.tensor<32x256xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>>}
       : (tensor<4x256xi8>, tensor<4x8xf32>, tensor<8x1024xi8>, tensor<4x32xf32>) -> tensor<4x32xf32>
  return
}

// -----

// Two weight tiles (streams) write an output [m0, 2, w].
func.func @f(%a: tensor<4x256xi8>, %s: tensor<4x8xf32>, %r: tensor<8x1088xi8>, %r2: tensor<8x1088xi8>, %i: tensor<4x32xf32>) {
  // expected-error @+1 {{init must be [m0, S, w] for S weight tiles, got 'tensor<4x32xf32>'}}
  %t = qnt.matmul_tile %a, %s, records(%r, %r2), %i {dot = #qnt<dot_kind generic>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage i8>,
                                                    rhs_type = !qnt.tensor<64x256xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>>}
       : (tensor<4x256xi8>, tensor<4x8xf32>, tensor<8x1088xi8>, tensor<8x1088xi8>, tensor<4x32xf32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @f(%a: tensor<4x256xi8>, %s: tensor<4x8xf32>, %r: tensor<8x1088xi8>, %r2: tensor<8x1088xi8>, %i: tensor<4x3x32xf32>) {
  // expected-error @+1 {{init must be [m0, S, w] for S weight tiles, got 'tensor<4x3x32xf32>'}}
  %t = qnt.matmul_tile %a, %s, records(%r, %r2), %i {dot = #qnt<dot_kind generic>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage i8>,
                                                    rhs_type = !qnt.tensor<64x256xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>>}
       : (tensor<4x256xi8>, tensor<4x8xf32>, tensor<8x1088xi8>, tensor<8x1088xi8>, tensor<4x3x32xf32>) -> tensor<4x3x32xf32>
  return
}

// -----

func.func @f(%a: tensor<4x256xi8>, %s: tensor<4x8xf32>, %r: tensor<8x1088xi8>, %i: tensor<4x1x32xf32>) {
  // expected-error @+1 {{init must be [m0, w], got 'tensor<4x1x32xf32>'}}
  %t = qnt.matmul_tile %a, %s, records(%r), %i {dot = #qnt<dot_kind generic>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage i8>,
                                                    rhs_type = !qnt.tensor<32x256xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>>}
       : (tensor<4x256xi8>, tensor<4x8xf32>, tensor<8x1088xi8>, tensor<4x1x32xf32>) -> tensor<4x1x32xf32>
  return
}

// -----

func.func @f(%a: tensor<4x256xi8>, %s: tensor<4x8xf32>, %r: tensor<8x1088xi8>, %r2: tensor<8x1088xi8>, %i: tensor<4x2x40xf32>) {
  // expected-error @+1 {{output tile is wider than n0 = 32}}
  %t = qnt.matmul_tile %a, %s, records(%r, %r2), %i {dot = #qnt<dot_kind generic>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage i8>,
                                                    rhs_type = !qnt.tensor<64x256xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>>}
       : (tensor<4x256xi8>, tensor<4x8xf32>, tensor<8x1088xi8>, tensor<8x1088xi8>, tensor<4x2x40xf32>) -> tensor<4x2x40xf32>
  return
}

// -----

func.func @f(%a: tensor<4x256xi8>, %s: tensor<4x8xf32>, %r: tensor<8x1088xi8>, %i: tensor<4x32xf32>) {
  // expected-error @+1 {{rhs_storage differs from rhs_type's}}
  %t = qnt.matmul_tile %a, %s, records(%r), %i {dot = #qnt<dot_kind generic>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage u8_offset128>,
                                               rhs_type = !qnt.tensor<32x256xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>>}
       : (tensor<4x256xi8>, tensor<4x8xf32>, tensor<8x1088xi8>, tensor<4x32xf32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @f(%a: tensor<4x64xi8>, %s: tensor<4x2xf32>, %w: tensor<16x128xi8>, %ws: tensor<2x32xf16>, %i: tensor<4x32xf32>) {
  // expected-error @+1 {{rhs_type is for a records tile only}}
  %t = qnt.matmul_tile %a, %s, %w, %ws, %i {dot = #qnt<dot_kind generic>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage i8>,
                                            rhs_type = !qnt.tensor<32x64xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>>}
       : (tensor<4x64xi8>, tensor<4x2xf32>, tensor<16x128xi8>, tensor<2x32xf16>, tensor<4x32xf32>) -> tensor<4x32xf32>
  return
}

// -----

// expected-error @+1 {{a layout needs a rank-2 tensor, got rank 3}}
func.func @f(%w: !qnt.tensor<2x32x64xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<pad = 32>>)

// -----

// expected-error @+1 {{a layout needs a static last dimension}}
func.func @f(%w: !qnt.tensor<32x?xf32, #qnt.scheme<granularity = per_token>, #qnt.layout<pad = 32>>)

// -----

// expected-error @+1 {{a tiled layout needs a static first dimension}}
func.func @f(%w: !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<n0 = 8, k0 = 4, pad = 32>>)

// -----

// expected-error @+1 {{a tiled layout needs per_block or per_channel (axis 0) scales}}
func.func @f(%w: !qnt.tensor<8x64xf32, #qnt.scheme<granularity = per_token>, #qnt.layout<n0 = 8, k0 = 4, pad = 32>>)

// -----

// expected-error @+1 {{block size 64 does not divide the last dimension 96 (padded)}}
func.func @f(%w: !qnt.tensor<8x72xf32, #qnt.scheme<granularity = per_block, block = 64>, #qnt.layout<pad = 32>>)

// -----

func.func @f(%w: !qnt.tensor<8x64xf32, #qnt.scheme<granularity = per_block>>) {
  // expected-error @+1 {{expects 2 components (data, scales, ...), got 1}}
  %d = qnt.unpack %w : !qnt.tensor<8x64xf32, #qnt.scheme<granularity = per_block>> -> tensor<8x64xi8>
  return
}

// -----

func.func @f(%w: !qnt.tensor<8x64xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<n0 = 8, k0 = 4, pad = 32>>) {
  // expected-error @+1 {{component 0 must have type 'tensor<1x16x8x4xi8>', got 'tensor<8x64xi8>'}}
  %d, %s = qnt.unpack %w : !qnt.tensor<8x64xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<n0 = 8, k0 = 4, pad = 32>> -> tensor<8x64xi8>, tensor<1x2x8xf16>
  return
}

// -----

func.func @f(%a: !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32>>,
             %w: !qnt.tensor<8x64xf32, #qnt.scheme<granularity = per_block>>, %r: tensor<?x4xf32>) {
  // expected-error @+1 {{acc must have the result's type 'tensor<?x8xf32>', got 'tensor<?x4xf32>'}}
  %y = qnt.matmul %a, %w acc %r : !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32>>, !qnt.tensor<8x64xf32, #qnt.scheme<granularity = per_block>>, tensor<?x4xf32> -> tensor<?x8xf32>
  return
}

// -----

func.func @f(%a: !qnt.tensor<?x48xf32, #qnt.scheme<granularity = per_token, scale = f32>>,
             %w: !qnt.tensor<8x48xf32, #qnt.scheme<granularity = per_channel>, #qnt.layout<n0 = 8, k0 = 4, pad = 32>>) {
  // expected-error @+1 {{stored reduction lengths differ: 48 and 64 (the two layouts must pad alike)}}
  %y = qnt.matmul %a, %w : !qnt.tensor<?x48xf32, #qnt.scheme<granularity = per_token, scale = f32>>, !qnt.tensor<8x48xf32, #qnt.scheme<granularity = per_channel>, #qnt.layout<n0 = 8, k0 = 4, pad = 32>> -> tensor<?x8xf32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{a quantized result must be a rank-2 i8 activation (row-major), got '!qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>>'}}
  %q = qnt.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : tensor<?x64xf32>, tensor<64xf32> -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>) {
  // expected-error @+1 {{shapes differ: 'tensor<?x64xf32>' and '!qnt.tensor<?x32xf32, #qnt.scheme<granularity = per_block>>'}}
  %q = qnt.silu_mul %x, %x : tensor<?x64xf32> -> !qnt.tensor<?x32xf32, #qnt.scheme<granularity = per_block>>
  return
}

// -----

// The micro-kernel's operands: [m0, K'] activations, [K'/4, 4 n0] weights.
func.func @f(%a: tensor<4x?xi8>, %s: tensor<4x2xf32>, %w: tensor<16x128xi8>, %ws: tensor<2x32xf16>, %i: tensor<4x?xf32>) {
  // expected-error @+1 {{expects static tile shapes (only the output width may be dynamic)}}
  %t = qnt.matmul_tile %a, %s, %w, %ws, %i {dot = #qnt<dot_kind generic>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage i8>}
       : (tensor<4x?xi8>, tensor<4x2xf32>, tensor<16x128xi8>, tensor<2x32xf16>, tensor<4x?xf32>) -> tensor<4x?xf32>
  return
}

// -----

func.func @f(%a: tensor<4x64xi8>, %s: tensor<3x2xf32>, %w: tensor<16x128xi8>, %ws: tensor<2x32xf16>, %i: tensor<4x32xf32>) {
  // expected-error @+1 {{lhs data and scales must have 4 rows}}
  %t = qnt.matmul_tile %a, %s, %w, %ws, %i {dot = #qnt<dot_kind generic>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage i8>}
       : (tensor<4x64xi8>, tensor<3x2xf32>, tensor<16x128xi8>, tensor<2x32xf16>, tensor<4x32xf32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @f(%a: tensor<4x64xi8>, %s: tensor<4x2xf32>, %w: tensor<16x128xi8>, %ws: tensor<2x32xf16>, %i: tensor<4x32xf32>) {
  // expected-error @+1 {{n0 32 must be a multiple of lanes 12}}
  %t = qnt.matmul_tile %a, %s, %w, %ws, %i {dot = #qnt<dot_kind generic>, group = 32 : i64, lanes = 12 : i64, rhs_storage = #qnt<storage i8>}
       : (tensor<4x64xi8>, tensor<4x2xf32>, tensor<16x128xi8>, tensor<2x32xf16>, tensor<4x32xf32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @f(%a: tensor<4x64xi8>, %s: tensor<4x2xf32>, %w: tensor<16x64xi8>, %ws: tensor<2x32xf16>, %i: tensor<4x32xf32>) {
  // expected-error @+1 {{rhs data must be [16, 128] for K' = 64}}
  %t = qnt.matmul_tile %a, %s, %w, %ws, %i {dot = #qnt<dot_kind generic>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage i8>}
       : (tensor<4x64xi8>, tensor<4x2xf32>, tensor<16x64xi8>, tensor<2x32xf16>, tensor<4x32xf32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @f(%a: tensor<4x64xi8>, %s: tensor<4x2xf32>, %w: tensor<16x128xi8>, %ws: tensor<2x32xf16>, %i: tensor<4x32xf32>) {
  // expected-error @+1 {{group 24 must be a multiple of 4 dividing 64}}
  %t = qnt.matmul_tile %a, %s, %w, %ws, %i {dot = #qnt<dot_kind generic>, group = 24 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage i8>}
       : (tensor<4x64xi8>, tensor<4x2xf32>, tensor<16x128xi8>, tensor<2x32xf16>, tensor<4x32xf32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @f(%a: tensor<4x64xi8>, %s: tensor<4x3xf32>, %w: tensor<16x128xi8>, %ws: tensor<2x32xf16>, %i: tensor<4x32xf32>) {
  // expected-error @+1 {{lhs scales must have 1 or 2 groups (or a divisor of it, with sums per group), got 3}}
  %t = qnt.matmul_tile %a, %s, %w, %ws, %i {dot = #qnt<dot_kind generic>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage i8>}
       : (tensor<4x64xi8>, tensor<4x3xf32>, tensor<16x128xi8>, tensor<2x32xf16>, tensor<4x32xf32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @f(%a: tensor<4x64xi8>, %s: tensor<4x2xf32>, %w: tensor<16x128xi8>, %ws: tensor<2x32xf16>, %i: tensor<4x40xf32>) {
  // expected-error @+1 {{output tile is wider than n0 = 32}}
  %t = qnt.matmul_tile %a, %s, %w, %ws, %i {dot = #qnt<dot_kind generic>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage i8>}
       : (tensor<4x64xi8>, tensor<4x2xf32>, tensor<16x128xi8>, tensor<2x32xf16>, tensor<4x40xf32>) -> tensor<4x40xf32>
  return
}

// -----

func.func @f(%a: tensor<4x64xi8>, %s: tensor<4x2xf32>, %w: tensor<16x128xi8>, %ws: tensor<2x32xf16>, %i: tensor<4x32xf32>) {
  // expected-error @+1 {{an offset rhs (u8_offset128, u4_offset8, u6_offset32, u4_grid) or one with mins (u4) needs lhs sums}}
  %t = qnt.matmul_tile %a, %s, %w, %ws, %i {dot = #qnt<dot_kind vnni>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage u8_offset128>}
       : (tensor<4x64xi8>, tensor<4x2xf32>, tensor<16x128xi8>, tensor<2x32xf16>, tensor<4x32xf32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @f(%a: tensor<4x64xi8>, %s: tensor<4x2xf32>, %u: tensor<4x2xi32>, %w: tensor<16x128xi8>, %ws: tensor<2x32xf16>, %i: tensor<4x32xf32>) {
  // expected-error @+1 {{lhs sums are only for an offset rhs or one with mins}}
  %t = qnt.matmul_tile %a, %s sums %u, %w, %ws, %i {dot = #qnt<dot_kind generic>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage i8>}
       : (tensor<4x64xi8>, tensor<4x2xf32>, tensor<4x2xi32>, tensor<16x128xi8>, tensor<2x32xf16>, tensor<4x32xf32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @f(%a: tensor<4x64xi8>, %s: tensor<4x2xf32>, %u: tensor<4x1xi32>, %w: tensor<16x128xi8>, %ws: tensor<2x32xf16>, %i: tensor<4x32xf32>) {
  // expected-error @+1 {{lhs sums must be i32 of the lhs scales' shape}}
  %t = qnt.matmul_tile %a, %s sums %u, %w, %ws, %i {dot = #qnt<dot_kind vnni>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage u8_offset128>}
       : (tensor<4x64xi8>, tensor<4x2xf32>, tensor<4x1xi32>, tensor<16x128xi8>, tensor<2x32xf16>, tensor<4x32xf32>) -> tensor<4x32xf32>
  return
}

// -----

// Scales spanning two groups (a super-block's) need the sums per group, not
// per scale.
func.func @f(%a: tensor<4x128xi8>, %s: tensor<4x2xf32>, %u: tensor<4x2xi32>, %w: tensor<32x128xi8>, %ws: tensor<4x32xf16>, %i: tensor<4x32xf32>) {
  // expected-error @+1 {{lhs scales must have 1 or 4 groups (or a divisor of it, with sums per group), got 2}}
  %t = qnt.matmul_tile %a, %s sums %u, %w, %ws, %i {dot = #qnt<dot_kind vnni>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage u8_offset128>}
       : (tensor<4x128xi8>, tensor<4x2xf32>, tensor<4x2xi32>, tensor<32x128xi8>, tensor<4x32xf16>, tensor<4x32xf32>) -> tensor<4x32xf32>
  return
}

// -----

// sums_block: finer sums than scales, only with sums, per block, dividing it.
// expected-error @+1 {{sums_block 32 needs sums, per_block, and a block that is a larger multiple of it, got block 256}}
func.func private @f(!qnt.tensor<4x256xf32, #qnt.scheme<granularity = per_block, block = 256, sums_block = 32>>)

// -----

// expected-error @+1 {{sums_block 48 needs sums, per_block, and a block that is a larger multiple of it, got block 256}}
func.func private @f(!qnt.tensor<4x256xf32, #qnt.scheme<granularity = per_block, block = 256, sums = true, sums_block = 48>>)

// -----

// expected-error @+1 {{sums_block 32 needs sums, per_block, and a block that is a larger multiple of it, got block 32}}
func.func private @f(!qnt.tensor<4x256xf32, #qnt.scheme<granularity = per_block, sums = true, sums_block = 32>>)

// -----

// expected-error @+1 {{sums_block must be non-negative, got -32}}
func.func private @f(!qnt.tensor<4x256xf32, #qnt.scheme<granularity = per_block, block = 256, sums = true, sums_block = -32>>)

// -----

// An activation scale may span several weight blocks only with its sums per
// weight block.
func.func @f(%a: !qnt.tensor<?x512xf32, #qnt.scheme<granularity = per_block, block = 256, scale = f32, sums = true, sums_block = 64>>,
             %w: !qnt.tensor<32x512xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4, mins = true, super_block = 256>>) {
  // expected-error @+1 {{block sizes differ: 256 and 32 (sums_block 64 must be the rhs block)}}
  %y = qnt.matmul %a, %w : !qnt.tensor<?x512xf32, #qnt.scheme<granularity = per_block, block = 256, scale = f32, sums = true, sums_block = 64>>, !qnt.tensor<32x512xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4, mins = true, super_block = 256>> -> tensor<?x32xf32>
  return
}

// -----

func.func @f(%a: tensor<4x64xi8>, %s: tensor<4x2xf32>, %w: tensor<16x128xi8>, %ws: tensor<2x32xf16>, %i: tensor<4x32xf32>) {
  // expected-error @+1 {{the vnni dot multiplies an unsigned rhs (u8_offset128, u4_offset8, u4, u6_offset32, u4_grid)}}
  %t = qnt.matmul_tile %a, %s, %w, %ws, %i {dot = #qnt<dot_kind vnni>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage i8>}
       : (tensor<4x64xi8>, tensor<4x2xf32>, tensor<16x128xi8>, tensor<2x32xf16>, tensor<4x32xf32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @f(%a: tensor<4x64xi8>, %s: tensor<4x2xf32>, %u: tensor<4x2xi32>, %w: tensor<16x128xi8>, %ws: tensor<2x32xf16>, %i: tensor<4x32xf32>) {
  // expected-error @+1 {{the maddubs dot multiplies an i8 or 4-bit rhs}}
  %t = qnt.matmul_tile %a, %s sums %u, %w, %ws, %i {dot = #qnt<dot_kind maddubs>, group = 32 : i64, lanes = 8 : i64, rhs_storage = #qnt<storage u8_offset128>}
       : (tensor<4x64xi8>, tensor<4x2xf32>, tensor<4x2xi32>, tensor<16x128xi8>, tensor<2x32xf16>, tensor<4x32xf32>) -> tensor<4x32xf32>
  return
}

// -----

// A u4 rhs carries its minimums, of the scales' type.
func.func @f(%a: tensor<4x64xi8>, %s: tensor<4x2xf32>, %u: tensor<4x2xi32>, %w: tensor<8x128xi8>, %ws: tensor<2x32xf32>, %i: tensor<4x32xf32>) {
  // expected-error @+1 {{a u4 rhs has mins, and only it}}
  %t = qnt.matmul_tile %a, %s sums %u, %w, %ws, %i {dot = #qnt<dot_kind vnni>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage u4>}
       : (tensor<4x64xi8>, tensor<4x2xf32>, tensor<4x2xi32>, tensor<8x128xi8>, tensor<2x32xf32>, tensor<4x32xf32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @f(%a: tensor<4x64xi8>, %s: tensor<4x2xf32>, %u: tensor<4x2xi32>, %w: tensor<8x128xi8>, %ws: tensor<2x32xf32>, %wm: tensor<2x32xf16>, %i: tensor<4x32xf32>) {
  // expected-error @+1 {{rhs mins must have the rhs scales' type}}
  %t = qnt.matmul_tile %a, %s sums %u, %w, %ws mins %wm, %i {dot = #qnt<dot_kind vnni>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage u4>}
       : (tensor<4x64xi8>, tensor<4x2xf32>, tensor<4x2xi32>, tensor<8x128xi8>, tensor<2x32xf32>, tensor<2x32xf16>, tensor<4x32xf32>) -> tensor<4x32xf32>
  return
}

// -----

// 4-bit data holds two 4-byte steps a row: [K'/8, 4 n0].
func.func @f(%a: tensor<4x64xi8>, %s: tensor<4x2xf32>, %u: tensor<4x2xi32>, %w: tensor<16x128xi8>, %ws: tensor<2x32xf16>, %i: tensor<4x32xf32>) {
  // expected-error @+1 {{rhs data must be [8, 128] for K' = 64 (4-bit: two steps a row)}}
  %t = qnt.matmul_tile %a, %s sums %u, %w, %ws, %i {dot = #qnt<dot_kind vnni>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage u4_offset8>}
       : (tensor<4x64xi8>, tensor<4x2xf32>, tensor<4x2xi32>, tensor<16x128xi8>, tensor<2x32xf16>, tensor<4x32xf32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @f(%a: tensor<4x64xi8>, %s: tensor<4x2xf32>, %w: tensor<16x128xi8>, %ws: tensor<2x32xf16>, %i: tensor<4x32xf32>) {
  // expected-error @+1 {{result must have the init's type}}
  %t = qnt.matmul_tile %a, %s, %w, %ws, %i {dot = #qnt<dot_kind generic>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage i8>}
       : (tensor<4x64xi8>, tensor<4x2xf32>, tensor<16x128xi8>, tensor<2x32xf16>, tensor<4x32xf32>) -> tensor<4x16xf32>
  return
}

// -----

func.func @f(%a: tensor<4x64x1xi8>, %s: tensor<4x2xf32>, %w: tensor<16x128xi8>, %ws: tensor<2x32xf16>, %i: tensor<4x32xf32>) {
  // expected-error @+1 {{expects rank-2 operands, got 'tensor<4x64x1xi8>'}}
  %t = qnt.matmul_tile %a, %s, %w, %ws, %i {dot = #qnt<dot_kind generic>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage i8>}
       : (tensor<4x64x1xi8>, tensor<4x2xf32>, tensor<16x128xi8>, tensor<2x32xf16>, tensor<4x32xf32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @ggml_bytes() -> tensor<2x32xf32> {
  // expected-error @+1 {{holds 18 bytes; 'tensor<2x32xf32>' in q4_0 takes 36}}
  %w = qnt.ggml_constant q4_0 dense<0> : tensor<18xi8> : tensor<2x32xf32>
  return %w : tensor<2x32xf32>
}

// -----

func.func @ggml_rows() -> tensor<1x128xf32> {
  // expected-error @+1 {{rows of 128 values are not whole q4_k blocks of 256}}
  %w = qnt.ggml_constant q4_k dense<0> : tensor<72xi8> : tensor<1x128xf32>
  return %w : tensor<1x128xf32>
}

// -----

func.func @ggml_blocks_type() -> tensor<1x32xf32> {
  // expected-error @+1 {{blocks must be a 1-d tensor of i8 bytes}}
  %w = qnt.ggml_constant q4_0 dense<0> : tensor<9xi16> : tensor<1x32xf32>
  return %w : tensor<1x32xf32>
}

// -----

func.func @rope_factors(%x: tensor<?x64xf32>, %p: index) -> tensor<?x64xf32> {
  // expected-error @+1 {{has 3 frequency factors; rope_dim / 2 = 4 are needed}}
  %y = qnt.rope %x, %p {head_dim = 16, rope_dim = 8, base = 1.0e+04 : f32, factors = array<f32: 1.0, 2.0, 4.0>} : tensor<?x64xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

func.func @rope_factor_sign(%x: tensor<?x64xf32>, %p: index) -> tensor<?x64xf32> {
  // expected-error @+1 {{frequency factors must be positive}}
  %y = qnt.rope %x, %p {head_dim = 16, rope_dim = 8, base = 1.0e+04 : f32, factors = array<f32: 1.0, 2.0, 0.0, 8.0>} : tensor<?x64xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

func.func @bias_shape(%x: tensor<?x64xf32>, %b: tensor<32xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{bias must be [64], got 'tensor<32xf32>'}}
  %y = qnt.bias_add %x, %b : tensor<?x64xf32>, tensor<32xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

func.func @act_scales_rank(%x: tensor<?x64xf32>, %w: tensor<8x64xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{act_scales must be a tensor<1xGxf32>, got 'tensor<2xf32>'}}
  %y = qnt.linear %x, %w {act_scales = dense<[0.1, 0.2]> : tensor<2xf32>} : tensor<?x64xf32>, tensor<8x64xf32> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

func.func @act_scales_positive(%x: tensor<?x64xf32>, %w: tensor<8x64xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{act_scales must be positive and finite}}
  %y = qnt.linear %x, %w {act_scales = dense<[[0.1, 0.0]]> : tensor<1x2xf32>} : tensor<?x64xf32>, tensor<8x64xf32> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

func.func @act_scales_type(%x: tensor<?x64xf32>, %w: tensor<8x64xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{attribute 'act_scales' failed to satisfy constraint: 32-bit float elements attribute}}
  %y = qnt.linear %x, %w {act_scales = dense<0.1> : tensor<1x1xf16>} : tensor<?x64xf32>, tensor<8x64xf32> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

func.func @static_scales_count(%x: tensor<?x64xf32>) -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32>> {
  // expected-error @+1 {{static_scales must hold one scale per group of a row (2), got 1}}
  %q = qnt.quantize %x {static_scales = dense<0.1> : tensor<1x1xf32>} : tensor<?x64xf32> -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32>>
  return %q : !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32>>
}

// -----

func.func @static_scales_per_tensor(%x: tensor<?x64xf32>) -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_tensor, scale = f32>> {
  // expected-error @+1 {{static_scales need a per_block or per_token scheme, got per_tensor}}
  %q = qnt.quantize %x {static_scales = dense<0.1> : tensor<1x1xf32>} : tensor<?x64xf32> -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_tensor, scale = f32>>
  return %q : !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_tensor, scale = f32>>
}

// -----

func.func @static_scales_float(%x: tensor<?x64xf32>, %w: tensor<64xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{static_scales need a quantized result}}
  %y = qnt.rms_norm %x, %w {epsilon = 1.0e-05 : f32, static_scales = dense<0.1> : tensor<1x1xf32>} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

func.func @static_scales_nan(%g: tensor<?x64xf32>, %u: tensor<?x64xf32>) -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_token, scale = f32>> {
  // expected-error @+1 {{static_scales must be positive and finite}}
  %h = qnt.silu_mul %g, %u {static_scales = dense<0x7FC00000> : tensor<1x1xf32>} : tensor<?x64xf32> -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_token, scale = f32>>
  return %h : !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_token, scale = f32>>
}

// -----

func.func @act_asymmetric_static(%x: tensor<?x64xf32>, %w: tensor<8x64xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{act_scales are symmetric: not with act_asymmetric}}
  %y = qnt.linear %x, %w {act_scales = dense<0.1> : tensor<1x1xf32>, act_asymmetric} : tensor<?x64xf32>, tensor<8x64xf32> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

func.func @f(%a: tensor<4x64xi8>, %s: tensor<4x2xf32>, %z: tensor<4x2xi32>, %w: tensor<16x128xi8>, %ws: tensor<2x32xf16>, %i: tensor<4x32xf32>) {
  // expected-error @+1 {{lhs zero points and rhs sums go together}}
  %t = qnt.matmul_tile %a, %s zero_points %z, %w, %ws, %i {dot = #qnt<dot_kind generic>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage i8>}
       : (tensor<4x64xi8>, tensor<4x2xf32>, tensor<4x2xi32>, tensor<16x128xi8>, tensor<2x32xf16>, tensor<4x32xf32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @f(%a: tensor<4x64xi8>, %s: tensor<4x2xf32>, %z: tensor<4x1xi32>, %w: tensor<16x128xi8>, %ws: tensor<2x32xf16>, %ww: tensor<2x32xi32>, %i: tensor<4x32xf32>) {
  // expected-error @+1 {{lhs zero points must be i32 of the lhs scales' shape}}
  %t = qnt.matmul_tile %a, %s zero_points %z, %w, %ws sums %ww, %i {dot = #qnt<dot_kind generic>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage i8>}
       : (tensor<4x64xi8>, tensor<4x2xf32>, tensor<4x1xi32>, tensor<16x128xi8>, tensor<2x32xf16>, tensor<2x32xi32>, tensor<4x32xf32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @f(%a: tensor<4x64xi8>, %s: tensor<4x2xf32>, %z: tensor<4x2xi32>, %w: tensor<16x128xi8>, %ws: tensor<2x32xf16>, %ww: tensor<2x16xi32>, %i: tensor<4x32xf32>) {
  // expected-error @+1 {{rhs sums must be i32 of the rhs scales' shape}}
  %t = qnt.matmul_tile %a, %s zero_points %z, %w, %ws sums %ww, %i {dot = #qnt<dot_kind generic>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage i8>}
       : (tensor<4x64xi8>, tensor<4x2xf32>, tensor<4x2xi32>, tensor<16x128xi8>, tensor<2x32xf16>, tensor<2x16xi32>, tensor<4x32xf32>) -> tensor<4x32xf32>
  return
}

// -----

// expected-error @+1 {{6-bit schemes are stored as u6_offset32, and only they}}
func.func private @f(!qnt.tensor<4x256xf32, #qnt.scheme<bits = 6, granularity = per_block, block = 16, super_block = 256>>)

// -----

// expected-error @+1 {{6-bit schemes are stored as u6_offset32, and only they}}
func.func private @f(!qnt.tensor<4x256xf32, #qnt.scheme<granularity = per_block, storage = u6_offset32>>)

// -----

// expected-error @+1 {{a 6-bit scheme must be symmetric, per_block with blocks a multiple of 16, and have a super_block (GGML Q6_K's values)}}
func.func private @f(!qnt.tensor<4x256xf32, #qnt.scheme<bits = 6, granularity = per_block, block = 16, storage = u6_offset32>>)

// -----

// expected-error @+1 {{a 6-bit scheme must be symmetric, per_block with blocks a multiple of 16, and have a super_block (GGML Q6_K's values)}}
func.func private @f(!qnt.tensor<4x256xf32, #qnt.scheme<bits = 6, granularity = per_block, block = 8, storage = u6_offset32, super_block = 256>>)

// -----

// expected-error @+1 {{super_block (two-level scales) needs mins or 6 bits}}
func.func private @f(!qnt.tensor<4x256xf32, #qnt.scheme<granularity = per_block, super_block = 256>>)

// -----

// expected-error @+1 {{6-bit tiles pack four groups of k0 = 4 columns in three rows: 8 stored columns are not a multiple of 16}}
func.func private @f(!qnt.tensor<4x8xf32, #qnt.scheme<bits = 6, granularity = per_block, block = 16, storage = u6_offset32, super_block = 256>, #qnt.layout<n0 = 16, k0 = 4, pad = 4>>)

// -----

// A 6-bit constant has no super mins.
func.func @f() {
  // expected-error @+1 {{super mins}}
  %w = qnt.constant data(dense<0> : tensor<1x48x16x4xi8>) scales(dense<1> : tensor<1x16x16xi8>) super_scales(dense<1.0> : tensor<1x1x16xf16>) super_mins(dense<1.0> : tensor<1x1x16xf16>)
       : !qnt.tensor<2x256xf32, #qnt.scheme<bits = 6, granularity = per_block, block = 16, storage = u6_offset32, super_block = 256>, #qnt.layout<n0 = 16, k0 = 4, pad = 256>>
  return
}

// -----

func.func @f(%a: tensor<1x256xi8>, %s: tensor<1x16xf32>, %sum: tensor<1x16xi32>, %w: tensor<64x64xi8>, %ws: tensor<16x16xi8>, %d: tensor<1x16xf16>, %i: tensor<1x16xf32>) -> tensor<1x16xf32> {
  // expected-error @+1 {{rhs data must be [48, 64] for K' = 256 (6-bit: four steps in three rows)}}
  %t = qnt.matmul_tile %a, %s sums %sum, %w, %ws supers(%d), %i {dot = #qnt<dot_kind vnni>, group = 16 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage u6_offset32>}
       : (tensor<1x256xi8>, tensor<1x16xf32>, tensor<1x16xi32>, tensor<64x64xi8>, tensor<16x16xi8>, tensor<1x16xf16>, tensor<1x16xf32>) -> tensor<1x16xf32>
  return %t : tensor<1x16xf32>
}

// -----

func.func @f(%a: tensor<1x256xi8>, %s: tensor<1x16xf32>, %sum: tensor<1x16xi32>, %w: tensor<48x64xi8>, %ws: tensor<16x16xf16>, %i: tensor<1x16xf32>) -> tensor<1x16xf32> {
  // expected-error @+1 {{a u6_offset32 rhs has two-level scales}}
  %t = qnt.matmul_tile %a, %s sums %sum, %w, %ws, %i {dot = #qnt<dot_kind vnni>, group = 16 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage u6_offset32>}
       : (tensor<1x256xi8>, tensor<1x16xf32>, tensor<1x16xi32>, tensor<48x64xi8>, tensor<16x16xf16>, tensor<1x16xf32>) -> tensor<1x16xf32>
  return %t : tensor<1x16xf32>
}

// -----

func.func @f(%a: tensor<1x256xi8>, %s: tensor<1x16xf32>, %sum: tensor<1x16xi32>, %w: tensor<48x64xi8>, %ws: tensor<16x16xi8>, %d: tensor<1x16xf16>, %i: tensor<1x16xf32>) -> tensor<1x16xf32> {
  // expected-error @+1 {{two-level rhs scales are i8 scales (and mins) with a super factor for each (scales', mins'), for a u4 or u6_offset32 rhs}}
  %t = qnt.matmul_tile %a, %s sums %sum, %w, %ws supers(%d, %d), %i {dot = #qnt<dot_kind vnni>, group = 16 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage u6_offset32>}
       : (tensor<1x256xi8>, tensor<1x16xf32>, tensor<1x16xi32>, tensor<48x64xi8>, tensor<16x16xi8>, tensor<1x16xf16>, tensor<1x16xf16>, tensor<1x16xf32>) -> tensor<1x16xf32>
  return %t : tensor<1x16xf32>
}

// -----

func.func @f(%a: tensor<1x256xi8>, %s: tensor<1x8xf32>, %sum: tensor<1x8xi32>, %w: tensor<48x64xi8>, %ws: tensor<8x16xi8>, %d: tensor<1x16xf16>, %i: tensor<1x16xf32>) -> tensor<1x16xf32> {
  // expected-error @+1 {{a u6_offset32 rhs needs groups of a multiple of 16, got 8}}
  %t = qnt.matmul_tile %a, %s sums %sum, %w, %ws supers(%d), %i {dot = #qnt<dot_kind vnni>, group = 8 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage u6_offset32>}
       : (tensor<1x256xi8>, tensor<1x8xf32>, tensor<1x8xi32>, tensor<48x64xi8>, tensor<8x16xi8>, tensor<1x16xf16>, tensor<1x16xf32>) -> tensor<1x16xf32>
  return %t : tensor<1x16xf32>
}

// -----

// expected-error @+1 {{result 0 ('tensor<?x32xf32>') is not shaped like the last argument ('tensor<?x64xf32>')}}
func.func private @kernel(tensor<?x64xf32>) -> (tensor<?x32xf32> {qnt.in_last_arg})

// -----

// expected-error @+1 {{result 0 ('tensor<4xf32>') is not shaped like the last argument ('<<NULL TYPE>>')}}
func.func private @kernel() -> (tensor<4xf32> {qnt.in_last_arg})

// -----

// expected-error @+1 {{'qnt.in_last_arg' must be a unit attribute of a function's result}}
func.func private @kernel(tensor<4xf32>) -> (tensor<4xf32> {qnt.in_last_arg = 1})

// -----

// expected-error @+1 {{unknown qnt attribute on a result: "qnt.shaped_like"}}
func.func private @kernel(tensor<4xf32>) -> (tensor<4xf32> {qnt.shaped_like})

// -----

func.func @f(%q: tensor<?x64xf32>, %k: tensor<128x64xf32>, %p: index) {
  // expected-error @+1 {{quantizes its result only as symmetric i8 blocks that divide the 16 columns a task computes (row-major, unpadded), not as '!qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block>>'}}
  %a = qnt.attention %q, %k, %k, %p {num_heads = 4, num_kv_heads = 4, scale = 0.25 : f32} : tensor<?x64xf32>, tensor<128x64xf32>, tensor<128x64xf32> -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block>>
  return
}

// -----

func.func @weight_without_name() -> tensor<4xf32> {
  // expected-error @+1 {{'qnt.weight' op needs a name}}
  %w = qnt.weight "" : tensor<4xf32>
  return %w : tensor<4xf32>
}

// -----

func.func @weight_of_bits() -> tensor<64xi1> {
  // expected-error @+1 {{a weights file holds f32, f16, bf16, f64 and 8 to 64-bit integer tensors of rank 0 to 6, not 'tensor<64xi1>'}}
  %w = qnt.weight "mask" : tensor<64xi1>
  return %w : tensor<64xi1>
}

// -----

func.func @weight_of_indices() -> tensor<4xindex> {
  // expected-error @+1 {{a weights file holds}}
  %w = qnt.weight "indices" : tensor<4xindex>
  return %w : tensor<4xindex>
}

// -----

func.func @weight_of_rank_7() -> tensor<1x1x1x1x1x1x2xf32> {
  // expected-error @+1 {{not 'tensor<1x1x1x1x1x1x2xf32>'}}
  %w = qnt.weight "deep" : tensor<1x1x1x1x1x1x2xf32>
  return %w : tensor<1x1x1x1x1x1x2xf32>
}

// -----

func.func @weight_of_dynamic_shape() -> tensor<?xf32> {
  // expected-error @+1 {{must be statically shaped tensor}}
  %w = qnt.weight "rows" : tensor<?xf32>
  return %w : tensor<?xf32>
}

// RUN: quant-opt %s --split-input-file --qnt-insert-act-quant=granularity=per-token --verify-diagnostics

func.func @f(%x: tensor<?x64xf32>, %w: !qnt.tensor<2x64xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>>) -> tensor<?x2xf32> {
  // expected-error @+1 {{per-token activations cannot correct a u8_offset128 per-block weight; use per-block activations or i8 weight storage}}
  %y = qnt.linear %x, %w : tensor<?x64xf32>, !qnt.tensor<2x64xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

func.func @f(%x: tensor<?x64xf32>, %w: !qnt.tensor<2x64xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8>>) -> tensor<?x2xf32> {
  // expected-error @+1 {{per-token activations cannot correct a u4_offset8 per-block weight; use per-block activations}}
  %y = qnt.linear %x, %w : tensor<?x64xf32>, !qnt.tensor<2x64xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8>> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// Per-token activations have one group per row: per-block scales do not fit.
func.func @static_per_token(%x: tensor<?x64xf32>, %w: !qnt.tensor<2x64xf32, #qnt.scheme<granularity = per_block>>) -> tensor<?x2xf32> {
  // expected-error @+1 {{act_scales hold 2 scales, but its input is quantized in 1 groups per row (per_token): give 1}}
  %y = qnt.linear %x, %w {act_scales = dense<[[0.1, 0.2]]> : tensor<1x2xf32>} : tensor<?x64xf32>, !qnt.tensor<2x64xf32, #qnt.scheme<granularity = per_block>> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// Zero points need the weight's sums, which the fold pass keeps for such a
// linear; a weight quantized without them cannot serve it.
func.func @asymmetric_without_sums(%x: tensor<?x64xf32>, %w: !qnt.tensor<2x64xf32, #qnt.scheme<granularity = per_block>>) -> tensor<?x2xf32> {
  // expected-error @+1 {{act_asymmetric needs the weight's per-group sums (run --qnt-fold-weight-quant on this linear, which keeps them)}}
  %y = qnt.linear %x, %w {act_asymmetric} : tensor<?x64xf32>, !qnt.tensor<2x64xf32, #qnt.scheme<granularity = per_block>> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

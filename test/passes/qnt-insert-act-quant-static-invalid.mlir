// RUN: quant-opt %s --split-input-file --qnt-insert-act-quant --verify-diagnostics

// act_scales must fit the activation's groups: 64 / 32 = 2 blocks, not 3.
func.func @static_count(%x: tensor<?x64xf32>, %w: !qnt.tensor<2x64xf32, #qnt.scheme<granularity = per_block>>) -> tensor<?x2xf32> {
  // expected-error @+1 {{act_scales hold 3 scales, but its input is quantized in 2 groups per row (per_block): give 1 or 2}}
  %y = qnt.linear %x, %w {act_scales = dense<[[0.1, 0.2, 0.3]]> : tensor<1x3xf32>} : tensor<?x64xf32>, !qnt.tensor<2x64xf32, #qnt.scheme<granularity = per_block>> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// RUN: quant-opt %s --qnt-insert-act-quant="granularity=per-token scale=f16 rounding=half-even" | FileCheck %s

// The options reach the activation scheme.
// f16 is the default scale type, so the scheme does not print it.
// CHECK:       #[[$TOK:.+]] = #qnt.scheme<granularity = per_token, rounding = half_to_even>
// CHECK-LABEL: func.func @per_token
// CHECK:         %[[Q:.+]] = qnt.quantize %{{.+}} : tensor<?x64xf32> -> !qnt.tensor<?x64xf32, #[[$TOK]]>
// CHECK:         qnt.matmul %[[Q]], %{{.+}} : !qnt.tensor<?x64xf32, #[[$TOK]]>, !qnt.tensor<2x64xf32, #q8_0> -> tensor<?x2xf32>
func.func @per_token(%x: tensor<?x64xf32>, %w: !qnt.tensor<2x64xf32, #qnt.scheme<granularity = per_block>>) -> tensor<?x2xf32> {
  %y = qnt.linear %x, %w : tensor<?x64xf32>, !qnt.tensor<2x64xf32, #qnt.scheme<granularity = per_block>> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// A calibrated scale for the whole tensor is the one scale of every row
// (kept f32 in the attribute; stored f16 by the quantize, as the scheme says).
// CHECK-LABEL: func.func @per_token_static
// CHECK:         qnt.quantize %{{.+}} {static_scales = dense<5.000000e-02> : tensor<1x1xf32>} : tensor<?x64xf32> -> !qnt.tensor<?x64xf32, #[[$TOK]]>
func.func @per_token_static(%x: tensor<?x64xf32>, %w: !qnt.tensor<2x64xf32, #qnt.scheme<granularity = per_block>>) -> tensor<?x2xf32> {
  %y = qnt.linear %x, %w {act_scales = dense<0.05> : tensor<1x1xf32>} : tensor<?x64xf32>, !qnt.tensor<2x64xf32, #qnt.scheme<granularity = per_block>> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

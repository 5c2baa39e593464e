// RUN: quant-opt %s --split-input-file --qnt-insert-act-quant=granularity=per-token --verify-diagnostics

func.func @f(%x: tensor<?x64xf32>, %w: !qnt.tensor<2x64xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>>) -> tensor<?x2xf32> {
  // expected-error @+1 {{per-token activations cannot correct a u8_offset128 per-block weight; use per-block activations or i8 weight storage}}
  %y = qnt.linear %x, %w : tensor<?x64xf32>, !qnt.tensor<2x64xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

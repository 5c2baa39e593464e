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

func.func @f(%x: tensor<4x32xf32>) {
  // expected-error @+1 {{lowering handles symmetric 8-bit schemes only}}
  %q = qnt.quantize %x : tensor<4x32xf32> -> !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_token, symmetric = false>>
  return
}

// -----

func.func @f(%x: tensor<4x32xf32>) {
  // expected-error @+1 {{lowering handles symmetric 8-bit schemes only}}
  %q = qnt.quantize %x : tensor<4x32xf32> -> !qnt.tensor<4x32xf32, #qnt.scheme<bits = 4, granularity = per_block>>
  return
}

// -----

func.func @f(%q: !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_channel, axis = 1>>) {
  // expected-error @+1 {{lowering handles per_channel on axis 0 only}}
  %x = qnt.dequantize %q : !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_channel, axis = 1>> -> tensor<4x32xf32>
  return
}

// -----

func.func @f(%a: !qnt.tensor<?x96xf32, #qnt.scheme<granularity = per_block, block = 48>>,
             %w: !qnt.tensor<4x96xf32, #qnt.scheme<granularity = per_block, block = 48>>) {
  // expected-error @+1 {{lowering needs a block size that is a multiple of 32, got 48}}
  %y = qnt.matmul %a, %w : !qnt.tensor<?x96xf32, #qnt.scheme<granularity = per_block, block = 48>>, !qnt.tensor<4x96xf32, #qnt.scheme<granularity = per_block, block = 48>> -> tensor<?x4xf32>
  return
}

// -----

func.func @f(%x: tensor<?x32xf32>, %w: !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_block>>) {
  // expected-error @+1 {{has a quantized weight and a float input: run --qnt-insert-act-quant before lowering}}
  %y = qnt.linear %x, %w : tensor<?x32xf32>, !qnt.tensor<4x32xf32, #qnt.scheme<granularity = per_block>> -> tensor<?x4xf32>
  return
}

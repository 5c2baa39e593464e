// RUN: quant-opt %s --split-input-file --qnt-expand-ggml --verify-diagnostics
// RUN: quant-opt %s --split-input-file --qnt-quantize | FileCheck %s
// RUN: not quant-opt %s --split-input-file --qnt-expand-ggml 2>/dev/null | FileCheck %s --check-prefix=EXPAND

// Blocks that are not there (a dense_resource without its blob): a
// diagnostic when they are expanded, and the fold pass leaves the linear
// in float instead of reading what is not there.
// CHECK-LABEL: func.func @missing_blob
// CHECK:         qnt.ggml_constant q4_0 dense_resource<missing>
// CHECK:         qnt.linear
func.func @missing_blob(%x: tensor<?x32xf32>) -> tensor<?x1xf32> {
  // expected-error @+1 {{has no bytes to read in its blocks (a dense_resource without its blob?)}}
  %w = qnt.ggml_constant q4_0 dense_resource<missing> : tensor<18xi8> : tensor<1x32xf32>
  %y = qnt.linear %x, %w : tensor<?x32xf32>, tensor<1x32xf32> -> tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}

// -----

// A splat of bytes is every block alike: expanded like the bytes written out
// (d = fp16 0x9A9A = -0.0032234192, each byte 0x9A: q = 10 - 8 = 2 for
// values 0-15, 9 - 8 = 1 for 16-31: 2d = f32 0xBBD34000, d = 0xBB534000).
// EXPAND-LABEL: func.func @splat
// EXPAND:         arith.constant dense_resource<qnt_f32> : tensor<1x32xf32>
// EXPAND:       qnt_f32: "0x040000000040D3BB0040D3BB0040D3BB0040D3BB0040D3BB0040D3BB0040D3BB0040D3BB0040D3BB0040D3BB0040D3BB0040D3BB0040D3BB0040D3BB0040D3BB0040D3BB004053BB004053BB004053BB004053BB004053BB004053BB004053BB004053BB004053BB004053BB004053BB004053BB004053BB004053BB004053BB004053BB"
func.func @splat() -> tensor<1x32xf32> {
  %w = qnt.ggml_constant q4_0 dense<-102> : tensor<18xi8> : tensor<1x32xf32>
  return %w : tensor<1x32xf32>
}

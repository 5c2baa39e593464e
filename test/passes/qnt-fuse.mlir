// RUN: quant-opt %s --split-input-file --qnt-fuse | FileCheck %s
// RUN: quant-opt %s --split-input-file --qnt-fuse=residual=false | FileCheck %s --check-prefix=NORES
// RUN: quant-opt %s --split-input-file --qnt-fuse=quantize=false | FileCheck %s --check-prefix=NOQ

// A Transformer block's output projection: the norm quantizes its rows as
// it computes them (the float norm is gone), and the residual add moves into
// the matmul's epilogue.
// CHECK-LABEL: func.func @norm_matmul_residual
// CHECK-SAME:    (%[[X:[^:]+]]: tensor<?x64xf32>, %[[G:[^:]+]]: tensor<64xf32>, %[[W:[^:]+]]: !qnt.tensor<64x64xf32
// CHECK-NEXT:    %[[HQ:.+]] = qnt.rms_norm %[[X]], %[[G]] {epsilon = 9.99999974E-6 : f32} : tensor<?x64xf32>, tensor<64xf32> -> !qnt.tensor<?x64xf32, #{{.+}}, #qnt.layout<pad = 64>>
// CHECK-NEXT:    %[[Z:.+]] = qnt.matmul %[[HQ]], %[[W]] acc %[[X]] : {{.+}}, tensor<?x64xf32> -> tensor<?x64xf32>
// CHECK-NEXT:    return %[[Z]]
// NORES-LABEL: func.func @norm_matmul_residual
// NORES:         qnt.rms_norm {{.+}} -> !qnt.tensor
// NORES:         %[[Y:.+]] = qnt.matmul
// NORES-NOT:     acc
// NORES:         arith.addf %{{.+}}, %[[Y]]
// NOQ-LABEL:   func.func @norm_matmul_residual
// NOQ:           qnt.rms_norm {{.+}} -> tensor<?x64xf32>
// NOQ:           qnt.quantize
// NOQ:           qnt.matmul {{.+}} acc
func.func @norm_matmul_residual(%x: tensor<?x64xf32>, %g: tensor<64xf32>,
    %w: !qnt.tensor<64x64xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<n0 = 32, k0 = 4, pad = 64>>) -> tensor<?x64xf32> {
  %h = qnt.rms_norm %x, %g {epsilon = 1.0e-05 : f32} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  %hq = qnt.quantize %h : tensor<?x64xf32> -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32>, #qnt.layout<pad = 64>>
  %y = qnt.matmul %hq, %w : !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32>, #qnt.layout<pad = 64>>,
       !qnt.tensor<64x64xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<n0 = 32, k0 = 4, pad = 64>> -> tensor<?x64xf32>
  %z = arith.addf %x, %y : tensor<?x64xf32>
  return %z : tensor<?x64xf32>
}

// -----

// SwiGLU: silu_mul quantizes its product; the add with the matmul on the
// left is fused too.
// CHECK-LABEL: func.func @silu_mul_matmul
// CHECK:         %[[HQ:.+]] = qnt.silu_mul %{{.+}}, %{{.+}} : tensor<?x64xf32> -> !qnt.tensor<?x64xf32
// CHECK-NEXT:    qnt.matmul %[[HQ]], %{{.+}} acc %{{.+}} :
// CHECK-NOT:     arith.addf
func.func @silu_mul_matmul(%gate: tensor<?x64xf32>, %up: tensor<?x64xf32>, %r: tensor<?x32xf32>,
    %w: !qnt.tensor<32x64xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<n0 = 32, k0 = 4, pad = 64>>) -> tensor<?x32xf32> {
  %h = qnt.silu_mul %gate, %up : tensor<?x64xf32> -> tensor<?x64xf32>
  %hq = qnt.quantize %h : tensor<?x64xf32> -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32>, #qnt.layout<pad = 64>>
  %y = qnt.matmul %hq, %w : !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32>, #qnt.layout<pad = 64>>,
       !qnt.tensor<32x64xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<n0 = 32, k0 = 4, pad = 64>> -> tensor<?x32xf32>
  %z = arith.addf %y, %r : tensor<?x32xf32>
  return %z : tensor<?x32xf32>
}

// -----

// Static scales move into the norm and the SwiGLU with the quantize.
// CHECK-LABEL: func.func @static_scales
// CHECK:         qnt.rms_norm %{{.+}}, %{{.+}} {epsilon = {{.+}}, static_scales = dense<{{\[\[}}1.000000e-01, 2.000000e-01]]> : tensor<1x2xf32>} : {{.+}} -> !qnt.tensor
// CHECK:         qnt.silu_mul %{{.+}}, %{{.+}} {static_scales = dense<3.000000e-01> : tensor<1x2xf32>} : {{.+}} -> !qnt.tensor
// CHECK-NOT:     qnt.quantize
func.func @static_scales(%x: tensor<?x64xf32>, %g: tensor<64xf32>, %u: tensor<?x64xf32>)
    -> (!qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32>>, !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32>>) {
  %h = qnt.rms_norm %x, %g {epsilon = 1.0e-05 : f32} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  %hq = qnt.quantize %h {static_scales = dense<[[0.1, 0.2]]> : tensor<1x2xf32>} : tensor<?x64xf32> -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32>>
  %s = qnt.silu_mul %x, %u : tensor<?x64xf32> -> tensor<?x64xf32>
  %sq = qnt.quantize %s {static_scales = dense<0.3> : tensor<1x2xf32>} : tensor<?x64xf32> -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32>>
  return %hq, %sq : !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32>>, !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32>>
}

// -----

// Attention quantizes its output when the quantize's blocks tile the columns
// each of its tasks computes (4 heads of a KV group x 16 = 64, blocks of
// 32): no quantize left for the output linear.
// CHECK-LABEL: func.func @attention_quantized
// CHECK-NOT:     qnt.quantize
// CHECK:         %[[A:.+]] = qnt.attention {{.+}} -> !qnt.tensor<?x64xf32, #scheme>
// CHECK-NEXT:    return %[[A]]
func.func @attention_quantized(%q: tensor<?x64xf32>, %k: tensor<32x16xf16>, %p: index)
    -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>> {
  %a = qnt.attention %q, %k, %k, %p {num_heads = 4, num_kv_heads = 1, scale = 0.25 : f32} : tensor<?x64xf32>, tensor<32x16xf16>, tensor<32x16xf16> -> tensor<?x64xf32>
  %aq = qnt.quantize %a : tensor<?x64xf32> -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>>
  return %aq : !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>>
}

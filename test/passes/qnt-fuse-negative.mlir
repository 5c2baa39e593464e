// RUN: quant-opt %s --split-input-file --qnt-fuse | FileCheck %s

// What --qnt-fuse leaves alone.

// Nothing to fuse: the float norm is returned too, so it stays and its
// quantize with it; the matmul's result has a second use, so the add stays.
// CHECK-LABEL: func.func @float_result_needed
// CHECK:         %[[H:.+]] = qnt.rms_norm {{.+}} -> tensor<?x64xf32>
// CHECK:         qnt.quantize %[[H]]
// CHECK:         %[[Y:.+]] = qnt.matmul
// CHECK-NOT:     acc
// CHECK:         arith.addf %{{.+}}, %[[Y]]
func.func @float_result_needed(%x: tensor<?x64xf32>, %g: tensor<64xf32>,
    %w: !qnt.tensor<64x64xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<n0 = 32, k0 = 4, pad = 64>>) -> (tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>) {
  %h = qnt.rms_norm %x, %g {epsilon = 1.0e-05 : f32} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  %hq = qnt.quantize %h : tensor<?x64xf32> -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32>, #qnt.layout<pad = 64>>
  %y = qnt.matmul %hq, %w : !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32>, #qnt.layout<pad = 64>>,
       !qnt.tensor<64x64xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<n0 = 32, k0 = 4, pad = 64>> -> tensor<?x64xf32>
  %z = arith.addf %x, %y : tensor<?x64xf32>
  return %h, %y, %z : tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>
}

// -----

// Two quantizes of one norm to different schemes: the norm cannot produce
// both, so neither is fused.
// CHECK-LABEL: func.func @two_schemes
// CHECK:         %[[H:.+]] = qnt.rms_norm {{.+}} -> tensor<?x64xf32>
// CHECK:         qnt.quantize %[[H]] : tensor<?x64xf32> -> !qnt.tensor<?x64xf32, #[[A:.+]]>
// CHECK:         qnt.quantize %[[H]] : tensor<?x64xf32> -> !qnt.tensor<?x64xf32, #[[B:.+]]>
// CHECK:         return
func.func @two_schemes(%x: tensor<?x64xf32>, %g: tensor<64xf32>)
    -> (!qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32>>, !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_token, scale = f32>>) {
  %h = qnt.rms_norm %x, %g {epsilon = 1.0e-05 : f32} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  %a = qnt.quantize %h : tensor<?x64xf32> -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32>>
  %b = qnt.quantize %h : tensor<?x64xf32> -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_token, scale = f32>>
  return %a, %b : !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32>>, !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_token, scale = f32>>
}

// -----

// A matmul that already accumulates keeps its add: acc holds one residual.
// CHECK-LABEL: func.func @already_accumulates
// CHECK:         %[[Y:.+]] = qnt.matmul %{{.+}}, %{{.+}} acc %[[R:[^ ]+]] :
// CHECK:         arith.addf %{{.+}}, %[[Y]]
func.func @already_accumulates(%xq: !qnt.tensor<1x64xf32, #qnt.scheme<granularity = per_block, scale = f32>, #qnt.layout<pad = 64>>,
    %w: !qnt.tensor<64x64xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<n0 = 32, k0 = 4, pad = 64>>,
    %r: tensor<1x64xf32>, %s: tensor<1x64xf32>) -> tensor<1x64xf32> {
  %y = qnt.matmul %xq, %w acc %r : !qnt.tensor<1x64xf32, #qnt.scheme<granularity = per_block, scale = f32>, #qnt.layout<pad = 64>>,
       !qnt.tensor<64x64xf32, #qnt.scheme<granularity = per_block>, #qnt.layout<n0 = 32, k0 = 4, pad = 64>>, tensor<1x64xf32> -> tensor<1x64xf32>
  %z = arith.addf %s, %y : tensor<1x64xf32>
  return %z : tensor<1x64xf32>
}

// -----

// Two quantizes of one norm that differ only in their static scales: the
// norm cannot produce both, so nothing fuses.
// CHECK-LABEL: func.func @different_static_scales
// CHECK:         qnt.rms_norm {{.+}} -> tensor<?x64xf32>
// CHECK-COUNT-2: qnt.quantize
func.func @different_static_scales(%x: tensor<?x64xf32>, %g: tensor<64xf32>)
    -> (!qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32>>, !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32>>) {
  %h = qnt.rms_norm %x, %g {epsilon = 1.0e-05 : f32} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  %a = qnt.quantize %h {static_scales = dense<0.1> : tensor<1x2xf32>} : tensor<?x64xf32> -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32>>
  %b = qnt.quantize %h : tensor<?x64xf32> -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32>>
  return %a, %b : !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32>>, !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32>>
}

// -----

// Attention whose tasks compute 16 columns (one head of 16 per KV group)
// cannot quantize blocks of 32 itself: the quantize stays.
// CHECK-LABEL: func.func @attention_blocks_span_tasks
// CHECK:         %[[A:.+]] = qnt.attention {{.+}} -> tensor<?x64xf32>
// CHECK:         qnt.quantize %[[A]]
func.func @attention_blocks_span_tasks(%q: tensor<?x64xf32>, %k: tensor<32x64xf32>, %p: index)
    -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block>> {
  %a = qnt.attention %q, %k, %k, %p {num_heads = 4, num_kv_heads = 4, scale = 0.25 : f32} : tensor<?x64xf32>, tensor<32x64xf32>, tensor<32x64xf32> -> tensor<?x64xf32>
  %aq = qnt.quantize %a : tensor<?x64xf32> -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block>>
  return %aq : !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block>>
}

// -----

// Static scales: attention has none to take over, the quantize stays.
// CHECK-LABEL: func.func @attention_static_scales
// CHECK:         %[[A:.+]] = qnt.attention {{.+}} -> tensor<?x64xf32>
// CHECK:         qnt.quantize %[[A]] {static_scales
func.func @attention_static_scales(%q: tensor<?x64xf32>, %k: tensor<32x16xf32>, %p: index)
    -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block>> {
  %a = qnt.attention %q, %k, %k, %p {num_heads = 4, num_kv_heads = 1, scale = 0.25 : f32} : tensor<?x64xf32>, tensor<32x16xf32>, tensor<32x16xf32> -> tensor<?x64xf32>
  %aq = qnt.quantize %a {static_scales = dense<0.5> : tensor<1x2xf32>} : tensor<?x64xf32> -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block>>
  return %aq : !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block>>
}

// -----

// Per token: one scale for the whole row, which no task holds.
// CHECK-LABEL: func.func @attention_per_token
// CHECK:         qnt.quantize
func.func @attention_per_token(%q: tensor<?x64xf32>, %k: tensor<32x16xf32>, %p: index)
    -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_token>> {
  %a = qnt.attention %q, %k, %k, %p {num_heads = 4, num_kv_heads = 1, scale = 0.25 : f32} : tensor<?x64xf32>, tensor<32x16xf32>, tensor<32x16xf32> -> tensor<?x64xf32>
  %aq = qnt.quantize %a : tensor<?x64xf32> -> !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_token>>
  return %aq : !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_token>>
}

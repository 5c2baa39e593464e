// RUN: quant-opt %s --split-input-file --qnt-profile | FileCheck %s
// RUN: quant-opt %s --split-input-file --qnt-profile --qnt-lower-to-llvm | FileCheck %s --check-prefix=LLVM
// RUN: quant-opt %s --split-input-file --qnt-profile --canonicalize --qnt-outline-layers --qnt-merge-functions | FileCheck %s --check-prefix=LAYERS

// Each layer op between a begin and an end call with its id; the names
// table as a public constant: "function layer op", NUL-separated, an empty
// name last. Constants and scalar adds are not timed.
// CHECK-LABEL: module
// CHECK:         memref.global "public" constant @qnt_profile_names : memref<{{[0-9]+}}xi8> = dense<[102, 111, 114, 119, 97, 114, 100, 32, 98, 108, 107, 46, 48, 46, 97, 116, 116, 110, 95, 110, 111, 114, 109, 32, 113, 110, 116, 46, 114, 109, 115, 95, 110, 111, 114, 109, 0,
// CHECK:       func.func @forward(%[[X:.+]]: tensor<?x64xf32>, %[[G:.+]]: tensor<64xf32>)
// CHECK:         %[[C0:.+]] = arith.constant 0 : i64
// CHECK-NEXT:    call @qnt_rt_profile_begin(%[[C0]]) : (i64) -> ()
// CHECK-NEXT:    %[[H:.+]] = qnt.rms_norm %[[X]], %[[G]]
// CHECK-NEXT:    call @qnt_rt_profile_end(%[[C0]]) : (i64) -> ()
// CHECK:         %[[C1:.+]] = arith.constant 1 : i64
// CHECK-NEXT:    call @qnt_rt_profile_begin(%[[C1]]) : (i64) -> ()
// CHECK-NEXT:    %[[S:.+]] = arith.addf %[[X]], %[[H]] : tensor<?x64xf32>
// CHECK-NEXT:    call @qnt_rt_profile_end(%[[C1]]) : (i64) -> ()
// CHECK-NOT:     call @qnt_rt_profile
// CHECK:         return
// CHECK:       func.func private @qnt_rt_profile_begin(i64)
// CHECK:       func.func private @qnt_rt_profile_end(i64)
// LLVM:        llvm.mlir.global external constant @qnt_profile_names
// LLVM:        llvm.call @qnt_rt_profile_begin
// LLVM:        llvm.call @qnt_rt_profile_end
func.func @forward(%x: tensor<?x64xf32>, %g: tensor<64xf32>) -> (tensor<?x64xf32>, f32) {
  %h = qnt.rms_norm %x, %g {epsilon = 1.0e-05 : f32} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32> loc("blk.0.attn_norm")
  %s = arith.addf %x, %h : tensor<?x64xf32>
  %a = arith.constant 1.0 : f32
  %b = arith.addf %a, %a : f32
  return %s, %b : tensor<?x64xf32>, f32
}

// -----

// Profiled layers still share one function: the ids, hoisted to the top by
// canonicalization, do not break the layers' ranges (--qnt-outline-layers
// makes each again where it is used), and the two layers' functions, alike
// but for their ids, merge into one that takes the id.
// LAYERS-LABEL: func.func @layers
// LAYERS:         call @layers_blk0(
// LAYERS:         call @layers_blk0(
// LAYERS-LABEL: func.func private @layers_blk0
// LAYERS-SAME:    %[[ID:[^:]+]]: i64)
// LAYERS:         call @qnt_rt_profile_begin(%[[ID]])
// LAYERS-NEXT:    qnt.rms_norm
// LAYERS-NEXT:    call @qnt_rt_profile_end(%[[ID]])
// LAYERS-NOT:   func.func private @layers_blk1
func.func @layers(%x: tensor<4x64xf32>, %g0: tensor<64xf32>, %g1: tensor<64xf32>) -> tensor<4x64xf32> {
  %h0 = qnt.rms_norm %x, %g0 {epsilon = 1.0e-05 : f32} : tensor<4x64xf32>, tensor<64xf32> -> tensor<4x64xf32> loc("blk.0.attn_norm")
  %h1 = qnt.rms_norm %h0, %g1 {epsilon = 1.0e-05 : f32} : tensor<4x64xf32>, tensor<64xf32> -> tensor<4x64xf32> loc("blk.1.attn_norm")
  return %h1 : tensor<4x64xf32>
}

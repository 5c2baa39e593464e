// RUN: quant-opt %s --split-input-file --qnt-outline-parallel | FileCheck %s

// Two-dimensional loops are left to run sequentially (the lowering emits
// one-dimensional ones).
// CHECK-LABEL: func.func @two_dims
// CHECK-NOT:     qnt_rt_parallel_for
// CHECK:         scf.parallel
func.func @two_dims(%m: memref<4x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %v = arith.constant 1.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c4) step (%c1, %c1) {
    memref.store %v, %m[%i, %j] : memref<4x4xf32>
    scf.reduce
  }
  return
}

// -----

// A loop with a reduction returns values the runtime call cannot carry.
// CHECK-LABEL: func.func @reduction
// CHECK-NOT:     qnt_rt_parallel_for
// CHECK:         scf.parallel
func.func @reduction(%m: memref<8xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  %sum = scf.parallel (%i) = (%c0) to (%c8) step (%c1) init (%zero) -> f32 {
    %v = memref.load %m[%i] : memref<8xf32>
    scf.reduce(%v : f32) {
    ^bb0(%a: f32, %b: f32):
      %s = arith.addf %a, %b : f32
      scf.reduce.return %s : f32
    }
  }
  return %sum : f32
}

// -----

// An inner parallel loop runs inside the outer loop's task.
// CHECK-LABEL: func.func private @nested_par
// CHECK:         scf.parallel
// CHECK-LABEL: func.func @nested
// CHECK-COUNT-1: call @qnt_rt_parallel_for
func.func @nested(%m: memref<4x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %v = arith.constant 1.0 : f32
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    scf.parallel (%j) = (%c0) to (%c4) step (%c1) {
      memref.store %v, %m[%i, %j] : memref<4x4xf32>
      scf.reduce
    }
    scf.reduce
  }
  return
}

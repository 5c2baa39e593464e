// RUN: quant-opt %s --split-input-file --qnt-outline-parallel | FileCheck %s

// The body runs iterations [begin, end) of a plain loop in its own function;
// captured values arrive through the context struct in LLVM form and are cast
// back; constants are cloned, not captured.
// CHECK-LABEL: func.func private @qnt_rt_parallel_for(!llvm.ptr, !llvm.ptr, i64, i64)
// CHECK-LABEL: func.func private @scale_par
// CHECK-SAME:    (%[[CTX:.+]]: !llvm.ptr, %[[BEGIN:.+]]: i64, %[[END:.+]]: i64)
// CHECK:         %[[TWO:.+]] = arith.constant 2.000000e+00 : f32
// CHECK:         %[[F0:.+]] = llvm.getelementptr %[[CTX]][0, 0] : (!llvm.ptr) -> !llvm.ptr, !llvm.struct<(struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>, i64)>
// CHECK:         %[[D0:.+]] = llvm.load %[[F0]] : !llvm.ptr -> !llvm.struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>
// CHECK:         %[[BUF:.+]] = builtin.unrealized_conversion_cast %[[D0]] : {{.+}} to memref<?xf32>
// CHECK:         %[[F1:.+]] = llvm.getelementptr %[[CTX]][0, 1]
// CHECK:         %[[LB64:.+]] = llvm.load %[[F1]] : !llvm.ptr -> i64
// CHECK:         %[[LB:.+]] = builtin.unrealized_conversion_cast %[[LB64]] : i64 to index
// CHECK:         scf.for %[[T:.+]] = %{{.+}} to %{{.+}} step
// CHECK:           %[[MUL:.+]] = arith.muli %[[T]], %{{.+}} : index
// CHECK:           %[[I:.+]] = arith.addi %[[LB]], %[[MUL]] : index
// CHECK:           memref.store %[[TWO]], %[[BUF]][%[[I]]] : memref<?xf32>
// CHECK-LABEL: func.func @scale
// CHECK-SAME:    (%[[M:.+]]: memref<?xf32>, %[[LBV:.+]]: index, %[[UB:.+]]: index)
// CHECK:         %[[ONE:.+]] = llvm.mlir.constant(1 : i64) : i64
// CHECK:         %[[S:.+]] = llvm.alloca %[[ONE]] x !llvm.struct<(struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>, i64)>
// CHECK:         builtin.unrealized_conversion_cast %[[M]] : memref<?xf32> to !llvm.struct
// CHECK:         llvm.store
// CHECK:         builtin.unrealized_conversion_cast %[[LBV]] : index to i64
// CHECK:         llvm.store
// CHECK:         %[[FN:.+]] = constant @scale_par : (!llvm.ptr, i64, i64) -> ()
// CHECK:         %[[FP:.+]] = builtin.unrealized_conversion_cast %[[FN]] : (!llvm.ptr, i64, i64) -> () to !llvm.ptr
// CHECK:         %[[SPAN:.+]] = arith.subi %[[UB]], %[[LBV]] : index
// CHECK:         %[[TRIPS:.+]] = arith.ceildivsi %[[SPAN]], %{{.+}} : index
// CHECK:         %[[T64:.+]] = arith.index_cast %[[TRIPS]] : index to i64
// CHECK:         call @qnt_rt_parallel_for(%[[FP]], %[[S]], %{{.+}}, %[[T64]])
// CHECK-NOT:     scf.parallel
func.func @scale(%m: memref<?xf32>, %lb: index, %ub: index) {
  %c1 = arith.constant 1 : index
  %two = arith.constant 2.0 : f32
  scf.parallel (%i) = (%lb) to (%ub) step (%c1) {
    memref.store %two, %m[%i] : memref<?xf32>
    scf.reduce
  }
  return
}

// -----

// Two loops in one function get two bodies with distinct names.
// CHECK-LABEL: func.func private @two_par
// CHECK-LABEL: func.func private @two_par_0
// CHECK-LABEL: func.func @two
// CHECK-COUNT-2: call @qnt_rt_parallel_for
func.func @two(%m: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %v = arith.constant 1.0 : f32
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    memref.store %v, %m[%i] : memref<8xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    memref.store %v, %m[%i] : memref<8xf32>
    scf.reduce
  }
  return
}

// RUN: quant-opt %s --qnt-data-tiling --qnt-fold-weight-quant=storage=u8 --qnt-insert-act-quant --qnt-lower-to-llvm | FileCheck %s
// RUN: quant-opt %s --qnt-attach-target="dot=maddubs vector-bits=256" --qnt-data-tiling --qnt-fold-weight-quant --qnt-insert-act-quant --qnt-lower-to-llvm | FileCheck %s --check-prefix=AVX2
// RUN: quant-opt %s --qnt-data-tiling --qnt-fold-weight-quant --qnt-insert-act-quant --qnt-lower-to-llvm=intrinsics=0 | FileCheck %s --check-prefix=GENERIC
// RUN: quant-opt %s --qnt-data-tiling --qnt-fold-weight-quant --qnt-insert-act-quant --qnt-lower-to-llvm=share-kernels=0 | FileCheck %s --check-prefix=INLINE

// The named pipeline takes quantized qnt IR to the LLVM dialect: the kernels
// outlined onto the runtime's thread pool, scratch buffers from the
// runtime's allocator, the result an out-parameter, no casts left. The
// matmul is a kernel function of its own (share-kernels, on by default)
// that the entry point calls after quantizing its input. The dots are the
// module's target's: vpdpbusd (its own), AVX2's (an attached maddubs
// target), plain arithmetic (intrinsics=false).
// CHECK-DAG: llvm.func @qnt_rt_parallel_for(!llvm.ptr, !llvm.ptr, i64, i64)
// CHECK-DAG: llvm.func @_mlir_memref_to_llvm_alloc(i64) -> !llvm.ptr
// CHECK-DAG: llvm.func @_mlir_memref_to_llvm_free(!llvm.ptr)
// CHECK-NOT: unrealized_conversion_cast
// CHECK-LABEL: llvm.func @proj(
// CHECK: llvm.call @qnt_rt_parallel_for
// CHECK: llvm.call @qnt_matmul_0(
// CHECK-NOT: unrealized_conversion_cast
// CHECK-LABEL: llvm.func @qnt_matmul_0_par(
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"
// CHECK-LABEL: llvm.func @qnt_matmul_0(
// CHECK: llvm.call @qnt_rt_parallel_for
// CHECK-NOT: unrealized_conversion_cast
// AVX2-LABEL: llvm.func @qnt_matmul_0_par(
// AVX2: llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"
// GENERIC-NOT: llvm.call_intrinsic
// GENERIC-LABEL: llvm.func @proj(
// With share-kernels=false the entry point holds both loops.
// INLINE-LABEL: llvm.func @proj(
// INLINE-COUNT-2: llvm.call @qnt_rt_parallel_for
// INLINE-NOT: llvm.call @qnt_matmul
// The module's target makes the kernels 256 bits wide: 8 lanes, tiles of
// 16 channels.
module attributes {qnt.target = #qnt.target<vector_bits = 256, dot = vnni>} {
func.func @proj(%x: tensor<?x64xf32>) -> tensor<?x40xf32> {
  %w = arith.constant dense<0.125> : tensor<40x64xf32>
  %y = qnt.linear %x, %w : tensor<?x64xf32>, tensor<40x64xf32> -> tensor<?x40xf32>
  return %y : tensor<?x40xf32>
}
}

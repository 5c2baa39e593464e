// RUN: quant-opt %s --qnt-lower-to-llvm | FileCheck %s

// Decode's GEMV with two weight streams writes its [1, N] output through a
// [1, 2, N / 2] view of its destination (the kernel's last argument), and the
// kernel function returns the view collapsed back. Folded after
// bufferization, that result is the argument itself and is dropped: the
// kernel writes the caller's buffer in place, with no copy into an
// out-parameter (every decode matmul copied its output before: about 70 KiB
// a layer of a 1B model).
// CHECK-LABEL: llvm.func @gemv(
// CHECK-NOT:     memcpy
// CHECK:         llvm.call @qnt_matmul_0(
// CHECK-NOT:     memcpy
// CHECK-LABEL: llvm.func @qnt_matmul_0_par(
// CHECK:         llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK-LABEL: llvm.func @qnt_matmul_0(
// CHECK:         llvm.call @qnt_rt_parallel_for
// CHECK-NEXT:    llvm.return{{$}}
// CHECK-NOT:   memcpy
module attributes {qnt.target = #qnt.target<vector_bits = 512, dot = vnni, registers = 32>} {
  func.func @gemv(%x: !qnt.tensor<1x172xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>, #qnt.layout<pad = 32>>,
                  %w: !qnt.tensor<128x172xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>, #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>>) -> tensor<1x128xf32> {
    %y = qnt.matmul %x, %w : !qnt.tensor<1x172xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>, #qnt.layout<pad = 32>>,
         !qnt.tensor<128x172xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>, #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>> -> tensor<1x128xf32>
    return %y : tensor<1x128xf32>
  }
}

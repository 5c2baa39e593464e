// RUN: quant-opt %s --split-input-file --qnt-tile-matmul=gemv-streams=2 | FileCheck %s
// RUN: quant-opt %s --split-input-file --qnt-tile-matmul | FileCheck %s --check-prefix=ONE
// RUN: not quant-opt %s --split-input-file --qnt-tile-matmul=gemv-streams=5 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not quant-opt %s --split-input-file --qnt-tile-matmul=gemv-streams=-1 2>&1 | FileCheck %s --check-prefix=BAD0

// BAD: gemv-streams must be 0 (by storage) to 4, got 5
// BAD0: gemv-streams must be 0 (by storage) to 4, got -1

// One activation row (decode's GEMV) against a weight of 4 tiles of 32
// channels in records: two streams. The output [1, 128] is viewed as
// [1, 2, 64] (stream s's tiles are columns 64 s + ...); iteration p of a loop
// of 2 reads tiles p and p + 2 and writes one slice [1, 2, 32] of the view
// at column 32 p, in place.
// CHECK-LABEL: func.func @gemv
// CHECK:         %[[REC:.+]] = qnt.unpack %{{.+}} -> tensor<4x6x1088xi8>
// CHECK:         %[[VIEW:.+]] = tensor.expand_shape %{{.+}} {{\[\[}}0], [1, 2]] output_shape [1, 2, 64] : tensor<1x128xf32> into tensor<1x2x64xf32>
// CHECK:         %[[F:.+]] = scf.forall (%[[P:.+]]) in (2) shared_outs(%[[O:.+]] = %[[VIEW]]) -> (tensor<1x2x64xf32>)
// CHECK:           %[[TA:.+]] = arith.addi %[[P]], %{{.+}} : index
// CHECK:           %[[RA:.+]] = tensor.extract_slice %[[REC]][%[[TA]], 0, 0] [1, 6, 1088] [1, 1, 1]
// CHECK:           %[[TB:.+]] = arith.addi %[[P]], %{{.+}} : index
// CHECK:           %[[RB:.+]] = tensor.extract_slice %[[REC]][%[[TB]], 0, 0] [1, 6, 1088] [1, 1, 1]
// CHECK:           %[[COL:.+]] = arith.muli %[[P]], %{{.+}} : index
// CHECK:           %[[I:.+]] = tensor.extract_slice %[[O]][0, 0, %[[COL]]] [1, 2, 32] [1, 1, 1] : tensor<1x2x64xf32> to tensor<1x2x32xf32>
// CHECK:           %[[T:.+]] = qnt.matmul_tile %{{.+}}, %{{.+}} sums %{{.+}}, records(%[[RA]], %[[RB]]), %[[I]] {{{.+}}} : (tensor<1x192xi8>, tensor<1x6xf32>, tensor<1x6xi32>, tensor<6x1088xi8>, tensor<6x1088xi8>, tensor<1x2x32xf32>) -> tensor<1x2x32xf32>
// CHECK:           scf.forall.in_parallel
// CHECK-NEXT:        tensor.parallel_insert_slice %[[T]] into %[[O]][0, 0, %[[COL]]] [1, 2, 32] [1, 1, 1]
// CHECK:         tensor.collapse_shape %[[F]] {{\[\[}}0], [1, 2]] : tensor<1x2x64xf32> into tensor<1x128xf32>
// The default (0: by storage and target) gives this u8_offset128 weight
// (Q8_0's, on AVX-512) two streams too.
// ONE-LABEL: func.func @gemv
// ONE:         scf.forall (%{{.+}}) in (2)
// ONE:           qnt.matmul_tile {{.+}} records(%{{[^,)]+}}, %{{[^,)]+}}), {{.+}} -> tensor<1x2x32xf32>
module attributes {qnt.target = #qnt.target<vector_bits = 512, dot = vnni, registers = 32>} {
  func.func @gemv(%x: !qnt.tensor<1x172xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>, #qnt.layout<pad = 32>>,
                  %w: !qnt.tensor<128x172xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>, #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>>) -> tensor<1x128xf32> {
    %y = qnt.matmul %x, %w : !qnt.tensor<1x172xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>, #qnt.layout<pad = 32>>,
         !qnt.tensor<128x172xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>, #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>> -> tensor<1x128xf32>
    return %y : tensor<1x128xf32>
  }
}

// -----

// Where the streams do not apply, one tile an iteration: rows not statically
// one (prefill), tiles the streams do not divide (3), too few tiles to leave
// the threads two iterations (2), a weight without records, a last tile not
// whole (120 channels in 4 tiles).
// CHECK-LABEL: func.func @not_applied
// CHECK-NOT:     records(%{{[^,)]+}}, %
// CHECK:         scf.forall (%{{.+}}) in (4)
// CHECK:         scf.forall (%{{.+}}) in (3)
// CHECK:         scf.forall (%{{.+}}) in (2)
// CHECK:         scf.forall (%{{.+}}) in (4)
// CHECK:         scf.forall (%{{.+}}) in (4)
// CHECK-NOT:     records(%{{[^,)]+}}, %
// CHECK:         return
module attributes {qnt.target = #qnt.target<vector_bits = 512, dot = vnni, registers = 32>} {
  func.func @not_applied(%xm: !qnt.tensor<?x172xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>, #qnt.layout<pad = 32>>,
                         %x: !qnt.tensor<1x172xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>, #qnt.layout<pad = 32>>,
                         %w4: !qnt.tensor<128x172xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>, #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>>,
                         %w3: !qnt.tensor<96x172xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>, #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>>,
                         %w2: !qnt.tensor<64x172xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>, #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>>,
                         %wp: !qnt.tensor<128x172xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>, #qnt.layout<n0 = 32, k0 = 4, pad = 32>>,
                         %we: !qnt.tensor<120x172xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>, #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>>)
      -> (tensor<?x128xf32>, tensor<1x96xf32>, tensor<1x64xf32>, tensor<1x128xf32>, tensor<1x120xf32>) {
    %a = qnt.matmul %xm, %w4 : !qnt.tensor<?x172xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>, #qnt.layout<pad = 32>>,
         !qnt.tensor<128x172xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>, #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>> -> tensor<?x128xf32>
    %b = qnt.matmul %x, %w3 : !qnt.tensor<1x172xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>, #qnt.layout<pad = 32>>,
         !qnt.tensor<96x172xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>, #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>> -> tensor<1x96xf32>
    %c = qnt.matmul %x, %w2 : !qnt.tensor<1x172xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>, #qnt.layout<pad = 32>>,
         !qnt.tensor<64x172xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>, #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>> -> tensor<1x64xf32>
    %d = qnt.matmul %x, %wp : !qnt.tensor<1x172xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>, #qnt.layout<pad = 32>>,
         !qnt.tensor<128x172xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>, #qnt.layout<n0 = 32, k0 = 4, pad = 32>> -> tensor<1x128xf32>
    %e = qnt.matmul %x, %we : !qnt.tensor<1x172xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>, #qnt.layout<pad = 32>>,
         !qnt.tensor<120x172xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>, #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>> -> tensor<1x120xf32>
    return %a, %b, %c, %d, %e : tensor<?x128xf32>, tensor<1x96xf32>, tensor<1x64xf32>, tensor<1x128xf32>, tensor<1x120xf32>
  }
}

// -----

// The default gives Q4_0's storage (u4_offset8) two streams.
// CHECK-LABEL: func.func @q4_0
// CHECK:         scf.forall (%{{.+}}) in (2)
// CHECK:           qnt.matmul_tile {{.+}} records(%{{[^,)]+}}, %{{[^,)]+}}), {{.+}} -> tensor<1x2x32xf32>
// ONE-LABEL: func.func @q4_0
// ONE:         scf.forall (%{{.+}}) in (2)
// ONE:           qnt.matmul_tile {{.+}} records(%{{[^,)]+}}, %{{[^,)]+}}), {{.+}} -> tensor<1x2x32xf32>
module attributes {qnt.target = #qnt.target<vector_bits = 512, dot = vnni, registers = 32>} {
  func.func @q4_0(%x: !qnt.tensor<1x256xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>, #qnt.layout<pad = 32>>,
                  %w: !qnt.tensor<128x256xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8>, #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>>) -> tensor<1x128xf32> {
    %y = qnt.matmul %x, %w : !qnt.tensor<1x256xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>, #qnt.layout<pad = 32>>,
         !qnt.tensor<128x256xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8>, #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>> -> tensor<1x128xf32>
    return %y : tensor<1x128xf32>
  }
}

// -----

// Q6_K's storage (u6_offset32) takes two streams by default where the target
// has 32 vector registers (AVX-512)...
// ONE-LABEL: func.func @q6_k_avx512
// ONE:         scf.forall (%{{.+}}) in (2)
// ONE:           qnt.matmul_tile {{.+}} records(%{{[^,)]+}}, %{{[^,)]+}}), {{.+}} -> tensor<1x2x32xf32>
module attributes {qnt.target = #qnt.target<vector_bits = 512, dot = vnni, registers = 32>} {
  func.func @q6_k_avx512(%x: !qnt.tensor<1x256xf32, #qnt.scheme<granularity = per_block, block = 16, scale = f32, sums = true>>,
                         %w: !qnt.tensor<128x256xf32, #qnt.scheme<bits = 6, granularity = per_block, block = 16, storage = u6_offset32, super_block = 256>, #qnt.layout<n0 = 32, k0 = 4, pad = 256, records = true>>) -> tensor<1x128xf32> {
    %y = qnt.matmul %x, %w : !qnt.tensor<1x256xf32, #qnt.scheme<granularity = per_block, block = 16, scale = f32, sums = true>>,
         !qnt.tensor<128x256xf32, #qnt.scheme<bits = 6, granularity = per_block, block = 16, storage = u6_offset32, super_block = 256>, #qnt.layout<n0 = 32, k0 = 4, pad = 256, records = true>> -> tensor<1x128xf32>
    return %y : tensor<1x128xf32>
  }
}

// -----

// ... and one with AVX2's 16, where the second stream's accumulators would
// spill (measured 7% slower); Q4_0's (u4_offset8) takes two there.
// ONE-LABEL: func.func @q6_k_avx2
// ONE:         scf.forall (%{{.+}}) in (8)
// ONE:           qnt.matmul_tile {{.+}} records(%{{[^,)]+}}), {{.+}} -> tensor<1x?xf32>
// ONE-NOT:       records(%{{[^,)]+}}, %
// ONE-LABEL: func.func @q4_0_avx2
// ONE:         scf.forall (%{{.+}}) in (4)
// ONE:           qnt.matmul_tile {{.+}} records(%{{[^,)]+}}, %{{[^,)]+}}), {{.+}} -> tensor<1x2x16xf32>
module attributes {qnt.target = #qnt.target<vector_bits = 256, dot = maddubs>} {
  func.func @q6_k_avx2(%x: !qnt.tensor<1x256xf32, #qnt.scheme<granularity = per_block, block = 16, scale = f32, sums = true>>,
                       %w: !qnt.tensor<128x256xf32, #qnt.scheme<bits = 6, granularity = per_block, block = 16, storage = u6_offset32, super_block = 256>, #qnt.layout<n0 = 16, k0 = 4, pad = 256, records = true>>) -> tensor<1x128xf32> {
    %y = qnt.matmul %x, %w : !qnt.tensor<1x256xf32, #qnt.scheme<granularity = per_block, block = 16, scale = f32, sums = true>>,
         !qnt.tensor<128x256xf32, #qnt.scheme<bits = 6, granularity = per_block, block = 16, storage = u6_offset32, super_block = 256>, #qnt.layout<n0 = 16, k0 = 4, pad = 256, records = true>> -> tensor<1x128xf32>
    return %y : tensor<1x128xf32>
  }
  func.func @q4_0_avx2(%x: !qnt.tensor<1x256xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>, #qnt.layout<pad = 32>>,
                       %w: !qnt.tensor<128x256xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8>, #qnt.layout<n0 = 16, k0 = 4, pad = 32, records = true>>) -> tensor<1x128xf32> {
    %y = qnt.matmul %x, %w : !qnt.tensor<1x256xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>, #qnt.layout<pad = 32>>,
         !qnt.tensor<128x256xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8>, #qnt.layout<n0 = 16, k0 = 4, pad = 32, records = true>> -> tensor<1x128xf32>
    return %y : tensor<1x128xf32>
  }
}

// -----

// Q4_K (4-bit with mins in super-blocks) reads one stream by default, even
// with 32 registers: two measured 2-16% slower.
// ONE-LABEL: func.func @q4_k
// ONE:         scf.forall (%{{.+}}) in (4)
// ONE-NOT:       records(%{{[^,)]+}}, %
module attributes {qnt.target = #qnt.target<vector_bits = 512, dot = vnni, registers = 32>} {
  func.func @q4_k(%x: !qnt.tensor<1x256xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>>,
                  %w: !qnt.tensor<128x256xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4, mins = true, super_block = 256>, #qnt.layout<n0 = 32, k0 = 4, pad = 256, records = true>>) -> tensor<1x128xf32> {
    %y = qnt.matmul %x, %w : !qnt.tensor<1x256xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>>,
         !qnt.tensor<128x256xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4, mins = true, super_block = 256>, #qnt.layout<n0 = 32, k0 = 4, pad = 256, records = true>> -> tensor<1x128xf32>
    return %y : tensor<1x128xf32>
  }
}

// -----

// Generic code (no VNNI, no AVX2) reads one stream by default.
// ONE-LABEL: func.func @generic
// ONE:         scf.forall (%{{.+}}) in (8)
// ONE-NOT:       records(%{{[^,)]+}}, %
module attributes {qnt.target = #qnt.target<vector_bits = 128, dot = generic>} {
  func.func @generic(%x: !qnt.tensor<1x256xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>, #qnt.layout<pad = 32>>,
                     %w: !qnt.tensor<64x256xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8>, #qnt.layout<n0 = 8, k0 = 4, pad = 32, records = true>>) -> tensor<1x64xf32> {
    %y = qnt.matmul %x, %w : !qnt.tensor<1x256xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>, #qnt.layout<pad = 32>>,
         !qnt.tensor<64x256xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8>, #qnt.layout<n0 = 8, k0 = 4, pad = 32, records = true>> -> tensor<1x64xf32>
    return %y : tensor<1x64xf32>
  }
}

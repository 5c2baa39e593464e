// RUN: quant-opt %s --split-input-file --qnt-tile-matmul=gemv-streams=2 | FileCheck %s
// RUN: quant-opt %s --split-input-file --qnt-tile-matmul | FileCheck %s --check-prefix=ONE
// RUN: not quant-opt %s --split-input-file --qnt-tile-matmul=gemv-streams=5 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not quant-opt %s --split-input-file --qnt-tile-matmul=gemv-streams=0 2>&1 | FileCheck %s --check-prefix=BAD0

// BAD: gemv-streams must be 1 to 4, got 5
// BAD0: gemv-streams must be 1 to 4, got 0

// One activation row (decode's GEMV) against a weight of 4 tiles of 32
// channels (120: the last tile 24 wide) in records: two streams, tiles p and
// p + 2 in iteration p of a loop of 2, one matmul_tile with both records
// tiles and both output slices, each inserted at its tile's columns.
// CHECK-LABEL: func.func @gemv
// CHECK:         %[[REC:.+]] = qnt.unpack %{{.+}} -> tensor<4x6x1088xi8>
// CHECK:         scf.forall (%[[P:.+]]) in (2) shared_outs(%[[O:.+]] = %{{.+}}) -> (tensor<1x120xf32>)
// CHECK:           %[[TA:.+]] = arith.addi %[[P]], %[[C0:.+]] : index
// CHECK:           %[[NA:.+]] = arith.muli %[[TA]], %{{.+}} : index
// CHECK:           %[[WA:.+]] = arith.minsi
// CHECK:           %[[IA:.+]] = tensor.extract_slice %[[O]][0, %[[NA]]] [1, %[[WA]]] [1, 1] : tensor<1x120xf32> to tensor<1x?xf32>
// CHECK:           %[[RA:.+]] = tensor.extract_slice %[[REC]][%[[TA]], 0, 0] [1, 6, 1088] [1, 1, 1]
// CHECK:           %[[TB:.+]] = arith.addi %[[P]], %[[C2:.+]] : index
// CHECK:           %[[NB:.+]] = arith.muli %[[TB]], %{{.+}} : index
// CHECK:           %[[WB:.+]] = arith.minsi
// CHECK:           %[[IB:.+]] = tensor.extract_slice %[[O]][0, %[[NB]]] [1, %[[WB]]] [1, 1] : tensor<1x120xf32> to tensor<1x?xf32>
// CHECK:           %[[RB:.+]] = tensor.extract_slice %[[REC]][%[[TB]], 0, 0] [1, 6, 1088] [1, 1, 1]
// CHECK:           %[[T:.+]]:2 = qnt.matmul_tile %{{.+}}, %{{.+}} sums %{{.+}}, records(%[[RA]], %[[RB]]), %[[IA]], %[[IB]] {{{.+}}} : (tensor<1x192xi8>, tensor<1x6xf32>, tensor<1x6xi32>, tensor<6x1088xi8>, tensor<6x1088xi8>, tensor<1x?xf32>, tensor<1x?xf32>) -> (tensor<1x?xf32>, tensor<1x?xf32>)
// CHECK:           scf.forall.in_parallel
// CHECK-NEXT:        tensor.parallel_insert_slice %[[T]]#0 into %[[O]][0, %[[NA]]] [1, %[[WA]]] [1, 1]
// CHECK-NEXT:        tensor.parallel_insert_slice %[[T]]#1 into %[[O]][0, %[[NB]]] [1, %[[WB]]] [1, 1]
// The default, one stream: a loop over the 4 tiles, one records tile each.
// ONE-LABEL: func.func @gemv
// ONE:         scf.forall (%{{.+}}) in (4)
// ONE:           qnt.matmul_tile {{.+}} records(%{{[^,]+}}), {{.+}} -> tensor<1x?xf32>
// ONE-NOT:       records(%{{[^,)]+}}, %
module attributes {qnt.target = #qnt.target<vector_bits = 512, dot = vnni, registers = 32>} {
  func.func @gemv(%x: !qnt.tensor<1x172xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>, #qnt.layout<pad = 32>>,
                  %w: !qnt.tensor<120x172xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>, #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>>) -> tensor<1x120xf32> {
    %y = qnt.matmul %x, %w : !qnt.tensor<1x172xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>, #qnt.layout<pad = 32>>,
         !qnt.tensor<120x172xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>, #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>> -> tensor<1x120xf32>
    return %y : tensor<1x120xf32>
  }
}

// -----

// Where the streams do not apply, one tile an iteration: rows not statically
// one (prefill), tiles the streams do not divide (3), too few tiles to leave
// the threads two iterations (2), a weight without records.
// CHECK-LABEL: func.func @not_applied
// CHECK-NOT:     records(%{{[^,)]+}}, %
// CHECK:         scf.forall (%{{.+}}) in (4)
// CHECK:         scf.forall (%{{.+}}) in (3)
// CHECK:         scf.forall (%{{.+}}) in (2)
// CHECK:         scf.forall (%{{.+}}) in (4)
// CHECK-NOT:     records(%{{[^,)]+}}, %
// CHECK:         return
module attributes {qnt.target = #qnt.target<vector_bits = 512, dot = vnni, registers = 32>} {
  func.func @not_applied(%xm: !qnt.tensor<?x172xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>, #qnt.layout<pad = 32>>,
                         %x: !qnt.tensor<1x172xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>, #qnt.layout<pad = 32>>,
                         %w4: !qnt.tensor<128x172xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>, #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>>,
                         %w3: !qnt.tensor<96x172xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>, #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>>,
                         %w2: !qnt.tensor<64x172xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>, #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>>,
                         %wp: !qnt.tensor<128x172xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>, #qnt.layout<n0 = 32, k0 = 4, pad = 32>>)
      -> (tensor<?x128xf32>, tensor<1x96xf32>, tensor<1x64xf32>, tensor<1x128xf32>) {
    %a = qnt.matmul %xm, %w4 : !qnt.tensor<?x172xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>, #qnt.layout<pad = 32>>,
         !qnt.tensor<128x172xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>, #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>> -> tensor<?x128xf32>
    %b = qnt.matmul %x, %w3 : !qnt.tensor<1x172xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>, #qnt.layout<pad = 32>>,
         !qnt.tensor<96x172xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>, #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>> -> tensor<1x96xf32>
    %c = qnt.matmul %x, %w2 : !qnt.tensor<1x172xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>, #qnt.layout<pad = 32>>,
         !qnt.tensor<64x172xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>, #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>> -> tensor<1x64xf32>
    %d = qnt.matmul %x, %wp : !qnt.tensor<1x172xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>, #qnt.layout<pad = 32>>,
         !qnt.tensor<128x172xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>, #qnt.layout<n0 = 32, k0 = 4, pad = 32>> -> tensor<1x128xf32>
    return %a, %b, %c, %d : tensor<?x128xf32>, tensor<1x96xf32>, tensor<1x64xf32>, tensor<1x128xf32>
  }
}

// RUN: quant-opt %s --qnt-share-kernels | FileCheck %s
// RUN: quant-opt %s --qnt-share-kernels --qnt-share-kernels | FileCheck %s

// Two layers' matmuls of one shape call one kernel; another shape, or a
// residual accumulated (a destination of the same type otherwise), gets its
// own. A destination is made by the caller (a tensor.empty, rows taken from
// the activation's data: CSE and bufferization make the layers' one buffer);
// the kernel materializes its result there, and its result is marked as its
// last argument (`qnt.in_last_arg`).
// CHECK-LABEL: func.func @layers
// CHECK-SAME:    (%[[X:[^:]+]]: !qnt.tensor<?x64xf32, #[[$A:.+]]>, %[[W0:[^:]+]]: {{.+}}, %[[W1:[^:]+]]: {{.+}}, %[[W2:[^:]+]]: {{.+}}, %[[R:[^:]+]]: tensor<?x64xf32>)
// CHECK:         %[[D0:.+]]:3 = qnt.unpack %[[X]]
// CHECK:         %[[M0:.+]] = tensor.dim %[[D0]]#0, %{{.+}} : tensor<?x64xi8>
// CHECK:         %[[E0:.+]] = tensor.empty(%[[M0]]) : tensor<?x64xf32>
// CHECK:         %[[Y0:.+]] = call @qnt_matmul_0(%[[X]], %[[W0]], %[[E0]])
// CHECK:         %[[E1:.+]] = tensor.empty(%{{.+}}) : tensor<?x64xf32>
// CHECK:         %[[Y1:.+]] = call @qnt_matmul_0(%[[X]], %[[W1]], %[[E1]])
// CHECK:         %[[E2:.+]] = tensor.empty(%{{.+}}) : tensor<?x32xf32>
// CHECK:         call @qnt_matmul_1(%[[X]], %[[W2]], %[[E2]])
// CHECK:         call @qnt_matmul_2(%[[X]], %[[W0]], %[[R]])
// CHECK-NOT:     qnt.matmul
// CHECK-LABEL: func.func private @qnt_matmul_0
// CHECK-SAME:    (%[[KX:[^:]+]]: !qnt.tensor<?x64xf32, #[[$A]]>, %[[KW:[^:]+]]: !qnt.tensor<64x64xf32, {{.+}}>, %[[KD:[^:]+]]: tensor<?x64xf32>) -> (tensor<?x64xf32> {qnt.in_last_arg})
// CHECK:         %[[KY:.+]] = qnt.matmul %[[KX]], %[[KW]] :
// CHECK:         %[[KR:.+]] = bufferization.materialize_in_destination %[[KY]] in %[[KD]]
// CHECK:         return %[[KR]]
// CHECK-LABEL: func.func private @qnt_matmul_1
// CHECK-LABEL: func.func private @qnt_matmul_2
// CHECK-SAME:    %[[KA:[^:]+]]: tensor<?x64xf32>) -> (tensor<?x64xf32> {qnt.in_last_arg})
// CHECK:         %[[KY:.+]] = qnt.matmul %{{.+}}, %{{.+}} acc %[[KA]]
// CHECK-NOT:     materialize_in_destination
// CHECK:         return %[[KY]]
// CHECK-NOT:   func.func private @qnt_matmul_3
!a = !qnt.tensor<?x64xf32, #qnt.scheme<granularity = per_block, scale = f32, sums = true>>
!w = !qnt.tensor<64x64xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>, #qnt.layout<n0 = 16, k0 = 4, pad = 32>>
!w2 = !qnt.tensor<32x64xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>, #qnt.layout<n0 = 16, k0 = 4, pad = 32>>
func.func @layers(%x: !a, %w0: !w, %w1: !w, %w2: !w2, %r: tensor<?x64xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x64xf32>) {
  %y0 = qnt.matmul %x, %w0 : !a, !w -> tensor<?x64xf32>
  %y1 = qnt.matmul %x, %w1 : !a, !w -> tensor<?x64xf32>
  %y2 = qnt.matmul %x, %w2 : !a, !w2 -> tensor<?x32xf32>
  %y3 = qnt.matmul %x, %w0 acc %r : !a, !w, tensor<?x64xf32> -> tensor<?x64xf32>
  return %y0, %y1, %y2, %y3 : tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x64xf32>
}

// RUN: quant-opt %s --canonicalize --cse | FileCheck %s

// A kernel whose result is its last argument (`qnt.in_last_arg`, as
// --qnt-share-kernels writes them): tensor.dim of a call's result is the
// last operand's, so a chain of calls keeps the shape of the value it began
// with, and the destinations of one shape become one tensor.empty.
// CHECK-LABEL: func.func @layers
// CHECK-SAME:    (%[[X:[^:]+]]: tensor<?x64xf32>)
// CHECK:         %[[N:.+]] = tensor.dim %[[X]], %{{.+}}
// CHECK:         %[[E:.+]] = tensor.empty(%[[N]]) : tensor<?x64xf32>
// CHECK:         %[[Y0:.+]] = call @kernel(%[[X]], %[[E]])
// CHECK:         %[[Y1:.+]] = call @kernel(%[[Y0]], %[[E]])
// CHECK:         %[[Y2:.+]] = call @plain(%[[Y1]], %[[E]])
// CHECK:         %[[M:.+]] = tensor.dim %[[Y2]], %{{.+}}
// CHECK:         return %[[N]], %[[M]]
func.func private @kernel(tensor<?x64xf32>, tensor<?x64xf32>) -> (tensor<?x64xf32> {qnt.in_last_arg})
func.func private @plain(tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
func.func @layers(%x: tensor<?x64xf32>) -> (index, index) {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x64xf32>
  %e0 = tensor.empty(%n) : tensor<?x64xf32>
  %y0 = call @kernel(%x, %e0) : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  %n1 = tensor.dim %y0, %c0 : tensor<?x64xf32>
  %e1 = tensor.empty(%n1) : tensor<?x64xf32>
  %y1 = call @kernel(%y0, %e1) : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  %n2 = tensor.dim %y1, %c0 : tensor<?x64xf32>
  %e2 = tensor.empty(%n2) : tensor<?x64xf32>
  %y2 = call @plain(%y1, %e2) : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  %n3 = tensor.dim %y1, %c0 : tensor<?x64xf32>
  %m = tensor.dim %y2, %c0 : tensor<?x64xf32>
  %s = arith.addi %n3, %m : index
  return %n3, %m : index, index
}

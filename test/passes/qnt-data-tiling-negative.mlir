// RUN: quant-opt %s --split-input-file --qnt-data-tiling | FileCheck %s

// A weight that is no compile-time constant is not stored by the compiler:
// no layout to choose.
// CHECK-LABEL: func.func @argument_weight
// CHECK-NOT:     weight_layout
func.func @argument_weight(%x: tensor<?x32xf32>, %w: tensor<2x32xf32>) -> tensor<?x2xf32> {
  %y = qnt.linear %x, %w : tensor<?x32xf32>, tensor<2x32xf32> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// A layout already chosen is kept.
// CHECK-LABEL: func.func @chosen
// CHECK:         {weight_layout = #qnt.layout<n0 = 4, k0 = 4, pad = 64>}
func.func @chosen(%x: tensor<?x32xf32>) -> tensor<?x2xf32> {
  %w = arith.constant dense<0.5> : tensor<2x32xf32>
  %y = qnt.linear %x, %w {weight_layout = #qnt.layout<n0 = 4, k0 = 4, pad = 64>} : tensor<?x32xf32>, tensor<2x32xf32> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

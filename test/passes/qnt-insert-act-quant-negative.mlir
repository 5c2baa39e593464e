// RUN: quant-opt %s --split-input-file --qnt-insert-act-quant | FileCheck %s

// A linear whose weight stays float (a layer kept in float on purpose, or a
// weight only known at run time) keeps a float activation.
// CHECK-LABEL: func.func @float_weight
// CHECK-NOT:     qnt.quantize
// CHECK:         qnt.linear %{{.+}}, %{{.+}} : tensor<?x32xf32>, tensor<4x32xf32> -> tensor<?x4xf32>
func.func @float_weight(%x: tensor<?x32xf32>, %w: tensor<4x32xf32>) -> tensor<?x4xf32> {
  %y = qnt.linear %x, %w : tensor<?x32xf32>, tensor<4x32xf32> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

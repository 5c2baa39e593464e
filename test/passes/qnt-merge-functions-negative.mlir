// RUN: quant-opt %s --qnt-merge-functions | FileCheck %s

// What differs otherwise keeps the functions apart: a float constant, a
// slice's size, an op, the operands' order, the signature. A public function
// and one referred to other than by calls are left as they are.
// CHECK-LABEL: func.func @apart
// CHECK:         call @f0(
// CHECK:         call @f1(
// CHECK:         call @f2(
// CHECK:         call @f3(
// CHECK:         call @f4(
// CHECK:         call @f5(
// CHECK:         call @g0(
// CHECK:         call @g1(
// CHECK-COUNT-6: func.func private @f
// CHECK:         func.func @g0
// CHECK:         func.func private @g1
func.func @apart(%x: tensor<4xf32>, %i: index) -> () {
  %0 = call @f0(%x, %i) : (tensor<4xf32>, index) -> tensor<2xf32>
  %1 = call @f1(%x, %i) : (tensor<4xf32>, index) -> tensor<2xf32>
  %2 = call @f2(%x, %i) : (tensor<4xf32>, index) -> tensor<2xf32>
  %3 = call @f3(%x, %i) : (tensor<4xf32>, index) -> tensor<2xf32>
  %4 = call @f4(%x, %i) : (tensor<4xf32>, index) -> tensor<2xf32>
  %5 = call @f5(%x, %i) : (tensor<4xf32>, index) -> tensor<3xf32>
  %6 = call @g0(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %7 = call @g1(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %f = func.constant @g1 : (tensor<4xf32>) -> tensor<4xf32>
  return
}
func.func private @f0(%x: tensor<4xf32>, %i: index) -> tensor<2xf32> {
  %c = arith.constant dense<1.0> : tensor<2xf32>
  %s = tensor.extract_slice %x[%i] [2] [1] : tensor<4xf32> to tensor<2xf32>
  %y = arith.addf %s, %c : tensor<2xf32>
  return %y : tensor<2xf32>
}
func.func private @f1(%x: tensor<4xf32>, %i: index) -> tensor<2xf32> {
  %c = arith.constant dense<2.0> : tensor<2xf32>
  %s = tensor.extract_slice %x[%i] [2] [1] : tensor<4xf32> to tensor<2xf32>
  %y = arith.addf %s, %c : tensor<2xf32>
  return %y : tensor<2xf32>
}
func.func private @f2(%x: tensor<4xf32>, %i: index) -> tensor<2xf32> {
  %c = arith.constant dense<1.0> : tensor<2xf32>
  %s = tensor.extract_slice %x[%i] [2] [1] : tensor<4xf32> to tensor<2xf32>
  %y = arith.mulf %s, %c : tensor<2xf32>
  return %y : tensor<2xf32>
}
func.func private @f3(%x: tensor<4xf32>, %i: index) -> tensor<2xf32> {
  %c = arith.constant dense<1.0> : tensor<2xf32>
  %s = tensor.extract_slice %x[%i] [2] [1] : tensor<4xf32> to tensor<2xf32>
  %y = arith.addf %c, %s : tensor<2xf32>
  return %y : tensor<2xf32>
}
func.func private @f4(%x: tensor<4xf32>, %i: index) -> tensor<2xf32> {
  %c = arith.constant dense<1.0> : tensor<2xf32>
  %s = tensor.extract_slice %x[%i] [2] [2] : tensor<4xf32> to tensor<2xf32>
  %y = arith.addf %s, %c : tensor<2xf32>
  return %y : tensor<2xf32>
}
func.func private @f5(%x: tensor<4xf32>, %i: index) -> tensor<3xf32> {
  %c = arith.constant dense<1.0> : tensor<3xf32>
  %s = tensor.extract_slice %x[%i] [3] [1] : tensor<4xf32> to tensor<3xf32>
  %y = arith.addf %s, %c : tensor<3xf32>
  return %y : tensor<3xf32>
}
func.func @g0(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
func.func private @g1(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

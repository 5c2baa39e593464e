// RUN: quant-opt %s --qnt-fold-weight-quant=progress=1 -o /dev/null 2>&1 | FileCheck %s
// RUN: quant-opt %s --qnt-fold-weight-quant -o /dev/null 2>&1 | count 0

// progress=1: a remark as each weight is folded (for every linear reading
// it), counting the weights to fold and the bytes stored (4 x 32 Q8_0: 128
// bytes of data and 8 of fp16 scales); in whichever order the pass takes
// them. Without it, no remark.
// CHECK-DAG: remark: folded weight 1 of 2, 136 bytes stored
// CHECK-DAG: remark: folded weight 2 of 2, 272 bytes stored
// CHECK-NOT: remark:
func.func @two(%x: tensor<?x32xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) {
  %w = arith.constant dense<0.5> : tensor<4x32xf32>
  %v = arith.constant dense<0.25> : tensor<4x32xf32>
  %y = qnt.linear %x, %w : tensor<?x32xf32>, tensor<4x32xf32> -> tensor<?x4xf32>
  %z = qnt.linear %x, %w : tensor<?x32xf32>, tensor<4x32xf32> -> tensor<?x4xf32>
  %u = qnt.linear %x, %v : tensor<?x32xf32>, tensor<4x32xf32> -> tensor<?x4xf32>
  return %y, %z, %u : tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>
}

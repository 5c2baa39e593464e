// RUN: quant-opt %s --split-input-file --qnt-lower-to-vector | FileCheck %s

// Only the rank-2 f32 adds of activations are lowered; a rank-1 tensor add
// and scalar or vector adds are other passes' business.
// CHECK-LABEL: func.func @other_adds
// CHECK:         arith.addf %{{.+}}, %{{.+}} : tensor<8xf32>
// CHECK:         arith.addf %{{.+}}, %{{.+}} : f32
// CHECK:         arith.addf %{{.+}}, %{{.+}} : vector<4xf32>
// CHECK-NOT:     scf.forall
func.func @other_adds(%t: tensor<8xf32>, %s: f32, %v: vector<4xf32>) -> (tensor<8xf32>, f32, vector<4xf32>) {
  %a = arith.addf %t, %t : tensor<8xf32>
  %b = arith.addf %s, %s : f32
  %c = arith.addf %v, %v : vector<4xf32>
  return %a, %b, %c : tensor<8xf32>, f32, vector<4xf32>
}

// -----

// qnt_x86.dpbusd is already kernel level: it stays for --qnt-lower-x86.
// CHECK-LABEL: func.func @dot
// CHECK:         qnt_x86.dpbusd
func.func @dot(%acc: vector<8xi32>, %a: vector<32xi8>) -> vector<8xi32> {
  %r = qnt_x86.dpbusd %acc, %a, %a : vector<32xi8> -> vector<8xi32>
  return %r : vector<8xi32>
}

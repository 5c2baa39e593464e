// RUN: quant-opt %s | quant-opt | FileCheck %s
// RUN: quant-opt %s --mlir-print-op-generic | quant-opt | FileCheck %s

// Every op prints and parses back, in custom and generic form.

// CHECK-LABEL: func.func @dot
func.func @dot(%acc: vector<8xi32>, %a: vector<32xi8>, %b: vector<32xi8>) -> vector<8xi32> {
  // CHECK: qnt_x86.dpbusd %{{.*}}, %{{.*}}, %{{.*}} : vector<32xi8> -> vector<8xi32>
  %r = qnt_x86.dpbusd %acc, %a, %b : vector<32xi8> -> vector<8xi32>
  return %r : vector<8xi32>
}

// CHECK-LABEL: func.func @dots
func.func @dots(%acc: vector<8xi32>, %a: vector<32xi8>) -> vector<8xi32> {
  // CHECK: qnt_x86.dpbssd %{{.+}}, %{{.+}}, %{{.+}} : vector<32xi8> -> vector<8xi32>
  %r = qnt_x86.dpbssd %acc, %a, %a : vector<32xi8> -> vector<8xi32>
  // CHECK: qnt_x86.dpbusd %{{.+}}, %{{.+}}, %{{.+}} {nibbles} : vector<32xi8> -> vector<8xi32>
  %n = qnt_x86.dpbusd %r, %a, %a {nibbles} : vector<32xi8> -> vector<8xi32>
  // CHECK: qnt_x86.dpbusw %{{.+}}, %{{.+}}, %{{.+}} : vector<32xi8> -> vector<16xi16>
  %z = arith.constant dense<0> : vector<16xi16>
  %p = qnt_x86.dpbusw %z, %a, %a : vector<32xi8> -> vector<16xi16>
  // CHECK: qnt_x86.widen_pairs %{{.+}} : vector<16xi16> -> vector<8xi32>
  %w = qnt_x86.widen_pairs %p : vector<16xi16> -> vector<8xi32>
  // CHECK: qnt_x86.widen_pairs %{{.+}} scaled %{{.+}} : vector<16xi16>, vector<8xi16> -> vector<8xi32>
  %sc = arith.constant dense<3> : vector<8xi16>
  %ws = qnt_x86.widen_pairs %p scaled %sc : vector<16xi16>, vector<8xi16> -> vector<8xi32>
  // CHECK: qnt_x86.lookup %{{.+}} [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113] : vector<32xi8>
  %g = qnt_x86.lookup %a [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113] : vector<32xi8>
  %gn = qnt_x86.dpbusd %w, %g, %a : vector<32xi8> -> vector<8xi32>
  %sum = arith.addi %n, %gn : vector<8xi32>
  return %sum : vector<8xi32>
}

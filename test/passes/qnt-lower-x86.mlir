// The dots follow the module's #qnt.target: a VNNI target (CHECK; every
// such CPU has AVX2 too, SIGNTRICK), an AVX2 one (AVX2ONLY, SIGNTRICK), none
// (a generic one) or intrinsics=false (GENERIC).
// RUN: quant-opt %s --qnt-attach-target="dot=vnni vector-bits=512 registers=32" --qnt-lower-x86 | FileCheck %s --check-prefixes=CHECK,SIGNTRICK
// RUN: quant-opt %s --qnt-attach-target="dot=maddubs vector-bits=256" --qnt-lower-x86 | FileCheck %s --check-prefixes=AVX2ONLY,SIGNTRICK
// RUN: quant-opt %s --qnt-lower-x86 | FileCheck %s --check-prefix=GENERIC
// RUN: quant-opt %s --qnt-attach-target="dot=vnni vector-bits=512 registers=32" --qnt-lower-x86=intrinsics=0 | FileCheck %s --check-prefix=GENERIC

// The three VNNI widths become the intrinsic.
// CHECK-LABEL: func.func @widths
// CHECK:         llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.128"(%{{.+}}, %{{.+}}, %{{.+}}) : (vector<4xi32>, vector<16xi8>, vector<16xi8>) -> vector<4xi32>
// CHECK:         llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"(%{{.+}}, %{{.+}}, %{{.+}}) : (vector<8xi32>, vector<32xi8>, vector<32xi8>) -> vector<8xi32>
// CHECK:         llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.+}}, %{{.+}}, %{{.+}}) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
// CHECK-NOT:     qnt_x86.dpbusd
// Without VNNI: zero-extend the u8 side, sign-extend the s8 side, multiply,
// and add the four strided lanes of each group to the accumulator.
// GENERIC-LABEL: func.func @widths
// GENERIC:         %[[L:.+]] = arith.extui %{{.+}} : vector<32xi8> to vector<32xi32>
// GENERIC:         %[[R:.+]] = arith.extsi %{{.+}} : vector<32xi8> to vector<32xi32>
// GENERIC:         %[[P:.+]] = arith.muli %[[L]], %[[R]] : vector<32xi32>
// GENERIC:         %[[P0:.+]] = vector.shuffle %[[P]], %[[P]] [0, 4, 8, 12, 16, 20, 24, 28] : vector<32xi32>, vector<32xi32>
// GENERIC:         %[[S0:.+]] = arith.addi %{{.+}}, %[[P0]] : vector<8xi32>
// GENERIC:         vector.shuffle %[[P]], %[[P]] [1, 5, 9, 13, 17, 21, 25, 29]
// GENERIC:         vector.shuffle %[[P]], %[[P]] [2, 6, 10, 14, 18, 22, 26, 30]
// GENERIC:         vector.shuffle %[[P]], %[[P]] [3, 7, 11, 15, 19, 23, 27, 31]
// GENERIC-NOT:     llvm.call_intrinsic
func.func @widths(%a4: vector<4xi32>, %b16: vector<16xi8>, %a8: vector<8xi32>, %b32: vector<32xi8>,
                  %a16: vector<16xi32>, %b64: vector<64xi8>) -> (vector<4xi32>, vector<8xi32>, vector<16xi32>) {
  %r4 = qnt_x86.dpbusd %a4, %b16, %b16 : vector<16xi8> -> vector<4xi32>
  %r8 = qnt_x86.dpbusd %a8, %b32, %b32 : vector<32xi8> -> vector<8xi32>
  %r16 = qnt_x86.dpbusd %a16, %b64, %b64 : vector<64xi8> -> vector<16xi32>
  return %r4, %r8, %r16 : vector<4xi32>, vector<8xi32>, vector<16xi32>
}

// A length with no VNNI form is expanded even when VNNI is on.
// CHECK-LABEL: func.func @no_vnni_form
// CHECK-NOT:     llvm.call_intrinsic
// CHECK:         vector.shuffle
func.func @no_vnni_form(%a: vector<2xi32>, %b: vector<8xi8>) -> vector<2xi32> {
  %r = qnt_x86.dpbusd %a, %b, %b : vector<8xi8> -> vector<2xi32>
  return %r : vector<2xi32>
}

// s8 x s8 where the target has AVX2: |w| (the rhs, %arg2) and a (the lhs,
// %arg1) with the sign of w by vpsignb, u8 x s8 pairs by vpmaddubsw, quads
// by vpmaddwd with ones, added to the accumulator.
// SIGNTRICK-LABEL: func.func @signed
// SIGNTRICK:         %[[ABS:.+]] = llvm.call_intrinsic "llvm.x86.avx2.psign.b"(%arg2, %arg2) : (vector<32xi8>, vector<32xi8>) -> vector<32xi8>
// SIGNTRICK:         %[[SA:.+]] = llvm.call_intrinsic "llvm.x86.avx2.psign.b"(%arg1, %arg2)
// SIGNTRICK:         %[[P:.+]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"(%[[ABS]], %[[SA]]) : (vector<32xi8>, vector<32xi8>) -> vector<16xi16>
// SIGNTRICK:         %[[Q:.+]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"(%[[P]], %{{.+}}) : (vector<16xi16>, vector<16xi16>) -> vector<8xi32>
// SIGNTRICK:         arith.addi %{{.+}}, %[[Q]] : vector<8xi32>
// Other lengths, or without AVX2: both sides sign-extended.
// SIGNTRICK:         arith.extsi %{{.+}} : vector<16xi8> to vector<16xi32>
// GENERIC-LABEL: func.func @signed
// GENERIC-NOT:     llvm.call_intrinsic
// GENERIC:         arith.extsi %{{.+}} : vector<32xi8> to vector<32xi32>
// GENERIC:         arith.extsi %{{.+}} : vector<32xi8> to vector<32xi32>
// GENERIC:         arith.muli
func.func @signed(%a8: vector<8xi32>, %a: vector<32xi8>, %w: vector<32xi8>, %a4: vector<4xi32>, %b: vector<16xi8>) -> (vector<8xi32>, vector<4xi32>) {
  %r = qnt_x86.dpbssd %a8, %a, %w : vector<32xi8> -> vector<8xi32>
  %r4 = qnt_x86.dpbssd %a4, %b, %b : vector<16xi8> -> vector<4xi32>
  return %r, %r4 : vector<8xi32>, vector<4xi32>
}

// Nibbles (4-bit weights, u <= 15): on an AVX2 target, vpmaddubsw takes
// them as they are (no sign trick: 2 * 15 * 127 < 2^15), then vpmaddwd with
// ones. On a VNNI target vpdpbusd; on a generic one, the plain arithmetic.
// AVX2ONLY-LABEL: func.func @nibbles
// AVX2ONLY-NOT:     llvm.x86.avx2.psign.b
// AVX2ONLY:         %[[P:.+]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"(%[[U:[^,]+]], %[[X:[^)]+]]) : (vector<32xi8>, vector<32xi8>) -> vector<16xi16>
// AVX2ONLY:         %[[Q:.+]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"(%[[P]], %{{.+}}) : (vector<16xi16>, vector<16xi16>) -> vector<8xi32>
// AVX2ONLY:         arith.addi %{{.+}}, %[[Q]] : vector<8xi32>
// CHECK-LABEL: func.func @nibbles
// CHECK:         llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"
// GENERIC-LABEL: func.func @nibbles
// GENERIC:         arith.extui %{{.+}} : vector<32xi8> to vector<32xi32>
// GENERIC-NOT:     llvm.call_intrinsic
func.func @nibbles(%acc: vector<8xi32>, %u: vector<32xi8>, %x: vector<32xi8>) -> vector<8xi32> {
  %r = qnt_x86.dpbusd %acc, %u, %x {nibbles} : vector<32xi8> -> vector<8xi32>
  return %r : vector<8xi32>
}

// Without `nibbles` the u8 side may reach 255, where vpmaddubsw saturates:
// an AVX2 target leaves it to the plain arithmetic.
// AVX2ONLY-LABEL: func.func @bytes
// AVX2ONLY-NOT:     llvm.call_intrinsic
// AVX2ONLY:         arith.extui
func.func @bytes(%acc: vector<8xi32>, %u: vector<32xi8>, %x: vector<32xi8>) -> vector<8xi32> {
  %r = qnt_x86.dpbusd %acc, %u, %x : vector<32xi8> -> vector<8xi32>
  return %r : vector<8xi32>
}

// The i16 pairs of the 4-bit AVX2 kernels: vpmaddubsw then vpaddw, and
// vpmaddwd with ones to widen them; elsewhere extended, multiplied and the
// adjacent lanes added.
// AVX2ONLY-LABEL: func.func @pairs
// AVX2ONLY:         %[[P:.+]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"(%{{.+}}, %{{.+}}) : (vector<32xi8>, vector<32xi8>) -> vector<16xi16>
// AVX2ONLY:         %[[S:.+]] = arith.addi %{{.+}}, %[[P]] : vector<16xi16>
// AVX2ONLY:         llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"(%[[S]], %{{.+}}) : (vector<16xi16>, vector<16xi16>) -> vector<8xi32>
// GENERIC-LABEL: func.func @pairs
// GENERIC:         arith.extui %{{.+}} : vector<32xi8> to vector<32xi16>
// GENERIC:         arith.extsi %{{.+}} : vector<32xi8> to vector<32xi16>
// GENERIC:         %[[M:.+]] = arith.muli %{{.+}}, %{{.+}} : vector<32xi16>
// GENERIC:         vector.shuffle %[[M]], %[[M]] [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30]
// GENERIC:         vector.shuffle %[[M]], %[[M]] [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31]
// GENERIC:         arith.extsi %{{.+}} : vector<8xi16> to vector<8xi32>
// GENERIC-NOT:     llvm.call_intrinsic
func.func @pairs(%acc: vector<16xi16>, %u: vector<32xi8>, %x: vector<32xi8>) -> vector<8xi32> {
  %p = qnt_x86.dpbusw %acc, %u, %x : vector<32xi8> -> vector<16xi16>
  %q = qnt_x86.widen_pairs %p : vector<16xi16> -> vector<8xi32>
  return %q : vector<8xi32>
}

// Widened by a factor per i32 lane (Q4_K's byte scales): vpmaddwd by each
// factor twice; elsewhere the pair sums times the factors.
// AVX2ONLY-LABEL: func.func @scaled_pairs
// AVX2ONLY:         %[[BY:.+]] = vector.shuffle %[[F:.+]], %[[F]] [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7] : vector<8xi16>, vector<8xi16>
// AVX2ONLY:         llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"(%{{.+}}, %[[BY]]) : (vector<16xi16>, vector<16xi16>) -> vector<8xi32>
// GENERIC-LABEL: func.func @scaled_pairs
// GENERIC:         %[[SUM:.+]] = arith.addi %{{.+}}, %{{.+}} : vector<8xi32>
// GENERIC:         %[[W:.+]] = arith.extsi %{{.+}} : vector<8xi16> to vector<8xi32>
// GENERIC:         arith.muli %[[SUM]], %[[W]] : vector<8xi32>
// GENERIC-NOT:     llvm.call_intrinsic
func.func @scaled_pairs(%p: vector<16xi16>, %f: vector<8xi16>) -> vector<8xi32> {
  %q = qnt_x86.widen_pairs %p scaled %f : vector<16xi16>, vector<8xi16> -> vector<8xi32>
  return %q : vector<8xi32>
}


// The grid lookup (qnt_x86.lookup): vpshufb, the table in each 16-byte lane,
// where the target has AVX2 (every VNNI target has it, and AVX-512BW with
// 64-byte vectors); otherwise 15 compares and selects, the table's first
// entry where none matches.
// CHECK-LABEL: func.func @lookup
// CHECK-DAG:     %[[T16:.+]] = arith.constant dense<[-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7]> : vector<16xi8>
// CHECK-DAG:     %[[T32:.+]] = arith.constant dense<[-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, -8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7]> : vector<32xi8>
// CHECK-DAG:     %[[T64:.+]] = arith.constant dense<[-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, -8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, -8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, -8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7]> : vector<64xi8>
// CHECK:         llvm.call_intrinsic "llvm.x86.ssse3.pshuf.b.128"(%[[T16]], %{{.+}}) : (vector<16xi8>, vector<16xi8>) -> vector<16xi8>
// CHECK:         llvm.call_intrinsic "llvm.x86.avx2.pshuf.b"(%[[T32]], %{{.+}}) : (vector<32xi8>, vector<32xi8>) -> vector<32xi8>
// CHECK:         llvm.call_intrinsic "llvm.x86.avx512.pshuf.b.512"(%[[T64]], %{{.+}}) : (vector<64xi8>, vector<64xi8>) -> vector<64xi8>
// CHECK-NOT:     qnt_x86.lookup
// AVX2ONLY-LABEL: func.func @lookup
// AVX2ONLY:         llvm.call_intrinsic "llvm.x86.ssse3.pshuf.b.128"
// AVX2ONLY:         llvm.call_intrinsic "llvm.x86.avx2.pshuf.b"
// AVX2ONLY:         llvm.call_intrinsic "llvm.x86.avx512.pshuf.b.512"
// GENERIC-LABEL: func.func @lookup
// GENERIC-SAME:    (%[[U:[^:]+]]: vector<16xi8>
// GENERIC-DAG:     %[[E0:.+]] = arith.constant dense<-8> : vector<16xi8>
// GENERIC-DAG:     %[[I1:.+]] = arith.constant dense<1> : vector<16xi8>
// GENERIC-DAG:     %[[E1:.+]] = arith.constant dense<-7> : vector<16xi8>
// GENERIC:         %[[H1:.+]] = arith.cmpi eq, %[[U]], %[[I1]] : vector<16xi8>
// GENERIC:         %[[S1:.+]] = arith.select %[[H1]], %[[E1]], %[[E0]] : vector<16xi1>, vector<16xi8>
// GENERIC-COUNT-14: arith.select
// GENERIC-NOT:     llvm.call_intrinsic
// GENERIC-NOT:     qnt_x86.lookup
func.func @lookup(%u16: vector<16xi8>, %u32: vector<32xi8>, %u64: vector<64xi8>) -> (vector<16xi8>, vector<32xi8>, vector<64xi8>) {
  %a = qnt_x86.lookup %u16 [-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7] : vector<16xi8>
  %b = qnt_x86.lookup %u32 [-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7] : vector<32xi8>
  %c = qnt_x86.lookup %u64 [-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7] : vector<64xi8>
  return %a, %b, %c : vector<16xi8>, vector<32xi8>, vector<64xi8>
}

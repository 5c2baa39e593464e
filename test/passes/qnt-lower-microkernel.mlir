// RUN: quant-opt %s --split-input-file --qnt-lower-microkernel --canonicalize | FileCheck %s

// VNNI, a 2 x 32 tile of 16 lanes over K' = 64 (2 groups of 32): per group,
// 2 x 2 i32 accumulators start at -128 * the row's sum; per 4-byte step (8 a
// group), 2 weight vectors of 64 bytes, 2 broadcast activation words, 4
// vpdpbusd; then acc += float(i32) * (sa * sw), and the tile written once,
// masked along its width.
// CHECK-LABEL: func.func @vnni
// CHECK-SAME:    (%[[A:[^:]+]]: tensor<2x64xi8>, %[[S:[^:]+]]: tensor<2x2xf32>, %[[SUM:[^:]+]]: tensor<2x2xi32>, %[[W:[^:]+]]: tensor<16x128xi8>, %[[WS:[^:]+]]: tensor<2x32xf16>, %[[I:[^:]+]]: tensor<2x?xf32>)
// CHECK:         %[[F:.+]]:4 = scf.for %[[G:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args({{.+}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK:           %[[S0:.+]] = tensor.extract %[[SUM]][%{{.+}}, %[[G]]] : tensor<2x2xi32>
// CHECK:           %[[C0:.+]] = arith.muli %[[S0]], %{{.+}} : i32
// CHECK:           %[[B0:.+]] = vector.broadcast %[[C0]] : i32 to vector<16xi32>
// CHECK:           %[[W0:.+]] = vector.transfer_read %[[W]][%{{.+}}, %{{.+}}], %{{.+}} {in_bounds = [true]} : tensor<16x128xi8>, vector<64xi8>
// CHECK:           %[[W1:.+]] = vector.transfer_read %[[W]][%{{.+}}, %{{.+}}], %{{.+}} {in_bounds = [true]} : tensor<16x128xi8>, vector<64xi8>
// CHECK:           %[[A4:.+]] = vector.transfer_read %[[A]][%{{.+}}, %{{.+}}], %{{.+}} {in_bounds = [true]} : tensor<2x64xi8>, vector<4xi8>
// CHECK:           %[[WORD:.+]] = vector.bitcast %[[A4]] : vector<4xi8> to vector<1xi32>
// CHECK:           %[[BW:.+]] = vector.broadcast %{{.+}} : i32 to vector<16xi32>
// CHECK:           %[[AB:.+]] = vector.bitcast %[[BW]] : vector<16xi32> to vector<64xi8>
// CHECK:           %[[D0:.+]] = qnt_x86.dpbusd %[[B0]], %[[W0]], %[[AB]] : vector<64xi8> -> vector<16xi32>
// CHECK:           qnt_x86.dpbusd %[[B0]], %[[W1]], %[[AB]] : vector<64xi8> -> vector<16xi32>
// CHECK-COUNT-30:  qnt_x86.dpbusd
// CHECK:           %[[SW:.+]] = vector.transfer_read %[[WS]][%[[G]], %{{.+}}], %{{.+}} {in_bounds = [true]} : tensor<2x32xf16>, vector<16xf16>
// CHECK:           arith.extf %[[SW]] : vector<16xf16> to vector<16xf32>
// CHECK:           %[[SA:.+]] = tensor.extract %[[S]][%{{.+}}, %[[G]]] : tensor<2x2xf32>
// CHECK:           vector.broadcast %[[SA]] : f32 to vector<16xf32>
// CHECK:           arith.sitofp %{{.+}} : vector<16xi32> to vector<16xf32>
// CHECK:           arith.mulf
// CHECK:           vector.fma
// CHECK:         vector.transfer_write %[[F]]#0, %[[I]][%{{.+}}, %{{.+}}] : vector<16xf32>, tensor<2x?xf32>
// CHECK-COUNT-3: vector.transfer_write
func.func @vnni(%a: tensor<2x64xi8>, %s: tensor<2x2xf32>, %sum: tensor<2x2xi32>, %w: tensor<16x128xi8>, %ws: tensor<2x32xf16>, %i: tensor<2x?xf32>) -> tensor<2x?xf32> {
  %t = qnt.matmul_tile %a, %s sums %sum, %w, %ws, %i {dot = #qnt<dot_kind vnni>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage u8_offset128>}
       : (tensor<2x64xi8>, tensor<2x2xf32>, tensor<2x2xi32>, tensor<16x128xi8>, tensor<2x32xf16>, tensor<2x?xf32>) -> tensor<2x?xf32>
  return %t : tensor<2x?xf32>
}

// -----

// i8 weights: the s8 x s8 dot (activations first, so that |a| is shared by
// the tile's vectors), accumulators from 0; with accumulate, the output tile
// is added once after the last group, each vector read from the tile as
// written so far (its own place: in place once bufferized). Per-channel weights against per-token
// activations: one group over all of K' = 64, the steps in a loop.
// CHECK-LABEL: func.func @i8_accumulate
// CHECK-SAME:    (%{{[^:]+}}: tensor<1x64xi8>, %{{[^:]+}}: tensor<1x1xf32>, %{{[^:]+}}: tensor<16x64xi8>, %{{[^:]+}}: tensor<1x16xf32>, %[[I:[^:]+]]: tensor<1x16xf32>)
// CHECK-DAG:     %[[ZERO:.+]] = arith.constant dense<0> : vector<8xi32>
// CHECK-DAG:     %[[FZERO:.+]] = arith.constant dense<0.000000e+00> : vector<8xf32>
// CHECK:         %[[D:.+]]:2 = scf.for {{.+}} iter_args(%{{.+}} = %[[ZERO]], %{{.+}} = %[[ZERO]]) -> (vector<8xi32>, vector<8xi32>)
// CHECK:           %[[W:.+]] = vector.transfer_read {{.+}} : tensor<16x64xi8>, vector<32xi8>
// CHECK:           %[[AB:.+]] = vector.bitcast %{{.+}} : vector<8xi32> to vector<32xi8>
// CHECK:           qnt_x86.dpbssd %{{.+}}, %[[AB]], %[[W]] : vector<32xi8> -> vector<8xi32>
// CHECK:         %[[F0:.+]] = vector.fma %{{.+}}, %{{.+}}, %[[FZERO]] : vector<8xf32>
// CHECK:         %[[F1:.+]] = vector.fma %{{.+}}, %{{.+}}, %[[FZERO]] : vector<8xf32>
// CHECK:         %[[R0:.+]] = vector.transfer_read %[[I]]
// CHECK:         %[[S0:.+]] = arith.addf %[[R0]], %[[F0]] : vector<8xf32>
// CHECK:         %[[O1:.+]] = vector.transfer_write %[[S0]], %[[I]]
// CHECK:         %[[R1:.+]] = vector.transfer_read %[[O1]]
// CHECK:         arith.addf %[[R1]], %[[F1]] : vector<8xf32>
func.func @i8_accumulate(%a: tensor<1x64xi8>, %s: tensor<1x1xf32>, %w: tensor<16x64xi8>, %ws: tensor<1x16xf32>, %i: tensor<1x16xf32>) -> tensor<1x16xf32> {
  %t = qnt.matmul_tile %a, %s, %w, %ws, %i {accumulate, dot = #qnt<dot_kind maddubs>, group = 64 : i64, lanes = 8 : i64, rhs_storage = #qnt<storage i8>}
       : (tensor<1x64xi8>, tensor<1x1xf32>, tensor<16x64xi8>, tensor<1x16xf32>, tensor<1x16xf32>) -> tensor<1x16xf32>
  return %t : tensor<1x16xf32>
}

// -----

// Asymmetric activations against i8 weights: each accumulator starts at
// -z * (the weight channels' sums of the group), z the row's zero point.
// CHECK-LABEL: func.func @zero_points
// CHECK-SAME:    (%[[A:[^:]+]]: tensor<1x32xi8>, %[[S:[^:]+]]: tensor<1x1xf32>, %[[Z:[^:]+]]: tensor<1x1xi32>, %[[W:[^:]+]]: tensor<8x64xi8>, %[[WS:[^:]+]]: tensor<1x16xf16>, %[[WU:[^:]+]]: tensor<1x16xi32>
// CHECK:         %[[SUMS:.+]] = vector.transfer_read %[[WU]][%{{.+}}, %{{.+}}], %{{.+}} {in_bounds = [true]} : tensor<1x16xi32>, vector<16xi32>
// CHECK:         %[[ZS:.+]] = tensor.extract %[[Z]][%{{.+}}, %{{.+}}] : tensor<1x1xi32>
// CHECK:         %[[ZV:.+]] = vector.broadcast %[[ZS]] : i32 to vector<16xi32>
// CHECK:         %[[P:.+]] = arith.muli %[[ZV]], %[[SUMS]] : vector<16xi32>
// CHECK:         %[[INIT:.+]] = arith.subi %{{.+}}, %[[P]] : vector<16xi32>
// CHECK:         qnt_x86.dpbssd %[[INIT]]
func.func @zero_points(%a: tensor<1x32xi8>, %s: tensor<1x1xf32>, %z: tensor<1x1xi32>, %w: tensor<8x64xi8>, %ws: tensor<1x16xf16>, %wu: tensor<1x16xi32>, %i: tensor<1x16xf32>) -> tensor<1x16xf32> {
  %t = qnt.matmul_tile %a, %s zero_points %z, %w, %ws sums %wu, %i {dot = #qnt<dot_kind generic>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage i8>}
       : (tensor<1x32xi8>, tensor<1x1xf32>, tensor<1x1xi32>, tensor<8x64xi8>, tensor<1x16xf16>, tensor<1x16xi32>, tensor<1x16xf32>) -> tensor<1x16xf32>
  return %t : tensor<1x16xf32>
}

// -----

// 4-bit weights (u4_offset8): a row of the tile holds two 4-byte steps, the
// first in the low nibbles (AND 0x0F), the second in the high ones (shift by
// 4), so one load feeds two dots; the accumulators start at -8 * the row's
// sum, and with VNNI (or generic code) the dots are qnt_x86.dpbusd on nibbles.
// CHECK-LABEL: func.func @u4
// CHECK-SAME:    (%[[A:[^:]+]]: tensor<1x64xi8>, %{{[^:]+}}: tensor<1x2xf32>, %[[SUM:[^:]+]]: tensor<1x2xi32>, %[[W:[^:]+]]: tensor<8x64xi8>
// CHECK-DAG:     %[[LOW:.+]] = arith.constant dense<15> : vector<32xi8>
// CHECK-DAG:     %[[FOUR:.+]] = arith.constant dense<4> : vector<32xi8>
// CHECK-DAG:     %[[M8:.+]] = arith.constant -8 : i32
// CHECK:         scf.for %[[G:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args
// CHECK:           %[[S0:.+]] = tensor.extract %[[SUM]][%{{.+}}, %[[G]]] : tensor<1x2xi32>
// CHECK:           %[[C0:.+]] = arith.muli %[[S0]], %[[M8]] : i32
// CHECK:           %[[B0:.+]] = vector.broadcast %[[C0]] : i32 to vector<8xi32>
// CHECK:           %[[ROW:.+]] = arith.shrui %{{.+}}, %{{.+}} : index
// CHECK:           %[[R0:.+]] = vector.transfer_read %[[W]][%[[ROW]], %{{.+}}], %{{.+}} {in_bounds = [true]} : tensor<8x64xi8>, vector<32xi8>
// CHECK:           %[[L0:.+]] = arith.andi %[[R0]], %[[LOW]] : vector<32xi8>
// CHECK:           %[[H0:.+]] = arith.shrui %[[R0]], %[[FOUR]] : vector<32xi8>
// CHECK:           %[[R1:.+]] = vector.transfer_read %[[W]][%[[ROW]], %{{.+}}], %{{.+}} {in_bounds = [true]} : tensor<8x64xi8>, vector<32xi8>
// CHECK:           %[[L1:.+]] = arith.andi %[[R1]], %[[LOW]]
// CHECK:           %[[H1:.+]] = arith.shrui %[[R1]], %[[FOUR]]
// CHECK:           %[[X0:.+]] = vector.bitcast %{{.+}} : vector<8xi32> to vector<32xi8>
// CHECK:           %[[D0:.+]] = qnt_x86.dpbusd %[[B0]], %[[L0]], %[[X0]] {nibbles} : vector<32xi8> -> vector<8xi32>
// CHECK:           %[[D1:.+]] = qnt_x86.dpbusd %[[B0]], %[[L1]], %[[X0]] {nibbles}
// CHECK:           %[[X1:.+]] = vector.bitcast %{{.+}} : vector<8xi32> to vector<32xi8>
// CHECK:           qnt_x86.dpbusd %[[D0]], %[[H0]], %[[X1]] {nibbles}
// CHECK:           qnt_x86.dpbusd %[[D1]], %[[H1]], %[[X1]] {nibbles}
// CHECK-COUNT-12:  qnt_x86.dpbusd {{.+}} {nibbles}
// CHECK-NOT:       qnt_x86.dpbssd
func.func @u4(%a: tensor<1x64xi8>, %s: tensor<1x2xf32>, %sum: tensor<1x2xi32>, %w: tensor<8x64xi8>, %ws: tensor<2x16xf16>, %i: tensor<1x16xf32>) -> tensor<1x16xf32> {
  %t = qnt.matmul_tile %a, %s sums %sum, %w, %ws, %i {dot = #qnt<dot_kind vnni>, group = 32 : i64, lanes = 8 : i64, rhs_storage = #qnt<storage u4_offset8>}
       : (tensor<1x64xi8>, tensor<1x2xf32>, tensor<1x2xi32>, tensor<8x64xi8>, tensor<2x16xf16>, tensor<1x16xf32>) -> tensor<1x16xf32>
  return %t : tensor<1x16xf32>
}

// -----

// 4-bit weights with minimums (u4: x = sw * u + mw): no offset, so the
// accumulators start at 0; each group's epilogue adds the minimum times the
// row's activation sum: f = fma(float(acc), sa * sw, f), then
// f = fma(sa * float(sum_a), mw, f). On AVX2 (the maddubs dot) the i16 pairs
// of a group's 8 steps add up (qnt_x86.dpbusw from 0) and are widened once: with
// no offset the i32 dot is the widened pairs (the loop over one iteration of
// steps and the add to 0 fold away).
// CHECK-LABEL: func.func @u4_mins
// CHECK-SAME:    (%{{[^:]+}}: tensor<1x64xi8>, %[[S:[^:]+]]: tensor<1x2xf32>, %[[SUM:[^:]+]]: tensor<1x2xi32>, %{{[^:]+}}: tensor<8x64xi8>, %[[WS:[^:]+]]: tensor<2x16xf32>, %[[WM:[^:]+]]: tensor<2x16xf32>
// CHECK-DAG:     %[[ZERO16:.+]] = arith.constant dense<0> : vector<16xi16>
// CHECK:         scf.for %[[G:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args
// CHECK-NOT:       scf.for
// CHECK:           %[[P0:.+]] = qnt_x86.dpbusw %[[ZERO16]], {{.+}} : vector<32xi8> -> vector<16xi16>
// CHECK:           %[[P1:.+]] = qnt_x86.dpbusw %[[ZERO16]], {{.+}} : vector<32xi8> -> vector<16xi16>
// CHECK:           qnt_x86.dpbusw %[[P0]], {{.+}} : vector<32xi8> -> vector<16xi16>
// CHECK-COUNT-13:  qnt_x86.dpbusw
// CHECK-NOT:       qnt_x86.dpbusw
// CHECK:           %[[W0:.+]] = qnt_x86.widen_pairs %{{.+}} : vector<16xi16> -> vector<8xi32>
// CHECK-NOT:         qnt_x86.dpbusd
// CHECK:           %[[MW:.+]] = vector.transfer_read %[[WM]][%[[G]], %{{.+}}]
// CHECK:           %[[SA:.+]] = tensor.extract %[[S]][%{{.+}}, %[[G]]]
// CHECK:           %[[SUMG:.+]] = tensor.extract %[[SUM]][%{{.+}}, %[[G]]]
// CHECK:           %[[SUMF:.+]] = arith.sitofp %[[SUMG]] : i32 to f32
// CHECK:           %[[SAS:.+]] = arith.mulf %[[SA]], %[[SUMF]] : f32
// CHECK:           %[[SASV:.+]] = vector.broadcast %[[SAS]] : f32 to vector<8xf32>
// CHECK:           %[[IF:.+]] = arith.sitofp %[[W0]] : vector<8xi32> to vector<8xf32>
// CHECK:           %[[F:.+]] = vector.fma %[[IF]], %{{.+}}, %{{.+}} : vector<8xf32>
// CHECK:           vector.fma %[[SASV]], %[[MW]], %[[F]] : vector<8xf32>
func.func @u4_mins(%a: tensor<1x64xi8>, %s: tensor<1x2xf32>, %sum: tensor<1x2xi32>, %w: tensor<8x64xi8>, %ws: tensor<2x16xf32>, %wm: tensor<2x16xf32>, %i: tensor<1x16xf32>) -> tensor<1x16xf32> {
  %t = qnt.matmul_tile %a, %s sums %sum, %w, %ws mins %wm, %i {dot = #qnt<dot_kind maddubs>, group = 32 : i64, lanes = 8 : i64, rhs_storage = #qnt<storage u4>}
       : (tensor<1x64xi8>, tensor<1x2xf32>, tensor<1x2xi32>, tensor<8x64xi8>, tensor<2x16xf32>, tensor<2x16xf32>, tensor<1x16xf32>) -> tensor<1x16xf32>
  return %t : tensor<1x16xf32>
}

// -----

// Two-level scales (Q4_K), one activation row (decode): per group the i32
// dot times the byte scale (arith.muli, exact) converted and scaled by the
// activation's scale into a super-block sum, the widened minimum times
// scale_a * sum_a into another; the super-block's factors (read once, at the
// super-block) multiply the two sums after its 8 groups.
// CHECK-LABEL: func.func @u4_two_level
// CHECK-SAME:    %[[S:[^:]+]]: tensor<1x8xf32>, %[[SUM:[^:]+]]: tensor<1x8xi32>, %{{[^:]+}}: tensor<32x64xi8>, %[[WS:[^:]+]]: tensor<8x16xi8>, %[[WM:[^:]+]]: tensor<8x16xi8>, %[[D:[^:]+]]: tensor<1x16xf16>, %[[DM:[^:]+]]: tensor<1x16xf16>
// CHECK:         %[[SB:.+]]:2 = scf.for %[[G:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[FS:.+]] = %{{.+}}, %[[FM:.+]] = %{{.+}}) -> (vector<16xf32>, vector<16xf32>)
// CHECK-COUNT-7:   qnt_x86.dpbusd
// CHECK:           %[[IDOT:.+]] = qnt_x86.dpbusd
// CHECK-NOT:       qnt_x86.dpbusd
// CHECK:           %[[SA:.+]] = tensor.extract %[[S]][%{{.+}}, %[[G]]]
// CHECK:           %[[SAV:.+]] = vector.broadcast %[[SA]] : f32 to vector<16xf32>
// CHECK:           tensor.extract %[[SUM]][%{{.+}}, %[[G]]]
// CHECK:           %[[SASV:.+]] = vector.broadcast %{{.+}} : f32 to vector<16xf32>
// CHECK:           %[[SC:.+]] = vector.transfer_read %[[WS]][%[[G]], %{{.+}}], {{.+}} : tensor<8x16xi8>, vector<16xi8>
// CHECK:           %[[SC32:.+]] = arith.extsi %[[SC]] : vector<16xi8> to vector<16xi32>
// CHECK:           %[[PROD:.+]] = arith.muli %[[IDOT]], %[[SC32]] : vector<16xi32>
// CHECK:           %[[PF:.+]] = arith.sitofp %[[PROD]] : vector<16xi32> to vector<16xf32>
// CHECK:           %[[FS2:.+]] = vector.fma %[[PF]], %[[SAV]], %[[FS]] : vector<16xf32>
// CHECK:           %[[M:.+]] = vector.transfer_read %[[WM]][%[[G]], %{{.+}}]
// CHECK:           %[[M32:.+]] = arith.extsi %[[M]] : vector<16xi8> to vector<16xi32>
// CHECK:           %[[MF:.+]] = arith.sitofp %[[M32]] : vector<16xi32> to vector<16xf32>
// CHECK:           %[[FM2:.+]] = vector.fma %[[MF]], %[[SASV]], %[[FM]] : vector<16xf32>
// CHECK:           scf.yield %[[FS2]], %[[FM2]]
// CHECK:         %[[DV:.+]] = vector.transfer_read %[[D]][%{{.+}}, %{{.+}}], {{.+}} : tensor<1x16xf16>, vector<16xf16>
// CHECK:         %[[DF:.+]] = arith.extf %[[DV]] : vector<16xf16> to vector<16xf32>
// CHECK:         %[[F:.+]] = vector.fma %[[SB]]#0, %[[DF]], %{{.+}} : vector<16xf32>
// CHECK:         %[[DMV:.+]] = vector.transfer_read %[[DM]][%{{.+}}, %{{.+}}]
// CHECK:         %[[DMF:.+]] = arith.extf %[[DMV]] : vector<16xf16> to vector<16xf32>
// CHECK:         %[[F2:.+]] = vector.fma %[[SB]]#1, %[[DMF]], %[[F]] : vector<16xf32>
// CHECK:         vector.transfer_write %[[F2]]
func.func @u4_two_level(%a: tensor<1x256xi8>, %s: tensor<1x8xf32>, %sum: tensor<1x8xi32>, %w: tensor<32x64xi8>, %ws: tensor<8x16xi8>, %wm: tensor<8x16xi8>, %d: tensor<1x16xf16>, %dm: tensor<1x16xf16>, %i: tensor<1x16xf32>) -> tensor<1x16xf32> {
  %t = qnt.matmul_tile %a, %s sums %sum, %w, %ws mins %wm supers(%d, %dm), %i {dot = #qnt<dot_kind vnni>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage u4>}
       : (tensor<1x256xi8>, tensor<1x8xf32>, tensor<1x8xi32>, tensor<32x64xi8>, tensor<8x16xi8>, tensor<8x16xi8>, tensor<1x16xf16>, tensor<1x16xf16>, tensor<1x16xf32>) -> tensor<1x16xf32>
  return %t : tensor<1x16xf32>
}

// -----

// Two-level scales (Q4_K), two activation rows (prefill): the rows share the
// group's factors, so the group's byte scale and minimum are widened
// (sign-extended, converted) and multiplied by their super-block's factors,
// read at group / 8, before each row's FMAs.
// CHECK-LABEL: func.func @u4_two_level_rows
// CHECK-SAME:    %[[WS:[^:]+]]: tensor<8x16xi8>, %[[WM:[^:]+]]: tensor<8x16xi8>, %[[D:[^:]+]]: tensor<1x16xf16>, %[[DM:[^:]+]]: tensor<1x16xf16>
// CHECK:         scf.for %[[G:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args
// CHECK:           %[[GS:.+]] = arith.divui %[[G]], %{{.+}} : index
// CHECK:           %[[SC:.+]] = vector.transfer_read %[[WS]][%[[G]], %{{.+}}], {{.+}} : tensor<8x16xi8>, vector<16xi8>
// CHECK:           %[[SC32:.+]] = arith.extsi %[[SC]] : vector<16xi8> to vector<16xi32>
// CHECK:           %[[SCF:.+]] = arith.sitofp %[[SC32]] : vector<16xi32> to vector<16xf32>
// CHECK:           %[[M:.+]] = vector.transfer_read %[[WM]][%[[G]], %{{.+}}]
// CHECK:           %[[DV:.+]] = vector.transfer_read %[[D]][%[[GS]], %{{.+}}], {{.+}} : tensor<1x16xf16>, vector<16xf16>
// CHECK:           %[[DF:.+]] = arith.extf %[[DV]] : vector<16xf16> to vector<16xf32>
// CHECK:           %[[SW:.+]] = arith.mulf %[[SCF]], %[[DF]] : vector<16xf32>
// CHECK:           %[[DMV:.+]] = vector.transfer_read %[[DM]][%[[GS]], %{{.+}}]
// CHECK:           %[[MW:.+]] = arith.mulf %{{.+}}, %{{.+}} : vector<16xf32>
// CHECK:           %[[SCALE:.+]] = arith.mulf %{{.+}}, %[[SW]] : vector<16xf32>
// CHECK:           %[[F:.+]] = vector.fma %{{.+}}, %[[SCALE]], %{{.+}} : vector<16xf32>
// CHECK:           vector.fma %{{.+}}, %[[MW]], %[[F]] : vector<16xf32>
// CHECK:           %[[SCALE1:.+]] = arith.mulf %{{.+}}, %[[SW]] : vector<16xf32>
// CHECK:           %[[F1:.+]] = vector.fma %{{.+}}, %[[SCALE1]], %{{.+}} : vector<16xf32>
// CHECK:           vector.fma %{{.+}}, %[[MW]], %[[F1]] : vector<16xf32>
func.func @u4_two_level_rows(%a: tensor<2x256xi8>, %s: tensor<2x8xf32>, %sum: tensor<2x8xi32>, %w: tensor<32x64xi8>, %ws: tensor<8x16xi8>, %wm: tensor<8x16xi8>, %d: tensor<1x16xf16>, %dm: tensor<1x16xf16>, %i: tensor<2x16xf32>) -> tensor<2x16xf32> {
  %t = qnt.matmul_tile %a, %s sums %sum, %w, %ws mins %wm supers(%d, %dm), %i {dot = #qnt<dot_kind vnni>, group = 32 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage u4>}
       : (tensor<2x256xi8>, tensor<2x8xf32>, tensor<2x8xi32>, tensor<32x64xi8>, tensor<8x16xi8>, tensor<8x16xi8>, tensor<1x16xf16>, tensor<1x16xf16>, tensor<2x16xf32>) -> tensor<2x16xf32>
  return %t : tensor<2x16xf32>
}

// -----

// 6 bits (Q6_K), VNNI: per group of 16 (four steps) one read of each of the
// three rows; each step's low bits come from a nibble row (AND 0x0F or shift
// by 4), its high bits from the third row shifted into bits 4-5 and masked
// (0x30), joined by an OR; the accumulator starts at -32 * sum a. The signed
// byte scale multiplies the group's i32 dot (one row: decode), the super
// factor the sum of the super-block's 16 groups.
// CHECK-LABEL: func.func @u6_vnni
// CHECK-SAME:    %[[A:[^:]+]]: tensor<1x256xi8>, %{{[^:]+}}: tensor<1x16xf32>, %[[SUM:[^:]+]]: tensor<1x16xi32>, %[[W:[^:]+]]: tensor<48x64xi8>, %[[WS:[^:]+]]: tensor<16x16xi8>, %[[D:[^:]+]]: tensor<1x16xf16>
// CHECK:         scf.for %[[G:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args
// CHECK:           %[[S:.+]] = tensor.extract %[[SUM]][%{{.+}}, %[[G]]] : tensor<1x16xi32>
// CHECK:           %[[NEG:.+]] = arith.muli %[[S]], %{{.+}} : i32
// CHECK:           vector.broadcast %[[NEG]] : i32 to vector<16xi32>
// CHECK:             %[[R0:.+]] = vector.transfer_read %[[W]][%{{.+}}, %{{.+}}], {{.+}} : tensor<48x64xi8>, vector<64xi8>
// CHECK:             %[[R1:.+]] = vector.transfer_read %[[W]]
// CHECK:             %[[R2:.+]] = vector.transfer_read %[[W]]
// CHECK:             %[[LO0:.+]] = arith.andi %[[R0]], %{{.+}} : vector<64xi8>
// CHECK:             %[[HI0:.+]] = arith.shli %[[R2]], %{{.+}} : vector<64xi8>
// CHECK:             %[[HM0:.+]] = arith.andi %[[HI0]], %{{.+}} : vector<64xi8>
// CHECK:             %[[W0:.+]] = arith.ori %[[LO0]], %[[HM0]] : vector<64xi8>
// CHECK:             qnt_x86.dpbusd %{{.+}}, %[[W0]], %{{.+}} : vector<64xi8> -> vector<16xi32>
// CHECK:             %[[LO1:.+]] = arith.shrui %[[R0]], %{{.+}} : vector<64xi8>
// CHECK:             %[[LO2:.+]] = arith.andi %[[R1]], %{{.+}} : vector<64xi8>
// CHECK:             %[[HM2:.+]] = arith.andi %[[R2]], %{{.+}} : vector<64xi8>
// CHECK:             arith.ori %[[LO2]], %[[HM2]] : vector<64xi8>
// CHECK:             %[[LO3:.+]] = arith.shrui %[[R1]], %{{.+}} : vector<64xi8>
// CHECK:             %[[HI3:.+]] = arith.shrui %[[R2]], %{{.+}} : vector<64xi8>
// CHECK:           %[[SC:.+]] = vector.transfer_read %[[WS]][%[[G]], %{{.+}}]
// CHECK:           %[[SC32:.+]] = arith.extsi %[[SC]] : vector<16xi8> to vector<16xi32>
// CHECK:           arith.muli %{{.+}}, %[[SC32]] : vector<16xi32>
// CHECK:           scf.yield
// CHECK:         vector.transfer_read %[[D]][%{{.+}}, %{{.+}}]
func.func @u6_vnni(%a: tensor<1x256xi8>, %s: tensor<1x16xf32>, %sum: tensor<1x16xi32>, %w: tensor<48x64xi8>, %ws: tensor<16x16xi8>, %d: tensor<1x16xf16>, %i: tensor<1x16xf32>) -> tensor<1x16xf32> {
  %t = qnt.matmul_tile %a, %s sums %sum, %w, %ws supers(%d), %i {dot = #qnt<dot_kind vnni>, group = 16 : i64, lanes = 16 : i64, rhs_storage = #qnt<storage u6_offset32>}
       : (tensor<1x256xi8>, tensor<1x16xf32>, tensor<1x16xi32>, tensor<48x64xi8>, tensor<16x16xi8>, tensor<1x16xf16>, tensor<1x16xf32>) -> tensor<1x16xf32>
  return %t : tensor<1x16xf32>
}

// -----

// 6 bits on AVX2: the i16 pairs of two steps are widened (qnt_x86.widen_pairs)
// before two more are summed (2 x 2 x 63 x 127 < 2^15): two widenings per
// four steps.
// CHECK-LABEL: func.func @u6_maddubs
// CHECK:           scf.for
// CHECK:             qnt_x86.dpbusw
// CHECK:             qnt_x86.dpbusw
// CHECK-NOT:         qnt_x86.dpbusw
// CHECK:             qnt_x86.widen_pairs
// CHECK:             qnt_x86.dpbusw
// CHECK:             qnt_x86.dpbusw
// CHECK-NOT:         qnt_x86.dpbusw
// CHECK:             qnt_x86.widen_pairs
// CHECK-NOT:         qnt_x86.dpbusw
// CHECK:             scf.yield
func.func @u6_maddubs(%a: tensor<1x256xi8>, %s: tensor<1x16xf32>, %sum: tensor<1x16xi32>, %w: tensor<48x32xi8>, %ws: tensor<16x8xi8>, %d: tensor<1x8xf16>, %i: tensor<1x8xf32>) -> tensor<1x8xf32> {
  %t = qnt.matmul_tile %a, %s sums %sum, %w, %ws supers(%d), %i {dot = #qnt<dot_kind maddubs>, group = 16 : i64, lanes = 8 : i64, rhs_storage = #qnt<storage u6_offset32>}
       : (tensor<1x256xi8>, tensor<1x16xf32>, tensor<1x16xi32>, tensor<48x32xi8>, tensor<16x8xi8>, tensor<1x8xf16>, tensor<1x8xf32>) -> tensor<1x8xf32>
  return %t : tensor<1x8xf32>
}

// -----

// IQ4_NL's grid (u4_grid): unpacked as 4-bit, each nibble vector looked up
// in the grid. With vpdpbusd the table holds grid + 128 (u8: 1, 24, ...,
// 241) and the accumulator starts at -128 x the activations' sum, as for u8
// weights (no {nibbles}: the values pass 15).
// CHECK-LABEL: func.func @u4_grid_vnni
// CHECK-SAME:    (%{{[^:]+}}: tensor<1x64xi8>, %{{[^:]+}}: tensor<1x2xf32>, %[[SUM:[^:]+]]: tensor<1x2xi32>, %[[W:[^:]+]]: tensor<8x64xi8>
// CHECK-DAG:     %[[LOW:.+]] = arith.constant dense<15> : vector<32xi8>
// CHECK-DAG:     %[[M128:.+]] = arith.constant -128 : i32
// CHECK:         scf.for %[[G:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args
// CHECK:           %[[S0:.+]] = tensor.extract %[[SUM]][%{{.+}}, %[[G]]] : tensor<1x2xi32>
// CHECK:           %[[C0:.+]] = arith.muli %[[S0]], %[[M128]] : i32
// CHECK:           %[[B0:.+]] = vector.broadcast %[[C0]] : i32 to vector<8xi32>
// CHECK:           %[[R0:.+]] = vector.transfer_read %[[W]]
// CHECK:           %[[L0:.+]] = arith.andi %[[R0]], %[[LOW]] : vector<32xi8>
// CHECK:           %[[H0:.+]] = arith.shrui %[[R0]], %{{.+}} : vector<32xi8>
// CHECK:           %[[GL0:.+]] = qnt_x86.lookup %[[L0]] [1, 24, 45, 63, 79, 93, 106, 118, -127, -115, -103, -90, -75, -59, -39, -15] : vector<32xi8>
// CHECK:           %[[GH0:.+]] = qnt_x86.lookup %[[H0]] [1, 24, 45, 63, 79, 93, 106, 118, -127, -115, -103, -90, -75, -59, -39, -15] : vector<32xi8>
// CHECK:           qnt_x86.dpbusd %[[B0]], %[[GL0]], %{{.+}} : vector<32xi8> -> vector<8xi32>
// CHECK-COUNT-15:  qnt_x86.dpbusd {{.+}} : vector<32xi8> -> vector<8xi32>
// CHECK-NOT:       qnt_x86.dpbssd
// CHECK-NOT:       {nibbles}
func.func @u4_grid_vnni(%a: tensor<1x64xi8>, %s: tensor<1x2xf32>, %sum: tensor<1x2xi32>, %w: tensor<8x64xi8>, %ws: tensor<2x16xf16>, %i: tensor<1x16xf32>) -> tensor<1x16xf32> {
  %t = qnt.matmul_tile %a, %s sums %sum, %w, %ws, %i {dot = #qnt<dot_kind vnni>, group = 32 : i64, lanes = 8 : i64, rhs_storage = #qnt<storage u4_grid>}
       : (tensor<1x64xi8>, tensor<1x2xf32>, tensor<1x2xi32>, tensor<8x64xi8>, tensor<2x16xf16>, tensor<1x16xf32>) -> tensor<1x16xf32>
  return %t : tensor<1x16xf32>
}

// -----

// On AVX2 (maddubs) the grid's values stay signed and take the sign trick
// (qnt_x86.dpbssd: activations first), the accumulator starting at 0: no offset,
// the activation sums unused; no i16 pair sums (a pair may reach 2 x 127 x
// 127).
// CHECK-LABEL: func.func @u4_grid_maddubs
// CHECK-DAG:     %[[ZERO:.+]] = arith.constant dense<0> : vector<8xi32>
// CHECK:         scf.for
// CHECK:           %[[GL0:.+]] = qnt_x86.lookup %{{.+}} [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113] : vector<32xi8>
// CHECK:           qnt_x86.lookup %{{.+}} [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113] : vector<32xi8>
// CHECK:           %[[X0:.+]] = vector.bitcast %{{.+}} : vector<8xi32> to vector<32xi8>
// CHECK:           qnt_x86.dpbssd %[[ZERO]], %[[X0]], %[[GL0]] : vector<32xi8> -> vector<8xi32>
// CHECK-COUNT-15:  qnt_x86.dpbssd
// CHECK-NOT:       qnt_x86.dpbusw
// CHECK-NOT:       qnt_x86.dpbusd
func.func @u4_grid_maddubs(%a: tensor<1x64xi8>, %s: tensor<1x2xf32>, %sum: tensor<1x2xi32>, %w: tensor<8x64xi8>, %ws: tensor<2x16xf16>, %i: tensor<1x16xf32>) -> tensor<1x16xf32> {
  %t = qnt.matmul_tile %a, %s sums %sum, %w, %ws, %i {dot = #qnt<dot_kind maddubs>, group = 32 : i64, lanes = 8 : i64, rhs_storage = #qnt<storage u4_grid>}
       : (tensor<1x64xi8>, tensor<1x2xf32>, tensor<1x2xi32>, tensor<8x64xi8>, tensor<2x16xf16>, tensor<1x16xf32>) -> tensor<1x16xf32>
  return %t : tensor<1x16xf32>
}

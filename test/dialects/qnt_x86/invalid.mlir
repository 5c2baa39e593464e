// RUN: quant-opt %s --split-input-file --verify-diagnostics

// Each op's operands hold the bytes its lanes need.

func.func @f(%acc: vector<8xi32>, %a: vector<16xi8>) {
  // expected-error @+1 {{expects 4 bytes per i32 lane: 16 bytes for 8 lanes}}
  %r = qnt_x86.dpbusd %acc, %a, %a : vector<16xi8> -> vector<8xi32>
  return
}

// -----

func.func @f(%acc: vector<8xi32>, %a: vector<16xi8>) {
  // expected-error @+1 {{expects 4 bytes per i32 lane: 16 bytes for 8 lanes}}
  %r = qnt_x86.dpbssd %acc, %a, %a : vector<16xi8> -> vector<8xi32>
  return
}

// -----

func.func @f(%acc: vector<16xi16>, %u: vector<16xi8>) -> vector<16xi16> {
  // expected-error @+1 {{expects 2 bytes per i16 lane: 16 bytes for 16 lanes}}
  %p = qnt_x86.dpbusw %acc, %u, %u : vector<16xi8> -> vector<16xi16>
  return %p : vector<16xi16>
}

// -----

func.func @f(%p: vector<16xi16>) -> vector<16xi32> {
  // expected-error @+1 {{expects 2 i16 lanes per i32 lane: 16 for 16}}
  %q = qnt_x86.widen_pairs %p : vector<16xi16> -> vector<16xi32>
  return %q : vector<16xi32>
}

// -----

func.func @f(%p: vector<16xi16>, %s: vector<16xi16>) -> vector<8xi32> {
  // expected-error @+1 {{expects one factor per i32 lane: 16 for 8}}
  %q = qnt_x86.widen_pairs %p scaled %s : vector<16xi16>, vector<16xi16> -> vector<8xi32>
  return %q : vector<8xi32>
}

// -----
func.func @f(%u: vector<32xi8>) -> vector<32xi8> {
  // expected-error @+1 {{expects a table of 16 bytes, got 15}}
  %q = qnt_x86.lookup %u [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14] : vector<32xi8>
  return %q : vector<32xi8>
}

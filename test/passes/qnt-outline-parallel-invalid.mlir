// RUN: quant-opt %s --split-input-file --qnt-outline-parallel --verify-diagnostics

// The body function goes beside an enclosing func.func.
llvm.func @in_llvm_func(%n64: i64) {
  %n = arith.index_cast %n64 : i64 to index
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  // expected-error @+1 {{outlining needs an enclosing func.func}}
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    scf.reduce
  }
  llvm.return
}

// -----

// Captured values travel in their LLVM form; a tensor has none.
func.func @captures_a_tensor(%t: tensor<4xf32>, %m: memref<4xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  // expected-error @+1 {{cannot pass a value of type 'tensor<4xf32>' to a thread}}
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %v = tensor.extract %t[%i] : tensor<4xf32>
    memref.store %v, %m[%i] : memref<4xf32>
    scf.reduce
  }
  return
}

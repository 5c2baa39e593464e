// Code that names tensors of a weights file (qnt.weight) is bound to the
// file's index: a file without one, a name it lacks, or a tensor it holds in
// another type or shape is an error, never a view of the wrong bytes.
// RUN: printf 'not a weights file, though long enough to end in a footer' > %t.bad.weights
// RUN: not quant-opt %s --split-input-file --qnt-externalize-weights="file=%t.bad.weights" 2>&1 | FileCheck %s --check-prefix=NOINDEX
// RUN: not quant-opt %s --split-input-file --qnt-externalize-weights="file=%t.none.weights" 2>&1 | FileCheck %s --check-prefix=NOFILE
// A file the fold pass wrote: tensors "weight" (i8 1x32) and
// "weight_scales" (f16 1x1) among others.
// RUN: quant-opt %S/qnt-fold-weight-quant-weights-file.mlir --qnt-fold-weight-quant="weights-file=%t.weights" > /dev/null
// RUN: quant-opt %s --split-input-file --qnt-externalize-weights="file=%t.weights" --verify-diagnostics
// Each chunk added to the file and rewrote its index; it is still whole.
// RUN: quant-run --list-weights %t.weights | FileCheck %s --check-prefix=INDEX

// NOINDEX: error: cannot add to {{.*}}bad.weights: the weights file has no index (it does not end in QNTWIDX1): not written by this quant-compile
// NOFILE: error: cannot read {{.*}}none.weights: No such file or directory
// INDEX: 4 tensors, 68 bytes

func.func @missing() -> tensor<1x32xi8> {
  // expected-error @+1 {{no tensor 'blk.9.ffn_up.weight' in}}
  %w = qnt.weight "blk.9.ffn_up.weight" : tensor<1x32xi8>
  return %w : tensor<1x32xi8>
}

// -----

func.func @other_shape() -> tensor<2x16xi8> {
  // expected-error @+1 {{tensor 'weight' in}}
  %w = qnt.weight "weight" : tensor<2x16xi8>
  return %w : tensor<2x16xi8>
}

// -----

func.func @other_type() -> tensor<1x1xf32> {
  // expected-error-re @+1 {{tensor 'weight_scales' in {{.*}} is f16[1x1], not 'tensor<1x1xf32>'}}
  %w = qnt.weight "weight_scales" : tensor<1x1xf32>
  return %w : tensor<1x1xf32>
}

// -----

// A called function would need its callers to pass the weights argument.
// expected-error @+1 {{cannot bind the weights of a function that is called}}
func.func private @callee() -> tensor<1x32xi8> {
  %w = qnt.weight "weight" : tensor<1x32xi8>
  return %w : tensor<1x32xi8>
}
func.func @caller() -> tensor<1x32xi8> {
  %r = call @callee() : () -> tensor<1x32xi8>
  return %r : tensor<1x32xi8>
}

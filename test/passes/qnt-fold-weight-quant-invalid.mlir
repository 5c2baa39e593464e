// RUN: quant-opt %s --split-input-file --qnt-fold-weight-quant="weights-file=%t" --verify-diagnostics
// RUN: not quant-opt %s --qnt-fold-weight-quant="weights-file=/nonexistent/dir/w" 2>&1 | FileCheck %s --check-prefix=PATH
// PATH: error: cannot write /nonexistent/dir/w

// Streaming names the file's tensors (qnt.weight): a called function needs
// no weights argument yet (--qnt-externalize-weights binds the names, and
// refuses a called function: qnt-externalize-weights-index-invalid.mlir).
func.func private @callee(%x: tensor<?x32xf32>) -> tensor<?x1xf32> {
  %w = arith.constant dense<1.0> : tensor<1x32xf32>
  %y = qnt.linear %x, %w : tensor<?x32xf32>, tensor<1x32xf32> -> tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}
func.func @caller(%x: tensor<?x32xf32>) -> tensor<?x1xf32> {
  %y = call @callee(%x) : (tensor<?x32xf32>) -> tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}

// RUN: not quant-opt %s --qnt-externalize-weights 2>&1 | FileCheck %s --check-prefix=NOFILE
// RUN: quant-opt %s --split-input-file --qnt-externalize-weights="file=%t" --verify-diagnostics
// RUN: not quant-opt %s --qnt-externalize-weights="file=/nonexistent/dir/w" 2>&1 | FileCheck %s --check-prefix=PATH

// NOFILE: error: qnt-externalize-weights needs file=<path>
// PATH: error: cannot write /nonexistent/dir/w

// A called function would need its callers to pass the weights too.
// expected-error @+1 {{cannot bind the weights of a function that is called}}
func.func private @callee() -> tensor<64xf32> {
  %w = arith.constant dense<2.0> : tensor<64xf32>
  return %w : tensor<64xf32>
}
func.func @caller() -> tensor<64xf32> {
  %r = call @callee() : () -> tensor<64xf32>
  return %r : tensor<64xf32>
}

// -----

// A dense_resource whose blob the file does not carry has no bytes to write.
func.func @missing_blob() -> tensor<64xf32> {
  // expected-error @+1 {{cannot read this constant's bytes}}
  %w = arith.constant dense_resource<nowhere> : tensor<64xf32>
  return %w : tensor<64xf32>
}

//===- QntDialect.td - The qnt quantization dialect --------*- tablegen -*-===//

#ifndef QNT_DIALECT_TD
#define QNT_DIALECT_TD

include "mlir/IR/OpBase.td"

def Qnt_Dialect : Dialect {
  let name = "qnt";
  let cppNamespace = "::qnt";
  let summary = "Quantized Transformer inference: schemes, quantized tensors, fused kernels";
  let description = [{
    The one place where the meaning of quantization lives in this project.

    A `!qnt.tensor` is a quantized value whose scales are run-time data, not
    compile-time attributes: it holds integer data, scales and, where its
    `#qnt.scheme` asks for them, per-group sums. Weights become `qnt.constant`
    at compile time (`--qnt-fold-weight-quant`); activations are quantized at
    run time by `qnt.quantize` (`--qnt-insert-act-quant`); `qnt.matmul` is the
    fused integer dot with per-group scaling and f32 accumulation.
  }];
  let useDefaultAttributePrinterParser = 1;
  let useDefaultTypePrinterParser = 1;
  // `qnt.in_last_arg` on a function's result: the result is the function's
  // last argument, written or accumulated into (destination-passing style, as
  // linalg puts its inits last; the kernels of --qnt-share-kernels). The last
  // argument, not an index: signature conversions split quantized arguments
  // into their components. `tensor.dim` of such a call's result
  // canonicalizes to the last operand's, so the caller's shapes stay those of
  // its own values (and its tensor.empty ops CSE into one).
  //
  // `qnt.param` on an entry point's argument or result: its name as
  // runtime/include/qnt/entry_points.def gives it ("tokens", "logits"...),
  // set by the importer; the C header quant-compile writes uses it.
  let hasCanonicalizer = 1;
  let hasRegionResultAttrVerify = 1;
  let extraClassDeclaration = [{
    static constexpr ::llvm::StringLiteral kInLastArgAttrName = "qnt.in_last_arg";
    static constexpr ::llvm::StringLiteral kParamAttrName = "qnt.param";
    void registerAttributes();
    void registerTypes();
  }];
}

class Qnt_Op<string mnemonic, list<Trait> traits = []>
    : Op<Qnt_Dialect, mnemonic, traits>;

#endif // QNT_DIALECT_TD

//===- Jit.h - Compiled code run in this process ------------*- C++ -*-===//
//
// What the unit tests and quant-bench use to run the compiler's output without
// writing a shared library: a module lowered to the LLVM dialect is compiled
// in memory by MLIR's ExecutionEngine for a target this machine runs, its
// calls into the runtime (threads, scratch memory) bound to this process's
// qntrt.
//
//===----------------------------------------------------------------------===//

#ifndef QNT_COMPILER_JIT_H
#define QNT_COMPILER_JIT_H

#include "qnt/Compiler/Compiler.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/BuiltinTypes.h"

#include <memory>
#include <string>

namespace qnt {

/// Code compiled in memory; lives as long as the object.
class Jit {
public:
  /// Compiles `module` (LLVM dialect) for `target`, which must run here.
  /// Returns null with a message in `error` otherwise.
  static std::unique_ptr<Jit> create(mlir::ModuleOp module,
                                     const Target &target, std::string &error);

  /// The address of a symbol of the compiled code (a C-interface entry point
  /// is `_mlir_ciface_<name>`), or null with a message in `error`.
  void *lookup(llvm::StringRef name, std::string &error);

private:
  std::unique_ptr<mlir::ExecutionEngine> engine;
  bool avx512 = false; ///< the target's, for setCodegenOptions
};

/// A module with one public function
///   @linear(%x: tensor<?xKxf32>) -> tensor<?xNxf32>
/// the qnt.linear of x with the constant weights `w` ([n, k], row-major);
/// with `asymmetric`, x is to be quantized with zero points (act_asymmetric).
/// `rows`, if static, fixes x's rows (1: a decode step's GEMV, as a model's
/// decode function has it).
mlir::OwningOpRef<mlir::ModuleOp>
linearModule(mlir::MLIRContext *context, int64_t n, int64_t k,
             llvm::ArrayRef<float> w, bool asymmetric = false,
             int64_t rows = mlir::ShapedType::kDynamic);

/// The same with weights in GGML blocks of ggml type `ggmlType`, as a GGUF
/// holds them (a qnt.ggml_constant of `blocks`, rows of k values).
mlir::OwningOpRef<mlir::ModuleOp>
linearModule(mlir::MLIRContext *context, int64_t n, int64_t k,
             uint32_t ggmlType, llvm::ArrayRef<uint8_t> blocks,
             int64_t rows = mlir::ShapedType::kDynamic);

/// A module with one public function, a decode step's attention as a
/// model's decode calls it: one query row at position %pos over head-major
/// caches of `rows` rows,
///   @attention(%q: tensor<1x(H*D)xf32>, %k: tensor<KVxRxDxT>, %v: (same),
///              [%ks, %vs: tensor<KVxRx(D/32)xf16>,] %pos: index)
///       -> tensor<1x(H*D)xf32>
/// with T f32, f16, or i8 with an f16 scale per 32 values of a row (`cache`
/// "f32", "f16" or "q8_0": the scales only for q8_0), and the scale
/// 1 / sqrt(D).
mlir::OwningOpRef<mlir::ModuleOp>
attentionModule(mlir::MLIRContext *context, int64_t heads, int64_t kvHeads,
                int64_t headDim, int64_t rows, llvm::StringRef cache);

} // namespace qnt

#endif // QNT_COMPILER_JIT_H

//===- Compiler.h - From qnt IR to object code --------------*- C++ -*-===//
//
// The compiler driver as a library: what quant-compile does, callable from
// tests. A module goes through
//   quantize()     --qnt-fold-weight-quant, --qnt-insert-act-quant
//   lowerToLLVM()  C interface on entry points, the qnt-lower-to-llvm pipeline
//   translate()    LLVM IR for the target, optimized at O3
//   emit()         assembly or an object file
//
//===----------------------------------------------------------------------===//

#ifndef QNT_COMPILER_COMPILER_H
#define QNT_COMPILER_COMPILER_H

#include "dialects/qnt/QntDialect.h"
#include "qnt/Passes/Options.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Support/LLVM.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Target/TargetMachine.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace qnt {

/// The CPU code is generated for, and what the compiler uses of it.
struct Target {
  std::string triple;
  std::string cpu;
  std::string features; ///< LLVM's "+avx2,-avx512f,..." string
  bool avx2 = false;
  /// AVX-512 F, BW and VL: 512-bit byte and dword vectors, 32 registers.
  bool avx512 = false;
  /// vpdpbusd on 256-bit vectors: AVX512-VNNI with AVX512VL, or AVX-VNNI.
  bool vnni = false;
  /// Instruction-set features the code may use that this machine lacks
  /// (empty: code for this target runs here).
  std::vector<std::string> missingOnHost;
  std::unique_ptr<llvm::TargetMachine> machine;

  bool runsOnHost() const { return missingOnHost.empty(); }
  /// What the kernel choices see of it: #qnt.target.
  qnt::TargetAttr kernelTarget(mlir::MLIRContext *context) const;
  /// One line: CPU, triple, the features the compiler chooses by, and
  /// whether this machine can run the code.
  std::string describe() const;
};

/// Resolves `cpu` ("host" or empty for this machine, else an LLVM CPU name
/// such as haswell or x86-64) and extra `attrs` ("+avx2,-avx512f") into a
/// target machine. Fails with a message naming an unknown CPU or triple.
mlir::FailureOr<Target> resolveTarget(llvm::StringRef cpu,
                                      llvm::StringRef attrs,
                                      std::string &error);

/// How to quantize: the qnt-quantize pipeline's options, and what the
/// driver adds.
struct QuantOptions : qnt::QuantizeOptions {
  bool enabled = true;
  /// The linears carry calibrated act_scales (quant-compile --act-mode=static).
  bool staticActivations = false;
  /// Some linears carry act_asymmetric (quant-compile --act-asymmetric).
  bool asymmetricActivations = false;
};

/// Registers every dialect and interface the compiler needs.
void registerCompilerDialects(mlir::DialectRegistry &registry);

/// Called on each pass manager, its passes added, before it runs (a tool
/// applies its command-line options: IR printing, timing, crash
/// reproducers; or shows the pipeline).
using PassManagerHook = std::function<mlir::LogicalResult(mlir::PassManager &)>;

/// Sets the module's qnt.target to `target`'s unless it has one (what the
/// kernels are tiled and lowered for, quantized or not); then, if `quant` is
/// enabled, chooses the weights' data-tiled layout, folds weight
/// quantization and inserts activation quantization.
mlir::LogicalResult quantize(mlir::ModuleOp module, const QuantOptions &quant,
                             const Target &target,
                             const PassManagerHook &hook = nullptr);

/// The lowering options (the dots follow the module's qnt.target, which
/// quantize() sets).
qnt::LoweringOptions
loweringOptions(int64_t tileCols = qnt::kLoweringDefaults.tileCols);

/// Marks public functions as C-interface entry points and lowers the module
/// to buffers (the signatures the C header shows).
mlir::LogicalResult lowerToBuffers(mlir::ModuleOp module,
                                   const qnt::LoweringOptions &options,
                                   const PassManagerHook &hook = nullptr);
/// Buffers to the LLVM dialect.
mlir::LogicalResult buffersToLLVM(mlir::ModuleOp module,
                                  const qnt::LoweringOptions &options,
                                  const PassManagerHook &hook = nullptr);
/// Both.
mlir::LogicalResult lowerToLLVM(mlir::ModuleOp module,
                                const qnt::LoweringOptions &options,
                                const PassManagerHook &hook = nullptr);

/// Translates an LLVM-dialect module to LLVM IR for `target`, optimized at
/// O3, every function carrying the target's CPU and features.
std::unique_ptr<llvm::Module> translate(mlir::ModuleOp module,
                                        llvm::LLVMContext &context,
                                        const Target &target);

/// Sets LLVM's code generation for a target before it runs (emit() does, the
/// JIT before it compiles): the pre-RA machine scheduler is off where the
/// target has 16 vector registers (no AVX-512), unless the command line gave
/// `--enable-misched`.
void setCodegenOptions(bool avx512);

/// Writes assembly (asm = true) or an object file.
mlir::LogicalResult emit(llvm::Module &module, const Target &target, bool asm_,
                         llvm::raw_pwrite_stream &os, std::string &error);

/// A C header declaring the `_mlir_ciface_` entry point of every public
/// function of a module lowered to buffers: memrefs as qnt_memref_<rank>d
/// pointers, out-parameters (bufferize.result) named result<i>, the weights
/// buffer (qnt.weights) named weights.
std::string cHeader(mlir::ModuleOp module, llvm::StringRef source);

} // namespace qnt

#endif // QNT_COMPILER_COMPILER_H

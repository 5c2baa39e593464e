//===- Passes.h - The project's passes and pipelines ----------*- C++ -*-===//

#ifndef QNT_PASSES_PASSES_H
#define QNT_PASSES_PASSES_H

#include "dialects/qnt/QntDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

#include <string>

#include <memory>

namespace mlir::qnt {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

/// Options of the lowering from qnt to the LLVM dialect.
struct LoweringOptions {
  /// Output columns per parallel task of a float linear.
  int64_t tileCols = 16;
  /// The most activation rows of a matmul's register tile.
  int64_t maxM0 = 4;
  /// Fuse quantizes into their producers and residual adds into matmuls
  /// (--qnt-fuse).
  bool fuse = true;
  /// Time each layer op at run time (--qnt-profile).
  bool profile = false;
  /// One kernel function per distinct matmul (--qnt-share-kernels), called
  /// by every layer: LLVM compiles each kernel once, whatever the depth.
  bool shareKernels = true;
  /// Each layer of an entry point into a function of its own
  /// (--qnt-outline-layers): bufferization analyses one layer at a time.
  bool outlineLayers = true;
  /// The layer functions alike but for integer constants (their weights'
  /// offsets, their cache layer) merged into one (--qnt-merge-functions).
  bool mergeLayers = true;
  /// The dots become the module #qnt.target's intrinsics (true) or plain
  /// vector arithmetic (false: runs the VNNI and AVX2 kernels' structure on
  /// any CPU).
  bool intrinsics = true;
  /// If set, large constants go to this file (--qnt-externalize-weights).
  std::string weightsFile;
  /// Append to weightsFile (the fold pass streamed the quantized weights
  /// into it) rather than truncate it.
  bool appendWeights = false;
};

/// qnt (after the quantization passes) down to buffers: the kernels as vector
/// loops, weights to a file if asked, one-shot bufferization with results
/// updated in place dropped and the others turned into caller-allocated
/// out-parameters (marked bufferize.result), deallocation.
void buildLowerToBuffersPipeline(OpPassManager &pm,
                                 const LoweringOptions &options);
/// Buffers down to the LLVM dialect: qnt.dpbusd, parallel loops onto the
/// runtime's thread pool, then the upstream conversions.
void buildBuffersToLLVMPipeline(OpPassManager &pm,
                                const LoweringOptions &options);
/// The two in sequence.
void buildLowerToLLVMPipeline(OpPassManager &pm, const LoweringOptions &options);

/// Registers the named pipelines (`qnt-lower-to-llvm`).
void registerPipelines();

/// Registers this project's passes, its pipelines, and the upstream passes
/// those pipelines run: what quant-opt offers and quant-compile's
/// --mlir-print-ir-* flags can name.
void registerPassesAndPipelines();

/// Registers with `registry` the dialects and external interface models the
/// passes and pipelines need (bufferization models of upstream dialects).
void registerDependentDialects(DialectRegistry &registry);

/// Parses a rounding option value: half-away or half-even.
LogicalResult parseRounding(Location loc, StringRef text, Rounding &rounding);

} // namespace mlir::qnt

#endif // QNT_PASSES_PASSES_H

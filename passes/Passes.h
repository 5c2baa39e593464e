//===- Passes.h - The project's passes and pipelines ----------*- C++ -*-===//

#ifndef QNT_PASSES_PASSES_H
#define QNT_PASSES_PASSES_H

#include "dialects/qnt/QntDialect.h"
#include "dialects/qnt_x86/QntX86.h"
#include "qnt/Passes/Options.h"

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

#include <memory>

namespace qnt {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

/// qnt (after the quantization passes) down to buffers: the kernels as vector
/// loops, weights to a file if asked, one-shot bufferization with results
/// updated in place dropped and the others turned into caller-allocated
/// out-parameters (marked bufferize.result), deallocation.
void buildLowerToBuffersPipeline(OpPassManager &pm,
                                 const LoweringOptions &options);
/// Buffers down to the LLVM dialect: qnt_x86.dpbusd, parallel loops onto the
/// runtime's thread pool, then the upstream conversions.
void buildBuffersToLLVMPipeline(OpPassManager &pm,
                                const LoweringOptions &options);
/// The two in sequence.
void buildLowerToLLVMPipeline(OpPassManager &pm, const LoweringOptions &options);

/// --qnt-apply-calibration with a plan in memory.
std::unique_ptr<Pass> createApplyCalibrationPass(CalibrationPlan plan);

/// The quantization passes: --qnt-apply-calibration (with a plan),
/// --qnt-data-tiling, --qnt-fold-weight-quant and
/// --qnt-insert-act-quant with `options`. 4-bit and u8 weights are corrected
/// through per-block activation sums, so with per-token activations
/// `WeightBits::Auto` keeps every weight 8-bit and `WeightStorage::Auto`
/// stores per-block weights i8.
void buildQuantizePipeline(OpPassManager &pm, const QuantizeOptions &options);

/// The location --qnt-fuse-linears gives a fused linear: named `name`
/// ("blk.0.ffn_gate+ffn_up"), over its parts' locations.
mlir::Location fusedLinearLoc(mlir::MLIRContext *context, llvm::StringRef name,
                              llvm::ArrayRef<mlir::Location> parts);
/// The model's linears an op at `loc` computes: the parts of a fused
/// linear's location (fusedLinearLoc), else one.
int64_t fusedLinearCount(mlir::Location loc);

/// Registers the named pipelines (`qnt-quantize`, `qnt-lower-to-llvm`).
void registerPipelines();

/// Registers this project's passes, its pipelines, and the upstream passes
/// those pipelines run: what quant-opt offers and quant-compile's
/// --mlir-print-ir-* flags can name.
void registerPassesAndPipelines();

/// Registers with `registry` the dialects and external interface models the
/// passes and pipelines need (bufferization models of upstream dialects).
void registerDependentDialects(DialectRegistry &registry);

} // namespace qnt

#endif // QNT_PASSES_PASSES_H

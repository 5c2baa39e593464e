//===- LowerToVector.cpp - qnt ops to vectorized loops on tensors -*- C++ -*-===//
//
// Every `!qnt.tensor` value becomes its component tensors (data, scales and,
// if the scheme keeps them, sums): a 1:N type conversion that also rewrites
// function signatures, calls and returns. The qnt ops still left (the
// matmuls are register tiles by now: --qnt-tile-matmul and
// --qnt-lower-microkernel) become loops, by family:
//
//   LowerQuantize.cpp   quantize, dequantize, constant, pack, unpack
//   LowerLayers.cpp     embedding, rms_norm, rope, silu_mul, addf, float linear
//   LowerAttention.cpp  attention
//
// with the builders of VectorEmitter.h. Loops are built on tensors
// (scf.forall with shared outputs, scf.for with iter_args,
// vector.transfer_read/write) so that one-shot bufferization places every
// write in the output buffer.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/Conversion/VectorEmitter.h"
#include "qnt/Conversion/Conversion.h"

#include "dialects/qnt/QntOps.h"

#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Patterns.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace qnt {
#define GEN_PASS_DEF_LOWERTOVECTORPASS
#include "passes/Passes.h.inc"
} // namespace qnt

using namespace mlir;
using namespace qnt;
using namespace qnt::lowering;

namespace {

//===----------------------------------------------------------------------===//
// What can be lowered
//===----------------------------------------------------------------------===//

/// Emits an error and fails for what the lowering does not handle; the
/// verifiers have already ruled out what is inconsistent.
LogicalResult checkQuantized(Operation *op, QTensorType type,
                             bool rowQuantize = false) {
  SchemeAttr s = type.getScheme();
  if (type.getRank() != 2)
    return op->emitOpError("lowering handles rank-2 quantized tensors, got rank ")
           << type.getRank();
  if (ShapedType::isDynamic(type.getShape()[1]))
    return op->emitOpError("lowering needs a static last dimension");
  if (s.getBits() != 8)
    return op->emitOpError("lowering handles 8-bit schemes only (4-bit weights "
                           "are read by the matmul kernels alone)");
  if (!s.getSymmetric() &&
      !(rowQuantize && (s.isBlocked() ||
                        s.getGranularity() == Granularity::PerToken)))
    return op->emitOpError("lowering handles asymmetric schemes only where "
                           "activations are quantized per_block or per_token");
  if (s.getGranularity() == Granularity::PerChannel && s.getAxis() != 0)
    return op->emitOpError("lowering handles per_channel on axis 0 only");
  // Blocks of whole chunks, or (quantizing) several blocks a chunk.
  if (s.isBlocked() && s.getBlock() % kVec != 0 &&
      (kVec % s.getBlock() != 0 || !rowQuantize))
    return op->emitOpError("lowering needs a block size that is a multiple of ")
           << kVec << " (or, for a quantize, divides it), got " << s.getBlock();
  if (s.getSumsBlock() && s.getSumsBlock() % kVec != 0 &&
      kVec % s.getSumsBlock() != 0)
    return op->emitOpError("lowering needs a sums_block that is a multiple of ")
           << kVec << " or divides it, got " << s.getSumsBlock();
  return success();
}

/// A quantized value the quantize and dequantize kernels read or write:
/// row-major, padded at most, and not per_tensor when padded.
LogicalResult checkRowMajor(Operation *op, QTensorType type, StringRef what) {
  if (type.isTiled())
    return op->emitOpError("lowering ") << what << " row-major tensors, not "
                                        << type.getLayout();
  if (type.getLayout() && type.getScheme().getGranularity() == Granularity::PerTensor)
    return op->emitOpError("lowering handles per_tensor without a layout only");
  return success();
}

LogicalResult checkLowerable(Operation *op) {
  if (auto q = dyn_cast<QuantizeOp>(op)) {
    if (failed(checkQuantized(op, q.getResult().getType(), /*rowQuantize=*/true)))
      return failure();
    return checkRowMajor(op, q.getResult().getType(), "quantizes into");
  }
  if (auto d = dyn_cast<DequantizeOp>(op)) {
    if (failed(checkQuantized(op, d.getInput().getType())))
      return failure();
    if (d.getInput().getType().getLayout())
      return op->emitOpError("lowering dequantizes tensors without a layout only");
    return success();
  }
  if (isa<RmsNormOp, SiluMulOp>(op))
    if (auto q = dyn_cast<QTensorType>(op->getResult(0).getType())) {
      if (failed(checkQuantized(op, q, /*rowQuantize=*/true)))
        return failure();
      if (q.getScheme().getGranularity() == Granularity::PerTensor)
        return op->emitOpError("lowering quantizes a layer's result per row "
                               "(per_block or per_token), not per_tensor");
      return checkRowMajor(op, q, "quantizes into");
    }
  if (auto m = dyn_cast<MatmulOp>(op)) {
    if (!m.getRhs().getType().isTiled())
      return op->emitOpError("has a row-major weight: the matmul kernels read "
                             "data-tiled weights (run --qnt-data-tiling before "
                             "the fold pass)");
    return op->emitOpError("is not tiled: run --qnt-tile-matmul and "
                           "--qnt-lower-microkernel first");
  }
  if (isa<MatmulTileOp>(op))
    return op->emitOpError("is not lowered: run --qnt-lower-microkernel first");
  if (auto l = dyn_cast<LinearOp>(op))
    if (isa<QTensorType>(l.getWeight().getType()))
      return op->emitOpError("has a quantized weight and a float input: run "
                             "--qnt-insert-act-quant before lowering");
  return success();
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

struct LowerToVectorPass
    : public qnt::impl::LowerToVectorPassBase<LowerToVectorPass> {
  using LowerToVectorPassBase::LowerToVectorPassBase;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    if (tileCols < 1) {
      getOperation().emitError("tile-cols must be at least 1");
      return signalPassFailure();
    }
    WalkResult checked = getOperation().walk([](Operation *op) {
      return failed(checkLowerable(op)) ? WalkResult::interrupt()
                                        : WalkResult::advance();
    });
    if (checked.wasInterrupted())
      return signalPassFailure();

    TypeConverter converter;
    populateQntToComponentsTypeConversion(converter);
    ConversionTarget target(*ctx);
    configureQntToVectorConversionTarget(target, converter);
    RewritePatternSet patterns(ctx);
    populateQntToVectorConversionPatterns(converter, patterns, tileCols);
    populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns,
                                                                   converter);
    populateReturnOpTypeConversionPattern(patterns, converter);
    populateCallOpTypeConversionPattern(patterns, converter);
    scf::populateSCFStructuralTypeConversionsAndLegality(converter, patterns,
                                                         target);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      return signalPassFailure();

    // exp as a polynomial (upstream's, a few ulp from libm's): LLVM would
    // otherwise call expf once per lane of every SwiGLU and softmax vector.
    RewritePatternSet approximations(ctx);
    populateMathPolynomialApproximationPatterns(
        approximations, [](StringRef name) { return name == "math.exp"; });
    if (failed(applyPatternsGreedily(getOperation(), std::move(approximations))))
      return signalPassFailure();
  }
};

} // namespace

void qnt::populateQntToComponentsTypeConversion(TypeConverter &converter) {
  converter.addConversion([](Type t) { return t; });
  converter.addConversion(
      [](QTensorType t, SmallVectorImpl<Type> &results) -> LogicalResult {
        t.getComponentTypes(results);
        return success();
      });
}

void qnt::populateQntToVectorConversionPatterns(const TypeConverter &converter,
                                                RewritePatternSet &patterns,
                                                int64_t tileCols) {
  populateQuantizeLoweringPatterns(converter, patterns);
  populateLayerLoweringPatterns(converter, patterns, tileCols);
  populateAttentionLoweringPatterns(converter, patterns);
}

void qnt::configureQntToVectorConversionTarget(ConversionTarget &target,
                                               const TypeConverter &converter) {
  target.addIllegalDialect<QntDialect>();
  // Tensors of the weights file stay named (plain tensors) until
  // --qnt-externalize-weights binds them to offsets.
  target.addLegalOp<WeightOp>();
  // The kernel-level dots stay until after bufferization.
  target.addLegalDialect<x86::QntX86Dialect>();
  target.addLegalDialect<arith::ArithDialect, mlir::math::MathDialect,
                         scf::SCFDialect, tensor::TensorDialect,
                         vector::VectorDialect, LLVM::LLVMDialect>();
  target.addDynamicallyLegalOp<func::FuncOp>([&converter](func::FuncOp op) {
    return converter.isSignatureLegal(op.getFunctionType()) &&
           converter.isLegal(&op.getBody());
  });
  target.addDynamicallyLegalOp<func::ReturnOp, func::CallOp>(
      [&converter](Operation *op) { return converter.isLegal(op); });
  // The residual adds are lowered here too; other adds stay.
  target.addDynamicallyLegalOp<arith::AddFOp>(
      [](arith::AddFOp op) { return !isActivationAdd(op); });
  // So are the roundings of keys and values to an f16 cache.
  target.addDynamicallyLegalOp<arith::TruncFOp>(
      [](arith::TruncFOp op) { return !isActivationTrunc(op); });
}

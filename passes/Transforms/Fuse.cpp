//===- Fuse.cpp - Quantize into producers, residual adds into matmuls -----===//
//
// Two fusions that save a float tensor's round trip through memory:
//
//   %y = qnt.rms_norm %x, %w -> tensor        %q = qnt.rms_norm %x, %w -> !qnt.tensor
//   %q = qnt.quantize %y -> !qnt.tensor   =>  (each row quantized as it is normalized)
//
// the same for qnt.silu_mul, when every use of the float result is a quantize
// to one type with the same static scales, if any, which the fused op takes
// over (insert-act-quant shares one between q/k/v and gate/up); for
// qnt.attention when the quantize is dynamic and its blocks tile the columns
// each attention task computes (each task quantizes its own); and
//
//   %y = qnt.matmul %a, %w                    %z = qnt.matmul %a, %w acc %r
//   %z = arith.addf %r, %y                =>  (the residual in the epilogue)
//
// when the matmul's only use is the add. Both keep the numbers bit for bit:
// the fused norm quantizes the values it would have written, and the
// micro-kernel adds `acc` once to the finished dot, as the add did.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/qnt/QntOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace qnt {
#define GEN_PASS_DEF_FUSEPASS
#include "passes/Passes.h.inc"
} // namespace qnt

using namespace mlir;
using namespace qnt;

namespace {

/// The one quantize every use of `value` is (its type and static scales),
/// or null if a use is not a qnt.quantize or two quantizes differ.
QuantizeOp soleQuantize(Value value) {
  QuantizeOp first;
  for (Operation *user : value.getUsers()) {
    auto quantize = dyn_cast<QuantizeOp>(user);
    if (!quantize || (first && (quantize.getType() != first.getType() ||
                                quantize.getStaticScalesAttr() !=
                                    first.getStaticScalesAttr())))
      return {};
    if (!first)
      first = quantize;
  }
  return first;
}

/// quantize(producer(...)) -> producer(...) with the quantized result type.
template <typename Producer>
struct FuseQuantizeIntoProducer : OpRewritePattern<Producer> {
  using OpRewritePattern<Producer>::OpRewritePattern;

  LogicalResult matchAndRewrite(Producer op,
                                PatternRewriter &rewriter) const override {
    Value result = op->getResult(0);
    if (!isa<RankedTensorType>(result.getType()))
      return rewriter.notifyMatchFailure(op, "already quantizes its result");
    QuantizeOp quantize = soleQuantize(result);
    if (!quantize)
      return rewriter.notifyMatchFailure(op, "a use needs the float result");
    auto fused = cast<Producer>(rewriter.clone(*op));
    fused->getResult(0).setType(quantize.getType());
    if (DenseElementsAttr scales = quantize.getStaticScalesAttr())
      fused.setStaticScalesAttr(scales);
    for (Operation *user : llvm::make_early_inc_range(result.getUsers()))
      rewriter.replaceOp(user, fused->getResult(0));
    rewriter.eraseOp(op);
    return success();
  }
};

/// quantize(attention(...)) -> attention(...) with the quantized result,
/// when the quantize is dynamic and its blocks tile each attention task's
/// columns (AttentionOp::canQuantizeResultAs); otherwise the quantize stays.
struct FuseQuantizeIntoAttention : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    Value result = op.getResult();
    if (!isa<RankedTensorType>(result.getType()))
      return rewriter.notifyMatchFailure(op, "already quantizes its result");
    QuantizeOp quantize = soleQuantize(result);
    if (!quantize)
      return rewriter.notifyMatchFailure(op, "a use needs the float result");
    if (quantize.getStaticScalesAttr())
      return rewriter.notifyMatchFailure(op, "static scales: the quantize stays");
    if (!op.canQuantizeResultAs(quantize.getType()))
      return rewriter.notifyMatchFailure(op, "blocks do not tile a task's columns");
    auto fused = cast<AttentionOp>(rewriter.clone(*op));
    fused.getResult().setType(quantize.getType());
    for (Operation *user : llvm::make_early_inc_range(result.getUsers()))
      rewriter.replaceOp(user, fused.getResult());
    rewriter.eraseOp(op);
    return success();
  }
};

/// addf(r, matmul(a, w)) -> matmul(a, w) acc r.
struct FuseResidualAdd : OpRewritePattern<arith::AddFOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::AddFOp add,
                                PatternRewriter &rewriter) const override {
    for (int side = 0; side < 2; ++side) {
      auto matmul = add->getOperand(side).getDefiningOp<MatmulOp>();
      Value residual = add->getOperand(1 - side);
      if (!matmul || matmul.getAcc() || !matmul->hasOneUse() ||
          residual.getType() != matmul.getType())
        continue;
      // The matmul's location (its layer's name), not the add's.
      rewriter.setInsertionPoint(add);
      Value fused = MatmulOp::create(rewriter, matmul.getLoc(), matmul.getType(),
                                     matmul.getLhs(), matmul.getRhs(), residual);
      rewriter.replaceOp(add, fused);
      rewriter.eraseOp(matmul);
      return success();
    }
    return rewriter.notifyMatchFailure(add, "no matmul of one use to fuse");
  }
};

struct FusePass : public qnt::impl::FusePassBase<FusePass> {
  using FusePassBase::FusePassBase;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    if (quantize)
      patterns.add<FuseQuantizeIntoProducer<RmsNormOp>,
                   FuseQuantizeIntoProducer<SiluMulOp>, FuseQuantizeIntoAttention>(
          &getContext());
    if (residual)
      patterns.add<FuseResidualAdd>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

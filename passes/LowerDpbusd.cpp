//===- LowerDpbusd.cpp - qnt.dpbusd to VNNI or vector arithmetic ----------===//

#include "passes/Passes.h"

#include "dialects/qnt/QntOps.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::qnt {
#define GEN_PASS_DEF_LOWERDPBUSDPASS
#include "passes/Passes.h.inc"
} // namespace mlir::qnt

using namespace mlir;
using namespace mlir::qnt;

namespace {

/// The VNNI intrinsic for a lane count, or null.
StringRef intrinsicFor(int64_t lanes) {
  switch (lanes) {
  case 4:
    return "llvm.x86.avx512.vpdpbusd.128";
  case 8:
    return "llvm.x86.avx512.vpdpbusd.256";
  case 16:
    return "llvm.x86.avx512.vpdpbusd.512";
  default:
    return {};
  }
}

struct DpbusdToIntrinsic : OpRewritePattern<DpbusdOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DpbusdOp op,
                                PatternRewriter &rewriter) const override {
    StringRef name = intrinsicFor(op.getAcc().getType().getNumElements());
    if (name.empty())
      return rewriter.notifyMatchFailure(op, "no VNNI form for this length");
    rewriter.replaceOpWithNewOp<LLVM::CallIntrinsicOp>(
        op, op.getType(), rewriter.getStringAttr(name),
        ValueRange{op.getAcc(), op.getLhs(), op.getRhs()});
    return success();
  }
};

/// acc + reduce_add(reshape(zext(lhs) * sext(rhs), [lanes, 4]), dim 1).
struct DpbusdToArith : OpRewritePattern<DpbusdOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DpbusdOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    int64_t lanes = op.getAcc().getType().getNumElements();
    auto i32 = rewriter.getI32Type();
    auto wide = VectorType::get({4 * lanes}, i32);
    Value lhs = arith::ExtUIOp::create(rewriter, loc, wide, op.getLhs());
    Value rhs = arith::ExtSIOp::create(rewriter, loc, wide, op.getRhs());
    Value products = arith::MulIOp::create(rewriter, loc, lhs, rhs);
    Value groups = vector::ShapeCastOp::create(
        rewriter, loc, VectorType::get({lanes, 4}, i32), products);
    rewriter.replaceOpWithNewOp<vector::MultiDimReductionOp>(
        op, groups, op.getAcc(), ArrayRef<bool>{false, true},
        vector::CombiningKind::ADD);
    return success();
  }
};

struct LowerDpbusdPass
    : public mlir::qnt::impl::LowerDpbusdPassBase<LowerDpbusdPass> {
  using LowerDpbusdPassBase::LowerDpbusdPassBase;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    // The intrinsic where it applies, the arithmetic for the rest.
    if (vnni)
      patterns.add<DpbusdToIntrinsic>(&getContext(), /*benefit=*/2);
    patterns.add<DpbusdToArith>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace

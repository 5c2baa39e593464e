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

/// acc + p[0::4] + p[1::4] + p[2::4] + p[3::4] with p = zext(lhs) * sext(rhs):
/// four strided shuffles keep every vector one-dimensional.
struct DpbusdToArith : OpRewritePattern<DpbusdOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DpbusdOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    int64_t lanes = op.getAcc().getType().getNumElements();
    auto wide = VectorType::get({4 * lanes}, rewriter.getI32Type());
    Value lhs = arith::ExtUIOp::create(rewriter, loc, wide, op.getLhs());
    Value rhs = arith::ExtSIOp::create(rewriter, loc, wide, op.getRhs());
    Value products = arith::MulIOp::create(rewriter, loc, lhs, rhs);
    Value sum = op.getAcc();
    for (int64_t j = 0; j < 4; ++j) {
      SmallVector<int64_t> mask;
      for (int64_t i = 0; i < lanes; ++i)
        mask.push_back(4 * i + j);
      Value part = vector::ShuffleOp::create(rewriter, loc, products, products,
                                             mask);
      sum = arith::AddIOp::create(rewriter, loc, sum, part);
    }
    rewriter.replaceOp(op, sum);
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

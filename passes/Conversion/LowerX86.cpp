//===- LowerX86.cpp - qnt_x86 to x86 intrinsics or vector arithmetic ------===//
//
// As the module's #qnt.target has it: qnt_x86.dpbusd (u8 x s8) becomes vpdpbusd
// where the target has VNNI; qnt_x86.dpbssd (s8 x s8) becomes AVX2's sign trick
// on 8 lanes where it has AVX2 (a vnni or maddubs target):
//
//   |w| = vpsignb(w, w), a' = vpsignb(a, w)    (a with w's sign, 0 where w is)
//   pairs = vpmaddubsw(|w|, a')                 u8 x s8, adjacent pairs to i16
//   acc  += vpmaddwd(pairs, 1)                  adjacent i16 pairs to i32
//
// |w| * a' = a * w; the magnitude is taken of the rhs, the weights a
// micro-kernel reuses for all its rows, so one |w| serves m0 dots. |w| may be
// 128 (w = -128, as u8), a' never is (a in [-127, 127]): a pair is at most
// 2 * 128 * 127 < 2^15, so vpmaddubsw's saturation never triggers. A
// qnt_x86.dpbusd on nibbles (4-bit weights, u <= 15) needs no sign trick on
// AVX2:
//
//   acc += vpmaddwd(vpmaddubsw(u, a), 1)          pairs at most 2 * 15 * 127
//
// The micro-kernels on AVX2 use a cheaper form for nibbles: qnt_x86.dpbusw sums
// the i16 pairs of up to 8 steps (vpmaddubsw + vpaddw, at most 8 x 3810 <
// 2^15) and qnt_x86.widen_pairs turns them into i32 once (vpmaddwd with ones).
// qnt_x86.lookup (IQ4_NL's grid values of unpacked nibbles) becomes vpshufb,
// the 16-byte table repeated in each 128-bit lane, where the target has AVX2.
// Everything else becomes plain vector arithmetic, which LLVM lowers for any
// CPU.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "qnt/Conversion/Conversion.h"

#include "dialects/qnt/QntOps.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace qnt {
#define GEN_PASS_DEF_LOWERX86PASS
#include "passes/Passes.h.inc"
} // namespace qnt

using namespace mlir;
using namespace qnt;
using namespace qnt::x86;

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

/// acc + p[0::n] + p[1::n] + ... + p[n-1::n] of n * lanes products, each
/// part extended to acc's element type: n strided shuffles keep every vector
/// one-dimensional.
Value sumOfStrided(PatternRewriter &rewriter, Location loc, Value acc,
                   Value products, int64_t n) {
  int64_t lanes = cast<VectorType>(acc.getType()).getNumElements();
  Value sum = acc;
  for (int64_t j = 0; j < n; ++j) {
    SmallVector<int64_t> mask;
    for (int64_t i = 0; i < lanes; ++i)
      mask.push_back(n * i + j);
    Value part = vector::ShuffleOp::create(rewriter, loc, products, products, mask);
    if (part.getType() != acc.getType())
      part = arith::ExtSIOp::create(rewriter, loc, acc.getType(), part);
    sum = arith::AddIOp::create(rewriter, loc, sum, part);
  }
  return sum;
}

/// The result of an x86 intrinsic.
Value callX86(PatternRewriter &rewriter, Location loc, StringRef name, Type type,
              ValueRange args) {
  return LLVM::CallIntrinsicOp::create(rewriter, loc, type,
                                       rewriter.getStringAttr(name), args)
      .getResult(0);
}

/// AVX2's i32 lanes of adjacent i16 pairs: vpmaddwd by ones, or by `by`.
Value widenPairsAvx2(PatternRewriter &rewriter, Location loc, Type type,
                     Value pairs, Value by = Value()) {
  if (!by)
    by = arith::ConstantOp::create(
        rewriter, loc,
        DenseElementsAttr::get(cast<VectorType>(pairs.getType()),
                               rewriter.getI16IntegerAttr(1)));
  return callX86(rewriter, loc, "llvm.x86.avx2.pmadd.wd", type, {pairs, by});
}

/// acc + the u8 x s8 dot of 4-byte groups on AVX2: vpmaddubsw (pairs to
/// i16, which the caller knows cannot saturate), then vpmaddwd by ones.
Value maddubsQuadsAvx2(PatternRewriter &rewriter, Location loc, Value acc,
                       Value u, Value s) {
  auto pairs = VectorType::get({16}, rewriter.getI16Type());
  Value p = callX86(rewriter, loc, "llvm.x86.avx2.pmadd.ub.sw", pairs, {u, s});
  return arith::AddIOp::create(rewriter, loc, acc,
                               widenPairsAvx2(rewriter, loc, acc.getType(), p));
}

/// The same with p = zext(lhs) * sext(rhs).
struct DpbusdToArith : OpRewritePattern<DpbusdOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DpbusdOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    int64_t lanes = op.getAcc().getType().getNumElements();
    auto wide = VectorType::get({4 * lanes}, rewriter.getI32Type());
    Value lhs = arith::ExtUIOp::create(rewriter, loc, wide, op.getLhs());
    Value rhs = arith::ExtSIOp::create(rewriter, loc, wide, op.getRhs());
    rewriter.replaceOp(op, sumOfStrided(rewriter, loc, op.getAcc(),
                                        arith::MulIOp::create(rewriter, loc, lhs, rhs), 4));
    return success();
  }
};

/// The s8 x s8 dot on AVX2 by the sign trick (8 lanes: ymm), |rhs| times lhs
/// with rhs's sign.
struct DpbssdToAvx2 : OpRewritePattern<DpbssdOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DpbssdOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getAcc().getType().getNumElements() != 8)
      return rewriter.notifyMatchFailure(op, "AVX2's form has 8 lanes");
    Location loc = op.getLoc();
    auto bytes = op.getLhs().getType();
    Value a = op.getLhs(), w = op.getRhs();
    Value absW = callX86(rewriter, loc, "llvm.x86.avx2.psign.b", bytes, {w, w});
    Value signedA =
        callX86(rewriter, loc, "llvm.x86.avx2.psign.b", bytes, {a, w});
    Value quads = maddubsQuadsAvx2(rewriter, loc, op.getAcc(), absW, signedA);
    rewriter.replaceOp(op, quads);
    return success();
  }
};

/// The u8 x s8 dot of nibbles on AVX2 (8 lanes: ymm): vpmaddubsw's pairs
/// cannot saturate when every u8 is at most 15.
struct DpbusdNibblesToAvx2 : OpRewritePattern<DpbusdOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DpbusdOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.getNibbles())
      return rewriter.notifyMatchFailure(op, "u8 values may saturate vpmaddubsw");
    if (op.getAcc().getType().getNumElements() != 8)
      return rewriter.notifyMatchFailure(op, "AVX2's form has 8 lanes");
    rewriter.replaceOp(op, maddubsQuadsAvx2(rewriter, op.getLoc(), op.getAcc(),
                                            op.getLhs(), op.getRhs()));
    return success();
  }
};

/// The i16 pairs of u8 x s8 on AVX2: vpmaddubsw, then vpaddw (16 lanes).
struct DpbuswToAvx2 : OpRewritePattern<DpbuswOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DpbuswOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getAcc().getType().getNumElements() != 16)
      return rewriter.notifyMatchFailure(op, "AVX2's form has 16 lanes");
    Value p = callX86(rewriter, op.getLoc(), "llvm.x86.avx2.pmadd.ub.sw",
                      op.getType(), {op.getLhs(), op.getRhs()});
    rewriter.replaceOpWithNewOp<arith::AddIOp>(op, op.getAcc(), p);
    return success();
  }
};

/// acc + p[0::2] + p[1::2] with p = zext(lhs) * sext(rhs), in i16.
struct DpbuswToArith : OpRewritePattern<DpbuswOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DpbuswOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    int64_t lanes = op.getAcc().getType().getNumElements();
    auto wide = VectorType::get({2 * lanes}, rewriter.getI16Type());
    Value lhs = arith::ExtUIOp::create(rewriter, loc, wide, op.getLhs());
    Value rhs = arith::ExtSIOp::create(rewriter, loc, wide, op.getRhs());
    rewriter.replaceOp(op, sumOfStrided(rewriter, loc, op.getAcc(),
                                        arith::MulIOp::create(rewriter, loc, lhs, rhs), 2));
    return success();
  }
};

/// Adjacent i16 lanes into i32: vpmaddwd with ones on AVX2.
struct WidenPairsToAvx2 : OpRewritePattern<WidenPairsOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(WidenPairsOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getInput().getType().getNumElements() != 16)
      return rewriter.notifyMatchFailure(op, "AVX2's form has 16 lanes");
    Location loc = op.getLoc();
    Value by;
    if (Value factors = op.getFactors()) {
      // Each i32 lane's factor in both of its i16 lanes.
      SmallVector<int64_t> twice;
      for (int64_t i = 0; i < 16; ++i)
        twice.push_back(i / 2);
      by = vector::ShuffleOp::create(rewriter, loc, factors, factors, twice);
    }
    rewriter.replaceOp(
        op, widenPairsAvx2(rewriter, loc, op.getType(), op.getInput(), by));
    return success();
  }
};

/// sext(in[0::2]) + sext(in[1::2]).
struct WidenPairsToArith : OpRewritePattern<WidenPairsOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(WidenPairsOp op,
                                PatternRewriter &rewriter) const override {
    Value zero = arith::ConstantOp::create(
        rewriter, op.getLoc(),
        DenseElementsAttr::get(op.getType(), rewriter.getI32IntegerAttr(0)));
    Value sums = sumOfStrided(rewriter, op.getLoc(), zero, op.getInput(), 2);
    if (Value factors = op.getFactors())
      sums = arith::MulIOp::create(
          rewriter, op.getLoc(), sums,
          arith::ExtSIOp::create(rewriter, op.getLoc(), op.getType(), factors));
    rewriter.replaceOp(op, sums);
    return success();
  }
};

/// acc + p[0::4] + ... + p[3::4] with p = sext(lhs) * sext(rhs).
struct DpbssdToArith : OpRewritePattern<DpbssdOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DpbssdOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    int64_t lanes = op.getAcc().getType().getNumElements();
    auto wide = VectorType::get({4 * lanes}, rewriter.getI32Type());
    Value lhs = arith::ExtSIOp::create(rewriter, loc, wide, op.getLhs());
    Value rhs = arith::ExtSIOp::create(rewriter, loc, wide, op.getRhs());
    rewriter.replaceOp(op, sumOfStrided(rewriter, loc, op.getAcc(),
                                        arith::MulIOp::create(rewriter, loc, lhs, rhs), 4));
    return success();
  }
};

/// The table lookup as vpshufb: xmm (SSSE3, implied by AVX2), ymm (AVX2) or
/// zmm (AVX-512BW, which every AVX-512 VNNI CPU has).
struct LookupToPshufb : OpRewritePattern<LookupOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LookupOp op,
                                PatternRewriter &rewriter) const override {
    VectorType type = op.getType();
    int64_t n = type.getNumElements();
    StringRef name = n == 16   ? "llvm.x86.ssse3.pshuf.b.128"
                     : n == 32 ? "llvm.x86.avx2.pshuf.b"
                     : n == 64 ? "llvm.x86.avx512.pshuf.b.512"
                               : StringRef();
    if (name.empty())
      return rewriter.notifyMatchFailure(op, "no vpshufb of this length");
    SmallVector<int8_t> table;
    for (int64_t i = 0; i < n; ++i)
      table.push_back(op.getTable()[i % 16]);
    Value t = arith::ConstantOp::create(
        rewriter, op.getLoc(), DenseElementsAttr::get(type, ArrayRef<int8_t>(table)));
    rewriter.replaceOp(op, callX86(rewriter, op.getLoc(), name, type,
                                   {t, op.getIndices()}));
    return success();
  }
};

/// The table lookup as 15 compares and selects over the entries.
struct LookupToArith : OpRewritePattern<LookupOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LookupOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    VectorType type = op.getType();
    auto splat = [&](int8_t v) -> Value {
      return arith::ConstantOp::create(
          rewriter, loc, DenseElementsAttr::get(type, rewriter.getI8IntegerAttr(v)));
    };
    Value result = splat(op.getTable()[0]);
    for (int64_t i = 1; i < 16; ++i) {
      Value hit = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::eq,
                                        op.getIndices(), splat(int8_t(i)));
      result = arith::SelectOp::create(rewriter, loc, hit, splat(op.getTable()[i]),
                                       result);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LowerX86Pass : public qnt::impl::LowerX86PassBase<LowerX86Pass> {
  using LowerX86PassBase::LowerX86PassBase;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateQntX86ToLLVMPatterns(
        patterns, TargetAttr::lookup(getOperation()).getDot(), intrinsics);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace

void qnt::populateQntX86ToLLVMPatterns(RewritePatternSet &patterns, DotKind dot,
                                       bool intrinsics) {
  // The intrinsic where the target has it (a higher benefit), the arithmetic
  // for the rest.
  MLIRContext *ctx = patterns.getContext();
  bool vnni = intrinsics && dot == DotKind::Vnni;
  bool avx2 = intrinsics && (dot == DotKind::Vnni || dot == DotKind::Maddubs);
  if (vnni)
    patterns.add<DpbusdToIntrinsic>(ctx, /*benefit=*/3);
  if (avx2)
    patterns.add<DpbssdToAvx2, DpbusdNibblesToAvx2, DpbuswToAvx2,
                 WidenPairsToAvx2, LookupToPshufb>(ctx, /*benefit=*/2);
  patterns.add<DpbusdToArith, DpbssdToArith, DpbuswToArith, WidenPairsToArith,
               LookupToArith>(ctx);
}

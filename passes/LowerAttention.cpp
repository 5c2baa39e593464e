//===- LowerAttention.cpp - Attention to vector loops -------------*- C++ -*-===//
//
// The attention family of --qnt-lower-to-vector: causal grouped-query
// attention over the KV cache, one parallel task per (token, head), a single
// pass over the cache rows with an online softmax (running max m, running sum
// l, running output o), as the float reference computes it.
//
//===----------------------------------------------------------------------===//

#include "passes/VectorEmitter.h"

#include "dialects/qnt/QntOps.h"

#include "mlir/Dialect/Math/IR/Math.h"

#include <limits>

using namespace mlir;
using namespace mlir::qnt;
using namespace mlir::qnt::lowering;

namespace {

struct AttentionLowering : OpConversionPattern<AttentionOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(AttentionOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Emitter e{rewriter, op.getLoc()};
    OpBuilder &b = rewriter;
    Location loc = op.getLoc();
    Value query = adaptor.getQuery().front(), keys = adaptor.getKeys().front(),
          values = adaptor.getValues().front();
    Value position = adaptor.getPosition().front();
    int64_t heads = op.getNumHeads(), group = heads / op.getNumKvHeads();
    int64_t headDim = op.getHeadDim();
    auto headType = VectorType::get({headDim}, b.getF32Type());
    RankedTensorType resultType = op.getResult().getType();
    Value rows = e.dim(query, 0);
    Value out = e.empty(resultType.getShape(), b.getF32Type(),
                        {rows, e.index(resultType.getDimSize(1))});
    Value tasks = e.mul(rows, e.index(heads));

    // One task per (row, head): a single pass over the cache with an online
    // softmax (running max m, running sum l, running output o).
    auto forall = parallelLoop(e, tasks, {out}, [&](Value task, ValueRange outs) {
      Value t = arith::DivUIOp::create(b, loc, task, e.index(heads));
      Value h = arith::RemUIOp::create(b, loc, task, e.index(heads));
      Value kvh = arith::DivUIOp::create(b, loc, h, e.index(group));
      Value qCol = e.mul(h, e.index(headDim));
      Value kvCol = e.mul(kvh, e.index(headDim));
      Value last = arith::AddIOp::create(b, loc, position, t);
      auto readHead = [&](Value tensor, Value row, Value col) -> Value {
        return vector::TransferReadOp::create(b, loc, headType, tensor,
                                              ValueRange{row, col}, e.f32(0.0f),
                                              ArrayRef<bool>{true});
      };
      Value q = readHead(query, t, qCol);
      Value scale = e.f32(op.getScale().convertToFloat());
      Value zeroHead = e.splat(headType, b.getF32FloatAttr(0.0f));
      Value minusInf = e.f32(-std::numeric_limits<float>::infinity());
      ValueRange state = e.loop(
          e.index(0), e.add(last, e.index(1)), e.index(1),
          {minusInf, e.f32(0.0f), zeroHead},
          [&](Value j, ValueRange acc) -> SmallVector<Value> {
            Value k = readHead(keys, j, kvCol);
            Value score = e.reduce(vector::CombiningKind::ADD,
                                   arith::MulFOp::create(b, loc, q, k));
            score = arith::MulFOp::create(b, loc, score, scale);
            Value m = arith::MaximumFOp::create(b, loc, acc[0], score);
            Value a = math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, acc[0], m));
            Value p = math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, score, m));
            Value l = arith::AddFOp::create(b, loc,
                                            arith::MulFOp::create(b, loc, acc[1], a), p);
            Value v = readHead(values, j, kvCol);
            Value o = arith::AddFOp::create(
                b, loc,
                arith::MulFOp::create(b, loc, acc[2],
                                      vector::BroadcastOp::create(b, loc, headType, a)),
                arith::MulFOp::create(b, loc, v,
                                      vector::BroadcastOp::create(b, loc, headType, p)));
            return {m, l, o};
          });
      Value o = arith::DivFOp::create(
          b, loc, state[2], vector::BroadcastOp::create(b, loc, headType, state[1]));
      SmallVector<OpFoldResult> offsets = {t, qCol};
      SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1), b.getIndexAttr(headDim)};
      Value tile = slice(e, outs[0], offsets, sizes);
      tile = vector::TransferWriteOp::create(b, loc, o, tile,
                                             ValueRange{e.index(0), e.index(0)},
                                             ArrayRef<bool>{true})
                 .getResult();
      return SmallVector<TileInsert>{{tile, offsets, sizes}};
    });
    rewriter.replaceOp(op, forall.getResults());
    return success();
  }
};

} // namespace

void mlir::qnt::lowering::populateAttentionLoweringPatterns(
    const TypeConverter &converter, RewritePatternSet &patterns) {
  patterns.add<AttentionLowering>(converter, patterns.getContext());
}

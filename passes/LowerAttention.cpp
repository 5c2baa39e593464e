//===- LowerAttention.cpp - Attention to vector loops -------------*- C++ -*-===//
//
// The attention family of --qnt-lower-to-vector: causal grouped-query
// attention over the KV cache, blocked like flash attention so that nothing
// is reduced across lanes and no score is a scalar.
//
// A task takes the queries of up to 16 (row, head) pairs that read the same
// KV head (the heads of a group, then consecutive rows) and puts them in the
// lanes of one vector: q^T[i] holds element i of every query. For each block
// of 8 cache rows j:
//
//   s[j]  = sum_i q^T[i] * k_j[i]           a fused multiply-add per element
//                                           of k_j, broadcast to the lanes
//   s[j]  = -1e30 where j is past the lane's own position (causal)
//   m'    = max(m, max_j s[j]),  alpha = exp(m - m'),  p[j] = exp(s[j] - m')
//   l     = l * alpha + sum_j p[j]
//   o^T[i] = o^T[i] * alpha + sum_j p[j] * v_j[i]
//
// the online softmax of the float reference, a block at a time; out = o / l.
// An f16 cache's keys and values are widened to f32 a block at a time, 16
// values a conversion (vcvtph2ps), into a tile the loops read as f32; a
// q8_0 cache's are converted from i8 and multiplied by their block's scale
// into the same tile.
// Decode (one row) puts the group's heads in the lanes.
//
//===----------------------------------------------------------------------===//

#include "passes/VectorEmitter.h"

#include "dialects/qnt/QntOps.h"

#include "mlir/Dialect/Math/IR/Math.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::qnt;
using namespace mlir::qnt::lowering;

namespace {

/// Query vectors side by side in the lanes of one f32 vector.
constexpr int64_t kLanes = 16;
/// Cache rows per step of the key loop.
constexpr int64_t kKeyBlock = 8;

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
    // A q8_0 cache's scales, one per block of 32 of a row (else null).
    Value keyScales = adaptor.getKeyScales().empty() ? Value() : adaptor.getKeyScales().front();
    Value valueScales =
        adaptor.getValueScales().empty() ? Value() : adaptor.getValueScales().front();
    RankedTensorType queryType = op.getQuery().getType();
    int64_t heads = op.getNumHeads(), group = heads / op.getNumKvHeads();
    int64_t d = op.getHeadDim();
    int64_t cacheRows = op.getKeys().getType().getDimSize(0);

    // The lanes: `headBlock` heads of one KV group (the largest divisor of
    // the group up to kLanes) times `tokens` consecutive query rows.
    static_assert(kLanes == 16, "AttentionOp::getTaskHeads assumes 16 lanes");
    int64_t headBlock = op.getTaskHeads();
    bool oneRow = queryType.getDimSize(0) == 1;
    int64_t tokens = oneRow ? 1 : std::max<int64_t>(1, kLanes / headBlock);
    int64_t lanes = tokens * headBlock, headBlocks = heads / headBlock;
    Type f32 = b.getF32Type();
    auto vec = VectorType::get({lanes}, f32);
    auto ivec = VectorType::get({lanes}, b.getI64Type());

    Value rows = e.dim(query, 0);
    // The outputs: the f32 result, or the components of the quantized one
    // (data, scales, sums), each task quantizing the blocks of its columns.
    auto qtype = dyn_cast<QTensorType>(op.getResult().getType());
    SmallVector<Type> componentTypes;
    QTensorType tileType;
    if (qtype) {
      qtype.getComponentTypes(componentTypes);
      tileType = QTensorType::get(b.getContext(), {1, headBlock * d}, f32,
                                  qtype.getScheme());
    } else {
      componentTypes.push_back(queryType);
    }
    SmallVector<Value> outInits = emptyRows(e, componentTypes, rows);
    Value tokenBlocks = arith::CeilDivUIOp::create(b, loc, rows, e.index(tokens));
    Value tasks = e.mul(tokenBlocks, e.index(headBlocks));
    Value minusBig = e.f32(-1.0e30f); // exp underflows to 0; no inf - inf

    auto forall = parallelLoop(e, tasks, outInits, [&](Value task, ValueRange outs) {
      Value t0 = e.mul(arith::DivUIOp::create(b, loc, task, e.index(headBlocks)),
                       e.index(tokens));
      Value h0 = e.mul(arith::RemUIOp::create(b, loc, task, e.index(headBlocks)),
                       e.index(headBlock));
      Value kvCol = e.mul(arith::DivUIOp::create(b, loc, h0, e.index(group)),
                          e.index(d));
      Value lastRow = arith::SubIOp::create(b, loc, rows, e.index(1));
      // Lane l is row t0 + l / headBlock (clamped into the query), head
      // h0 + l % headBlock; it attends to cache rows 0 .. pos + its row.
      SmallVector<Value> laneRow, laneCol;
      SmallVector<int64_t> laneToken;
      for (int64_t l = 0; l < lanes; ++l) {
        laneToken.push_back(l / headBlock);
        laneRow.push_back(arith::MinUIOp::create(
            b, loc, e.add(t0, e.index(l / headBlock)), lastRow));
        laneCol.push_back(e.mul(e.add(h0, e.index(l % headBlock)), e.index(d)));
      }
      Value limit = arith::AddIOp::create(
          b, loc,
          vector::BroadcastOp::create(
              b, loc, ivec,
              arith::IndexCastOp::create(b, loc, b.getI64Type(),
                                         e.add(position, t0))),
          arith::ConstantOp::create(b, loc, DenseElementsAttr::get(
                                                ivec, ArrayRef<int64_t>(laneToken))));
      Value rowsHere = arith::MinUIOp::create(
          b, loc, e.index(tokens), arith::SubIOp::create(b, loc, rows, t0));
      Value numKeys = e.add(position, e.add(t0, rowsHere));

      // q^T, pre-scaled: qt[i] holds element i of every lane's query.
      Value scale = vector::BroadcastOp::create(b, loc, vec,
                                                e.f32(op.getScale().convertToFloat()));
      Value qt = e.empty({d, lanes}, f32, {});
      qt = e.loop(e.index(0), e.index(d), e.index(1), {qt},
                  [&](Value i, ValueRange acc) -> SmallVector<Value> {
        SmallVector<Value> elems;
        for (int64_t l = 0; l < lanes; ++l)
          elems.push_back(tensor::ExtractOp::create(
              b, loc, query, ValueRange{laneRow[l], e.add(laneCol[l], i)}));
        Value v = vector::FromElementsOp::create(b, loc, vec, elems);
        v = arith::MulFOp::create(b, loc, v, scale);
        return {vector::TransferWriteOp::create(b, loc, v, acc[0],
                                                ValueRange{i, e.index(0)},
                                                ArrayRef<bool>{true})
                    .getResult()};
      })[0];

      auto readLanes = [&](Value tensor, Value i) -> Value {
        return vector::TransferReadOp::create(b, loc, vec, tensor,
                                              ValueRange{i, e.index(0)},
                                              e.f32(0.0f), ArrayRef<bool>{true});
      };
      auto cacheAt = [&](Value tensor, Value row, Value col) -> Value {
        Value x = tensor::ExtractOp::create(b, loc, tensor, ValueRange{row, col});
        return vector::BroadcastOp::create(b, loc, vec, x);
      };

      // Blocks of cache rows: scores s[j] = qt . k_j for every lane, masked
      // past each lane's last row; the online softmax on vectors; then
      // o^T[i] = o^T[i] * alpha + sum_j p[j] * v_j[i].
      Value ot = e.empty({d, lanes}, f32, {});
      ot = e.loop(e.index(0), e.index(d), e.index(1), {ot},
                  [&](Value i, ValueRange acc) -> SmallVector<Value> {
        return {vector::TransferWriteOp::create(
                    b, loc, e.splat(vec, b.getF32FloatAttr(0.0f)), acc[0],
                    ValueRange{i, e.index(0)}, ArrayRef<bool>{true})
                    .getResult()};
      })[0];
      Value m0 = vector::BroadcastOp::create(b, loc, vec, minusBig);
      Value l0 = e.splat(vec, b.getF32FloatAttr(0.0f));
      // An f16 cache: each block's 8 rows of the head, keys then values,
      // widened to f32 a vector at a time into one [16, d] tile (carried by
      // the loop, so one buffer; two empty tiles would be CSE'd into one),
      // which the loops below read as they read an f32 cache.
      bool widen = !cast<RankedTensorType>(keys.getType()).getElementType().isF32();
      SmallVector<Value> inits = {m0, l0, ot};
      if (widen)
        inits.push_back(e.empty({2 * kKeyBlock, d}, f32, {}));
      int64_t width = 1; // a power of two up to 16 that divides d
      while (width < 16 && d % (2 * width) == 0)
        width *= 2;
      auto widenRows = [&](Value cache, Value scales, ArrayRef<Value> rowOf,
                           int64_t first, Value tile) {
        Type stored = cast<RankedTensorType>(cache.getType()).getElementType();
        auto storedVec = VectorType::get({width}, stored);
        auto floatVec = VectorType::get({width}, f32);
        Value pad = arith::ConstantOp::create(b, loc, b.getZeroAttr(stored));
        for (int64_t jj = 0; jj < kKeyBlock; ++jj)
          for (int64_t c = 0; c < d; c += width) {
            Value col = e.add(kvCol, e.index(c));
            Value h = vector::TransferReadOp::create(
                b, loc, storedVec, cache, ValueRange{rowOf[jj], col}, pad,
                ArrayRef<bool>{true});
            Value f;
            if (scales) {
              // q8_0: q * d, d the f16 scale of the block of 32 holding
              // these `width` values (width divides 32 and the column).
              f = arith::SIToFPOp::create(b, loc, floatVec, h);
              Value block = arith::DivUIOp::create(b, loc, col, e.index(32));
              Value dscale = tensor::ExtractOp::create(b, loc, scales,
                                                       ValueRange{rowOf[jj], block});
              dscale = arith::ExtFOp::create(b, loc, f32, dscale);
              f = arith::MulFOp::create(
                  b, loc, f, vector::BroadcastOp::create(b, loc, floatVec, dscale));
            } else {
              f = arith::ExtFOp::create(b, loc, floatVec, h);
            }
            tile = vector::TransferWriteOp::create(b, loc, f, tile,
                                                   ValueRange{e.index(first + jj),
                                                              e.index(c)},
                                                   ArrayRef<bool>{true})
                       .getResult();
          }
        return tile;
      };
      ValueRange state = e.loop(
          e.index(0), numKeys, e.index(kKeyBlock), inits,
          [&](Value j0, ValueRange acc) -> SmallVector<Value> {
            SmallVector<Value> rowOf;
            for (int64_t jj = 0; jj < kKeyBlock; ++jj)
              rowOf.push_back(arith::MinUIOp::create(
                  b, loc, e.add(j0, e.index(jj)), e.index(cacheRows - 1)));
            // Where element i of row jj of the block is read from.
            Value tile;
            if (widen)
              tile = widenRows(values, valueScales, rowOf, kKeyBlock,
                               widenRows(keys, keyScales, rowOf, 0, acc[3]));
            auto keyAt = [&](int64_t jj, Value i) {
              return widen ? cacheAt(tile, e.index(jj), i)
                           : cacheAt(keys, rowOf[jj], e.add(kvCol, i));
            };
            auto valueAt = [&](int64_t jj, Value i) {
              return widen ? cacheAt(tile, e.index(kKeyBlock + jj), i)
                           : cacheAt(values, rowOf[jj], e.add(kvCol, i));
            };
            SmallVector<Value> zeros(kKeyBlock, e.splat(vec, b.getF32FloatAttr(0.0f)));
            ValueRange scores = e.loop(
                e.index(0), e.index(d), e.index(1), zeros,
                [&](Value i, ValueRange s) -> SmallVector<Value> {
                  Value q = readLanes(qt, i);
                  SmallVector<Value> next;
                  for (int64_t jj = 0; jj < kKeyBlock; ++jj)
                    next.push_back(vector::FMAOp::create(b, loc, q, keyAt(jj, i), s[jj]));
                  return next;
                });
            SmallVector<Value> p;
            Value blockMax = m0;
            for (int64_t jj = 0; jj < kKeyBlock; ++jj) {
              Value j = vector::BroadcastOp::create(
                  b, loc, ivec,
                  arith::IndexCastOp::create(b, loc, b.getI64Type(),
                                             e.add(j0, e.index(jj))));
              Value valid = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle,
                                                  j, limit);
              p.push_back(arith::SelectOp::create(b, loc, valid, scores[jj], m0));
              blockMax = arith::MaximumFOp::create(b, loc, blockMax, p.back());
            }
            Value m = arith::MaximumFOp::create(b, loc, acc[0], blockMax);
            Value alpha = math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, acc[0], m));
            Value l = arith::MulFOp::create(b, loc, acc[1], alpha);
            for (Value &x : p) {
              x = math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, x, m));
              l = arith::AddFOp::create(b, loc, l, x);
            }
            Value o = e.loop(e.index(0), e.index(d), e.index(1), {acc[2]},
                             [&](Value i, ValueRange oacc) -> SmallVector<Value> {
              Value oi = arith::MulFOp::create(b, loc, readLanes(oacc[0], i), alpha);
              for (int64_t jj = 0; jj < kKeyBlock; ++jj)
                oi = vector::FMAOp::create(b, loc, p[jj], valueAt(jj, i), oi);
              return {vector::TransferWriteOp::create(b, loc, oi, oacc[0],
                                                      ValueRange{i, e.index(0)},
                                                      ArrayRef<bool>{true})
                          .getResult()};
            })[0];
            SmallVector<Value> next = {m, l, o};
            if (widen)
              next.push_back(tile);
            return next;
          });

      // out = o / l, lane by lane into the task's [rows, heads * d] tile.
      Value inv = arith::DivFOp::create(
          b, loc, e.splat(vec, b.getF32FloatAttr(1.0f)), state[1]);
      Value tile = e.empty({tokens, headBlock * d}, f32, {});
      tile = e.loop(e.index(0), e.index(d), e.index(1), {tile},
                    [&](Value i, ValueRange acc) -> SmallVector<Value> {
        Value oi = arith::MulFOp::create(b, loc, readLanes(state[2], i), inv);
        Value t = acc[0];
        for (int64_t l = 0; l < lanes; ++l) {
          Value x = vector::ExtractOp::create(b, loc, oi, ArrayRef<int64_t>{l});
          Value col = e.add(e.index((l % headBlock) * d), i);
          t = tensor::InsertOp::create(b, loc, x, t,
                                       ValueRange{e.index(l / headBlock), col});
        }
        return {t};
      })[0];
      SmallVector<OpFoldResult> offsets = {t0, e.mul(h0, e.index(d))};
      SmallVector<OpFoldResult> sizes = {rowsHere, b.getIndexAttr(headBlock * d)};
      if (!qtype) {
        Value written = slice(e, tile, {b.getIndexAttr(0), b.getIndexAttr(0)}, sizes);
        return SmallVector<TileInsert>{{written, offsets, sizes}};
      }
      // Quantized as computed: each row of the tile, a block of 32 at a
      // time (the blocks tile the task's columns: canQuantizeResultAs), into
      // tiles of the components, written like the f32 tile.
      SmallVector<Type> tileComponents;
      tileType.getComponentTypes(tileComponents);
      SmallVector<Value> parts;
      for (Type t : tileComponents) {
        auto tensor = cast<RankedTensorType>(t);
        parts.push_back(e.empty({tokens, tensor.getDimSize(1)}, tensor.getElementType(), {}));
      }
      for (int64_t r = 0; r < tokens; ++r) {
        SmallVector<Value> rowTiles;
        for (auto [t, part] : llvm::zip(tileComponents, parts))
          rowTiles.push_back(slice(e, part, {b.getIndexAttr(r), b.getIndexAttr(0)},
                                   {b.getIndexAttr(1),
                                    b.getIndexAttr(cast<RankedTensorType>(t).getDimSize(1))}));
        SmallVector<Value> quantized = quantizeRow(
            e, tileType,
            [&](Value col, bool inBounds) {
              return readF32(e, tile, ValueRange{e.index(r), col}, kVec, inBounds);
            },
            rowTiles);
        for (auto [i, t] : llvm::enumerate(tileComponents))
          parts[i] = tensor::InsertSliceOp::create(
              b, loc, quantized[i], parts[i],
              ArrayRef<OpFoldResult>{b.getIndexAttr(r), b.getIndexAttr(0)},
              ArrayRef<OpFoldResult>{b.getIndexAttr(1),
                                     b.getIndexAttr(cast<RankedTensorType>(t).getDimSize(1))},
              ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
      }
      SmallVector<TileInsert> inserts;
      for (auto [i, t] : llvm::enumerate(tileComponents)) {
        int64_t cols = cast<RankedTensorType>(t).getDimSize(1);
        // This task's columns of the component: data by value, scales and
        // sums by block.
        Value first = e.mul(h0, e.index(d));
        if (cols != headBlock * d)
          first = arith::DivUIOp::create(b, loc, first, e.index(headBlock * d / cols));
        SmallVector<OpFoldResult> partSizes = {rowsHere, b.getIndexAttr(cols)};
        inserts.push_back({slice(e, parts[i], {b.getIndexAttr(0), b.getIndexAttr(0)},
                                 partSizes),
                           {t0, first}, partSizes});
      }
      return inserts;
    });
    if (qtype)
      rewriter.replaceOpWithMultiple(op, {SmallVector<Value>(forall.getResults())});
    else
      rewriter.replaceOp(op, forall.getResults());
    return success();
  }
};

} // namespace

void mlir::qnt::lowering::populateAttentionLoweringPatterns(
    const TypeConverter &converter, RewritePatternSet &patterns) {
  patterns.add<AttentionLowering>(converter, patterns.getContext());
}

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

#include "passes/Conversion/VectorEmitter.h"

#include "dialects/qnt/QntOps.h"

#include "mlir/Dialect/Math/IR/Math.h"

#include <algorithm>
#include <functional>
#include <numeric>

using namespace mlir;
using namespace qnt;
using namespace qnt::lowering;

namespace {

/// Query vectors side by side in the lanes of one f32 vector.
constexpr int64_t kLanes = 16;
/// Cache rows per step of the key loop.
constexpr int64_t kKeyBlock = 8;
/// Decode's lanes: 16 elements of the head dimension.
constexpr int64_t kDecodeLanes = 16;
/// The most heads a decode task takes with 32 vector registers.
constexpr int64_t kDecodeTaskHeads = 4;

/// Whether decode puts the head dimension in the lanes (and prefill sums
/// scores in its order): whole vectors, at least two. A head of 16 keeps the
/// heads in the lanes: one vector a row gains little, and the unrolled
/// order costs compile time on every small model.
bool dimensionInLanes(int64_t d) {
  return d % kDecodeLanes == 0 && d >= 2 * kDecodeLanes;
}

/// Where element `col` (0 .. d - 1) of KV head `kvHead` in cache row `row`
/// lies: (row, kvHead * d + col) in a [C, KV * d] cache, (kvHead, row, col)
/// in a head-major [KV, C, d] one. `unit` elements share an index (a scale
/// per block of 32 of the values).
struct CacheIndex {
  Value kvHead;
  int64_t d;
  SmallVector<Value> at(Emitter &e, Value cache, Value row, Value col,
                        int64_t unit = 1) const {
    auto divide = [&](Value x) -> Value {
      return unit == 1 ? x
                       : arith::DivUIOp::create(e.b, e.loc, x, e.index(unit));
    };
    if (cast<RankedTensorType>(cache.getType()).getRank() == 3)
      return {kvHead, row, divide(col)};
    return {row, divide(e.add(e.mul(kvHead, e.index(d)), col))};
  }
};

/// The rows of a cache: [C, KV * d] or [KV, C, d].
int64_t cacheRowsOf(Value cache) {
  auto type = cast<RankedTensorType>(cache.getType());
  return type.getDimSize(type.getRank() - 2);
}

/// `width` values of KV head `kv`'s part of cache row `row` from its
/// element `col` as f32: an f32 cache as it is, an f16 one widened, a q8_0
/// one converted and times its block's scale (`width` divides 32 and the
/// column, so the values lie in one block).
Value readCacheChunk(Emitter &e, Value cache, Value scales,
                     const CacheIndex &kv, Value row, Value col,
                     int64_t width = kDecodeLanes) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  Type f32 = b.getF32Type();
  auto floatVec = VectorType::get({width}, f32);
  Type stored = cast<RankedTensorType>(cache.getType()).getElementType();
  Value pad = arith::ConstantOp::create(b, loc, b.getZeroAttr(stored));
  Value x = vector::TransferReadOp::create(
      b, loc, VectorType::get({width}, stored), cache,
      kv.at(e, cache, row, col), pad, ArrayRef<bool>{true});
  if (stored.isF32())
    return x;
  if (!scales)
    return arith::ExtFOp::create(b, loc, floatVec, x);
  Value f = arith::SIToFPOp::create(b, loc, floatVec, x);
  Value dscale =
      tensor::ExtractOp::create(b, loc, scales, kv.at(e, scales, row, col, 32));
  dscale = arith::ExtFOp::create(b, loc, f32, dscale);
  return arith::MulFOp::create(b, loc, f,
                               vector::BroadcastOp::create(b, loc, floatVec, dscale));
}

/// The sums of n vectors of 16 lanes (n a power of two), as one vector of n
/// lanes: lane i is the sum of parts[i]. A tree of half-swaps: while there
/// are two vectors or more and their segments have two lanes or more, each
/// level adds the first and second halves of every segment of two vectors
/// into one vector of twice as many segments (3 instructions a merge, about
/// 3 a sum however many); one vector left, its segments are halved in place;
/// more than 16 sums end as n / 16 vectors, concatenated. Every vector's
/// lanes are added in the same order, whatever n: lanes l and l + 8, then
/// the pairs 4 apart, 2, 1 (prefill's tree in LowerAttention adds its
/// partial sums so too).
Value sumLanes(Emitter &e, SmallVector<Value> parts) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  assert(llvm::isPowerOf2_64(parts.size()));
  int64_t seg = kDecodeLanes, width = kDecodeLanes;
  auto halves = [&](int64_t operands, SmallVector<int64_t> &first,
                    SmallVector<int64_t> &second) {
    for (int64_t operand = 0; operand < operands; ++operand)
      for (int64_t k = 0; k < width / seg; ++k)
        for (int64_t l = 0; l < seg / 2; ++l) {
          first.push_back(operand * width + k * seg + l);
          second.push_back(operand * width + k * seg + seg / 2 + l);
        }
  };
  for (; seg > 1; seg /= 2) {
    SmallVector<int64_t> first, second;
    if (parts.size() > 1) {
      halves(2, first, second);
      SmallVector<Value> next;
      for (size_t i = 0; i + 1 < parts.size(); i += 2)
        next.push_back(arith::AddFOp::create(
            b, loc,
            vector::ShuffleOp::create(b, loc, parts[i], parts[i + 1], first),
            vector::ShuffleOp::create(b, loc, parts[i], parts[i + 1], second)));
      parts = next;
    } else {
      halves(1, first, second);
      parts[0] = arith::AddFOp::create(
          b, loc, vector::ShuffleOp::create(b, loc, parts[0], parts[0], first),
          vector::ShuffleOp::create(b, loc, parts[0], parts[0], second));
      width /= 2;
    }
  }
  // Concatenated pairwise (free in registers).
  while (parts.size() > 1) {
    int64_t n = cast<VectorType>(parts[0].getType()).getNumElements();
    SmallVector<int64_t> both(2 * n);
    std::iota(both.begin(), both.end(), 0);
    SmallVector<Value> next;
    for (size_t i = 0; i + 1 < parts.size(); i += 2)
      next.push_back(
          vector::ShuffleOp::create(b, loc, parts[i], parts[i + 1], both));
    parts = next;
  }
  return parts[0];
}

/// Decode's attention for one task: the query row's `heads` heads of one KV
/// group over cache rows 0 .. numKeys - 1, the head dimension in the lanes
/// (d / 16 vectors a row) instead of the heads: every row's keys and values
/// are read (and widened) once for the whole group. A block of 8 rows:
///
///   s     = sumLanes(q_h . k_j, every row j, head h) the block's scores in one
///                                                   vector, lane j * H + h
///   m'    = max(m, s_0, ..., s_7),  alpha = exp(m - m')
///   p_j   = exp(s_j - m')                           one exp for the 8 rows
///   l     = l * alpha + p_0 + ... + p_7
///   o_h   = o_h * alpha_h + sum_j p_j[h] v_j        a tile of a few heads
///                                                   at a time
///
/// each head's online softmax as prefill's (the same operations on the same
/// values, so that either entry point gives a row the same logits), but the
/// heads side by side in the lanes: one max, one exp and one add a row for
/// the whole group (with a head's 8 scores in a vector instead, each head
/// took two exps, 8 scalar adds and 8 broadcasts a block, its outputs
/// spilled: a decode call on hot data 1.3-1.7x slower).
/// Returns the [1, heads * d] f32 tile of the task's output.
Value emitDecodeAttention(Emitter &e, Value query, Value keys, Value values,
                          Value keyScales, Value valueScales, AttentionOp op,
                          Value row, Value h0, const CacheIndex &kv,
                          Value numKeys, int64_t heads) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  Type f32 = b.getF32Type();
  int64_t d = op.getHeadDim();
  int64_t chunks = d / kDecodeLanes;
  int64_t cacheRows = cacheRowsOf(keys);
  // A row's scores: the heads in the lanes (padded to a power of two).
  int64_t lanes = int64_t(llvm::PowerOf2Ceil(uint64_t(heads)));
  auto vec = VectorType::get({kDecodeLanes}, f32);
  auto scoreVec = VectorType::get({lanes}, f32);
  auto blockVec = VectorType::get({kKeyBlock * lanes}, f32);

  // The queries, pre-scaled: q[h * chunks + c].
  Value scale = vector::BroadcastOp::create(b, loc, vec,
                                            e.f32(op.getScale().convertToFloat()));
  SmallVector<Value> q;
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t c = 0; c < chunks; ++c) {
      Value col = e.add(e.mul(e.add(h0, e.index(h)), e.index(d)),
                        e.index(c * kDecodeLanes));
      q.push_back(arith::MulFOp::create(
          b, loc,
          vector::TransferReadOp::create(b, loc, vec, query, ValueRange{row, col},
                                         e.f32(0.0f), ArrayRef<bool>{true}),
          scale));
    }

  // Carried: the heads' running maxima and sums, then their outputs.
  Value minusBig = e.f32(-1.0e30f);
  Value zero = e.splat(vec, b.getF32FloatAttr(0.0f));
  SmallVector<Value> inits = {
      vector::BroadcastOp::create(b, loc, scoreVec, minusBig),
      e.splat(scoreVec, b.getF32FloatAttr(0.0f))};
  for (int64_t i = 0; i < heads * chunks; ++i)
    inits.push_back(zero);
  // Output tiles of `tileHeads` heads (16 vectors at most) accumulate a
  // block's rows before the next tile's, rather than all outputs at once
  // (each tile reads the rows' values as the same ops; CSE keeps one).
  int64_t tileHeads = std::max<int64_t>(1, std::min(heads, 16 / chunks));

  // The rows of the block at j0, clamped into the cache for the last
  // (partial) block: its rows past the end are read there and masked.
  // Unclamped rows are affine in the loop, so LLVM's LoopDataPrefetch
  // prefetches them (--prefetch-distance in Compiler.cpp counts
  // instructions: two blocks, 2 KiB of a head's keys, ahead for d = 64).
  // That mattered when the cache was row-major, read at a stride of a whole
  // row (7% of a Llama-3.2-1B decode step at depth 1024); with the
  // head-major cache the rows are contiguous and turning it off measured
  // the same on a Zen 5, so it is kept as harmless, not as needed.
  auto rowsOf = [&](Value j0, bool clamp) {
    SmallVector<Value> rowOf;
    for (int64_t jj = 0; jj < kKeyBlock; ++jj) {
      Value r = e.add(j0, e.index(jj));
      if (clamp)
        r = arith::MinUIOp::create(b, loc, r, e.index(cacheRows - 1));
      rowOf.push_back(r);
    }
    return rowOf;
  };
  auto chunkCol = [&](int64_t c) { return e.index(c * kDecodeLanes); };
  // A block's scores: its dots row by row, a head after another (padded to
  // `lanes`), summed by one tree into s: lane jj * lanes + h is head h's
  // score of row jj. A dot's first chunk is a multiply, not a multiply-add
  // to zero: the same value but for the sign of a zero product, which no
  // result can show (s - m and the max of s and m read -0 as +0).
  auto scoresOf = [&](ArrayRef<Value> rowOf) {
    SmallVector<Value> dots;
    for (int64_t jj = 0; jj < kKeyBlock; ++jj) {
      SmallVector<Value> k;
      for (int64_t c = 0; c < chunks; ++c)
        k.push_back(
            readCacheChunk(e, keys, keyScales, kv, rowOf[jj], chunkCol(c)));
      for (int64_t h = 0; h < lanes; ++h) {
        if (h >= heads) {
          dots.push_back(zero);
          continue;
        }
        Value dot = arith::MulFOp::create(b, loc, q[h * chunks], k[0]);
        for (int64_t c = 1; c < chunks; ++c)
          dot = vector::FMAOp::create(b, loc, q[h * chunks + c], k[c], dot);
        dots.push_back(dot);
      }
    }
    return sumLanes(e, dots);
  };

  // One block's softmax and output update from its scores (`acc` is {m, l,
  // o...}): the scores of the next block, if `next` is given, are computed
  // between the block's exps and its values' multiply-adds (and returned
  // first, then the updated {m, l, o...}), so that the block's
  // dependent chain (scores -> max -> exp -> o) overlaps the next block's
  // dots: a block is longer than the reorder window. The same operations on
  // the same values as without it.
  auto block = [&](Value j0, Value scores, ValueRange acc, bool last,
                   llvm::function_ref<Value()> next) -> SmallVector<Value> {
    SmallVector<Value> rowOf = rowsOf(j0, last);
    if (last) {
      SmallVector<int64_t> laneRows;
      for (int64_t i = 0; i < kKeyBlock * lanes; ++i)
        laneRows.push_back(i / lanes);
      auto rowsType = VectorType::get({kKeyBlock * lanes}, b.getI64Type());
      Value rows = arith::AddIOp::create(
          b, loc,
          vector::BroadcastOp::create(
              b, loc, rowsType,
              arith::IndexCastOp::create(b, loc, b.getI64Type(), j0)),
          arith::ConstantOp::create(
              b, loc,
              DenseElementsAttr::get(rowsType, ArrayRef<int64_t>(laneRows))));
      Value end = vector::BroadcastOp::create(
          b, loc, rowsType,
          arith::IndexCastOp::create(b, loc, b.getI64Type(), numKeys));
      scores = arith::SelectOp::create(
          b, loc,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, rows, end),
          scores, vector::BroadcastOp::create(b, loc, blockVec, minusBig));
    }
    // m' = max(m, the rows' scores): halves of rows, then the carried m.
    Value m = scores;
    for (int64_t n = kKeyBlock * lanes; n > lanes; n /= 2)
      m = arith::MaximumFOp::create(
          b, loc,
          vector::ExtractStridedSliceOp::create(b, loc, m, ArrayRef<int64_t>{0},
                                                ArrayRef<int64_t>{n / 2},
                                                ArrayRef<int64_t>{1}),
          vector::ExtractStridedSliceOp::create(
              b, loc, m, ArrayRef<int64_t>{n / 2}, ArrayRef<int64_t>{n / 2},
              ArrayRef<int64_t>{1}));
    m = arith::MaximumFOp::create(b, loc, acc[0], m);
    Value alpha = mlir::math::ExpOp::create(
        b, loc, arith::SubFOp::create(b, loc, acc[0], m));
    // p = exp(s - m') for the block's rows as one vector.
    SmallVector<int64_t> everyRow;
    for (int64_t i = 0; i < kKeyBlock * lanes; ++i)
      everyRow.push_back(i % lanes);
    Value pAll = mlir::math::ExpOp::create(
        b, loc,
        arith::SubFOp::create(
            b, loc, scores, vector::ShuffleOp::create(b, loc, m, m, everyRow)));
    Value l = arith::MulFOp::create(b, loc, acc[1], alpha);
    for (int64_t jj = 0; jj < kKeyBlock; ++jj)
      l = arith::AddFOp::create(b, loc, l,
                                vector::ExtractStridedSliceOp::create(
                                    b, loc, pAll, ArrayRef<int64_t>{jj * lanes},
                                    ArrayRef<int64_t>{lanes},
                                    ArrayRef<int64_t>{1}));
    SmallVector<Value> out;
    if (next)
      out.push_back(next());
    out.append({m, l});
    out.append(acc.begin() + 2, acc.end());
    auto o = MutableArrayRef<Value>(out).drop_front(next ? 3 : 2);
    auto lane = [&](Value x, int64_t h) -> Value {
      return vector::BroadcastOp::create(
          b, loc, vec,
          vector::ExtractOp::create(b, loc, x, ArrayRef<int64_t>{h}));
    };
    for (int64_t t0 = 0; t0 < heads; t0 += tileHeads) {
      int64_t t1 = std::min(heads, t0 + tileHeads);
      for (int64_t h = t0; h < t1; ++h) {
        Value alphaH = lane(alpha, h);
        for (int64_t c = 0; c < chunks; ++c)
          o[h * chunks + c] =
              arith::MulFOp::create(b, loc, o[h * chunks + c], alphaH);
      }
      for (int64_t jj = 0; jj < kKeyBlock; ++jj) {
        SmallVector<Value> v;
        for (int64_t c = 0; c < chunks; ++c)
          v.push_back(readCacheChunk(e, values, valueScales, kv, rowOf[jj],
                                     chunkCol(c)));
        for (int64_t h = t0; h < t1; ++h) {
          Value pjh = lane(pAll, jj * lanes + h);
          for (int64_t c = 0; c < chunks; ++c)
            o[h * chunks + c] =
                vector::FMAOp::create(b, loc, pjh, v[c], o[h * chunks + c]);
        }
      }
    }
    return out;
  };
  // Software-pipelined by a block: the first block's scores before the
  // loops (its rows clamped: the cache may hold fewer than 8 rows), each
  // whole block but the last computing the next (whole) block's scores
  // unclamped, the last whole block those of the block after it clamped
  // (the partial block's, else unused), and the partial block, if any,
  // using them, masked.
  Value whole = e.mul(arith::DivUIOp::create(b, loc, numKeys, e.index(kKeyBlock)),
                      e.index(kKeyBlock));
  Value lastWhole = arith::SubIOp::create(
      b, loc, arith::MaxUIOp::create(b, loc, whole, e.index(kKeyBlock)),
      e.index(kKeyBlock));
  SmallVector<Value> state = {scoresOf(rowsOf(e.index(0), true))};
  state.append(inits);
  auto pipelined = [&](Value lb, Value ub, bool clampNext) {
    ValueRange r = e.loop(
        lb, ub, e.index(kKeyBlock), state, [&](Value j0, ValueRange acc) {
          return block(j0, acc[0], acc.drop_front(), false, [&] {
            return scoresOf(rowsOf(e.add(j0, e.index(kKeyBlock)), clampNext));
          });
        });
    state.assign(r.begin(), r.end());
  };
  pipelined(e.index(0), lastWhole, false);
  pipelined(lastWhole, whole, true);
  Value partialScores = state[0];
  state.erase(state.begin());
  ValueRange partial = e.loop(
      whole, numKeys, e.index(kKeyBlock), state, [&](Value j0, ValueRange acc) {
        return block(j0, partialScores, acc, true, nullptr);
      });
  state.assign(partial.begin(), partial.end());

  // out = o / l, head by head into the task's [1, heads * d] tile.
  Value tile = e.empty({1, heads * d}, f32, {});
  for (int64_t h = 0; h < heads; ++h) {
    Value l = vector::ExtractOp::create(b, loc, state[1], ArrayRef<int64_t>{h});
    Value inv = vector::BroadcastOp::create(
        b, loc, vec, arith::DivFOp::create(b, loc, e.f32(1.0f), l));
    for (int64_t c = 0; c < chunks; ++c)
      tile =
          vector::TransferWriteOp::create(
              b, loc,
              arith::MulFOp::create(b, loc, state[2 + h * chunks + c], inv),
              tile, ValueRange{e.index(0), e.index(h * d + c * kDecodeLanes)},
              ArrayRef<bool>{true})
              .getResult();
  }
  return tile;
}

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
    int64_t cacheRows = cacheRowsOf(keys);

    // The lanes: `headBlock` heads of one KV group (the largest divisor of
    // the group up to kLanes) times `tokens` consecutive query rows.
    static_assert(kLanes == 16, "AttentionOp::getTaskHeads assumes 16 lanes");
    int64_t headBlock = op.getTaskHeads();
    bool oneRow = queryType.getDimSize(0) == 1;
    // Decode with a head dimension of whole vectors (dimensionInLanes): the
    // dimension in the lanes (emitDecodeAttention); else the heads and rows
    // in the lanes.
    bool decodeLanes = oneRow && dimensionInLanes(d);
    // There, with 32 vector registers, a task takes at most 4 of the group's
    // heads (their query vectors and outputs stay in registers; a group of
    // 8 or 16 heads in one task spilled them), however its result is
    // quantized (a task's columns, whole blocks). A head's numbers do not
    // depend on the heads beside it. quant-bench --attention, Zen 5, 2
    // threads, position 3,999: 32x4x64 306 -> 250 and 292 -> 220 us, 64x4x64
    // 896 -> 443 us. With 16 registers (AVX2) a task keeps the group: 4 of
    // TinyLlama's 8 heads took 405 us against 361.
    auto qtype = dyn_cast<QTensorType>(op.getResult().getType());
    if (decodeLanes && TargetAttr::lookup(op).getRegisters() >= 32)
      for (int64_t h = std::min<int64_t>(headBlock, kDecodeTaskHeads); h >= 1;
           --h)
        if (headBlock % h == 0 &&
            (!qtype || h * d % qtype.getScheme().getBlock() == 0)) {
          headBlock = h;
          break;
        }
    int64_t tokens = oneRow ? 1 : std::max<int64_t>(1, kLanes / headBlock);
    int64_t lanes = tokens * headBlock, headBlocks = heads / headBlock;
    Type f32 = b.getF32Type();
    auto vec = VectorType::get({lanes}, f32);
    auto ivec = VectorType::get({lanes}, b.getI64Type());

    Value rows = e.dim(query, 0);
    // The outputs: the f32 result, or the components of the quantized one
    // (data, scales, sums), each task quantizing the blocks of its columns.
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
      CacheIndex kv{arith::DivUIOp::create(b, loc, h0, e.index(group)), d};
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

      Value tile = decodeLanes
                       ? emitDecodeAttention(e, query, keys, values, keyScales,
                                             valueScales, op, t0, h0, kv,
                                             numKeys, headBlock)
                       : Value();
      if (!tile) {
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
        auto cacheAt = [&](Value tensor, ValueRange at) -> Value {
          Value x = tensor::ExtractOp::create(b, loc, tensor, at);
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
          for (int64_t jj = 0; jj < kKeyBlock; ++jj)
            for (int64_t c = 0; c < d; c += width)
              tile = vector::TransferWriteOp::create(
                         b, loc,
                         readCacheChunk(e, cache, scales, kv, rowOf[jj],
                                        e.index(c), width),
                         tile, ValueRange{e.index(first + jj), e.index(c)},
                         ArrayRef<bool>{true})
                         .getResult();
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
                return widen ? cacheAt(tile, {e.index(jj), i})
                             : cacheAt(keys, kv.at(e, keys, rowOf[jj], i));
              };
              auto valueAt = [&](int64_t jj, Value i) {
                return widen ? cacheAt(tile, {e.index(kKeyBlock + jj), i})
                             : cacheAt(values, kv.at(e, values, rowOf[jj], i));
              };
              SmallVector<Value> scores;
              if (dimensionInLanes(d)) {
                // Decode's order (emitDecodeAttention), so that a row gets
                // the same logits from either entry point: 16 partial sums,
                // p_l over elements l, l + 16, ... (a loop), then added as
                // sumLanes's tree does, (p_0 + p_8) + (p_4 + p_12) ...,
                // depth first so that at most one pending sum per level is
                // live.
                std::function<SmallVector<Value>(int64_t, int64_t)> tree =
                    [&](int64_t l, int64_t stride) -> SmallVector<Value> {
                  SmallVector<Value> sum(kKeyBlock);
                  if (stride == kDecodeLanes) { // the leaf p_l of every row
                    SmallVector<Value> zeros(kKeyBlock, e.splat(vec, b.getF32FloatAttr(0.0f)));
                    ValueRange leaf = e.loop(
                        e.index(l), e.index(d), e.index(kDecodeLanes), zeros,
                        [&](Value i, ValueRange s) -> SmallVector<Value> {
                          Value qi = readLanes(qt, i);
                          SmallVector<Value> next;
                          for (int64_t jj = 0; jj < kKeyBlock; ++jj)
                            next.push_back(
                                vector::FMAOp::create(b, loc, qi, keyAt(jj, i), s[jj]));
                          return next;
                        });
                    return SmallVector<Value>(leaf.begin(), leaf.end());
                  }
                  SmallVector<Value> left = tree(l, 2 * stride);
                  SmallVector<Value> right = tree(l + stride, 2 * stride);
                  for (int64_t jj = 0; jj < kKeyBlock; ++jj)
                    sum[jj] = arith::AddFOp::create(b, loc, left[jj], right[jj]);
                  return sum;
                };
                scores = tree(0, 1);
              } else {
                SmallVector<Value> zeros(kKeyBlock, e.splat(vec, b.getF32FloatAttr(0.0f)));
                ValueRange sums = e.loop(
                    e.index(0), e.index(d), e.index(1), zeros,
                    [&](Value i, ValueRange s) -> SmallVector<Value> {
                      Value q = readLanes(qt, i);
                      SmallVector<Value> next;
                      for (int64_t jj = 0; jj < kKeyBlock; ++jj)
                        next.push_back(vector::FMAOp::create(b, loc, q, keyAt(jj, i), s[jj]));
                      return next;
                    });
                scores.assign(sums.begin(), sums.end());
              }
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
              Value alpha = mlir::math::ExpOp::create(
                  b, loc, arith::SubFOp::create(b, loc, acc[0], m));
              Value l = arith::MulFOp::create(b, loc, acc[1], alpha);
              for (Value &x : p) {
                x = mlir::math::ExpOp::create(
                    b, loc, arith::SubFOp::create(b, loc, x, m));
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
        tile = e.empty({tokens, headBlock * d}, f32, {});
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
      }
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

void qnt::lowering::populateAttentionLoweringPatterns(
    const TypeConverter &converter, RewritePatternSet &patterns) {
  patterns.add<AttentionLowering>(converter, patterns.getContext());
}

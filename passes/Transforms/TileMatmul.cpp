//===- TileMatmul.cpp - qnt.matmul into register tiles --------------------===//
//
// y[M, N] = matmul(x[M, K], W[N, K]) with W in tiles of n0 channels:
//
//   forall t in [0, ceil(N / n0)):            one weight tile per iteration,
//     cols = y[:, t*n0 : t*n0 + w]              w = min(n0, N - t*n0)
//     for m in [0, M - M % m0) step m0:        the register tiles,
//       cols[m : m+m0] = matmul_tile(x[m : m+m0], W tile t, cols[m : m+m0])
//     for m in [M - M % m0, M):                and the rows left, one by one
//       cols[m : m+1] = matmul_tile(x[m : m+1], W tile t, cols[m : m+1])
//
// The runtime hands each thread a contiguous run of t, so a thread streams
// its share of the weights once (decode reads each byte of W once), and in
// prefill a tile of W (n0 x K bytes: 64 KiB for K = 2048, n0 = 32) stays in
// L2 while all M rows pass over it.
//
// One static row in records (decode) may read S tiles at once (gemv-streams):
//
//   y3 = y viewed as [1, S, N / S]
//   forall p in [0, T / S):                   tiles p, p + T/S, ...: S runs
//     y3[:, :, p*n0 : p*n0 + n0] = matmul_tile(x, W tiles p + s T/S, ...)
//
//===----------------------------------------------------------------------===//

#include "passes/MicroKernel.h"
#include "passes/Passes.h"

#include "dialects/qnt/QntOps.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace qnt {
#define GEN_PASS_DEF_TILEMATMULPASS
#include "passes/Passes.h.inc"
} // namespace qnt

using namespace mlir;
using namespace qnt;

namespace {

/// tensor.extract_slice with unit strides; rank-reducing to `type` if given.
Value slice(OpBuilder &b, Location loc, Value source,
            ArrayRef<OpFoldResult> offsets, ArrayRef<OpFoldResult> sizes,
            RankedTensorType type = {}) {
  SmallVector<OpFoldResult> strides(offsets.size(), b.getIndexAttr(1));
  if (type)
    return tensor::ExtractSliceOp::create(b, loc, type, source, offsets, sizes,
                                          strides);
  return tensor::ExtractSliceOp::create(b, loc, source, offsets, sizes, strides);
}

/// The components of a quantized value.
SmallVector<Value> unpack(OpBuilder &b, Location loc, Value q) {
  SmallVector<Type> types;
  cast<QTensorType>(q.getType()).getComponentTypes(types);
  return UnpackOp::create(b, loc, types, q).getResults();
}

struct TileMatmul : OpRewritePattern<MatmulOp> {
  TileMatmul(MLIRContext *ctx, int64_t maxM0, int64_t gemvStreams)
      : OpRewritePattern(ctx), maxM0(maxM0), gemvStreams(gemvStreams) {}

  LogicalResult matchAndRewrite(MatmulOp op,
                                PatternRewriter &rewriter) const override {
    QTensorType lhsType = op.getLhs().getType(), rhsType = op.getRhs().getType();
    if (!rhsType.isTiled())
      return rewriter.notifyMatchFailure(op, "the weight is not data-tiled");
    if (lhsType.isTiled() || lhsType.getRank() != 2)
      return rewriter.notifyMatchFailure(op, "the activation is not row-major");
    LayoutAttr layout = rhsType.getLayout();
    if (layout.getK0() != kTileK0)
      return rewriter.notifyMatchFailure(op, "tiles are not 4 bytes deep");
    int64_t n0 = layout.getN0();
    Storage storage = rhsType.getScheme().getStorage();
    TargetAttr target = TargetAttr::lookup(op);
    MicroKernel kernel = chooseMicroKernel(target, storage, n0, maxM0);
    if (n0 % kernel.lanes != 0)
      return rewriter.notifyMatchFailure(op, "n0 is no multiple of the lanes");

    OpBuilder &b = rewriter;
    Location loc = op.getLoc();
    auto index = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    SmallVector<Value> lhs = unpack(b, loc, op.getLhs());
    SmallVector<Value> rhs = unpack(b, loc, op.getRhs());
    // An offset weight (u8 + 128, 4-bit u4 + 8) reads the activation sums.
    bool offset = storage != Storage::I8;
    bool mins = rhsType.getScheme().getMins();
    // Components: data, scales, then zero points and sums where present.
    bool asymmetric = !lhsType.getScheme().getSymmetric();
    Value aData = lhs[0], aScales = lhs[1];
    Value aZeroPoints = asymmetric ? lhs[2] : Value();
    Value aSums = offset ? lhs[asymmetric ? 3 : 2] : Value();
    // Then mins, the super-blocks' factors (of the scales, and of the mins
    // with mins), and sums, as present.
    // Records: one tensor [T, records, bytes], a row tile of it per tile.
    bool records = rhsType.hasRecords();
    bool supers = bool(rhsType.getSuperType());
    Value wMins = mins && !records ? rhs[2] : Value();
    SmallVector<Value> wSupers;
    if (supers && !records)
      wSupers.append(rhs.begin() + (mins ? 3 : 2), rhs.begin() + (mins ? 5 : 3));
    Value wSums = asymmetric && !records ? rhs.back() : Value();
    // [T, K'/4, n0, 4] -> [T, K'/4, n0 * 4]: a step's n0 channels are one row.
    Value wData = records
                      ? Value()
                      : tensor::CollapseShapeOp::create(
                            b, loc, rhs[0],
                            ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}});
    Value wScales = records ? Value() : rhs[1];
    Value wRecords = records ? rhs[0] : Value();

    int64_t n = rhsType.getShape()[0], kStored = rhsType.getStoredCols();
    int64_t tiles = layout.rowTiles(n);
    int64_t aGroups = cast<RankedTensorType>(aScales.getType()).getDimSize(1);
    int64_t wGroups = rhsType.getScaleShape()[1];
    auto i8 = b.getI8Type();
    // Rows of n0 * k0 bytes: 4-bit data holds two steps a row, 6-bit four
    // steps in three.
    int64_t wRows = rhsType.packedCols(kStored) / kTileK0;
    auto wTileType = RankedTensorType::get({wRows, n0 * kTileK0}, i8);
    auto wScaleType = RankedTensorType::get(
        {wGroups, n0}, rhsType.getScalesType().getElementType());
    auto wSumType = RankedTensorType::get({wGroups, n0}, b.getI32Type());

    Value rows = tensor::DimOp::create(b, loc, aData, 0);
    RankedTensorType resultType = op.getResult().getType();
    Value out = op.getAcc();
    // A result materialized into a destination (a shared kernel's, see
    // --qnt-share-kernels) is computed there directly.
    bufferization::MaterializeInDestinationOp materialize;
    if (!out && op.getResult().hasOneUse())
      materialize = dyn_cast<bufferization::MaterializeInDestinationOp>(
          *op.getResult().getUsers().begin());
    auto before = [&](Value v) { // defined where the tiles can write it
      Operation *def = v.getDefiningOp();
      return !def || (def->getBlock() == op->getBlock() && def->isBeforeInBlock(op));
    };
    if (materialize && isa<RankedTensorType>(materialize.getDest().getType()) &&
        materialize.getSource() == op.getResult() && before(materialize.getDest()))
      out = materialize.getDest();
    else
      materialize = {};
    if (!out)
      out = tensor::EmptyOp::create(
          b, loc, resultType.getShape(), b.getF32Type(),
          resultType.isDynamicDim(0) ? ValueRange{rows} : ValueRange{});

    // A single row (decode's GEMV) in records reads `streams` tiles at once,
    // tiles / streams apart: each thread's contiguous share of iterations is
    // then that many long runs of the weight (one per stream), which keeps
    // more DRAM reads in flight than one run does. The output [1, N] is
    // viewed as [1, S, N / S]: stream s's tiles are columns s N / S + ...,
    // so iteration p writes one strided slice [1, S, n0] at column p n0 of
    // the view, which bufferizes in place (two slices of [1, N] would not:
    // bufferization cannot tell them apart and copies one). So every tile
    // is whole (N = T n0), and at least two iterations are left for the
    // threads to share.
    // gemv-streams = 0 chooses by storage and target (defaultGemvStreams).
    auto aDataType = cast<RankedTensorType>(aData.getType());
    int64_t wanted =
        gemvStreams != 0
            ? gemvStreams
            : defaultGemvStreams(target, storage, bool(rhsType.getSuperType()));
    int64_t streams = 1;
    if (records && wanted > 1 && !aDataType.isDynamicDim(0) &&
        aDataType.getDimSize(0) == 1 && n % n0 == 0 && tiles % wanted == 0 &&
        tiles / wanted >= 2)
      streams = wanted;
    int64_t iterations = tiles / streams;
    Value shared = out;
    if (streams > 1)
      shared = tensor::ExpandShapeOp::create(
          b, loc,
          RankedTensorType::get({1, streams, n / streams}, b.getF32Type()), out,
          ArrayRef<ReassociationIndices>{{0}, {1, 2}});
    // Tile t of the records, [records, bytes].
    auto recordTileAt = [&](Value t) -> Value {
      auto type = cast<RankedTensorType>(wRecords.getType());
      OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
      return slice(b, loc, wRecords, {t, zero, zero},
                   {one, b.getIndexAttr(type.getDimSize(1)),
                    b.getIndexAttr(type.getDimSize(2))},
                   RankedTensorType::get(type.getShape().drop_front(),
                                         type.getElementType()));
    };
    // The micro-kernel on the given slices: the same attributes everywhere.
    auto matmulTile = [&](Value a, Value s, Value sums, Value zeroPoints,
                          ValueRange recordTiles, Value wTile, Value sTile,
                          Value minTile, ValueRange superTiles, Value sumTile,
                          Value init) -> Value {
      return MatmulTileOp::create(
          b, loc, init.getType(), a, s, sums, zeroPoints, recordTiles, wTile,
          sTile, minTile, superTiles, sumTile, init,
          b.getI64IntegerAttr(op.getGroupSize()),
          DotKindAttr::get(b.getContext(), kernel.dot),
          b.getI64IntegerAttr(kernel.lanes),
          StorageAttr::get(b.getContext(), storage),
          op.getAcc() ? b.getUnitAttr() : UnitAttr(),
          records ? TypeAttr::get(rhsType) : TypeAttr());
    };
    auto forall = scf::ForallOp::create(
        b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(iterations)},
        ValueRange{shared}, std::nullopt);
    Value result = forall.getResult(0);
    if (streams > 1) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(forall.getBody());
      Value p = forall.getInductionVar(0);
      OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
      SmallVector<Value> recordTiles;
      for (int64_t s = 0; s < streams; ++s)
        recordTiles.push_back(recordTileAt(
            arith::AddIOp::create(b, loc, p, index(s * iterations))));
      Value col0 = arith::MulIOp::create(b, loc, p, index(n0));
      SmallVector<OpFoldResult> offsets = {zero, zero, col0};
      SmallVector<OpFoldResult> sizes = {one, b.getIndexAttr(streams),
                                         b.getIndexAttr(n0)};
      Value init = slice(b, loc, forall.getRegionOutArgs()[0], offsets, sizes);
      Value tile =
          matmulTile(aData, aScales, aSums, aZeroPoints, recordTiles, Value(),
                     Value(), Value(), ValueRange{}, Value(), init);
      b.setInsertionPointToStart(forall.getTerminator().getBody());
      tensor::ParallelInsertSliceOp::create(
          b, loc, tile, forall.getRegionOutArgs()[0], offsets, sizes,
          SmallVector<OpFoldResult>(3, one));
      b.setInsertionPointAfter(forall);
      result = tensor::CollapseShapeOp::create(
          b, loc, resultType, forall.getResult(0),
          ArrayRef<ReassociationIndices>{{0}, {1, 2}});
    } else {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(forall.getBody());
      Value t = forall.getInductionVar(0);
      Value col0 = arith::MulIOp::create(b, loc, t, index(n0));
      Value width = arith::MinSIOp::create(
          b, loc, index(n0), arith::SubIOp::create(b, loc, index(n), col0));
      OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
      SmallVector<OpFoldResult> colOffsets = {zero, col0}, colSizes = {rows, width};
      Value cols = slice(b, loc, forall.getRegionOutArgs()[0], colOffsets, colSizes);
      Value recordTile = records ? recordTileAt(t) : Value();
      Value wTile = records ? Value()
                            : slice(b, loc, wData, {t, zero, zero},
                                    {one, b.getIndexAttr(wRows),
                                     b.getIndexAttr(n0 * kTileK0)},
                                    wTileType);
      Value sTile =
          records ? Value()
                  : slice(b, loc, wScales, {t, zero, zero},
                          {one, b.getIndexAttr(wGroups), b.getIndexAttr(n0)},
                          wScaleType);
      Value sumTile = wSums ? slice(b, loc, wSums, {t, zero, zero},
                                    {one, b.getIndexAttr(wGroups), b.getIndexAttr(n0)},
                                    wSumType)
                            : Value();
      Value minTile = wMins ? slice(b, loc, wMins, {t, zero, zero},
                                    {one, b.getIndexAttr(wGroups), b.getIndexAttr(n0)},
                                    wScaleType)
                            : Value();
      SmallVector<Value> superTiles;
      for (Value factors : wSupers) {
        auto type = cast<RankedTensorType>(factors.getType());
        int64_t superGroups = type.getDimSize(1);
        superTiles.push_back(slice(
            b, loc, factors, {t, zero, zero},
            {one, b.getIndexAttr(superGroups), b.getIndexAttr(n0)},
            RankedTensorType::get({superGroups, n0}, type.getElementType())));
      }

      // Rows [lb, ub) in register tiles of `m0` rows.
      auto rowLoop = [&](Value lb, Value ub, int64_t m0, Value acc) -> Value {
        auto loop = scf::ForOp::create(
            b, loc, lb, ub, index(m0), ValueRange{acc},
            [&](OpBuilder &, Location, Value m, ValueRange iter) {
              SmallVector<OpFoldResult> at = {m, zero};
              auto rowsOf = [&](Value v, int64_t c) {
                auto type = cast<RankedTensorType>(v.getType());
                return slice(b, loc, v, at, {b.getIndexAttr(m0), b.getIndexAttr(c)},
                             RankedTensorType::get({m0, c}, type.getElementType()));
              };
              Value a = rowsOf(aData, kStored), s = rowsOf(aScales, aGroups);
              Value sums =
                  offset ? rowsOf(aSums, cast<RankedTensorType>(aSums.getType())
                                             .getDimSize(1))
                         : Value();
              Value zeroPoints = asymmetric ? rowsOf(aZeroPoints, aGroups) : Value();
              SmallVector<OpFoldResult> initSizes = {b.getIndexAttr(m0), width};
              Value init = slice(b, loc, iter[0], at, initSizes);
              Value tileOut =
                  matmulTile(a, s, sums, zeroPoints,
                             records ? ValueRange(recordTile) : ValueRange(),
                             wTile, sTile, minTile, superTiles, sumTile, init);
              SmallVector<OpFoldResult> strides = {one, one};
              Value next = tensor::InsertSliceOp::create(b, loc, tileOut, iter[0],
                                                         at, initSizes, strides);
              scf::YieldOp::create(b, loc, next);
            });
        return loop.getResult(0);
      };
      Value m0 = index(kernel.m0);
      Value full = arith::SubIOp::create(b, loc, rows,
                                         arith::RemUIOp::create(b, loc, rows, m0));
      Value written = rowLoop(index(0), full, kernel.m0, cols);
      if (kernel.m0 > 1)
        written = rowLoop(full, rows, 1, written);

      b.setInsertionPointToStart(forall.getTerminator().getBody());
      tensor::ParallelInsertSliceOp::create(
          b, loc, written, forall.getRegionOutArgs()[0], colOffsets, colSizes,
          SmallVector<OpFoldResult>{one, one});
    }
    if (materialize)
      rewriter.replaceOp(materialize, result);
    rewriter.replaceOp(op, result);
    return success();
  }

  int64_t maxM0, gemvStreams;
};

struct TileMatmulPass : public qnt::impl::TileMatmulPassBase<TileMatmulPass> {
  using TileMatmulPassBase::TileMatmulPassBase;

  void runOnOperation() override {
    if (maxM0 < 1) {
      getOperation().emitError("max-m0 must be at least 1");
      return signalPassFailure();
    }
    if (gemvStreams < 0 || gemvStreams > kMaxGemvStreams) {
      getOperation().emitError("gemv-streams must be 0 (by storage) to ")
          << kMaxGemvStreams << ", got " << static_cast<int64_t>(gemvStreams);
      return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    patterns.add<TileMatmul>(&getContext(), maxM0, gemvStreams);
    GreedyRewriteConfig config;
    config.enableFolding(false).enableConstantCSE(false);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      return signalPassFailure();
  }
};

} // namespace

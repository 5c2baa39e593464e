//===- VectorEmitter.cpp - Builders shared by the vector lowerings --------===//

#include "passes/Conversion/VectorEmitter.h"

#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace qnt;

namespace qnt::lowering {

ScaleIndexer indexerFor(SchemeAttr s) {
  return {s.getGranularity() != Granularity::PerTensor, s.isBlocked()};
}

Value readScale(Emitter &e, Value scales, std::pair<Value, Value> at) {
  Value s = tensor::ExtractOp::create(e.b, e.loc, scales,
                                      ValueRange{at.first, at.second});
  if (!s.getType().isF32())
    s = arith::ExtFOp::create(e.b, e.loc, e.b.getF32Type(), s);
  return s;
}

Value signFlip(Emitter &e) {
  auto type = VectorType::get({kVec}, e.b.getI8Type());
  return e.splat(type, e.b.getI8IntegerAttr(-128));
}

Value readF32(Emitter &e, Value tensor, ValueRange indices, int64_t width,
              bool inBounds) {
  Type elementType = cast<RankedTensorType>(tensor.getType()).getElementType();
  Value pad = arith::ConstantOp::create(e.b, e.loc, e.b.getZeroAttr(elementType));
  Value v = vector::TransferReadOp::create(
      e.b, e.loc, VectorType::get({width}, elementType), tensor, indices, pad,
      ArrayRef<bool>{inBounds});
  if (elementType != e.b.getF32Type())
    v = arith::ExtFOp::create(e.b, e.loc,
                              VectorType::get({width}, e.b.getF32Type()), v);
  return v;
}

Value broadcastScale(Emitter &e, Value scale) {
  return vector::BroadcastOp::create(
      e.b, e.loc, VectorType::get({kVec}, e.b.getF32Type()), scale);
}

Value dequantizeChunk(Emitter &e, Value q, SchemeAttr s, Value scaleVec) {
  auto f32Vec = VectorType::get({kVec}, e.b.getF32Type());
  if (s.getStorage() == Storage::U8Offset128)
    q = arith::XOrIOp::create(e.b, e.loc, q, signFlip(e));
  Value f = arith::SIToFPOp::create(e.b, e.loc, f32Vec, q);
  return arith::MulFOp::create(e.b, e.loc, f, scaleVec);
}

int64_t groupCols(SchemeAttr s, int64_t cols) {
  return s.isBlocked() ? s.getBlock() : cols;
}

scf::ForallOp parallelLoop(
    Emitter &e, Value count, ValueRange outs,
    function_ref<SmallVector<TileInsert>(Value iv, ValueRange outArgs)> body) {
  auto forall = scf::ForallOp::create(e.b, e.loc, ArrayRef<OpFoldResult>{count},
                                      outs, std::nullopt);
  OpBuilder::InsertionGuard guard(e.b);
  e.b.setInsertionPointToStart(forall.getBody());
  SmallVector<TileInsert> inserts =
      body(forall.getInductionVar(0), forall.getRegionOutArgs());
  e.b.setInsertionPointToStart(forall.getTerminator().getBody());
  for (auto [insert, dest] : llvm::zip(inserts, forall.getRegionOutArgs())) {
    SmallVector<OpFoldResult> strides(insert.offsets.size(),
                                      e.b.getIndexAttr(1));
    tensor::ParallelInsertSliceOp::create(e.b, e.loc, insert.tile, dest,
                                          insert.offsets, insert.sizes,
                                          strides);
  }
  return forall;
}

Value slice(Emitter &e, Value source, ArrayRef<OpFoldResult> offsets,
            ArrayRef<OpFoldResult> sizes) {
  SmallVector<OpFoldResult> strides(offsets.size(), e.b.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(e.b, e.loc, source, offsets, sizes,
                                        strides);
}

Value emitRowParallel(Emitter &e, Value rows, RankedTensorType resultType,
                      function_ref<Value(Value row, Value tile)> body) {
  int64_t cols = resultType.getDimSize(1);
  Value out = e.empty(resultType.getShape(), resultType.getElementType(),
                      {rows, e.index(cols)});
  auto forall = parallelLoop(e, rows, {out}, [&](Value r, ValueRange outs) {
    SmallVector<OpFoldResult> offsets = {r, e.b.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes = {e.b.getIndexAttr(1),
                                       e.b.getIndexAttr(cols)};
    Value tile = body(r, slice(e, outs[0], offsets, sizes));
    return SmallVector<TileInsert>{{tile, offsets, sizes}};
  });
  return forall.getResult(0);
}

ValueRange rowChunks(Emitter &e, int64_t cols, ValueRange inits,
                     function_ref<SmallVector<Value>(Value col, bool inBounds,
                                                     ValueRange acc)> body) {
  bool inBounds = cols % kVec == 0;
  return e.loop(e.index(0), e.index(cols), e.index(kVec), inits,
                [&](Value c, ValueRange acc) { return body(c, inBounds, acc); });
}


Value emitElementwise(Emitter &e, RankedTensorType type, ValueRange inputs,
                      function_ref<Value(ValueRange)> combine) {
  int64_t cols = type.getDimSize(1);
  return emitRowParallel(e, e.dim(inputs[0], 0), type, [&](Value r, Value tile) {
    return rowChunks(e, cols, {tile},
                     [&](Value c, bool inBounds, ValueRange acc) -> SmallVector<Value> {
      SmallVector<Value> vs;
      for (Value in : inputs)
        vs.push_back(e.read(in, r, c, inBounds));
      return {e.write(combine(vs), acc[0], e.index(0), c, inBounds)};
    })[0];
  });
}


//===----------------------------------------------------------------------===//
// Quantizing a row
//===----------------------------------------------------------------------===//

ScaleAndInverse scaleOf(Emitter &e, SchemeAttr s, Value d) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  // id = d != 0 ? 1 / d : 0; d stored at the scheme's precision.
  Value nonZero = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::ONE, d,
                                        e.f32(0.0f));
  Value inv = arith::DivFOp::create(b, loc, e.f32(1.0f), d);
  Value id = arith::SelectOp::create(b, loc, nonZero, inv, e.f32(0.0f));
  Value stored = d;
  if (s.getScale().isF16())
    stored = arith::TruncFOp::create(b, loc, b.getF16Type(), d);
  return {stored, vector::BroadcastOp::create(
                      b, loc, VectorType::get({kVec}, b.getF32Type()), id)};
}

ScaleAndInverse scaleFromAmax(Emitter &e, SchemeAttr s, Value amax) {
  // d = amax / qmax.
  return scaleOf(e, s, arith::DivFOp::create(e.b, e.loc, amax,
                                             e.f32(float(s.getQMax()))));
}

/// v rounded to an integral float by the scheme's rule (scalar or vector).
static Value roundBy(Emitter &e, SchemeAttr s, Value v) {
  return s.getRounding() == Rounding::HalfAwayFromZero
             ? Value(mlir::math::RoundOp::create(e.b, e.loc, v))
             : Value(mlir::math::RoundEvenOp::create(e.b, e.loc, v));
}

/// v clamped to [-qmax, qmax].
static Value clampToRange(Emitter &e, SchemeAttr s, Value v) {
  auto f32Vec = VectorType::get({kVec}, e.b.getF32Type());
  float qmax = float(s.getQMax());
  v = arith::MinNumFOp::create(e.b, e.loc, v,
                               e.splat(f32Vec, e.b.getF32FloatAttr(qmax)));
  return arith::MaxNumFOp::create(e.b, e.loc, v,
                                  e.splat(f32Vec, e.b.getF32FloatAttr(-qmax)));
}

Value quantizeChunk(Emitter &e, SchemeAttr s, Value y, Value idVec,
                    bool saturate) {
  Value v = arith::MulFOp::create(e.b, e.loc, y, idVec);
  if (saturate)
    v = clampToRange(e, s, v);
  return arith::FPToSIOp::create(e.b, e.loc,
                                 VectorType::get({kVec}, e.b.getI8Type()),
                                 roundBy(e, s, v));
}

AsymmetricScale scaleFromRange(Emitter &e, SchemeAttr s, Value lo, Value hi) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  // d = (hi - lo) / (2 qmax); z = round(-qmax - lo id).
  float qmax = float(s.getQMax());
  ScaleAndInverse d = scaleOf(
      e, s,
      arith::DivFOp::create(b, loc, arith::SubFOp::create(b, loc, hi, lo),
                            e.f32(2.0f * qmax)));
  Value id = vector::ExtractOp::create(b, loc, d.inverse, ArrayRef<int64_t>{0});
  Value z = roundBy(e, s, arith::SubFOp::create(
                              b, loc, e.f32(-qmax),
                              arith::MulFOp::create(b, loc, lo, id)));
  return {d, vector::BroadcastOp::create(b, loc, VectorType::get({kVec}, b.getF32Type()), z),
          arith::FPToSIOp::create(b, loc, b.getI32Type(), z)};
}

Value quantizeChunkAsymmetric(Emitter &e, SchemeAttr s, Value y,
                              const AsymmetricScale &a) {
  Value v = roundBy(e, s, arith::MulFOp::create(e.b, e.loc, y, a.scale.inverse));
  v = clampToRange(e, s, arith::AddFOp::create(e.b, e.loc, v, a.zeroVec));
  return arith::FPToSIOp::create(e.b, e.loc,
                                 VectorType::get({kVec}, e.b.getI8Type()), v);
}

Value storedChunk(Emitter &e, SchemeAttr s, Value q) {
  if (s.getStorage() == Storage::U8Offset128)
    return arith::XOrIOp::create(e.b, e.loc, q, signFlip(e));
  return q;
}

Value Emitter::reduce(vector::CombiningKind kind, Value vec) {
  using vector::CombiningKind;
  auto type = cast<VectorType>(vec.getType());
  bool exact =
      kind == CombiningKind::MAXNUMF || kind == CombiningKind::MINNUMF ||
      kind == CombiningKind::MAXIMUMF || kind == CombiningKind::MINIMUMF;
  int64_t n =
      type.getRank() == 1 && !type.isScalable() ? type.getDimSize(0) : 0;
  if (!exact || n < 2 || !llvm::isPowerOf2_64(uint64_t(n)))
    return vector::ReductionOp::create(b, loc, kind, vec);
  for (; n > 1; n /= 2) {
    Value lo = vector::ExtractStridedSliceOp::create(
        b, loc, vec, ArrayRef<int64_t>{0}, ArrayRef<int64_t>{n / 2},
        ArrayRef<int64_t>{1});
    Value hi = vector::ExtractStridedSliceOp::create(
        b, loc, vec, ArrayRef<int64_t>{n / 2}, ArrayRef<int64_t>{n / 2},
        ArrayRef<int64_t>{1});
    vec = vector::makeArithReduction(b, loc, kind, lo, hi);
  }
  return vector::ExtractOp::create(b, loc, vec, ArrayRef<int64_t>{0});
}

Value chunkSum(Emitter &e, Value q) {
  Value wide = arith::ExtSIOp::create(
      e.b, e.loc, VectorType::get({kVec}, e.b.getI32Type()), q);
  return e.reduce(vector::CombiningKind::ADD, wide);
}

/// quantizeRow for groups smaller than a chunk (16 against a 6-bit weight's
/// groups): each chunk of 32 is produced once and holds kVec / group groups,
/// each with its absmax (or static) scale and its sum; the chunk is
/// quantized with their inverses (and zero points) side by side.
static SmallVector<Value>
quantizeSmallGroups(Emitter &e, QTensorType type, RowProducer produce,
                    ValueRange rowTiles, Value staticScales, bool readInBounds,
                    bool writeInBounds) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  SchemeAttr s = type.getScheme();
  int64_t group = s.getBlock(), per = kVec / group;
  Type f32 = b.getF32Type();
  auto f32Vec = VectorType::get({kVec}, f32);
  Value zero = e.index(0);
  auto part = [&](Value v, int64_t h) -> Value {
    return vector::ExtractStridedSliceOp::create(b, loc, v, ArrayRef<int64_t>{h * group},
                                                 ArrayRef<int64_t>{group},
                                                 ArrayRef<int64_t>{1});
  };
  return SmallVector<Value>(e.loop(
      zero, e.index(type.getStoredCols() / kVec), e.index(1), rowTiles,
      [&](Value j, ValueRange tiles) -> SmallVector<Value> {
        Value col = e.mul(j, e.index(kVec));
        Value y = produce(col, readInBounds);
        bool asymmetric = !s.getSymmetric();
        Value magnitudes = asymmetric || staticScales
                               ? Value()
                               : Value(mlir::math::AbsFOp::create(b, loc, y));
        SmallVector<ScaleAndInverse> scales;
        SmallVector<Value> groups, zeroPoints;
        Value inverse = e.splat(f32Vec, b.getF32FloatAttr(0.0f));
        Value zeroVec = inverse;
        auto place = [&](Value into, Value whole, int64_t h) -> Value {
          return vector::InsertStridedSliceOp::create(
              b, loc, part(whole, 0), into, ArrayRef<int64_t>{h * group},
              ArrayRef<int64_t>{1});
        };
        for (int64_t h = 0; h < per; ++h) {
          Value g = e.add(e.mul(j, e.index(per)), e.index(h));
          groups.push_back(g);
          ScaleAndInverse d;
          if (asymmetric) {
            // The group's range, widened to hold 0.
            Value lo = arith::MinNumFOp::create(
                b, loc, e.f32(0.0f),
                e.reduce(vector::CombiningKind::MINNUMF, part(y, h)));
            Value hi = arith::MaxNumFOp::create(
                b, loc, e.f32(0.0f),
                e.reduce(vector::CombiningKind::MAXNUMF, part(y, h)));
            AsymmetricScale a = scaleFromRange(e, s, lo, hi);
            d = a.scale;
            zeroVec = place(zeroVec, a.zeroVec, h);
            zeroPoints.push_back(a.zeroPoint);
          } else if (staticScales) {
            d = scaleOf(e, s, tensor::ExtractOp::create(b, loc, staticScales,
                                                        ValueRange{zero, g}));
          } else {
            d = scaleFromAmax(e, s, e.reduce(vector::CombiningKind::MAXNUMF,
                                             part(magnitudes, h)));
          }
          scales.push_back(d);
          inverse = place(inverse, d.inverse, h);
        }
        Value q = asymmetric
                      ? quantizeChunkAsymmetric(
                            e, s, y, AsymmetricScale{{Value(), inverse}, zeroVec, Value()})
                      : quantizeChunk(e, s, y, inverse, /*saturate=*/bool(staticScales));
        SmallVector<Value> next = {
            e.write(storedChunk(e, s, q), tiles[0], zero, col, writeInBounds)};
        // Components: data, scales, then zero points and sums where kept.
        Value scaleTile = tiles[1];
        Value zeroTile = asymmetric ? tiles[2] : Value();
        Value sumTile = s.getSums() ? tiles[asymmetric ? 3 : 2] : Value();
        for (int64_t h = 0; h < per; ++h) {
          scaleTile = tensor::InsertOp::create(b, loc, scales[h].scale, scaleTile,
                                               ValueRange{zero, groups[h]});
          if (zeroTile)
            zeroTile = tensor::InsertOp::create(b, loc, zeroPoints[h], zeroTile,
                                                ValueRange{zero, groups[h]});
          if (!sumTile)
            continue;
          Value qh = vector::ExtractStridedSliceOp::create(
              b, loc, q, ArrayRef<int64_t>{h * group}, ArrayRef<int64_t>{group},
              ArrayRef<int64_t>{1});
          Value sum = e.reduce(vector::CombiningKind::ADD,
                               arith::ExtSIOp::create(
                                   b, loc, VectorType::get({group}, b.getI32Type()), qh));
          sumTile = tensor::InsertOp::create(b, loc, sum, sumTile,
                                             ValueRange{zero, groups[h]});
        }
        next.push_back(scaleTile);
        if (zeroTile)
          next.push_back(zeroTile);
        if (sumTile)
          next.push_back(sumTile);
        return next;
      }));
}

SmallVector<Value> quantizeRow(Emitter &e, QTensorType type, RowProducer produce,
                               ValueRange rowTiles, Value staticScales) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  SchemeAttr s = type.getScheme();
  int64_t cols = type.getShape()[1], stored = type.getStoredCols();
  int64_t group = groupCols(s, stored), numGroups = stored / group;
  // Past the row's end (a padded layout, or a last chunk cut short), the
  // producer reads zeros, which quantize to 0 (to z, asymmetric), so reads
  // are masked unless every chunk of the stored row lies within the row (a
  // padding of whole chunks, 96 -> 128 for blocks of 64, is past it too); a
  // chunk of the stored row is whole only when the stored row is a multiple
  // of 32.
  bool readInBounds = cols % kVec == 0 && stored == cols;
  bool writeInBounds = stored % kVec == 0;
  Value zero = e.index(0), step = e.index(kVec);
  if (group < kVec)
    return quantizeSmallGroups(e, type, produce, rowTiles, staticScales,
                               readInBounds, writeInBounds);
  return SmallVector<Value>(e.loop(
      zero, e.index(numGroups), e.index(1), rowTiles,
      [&](Value g, ValueRange tiles) -> SmallVector<Value> {
        Value col0 = e.mul(g, e.index(group));
        ScaleAndInverse d;
        std::optional<AsymmetricScale> asym;
        if (!s.getSymmetric()) {
          // The group's range, widened to hold 0.
          ValueRange range = e.loop(
              zero, e.index(group), step, {e.f32(0.0f), e.f32(0.0f)},
              [&](Value c, ValueRange a) -> SmallVector<Value> {
                Value y = produce(e.add(col0, c), readInBounds);
                return {arith::MinNumFOp::create(
                            b, loc, a[0], e.reduce(vector::CombiningKind::MINNUMF, y)),
                        arith::MaxNumFOp::create(
                            b, loc, a[1], e.reduce(vector::CombiningKind::MAXNUMF, y))};
              });
          asym = scaleFromRange(e, s, range[0], range[1]);
          d = asym->scale;
        } else if (staticScales) {
          d = scaleOf(e, s, tensor::ExtractOp::create(b, loc, staticScales,
                                                      ValueRange{zero, g}));
        } else {
          Value amax = e.loop(zero, e.index(group), step, {e.f32(0.0f)},
                              [&](Value c, ValueRange a) -> SmallVector<Value> {
            Value y = produce(e.add(col0, c), readInBounds);
            Value m = e.reduce(vector::CombiningKind::MAXNUMF,
                               mlir::math::AbsFOp::create(b, loc, y));
            return {arith::MaxNumFOp::create(b, loc, a[0], m)};
          })[0];
          d = scaleFromAmax(e, s, amax);
        }
        // Sums per sums_block go to their tile as the chunks are
        // quantized; else one per group, after them.
        int64_t sumsTile = 2 + (asym ? 1 : 0);
        int64_t sumsBlock = s.getSumsBlock();
        SmallVector<Value> init = {tiles[0], e.i32(0)};
        if (sumsBlock)
          init.push_back(tiles[sumsTile]);
        ValueRange res = e.loop(
            zero, e.index(group), step, init,
            [&](Value c, ValueRange acc) -> SmallVector<Value> {
              Value col = e.add(col0, c);
              Value y = produce(col, readInBounds);
              Value q = asym ? quantizeChunkAsymmetric(e, s, y, *asym)
                             : quantizeChunk(e, s, y, d.inverse,
                                             /*saturate=*/bool(staticScales));
              // The group's sum (none where the sums are per sub-block).
              Value sum = s.getSums() && !sumsBlock
                              ? e.add(acc[1], chunkSum(e, q))
                              : acc[1];
              SmallVector<Value> next = {e.write(storedChunk(e, s, q), acc[0],
                                                 zero, col, writeInBounds),
                                         sum};
              if (sumsBlock) {
                // The chunk's sub-blocks (several when sumsBlock < kVec),
                // each one's sum at its place; a sub-block of several
                // chunks adds its later chunks' to its first's.
                int64_t width = std::min(sumsBlock, kVec);
                Value wide = arith::ExtSIOp::create(
                    b, loc, VectorType::get({kVec}, b.getI32Type()), q);
                Value sums = acc[2];
                for (int64_t h = 0; h < kVec / width; ++h) {
                  Value part =
                      width == kVec
                          ? wide
                          : Value(vector::ExtractStridedSliceOp::create(
                                b, loc, wide, ArrayRef<int64_t>{h * width},
                                ArrayRef<int64_t>{width},
                                ArrayRef<int64_t>{1}));
                  Value first = e.add(col, e.index(h * width));
                  Value at =
                      arith::DivUIOp::create(b, loc, first, e.index(sumsBlock));
                  Value sum = e.reduce(vector::CombiningKind::ADD, part);
                  if (sumsBlock > kVec) {
                    Value starts = arith::CmpIOp::create(
                        b, loc, arith::CmpIPredicate::eq,
                        arith::RemUIOp::create(b, loc, first,
                                               e.index(sumsBlock)),
                        zero);
                    sum = e.add(sum,
                                arith::SelectOp::create(
                                    b, loc, starts, e.i32(0),
                                    tensor::ExtractOp::create(
                                        b, loc, sums, ValueRange{zero, at})));
                  }
                  sums = tensor::InsertOp::create(b, loc, sum, sums,
                                                  ValueRange{zero, at});
                }
                next.push_back(sums);
              }
              return next;
            });
        // Components: data, scales, then zero points and sums where kept.
        SmallVector<Value> next = {res[0]};
        next.push_back(tensor::InsertOp::create(b, loc, d.scale, tiles[1],
                                                ValueRange{zero, g}));
        if (asym)
          next.push_back(tensor::InsertOp::create(b, loc, asym->zeroPoint,
                                                  tiles[next.size()],
                                                  ValueRange{zero, g}));
        if (sumsBlock)
          next.push_back(res[2]);
        else if (s.getSums())
          next.push_back(tensor::InsertOp::create(b, loc, res[1],
                                                  tiles[next.size()],
                                                  ValueRange{zero, g}));
        return next;
      }));
}

SmallVector<Value> emptyRows(Emitter &e, TypeRange types, Value rows) {
  SmallVector<Value> out;
  for (Type t : types) {
    auto tensor = cast<RankedTensorType>(t);
    out.push_back(e.empty(tensor.getShape(), tensor.getElementType(),
                          {rows, e.index(tensor.getDimSize(1))}));
  }
  return out;
}

SmallVector<Value> emitQuantizedRows(Emitter &e, QTensorType type, Value rows,
                                     RowSetup setup,
                                     DenseElementsAttr staticScales) {
  OpBuilder &b = e.b;
  Value scales;
  if (staticScales)
    scales = arith::ConstantOp::create(b, e.loc, staticScales);
  SmallVector<Type> componentTypes;
  type.getComponentTypes(componentTypes);
  SmallVector<Value> outs = emptyRows(e, componentTypes, rows);
  auto forall = parallelLoop(e, rows, outs, [&](Value r, ValueRange outArgs) {
    SmallVector<OpFoldResult> offsets = {r, b.getIndexAttr(0)};
    SmallVector<SmallVector<OpFoldResult>> sizes;
    SmallVector<Value> rowTiles;
    for (auto [t, out] : llvm::zip(componentTypes, outArgs)) {
      sizes.push_back({b.getIndexAttr(1),
                       b.getIndexAttr(cast<RankedTensorType>(t).getDimSize(1))});
      rowTiles.push_back(slice(e, out, offsets, sizes.back()));
    }
    std::function<Value(Value, bool)> produce = setup(r);
    SmallVector<Value> tiles = quantizeRow(
        e, type, [&](Value col, bool inBounds) { return produce(col, inBounds); },
        rowTiles, scales);
    SmallVector<TileInsert> inserts;
    for (auto [tile, size] : llvm::zip(tiles, sizes))
      inserts.push_back({tile, offsets, size});
    return inserts;
  });
  return SmallVector<Value>(forall.getResults());
}

} // namespace qnt::lowering

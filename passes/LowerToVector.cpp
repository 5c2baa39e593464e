//===- LowerToVector.cpp - qnt ops to vectorized loops on tensors -*- C++ -*-===//
//
// Every `!qnt.tensor` value becomes its component tensors (data, scales and,
// if the scheme keeps them, sums): a 1:N type conversion that also rewrites
// function signatures, calls and returns. The qnt ops become loops:
//
// quantize   one parallel task per row; per group g of G columns
//              amax = max |x|  (32-wide vector max-reductions)
//              d = amax / 127, id = d ? 1/d : 0, q = round(x * id)
//            the rule of qnt/Math/Quant.h, vector for vector, so the compiled
//            code and the library agree to the bit.
// matmul     one parallel task per tile of output columns; per output (m, n)
//              acc = sum_g float(idot_g - corr_g) * (sl(m,g) * sr(n,g))
//            with idot_g a 32-wide integer dot per step (qnt.dpbusd, later
//            vpdpbusd, when the weight is u8 and VNNI is on; extend-multiply-
//            add otherwise) and
//            corr_g = 128 * sum_g(lhs) for a u8_offset128 weight. The float
//            output is written once.
// dequantize x = scale * q, 32 wide.
// linear     (float weights, f32/f16/bf16) a 32-wide fused multiply-add dot.
//
// Loops are built on tensors (scf.forall with shared outputs, scf.for with
// iter_args, vector.transfer_read/write) so that one-shot bufferization
// places every write in the output buffer.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/qnt/QntOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Patterns.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cmath>
#include <limits>

namespace mlir::qnt {
#define GEN_PASS_DEF_LOWERTOVECTORPASS
#include "passes/Passes.h.inc"
} // namespace mlir::qnt

using namespace mlir;
using namespace mlir::qnt;

namespace {

/// Elements per vector step along the reduction axis: one Q8_0 block.
constexpr int64_t kVec = 32;

//===----------------------------------------------------------------------===//
// Small builders
//===----------------------------------------------------------------------===//

/// Builds loops and vector code at one location.
struct Emitter {
  OpBuilder &b;
  Location loc;

  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value f32(float v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }
  Value i32(int32_t v) {
    return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(v));
  }
  Value splat(VectorType type, Attribute scalar) {
    return arith::ConstantOp::create(b, loc,
                                     DenseElementsAttr::get(type, scalar));
  }
  Value add(Value a, Value c) { return arith::AddIOp::create(b, loc, a, c); }
  Value mul(Value a, Value c) { return arith::MulIOp::create(b, loc, a, c); }

  /// Size of dimension i of a ranked tensor, constant when static.
  Value dim(Value tensor, int64_t i) {
    auto type = cast<RankedTensorType>(tensor.getType());
    if (!type.isDynamicDim(i))
      return index(type.getDimSize(i));
    return tensor::DimOp::create(b, loc, tensor, i);
  }

  /// tensor.empty with the given element type and sizes (dynamic ones taken
  /// from `sizes` where the static shape has ?).
  Value empty(ArrayRef<int64_t> shape, Type elementType,
              ArrayRef<Value> sizes) {
    SmallVector<Value> dynamic;
    for (auto [d, v] : llvm::zip(shape, sizes))
      if (ShapedType::isDynamic(d))
        dynamic.push_back(v);
    return tensor::EmptyOp::create(b, loc, shape, elementType, dynamic);
  }

  /// scf.for lb..ub step `step` carrying `inits`; `body` returns the values
  /// yielded to the next iteration.
  ValueRange loop(Value lb, Value ub, Value step, ValueRange inits,
                  function_ref<SmallVector<Value>(Value, ValueRange)> body) {
    auto forOp = scf::ForOp::create(
        b, loc, lb, ub, step, inits,
        [&](OpBuilder &, Location, Value iv, ValueRange args) {
          scf::YieldOp::create(b, loc, body(iv, args));
        });
    return forOp.getResults();
  }

  /// A 32-wide read along the last axis of a rank-2 tensor at (row, col),
  /// padded with zeros past the end when `inBounds` is false.
  Value read(Value tensor, Value row, Value col, bool inBounds) {
    Type elementType = cast<RankedTensorType>(tensor.getType()).getElementType();
    auto vecType = VectorType::get({kVec}, elementType);
    Value pad = arith::ConstantOp::create(b, loc, b.getZeroAttr(elementType));
    return vector::TransferReadOp::create(b, loc, vecType, tensor,
                                          ValueRange{row, col}, pad,
                                          ArrayRef<bool>{inBounds});
  }
  Value write(Value vec, Value tensor, Value row, Value col, bool inBounds) {
    return vector::TransferWriteOp::create(b, loc, vec, tensor,
                                           ValueRange{row, col},
                                           ArrayRef<bool>{inBounds})
        .getResult();
  }
  Value reduce(vector::CombiningKind kind, Value vec) {
    return vector::ReductionOp::create(b, loc, kind, vec);
  }
};

/// Where a rank-2 operand's scale (and sum) for row r, group g lives.
struct ScaleIndexer {
  bool rowsVary;
  bool blocked;
  std::pair<Value, Value> at(Emitter &e, Value row, Value group) const {
    Value zero = e.index(0);
    return {rowsVary ? row : zero, blocked ? group : zero};
  }
};

ScaleIndexer indexerFor(SchemeAttr s) {
  return {s.getGranularity() != Granularity::PerTensor, s.isBlocked()};
}

/// Reads a scale as f32.
Value readScale(Emitter &e, Value scales, std::pair<Value, Value> at) {
  Value s = tensor::ExtractOp::create(e.b, e.loc, scales,
                                      ValueRange{at.first, at.second});
  if (!s.getType().isF32())
    s = arith::ExtFOp::create(e.b, e.loc, e.b.getF32Type(), s);
  return s;
}

/// The byte pattern that flips i8 <-> u8 offset 128.
Value signFlip(Emitter &e) {
  auto type = VectorType::get({kVec}, e.b.getI8Type());
  return e.splat(type, e.b.getI8IntegerAttr(-128));
}

/// A read of `width` elements along the last axis at `indices`, as f32.
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

/// A scale as a 32-wide vector.
Value broadcastScale(Emitter &e, Value scale) {
  return vector::BroadcastOp::create(
      e.b, e.loc, VectorType::get({kVec}, e.b.getF32Type()), scale);
}

/// scale * q for a 32-wide chunk of quantized data (the scale broadcast), as
/// f32.
Value dequantizeChunk(Emitter &e, Value q, SchemeAttr s, Value scaleVec) {
  auto f32Vec = VectorType::get({kVec}, e.b.getF32Type());
  if (s.getStorage() == Storage::U8Offset128)
    q = arith::XOrIOp::create(e.b, e.loc, q, signFlip(e));
  Value f = arith::SIToFPOp::create(e.b, e.loc, f32Vec, q);
  return arith::MulFOp::create(e.b, e.loc, f, scaleVec);
}

/// Columns sharing a scale within a row of a [rows, cols] operand.
int64_t groupCols(SchemeAttr s, int64_t cols) {
  return s.isBlocked() ? s.getBlock() : cols;
}

/// A parallel loop over [0, count) with shared outputs `outs`; `body`
/// returns, for each shared output, the tile to insert and its offsets and
/// sizes.
struct TileInsert {
  Value tile;
  SmallVector<OpFoldResult> offsets, sizes;
};
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

/// tensor.extract_slice with unit strides.
Value slice(Emitter &e, Value source, ArrayRef<OpFoldResult> offsets,
            ArrayRef<OpFoldResult> sizes) {
  SmallVector<OpFoldResult> strides(offsets.size(), e.b.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(e.b, e.loc, source, offsets, sizes,
                                        strides);
}

//===----------------------------------------------------------------------===//
// What can be lowered
//===----------------------------------------------------------------------===//

/// Emits an error and fails for what the lowering does not handle; the
/// verifiers have already ruled out what is inconsistent.
LogicalResult checkQuantized(Operation *op, QTensorType type) {
  SchemeAttr s = type.getScheme();
  if (type.getRank() != 2)
    return op->emitOpError("lowering handles rank-2 quantized tensors, got rank ")
           << type.getRank();
  if (ShapedType::isDynamic(type.getShape()[1]))
    return op->emitOpError("lowering needs a static last dimension");
  if (s.getBits() != 8 || !s.getSymmetric())
    return op->emitOpError("lowering handles symmetric 8-bit schemes only");
  if (s.getGranularity() == Granularity::PerChannel && s.getAxis() != 0)
    return op->emitOpError("lowering handles per_channel on axis 0 only");
  if (s.isBlocked() && s.getBlock() % kVec != 0)
    return op->emitOpError("lowering needs a block size that is a multiple of ")
           << kVec << ", got " << s.getBlock();
  return success();
}

LogicalResult checkLowerable(Operation *op) {
  if (auto q = dyn_cast<QuantizeOp>(op))
    return checkQuantized(op, q.getResult().getType());
  if (auto d = dyn_cast<DequantizeOp>(op))
    return checkQuantized(op, d.getInput().getType());
  if (auto m = dyn_cast<MatmulOp>(op)) {
    if (failed(checkQuantized(op, m.getLhs().getType())))
      return failure();
    return checkQuantized(op, m.getRhs().getType());
  }
  if (auto l = dyn_cast<LinearOp>(op))
    if (isa<QTensorType>(l.getWeight().getType()))
      return op->emitOpError("has a quantized weight and a float input: run "
                             "--qnt-insert-act-quant before lowering");
  return success();
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

struct ConstantLowering : OpConversionPattern<ConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConstantOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    SmallVector<Value> parts;
    for (Attribute a : {Attribute(op.getData()), Attribute(op.getScales())})
      parts.push_back(
          arith::ConstantOp::create(rewriter, op.getLoc(), cast<TypedAttr>(a)));
    for (std::optional<ElementsAttr> part : {op.getZeroPoints(), op.getSums()})
      if (part)
        parts.push_back(arith::ConstantOp::create(rewriter, op.getLoc(),
                                                  cast<TypedAttr>(*part)));
    rewriter.replaceOpWithMultiple(op, {parts});
    return success();
  }
};

/// A packed quantized tensor is its components.
struct PackLowering : OpConversionPattern<PackOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(PackOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    SmallVector<Value> parts;
    for (ValueRange component : adaptor.getComponents())
      llvm::append_range(parts, component);
    rewriter.replaceOpWithMultiple(op, {parts});
    return success();
  }
};

struct QuantizeLowering : OpConversionPattern<QuantizeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(QuantizeOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Emitter e{rewriter, op.getLoc()};
    QTensorType type = op.getResult().getType();
    SchemeAttr s = type.getScheme();
    Value x = adaptor.getInput().front();
    int64_t cols = type.getShape()[1];
    int64_t group = groupCols(s, cols);
    int64_t numGroups = cols / group;
    bool tail = group % kVec != 0;
    Value rows = e.dim(x, 0);
    ArrayRef<int64_t> shape = type.getShape();
    SmallVector<int64_t> scaleShape = type.getScaleShape();

    SmallVector<Value> outs = {
        e.empty(shape, rewriter.getI8Type(), {rows, e.index(cols)}),
        e.empty(scaleShape, s.getScale(), {rows, e.index(numGroups)})};
    if (s.getSums())
      outs.push_back(
          e.empty(scaleShape, rewriter.getI32Type(), {rows, e.index(numGroups)}));

    if (s.getGranularity() == Granularity::PerTensor) {
      // One group spanning every row: a sequential two-pass loop.
      auto results = quantizeGroup(e, s, x, e.index(0), rows, e.index(0),
                                   cols, tail, outs[0]);
      SmallVector<Value> parts = {results.data};
      Value zero = e.index(0);
      parts.push_back(tensor::InsertOp::create(e.b, e.loc, results.scale,
                                               outs[1], ValueRange{zero, zero}));
      if (s.getSums())
        parts.push_back(tensor::InsertOp::create(
            e.b, e.loc, results.sum, outs[2], ValueRange{zero, zero}));
      rewriter.replaceOpWithMultiple(op, {parts});
      return success();
    }

    // Rows are independent: one parallel task per row.
    auto forall = parallelLoop(e, rows, outs, [&](Value r, ValueRange outArgs) {
      Value zero = e.index(0);
      SmallVector<OpFoldResult> rowOffsets = {r, rewriter.getIndexAttr(0)};
      SmallVector<OpFoldResult> dataSizes = {rewriter.getIndexAttr(1),
                                             rewriter.getIndexAttr(cols)};
      SmallVector<OpFoldResult> scaleSizes = {rewriter.getIndexAttr(1),
                                              rewriter.getIndexAttr(numGroups)};
      SmallVector<Value> rowTiles;
      rowTiles.push_back(slice(e, outArgs[0], rowOffsets, dataSizes));
      for (Value out : outArgs.drop_front())
        rowTiles.push_back(slice(e, out, rowOffsets, scaleSizes));

      ValueRange tiles = e.loop(
          zero, e.index(numGroups), e.index(1), rowTiles,
          [&](Value g, ValueRange acc) -> SmallVector<Value> {
            Value col0 = e.mul(g, e.index(group));
            Value rowEnd = e.add(r, e.index(1));
            auto res = quantizeGroup(e, s, x, r, rowEnd, col0, group, tail,
                                     acc[0], /*dstRowShift=*/r);
            SmallVector<Value> next = {res.data};
            next.push_back(tensor::InsertOp::create(e.b, e.loc, res.scale,
                                                    acc[1], ValueRange{zero, g}));
            if (s.getSums())
              next.push_back(tensor::InsertOp::create(
                  e.b, e.loc, res.sum, acc[2], ValueRange{zero, g}));
            return next;
          });
      SmallVector<TileInsert> inserts;
      inserts.push_back({tiles[0], rowOffsets, dataSizes});
      for (Value t : tiles.drop_front())
        inserts.push_back({t, rowOffsets, scaleSizes});
      return inserts;
    });
    rewriter.replaceOpWithMultiple(op, {SmallVector<Value>(forall.getResults())});
    return success();
  }

  struct GroupResult {
    Value data, scale, sum;
  };

  /// Quantizes rows [rowLb, rowUb) x columns [col0, col0 + cols) of x as one
  /// group into `dest` (row r of x goes to row r - dstRowShift of dest).
  static GroupResult quantizeGroup(Emitter &e, SchemeAttr s, Value x,
                                   Value rowLb, Value rowUb, Value col0,
                                   int64_t cols, bool tail, Value dest,
                                   Value dstRowShift = nullptr) {
    OpBuilder &b = e.b;
    Location loc = e.loc;
    auto f32Vec = VectorType::get({kVec}, b.getF32Type());
    auto i8Vec = VectorType::get({kVec}, b.getI8Type());
    auto i32Vec = VectorType::get({kVec}, b.getI32Type());
    Value step = e.index(kVec), one = e.index(1), colCount = e.index(cols);

    // Pass 1: amax.
    Value amax = e.loop(rowLb, rowUb, one, {e.f32(0.0f)},
                        [&](Value r, ValueRange a) -> SmallVector<Value> {
      return {e.loop(e.index(0), colCount, step, a,
                     [&](Value c, ValueRange a2) -> SmallVector<Value> {
        Value v = e.read(x, r, e.add(col0, c), !tail);
        Value m = e.reduce(vector::CombiningKind::MAXNUMF,
                           math::AbsFOp::create(b, loc, v));
        return {arith::MaxNumFOp::create(b, loc, a2[0], m)};
      })[0]};
    })[0];

    // d = amax / qmax; id = d != 0 ? 1 / d : 0.
    Value d = arith::DivFOp::create(b, loc, amax, e.f32(float(s.getQMax())));
    Value nonZero = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::ONE, d,
                                          e.f32(0.0f));
    Value inv = arith::DivFOp::create(b, loc, e.f32(1.0f), d);
    Value id = arith::SelectOp::create(b, loc, nonZero, inv, e.f32(0.0f));
    Value idVec = vector::BroadcastOp::create(b, loc, f32Vec, id);

    // Pass 2: q = round(x * id), stored, summed.
    bool u8 = s.getStorage() == Storage::U8Offset128;
    ValueRange res = e.loop(
        rowLb, rowUb, one, {dest, e.i32(0)},
        [&](Value r, ValueRange acc) -> SmallVector<Value> {
          Value dstRow = dstRowShift ? arith::SubIOp::create(b, loc, r, dstRowShift)
                                     : r;
          return e.loop(e.index(0), colCount, step, acc,
                        [&](Value c, ValueRange acc2) -> SmallVector<Value> {
            Value col = e.add(col0, c);
            Value v = arith::MulFOp::create(b, loc, e.read(x, r, col, !tail), idVec);
            Value rounded =
                s.getRounding() == Rounding::HalfAwayFromZero
                    ? Value(math::RoundOp::create(b, loc, v))
                    : Value(math::RoundEvenOp::create(b, loc, v));
            Value q = arith::FPToSIOp::create(b, loc, i8Vec, rounded);
            Value sum = acc2[1];
            if (s.getSums()) {
              Value wide = arith::ExtSIOp::create(b, loc, i32Vec, q);
              sum = arith::AddIOp::create(
                  b, loc, sum, e.reduce(vector::CombiningKind::ADD, wide));
            }
            if (u8)
              q = arith::XOrIOp::create(b, loc, q, signFlip(e));
            return {e.write(q, acc2[0], dstRow, col, !tail), sum};
          });
        });

    Value scale = d;
    if (s.getScale().isF16())
      scale = arith::TruncFOp::create(b, loc, b.getF16Type(), d);
    return {res[0], scale, res[1]};
  }
};

struct DequantizeLowering : OpConversionPattern<DequantizeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(DequantizeOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Emitter e{rewriter, op.getLoc()};
    QTensorType type = op.getInput().getType();
    SchemeAttr s = type.getScheme();
    ValueRange parts = adaptor.getInput();
    Value data = parts[0], scales = parts[1];
    int64_t cols = type.getShape()[1];
    int64_t group = groupCols(s, cols);
    bool tail = group % kVec != 0;
    ScaleIndexer at = indexerFor(s);
    Value rows = e.dim(data, 0);
    Value out = e.empty(type.getShape(), rewriter.getF32Type(),
                        {rows, e.index(cols)});

    auto forall = parallelLoop(e, rows, {out}, [&](Value r, ValueRange outArgs) {
      SmallVector<OpFoldResult> offsets = {r, rewriter.getIndexAttr(0)};
      SmallVector<OpFoldResult> sizes = {rewriter.getIndexAttr(1),
                                         rewriter.getIndexAttr(cols)};
      Value rowTile = slice(e, outArgs[0], offsets, sizes);
      Value zero = e.index(0);
      Value result = e.loop(
          zero, e.index(cols / group), e.index(1), {rowTile},
          [&](Value g, ValueRange acc) -> SmallVector<Value> {
            Value scaleVec = broadcastScale(e, readScale(e, scales, at.at(e, r, g)));
            Value col0 = e.mul(g, e.index(group));
            return {e.loop(zero, e.index(group), e.index(kVec), acc,
                           [&](Value c, ValueRange acc2) -> SmallVector<Value> {
              Value col = e.add(col0, c);
              Value f = dequantizeChunk(e, e.read(data, r, col, !tail), s, scaleVec);
              return {e.write(f, acc2[0], zero, col, !tail)};
            })[0]};
          })[0];
      return SmallVector<TileInsert>{{result, offsets, sizes}};
    });
    rewriter.replaceOp(op, forall.getResults());
    return success();
  }
};

/// The loop nest shared by the quantized matmul and the float linear: one
/// parallel task per tile of `tileCols` output columns; each task computes
/// out[m, n] = dot(m, n) for every row m and column n of its tile.
Value emitTiledContraction(Emitter &e, RankedTensorType resultType, Value rows,
                           Value cols, int64_t tileCols,
                           function_ref<Value(Value m, Value n)> dot) {
  OpBuilder &b = e.b;
  Value out = e.empty(resultType.getShape(), b.getF32Type(), {rows, cols});
  Value tileSize = e.index(tileCols);
  Value numTiles = arith::CeilDivUIOp::create(b, e.loc, cols, tileSize);
  auto forall = parallelLoop(e, numTiles, {out}, [&](Value t, ValueRange outs) {
    Value n0 = e.mul(t, tileSize);
    Value width = arith::MinSIOp::create(
        b, e.loc, tileSize, arith::SubIOp::create(b, e.loc, cols, n0));
    SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), n0};
    SmallVector<OpFoldResult> sizes = {rows, width};
    Value tile = slice(e, outs[0], offsets, sizes);
    Value zero = e.index(0), one = e.index(1);
    Value result = e.loop(zero, rows, one, {tile},
                          [&](Value m, ValueRange acc) -> SmallVector<Value> {
      return {e.loop(zero, width, one, acc,
                     [&](Value j, ValueRange acc2) -> SmallVector<Value> {
        Value value = dot(m, e.add(n0, j));
        return {tensor::InsertOp::create(b, e.loc, value, acc2[0],
                                         ValueRange{m, j})};
      })[0]};
    })[0];
    return SmallVector<TileInsert>{{result, offsets, sizes}};
  });
  return forall.getResult(0);
}

struct MatmulLowering : OpConversionPattern<MatmulOp> {
  MatmulLowering(const TypeConverter &tc, MLIRContext *ctx, bool vnni,
                 int64_t tileCols)
      : OpConversionPattern(tc, ctx), vnni(vnni), tileCols(tileCols) {}

  LogicalResult
  matchAndRewrite(MatmulOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Emitter e{rewriter, op.getLoc()};
    OpBuilder &b = rewriter;
    Location loc = op.getLoc();
    SchemeAttr ls = op.getLhs().getType().getScheme();
    SchemeAttr rs = op.getRhs().getType().getScheme();
    ValueRange lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
    Value lData = lhs[0], lScales = lhs[1], rData = rhs[0], rScales = rhs[1];
    bool u8 = rs.getStorage() == Storage::U8Offset128;
    Value lSums = u8 ? lhs[2] : Value();
    int64_t k = op.getLhs().getType().getShape()[1];
    int64_t group = op.getGroupSize();
    bool tail = group % kVec != 0;
    bool useVnni = vnni && u8;
    ScaleIndexer lAt = indexerFor(ls), rAt = indexerFor(rs);

    auto i32Type = b.getI32Type();
    auto accType = VectorType::get({useVnni ? kVec / 4 : kVec}, i32Type);
    auto wideType = VectorType::get({kVec}, i32Type);
    Value zeroAcc = e.splat(accType, b.getI32IntegerAttr(0));

    auto dot = [&](Value m, Value n) -> Value {
      Value zero = e.index(0);
      return e.loop(zero, e.index(k / group), e.index(1), {e.f32(0.0f)},
                    [&](Value g, ValueRange acc) -> SmallVector<Value> {
        Value col0 = e.mul(g, e.index(group));
        Value vacc = e.loop(zero, e.index(group), e.index(kVec), {zeroAcc},
                            [&](Value c, ValueRange a) -> SmallVector<Value> {
          Value col = e.add(col0, c);
          Value av = e.read(lData, m, col, !tail);
          Value wv = e.read(rData, n, col, !tail);
          if (useVnni) // lanes i += sum_{j<4} u8(w[4i+j]) * s8(a[4i+j])
            return {DpbusdOp::create(b, loc, accType, a[0], wv, av)};
          Value aw = arith::ExtSIOp::create(b, loc, wideType, av);
          Value ww = u8 ? Value(arith::ExtUIOp::create(b, loc, wideType, wv))
                        : Value(arith::ExtSIOp::create(b, loc, wideType, wv));
          return {arith::AddIOp::create(b, loc, a[0],
                                        arith::MulIOp::create(b, loc, aw, ww))};
        })[0];
        Value idot = e.reduce(vector::CombiningKind::ADD, vacc);
        auto lIdx = lAt.at(e, m, g);
        if (u8) { // sum (q + 128) a = sum q a + 128 sum a
          Value sum = tensor::ExtractOp::create(b, loc, lSums,
                                                ValueRange{lIdx.first, lIdx.second});
          idot = arith::SubIOp::create(b, loc, idot, e.mul(sum, e.i32(128)));
        }
        Value scale = arith::MulFOp::create(b, loc, readScale(e, lScales, lIdx),
                                            readScale(e, rScales, rAt.at(e, n, g)));
        Value term = arith::MulFOp::create(
            b, loc, arith::SIToFPOp::create(b, loc, b.getF32Type(), idot), scale);
        return {arith::AddFOp::create(b, loc, acc[0], term)};
      })[0];
    };
    Value result = emitTiledContraction(e, op.getResult().getType(),
                                        e.dim(lData, 0), e.dim(rData, 0),
                                        tileCols, dot);
    rewriter.replaceOp(op, result);
    return success();
  }

  bool vnni;
  int64_t tileCols;
};

/// A float linear layer: y[m, n] = sum_k x[m, k] * w[n, k], 32-wide fused
/// multiply-adds into a vector accumulator reduced once per output.
struct FloatLinearLowering : OpConversionPattern<LinearOp> {
  FloatLinearLowering(const TypeConverter &tc, MLIRContext *ctx,
                      int64_t tileCols)
      : OpConversionPattern(tc, ctx), tileCols(tileCols) {}

  LogicalResult
  matchAndRewrite(LinearOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (isa<QTensorType>(op.getWeight().getType()))
      return failure();
    Emitter e{rewriter, op.getLoc()};
    OpBuilder &b = rewriter;
    Location loc = op.getLoc();
    Value x = adaptor.getInput().front(), w = adaptor.getWeight().front();
    int64_t k = op.getInput().getType().getShape()[1];
    bool tail = k % kVec != 0;
    auto f32Vec = VectorType::get({kVec}, b.getF32Type());
    Value zeroVec = e.splat(f32Vec, b.getF32FloatAttr(0.0f));

    auto dot = [&](Value m, Value n) -> Value {
      Value vacc = e.loop(e.index(0), e.index(k), e.index(kVec), {zeroVec},
                          [&](Value c, ValueRange a) -> SmallVector<Value> {
        Value xv = e.read(x, m, c, !tail);
        Value wv = e.read(w, n, c, !tail);
        if (wv.getType() != f32Vec)
          wv = arith::ExtFOp::create(b, loc, f32Vec, wv);
        return {vector::FMAOp::create(b, loc, xv, wv, a[0])};
      })[0];
      return e.reduce(vector::CombiningKind::ADD, vacc);
    };
    rewriter.replaceOp(op, emitTiledContraction(e, op.getResult().getType(),
                                                e.dim(x, 0), e.dim(w, 0),
                                                tileCols, dot));
    return success();
  }

  int64_t tileCols;
};

//===----------------------------------------------------------------------===//
// Transformer layers
//===----------------------------------------------------------------------===//

/// One parallel task per row of a [rows, cols] f32 result; `body` fills the
/// row's [1, cols] tile and returns it.
Value emitRowParallel(Emitter &e, Value rows, RankedTensorType resultType,
                      function_ref<Value(Value row, Value tile)> body) {
  int64_t cols = resultType.getDimSize(1);
  Value out = e.empty(resultType.getShape(), e.b.getF32Type(),
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

/// Walks a row of `cols` values in 32-wide steps (the last one masked when
/// cols is not a multiple of 32), carrying `inits`.
ValueRange rowChunks(Emitter &e, int64_t cols, ValueRange inits,
                     function_ref<SmallVector<Value>(Value col, bool inBounds,
                                                     ValueRange acc)> body) {
  bool inBounds = cols % kVec == 0;
  return e.loop(e.index(0), e.index(cols), e.index(kVec), inits,
                [&](Value c, ValueRange acc) { return body(c, inBounds, acc); });
}

struct EmbeddingLowering : OpConversionPattern<EmbeddingOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(EmbeddingOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Emitter e{rewriter, op.getLoc()};
    OpBuilder &b = rewriter;
    Location loc = op.getLoc();
    ValueRange table = adaptor.getTable();
    Value tokens = adaptor.getTokens().front();
    auto qtype = dyn_cast<QTensorType>(op.getTable().getType());
    Value data = table[0];
    int64_t vocab = cast<RankedTensorType>(data.getType()).getDimSize(0);
    int64_t cols = op.getResult().getType().getDimSize(1);

    Value result = emitRowParallel(
        e, e.dim(tokens, 0), op.getResult().getType(), [&](Value r, Value tile) {
          // id = clamp(tokens[r], 0, V - 1)
          Value id = tensor::ExtractOp::create(b, loc, tokens, ValueRange{r});
          id = arith::IndexCastOp::create(b, loc, b.getIndexType(), id);
          id = arith::MaxSIOp::create(b, loc, id, e.index(0));
          id = arith::MinSIOp::create(b, loc, id, e.index(vocab - 1));
          return rowChunks(e, cols, {tile},
                           [&](Value c, bool inBounds, ValueRange acc) -> SmallVector<Value> {
            Value v;
            if (!qtype) {
              v = readF32(e, data, ValueRange{id, c}, kVec, inBounds);
            } else {
              SchemeAttr s = qtype.getScheme();
              Value g = arith::DivUIOp::create(b, loc, c,
                                               e.index(groupCols(s, cols)));
              Value scale = readScale(e, table[1], indexerFor(s).at(e, id, g));
              v = dequantizeChunk(e, e.read(data, id, c, inBounds), s,
                                  broadcastScale(e, scale));
            }
            return {e.write(v, acc[0], e.index(0), c, inBounds)};
          })[0];
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct RmsNormLowering : OpConversionPattern<RmsNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RmsNormOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Emitter e{rewriter, op.getLoc()};
    OpBuilder &b = rewriter;
    Location loc = op.getLoc();
    Value x = adaptor.getInput().front(), w = adaptor.getWeight().front();
    int64_t cols = op.getInput().getType().getDimSize(1);
    auto f32Vec = VectorType::get({kVec}, b.getF32Type());
    Value zeroVec = e.splat(f32Vec, b.getF32FloatAttr(0.0f));

    Value result = emitRowParallel(
        e, e.dim(x, 0), op.getResult().getType(), [&](Value r, Value tile) {
          Value squares = rowChunks(e, cols, {zeroVec},
                                    [&](Value c, bool inBounds, ValueRange acc) -> SmallVector<Value> {
            Value v = e.read(x, r, c, inBounds);
            return {vector::FMAOp::create(b, loc, v, v, acc[0])};
          })[0];
          // s = 1 / sqrt(sum / D + eps)
          Value ss = e.reduce(vector::CombiningKind::ADD, squares);
          ss = arith::DivFOp::create(b, loc, ss, e.f32(float(cols)));
          ss = arith::AddFOp::create(b, loc, ss,
                                     e.f32(op.getEpsilon().convertToFloat()));
          Value scale = arith::DivFOp::create(b, loc, e.f32(1.0f),
                                              math::SqrtOp::create(b, loc, ss));
          Value scaleVec = vector::BroadcastOp::create(b, loc, f32Vec, scale);
          return rowChunks(e, cols, {tile},
                           [&](Value c, bool inBounds, ValueRange acc) -> SmallVector<Value> {
            Value v = arith::MulFOp::create(b, loc, scaleVec,
                                            e.read(x, r, c, inBounds));
            v = arith::MulFOp::create(b, loc, readF32(e, w, ValueRange{c}, kVec, inBounds), v);
            return {e.write(v, acc[0], e.index(0), c, inBounds)};
          })[0];
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// The rotation frequencies 1 / base^(2i / ropeDim), computed here as the
/// float reference computes them.
SmallVector<float> ropeFrequencies(float base, int64_t ropeDim) {
  SmallVector<float> freqs;
  for (int64_t i = 0; i < ropeDim / 2; ++i)
    freqs.push_back(1.0f / std::pow(base, float(2 * i) / float(ropeDim)));
  return freqs;
}

struct RopeLowering : OpConversionPattern<RopeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RopeOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Emitter e{rewriter, op.getLoc()};
    OpBuilder &b = rewriter;
    Location loc = op.getLoc();
    Value x = adaptor.getInput().front();
    Value position = adaptor.getPosition().front();
    int64_t cols = op.getInput().getType().getDimSize(1);
    int64_t headDim = op.getHeadDim(), ropeDim = op.getRopeDim();
    int64_t half = ropeDim / 2;
    auto halfType = VectorType::get({half}, b.getF32Type());
    Value freqs = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(
                    halfType, ArrayRef<float>(ropeFrequencies(
                                  op.getBase().convertToFloat(), ropeDim))));
    SmallVector<int64_t> evens, odds, interleave;
    for (int64_t i = 0; i < half; ++i) {
      evens.push_back(2 * i);
      odds.push_back(2 * i + 1);
      interleave.push_back(i);
      interleave.push_back(half + i);
    }

    Value result = emitRowParallel(
        e, e.dim(x, 0), op.getResult().getType(), [&](Value r, Value tile) {
          // The whole row first (the unrotated tail of each head included).
          tile = rowChunks(e, cols, {tile},
                           [&](Value c, bool inBounds, ValueRange acc) -> SmallVector<Value> {
            return {e.write(e.read(x, r, c, inBounds), acc[0], e.index(0), c,
                            inBounds)};
          })[0];
          Value p = arith::AddIOp::create(b, loc, position, r);
          Value pf = arith::SIToFPOp::create(
              b, loc, b.getF32Type(),
              arith::IndexCastOp::create(b, loc, b.getI64Type(), p));
          Value angles = arith::MulFOp::create(
              b, loc, vector::BroadcastOp::create(b, loc, halfType, pf), freqs);
          Value cos = math::CosOp::create(b, loc, angles);
          Value sin = math::SinOp::create(b, loc, angles);
          return e.loop(e.index(0), e.index(cols), e.index(headDim), {tile},
                        [&](Value c, ValueRange acc) -> SmallVector<Value> {
            Value v = vector::TransferReadOp::create(
                b, loc, VectorType::get({ropeDim}, b.getF32Type()), x,
                ValueRange{r, c}, e.f32(0.0f), ArrayRef<bool>{true});
            Value x0 = vector::ShuffleOp::create(b, loc, v, v, evens);
            Value x1 = vector::ShuffleOp::create(b, loc, v, v, odds);
            Value y0 = arith::SubFOp::create(b, loc,
                                             arith::MulFOp::create(b, loc, x0, cos),
                                             arith::MulFOp::create(b, loc, x1, sin));
            Value y1 = arith::AddFOp::create(b, loc,
                                             arith::MulFOp::create(b, loc, x0, sin),
                                             arith::MulFOp::create(b, loc, x1, cos));
            Value y = vector::ShuffleOp::create(b, loc, y0, y1, interleave);
            return {vector::TransferWriteOp::create(b, loc, y, acc[0],
                                                    ValueRange{e.index(0), c},
                                                    ArrayRef<bool>{true})
                        .getResult()};
          })[0];
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

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

/// Elementwise ops on rank-2 f32 tensors, row-parallel and 32 wide.
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

struct SiluMulLowering : OpConversionPattern<SiluMulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SiluMulOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Emitter e{rewriter, op.getLoc()};
    OpBuilder &b = rewriter;
    Location loc = op.getLoc();
    auto f32Vec = VectorType::get({kVec}, b.getF32Type());
    Value one = e.splat(f32Vec, b.getF32FloatAttr(1.0f));
    Value result = emitElementwise(
        e, op.getResult().getType(),
        {adaptor.getGate().front(), adaptor.getUp().front()},
        [&](ValueRange v) -> Value {
          // silu(g) * u = g / (1 + exp(-g)) * u
          Value denom = arith::AddFOp::create(
              b, loc, one,
              math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, v[0])));
          return arith::MulFOp::create(b, loc,
                                       arith::DivFOp::create(b, loc, v[0], denom),
                                       v[1]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// The tensor adds this pass lowers: rank-2 f32 with a static row length (the
/// residual connections). Other arith.addf ops are left alone.
bool isActivationAdd(arith::AddFOp op) {
  auto type = dyn_cast<RankedTensorType>(op.getType());
  return type && type.getRank() == 2 && !type.isDynamicDim(1) &&
         type.getElementType().isF32();
}

struct TensorAddLowering : OpConversionPattern<arith::AddFOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(arith::AddFOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (!isActivationAdd(op))
      return rewriter.notifyMatchFailure(op, "not a rank-2 f32 tensor add");
    auto type = cast<RankedTensorType>(op.getType());
    Emitter e{rewriter, op.getLoc()};
    Value result = emitElementwise(
        e, type, {adaptor.getLhs().front(), adaptor.getRhs().front()},
        [&](ValueRange v) -> Value {
          return arith::AddFOp::create(rewriter, op.getLoc(), v[0], v[1]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

struct LowerToVectorPass
    : public mlir::qnt::impl::LowerToVectorPassBase<LowerToVectorPass> {
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
    converter.addConversion([](Type t) { return t; });
    converter.addConversion(
        [](QTensorType t, SmallVectorImpl<Type> &results) -> LogicalResult {
          t.getComponentTypes(results);
          return success();
        });

    ConversionTarget target(*ctx);
    target.addIllegalDialect<QntDialect>();
    target.addLegalOp<DpbusdOp>(); // the kernel-level dot stays until after bufferization
    target.addLegalDialect<arith::ArithDialect, math::MathDialect,
                           scf::SCFDialect, tensor::TensorDialect,
                           vector::VectorDialect, LLVM::LLVMDialect>();
    target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp op) {
      return converter.isSignatureLegal(op.getFunctionType()) &&
             converter.isLegal(&op.getBody());
    });
    target.addDynamicallyLegalOp<func::ReturnOp, func::CallOp>(
        [&](Operation *op) { return converter.isLegal(op); });
    // The residual adds are lowered here too; other adds stay.
    target.addDynamicallyLegalOp<arith::AddFOp>(
        [](arith::AddFOp op) { return !isActivationAdd(op); });

    RewritePatternSet patterns(ctx);
    patterns.add<ConstantLowering, PackLowering, QuantizeLowering,
                 DequantizeLowering>(converter, ctx);
    patterns.add<MatmulLowering>(converter, ctx, vnni, tileCols);
    patterns.add<FloatLinearLowering>(converter, ctx, tileCols);
    patterns.add<EmbeddingLowering, RmsNormLowering, RopeLowering,
                 AttentionLowering, SiluMulLowering, TensorAddLowering>(
        converter, ctx);
    populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns,
                                                                   converter);
    populateReturnOpTypeConversionPattern(patterns, converter);
    populateCallOpTypeConversionPattern(patterns, converter);
    scf::populateSCFStructuralTypeConversionsAndLegality(converter, patterns,
                                                         target);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace

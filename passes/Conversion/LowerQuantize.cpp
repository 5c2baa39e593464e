//===- LowerQuantize.cpp - Quantized values to vector loops -------*- C++ -*-===//
//
// The quantize family of --qnt-lower-to-vector: where quantized values come
// from and how they are taken apart.
//
// quantize   one parallel task per row (per_block, per_token); per group
//              amax = max |x|  (32-wide vector max-reductions)
//              d = amax / 127, id = d ? 1/d : 0, q = round(x * id)
//            or, with static_scales, d from them and
//              q = round(clamp(x * (1/d), -127, 127))
//            the rule of qnt/Math/Quant.h, vector for vector, so the compiled
//            code and the library agree to the bit. A padded layout's columns
//            past the row are written as 0. per_tensor is one sequential
//            group over every row.
// dequantize x = scale * q, 32 wide (row-major tensors).
// constant, pack, unpack: a quantized value is its components.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/VectorEmitter.h"

#include "dialects/qnt/QntOps.h"

#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace qnt;
using namespace qnt::lowering;

namespace {

struct ConstantLowering : OpConversionPattern<ConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConstantOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    SmallVector<Value> parts;
    for (ElementsAttr part : op.getComponents())
      parts.push_back(arith::ConstantOp::create(rewriter, op.getLoc(),
                                                cast<TypedAttr>(part)));
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

/// The components of a quantized value are what it was lowered to.
struct UnpackLowering : OpConversionPattern<UnpackOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(UnpackOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, adaptor.getInput());
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
    Value x = adaptor.getInput().front();
    Value rows = e.dim(x, 0);
    if (type.getScheme().getGranularity() == Granularity::PerTensor) {
      rewriter.replaceOpWithMultiple(op, {quantizeTensor(e, type, x, rows)});
      return success();
    }
    rewriter.replaceOpWithMultiple(
        op, {emitQuantizedRows(e, type, rows,
                               [&](Value r) -> std::function<Value(Value, bool)> {
                                 return [&, r](Value col, bool inBounds) {
                                   return e.read(x, r, col, inBounds);
                                 };
                               },
                               op.getStaticScalesAttr())});
    return success();
  }

  /// One group spanning every row: a sequential two-pass loop.
  static SmallVector<Value> quantizeTensor(Emitter &e, QTensorType type,
                                           Value x, Value rows) {
    OpBuilder &b = e.b;
    Location loc = e.loc;
    SchemeAttr s = type.getScheme();
    int64_t cols = type.getShape()[1];
    bool inBounds = cols % kVec == 0;
    Value zero = e.index(0), one = e.index(1), step = e.index(kVec);
    Value data = e.empty(type.getDataType().getShape(), b.getI8Type(),
                         {rows, e.index(cols)});
    Value amax = e.loop(
        zero, rows, one, {e.f32(0.0f)},
        [&](Value r, ValueRange a) -> SmallVector<Value> {
          return {e.loop(zero, e.index(cols), step, a,
                         [&](Value c, ValueRange a2) -> SmallVector<Value> {
                           Value m =
                               e.reduce(vector::CombiningKind::MAXNUMF,
                                        mlir::math::AbsFOp::create(
                                            b, loc, e.read(x, r, c, inBounds)));
                           return {arith::MaxNumFOp::create(b, loc, a2[0], m)};
                         })[0]};
        })[0];
    ScaleAndInverse d = scaleFromAmax(e, s, amax);
    ValueRange res = e.loop(
        zero, rows, one, {data, e.i32(0)},
        [&](Value r, ValueRange acc) -> SmallVector<Value> {
          return e.loop(zero, e.index(cols), step, acc,
                        [&](Value c, ValueRange acc2) -> SmallVector<Value> {
            Value q = quantizeChunk(e, s, e.read(x, r, c, inBounds), d.inverse);
            Value sum = s.getSums() ? e.add(acc2[1], chunkSum(e, q)) : acc2[1];
            return {e.write(storedChunk(e, s, q), acc2[0], r, c, inBounds), sum};
          });
        });
    auto scalar = [&](Value v, Type elementType) -> Value {
      Value t = e.empty({1, 1}, elementType, {});
      return tensor::InsertOp::create(b, loc, v, t, ValueRange{zero, zero});
    };
    SmallVector<Value> parts = {res[0], scalar(d.scale, s.getScale())};
    if (s.getSums())
      parts.push_back(scalar(res[1], b.getI32Type()));
    return parts;
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

} // namespace

void qnt::lowering::populateQuantizeLoweringPatterns(
    const TypeConverter &converter, RewritePatternSet &patterns) {
  patterns.add<ConstantLowering, PackLowering, UnpackLowering, QuantizeLowering,
               DequantizeLowering>(converter, patterns.getContext());
}

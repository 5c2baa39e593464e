//===- LowerLayers.cpp - Transformer layers to vector loops -------*- C++ -*-===//
//
// The layer family of --qnt-lower-to-vector: the row-wise ops of a
// Transformer block, each one parallel task per row, 32 wide along it.
//
// embedding  row t = table[clamp(tokens[t])], dequantized if quantized.
// rms_norm   w * x / sqrt(mean(x^2) + eps); quantized as it is computed when
//            its result is a !qnt.tensor (--qnt-fuse), the float never
//            written.
// rope       adjacent pairs turned with shuffles; the frequencies constant.
// silu_mul   g / (1 + exp(-g)) * u; quantized as computed, like rms_norm.
// addf       the residual adds, elementwise.
// linear     a float linear layer (weights kept float): one parallel task
//            per tile of output columns, a 32-wide fused multiply-add dot
//            per output.
//
//===----------------------------------------------------------------------===//

#include "passes/Conversion/VectorEmitter.h"

#include "dialects/qnt/QntOps.h"

#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>

using namespace mlir;
using namespace qnt;
using namespace qnt::lowering;

namespace {

/// The 32 values at column c of row `id` of a 4-bit table (a GGML Q4_0,
/// Q4_1 or Q4_K table kept as it is; 32 is its group): 16 bytes, values 2j
/// and 2j + 1 in the low and high nibbles of byte j, dequantized as ggml
/// does: scale * (u - 8), or scale * u + min, where a two-level scale is the
/// byte times its super-block's factor (exact products).
Value gatherNibbles(Emitter &e, ValueRange table, SchemeAttr s, Value id,
                    Value c, bool inBounds) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  Type i8 = b.getI8Type(), f32 = b.getF32Type();
  auto bytesType = VectorType::get({kVec / 2}, i8);
  auto f32Vec = VectorType::get({kVec}, f32);
  Value bytes = vector::TransferReadOp::create(
      b, loc, bytesType, table[0],
      ValueRange{id, arith::DivUIOp::create(b, loc, c, e.index(2))},
      arith::ConstantOp::create(b, loc, b.getI8IntegerAttr(0)),
      ArrayRef<bool>{inBounds});
  Value lo = arith::AndIOp::create(b, loc, bytes,
                                   e.splat(bytesType, b.getI8IntegerAttr(0x0F)));
  Value hi = arith::ShRUIOp::create(b, loc, bytes,
                                    e.splat(bytesType, b.getI8IntegerAttr(4)));
  Value u = vector::InterleaveOp::create(b, loc, lo, hi);
  Value f = arith::UIToFPOp::create(b, loc, f32Vec, u);
  if (s.getOffset())
    f = arith::SubFOp::create(b, loc, f,
                              e.splat(f32Vec, b.getF32FloatAttr(float(s.getOffset()))));
  Value g = arith::DivUIOp::create(b, loc, c, e.index(s.getBlock()));
  // A component's factor of group g: as stored, or byte times super factor.
  auto factor = [&](Value component, Value super) -> Value {
    Value x = tensor::ExtractOp::create(b, loc, component, ValueRange{id, g});
    if (!super)
      return x.getType().isF32() ? x : Value(arith::ExtFOp::create(b, loc, f32, x));
    x = arith::SIToFPOp::create(b, loc, f32, x); // bytes are int8
    Value gs = arith::DivUIOp::create(b, loc, g, e.index(s.getSuperRatio()));
    Value d = tensor::ExtractOp::create(b, loc, super, ValueRange{id, gs});
    if (!d.getType().isF32())
      d = arith::ExtFOp::create(b, loc, f32, d);
    return arith::MulFOp::create(b, loc, x, d);
  };
  bool supers = s.getSuperBlock() != 0;
  Value scale = factor(table[1], supers ? table[3] : Value());
  Value v = arith::MulFOp::create(b, loc, f, broadcastScale(e, scale));
  if (s.getMins())
    v = arith::AddFOp::create(
        b, loc, v, broadcastScale(e, factor(table[2], supers ? table[4] : Value())));
  return v;
}

/// What a gather reads of a table in a linear's tiled layout, from its
/// components or from its records (#qnt.layout's records): k0 bytes of a
/// channel in a data row, and one channel's value of a per-group (or
/// per-super-block) component.
struct TiledTable {
  Emitter &e;
  ValueRange table;
  QTensorType type;
  std::vector<::qnt::math::RecordPart> parts = type.getRecordParts();
  ::qnt::math::RecordLayout records =
      type.hasRecords() ? type.getRecordLayout() : ::qnt::math::RecordLayout();

  Value index(int64_t v) { return e.index(v); }
  Value div(Value x, int64_t d) {
    return arith::DivUIOp::create(e.b, e.loc, x, index(d));
  }
  Value rem(Value x, int64_t d) {
    return arith::RemUIOp::create(e.b, e.loc, x, index(d));
  }
  Value add(Value x, Value y) {
    return arith::AddIOp::create(e.b, e.loc, x, y);
  }
  Value mul(Value x, int64_t y) {
    return arith::MulIOp::create(e.b, e.loc, x, index(y));
  }

  /// The k0 bytes of channel i in data row `row` of tile t.
  Value word(Value t, Value row, Value i) {
    OpBuilder &b = e.b;
    int64_t k0 = type.getLayout().getK0(), n0 = type.getLayout().getN0();
    auto wordType = VectorType::get({k0}, b.getI8Type());
    Value zero = arith::ConstantOp::create(b, e.loc, b.getI8IntegerAttr(0));
    if (!type.hasRecords())
      return vector::TransferReadOp::create(b, e.loc, wordType, table[0],
                                            ValueRange{t, row, i, index(0)},
                                            zero, ArrayRef<bool>{true});
    // A record holds the rows of its groups one after the other.
    int64_t recordRows = records.groups * parts[0].unitBytes / (n0 * k0);
    Value col = add(mul(rem(row, recordRows), n0 * k0), mul(i, k0));
    return vector::TransferReadOp::create(
        b, e.loc, wordType, table[0], ValueRange{t, div(row, recordRows), col},
        zero, ArrayRef<bool>{true});
  }

  /// Channel i's value of component `part` (in the plain components' order)
  /// for group g of tile t, as f32 (bytes are signed).
  Value factor(int64_t part, Value t, Value g, Value i, Type element) {
    OpBuilder &b = e.b;
    Location loc = e.loc;
    const ::qnt::math::RecordPart &p = parts[part];
    Value v;
    if (!type.hasRecords()) {
      v = tensor::ExtractOp::create(b, loc, table[part],
                                    ValueRange{t, div(g, p.unitGroups), i});
    } else {
      int64_t bytes = element.getIntOrFloatBitWidth() / 8;
      Value unit = div(rem(g, records.groups), p.unitGroups);
      Value col = add(add(index(records.offsets[part]), mul(unit, p.unitBytes)),
                      mul(i, bytes));
      Value raw = vector::TransferReadOp::create(
          b, loc, VectorType::get({bytes}, b.getI8Type()), table[0],
          ValueRange{t, div(g, records.groups), col},
          arith::ConstantOp::create(b, loc, b.getI8IntegerAttr(0)),
          ArrayRef<bool>{true});
      v = vector::ExtractOp::create(
          b, loc,
          vector::BitCastOp::create(b, loc, VectorType::get({1}, element), raw),
          ArrayRef<int64_t>{0});
    }
    if (v.getType().isInteger(8))
      return arith::SIToFPOp::create(b, loc, b.getF32Type(), v);
    if (!v.getType().isF32())
      return arith::ExtFOp::create(b, loc, b.getF32Type(), v);
    return v;
  }
};

/// The 32 values at column c of row `id` of an 8-bit table in the tiled
/// layout of a linear's weight (a tied output head read as the embedding):
/// the row is channel id % n0 of row tile id / n0, 4 bytes a step, so the
/// 32 values are 8 reads of 4 bytes, dequantized as the row-major form is.
Value gatherTiled(Emitter &e, ValueRange table, QTensorType type, Value id,
                  Value c) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  SchemeAttr s = type.getScheme();
  LayoutAttr layout = type.getLayout();
  int64_t k0 = layout.getK0();
  Type i8 = b.getI8Type();
  Value t = arith::DivUIOp::create(b, loc, id, e.index(layout.getN0()));
  Value i = arith::RemUIOp::create(b, loc, id, e.index(layout.getN0()));
  Value step0 = arith::DivUIOp::create(b, loc, c, e.index(k0));
  Value zero = arith::ConstantOp::create(b, loc, b.getI8IntegerAttr(0));
  auto chunkType = VectorType::get({kVec}, i8);
  Value q = e.splat(chunkType, b.getI8IntegerAttr(0));
  TiledTable tiled{e, table, type};
  for (int64_t step = 0; step < kVec / k0; ++step) {
    Value at = arith::AddIOp::create(b, loc, step0, e.index(step));
    q = vector::InsertStridedSliceOp::create(b, loc, tiled.word(t, at, i), q,
                                             ArrayRef<int64_t>{step * k0},
                                             ArrayRef<int64_t>{1});
  }
  Value g = arith::DivUIOp::create(b, loc, c, e.index(groupCols(s, type.getStoredCols())));
  Value scale = tiled.factor(1, t, g, i, type.getScalesType().getElementType());
  return dequantizeChunk(e, q, s, broadcastScale(e, scale));
}

/// The 32 values at column c of row `id` of a 6-bit table in a linear's
/// tiled layout (a tied Q6_K output head): two groups of four steps, each
/// three rows of 4 bytes (two of nibbles, one of high bits), joined into
/// u = q + 32 and dequantized per group of 16 as the micro-kernel scales:
/// (u - 32) * (sc * d).
Value gatherTiledSix(Emitter &e, ValueRange table, QTensorType type, Value id,
                     Value c) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  SchemeAttr s = type.getScheme();
  LayoutAttr layout = type.getLayout();
  int64_t k0 = layout.getK0(), block = s.getBlock();
  Type i8 = b.getI8Type(), f32 = b.getF32Type();
  auto wordType = VectorType::get({k0}, i8);
  auto half = VectorType::get({kVec / 2}, f32);
  Value t = arith::DivUIOp::create(b, loc, id, e.index(layout.getN0()));
  Value i = arith::RemUIOp::create(b, loc, id, e.index(layout.getN0()));
  Value g0 = arith::DivUIOp::create(b, loc, c, e.index(block));
  Value zero = arith::ConstantOp::create(b, loc, b.getI8IntegerAttr(0));
  auto bytes = [&](int v) { return e.splat(wordType, b.getI8IntegerAttr(v)); };
  Value u = e.splat(VectorType::get({kVec}, i8), b.getI8IntegerAttr(0));
  Value scales = e.splat(VectorType::get({kVec}, f32), b.getF32FloatAttr(0.0f));
  TiledTable tiled{e, table, type};
  for (int64_t h = 0; h < kVec / block; ++h) {
    Value g = arith::AddIOp::create(b, loc, g0, e.index(h));
    Value row = arith::MulIOp::create(b, loc, g, e.index(3));
    SmallVector<Value> rows;
    for (int64_t r = 0; r < 3; ++r)
      rows.push_back(
          tiled.word(t, arith::AddIOp::create(b, loc, row, e.index(r)), i));
    for (int64_t st = 0; st < 4; ++st) {
      Value nib = rows[st / 2];
      Value lo = st % 2 ? Value(arith::ShRUIOp::create(b, loc, nib, bytes(4)))
                        : Value(arith::AndIOp::create(b, loc, nib, bytes(0x0F)));
      Value hi = rows[2];
      if (st)
        hi = arith::ShRUIOp::create(b, loc, hi, bytes(2 * st));
      hi = arith::ShLIOp::create(b, loc, arith::AndIOp::create(b, loc, hi, bytes(3)),
                                 bytes(4));
      u = vector::InsertStridedSliceOp::create(
          b, loc, arith::OrIOp::create(b, loc, lo, hi), u,
          ArrayRef<int64_t>{(h * 4 + st) * k0}, ArrayRef<int64_t>{1});
    }
    // sc (int8) * d of the group's super-block.
    Value sc = tiled.factor(1, t, g, i, i8);
    Value d = tiled.factor(2, t, g, i, type.getSuperType().getElementType());
    scales = vector::InsertStridedSliceOp::create(
        b, loc,
        vector::BroadcastOp::create(b, loc, half,
                                    arith::MulFOp::create(b, loc, sc, d)),
        scales, ArrayRef<int64_t>{h * block}, ArrayRef<int64_t>{1});
  }
  auto f32Vec = VectorType::get({kVec}, f32);
  Value f = arith::SubFOp::create(b, loc, arith::UIToFPOp::create(b, loc, f32Vec, u),
                                  e.splat(f32Vec, b.getF32FloatAttr(32.0f)));
  return arith::MulFOp::create(b, loc, f, scales);
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
    // Rows of the table (the data's rows, but for tiles: its row tiles).
    int64_t vocab = qtype ? qtype.getShape()[0]
                          : cast<RankedTensorType>(data.getType()).getDimSize(0);
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
            } else if (qtype.isTiled() && qtype.getScheme().getBits() == 6) {
              v = gatherTiledSix(e, table, qtype, id, c);
            } else if (qtype.isTiled()) {
              v = gatherTiled(e, table, qtype, id, c);
            } else if (qtype.getScheme().getBits() == 4) {
              v = gatherNibbles(e, table, qtype.getScheme(), id, c, inBounds);
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

/// x * (1 / sqrt(mean(x^2) + eps)) * w, row by row; with a quantized result,
/// each row quantized as it is normalized (the float row is never written).
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

    // s = 1 / sqrt(sum(x^2) / D + eps) of row r, 32 wide.
    auto rowScale = [&](Value r) -> Value {
      Value squares = rowChunks(e, cols, {zeroVec},
                                [&](Value c, bool inBounds, ValueRange acc) -> SmallVector<Value> {
        Value v = e.read(x, r, c, inBounds);
        return {vector::FMAOp::create(b, loc, v, v, acc[0])};
      })[0];
      Value ss = e.reduce(vector::CombiningKind::ADD, squares);
      ss = arith::DivFOp::create(b, loc, ss, e.f32(float(cols)));
      ss = arith::AddFOp::create(b, loc, ss, e.f32(op.getEpsilon().convertToFloat()));
      Value scale = arith::DivFOp::create(
          b, loc, e.f32(1.0f), mlir::math::SqrtOp::create(b, loc, ss));
      return vector::BroadcastOp::create(b, loc, f32Vec, scale);
    };
    // The normalized chunk at column c: w * (s * x).
    auto normalized = [&](Value r, Value scaleVec, Value c, bool inBounds) -> Value {
      Value v = arith::MulFOp::create(b, loc, scaleVec, e.read(x, r, c, inBounds));
      return arith::MulFOp::create(b, loc, readF32(e, w, ValueRange{c}, kVec, inBounds), v);
    };

    if (auto qtype = dyn_cast<QTensorType>(op.getResult().getType())) {
      // The row's scale first, once per task, then its chunks.
      rewriter.replaceOpWithMultiple(
          op, {emitQuantizedRows(
                  e, qtype, e.dim(x, 0),
                  [&](Value r) -> std::function<Value(Value, bool)> {
                    Value scaleVec = rowScale(r);
                    return [&, r, scaleVec](Value c, bool inBounds) {
                      return normalized(r, scaleVec, c, inBounds);
                    };
                  },
                  op.getStaticScalesAttr())});
      return success();
    }
    Value result = emitRowParallel(
        e, e.dim(x, 0), cast<RankedTensorType>(op.getResult().getType()),
        [&](Value r, Value tile) {
          Value scaleVec = rowScale(r);
          return rowChunks(e, cols, {tile},
                           [&](Value c, bool inBounds, ValueRange acc) -> SmallVector<Value> {
            return {e.write(normalized(r, scaleVec, c, inBounds), acc[0], e.index(0),
                            c, inBounds)};
          })[0];
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// The rotation frequencies 1 / base^(2i / ropeDim), each divided by its
/// factor if there are factors, computed here as the float reference
/// computes them.
SmallVector<float> ropeFrequencies(float base, int64_t ropeDim,
                                   std::optional<ArrayRef<float>> factors) {
  SmallVector<float> freqs;
  for (int64_t i = 0; i < ropeDim / 2; ++i) {
    float f = 1.0f / std::pow(base, float(2 * i) / float(ropeDim));
    freqs.push_back(factors ? f / (*factors)[i] : f);
  }
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
                                  op.getBase().convertToFloat(), ropeDim,
                                  op.getFactors()))));
    // The two members of each rotated pair, and where the results go back:
    // adjacent (x[2i], x[2i+1]), or halves (x[i], x[i + half]) with neox.
    SmallVector<int64_t> evens, odds, interleave;
    for (int64_t i = 0; i < half; ++i) {
      evens.push_back(op.getNeox() ? i : 2 * i);
      odds.push_back(op.getNeox() ? half + i : 2 * i + 1);
    }
    for (int64_t i = 0; i < half; ++i) {
      if (op.getNeox()) {
        interleave.push_back(i);
      } else {
        interleave.push_back(i);
        interleave.push_back(half + i);
      }
    }
    if (op.getNeox())
      for (int64_t i = 0; i < half; ++i)
        interleave.push_back(half + i);

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
          Value cos = mlir::math::CosOp::create(b, loc, angles);
          Value sin = mlir::math::SinOp::create(b, loc, angles);
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

/// silu(g) * u = g / (1 + exp(-g)) * u; with a quantized result, quantized
/// as it is computed.
struct SiluMulLowering : OpConversionPattern<SiluMulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SiluMulOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Emitter e{rewriter, op.getLoc()};
    OpBuilder &b = rewriter;
    Location loc = op.getLoc();
    auto f32Vec = VectorType::get({kVec}, b.getF32Type());
    Value gate = adaptor.getGate().front(), up = adaptor.getUp().front();
    auto siluMul = [&](Value g, Value u) -> Value {
      Value one = e.splat(f32Vec, b.getF32FloatAttr(1.0f));
      Value denom = arith::AddFOp::create(
          b, loc, one,
          mlir::math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, g)));
      return arith::MulFOp::create(b, loc, arith::DivFOp::create(b, loc, g, denom), u);
    };
    if (auto qtype = dyn_cast<QTensorType>(op.getResult().getType())) {
      rewriter.replaceOpWithMultiple(
          op, {emitQuantizedRows(
                  e, qtype, e.dim(gate, 0),
                  [&](Value r) -> std::function<Value(Value, bool)> {
                    return [&, r](Value c, bool inBounds) {
                      return siluMul(e.read(gate, r, c, inBounds),
                                     e.read(up, r, c, inBounds));
                    };
                  },
                  op.getStaticScalesAttr())});
      return success();
    }
    Value result = emitElementwise(
        e, cast<RankedTensorType>(op.getResult().getType()), {gate, up},
        [&](ValueRange v) -> Value { return siluMul(v[0], v[1]); });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// input[t] + bias, a row at a time.
struct BiasAddLowering : OpConversionPattern<BiasAddOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(BiasAddOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Emitter e{rewriter, op.getLoc()};
    Value x = adaptor.getInput().front(), bias = adaptor.getBias().front();
    int64_t cols = op.getInput().getType().getDimSize(1);
    Value result = emitRowParallel(
        e, e.dim(x, 0), op.getResult().getType(), [&](Value r, Value tile) {
          return rowChunks(e, cols, {tile},
                           [&](Value c, bool inBounds, ValueRange acc) -> SmallVector<Value> {
            Value v = arith::AddFOp::create(
                rewriter, op.getLoc(), e.read(x, r, c, inBounds),
                readF32(e, bias, ValueRange{c}, kVec, inBounds));
            return {e.write(v, acc[0], e.index(0), c, inBounds)};
          })[0];
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

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

/// Keys and values rounded to an f16 cache as they are written: a rank-2
/// tensor truncf, 32 values a step (vcvtps2ph where the target has F16C).
struct TensorTruncLowering : OpConversionPattern<arith::TruncFOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(arith::TruncFOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (!isActivationTrunc(op))
      return rewriter.notifyMatchFailure(op, "not a rank-2 f32 tensor truncf");
    auto type = cast<RankedTensorType>(op.getType());
    auto vecType = VectorType::get({kVec}, type.getElementType());
    Emitter e{rewriter, op.getLoc()};
    Value result = emitElementwise(
        e, type, {adaptor.getIn().front()}, [&](ValueRange v) -> Value {
          return arith::TruncFOp::create(rewriter, op.getLoc(), vecType, v[0]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// The loop nest of the float linear: one parallel task per tile of
/// `tileCols` output columns; each task computes out[m, n] = dot(m, n) for
/// every row m and column n of its tile.
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

} // namespace

bool qnt::lowering::isActivationAdd(arith::AddFOp op) {
  auto type = dyn_cast<RankedTensorType>(op.getType());
  return type && type.getRank() == 2 && !type.isDynamicDim(1) &&
         type.getElementType().isF32();
}

bool qnt::lowering::isActivationTrunc(arith::TruncFOp op) {
  auto type = dyn_cast<RankedTensorType>(op.getType());
  auto in = dyn_cast<RankedTensorType>(op.getIn().getType());
  return type && in && type.getRank() == 2 && !type.isDynamicDim(1) &&
         in.getElementType().isF32() && type.getElementType().isF16();
}

void qnt::lowering::populateLayerLoweringPatterns(
    const TypeConverter &converter, RewritePatternSet &patterns,
    int64_t tileCols) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<EmbeddingLowering, RmsNormLowering, RopeLowering,
               SiluMulLowering, BiasAddLowering, TensorAddLowering,
               TensorTruncLowering>(converter, ctx);
  patterns.add<FloatLinearLowering>(converter, ctx, tileCols);
}

//===- VectorEmitter.h - Builders shared by the vector lowerings -*- C++ -*-===//
//
// The small vocabulary the kernels are written in: loops on tensors
// (scf.forall with shared outputs, scf.for with iter_args), 32-wide vector
// reads and writes along a row, scales read as f32, and the quantization of a
// row as qnt/Math/Quant.h computes it. Used by the LowerQuantize,
// LowerLayers and LowerAttention families of --qnt-lower-to-vector.
//
//===----------------------------------------------------------------------===//

#ifndef QNT_PASSES_CONVERSION_VECTOREMITTER_H
#define QNT_PASSES_CONVERSION_VECTOREMITTER_H

#include "dialects/qnt/QntDialect.h"
#include "qnt/Support/MLIR.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/Transforms/DialectConversion.h"

#include <functional>

namespace qnt::lowering {

/// Elements per vector step along a row: one Q8_0 block.
constexpr int64_t kVec = 32;

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
  /// The reduction of `vec` by `kind`. A float minimum or maximum is exact
  /// in any order, so it is a tree of elementwise ops on halves (log2 n
  /// vector ops): LLVM expands vector.reduction <maxnumf> and <maximumf>
  /// without fast-math flags into a scalar op and NaN check per lane (62
  /// instructions for 16 lanes of maxnum with AVX-512, 18 as this tree).
  Value reduce(vector::CombiningKind kind, Value vec);
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
ScaleIndexer indexerFor(SchemeAttr s);

/// Reads a scale as f32.
Value readScale(Emitter &e, Value scales, std::pair<Value, Value> at);
/// The byte pattern that flips i8 <-> u8 offset 128, 32 wide.
Value signFlip(Emitter &e);
/// A read of `width` elements along the last axis at `indices`, as f32.
Value readF32(Emitter &e, Value tensor, ValueRange indices, int64_t width,
              bool inBounds);
/// A scale as a 32-wide vector.
Value broadcastScale(Emitter &e, Value scale);
/// scale * q for a 32-wide chunk of quantized data (the scale broadcast), as
/// f32.
Value dequantizeChunk(Emitter &e, Value q, SchemeAttr s, Value scaleVec);
/// Columns sharing a scale within a row of a [rows, cols] operand.
int64_t groupCols(SchemeAttr s, int64_t cols);

/// A parallel loop over [0, count) with shared outputs `outs`; `body`
/// returns, for each shared output, the tile to insert and its offsets and
/// sizes.
struct TileInsert {
  Value tile;
  SmallVector<OpFoldResult> offsets, sizes;
};
scf::ForallOp parallelLoop(
    Emitter &e, Value count, ValueRange outs,
    function_ref<SmallVector<TileInsert>(Value iv, ValueRange outArgs)> body);

/// tensor.extract_slice with unit strides.
Value slice(Emitter &e, Value source, ArrayRef<OpFoldResult> offsets,
            ArrayRef<OpFoldResult> sizes);

/// One parallel task per row of a [rows, cols] f32 result; `body` fills the
/// row's [1, cols] tile and returns it.
Value emitRowParallel(Emitter &e, Value rows, RankedTensorType resultType,
                      function_ref<Value(Value row, Value tile)> body);

/// Walks a row of `cols` values in 32-wide steps (the last one masked when
/// cols is not a multiple of 32), carrying `inits`.
ValueRange rowChunks(Emitter &e, int64_t cols, ValueRange inits,
                     function_ref<SmallVector<Value>(Value col, bool inBounds,
                                                     ValueRange acc)> body);

/// A quantization scale as stored (f16 or f32) and the f32 inverse id that
/// q = round(x * id) multiplies by, broadcast 32 wide.
struct ScaleAndInverse {
  Value scale, inverse;
};
/// A scale d (f32) as stored and its inverse, id = d != 0 ? 1 / d : 0.
ScaleAndInverse scaleOf(Emitter &e, SchemeAttr s, Value d);
/// d = amax / qmax, id = d != 0 ? 1 / d : 0: GGML's rule (qnt/Math/Quant.h).
ScaleAndInverse scaleFromAmax(Emitter &e, SchemeAttr s, Value amax);
/// q = round(y * id) of a 32-wide f32 chunk, as i8 (signed); with
/// `saturate` (static scales), y * id is clamped to [-qmax, qmax] first.
Value quantizeChunk(Emitter &e, SchemeAttr s, Value y, Value idVec,
                    bool saturate = false);
/// The scale of an asymmetric group (its range [lo, hi], holding 0) and its
/// zero point: z = round(-qmax - lo * id), as a splat f32 and as the i32
/// stored (qnt/Math/Quant.h).
struct AsymmetricScale {
  ScaleAndInverse scale;
  Value zeroVec;
  Value zeroPoint;
};
AsymmetricScale scaleFromRange(Emitter &e, SchemeAttr s, Value lo, Value hi);
/// q = clamp(round(y * id) + z, -qmax, qmax) of a 32-wide f32 chunk, as i8.
Value quantizeChunkAsymmetric(Emitter &e, SchemeAttr s, Value y,
                              const AsymmetricScale &a);
/// q in the scheme's storage (q + 128 for u8_offset128).
Value storedChunk(Emitter &e, SchemeAttr s, Value q);
/// The i32 sum of a 32-wide chunk of signed q.
Value chunkSum(Emitter &e, Value q);

/// The 32 values of a row starting at column `col`: what a producer computes
/// before quantization (a plain read for qnt.quantize, x * s * w for a fused
/// RMSNorm, ...). `inBounds` is false where the row ends within them: the
/// values past its end must read as 0.
using RowProducer = function_ref<Value(Value col, bool inBounds)>;

/// The components of row `row` of a quantized [rows, cols] activation of
/// type `type` (per_block or per_token, row-major, padded by its layout),
/// written into 1-row tiles of its data, scales and sums: amax per group,
/// d = amax / 127, q = round(y * (d ? 1/d : 0)), the scale stored at its
/// precision and the sum of q where the scheme keeps it. Values are produced
/// twice (for amax, then for q) when a group spans more than one vector.
/// With `staticScales` (a tensor<1 x groups x f32>), group g takes d from it,
/// saturating, and no amax is computed. An asymmetric scheme takes each
/// group's range instead of its amax, and writes its zero point too.
SmallVector<Value> quantizeRow(Emitter &e, QTensorType type, RowProducer produce,
                               ValueRange rowTiles, Value staticScales = {});

/// What a row task computes once before its chunks (a norm's scale), then
/// its chunks from it.
using RowSetup =
    function_ref<std::function<Value(Value col, bool inBounds)>(Value row)>;

/// Empty [rows, cols] tensors of `types` (rank 2, the rows dynamic): the
/// outputs of a row-parallel op, e.g. a quantized tensor's components.
SmallVector<Value> emptyRows(Emitter &e, TypeRange types, Value rows);

/// The quantized form of a [rows, cols] activation produced row by row:
/// one parallel task per row, quantizeRow in each (with the producer `setup`
/// makes for the row); the components of `type`. `staticScales` (an op's
/// static_scales attribute, or null) fixes the scales.
SmallVector<Value> emitQuantizedRows(Emitter &e, QTensorType type, Value rows,
                                     RowSetup setup,
                                     DenseElementsAttr staticScales = {});

/// Elementwise ops on rank-2 f32 tensors, row-parallel and 32 wide.
Value emitElementwise(Emitter &e, RankedTensorType type, ValueRange inputs,
                      function_ref<Value(ValueRange)> combine);

//===----------------------------------------------------------------------===//
// The families of --qnt-lower-to-vector
//===----------------------------------------------------------------------===//

/// qnt.quantize, qnt.dequantize, qnt.constant, qnt.pack, qnt.unpack.
void populateQuantizeLoweringPatterns(const TypeConverter &converter,
                                      RewritePatternSet &patterns);
/// qnt.embedding, qnt.rms_norm, qnt.rope, qnt.silu_mul, float qnt.linear and
/// the residual arith.addf (isActivationAdd) and the f16 cache's truncf
/// (isActivationTrunc).
void populateLayerLoweringPatterns(const TypeConverter &converter,
                                   RewritePatternSet &patterns,
                                   int64_t tileCols);
/// qnt.attention.
void populateAttentionLoweringPatterns(const TypeConverter &converter,
                                       RewritePatternSet &patterns);

/// The tensor adds --qnt-lower-to-vector lowers: rank-2 f32 with a static row
/// length (the residual connections). Other arith.addf ops are left alone.
bool isActivationAdd(arith::AddFOp op);
/// The tensor truncf it lowers: rank-2 f32 -> f16 with a static row length
/// (keys and values written to an f16 KV cache).
bool isActivationTrunc(arith::TruncFOp op);

} // namespace qnt::lowering

#endif // QNT_PASSES_CONVERSION_VECTOREMITTER_H

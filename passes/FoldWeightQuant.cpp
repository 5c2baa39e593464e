//===- FoldWeightQuant.cpp - Quantize constant weights at compile time ----===//
//
// A qnt.linear whose weight is a compile-time constant gets the weight
// quantized now, by qnt::math::quantize (the same code the runtime tests and
// references use), and stored as a qnt.constant of dense_resource blobs in the
// layout the kernels read.
//
// Rule for reduction sizes the block does not divide (stories260K's FFN of
// 172): such a weight is quantized per channel (one scale per output row), so
// every weight stays int8 and no padding leaks into the model.
//
// A weight that arrives quantized, qnt.dequantize of a qnt.constant, keeps its
// integers and scales: only the storage changes (i8 <-> u8 offset 128, a flip
// of the top bit).
//
// A weight attribute is quantized once, however many linears read it; the
// keep-float option leaves chosen layers in float.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/qnt/QntOps.h"
#include "qnt/Math/Quant.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cstring>

namespace mlir::qnt {
#define GEN_PASS_DEF_FOLDWEIGHTQUANTPASS
#include "passes/Passes.h.inc"
} // namespace mlir::qnt

using namespace mlir;
using namespace mlir::qnt;

//===----------------------------------------------------------------------===//
// Reading and writing elements attributes
//===----------------------------------------------------------------------===//

/// The raw bytes behind a dense or dense_resource attribute, or empty.
static ArrayRef<char> rawBytes(ElementsAttr attr) {
  if (auto dense = dyn_cast<DenseElementsAttr>(attr))
    if (!dense.isSplat())
      return dense.getRawData();
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr))
    if (AsmResourceBlob *blob = resource.getRawHandle().getBlob())
      return blob->getData();
  return {};
}

bool mlir::qnt::readFloatElements(ElementsAttr attr,
                                  std::vector<float> &values) {
  Type elementType = attr.getElementType();
  int64_t n = attr.getNumElements();
  values.resize(n);
  if (auto dense = dyn_cast<DenseFPElementsAttr>(attr)) {
    int64_t i = 0;
    for (APFloat v : dense.getValues<APFloat>())
      values[i++] = v.convertToFloat() ;
    return true;
  }
  ArrayRef<char> bytes = rawBytes(attr);
  unsigned width = elementType.getIntOrFloatBitWidth();
  if (int64_t(bytes.size()) != n * int64_t(width / 8))
    return false;
  for (int64_t i = 0; i < n; ++i) {
    if (elementType.isF32()) {
      std::memcpy(&values[i], bytes.data() + 4 * i, 4);
      continue;
    }
    uint16_t h;
    std::memcpy(&h, bytes.data() + 2 * i, 2);
    if (elementType.isF16())
      values[i] = ::qnt::math::fp16ToFloat(h);
    else if (elementType.isBF16())
      values[i] = ::qnt::math::bf16ToFloat(h);
    else
      return false;
  }
  return true;
}

/// A dense_resource attribute of `type` holding a copy of `data`.
template <typename T>
static DenseResourceElementsAttr makeBlob(ShapedType type, StringRef name,
                                          ArrayRef<T> data) {
  return DenseResourceElementsAttr::get(
      type, name, HeapAsmResourceBlob::allocateAndCopyInferAlign(data));
}

/// Creates the qnt.constant holding a quantized tensor.
static ConstantOp buildConstant(OpBuilder &b, Location loc, StringRef name,
                                QTensorType type,
                                const ::qnt::math::QuantizedTensor &q) {
  auto data = makeBlob<int8_t>(type.getDataType(), name, q.data);
  ElementsAttr scales;
  if (type.getScheme().getScale().isF16())
    scales = makeBlob<uint16_t>(type.getScalesType(), (name + "_scales").str(),
                                q.scalesF16);
  else
    scales = makeBlob<float>(type.getScalesType(), (name + "_scales").str(),
                             q.scales);
  ElementsAttr sums;
  if (RankedTensorType sumsType = type.getSumsType())
    sums = makeBlob<int32_t>(sumsType, (name + "_sums").str(), q.sums);
  return ConstantOp::create(b, loc, type, data, scales, /*zero_points=*/nullptr,
                            sums);
}

/// A blob name for the weight defined at `loc`: its name location if it has
/// one (importers name weights after the model's tensors).
static std::string blobName(Location loc) {
  if (auto named = dyn_cast<NameLoc>(loc))
    return ("qnt_" + named.getName().strref()).str();
  return "qnt_weight";
}

/// Every linear reading `weight` as its weight reads `replacement` instead.
static void useAsWeight(PatternRewriter &rewriter, Value weight,
                        Value replacement) {
  for (Operation *user : llvm::make_early_inc_range(weight.getUsers()))
    if (auto linear = dyn_cast<LinearOp>(user);
        linear && linear.getWeight() == weight)
      rewriter.modifyOpInPlace(
          linear, [&] { linear.getWeightMutable().assign(replacement); });
}

namespace {

struct FoldOptions {
  Granularity granularity;
  int64_t block;
  Storage storage;
  Type scale;
  Rounding rounding;
  SmallVector<std::string> keepFloat;
};

/// The quantized form of one weight attribute, built once: attributes are
/// immortal and uniqued, so the same weight read by several linears (or
/// several entry points) is quantized and stored once.
struct Folded {
  QTensorType type;
  ElementsAttr data, scales;
};
using FoldCache = DenseMap<Attribute, Folded>;

/// The name of a name location, or "".
StringRef nameOf(Location loc) {
  if (auto named = dyn_cast<NameLoc>(loc))
    return named.getName().strref();
  return "";
}

/// True when the options keep this linear in float.
bool keptFloat(LinearOp op, const FoldOptions &options) {
  StringRef names[] = {nameOf(op.getLoc()), nameOf(op.getWeight().getLoc())};
  for (const std::string &prefix : options.keepFloat)
    for (StringRef name : names)
      if (!name.empty() && name.starts_with(prefix))
        return true;
  return false;
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

/// linear(x, arith.constant W) -> linear(x, qnt.constant quantize(W)).
/// The quantized constant is built next to W and given to every linear that
/// reads W, so a shared weight is quantized and stored once.
struct QuantizeConstantWeight : OpRewritePattern<LinearOp> {
  QuantizeConstantWeight(MLIRContext *ctx, const FoldOptions &options,
                         FoldCache &cache)
      : OpRewritePattern(ctx), options(options), cache(cache) {}

  LogicalResult matchAndRewrite(LinearOp op,
                                PatternRewriter &rewriter) const override {
    Value weight = op.getWeight();
    auto weightType = dyn_cast<RankedTensorType>(weight.getType());
    if (!weightType)
      return rewriter.notifyMatchFailure(op, "weight is already quantized");
    if (keptFloat(op, options))
      return rewriter.notifyMatchFailure(op, "kept in float by keep-float");
    ElementsAttr attr;
    if (!matchPattern(weight, m_Constant(&attr)))
      return rewriter.notifyMatchFailure(op, "weight is not a constant");
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointAfterValue(weight);
    if (auto it = cache.find(attr); it != cache.end()) {
      const Folded &f = it->second;
      Value constant = ConstantOp::create(rewriter, weight.getLoc(), f.type,
                                          f.data, f.scales, nullptr, nullptr);
      useAsWeight(rewriter, weight, constant);
      return success();
    }

    int64_t rows = weightType.getDimSize(0), cols = weightType.getDimSize(1);
    Granularity granularity = options.granularity;
    if (granularity == Granularity::PerBlock && cols % options.block != 0)
      granularity = Granularity::PerChannel; // see the rule in the header
    MLIRContext *ctx = getContext();
    auto scheme = SchemeAttr::get(ctx, 8, granularity, /*axis=*/0,
                                  options.block, /*symmetric=*/true,
                                  options.storage, options.scale,
                                  options.rounding, /*sums=*/false);

    std::vector<float> values;
    if (!readFloatElements(attr, values))
      return rewriter.notifyMatchFailure(op, "weight elements are unreadable");
    ::qnt::math::QuantizedTensor q;
    if (!::qnt::math::quantize(values.data(), rows, cols, toMathScheme(scheme),
                               q))
      return rewriter.notifyMatchFailure(op, "scheme does not fit the weight");

    auto type = QTensorType::get(ctx, weightType.getShape(),
                                 rewriter.getF32Type(), scheme);
    ConstantOp constant = buildConstant(rewriter, weight.getLoc(),
                                        blobName(weight.getLoc()), type, q);
    cache[attr] = {type, constant.getData(), constant.getScales()};
    useAsWeight(rewriter, weight, constant);
    return success();
  }

  const FoldOptions &options;
  FoldCache &cache;
};

/// linear(x, dequantize(qnt.constant Q)) -> linear(x, qnt.constant Q'), Q'
/// being Q in the requested storage: no requantization.
struct RepackQuantizedWeight : OpRewritePattern<LinearOp> {
  RepackQuantizedWeight(MLIRContext *ctx, const FoldOptions &options)
      : OpRewritePattern(ctx), options(options) {}

  LogicalResult matchAndRewrite(LinearOp op,
                                PatternRewriter &rewriter) const override {
    auto dequant = op.getWeight().getDefiningOp<DequantizeOp>();
    if (!dequant)
      return rewriter.notifyMatchFailure(op, "weight is not dequantized");
    if (keptFloat(op, options))
      return rewriter.notifyMatchFailure(op, "kept in float by keep-float");
    auto source = dequant.getInput().getDefiningOp<ConstantOp>();
    if (!source)
      return rewriter.notifyMatchFailure(op, "not a quantized constant");
    QTensorType type = source.getResult().getType();
    SchemeAttr scheme = type.getScheme();
    if (scheme.getBits() != 8 || !scheme.getSymmetric())
      return rewriter.notifyMatchFailure(op, "only symmetric 8-bit weights");
    if (scheme.getStorage() == options.storage) {
      useAsWeight(rewriter, dequant.getResult(), source.getResult());
      return success();
    }
    ArrayRef<char> bytes = rawBytes(source.getData());
    if (int64_t(bytes.size()) != source.getData().getNumElements())
      return rewriter.notifyMatchFailure(op, "data bytes are unreadable");

    std::vector<int8_t> data(bytes.begin(), bytes.end());
    for (int8_t &v : data) // i8 <-> u8 offset 128
      v = int8_t(uint8_t(v) ^ 0x80u);
    auto newType = QTensorType::get(getContext(), type.getShape(),
                                    type.getExpressedType(),
                                    scheme.withStorage(options.storage));
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointAfter(source);
    auto newData = makeBlob<int8_t>(newType.getDataType(),
                                    blobName(source.getLoc()), data);
    Value repacked = ConstantOp::create(rewriter, source.getLoc(), newType,
                                        newData, source.getScales(),
                                        source.getZeroPointsAttr(),
                                        source.getSumsAttr());
    useAsWeight(rewriter, dequant.getResult(), repacked);
    return success();
  }

  const FoldOptions &options;
};

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

struct FoldWeightQuantPass
    : public mlir::qnt::impl::FoldWeightQuantPassBase<FoldWeightQuantPass> {
  using FoldWeightQuantPassBase::FoldWeightQuantPassBase;

  LogicalResult parseOptions(FoldOptions &o) {
    MLIRContext *ctx = &getContext();
    Location loc = getOperation().getLoc();
    if (granularity == "per-block")
      o.granularity = Granularity::PerBlock;
    else if (granularity == "per-channel")
      o.granularity = Granularity::PerChannel;
    else
      return emitError(loc) << "granularity must be per-block or per-channel, got '"
                            << granularity << "'";
    if (block < 1)
      return emitError(loc) << "block must be positive, got "
                            << static_cast<int64_t>(block);
    o.block = block;
    if (storage == "i8")
      o.storage = Storage::I8;
    else if (storage == "u8")
      o.storage = Storage::U8Offset128;
    else
      return emitError(loc) << "storage must be i8 or u8, got '" << storage << "'";
    if (scale == "f16")
      o.scale = Float16Type::get(ctx);
    else if (scale == "f32")
      o.scale = Float32Type::get(ctx);
    else
      return emitError(loc) << "scale must be f16 or f32, got '" << scale << "'";
    return parseRounding(loc, rounding, o.rounding);
  }

  void runOnOperation() override {
    FoldOptions options;
    if (failed(parseOptions(options)))
      return signalPassFailure();
    options.keepFloat.assign(keepFloat.begin(), keepFloat.end());
    FoldCache cache;
    RewritePatternSet patterns(&getContext());
    patterns.add<QuantizeConstantWeight>(&getContext(), options, cache);
    patterns.add<RepackQuantizedWeight>(&getContext(), options);
    // Rewrite the linears only: no folding or constant hoisting of the rest
    // of the module. Float weights left without users are erased as dead.
    GreedyRewriteConfig config;
    config.enableFolding(false).enableConstantCSE(false).setRegionSimplificationLevel(
        GreedySimplifyRegionLevel::Disabled);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns),
                                     config)))
      return signalPassFailure();
  }
};

} // namespace

LogicalResult mlir::qnt::parseRounding(Location loc, StringRef text,
                                       Rounding &rounding) {
  if (text == "half-away")
    rounding = Rounding::HalfAwayFromZero;
  else if (text == "half-even")
    rounding = Rounding::HalfToEven;
  else
    return emitError(loc) << "rounding must be half-away or half-even, got '"
                          << text << "'";
  return success();
}

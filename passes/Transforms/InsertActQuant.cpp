//===- InsertActQuant.cpp - Dynamic activation quantization ---------------===//
//
// linear(x, Wq) with a quantized weight becomes matmul(quantize(x), Wq): the
// activation is quantized when the program runs, with absmax scales computed
// from the data, and the linear becomes the fused integer matmul.
//
// The activation scheme follows the weight so that the two sides' groups line
// up: per-block activations take the weight's block (or 32 against a
// per-channel weight whose K allows it; per-token otherwise). Against a
// weight in a padded layout, the activation's data is padded alike
// (#qnt.layout<pad = P>): the quantize writes zeros there, so the kernel
// reads whole blocks on both sides. When the weight
// is stored u8_offset128, the activation keeps per-group sums for the offset
// correction. A linear with calibrated `act_scales` gets a static quantize
// (static_scales: one scale per group of the activation, a single calibrated
// scale repeated for each group), which computes no absmax at run time.
// Every quantize is placed right after the activation's definition, and
// linears asking for the same quantization of the same value share it.
// A linear with `act_asymmetric` gets an asymmetric scheme (zero points), its
// weight carrying the sums that correct for them.
//
//===----------------------------------------------------------------------===//

#include "passes/MicroKernel.h"
#include "passes/Passes.h"

#include "dialects/qnt/QntOps.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace qnt {
#define GEN_PASS_DEF_INSERTACTQUANTPASS
#include "passes/Passes.h.inc"
} // namespace qnt

using namespace mlir;
using namespace qnt;

namespace {

/// The default block of per-block activations against a per-channel weight.
constexpr int64_t kDefaultBlock = 32;

struct ActOptions {
  bool perToken;
  Type scale;
  Rounding rounding;
  SuperBlockScales superScales = SuperBlockScales::Auto;
};

/// Whether `op`'s activation takes one scale per super-block: a K-quant
/// weight, the option resolved for the target (passes/MicroKernel.h); auto
/// only for a data-tiled weight, the micro-kernels' input.
bool superBlockScalesFor(LinearOp op, QTensorType weightType,
                         const ActOptions &options) {
  if (!weightType.getScheme().getSuperBlock())
    return false;
  if (options.superScales == SuperBlockScales::Auto && !weightType.isTiled())
    return false;
  return takesSuperBlockScales(options.superScales, TargetAttr::lookup(op));
}

/// The activation scheme a linear with a quantized weight gets, or null after
/// a diagnostic when the options cannot serve that weight.
SchemeAttr activationScheme(LinearOp op, QTensorType weightType,
                            const ActOptions &options) {
  SchemeAttr weight = weightType.getScheme();
  int64_t k = weightType.getStoredCols();
  Granularity granularity = Granularity::PerToken;
  int64_t block = kDefaultBlock;
  if (!options.perToken) {
    if (weight.isBlocked()) {
      granularity = Granularity::PerBlock;
      block = weight.getBlock();
    } else if (k % kDefaultBlock == 0) {
      granularity = Granularity::PerBlock;
    }
  }
  // An offset weight (u8 + 128, 4-bit u4 + 8) is corrected by the
  // activation's per-group sums.
  bool offset = weight.getStorage() != Storage::I8;
  if (offset && weight.isBlocked() && granularity != Granularity::PerBlock) {
    op.emitOpError("per-token activations cannot correct a ")
        << stringifyStorage(weight.getStorage())
        << " per-block weight; use per-block activations"
        << (weight.getBits() == 8 ? " or i8 weight storage" : "");
    return {};
  }
  bool asymmetric = op.getActAsymmetric();
  if (asymmetric && weight.getMins()) {
    op.emitOpError("act_asymmetric cannot correct a weight with mins (its "
                   "minimums are corrected by the activation's plain sums)");
    return {};
  }
  if (asymmetric && !weight.getSums()) {
    op.emitOpError("act_asymmetric needs the weight's per-group sums (run "
                   "--qnt-fold-weight-quant on this linear, which keeps them)");
    return {};
  }
  if (asymmetric && !weight.isBlocked() && granularity == Granularity::PerBlock)
    // The zero-point correction needs the weight's sums per activation group.
    granularity = Granularity::PerToken;
  int64_t sumsBlock = 0;
  if (granularity == Granularity::PerBlock && weight.isBlocked() &&
      !asymmetric && superBlockScalesFor(op, weightType, options)) {
    sumsBlock = block;
    block = weight.getSuperBlock();
  }
  return SchemeAttr::get(op.getContext(), 8, granularity, /*axis=*/0, block,
                         /*symmetric=*/!asymmetric, Storage::I8, options.scale,
                         options.rounding, /*sums=*/offset, /*mins=*/false,
                         /*superBlock=*/0, sumsBlock);
}

/// The type `op`'s input is quantized to, or null after a diagnostic.
QTensorType activationType(LinearOp op, QTensorType weightType,
                           const ActOptions &options) {
  SchemeAttr scheme = activationScheme(op, weightType, options);
  if (!scheme)
    return {};
  LayoutAttr layout;
  if (LayoutAttr w = weightType.getLayout(); w && w.getPad() > 1)
    layout = LayoutAttr::get(op.getContext(), 0, 0, w.getPad());
  return QTensorType::get(op.getContext(), op.getInput().getType().getShape(),
                          Float32Type::get(op.getContext()), scheme, layout);
}

/// The static_scales of the quantize of `op`'s input as `type`: its
/// act_scales, one per group (a single one repeated). Null when it has none;
/// failure after a diagnostic when their count fits no group structure.
FailureOr<DenseElementsAttr> staticScales(LinearOp op, QTensorType type) {
  DenseElementsAttr given = op.getActScalesAttr();
  if (!given)
    return DenseElementsAttr();
  int64_t groups = type.getNumGroups();
  int64_t count = given.getNumElements();
  auto shape = RankedTensorType::get({1, groups}, Float32Type::get(op.getContext()));
  if (count == groups)
    return given.reshape(shape);
  if (count == 1)
    return DenseElementsAttr(
        DenseElementsAttr::get(shape, given.getValues<APFloat>()[0]));
  op.emitOpError("act_scales hold ")
      << count << " scales, but its input is quantized in " << groups
      << " groups per row (" << stringifyGranularity(type.getScheme().getGranularity())
      << ")" << (groups > 1 ? ": give 1 or " + std::to_string(groups) : ": give 1");
  return failure();
}

struct QuantizeActivation : OpRewritePattern<LinearOp> {
  QuantizeActivation(MLIRContext *ctx, const ActOptions &options)
      : OpRewritePattern(ctx), options(options) {}

  LogicalResult matchAndRewrite(LinearOp op,
                                PatternRewriter &rewriter) const override {
    auto weightType = dyn_cast<QTensorType>(op.getWeight().getType());
    if (!weightType)
      return rewriter.notifyMatchFailure(op, "weight is not quantized");
    QTensorType type = activationType(op, weightType, options);
    if (!type)
      return rewriter.notifyMatchFailure(op, "no activation scheme fits");
    Value input = op.getInput();
    FailureOr<DenseElementsAttr> fixed = staticScales(op, type);
    if (failed(fixed))
      return rewriter.notifyMatchFailure(op, "act_scales do not fit");

    // Share a quantize of the same value with the same scheme and scales.
    Value quantized;
    for (Operation *user : input.getUsers())
      if (auto q = dyn_cast<QuantizeOp>(user);
          q && q.getResult().getType() == type && q.getStaticScalesAttr() == *fixed)
        quantized = q.getResult();
    if (!quantized) {
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointAfterValue(input);
      quantized = QuantizeOp::create(rewriter, input.getLoc(), type, input, *fixed);
    }
    rewriter.replaceOpWithNewOp<MatmulOp>(op, op.getResult().getType(),
                                          quantized, op.getWeight(), Value());
    return success();
  }

  const ActOptions &options;
};

struct InsertActQuantPass
    : public qnt::impl::InsertActQuantPassBase<InsertActQuantPass> {
  using InsertActQuantPassBase::InsertActQuantPassBase;

  void runOnOperation() override {
    Location loc = getOperation().getLoc();
    ActOptions options;
    options.perToken = granularity == Granularity::PerToken;
    options.scale = scale == ScaleType::F32 ? Type(Float32Type::get(&getContext()))
                                            : Type(Float16Type::get(&getContext()));
    options.rounding = rounding;
    options.superScales = superBlockScales;

    // Diagnose a linear the options cannot serve before rewriting any.
    WalkResult checked = getOperation().walk([&](LinearOp op) {
      auto weight = dyn_cast<QTensorType>(op.getWeight().getType());
      if (!weight)
        return WalkResult::advance();
      QTensorType type = activationType(op, weight, options);
      if (!type || failed(staticScales(op, type)))
        return WalkResult::interrupt();
      return WalkResult::advance();
    });
    if (checked.wasInterrupted())
      return signalPassFailure();

    RewritePatternSet patterns(&getContext());
    patterns.add<QuantizeActivation>(&getContext(), options);
    GreedyRewriteConfig config;
    config.enableFolding(false).enableConstantCSE(false).setRegionSimplificationLevel(
        GreedySimplifyRegionLevel::Disabled);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns),
                                     config)))
      return signalPassFailure();
  }
};

} // namespace

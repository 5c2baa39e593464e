//===- ExpandGgml.cpp - GGML blocks into f32 constants --------------------===//
//
// What --qnt-fold-weight-quant did not quantize (every weight under
// --no-quantize, linears kept in float, tables and norms of a block format)
// reads its qnt.ggml_constant as the f32 values it stands for: an
// arith.constant of a dense_resource blob, dequantized as ggml does.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/Transforms/WeightsFile.h"

#include "dialects/qnt/QntOps.h"
#include "qnt/Math/Ggml.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace qnt {
#define GEN_PASS_DEF_EXPANDGGMLPASS
#include "passes/Passes.h.inc"
} // namespace qnt

using namespace mlir;
using namespace qnt;

namespace {

/// The f32 values of one GGML constant's blocks, computed once per blob
/// (uniqued attributes: two ops over one tensor share the result).
using ExpandCache = DenseMap<Attribute, Attribute>;

struct ExpandGgmlConstant : OpRewritePattern<GgmlConstantOp> {
  ExpandGgmlConstant(MLIRContext *ctx, ExpandCache &cache)
      : OpRewritePattern(ctx), cache(cache) {}

  LogicalResult matchAndRewrite(GgmlConstantOp op,
                                PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getResult().getType());
    Attribute &expanded = cache[op.getBlocks()];
    if (!expanded) {
      std::vector<char> storage;
      ArrayRef<char> bytes = allElementBytes(op.getBlocks(), storage);
      std::vector<float> values(type.getNumElements());
      if (bytes.empty() || !::qnt::math::ggmlDequantize(
              uint32_t(op.getFormat()),
              reinterpret_cast<const uint8_t *>(bytes.data()), values.data(),
              int64_t(values.size())))
        return op.emitOpError("cannot dequantize its blocks");
      std::string name = "qnt_f32";
      if (auto named = dyn_cast<NameLoc>(op.getLoc()))
        name = named.getName().str();
      expanded = DenseResourceElementsAttr::get(
          type, name,
          HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<float>(values)));
    }
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, type,
                                                   cast<TypedAttr>(expanded));
    return success();
  }

  ExpandCache &cache;
};

struct ExpandGgmlPass : public qnt::impl::ExpandGgmlPassBase<ExpandGgmlPass> {
  using ExpandGgmlPassBase::ExpandGgmlPassBase;

  void runOnOperation() override {
    // Blocks the pass cannot read: a diagnostic, not a rewrite skipped.
    WalkResult unreadable = getOperation()->walk([](GgmlConstantOp op) {
      std::vector<char> storage;
      if (!allElementBytes(op.getBlocks(), storage).empty())
        return WalkResult::advance();
      op.emitOpError("has no bytes to read in its blocks (a dense_resource "
                     "without its blob?)");
      return WalkResult::interrupt();
    });
    if (unreadable.wasInterrupted())
      return signalPassFailure();
    ExpandCache cache;
    RewritePatternSet patterns(&getContext());
    patterns.add<ExpandGgmlConstant>(&getContext(), cache);
    GreedyRewriteConfig config;
    config.enableFolding(false).enableConstantCSE(false).setRegionSimplificationLevel(
        GreedySimplifyRegionLevel::Disabled);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      return signalPassFailure();
  }
};

} // namespace

//===- FuseLinears.cpp - Linears reading one input into one linear --------===//
//
// The linears of a block that read the same input with constant weights of
// one kind (the same GGML block format, or the same float element type, and
// the same K) become one linear over their weights stacked row after row,
// and each former result a slice of its columns. A GGML tensor is its rows'
// blocks one after another, so the stacked weight is the weights' bytes one
// after another, and every output element is computed as before.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/qnt/QntOps.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace qnt {
#define GEN_PASS_DEF_FUSELINEARSPASS
#include "passes/Passes.h.inc"
} // namespace qnt

using namespace mlir;
using namespace qnt;

namespace {

/// The bytes of a weight attribute, row after row, when they can be read
/// without converting: a dense_resource blob or a non-splat dense attribute.
std::optional<ArrayRef<char>> rawBytes(Attribute attr) {
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return std::nullopt;
    return blob->getData();
  }
  if (auto dense = dyn_cast<DenseElementsAttr>(attr))
    if (!dense.isSplat() &&
        dense.getElementType().getIntOrFloatBitWidth() % 8 == 0)
      return dense.getRawData();
  return std::nullopt;
}

/// What a linear's weight is, when it is one this pass can stack: its kind
/// (a GGML format, or none for a float constant), its bytes and its shape.
struct StackableWeight {
  std::optional<GgmlFormat> format;
  Type element;   ///< of the float constant's elements (f32 for GGML blocks)
  Attribute attr; ///< the blocks' or the constant's attribute
  ArrayRef<char> bytes;
  int64_t rows, cols;

  bool sameKind(const StackableWeight &o) const {
    return format == o.format && element == o.element && cols == o.cols;
  }
};

std::optional<StackableWeight> stackable(LinearOp op) {
  auto type = dyn_cast<RankedTensorType>(op.getWeight().getType());
  if (!type || !type.hasStaticShape() || type.getRank() != 2)
    return std::nullopt;
  StackableWeight w;
  w.rows = type.getDimSize(0);
  w.cols = type.getDimSize(1);
  w.element = type.getElementType();
  std::optional<ArrayRef<char>> bytes;
  if (auto ggml = op.getWeight().getDefiningOp<GgmlConstantOp>()) {
    w.format = ggml.getFormat();
    w.attr = ggml.getBlocks();
  } else {
    matchPattern(op.getWeight(), m_Constant(&w.attr));
  }
  if (w.attr)
    bytes = rawBytes(w.attr);
  if (!bytes || bytes->empty() || bytes->size() % w.rows)
    return std::nullopt;
  w.bytes = *bytes;
  return w;
}

/// A linear of a group to fuse, with its weight.
struct Part {
  LinearOp linear;
  StackableWeight weight;
};

/// The linears fusable with `op`: those of its block that read its input,
/// with the same attributes and a weight of the same kind, none kept in
/// float, in block order. Empty unless `op` is the first of two or more.
SmallVector<Part> siblingsOf(LinearOp op, ArrayRef<std::string> keepFloat) {
  std::optional<StackableWeight> first = stackable(op);
  if (!first || op.isNamedBy(keepFloat) || op.getWeightLayoutAttr())
    return {};
  SmallVector<Part> group;
  for (Operation *user : op.getInput().getUsers()) {
    auto l = dyn_cast<LinearOp>(user);
    if (!l || l->getBlock() != op->getBlock() || l.getInput() != op.getInput())
      continue;
    std::optional<StackableWeight> w = stackable(l);
    if (!w || !w->sameKind(*first) || l.isNamedBy(keepFloat) ||
        l.getWeightLayoutAttr() ||
        l.getActScalesAttr() != op.getActScalesAttr() ||
        l.getActAsymmetric() != op.getActAsymmetric())
      continue;
    if (l->isBeforeInBlock(op))
      return {}; // op is not the first: that one's match fuses the group
    group.push_back({l, *w});
  }
  if (group.size() < 2)
    return {};
  llvm::sort(group, [](const Part &a, const Part &b) {
    return a.linear->isBeforeInBlock(b.linear);
  });
  return group;
}

/// "blk.0.attn_q", "blk.0.attn_k" -> "blk.0.attn_q+attn_k": the names after
/// the first lose the prefix up to the first's last '.' (an unnamed linear
/// is "linear").
std::string fusedName(ArrayRef<Part> group) {
  auto nameOf = [](const Part &p) {
    StringRef name = LinearOp(p.linear).getLayerName();
    return name.empty() ? StringRef("linear") : name;
  };
  std::string name = nameOf(group.front()).str();
  size_t dot = name.rfind('.');
  std::string prefix = dot == std::string::npos ? "" : name.substr(0, dot + 1);
  for (const Part &p : group.drop_front()) {
    StringRef other = nameOf(p);
    if (!prefix.empty() && other.starts_with(prefix))
      other = other.drop_front(prefix.size());
    name += "+" + other.str();
  }
  return name;
}

/// The stacked weights made so far, by their parts' attributes: a group
/// fused in two functions (prefill, decode) reads one attribute, which the
/// fold pass then quantizes and stores once.
using StackedWeights = DenseMap<ArrayAttr, ElementsAttr>;

struct FuseSiblingLinears : OpRewritePattern<LinearOp> {
  FuseSiblingLinears(MLIRContext *context, ArrayRef<std::string> keepFloat,
                     StackedWeights &stacked)
      : OpRewritePattern(context), keepFloat(keepFloat), stacked(stacked) {}

  LogicalResult matchAndRewrite(LinearOp op,
                                PatternRewriter &rewriter) const override {
    SmallVector<Part> group = siblingsOf(op, keepFloat);
    if (group.empty())
      return rewriter.notifyMatchFailure(
          op, "no linear of the same kind reads its input");

    // The stacked weight: each weight's bytes, one after another.
    SmallVector<Attribute> partAttrs;
    int64_t rows = 0;
    for (const Part &p : group) {
      partAttrs.push_back(p.weight.attr);
      rows += p.weight.rows;
    }
    const StackableWeight &kind = group.front().weight;
    std::string name = fusedName(group);
    MLIRContext *ctx = getContext();
    auto weightType = RankedTensorType::get({rows, kind.cols}, kind.element);
    ElementsAttr &attr = stacked[ArrayAttr::get(ctx, partAttrs)];
    if (!attr) {
      std::vector<char> bytes;
      for (const Part &p : group)
        bytes.insert(bytes.end(), p.weight.bytes.begin(), p.weight.bytes.end());
      auto type = kind.format ? RankedTensorType::get({int64_t(bytes.size())},
                                                      rewriter.getI8Type())
                              : weightType;
      attr = cast<ElementsAttr>(DenseResourceElementsAttr::get(
          type, name + ".weight",
          HeapAsmResourceBlob::allocateAndCopyWithAlign(
              ArrayRef<char>(bytes),
              kind.format ? 1 : kind.element.getIntOrFloatBitWidth() / 8)));
    }
    Location loc =
        fusedLinearLoc(ctx, name, llvm::map_to_vector(group, [](const Part &p) {
                         return p.linear->getLoc();
                       }));
    Location weightLoc = NameLoc::get(StringAttr::get(ctx, name + ".weight"));
    rewriter.setInsertionPoint(group.front().linear);
    Value weight = kind.format
                       ? GgmlConstantOp::create(rewriter, weightLoc, weightType,
                                                *kind.format, attr)
                             .getResult()
                       : arith::ConstantOp::create(rewriter, weightLoc,
                                                   cast<TypedAttr>(attr))
                             .getResult();
    Value input = op.getInput();
    auto inputType = cast<RankedTensorType>(input.getType());
    auto resultType = RankedTensorType::get({inputType.getDimSize(0), rows},
                                            rewriter.getF32Type());
    auto fused =
        LinearOp::create(rewriter, loc, resultType, input, weight,
                         /*weight_layout=*/LayoutAttr(), op.getActScalesAttr(),
                         op.getActAsymmetricAttr());

    // Each former result: its columns of the fused one. (Its rows are the
    // fused result's: the input's dim would be one more use of the input,
    // and --qnt-fuse moves a quantize into the norm that computes the input
    // only when the quantize is all that reads it.)
    OpFoldResult m =
        inputType.isDynamicDim(0)
            ? OpFoldResult(
                  tensor::DimOp::create(rewriter, loc, fused, 0).getResult())
            : OpFoldResult(rewriter.getIndexAttr(inputType.getDimSize(0)));
    int64_t offset = 0;
    for (const Part &p : group) {
      LinearOp l = p.linear;
      int64_t n = p.weight.rows;
      SmallVector<OpFoldResult> offsets = {rewriter.getIndexAttr(0),
                                           rewriter.getIndexAttr(offset)};
      SmallVector<OpFoldResult> sizes = {m, rewriter.getIndexAttr(n)};
      SmallVector<OpFoldResult> strides(2, rewriter.getIndexAttr(1));
      Value slice = tensor::ExtractSliceOp::create(
          rewriter, l.getLoc(), cast<RankedTensorType>(l.getType()), fused,
          offsets, sizes, strides);
      rewriter.replaceOp(l, slice);
      offset += n;
    }
    return success();
  }

  ArrayRef<std::string> keepFloat;
  StackedWeights &stacked;
};

struct FuseLinearsPass
    : public qnt::impl::FuseLinearsPassBase<FuseLinearsPass> {
  using FuseLinearsPassBase::FuseLinearsPassBase;

  void runOnOperation() override {
    SmallVector<std::string> kept(keepFloat.begin(), keepFloat.end());
    RewritePatternSet patterns(&getContext());
    StackedWeights stacked;
    patterns.add<FuseSiblingLinears>(&getContext(), kept, stacked);
    // Neither folding nor hoisting constants: the ops keep their order.
    GreedyRewriteConfig config;
    config.enableFolding(false).enableConstantCSE(false);
    if (failed(
            applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      return signalPassFailure();
  }
};

} // namespace

Location qnt::fusedLinearLoc(MLIRContext *context, StringRef name,
                             ArrayRef<Location> parts) {
  return NameLoc::get(StringAttr::get(context, name),
                      FusedLoc::get(context, parts));
}

int64_t qnt::fusedLinearCount(Location loc) {
  if (auto named = dyn_cast<NameLoc>(loc))
    if (auto fused = dyn_cast<FusedLoc>(named.getChildLoc()))
      return std::max<int64_t>(1, fused.getLocations().size());
  return 1;
}

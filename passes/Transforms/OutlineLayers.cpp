//===- OutlineLayers.cpp - Each layer into a function of its own ----------===//
//
// The importer locates the ops of layer N at "blk.N.<part>", and the passes
// keep those locations on what they make of them. Here each layer's
// contiguous range of top-level ops in a public function moves into a
// private function, called in its place; bufferization then analyses one
// layer at a time.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/qnt/QntDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"

#include "llvm/ADT/SetVector.h"

namespace qnt {
#define GEN_PASS_DEF_OUTLINELAYERSPASS
#include "passes/Passes.h.inc"
} // namespace qnt

using namespace mlir;

namespace {

/// The layer N of a "blk.N.<part>" name in `loc` (the first found), or -1.
/// A tensor's name ("blk.N.attn_q.weight", ".bias") is not a layer's op: the
/// folded weights are materialized where the passes put them (at the top of
/// the function), and are passed to the layer's function.
int64_t layerOf(Location loc) {
  int64_t layer = -1;
  loc->walk([&](Location inner) {
    auto name = dyn_cast<NameLoc>(inner);
    if (!name)
      return WalkResult::advance();
    StringRef s = name.getName().strref();
    if (!s.consume_front("blk.") || s.ends_with(".weight") || s.ends_with(".bias"))
      return WalkResult::advance();
    int64_t n;
    if (s.consumeInteger(10, n) || !s.starts_with("."))
      return WalkResult::advance();
    layer = n;
    return WalkResult::interrupt();
  });
  return layer;
}

/// Ops made again inside a layer's function rather than passed to it.
bool rematerialized(Operation *op) {
  return op && (op->hasTrait<OpTrait::ConstantLike>() ||
                isa<tensor::EmptyOp>(op));
}

struct OutlineLayersPass
    : public qnt::impl::OutlineLayersPassBase<OutlineLayersPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> entries;
    for (auto fn : module.getOps<func::FuncOp>())
      if (fn.isPublic() && !fn.isExternal() && fn.getBody().hasOneBlock())
        entries.push_back(fn);
    for (func::FuncOp fn : entries)
      outlineLayers(fn, symbols);
  }

  void outlineLayers(func::FuncOp fn, SymbolTable &symbols) {
    Block &body = fn.getBody().front();
    // Each layer's range of top-level ops: [first, last].
    SmallVector<std::pair<int64_t, std::pair<Operation *, Operation *>>> ranges;
    for (Operation &op : body) {
      int64_t layer = layerOf(op.getLoc());
      if (layer < 0)
        continue;
      // A constant away from its layer's ops (canonicalization hoists them
      // to the top) neither starts nor breaks a range: it is made again in
      // the function of the layer that uses it.
      if (op.hasTrait<OpTrait::ConstantLike>() &&
          (ranges.empty() || ranges.back().first != layer))
        continue;
      if (!ranges.empty() && ranges.back().first == layer) {
        ranges.back().second.second = &op;
        continue;
      }
      for (auto &range : ranges)
        if (range.first == layer)
          return; // layer N again after another: not contiguous
      ranges.push_back({layer, {&op, &op}});
    }
    // Unlocated ops between a range's ends go with it.
    for (auto &[layer, ends] : ranges)
      if (failed(outline(fn, layer, ends.first, ends.second, symbols)))
        return signalPassFailure();
    // The copies made for later layers that those made again themselves.
    for (Operation *copy : copies)
      if (copy->use_empty())
        copy->erase();
    copies.clear();
  }

  /// Constants and tensor.empty ops copied before a layer's call for the
  /// layers after it.
  SmallVector<Operation *> copies;

  LogicalResult outline(func::FuncOp fn, int64_t layer, Operation *first,
                        Operation *last, SymbolTable &symbols) {
    SmallVector<Operation *> ops;
    for (Operation *op = first;; op = op->getNextNode()) {
      ops.push_back(op);
      if (op == last)
        break;
    }
    llvm::SmallPtrSet<Operation *, 32> inRange(ops.begin(), ops.end());
    Block *block = first->getBlock();
    // The top-level op of `block` that holds `op`, or null.
    auto topLevel = [&](Operation *op) -> Operation * {
      return op ? block->findAncestorOpInBlock(*op) : nullptr;
    };
    auto definedInRange = [&](Value v) {
      Operation *def = topLevel(v.getDefiningOp());
      if (!def) // a block argument: of the function, or nested in the range
        return cast<BlockArgument>(v).getOwner() != block &&
               inRange.contains(topLevel(cast<BlockArgument>(v).getOwner()->getParentOp()));
      return inRange.contains(def);
    };
    // Values read from outside, in first-use order; ops to rematerialize.
    llvm::SetVector<Value> liveIns;
    llvm::SetVector<Operation *> remat;
    std::function<void(Value)> use = [&](Value v) {
      if (definedInRange(v))
        return;
      Operation *def = v.getDefiningOp();
      if (rematerialized(def) && def->getBlock() == block) {
        if (remat.contains(def))
          return;
        for (Value operand : def->getOperands())
          use(operand);
        remat.insert(def);
        return;
      }
      liveIns.insert(v);
    };
    for (Operation *op : ops)
      op->walk([&](Operation *nested) {
        for (Value operand : nested->getOperands())
          use(operand);
      });
    auto usedOutside = [&](Value v) {
      return llvm::any_of(v.getUsers(), [&](Operation *user) {
        return !inRange.contains(topLevel(user));
      });
    };
    // A constant or tensor.empty of the range that later layers use too
    // (CSE makes the layers' destinations one tensor.empty) is made again
    // before the call for them, if its operands are there.
    auto hoisted = [&](Operation *op) {
      return rematerialized(op) &&
             !llvm::any_of(op->getOperands(), definedInRange) &&
             llvm::any_of(op->getResults(), usedOutside);
    };
    // A tensor of dynamic shape may leave the layer only as an argument
    // updated in place (the residual stream, through the kernels that
    // accumulate into their last argument): the buffer passes cannot return
    // a buffer of unknown size to the caller. Otherwise the layer stays, and
    // the IR is left as it was.
    for (Operation *op : ops) {
      if (hoisted(op))
        continue;
      for (Value v : op->getResults()) {
        auto tensor = dyn_cast<RankedTensorType>(v.getType());
        if (!tensor || tensor.hasStaticShape() || !usedOutside(v))
          continue;
        Value at = v;
        while (definedInRange(at)) {
          auto call = at.getDefiningOp<func::CallOp>();
          auto kernel = call ? SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
                                   call, call.getCalleeAttr())
                             : nullptr;
          if (!kernel || call.getNumOperands() == 0 ||
              !kernel.getResultAttr(cast<OpResult>(at).getResultNumber(),
                                    qnt::QntDialect::kInLastArgAttrName))
            break;
          at = call.getOperands().back();
        }
        if (!liveIns.contains(at))
          return success();
      }
    }
    OpBuilder caller(first);
    for (Operation *op : ops) {
      if (!hoisted(op))
        continue;
      Operation *copy = caller.clone(*op);
      copies.push_back(copy);
      for (auto [result, copied] :
           llvm::zip(op->getResults(), copy->getResults()))
        result.replaceUsesWithIf(copied, [&](OpOperand &operand) {
          return !inRange.contains(topLevel(operand.getOwner()));
        });
    }
    // Values read after it.
    SmallVector<Value> liveOuts;
    for (Operation *op : ops)
      for (Value result : op->getResults())
        if (usedOutside(result))
          liveOuts.push_back(result);

    MLIRContext *ctx = fn.getContext();
    Location loc = NameLoc::get(
        StringAttr::get(ctx, "blk." + std::to_string(layer)), fn.getLoc());
    // At the module's end, after the kernels it calls: the buffer passes
    // that drop results equal to an argument (a residual or cache updated in
    // place) take the functions in order, callees first.
    OpBuilder b(ctx);
    b.setInsertionPointToEnd(cast<ModuleOp>(fn->getParentOp()).getBody());
    auto type = FunctionType::get(ctx, ValueRange(liveIns.getArrayRef()).getTypes(),
                                  ValueRange(liveOuts).getTypes());
    auto callee = func::FuncOp::create(
        b, loc, (fn.getSymName() + "_blk" + Twine(layer)).str(), type);
    callee.setPrivate();
    symbols.insert(callee);
    Block *entry = callee.addEntryBlock();
    IRMapping map;
    for (auto [v, arg] : llvm::zip(liveIns, entry->getArguments()))
      map.map(v, arg);
    b.setInsertionPointToStart(entry);
    for (Operation *op : remat)
      b.clone(*op, map);
    for (Operation *op : ops)
      b.clone(*op, map);
    SmallVector<Value> results;
    for (Value v : liveOuts)
      results.push_back(map.lookup(v));
    func::ReturnOp::create(b, loc, results);

    b.setInsertionPoint(first);
    auto call = func::CallOp::create(b, loc, callee, liveIns.getArrayRef());
    for (auto [v, r] : llvm::zip(liveOuts, call.getResults()))
      v.replaceUsesWithIf(r, [&](OpOperand &operand) {
        return !inRange.contains(topLevel(operand.getOwner()));
      });
    for (Operation *op : llvm::reverse(ops)) {
      op->dropAllUses();
      op->erase();
    }
    return success();
  }
};

} // namespace

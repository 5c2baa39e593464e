//===- MergeFunctions.cpp - One function for bodies alike but for constants ===//
//
// The layers of a model differ only in where their weights are (the byte
// offsets of their `memref.view`s of the weights file) and in which layer of
// the KV cache they write (a static offset of the cache's slices). After
// --qnt-outline-layers those are integer constants and static slice offsets
// in otherwise identical functions. This pass keeps one function per group
// of private functions that are identical but for such values, makes the
// values that differ its arguments, and has every call pass its own: LLVM
// then compiles a layer once, whatever the depth (as LLVM's MergeFunctions,
// with the differences turned into parameters).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"

#include "llvm/ADT/MapVector.h"

namespace qnt {
#define GEN_PASS_DEF_MERGEFUNCTIONSPASS
#include "passes/Passes.h.inc"
} // namespace qnt

using namespace mlir;

namespace {

/// A value that may differ between the functions of a group: an integer
/// constant's value (position -1) or a static offset of a slice.
struct Site {
  unsigned op;      // index of the op in the function's pre-order walk
  int64_t position; // -1: the constant; else the offset's dimension
  bool operator<(const Site &o) const {
    return std::tie(op, position) < std::tie(o.op, o.position);
  }
  bool operator==(const Site &o) const {
    return op == o.op && position == o.position;
  }
};

/// The ops of a function's body in pre-order.
SmallVector<Operation *> opsOf(func::FuncOp fn) {
  SmallVector<Operation *> ops;
  fn.getBody().walk<WalkOrder::PreOrder>([&](Operation *op) {
    ops.push_back(op);
  });
  return ops;
}

bool isIntegerConstant(Operation *op) {
  auto constant = dyn_cast<arith::ConstantOp>(op);
  return constant && constant.getType().isIntOrIndex();
}

/// A slice whose offsets may become dynamic.
bool isSlice(Operation *op) {
  return isa<tensor::ExtractSliceOp, tensor::InsertSliceOp>(op);
}

/// Appends to `sites` where op `a` and op `b` (the index-th of their
/// functions) differ, if only in an integer constant's value or in static
/// slice offsets; false if they differ otherwise.
bool compareAttributes(Operation *a, Operation *b, unsigned index,
                       SmallVectorImpl<Site> &sites) {
  if (a->getDiscardableAttrDictionary() != b->getDiscardableAttrDictionary())
    return false;
  if (a->getPropertiesAsAttribute() == b->getPropertiesAsAttribute())
    return true;
  if (isIntegerConstant(a)) {
    sites.push_back({index, -1});
    return true;
  }
  if (!isSlice(a))
    return false;
  auto sa = cast<OffsetSizeAndStrideOpInterface>(a);
  auto sb = cast<OffsetSizeAndStrideOpInterface>(b);
  if (sa.getStaticSizes() != sb.getStaticSizes() ||
      sa.getStaticStrides() != sb.getStaticStrides())
    return false;
  ArrayRef<int64_t> oa = sa.getStaticOffsets(), ob = sb.getStaticOffsets();
  if (oa.size() != ob.size())
    return false;
  for (auto [i, x, y] : llvm::enumerate(oa, ob)) {
    if (x == y)
      continue;
    if (ShapedType::isDynamic(x) || ShapedType::isDynamic(y))
      return false;
    sites.push_back({index, int64_t(i)});
  }
  return true;
}

/// Whether `b` is `a` but for the values at `sites` (appended to): the same
/// signature, and op for op the same names, types, operands (up to the
/// correspondence of the values defined so far), regions and attributes.
bool alike(func::FuncOp a, func::FuncOp b, ArrayRef<Operation *> opsA,
           ArrayRef<Operation *> opsB, SmallVectorImpl<Site> &sites) {
  if (a.getFunctionType() != b.getFunctionType() ||
      a.getAllArgAttrs() != b.getAllArgAttrs() ||
      a.getAllResultAttrs() != b.getAllResultAttrs() ||
      opsA.size() != opsB.size() || !a.getBody().hasOneBlock() ||
      !b.getBody().hasOneBlock())
    return false;
  IRMapping map; // b's values -> a's
  map.map(b.getArguments(), a.getArguments());
  for (auto [index, x, y] : llvm::enumerate(opsA, opsB)) {
    if (x->getName() != y->getName() ||
        x->getNumOperands() != y->getNumOperands() ||
        x->getResultTypes() != y->getResultTypes() ||
        x->getNumRegions() != y->getNumRegions() ||
        x->getNumSuccessors() != 0 || y->getNumSuccessors() != 0)
      return false;
    for (auto [u, v] : llvm::zip(x->getOperands(), y->getOperands()))
      if (map.lookupOrNull(v) != u)
        return false;
    if (!compareAttributes(x, y, index, sites))
      return false;
    for (auto [rx, ry] : llvm::zip(x->getRegions(), y->getRegions())) {
      if (rx.getBlocks().size() != ry.getBlocks().size())
        return false;
      for (auto [bx, by] : llvm::zip(rx, ry)) {
        if (bx.getArgumentTypes() != by.getArgumentTypes())
          return false;
        map.map(by.getArguments(), bx.getArguments());
      }
    }
    map.map(y->getResults(), x->getResults());
  }
  return true;
}

/// The value a function's op holds at `site`, as an attribute.
TypedAttr valueAt(Operation *op, const Site &site) {
  if (site.position < 0)
    return cast<arith::ConstantOp>(op).getValue();
  auto slice = cast<OffsetSizeAndStrideOpInterface>(op);
  return IntegerAttr::get(IndexType::get(op->getContext()),
                          slice.getStaticOffsets()[site.position]);
}

struct MergeFunctionsPass
    : public qnt::impl::MergeFunctionsPassBase<MergeFunctionsPass> {
  using MergeFunctionsPassBase::MergeFunctionsPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Every symbol's users, found in one walk of the module.
    SymbolTableCollection tables;
    SymbolUserMap users(tables, module);
    // The candidates: private functions with a body, called (only) by
    // func.call.
    SmallVector<func::FuncOp> candidates;
    for (auto fn : module.getOps<func::FuncOp>()) {
      if (!fn.isPrivate() || fn.isExternal() ||
          llvm::any_of(users.getUsers(fn),
                       [](Operation *user) { return !isa<func::CallOp>(user); }))
        continue;
      candidates.push_back(fn);
    }
    // Groups: each candidate joins the first group whose first function it
    // is alike, else starts one.
    struct Member {
      func::FuncOp fn;
      SmallVector<Operation *> ops;
    };
    struct Group {
      SmallVector<Member> members;
      SmallVector<Site> sites;
    };
    SmallVector<Group> groups;
    for (func::FuncOp fn : candidates) {
      Member member{fn, opsOf(fn)};
      bool joined = false;
      for (Group &group : groups) {
        Member &first = group.members.front();
        SmallVector<Site> sites;
        if (!alike(first.fn, fn, first.ops, member.ops, sites))
          continue;
        SmallVector<Site> all(group.sites);
        all.append(sites);
        llvm::sort(all);
        all.erase(llvm::unique(all), all.end());
        if (int64_t(all.size()) > maxArguments)
          continue;
        group.sites = std::move(all);
        group.members.push_back(std::move(member));
        joined = true;
        break;
      }
      if (!joined)
        groups.push_back(Group{{std::move(member)}, {}});
    }
    for (Group &group : groups)
      if (group.members.size() > 1)
        merge(group.members, group.sites, users);
  }

  template <typename Member>
  void merge(SmallVectorImpl<Member> &members, ArrayRef<Site> sites,
             const SymbolUserMap &users) {
    func::FuncOp kept = members.front().fn;
    ArrayRef<Operation *> keptOps = members.front().ops;
    // Each member's values at the sites, read before the kept function
    // changes.
    SmallVector<SmallVector<TypedAttr>> values;
    for (Member &member : members) {
      SmallVector<TypedAttr> row;
      for (const Site &site : sites)
        row.push_back(valueAt(member.ops[site.op], site));
      values.push_back(std::move(row));
    }
    // One argument per column of values, after the kept function's own; a
    // column that is another's plus the same amount in every member (the
    // offsets of one layer's weights, the cache layer written and read) is
    // that argument plus a constant.
    SmallVector<int64_t> base(sites.size());
    SmallVector<APInt> delta(sites.size());
    SmallVector<int64_t> args; // the columns passed
    for (size_t j = 0; j < sites.size(); ++j) {
      base[j] = j;
      APInt v0 = cast<IntegerAttr>(values[0][j]).getValue();
      delta[j] = APInt::getZero(v0.getBitWidth());
      for (int64_t r : args) {
        if (values[0][r].getType() != values[0][j].getType())
          continue;
        APInt d = v0 - cast<IntegerAttr>(values[0][r]).getValue();
        if (llvm::all_of(values, [&](ArrayRef<TypedAttr> row) {
              return cast<IntegerAttr>(row[j]).getValue() -
                         cast<IntegerAttr>(row[r]).getValue() ==
                     d;
            })) {
          base[j] = r;
          delta[j] = d;
          break;
        }
      }
      if (base[j] == int64_t(j))
        args.push_back(j);
    }
    Location loc = kept.getLoc();
    DenseMap<int64_t, Value> argOf;
    for (int64_t j : args) {
      if (failed(kept.insertArgument(kept.getNumArguments(),
                                     values[0][j].getType(), DictionaryAttr(),
                                     loc)))
        return signalPassFailure();
      argOf[j] = kept.getArgument(kept.getNumArguments() - 1);
    }
    Block &entry = kept.getBody().front();
    OpBuilder atEntry = OpBuilder::atBlockBegin(&entry);
    SmallVector<Value> siteValues;
    for (size_t j = 0; j < sites.size(); ++j) {
      Value arg = argOf.lookup(base[j]);
      if (delta[j].isZero()) {
        siteValues.push_back(arg);
        continue;
      }
      Value d = arith::ConstantOp::create(
          atEntry, loc, IntegerAttr::get(arg.getType(), delta[j]));
      siteValues.push_back(arith::AddIOp::create(atEntry, loc, arg, d));
    }
    // Constants: their uses read the value.
    for (auto [site, value] : llvm::zip(sites, siteValues))
      if (site.position < 0)
        keptOps[site.op]->getResult(0).replaceAllUsesWith(value);
    // Slices: their offsets at the sites become the values.
    llvm::MapVector<Operation *, SmallVector<std::pair<int64_t, Value>>> slices;
    for (auto [site, value] : llvm::zip(sites, siteValues))
      if (site.position >= 0)
        slices[keptOps[site.op]].push_back({site.position, value});
    for (auto &[op, offsets] : slices) {
      auto slice = cast<OffsetSizeAndStrideOpInterface>(op);
      SmallVector<OpFoldResult> mixed = slice.getMixedOffsets();
      for (auto [position, value] : offsets)
        mixed[position] = value;
      OpBuilder b(op);
      Operation *replacement;
      if (auto extract = dyn_cast<tensor::ExtractSliceOp>(op))
        replacement = tensor::ExtractSliceOp::create(
            b, op->getLoc(), extract.getType(), extract.getSource(), mixed,
            extract.getMixedSizes(), extract.getMixedStrides());
      else {
        auto insert = cast<tensor::InsertSliceOp>(op);
        replacement = tensor::InsertSliceOp::create(
            b, op->getLoc(), insert.getSource(), insert.getDest(), mixed,
            insert.getMixedSizes(), insert.getMixedStrides());
      }
      replacement->setDiscardableAttrs(op->getDiscardableAttrDictionary());
      op->replaceAllUsesWith(replacement);
      op->erase();
    }
    for (const Site &site : sites)
      if (site.position < 0 && keptOps[site.op]->use_empty())
        keptOps[site.op]->erase();

    // Every call passes its function's values; the other functions go.
    for (auto [member, row] : llvm::zip(members, values)) {
      for (Operation *user : users.getUsers(member.fn)) {
        auto call = cast<func::CallOp>(user);
        OpBuilder b(call);
        SmallVector<Value> operands(call.getOperands());
        for (int64_t j : args)
          operands.push_back(
              arith::ConstantOp::create(b, call.getLoc(), row[j]));
        auto merged = func::CallOp::create(b, call.getLoc(), kept, operands);
        merged->setDiscardableAttrs(call->getDiscardableAttrDictionary());
        call.replaceAllUsesWith(merged.getResults());
        call.erase();
      }
    }
    for (Member &member : llvm::drop_begin(members))
      member.fn.erase();
  }
};

} // namespace

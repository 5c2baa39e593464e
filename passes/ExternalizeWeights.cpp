//===- ExternalizeWeights.cpp - Constant tensors into a weights file ------===//
//
// The weights of a model should not be compiled into its code: they are large,
// and the runtime can map them from a file at load. This pass writes every
// large constant tensor to a file, 64-byte aligned (a cache line, a 512-bit
// vector), and reads it back through memref.view of a byte buffer the entry
// point receives. An attribute used by several constants (one weight shared
// by two entry points) is written once.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::qnt {
#define GEN_PASS_DEF_EXTERNALIZEWEIGHTSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::qnt

using namespace mlir;

namespace {

constexpr uint64_t kAlignment = 64;

/// The bytes of a dense or dense_resource tensor constant, row-major; false
/// if the attribute holds none it can give (a splat is expanded).
bool bytesOf(ElementsAttr attr, std::vector<char> &out) {
  auto type = cast<ShapedType>(attr.getType());
  unsigned bits = type.getElementTypeBitWidth();
  if (bits % 8 != 0)
    return false;
  size_t bytes = size_t(type.getNumElements()) * (bits / 8);
  ArrayRef<char> raw;
  if (auto dense = dyn_cast<DenseElementsAttr>(attr))
    raw = dense.getRawData();
  else if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr))
    if (AsmResourceBlob *blob = resource.getRawHandle().getBlob())
      raw = blob->getData();
  if (raw.size() == bytes) {
    out.assign(raw.begin(), raw.end());
    return true;
  }
  if (auto dense = dyn_cast<DenseElementsAttr>(attr); dense && dense.isSplat() &&
                                                      raw.size() == bits / 8) {
    out.resize(bytes);
    for (size_t i = 0; i < bytes; i += raw.size())
      std::copy(raw.begin(), raw.end(), out.begin() + i);
    return true;
  }
  return false;
}

struct ExternalizeWeightsPass
    : public mlir::qnt::impl::ExternalizeWeightsPassBase<ExternalizeWeightsPass> {
  using ExternalizeWeightsPassBase::ExternalizeWeightsPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (file.empty()) {
      module.emitError("qnt-externalize-weights needs file=<path>");
      return signalPassFailure();
    }
    std::error_code ec;
    llvm::raw_fd_ostream os(file, ec, llvm::sys::fs::OF_None);
    if (ec) {
      module.emitError("cannot write ") << file << ": " << ec.message();
      return signalPassFailure();
    }

    SymbolTableCollection symbols;
    SymbolUserMap users(symbols, module);
    DenseMap<Attribute, uint64_t> offsets;
    uint64_t size = 0;
    for (auto fn : module.getOps<func::FuncOp>()) {
      if (fn.isDeclaration())
        continue;
      SmallVector<arith::ConstantOp> constants;
      fn.walk([&](arith::ConstantOp c) {
        auto type = dyn_cast<RankedTensorType>(c.getType());
        auto attr = dyn_cast<ElementsAttr>(c.getValue());
        if (type && attr && type.hasStaticShape() &&
            type.getElementTypeBitWidth() % 8 == 0 &&
            type.getNumElements() * (type.getElementTypeBitWidth() / 8) >=
                minBytes)
          constants.push_back(c);
      });
      if (constants.empty())
        continue;
      if (!users.getUsers(fn).empty()) {
        fn.emitError("cannot externalize the constants of a function that is "
                     "called: its callers would need the weights argument");
        return signalPassFailure();
      }

      // The weights argument, last.
      auto bytes = MemRefType::get({ShapedType::kDynamic},
                                   IntegerType::get(&getContext(), 8));
      unsigned index = fn.getNumArguments();
      if (failed(fn.insertArgument(index, bytes,
                                   DictionaryAttr::get(&getContext(),
                                       {NamedAttribute(
                                           StringAttr::get(&getContext(), "qnt.weights"),
                                           UnitAttr::get(&getContext()))}),
                                   fn.getLoc())))
        return signalPassFailure();
      Value weights = fn.getArgument(index);

      for (arith::ConstantOp c : constants) {
        auto attr = cast<ElementsAttr>(c.getValue());
        auto [it, inserted] = offsets.try_emplace(attr, 0);
        if (inserted) {
          std::vector<char> data;
          if (!bytesOf(attr, data)) {
            c.emitError("cannot read this constant's bytes");
            return signalPassFailure();
          }
          uint64_t start = (size + kAlignment - 1) / kAlignment * kAlignment;
          os.write_zeros(start - size);
          os.write(data.data(), data.size());
          it->second = start;
          size = start + data.size();
        }
        OpBuilder b(c);
        auto type = cast<RankedTensorType>(c.getType());
        auto memrefType = MemRefType::get(type.getShape(), type.getElementType());
        Value offset = arith::ConstantIndexOp::create(b, c.getLoc(), it->second);
        Value view = memref::ViewOp::create(b, c.getLoc(), memrefType, weights,
                                            offset, ValueRange{});
        auto tensor = bufferization::ToTensorOp::create(b, c.getLoc(), type, view,
                                                        /*restrict=*/true,
                                                        /*writable=*/false);
        c.replaceAllUsesWith(tensor.getResult());
        c.erase();
      }
    }
    os.write_zeros((size + kAlignment - 1) / kAlignment * kAlignment - size);
    if (os.has_error()) {
      module.emitError("writing ") << file << " failed";
      return signalPassFailure();
    }
  }
};

} // namespace

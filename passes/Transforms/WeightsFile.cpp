//===- WeightsFile.cpp - Writing weights to the file the runtime maps -----===//

#include "passes/Transforms/WeightsFile.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/FileSystem.h"

using namespace mlir;
using namespace qnt;

LogicalResult WeightsFileWriter::open(StringRef file, bool append,
                                      Location loc) {
  path = file.str();
  size = 0;
  if (append) {
    uint64_t existing = 0;
    if (!llvm::sys::fs::file_size(path, existing))
      size = existing;
  }
  std::error_code ec;
  os = std::make_unique<llvm::raw_fd_ostream>(
      path, ec, append ? llvm::sys::fs::OF_Append : llvm::sys::fs::OF_None);
  if (ec) {
    os.reset();
    return emitError(loc) << "cannot write " << path << ": " << ec.message();
  }
  closing = false;
  thread = std::thread([this] { writeQueued(); });
  return success();
}

void WeightsFileWriter::writeQueued() {
  std::unique_lock<std::mutex> lock(mutex);
  for (;;) {
    changed.wait(lock, [&] { return closing || !queue.empty(); });
    if (queue.empty())
      return; // closing, all written
    auto [padding, bytes] = std::move(queue.front());
    queue.pop_front();
    lock.unlock();
    os->write_zeros(padding);
    os->write(bytes.data(), bytes.size());
    size_t written = bytes.size();
    bytes = std::vector<char>(); // freed before the next is taken
    lock.lock();
    queued -= written;
    changed.notify_all();
  }
}

uint64_t WeightsFileWriter::write(std::vector<char> bytes) {
  uint64_t start = (size + kAlignment - 1) / kAlignment * kAlignment;
  uint64_t padding = start - size;
  size = start + bytes.size();
  std::unique_lock<std::mutex> lock(mutex);
  changed.wait(lock, [&] {
    return queued == 0 || queued + bytes.size() <= kInFlight;
  });
  queued += bytes.size();
  queue.emplace_back(padding, std::move(bytes));
  changed.notify_all();
  return start;
}

LogicalResult WeightsFileWriter::close(Location loc) {
  if (!os)
    return success();
  {
    std::lock_guard<std::mutex> lock(mutex);
    closing = true;
  }
  changed.notify_all();
  thread.join();
  os->write_zeros((size + kAlignment - 1) / kAlignment * kAlignment - size);
  os->close();
  bool failed = os->has_error();
  if (failed)
    os->clear_error();
  os.reset();
  if (failed)
    return emitError(loc) << "writing " << path << " failed";
  return success();
}

WeightsFileWriter::~WeightsFileWriter() {
  if (thread.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      closing = true;
    }
    changed.notify_all();
    thread.join();
  }
  if (os) {
    os->close();
    os->clear_error();
  }
}

FailureOr<Value> qnt::getOrAddWeightsArgument(func::FuncOp fn,
                                              const SymbolUserMap &users,
                                              StringRef what) {
  if (!users.getUsers(fn).empty())
    return fn.emitError("cannot ")
           << what << " of a function that is called: its callers would need "
              "the weights argument";
  for (unsigned i = 0; i < fn.getNumArguments(); ++i)
    if (fn.getArgAttr(i, kWeightsArgAttr))
      return Value(fn.getArgument(i));
  MLIRContext *ctx = fn.getContext();
  auto bytes = MemRefType::get({ShapedType::kDynamic}, IntegerType::get(ctx, 8));
  unsigned index = fn.getNumArguments();
  auto marker = DictionaryAttr::get(
      ctx, {NamedAttribute(StringAttr::get(ctx, kWeightsArgAttr), UnitAttr::get(ctx))});
  if (failed(fn.insertArgument(index, bytes, marker, fn.getLoc())))
    return failure();
  return Value(fn.getArgument(index));
}

Value qnt::viewWeights(OpBuilder &b, Location loc, Value weights,
                       uint64_t offset, RankedTensorType type) {
  auto memrefType = MemRefType::get(type.getShape(), type.getElementType());
  Value at = arith::ConstantIndexOp::create(b, loc, offset);
  Value view = memref::ViewOp::create(b, loc, memrefType, weights, at, ValueRange{});
  return bufferization::ToTensorOp::create(b, loc, type, view, /*restrict=*/true,
                                           /*writable=*/false);
}

ArrayRef<char> qnt::rawElementBytes(ElementsAttr attr) {
  if (auto dense = dyn_cast<DenseElementsAttr>(attr))
    return dense.isSplat() ? ArrayRef<char>() : dense.getRawData();
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr))
    if (AsmResourceBlob *blob = resource.getRawHandle().getBlob())
      return blob->getData();
  return {};
}

bool qnt::elementBytes(ElementsAttr attr, std::vector<char> &out) {
  auto type = cast<ShapedType>(attr.getType());
  unsigned bits = type.getElementTypeBitWidth();
  if (bits % 8 != 0)
    return false;
  size_t bytes = size_t(type.getNumElements()) * (bits / 8);
  ArrayRef<char> raw = rawElementBytes(attr);
  if (raw.size() == bytes) {
    out.assign(raw.begin(), raw.end());
    return true;
  }
  // A splat: its one value, repeated.
  auto dense = dyn_cast<DenseElementsAttr>(attr);
  if (!dense || !dense.isSplat() || dense.getRawData().size() != bits / 8)
    return false;
  ArrayRef<char> value = dense.getRawData();
  out.resize(bytes);
  for (size_t i = 0; i < bytes; i += value.size())
    std::copy(value.begin(), value.end(), out.begin() + i);
  return true;
}

ArrayRef<char> qnt::allElementBytes(ElementsAttr attr,
                                    std::vector<char> &storage) {
  auto type = cast<ShapedType>(attr.getType());
  size_t bytes = size_t(type.getNumElements()) *
                 ((type.getElementTypeBitWidth() + 7) / 8);
  ArrayRef<char> raw = rawElementBytes(attr);
  if (raw.size() == bytes)
    return raw;
  if (elementBytes(attr, storage) && storage.size() == bytes)
    return storage;
  return {};
}

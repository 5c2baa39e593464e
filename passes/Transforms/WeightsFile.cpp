//===- WeightsFile.cpp - Writing weights to the file the runtime maps -----===//

#include "passes/Transforms/WeightsFile.h"

#include "dialects/qnt/QntOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Process.h"

#include <cstring>

using namespace mlir;
using namespace qnt;

LogicalResult WeightsFileWriter::create(StringRef file, Location loc) {
  path = file.str();
  size = 0;
  entries.clear();
  names.clear();
  byName.clear();
  std::error_code ec;
  os = std::make_unique<llvm::raw_fd_ostream>(path, ec, llvm::sys::fs::OF_None);
  if (ec) {
    os.reset();
    return emitError(loc) << "cannot write " << path << ": " << ec.message();
  }
  startThread();
  return success();
}

LogicalResult WeightsFileWriter::extend(StringRef file, Location loc) {
  path = file.str();
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false,
                                            /*IsVolatile=*/false,
                                            llvm::Align(kAlignment));
  if (!buffer)
    return emitError(loc) << "cannot read " << path << ": "
                          << buffer.getError().message();
  qnt_weights_index index;
  char message[512];
  if (qnt_weights_index_read((*buffer)->getBufferStart(),
                             (*buffer)->getBufferSize(), &index, message,
                             sizeof message) != 0)
    return emitError(loc) << "cannot add to " << path << ": " << message;
  entries.assign(index.entries, index.entries + index.count);
  names.clear();
  byName.clear();
  for (auto [i, e] : llvm::enumerate(entries)) {
    StringRef name(index.names + e.name_offset, e.name_length);
    e.name_offset = names.size();
    names += name;
    byName[name] = i;
  }
  size = index.data_size;
  buffer->reset();
  // The index goes; the tensors stay, and the new ones follow them.
  std::error_code ec;
  int fd = -1;
  if (!(ec = llvm::sys::fs::openFileForReadWrite(path, fd,
                                                 llvm::sys::fs::CD_OpenExisting,
                                                 llvm::sys::fs::OF_None))) {
    ec = llvm::sys::fs::resize_file(fd, size);
    llvm::sys::Process::SafelyCloseFileDescriptor(fd);
  }
  if (!ec)
    os = std::make_unique<llvm::raw_fd_ostream>(path, ec,
                                                llvm::sys::fs::OF_Append);
  if (ec) {
    os.reset();
    return emitError(loc) << "cannot write " << path << ": " << ec.message();
  }
  startThread();
  return success();
}

void WeightsFileWriter::startThread() {
  closing = false;
  thread = std::thread([this] { writeQueued(); });
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

FailureOr<std::string> WeightsFileWriter::write(StringRef name, ShapedType type,
                                                std::vector<char> bytes,
                                                Location loc) {
  int32_t dtype = WeightOp::getFileDType(type.getElementType());
  if (dtype < 0 || !type.hasStaticShape() ||
      type.getRank() > QNT_WEIGHTS_MAX_RANK)
    return emitError(loc) << "a weights file cannot hold " << type
                          << " (f32, f16, bf16, f64 and 8 to 64-bit integers, "
                             "static shapes of rank 0 to "
                          << QNT_WEIGHTS_MAX_RANK << ")";
  uint64_t expected = uint64_t(type.getNumElements()) * qnt_dtype_size(dtype);
  if (bytes.size() != expected)
    return emitError(loc) << "the bytes of " << type << " are " << expected
                          << ", got " << bytes.size();
  std::string unique = name.empty() ? "weight" : name.str();
  for (unsigned n = 1; byName.count(unique); ++n)
    unique = (name + "." + Twine(n)).str();

  uint64_t start = (size + kAlignment - 1) / kAlignment * kAlignment;
  uint64_t padding = start - size;
  size = start + bytes.size();
  qnt_weights_entry e = {};
  e.offset = start;
  e.size = bytes.size();
  e.name_offset = names.size();
  e.name_length = unique.size();
  e.dtype = dtype;
  e.rank = type.getRank();
  for (auto [i, dim] : llvm::enumerate(type.getShape()))
    e.shape[i] = dim;
  byName[unique] = entries.size();
  entries.push_back(e);
  names += unique;

  std::unique_lock<std::mutex> lock(mutex);
  changed.wait(lock, [&] {
    return queued == 0 || queued + bytes.size() <= kInFlight;
  });
  queued += bytes.size();
  queue.emplace_back(padding, std::move(bytes));
  changed.notify_all();
  return unique;
}

const qnt_weights_entry *WeightsFileWriter::lookup(StringRef name) const {
  auto it = byName.find(name);
  return it == byName.end() ? nullptr : &entries[it->second];
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
  // The index: entries, names, footer (qnt/weights.h).
  uint64_t indexOffset = (size + kAlignment - 1) / kAlignment * kAlignment;
  os->write_zeros(indexOffset - size);
  os->write(reinterpret_cast<const char *>(entries.data()),
            entries.size() * sizeof(qnt_weights_entry));
  os->write(names.data(), names.size());
  qnt_weights_footer footer = {};
  footer.index_offset = indexOffset;
  footer.count = entries.size();
  footer.names_size = names.size();
  std::memcpy(footer.magic, QNT_WEIGHTS_MAGIC, sizeof footer.magic);
  os->write(reinterpret_cast<const char *>(&footer), sizeof footer);
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

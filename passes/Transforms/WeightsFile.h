//===- WeightsFile.h - Writing weights to the file the runtime maps -*- C++
//-*-===//
//
// The one writer of weights files (qnt/weights.h: tensors' bytes, each
// 64-byte aligned, then an index of their names, offsets, types and shapes).
// The fold pass streams the quantized weights into a new file;
// --qnt-externalize-weights adds the remaining constants to it, writes the
// index, and binds each qnt.weight to bufferization.to_tensor(memref.view(
// %weights[offset])), %weights being the function's argument marked
// qnt.weights.
//
//===----------------------------------------------------------------------===//

#ifndef QNT_PASSES_TRANSFORMS_WEIGHTSFILE_H
#define QNT_PASSES_TRANSFORMS_WEIGHTSFILE_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "mlir/IR/SymbolTable.h"
#include "qnt/Support/MLIR.h"
#include "qnt/weights.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/raw_ostream.h"

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace qnt {

/// Writes a weights file: named tensors, then their index. The bytes are
/// written on a thread of the writer's own while the caller makes the next
/// ones (a copy into the page cache takes about as long as repacking a
/// weight); at most kInFlight bytes wait to be written (or one larger run).
class WeightsFileWriter {
public:
  static constexpr uint64_t kAlignment = QNT_WEIGHTS_ALIGNMENT;
  static constexpr uint64_t kInFlight = 256ull << 20;

  WeightsFileWriter() = default;
  WeightsFileWriter(const WeightsFileWriter &) = delete;
  WeightsFileWriter &operator=(const WeightsFileWriter &) = delete;
  ~WeightsFileWriter();

  /// Starts a new file at `path` (truncated).
  LogicalResult create(StringRef path, Location loc);
  /// Adds to the weights file at `path`: its tensors stay, its index is
  /// read, and rewritten with the new tensors' at close. Fails on a file
  /// without a valid index.
  LogicalResult extend(StringRef path, Location loc);

  /// Queues the row-major `bytes` of a tensor of `type` for the next aligned
  /// offset, under `name` (or `name.1`, `name.2`... if it is taken: the same
  /// weight folded in two forms). Returns the name given; fails, with an
  /// error at `loc`, for a type the file cannot describe or bytes that are
  /// not the type's.
  FailureOr<std::string> write(StringRef name, ShapedType type,
                               std::vector<char> bytes, Location loc);

  /// The entry named `name`, or null.
  const qnt_weights_entry *lookup(StringRef name) const;

  /// Writes what is queued and the index; fails if any write failed.
  LogicalResult close(Location loc);

private:
  void writeQueued();
  void startThread();

  std::unique_ptr<llvm::raw_fd_ostream> os;
  std::string path;
  uint64_t size = 0;
  std::vector<qnt_weights_entry> entries;
  std::string names;
  llvm::StringMap<size_t> byName;
  std::thread thread;
  std::mutex mutex;
  std::condition_variable changed;
  /// Runs to write: zero bytes of padding first, then the bytes.
  std::deque<std::pair<uint64_t, std::vector<char>>> queue;
  uint64_t queued = 0;
  bool closing = false;
};

/// The attribute that marks a function's weights argument.
constexpr llvm::StringLiteral kWeightsArgAttr = "qnt.weights";

/// The function's weights argument (memref<?xi8>, marked qnt.weights), added
/// last if it has none. Fails, with an error saying that `what` cannot be
/// done, for a function that is called: its callers would need the argument.
FailureOr<Value> getOrAddWeightsArgument(func::FuncOp fn,
                                         const SymbolUserMap &users,
                                         StringRef what);

/// bufferization.to_tensor of memref.view(weights[offset]) as `type`.
Value viewWeights(OpBuilder &b, Location loc, Value weights, uint64_t offset,
                  RankedTensorType type);

/// The row-major bytes behind a dense (not splat) or dense_resource
/// attribute, without copying; empty if it has none to give.
ArrayRef<char> rawElementBytes(ElementsAttr attr);

/// The row-major bytes of a dense or dense_resource attribute (a splat
/// expanded); false if it holds none it can give.
bool elementBytes(ElementsAttr attr, std::vector<char> &out);

/// All the row-major bytes of `attr`: without copying where it holds them,
/// else a splat expanded into `storage`; empty if it holds none (a
/// dense_resource without its blob).
ArrayRef<char> allElementBytes(ElementsAttr attr, std::vector<char> &storage);

} // namespace qnt

#endif // QNT_PASSES_TRANSFORMS_WEIGHTSFILE_H

//===- FoldWeightQuant.cpp - Quantize constant weights at compile time ----===//
//
// A qnt.linear whose weight is a compile-time constant gets the weight
// quantized now, by qnt::math::quantize (the same code the runtime tests and
// references use), and stored as a qnt.constant of dense_resource blobs in the
// layout the kernels read.
//
// A linear with a weight_layout (--qnt-data-tiling) gets its weight in that
// layout: the reduction zero-padded to whole blocks, as GGML pads an odd
// reduction (a zero changes no dot product and no absmax), then arranged in
// tiles of n0 channels by qnt::math::tile. Without a layout, a reduction the
// block does not divide (stories260K's FFN of 172) is quantized per channel
// (one scale per output row) instead.
//
// A weight that arrives quantized, qnt.dequantize of a qnt.constant, keeps its
// integers and scales: only the storage changes (i8 <-> u8 offset 128, a flip
// of the top bit). A GGML Q4_0 weight with a tiled layout keeps its nibbles
// and scales too (4-bit, u4 offset 8: ggml's own u = q + 8), repacked into
// the tiles; so do Q4_1 and Q4_K, with a minimum per block of 32 beside the
// scale (storage u4, mins; Q4_K's scales and minimums in two levels, bytes
// and a factor per 256). A weight in another GGML block format
// (qnt.ggml_constant: Q5_K, Q6_K, ...) is dequantized as ggml does and
// quantized like a float one; Q6_K with a tiled layout keeps its 6 bits
// (u6 offset 32 in groups of 16, int8 scales times an fp16 d per 256), and
// IQ4_NL its 4-bit indices into the grid (u4_grid, fp16 d per 32). An
// embedding table in Q4_0, Q4_1 or Q4_K keeps its 4-bit rows (row-major
// nibbles); in another block format it becomes Q8_0, unless it is a tied
// output head's, gathered from the head's tiles.
//
// A weight attribute is quantized once, however many linears read it; the
// keep-float option leaves chosen layers in float.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/Transforms/WeightsFile.h"

#include "dialects/qnt/QntOps.h"
#include "qnt/Math/Ggml.h"
#include "qnt/Math/Quant.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cstring>
#include <numeric>

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace qnt {
#define GEN_PASS_DEF_FOLDWEIGHTQUANTPASS
#include "passes/Passes.h.inc"
} // namespace qnt

using namespace mlir;
using namespace qnt;

//===----------------------------------------------------------------------===//
// The dialect's schemes and the maths library's
//===----------------------------------------------------------------------===//

/// The scheme in the form the dependency-free maths library takes (field for
/// field; the library refuses to quantize what it does not handle). Its enums
/// are generated from the dialect's (lib/Math/gen-enums.py): each cast keeps
/// the case.
static ::qnt::math::Scheme toMathScheme(SchemeAttr scheme) {
  ::qnt::math::Scheme s;
  s.bits = scheme.getBits();
  s.granularity = static_cast<::qnt::math::Granularity>(scheme.getGranularity());
  s.axis = scheme.getAxis();
  s.block = scheme.getBlock();
  s.symmetric = scheme.getSymmetric();
  s.storage = static_cast<::qnt::math::Storage>(scheme.getStorage());
  s.f16Scale = scheme.getScale().isF16();
  s.rounding = static_cast<::qnt::math::Rounding>(scheme.getRounding());
  s.sums = scheme.getSums();
  s.mins = scheme.getMins();
  s.superBlock = scheme.getSuperBlock();
  s.sumsBlock = scheme.getSumsBlock();
  return s;
}

/// The reverse: the attribute of a maths scheme (a GGML format's, say).
static SchemeAttr fromMathScheme(MLIRContext *context,
                                 const ::qnt::math::Scheme &s) {
  Type scale = s.f16Scale ? Type(Float16Type::get(context))
                          : Type(Float32Type::get(context));
  return SchemeAttr::get(context, s.bits,
                         static_cast<Granularity>(s.granularity), s.axis,
                         s.block, s.symmetric, static_cast<Storage>(s.storage),
                         scale, static_cast<Rounding>(s.rounding), s.sums,
                         s.mins, s.superBlock, s.sumsBlock);
}

//===----------------------------------------------------------------------===//
// Reading and writing elements attributes
//===----------------------------------------------------------------------===//

/// The elements of an f32/f16/bf16 dense or dense_resource attribute as
/// floats; false if they cannot be read.
static bool readFloatElements(ElementsAttr attr, std::vector<float> &values) {
  Type elementType = attr.getElementType();
  int64_t n = attr.getNumElements();
  values.resize(n);
  if (auto dense = dyn_cast<DenseFPElementsAttr>(attr)) {
    int64_t i = 0;
    for (APFloat v : dense.getValues<APFloat>())
      values[i++] = v.convertToFloat() ;
    return true;
  }
  ArrayRef<char> bytes = rawElementBytes(attr);
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

/// The values a qnt.ggml_constant stands for, dequantized as ggml does.
static bool readGgmlElements(GgmlConstantOp op, std::vector<float> &values) {
  std::vector<char> storage;
  ArrayRef<char> bytes = allElementBytes(op.getBlocks(), storage);
  if (bytes.empty())
    return false;
  auto type = cast<RankedTensorType>(op.getResult().getType());
  values.resize(type.getNumElements());
  return ::qnt::math::ggmlDequantize(
      uint32_t(op.getFormat()), reinterpret_cast<const uint8_t *>(bytes.data()),
      values.data(), int64_t(values.size()));
}

/// A weight known at compile time: its source attribute (the cache key) and
/// a way to read it as floats.
struct ConstantWeight {
  ElementsAttr attr;
  GgmlConstantOp ggml; ///< set when the weight is GGML blocks

  bool read(std::vector<float> &values) const {
    return ggml ? readGgmlElements(ggml, values) : readFloatElements(attr, values);
  }
};

/// The weight as a compile-time constant: an arith.constant or GGML blocks.
static std::optional<ConstantWeight> constantWeight(Value weight) {
  if (auto ggml = weight.getDefiningOp<GgmlConstantOp>())
    return ConstantWeight{ggml.getBlocks(), ggml};
  ElementsAttr attr;
  if (matchPattern(weight, m_Constant(&attr)))
    return ConstantWeight{attr, {}};
  return std::nullopt;
}

/// Hints that a weight's source bytes will not be read again soon. With a
/// weights file each weight is read once, and a model mapped from disk
/// would otherwise stay resident whole to the end of the compile (a Q8_0
/// model's peak memory was its GGUF plus everything else). The hint keeps
/// the contents whatever memory holds them: MADV_PAGEOUT reclaims clean
/// pages of a file mapping (read again from the file if they are used
/// again, as a tied head's are) and leaves anonymous memory alone or swaps
/// it. Only the pages wholly inside the bytes are touched.
static void releaseSourcePages(ArrayRef<char> bytes) {
#if defined(__linux__) && defined(MADV_PAGEOUT)
  static const uintptr_t page = uintptr_t(sysconf(_SC_PAGESIZE));
  uintptr_t begin = (uintptr_t(bytes.data()) + page - 1) & ~(page - 1);
  uintptr_t end = (uintptr_t(bytes.data()) + bytes.size()) & ~(page - 1);
  if (end > begin)
    (void)madvise(reinterpret_cast<void *>(begin), end - begin, MADV_PAGEOUT);
#else
  (void)bytes;
#endif
}

/// The bytes of a vector, for the weights file.
template <typename T> static ArrayRef<char> asBytes(const std::vector<T> &v) {
  return ArrayRef<char>(reinterpret_cast<const char *>(v.data()),
                        v.size() * sizeof(T));
}

/// The name of the weight defined at `loc`: its name location's if it has
/// one (importers name weights after the model's tensors), else "weight".
static std::string weightName(Location loc) {
  if (auto named = dyn_cast<NameLoc>(loc))
    return named.getName().str();
  return "weight";
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

/// Whether a linear reading `weight` quantizes its input with zero points:
/// the weight then keeps its per-group sums for their correction.
static bool needsSums(Value weight) {
  return llvm::any_of(weight.getUsers(), [&](Operation *user) {
    auto linear = dyn_cast<LinearOp>(user);
    return linear && linear.getWeight() == weight && linear.getActAsymmetric();
  });
}

namespace {

struct FoldOptions {
  WeightBits bits;
  bool mins; ///< 4-bit float weights with minimums (Q4_1's rule)
  Granularity granularity;
  int64_t block;
  Storage storage;
  Type scale;
  Rounding rounding;
  SmallVector<std::string> keepFloat;
};

/// True when the options keep this linear in float.
bool keptFloat(LinearOp op, const FoldOptions &options) {
  return op.isNamedBy(options.keepFloat);
}

/// A weight's quantized form, built once per source attribute (attributes
/// are immortal and uniqued): in memory as dense_resource blobs, or, when
/// the pass streams into a weights file, as names of tensors in it.
struct Folded {
  QTensorType type;
  SmallVector<Attribute> blobs;    ///< in memory: the components
  SmallVector<std::string> names;  ///< in the file: the components' names
};

/// Where the quantized weights go: in memory, or streamed into a file that
/// the functions read through their weights argument.
class WeightStore {
public:
  explicit WeightStore(WeightsFileWriter *writer) : writer(writer) {}

  /// The weights go to a file as they are folded.
  bool streaming() const { return writer != nullptr; }

  /// Stores the components of a weight of `type` (their bytes, in the
  /// type's component order) under `name` (the data; the others with a
  /// suffix: `_scales`...). Fails, with an error at `loc`, if the file
  /// cannot take them.
  FailureOr<Folded> store(QTensorType type, StringRef name,
                          std::vector<std::vector<char>> components,
                          Location loc) {
    Folded f{type, {}, {}};
    SmallVector<Type> types;
    type.getComponentTypes(types);
    if (type.hasRecords()) {
      // One tensor, named as the weight: the components group by group.
      const int64_t tiles = type.getLayout().rowTiles(type.getShape()[0]);
      std::vector<char> records = ::qnt::math::interleaveRecords(
          components, type.getRecordParts(), type.getRecordLayout(), tiles,
          type.getNumGroups());
      components.clear();
      components.push_back(std::move(records));
    }
    SmallVector<StringRef> suffixes = {"", "_scales"};
    if (type.getZeroPointsType())
      suffixes.push_back("_zero_points");
    if (type.getMinsType())
      suffixes.push_back("_mins");
    if (type.getSuperType())
      suffixes.push_back("_super_scales");
    if (type.getSuperMinsType())
      suffixes.push_back("_super_mins");
    if (type.getSumsType())
      suffixes.push_back("_sums");
    for (auto [i, bytes] : llvm::enumerate(components)) {
      bytesStored += bytes.size();
      auto shaped = cast<ShapedType>(types[i]);
      if (writer) {
        FailureOr<std::string> stored = writer->write(
            (name + suffixes[i]).str(), shaped, std::move(bytes), loc);
        if (failed(stored)) {
          writeFailed = true;
          return failure();
        }
        f.names.push_back(std::move(*stored));
        continue;
      }
      f.blobs.push_back(DenseResourceElementsAttr::get(
          shaped, ("qnt_" + name + suffixes[i]).str(),
          HeapAsmResourceBlob::allocateAndCopyWithAlign(
              ArrayRef<char>(bytes), shaped.getElementTypeBitWidth() / 8)));
    }
    return f;
  }

  /// Counts a weight now folded (for all its linears), of `toFold`; with
  /// `progress`, says so in a remark at the linear: "folded weight N of M,
  /// B bytes stored" (quant-compile shows these as its progress). A weight
  /// in two functions (prefill, decode) counts twice, its bytes once.
  void folded(Operation *linear) {
    ++done;
    if (progress)
      linear->emitRemark() << "folded weight " << done << " of " << toFold
                           << ", " << bytesStored << " bytes stored";
  }
  bool progress = false;
  int64_t toFold = 0;

  /// True once a write to the file failed (its error emitted).
  bool writeFailed = false;

  /// The quantized value: a qnt.constant of the blobs, or qnt.pack of the
  /// file's tensors (qnt.weight).
  Value materialize(OpBuilder &b, Location loc, const Folded &f) const {
    if (!writer && f.type.hasRecords()) // qnt.constant holds plain ones
      return PackOp::create(b, loc, f.type,
                            ValueRange{arith::ConstantOp::create(
                                b, loc, cast<TypedAttr>(f.blobs.front()))});
    if (!writer) {
      SmallVector<ElementsAttr> parts;
      for (Attribute blob : f.blobs)
        parts.push_back(cast<ElementsAttr>(blob));
      return ConstantOp::create(b, loc, f.type, parts);
    }
    SmallVector<Type> types;
    f.type.getComponentTypes(types);
    SmallVector<Value> parts;
    for (auto [name, type] : llvm::zip(f.names, types))
      parts.push_back(WeightOp::create(b, loc, type, name));
    return PackOp::create(b, loc, f.type, parts);
  }

private:
  int64_t done = 0;
  uint64_t bytesStored = 0;
  WeightsFileWriter *writer;
};

/// Folded weights by source attribute and form (layout and sums: cacheForm).
using FoldCache = DenseMap<std::pair<Attribute, Attribute>, Folded>;

/// The second half of a FoldCache key: the layout asked for, and whether the
/// weight keeps sums.
Attribute cacheForm(MLIRContext *ctx, LayoutAttr requested, bool sums) {
  return ArrayAttr::get(ctx, {requested ? Attribute(requested) : UnitAttr::get(ctx),
                              BoolAttr::get(ctx, sums)});
}

/// The layout a weight of `cols` columns is stored in: `requested` with its
/// padding made a multiple of the block as well.
LayoutAttr effectiveLayout(LayoutAttr requested, SchemeAttr scheme) {
  // A whole super-block, where the scales have two levels.
  // Records group the components of per-block schemes only.
  if (!requested)
    return requested;
  bool records = requested.getRecords() &&
                 scheme.getGranularity() == Granularity::PerBlock;
  int64_t block =
      scheme.getSuperBlock() ? scheme.getSuperBlock() : scheme.getBlock();
  int64_t pad = requested.getPad();
  if (scheme.isBlocked() && pad % block != 0)
    pad = std::lcm(pad, block);
  return LayoutAttr::get(requested.getContext(), requested.getN0(),
                         requested.getK0(), pad, records);
}

/// The bytes of a quantized weight's components in `layout` (data, scales):
/// q padded and tiled as the layout says, scales as the scheme stores them.
std::vector<std::vector<char>> componentBytes(const ::qnt::math::QuantizedTensor &q,
                                              LayoutAttr layout) {
  auto bytes = [](const auto &v) {
    ArrayRef<char> b = asBytes(v);
    return std::vector<char>(b.begin(), b.end());
  };
  // The same components, row-major (QuantizedTensor) or tiled.
  auto parts = [&](const auto &t) {
    bool f16 = q.scheme.f16Scale;
    std::vector<std::vector<char>> out = {bytes(t.data)};
    if (q.scheme.superBlock) {
      out.push_back(bytes(t.subScales));
      if (q.scheme.mins)
        out.push_back(bytes(t.subMins));
      out.push_back(f16 ? bytes(t.superScalesF16) : bytes(t.superScales));
      if (q.scheme.mins)
        out.push_back(f16 ? bytes(t.superMinsF16) : bytes(t.superMins));
    } else {
      out.push_back(f16 ? bytes(t.scalesF16) : bytes(t.scales));
      if (q.scheme.mins)
        out.push_back(f16 ? bytes(t.minsF16) : bytes(t.mins));
    }
    if (q.scheme.sums)
      out.push_back(bytes(t.sums));
    return out;
  };
  if ((!layout || !layout.isTiled()) && q.scheme.bits == 4) {
    // Row-major nibbles, two values a byte.
    std::vector<std::vector<char>> out = parts(q);
    out[0] = bytes(::qnt::math::packRowNibbles(q));
    return out;
  }
  if (!layout || !layout.isTiled())
    return parts(q);
  ::qnt::math::TiledTensor t;
  bool tiled = ::qnt::math::tile(q, layout.getN0(), layout.getK0(), t);
  assert(tiled && "the layout verifier admits only tileable schemes");
  (void)tiled;
  return parts(t);
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

/// linear(x, arith.constant W) -> linear(x, quantize(W)), the quantized
/// weight built next to W and given to every linear that reads W.
struct QuantizeConstantWeight : OpRewritePattern<LinearOp> {
  QuantizeConstantWeight(MLIRContext *ctx, const FoldOptions &options,
                         FoldCache &cache, WeightStore &store)
      : OpRewritePattern(ctx), options(options), cache(cache), store(store) {}

  LogicalResult matchAndRewrite(LinearOp op,
                                PatternRewriter &rewriter) const override {
    Value weight = op.getWeight();
    auto weightType = dyn_cast<RankedTensorType>(weight.getType());
    if (!weightType)
      return rewriter.notifyMatchFailure(op, "weight is already quantized");
    if (keptFloat(op, options))
      return rewriter.notifyMatchFailure(op, "kept in float by keep-float");
    std::optional<ConstantWeight> source = constantWeight(weight);
    if (!source)
      return rewriter.notifyMatchFailure(op, "weight is not a constant");
    ElementsAttr attr = source->attr;
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointAfterValue(weight);
    bool sums = needsSums(weight);
    Attribute form = cacheForm(getContext(), op.getWeightLayoutAttr(), sums);
    if (auto it = cache.find({attr, form}); it != cache.end()) {
      useAsWeight(rewriter, weight,
                  store.materialize(rewriter, weight.getLoc(), it->second));
      store.folded(op);
      return success();
    }

    int64_t rows = weightType.getDimSize(0), cols = weightType.getDimSize(1);
    LayoutAttr requested = op.getWeightLayoutAttr();
    Granularity granularity = options.granularity;
    if (!requested && granularity == Granularity::PerBlock &&
        cols % options.block != 0)
      granularity = Granularity::PerChannel; // see the rule in the header
    MLIRContext *ctx = getContext();
    // A 4-bit GGML weight (Q4_0; Q4_1 and Q4_K with their minimums) with
    // tiles to go into keeps its 4 bits as they are. 4-bit data lives in the
    // tiles only: a linear without them stays 8-bit.
    bool tiled = requested && requested.isTiled();
    std::optional<GgmlFormat> format;
    if (source->ggml)
      format = source->ggml.getFormat();
    bool keep4 = options.bits != WeightBits::Eight && tiled && format;
    bool repackQ4 = keep4 && *format == GgmlFormat::Q4_0;
    // Minimums are corrected with the activation's sums, which an input
    // with zero points does not carry as they are: such linears stay 8-bit.
    bool repackMins = keep4 && !sums &&
                      (*format == GgmlFormat::Q4_1 || *format == GgmlFormat::Q4_K);
    // Q6_K keeps its 6 bits (groups of 16, int8 scales times d per 256).
    bool repackQ6 = keep4 && *format == GgmlFormat::Q6_K;
    // IQ4_NL keeps its grid indices (and gets the sums of its grid values
    // for zero points).
    bool repackGrid = keep4 && *format == GgmlFormat::IQ4_NL;
    // Q8_0 blocks are the default 8-bit scheme's: their integers and fp16
    // scales kept, in the requested storage (as a qnt.constant's are).
    bool repackQ8 = format && *format == GgmlFormat::Q8_0;
    bool repack = repackQ4 || repackMins;
    bool fourBits = repack || (options.bits == WeightBits::Four && tiled &&
                               !repackQ6 && !repackGrid && !repackQ8);
    bool mins = repackMins || (fourBits && !repack && options.mins && !sums);
    SchemeAttr scheme;
    if (repackQ6) {
      ::qnt::math::Scheme q6 = ::qnt::math::q6KScheme();
      q6.sums = sums;
      scheme = fromMathScheme(ctx, q6);
    } else if (repackGrid) {
      ::qnt::math::Scheme grid = ::qnt::math::iq4nlScheme();
      grid.sums = sums;
      scheme = fromMathScheme(ctx, grid);
    } else if (repackQ8) {
      SchemeAttr q8 = SchemeAttr::getQ8_0(ctx);
      scheme = SchemeAttr::get(ctx, 8, q8.getGranularity(), q8.getAxis(),
                               q8.getBlock(), /*symmetric=*/true,
                               options.storage, q8.getScale(), q8.getRounding(),
                               sums, /*mins=*/false, /*superBlock=*/0,
                               /*sumsBlock=*/0);
    } else if (fourBits) {
      // Repacked blocks keep their scales: fp16 for Q4_0 and Q4_1, and
      // Q4_K's two levels (6-bit sc and m per 32, fp16 d and dmin per 256).
      Type scale = repack ? Type(Float16Type::get(ctx)) : options.scale;
      int64_t superBlock =
          repack && *format == GgmlFormat::Q4_K ? ::qnt::math::q4KScheme().superBlock : 0;
      scheme = SchemeAttr::get(
          ctx, 4, Granularity::PerBlock, /*axis=*/0,
          repack ? ::qnt::math::kQ8_0BlockSize : options.block,
          /*symmetric=*/true, mins ? Storage::U4 : Storage::U4Offset8, scale,
          Rounding::HalfAwayFromZero, sums, mins, superBlock,
          /*sumsBlock=*/0);
    } else {
      scheme =
          SchemeAttr::get(ctx, 8, granularity, /*axis=*/0, options.block,
                          /*symmetric=*/true, options.storage, options.scale,
                          options.rounding, sums,
                          /*mins=*/false, /*superBlock=*/0, /*sumsBlock=*/0);
    }
    LayoutAttr layout = effectiveLayout(requested, scheme);
    int64_t stored = layout ? layout.paddedCols(cols) : cols;

    ::qnt::math::QuantizedTensor q;
    if (repack || repackQ6 || repackGrid || repackQ8) {
      std::vector<char> storage;
      ArrayRef<char> blocks = allElementBytes(source->ggml.getBlocks(), storage);
      if (blocks.empty())
        return rewriter.notifyMatchFailure(op, "GGML blocks are unreadable");
      auto *raw = reinterpret_cast<const uint8_t *>(blocks.data());
      bool unpacked =
          repackQ8 ? ::qnt::math::unpackQ8_0(raw, rows, cols,
                                             toMathScheme(scheme).storage, q)
          : repackQ6   ? ::qnt::math::unpackQ6_K(raw, rows, cols, q)
          : repackGrid ? ::qnt::math::unpackIQ4_NL(raw, rows, cols, q)
          : repackQ4   ? ::qnt::math::unpackQ4_0(raw, rows, cols, q)
                     : ::qnt::math::unpackGgmlWithMins(uint32_t(*format), raw,
                                                       rows, cols, q);
      if (!unpacked || !::qnt::math::padColumns(q, stored))
        return rewriter.notifyMatchFailure(op, "GGML blocks are unreadable");
      if (sums)
        ::qnt::math::computeSums(q);
    } else {
      std::vector<float> values;
      if (!source->read(values))
        return rewriter.notifyMatchFailure(op, "weight elements are unreadable");
      if (stored != cols)
        values = ::qnt::math::padColumns(values.data(), rows, cols, stored);
      if (!::qnt::math::quantize(values.data(), rows, stored,
                                 toMathScheme(scheme), q))
        return rewriter.notifyMatchFailure(op, "scheme does not fit the weight");
    } // one weight's floats at a time
    if (store.streaming())
      releaseSourcePages(rawElementBytes(source->attr));

    auto type = QTensorType::get(ctx, weightType.getShape(),
                                 rewriter.getF32Type(), scheme, layout);
    FailureOr<Folded> kept =
        store.store(type, weightName(weight.getLoc()),
                    componentBytes(q, layout), op.getLoc());
    if (failed(kept))
      return failure();
    const Folded &folded = cache[{attr, form}] = std::move(*kept);
    useAsWeight(rewriter, weight,
                store.materialize(rewriter, weight.getLoc(), folded));
    store.folded(op);
    return success();
  }

  const FoldOptions &options;
  FoldCache &cache;
  WeightStore &store;
};

/// linear(x, dequantize(qnt.constant Q)) -> linear(x, Q'), Q' being Q in the
/// requested storage: no requantization.
struct RepackQuantizedWeight : OpRewritePattern<LinearOp> {
  RepackQuantizedWeight(MLIRContext *ctx, const FoldOptions &options,
                        FoldCache &cache, WeightStore &store)
      : OpRewritePattern(ctx), options(options), cache(cache), store(store) {}

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
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointAfter(source);
    LayoutAttr requested = op.getWeightLayoutAttr();
    bool sums = needsSums(dequant.getResult());
    if (sums == scheme.getSums() && scheme.getStorage() == options.storage &&
        !store.streaming() && !requested) {
      useAsWeight(rewriter, dequant.getResult(), source.getResult());
      store.folded(op);
      return success();
    }
    // Sums are computed by relayout, in a row-major layout if none is asked.
    if (sums && !requested)
      requested = LayoutAttr::get(getContext(), 0, 0, 1);
    std::pair<Attribute, Attribute> key = {source.getData(),
                                           cacheForm(getContext(), requested, sums)};
    auto it = cache.find(key);
    if (it == cache.end()) {
      SchemeAttr newScheme = SchemeAttr::get(
          getContext(), scheme.getBits(), scheme.getGranularity(),
          scheme.getAxis(), scheme.getBlock(), scheme.getSymmetric(),
          options.storage, scheme.getScale(), scheme.getRounding(), sums,
          /*mins=*/false, /*superBlock=*/0, /*sumsBlock=*/0);
      FailureOr<Folded> folded =
          requested ? relayout(source, newScheme, requested)
                    : restore(source, newScheme);
      if (failed(folded))
        return rewriter.notifyMatchFailure(op, "component bytes are unreadable");
      it = cache.try_emplace(key, std::move(*folded)).first;
    }
    useAsWeight(rewriter, dequant.getResult(),
                store.materialize(rewriter, source.getLoc(), it->second));
    store.folded(op);
    return success();
  }

  /// The constant in another storage, its layout kept.
  FailureOr<Folded> restore(ConstantOp source, SchemeAttr scheme) const {
    QTensorType type = source.getResult().getType();
    auto newType = QTensorType::get(getContext(), type.getShape(),
                                    type.getExpressedType(), scheme,
                                    type.getLayout());
    std::vector<char> data;
    if (!elementBytes(source.getData(), data))
      return failure();
    if (type.getScheme().getStorage() != scheme.getStorage())
      ::qnt::math::toggleOffset128(reinterpret_cast<int8_t *>(data.data()),
                                   data.size());
    SmallVector<ElementsAttr> others = {source.getScales()};
    for (std::optional<ElementsAttr> extra : {source.getZeroPoints(), source.getSums()})
      if (extra)
        others.push_back(*extra);
    if (store.streaming()) {
      std::vector<std::vector<char>> components;
      components.push_back(std::move(data));
      for (ElementsAttr other : others)
        if (!elementBytes(other, components.emplace_back()))
          return failure();
      return store.store(newType, weightName(source.getLoc()),
                         std::move(components), source.getLoc());
    }
    // In memory: new data; the scales (and the rest) are shared as they are.
    FailureOr<Folded> folded = store.store(newType, weightName(source.getLoc()),
                                           {data}, source.getLoc());
    if (succeeded(folded))
      folded->blobs.append(others.begin(), others.end());
    return folded;
  }

  /// A row-major quantized constant in `requested`'s padding and tiles: its
  /// integers and scales as they are, blocks of zeros (scale 0) appended.
  FailureOr<Folded> relayout(ConstantOp source, SchemeAttr scheme,
                             LayoutAttr requested) const {
    QTensorType type = source.getResult().getType();
    if (type.getLayout() || type.getRank() != 2 || type.getSumsType() ||
        type.getZeroPointsType())
      return failure();
    ::qnt::math::QuantizedTensor q;
    q.rows = type.getShape()[0];
    q.cols = type.getShape()[1];
    q.scheme = toMathScheme(type.getScheme());
    if (!::qnt::math::scaleLayout(q.scheme, q.rows, q.cols, q.layout))
      return failure();
    std::vector<char> data, scales;
    if (!elementBytes(source.getData(), data) ||
        !elementBytes(source.getScales(), scales))
      return failure();
    q.data.assign(data.begin(), data.end());
    size_t numScales = q.layout.scaleRows * q.layout.scaleCols;
    q.scales.resize(numScales);
    if (q.scheme.f16Scale) {
      q.scalesF16.resize(numScales);
      std::memcpy(q.scalesF16.data(), scales.data(), 2 * numScales);
      for (size_t i = 0; i < numScales; ++i)
        q.scales[i] = ::qnt::math::fp16ToFloat(q.scalesF16[i]);
    } else {
      std::memcpy(q.scales.data(), scales.data(), 4 * numScales);
    }
    ::qnt::math::restore(q, toMathScheme(scheme).storage);
    if (scheme.getSums())
      ::qnt::math::computeSums(q);
    LayoutAttr layout = effectiveLayout(requested, scheme);
    if (!::qnt::math::padColumns(q, layout.paddedCols(q.cols)))
      return failure();
    auto newType = QTensorType::get(getContext(), type.getShape(),
                                    type.getExpressedType(), scheme, layout);
    return store.store(newType, weightName(source.getLoc()),
                       componentBytes(q, layout), source.getLoc());
  }

  const FoldOptions &options;
  FoldCache &cache;
  WeightStore &store;
};

/// embedding(qnt.ggml_constant T) -> embedding(qnt.constant Q(T)): a table
/// that arrives in a GGML block format is gathered from quantized rows
/// rather than from f32 ones: Q4_0, Q4_1 and Q4_K rows stay 4-bit as they
/// are (unless bits=8), Q8_0 rows as they are, other formats become int8 rows
/// (GGML's Q8_0, the default weight scheme). F32/F16/BF16 tables stay as they
/// are.
struct QuantizeGgmlTable : OpRewritePattern<EmbeddingOp> {
  /// Each table's quantized form, by its blocks attribute: the tables of
  /// several functions (prefill, decode) are one, stored once.
  struct Table {
    QTensorType type;
    SmallVector<ElementsAttr> components;
  };
  using TableCache = DenseMap<Attribute, Table>;

  QuantizeGgmlTable(MLIRContext *ctx, const FoldOptions &options, TableCache &cache)
      : OpRewritePattern(ctx), options(options), cache(cache) {}

  LogicalResult matchAndRewrite(EmbeddingOp op,
                                PatternRewriter &rewriter) const override {
    auto ggml = op.getTable().getDefiningOp<GgmlConstantOp>();
    if (!ggml)
      return rewriter.notifyMatchFailure(op, "table is not GGML blocks");
    auto type = cast<RankedTensorType>(ggml.getResult().getType());
    if (type.getRank() != 2 || type.getDimSize(1) % 32 != 0)
      return rewriter.notifyMatchFailure(op, "rows are not whole Q8_0 blocks");
    auto it = cache.find(ggml.getBlocks());
    if (it == cache.end()) {
      FailureOr<Table> table = quantizeTable(ggml, type);
      if (failed(table))
        return rewriter.notifyMatchFailure(op, "blocks are unreadable");
      it = cache.try_emplace(ggml.getBlocks(), *table).first;
    }
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointAfter(ggml);
    Value table = ConstantOp::create(rewriter, ggml.getLoc(), it->second.type,
                                     it->second.components);
    rewriter.modifyOpInPlace(op, [&] { op.getTableMutable().assign(table); });
    return success();
  }

  /// The table's rows quantized: 4-bit and Q8_0 GGML blocks unpacked as they
  /// are, other formats requantized to Q8_0; components as dense_resource
  /// blobs.
  FailureOr<Table> quantizeTable(GgmlConstantOp ggml, RankedTensorType type) const {
    MLIRContext *ctx = getContext();
    int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
    GgmlFormat format = ggml.getFormat();
    ::qnt::math::QuantizedTensor q;
    bool fourBits = options.bits != WeightBits::Eight &&
                    (format == GgmlFormat::Q4_0 || format == GgmlFormat::Q4_1 ||
                     format == GgmlFormat::Q4_K);
    std::vector<char> storage;
    ArrayRef<char> blocks = allElementBytes(ggml.getBlocks(), storage);
    if (blocks.empty())
      return failure();
    auto *raw = reinterpret_cast<const uint8_t *>(blocks.data());
    if (fourBits) {
      if (!(format == GgmlFormat::Q4_0
                ? ::qnt::math::unpackQ4_0(raw, rows, cols, q)
                : ::qnt::math::unpackGgmlWithMins(uint32_t(format), raw, rows, cols, q)))
        return failure();
    } else if (format == GgmlFormat::Q8_0) {
      if (!::qnt::math::unpackQ8_0(raw, rows, cols, ::qnt::math::Storage::I8, q))
        return failure();
    } else {
      std::vector<float> values;
      if (!readGgmlElements(ggml, values) ||
          !::qnt::math::quantize(values.data(), rows, cols,
                                 ::qnt::math::Scheme::q8_0(), q))
        return failure();
    }
    SchemeAttr scheme = fromMathScheme(ctx, q.scheme);
    Table table{QTensorType::get(ctx, type.getShape(), Float32Type::get(ctx), scheme), {}};
    // In memory, as blobs named like a weight's (externalized later).
    FailureOr<Folded> folded =
        WeightStore(/*writer=*/nullptr)
            .store(table.type, weightName(ggml.getLoc()),
                   componentBytes(q, LayoutAttr()), ggml.getLoc());
    if (failed(folded))
      return failure();
    for (Attribute blob : folded->blobs)
      table.components.push_back(cast<ElementsAttr>(blob));
    return table;
  }

  const FoldOptions &options;
  TableCache &cache;
};

/// embedding(T) -> embedding(W) where a linear's weight W was folded from the
/// same constant (a tied output head): the table is gathered from the head's
/// 8-bit or 6-bit tiles, so the weights file holds it once. Runs after the
/// linears.
struct ShareTiledTable : OpRewritePattern<EmbeddingOp> {
  ShareTiledTable(MLIRContext *ctx, const FoldCache &cache,
                  const WeightStore &store)
      : OpRewritePattern(ctx, /*benefit=*/2), cache(cache), store(store) {}

  LogicalResult matchAndRewrite(EmbeddingOp op,
                                PatternRewriter &rewriter) const override {
    Attribute source;
    Operation *def = op.getTable().getDefiningOp();
    if (auto ggml = dyn_cast_or_null<GgmlConstantOp>(def))
      source = ggml.getBlocks();
    else if (auto constant = dyn_cast_or_null<ConstantOp>(def))
      source = constant.getData();
    if (!source)
      return rewriter.notifyMatchFailure(op, "table is no constant");
    const Folded *shared = nullptr;
    for (const auto &[key, folded] : cache) {
      SchemeAttr s = folded.type.getScheme();
      // 8-bit tiles (32 values within a group), or 6-bit ones (Q6_K's
      // super-blocks: two groups of 16 a step).
      bool eight = s.getBits() == 8 && s.getBlock() % kVecBlock == 0;
      bool six = s.getBits() == 6 && s.getBlock() == kVecBlock / 2 &&
                 s.getSuperBlock() % kVecBlock == 0;
      if (key.first == source && folded.type.isTiled() && (eight || six) &&
          s.isBlocked() && !s.getSums()) {
        shared = &folded;
        break;
      }
    }
    if (!shared)
      return rewriter.notifyMatchFailure(op, "no linear shares this table");
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointAfter(def);
    Value table = store.materialize(rewriter, def->getLoc(), *shared);
    rewriter.modifyOpInPlace(op, [&] { op.getTableMutable().assign(table); });
    return success();
  }

  /// The gather dequantizes 32 values a step, within one group.
  static constexpr int64_t kVecBlock = 32;
  const FoldCache &cache;
  const WeightStore &store;
};

/// True when a pattern above would rewrite this linear.
bool folds(LinearOp op, const FoldOptions &options) {
  if (keptFloat(op, options) || !isa<RankedTensorType>(op.getWeight().getType()))
    return false;
  if (constantWeight(op.getWeight()))
    return true;
  auto dequant = op.getWeight().getDefiningOp<DequantizeOp>();
  return dequant && dequant.getInput().getDefiningOp<ConstantOp>();
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

struct FoldWeightQuantPass
    : public qnt::impl::FoldWeightQuantPassBase<FoldWeightQuantPass> {
  using FoldWeightQuantPassBase::FoldWeightQuantPassBase;

  LogicalResult parseOptions(FoldOptions &o) {
    MLIRContext *ctx = &getContext();
    ModuleOp module = getOperation();
    Location loc = module.getLoc();
    o.bits = bits;
    o.granularity = granularity;
    if (block < 1)
      return emitError(loc) << "block must be positive, got "
                            << static_cast<int64_t>(block);
    o.block = block;
    bool vnni = TargetAttr::lookup(module).getDot() == DotKind::Vnni;
    o.storage = storage == WeightStorage::U8 ||
                        (storage == WeightStorage::Auto && vnni)
                    ? Storage::U8Offset128
                    : Storage::I8;
    o.scale = scale == ScaleType::F16 ? Type(Float16Type::get(ctx))
                                      : Type(Float32Type::get(ctx));
    o.mins = mins;
    if (o.mins && o.bits != WeightBits::Four)
      return emitError(loc) << "mins are for 4-bit weights (bits=4)";
    if (o.bits == WeightBits::Four &&
        (o.granularity != Granularity::PerBlock || o.block % 32 != 0))
      return emitError(loc) << "4-bit weights are quantized per block of a "
                               "multiple of 32 values, got "
                            << (o.granularity == Granularity::PerBlock
                                    ? "per-block"
                                    : "per-channel")
                            << " with block " << static_cast<int64_t>(block);
    o.keepFloat.assign(keepFloat.begin(), keepFloat.end());
    o.rounding = rounding;
    return success();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    FoldOptions options;
    if (failed(parseOptions(options)))
      return signalPassFailure();

    // Streaming: the quantized weights go to a new weights file as they are
    // made, and the code names them (qnt.weight).
    WeightsFileWriter writer;
    bool streaming = !weightsFile.empty();
    if (streaming && failed(writer.create(weightsFile, module.getLoc())))
      return signalPassFailure();

    FoldCache cache;
    WeightStore store(streaming ? &writer : nullptr);
    store.progress = progress;
    if (progress) { // weights, not linears: a weight's users fold at once
      llvm::DenseSet<Value> weights;
      module.walk([&](LinearOp op) {
        if (folds(op, options))
          weights.insert(op.getWeight());
      });
      store.toFold = weights.size();
    }
    RewritePatternSet patterns(&getContext());
    patterns.add<QuantizeConstantWeight>(&getContext(), options, cache, store);
    patterns.add<RepackQuantizedWeight>(&getContext(), options, cache, store);
    // Rewrite the linears only: no folding or constant hoisting of the rest
    // of the module. Float weights left without users are erased as dead.
    GreedyRewriteConfig config;
    config.enableFolding(false).enableConstantCSE(false).setRegionSimplificationLevel(
        GreedySimplifyRegionLevel::Disabled);
    if (failed(applyPatternsGreedily(module, std::move(patterns), config)) ||
        store.writeFailed)
      return signalPassFailure();
    // Then the tables: a tied head's tiles where a linear has them, else
    // their own quantized rows.
    RewritePatternSet tablePatterns(&getContext());
    tablePatterns.add<ShareTiledTable>(&getContext(), cache, store);
    QuantizeGgmlTable::TableCache tables;
    tablePatterns.add<QuantizeGgmlTable>(&getContext(), options, tables);
    if (failed(
            applyPatternsGreedily(module, std::move(tablePatterns), config)) ||
        store.writeFailed)
      return signalPassFailure();
    if (streaming && failed(writer.close(module.getLoc())))
      return signalPassFailure();
  }
};

} // namespace

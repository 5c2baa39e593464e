//===- QntTypes.cpp - qnt attributes and types --------------------*- C++ -*-===//

#include "dialects/qnt/QntDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace qnt;

#include "dialects/qnt/QntEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/qnt/QntAttrs.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/qnt/QntTypes.cpp.inc"

void QntDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/qnt/QntAttrs.cpp.inc"
      >();
}

void QntDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "dialects/qnt/QntTypes.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// TargetAttr and LayoutAttr
//===----------------------------------------------------------------------===//

LogicalResult TargetAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 StringRef cpu, unsigned vectorBits,
                                 DotKind dot, unsigned registers) {
  if (vectorBits != 128 && vectorBits != 256 && vectorBits != 512)
    return emitError() << "vector_bits must be 128, 256 or 512, got "
                       << vectorBits;
  if (registers != 16 && registers != 32)
    return emitError() << "registers must be 16 or 32, got " << registers;
  if (dot == DotKind::Maddubs && vectorBits != 256)
    return emitError() << "the maddubs dot is AVX2's: vector_bits must be 256";
  if (dot == DotKind::Vnni && vectorBits == 128)
    return emitError() << "the vnni dot needs 256 or 512 vector_bits";
  return success();
}

TargetAttr TargetAttr::lookup(Operation *op) {
  ModuleOp module = isa<ModuleOp>(op) ? cast<ModuleOp>(op)
                                      : op->getParentOfType<ModuleOp>();
  if (module)
    if (auto target = module->getAttrOfType<TargetAttr>(kAttrName))
      return target;
  return TargetAttr::get(op->getContext(), "", 128, DotKind::Generic, 16);
}

LogicalResult LayoutAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 int64_t n0, int64_t k0, int64_t pad,
                                 bool records) {
  if (n0 < 0 || k0 < 0 || (n0 == 0) != (k0 == 0))
    return emitError() << "n0 and k0 must both be positive (tiled) or both "
                          "0, got "
                       << n0 << " and " << k0;
  if (pad < 1)
    return emitError() << "pad must be positive, got " << pad;
  if (k0 > 0 && pad % k0 != 0)
    return emitError() << "k0 " << k0 << " must divide pad " << pad;
  if (records && n0 == 0)
    return emitError() << "records are a tiled layout's: n0 and k0 must be set";
  return success();
}

//===----------------------------------------------------------------------===//
// SchemeAttr
//===----------------------------------------------------------------------===//

LogicalResult SchemeAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 unsigned bits, Granularity granularity,
                                 int64_t axis, int64_t block, bool symmetric,
                                 Storage storage, Type scale, Rounding rounding,
                                 bool sums, bool mins, int64_t superBlock,
                                 int64_t sumsBlock) {
  if (bits != 8 && bits != 4 && bits != 6)
    return emitError() << "bits must be 8, 6 or 4, got " << bits;
  if (axis < 0)
    return emitError() << "axis must be non-negative, got " << axis;
  if (granularity == Granularity::PerBlock && block <= 0)
    return emitError() << "block size must be positive, got " << block;
  if (!scale.isF16() && !scale.isF32())
    return emitError() << "scale type must be f16 or f32, got " << scale;
  if (storage == Storage::U8Offset128 && (bits != 8 || !symmetric))
    return emitError() << "u8_offset128 storage needs a symmetric 8-bit scheme";
  bool nibbles = storage == Storage::U4Offset8 || storage == Storage::U4 ||
                 storage == Storage::U4Grid;
  if ((bits == 4) != nibbles)
    return emitError() << "4-bit schemes are stored as u4_offset8, u4 or "
                          "u4_grid, and only they";
  if (mins != (storage == Storage::U4))
    return emitError() << "u4 storage (the nibble as it is) goes with mins, "
                          "and mins with it";
  if (bits == 4 && (!symmetric || granularity != Granularity::PerBlock))
    return emitError() << "a 4-bit scheme must be symmetric and per_block "
                          "(GGML Q4_0's values)";
  if ((bits == 6) != (storage == Storage::U6Offset32))
    return emitError() << "6-bit schemes are stored as u6_offset32, and only "
                          "they";
  if (bits == 6 && (!symmetric || granularity != Granularity::PerBlock ||
                    block % 16 != 0 || !superBlock))
    return emitError() << "a 6-bit scheme must be symmetric, per_block with "
                          "blocks a multiple of 16, and have a super_block "
                          "(GGML Q6_K's values)";
  if (superBlock < 0)
    return emitError() << "super_block must be non-negative, got "
                       << superBlock;
  if (superBlock && !mins && bits != 6)
    return emitError() << "super_block (two-level scales) needs mins or 6 "
                          "bits";
  if (superBlock && (superBlock <= block || superBlock % block != 0))
    return emitError() << "super_block " << superBlock
                       << " must be a multiple of the block " << block
                       << ", larger than it";
  if (sumsBlock < 0)
    return emitError() << "sums_block must be non-negative, got " << sumsBlock;
  if (sumsBlock && (!sums || granularity != Granularity::PerBlock ||
                    sumsBlock >= block || block % sumsBlock != 0))
    return emitError() << "sums_block " << sumsBlock
                       << " needs sums, per_block, and a block that is a "
                          "larger multiple of it, got block "
                       << block;
  return success();
}

SchemeAttr SchemeAttr::getQ8_0(MLIRContext *ctx) {
  return SchemeAttr::get(ctx, /*bits=*/8, Granularity::PerBlock, /*axis=*/0,
                         /*block=*/32, /*symmetric=*/true, Storage::I8,
                         Float16Type::get(ctx), Rounding::HalfAwayFromZero,
                         /*sums=*/false, /*mins=*/false, /*superBlock=*/0,
                         /*sumsBlock=*/0);
}

SchemeAttr SchemeAttr::withStorage(Storage storage) const {
  return SchemeAttr::get(getContext(), getBits(), getGranularity(), getAxis(),
                         getBlock(), getSymmetric(), storage, getScale(),
                         getRounding(), getSums(), getMins(), getSuperBlock(),
                         getSumsBlock());
}

//===----------------------------------------------------------------------===//
// QTensorType
//===----------------------------------------------------------------------===//

Type QTensorType::parse(AsmParser &parser) {
  SmallVector<int64_t> shape;
  Type expressed;
  SchemeAttr scheme;
  LayoutAttr layout;
  if (parser.parseLess() ||
      parser.parseDimensionList(shape, /*allowDynamic=*/true,
                                /*withTrailingX=*/true) ||
      parser.parseType(expressed) || parser.parseComma() ||
      parser.parseAttribute(scheme))
    return {};
  if (succeeded(parser.parseOptionalComma()) && parser.parseAttribute(layout))
    return {};
  if (parser.parseGreater())
    return {};
  return parser.getChecked<QTensorType>(parser.getContext(), shape, expressed,
                                        scheme, layout);
}

void QTensorType::print(AsmPrinter &printer) const {
  printer << "<";
  printer.printDimensionList(getShape());
  printer << "x" << getExpressedType() << ", " << getScheme();
  if (getLayout())
    printer << ", " << getLayout();
  printer << ">";
}

LogicalResult QTensorType::verify(function_ref<InFlightDiagnostic()> emitError,
                                  ArrayRef<int64_t> shape, Type expressedType,
                                  SchemeAttr scheme, LayoutAttr layout) {
  if (shape.empty())
    return emitError() << "quantized tensor must have rank >= 1";
  for (int64_t d : shape)
    if (d < 0 && !ShapedType::isDynamic(d))
      return emitError() << "dimensions must be non-negative";
  if (!isa<FloatType>(expressedType))
    return emitError() << "expressed type must be a float type, got "
                       << expressedType;
  int64_t rank = shape.size();
  int64_t last = shape.back();
  if (layout) {
    if (rank != 2)
      return emitError() << "a layout needs a rank-2 tensor, got rank " << rank;
    if (ShapedType::isDynamic(last))
      return emitError() << "a layout needs a static last dimension";
    if (layout.isTiled()) {
      if (ShapedType::isDynamic(shape[0]))
        return emitError() << "a tiled layout needs a static first dimension";
      Granularity g = scheme.getGranularity();
      if (g != Granularity::PerBlock &&
          !(g == Granularity::PerChannel && scheme.getAxis() == 0))
        return emitError() << "a tiled layout needs per_block or per_channel "
                              "(axis 0) scales";
    }
    if (layout.getRecords() && scheme.getGranularity() != Granularity::PerBlock)
      return emitError() << "records group a per_block scheme's components";
    last = layout.paddedCols(last);
    if (layout.isTiled() && scheme.getBits() == 4 &&
        last % (2 * layout.getK0()) != 0)
      return emitError() << "4-bit tiles pack two groups of k0 = "
                         << layout.getK0() << " columns a byte: " << last
                         << " stored columns are not a multiple of "
                         << 2 * layout.getK0();
  }
  if (layout && layout.isTiled() && scheme.getBits() == 6 &&
      last % (4 * layout.getK0()) != 0)
    return emitError() << "6-bit tiles pack four groups of k0 = "
                       << layout.getK0() << " columns in three rows: " << last
                       << " stored columns are not a multiple of "
                       << 4 * layout.getK0();
  if (scheme.getBits() == 4 && !ShapedType::isDynamic(last) && last % 2 != 0)
    return emitError() << "4-bit data packs two values a byte: the last "
                          "dimension "
                       << last << " is odd";
  switch (scheme.getGranularity()) {
  case Granularity::PerChannel:
    if (scheme.getAxis() >= rank)
      return emitError() << "per_channel axis " << scheme.getAxis()
                         << " out of range for rank " << rank;
    break;
  case Granularity::PerBlock: {
    if (ShapedType::isDynamic(last))
      return emitError() << "per_block quantization needs a static last "
                            "dimension";
    if (last % scheme.getBlock() != 0)
      return emitError() << "block size " << scheme.getBlock()
                         << " does not divide the last dimension " << last
                         << (layout ? " (padded)" : "");
    if (scheme.getSuperBlock() && last % scheme.getSuperBlock() != 0)
      return emitError() << "super_block " << scheme.getSuperBlock()
                         << " does not divide the last dimension " << last
                         << (layout ? " (padded)" : "");
    break;
  }
  case Granularity::PerTensor:
  case Granularity::PerToken:
    break;
  }
  return success();
}

int64_t QTensorType::getStoredCols() const {
  int64_t cols = getShape().back();
  return getLayout() ? getLayout().paddedCols(cols) : cols;
}

int64_t QTensorType::getNumGroups() const {
  SchemeAttr scheme = getScheme();
  return scheme.isBlocked() ? getStoredCols() / scheme.getBlock() : 1;
}

SmallVector<int64_t> QTensorType::getScaleShape() const {
  ArrayRef<int64_t> shape = getShape();
  SchemeAttr scheme = getScheme();
  if (isTiled()) {
    LayoutAttr layout = getLayout();
    return {layout.rowTiles(shape[0]), getNumGroups(), layout.getN0()};
  }
  SmallVector<int64_t> result(shape.size(), 1);
  switch (scheme.getGranularity()) {
  case Granularity::PerTensor:
    break;
  case Granularity::PerChannel:
    result[scheme.getAxis()] = shape[scheme.getAxis()];
    break;
  case Granularity::PerToken:
    for (size_t i = 0; i + 1 < shape.size(); ++i)
      result[i] = shape[i];
    break;
  case Granularity::PerBlock:
    for (size_t i = 0; i + 1 < shape.size(); ++i)
      result[i] = shape[i];
    result.back() = getNumGroups();
    break;
  }
  return result;
}

RankedTensorType QTensorType::getDataType() const {
  auto i8 = IntegerType::get(getContext(), 8);
  LayoutAttr layout = getLayout();
  // Values per byte along the last axis (4 bits: 2, else 1; tiled: 8 bits
  // per value, or 4 or 6).
  int64_t pack = getScheme().getBits() == 4 ? 2 : 1;
  if (!layout || !layout.isTiled()) {
    SmallVector<int64_t> shape(getShape());
    shape.back() = getStoredCols();
    if (!ShapedType::isDynamic(shape.back()))
      shape.back() /= pack;
    return RankedTensorType::get(shape, i8);
  }
  return RankedTensorType::get({layout.rowTiles(getShape()[0]),
                                packedCols(getStoredCols()) / layout.getK0(),
                                layout.getN0(), layout.getK0()},
                               i8);
}

RankedTensorType QTensorType::getScalesType() const {
  // Two-level scales keep a byte per group (the 6-bit sc).
  Type element = getScheme().getSuperBlock()
                     ? Type(IntegerType::get(getContext(), 8))
                     : getScheme().getScale();
  return RankedTensorType::get(getScaleShape(), element);
}

RankedTensorType QTensorType::getSuperType() const {
  SchemeAttr scheme = getScheme();
  if (!scheme.getSuperBlock())
    return {};
  SmallVector<int64_t> shape = getScaleShape();
  // The groups axis: 1 of [row tiles, groups, n0], else the last.
  int64_t axis = isTiled() ? 1 : shape.size() - 1;
  shape[axis] /= scheme.getSuperRatio();
  return RankedTensorType::get(shape, scheme.getScale());
}

RankedTensorType QTensorType::getZeroPointsType() const {
  if (getScheme().getSymmetric())
    return {};
  return RankedTensorType::get(getScaleShape(),
                               IntegerType::get(getContext(), 32));
}

RankedTensorType QTensorType::getSumsType() const {
  SchemeAttr scheme = getScheme();
  if (!scheme.getSums())
    return {};
  SmallVector<int64_t> shape = getScaleShape();
  if (scheme.getSumsBlock())
    shape[isTiled() ? 1 : shape.size() - 1] *=
        scheme.getBlock() / scheme.getSumsBlock();
  return RankedTensorType::get(shape, IntegerType::get(getContext(), 32));
}

RankedTensorType QTensorType::getMinsType() const {
  if (!getScheme().getMins())
    return {};
  return getScalesType();
}

void QTensorType::getComponentTypes(SmallVectorImpl<Type> &types) const {
  if (hasRecords()) {
    types.push_back(getRecordsType());
    return;
  }
  getPlainComponentTypes(types);
}

std::vector<::qnt::math::RecordPart> QTensorType::getRecordParts() const {
  SmallVector<Type> types;
  getPlainComponentTypes(types);
  int64_t groups = getNumGroups();
  std::vector<::qnt::math::RecordPart> parts;
  for (auto [i, type] : llvm::enumerate(types)) {
    auto shaped = cast<RankedTensorType>(type);
    int64_t bytes = shaped.getNumElements() / shaped.getDimSize(0) *
                    shaped.getElementTypeBitWidth() / 8;
    // The data's unit is a group's rows; the others' a row of n0 values
    // for each group, or for each super-block (fewer rows).
    if (i == 0) {
      parts.push_back({bytes / groups, 1});
      continue;
    }
    int64_t units = shaped.getDimSize(1);
    parts.push_back({bytes / units, groups / units});
  }
  return parts;
}

::qnt::math::RecordLayout QTensorType::getRecordLayout() const {
  return ::qnt::math::recordLayout(getRecordParts(), getNumGroups());
}

RankedTensorType QTensorType::getRecordsType() const {
  if (!hasRecords())
    return {};
  ::qnt::math::RecordLayout records = getRecordLayout();
  return RankedTensorType::get({getLayout().rowTiles(getShape()[0]),
                                getNumGroups() / records.groups, records.bytes},
                               IntegerType::get(getContext(), 8));
}

void QTensorType::getPlainComponentTypes(SmallVectorImpl<Type> &types) const {
  types.push_back(getDataType());
  types.push_back(getScalesType());
  if (RankedTensorType zeroPoints = getZeroPointsType())
    types.push_back(zeroPoints);
  if (RankedTensorType mins = getMinsType())
    types.push_back(mins);
  if (RankedTensorType supers = getSuperType())
    types.push_back(supers);
  if (RankedTensorType superMins = getSuperMinsType())
    types.push_back(superMins);
  if (RankedTensorType sums = getSumsType())
    types.push_back(sums);
}

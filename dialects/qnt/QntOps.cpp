//===- QntOps.cpp - qnt operations --------------------------------*- C++ -*-===//

#include "dialects/qnt/QntOps.h"
#include "qnt/weights.h"

#include "qnt/Math/GgmlFormats.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace qnt;

#define GET_OP_CLASSES
#include "dialects/qnt/QntOps.cpp.inc"

/// The shape of a float tensor or quantized tensor operand.
static ArrayRef<int64_t> shapeOf(Type type) {
  if (auto q = dyn_cast<QTensorType>(type))
    return q.getShape();
  return cast<RankedTensorType>(type).getShape();
}

/// True when two dimensions are the same: equal sizes, or both dynamic.
static bool sameDim(int64_t a, int64_t b) { return a == b; }

/// Checks a [rows, K] x [cols, K] -> [rows, cols] contraction's shapes.
static LogicalResult verifyContraction(Operation *op, Type lhsType,
                                       Type rhsType, RankedTensorType result,
                                       StringRef rhsName) {
  ArrayRef<int64_t> lhs = shapeOf(lhsType), rhs = shapeOf(rhsType);
  if (lhs.size() != 2)
    return op->emitOpError("expects a rank-2 input, got rank ") << lhs.size();
  if (rhs.size() != 2)
    return op->emitOpError("expects a rank-2 ")
           << rhsName << ", got rank " << rhs.size();
  if (ShapedType::isDynamic(lhs[1]) || ShapedType::isDynamic(rhs[1]))
    return op->emitOpError("expects a static reduction dimension");
  if (lhs[1] != rhs[1])
    return op->emitOpError("reduction dimensions differ: input has ")
           << lhs[1] << ", " << rhsName << " has " << rhs[1];
  if (result.getRank() != 2 || !sameDim(result.getDimSize(0), lhs[0]) ||
      !sameDim(result.getDimSize(1), rhs[0]))
    return op->emitOpError("result type ")
           << result << " does not match [" << (ShapedType::isDynamic(lhs[0]) ? "?" : std::to_string(lhs[0]))
           << ", " << rhs[0] << "]";
  return success();
}

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

/// Calibrated scales are a [1, G] tensor of positive finite values.
static LogicalResult verifyScaleValues(Operation *op, StringRef name,
                                       DenseElementsAttr scales) {
  auto type = cast<ShapedType>(scales.getType());
  if (type.getRank() != 2 || type.getDimSize(0) != 1)
    return op->emitOpError() << name << " must be a tensor<1xGxf32>, got "
                             << scales.getType();
  for (APFloat v : scales.getValues<APFloat>())
    if (!v.isFiniteNonZero() || v.isNegative())
      return op->emitOpError() << name << " must be positive and finite";
  return success();
}

/// Static scales on an op that quantizes: one per group of a row of its
/// per_block or per_token result.
static LogicalResult verifyStaticScales(Operation *op,
                                        DenseElementsAttr scales,
                                        Type result) {
  if (!scales)
    return success();
  auto type = dyn_cast<QTensorType>(result);
  if (!type)
    return op->emitOpError("static_scales need a quantized result");
  if (failed(verifyScaleValues(op, "static_scales", scales)))
    return failure();
  Granularity g = type.getScheme().getGranularity();
  if (g != Granularity::PerBlock && g != Granularity::PerToken)
    return op->emitOpError("static_scales need a per_block or per_token "
                           "scheme, got ")
           << stringifyGranularity(g);
  if (!type.getScheme().getSymmetric())
    return op->emitOpError("static_scales need a symmetric scheme");
  int64_t groups = type.getNumGroups();
  int64_t given = cast<ShapedType>(scales.getType()).getDimSize(1);
  if (given != groups)
    return op->emitOpError("static_scales must hold one scale per group of a "
                           "row (")
           << groups << "), got " << given;
  return success();
}

static StringRef nameOf(Location loc) {
  if (auto named = dyn_cast<NameLoc>(loc))
    return named.getName().strref();
  return "";
}

StringRef LinearOp::getLayerName() { return nameOf(getLoc()); }

bool LinearOp::isNamedBy(ArrayRef<std::string> prefixes) {
  StringRef names[] = {getLayerName(), nameOf(getWeight().getLoc())};
  for (const std::string &prefix : prefixes)
    for (StringRef name : names)
      if (!name.empty() && name.starts_with(prefix))
        return true;
  return false;
}

LogicalResult LinearOp::verify() {
  if (auto q = dyn_cast<QTensorType>(getWeight().getType()))
    if (!q.getExpressedType().isF32())
      return emitOpError("quantized weight must express f32, got ")
             << q.getExpressedType();
  if (auto scales = getActScalesAttr()) {
    if (failed(verifyScaleValues(*this, "act_scales", scales)))
      return failure();
    if (getActAsymmetric())
      return emitOpError("act_scales are symmetric: not with act_asymmetric");
  }
  return verifyContraction(*this, getInput().getType(), getWeight().getType(),
                           getResult().getType(), "weight");
}

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

/// Checks that a component attribute has exactly the expected type.
static LogicalResult verifyComponent(Operation *op, StringRef name,
                                     ElementsAttr attr,
                                     RankedTensorType expected) {
  auto type = dyn_cast<RankedTensorType>(attr.getType());
  if (!type || type != expected)
    return op->emitOpError() << name << " must have type " << expected
                             << ", got " << attr.getType();
  return success();
}

/// A component the scheme may or may not have: given exactly when expected.
static LogicalResult verifyOptionalComponent(Operation *op, StringRef name,
                                             std::optional<ElementsAttr> attr,
                                             RankedTensorType expected) {
  if (expected && !attr)
    return op->emitOpError("the scheme keeps ") << name << " but none are given";
  if (!expected && attr)
    return op->emitOpError() << name << " given but the scheme keeps none";
  if (expected)
    return verifyComponent(op, name, *attr, expected);
  return success();
}

LogicalResult ConstantOp::verify() {
  QTensorType type = getResult().getType();
  if (!llvm::all_of(type.getShape(),
                    [](int64_t d) { return !ShapedType::isDynamic(d); }))
    return emitOpError("a quantized constant must have a static shape");
  if (type.hasRecords())
    return emitOpError("holds its components one by one: a layout with "
                       "records is qnt.pack of the records tensor");
  if (failed(verifyComponent(*this, "data", getData(), type.getDataType())) ||
      failed(verifyComponent(*this, "scales", getScales(),
                             type.getScalesType())))
    return failure();
  if (failed(verifyOptionalComponent(*this, "zero points", getZeroPoints(),
                                     type.getZeroPointsType())) ||
      failed(verifyOptionalComponent(*this, "mins", getMins(),
                                     type.getMinsType())) ||
      failed(verifyOptionalComponent(*this, "super scales", getSuperScales(),
                                     type.getSuperType())) ||
      failed(verifyOptionalComponent(*this, "super mins", getSuperMins(),
                                     type.getSuperMinsType())))
    return failure();
  return verifyOptionalComponent(*this, "sums", getSums(), type.getSumsType());
}

void ConstantOp::build(OpBuilder &builder, OperationState &state,
                       QTensorType type, ArrayRef<ElementsAttr> components) {
  // The optional components in the type's order.
  size_t next = 2;
  auto optional = [&](bool present) {
    return present ? components[next++] : ElementsAttr();
  };
  ElementsAttr zeroPoints = optional(bool(type.getZeroPointsType()));
  ElementsAttr mins = optional(bool(type.getMinsType()));
  ElementsAttr superScales = optional(bool(type.getSuperType()));
  ElementsAttr superMins = optional(bool(type.getSuperMinsType()));
  ElementsAttr sums = optional(bool(type.getSumsType()));
  build(builder, state, type, components[0], components[1], zeroPoints, mins,
        superScales, superMins, sums);
}

SmallVector<ElementsAttr> ConstantOp::getComponents() {
  SmallVector<ElementsAttr> parts = {getData(), getScales()};
  for (std::optional<ElementsAttr> part :
       {getZeroPoints(), getMins(), getSuperScales(), getSuperMins(), getSums()})
    if (part)
      parts.push_back(*part);
  return parts;
}

//===----------------------------------------------------------------------===//
// GgmlConstantOp
//===----------------------------------------------------------------------===//

LogicalResult GgmlConstantOp::verify() {
  auto type = cast<RankedTensorType>(getResult().getType());
  if (!type.hasStaticShape() || type.getRank() < 1)
    return emitOpError("a GGML constant must have a static shape");
  int64_t values = 0, bytes = 0;
  if (!::qnt::math::ggmlBlockGeometry(uint32_t(getFormat()), values, bytes))
    return emitOpError("unknown GGML format");
  int64_t rowLength = type.getShape().back();
  if (rowLength % values != 0)
    return emitOpError("rows of ")
           << rowLength << " values are not whole " << stringifyGgmlFormat(getFormat())
           << " blocks of " << values;
  auto blocksType = cast<ShapedType>(getBlocks().getType());
  if (blocksType.getRank() != 1 || !blocksType.getElementType().isInteger(8))
    return emitOpError("blocks must be a 1-d tensor of i8 bytes");
  int64_t expected = type.getNumElements() / values * bytes;
  if (blocksType.getDimSize(0) != expected)
    return emitOpError("holds ")
           << blocksType.getDimSize(0) << " bytes; " << type << " in "
           << stringifyGgmlFormat(getFormat()) << " takes " << expected;
  return success();
}

//===----------------------------------------------------------------------===//
// WeightOp
//===----------------------------------------------------------------------===//

int32_t WeightOp::getFileDType(Type element) {
  if (element.isF32())
    return QNT_DTYPE_F32;
  if (element.isF16())
    return QNT_DTYPE_F16;
  if (element.isBF16())
    return QNT_DTYPE_BF16;
  if (element.isF64())
    return QNT_DTYPE_F64;
  if (auto integer = dyn_cast<IntegerType>(element))
    switch (integer.getWidth()) {
    case 8:
      return QNT_DTYPE_I8;
    case 16:
      return QNT_DTYPE_I16;
    case 32:
      return QNT_DTYPE_I32;
    case 64:
      return QNT_DTYPE_I64;
    }
  return -1;
}

LogicalResult WeightOp::verify() {
  if (getName().empty())
    return emitOpError("needs a name");
  auto type = cast<RankedTensorType>(getResult().getType());
  if (getFileDType(type.getElementType()) < 0 ||
      type.getRank() > QNT_WEIGHTS_MAX_RANK)
    return emitOpError("a weights file holds f32, f16, bf16, f64 and 8 to "
                       "64-bit integer tensors of rank 0 to 6, not ")
           << type;
  return success();
}

//===----------------------------------------------------------------------===//
// PackOp
//===----------------------------------------------------------------------===//

LogicalResult PackOp::verify() {
  SmallVector<Type> expected;
  getResult().getType().getComponentTypes(expected);
  if (getComponents().size() != expected.size())
    return emitOpError("expects ") << expected.size()
                                   << " components (data, scales, ...), got "
                                   << getComponents().size();
  for (auto [i, value, type] : llvm::enumerate(getComponents(), expected))
    if (value.getType() != type)
      return emitOpError("component ") << i << " must have type " << type
                                       << ", got " << value.getType();
  return success();
}

//===----------------------------------------------------------------------===//
// UnpackOp
//===----------------------------------------------------------------------===//

LogicalResult UnpackOp::verify() {
  SmallVector<Type> expected;
  getInput().getType().getComponentTypes(expected);
  if (getComponents().size() != expected.size())
    return emitOpError("expects ") << expected.size()
                                   << " components (data, scales, ...), got "
                                   << getComponents().size();
  for (auto [i, value, type] : llvm::enumerate(getComponents(), expected))
    if (value.getType() != type)
      return emitOpError("component ") << i << " must have type " << type
                                       << ", got " << value.getType();
  return success();
}

LogicalResult UnpackOp::fold(FoldAdaptor, SmallVectorImpl<OpFoldResult> &results) {
  auto pack = getInput().getDefiningOp<PackOp>();
  if (!pack)
    return failure();
  llvm::append_range(results, pack.getComponents());
  return success();
}

//===----------------------------------------------------------------------===//
// QuantizeOp / DequantizeOp
//===----------------------------------------------------------------------===//

/// A float tensor and a quantized tensor standing for the same values.
static LogicalResult verifySameValues(Operation *op, RankedTensorType floatType,
                                      QTensorType qType) {
  if (floatType.getShape() != qType.getShape())
    return op->emitOpError("shapes differ: ")
           << floatType << " and " << qType;
  if (floatType.getElementType() != qType.getExpressedType())
    return op->emitOpError("element type ")
           << floatType.getElementType() << " differs from the expressed type "
           << qType.getExpressedType();
  return success();
}

LogicalResult QuantizeOp::verify() {
  if (failed(verifyStaticScales(*this, getStaticScalesAttr(), getResult().getType())))
    return failure();
  return verifySameValues(*this, getInput().getType(), getResult().getType());
}

LogicalResult DequantizeOp::verify() {
  return verifySameValues(*this, getResult().getType(), getInput().getType());
}

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

/// True when the scheme's scale is constant along the last (reduction) axis of
/// a rank-2 operand, or changes only per block along it.
static bool scalesFactorOutOfRows(SchemeAttr s) {
  return !(s.getGranularity() == Granularity::PerChannel && s.getAxis() != 0);
}

int64_t MatmulOp::getGroupSize() {
  SchemeAttr lhs = getLhs().getType().getScheme();
  SchemeAttr rhs = getRhs().getType().getScheme();
  // Both per block: the rhs's block, which an lhs scale may span several
  // of (sums_block).
  if (rhs.isBlocked())
    return lhs.isBlocked() ? std::min(lhs.getBlock(), rhs.getBlock())
                           : rhs.getBlock();
  if (lhs.isBlocked())
    return lhs.getBlock();
  return getLhs().getType().getStoredCols();
}

LogicalResult MatmulOp::verify() {
  QTensorType lhsType = getLhs().getType(), rhsType = getRhs().getType();
  if (failed(verifyContraction(*this, lhsType, rhsType, getResult().getType(),
                               "rhs")))
    return failure();
  if (getAcc() && getAcc().getType() != getResult().getType())
    return emitOpError("acc must have the result's type ")
           << getResult().getType() << ", got " << getAcc().getType();
  if (lhsType.getStoredCols() != rhsType.getStoredCols())
    return emitOpError("stored reduction lengths differ: ")
           << lhsType.getStoredCols() << " and " << rhsType.getStoredCols()
           << " (the two layouts must pad alike)";
  SchemeAttr lhs = lhsType.getScheme(), rhs = rhsType.getScheme();
  if (lhs.getBits() != 8)
    return emitOpError("expects an 8-bit lhs, got ") << lhs.getBits() << " bits";
  for (SchemeAttr s : {lhs, rhs}) {
    if (!scalesFactorOutOfRows(s))
      return emitOpError("scales must not vary along the reduction axis "
                         "(per_channel axis must be 0)");
  }
  // An lhs scale may span several rhs blocks when its sums are kept per rhs
  // block (sums_block): the kernel applies it per group all the same.
  if (lhs.isBlocked() && rhs.isBlocked() && lhs.getBlock() != rhs.getBlock() &&
      !(lhs.getSumsBlock() == rhs.getBlock() &&
        lhs.getBlock() % rhs.getBlock() == 0))
    return emitOpError("block sizes differ: ")
           << lhs.getBlock() << " and " << rhs.getBlock()
           << (lhs.getSumsBlock()
                   ? " (sums_block " + std::to_string(lhs.getSumsBlock()) +
                         " must be the rhs block)"
                   : std::string());
  if (!rhs.getSymmetric())
    return emitOpError("expects a symmetric rhs");
  if (!lhs.getSymmetric() &&
      (!rhs.getSums() || !(rhs.isBlocked() || !lhs.isBlocked())))
    // The correction -z * sum(rhs) needs the rhs's sums per lhs group.
    return emitOpError("an asymmetric lhs needs rhs sums per group of ")
           << getGroupSize();
  if (lhs.getStorage() != Storage::I8)
    return emitOpError("lhs must be stored as i8");
  if (rhs.getMins() && !lhs.getSymmetric())
    return emitOpError("an rhs with mins needs a symmetric lhs (its sums "
                       "correct the minimums)");
  if (rhs.getStorage() != Storage::I8) {
    // The correction term -offset * sum(lhs) (or min * sum(lhs)) must be
    // available per group.
    bool sameGrouping = lhs.isBlocked() == rhs.isBlocked() ||
                        (lhs.isBlocked() && !rhs.isBlocked());
    if (!lhs.getSums() || !sameGrouping)
      return emitOpError("a ") << stringifyStorage(rhs.getStorage())
                               << " rhs needs lhs sums per group of "
                               << getGroupSize();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// MatmulTileOp
//===----------------------------------------------------------------------===//

/// A tile's plain rhs components: the operands, or what a records tile
/// holds (the weight type's components for one row tile).
struct TileComponents {
  RankedTensorType data, scales, mins, sums;
  SmallVector<RankedTensorType> supers;
};

static RankedTensorType dropTiles(Type type) {
  if (!type)
    return {};
  auto t = cast<RankedTensorType>(type);
  return RankedTensorType::get(t.getShape().drop_front(), t.getElementType());
}

LogicalResult MatmulTileOp::verify() {
  auto lhs = getLhsData().getType(), lhsScales = getLhsScales().getType();
  TileComponents c;
  if (!getRhsRecords().empty()) {
    if (!getRhsType() || !getRhsType()->hasRecords())
      return emitOpError("a records tile needs rhs_type, a !qnt.tensor type "
                         "with records");
    if (getRhsData() || getRhsScales() || getRhsMins() || getRhsSums() ||
        !getRhsSupers().empty())
      return emitOpError("takes records or components, not both");
    QTensorType w = *getRhsType();
    for (Value records : getRhsRecords())
      if (records.getType() != dropTiles(w.getRecordsType()))
        return emitOpError("rhs records must be ")
               << dropTiles(w.getRecordsType()) << ", a row tile of " << w;
    if (w.getScheme().getStorage() != getRhsStorage())
      return emitOpError("rhs_storage differs from rhs_type's");
    // [T, K'/4, n0, 4] -> [K'/4, n0 * 4], as the components' operand.
    RankedTensorType data = w.getDataType();
    c.data = RankedTensorType::get(
        {data.getDimSize(1), data.getDimSize(2) * data.getDimSize(3)},
        data.getElementType());
    c.scales = dropTiles(w.getScalesType());
    c.mins = dropTiles(w.getMinsType());
    c.sums = dropTiles(w.getSumsType());
    for (Type t : {Type(w.getSuperType()), Type(w.getSuperMinsType())})
      if (t)
        c.supers.push_back(dropTiles(t));
  } else {
    if (getRhsType())
      return emitOpError("rhs_type is for a records tile only");
    if (!getRhsData() || !getRhsScales())
      return emitOpError("needs rhs data and scales, or records");
    c.data = getRhsData().getType();
    c.scales = getRhsScales().getType();
    if (getRhsMins())
      c.mins = getRhsMins().getType();
    if (getRhsSums())
      c.sums = getRhsSums().getType();
    for (Value v : getRhsSupers())
      c.supers.push_back(cast<RankedTensorType>(v.getType()));
  }
  auto rhs = c.data, rhsScales = c.scales;
  RankedTensorType init = getInit().getType();
  for (RankedTensorType t : {lhs, lhsScales, rhs, rhsScales})
    if (t.getRank() != 2)
      return emitOpError("expects rank-2 operands, got ") << t;
  // One weight tile: [m0, w]; S (streams): [m0, S, w].
  int64_t streams = getStreams();
  if (streams == 1 ? init.getRank() != 2
                   : init.getRank() != 3 || init.isDynamicDim(1) ||
                         init.getDimSize(1) != streams)
    return emitOpError("init must be ")
           << (streams == 1 ? "[m0, w]" : "[m0, S, w] for S weight tiles")
           << ", got " << init;
  if (!lhs.hasStaticShape() || !lhsScales.hasStaticShape() ||
      !rhs.hasStaticShape() || !rhsScales.hasStaticShape() ||
      init.isDynamicDim(0))
    return emitOpError("expects static tile shapes (only the output width may "
                       "be dynamic)");
  int64_t m0 = init.getDimSize(0), k = lhs.getDimSize(1);
  int64_t n0 = rhsScales.getDimSize(1), group = getGroup(), lanes = getLanes();
  if (lhs.getDimSize(0) != m0 || lhsScales.getDimSize(0) != m0)
    return emitOpError("lhs data and scales must have ") << m0 << " rows";
  if (lanes <= 0 || n0 % lanes != 0)
    return emitOpError("n0 ") << n0 << " must be a multiple of lanes " << lanes;
  // 4-bit data packs two 4-byte steps into one row, 6-bit data four steps
  // into three.
  bool nibbles = getRhsStorage() == Storage::U4Offset8 ||
                 getRhsStorage() == Storage::U4 ||
                 getRhsStorage() == Storage::U4Grid;
  bool six = getRhsStorage() == Storage::U6Offset32;
  int64_t unit = nibbles ? 8 : six ? 16 : 4;
  int64_t rows = k / unit * (six ? 3 : 1);
  if (k % unit != 0 || rhs.getDimSize(0) != rows || rhs.getDimSize(1) != 4 * n0)
    return emitOpError("rhs data must be [")
           << rows << ", " << 4 * n0 << "] for K' = " << k
           << (nibbles ? " (4-bit: two steps a row)"
               : six   ? " (6-bit: four steps in three rows)"
                       : "");
  if (six && group % 16 != 0)
    return emitOpError("a u6_offset32 rhs needs groups of a multiple of 16, "
                       "got ")
           << group;
  if (group <= 0 || group % 4 != 0 || k % group != 0)
    return emitOpError("group ") << group << " must be a multiple of 4 dividing "
                                 << k;
  int64_t groups = k / group;
  // An lhs scale may span several groups (a super-block's: sums_block), its
  // sums per group.
  int64_t lhsGroups = lhsScales.getDimSize(1);
  bool spanning = getLhsSums() && lhsGroups < groups &&
                  groups % lhsGroups == 0 &&
                  getLhsSums().getType().getDimSize(1) == groups;
  for (auto [name, g] : {std::pair<StringRef, int64_t>{"lhs", lhsGroups},
                         {"rhs", rhsScales.getDimSize(0)}})
    if (g != 1 && g != groups && !(name == "lhs" && spanning))
      return emitOpError() << name << " scales must have 1 or " << groups
                           << " groups"
                           << (name == "lhs"
                                   ? " (or a divisor of it, with sums "
                                     "per group)"
                                   : "")
                           << ", got " << g;
  int64_t width = init.getShape().back();
  if (!ShapedType::isDynamic(width) && width > n0)
    return emitOpError("output tile is wider than n0 = ") << n0;
  bool offset = getRhsStorage() != Storage::I8;
  if (offset != bool(getLhsSums()))
    return emitOpError(offset ? "an offset rhs (u8_offset128, u4_offset8, "
                                "u6_offset32, u4_grid) or one with mins (u4) "
                                "needs lhs sums"
                              : "lhs sums are only for an offset rhs or one "
                                "with mins");
  if (getLhsSums() && !spanning &&
      getLhsSums().getType() !=
          RankedTensorType::get(lhsScales.getShape(),
                                IntegerType::get(getContext(), 32)))
    return emitOpError("lhs sums must be i32 of the lhs scales' shape");
  if (bool(getLhsZeroPoints()) != bool(c.sums))
    return emitOpError("lhs zero points and rhs sums go together");
  if (getLhsZeroPoints() &&
      getLhsZeroPoints().getType() !=
          RankedTensorType::get(lhsScales.getShape(),
                                IntegerType::get(getContext(), 32)))
    return emitOpError("lhs zero points must be i32 of the lhs scales' shape");
  if (c.sums &&
      c.sums != RankedTensorType::get(rhsScales.getShape(),
                                      IntegerType::get(getContext(), 32)))
    return emitOpError("rhs sums must be i32 of the rhs scales' shape");
  if ((getRhsStorage() == Storage::U4) != bool(c.mins))
    return emitOpError("a u4 rhs has mins, and only it");
  if (c.mins && c.mins != rhsScales)
    return emitOpError("rhs mins must have the rhs scales' type");
  if (c.mins && getLhsZeroPoints())
    return emitOpError("rhs mins need a symmetric lhs");
  // Two-level scales: byte sc (and m), and their factors per super-block.
  bool bytes = rhsScales.getElementType().isInteger(8);
  if (six && !bytes)
    return emitOpError("a u6_offset32 rhs has two-level scales");
  if (!c.supers.empty() || bytes) {
    size_t factors = c.mins ? 2 : 1;
    if (c.supers.size() != factors || !bytes || (!c.mins && !six))
      return emitOpError("two-level rhs scales are i8 scales (and mins) with "
                         "a super factor for each (scales', mins'), for a u4 "
                         "or u6_offset32 rhs");
    RankedTensorType supers = c.supers[0];
    if (c.supers.back() != supers || supers.getRank() != 2 ||
        supers.getDimSize(1) != rhsScales.getDimSize(1) ||
        supers.getDimSize(0) <= 0 ||
        rhsScales.getDimSize(0) % supers.getDimSize(0) != 0)
      return emitOpError("rhs super factors must be [Gs, n0] tensors, "
                         "Gs dividing the rhs scales' ")
             << rhsScales.getDimSize(0) << " groups";
  }
  if (getDot() == DotKind::Vnni && !offset)
    return emitOpError("the vnni dot multiplies an unsigned rhs (u8_offset128, "
                       "u4_offset8, u4, u6_offset32, u4_grid)");
  if (getDot() == DotKind::Maddubs && getRhsStorage() == Storage::U8Offset128)
    return emitOpError("the maddubs dot multiplies an i8 or 4-bit rhs");
  if (getResult().getType() != init)
    return emitOpError("result must have the init's type");
  return success();
}

//===----------------------------------------------------------------------===//
// Transformer layers
//===----------------------------------------------------------------------===//

/// A rank-2 f32 activation [T, D] with a static D.
static LogicalResult verifyActivation(Operation *op, RankedTensorType type,
                                      StringRef name) {
  if (type.getRank() != 2)
    return op->emitOpError("expects a rank-2 ")
           << name << ", got " << type;
  if (type.isDynamicDim(1))
    return op->emitOpError("expects a static last dimension for ") << name;
  return success();
}

/// The result of an activation op: the input's type, or a quantized tensor of
/// the same values (the quantize fused into the op).
static LogicalResult verifyResultOf(Operation *op, RankedTensorType input,
                                    Type result) {
  if (auto q = dyn_cast<QTensorType>(result)) {
    if (q.getRank() != 2 || q.getScheme().getStorage() != Storage::I8 ||
        q.isTiled())
      return op->emitOpError("a quantized result must be a rank-2 i8 "
                             "activation (row-major), got ")
             << q;
    return verifySameValues(op, input, q);
  }
  if (result != input)
    return op->emitOpError("result type must equal the input type");
  return success();
}

LogicalResult EmbeddingOp::verify() {
  ArrayRef<int64_t> table = shapeOf(getTable().getType());
  auto tokens = cast<RankedTensorType>(getTokens().getType());
  RankedTensorType result = getResult().getType();
  if (table.size() != 2 || ShapedType::isDynamic(table[1]))
    return emitOpError("expects a [V, D] table with a static D");
  if (tokens.getRank() != 1)
    return emitOpError("expects rank-1 tokens");
  if (result.getRank() != 2 || result.getDimSize(0) != tokens.getDimSize(0) ||
      result.getDimSize(1) != table[1])
    return emitOpError("result must be [tokens, ") << table[1] << "]";
  return success();
}

LogicalResult RmsNormOp::verify() {
  RankedTensorType input = getInput().getType();
  if (failed(verifyActivation(*this, input, "input")))
    return failure();
  auto weight = cast<RankedTensorType>(getWeight().getType());
  if (weight.getRank() != 1 || weight.getDimSize(0) != input.getDimSize(1))
    return emitOpError("weight must be [") << input.getDimSize(1) << "], got "
                                           << weight;
  if (failed(verifyResultOf(*this, input, getResult().getType())))
    return failure();
  if (!(getEpsilon().convertToFloat() > 0.0f))
    return emitOpError("epsilon must be positive");
  return verifyStaticScales(*this, getStaticScalesAttr(), getResult().getType());
}

LogicalResult RopeOp::verify() {
  RankedTensorType input = getInput().getType();
  if (failed(verifyActivation(*this, input, "input")))
    return failure();
  int64_t headDim = getHeadDim(), ropeDim = getRopeDim();
  if (headDim <= 0 || input.getDimSize(1) % headDim != 0)
    return emitOpError("head_dim ") << headDim << " must divide "
                                    << input.getDimSize(1);
  if (ropeDim <= 0 || ropeDim % 2 != 0 || ropeDim > headDim)
    return emitOpError("rope_dim must be even, positive and at most head_dim");
  if (!(getBase().convertToFloat() > 0.0f))
    return emitOpError("base must be positive");
  if (std::optional<ArrayRef<float>> factors = getFactors()) {
    if (int64_t(factors->size()) != ropeDim / 2)
      return emitOpError("has ") << factors->size()
                                 << " frequency factors; rope_dim / 2 = "
                                 << ropeDim / 2 << " are needed";
    for (float f : *factors)
      if (!(f > 0.0f))
        return emitOpError("frequency factors must be positive");
  }
  if (getResult().getType() != input)
    return emitOpError("result type must equal the input type");
  return success();
}

LogicalResult BiasAddOp::verify() {
  RankedTensorType input = getInput().getType();
  if (failed(verifyActivation(*this, input, "input")))
    return failure();
  auto bias = cast<RankedTensorType>(getBias().getType());
  if (bias.getRank() != 1 || bias.getDimSize(0) != input.getDimSize(1))
    return emitOpError("bias must be [") << input.getDimSize(1) << "], got "
                                         << bias;
  if (getResult().getType() != input)
    return emitOpError("result type must equal the input type");
  return success();
}

void AttentionOp::build(OpBuilder &b, OperationState &state, Type result,
                        Value query, Value keys, Value values, Value position,
                        int64_t numHeads, int64_t numKvHeads, float scale,
                        Value keyScales, Value valueScales) {
  build(b, state, result, query, keys, values, position, keyScales, valueScales,
        b.getI64IntegerAttr(numHeads), b.getI64IntegerAttr(numKvHeads),
        b.getF32FloatAttr(scale));
}

int64_t AttentionOp::getHeadDim() {
  return getQuery().getType().getDimSize(1) / getNumHeads();
}

int64_t AttentionOp::getTaskHeads() {
  int64_t group = getNumHeads() / std::max<int64_t>(1, getNumKvHeads());
  for (int64_t h = std::min<int64_t>(group, 16); h > 1; --h)
    if (group % h == 0)
      return h;
  return 1;
}

bool AttentionOp::canQuantizeResultAs(QTensorType type) {
  SchemeAttr s = type.getScheme();
  int64_t cols = getQuery().getType().getDimSize(1);
  int64_t taskCols = getTaskHeads() * getHeadDim();
  return type.getRank() == 2 && !type.isTiled() && type.getStoredCols() == cols &&
         s.getStorage() == Storage::I8 && s.getSymmetric() && s.getBits() == 8 &&
         s.getGranularity() == Granularity::PerBlock && s.getSuperBlock() == 0 &&
         s.getBlock() > 0 && taskCols % s.getBlock() == 0;
}

LogicalResult AttentionOp::verify() {
  RankedTensorType query = getQuery().getType();
  if (failed(verifyActivation(*this, query, "query")))
    return failure();
  int64_t heads = getNumHeads(), kvHeads = getNumKvHeads();
  if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0)
    return emitOpError("num_heads must be a positive multiple of num_kv_heads");
  if (query.getDimSize(1) % heads != 0)
    return emitOpError("num_heads ") << heads << " must divide "
                                     << query.getDimSize(1);
  int64_t headDim = query.getDimSize(1) / heads;
  if (getKeys().getType() != getValues().getType())
    return emitOpError("keys and values must have the same type");
  RankedTensorType keys = getKeys().getType();
  // [C, KV * d] (a row a position), or head-major [KV, C, d] (a KV head's
  // rows together).
  bool headMajor = keys.getRank() == 3;
  if (keys.getRank() != 2 && !headMajor)
    return emitOpError(
               "expects keys of rank 2 ([positions, num_kv_heads x head "
               "size]) or 3 ([num_kv_heads, positions, head size]), got ")
           << keys;
  if (headMajor ? keys.getDimSize(0) != kvHeads || keys.getDimSize(2) != headDim
                : keys.getDimSize(1) != kvHeads * headDim) {
    if (headMajor)
      return emitOpError("head-major keys must be [")
             << kvHeads << ", positions, " << headDim << "], got " << keys;
    return emitOpError("keys must have ")
           << kvHeads * headDim << " columns (num_kv_heads x head size)";
  }
  bool quantized = keys.getElementType().isInteger(8);
  if (quantized != bool(getKeyScales()) || bool(getKeyScales()) != bool(getValueScales()))
    return emitOpError("i8 keys and values (a q8_0 cache) go with key and value "
                       "scales, and only they");
  if (quantized) {
    if (getKeyScales().getType() != getValueScales().getType())
      return emitOpError("key and value scales must have the same type");
    int64_t cols = keys.getShape().back();
    if (cols % 32 != 0)
      return emitOpError("a q8_0 cache needs rows of whole blocks of 32, got ") << cols;
    RankedTensorType scales = getKeyScales().getType();
    SmallVector<int64_t> want(keys.getShape());
    want.back() = cols / 32;
    if (scales.getShape() != ArrayRef<int64_t>(want)) {
      InFlightDiagnostic d = emitOpError("scales must be [");
      llvm::interleaveComma(want, d);
      return d << "] (a scale per block of 32), got " << scales;
    }
  }
  if (auto q = dyn_cast<QTensorType>(getResult().getType())) {
    if (failed(verifySameValues(*this, query, q)))
      return failure();
    if (!canQuantizeResultAs(q))
      return emitOpError("quantizes its result only as symmetric i8 blocks that divide "
                         "the ")
             << getTaskHeads() * getHeadDim()
             << " columns a task computes (row-major, unpadded), not as " << q;
  } else if (getResult().getType() != query) {
    return emitOpError("result type must equal the query type");
  }
  return success();
}

LogicalResult SiluMulOp::verify() {
  if (failed(verifyActivation(*this, getGate().getType(), "gate")))
    return failure();
  if (failed(verifyResultOf(*this, getGate().getType(), getResult().getType())))
    return failure();
  return verifyStaticScales(*this, getStaticScalesAttr(), getResult().getType());
}

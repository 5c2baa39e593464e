//===- LowerMicroKernel.cpp - qnt.matmul_tile as unrolled vector code -----===//
//
// The register tile of a quantized matmul: m0 activation rows by n0 = nv x
// lanes weight channels. With K' the padded reduction and G the group (a
// block of 32, or all of K' for per-channel x per-token):
//
//   for g in groups:                                    (scf.for)
//     i[m][v] = (sums ? -128 * sum_a[m, g] : 0)         i32 x lanes each
//               - (zero points ? z_a[m, g] * sum_w[v, g] : 0)
//     for each 4-byte step s of the group:              (unrolled by 8)
//       w[v]  = 4 bytes of lanes channels: rhs[s, v * 4 * lanes ...]
//       a[m]  = lhs[m, 4s .. 4s + 3] broadcast to every lane
//       i[m][v] = dot(i[m][v], w[v], a[m])              vpdpbusd & co
//     f[m][v] += float(i[m][v]) * (scale_a[m, g] * scale_w[v, g])
//   out[m][v] = f[m][v]                                 (masked at the edge)
//
// A u8_offset128 weight stores q + 128; sum (q + 128) a = sum q a + 128 sum a,
// so starting the i32 accumulator at -128 * sum a (the activation quantizer
// writes sum a per group) corrects it at the cost of a broadcast per row and
// group. A 4-bit (u4_offset8) weight is the same with 8: its data holds two
// steps a row, step 2p in the low nibbles and 2p + 1 in the high ones, so
// one load, one AND (0x0F) and one shift give the unsigned operands of two
// dots (`qnt_x86.dpbusd {nibbles}`: vpdpbusd with VNNI). On AVX2 the u8 x s8
// pairs of nibbles cannot saturate (2 * 15 * 127 < 2^15): those of an
// iteration's 8 steps (a group of 32) add up in i16 (`qnt_x86.dpbusw`:
// vpmaddubsw + vpaddw a step) and are widened once (`qnt_x86.widen_pairs`:
// vpmaddwd), one multiply per 32 multiply-adds instead of the sign trick's two
// and its two vpsignb. A 4-bit weight with minimums (u4: x = sw * u + mw) takes
// no offset; its epilogue adds float(sum a) * (sa * mw) per group, one more FMA
// per accumulator; with two-level scales (Q4_K) the group's byte scale and
// minimum are widened and multiplied by their super-block's factors first
// when the tile's rows share them (prefill); one row (decode) multiplies its
// i32 dot by the byte scale (exact) and sums the super-block's groups before
// its factors multiply the sums (Q6_K's signed scales alike). On AVX2 the
// activations of Q4_K and Q6_K have one scale per super-block (sums_block):
// the i16 pairs widen by the byte scales into i32 sums, converted to float
// once per super-block, for every m0 (see superInt below). An asymmetric
// activation stands for d (q - z): sum (q - z) w = sum q w - z sum w, so the
// accumulator also starts at -z times the weight's per-group sums (one multiply
// per accumulator and group). A 6-bit (u6_offset32, Q6_K) weight holds four
// steps in three rows: per step one AND or shift of a nibble row gives the low
// 4 bits, one shift and one AND (0x30) of the high-bits row the top 2 in place,
// one OR joins them; the offset 32 is corrected like 8's, its groups are 16
// columns (the activation's too) and its byte scales signed. On AVX2 its i16
// pairs widen every two steps (2 x 2 x 63 x 127 < 2^15). A u4_grid weight
// (IQ4_NL) unpacks as 4-bit and looks its nibbles up in the grid
// (`qnt_x86.lookup`: vpshufb): + 128 for vpdpbusd, corrected as u8's; as signed
// bytes, with the sign trick, on AVX2. The broadcast activation bytes are the
// memory operand of vpdpbusd
// ({1to16}), the weights a register reused by all m0 rows.
//
// A weight in records (#qnt.layout's records, qnt/Math/Records.h) gives its
// tile as one tensor [records, bytes]: group g's data rows and factors lie
// in record g / R at their offsets, read as bytes and cast (vector.bitcast)
// to the component's type, so that the kernel streams one run of bytes
// rather than one per component (two streams from DRAM measured slower
// than one of the same bytes); the same arithmetic on the same values.
// With S record tiles (weight streams) the register tile is S x n0 channels,
// vector v from tile v / nv, written to the output's [m, v / nv, :].
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "qnt/Conversion/Conversion.h"

#include "dialects/qnt/QntOps.h"
#include "qnt/Math/Quant.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace qnt {
#define GEN_PASS_DEF_LOWERMICROKERNELPASS
#include "passes/Passes.h.inc"
} // namespace qnt

using namespace mlir;
using namespace qnt;

namespace {

/// 4-byte steps unrolled in the loop over a group.
constexpr int64_t kUnroll = 8;
/// The same for 4-bit weights on AVX2, whose i16 pair sums widen once per
/// iteration: a group of 32 (8 x 2 x 15 x 127 < 2^15). Widening every 4
/// steps measured 4% slower.
constexpr int64_t kPairUnroll = 8;

/// The bytes of a cache line, the unit of a prefetch.
constexpr int64_t kLineBytes = 64;

struct LowerMatmulTile : OpRewritePattern<MatmulTileOp> {
  LowerMatmulTile(MLIRContext *ctx, int64_t prefetchOption, int64_t leadOption)
      : OpRewritePattern(ctx), prefetchOption(prefetchOption),
        leadOption(leadOption) {}

  LogicalResult matchAndRewrite(MatmulTileOp op,
                                PatternRewriter &rewriter) const override {
    OpBuilder &b = rewriter;
    // Two-level scales: super-block operands, or in the records.
    bool superBlocks = !op.getRhsSupers().empty() ||
                       (op.getRhsType() && op.getRhsType()->getSuperType());
    int64_t prefetchBytes = prefetchOption == kPrefetchByFormat
                                ? defaultPrefetchBytes(superBlocks)
                                : prefetchOption;
    int64_t leadBytes = effectiveLeadPrefetchBytes(
        prefetchBytes, leadOption == kPrefetchByFormat
                           ? defaultLeadPrefetchBytes(superBlocks)
                           : leadOption);
    Location loc = op.getLoc();
    int64_t m0 = op.getM0(), n0 = op.getN0(), lanes = op.getLanes();
    int64_t nv = n0 / lanes, kStored = op.getStoredK(), group = op.getGroup();
    // S weight tiles read side by side (records): tv vectors of lanes
    // channels, vector v of tile v / nv at its column (v % nv) * lanes.
    int64_t streams = op.getStreams(), tv = streams * nv;
    int64_t groups = kStored / group, steps = group / 4;
    int64_t aGroups = op.getLhsScales().getType().getDimSize(1);
    // The activation's sums: per group, also where one of its scales spans
    // several groups (a super-block's, sums_block).
    int64_t sumGroups =
        op.getLhsSums() ? op.getLhsSums().getType().getDimSize(1) : aGroups;
    // Groups one activation scale spans (1, or a super-block's groups).
    int64_t aSpan = aGroups > 1 || sumGroups > 1 ? groups / aGroups : 1;
    int64_t wGroups = !op.getRhsRecords().empty()
                          ? op.getRhsType()->getScaleShape()[1]
                          : op.getRhsScales().getType().getDimSize(0);
    // Groups sharing a super-block's factors (two-level scales).
    int64_t superRatio =
        op.getRhsSupers().empty()
            ? 1
            : wGroups / cast<RankedTensorType>(op.getRhsSupers()[0].getType()).getDimSize(0);
    DotKind dot = op.getDot();
    Storage storage = op.getRhsStorage();
    bool u8 = storage == Storage::U8Offset128;
    // IQ4_NL's grid indices: nibbles, then a lookup.
    bool grid = storage == Storage::U4Grid;
    bool u4 = storage == Storage::U4Offset8 || storage == Storage::U4 || grid;
    bool u6 = storage == Storage::U6Offset32;
    // The grid's values + 128 for vpdpbusd (u8), as they are (s8) for the
    // other dots.
    bool gridUnsigned = grid && dot == DotKind::Vnni;
    // The correction of an offset weight: -offset * sum a.
    int32_t offset = u8 || gridUnsigned ? 128
                     : storage == Storage::U4Offset8 ? 8
                     : u6 ? 32
                          : 0;
    // 4-bit and 6-bit weights on AVX2 sum their i16 pairs over an
    // iteration's steps (6 bits: two steps at most, 2 x 2 x 63 x 127 < 2^15);
    // the grid's values, up to 127 in magnitude, take the sign trick.
    bool pairSums = (u4 || u6) && !grid && dot == DotKind::Maddubs;
    int64_t maxUnroll = pairSums ? kPairUnroll : kUnroll;
    int64_t unroll = steps % maxUnroll == 0 ? maxUnroll : (steps % 4 == 0 ? 4 : 1);
    int64_t pairSpan = u6 ? 2 : unroll;
    if (u4 && unroll % 2 != 0)
      return rewriter.notifyMatchFailure(op, "4-bit steps come in pairs");
    if (u6 && unroll % 4 != 0)
      return rewriter.notifyMatchFailure(op, "6-bit steps come in fours");
    auto pairType = VectorType::get({2 * lanes}, b.getI16Type());
    DenseI8ArrayAttr gridTable;
    if (grid) {
      SmallVector<int8_t> entries;
      for (int8_t q : ::qnt::math::kIq4nlGrid)
        entries.push_back(gridUnsigned ? int8_t(uint8_t(q + 128)) : q);
      gridTable = b.getDenseI8ArrayAttr(entries);
    }
    static_assert(kPairUnroll <= 8, "i16 pair sums hold at most 8 steps");

    Type i8 = b.getI8Type(), i32 = b.getI32Type(), f32 = b.getF32Type();
    auto accType = VectorType::get({lanes}, i32);
    auto fType = VectorType::get({lanes}, f32);
    auto bytesType = VectorType::get({4 * lanes}, i8);
    auto index = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    auto splat = [&](VectorType type, Attribute value) -> Value {
      return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(type, value));
    };
    auto add = [&](Value x, Value y) -> Value {
      return arith::AddIOp::create(b, loc, x, y);
    };
    auto mul = [&](Value x, Value y) -> Value {
      return arith::MulIOp::create(b, loc, x, y);
    };
    Value zeroI8 = arith::ConstantOp::create(b, loc, b.getI8IntegerAttr(0));
    Value zeroF = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));

    // The f32 accumulators start at zero; an accumulated output tile is added
    // once at the end, so that acc + matmul rounds as the unfused add does.
    SmallVector<Value> facc(m0 * tv, splat(fType, b.getF32FloatAttr(0.0f)));

    // Prefetches of a weight component `ahead` rows past `row`, one per line
    // of `bytes` bytes from there, as a read-only view of the tile's tensor.
    // The tiles of a weight lie one after the other in its component, so
    // the rows past a tile's last are the next tile's first: what the loop
    // over tiles reads next (past the component's last tile, a prefetch is
    // a hint that touches nothing).
    auto readOnlyView = [&](Value tensor) -> Value {
      auto type = cast<RankedTensorType>(tensor.getType());
      int64_t dyn = ShapedType::kDynamic;
      return bufferization::ToBufferOp::create(
          b, loc,
          MemRefType::get(
              type.getShape(), type.getElementType(),
              StridedLayoutAttr::get(b.getContext(), dyn, {dyn, dyn})),
          tensor, /*read_only=*/true);
    };
    auto prefetch = [&](Value tensor, Value row, int64_t ahead, int64_t bytes,
                        int64_t hint = 3) {
      auto type = cast<RankedTensorType>(tensor.getType());
      int64_t rowBytes = type.getDimSize(1) * type.getElementTypeBitWidth() / 8;
      Value view = readOnlyView(tensor);
      for (int64_t at = 0; at < std::max(bytes, int64_t(1)); at += kLineBytes) {
        int64_t elements = (at % rowBytes) * 8 / type.getElementTypeBitWidth();
        memref::PrefetchOp::create(
            b, loc, view,
            ValueRange{add(row, index(ahead + at / rowBytes)), index(elements)},
            /*isWrite=*/false, /*localityHint=*/hint, /*isDataCache=*/true);
      }
    };
    // A records tile [Gw / R, B]: the components of R groups side by side
    // in each record, at the offsets qnt/Math/Records.h gives (data rows
    // first); `parts` indexes them in the plain components' order.
    SmallVector<Value> recordTiles(op.getRhsRecords());
    bool records = !recordTiles.empty();
    ::qnt::math::RecordLayout recordLayout;
    std::vector<::qnt::math::RecordPart> recordParts;
    int64_t scalesPart = 1, minsPart = -1, sumsPart = -1;
    SmallVector<int64_t> superParts;
    if (records) {
      QTensorType w = *op.getRhsType();
      recordParts = w.getRecordParts();
      recordLayout = w.getRecordLayout();
      int64_t next = 2 + (w.getZeroPointsType() ? 1 : 0);
      if (w.getMinsType())
        minsPart = next++;
      if (w.getSuperType())
        superParts.push_back(next++);
      if (w.getSuperMinsType())
        superParts.push_back(next++);
      if (w.getSumsType())
        sumsPart = next++;
    }
    int64_t recordGroups = records ? recordLayout.groups : 1;
    // The stream's distance in rows of the data (bytes rounded up to rows)
    // and in groups, for the components read once a group.
    int64_t dataRowBytes = n0 * 4;
    // Data rows a group: 8-bit one a step, 4-bit one for two, 6-bit three for
    // four.
    int64_t groupRows = u4 ? steps / 2 : u6 ? steps / 4 * 3 : steps;
    int64_t aheadRows = llvm::divideCeil(prefetchBytes, dataRowBytes);
    int64_t aheadGroups = llvm::divideCeil(aheadRows, groupRows);

    auto readScalar = [&](Value tensor, Value row, Value col) -> Value {
      Value s = tensor::ExtractOp::create(b, loc, tensor, ValueRange{row, col});
      if (s.getType() != f32 && isa<FloatType>(s.getType()))
        s = arith::ExtFOp::create(b, loc, f32, s);
      return s;
    };

    // Part `part`'s vector v of `lanes` values for the group at `inRecord`
    // of record `rec` (its super-block's, for a factor), as `element`.
    auto readPartAt = [&](Value rec, Value inRecord, int64_t part, int64_t v,
                          Type element) -> Value {
      const ::qnt::math::RecordPart &p = recordParts[part];
      int64_t bytes = element.getIntOrFloatBitWidth() / 8;
      Value unit = p.unitGroups > 1
                       ? Value(arith::DivUIOp::create(b, loc, inRecord,
                                                      index(p.unitGroups)))
                       : inRecord;
      Value col =
          add(index(recordLayout.offsets[part] + (v % nv) * lanes * bytes),
              mul(unit, index(p.unitBytes)));
      Value raw = vector::TransferReadOp::create(
          b, loc, VectorType::get({lanes * bytes}, i8), recordTiles[v / nv],
          ValueRange{rec, col}, zeroI8, ArrayRef<bool>{true});
      if (bytes == 1)
        return raw;
      return vector::BitCastOp::create(b, loc,
                                       VectorType::get({lanes}, element), raw);
    };
    // A vector of the weight component `tensor` at row `at` as it is stored.
    auto readRhsRaw = [&](Value tensor, Value at, int64_t v) -> Value {
      auto type = cast<RankedTensorType>(tensor.getType()).getElementType();
      return vector::TransferReadOp::create(
          b, loc, VectorType::get({lanes}, type), tensor,
          ValueRange{at, index(v * lanes)},
          arith::ConstantOp::create(b, loc, b.getZeroAttr(type)),
          ArrayRef<bool>{true});
    };
    // A vector of lanes factors as f32 (bytes are int8: two-level scales'
    // sc and m).
    auto toF32 = [&](Value s) -> Value {
      Type type = cast<VectorType>(s.getType()).getElementType();
      if (type.isInteger(8)) // int8: Q6_K's signed sc, Q4_K's 6 bits
        return arith::SIToFPOp::create(
            b, loc, fType, arith::ExtSIOp::create(b, loc, accType, s));
      return type != f32 ? Value(arith::ExtFOp::create(b, loc, fType, s)) : s;
    };

    // One activation row (decode's GEMV) with two-level scales whose group
    // factors are bytes (Q4_K, Q6_K): the group's epilogue multiplies its
    // i32 dot by the byte scale in i32 (|dot * sc| < 2^24: exact, and exact
    // as f32) and adds it times the activation's scale to a super-block sum;
    // the super-block's factors (d, dmin) multiply that sum once, after its
    // groups. Per group and vector: widen sc, one vpmulld, one convert, one
    // FMA (with minimums: widen and convert m, one FMA), where the one-level
    // form converts and multiplies each factor every group. Rows of a tile
    // (prefill) share those conversions and keep the one-level form.
    int64_t superGroups =
        records
            ? (superParts.empty() ? 1 : recordParts[superParts[0]].unitGroups)
            : superRatio;
    Type groupScaleType =
        records ? op.getRhsType()->getScalesType().getElementType()
                : cast<RankedTensorType>(op.getRhsScales().getType())
                      .getElementType();
    bool withMins = records ? minsPart >= 0 : bool(op.getRhsMins());
    size_t superFactors =
        records ? superParts.size() : op.getRhsSupers().size();
    bool superShape =
        superGroups > 1 && wGroups == groups && groups % superGroups == 0 &&
        groupScaleType.isInteger(8) && superFactors == (withMins ? 2u : 1u);
    // Q4_K and Q6_K on AVX2 against an activation with one scale per
    // super-block (sums_block): the i16 pairs widen by the group's byte
    // scale (vpmaddwd) into an i32 sum per super-block and accumulator,
    // exact: Q4_K 8 groups x 2 x 8 x 2 x 15 x 127 x 63 < 2^31, Q6_K 16
    // groups x 2 widenings x 2 x 2 x 2 x 63 x 127 x 128 < 2^31. After the
    // super-block's groups, its minimums' terms sum_j float(m_j) *
    // float(sum_a_j) (Q6_K: sum_j float(sc_j) * float(sum_a_j), the offset
    // 32's correction), one FMA per group and accumulator, made there rather
    // than carried through the groups' loop (the i16 pairs and i32 sums take
    // the 16 registers); then f += float(sum) * (d sa) + that * (-dmin sa)
    // (Q6_K: -32 d sa). Per group and accumulator one FMA where the
    // one-level form converts, multiplies and takes an FMA or two.
    bool superInt = superShape && pairSums && !grid &&
                    ((u4 && withMins) || u6) && aSpan == superGroups;
    bool superEpilogue =
        !superInt && m0 == 1 && superShape && dot != DotKind::Generic;

    // The group loop's body for group g: its dot, then its epilogue on fIn
    // (the f32 tile, or with superEpilogue the super-block sums: tv of the
    // scaled dots, then tv of the minimums' terms).
    auto groupBody = [&](Value g, ValueRange fIn) -> SmallVector<Value> {
      Value ga = aGroups == 1 ? index(0)
                 : aSpan > 1
                     ? Value(arith::DivUIOp::create(b, loc, g, index(aSpan)))
                     : g;
      Value gSum = sumGroups > 1 ? g : index(0);
      Value gw = wGroups > 1 ? g : index(0);
      // Records: the group's record, and its place in it.
      Value rec, inRecord;
      if (records) {
        rec = arith::DivUIOp::create(b, loc, gw, index(recordGroups));
        inRecord = arith::RemUIOp::create(b, loc, gw, index(recordGroups));
      }
      // The record's share of this group, as many bytes ahead (rounded
      // to the nearest record, one at least): one stream, one prefetch
      // per line of it.
      if (records && prefetchBytes > 0) {
        int64_t share = recordLayout.bytes / recordGroups;
        int64_t aheadRecords = std::max<int64_t>(
            1, (prefetchBytes + recordLayout.bytes / 2) / recordLayout.bytes);
        Value first = mul(inRecord, index(share));
        for (Value tile : recordTiles) {
          Value view = readOnlyView(tile);
          for (int64_t at = 0; at < share; at += kLineBytes)
            memref::PrefetchOp::create(b, loc, view,
                                       ValueRange{add(rec, index(aheadRecords)),
                                                  add(first, index(at))},
                                       /*isWrite=*/false, /*localityHint=*/3,
                                       /*isDataCache=*/true);
        }
      }
      // The lead prefetch of a single-row tile: one line of each
      // stream every kLeadPrefetchPeriod bytes, leadBytes ahead, into
      // L2 (qnt/Passes/Options.h). The data's place follows g (a
      // weight with one scale a row still has a group's rows a group).
      if (m0 == 1 && leadBytes > 0) {
        int64_t groupBytes = records ? recordLayout.bytes / recordGroups
                                     : groupRows * dataRowBytes;
        int64_t period = std::max<int64_t>(1, kLeadPrefetchPeriod / groupBytes);
        int64_t leadGroups = llvm::divideCeil(leadBytes, groupBytes);
        Value due = arith::CmpIOp::create(
            b, loc, arith::CmpIPredicate::eq,
            arith::RemUIOp::create(b, loc, g, index(period)), index(0));
        scf::IfOp::create(
            b, loc, due, [&](OpBuilder &, Location) {
              if (records) {
                Value at = add(gw, index(leadGroups));
                Value leadRecord =
                    arith::DivUIOp::create(b, loc, at, index(recordGroups));
                Value leadColumn =
                    mul(arith::RemUIOp::create(b, loc, at, index(recordGroups)),
                        index(groupBytes));
                for (Value tile : recordTiles)
                  memref::PrefetchOp::create(
                      b, loc, readOnlyView(tile),
                      ValueRange{leadRecord, leadColumn}, /*isWrite=*/false,
                      /*localityHint=*/2, /*isDataCache=*/true);
              } else {
                prefetch(op.getRhsData(), mul(g, index(groupRows)),
                         leadGroups * groupRows, 1, /*hint=*/2);
              }
              scf::YieldOp::create(b, loc);
            });
      }
      // Part `part`'s vector v of `lanes` values for this group (its
      // super-block's, for a factor), as `element`, from the record.
      auto readPart = [&](int64_t part, int64_t v, Type element) -> Value {
        return readPartAt(rec, inRecord, part, v, element);
      };
      // The weight's per-group components, a group's row each (one
      // row for all groups: read once, not streamed).
      if (!records && prefetchBytes > 0 && wGroups > 1)
        for (Value component : {Value(op.getRhsScales()),
                                Value(op.getRhsMins()), Value(op.getRhsSums())})
          if (component) {
            auto type = cast<RankedTensorType>(component.getType());
            prefetch(component, gw, aheadGroups,
                     type.getDimSize(1) * type.getElementTypeBitWidth() / 8);
          }
      // The i32 accumulators start at the offset and zero-point
      // corrections.
      SmallVector<Value> wSums;
      if (sumsPart >= 0)
        for (int64_t v = 0; v < tv; ++v)
          wSums.push_back(readPart(sumsPart, v, i32));
      if (op.getRhsSums())
        for (int64_t v = 0; v < tv; ++v)
          wSums.push_back(vector::TransferReadOp::create(
              b, loc, accType, op.getRhsSums(),
              ValueRange{gw, index(v * lanes)},
              arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(0)),
              ArrayRef<bool>{true}));
      SmallVector<Value> iacc;
      for (int64_t m = 0; m < m0 && superInt; ++m)
        for (int64_t v = 0; v < tv; ++v)
          iacc.push_back(fIn[m * tv + v]); // the super-block's i32 sums
      // The factors the i16 pairs widen by: the group's byte scales.
      SmallVector<Value> widenBy;
      for (int64_t v = 0; v < tv && superInt; ++v)
        widenBy.push_back(arith::ExtSIOp::create(
            b, loc, VectorType::get({lanes}, b.getI16Type()),
            records ? readPartAt(rec, inRecord, scalesPart, v, groupScaleType)
                    : readRhsRaw(op.getRhsScales(), gw, v)));
      auto widen = [&](Value p, int64_t v) -> Value {
        return x86::WidenPairsOp::create(b, loc, accType, p,
                                         superInt ? widenBy[v] : Value());
      };
      for (int64_t m = 0; m < m0 && !superInt; ++m) {
        Value base = splat(accType, b.getI32IntegerAttr(0));
        if (offset) {
          Value sum = tensor::ExtractOp::create(b, loc, op.getLhsSums(),
                                                ValueRange{index(m), gSum});
          sum = arith::MulIOp::create(
              b, loc, sum,
              arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(-offset)));
          base = vector::BroadcastOp::create(b, loc, accType, sum);
        }
        Value za;
        if (op.getLhsZeroPoints())
          za = vector::BroadcastOp::create(
              b, loc, accType,
              tensor::ExtractOp::create(b, loc, op.getLhsZeroPoints(),
                                        ValueRange{index(m), ga}));
        for (int64_t v = 0; v < tv; ++v)
          iacc.push_back(
              za ? Value(arith::SubIOp::create(b, loc, base, mul(za, wSums[v])))
                 : base);
      }
      Value step0 = mul(g, index(steps));
      // Data rows: of the tile, or of the group's record from its
      // first row there (a group's steps start a row: 4-bit steps come
      // in pairs, 6-bit in fours).
      Value rowBase = records ? mul(inRecord, index(groupRows)) : Value();
      auto readRow = [&](Value row, int64_t v) -> Value {
        if (!records)
          return vector::TransferReadOp::create(
              b, loc, bytesType, op.getRhsData(),
              ValueRange{row, index(v * 4 * lanes)}, zeroI8,
              ArrayRef<bool>{true});
        return vector::TransferReadOp::create(
            b, loc, bytesType, recordTiles[v / nv],
            ValueRange{rec, add(mul(row, index(dataRowBytes)),
                                index((v % nv) * 4 * lanes))},
            zeroI8, ArrayRef<bool>{true});
      };
      auto stepLoop =
          scf::ForOp::create(
              b, loc, index(0), index(steps), index(unroll), iacc,
              [&](OpBuilder &, Location, Value c, ValueRange iIn) {
                SmallVector<Value> acc(iIn.begin(), iIn.end());
                // Nibbles on AVX2: the i16 pairs of this iteration's steps
                // (at most 8: 8 x 2 x 15 x 127 < 2^15), widened once.
                SmallVector<Value> pairs;
                if (pairSums)
                  pairs.assign(m0 * tv,
                               splat(pairType, b.getI16IntegerAttr(0)));
                // 4-bit: the nibbles of the row holding steps u and u + 1.
                SmallVector<Value> high;
                // 6-bit: the three rows of steps u .. u + 3 (two of
                // nibbles, one of high bits).
                SmallVector<Value> sixRows;
                // The data rows of this iteration's steps, ahead of the
                // first, `row`.
                auto prefetchData = [&](int64_t u, Value row) {
                  if (u == 0 && prefetchBytes > 0 && !records)
                    prefetch(op.getRhsData(), row, aheadRows,
                             groupRows * unroll / steps * dataRowBytes);
                };
                auto byteSplat = [&](int v) {
                  return splat(bytesType, b.getI8IntegerAttr(v));
                };
                for (int64_t u = 0; u < unroll; ++u) {
                  Value kq = add(add(step0, c), index(u));
                  // The step within the group's rows (records), or the
                  // tile's.
                  Value kqRow = records ? add(c, index(u)) : kq;
                  auto dataRow = [&](Value row) {
                    return records ? add(rowBase, row) : row;
                  };
                  SmallVector<Value> w;
                  if (u6) {
                    int64_t s = u % 4;
                    if (s == 0) {
                      // Rows 3 (kq / 4) .. + 2.
                      Value row = dataRow(
                          mul(arith::ShRUIOp::create(b, loc, kqRow, index(2)),
                              index(3)));
                      prefetchData(u, row);
                      sixRows.clear();
                      for (int64_t r = 0; r < 3; ++r)
                        for (int64_t v = 0; v < tv; ++v)
                          sixRows.push_back(readRow(add(row, index(r)), v));
                    }
                    for (int64_t v = 0; v < tv; ++v) {
                      Value nib = sixRows[(s / 2) * tv + v];
                      Value lo = s % 2 ? Value(arith::ShRUIOp::create(b, loc, nib, byteSplat(4)))
                                       : Value(arith::AndIOp::create(b, loc, nib, byteSplat(0x0F)));
                      // Step s's high bits, at bits 2s: moved to bits 4, 5.
                      Value hi = sixRows[2 * tv + v];
                      if (s < 2)
                        hi = arith::ShLIOp::create(b, loc, hi, byteSplat(4 - 2 * s));
                      else if (s == 3)
                        hi = arith::ShRUIOp::create(b, loc, hi, byteSplat(2));
                      hi = arith::AndIOp::create(b, loc, hi, byteSplat(0x30));
                      w.push_back(arith::OrIOp::create(b, loc, lo, hi));
                    }
                  } else if (u4 && u % 2 == 1) {
                    w = high;
                  } else {
                    Value row = dataRow(u4 ? Value(arith::ShRUIOp::create(
                                                 b, loc, kqRow, index(1)))
                                           : kqRow);
                    prefetchData(u, row);
                    high.clear();
                    for (int64_t v = 0; v < tv; ++v) {
                      Value bytes = readRow(row, v);
                      if (!u4) {
                        w.push_back(bytes);
                        continue;
                      }
                      w.push_back(arith::AndIOp::create(
                          b, loc, bytes, splat(bytesType, b.getI8IntegerAttr(0x0F))));
                      high.push_back(arith::ShRUIOp::create(
                          b, loc, bytes, splat(bytesType, b.getI8IntegerAttr(4))));
                      if (grid) {
                        w.back() = x86::LookupOp::create(b, loc, bytesType, w.back(), gridTable);
                        high.back() = x86::LookupOp::create(b, loc, bytesType, high.back(), gridTable);
                      }
                    }
                  }
                  Value col = mul(kq, index(4));
                  for (int64_t m = 0; m < m0; ++m) {
                    Value four = vector::TransferReadOp::create(
                        b, loc, VectorType::get({4}, i8), op.getLhsData(),
                        ValueRange{index(m), col}, zeroI8, ArrayRef<bool>{true});
                    Value word = vector::ExtractOp::create(
                        b, loc,
                        vector::BitCastOp::create(b, loc, VectorType::get({1}, i32), four),
                        ArrayRef<int64_t>{0});
                    Value a = vector::BitCastOp::create(
                        b, loc, bytesType,
                        vector::BroadcastOp::create(b, loc, accType, word));
                    for (int64_t v = 0; v < tv; ++v) {
                      Value &x = acc[m * tv + v];
                      if (pairSums) {
                        Value &p = pairs[m * tv + v];
                        p = x86::DpbuswOp::create(b, loc, pairType, p, w[v], a);
                        // Widened every pairSpan steps.
                        if ((u + 1) % pairSpan == 0 && u + 1 < unroll) {
                          x = add(x, widen(p, v));
                          p = splat(pairType, b.getI16IntegerAttr(0));
                        }
                      } else if (grid) {
                        x = gridUnsigned
                                ? Value(x86::DpbusdOp::create(b, loc, accType, x, w[v], a))
                                : Value(x86::DpbssdOp::create(b, loc, accType, x, a, w[v]));
                      } else if (u4 || u6) {
                        auto d = x86::DpbusdOp::create(b, loc, accType, x, w[v], a);
                        d.setNibbles(u4);
                        x = d;
                      } else {
                        x = dot == DotKind::Maddubs || !u8
                                ? Value(x86::DpbssdOp::create(b, loc, accType, x, a, w[v]))
                                : Value(x86::DpbusdOp::create(b, loc, accType, x, w[v], a));
                      }
                    }
                  }
                }
                for (size_t i = 0; i < pairs.size(); ++i)
                  acc[i] = add(acc[i], widen(pairs[i], int64_t(i) % tv));
                scf::YieldOp::create(b, loc, acc);
              });
      // The activation's scale for row m, and sa * float(sum_a), the
      // minimums' factor.
      auto activationFactors = [&](int64_t m, bool withSum) {
        Value saScalar = readScalar(op.getLhsScales(), index(m), ga);
        Value sa = vector::BroadcastOp::create(b, loc, fType, saScalar);
        Value saSum;
        if (withSum)
          saSum = vector::BroadcastOp::create(
              b, loc, fType,
              arith::MulFOp::create(
                  b, loc, saScalar,
                  arith::SIToFPOp::create(
                      b, loc, f32,
                      tensor::ExtractOp::create(b, loc, op.getLhsSums(),
                                                ValueRange{index(m), gSum}))));
        return std::make_pair(sa, saSum);
      };
      // The group's byte factors as stored (scales, then minimums).
      auto groupFactor = [&](int64_t v, bool mins) -> Value {
        if (records)
          return readPart(mins ? minsPart : scalesPart, v, groupScaleType);
        return readRhsRaw(mins ? op.getRhsMins() : op.getRhsScales(), gw, v);
      };
      SmallVector<Value> fOut;
      if (superInt) // the i32 sums as the step loop left them
        return SmallVector<Value>(stepLoop.getResults());
      if (superEpilogue) {
        // sum_sc += float(acc_i32 * sc) * scale_a; with mins,
        // sum_m += float(m) * (scale_a * float(sum_a)).
        auto [sa, saSum] = activationFactors(0, withMins);
        for (int64_t v = 0; v < tv; ++v) {
          Value sc =
              arith::ExtSIOp::create(b, loc, accType, groupFactor(v, false));
          Value scaled = arith::SIToFPOp::create(
              b, loc, fType, mul(stepLoop.getResult(v), sc));
          fOut.push_back(vector::FMAOp::create(b, loc, scaled, sa, fIn[v]));
        }
        for (int64_t v = 0; v < tv && withMins; ++v)
          fOut.push_back(vector::FMAOp::create(
              b, loc, toF32(groupFactor(v, true)), saSum, fIn[tv + v]));
        return fOut;
      }
      // acc_f32 += float(acc_i32) * (scale_a * scale_w), per group;
      // with mins, + float(sum_a) * (scale_a * min_w).
      auto readRhs = [&](Value tensor, Value at, int64_t v) -> Value {
        return toF32(readRhsRaw(tensor, at, v));
      };
      // Two levels: scale = sc * d, min = m * (-dmin), exact in f32.
      ValueRange supers = op.getRhsSupers();
      Value gs = supers.empty()
                     ? Value()
                     : arith::DivUIOp::create(b, loc, gw, index(superRatio));
      SmallVector<Value> sw, mw;
      if (records) {
        QTensorType w = *op.getRhsType();
        Type scaleType = w.getScalesType().getElementType();
        Type superType =
            w.getSuperType() ? w.getSuperType().getElementType() : Type();
        for (int64_t v = 0; v < tv; ++v) {
          sw.push_back(toF32(readPart(scalesPart, v, scaleType)));
          if (minsPart >= 0)
            mw.push_back(toF32(readPart(minsPart, v, scaleType)));
          if (!superParts.empty())
            sw.back() = arith::MulFOp::create(
                b, loc, sw.back(),
                toF32(readPart(superParts[0], v, superType)));
          if (superParts.size() > 1)
            mw.back() = arith::MulFOp::create(
                b, loc, mw.back(),
                toF32(readPart(superParts[1], v, superType)));
        }
      }
      for (int64_t v = 0; v < tv && !records; ++v) {
        sw.push_back(readRhs(op.getRhsScales(), gw, v));
        if (op.getRhsMins())
          mw.push_back(readRhs(op.getRhsMins(), gw, v));
        if (!supers.empty())
          sw.back() = arith::MulFOp::create(b, loc, sw.back(),
                                            readRhs(supers[0], gs, v));
        if (supers.size() > 1)
          mw.back() = arith::MulFOp::create(b, loc, mw.back(),
                                            readRhs(supers[1], gs, v));
      }
      for (int64_t m = 0; m < m0; ++m) {
        auto [sa, saSum] = activationFactors(m, !mw.empty());
        for (int64_t v = 0; v < tv; ++v) {
          Value idot = arith::SIToFPOp::create(b, loc, fType,
                                               stepLoop.getResult(m * tv + v));
          Value scale = arith::MulFOp::create(b, loc, sa, sw[v]);
          Value f = vector::FMAOp::create(b, loc, idot, scale, fIn[m * tv + v]);
          if (saSum)
            f = vector::FMAOp::create(b, loc, saSum, mw[v], f);
          fOut.push_back(f);
        }
      }
      return fOut;
    };

    scf::ForOp groupLoop;
    if (!superEpilogue && !superInt) {
      groupLoop = scf::ForOp::create(
          b, loc, index(0), index(groups), index(1), facc,
          [&](OpBuilder &, Location, Value g, ValueRange fIn) {
            scf::YieldOp::create(b, loc, groupBody(g, fIn));
          });
    } else {
      // Super-blocks, each a loop over its groups summing the scaled dots
      // (and the minimums' terms), then f += sum_sc * d (+ sum_m * -dmin).
      // (Unrolling that loop by 2, 4 or 8 measured slower.)
      SmallVector<Value> sums((withMins ? 2 : 1) * tv,
                              splat(fType, b.getF32FloatAttr(0.0f)));
      if (superInt) {
        // Each accumulator's i32 sum of scaled dots.
        sums.assign(m0 * tv, splat(accType, b.getI32IntegerAttr(0)));
      }
      groupLoop = scf::ForOp::create(
          b, loc, index(0), index(groups / superGroups), index(1), facc,
          [&](OpBuilder &, Location, Value sb, ValueRange fIn) {
            Value g0 = mul(sb, index(superGroups));
            auto inner = scf::ForOp::create(
                b, loc, index(0), index(superGroups), index(1), sums,
                [&](OpBuilder &, Location, Value j, ValueRange sIn) {
                  scf::YieldOp::create(b, loc, groupBody(add(g0, j), sIn));
                });
            // The super-block's factor k (d, then -dmin) of vector v.
            auto superFactor = [&](int64_t k, int64_t v) -> Value {
              Value factor;
              if (records) {
                QTensorType w = *op.getRhsType();
                Type superType = w.getSuperType().getElementType();
                Value rec =
                    arith::DivUIOp::create(b, loc, g0, index(recordGroups));
                Value inRecord =
                    arith::RemUIOp::create(b, loc, g0, index(recordGroups));
                factor = readPartAt(rec, inRecord, superParts[k], v, superType);
              } else {
                factor = readRhsRaw(op.getRhsSupers()[k], sb, v);
              }
              return toF32(factor);
            };
            SmallVector<Value> fOut;
            if (superInt) {
              // f += float(sum_i32) * (d * sa) + sum_m * (-dmin * sa), sa
              // the row's scale of this super-block and sum_m the minimums'
              // sum_j float(m_j) * float(sum_a_j) over its groups, made here
              // rather than carried through the groups' loop (the i16 pairs
              // and i32 sums take the 16 registers there).
              // Q6_K: no minimums; its offset's correction -32 sum_a per
              // group, times the group's scale, takes their place (the sum
              // of sc_j * sum_a_j, times -32 d).
              SmallVector<Value> d, dmin;
              for (int64_t v = 0; v < tv; ++v) {
                d.push_back(superFactor(0, v));
                dmin.push_back(
                    withMins ? superFactor(1, v)
                             : Value(arith::MulFOp::create(
                                   b, loc, d.back(),
                                   splat(fType,
                                         b.getF32FloatAttr(float(-offset))))));
              }
              SmallVector<Value> minSums(m0 * tv,
                                         splat(fType, b.getF32FloatAttr(0.0f)));
              for (int64_t j = 0; j < superGroups; ++j) {
                Value g = add(g0, index(j));
                SmallVector<Value> mins;
                for (int64_t v = 0; v < tv; ++v) {
                  Value raw;
                  if (records)
                    raw = readPartAt(
                        arith::DivUIOp::create(b, loc, g, index(recordGroups)),
                        arith::RemUIOp::create(b, loc, g, index(recordGroups)),
                        withMins ? minsPart : scalesPart, v, groupScaleType);
                  else
                    raw = readRhsRaw(
                        withMins ? op.getRhsMins() : op.getRhsScales(), g, v);
                  mins.push_back(toF32(raw));
                }
                for (int64_t m = 0; m < m0; ++m) {
                  Value sum = vector::BroadcastOp::create(
                      b, loc, fType,
                      arith::SIToFPOp::create(
                          b, loc, f32,
                          tensor::ExtractOp::create(b, loc, op.getLhsSums(),
                                                    ValueRange{index(m), g})));
                  for (int64_t v = 0; v < tv; ++v)
                    minSums[m * tv + v] = vector::FMAOp::create(
                        b, loc, mins[v], sum, minSums[m * tv + v]);
                }
              }
              for (int64_t m = 0; m < m0; ++m) {
                Value sa = vector::BroadcastOp::create(
                    b, loc, fType,
                    readScalar(op.getLhsScales(), index(m),
                               aGroups > 1 ? sb : index(0)));
                for (int64_t v = 0; v < tv; ++v) {
                  int64_t i = m * tv + v;
                  Value f = vector::FMAOp::create(
                      b, loc,
                      arith::SIToFPOp::create(b, loc, fType,
                                              inner.getResult(i)),
                      arith::MulFOp::create(b, loc, d[v], sa), fIn[i]);
                  fOut.push_back(vector::FMAOp::create(
                      b, loc, minSums[i],
                      arith::MulFOp::create(b, loc, dmin[v], sa), f));
                }
              }
              scf::YieldOp::create(b, loc, fOut);
              return;
            }
            for (int64_t v = 0; v < tv; ++v) {
              Value f = fIn[v];
              for (int64_t k = 0; k < (withMins ? 2 : 1); ++k)
                f = vector::FMAOp::create(b, loc, inner.getResult(k * tv + v),
                                          superFactor(k, v), f);
              fOut.push_back(f);
            }
            scf::YieldOp::create(b, loc, fOut);
          });
    }

    // The output tile, written once; channels past its width are masked off.
    // An accumulated tile reads each vector from the tile being written (its
    // own place, not yet written), not from `init`: reading the old value
    // after writes to it would make bufferization copy the tile.
    // With S tiles, the output is [m0, S, w]: tile v / nv's row m.
    Value out = op.getInit();
    for (int64_t m = 0; m < m0; ++m)
      for (int64_t v = 0; v < tv; ++v) {
        Value tile = groupLoop.getResult(m * tv + v);
        SmallVector<Value> at = {index(m), index((v % nv) * lanes)};
        if (streams > 1)
          at.insert(at.begin() + 1, index(v / nv));
        if (op.getAccumulate())
          tile = arith::AddFOp::create(
              b, loc,
              vector::TransferReadOp::create(b, loc, fType, out, at, zeroF,
                                             ArrayRef<bool>{false}),
              tile);
        out = vector::TransferWriteOp::create(b, loc, tile, out, at,
                                              ArrayRef<bool>{false})
                  .getResult();
      }
    rewriter.replaceOp(op, out);
    return success();
  }

private:
  int64_t prefetchOption; ///< bytes, or kPrefetchByFormat
  int64_t leadOption;     ///< the lead prefetch's: bytes, or kPrefetchByFormat
};

struct LowerMicroKernelPass
    : public qnt::impl::LowerMicroKernelPassBase<LowerMicroKernelPass> {
  using LowerMicroKernelPassBase::LowerMicroKernelPassBase;

  void runOnOperation() override {
    if (prefetchBytes < 0 && prefetchBytes != kPrefetchByFormat) {
      getOperation().emitError("prefetch-bytes must be -1 (by the weight's "
                               "format), 0 (no prefetch) or positive, got ")
          << static_cast<int64_t>(prefetchBytes);
      return signalPassFailure();
    }
    if (leadPrefetchBytes < 0 && leadPrefetchBytes != kPrefetchByFormat) {
      getOperation().emitError("lead-prefetch-bytes must be -1 (by the "
                               "weight's format), 0 (none) or positive, got ")
          << static_cast<int64_t>(leadPrefetchBytes);
      return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    populateMatmulTileToVectorPatterns(patterns, prefetchBytes,
                                       leadPrefetchBytes);
    GreedyRewriteConfig config;
    config.enableFolding(false).enableConstantCSE(false);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      return signalPassFailure();
  }
};

} // namespace

void qnt::populateMatmulTileToVectorPatterns(RewritePatternSet &patterns,
                                             int64_t prefetchBytes,
                                             int64_t leadPrefetchBytes) {
  patterns.add<LowerMatmulTile>(patterns.getContext(), prefetchBytes,
                                leadPrefetchBytes);
}

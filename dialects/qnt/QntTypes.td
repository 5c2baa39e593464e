//===- QntTypes.td - qnt attributes and types --------------*- tablegen -*-===//

#ifndef QNT_TYPES_TD
#define QNT_TYPES_TD

include "dialects/qnt/QntDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Qnt_Granularity : I32EnumAttr<"Granularity", "which values share a scale", [
    I32EnumAttrCase<"PerTensor", 0, "per_tensor">,
    I32EnumAttrCase<"PerChannel", 1, "per_channel">,
    I32EnumAttrCase<"PerBlock", 2, "per_block">,
    I32EnumAttrCase<"PerToken", 3, "per_token">]> {
  let cppNamespace = "::qnt";
  let genSpecializedAttr = 0;
}

def Qnt_Storage : I32EnumAttr<"Storage", "how integer values are stored", [
    I32EnumAttrCase<"I8", 0, "i8">,
    I32EnumAttrCase<"U8Offset128", 1, "u8_offset128">,
    I32EnumAttrCase<"U4Offset8", 2, "u4_offset8">,
    I32EnumAttrCase<"U4", 3, "u4">,
    I32EnumAttrCase<"U6Offset32", 4, "u6_offset32">,
    I32EnumAttrCase<"U4Grid", 5, "u4_grid">]> {
  let cppNamespace = "::qnt";
  let genSpecializedAttr = 0;
}

def Qnt_StorageAttr : EnumAttr<Qnt_Dialect, Qnt_Storage, "storage">;

def Qnt_Rounding : I32EnumAttr<"Rounding", "rounding of x / scale", [
    I32EnumAttrCase<"HalfAwayFromZero", 0, "half_away_from_zero">,
    I32EnumAttrCase<"HalfToEven", 1, "half_to_even">]> {
  let cppNamespace = "::qnt";
  let genSpecializedAttr = 0;
}

// The GGML block formats a GGUF tensor may arrive in, by ggml's type ids.
def Qnt_GgmlFormat : I32EnumAttr<"GgmlFormat", "a GGML block format", [
    I32EnumAttrCase<"Q4_0", 2, "q4_0">,
    I32EnumAttrCase<"Q4_1", 3, "q4_1">,
    I32EnumAttrCase<"Q5_0", 6, "q5_0">,
    I32EnumAttrCase<"Q5_1", 7, "q5_1">,
    I32EnumAttrCase<"Q8_0", 8, "q8_0">,
    I32EnumAttrCase<"Q2_K", 10, "q2_k">,
    I32EnumAttrCase<"Q3_K", 11, "q3_k">,
    I32EnumAttrCase<"Q4_K", 12, "q4_k">,
    I32EnumAttrCase<"Q5_K", 13, "q5_k">,
    I32EnumAttrCase<"Q6_K", 14, "q6_k">,
    I32EnumAttrCase<"IQ4_NL", 20, "iq4_nl">]> {
  let cppNamespace = "::qnt";
  let genSpecializedAttr = 0;
}
def Qnt_GgmlFormatAttr : EnumAttr<Qnt_Dialect, Qnt_GgmlFormat, "ggml_format">;

def Qnt_DotKind : I32EnumAttr<"DotKind",
    "the integer dot product a micro-kernel is built on", [
    I32EnumAttrCase<"Vnni", 0, "vnni">,
    I32EnumAttrCase<"Maddubs", 1, "maddubs">,
    I32EnumAttrCase<"Generic", 2, "generic">]> {
  let cppNamespace = "::qnt";
  let genSpecializedAttr = 0;
}
def Qnt_DotKindAttr : EnumAttr<Qnt_Dialect, Qnt_DotKind, "dot_kind">;

//===----------------------------------------------------------------------===//
// #qnt.target
//===----------------------------------------------------------------------===//

def Qnt_TargetAttr : AttrDef<Qnt_Dialect, "Target"> {
  let mnemonic = "target";
  let summary = "What the code is generated for, as the kernel choices see it";
  let description = [{
    The facts of a CPU that decide how kernels are tiled and which integer
    dot product they are built on. `quant-compile` puts one on the module
    (`qnt.target`) for the CPU it compiles for (`--qnt-attach-target` states
    one); `--qnt-data-tiling`, `--qnt-tile-matmul` and `--qnt-lower-x86`
    read it.

    - `cpu`: the LLVM CPU name, for the reader;
    - `vector_bits`: the vector width kernels use (128, 256 or 512);
    - `dot`: `vnni` (`vpdpbusd`, u8 x s8: AVX512-VNNI, or AVX-VNNI at 256
      bits), `maddubs` (AVX2 `vpmaddubsw` + `vpmaddwd`, s8 x s8 by the sign
      trick) or `generic` (extend, multiply, add);
    - `registers`: vector registers (16, or 32 with AVX-512).

    ```mlir
    module attributes {qnt.target = #qnt.target<cpu = "znver4", vector_bits = 512, dot = vnni, registers = 32>}
    ```
  }];
  let parameters = (ins
    StringRefParameter<"the LLVM CPU name", "\"\"">:$cpu,
    "unsigned":$vector_bits,
    "::qnt::DotKind":$dot,
    DefaultValuedParameter<"unsigned", "16">:$registers
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The module attribute that holds it.
    static constexpr ::llvm::StringLiteral kAttrName = "qnt.target";
    /// The target of `op`'s module, or a generic 128-bit one if it has none.
    static TargetAttr lookup(::mlir::Operation *op);
    /// 32-bit lanes in one vector.
    int64_t getLanes() const { return getVectorBits() / 32; }
  }];
}

//===----------------------------------------------------------------------===//
// #qnt.layout
//===----------------------------------------------------------------------===//

def Qnt_LayoutAttr : AttrDef<Qnt_Dialect, "Layout"> {
  let mnemonic = "layout";
  let summary = "How a rank-2 quantized tensor's data is laid out: padding and tiles";
  let description = [{
    The physical form of a `!qnt.tensor<R x C x f32, ...>` (C being the
    reduction axis), chosen for the kernel that reads it:

    - `pad`: C is zero-padded to C' = C rounded up to a multiple of `pad`,
      so that blocks are whole (a zero changes no dot product, and no
      absmax);
    - `n0`, `k0` (data tiling, both set or both 0): the data is stored as
      tiles of `n0` rows by `k0` columns, `[ceil(R / n0), C' / k0, n0, k0]`,
      rows past R zero. Tile t holds rows t*n0 .. t*n0+n0-1 and, for each
      group of `k0` columns, their `k0` bytes side by side: one vector
      load feeds `n0` output channels of a `vpdpbusd` (k0 = 4). The scales
      (and sums) of a tiled tensor are `[ceil(R / n0), groups, n0]`, the
      `n0` channels of a tile and group side by side.
      A 4-bit scheme packs two groups of `k0` columns into one:
      `[ceil(R / n0), C' / (2 k0), n0, k0]`, the nibble of columns
      2p*k0 + j low and of (2p+1)*k0 + j high in byte (p, i, j), so one AND
      and one shift of a loaded vector give the operands of both.

    - `records` (tiled, per-block schemes): instead of one tensor per
      component, one tensor of records `[ceil(R / n0), groups / G, B]` i8,
      record r of tile t holding the components of its groups rG .. rG+G-1
      side by side: their data rows, then each component's values for them
      (a super-block's factors once per super-block), so a kernel streams
      one run of bytes instead of one per component. G and the offsets are
      `qnt/Math/Records.h`'s: the fewest groups that fill whole cache lines.

    ```mlir
    !qnt.tensor<5632x2048xf32, #qnt.scheme<granularity = per_block, storage = u8_offset128>,
                #qnt.layout<n0 = 32, k0 = 4, pad = 32>>   // data: tensor<176x512x32x4xi8>
    !qnt.tensor<64x256xf32, #qnt.scheme<bits = 4, granularity = per_block, scale = f16, storage = u4_offset8>,
                #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>>
                // records: tensor<2x8x576xi8> (512 bytes of nibbles, 64 of f16 scales)
    !qnt.tensor<?x172xf32, #qnt.scheme<granularity = per_block, scale = f32>,
                #qnt.layout<pad = 32>>                    // data: tensor<?x192xi8>
    !qnt.tensor<5632x2048xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8>,
                #qnt.layout<n0 = 16, k0 = 4, pad = 32>>   // data: tensor<352x256x16x4xi8>
    ```
  }];
  let parameters = (ins
    DefaultValuedParameter<"int64_t", "0">:$n0,
    DefaultValuedParameter<"int64_t", "0">:$k0,
    DefaultValuedParameter<"int64_t", "1">:$pad,
    DefaultValuedParameter<"bool", "false">:$records
  );
  let builders = [
    AttrBuilder<(ins "int64_t":$n0, "int64_t":$k0, "int64_t":$pad,
                     CArg<"bool", "false">:$records), [{
      return $_get($_ctxt, n0, k0, pad, records);
    }]>
  ];
  let skipDefaultBuilders = 1;
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    bool isTiled() const { return getN0() > 0; }
    /// C' for C columns.
    int64_t paddedCols(int64_t cols) const {
      return (cols + getPad() - 1) / getPad() * getPad();
    }
    /// Row tiles for R rows.
    int64_t rowTiles(int64_t rows) const {
      return (rows + getN0() - 1) / getN0();
    }
  }];
}

//===----------------------------------------------------------------------===//
// #qnt.scheme
//===----------------------------------------------------------------------===//

def Qnt_SchemeAttr : AttrDef<Qnt_Dialect, "Scheme"> {
  let mnemonic = "scheme";
  let summary = "A quantization scheme";
  let description = [{
    How a float tensor maps to integers:

    - `bits`: 8, 4 (GGML Q4_0's values: per block, symmetric, q in
      [-8, 7] stored as `u4_offset8`), or 6 (GGML Q6_K's: q in [-32, 31]
      stored as `u6_offset32`, per block of 16 with two-level scales);
    - `granularity`: `per_tensor` (one scale), `per_channel` (one scale per
      index of `axis`), `per_block` (groups of `block` consecutive values
      along the last axis, the reduction axis), `per_token` (one scale per
      row: every index but the last);
    - `symmetric`: zero point 0 (asymmetric schemes add zero points);
    - `storage`: `i8`, `u8_offset128` (q + 128 as a byte, the u8 operand
      of x86 `vpdpbusd`), or `u4_offset8` (4 bits: q + 8 as a nibble, two
      per byte, an operand of `vpdpbusd` and of AVX2's `vpmaddubsw` once
      unpacked; corrected like u8 by the other side's sums, times 8), or
      `u6_offset32` (6 bits: q + 32, corrected by the sums times 32; data
      tiled only, else a byte a value), or `u4_grid` (4 bits: an index u
      into GGML IQ4_NL's non-linear grid of 16 int8 values, q = grid[u] in
      [-127, 113]; the kernels look q up in registers);
    - `scale`: f16 or f32;
    - `rounding`: `half_away_from_zero` (GGML's roundf) or `half_to_even`;
    - `sums`: per-group sums of q are kept with the data (the correction term
      for a `u8_offset128` operand on the other side of a dot product);
    - `mins` (4 bits, storage `u4`: the nibble u as it is): each group has a
      minimum m beside its scale, in the scale's type, and x = scale * u + m
      (GGML Q4_1's d and m; Q4_K's sub-block d * sc and -dmin * m). Its dot
      with activations is corrected by their per-group sums, times m;
    - `super_block` (0: none): two-level scales, as GGML's K-quant
      super-blocks of 256. Each group's scale (and minimum) is a byte, read
      as int8 (Q4_K's 6-bit sc and m, Q6_K's signed sc), and every
      `super_block` values of a row have one factor for each, of the scale's
      type (Q4_K's fp16 d and -dmin, Q6_K's d): scale = d * sc,
      min = -dmin * m, exact in f32. 18.5 bytes a group of 32 instead of 24
      for Q4_K; 6.5625 bits a value for Q6_K. Only 4-bit schemes with mins
      and 6-bit ones have them;
    - `sums_block` (0: the block): the sums' groups when they are finer than
      the scale's, a divisor of `block`. An activation against a K-quant
      weight with mins on AVX2 (Q4_K) has one scale per super-block of 256
      and its sums per group of 32, as GGML's Q8_K: the kernel applies the
      weight's byte scales to its integer dots and converts to float once
      per super-block instead of once per group.

    Parameters equal to their default are not printed. GGML Q8_0 is
    `#qnt.scheme<granularity = per_block>`: blocks of 32, f16 scales; GGML
    Q4_0 is `#qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8>`,
    IQ4_NL `#qnt.scheme<bits = 4, granularity = per_block, storage = u4_grid>`.
  }];
  let parameters = (ins
    DefaultValuedParameter<"unsigned", "8">:$bits,
    "::qnt::Granularity":$granularity,
    DefaultValuedParameter<"int64_t", "0">:$axis,
    DefaultValuedParameter<"int64_t", "32">:$block,
    DefaultValuedParameter<"bool", "true">:$symmetric,
    DefaultValuedParameter<"::qnt::Storage", "::qnt::Storage::I8">:$storage,
    DefaultValuedParameter<"::mlir::Type", "::mlir::Float16Type::get($_ctxt)">:$scale,
    DefaultValuedParameter<"::qnt::Rounding",
                           "::qnt::Rounding::HalfAwayFromZero">:$rounding,
    DefaultValuedParameter<"bool", "false">:$sums,
    DefaultValuedParameter<"bool", "false">:$mins,
    DefaultValuedParameter<"int64_t", "0">:$super_block,
    DefaultValuedParameter<"int64_t", "0">:$sums_block
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// GGML Q8_0: blocks of 32 along the reduction axis, f16 scales.
    static SchemeAttr getQ8_0(::mlir::MLIRContext *ctx);
    /// The offset the storage adds to q: 128, 8 or 0 (none, or u4 with mins).
    int64_t getOffset() const {
      return getStorage() == ::qnt::Storage::U8Offset128 ? 128
             : getStorage() == ::qnt::Storage::U4Offset8 ? 8
             : getStorage() == ::qnt::Storage::U6Offset32 ? 32 : 0;
    }
    /// The largest magnitude of a quantized value: 127 for 8 bits.
    int64_t getQMax() const { return (int64_t(1) << (getBits() - 1)) - 1; }
    bool isBlocked() const {
      return getGranularity() == ::qnt::Granularity::PerBlock;
    }
    /// This scheme with another storage.
    SchemeAttr withStorage(::qnt::Storage storage) const;
    /// Groups sharing a super-block's factors (1 without super-blocks).
    int64_t getSuperRatio() const {
      return getSuperBlock() ? getSuperBlock() / getBlock() : 1;
    }
    /// The columns of a sum's group: sums_block, or the block.
    int64_t getSumsGroup() const {
      return getSumsBlock() ? getSumsBlock() : getBlock();
    }
  }];
}

//===----------------------------------------------------------------------===//
// !qnt.tensor
//===----------------------------------------------------------------------===//

def Qnt_QTensorType : TypeDef<Qnt_Dialect, "QTensor"> {
  let mnemonic = "tensor";
  let summary = "A quantized tensor: integer data, run-time scales, optional sums";
  let description = [{
    `!qnt.tensor<?x256xf32, #qnt.scheme<...>>` stands for a float tensor of
    that shape and element type (the expressed type) held in quantized form.
    Its value is made of components that lowering turns into plain tensors:

    - data: `tensor<shape x i8>` (the bytes are u8 when the storage is
      `u8_offset128`; 4-bit data packs two values a byte, the last axis
      halved, low nibble first), or the form an optional `#qnt.layout` gives
      it (padded, tiled);
    - scales: a tensor of the scheme's scale type, same rank as the data, with
      dimension i equal to the data's where the scale varies along i, to
      dim/block on the last axis for `per_block`, and 1 elsewhere (tiled:
      `[row tiles, groups, n0]`);
    - zero points (when the scheme is asymmetric): like scales, of i32;
    - mins (when the scheme has `mins`): like scales, of the scale type;
    - super scales, and super mins with mins (when the scheme has a
      `super_block`, whose scales and mins are then i8 bytes): like scales
      with the groups axis divided by super_block / block, of the scale type;
    - sums (when the scheme has `sums`): like scales, of i32 (per group of
      `sums_block` where it has one).
  }];
  let parameters = (ins
    ArrayRefParameter<"int64_t">:$shape,
    "::mlir::Type":$expressedType,
    "::qnt::SchemeAttr":$scheme,
    OptionalParameter<"::qnt::LayoutAttr">:$layout
  );
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Row-major, unpadded.
    static QTensorType get(::mlir::MLIRContext *context,
                           ::llvm::ArrayRef<int64_t> shape,
                           ::mlir::Type expressedType, SchemeAttr scheme) {
      return get(context, shape, expressedType, scheme, LayoutAttr());
    }
    /// This type with another layout.
    QTensorType withLayout(LayoutAttr layout) const {
      return get(getContext(), getShape(), getExpressedType(), getScheme(),
                 layout);
    }
    int64_t getRank() const { return getShape().size(); }
    bool isTiled() const { return getLayout() && getLayout().isTiled(); }
    /// The stored length of the last axis: C' under a padding layout.
    int64_t getStoredCols() const;
    /// Groups of columns sharing a scale within a row (1 unless per_block).
    int64_t getNumGroups() const;
    /// The shape of the scales (and sums) component.
    ::llvm::SmallVector<int64_t> getScaleShape() const;
    ::mlir::RankedTensorType getDataType() const;
    ::mlir::RankedTensorType getScalesType() const;
    /// Null when the scheme is symmetric.
    ::mlir::RankedTensorType getZeroPointsType() const;
    /// Null when the scheme has no sums.
    ::mlir::RankedTensorType getSumsType() const;
    /// Null when the scheme has no mins.
    ::mlir::RankedTensorType getMinsType() const;
    /// The super-blocks' factors (both types alike); null without them.
    ::mlir::RankedTensorType getSuperType() const;
    /// The super factors of the minimums; null without super-blocks or mins.
    ::mlir::RankedTensorType getSuperMinsType() const {
      return getScheme().getMins() ? getSuperType() : ::mlir::RankedTensorType();
    }
    /// Values a byte of data holds along the reduction (6-bit: 4 in 3).
    int64_t packedCols(int64_t cols) const {
      return cols * getScheme().getBits() / 8;
    }
    /// data, scales, then zero points, mins, super scales and super mins, and
    /// sums where the scheme has them: what a value of this type lowers to,
    /// unless its layout has records (then one tensor, getRecordsType()).
    void getComponentTypes(::llvm::SmallVectorImpl<::mlir::Type> &types) const;
    /// The components one by one, records or not (the order above).
    void getPlainComponentTypes(::llvm::SmallVectorImpl<::mlir::Type> &types) const;
    /// Whether the components lie in records (#qnt.layout's `records`).
    bool hasRecords() const { return getLayout() && getLayout().getRecords(); }
    /// Each plain component as records hold it (qnt/Math/Records.h).
    std::vector<::qnt::math::RecordPart> getRecordParts() const;
    /// The records' groups, bytes and offsets (those of getRecordParts()).
    ::qnt::math::RecordLayout getRecordLayout() const;
    /// [row tiles, groups / record groups, record bytes] i8; null without
    /// records.
    ::mlir::RankedTensorType getRecordsType() const;
  }];
}

#endif // QNT_TYPES_TD

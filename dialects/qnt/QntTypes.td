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
  let cppNamespace = "::mlir::qnt";
  let genSpecializedAttr = 0;
}

def Qnt_Storage : I32EnumAttr<"Storage", "how integer values are stored", [
    I32EnumAttrCase<"I8", 0, "i8">,
    I32EnumAttrCase<"U8Offset128", 1, "u8_offset128">]> {
  let cppNamespace = "::mlir::qnt";
  let genSpecializedAttr = 0;
}

def Qnt_Rounding : I32EnumAttr<"Rounding", "rounding of x / scale", [
    I32EnumAttrCase<"HalfAwayFromZero", 0, "half_away_from_zero">,
    I32EnumAttrCase<"HalfToEven", 1, "half_to_even">]> {
  let cppNamespace = "::mlir::qnt";
  let genSpecializedAttr = 0;
}

//===----------------------------------------------------------------------===//
// #qnt.scheme
//===----------------------------------------------------------------------===//

def Qnt_SchemeAttr : AttrDef<Qnt_Dialect, "Scheme"> {
  let mnemonic = "scheme";
  let summary = "A quantization scheme";
  let description = [{
    How a float tensor maps to integers:

    - `bits`: 8 (4 is accepted by the attribute for schemes still to come);
    - `granularity`: `per_tensor` (one scale), `per_channel` (one scale per
      index of `axis`), `per_block` (groups of `block` consecutive values
      along the last axis, the reduction axis), `per_token` (one scale per
      row: every index but the last);
    - `symmetric`: zero point 0 (asymmetric schemes add zero points);
    - `storage`: `i8`, or `u8_offset128` (q + 128 as a byte, the u8 operand
      of x86 `vpdpbusd`);
    - `scale`: f16 or f32;
    - `rounding`: `half_away_from_zero` (GGML's roundf) or `half_to_even`;
    - `sums`: per-group sums of q are kept with the data (the correction term
      for a `u8_offset128` operand on the other side of a dot product).

    Parameters equal to their default are not printed. GGML Q8_0 is
    `#qnt.scheme<granularity = per_block>`: blocks of 32, f16 scales.
  }];
  let parameters = (ins
    DefaultValuedParameter<"unsigned", "8">:$bits,
    "::mlir::qnt::Granularity":$granularity,
    DefaultValuedParameter<"int64_t", "0">:$axis,
    DefaultValuedParameter<"int64_t", "32">:$block,
    DefaultValuedParameter<"bool", "true">:$symmetric,
    DefaultValuedParameter<"::mlir::qnt::Storage", "::mlir::qnt::Storage::I8">:$storage,
    DefaultValuedParameter<"::mlir::Type", "::mlir::Float16Type::get($_ctxt)">:$scale,
    DefaultValuedParameter<"::mlir::qnt::Rounding",
                           "::mlir::qnt::Rounding::HalfAwayFromZero">:$rounding,
    DefaultValuedParameter<"bool", "false">:$sums
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// GGML Q8_0: blocks of 32 along the reduction axis, f16 scales.
    static SchemeAttr getQ8_0(::mlir::MLIRContext *ctx);
    /// The largest magnitude of a quantized value: 127 for 8 bits.
    int64_t getQMax() const { return (int64_t(1) << (getBits() - 1)) - 1; }
    bool isBlocked() const {
      return getGranularity() == ::mlir::qnt::Granularity::PerBlock;
    }
    /// This scheme with another storage.
    SchemeAttr withStorage(::mlir::qnt::Storage storage) const;
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
      `u8_offset128`);
    - scales: a tensor of the scheme's scale type, same rank as the data, with
      dimension i equal to the data's where the scale varies along i, to
      dim/block on the last axis for `per_block`, and 1 elsewhere;
    - zero points (when the scheme is asymmetric): like scales, of i32;
    - sums (when the scheme has `sums`): like scales, of i32.
  }];
  let parameters = (ins
    ArrayRefParameter<"int64_t">:$shape,
    "::mlir::Type":$expressedType,
    "::mlir::qnt::SchemeAttr":$scheme
  );
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    int64_t getRank() const { return getShape().size(); }
    /// The shape of the scales (and sums) component.
    ::llvm::SmallVector<int64_t> getScaleShape() const;
    ::mlir::RankedTensorType getDataType() const;
    ::mlir::RankedTensorType getScalesType() const;
    /// Null when the scheme is symmetric.
    ::mlir::RankedTensorType getZeroPointsType() const;
    /// Null when the scheme has no sums.
    ::mlir::RankedTensorType getSumsType() const;
    /// data, scales, then zero points and sums where the scheme has them:
    /// what a value of this type lowers to.
    void getComponentTypes(::llvm::SmallVectorImpl<::mlir::Type> &types) const;
  }];
}

#endif // QNT_TYPES_TD

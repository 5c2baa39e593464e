//===- QntX86.td - x86 dot-product instructions as ops -----*- tablegen -*-===//
//
// The instructions qnt's micro-kernels are built from, apart from the
// quantization dialect: each op has the semantics of one x86 instruction (or
// a short sequence) on plain vectors, and `--qnt-lower-x86` turns it into
// that instruction where the module's `#qnt.target` has it, or into vector
// arithmetic LLVM lowers for any CPU. `--qnt-lower-microkernel` emits them
// from `qnt.matmul_tile` as the tile's `dot` kind asks.
//
//===----------------------------------------------------------------------===//

#ifndef QNT_X86_TD
#define QNT_X86_TD

include "mlir/IR/OpBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def QntX86_Dialect : Dialect {
  let name = "qnt_x86";
  let cppNamespace = "::qnt::x86";
  let summary = "The x86 integer dot products qnt's micro-kernels are made of";
  let description = [{
    `vpdpbusd` (u8 x s8 into i32, VNNI), the s8 x s8 dot AVX2 builds with
    the sign trick, `vpmaddubsw` pairs summed in i16, their widening with
    `vpmaddwd`, and `vpshufb` as a 16-entry table lookup: the integer maths of
    one register tile, on 1-D vectors. Nothing here knows about scales or
    blocks: that meaning lives in `qnt`.
  }];
}

class QntX86_Op<string mnemonic, list<Trait> traits = []>
    : Op<QntX86_Dialect, mnemonic, traits>;

def QntX86_DpbusdOp : QntX86_Op<"dpbusd", [Pure, AllTypesMatch<["acc", "result"]>,
                                     AllTypesMatch<["lhs", "rhs"]>]> {
  let summary = "u8 x s8 dot products of 4-byte groups, accumulated in i32 lanes";
  let description = [{
    The integer dot product of quantized inference, with the semantics of
    x86 `vpdpbusd` (no saturation):

      result[i] = acc[i] + sum_{j < 4} zext(lhs[4i + j]) * sext(rhs[4i + j])

    `lhs` holds unsigned bytes (a `u8_offset128` weight, or unpacked
    `u4_offset8` nibbles), `rhs` signed ones. With `nibbles`, every lhs
    byte is at most 15: AVX2's `vpmaddubsw` then multiplies the pairs
    without saturating (2 * 15 * 127 < 2^15), so `--qnt-lower-x86` can
    build it from `vpmaddubsw` + `vpmaddwd` where there is no VNNI; else it
    becomes the VNNI intrinsic or plain vector arithmetic.

    ```mlir
    %r = qnt_x86.dpbusd %acc, %w, %x : vector<32xi8> -> vector<8xi32>
    %s = qnt_x86.dpbusd %acc, %u, %x {nibbles} : vector<32xi8> -> vector<8xi32>
    ```
  }];
  let arguments = (ins VectorOfRankAndType<[1], [I32]>:$acc,
                       VectorOfRankAndType<[1], [I8]>:$lhs,
                       VectorOfRankAndType<[1], [I8]>:$rhs,
                       UnitAttr:$nibbles);
  let results = (outs VectorOfRankAndType<[1], [I32]>:$result);
  let assemblyFormat = [{
    $acc `,` $lhs `,` $rhs attr-dict `:` type($lhs) `->` type($result)
  }];
  let hasVerifier = 1;
}

def QntX86_DpbssdOp : QntX86_Op<"dpbssd", [Pure, AllTypesMatch<["acc", "result"]>,
                                     AllTypesMatch<["lhs", "rhs"]>]> {
  let summary = "s8 x s8 dot products of 4-byte groups, accumulated in i32 lanes";
  let description = [{
    result[i] = acc[i] + sum_{j < 4} sext(lhs[4i + j]) * sext(rhs[4i + j])

    `lhs` holds quantized values in [-127, 127] (never -128), `rhs` any
    bytes: in a micro-kernel the activations and the weights. On AVX2,
    `--qnt-lower-x86` builds it from `vpsignb` and `vpmaddubsw` +
    `vpmaddwd`: |rhs| (shared by the dots of one weight vector) times lhs
    with rhs's sign, pairs that cannot saturate (2 * 128 * 127 < 2^15);
    elsewhere from plain vector arithmetic.

    ```mlir
    %r = qnt_x86.dpbssd %acc, %a, %w : vector<32xi8> -> vector<8xi32>
    ```
  }];
  let arguments = (ins VectorOfRankAndType<[1], [I32]>:$acc,
                       VectorOfRankAndType<[1], [I8]>:$lhs,
                       VectorOfRankAndType<[1], [I8]>:$rhs);
  let results = (outs VectorOfRankAndType<[1], [I32]>:$result);
  let assemblyFormat = [{
    $acc `,` $lhs `,` $rhs attr-dict `:` type($lhs) `->` type($result)
  }];
  let hasVerifier = 1;
}

def QntX86_DpbuswOp : QntX86_Op<"dpbusw", [Pure, AllTypesMatch<["acc", "result"]>,
                                     AllTypesMatch<["lhs", "rhs"]>]> {
  let summary = "u8 x s8 dot products of byte pairs, accumulated in i16 lanes";
  let description = [{
    result[i] = acc[i] + zext(lhs[2i]) * sext(rhs[2i]) + zext(lhs[2i + 1]) * sext(rhs[2i + 1])

    in i16, wrapping. For 4-bit weights (lhs nibbles at most 15, rhs in
    [-127, 127]) a pair is at most 3810 in magnitude, so eight of them add up
    without overflow (30480 < 2^15): the micro-kernel sums the pairs of up to
    8 steps in i16 and widens them once (`qnt_x86.widen_pairs`). On AVX2
    `--qnt-lower-x86` builds it from `vpmaddubsw` and `vpaddw`: one
    multiply per 32 multiply-adds instead of two.

    ```mlir
    %r = qnt_x86.dpbusw %acc, %u, %x : vector<32xi8> -> vector<16xi16>
    ```
  }];
  let arguments = (ins VectorOfRankAndType<[1], [I16]>:$acc,
                       VectorOfRankAndType<[1], [I8]>:$lhs,
                       VectorOfRankAndType<[1], [I8]>:$rhs);
  let results = (outs VectorOfRankAndType<[1], [I16]>:$result);
  let assemblyFormat = [{
    $acc `,` $lhs `,` $rhs attr-dict `:` type($lhs) `->` type($result)
  }];
  let hasVerifier = 1;
}

def QntX86_WidenPairsOp : QntX86_Op<"widen_pairs", [Pure]> {
  let summary = "Adjacent i16 lanes added into i32 lanes";
  let description = [{
    result[i] = sext(input[2i]) + sext(input[2i + 1]): the pair sums of
    `qnt_x86.dpbusw` as the i32 lanes of `qnt_x86.dpbusd` (AVX2: `vpmaddwd` with
    ones). With `scaled` factors, result[i] = (sext(input[2i]) +
    sext(input[2i + 1])) * sext(factors[i]) (AVX2: `vpmaddwd` by each factor
    twice): a Q4_K group's dot times its byte scale, where the caller knows
    the products fit i32.

    ```mlir
    %q = qnt_x86.widen_pairs %p : vector<16xi16> -> vector<8xi32>
    %s = qnt_x86.widen_pairs %p scaled %sc : vector<16xi16>, vector<8xi16> -> vector<8xi32>
    ```
  }];
  let arguments = (ins VectorOfRankAndType<[1], [I16]>:$input,
                       Optional<VectorOfRankAndType<[1], [I16]>>:$factors);
  let results = (outs VectorOfRankAndType<[1], [I32]>:$result);
  let assemblyFormat = [{
    $input (`scaled` $factors^)? attr-dict `:` type($input) (`,` type($factors)^)? `->` type($result)
  }];
  let hasVerifier = 1;
}

def QntX86_LookupOp : QntX86_Op<"lookup", [Pure, AllTypesMatch<["indices", "result"]>]> {
  let summary = "Bytes looked up in a table of 16";
  let description = [{
    result[i] = table[indices[i]] for indices in [0, 15] (the unpacked
    nibbles of a `u4_grid` weight); a lane outside that range gives an
    unspecified byte. `--qnt-lower-x86` makes it x86's `vpshufb` (the
    table in every 16-byte lane) where the target has it, else 16 compares
    and selects.

    ```mlir
    %q = qnt_x86.lookup %u [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113] : vector<32xi8>
    ```
  }];
  let arguments = (ins VectorOfRankAndType<[1], [I8]>:$indices,
                       DenseI8ArrayAttr:$table);
  let results = (outs VectorOfRankAndType<[1], [I8]>:$result);
  let assemblyFormat = "$indices $table attr-dict `:` type($result)";
  let hasVerifier = 1;
}

#endif // QNT_X86_TD

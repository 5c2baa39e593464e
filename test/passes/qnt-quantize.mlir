// The qnt-quantize pipeline: --qnt-data-tiling, --qnt-fold-weight-quant and
// --qnt-insert-act-quant with one set of options (quant-compile's), the
// storage and bits that `auto` leaves open resolved from the module's
// #qnt.target and the activations' granularity.
// RUN: quant-opt %s --split-input-file --qnt-quantize | FileCheck %s
// RUN: quant-opt %s --split-input-file --qnt-quantize="act-granularity=per-token" | FileCheck %s --check-prefix=TOKEN
// RUN: quant-opt %s --split-input-file --qnt-quantize="weight-storage=i8 weight-bits=8 rounding=half-even act-scale=f16" | FileCheck %s --check-prefix=SET
// RUN: quant-opt %s --split-input-file --qnt-quantize="weight-records=false" | FileCheck %s --check-prefix=PLAIN
// The defaults are the passes' own, run by hand:
// RUN: quant-opt %s --split-input-file --qnt-quantize > %t.pipeline
// RUN: quant-opt %s --split-input-file --qnt-data-tiling --qnt-fold-weight-quant --qnt-insert-act-quant > %t.passes
// RUN: diff %t.pipeline %t.passes
// Bad values are refused by the option parser, naming the option:
// RUN: not quant-opt %s --qnt-quantize="weight-bits=5" 2>&1 | FileCheck %s --check-prefix=BAD

// A VNNI target: 8-bit weights stored u8 (+128), corrected through the
// per-block activation sums; the Q4_0 weight (a splat of its bytes) stays
// 4-bit; both tiled for 512-bit vectors (n0 = 32), in records: a group's
// 1024 bytes (4-bit: 512) and its 32 f16 scales side by side, one record a
// group (whole cache lines), [tiles, groups, bytes].
// CHECK-DAG:   #[[$ACT:.+]] = #qnt.scheme<granularity = per_block, scale = f32, sums = true>
// CHECK-DAG:   #[[$U8:.+]] = #qnt.scheme<granularity = per_block, storage = u8_offset128>
// CHECK-DAG:   #[[$Q4:.+]] = #qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8>
// CHECK-LABEL: func.func @vnni
// CHECK:         qnt.quantize %{{.+}} -> !qnt.tensor<?x64xf32, #[[$ACT]], #qnt.layout<pad = 32>>
// CHECK:         qnt.pack %{{.+}} : tensor<2x2x1088xi8> -> !qnt.tensor<64x64xf32, #[[$U8]], #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>>
// CHECK:         qnt.pack %{{.+}} : tensor<1x2x576xi8> -> !qnt.tensor<32x64xf32, #[[$Q4]], #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>>
// CHECK-COUNT-2: qnt.matmul
// Per-token activations cannot correct u8 or 4-bit blocks: both weights Q8_0.
// TOKEN-DAG:   #[[$TOK:.+]] = #qnt.scheme<granularity = per_token, scale = f32>
// TOKEN-LABEL: func.func @vnni
// TOKEN:         qnt.quantize %{{.+}} -> !qnt.tensor<?x64xf32, #[[$TOK]], #qnt.layout<pad = 32>>
// TOKEN:         qnt.pack %{{.+}} -> !qnt.tensor<64x64xf32, #q8_0, #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>>
// TOKEN:         qnt.pack %{{.+}} -> !qnt.tensor<32x64xf32, #q8_0, #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>>
// Each option reaches its pass: i8 storage, 8 bits, half-even rounding, f16
// activation scales (so one scheme serves weights and activations).
// SET-DAG:     #[[$EVEN:.+]] = #qnt.scheme<granularity = per_block, rounding = half_to_even>
// SET-LABEL: func.func @vnni
// SET:         qnt.quantize %{{.+}} -> !qnt.tensor<?x64xf32, #[[$EVEN]], #qnt.layout<pad = 32>>
// SET:         qnt.pack %{{.+}} -> !qnt.tensor<64x64xf32, #[[$EVEN]], #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>>
// SET:         qnt.pack %{{.+}} -> !qnt.tensor<32x64xf32, #[[$EVEN]], #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>>
// Without records: a constant of the components one by one.
// PLAIN-LABEL: func.func @vnni
// PLAIN:         qnt.constant {{.+}} : !qnt.tensor<64x64xf32, #{{.+}}, #qnt.layout<n0 = 32, k0 = 4, pad = 32>>
// PLAIN:         qnt.constant {{.+}} : !qnt.tensor<32x64xf32, #{{.+}}, #qnt.layout<n0 = 32, k0 = 4, pad = 32>>
// BAD: for the --weight-bits option: Cannot find option named '5'!
module attributes {qnt.target = #qnt.target<vector_bits = 512, dot = vnni, registers = 32>} {
  func.func @vnni(%x: tensor<?x64xf32>) -> (tensor<?x64xf32>, tensor<?x32xf32>) {
    %w = arith.constant dense<0.5> : tensor<64x64xf32>
    %q4 = qnt.ggml_constant q4_0 dense<-102> : tensor<1152xi8> : tensor<32x64xf32>
    %y = qnt.linear %x, %w : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
    %z = qnt.linear %x, %q4 : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
    return %y, %z : tensor<?x64xf32>, tensor<?x32xf32>
  }
}

// -----

// An AVX2 target (no VNNI): i8 weights, tiles of 16 channels; a group's
// 512 bytes and 16 scales take 544 bytes, so a record holds two (1088, 17
// cache lines).
// CHECK-LABEL: func.func @avx2
// CHECK:         qnt.pack %{{.+}} : tensor<1x1x1088xi8> -> !qnt.tensor<16x64xf32, #q8_0, #qnt.layout<n0 = 16, k0 = 4, pad = 32, records = true>>
module attributes {qnt.target = #qnt.target<vector_bits = 256, dot = maddubs>} {
  func.func @avx2(%x: tensor<?x64xf32>) -> tensor<?x16xf32> {
    %w = arith.constant dense<0.5> : tensor<16x64xf32>
    %y = qnt.linear %x, %w : tensor<?x64xf32>, tensor<16x64xf32> -> tensor<?x16xf32>
    return %y : tensor<?x16xf32>
  }
}

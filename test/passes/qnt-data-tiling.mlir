// RUN: quant-opt %s --split-input-file --qnt-data-tiling | FileCheck %s
// RUN: quant-opt %s --split-input-file --qnt-data-tiling=n0=64 | FileCheck %s --check-prefix=N64
// RUN: quant-opt %s --split-input-file --qnt-data-tiling=records=false | FileCheck %s --check-prefix=PLAIN

// AVX-512: tiles of two zmm of i32 lanes, 32 channels; the reduction padded
// to whole blocks of 32; the components in records (one stream), unless
// records=false.
// CHECK-LABEL: func.func @avx512
// CHECK:         qnt.linear %{{.+}}, %{{.+}} {weight_layout = #qnt.layout<n0 = 32, k0 = 4, pad = 32, records = true>}
// N64-LABEL: func.func @avx512
// N64:           {weight_layout = #qnt.layout<n0 = 64, k0 = 4, pad = 32, records = true>}
// PLAIN-LABEL: func.func @avx512
// PLAIN:         {weight_layout = #qnt.layout<n0 = 32, k0 = 4, pad = 32>}
module attributes {qnt.target = #qnt.target<vector_bits = 512, dot = vnni, registers = 32>} {
  func.func @avx512(%x: tensor<?x172xf32>) -> tensor<?x40xf32> {
    %w = arith.constant dense<0.5> : tensor<40x172xf32>
    %y = qnt.linear %x, %w : tensor<?x172xf32>, tensor<40x172xf32> -> tensor<?x40xf32>
    return %y : tensor<?x40xf32>
  }
}

// -----

// AVX2 (and AVX-VNNI): two ymm, 16 channels. A weight that arrives
// quantized (dequantize of a constant) is laid out too.
// CHECK-LABEL: func.func @avx2
// CHECK:         qnt.linear %{{.+}}, %{{.+}} {weight_layout = #qnt.layout<n0 = 16, k0 = 4, pad = 32, records = true>}
module attributes {qnt.target = #qnt.target<vector_bits = 256, dot = maddubs>} {
  func.func @avx2(%x: tensor<?x32xf32>) -> tensor<?x2xf32> {
    %q = qnt.constant data(dense<1> : tensor<2x32xi8>) scales(dense<0.5> : tensor<2x1xf16>) : !qnt.tensor<2x32xf32, #qnt.scheme<granularity = per_block>>
    %w = qnt.dequantize %q : !qnt.tensor<2x32xf32, #qnt.scheme<granularity = per_block>> -> tensor<2x32xf32>
    %y = qnt.linear %x, %w : tensor<?x32xf32>, tensor<2x32xf32> -> tensor<?x2xf32>
    return %y : tensor<?x2xf32>
  }
}

// -----

// No target: generic 128-bit code, 8 channels.
// CHECK-LABEL: func.func @generic
// CHECK:         {weight_layout = #qnt.layout<n0 = 8, k0 = 4, pad = 32, records = true>}
func.func @generic(%x: tensor<?x32xf32>) -> tensor<?x2xf32> {
  %w = arith.constant dense<0.5> : tensor<2x32xf32>
  %y = qnt.linear %x, %w : tensor<?x32xf32>, tensor<2x32xf32> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

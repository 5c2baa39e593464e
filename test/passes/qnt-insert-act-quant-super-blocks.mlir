// RUN: quant-opt %s --split-input-file --qnt-insert-act-quant | FileCheck %s
// RUN: quant-opt %s --split-input-file --qnt-insert-act-quant=super-block-scales=off | FileCheck %s --check-prefix=OFF
// RUN: quant-opt %s --split-input-file --qnt-insert-act-quant=super-block-scales=on | FileCheck %s --check-prefix=ON
// RUN: not quant-opt %s --split-input-file --qnt-insert-act-quant=super-block-scales=maybe 2>&1 | FileCheck %s --check-prefix=BAD

// Against a data-tiled Q4_K weight (mins, super-blocks of 256), AVX2's
// micro-kernel (vpmaddubsw) takes the activation with one scale per
// super-block and its sums per block of 32 (GGML's Q8_K); off keeps the
// weight's block.
#q4k = #qnt.scheme<bits = 4, granularity = per_block, storage = u4, mins = true, super_block = 256>
#tiles = #qnt.layout<n0 = 16, k0 = 4, pad = 256, records = true>

// CHECK:       #[[$ACT:.+]] = #qnt.scheme<granularity = per_block, block = 256, scale = f32, sums = true, sums_block = 32>
// CHECK-LABEL: func.func @avx2
// CHECK:         qnt.quantize %{{.+}} : tensor<?x512xf32> -> !qnt.tensor<?x512xf32, #[[$ACT]], #qnt.layout<pad = 256>>
// OFF:         #[[$ACT:.+]] = #qnt.scheme<granularity = per_block, scale = f32, sums = true>
// OFF-LABEL:   func.func @avx2
// OFF:           qnt.quantize %{{.+}} -> !qnt.tensor<?x512xf32, #[[$ACT]], #qnt.layout<pad = 256>>
// BAD: for the --super-block-scales option: Cannot find option named 'maybe'!
module attributes {qnt.target = #qnt.target<vector_bits = 256, dot = maddubs>} {
  func.func @avx2(%x: tensor<?x512xf32>, %w: !qnt.tensor<32x512xf32, #q4k, #tiles>) -> tensor<?x32xf32> {
    %y = qnt.linear %x, %w : tensor<?x512xf32>, !qnt.tensor<32x512xf32, #q4k, #tiles> -> tensor<?x32xf32>
    return %y : tensor<?x32xf32>
  }
}

// -----

// With VNNI (vpdpbusd's i32 dots) the per-group epilogue costs the same
// either way: the finer scales stay, unless asked for.
#q4k = #qnt.scheme<bits = 4, granularity = per_block, storage = u4, mins = true, super_block = 256>
#tiles = #qnt.layout<n0 = 32, k0 = 4, pad = 256, records = true>

// CHECK:       #[[$ACT:.+]] = #qnt.scheme<granularity = per_block, scale = f32, sums = true>
// CHECK-LABEL: func.func @vnni
// CHECK:         qnt.quantize %{{.+}} -> !qnt.tensor<?x512xf32, #[[$ACT]], #qnt.layout<pad = 256>>
// ON:          #[[$ACT:.+]] = #qnt.scheme<granularity = per_block, block = 256, scale = f32, sums = true, sums_block = 32>
// ON-LABEL:    func.func @vnni
// ON:            qnt.quantize %{{.+}} -> !qnt.tensor<?x512xf32, #[[$ACT]], #qnt.layout<pad = 256>>
module attributes {qnt.target = #qnt.target<vector_bits = 512, dot = vnni, registers = 32>} {
  func.func @vnni(%x: tensor<?x512xf32>, %w: !qnt.tensor<32x512xf32, #q4k, #tiles>) -> tensor<?x32xf32> {
    %y = qnt.linear %x, %w : tensor<?x512xf32>, !qnt.tensor<32x512xf32, #q4k, #tiles> -> tensor<?x32xf32>
    return %y : tensor<?x32xf32>
  }
}

// -----

// Q6_K (super-blocks, signed byte scales, no mins) the same, its sums per
// block of 16; Q4_0 (one level) keeps the weight's block.
#q6k = #qnt.scheme<bits = 6, granularity = per_block, block = 16, storage = u6_offset32, super_block = 256>
#q4_0 = #qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8>
#tiles = #qnt.layout<n0 = 16, k0 = 4, pad = 256, records = true>

// CHECK-DAG:   #[[$A16:.+]] = #qnt.scheme<granularity = per_block, block = 256, scale = f32, sums = true, sums_block = 16>
// CHECK-DAG:   #[[$A32:.+]] = #qnt.scheme<granularity = per_block, scale = f32, sums = true>
// CHECK-LABEL: func.func @others
// CHECK:         qnt.quantize %{{.+}} -> !qnt.tensor<?x512xf32, #[[$A16]], #qnt.layout<pad = 256>>
// CHECK:         qnt.quantize %{{.+}} -> !qnt.tensor<?x512xf32, #[[$A32]], #qnt.layout<pad = 256>>
module attributes {qnt.target = #qnt.target<vector_bits = 256, dot = maddubs>} {
  func.func @others(%x: tensor<?x512xf32>, %w6: !qnt.tensor<32x512xf32, #q6k, #tiles>, %w4: !qnt.tensor<32x512xf32, #q4_0, #tiles>) -> (tensor<?x32xf32>, tensor<?x32xf32>) {
    %a = qnt.linear %x, %w6 : tensor<?x512xf32>, !qnt.tensor<32x512xf32, #q6k, #tiles> -> tensor<?x32xf32>
    %b = qnt.linear %x, %w4 : tensor<?x512xf32>, !qnt.tensor<32x512xf32, #q4_0, #tiles> -> tensor<?x32xf32>
    return %a, %b : tensor<?x32xf32>, tensor<?x32xf32>
  }
}

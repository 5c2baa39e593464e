// Every line pins its CPU: the weights' storage and the instructions follow
// the target (u8 + 128 weights where it has VNNI).
// The same whatever the default target (every compile pins its --mcpu): once, in the host's run.
// UNSUPPORTED: qnt-test-cpu
// RUN: quant-compile %s --emit=mlir --mcpu=x86-64-v3 -o - | FileCheck %s --check-prefix=MLIR
// RUN: quant-compile %s --emit=mlir --mcpu=x86-64-v3 --weight-granularity=per-channel --act-granularity=per-token -o - | FileCheck %s --check-prefix=CHANNEL
// RUN: quant-compile %s --emit=mlir --mcpu=znver4 --weight-granularity=per-channel --act-granularity=per-token -o - | FileCheck %s --check-prefix=CHANNEL-VNNI
// RUN: quant-compile %s --emit=mlir --mcpu=znver4 -o - | FileCheck %s --check-prefix=BLOCK-VNNI
// RUN: quant-compile %s --emit=mlir --mcpu=znver4 --weight-storage=i8 -o - | FileCheck %s --check-prefix=BLOCK-I8
// RUN: quant-compile %s --emit=mlir --mcpu=x86-64-v3 --no-quantize -o - | FileCheck %s --check-prefix=FLOAT
// RUN: quant-compile %s --emit=mlir-llvm --mcpu=haswell -o - | FileCheck %s --check-prefix=LLVMDIALECT
// RUN: quant-compile %s --emit=llvm --mcpu=haswell -o - | FileCheck %s --check-prefix=LLVMIR
// RUN: quant-compile %s --emit=asm --mcpu=znver4 -o - | FileCheck %s --check-prefix=VNNI
// RUN: quant-compile %s --emit=asm --mcpu=haswell -o - | FileCheck %s --check-prefix=AVX2
// RUN: quant-compile %s --emit=asm --mcpu=x86-64 -o - | FileCheck %s --check-prefix=SSE
// RUN: quant-compile %s --emit=asm --mcpu=znver4 --mattr=-avx512vnni,-avxvnni -o - | FileCheck %s --check-prefix=NOVNNI
// RUN: quant-compile %s --emit=asm --mcpu=alderlake -o - | FileCheck %s --check-prefix=AVXVNNI
// RUN: quant-compile %s --emit=asm --mcpu=znver4 --weight-bits=4 -o - | FileCheck %s --check-prefix=VNNI4
// RUN: quant-compile %s --emit=asm --mcpu=haswell --weight-bits=4 -o - | FileCheck %s --check-prefix=AVX2-4
// RUN: quant-compile %s --emit=asm --mcpu=alderlake --weight-bits=4 -o - | FileCheck %s --check-prefix=AVXVNNI4
// RUN: quant-compile %s --emit=asm --mcpu=x86-64 --weight-bits=4 -o - | FileCheck %s --check-prefix=SSE4
// RUN: quant-compile %s -o %t.4.o --mcpu=x86-64-v3 --weight-bits=4 --weight-min --report 2>&1 | FileCheck %s --check-prefix=REPORT4
// RUN: rm -rf %t && mkdir -p %t && quant-compile %s -o %t/model.o --mcpu=x86-64-v3 --report 2>&1 | FileCheck %s --check-prefix=REPORT
// RUN: quant-compile %s -o %t/model.o --mcpu=x86-64-v3 --report --no-fuse 2>&1 | FileCheck %s --check-prefix=NOFUSE
// NOFUSE: passes: qnt-expand-ggml, qnt-share-kernels, qnt-tile-matmul, qnt-lower-microkernel, qnt-lower-to-vector,
// RUN: quant-compile %s -o %t/model.o --mcpu=x86-64-v3 --report --share-kernels=false 2>&1 | FileCheck %s --check-prefix=INLINE
// INLINE: passes: qnt-expand-ggml, qnt-fuse, qnt-tile-matmul, qnt-lower-microkernel, qnt-lower-to-vector,
// RUN: quant-compile --print-target --mcpu=x86-64 | FileCheck %s --check-prefix=PRINT-GENERIC
// RUN: quant-compile --print-target --mcpu=znver4 --mattr=-avx512f | FileCheck %s --check-prefix=PRINT-NOAVX512
// RUN: FileCheck %s --check-prefix=HEADER < %t/model.h
// RUN: llvm-nm %t/model.o | FileCheck %s --check-prefix=SYMBOLS

// MLIR: qnt.quantize
// MLIR: %[[REC:.+]] = arith.constant dense_resource<qnt_proj> : tensor<2x1x1088xi8>
// MLIR: qnt.pack %[[REC]] : tensor<2x1x1088xi8> -> !qnt.tensor<24x64xf32, #q8_0, #qnt.layout<n0 = 16, k0 = 4, pad = 32, records = true>>
// MLIR: qnt.matmul

// CHANNEL-DAG: #{{.+}} = #qnt.scheme<granularity = per_channel>
// CHANNEL-DAG: #{{.+}} = #qnt.scheme<granularity = per_token, scale = f32>
// CHANNEL-VNNI-DAG: #{{.+}} = #qnt.scheme<granularity = per_channel, storage = u8_offset128>
// CHANNEL-VNNI-DAG: #{{.+}} = #qnt.scheme<granularity = per_token, scale = f32, sums = true>
// BLOCK-VNNI-DAG: #{{.+}} = #qnt.scheme<granularity = per_block, storage = u8_offset128>
// BLOCK-VNNI-DAG: #{{.+}} = #qnt.scheme<granularity = per_block, scale = f32, sums = true>
// BLOCK-I8-DAG: #{{.+}} = #qnt.scheme<granularity = per_block>
// BLOCK-I8-DAG: #{{.+}} = #qnt.scheme<granularity = per_block, scale = f32>

// FLOAT-NOT: qnt.quantize
// FLOAT: qnt.linear %{{.+}}, %{{.+}} : tensor<?x64xf32>, tensor<24x64xf32>

// LLVMDIALECT-DAG: llvm.func @proj_par(%{{.+}}: !llvm.ptr, %{{.+}}: i64, %{{.+}}: i64)
// LLVMDIALECT-DAG: llvm.func @_mlir_ciface_proj
// LLVMDIALECT-DAG: llvm.call @qnt_rt_parallel_for
// LLVMDIALECT-NOT: unrealized_conversion_cast

// LLVMIR: define {{.*}}void @_mlir_ciface_proj(ptr {{.*}}, ptr {{.*}})
// LLVMIR: attributes #{{[0-9]+}} = {{{.*}}"target-cpu"="haswell"

// The u8 x s8 dot of a VNNI CPU.
// VNNI: vpdpbusd
// On AVX2, the sign trick: |a| times w with the sign of a, pairs then quads.
// AVX2-NOT: vpdpbusd
// AVX2-NOT: zmm
// AVX2: vpsignb {{.*}}ymm
// AVX2: vpmaddubsw {{.*}}ymm
// AVX2: vpmaddwd {{.*}}ymm
// SSE-NOT: ymm
// SSE: pmullw {{.*}}xmm
// NOVNNI-NOT: vpdpbusd
// AVX-VNNI (no AVX-512): the VEX-encoded form on ymm.
// AVXVNNI-NOT: zmm
// AVXVNNI: {vex} vpdpbusd {{.*}}ymm

// 4-bit weights: the nibbles unpacked by an AND and a shift (vpsrlw + vpand;
// with GFNI, LLVM shifts bytes in one vgf2p8affineqb), then vpdpbusd (zmm,
// or {vex} ymm on AVX-VNNI), or on AVX2 vpmaddubsw on the nibbles as they
// are, without the sign trick; plain SSE2 otherwise.
// VNNI4-NOT: vpsignb
// VNNI4: vpdpbusd {{.*}}zmm
// AVX2-4-NOT: vpsignb
// AVX2-4-NOT: zmm
// AVX2-4: vpsrlw $4, {{.*}}ymm
// AVX2-4: vpmaddubsw {{.*}}ymm
// AVX2-4: vpmaddwd {{.*}}ymm
// AVXVNNI4-NOT: zmm
// AVXVNNI4: {vex} vpdpbusd {{.*}}ymm
// SSE4-NOT: ymm
// SSE4: psrlw $4, {{.*}}xmm
// 24 x 64 with minimums: 2 tiles of 16 channels x 2 blocks x (16 bytes of
// nibbles + an fp16 scale + an fp16 minimum) = 1280 bytes.
// REPORT4: weights of the linear layers: 6144 bytes as given -> 1280 bytes quantized (0.83 bytes per value; f32 is 4)

// REPORT: target: x86-64-v3 ({{.+}}), AVX2 yes, AVX-512 no, VNNI no; runs on this machine
// REPORT: passes: qnt-fuse-linears, qnt-data-tiling, qnt-fold-weight-quant, qnt-insert-act-quant
// REPORT: linear layers: 1, quantized 1
// 24 x 64 f32 = 6144 bytes; Q8_0 in tiles of 16 channels (AVX2): 2 tiles,
// 32 rows x 2 blocks of 34 bytes = 2176, the 8 rows of padding included.
// REPORT: weights of the linear layers: 6144 bytes as given -> 2176 bytes quantized (1.42 bytes per value; f32 is 4)
// REPORT: passes: qnt-expand-ggml, qnt-fuse, qnt-share-kernels, qnt-tile-matmul, qnt-lower-microkernel, qnt-lower-to-vector,
// REPORT: passes: qnt-lower-x86,

// PRINT-GENERIC: target: x86-64 ({{.+}}), AVX2 no, AVX-512 no, VNNI no; runs on this machine
// PRINT-NOAVX512: target: znver4 ({{.+}}), AVX2 yes, AVX-512 no, VNNI no

// HEADER: #include "qnt/runtime.h"
// HEADER: /* @proj
// HEADER-NEXT:  *   arg0: memref<?x64xf32>
// HEADER-NEXT:  *   result0: memref<?x24xf32>
// HEADER: void _mlir_ciface_proj(qnt_memref_2d *arg0, qnt_memref_2d *result0);

// SYMBOLS: T _mlir_ciface_proj
// SYMBOLS: U qnt_rt_parallel_for

func.func @proj(%x: tensor<?x64xf32>) -> tensor<?x24xf32> {
  %w = arith.constant dense<0.125> : tensor<24x64xf32> loc("proj")
  %y = qnt.linear %x, %w : tensor<?x64xf32>, tensor<24x64xf32> -> tensor<?x24xf32>
  return %y : tensor<?x24xf32>
}

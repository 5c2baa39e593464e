#!/usr/bin/env bash
# Builds the GGUF reader's libFuzzer target with clang-22 (AddressSanitizer and
# UndefinedBehaviorSanitizer on) and runs it for SECONDS on a corpus seeded
# with generated models, valid and malformed.
#   test/fuzz/run-gguf-fuzzer.sh [DIR=build/fuzz] [SECONDS=60]
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:-$src/build/fuzz}
seconds=${2:-60}
clang=/usr/lib/llvm-22/bin/clang++
py=/usr/bin/python3
mkdir -p "$dir/corpus" "$dir/include/qnt/Math"
# The maths library's enums, generated from the dialect's TableGen as the build does.
"$py" "$src/lib/Math/gen-enums.py" /usr/lib/llvm-22/bin/llvm-tblgen "$src/dialects/qnt/QntTypes.td" \
  "$dir/include/qnt/Math/SchemeEnums.h.inc" "$src" /usr/lib/llvm-22/include
"$clang" -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$src/include" -I"$dir/include" "$src/test/fuzz/gguf-fuzzer.cpp" "$src/lib/GGUF/GGUF.cpp" "$src/lib/Math/Quant.cpp" "$src/lib/Math/Ggml.cpp" \
  -o "$dir/gguf-fuzzer"
gen="$src/test/e2e/gen_gguf.py"
"$py" "$gen" "$dir/corpus/valid-f32.gguf" --dim 32 --heads 2 --kv-heads 1 --ffn 32 --layers 1 --vocab 300
"$py" "$gen" "$dir/corpus/valid-q8.gguf" --dim 32 --heads 2 --kv-heads 2 --ffn 64 --layers 1 --type q8_0 --version 2
"$py" "$gen" "$dir/corpus/valid-q4k.gguf" --dim 256 --heads 2 --kv-heads 1 --ffn 256 --layers 1 --type q4_k
for kind in truncated magic version tensor-count string-length array-count offset tensor-type block-rows utf8 value-type alignment; do
  "$py" "$gen" "$dir/corpus/bad-$kind.gguf" --dim 32 --heads 2 --kv-heads 1 --ffn 32 --layers 1 --corrupt "$kind"
done
"$dir/gguf-fuzzer" "$dir/corpus" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
  -timeout=10 -print_final_stats=1 2>&1 | tail -n 12

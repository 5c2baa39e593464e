//===- qnt-gguf-dequant.cpp - A GGUF's tensors as the project reads them --===//
//
//   qnt-gguf-dequant MODEL.gguf OUT.f32 [TYPE...]
//
// Writes the f32 values qnt::gguf::readAsFloat gives every tensor of MODEL
// (or those of the given ggml type names, e.g. Q4_K), in file order, one
// after the other: what the tests compare, bit for bit, with numpy's
// transcription of ggml's dequantizers (test/e2e/ggml_blocks.py).
//
//===----------------------------------------------------------------------===//

#include "qnt/GGUF/GGUF.h"

#include <cstdio>
#include <set>
#include <string>
#include <vector>

int main(int argc, char **argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: qnt-gguf-dequant MODEL.gguf OUT.f32 [TYPE...]\n");
    return 2;
  }
  std::set<std::string> types(argv + 3, argv + argc);
  std::string error;
  auto file = qnt::gguf::File::open(argv[1], error);
  if (!file) {
    std::fprintf(stderr, "qnt-gguf-dequant: %s: %s\n", argv[1], error.c_str());
    return 1;
  }
  std::FILE *out = std::fopen(argv[2], "wb");
  if (!out) {
    std::fprintf(stderr, "qnt-gguf-dequant: cannot write %s\n", argv[2]);
    return 1;
  }
  size_t count = 0;
  for (const qnt::gguf::TensorInfo &t : file->tensors()) {
    if (!types.empty() && !types.count(qnt::gguf::tensorTypeName(t.type)))
      continue;
    std::vector<float> values;
    if (!qnt::gguf::readAsFloat(t, values, error)) {
      std::fprintf(stderr, "qnt-gguf-dequant: %s\n", error.c_str());
      return 1;
    }
    std::fwrite(values.data(), sizeof(float), values.size(), out);
    ++count;
  }
  std::fclose(out);
  std::printf("%zu tensors\n", count);
  return 0;
}

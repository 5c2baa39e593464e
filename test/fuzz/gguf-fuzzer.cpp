//===- gguf-fuzzer.cpp - libFuzzer target for the GGUF reader -------------===//
//
// Feeds arbitrary bytes to the reader and to everything that reads a parsed
// file: the llama configuration, the vocabulary, and every tensor as floats
// (bounded, so that a valid but huge tensor does not time out the fuzzer).
// Build and run: test/fuzz/run-gguf-fuzzer.sh [DIR] [SECONDS].
//
//===----------------------------------------------------------------------===//

#include "qnt/GGUF/GGUF.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string error;
  std::unique_ptr<qnt::gguf::File> file = qnt::gguf::File::parse(data, size, error);
  if (!file)
    return 0;
  qnt::gguf::LlamaConfig config;
  qnt::gguf::readLlamaConfig(*file, config, error);
  qnt::gguf::Vocabulary vocab;
  qnt::gguf::readVocabulary(*file, vocab, error);
  std::vector<float> values;
  for (const qnt::gguf::TensorInfo &t : file->tensors())
    if (t.numElements() <= (1u << 20))
      qnt::gguf::readAsFloat(t, values, error);
  return 0;
}

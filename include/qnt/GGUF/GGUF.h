//===- GGUF.h - Reading GGUF model files ---------------------*- C++ -*-===//
//
// GGUF (versions 2 and 3): a header, typed key/value metadata, tensor
// descriptions, then aligned tensor data. Dependency-free C++17: the
// compiler's importer, the float reference, quant-run and the fuzz target all
// read models through this one reader.
//
// Every read is bounds-checked: a malformed file yields one error message
// naming the problem, never a crash, an unbounded allocation or a hang.
//
// GGUF lists a tensor's dimensions innermost first (ne[0] is the length of a
// row). TensorInfo::shape() returns them outermost first, the row-major order
// the rest of the project uses; that reversal happens here and only here.
//
//===----------------------------------------------------------------------===//

#ifndef QNT_GGUF_GGUF_H
#define QNT_GGUF_GGUF_H

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace qnt::gguf {

/// Metadata value types, as numbered by the format.
enum class ValueType : uint32_t {
  U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, Bool = 7,
  String = 8, Array = 9, U64 = 10, I64 = 11, F64 = 12,
};
const char *valueTypeName(ValueType type);

/// ggml tensor types this project reads; the others are named in errors.
enum class TensorType : uint32_t { F32 = 0, F16 = 1, Q8_0 = 8, BF16 = 30 };
/// The ggml name of a tensor type id ("Q4_K"), or "unknown".
const char *tensorTypeName(uint32_t type);

/// One metadata value. Numbers keep their exact value (integers in u/i,
/// floats in f); arrays of strings and of numbers are stored flat.
struct Value {
  ValueType type = ValueType::U8;
  ValueType elementType = ValueType::U8; ///< for arrays
  uint64_t u = 0;
  int64_t i = 0;
  double f = 0;
  std::string str;
  std::vector<std::string> strings; ///< array of strings
  std::vector<double> numbers;      ///< array of numbers (or bools)

  bool isInteger() const;
  bool isNumber() const;
  /// The value as a double (integers, floats, bools).
  double number() const;
};

struct TensorInfo {
  std::string name;
  std::vector<uint64_t> dims; ///< as stored: innermost first
  uint32_t type = 0;
  uint64_t offset = 0; ///< from the start of the data section
  uint64_t bytes = 0;
  const uint8_t *data = nullptr; ///< into the mapped file

  /// Outermost first: a [rows, cols] matrix has shape {dims[1], dims[0]}.
  std::vector<int64_t> shape() const;
  uint64_t numElements() const;
};

/// A parsed GGUF file over a buffer it does not own (a mapping, or memory).
class File {
public:
  /// Parses `size` bytes at `data`; on failure returns null and sets error.
  static std::unique_ptr<File> parse(const uint8_t *data, size_t size,
                                     std::string &error);
  /// Maps `path` read-only and parses it.
  static std::unique_ptr<File> open(const std::string &path,
                                    std::string &error);
  ~File();
  File(const File &) = delete;
  File &operator=(const File &) = delete;

  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  const std::map<std::string, Value> &metadata() const { return metadata_; }
  const std::vector<TensorInfo> &tensors() const { return tensors_; }

  const Value *find(const std::string &key) const;
  const TensorInfo *tensor(const std::string &name) const;

private:
  File() = default;
  bool parseAll(std::string &error);

  const uint8_t *data_ = nullptr;
  size_t size_ = 0;
  void *mapping_ = nullptr; ///< owned mapping, if opened from a path
  size_t mappingSize_ = 0;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  std::map<std::string, Value> metadata_;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, size_t> tensorIndex_;
};

/// Hyperparameters of a llama-family model (llama, with Mistral and SmolLM;
/// qwen2; qwen3), read and checked against its tensors.
struct LlamaConfig {
  enum class Arch { Llama, Qwen2, Qwen3 };
  Arch arch = Arch::Llama;
  int64_t blocks = 0;
  int64_t dim = 0;        ///< embedding length
  int64_t ffn = 0;        ///< feed-forward length
  int64_t heads = 0;
  int64_t kvHeads = 0;
  int64_t headDim = 0;    ///< attention.key_length, else dim / heads
  int64_t qDim = 0;       ///< heads * headDim: attn_q's rows
  int64_t ropeDim = 0;    ///< rotated dimensions per head
  float ropeBase = 10000.0f;
  float rmsEps = 1e-5f;
  int64_t context = 0;
  int64_t vocab = 0;
  bool tiedOutput = false; ///< no output.weight: the embedding is reused
  bool neox = false;    ///< RoPE rotates halves (x[i], x[i + d/2]), not pairs
  bool qkvBias = false; ///< attn_{q,k,v}.bias (qwen2)
  bool qkNorm = false;  ///< attn_{q,k}_norm.weight per head (qwen3)
  std::vector<float> ropeFactors; ///< rope_freqs.weight (Llama 3.1), or empty
};

/// Reads the architecture's keys and checks every tensor the model needs:
/// present, of a readable type, of the right shape. Fails with a message naming the
/// first problem.
bool readLlamaConfig(const File &file, LlamaConfig &config, std::string &error);

/// The tokenizer of a GGUF (tokenizer.ggml.*): SentencePiece pieces with
/// scores ("llama"), or a byte-level BPE vocabulary with ranked merges and a
/// pre-tokenizer ("gpt2"); token types, special ids, the chat template.
struct Vocabulary {
  enum class Model { SentencePiece, BytePairs };
  /// The pre-tokenizers of byte-level BPE (tokenizer.ggml.pre), by the
  /// regular expressions their Hugging Face tokenizers split with.
  enum class PreTokenizer { Gpt2, Llama3, Qwen2, SmolLM };
  Model model = Model::SentencePiece;
  PreTokenizer pre = PreTokenizer::Gpt2;
  std::string preName; ///< as the file names it ("llama-bpe")
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<int32_t> types; ///< 1 normal, 2 unknown, 3 control, 4 user, 6 byte
  std::vector<std::string> merges; ///< "left right", best first (BPE)
  int32_t bos = 1, eos = 2, unk = 0;
  int32_t eot = -1; ///< end of turn (tokenizer.ggml.eot_token_id), -1: none
  bool addBos = true;
  std::string chatTemplate; ///< tokenizer.chat_template, empty if none
};
/// Reads and checks the vocabulary: a BPE vocabulary must have every byte's
/// character and merges whose parts and results are tokens; an unknown
/// tokenizer model or pre-tokenizer is refused by name.
bool readVocabulary(const File &file, Vocabulary &vocab, std::string &error);

/// Reads an F32, F16, BF16 or Q8_0 tensor as floats (Q8_0 dequantized).
bool readAsFloat(const TensorInfo &tensor, std::vector<float> &out,
                 std::string &error);

} // namespace qnt::gguf

#endif // QNT_GGUF_GGUF_H

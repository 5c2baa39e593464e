//===- GGUF.cpp - Reading GGUF model files --------------------------------===//

#include "qnt/GGUF/GGUF.h"

#include "qnt/Math/Ggml.h"
#include "qnt/Math/Quant.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <unordered_map>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace qnt::gguf {

namespace {

constexpr uint32_t kMagic = 0x46554747; // "GGUF" little-endian
// Bounds that no real model reaches and that keep a hostile header from
// asking for absurd work before the file runs out anyway.
constexpr uint64_t kMaxCount = uint64_t(1) << 24;
constexpr uint32_t kMaxDims = 4;
constexpr int kMaxArrayNesting = 1;

/// A cursor over the file's bytes; every read checks the bounds.
class Reader {
public:
  Reader(const uint8_t *data, size_t size) : data(data), size(size) {}

  bool fail(const std::string &message) {
    if (error.empty())
      error = message + " (at byte " + std::to_string(pos) + ")";
    return false;
  }
  size_t remaining() const { return size - pos; }
  size_t position() const { return pos; }

  template <typename T> bool read(T &out, const char *what) {
    if (remaining() < sizeof(T))
      return fail(std::string("file truncated while reading ") + what);
    std::memcpy(&out, data + pos, sizeof(T));
    pos += sizeof(T);
    return true;
  }

  bool readString(std::string &out, const char *what) {
    uint64_t length = 0;
    if (!read(length, what))
      return false;
    if (length > remaining())
      return fail(std::string(what) + " of " + std::to_string(length) +
                  " bytes runs past the end of the file");
    out.assign(reinterpret_cast<const char *>(data + pos), length);
    pos += length;
    if (!validUtf8(out))
      return fail(std::string(what) + " is not valid UTF-8");
    return true;
  }

  /// Well-formed UTF-8: no stray continuation bytes, truncated sequences,
  /// overlong forms, surrogates, or code points past U+10FFFF.
  static bool validUtf8(const std::string &s) {
    const auto *p = reinterpret_cast<const unsigned char *>(s.data());
    size_t n = s.size();
    for (size_t i = 0; i < n;) {
      unsigned char c = p[i];
      if (c < 0x80) {
        ++i;
        continue;
      }
      size_t extra;
      uint32_t cp;
      if ((c & 0xe0) == 0xc0) {
        extra = 1;
        cp = c & 0x1f;
      } else if ((c & 0xf0) == 0xe0) {
        extra = 2;
        cp = c & 0x0f;
      } else if ((c & 0xf8) == 0xf0) {
        extra = 3;
        cp = c & 0x07;
      } else {
        return false;
      }
      if (n - i <= extra)
        return false;
      for (size_t k = 1; k <= extra; ++k) {
        if ((p[i + k] & 0xc0) != 0x80)
          return false;
        cp = (cp << 6) | (p[i + k] & 0x3f);
      }
      static const uint32_t minimum[] = {0, 0x80, 0x800, 0x10000};
      if (cp < minimum[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return false;
      i += extra + 1;
    }
    return true;
  }

  std::string error;

private:
  const uint8_t *data;
  size_t size;
  size_t pos = 0;
};

/// Bytes of one scalar value of a type, 0 for strings/arrays, -1 unknown.
int scalarSize(ValueType type) {
  switch (type) {
  case ValueType::U8:
  case ValueType::I8:
  case ValueType::Bool:
    return 1;
  case ValueType::U16:
  case ValueType::I16:
    return 2;
  case ValueType::U32:
  case ValueType::I32:
  case ValueType::F32:
    return 4;
  case ValueType::U64:
  case ValueType::I64:
  case ValueType::F64:
    return 8;
  case ValueType::String:
  case ValueType::Array:
    return 0;
  }
  return -1;
}

bool readScalar(Reader &r, ValueType type, Value &v) {
  v.type = type;
  switch (type) {
  case ValueType::U8: { uint8_t x = 0; if (!r.read(x, "a u8")) return false; v.u = x; v.i = x; return true; }
  case ValueType::I8: { int8_t x = 0; if (!r.read(x, "an i8")) return false; v.i = x; v.u = uint64_t(x); return true; }
  case ValueType::U16: { uint16_t x = 0; if (!r.read(x, "a u16")) return false; v.u = x; v.i = x; return true; }
  case ValueType::I16: { int16_t x = 0; if (!r.read(x, "an i16")) return false; v.i = x; v.u = uint64_t(x); return true; }
  case ValueType::U32: { uint32_t x = 0; if (!r.read(x, "a u32")) return false; v.u = x; v.i = x; return true; }
  case ValueType::I32: { int32_t x = 0; if (!r.read(x, "an i32")) return false; v.i = x; v.u = uint64_t(x); return true; }
  case ValueType::U64: { uint64_t x = 0; if (!r.read(x, "a u64")) return false; v.u = x; v.i = int64_t(x); return true; }
  case ValueType::I64: { int64_t x = 0; if (!r.read(x, "an i64")) return false; v.i = x; v.u = uint64_t(x); return true; }
  case ValueType::F32: { float x = 0; if (!r.read(x, "an f32")) return false; v.f = x; return true; }
  case ValueType::F64: { double x = 0; if (!r.read(x, "an f64")) return false; v.f = x; return true; }
  case ValueType::Bool: {
    uint8_t x = 0;
    if (!r.read(x, "a bool"))
      return false;
    if (x > 1)
      return r.fail("a bool holds " + std::to_string(x));
    v.u = x;
    v.i = x;
    return true;
  }
  case ValueType::String:
    return r.readString(v.str, "a string value");
  case ValueType::Array:
    break;
  }
  return r.fail("unknown value type " + std::to_string(uint32_t(type)));
}

bool readValue(Reader &r, ValueType type, Value &v, int depth) {
  if (type != ValueType::Array)
    return readScalar(r, type, v);
  if (depth >= kMaxArrayNesting)
    return r.fail("nested arrays are not supported");
  v.type = ValueType::Array;
  uint32_t elementType = 0;
  uint64_t count = 0;
  if (!r.read(elementType, "an array's type") || !r.read(count, "an array's length"))
    return false;
  v.elementType = ValueType(elementType);
  int size = scalarSize(v.elementType);
  if (size < 0)
    return r.fail("array of unknown value type " + std::to_string(elementType));
  if (v.elementType == ValueType::Array)
    return r.fail("nested arrays are not supported");
  // Every element takes at least one byte (a string at least eight): a count
  // the rest of the file cannot hold is refused before any allocation.
  uint64_t minBytes = v.elementType == ValueType::String ? 8 : uint64_t(size);
  if (count > kMaxCount || count * minBytes > r.remaining())
    return r.fail("array of " + std::to_string(count) +
                  " elements does not fit in the file");
  if (v.elementType == ValueType::String) {
    v.strings.resize(count);
    for (uint64_t k = 0; k < count; ++k)
      if (!r.readString(v.strings[k], "an array string"))
        return false;
    return true;
  }
  v.numbers.resize(count);
  for (uint64_t k = 0; k < count; ++k) {
    Value e;
    if (!readScalar(r, v.elementType, e))
      return false;
    v.numbers[k] = e.number();
  }
  return true;
}

/// Bytes of a tensor of `elements` values of a ggml type, or 0 if the type
/// cannot be read here (with the reason in error).
uint64_t tensorBytes(uint32_t type, uint64_t elements, uint64_t rowLength,
                     std::string &error) {
  switch (TensorType(type)) {
  case TensorType::F32:
    return elements * 4;
  case TensorType::F16:
  case TensorType::BF16:
    return elements * 2;
  default:
    break;
  }
  int64_t values, bytes;
  if (!math::ggmlBlockGeometry(type, values, bytes)) {
    error = std::string("tensor type ") + tensorTypeName(type) +
            " is not supported (F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, "
            "Q2_K, Q3_K, Q4_K, Q5_K, Q6_K and IQ4_NL are)";
    return 0;
  }
  if (rowLength % uint64_t(values) != 0) {
    error = std::string(tensorTypeName(type)) + " tensor rows of " +
            std::to_string(rowLength) + " values are not whole blocks of " +
            std::to_string(values);
    return 0;
  }
  return elements / uint64_t(values) * uint64_t(bytes);
}

} // namespace

//===----------------------------------------------------------------------===//
// Names and values
//===----------------------------------------------------------------------===//

const char *valueTypeName(ValueType type) {
  static const char *names[] = {"u8",  "i8",   "u16",    "i16",   "u32",
                                "i32", "f32",  "bool",   "string", "array",
                                "u64", "i64",  "f64"};
  uint32_t t = uint32_t(type);
  return t < 13 ? names[t] : "unknown";
}

const char *tensorTypeName(uint32_t type) {
  static const char *names[] = {
      "F32",  "F16",  "Q4_0", "Q4_1", "Q4_2", "Q4_3", "Q5_0", "Q5_1",
      "Q8_0", "Q8_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K",
      "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ4_NL", "IQ3_S", "IQ2_S",
      "IQ4_XS", "I8", "I16", "I32", "I64", "F64", "IQ1_M", "BF16"};
  return type < sizeof(names) / sizeof(names[0]) ? names[type] : "unknown";
}

bool Value::isInteger() const {
  switch (type) {
  case ValueType::U8: case ValueType::I8: case ValueType::U16:
  case ValueType::I16: case ValueType::U32: case ValueType::I32:
  case ValueType::U64: case ValueType::I64: case ValueType::Bool:
    return true;
  default:
    return false;
  }
}

bool Value::isNumber() const {
  return isInteger() || type == ValueType::F32 || type == ValueType::F64;
}

double Value::number() const {
  if (type == ValueType::F32 || type == ValueType::F64)
    return f;
  if (type == ValueType::U64)
    return double(u);
  return double(i);
}

std::vector<int64_t> TensorInfo::shape() const {
  return std::vector<int64_t>(dims.rbegin(), dims.rend());
}

uint64_t TensorInfo::numElements() const {
  uint64_t n = 1;
  for (uint64_t d : dims)
    n *= d;
  return n;
}

//===----------------------------------------------------------------------===//
// Parsing
//===----------------------------------------------------------------------===//

std::unique_ptr<File> File::parse(const uint8_t *data, size_t size,
                                  std::string &error) {
  std::unique_ptr<File> file(new File());
  file->data_ = data;
  file->size_ = size;
  if (!file->parseAll(error))
    return nullptr;
  return file;
}

std::unique_ptr<File> File::open(const std::string &path, std::string &error) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) {
    error = "cannot open " + path + ": " + std::strerror(errno);
    return nullptr;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    error = path + " is not a regular file";
    return nullptr;
  }
  size_t size = size_t(st.st_size);
  void *mapping = nullptr;
  if (size > 0) {
    mapping = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (mapping == MAP_FAILED) {
      ::close(fd);
      error = "cannot map " + path + ": " + std::strerror(errno);
      return nullptr;
    }
  }
  ::close(fd);
  std::unique_ptr<File> file(new File());
  file->data_ = static_cast<const uint8_t *>(mapping);
  file->size_ = size;
  file->mapping_ = mapping;
  file->mappingSize_ = size;
  if (!file->parseAll(error)) {
    error = path + ": " + error;
    return nullptr;
  }
  return file;
}

File::~File() {
  if (mapping_)
    munmap(mapping_, mappingSize_);
}

bool File::parseAll(std::string &error) {
  Reader r(data_, size_);
  uint32_t magic = 0;
  if (!r.read(magic, "the magic number") || magic != kMagic) {
    error = r.error.empty() ? "not a GGUF file (bad magic number)" : r.error;
    return false;
  }
  uint64_t tensorCount = 0, kvCount = 0;
  if (!r.read(version_, "the version")) {
    error = r.error;
    return false;
  }
  if (version_ != 2 && version_ != 3) {
    error = "GGUF version " + std::to_string(version_) +
            " is not supported (2 and 3 are)";
    return false;
  }
  if (!r.read(tensorCount, "the tensor count") ||
      !r.read(kvCount, "the metadata count")) {
    error = r.error;
    return false;
  }
  if (tensorCount > kMaxCount || kvCount > kMaxCount) {
    error = "absurd counts in the header: " + std::to_string(tensorCount) +
            " tensors, " + std::to_string(kvCount) + " metadata entries";
    return false;
  }

  for (uint64_t k = 0; k < kvCount; ++k) {
    std::string key;
    uint32_t type = 0;
    Value value;
    if (!r.readString(key, "a metadata key") ||
        !r.read(type, "a metadata type") ||
        !readValue(r, ValueType(type), value, 0)) {
      error = r.error;
      return false;
    }
    if (metadata_.count(key)) {
      error = "metadata key '" + key + "' appears twice";
      return false;
    }
    metadata_.emplace(std::move(key), std::move(value));
  }

  if (const Value *align = find("general.alignment")) {
    if (!align->isInteger() || align->u == 0 || (align->u & (align->u - 1)) ||
        align->u > 65536) {
      error = "general.alignment must be a power of two up to 65536";
      return false;
    }
    alignment_ = align->u;
  }

  tensors_.reserve(tensorCount);
  for (uint64_t t = 0; t < tensorCount; ++t) {
    TensorInfo info;
    uint32_t nDims = 0;
    if (!r.readString(info.name, "a tensor name") ||
        !r.read(nDims, "a tensor's rank")) {
      error = r.error;
      return false;
    }
    if (nDims == 0 || nDims > kMaxDims) {
      error = "tensor '" + info.name + "' has rank " + std::to_string(nDims) +
              " (1 to 4 supported)";
      return false;
    }
    info.dims.resize(nDims);
    uint64_t elements = 1;
    for (uint32_t d = 0; d < nDims; ++d) {
      if (!r.read(info.dims[d], "a tensor dimension")) {
        error = r.error;
        return false;
      }
      if (info.dims[d] == 0 || info.dims[d] > (uint64_t(1) << 40) ||
          elements > (uint64_t(1) << 42) / info.dims[d]) {
        error = "tensor '" + info.name + "' has an absurd dimension " +
                std::to_string(info.dims[d]);
        return false;
      }
      elements *= info.dims[d];
    }
    if (!r.read(info.type, "a tensor type") ||
        !r.read(info.offset, "a tensor offset")) {
      error = r.error;
      return false;
    }
    std::string why;
    info.bytes = tensorBytes(info.type, elements, info.dims[0], why);
    if (info.bytes == 0) {
      error = "tensor '" + info.name + "': " + why;
      return false;
    }
    if (tensorIndex_.count(info.name)) {
      error = "tensor '" + info.name + "' appears twice";
      return false;
    }
    tensorIndex_[info.name] = tensors_.size();
    tensors_.push_back(std::move(info));
  }

  uint64_t dataStart = (r.position() + alignment_ - 1) / alignment_ * alignment_;
  for (TensorInfo &info : tensors_) {
    if (info.offset % alignment_ != 0) {
      error = "tensor '" + info.name + "' is not aligned to " +
              std::to_string(alignment_) + " bytes";
      return false;
    }
    if (dataStart > size_ || info.offset > size_ - dataStart ||
        info.bytes > size_ - dataStart - info.offset) {
      error = "tensor '" + info.name + "' (" + std::to_string(info.bytes) +
              " bytes at offset " + std::to_string(info.offset) +
              ") lies outside the file";
      return false;
    }
    info.data = data_ + dataStart + info.offset;
  }
  return true;
}

const Value *File::find(const std::string &key) const {
  auto it = metadata_.find(key);
  return it == metadata_.end() ? nullptr : &it->second;
}

const TensorInfo *File::tensor(const std::string &name) const {
  auto it = tensorIndex_.find(name);
  return it == tensorIndex_.end() ? nullptr : &tensors_[it->second];
}

//===----------------------------------------------------------------------===//
// llama
//===----------------------------------------------------------------------===//

namespace {

bool getInt(const File &f, const std::string &key, int64_t &out,
            std::string &error, bool required = true) {
  const Value *v = f.find(key);
  if (!v) {
    if (required)
      error = "missing metadata key " + key;
    return !required;
  }
  if (!v->isInteger()) {
    error = key + " must be an integer, not " + valueTypeName(v->type);
    return false;
  }
  if (v->i <= 0 || v->i > (int64_t(1) << 32)) {
    error = key + " = " + std::to_string(v->i) + " is out of range";
    return false;
  }
  out = v->i;
  return true;
}

bool getFloat(const File &f, const std::string &key, float &out,
              std::string &error) {
  const Value *v = f.find(key);
  if (!v)
    return true; // defaults apply
  if (!v->isNumber() || !(v->number() > 0) || v->number() > 1e30) {
    error = key + " must be a positive number";
    return false;
  }
  out = float(v->number());
  return true;
}

bool expectTensor(const File &f, const std::string &name,
                  std::vector<int64_t> shape, std::string &error) {
  const TensorInfo *t = f.tensor(name);
  if (!t) {
    error = "missing tensor " + name;
    return false;
  }
  if (t->shape() != shape) {
    auto show = [](const std::vector<int64_t> &s) {
      std::string text = "[";
      for (size_t i = 0; i < s.size(); ++i)
        text += (i ? ", " : "") + std::to_string(s[i]);
      return text + "]";
    };
    error = "tensor " + name + " has shape " + show(t->shape()) +
            ", expected " + show(shape);
    return false;
  }
  return true;
}

} // namespace

bool readLlamaConfig(const File &f, LlamaConfig &c, std::string &error) {
  const Value *arch = f.find("general.architecture");
  if (!arch || arch->type != ValueType::String) {
    error = "missing metadata key general.architecture";
    return false;
  }
  if (arch->str == "llama")
    c.arch = LlamaConfig::Arch::Llama;
  else if (arch->str == "qwen2")
    c.arch = LlamaConfig::Arch::Qwen2;
  else if (arch->str == "qwen3")
    c.arch = LlamaConfig::Arch::Qwen3;
  else {
    error = "architecture '" + arch->str +
            "' is not supported (llama, qwen2 and qwen3 are)";
    return false;
  }
  const std::string a = arch->str + ".";
  // Qwen's GGUFs are not permuted for interleaved pairs: they rotate halves.
  c.neox = c.arch != LlamaConfig::Arch::Llama;
  // Variants this project does not compute: refused by name rather than
  // compiled into a model that is silently wrong. Llama 3's frequency rule
  // arrives as rope_freqs.weight (factors), or as scaling type "llama3".
  if (const Value *scaling = f.find(a + "rope.scaling.type"))
    if (scaling->str != "none" &&
        !(scaling->str == "llama3" && f.tensor("rope_freqs.weight"))) {
      error = "RoPE scaling '" + scaling->str + "' is not supported" +
              (scaling->str == "llama3" ? " without rope_freqs.weight (the "
                                          "factors llama.cpp's converter writes)"
                                        : "");
      return false;
    }
  if (const Value *experts = f.find(a + "expert_count"))
    if (experts->isInteger() && experts->i > 0) {
      error = "mixture of experts (" + a + "expert_count = " +
              std::to_string(experts->i) + ") is not supported";
      return false;
    }
  if (const Value *window = f.find(a + "attention.sliding_window"))
    if (window->isInteger() && window->i > 0) {
      error = "sliding-window attention (" + a + "attention.sliding_window = " +
              std::to_string(window->i) + ") is not supported";
      return false;
    }
  if (c.arch != LlamaConfig::Arch::Qwen2)
    for (const char *name : {"blk.0.attn_q.bias", "blk.0.attn_k.bias", "blk.0.attn_v.bias"})
      if (f.tensor(name)) {
        error = std::string("tensor ") + name + " (attention biases) is not "
                "supported for " + arch->str + " (qwen2's are)";
        return false;
      }
  if (!getInt(f, a + "block_count", c.blocks, error) ||
      !getInt(f, a + "embedding_length", c.dim, error) ||
      !getInt(f, a + "feed_forward_length", c.ffn, error) ||
      !getInt(f, a + "attention.head_count", c.heads, error) ||
      !getInt(f, a + "context_length", c.context, error))
    return false;
  c.kvHeads = c.heads;
  if (!getInt(f, a + "attention.head_count_kv", c.kvHeads, error, false))
    return false;
  if (c.heads <= 0 || c.kvHeads <= 0 || c.heads % c.kvHeads != 0) {
    error = "head count " + std::to_string(c.heads) +
            " is not a multiple of the KV head count " + std::to_string(c.kvHeads);
    return false;
  }
  // The head size: attention.key_length (Qwen3's heads are not dim / heads).
  c.headDim = c.dim / c.heads;
  bool keyLength = f.find(a + "attention.key_length") != nullptr;
  if (!getInt(f, a + "attention.key_length", c.headDim, error, false))
    return false;
  if (!keyLength && c.dim % c.heads != 0) {
    error = "embedding length " + std::to_string(c.dim) +
            " is not a multiple of the head count " + std::to_string(c.heads);
    return false;
  }
  if (const Value *valueLength = f.find(a + "attention.value_length"))
    if (!valueLength->isInteger() || valueLength->i != c.headDim) {
      error = a + "attention.value_length must equal the key length";
      return false;
    }
  if (c.headDim <= 0 || c.headDim > 1024) {
    error = "head size " + std::to_string(c.headDim) + " is not supported";
    return false;
  }
  c.qDim = c.heads * c.headDim;
  c.ropeDim = c.headDim;
  if (!getInt(f, a + "rope.dimension_count", c.ropeDim, error, false))
    return false;
  if (c.ropeDim > c.headDim || c.ropeDim % 2 != 0 || c.ropeDim <= 0) {
    error = "rope dimension " + std::to_string(c.ropeDim) +
            " must be even and at most the head size " + std::to_string(c.headDim);
    return false;
  }
  if (!getFloat(f, a + "rope.freq_base", c.ropeBase, error) ||
      !getFloat(f, a + "attention.layer_norm_rms_epsilon", c.rmsEps, error))
    return false;
  if (c.blocks > 4096 || c.context > (int64_t(1) << 24)) {
    error = "absurd block count or context length";
    return false;
  }

  const TensorInfo *embd = f.tensor("token_embd.weight");
  if (!embd || embd->dims.size() != 2) {
    error = embd ? "token_embd.weight must be a matrix" : "missing tensor token_embd.weight";
    return false;
  }
  c.vocab = embd->shape()[0];
  if (const Value *tokens = f.find("tokenizer.ggml.tokens"))
    if (int64_t(tokens->strings.size()) != c.vocab) {
      error = "the vocabulary has " + std::to_string(tokens->strings.size()) +
              " tokens but token_embd.weight has " + std::to_string(c.vocab) + " rows";
      return false;
    }
  int64_t kvDim = c.kvHeads * c.headDim;
  if (!expectTensor(f, "token_embd.weight", {c.vocab, c.dim}, error) ||
      !expectTensor(f, "output_norm.weight", {c.dim}, error))
    return false;
  // Llama 3.1's RoPE frequency factors: one divisor per rotated pair.
  if (f.tensor("rope_freqs.weight")) {
    if (!expectTensor(f, "rope_freqs.weight", {c.ropeDim / 2}, error) ||
        !readAsFloat(*f.tensor("rope_freqs.weight"), c.ropeFactors, error))
      return false;
    for (float factor : c.ropeFactors)
      if (!(factor > 0.0f) || !std::isfinite(factor)) {
        error = "rope_freqs.weight holds a factor that is not positive";
        return false;
      }
  }
  c.tiedOutput = f.tensor("output.weight") == nullptr;
  if (!c.tiedOutput && !expectTensor(f, "output.weight", {c.vocab, c.dim}, error))
    return false;
  c.qkvBias = c.arch == LlamaConfig::Arch::Qwen2;
  c.qkNorm = c.arch == LlamaConfig::Arch::Qwen3;
  for (int64_t b = 0; b < c.blocks; ++b) {
    std::string p = "blk." + std::to_string(b) + ".";
    if (!expectTensor(f, p + "attn_norm.weight", {c.dim}, error) ||
        !expectTensor(f, p + "attn_q.weight", {c.qDim, c.dim}, error) ||
        !expectTensor(f, p + "attn_k.weight", {kvDim, c.dim}, error) ||
        !expectTensor(f, p + "attn_v.weight", {kvDim, c.dim}, error) ||
        !expectTensor(f, p + "attn_output.weight", {c.dim, c.qDim}, error) ||
        !expectTensor(f, p + "ffn_norm.weight", {c.dim}, error) ||
        !expectTensor(f, p + "ffn_gate.weight", {c.ffn, c.dim}, error) ||
        !expectTensor(f, p + "ffn_up.weight", {c.ffn, c.dim}, error) ||
        !expectTensor(f, p + "ffn_down.weight", {c.dim, c.ffn}, error))
      return false;
    if (c.qkvBias && (!expectTensor(f, p + "attn_q.bias", {c.qDim}, error) ||
                      !expectTensor(f, p + "attn_k.bias", {kvDim}, error) ||
                      !expectTensor(f, p + "attn_v.bias", {kvDim}, error)))
      return false;
    if (c.qkNorm && (!expectTensor(f, p + "attn_q_norm.weight", {c.headDim}, error) ||
                     !expectTensor(f, p + "attn_k_norm.weight", {c.headDim}, error)))
      return false;
  }
  return true;
}

namespace {

/// The character byte-level BPE writes for byte `b` (GPT-2's
/// bytes_to_unicode: printable Latin-1 stands for itself, the other bytes
/// for U+0100 onwards, in order), as UTF-8. The runtime's tokenizer maps
/// bytes the same way; here it checks that a vocabulary has all 256.
std::string byteCharacter(unsigned b) {
  auto printable = [](unsigned c) {
    return (c >= '!' && c <= '~') || (c >= 0xA1 && c <= 0xAC) || (c >= 0xAE && c <= 0xFF);
  };
  unsigned cp = b;
  if (!printable(b)) {
    cp = 256;
    for (unsigned c = 0; c < b; ++c)
      cp += !printable(c);
  }
  std::string out;
  if (cp < 0x80) {
    out += char(cp);
  } else {
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  }
  return out;
}

/// tokenizer.ggml.pre names llama.cpp's converter writes, by the split
/// they stand for.
bool preTokenizer(const std::string &name, Vocabulary::PreTokenizer &pre) {
  using P = Vocabulary::PreTokenizer;
  static const std::pair<const char *, P> names[] = {
      {"default", P::Gpt2},     {"gpt2", P::Gpt2},   {"gpt-2", P::Gpt2},
      {"llama-bpe", P::Llama3}, {"llama3", P::Llama3},
      {"qwen2", P::Qwen2},      {"qwen2.5", P::Qwen2}, {"qwen-2.5", P::Qwen2},
      {"deepseek-r1-qwen", P::Qwen2},
      {"smollm", P::SmolLM},
  };
  for (const auto &[n, p] : names)
    if (name == n) {
      pre = p;
      return true;
    }
  return false;
}

/// The byte-level BPE parts: the pre-tokenizer, every byte's character,
/// merges of tokens into tokens.
bool readBytePairs(const File &f, Vocabulary &v, std::string &error) {
  v.preName = "default";
  if (const Value *pre = f.find("tokenizer.ggml.pre")) {
    if (pre->type != ValueType::String) {
      error = "tokenizer.ggml.pre is not a string";
      return false;
    }
    v.preName = pre->str;
  }
  if (!preTokenizer(v.preName, v.pre)) {
    error = "pre-tokenizer '" + v.preName +
            "' is not supported (default, gpt2, llama-bpe, qwen2, smollm are)";
    return false;
  }
  std::unordered_map<std::string, int32_t> ids;
  ids.reserve(v.tokens.size());
  for (size_t i = 0; i < v.tokens.size(); ++i)
    ids.emplace(v.tokens[i], int32_t(i));
  for (unsigned b = 0; b < 256; ++b)
    if (!ids.count(byteCharacter(b))) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02X", b);
      error = std::string("the byte-level vocabulary has no token for byte ") +
              hex + " ('" + byteCharacter(b) + "')";
      return false;
    }
  const Value *merges = f.find("tokenizer.ggml.merges");
  if (!merges || merges->type != ValueType::Array ||
      merges->elementType != ValueType::String) {
    error = "a byte-level BPE vocabulary needs tokenizer.ggml.merges (an "
            "array of strings)";
    return false;
  }
  v.merges = merges->strings;
  for (size_t i = 0; i < v.merges.size(); ++i) {
    const std::string &m = v.merges[i];
    size_t space = m.find(' ', 1);
    if (space == std::string::npos || !ids.count(m.substr(0, space)) ||
        !ids.count(m.substr(space + 1)) ||
        !ids.count(m.substr(0, space) + m.substr(space + 1))) {
      error = "tokenizer.ggml.merges[" + std::to_string(i) + "] ('" + m +
              "') is not two tokens that merge into a token";
      return false;
    }
  }
  return true;
}

} // namespace

bool readVocabulary(const File &f, Vocabulary &v, std::string &error) {
  v = Vocabulary();
  if (const Value *model = f.find("tokenizer.ggml.model")) {
    if (model->type == ValueType::String && model->str == "gpt2") {
      v.model = Vocabulary::Model::BytePairs;
    } else if (model->type != ValueType::String || model->str != "llama") {
      error = "tokenizer '" + model->str +
              "' is not supported (SentencePiece 'llama' and byte-level BPE "
              "'gpt2' are)";
      return false;
    }
  }
  bool bpe = v.model == Vocabulary::Model::BytePairs;
  const Value *tokens = f.find("tokenizer.ggml.tokens");
  if (!tokens || tokens->type != ValueType::Array ||
      tokens->elementType != ValueType::String) {
    error = "missing tokenizer.ggml.tokens (an array of strings)";
    return false;
  }
  v.tokens = tokens->strings;
  size_t n = v.tokens.size();
  v.scores.assign(n, 0.0f);
  v.types.assign(n, 1);
  if (const Value *scores = f.find("tokenizer.ggml.scores")) {
    if (scores->numbers.size() != n) {
      error = "tokenizer.ggml.scores has " + std::to_string(scores->numbers.size()) +
              " entries for " + std::to_string(n) + " tokens";
      return false;
    }
    for (size_t i = 0; i < n; ++i)
      v.scores[i] = float(scores->numbers[i]);
  }
  if (const Value *types = f.find("tokenizer.ggml.token_type")) {
    if (types->numbers.size() != n) {
      error = "tokenizer.ggml.token_type has the wrong length";
      return false;
    }
    for (size_t i = 0; i < n; ++i) {
      // A type is a small integer (1 normal ... 6 byte); anything else, a
      // float or a value past int32, is refused before it is converted.
      double t = types->numbers[i];
      if (!(t >= -2147483648.0 && t <= 2147483647.0) || t != std::floor(t)) {
        error = "tokenizer.ggml.token_type[" + std::to_string(i) +
                "] is not a token type";
        return false;
      }
      v.types[i] = int32_t(t);
    }
  }
  // SentencePiece's ids default to llama's; a BPE vocabulary names its own.
  if (bpe)
    v.bos = v.eos = v.unk = -1;
  auto id = [&](const char *key, int32_t &out) {
    const Value *x = f.find(key);
    if (!x)
      return true;
    if (!x->isInteger() || x->i < 0 || uint64_t(x->i) >= n) {
      error = std::string(key) + " is not a token id";
      return false;
    }
    out = int32_t(x->i);
    return true;
  };
  if (!id("tokenizer.ggml.bos_token_id", v.bos) ||
      !id("tokenizer.ggml.eos_token_id", v.eos) ||
      !id("tokenizer.ggml.unknown_token_id", v.unk) ||
      !id("tokenizer.ggml.eot_token_id", v.eot))
    return false;
  if (const Value *chat = f.find("tokenizer.chat_template"))
    if (chat->type == ValueType::String)
      v.chatTemplate = chat->str;
  if (bpe && !readBytePairs(f, v, error))
    return false;
  // Without the key, llama.cpp adds BOS for SentencePiece and Llama 3.
  const Value *add = f.find("tokenizer.ggml.add_bos_token");
  if (add)
    v.addBos = add->u != 0;
  else if (bpe)
    v.addBos = v.pre == Vocabulary::PreTokenizer::Llama3;
  if (v.addBos && v.bos < 0) {
    error = "the vocabulary adds BOS but has no tokenizer.ggml.bos_token_id";
    return false;
  }
  return true;
}

bool readAsFloat(const TensorInfo &t, std::vector<float> &out,
                 std::string &error) {
  uint64_t n = t.numElements();
  out.resize(n);
  switch (TensorType(t.type)) {
  case TensorType::F32:
    std::memcpy(out.data(), t.data, n * 4);
    return true;
  case TensorType::F16:
  case TensorType::BF16:
    for (uint64_t i = 0; i < n; ++i) {
      uint16_t h;
      std::memcpy(&h, t.data + 2 * i, 2);
      out[i] = TensorType(t.type) == TensorType::F16 ? math::fp16ToFloat(h)
                                                     : math::bf16ToFloat(h);
    }
    return true;
  default:
    if (!math::ggmlDequantize(t.type, t.data, out.data(), int64_t(n))) {
      error = "tensor " + t.name + " has unsupported type " + tensorTypeName(t.type);
      return false;
    }
    return true;
  }
}

} // namespace qnt::gguf

//===- GGUFTest.cpp - The GGUF reader on files built in memory ------------===//

#include "qnt/GGUF/GGUF.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace qnt::gguf;

namespace {

/// Builds a GGUF file byte by byte.
struct Builder {
  std::vector<uint8_t> bytes;
  template <typename T> void put(T v) {
    uint8_t b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    bytes.insert(bytes.end(), b, b + sizeof(T));
  }
  void str(const std::string &s) {
    put<uint64_t>(s.size());
    bytes.insert(bytes.end(), s.begin(), s.end());
  }
  void key(const std::string &k, ValueType t) {
    str(k);
    put<uint32_t>(uint32_t(t));
  }
  /// The file header: magic, version, tensor and metadata counts.
  void header(uint32_t version, uint64_t tensors, uint64_t metadata) {
    put<uint32_t>(0x46554747);
    put<uint32_t>(version);
    put<uint64_t>(tensors);
    put<uint64_t>(metadata);
  }
  void align(size_t a) {
    while (bytes.size() % a)
      bytes.push_back(0);
  }
};

/// A version-`version` file with one metadata entry of every type and one
/// 2 x 3 F32 tensor.
std::vector<uint8_t> everyType(uint32_t version) {
  Builder b;
  b.header(version, /*tensors=*/1, /*metadata=*/14);
  b.key("u8", ValueType::U8), b.put<uint8_t>(200);
  b.key("i8", ValueType::I8), b.put<int8_t>(-100);
  b.key("u16", ValueType::U16), b.put<uint16_t>(60000);
  b.key("i16", ValueType::I16), b.put<int16_t>(-30000);
  b.key("u32", ValueType::U32), b.put<uint32_t>(4000000000u);
  b.key("i32", ValueType::I32), b.put<int32_t>(-2000000000);
  b.key("f32", ValueType::F32), b.put<float>(1.5f);
  b.key("bool", ValueType::Bool), b.put<uint8_t>(1);
  b.key("string", ValueType::String), b.str("h\xc3\xa9llo");
  b.key("u64", ValueType::U64), b.put<uint64_t>(uint64_t(1) << 63);
  b.key("i64", ValueType::I64), b.put<int64_t>(-(int64_t(1) << 62));
  b.key("f64", ValueType::F64), b.put<double>(-0.25);
  b.key("strings", ValueType::Array), b.put<uint32_t>(uint32_t(ValueType::String)),
      b.put<uint64_t>(2), b.str("a"), b.str("bc");
  b.key("numbers", ValueType::Array), b.put<uint32_t>(uint32_t(ValueType::I16)),
      b.put<uint64_t>(3), b.put<int16_t>(-1), b.put<int16_t>(2), b.put<int16_t>(3);
  b.str("t");
  b.put<uint32_t>(2);
  b.put<uint64_t>(3); // innermost: a row of 3
  b.put<uint64_t>(2);
  b.put<uint32_t>(uint32_t(TensorType::F32));
  b.put<uint64_t>(0);
  b.align(32);
  for (int i = 0; i < 6; ++i)
    b.put<float>(float(i));
  return b.bytes;
}

} // namespace

TEST(GGUF, ReadsEveryMetadataType) {
  for (uint32_t version : {2u, 3u}) {
    std::vector<uint8_t> bytes = everyType(version);
    std::string error;
    auto f = File::parse(bytes.data(), bytes.size(), error);
    ASSERT_TRUE(f) << error;
    EXPECT_EQ(version, f->version());
    EXPECT_EQ(200u, f->find("u8")->u);
    EXPECT_EQ(-100, f->find("i8")->i);
    EXPECT_EQ(60000u, f->find("u16")->u);
    EXPECT_EQ(-30000, f->find("i16")->i);
    EXPECT_EQ(4000000000u, f->find("u32")->u);
    EXPECT_EQ(-2000000000, f->find("i32")->i);
    EXPECT_EQ(1.5, f->find("f32")->f);
    EXPECT_EQ(1u, f->find("bool")->u);
    EXPECT_EQ("h\xc3\xa9llo", f->find("string")->str);
    EXPECT_EQ(uint64_t(1) << 63, f->find("u64")->u);
    EXPECT_EQ(-(int64_t(1) << 62), f->find("i64")->i);
    EXPECT_EQ(-0.25, f->find("f64")->f);
    EXPECT_EQ((std::vector<std::string>{"a", "bc"}), f->find("strings")->strings);
    EXPECT_EQ((std::vector<double>{-1, 2, 3}), f->find("numbers")->numbers);
    EXPECT_EQ(nullptr, f->find("absent"));
  }
}

TEST(GGUF, ShapesAreRowMajorAndDataAligned) {
  std::vector<uint8_t> bytes = everyType(3);
  std::string error;
  auto f = File::parse(bytes.data(), bytes.size(), error);
  ASSERT_TRUE(f) << error;
  const TensorInfo *t = f->tensor("t");
  ASSERT_NE(nullptr, t);
  EXPECT_EQ((std::vector<uint64_t>{3, 2}), t->dims);
  EXPECT_EQ((std::vector<int64_t>{2, 3}), t->shape()); // 2 rows of 3
  EXPECT_EQ(0u, size_t(t->data - bytes.data()) % 32);
  std::vector<float> values;
  ASSERT_TRUE(readAsFloat(*t, values, error));
  EXPECT_EQ((std::vector<float>{0, 1, 2, 3, 4, 5}), values);
}

TEST(GGUF, EveryTruncationIsAnError) {
  // Every prefix of a valid file fails cleanly (the data section last).
  std::vector<uint8_t> bytes = everyType(3);
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::string error;
    EXPECT_FALSE(File::parse(bytes.data(), n, error)) << n;
    EXPECT_FALSE(error.empty()) << n;
  }
}

TEST(GGUF, InvalidUtf8AndBadBoolsAreRefused) {
  for (const char *bad : {"\xff", "\xc0\x80", "\xed\xa0\x80", "\xe2\x82", "\xf4\x90\x80\x80"}) {
    Builder b;
    b.header(3, /*tensors=*/0, /*metadata=*/1);
    b.key("k", ValueType::String);
    b.str(bad);
    std::string error;
    EXPECT_FALSE(File::parse(b.bytes.data(), b.bytes.size(), error));
    EXPECT_NE(std::string::npos, error.find("not valid UTF-8")) << error;
  }
  Builder b;
  b.header(3, /*tensors=*/0, /*metadata=*/1);
  b.key("k", ValueType::Bool);
  b.put<uint8_t>(2);
  std::string error;
  EXPECT_FALSE(File::parse(b.bytes.data(), b.bytes.size(), error));
  EXPECT_NE(std::string::npos, error.find("a bool holds 2")) << error;
}

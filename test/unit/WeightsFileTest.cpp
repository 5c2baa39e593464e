//===- WeightsFileTest.cpp - The weights file's writer and index reader ---===//
//
// The compiler's writer (passes/Transforms/WeightsFile.h) against the layout
// qnt/weights.h describes, read back by the runtime's reader; and the reader
// against indexes built here by hand from that description, whole and with
// each field broken.
//
//===----------------------------------------------------------------------===//

#include "passes/Transforms/WeightsFile.h"
#include "qnt/weights.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

using namespace mlir;

namespace {

std::vector<char> readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}

/// The file's bytes in 8-byte aligned memory, as a mapping gives them.
struct Aligned {
  explicit Aligned(const std::vector<char> &bytes)
      : words(bytes.size() / 8 + 1), size(bytes.size()) {
    std::memcpy(words.data(), bytes.data(), bytes.size());
  }
  const void *data() const { return words.data(); }
  const char *bytes() const {
    return reinterpret_cast<const char *>(words.data());
  }
  std::vector<uint64_t> words;
  uint64_t size;
};

std::vector<char> bytesOf(size_t n, char first) {
  std::vector<char> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = char(first + i);
  return v;
}

std::string nameOf(const qnt_weights_index &index, const qnt_weights_entry &e) {
  return std::string(index.names + e.name_offset, e.name_length);
}

TEST(WeightsFile, WriterFollowsTheIndexLayout) {
  MLIRContext ctx;
  Location loc = UnknownLoc::get(&ctx);
  auto i8 = IntegerType::get(&ctx, 8);
  auto f32 = Float32Type::get(&ctx);
  std::string path = ::testing::TempDir() + "/writer.weights";
  {
    qnt::WeightsFileWriter writer;
    ASSERT_TRUE(succeeded(writer.create(path, loc)));
    auto a = writer.write("a", RankedTensorType::get({2, 3}, i8), bytesOf(6, 1),
                          loc);
    auto b = writer.write("b", RankedTensorType::get({4}, f32), bytesOf(16, 20),
                          loc);
    auto again =
        writer.write("a", RankedTensorType::get({}, f32), bytesOf(4, 50), loc);
    ASSERT_TRUE(succeeded(a) && succeeded(b) && succeeded(again));
    EXPECT_EQ(*a, "a");
    EXPECT_EQ(*again, "a.1"); // a taken name gets a suffix
    ASSERT_NE(writer.lookup("b"), nullptr);
    EXPECT_EQ(writer.lookup("b")->offset, 64u);
    EXPECT_EQ(writer.lookup("c"), nullptr);
    ASSERT_TRUE(succeeded(writer.close(loc)));
  }
  std::vector<char> file = readFile(path);
  // Tensors at 0, 64, 128; the index at 192: 3 entries, names "a" "b" "a.1",
  // then the footer.
  ASSERT_EQ(file.size(), 192 + 3 * sizeof(qnt_weights_entry) + 5 +
                             sizeof(qnt_weights_footer));
  EXPECT_EQ(std::string(file.end() - 8, file.end()), "QNTWIDX1");
  EXPECT_EQ(file[0], 1);
  EXPECT_EQ(file[5], 6);
  EXPECT_EQ(file[6], 0); // padding
  EXPECT_EQ(file[64], 20);
  EXPECT_EQ(file[128], 50);

  Aligned aligned(file);
  qnt_weights_index index;
  char error[256] = "";
  ASSERT_EQ(qnt_weights_index_read(aligned.data(), aligned.size, &index, error,
                                   sizeof error),
            0)
      << error;
  ASSERT_EQ(index.count, 3u);
  EXPECT_EQ(index.data_size, 192u);
  const qnt_weights_entry &a = index.entries[0];
  EXPECT_EQ(nameOf(index, a), "a");
  EXPECT_EQ(a.offset, 0u);
  EXPECT_EQ(a.size, 6u);
  EXPECT_EQ(a.dtype, QNT_DTYPE_I8);
  EXPECT_EQ(a.rank, 2);
  EXPECT_EQ(a.shape[0], 2);
  EXPECT_EQ(a.shape[1], 3);
  EXPECT_EQ(a.shape[2], 0);
  const qnt_weights_entry &b = index.entries[1];
  EXPECT_EQ(nameOf(index, b), "b");
  EXPECT_EQ(b.offset, 64u);
  EXPECT_EQ(b.size, 16u);
  EXPECT_EQ(b.dtype, QNT_DTYPE_F32);
  EXPECT_EQ(b.rank, 1);
  const qnt_weights_entry &scalar = index.entries[2];
  EXPECT_EQ(nameOf(index, scalar), "a.1");
  EXPECT_EQ(scalar.rank, 0);
  EXPECT_EQ(scalar.size, 4u);
  EXPECT_EQ(qnt_weights_find(&index, "b"), &index.entries[1]);
  EXPECT_EQ(qnt_weights_find(&index, "a.1"), &index.entries[2]);
  EXPECT_EQ(qnt_weights_find(&index, "a."), nullptr);
  EXPECT_EQ(qnt_weights_find(&index, "missing"), nullptr);

  // Added to: the tensors stay where they were, the index takes the new one.
  {
    qnt::WeightsFileWriter writer;
    ASSERT_TRUE(succeeded(writer.extend(path, loc)));
    ASSERT_NE(writer.lookup("a.1"), nullptr);
    auto c =
        writer.write("b", RankedTensorType::get({2}, Float16Type::get(&ctx)),
                     bytesOf(4, 90), loc);
    ASSERT_TRUE(succeeded(c));
    EXPECT_EQ(*c, "b.1");
    ASSERT_TRUE(succeeded(writer.close(loc)));
  }
  std::vector<char> extended = readFile(path);
  EXPECT_TRUE(std::equal(file.begin(), file.begin() + 192, extended.begin()));
  EXPECT_EQ(extended[192], 90);
  Aligned again(extended);
  ASSERT_EQ(qnt_weights_index_read(again.data(), again.size, &index, error,
                                   sizeof error),
            0)
      << error;
  ASSERT_EQ(index.count, 4u);
  EXPECT_EQ(nameOf(index, index.entries[0]), "a");
  EXPECT_EQ(nameOf(index, index.entries[2]), "a.1");
  EXPECT_EQ(nameOf(index, index.entries[3]), "b.1");
  EXPECT_EQ(index.entries[3].offset, 192u);
  EXPECT_EQ(index.entries[3].dtype, QNT_DTYPE_F16);
}

TEST(WeightsFile, WriterRefusesWhatTheIndexCannotDescribe) {
  MLIRContext ctx;
  Location loc = UnknownLoc::get(&ctx);
  std::string path = ::testing::TempDir() + "/refused.weights";
  std::vector<std::string> errors;
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &d) {
    errors.push_back(d.str());
    return success();
  });
  qnt::WeightsFileWriter writer;
  ASSERT_TRUE(succeeded(writer.create(path, loc)));
  EXPECT_TRUE(failed(writer.write(
      "bits", RankedTensorType::get({64}, IntegerType::get(&ctx, 1)),
      bytesOf(8, 0), loc)));
  EXPECT_TRUE(failed(
      writer.write("short", RankedTensorType::get({4}, Float32Type::get(&ctx)),
                   bytesOf(15, 0), loc)));
  ASSERT_TRUE(succeeded(writer.close(loc)));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_NE(errors[0].find("a weights file cannot hold 'tensor<64xi1>'"),
            std::string::npos)
      << errors[0];
  EXPECT_NE(errors[1].find("the bytes of 'tensor<4xf32>' are 16, got 15"),
            std::string::npos)
      << errors[1];
  // A file that is no weights file is not added to.
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      << "forty bytes of something that is no index";
  qnt::WeightsFileWriter other;
  EXPECT_TRUE(failed(other.extend(path, loc)));
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_NE(errors[2].find("has no index"), std::string::npos) << errors[2];
}

/// A weights file built by hand from qnt/weights.h: tensor "w" (f32 [2, 8],
/// 64 bytes at 0) and "s" (i8 [3], 3 bytes at 64), the index at 128.
struct HandMade {
  HandMade() {
    std::memset(entries, 0, sizeof entries);
    entries[0] = {0, 64, 0, 1, QNT_DTYPE_F32, 2, {2, 8}};
    entries[1] = {64, 3, 1, 1, QNT_DTYPE_I8, 1, {3}};
    footer.index_offset = 128;
    footer.count = 2;
    footer.names_size = 2;
    std::memcpy(footer.magic, QNT_WEIGHTS_MAGIC, 8);
  }
  std::vector<char> bytes() const {
    std::vector<char> file(128, 0);
    auto append = [&](const void *p, size_t n) {
      file.insert(file.end(), static_cast<const char *>(p),
                  static_cast<const char *>(p) + n);
    };
    append(entries, sizeof entries);
    append("ws", 2);
    append(&footer, sizeof footer);
    return file;
  }
  /// The reader's message, or "" if it accepts the file.
  std::string read() const {
    Aligned file(bytes());
    qnt_weights_index index;
    char error[256] = "";
    return qnt_weights_index_read(file.data(), file.size, &index, error,
                                  sizeof error) == 0
               ? ""
               : error;
  }
  qnt_weights_entry entries[2];
  qnt_weights_footer footer;
};

TEST(WeightsFile, ReaderAcceptsTheDescribedLayout) {
  HandMade file;
  EXPECT_EQ(file.read(), "");
  Aligned aligned(file.bytes());
  qnt_weights_index index;
  ASSERT_EQ(
      qnt_weights_index_read(aligned.data(), aligned.size, &index, nullptr, 0),
      0);
  EXPECT_EQ(qnt_weights_find(&index, "s")->offset, 64u);
  EXPECT_EQ(qnt_dtype_size(QNT_DTYPE_BF16), 2u);
  EXPECT_EQ(qnt_dtype_size(QNT_DTYPE_COUNT), 0u);
  EXPECT_STREQ(qnt_dtype_name(QNT_DTYPE_I64), "i64");
  EXPECT_STREQ(qnt_dtype_name(-1), "?");
}

TEST(WeightsFile, ReaderRefusesEachBrokenField) {
  struct Case {
    const char *what;
    std::function<void(HandMade &)> breakIt;
    const char *message;
  };
  const Case cases[] = {
      {"magic", [](HandMade &f) { f.footer.magic[7] = '2'; }, "has no index"},
      {"index offset misaligned",
       [](HandMade &f) { f.footer.index_offset = 120; }, "index is malformed"},
      {"index past the file",
       [](HandMade &f) { f.footer.index_offset = 1 << 20; },
       "index is malformed"},
      {"too many entries", [](HandMade &f) { f.footer.count = 3; },
       "index is malformed"},
      {"names' size", [](HandMade &f) { f.footer.names_size = 1; },
       "index is malformed"},
      {"empty name", [](HandMade &f) { f.entries[1].name_length = 0; },
       "entry 1 has no name"},
      {"name past the names", [](HandMade &f) { f.entries[1].name_offset = 2; },
       "entry 1 has no name"},
      {"unknown type",
       [](HandMade &f) { f.entries[0].dtype = QNT_DTYPE_COUNT; },
       "'w' has an unknown element type"},
      {"rank",
       [](HandMade &f) { f.entries[0].rank = QNT_WEIGHTS_MAX_RANK + 1; },
       "'w' has an unknown element type (0) or rank (7)"},
      {"negative dimension", [](HandMade &f) { f.entries[1].shape[0] = -3; },
       "'s' has a malformed shape"},
      {"dimension past the rank",
       [](HandMade &f) { f.entries[1].shape[1] = 1; },
       "'s' has a malformed shape"},
      {"bytes not the shape's", [](HandMade &f) { f.entries[1].size = 4; },
       "'s' is 4 bytes; its shape and type make 3"},
      {"misaligned", [](HandMade &f) { f.entries[1].offset = 65; },
       "'s' at offset 65 (3 bytes) is misaligned"},
      {"overlapping", [](HandMade &f) { f.entries[1].offset = 0; },
       "'s' at offset 0 (3 bytes) is misaligned, out of order"},
      {"past the tensors",
       [](HandMade &f) {
         f.entries[1].offset = 64;
         f.entries[1].size = 96;
         f.entries[1].shape[0] = 96;
       },
       "past the tensors' 128 bytes"},
  };
  for (const Case &c : cases) {
    HandMade file;
    c.breakIt(file);
    std::string message = file.read();
    EXPECT_NE(message.find(c.message), std::string::npos)
        << c.what << ": " << (message.empty() ? "accepted" : message);
  }
  // Too short for a footer.
  qnt_weights_index index;
  char error[128] = "";
  char tiny[8] = {};
  EXPECT_EQ(
      qnt_weights_index_read(tiny, sizeof tiny, &index, error, sizeof error),
      -1);
  EXPECT_NE(std::string(error).find("too short for an index"),
            std::string::npos);
}

} // namespace

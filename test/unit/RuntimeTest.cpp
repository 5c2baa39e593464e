//===- RuntimeTest.cpp - The C runtime: threads and buffers ---------------===//

#include "qnt/model.h"
#include "qnt/runtime.h"

#include <gtest/gtest.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Coverage {
  std::vector<std::atomic<int>> hits;
  explicit Coverage(size_t n) : hits(n) {}
};

void mark(void *ctx, int64_t begin, int64_t end) {
  auto *c = static_cast<Coverage *>(ctx);
  for (int64_t i = begin; i < end; ++i)
    c->hits[i].fetch_add(1);
}

struct Nested {
  Coverage *inner;
  std::atomic<int> calls{0};
};

void nestedBody(void *ctx, int64_t begin, int64_t end) {
  auto *n = static_cast<Nested *>(ctx);
  n->calls.fetch_add(1);
  for (int64_t i = begin; i < end; ++i)
    qnt_rt_parallel_for(mark, n->inner, i * 10, i * 10 + 10);
}

struct Chunks {
  std::mutex mutex;
  std::vector<std::pair<int64_t, int64_t>> ranges;
  std::vector<std::thread::id> threads;
  /// The chunk holding iteration `slowAt` (if any) blocks until the other
  /// chunks have run every other iteration of `total`, or 10 s pass
  /// (`gaveUp`).
  int64_t slowAt = -1;
  int64_t total = 0;
  std::atomic<int64_t> done{0};
  std::atomic<bool> gaveUp{false};
};

void record(void *ctx, int64_t begin, int64_t end) {
  auto *c = static_cast<Chunks *>(ctx);
  if (begin <= c->slowAt && c->slowAt < end) {
    auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (c->done < c->total - (end - begin)) {
      if (std::chrono::steady_clock::now() > limit) {
        c->gaveUp = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  {
    std::lock_guard<std::mutex> lock(c->mutex);
    c->ranges.emplace_back(begin, end);
    c->threads.push_back(std::this_thread::get_id());
  }
  c->done += end - begin;
}
} // namespace

TEST(Runtime, ParallelForGivesEachThreadAContiguousShare) {
  // Each thread claims from the front of its own share (a contiguous
  // 1/threads of the range), a quarter of what is left at a time, and a
  // thread done steals the back half of another's rest. Sorted, the chunks
  // tile the range; one begins at each share's start; none is longer than a
  // quarter of a share. A share of n iterations goes in about log_{4/3}(n)
  // + 7 claims, and with iterations this cheap the threads steal back and
  // forth, but far fewer chunks than iterations remain (113 and 157 here).
  for (int threads : {2, 3}) {
    qnt_rt_set_num_threads(threads);
    Chunks c;
    qnt_rt_parallel_for(record, &c, 10, 1010);
    std::vector<std::pair<int64_t, int64_t>> sorted = c.ranges;
    std::sort(sorted.begin(), sorted.end());
    ASSERT_FALSE(sorted.empty());
    int64_t next = 10;
    for (auto [b, e] : sorted) {
      ASSERT_EQ(next, b) << "threads " << threads;
      ASSERT_LT(b, e);
      EXPECT_LE(e - b, 1000 / threads / 4) << "threads " << threads;
      next = e;
    }
    EXPECT_EQ(1010, next);
    for (int i = 0; i < threads; ++i) {
      int64_t start = 10 + 1000 * i / threads;
      EXPECT_TRUE(std::any_of(sorted.begin(), sorted.end(),
                              [&](auto r) { return r.first == start; }))
          << "threads " << threads << " share " << i;
    }
    EXPECT_LE(sorted.size(), size_t(250)) << "threads " << threads;
  }
  qnt_rt_set_num_threads(2);
}

TEST(Runtime, ParallelForStealsFromASlowThread) {
  // The chunk holding iteration 0 blocks until every other iteration has
  // run. Its thread's share has more iterations than that chunk (the owner
  // claims a quarter of it first), so they all run only if other threads
  // steal them: without stealing, the block gives up after 10 s. The wait
  // is for the event, not a fixed time: on a loaded machine a thread may
  // first run after hundreds of milliseconds, and one that starts late may
  // find its share stolen (even the chunk holding iteration 0, which is
  // then the last one of its share and waits for nothing). Every iteration
  // runs once.
  for (int threads : {2, 3}) {
    qnt_rt_set_num_threads(threads);
    Chunks c;
    c.slowAt = 0;
    c.total = 96;
    qnt_rt_parallel_for(record, &c, 0, 96);
    std::vector<int> hits(96);
    for (auto [b, e] : c.ranges)
      for (int64_t j = b; j < e; ++j)
        ++hits[size_t(j)];
    for (int j = 0; j < 96; ++j)
      ASSERT_EQ(1, hits[size_t(j)]) << "threads " << threads << " i " << j;
    EXPECT_FALSE(c.gaveUp) << "threads " << threads
                           << ": the other iterations did not all run while "
                              "one chunk was blocked";
  }
  qnt_rt_set_num_threads(2);
}

TEST(Runtime, ParallelForRunsEveryIterationOnce) {
  for (int threads : {1, 2, 3, 8}) {
    qnt_rt_set_num_threads(threads);
    EXPECT_EQ(threads, qnt_rt_num_threads());
    for (int64_t n : {1, 2, 7, 64, 1000}) {
      Coverage c(n + 5);
      qnt_rt_parallel_for(mark, &c, 5, n + 5);
      for (int64_t i = 0; i < n + 5; ++i)
        ASSERT_EQ(i < 5 ? 0 : 1, c.hits[i].load())
            << "threads " << threads << " n " << n << " i " << i;
    }
  }
  qnt_rt_set_num_threads(2);
}

namespace {
/// Marks its iterations; iteration 0 first sleeps `slowMs`, so the caller
/// (or a worker) waits long enough to fall asleep.
struct Slow {
  Coverage *c;
  int slowMs;
};
void slowMark(void *ctx, int64_t begin, int64_t end) {
  auto *s = static_cast<Slow *>(ctx);
  if (begin == 0 && s->slowMs > 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(s->slowMs));
  mark(s->c, begin, end);
}
} // namespace

TEST(Runtime, ParallelForWakesSleepingThreads) {
  // Calls spaced wider than the spin (the workers fall asleep), loops with
  // one slow iteration (a worker holding it leaves the caller asleep), and
  // calls back to back (nobody sleeps), mixed: every iteration runs once and
  // no call hangs.
  for (int threads : {2, 3}) {
    qnt_rt_set_num_threads(threads);
    for (int round = 0; round < 12; ++round) {
      Coverage c(64);
      Slow slow{&c, round % 3 == 1 ? 20 : 0};
      qnt_rt_parallel_for(slowMark, &slow, 0, 64);
      for (int i = 0; i < 64; ++i)
        ASSERT_EQ(1, c.hits[i].load())
            << "threads " << threads << " round " << round << " i " << i;
      if (round % 3 == 2)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  qnt_rt_set_num_threads(2);
}

namespace {
/// Each iteration spins for the given microseconds.
void spin(void *ctx, int64_t begin, int64_t end) {
  auto us = *static_cast<const int *>(ctx);
  for (int64_t i = begin; i < end; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - t0 <
           std::chrono::microseconds(us)) {
    }
  }
}
} // namespace

TEST(Runtime, ThreadStatsCountLoopsAndTheirTime) {
  // 20 loops of 8 iterations of 500 us on 2 threads: each loop takes at
  // least 2 ms of the calling thread (half the iterations, unless the worker
  // took more), the workers run chunks for part of it, and no more than the
  // loops last; a one-iteration loop runs on the calling thread alone; off,
  // nothing is counted.
  qnt_rt_set_num_threads(2);
  int us = 500;
  qnt_rt_thread_stats_enable(1);
  for (int i = 0; i < 20; ++i)
    qnt_rt_parallel_for(spin, &us, 0, 8);
  qnt_rt_parallel_for(spin, &us, 0, 1);
  qnt_rt_thread_stats s;
  qnt_rt_thread_stats_get(&s);
  EXPECT_EQ(20, s.loops);
  EXPECT_EQ(1, s.serial_loops);
  EXPECT_EQ(1, s.workers);
  EXPECT_GE(s.loop_seconds, 20 * 4 * 500e-6 * 0.99);
  EXPECT_LT(s.loop_seconds, 5.0);
  EXPECT_GE(s.wait_seconds, 0.0);
  EXPECT_LE(s.wait_seconds, s.loop_seconds);
  EXPECT_GT(s.worker_seconds, 0.0);
  EXPECT_LE(s.worker_seconds, s.loop_seconds * 1.01);
  // Together the two threads spun all 160 iterations.
  EXPECT_GE(s.loop_seconds - s.wait_seconds + s.worker_seconds,
            160 * 500e-6 * 0.99);

  qnt_rt_thread_stats_enable(0);
  qnt_rt_parallel_for(spin, &us, 0, 8);
  qnt_rt_thread_stats_get(&s);
  EXPECT_EQ(0, s.loops);
  EXPECT_EQ(0, s.serial_loops);
  EXPECT_EQ(0.0, s.loop_seconds);
  EXPECT_EQ(0.0, s.worker_seconds);
}

TEST(Runtime, ParallelForRightAfterANewThreadCount) {
  // A new thread count starts new workers; each must wait for the next job,
  // not run the last one of the pool before (its function and context gone)
  // nor take part in the next one as if it were that one: every iteration of
  // the first loop after the change runs once, on its own context. The race
  // is narrow (a worker starting just as the first job is published: before
  // the fix, NestedCallsRunInTheCallingTask failed about 1 run in 300), so
  // this exercises it without catching it every time.
  for (int round = 0; round < 300; ++round) {
    qnt_rt_set_num_threads(2 + round % 3);
    Coverage c(48);
    qnt_rt_parallel_for(mark, &c, 0, 48);
    for (int i = 0; i < 48; ++i)
      ASSERT_EQ(1, c.hits[i].load()) << "round " << round << " i " << i;
  }
  qnt_rt_set_num_threads(2);
}

TEST(Runtime, EmptyRangeCallsNothing) {
  Coverage c(1);
  qnt_rt_parallel_for(mark, &c, 3, 3);
  qnt_rt_parallel_for(mark, &c, 4, 2);
  EXPECT_EQ(0, c.hits[0].load());
}

TEST(Runtime, NestedCallsRunInTheCallingTask) {
  qnt_rt_set_num_threads(4);
  Coverage inner(200);
  Nested nested{&inner};
  qnt_rt_parallel_for(nestedBody, &nested, 0, 20);
  for (int i = 0; i < 200; ++i)
    ASSERT_EQ(1, inner.hits[i].load()) << i;
  qnt_rt_set_num_threads(2);
}

TEST(Runtime, BuffersAreAligned) {
  for (size_t bytes : {size_t(0), size_t(1), size_t(63), size_t(4096)}) {
    void *p = qnt_rt_alloc(bytes);
    ASSERT_NE(nullptr, p);
    EXPECT_EQ(0u, reinterpret_cast<uintptr_t>(p) % QNT_RT_ALIGNMENT);
    qnt_rt_free(p);
    void *q = _mlir_memref_to_llvm_aligned_alloc(16, bytes);
    EXPECT_EQ(0u, reinterpret_cast<uintptr_t>(q) % QNT_RT_ALIGNMENT);
    _mlir_memref_to_llvm_free(q);
  }
}

TEST(Runtime, FreedScratchBuffersComeBackForTheirSizeClass) {
  // Buffers of up to 1 MiB are kept by the thread that frees them, in
  // power-of-two classes from 64 B, and handed out again for any size of
  // their class: the same buffer, aligned, every byte writable.
  void *p = qnt_rt_alloc(3000);
  ASSERT_NE(nullptr, p);
  std::memset(p, 1, 3000);
  qnt_rt_free(p);
  void *q = _mlir_memref_to_llvm_aligned_alloc(32, 4096); // 4 KiB class too
  ASSERT_NE(nullptr, q);
  EXPECT_EQ(0u, reinterpret_cast<uintptr_t>(q) % QNT_RT_ALIGNMENT);
  std::memset(q, 2, 4096);
  void *r = qnt_rt_alloc(4097); // the next class: another buffer
  ASSERT_NE(nullptr, r);
  std::memset(r, 3, 4097);
  if (qnt_rt_buffer_cache()) {
    EXPECT_EQ(p, q);
    EXPECT_NE(q, r);
  }
  _mlir_memref_to_llvm_free(q);
  qnt_rt_free(r);

  // More buffers of one class than a thread keeps: each distinct, aligned
  // and whole, freed and taken again.
  std::vector<void *> many;
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 40; ++i) {
      many.push_back(qnt_rt_alloc(100));
      ASSERT_NE(nullptr, many.back());
      EXPECT_EQ(0u,
                reinterpret_cast<uintptr_t>(many.back()) % QNT_RT_ALIGNMENT);
      std::memset(many.back(), i, 100);
    }
    std::vector<void *> sorted = many;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(sorted.end(), std::adjacent_find(sorted.begin(), sorted.end()));
    for (void *b : many)
      qnt_rt_free(b);
    many.clear();
  }

  // Freed by another thread, which then exits and lets its cache go.
  void *shared = qnt_rt_alloc(1 << 20);
  ASSERT_NE(nullptr, shared);
  std::thread([shared] {
    std::memset(shared, 4, 1 << 20);
    qnt_rt_free(shared);
    void *again = qnt_rt_alloc(1 << 20);
    if (qnt_rt_buffer_cache()) {
      EXPECT_EQ(shared, again);
    }
    qnt_rt_free(again);
  }).join();
  void *after = qnt_rt_alloc(1 << 20);
  ASSERT_NE(nullptr, after);
  std::memset(after, 5, 1 << 20);
  qnt_rt_free(after);
}

#ifdef __GLIBC__
TEST(Runtime, LargeBuffersComeFromTheHeapAndStayMapped) {
  // A 16 MiB activation buffer, allocated by the runtime before any model is
  // loaded (quant-bench --kernels, a program calling compiled kernels): not
  // a fresh mmap of its own (glibc's default threshold is 128 KiB), and the
  // heap keeps it mapped once freed (the default trims past 128 KiB).
  if (!qnt_rt_buffer_cache())
    GTEST_SKIP() << "AddressSanitizer's allocator stands in for glibc's";
  const size_t bytes = size_t(16) << 20;
  struct mallinfo2 before = mallinfo2();
  void *p = qnt_rt_alloc(bytes);
  ASSERT_NE(nullptr, p);
  std::memset(p, 1, bytes);
  struct mallinfo2 live = mallinfo2();
  EXPECT_EQ(before.hblks, live.hblks) << "the buffer is an mmap of its own";
  // The heap's bytes in use hold it (it may reuse freed memory rather than
  // grow, so this is not a difference from `before`).
  EXPECT_GE(live.uordblks, bytes) << "the heap does not hold the buffer";
  qnt_rt_free(p);
  struct mallinfo2 after = mallinfo2();
  EXPECT_GE(after.arena, live.arena) << "the heap gave the buffer back";
  EXPECT_GE(after.fordblks, bytes - (size_t(4) << 20))
      << "the freed buffer is not free heap memory";
}
#endif

TEST(Runtime, LargeBuffersAreAlignedToHugePages) {
  // 4 MiB and more: 2 MiB-aligned (and MADV_HUGEPAGE), whatever alignment
  // was asked for up to that, and all of it writable.
  for (size_t bytes : {size_t(4) << 20, (size_t(5) << 20) + 3}) {
    for (void *p : {qnt_rt_alloc(bytes),
                    _mlir_memref_to_llvm_aligned_alloc(128, bytes)}) {
      ASSERT_NE(nullptr, p) << bytes;
      EXPECT_EQ(0u, reinterpret_cast<uintptr_t>(p) % (size_t(2) << 20)) << bytes;
      std::memset(p, 7, bytes);
      EXPECT_EQ(7, static_cast<unsigned char *>(p)[bytes - 1]);
      qnt_rt_free(p);
    }
  }
  // Smaller ones keep the cache-line alignment only.
  void *small = qnt_rt_alloc((size_t(4) << 20) - 1);
  ASSERT_NE(nullptr, small);
  EXPECT_EQ(0u, reinterpret_cast<uintptr_t>(small) % QNT_RT_ALIGNMENT);
  qnt_rt_free(small);
}

TEST(Runtime, PageBuffersAreZeroedWritableAndAligned) {
  // Page-aligned, and from 2 MiB on 2 MiB-aligned (so that 2 MiB pages can
  // back all of a large one), zero-filled as anonymous memory is, and all of
  // it usable, including the sizes that are not whole pages.
  for (size_t bytes : {size_t(0), size_t(1), size_t(5000), size_t(2) << 20,
                       (size_t(3) << 20) + 5000, size_t(7) << 20}) {
    auto *p = static_cast<unsigned char *>(qnt_rt_alloc_pages(bytes));
    ASSERT_NE(nullptr, p) << bytes;
    EXPECT_EQ(0u, reinterpret_cast<uintptr_t>(p) % 4096) << bytes;
    if (bytes >= size_t(2) << 20) {
      EXPECT_EQ(0u, reinterpret_cast<uintptr_t>(p) % (size_t(2) << 20))
          << bytes;
    }
    size_t n = bytes ? bytes : 1;
    EXPECT_EQ(0, p[0]);
    EXPECT_EQ(0, p[n - 1]);
    p[0] = 1;
    p[n - 1] = 2;
    EXPECT_EQ(2, p[n - 1]);
    qnt_rt_free_pages(p, bytes);
  }
  qnt_rt_free_pages(nullptr, 64); // as free(NULL)
}

TEST(Runtime, MemrefViewsAreDenseRowMajor) {
  float data[6];
  qnt_memref_2d m = qnt_memref_2d_of(data, 2, 3);
  EXPECT_EQ(data, m.aligned);
  EXPECT_EQ(0, m.offset);
  EXPECT_EQ(2, m.sizes[0]);
  EXPECT_EQ(3, m.sizes[1]);
  EXPECT_EQ(3, m.strides[0]);
  EXPECT_EQ(1, m.strides[1]);
}

namespace {

/// FNV-1a of a whole buffer, written out independently of the runtime.
uint64_t fnv1a(uint64_t h, const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; ++i)
    h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

} // namespace

TEST(ModelFiles, SmallWeightsAreHashedWhole) {
  std::vector<unsigned char> bytes(1000);
  for (size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = static_cast<unsigned char>(i * 7);
  uint64_t size = bytes.size();
  uint64_t expected = fnv1a(
      fnv1a(14695981039346656037ull, reinterpret_cast<unsigned char *>(&size), 8),
      bytes.data(), bytes.size());
  EXPECT_EQ(expected, qnt_weights_fingerprint(bytes.data(), size));
}

TEST(ModelFiles, FingerprintSeesSizeEdgesAndSampledPages) {
  std::vector<unsigned char> bytes(8 << 20);
  std::mt19937 rng(3);
  for (unsigned char &b : bytes)
    b = static_cast<unsigned char>(rng());
  uint64_t base = qnt_weights_fingerprint(bytes.data(), bytes.size());
  EXPECT_EQ(base, qnt_weights_fingerprint(bytes.data(), bytes.size()));
  // A shorter file (truncated) with the same leading bytes.
  EXPECT_NE(base, qnt_weights_fingerprint(bytes.data(), bytes.size() - 4096));
  // A changed byte in the first and last 64 KiB, and in the middle.
  for (size_t at : {size_t(0), bytes.size() - 1, size_t(64 << 10)}) {
    bytes[at] ^= 1;
    EXPECT_NE(base, qnt_weights_fingerprint(bytes.data(), bytes.size())) << at;
    bytes[at] ^= 1;
  }
}

TEST(ModelFiles, ModelIdCoversEveryHeaderField) {
  qnt_meta_header h;
  std::memset(&h, 0, sizeof h);
  std::memcpy(h.magic, QNT_META_MAGIC, 8);
  uint64_t base = qnt_model_id(&h);
  auto *raw = reinterpret_cast<unsigned char *>(&h);
  for (size_t i = 0; i < offsetof(qnt_meta_header, model_id); ++i) {
    raw[i] ^= 0x10;
    EXPECT_NE(base, qnt_model_id(&h)) << "byte " << i;
    raw[i] ^= 0x10;
  }
  h.model_id = 12345; // the id itself is not hashed
  EXPECT_EQ(base, qnt_model_id(&h));
}

// model.meta's writer lays the file out as model.h describes it (the layout
// the loader reads): the header, each token's score, type, length and piece,
// each merge's length and text, the chat template, the notes. The expected
// bytes are built here by hand from that description.
TEST(ModelFiles, MetaWriterFollowsTheDescribedLayout) {
  qnt_meta_header h;
  std::memset(&h, 0, sizeof h);
  std::memcpy(h.magic, QNT_META_MAGIC, 8);
  h.vocab = 2;
  h.merges = 1;
  h.chat_template = 3;
  h.notes = 4;
  const char *pieces[] = {"a", "bc"};
  uint32_t lengths[] = {1, 2};
  float scores[] = {-1.5f, 2.0f};
  int32_t types[] = {1, 6};
  const char *merges[] = {"a bc"};
  uint32_t mergeLengths[] = {4};
  std::string path = ::testing::TempDir() + "/writer.meta";
  char error[256] = "";
  ASSERT_EQ(qnt_meta_write(path.c_str(), &h, pieces, lengths, scores, types,
                           merges, mergeLengths, "tpl", "note", error,
                           sizeof error),
            0)
      << error;

  std::vector<char> expected(reinterpret_cast<const char *>(&h),
                             reinterpret_cast<const char *>(&h) + sizeof h);
  auto append = [&](const void *p, size_t n) {
    expected.insert(expected.end(), static_cast<const char *>(p),
                    static_cast<const char *>(p) + n);
  };
  for (int i = 0; i < 2; ++i) {
    append(&scores[i], 4);
    append(&types[i], 4);
    append(&lengths[i], 4);
    append(pieces[i], lengths[i]);
  }
  append(&mergeLengths[0], 4);
  append("a bc", 4);
  append("tpl", 3);
  append("note", 4);

  FILE *f = std::fopen(path.c_str(), "rb");
  ASSERT_NE(f, nullptr);
  std::vector<char> actual(expected.size() + 16);
  size_t n = std::fread(actual.data(), 1, actual.size(), f);
  std::fclose(f);
  actual.resize(n);
  EXPECT_EQ(actual, expected);

  // A path that cannot be written is an error, not a crash.
  EXPECT_NE(qnt_meta_write("/nonexistent-dir/x.meta", &h, pieces, lengths,
                           scores, types, merges, mergeLengths, "tpl", "note",
                           error, sizeof error),
            0);
  EXPECT_NE(std::strstr(error, "cannot write /nonexistent-dir/x.meta"),
            nullptr);
}

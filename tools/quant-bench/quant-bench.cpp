//===- quant-bench.cpp - Tokens/s of a compiled model, GOPS of its kernels ===//
//
//   quant-bench -m model.so -p 512 -n 128 -t 2 -r 5
//   quant-bench --kernels -t 1,2
//
// With a model (llama-bench's habits): a prompt of -p tokens in one prefill
// call, then -n greedy decode steps after it, -r times after a warm-up; the
// median tokens/s and the spread (min, max) of prompt processing (pp) and
// decode (tg); with -d D, decode after D tokens in the cache (prefilled,
// untimed, after the timed prompt). --peer CMD runs another runner's benchmark
// in the same run and prints the ratios (CMD prints one JSON line with
// prompt_tokens_per_s and decode_tokens_per_s, as ../shared/peers/llama-cpp/run
// does). Several -m models are measured one after another in the same run, with
// their ratios to the first (a static or asymmetric compile against the
// default). Decode rows give the GB/s read (the weights file once a token, and
// the KV cache rows at the steps' mean depth) and its share of the DRAM read
// bound, measured in the same run.
//
// Without a model: the compiler's own linear kernels (qnt.linear through the
// whole pipeline, JIT-compiled for this CPU) on the shapes of real models,
// for 1 to 512 tokens, with GOPS, GB/s of weights read, and the share of two
// bounds measured in the same run: DRAM read bandwidth and the int8 dot peak
// of the best instruction this CPU has. The caches are flushed before every
// timed call, so a GEMV streams its weights from DRAM as decode does.
//
// --attention HxKVxD: a decode step's qnt.attention (one query row of H
// heads over head-major caches of KV heads of D values, as a model's decode
// calls it) at the cache positions of --positions: the KV cache bytes it
// reads a call, their GB/s and the share of the DRAM read bound.
//
//===----------------------------------------------------------------------===//

#include "Bounds.h"
#include "tools/common/ArgParser.h"

#include "qnt/Compiler/Compiler.h"
#include "qnt/Compiler/Jit.h"
#include "qnt/Math/Ggml.h"
#include "qnt/model.h"
#include "qnt/runtime.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

/// The usage text; {0} and {1} are the default prefetch distances.
const char *kUsageFormat =
    "usage: quant-bench -m MODEL.so [options]     (a compiled model)\n"
    "       quant-bench --kernels [options]       (the linear kernels)\n"
    "       quant-bench --attention HxKVxD [options]  (decode attention)\n\n"
    "  -m, --model MODEL.so  a model compiled by quant-compile; give -m again\n"
    "                        to compare models in one run (ratios to the "
    "first)\n"
    "  -p, --prompt N        prompt tokens, prefilled in batches of -b "
    "(default\n"
    "                        512; 0: no prompt test, decode from an empty "
    "cache\n"
    "                        or after -d)\n"
    "  -b, --batch N         prefill at most N tokens a call; 0: the whole\n"
    "                        prompt in one (default 512)\n"
    "  -n, --gen N           decode steps after the prompt (default 128)\n"
    "  -d, --depth N         decode after N tokens in the cache instead\n"
    "                        (llama-bench's -d; the test is tgN @ dD; the\n"
    "                        peer: DECODE_DEPTH=N .../llama-cpp/bench)\n"
    "  --peer CMD            also run CMD (prints prompt_tokens_per_s and\n"
    "                        decode_tokens_per_s as JSON) and show the ratios\n"
    "  --alternate           with several -m: load them all, then run each\n"
    "                        repetition of each in turn (A B A B ...), so\n"
    "                        the machine's drift falls on all alike\n"
    "  -v, --verbose         a line on stderr before each model's run\n"
    "  --kernels             benchmark qnt.linear instead of a model\n"
    "  --shapes LIST         OUTxIN weights (default\n"
    "                        4096x14336,14336x4096,2048x5632)\n"
    "  --tokens LIST         rows of activations (default 1,8,64,512)\n"
    "  --mcpu CPU            compile the kernels for CPU (default: this one)\n"
    "  --weight-bits 8|6|4|4k  weights Q8_0, 6-bit (random Q6_K blocks),\n"
    "                        4-bit (Q4_0's values) or 4k (random Q4_K\n"
    "                        super-blocks) (default 8)\n"
    "  --weight-prefetch LIST  bytes ahead the kernels prefetch their weights\n"
    "                        (quant-compile --weight-prefetch; default auto:\n"
    "                        {0}, {1} for 6 and 4k): a kernel per value,\n"
    "                        timed in turn each run\n"
    "  --weight-prefetch-lead LIST  bytes ahead a 1-token GEMV's lead\n"
    "                        prefetch runs (quant-compile\n"
    "                        --weight-prefetch-lead; default auto: {2}, 0\n"
    "                        (none) for 6 and 4k)\n"
    "  --weight-records LIST 1: the weight in records, 0: one tensor per\n"
    "                        component (quant-compile --weight-records;\n"
    "                        default 1); 1,0 times both in turn\n"
    "  --weight-streams LIST weight tiles a 1-token GEMV reads at once\n"
    "                        (quant-compile --weight-streams; 0: by format,\n"
    "                        the default); 1-token rows time the static\n"
    "                        one-row kernel a model's decode runs\n"
    "  --attention HxKVxD    benchmark a decode step's qnt.attention: H\n"
    "                        query heads, KV cache heads of D values (e.g.\n"
    "                        32x8x64, Llama-3.2-1B's)\n"
    "  --positions LIST      the query's positions: cache rows read - 1\n"
    "                        (default 512,4096)\n"
    "  --kv-cache f16|q8_0|f32  the cache's type (quant-compile --kv-cache;\n"
    "                        default f16)\n"
    "  -t, --threads LIST    thread counts, e.g. 1,2 (default: all CPUs)\n"
    "  -r, --repetitions N   timed runs after one warm-up (default 5)\n"
    "  --dram-mib N          MiB the DRAM read bound streams (default 1024;\n"
    "                        --kernels flushes the caches with a quarter of\n"
    "                        it): keep it far above the last-level cache\n"
    "  --warm                --kernels or --attention without the flush: the\n"
    "                        weights (the cache) stay in the caches between\n"
    "                        runs, so a shape that fits them shows the\n"
    "                        kernel's compute speed\n"
    "  -o, --output md|json  a Markdown table (default) or JSON\n"
    "  -h, --help            this text\n";

int fail(const std::string &message) {
  std::fprintf(stderr, "quant-bench: error: %s\n", message.c_str());
  return 1;
}

double now() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// "1 GiB", "64 MiB": the DRAM bound's buffer as the tables name it.
std::string sizeLabel(int64_t bytes) {
  int64_t mib = bytes >> 20;
  return mib % 1024 == 0 ? std::to_string(mib / 1024) + " GiB"
                         : std::to_string(mib) + " MiB";
}

struct Shape {
  int64_t out, in;
};

/// "auto" (qnt::kPrefetchByFormat) or bytes, separated by commas.
bool parsePrefetches(const std::string &text, std::vector<int64_t> &out) {
  out.clear();
  llvm::SmallVector<llvm::StringRef> items;
  llvm::StringRef(text).split(items, ',');
  for (llvm::StringRef item : items) {
    std::optional<int64_t> bytes = qnt::parsePrefetchBytes(item);
    if (!bytes || *bytes > (int64_t(1) << 24))
      return false;
    out.push_back(*bytes);
  }
  return true;
}

bool parseShapes(const std::string &text, std::vector<Shape> &out) {
  out.clear();
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos
                                              ? std::string::npos
                                              : comma - start);
    size_t x = item.find('x');
    Shape s;
    if (x == std::string::npos ||
        !qnt::tools::parseInteger(item.substr(0, x), 1, INT64_MAX, s.out) ||
        !qnt::tools::parseInteger(item.substr(x + 1), 1, INT64_MAX, s.in))
      return false;
    out.push_back(s);
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  return true;
}

/// Median, min and max of samples.
struct Stats {
  double median = 0, min = 0, max = 0;
  std::vector<double> samples;
};

Stats stats(std::vector<double> samples) {
  Stats s;
  s.samples = samples;
  std::sort(samples.begin(), samples.end());
  size_t n = samples.size();
  s.median = n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
  s.min = samples.front();
  s.max = samples.back();
  return s;
}

std::string jsonList(const std::vector<double> &v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i)
    out += llvm::formatv("{0}{1:f3}", i ? ", " : "", v[i]).str();
  return out + "]";
}

std::string jsonString(const std::string &s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

//===----------------------------------------------------------------------===//
// A compiled model
//===----------------------------------------------------------------------===//

struct ModelRow {
  std::string model; // its path
  double weightsBytes;
  double cacheBytes = 0; // decode: the KV cache read a token, at the mean depth
  std::string test; // pp512, tg128
  int64_t threads;
  Stats tokensPerSecond;
};

int32_t argmax(const float *logits, int64_t vocab) {
  return int32_t(std::max_element(logits, logits + vocab) - logits);
}

/// One prompt of `prompt` tokens, then `gen` greedy decode steps after it
/// (or, with `depthTokens`, after those tokens, prefilled untimed in place
/// of the prompt's): the seconds of each part.
bool runOnce(qnt_model &m, const std::vector<int32_t> &tokens,
             const std::vector<int32_t> &depthTokens, int32_t first, int64_t gen,
             std::vector<float> &logits, double &promptSeconds,
             double &genSeconds, std::string &error) {
  char message[512];
  int64_t vocab = m.config.vocab, p = int64_t(tokens.size());
  double t0 = now();
  if (p > 0 && qnt_model_run_last(&m, tokens.data(), p, 0, logits.data(),
                                  message, sizeof message) != 0) {
    error = message;
    return false;
  }
  double t1 = now();
  promptSeconds = t1 - t0;
  if (!depthTokens.empty()) { // untimed: neither prompt nor decode
    p = int64_t(depthTokens.size());
    if (qnt_model_run_last(&m, depthTokens.data(), p, 0, logits.data(),
                           message, sizeof message) != 0) {
      error = message;
      return false;
    }
    t1 = now();
  }
  // Decode from an empty cache (-p 0, no -d) starts at `first`, as
  // llama-bench's tg test starts from a token of its own.
  int32_t next = p > 0 ? argmax(logits.data(), vocab) : first;
  for (int64_t i = 0; i < gen; ++i) {
    if (qnt_model_run(&m, &next, 1, p + i, logits.data(), message,
                      sizeof message) != 0) {
      error = message;
      return false;
    }
    next = argmax(logits.data(), vocab);
  }
  genSeconds = now() - t1;
  return true;
}

struct PeerResult {
  bool ok = false;
  double prompt = 0, decode = 0;
  std::string line;
  std::string error; // why not ok: how the command ended, or what it lacked
};

/// The number after "key": in a JSON line.
bool jsonNumber(const std::string &line, const std::string &key, double &out) {
  size_t at = line.find("\"" + key + "\"");
  if (at == std::string::npos)
    return false;
  at = line.find(':', at);
  if (at == std::string::npos)
    return false;
  char *end = nullptr;
  out = std::strtod(line.c_str() + at + 1, &end);
  return end != line.c_str() + at + 1;
}

/// How a command run by popen ended, when not with status 0: its exit
/// status, or the signal that killed it; a status above 128 is also read as
/// the shell's report of a command it ran that a signal killed (a peer
/// binary built for features this CPU lacks dies of SIGILL), 127 and 126 as
/// its command not found and not executable.
std::string endOf(int status) {
  if (status == -1)
    return std::string("could not be waited for: ") + std::strerror(errno);
  if (WIFSIGNALED(status))
    return llvm::formatv("was killed by signal {0} ({1})", WTERMSIG(status),
                         strsignal(WTERMSIG(status)));
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : status;
  std::string text = llvm::formatv("exited with status {0}", code);
  if (code == 127)
    text += " (the shell's: no such command)";
  else if (code == 126)
    text += " (the shell's: found, but not executable)";
  else if (code > 128 && code < 128 + 65)
    text += llvm::formatv(" (a command it ran was killed by signal {0}: {1})",
                          code - 128, strsignal(code - 128));
  return text;
}

PeerResult runPeer(const std::string &command) {
  PeerResult r;
  FILE *pipe = popen(command.c_str(), "r");
  if (!pipe) {
    r.error = std::string("could not be started: ") + std::strerror(errno);
    return r;
  }
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe)) {
    std::string line = buffer;
    if (line.find("prompt_tokens_per_s") != std::string::npos)
      r.line = line;
  }
  int status = pclose(pipe);
  if (status != 0)
    r.error = endOf(status);
  else if (r.line.empty())
    r.error = "printed no line with \"prompt_tokens_per_s\"";
  else if (!jsonNumber(r.line, "prompt_tokens_per_s", r.prompt) ||
           !jsonNumber(r.line, "decode_tokens_per_s", r.decode))
    r.error = "printed no numbers for prompt_tokens_per_s and "
              "decode_tokens_per_s in: " +
              llvm::StringRef(r.line).trim().str();
  r.ok = r.error.empty();
  return r;
}

/// A model loaded to be measured: its tokens and its samples so far, a list
/// of tokens/s a thread count for the prompt and for decode.
struct Measured {
  std::string path;
  qnt_model m{};
  bool loaded = false;
  std::vector<int32_t> tokens, depthTokens;
  int32_t first = 0;
  std::string genTest;
  double cacheRead = 0;
  std::vector<float> logits;
  std::vector<std::vector<double>> pp, tg;

  Measured() = default;
  Measured(const Measured &) = delete;
  Measured &operator=(const Measured &) = delete;
  ~Measured() {
    if (loaded)
      qnt_model_free(&m);
  }

  /// Loads the model at `path` for a run of `threadCounts` thread counts;
  /// false after a message.
  bool load(const std::string &modelPath, int64_t prompt, int64_t batch,
            int64_t gen, int64_t depth, size_t threadCounts,
            std::string &failure) {
    path = modelPath;
    char message[1024];
    if (qnt_model_load(&m, path.c_str(), message, sizeof message) != 0) {
      failure = message;
      return false;
    }
    loaded = true;
    m.batch = batch;
    int64_t vocab = m.config.vocab;
    // Decode runs after the prompt, or after -d tokens.
    int64_t before = depth < 0 ? prompt : depth;
    if (std::max(prompt, before + gen) > m.config.context) {
      failure = llvm::formatv(
          "{0} {1} and -n {2} need {3} positions; {4} has a context of {5}",
          depth < 0 ? "-p" : "-d", before, gen, before + gen, path,
          m.config.context);
      return false;
    }
    // The peer's tokens: spread over the vocabulary, past the special ones.
    auto spread = [&](int64_t n) {
      std::vector<int32_t> out(n);
      for (int64_t i = 0; i < n; ++i)
        out[i] = int32_t(3 + (i * 7919) % std::max<int64_t>(1, vocab - 3));
      return out;
    };
    tokens = spread(prompt);
    depthTokens = depth < 0 ? std::vector<int32_t>() : spread(depth);
    first = spread(1)[0];
    // llama-bench's name for a decode test at a depth: "tg128 @ d4000".
    genTest = "tg" + std::to_string(gen);
    if (depth >= 0)
      genTest += " @ d" + std::to_string(depth);
    logits.resize(vocab);
    // A decode step at position q reads rows 0 .. q of every layer's keys
    // and values: before + (gen + 1) / 2 rows on average over the steps.
    cacheRead = double(qnt_kv_cache_bytes_per_token(&m.config)) *
                (double(before) + double(gen + 1) / 2);
    pp.assign(threadCounts, {});
    tg.assign(threadCounts, {});
    return true;
  }

  /// One run of the prompt and the decode steps at the current thread
  /// count (the `t`-th), kept unless `warmUp`; false after a message.
  bool run(size_t t, bool warmUp, int64_t gen, std::string &failure) {
    double ps, gs;
    std::string error;
    if (!runOnce(m, tokens, depthTokens, first, gen, logits, ps, gs, error)) {
      failure = path + ": " + error;
      return false;
    }
    if (warmUp)
      return true; // pages of the weights, the thread pool
    if (!tokens.empty())
      pp[t].push_back(double(tokens.size()) / ps);
    if (gen > 0)
      tg[t].push_back(double(gen) / gs);
    return true;
  }

  /// Its rows, appended to `rows`: a thread count's prompt, then decode.
  void rowsTo(const std::vector<int64_t> &threads, int64_t gen,
              std::vector<ModelRow> &rows) const {
    double size = double(m.weights_size);
    for (size_t t = 0; t < threads.size(); ++t) {
      if (!tokens.empty())
        rows.push_back({path, size, 0, "pp" + std::to_string(tokens.size()),
                        threads[t], stats(pp[t])});
      if (gen > 0)
        rows.push_back(
            {path, size, cacheRead, genTest, threads[t], stats(tg[t])});
    }
  }
};

/// Every model in turn, then the peer, in one run; the table, the models'
/// ratios to the first, and each model's to the peer.
/// With `alternate`, all the models are loaded first and each repetition
/// runs them in turn (A B A B ...), so that the machine's drift from minute
/// to minute falls on all of them alike.
int benchModels(const std::vector<std::string> &models, int64_t prompt,
                int64_t batch, int64_t gen, int64_t depth,
                const std::vector<int64_t> &threads, int64_t repetitions,
                int64_t dramBytes, bool json, const std::string &peer,
                bool alternate, bool verbose) {
  // Decode streams every weight byte once a token: its GB/s against the
  // DRAM read bound for each thread count. The bound moves with the
  // machine's load from minute to minute, so it is measured before each
  // model and after the last: the best of these is the bound, the lowest is
  // printed beside it.
  std::vector<double> dram(threads.size(), 0.0), dramLow(threads.size(), 0.0);
  auto measureBound = [&] {
    if (gen == 0)
      return;
    std::vector<double> now = qnt::bench::readBandwidth(threads, dramBytes);
    for (size_t i = 0; i < threads.size(); ++i) {
      dram[i] = std::max(dram[i], now[i]);
      dramLow[i] = dramLow[i] > 0 ? std::min(dramLow[i], now[i]) : now[i];
    }
  };
  std::vector<ModelRow> rows;
  std::string failure;
  size_t bounds = 0;
  // Groups of models measured together: all of them with --alternate, else
  // one at a time. A group is loaded, then each thread count's warm-up and
  // repetitions run over its models in turn.
  size_t groupSize = alternate ? models.size() : 1;
  for (size_t g0 = 0; g0 < models.size(); g0 += groupSize) {
    std::vector<std::unique_ptr<Measured>> group;
    for (size_t i = g0; i < g0 + groupSize; ++i) {
      group.push_back(std::make_unique<Measured>());
      if (!group.back()->load(models[i], prompt, batch, gen, depth,
                              threads.size(), failure))
        return fail(failure);
    }
    measureBound(), ++bounds;
    for (size_t t = 0; t < threads.size(); ++t) {
      qnt_rt_set_num_threads(int(threads[t]));
      for (int64_t r = 0; r <= repetitions; ++r)
        for (const auto &model : group) {
          if (verbose)
            std::fprintf(stderr, "quant-bench: %s: %lld thread%s, %s\n",
                         model->path.c_str(), (long long)threads[t],
                         threads[t] == 1 ? "" : "s",
                         r == 0
                             ? "warm-up"
                             : llvm::formatv("run {0} of {1}", r, repetitions)
                                   .str()
                                   .c_str());
          if (!model->run(t, r == 0, gen, failure))
            return fail(failure);
        }
    }
    for (const auto &model : group)
      model->rowsTo(threads, gen, rows);
  }
  measureBound(), ++bounds;
  auto dramOf = [&](int64_t t) {
    for (size_t i = 0; i < threads.size(); ++i)
      if (threads[i] == t)
        return dram[i];
    return 0.0;
  };

  PeerResult peerResult;
  if (!peer.empty()) {
    peerResult = runPeer(peer);
  }
  // A failed peer is an error, but after the models' rows: they took
  // minutes to measure.
  auto done = [&] {
    if (peer.empty() || peerResult.ok)
      return 0;
    std::fflush(stdout);
    return fail("the peer command " + peerResult.error + ": " + peer);
  };

  if (json) {
    std::printf("[\n");
    for (size_t i = 0; i < rows.size(); ++i) {
      const ModelRow &r = rows[i];
      std::printf("  {\"model\": %s, \"weights_bytes\": %.0f, "
                  "\"kv_cache_bytes_per_token\": %.0f, \"test\": \"%s\", "
                  "\"threads\": %lld, \"dram_read_bytes_per_s\": %.0f, "
                  "\"tokens_per_s_median\": %.3f, "
                  "\"tokens_per_s_min\": %.3f, \"tokens_per_s_max\": %.3f, "
                  "\"samples\": %s}%s\n",
                  jsonString(r.model).c_str(), r.weightsBytes, r.cacheBytes,
                  r.test.c_str(),
                  (long long)r.threads, dramOf(r.threads), r.tokensPerSecond.median,
                  r.tokensPerSecond.min, r.tokensPerSecond.max,
                  jsonList(r.tokensPerSecond.samples).c_str(),
                  i + 1 < rows.size() || peerResult.ok ? "," : "");
    }
    if (peerResult.ok)
      std::printf("  {\"peer\": %s, \"prompt_tokens_per_s\": %.3f, "
                  "\"decode_tokens_per_s\": %.3f}\n",
                  jsonString(peer).c_str(), peerResult.prompt, peerResult.decode);
    std::printf("]\n");
    return done();
  }
  std::printf("| model | weights | test | threads | t/s (median) | min | max "
              "| GB/s read | %% of DRAM read |\n"
              "|---|---:|---|---:|---:|---:|---:|---:|---:|\n");
  for (const ModelRow &r : rows) {
    std::printf("| %s | %.2f GB | %s | %lld | %.2f | %.2f | %.2f |",
                r.model.c_str(), r.weightsBytes / 1e9, r.test.c_str(),
                (long long)r.threads, r.tokensPerSecond.median,
                r.tokensPerSecond.min, r.tokensPerSecond.max);
    // Decode only (a prompt reads each weight once for many tokens): the
    // weights and the KV cache rows a token reads.
    double gbps = (r.weightsBytes + r.cacheBytes) * r.tokensPerSecond.median;
    if (r.test[0] == 't' && dramOf(r.threads) > 0)
      std::printf(" %.1f | %.0f%% |\n", gbps / 1e9, 100 * gbps / dramOf(r.threads));
    else
      std::printf("  |  |\n");
  }
  if (gen > 0)
    std::printf("\nGB/s read: decode's bytes a token (the weights file, and "
                "the KV cache rows at the mean depth) times tokens/s.\n"
                "DRAM read, %s, the best of %zu measurements (%s; the "
                "lowest in brackets):",
                sizeLabel(dramBytes).c_str(), bounds,
                alternate ? "before the models, which ran in turn, and after"
                          : "before each model and after the last");
  for (size_t i = 0; gen > 0 && i < threads.size(); ++i)
    std::printf(" %.1f GB/s (%.1f) on %lld thread%s%s", dram[i] / 1e9,
                dramLow[i] / 1e9, (long long)threads[i],
                threads[i] == 1 ? "" : "s",
                i + 1 < threads.size() ? "," : "\n");
  // Rows of one model come in the same order for each: row i of model j is
  // rows[j * perModel + i].
  size_t perModel = rows.size() / models.size();
  if (models.size() > 1) {
    std::printf("\nagainst %s (median / median):\n", models[0].c_str());
    std::printf("| model | test | threads | ratio |\n|---|---|---:|---:|\n");
    for (size_t j = 1; j < models.size(); ++j)
      for (size_t i = 0; i < perModel; ++i) {
        const ModelRow &r = rows[j * perModel + i], &base = rows[i];
        std::printf("| %s | %s | %lld | %.3fx |\n", r.model.c_str(), r.test.c_str(),
                    (long long)r.threads,
                    r.tokensPerSecond.median / base.tokensPerSecond.median);
      }
  }
  if (peerResult.ok) {
    // The ratios at the last thread count (the peer runs once, at its own).
    std::printf("\npeer: %s\n", peer.c_str());
    std::printf("| %stest | peer t/s | qnt t/s (median) | qnt / peer |\n"
                "|%s---|---:|---:|---:|\n",
                models.size() > 1 ? "model | " : "", models.size() > 1 ? "---|" : "");
    for (size_t j = 0; j < models.size(); ++j) {
      double pp = 0, tg = 0;
      for (size_t i = 0; i < perModel; ++i) {
        const ModelRow &r = rows[j * perModel + i];
        (r.test[0] == 'p' ? pp : tg) = r.tokensPerSecond.median;
      }
      std::string model = models.size() > 1 ? models[j] + " | " : "";
      if (prompt > 0)
        std::printf("| %sprompt | %.2f | %.2f | %.2fx |\n", model.c_str(),
                    peerResult.prompt, pp, pp / peerResult.prompt);
      if (gen > 0)
        std::printf("| %sdecode | %.2f | %.2f | %.2fx |\n", model.c_str(),
                    peerResult.decode, tg, tg / peerResult.decode);
    }
  }
  return done();
}

//===----------------------------------------------------------------------===//
// The linear kernels
//===----------------------------------------------------------------------===//

using LinearFn = void (*)(qnt_memref_2d *, qnt_memref_1d *, qnt_memref_2d *);

/// A qnt.linear of one shape, compiled by the whole pipeline; its weights
/// quantized into a file as quant-compile writes it, loaded into memory.
struct CompiledKernel {
  std::unique_ptr<mlir::MLIRContext> context;
  std::unique_ptr<qnt::Jit> jit;
  LinearFn fn = nullptr;
  void *weights = nullptr;
  int64_t weightsBytes = 0;

  ~CompiledKernel() { qnt_rt_free_pages(weights, size_t(weightsBytes)); }
};

/// A kernel's build: how far ahead it prefetches, whether its weight lies
/// in records, how many weight tiles its GEMV reads at once
/// (quant-compile --weight-prefetch, --weight-records, --weight-streams),
/// how far ahead its single-row kernel's lead prefetch runs
/// (--weight-prefetch-lead).
struct KernelVariant {
  int64_t prefetchBytes;
  bool records;
  int64_t streams;
  int64_t leadBytes;
};

/// The weights --kernels quantizes: floats into Q8_0 or Q4_0's values, or
/// random GGML blocks kept as they are (Q6_K, Q4_K: GGUFs carry them;
/// nothing quantizes floats into them).
enum class WeightKind { Q8_0, Q6_K, Q4_0, Q4_K };

int64_t bitsOf(WeightKind kind) {
  return kind == WeightKind::Q8_0 ? 8 : kind == WeightKind::Q6_K ? 6 : 4;
}

/// Compiles the qnt.linear of shape `s` with `rows` rows of activations
/// (ShapedType::kDynamic: any).
bool compileKernel(const Shape &s, const qnt::Target &target, WeightKind kind,
                   const KernelVariant &variant, int64_t rows,
                   CompiledKernel &k, std::string &error) {
  mlir::DialectRegistry registry;
  qnt::registerCompilerDialects(registry);
  k.context = std::make_unique<mlir::MLIRContext>(registry);
  k.context->loadAllAvailableDialects();
  std::vector<float> w(size_t(s.out * s.in));
  std::mt19937 rng{uint32_t(s.out * 31 + s.in)};
  std::normal_distribution<float> dist(0.0f, 0.02f);
  for (float &x : w)
    x = dist(rng);
  mlir::OwningOpRef<mlir::ModuleOp> module;
  if (kind == WeightKind::Q6_K || kind == WeightKind::Q4_K) {
    // Random blocks: random bytes, then sane fp16 super-block scales (Q6_K:
    // d last in each block; Q4_K: d and dmin first).
    qnt::math::GgmlFormat format = kind == WeightKind::Q6_K
                                       ? qnt::math::GgmlFormat::Q6_K
                                       : qnt::math::GgmlFormat::Q4_K;
    const qnt::math::GgmlBlockGeometry &g =
        *qnt::math::ggmlBlockGeometry(uint32_t(format));
    if (s.in % g.values != 0) {
      error = "K-quant weights need an input a multiple of 256";
      return false;
    }
    std::vector<uint8_t> blocks(size_t(s.out * s.in / g.values * g.bytes));
    std::uniform_int_distribution<int> byte(0, 255);
    for (uint8_t &b : blocks)
      b = uint8_t(byte(rng));
    uint16_t d = qnt::math::floatToFp16(0.001f);
    for (size_t b = 0; b < blocks.size(); b += size_t(g.bytes)) {
      if (kind == WeightKind::Q6_K) {
        std::memcpy(&blocks[b + size_t(g.bytes) - 2], &d, 2);
      } else {
        std::memcpy(&blocks[b], &d, 2);
        std::memcpy(&blocks[b + 2], &d, 2);
      }
    }
    module = qnt::linearModule(k.context.get(), s.out, s.in, uint32_t(format),
                               blocks, rows);
  } else {
    module = qnt::linearModule(k.context.get(), s.out, s.in, w,
                               /*asymmetric=*/false, rows);
  }
  w = {};

  llvm::SmallString<128> weightsPath;
  int fd;
  if (auto ec = llvm::sys::fs::createTemporaryFile("quant-bench", "weights",
                                                   fd, weightsPath)) {
    error = "cannot create a temporary file: " + ec.message();
    return false;
  }
  ::close(fd);
  llvm::FileRemover remove(weightsPath);
  qnt::QuantOptions quant;
  // Auto keeps the K-quants' blocks as they are.
  quant.weightBits = kind == WeightKind::Q8_0   ? qnt::WeightBits::Eight
                     : kind == WeightKind::Q4_0 ? qnt::WeightBits::Four
                                                : qnt::WeightBits::Auto;
  quant.weightsFile = weightsPath.str().str();
  quant.weightRecords = variant.records;
  qnt::LoweringOptions lowering = qnt::loweringOptions();
  lowering.weightsFile = quant.weightsFile;
  lowering.prefetchBytes = variant.prefetchBytes;
  lowering.gemvStreams = variant.streams;
  lowering.leadPrefetchBytes = variant.leadBytes;
  if (failed(qnt::quantize(*module, quant, target)) ||
      failed(qnt::lowerToLLVM(*module, lowering))) {
    error = "the pipeline failed on this shape";
    return false;
  }
  k.jit = qnt::Jit::create(*module, target, error);
  if (!k.jit)
    return false;
  k.fn = reinterpret_cast<LinearFn>(k.jit->lookup("_mlir_ciface_linear", error));
  if (!k.fn)
    return false;
  auto file = llvm::MemoryBuffer::getFile(weightsPath);
  if (!file) {
    error = "cannot read the weights: " + file.getError().message();
    return false;
  }
  k.weightsBytes = int64_t((*file)->getBufferSize());
  // In pages as the model loader's (2 MiB where the kernel gives them).
  k.weights = qnt_rt_alloc_pages(size_t(k.weightsBytes));
  if (!k.weights) {
    error = "out of memory for the weights";
    return false;
  }
  std::memcpy(k.weights, (*file)->getBufferStart(), size_t(k.weightsBytes));
  return true;
}

/// Floats in a buffer of the runtime's (qnt_rt_alloc: 64-byte aligned);
/// data() is null if it could not be allocated.
class AlignedFloats {
public:
  explicit AlignedFloats(size_t n)
      : data_(static_cast<float *>(qnt_rt_alloc(n * sizeof(float)))),
        n_(data_ ? n : 0) {}
  ~AlignedFloats() { qnt_rt_free(data_); }
  AlignedFloats(const AlignedFloats &) = delete;
  AlignedFloats &operator=(const AlignedFloats &) = delete;
  float *data() { return data_; }
  float *begin() { return data_; }
  float *end() { return data_ + n_; }

private:
  float *data_;
  size_t n_;
};

/// Evicts the caches by reading a buffer eight times the size of a large
/// last-level cache (reads only: dirty lines written back during the timed
/// call would steal its bandwidth). The pool's threads read it, so that
/// each core's own caches are evicted too and its thread is still spinning
/// when the timed call starts, as between the ops of a model: flushed by
/// the calling thread alone, a worker slept through the flush and a small
/// GEMV on 2 threads timed its wake-up (256x2048 at 1 token: 0.128 ms on 2
/// threads against 0.033 on 1, Zen 5; 0.025 with this flush).
void flushCaches(const std::vector<uint8_t> &buffer) {
  qnt::bench::readInParallel(buffer.data(), int64_t(buffer.size()));
  // An empty loop last, so that every worker has just finished a task (and
  // spins) rather than having waited for the flush's last chunk.
  qnt_rt_parallel_for([](void *, int64_t, int64_t) {}, nullptr, 0,
                      qnt_rt_num_threads());
}

struct KernelRow {
  Shape shape;
  int64_t tokens, threads;
  KernelVariant variant;
  bool singleRow; ///< the static one-row kernel (streams apply)
  Stats seconds;
  double gops, gbps, dramShare, peakShare;
};

/// The distance of a row's lead prefetch as compiled (none without the
/// short one); it runs in single-row tiles: a 1-token row's kernel, and
/// the rows past a dynamic row count's last whole register tile.
int64_t leadOf(const KernelRow &r) {
  return qnt::effectiveLeadPrefetchBytes(r.variant.prefetchBytes,
                                         r.variant.leadBytes);
}

/// The peak of the dot the kernels of `target` use on `bits`-bit weights:
/// vpdpbusd on zmm with AVX-512, on ymm with VNNI alone; with AVX2 alone, the
/// sign trick for 8-bit weights (four instructions a row and |w| shared by 4
/// rows), for 4-bit nibbles
/// vpmaddubsw + vpaddw (i16 pairs, widened once per 8 steps), for 6 bits
/// the pairs of two steps widened; none for generic x86-64.
const qnt::bench::DotPeak *peakOf(const std::vector<qnt::bench::DotPeak> &peaks,
                                  const qnt::Target &target, int64_t bits) {
  const char *want = target.avx512 && target.vnni ? "zmm (AVX-512 VNNI)"
                     : target.vnni                ? "ymm (AVX"
                     : target.avx2 && bits == 4   ? "(AVX2 i16 pairs)"
                     : target.avx2 && bits == 6   ? "(AVX2 6-bit pairs)"
                     : target.avx2                ? "(AVX2 sign trick)"
                                                  : nullptr;
  if (!want)
    return nullptr;
  for (const qnt::bench::DotPeak &p : peaks)
    if (p.instruction.find(want) != std::string::npos)
      return &p;
  return nullptr;
}

/// The target `cpu` names, if this machine runs its code.
mlir::FailureOr<qnt::Target> runnableTarget(const std::string &cpu,
                                            std::string &error) {
  mlir::FailureOr<qnt::Target> target = qnt::resolveTarget(cpu, "", error);
  if (succeeded(target) && !target->runsOnHost()) {
    error = "cannot run code for " + target->describe();
    return mlir::failure();
  }
  return target;
}

int benchKernels(const std::vector<Shape> &shapes,
                 const std::vector<int64_t> &tokenCounts,
                 const std::vector<int64_t> &threads, int64_t repetitions,
                 int64_t dramBytes, bool json, const std::string &cpu,
                 WeightKind kind, const std::vector<KernelVariant> &variants,
                 bool warm) {
  int64_t bits = bitsOf(kind);
  std::string error;
  mlir::FailureOr<qnt::Target> target = runnableTarget(cpu, error);
  if (failed(target))
    return fail(error);

  // The bounds, per thread count, in this run.
  struct Bound {
    int64_t threads;
    double dram;
    std::vector<qnt::bench::DotPeak> peaks;
  };
  std::vector<Bound> bounds;
  std::vector<double> dram = qnt::bench::readBandwidth(threads, dramBytes);
  for (size_t i = 0; i < threads.size(); ++i)
    bounds.push_back({threads[i], dram[i], qnt::bench::dotPeaks(int(threads[i]))});

  std::vector<uint8_t> flush(warm ? 0 : size_t(dramBytes / 4), 1);
  std::vector<KernelRow> rows;
  for (const Shape &s : shapes) {
    // One kernel per variant (prefetch distances, records, streams), timed
    // in turn within each repetition, so that the machine's drift falls on
    // all of them alike. One token runs the static one-row kernel a model's
    // decode has (the only one streams apply to), more tokens one kernel
    // for any row count, as prefill's.
    std::vector<CompiledKernel> kernels;
    std::vector<qnt_memref_1d> weights;
    bool compiledSingleRow = false;
    auto compileAll = [&](bool singleRow) -> bool {
      if (!kernels.empty() && compiledSingleRow == singleRow)
        return true;
      kernels = std::vector<CompiledKernel>(variants.size());
      weights.clear();
      compiledSingleRow = singleRow;
      for (size_t k = 0; k < variants.size(); ++k) {
        if (!compileKernel(s, *target, kind, variants[k],
                           singleRow ? 1 : mlir::ShapedType::kDynamic,
                           kernels[k], error))
          return false;
        weights.push_back(
            qnt_memref_1d_of(kernels[k].weights, kernels[k].weightsBytes));
      }
      return true;
    };
    for (int64_t m : tokenCounts) {
      if (!compileAll(m == 1))
        return fail(llvm::formatv("{0}x{1}: {2}", s.out, s.in, error).str());
      // Activations as a model's are: the runtime's buffers (64-byte
      // aligned; 2 MiB pages from 4 MiB), not a std::vector's (16 bytes into
      // a page when glibc maps it).
      AlignedFloats x(size_t(m * s.in)), y(size_t(m * s.out));
      if (!x.data() || !y.data())
        return fail("out of memory for the activations");
      std::mt19937 rng{uint32_t(m)};
      std::normal_distribution<float> dist(0.0f, 1.0f);
      for (float &v : x)
        v = dist(rng);
      for (size_t b = 0; b < threads.size(); ++b) {
        qnt_rt_set_num_threads(int(threads[b]));
        std::vector<std::vector<double>> samples(kernels.size());
        for (int64_t r = 0; r <= repetitions; ++r)
          for (size_t k = 0; k < kernels.size(); ++k) {
            if (!warm)
              flushCaches(flush);
            qnt_memref_2d xd = qnt_memref_2d_of(x.data(), m, s.in);
            qnt_memref_2d yd = qnt_memref_2d_of(y.data(), m, s.out);
            double t0 = now();
            kernels[k].fn(&xd, &weights[k], &yd);
            double t = now() - t0;
            if (r > 0)
              samples[k].push_back(t);
          }
        for (size_t k = 0; k < kernels.size(); ++k) {
          KernelRow row;
          row.shape = s;
          row.tokens = m;
          row.threads = threads[b];
          row.variant = variants[k];
          row.singleRow = m == 1;
          row.seconds = stats(samples[k]);
          double t = row.seconds.median;
          row.gops = 2.0 * double(m) * double(s.out) * double(s.in) / t / 1e9;
          row.gbps = double(kernels[k].weightsBytes) / t / 1e9;
          row.dramShare = row.gbps * 1e9 / bounds[b].dram;
          const qnt::bench::DotPeak *peak =
              peakOf(bounds[b].peaks, *target, bits);
          row.peakShare = peak ? row.gops * 1e9 / peak->opsPerSecond : 0;
          rows.push_back(row);
        }
      }
    }
  }

  if (json) {
    const qnt::bench::DotPeak *peak =
        bounds.empty() ? nullptr : peakOf(bounds[0].peaks, *target, bits);
    std::printf("{\n  \"target\": %s,\n  \"weight_bits\": %lld,\n"
                "  \"weight_format\": \"%s\",\n"
                "  \"caches\": \"%s\",\n"
                "  \"kernel_peak\": %s,\n  \"bounds\": [\n",
                jsonString(target->describe()).c_str(), (long long)bits,
                kind == WeightKind::Q8_0   ? "q8_0"
                : kind == WeightKind::Q6_K ? "q6_k"
                : kind == WeightKind::Q4_0 ? "q4_0"
                                           : "q4_k",
                warm ? "warm" : "flushed",
                peak ? jsonString(peak->instruction).c_str() : "null");
    for (size_t i = 0; i < bounds.size(); ++i) {
      const Bound &b = bounds[i];
      std::printf("    {\"threads\": %lld, \"dram_read_gb_per_s\": %.2f, "
                  "\"int8_peaks\": [",
                  (long long)b.threads, b.dram / 1e9);
      for (size_t j = 0; j < b.peaks.size(); ++j)
        std::printf("%s{\"instruction\": %s, \"gops\": %.1f}", j ? ", " : "",
                    jsonString(b.peaks[j].instruction).c_str(),
                    b.peaks[j].opsPerSecond / 1e9);
      std::printf("]}%s\n", i + 1 < bounds.size() ? "," : "");
    }
    std::printf("  ],\n  \"kernels\": [\n");
    for (size_t i = 0; i < rows.size(); ++i) {
      const KernelRow &r = rows[i];
      std::printf(
          "    {\"out\": %lld, \"in\": %lld, \"tokens\": %lld, "
          "\"threads\": %lld, \"weight_prefetch\": %lld, "
          "\"weight_records\": %s, \"weight_streams\": %lld, "
          "\"weight_prefetch_lead\": %lld, "
          "\"ms_median\": %.4f, \"ms_min\": %.4f, "
          "\"ms_max\": %.4f, \"gops\": %.2f, \"weights_gb_per_s\": %.2f, "
          "\"dram_share\": %.4f, \"int8_peak_share\": %.4f}%s\n",
          (long long)r.shape.out, (long long)r.shape.in, (long long)r.tokens,
          (long long)r.threads, (long long)r.variant.prefetchBytes,
          r.variant.records ? "true" : "false",
          (long long)(r.singleRow ? r.variant.streams : 1),
          (long long)leadOf(r), r.seconds.median * 1e3, r.seconds.min * 1e3,
          r.seconds.max * 1e3, r.gops, r.gbps, r.dramShare, r.peakShare,
          i + 1 < rows.size() ? "," : "");
    }
    std::printf("  ]\n}\n");
    return 0;
  }
  std::printf(
      "target: %s\nweights: %s\ncaches: %s\n\n", target->describe().c_str(),
      kind == WeightKind::Q4_0 ? "4-bit (Q4_0's values, nibbles in the tiles)"
      : kind == WeightKind::Q4_K
          ? "4-bit (random Q4_K super-blocks, nibbles in the tiles)"
      : kind == WeightKind::Q6_K
          ? "6-bit (Q6_K's, nibble and high-bit rows in the tiles)"
          : "8-bit (Q8_0)",
      warm ? "warm (not flushed: the weights stay in cache between "
             "runs)"
           : "flushed before every run (the weights come from DRAM)");
  std::printf("| bound | threads | figure |\n|---|---:|---:|\n");
  for (const Bound &b : bounds) {
    std::printf("| DRAM read, %s | %lld | %.1f GB/s |\n",
                sizeLabel(dramBytes).c_str(), (long long)b.threads, b.dram / 1e9);
    for (const qnt::bench::DotPeak &p : b.peaks)
      std::printf("| int8 dot, %s | %lld | %.0f GOPS |\n", p.instruction.c_str(),
                  (long long)b.threads, p.opsPerSecond / 1e9);
  }
  const qnt::bench::DotPeak *peak =
      bounds.empty() ? nullptr : peakOf(bounds[0].peaks, *target, bits);
  std::printf("\nint8 peak of these kernels' dot: %s\n",
              peak ? peak->instruction.c_str() : "none (generic code)");
  std::printf(
      "\n| out x in | tokens | threads | prefetch | lead | records | streams | "
      "ms (median) | min "
      "| max | GOPS | weights GB/s | %% of DRAM read | %% of int8 peak |\n"
      "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
      "\n");
  for (const KernelRow &r : rows) {
    // 0 asks for the format's default; streams apply to one row only.
    std::string streams = !r.singleRow ? "1"
                          : r.variant.streams == 0
                              ? "auto"
                              : std::to_string(r.variant.streams);
    std::printf(
        "| %lldx%lld | %lld | %lld | %lld | %lld | %s | %s | %.3f | %.3f | "
        "%.3f | %.1f | %.1f | %.0f%% | %.0f%% |\n",
        (long long)r.shape.out, (long long)r.shape.in, (long long)r.tokens,
        (long long)r.threads, (long long)r.variant.prefetchBytes,
        (long long)leadOf(r), r.variant.records ? "yes" : "no", streams.c_str(),
        r.seconds.median * 1e3, r.seconds.min * 1e3, r.seconds.max * 1e3,
        r.gops, r.gbps, 100 * r.dramShare, 100 * r.peakShare);
  }
  return 0;
}

//===----------------------------------------------------------------------===//
// Decode attention (--attention)
//===----------------------------------------------------------------------===//

/// A decode attention's heads: H query heads, KV cache heads of D values.
struct AttentionShape {
  int64_t heads = 0, kvHeads = 0, headDim = 0;
};

/// "HxKVxD".
bool parseAttentionShape(const std::string &text, AttentionShape &s) {
  llvm::SmallVector<llvm::StringRef> items;
  llvm::StringRef(text).split(items, 'x');
  return items.size() == 3 &&
         qnt::tools::parseInteger(items[0].str(), 1, 4096, s.heads) &&
         qnt::tools::parseInteger(items[1].str(), 1, 4096, s.kvHeads) &&
         qnt::tools::parseInteger(items[2].str(), 1, 4096, s.headDim);
}

using AttentionFn = void (*)(qnt_memref_2d *, qnt_memref_3d *, qnt_memref_3d *,
                             int64_t, qnt_memref_2d *);
using AttentionQ8Fn = void (*)(qnt_memref_2d *, qnt_memref_3d *,
                               qnt_memref_3d *, qnt_memref_3d *,
                               qnt_memref_3d *, int64_t, qnt_memref_2d *);

/// Pages of the runtime's (2 MiB where large, as a model's KV cache).
struct Pages {
  explicit Pages(size_t bytes)
      : data(static_cast<uint8_t *>(qnt_rt_alloc_pages(bytes))), bytes(bytes) {}
  ~Pages() { qnt_rt_free_pages(data, bytes); }
  Pages(const Pages &) = delete;
  Pages &operator=(const Pages &) = delete;
  uint8_t *data;
  size_t bytes;
};

int benchAttention(const AttentionShape &a,
                   const std::vector<int64_t> &positions,
                   const std::string &cache,
                   const std::vector<int64_t> &threads, int64_t repetitions,
                   int64_t dramBytes, bool json, const std::string &cpu,
                   bool warm) {
  if (a.heads % a.kvHeads != 0)
    return fail(llvm::formatv("--attention {0}x{1}x{2}: the heads are not a "
                              "multiple of the KV heads",
                              a.heads, a.kvHeads, a.headDim)
                    .str());
  if (cache == "q8_0" && a.headDim % 32 != 0)
    return fail(llvm::formatv("--attention {0}x{1}x{2}: a q8_0 cache needs a "
                              "head size that is a multiple of 32",
                              a.heads, a.kvHeads, a.headDim)
                    .str());
  std::string error;
  mlir::FailureOr<qnt::Target> target = runnableTarget(cpu, error);
  if (failed(target))
    return fail(error);

  // One kernel for every position: the cache holds the last one's rows.
  int64_t rows = *std::max_element(positions.begin(), positions.end()) + 1;
  mlir::DialectRegistry registry;
  qnt::registerCompilerDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  mlir::OwningOpRef<mlir::ModuleOp> module = qnt::attentionModule(
      &context, a.heads, a.kvHeads, a.headDim, rows, cache);
  qnt::QuantOptions quant;
  if (failed(qnt::quantize(*module, quant, *target)) ||
      failed(qnt::lowerToLLVM(*module, qnt::loweringOptions())))
    return fail("the pipeline failed on this attention");
  std::unique_ptr<qnt::Jit> jit = qnt::Jit::create(*module, *target, error);
  void *fn = jit ? jit->lookup("_mlir_ciface_attention", error) : nullptr;
  if (!fn)
    return fail(error);

  // The caches, [KV, rows, D] each, and a q8_0 cache's scales [KV, rows,
  // D / 32]: random values of a model's magnitudes.
  bool q8 = cache == "q8_0";
  int64_t element = q8 ? 1 : cache == "f16" ? 2 : 4;
  int64_t values = a.kvHeads * rows * a.headDim;
  int64_t scaleCount = q8 ? values / 32 : 0;
  Pages keys(size_t(values * element)), vals(size_t(values * element));
  Pages keyScales(size_t(std::max<int64_t>(1, scaleCount) * 2)),
      valueScales(size_t(std::max<int64_t>(1, scaleCount) * 2));
  AlignedFloats query(size_t(a.heads * a.headDim)),
      out(size_t(a.heads * a.headDim));
  if (!keys.data || !vals.data || !keyScales.data || !valueScales.data ||
      !query.data() || !out.data())
    return fail("out of memory for the KV cache");
  std::mt19937 rng{uint32_t(rows)};
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (Pages *p : {&keys, &vals})
    for (int64_t i = 0; i < values; ++i) {
      float x = dist(rng);
      if (q8)
        p->data[i] =
            uint8_t(int8_t(std::lround(std::clamp(x * 40, -127.f, 127.f))));
      else if (element == 2) {
        uint16_t h = qnt::math::floatToFp16(x);
        std::memcpy(p->data + 2 * i, &h, 2);
      } else {
        std::memcpy(p->data + 4 * i, &x, 4);
      }
    }
  uint16_t scale = qnt::math::floatToFp16(1.0f / 40);
  for (Pages *p : {&keyScales, &valueScales})
    for (int64_t i = 0; i < scaleCount; ++i)
      std::memcpy(p->data + 2 * i, &scale, 2);
  for (float &x : query)
    x = dist(rng);
  auto view3 = [](void *data, int64_t x, int64_t y, int64_t z) {
    return qnt_memref_3d{data, data, 0, {x, y, z}, {y * z, z, 1}};
  };

  std::vector<double> dram = qnt::bench::readBandwidth(threads, dramBytes);
  std::vector<uint8_t> flush(warm ? 0 : size_t(dramBytes / 4), 1);
  struct Row {
    int64_t position, threads;
    Stats seconds;
    double bytes, gbps, dramShare;
  };
  std::vector<Row> results;
  for (size_t b = 0; b < threads.size(); ++b) {
    qnt_rt_set_num_threads(int(threads[b]));
    for (int64_t position : positions) {
      std::vector<double> samples;
      for (int64_t r = 0; r <= repetitions; ++r) {
        if (!warm)
          flushCaches(flush);
        qnt_memref_2d q =
            qnt_memref_2d_of(query.data(), 1, a.heads * a.headDim);
        qnt_memref_2d o = qnt_memref_2d_of(out.data(), 1, a.heads * a.headDim);
        qnt_memref_3d k = view3(keys.data, a.kvHeads, rows, a.headDim);
        qnt_memref_3d v = view3(vals.data, a.kvHeads, rows, a.headDim);
        qnt_memref_3d ks =
            view3(keyScales.data, a.kvHeads, rows, a.headDim / 32);
        qnt_memref_3d vs =
            view3(valueScales.data, a.kvHeads, rows, a.headDim / 32);
        double t0 = now();
        if (q8)
          reinterpret_cast<AttentionQ8Fn>(fn)(&q, &k, &v, &ks, &vs, position,
                                              &o);
        else
          reinterpret_cast<AttentionFn>(fn)(&q, &k, &v, position, &o);
        double t = now() - t0;
        if (r > 0)
          samples.push_back(t);
      }
      Row row;
      row.position = position;
      row.threads = threads[b];
      row.seconds = stats(samples);
      // Rows 0 .. position of every KV head's keys and values (and scales).
      row.bytes = 2.0 * double(a.kvHeads) * double(position + 1) *
                  double(a.headDim * element + (q8 ? a.headDim / 32 * 2 : 0));
      row.gbps = row.bytes / row.seconds.median / 1e9;
      row.dramShare = row.gbps * 1e9 / dram[b];
      results.push_back(row);
    }
  }

  std::string what =
      llvm::formatv("{0} heads, {1} KV heads of {2}, {3} cache (head-major), "
                    "one query row",
                    a.heads, a.kvHeads, a.headDim, cache)
          .str();
  if (json) {
    std::printf("{\n  \"target\": %s,\n  \"attention\": %s,\n"
                "  \"caches\": \"%s\",\n  \"bounds\": [",
                jsonString(target->describe()).c_str(),
                jsonString(what).c_str(), warm ? "warm" : "flushed");
    for (size_t b = 0; b < threads.size(); ++b)
      std::printf("%s{\"threads\": %lld, \"dram_read_gb_per_s\": %.2f}",
                  b ? ", " : "", (long long)threads[b], dram[b] / 1e9);
    std::printf("],\n  \"calls\": [\n");
    for (size_t i = 0; i < results.size(); ++i) {
      const Row &r = results[i];
      std::printf("    {\"position\": %lld, \"threads\": %lld, "
                  "\"kv_bytes\": %.0f, \"us_median\": %.2f, "
                  "\"us_min\": %.2f, \"us_max\": %.2f, "
                  "\"kv_gb_per_s\": %.2f, \"dram_share\": %.4f}%s\n",
                  (long long)r.position, (long long)r.threads, r.bytes,
                  r.seconds.median * 1e6, r.seconds.min * 1e6,
                  r.seconds.max * 1e6, r.gbps, r.dramShare,
                  i + 1 < results.size() ? "," : "");
    }
    std::printf("  ]\n}\n");
    return 0;
  }
  std::printf("target: %s\nattention: %s\ncaches: %s\n\n",
              target->describe().c_str(), what.c_str(),
              warm ? "warm (not flushed: the KV cache stays in cache between "
                     "runs)"
                   : "flushed before every run (the KV cache comes from DRAM)");
  std::printf("| bound | threads | figure |\n|---|---:|---:|\n");
  for (size_t b = 0; b < threads.size(); ++b)
    std::printf("| DRAM read, %s | %lld | %.1f GB/s |\n",
                sizeLabel(dramBytes).c_str(), (long long)threads[b],
                dram[b] / 1e9);
  std::printf("\n| position | threads | KV cache read | us (median) | min | "
              "max | KV GB/s | %% of DRAM read |\n"
              "|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const Row &r : results)
    std::printf("| %lld | %lld | %.3f MB | %.1f | %.1f | %.1f | %.1f | %.0f%% "
                "|\n",
                (long long)r.position, (long long)r.threads, r.bytes / 1e6,
                r.seconds.median * 1e6, r.seconds.min * 1e6,
                r.seconds.max * 1e6, r.gbps, 100 * r.dramShare);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  std::string peer, cpu = "host", output = "md";
  std::vector<std::string> models;
  int64_t prompt = 512, gen = 128, repetitions = 5, batch = QNT_DEFAULT_BATCH;
  int64_t depth = -1; // decode after the prompt
  std::vector<int64_t> threads = {qnt_rt_num_threads()};
  std::vector<int64_t> tokenCounts = {1, 8, 64, 512};
  std::vector<int64_t> prefetches = {qnt::kLoweringDefaults.prefetchBytes};
  std::vector<int64_t> records = {qnt::kQuantizeDefaults.weightRecords ? 1 : 0};
  std::vector<int64_t> streams = {qnt::kLoweringDefaults.gemvStreams};
  std::vector<int64_t> leads = {qnt::kLoweringDefaults.leadPrefetchBytes};
  std::vector<Shape> shapes = {{4096, 14336}, {14336, 4096}, {2048, 5632}};
  bool kernels = false, warm = false, alternate = false, verbose = false;
  std::optional<AttentionShape> attention;
  std::vector<int64_t> positions = {512, 4096};
  std::string kvCache = "f16";
  WeightKind kind = WeightKind::Q8_0;
  int64_t dramMib = 1024;
  const std::string usage =
      llvm::formatv(kUsageFormat, qnt::defaultPrefetchBytes(false),
                    qnt::defaultPrefetchBytes(true),
                    qnt::defaultLeadPrefetchBytes(false))
          .str();
  qnt::tools::ArgParser args("quant-bench", usage.c_str());
  args.texts("-m, --model", models);
  args.integer("-p, --prompt", prompt, 0, INT32_MAX);
  args.integer("-b, --batch", batch, 0, INT32_MAX);
  args.integer("-n, --gen", gen, 0, INT32_MAX);
  args.integer("-d, --depth", depth, 0, INT32_MAX);
  args.integer("-r, --repetitions", repetitions, 1, 1000000);
  args.integer("--dram-mib", dramMib, 16, int64_t(1) << 20);
  args.integers("-t, --threads", threads, 1, 4096);
  args.integers("--tokens", tokenCounts, 1, INT32_MAX);
  args.custom(
      "--weight-prefetch",
      "auto or bytes from 0 to 16777216, separated by commas",
      [&](const std::string &v) { return parsePrefetches(v, prefetches); });
  args.integers("--weight-records", records, 0, 1);
  args.integers("--weight-streams", streams, 0, qnt::kMaxGemvStreams);
  args.custom("--weight-prefetch-lead",
              "auto or bytes from 0 to 16777216, separated by commas",
              [&](const std::string &v) { return parsePrefetches(v, leads); });
  args.custom("--shapes", "OUTxIN shapes (e.g. 4096x14336,2048x5632)",
              [&](const std::string &v) { return parseShapes(v, shapes); });
  args.text("--mcpu", cpu);
  args.custom("--weight-bits", "8, 6, 4 or 4k", [&](const std::string &v) {
    if (v == "8" || v == "6" || v == "4" || v == "4k") {
      kind = v == "8"   ? WeightKind::Q8_0
             : v == "6" ? WeightKind::Q6_K
             : v == "4" ? WeightKind::Q4_0
                        : WeightKind::Q4_K;
      return true;
    }
    return false;
  });
  args.text("--peer", peer);
  args.choice("-o, --output", output, {"md", "json"});
  args.flag("--kernels", kernels);
  args.flag("--alternate", alternate);
  args.flag("-v, --verbose", verbose);
  args.flag("--warm", warm);
  args.custom("--attention", "HxKVxD (e.g. 32x8x64)",
              [&](const std::string &v) {
                AttentionShape a;
                if (!parseAttentionShape(v, a))
                  return false;
                attention = a;
                return true;
              });
  args.integers("--positions", positions, 0, 1 << 20);
  args.choice("--kv-cache", kvCache, {"f16", "q8_0", "f32"});
  if (std::optional<int> exit = args.parse(argc, argv))
    return *exit;
  if (int(kernels) + int(attention.has_value()) + int(!models.empty()) != 1)
    return args.usageError(
        "give one of a model (-m MODEL.so), --kernels or --attention");
  // Each mode's options, refused in the others rather than ignored.
  for (const char *name : {"--prompt", "--batch", "--gen", "--depth", "--peer",
                           "--alternate", "--verbose"})
    if (models.empty() && args.seen(name))
      return args.usageError(std::string(name) + " is for models" +
                             (kernels ? " (--kernels takes --tokens)"
                                      : " (--attention takes --positions)"));
  for (const char *name :
       {"--tokens", "--shapes", "--weight-bits", "--weight-prefetch",
        "--weight-records", "--weight-streams", "--weight-prefetch-lead"})
    if (!kernels && args.seen(name))
      return args.usageError(std::string(name) + " is for --kernels");
  for (const char *name : {"--positions", "--kv-cache"})
    if (!attention && args.seen(name))
      return args.usageError(std::string(name) + " is for --attention");
  for (const char *name : {"--mcpu", "--warm"})
    if (!models.empty() && args.seen(name))
      return args.usageError(std::string(name) +
                             " is for --kernels and --attention");
  if (attention)
    return benchAttention(*attention, positions, kvCache, threads, repetitions,
                          dramMib << 20, output == "json", cpu, warm);
  if (!kernels && prompt == 0 && gen == 0)
    return args.usageError("-p 0 and -n 0: nothing to measure");
  if (kernels) {
    std::vector<KernelVariant> variants;
    // auto as the distance the format's kernels get (the tables show it).
    bool superBlocks = kind == WeightKind::Q4_K || kind == WeightKind::Q6_K;
    for (int64_t r : records)
      for (int64_t p : prefetches)
        for (int64_t st : streams)
          for (int64_t lead : leads)
            variants.push_back({p == qnt::kPrefetchByFormat
                                    ? qnt::defaultPrefetchBytes(superBlocks)
                                    : p,
                                r != 0, st,
                                lead == qnt::kPrefetchByFormat
                                    ? qnt::defaultLeadPrefetchBytes(superBlocks)
                                    : lead});
    return benchKernels(shapes, tokenCounts, threads, repetitions,
                        dramMib << 20, output == "json", cpu, kind, variants,
                        warm);
  }
  if (alternate && models.size() < 2)
    return args.usageError("--alternate takes two models or more (-m A -m B)");
  return benchModels(models, prompt, batch, gen, depth, threads, repetitions,
                     dramMib << 20, output == "json", peer, alternate, verbose);
}

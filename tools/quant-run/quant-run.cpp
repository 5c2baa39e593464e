//===- quant-run.cpp - Runs a compiled model ------------------------------===//
//
//   quant-run model.so -p "Once upon a time" -n 64
//   quant-run model.so -p "Once upon a time" --check model.gguf
//
// Loads model.so (with model.weights and model.meta beside it), encodes the
// prompt, runs it in one prefill call, then decodes token by token; prints
// the text, and the tokens/s of prefill and decode separately. --check runs
// the float reference on the same tokens and compares the logits at every
// position: top-1 agreement, mean KL divergence, largest logit difference.
//
// No LLVM here: the runtime, the GGUF reader and the reference only.
//
//===----------------------------------------------------------------------===//

#include "qnt/GGUF/GGUF.h"
#include "qnt/Reference/Llama.h"
#include "qnt/model.h"

#include "Chat.h"
#include "tools/common/ArgParser.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

// clang-format off
const char *kUsage =
    "usage: quant-run MODEL.so [options]    (or -m MODEL.so)\n"
    "Runs a model compiled by quant-compile (MODEL.weights and MODEL.meta "
    "beside it).\n\n"
    "  -p, --prompt TEXT    the prompt (default: none, generation starts at BOS)\n"
    "  -n, --tokens N       tokens to generate (default 64; stops at EOS or\n"
    "                       the end-of-turn token)\n"
    "  -i, --chat           chat: one user message a line on stdin (an empty\n"
    "                       line or EOF ends), replies streamed, the KV cache\n"
    "                       kept between turns; -n caps each reply\n"
    "  --chat-template NAME llama3 or chatml (default: from the model's\n"
    "                       tokenizer.chat_template)\n"
    "  --system TEXT        with --chat: the system message\n"
    "  --temp T             sampling temperature, 0 for greedy (default 0)\n"
    "  --top-k K            sample from the K most probable tokens (default 40)\n"
    "  --top-p P            and from the smallest set of mass P (default 0.95)\n"
    "  -s, --seed S         random seed (default 1)\n"
    "  -t, --threads N      threads (default: QNT_NUM_THREADS or all CPUs)\n"
    "  -b, --batch N        prefill at most N tokens a call, so memory does not\n"
    "                       grow with the prompt; 0: one call (default 512)\n"
    "  --check MODEL.gguf   compare every position's logits with the float\n"
    "                       reference forward pass of MODEL.gguf\n"
    "  --max-kl X           with --check: fail if the mean KL exceeds X\n"
    "  --min-top1 F         with --check: fail if top-1 agreement is below F\n"
    "  --max-kl-ratio R     with --check: fail if the mean KL against float\n"
    "                       exceeds R times that of the quantized reference\n"
    "                       (the same quantization in scalar code)\n"
    "  --tokens-out         print the token ids too\n"
    "  --list-weights       list the tensors of the model's weights file (its\n"
    "                       index: offset, bytes, type, shape, name) and stop;\n"
    "                       MODEL may be a .weights file alone\n"
    "  --tokenize           print the prompt's token ids (and the text they\n"
    "                       decode to) and stop: no model run\n"
    "  --tokenize-file FILE as --tokenize, for each text of FILE (texts\n"
    "                       separated by NUL bytes, as find -print0 writes;\n"
    "                       - for stdin), each printed followed by a NUL\n"
    "  --logits-out FILE    write the f32 logits of every prompt position\n"
    "                       ([positions, vocab], row-major; with -n 0 nothing\n"
    "                       is generated)\n"
    "  --perplexity FILE    perplexity of a text, in chunks of --chunk tokens\n"
    "                       (the second half of each scored, as llama-perplexity)\n"
    "  --chunk N            tokens per chunk (default: the context)\n"
    "  --kl-base MODEL.gguf with --perplexity: KL divergence from the float\n"
    "                       reference of MODEL.gguf (mean, 99th percentile),\n"
    "                       top-1 agreement and the ratio of perplexities\n"
    "  --profile            where the time goes, op by op (a model compiled\n"
    "                       with quant-compile --profile)\n"
    "  --thread-stats       how decode's parallel loops used the threads: loops\n"
    "                       a token, the calling thread's time between them and\n"
    "                       its wait at their ends, the workers' idle share\n"
    "  -q, --quiet          print the text only\n"
    "  -h, --help           this text\n";
// clang-format on

double seconds(std::chrono::steady_clock::time_point a,
               std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

struct CheckResult {
  int64_t positions = 0, agree = 0;
  double meanKl = 0, maxDiff = 0;
  std::vector<double> kl; ///< per position
};

/// Logits of a reference model over `tokens`, row by row.
std::vector<float> referenceLogits(qnt::reference::Llama &ref,
                                   const std::vector<int32_t> &tokens,
                                   int64_t vocab) {
  std::vector<float> logits(tokens.size() * vocab);
  for (size_t p = 0; p < tokens.size(); ++p)
    ref.forward(tokens[p], int64_t(p), &logits[p * vocab]);
  return logits;
}

/// Compares two sets of logits row by row: `got` against `expected`.
CheckResult compare(const std::vector<float> &expectedAll,
                    const std::vector<float> &gotAll, int64_t vocab) {
  CheckResult r;
  for (size_t row = 0; row < expectedAll.size() / vocab; ++row) {
    const float *expected = &expectedAll[row * vocab];
    const float *got = &gotAll[row * vocab];
    auto argmax = [&](const float *v) {
      return std::max_element(v, v + vocab) - v;
    };
    r.agree += argmax(expected) == argmax(got);
    // KL(expected || got) of the softmaxes, in double.
    double me = *std::max_element(expected, expected + vocab);
    double mg = *std::max_element(got, got + vocab);
    double se = 0, sg = 0;
    for (int64_t i = 0; i < vocab; ++i) {
      se += std::exp(expected[i] - me);
      sg += std::exp(got[i] - mg);
      r.maxDiff = std::max(r.maxDiff, double(std::fabs(expected[i] - got[i])));
    }
    double kl = 0;
    for (int64_t i = 0; i < vocab; ++i) {
      double lp = expected[i] - me - std::log(se);
      double lq = got[i] - mg - std::log(sg);
      kl += std::exp(lp) * (lp - lq);
    }
    r.kl.push_back(std::max(kl, 0.0));
    r.meanKl += r.kl.back();
    ++r.positions;
  }
  if (r.positions)
    r.meanKl /= double(r.positions);
  return r;
}

void printCheck(const char *what, const CheckResult &r) {
  std::printf("%s: %lld positions, top-1 agreement %.1f%% (%lld/%lld), mean KL "
              "%.3g, max |logit diff| %.4f\n",
              what, (long long)r.positions, 100.0 * r.agree / r.positions,
              (long long)r.agree, (long long)r.positions, r.meanKl, r.maxDiff);
}

/// --check: the compiled logits against the float reference, and, for the
/// default quantization, against the same quantization in scalar code.
int check(const std::string &path, const qnt_meta_header &c,
          const std::vector<int32_t> &sequence, const std::vector<float> &all,
          double maxKl, double minTop1, double maxKlRatio) {
  std::string why;
  auto file = qnt::gguf::File::open(path, why);
  std::unique_ptr<qnt::reference::Llama> ref;
  if (file)
    ref = qnt::reference::Llama::load(*file, c.context, false, why);
  if (!ref) {
    std::fprintf(stderr, "quant-run: error: --check: %s\n", why.c_str());
    return 1;
  }
  if (ref->config().vocab != c.vocab || ref->config().dim != c.dim ||
      ref->config().blocks != c.blocks) {
    std::fprintf(stderr, "quant-run: error: --check: %s is not the model that "
                         "was compiled\n", path.c_str());
    return 1;
  }
  int64_t vocab = c.vocab;
  size_t rows = all.size() / vocab;
  std::vector<int32_t> tokens(sequence.begin(), sequence.begin() + rows);
  std::vector<float> floats = referenceLogits(*ref, tokens, vocab);
  CheckResult againstFloat = compare(floats, all, vocab);
  printCheck("check against the float reference", againstFloat);

  int status = 0;
  if (c.quantization == QNT_QUANT_DEFAULT ||
      c.quantization == QNT_QUANT_DEFAULT_SUPER_ACT) {
    auto quant = qnt::reference::Llama::load(*file, c.context, true, why);
    if (!quant) {
      std::fprintf(stderr, "quant-run: error: --check: %s\n", why.c_str());
      return 1;
    }
    // K-quants' activations scaled per super-block, as the AVX2 code does.
    quant->setSuperBlockActivations(c.quantization ==
                                    QNT_QUANT_DEFAULT_SUPER_ACT);
    // The same cache as the model's: keys and values kept, rounded to f16
    // or quantized to q8_0 as they are written.
    quant->setCache(c.kv_cache == QNT_KV_CACHE_F16    ? qnt::reference::Llama::Cache::F16
                    : c.kv_cache == QNT_KV_CACHE_Q8_0 ? qnt::reference::Llama::Cache::Q8_0
                                                      : qnt::reference::Llama::Cache::F32);
    std::vector<float> quantized = referenceLogits(*quant, tokens, vocab);
    CheckResult quantError = compare(floats, quantized, vocab);
    printCheck("  the quantized reference against float (quantization error)",
               quantError);
    printCheck("  compiled against the quantized reference",
               compare(quantized, all, vocab));
    if (maxKlRatio >= 0 && againstFloat.meanKl > maxKlRatio * quantError.meanKl + 1e-9) {
      std::printf("check FAILED: mean KL %.3g > %g x %.3g (the quantization's own)\n",
                  againstFloat.meanKl, maxKlRatio, quantError.meanKl);
      status = 1;
    }
  } else if (maxKlRatio >= 0) {
    std::printf("check: --max-kl-ratio needs the default quantization "
                "(this model was compiled %s)\n",
                c.quantization == QNT_QUANT_FLOAT ? "in float" : "with other options");
    status = 1;
  }
  if (maxKl >= 0 && againstFloat.meanKl > maxKl) {
    std::printf("check FAILED: mean KL %.3g > %g\n", againstFloat.meanKl, maxKl);
    status = 1;
  }
  if (minTop1 >= 0 && double(againstFloat.agree) / againstFloat.positions < minTop1) {
    std::printf("check FAILED: top-1 agreement %.4f < %g\n",
                double(againstFloat.agree) / againstFloat.positions, minTop1);
    status = 1;
  }
  return status;
}

/// -log softmax(row)[target], in double.
double negativeLogLikelihood(const float *row, int64_t vocab, int32_t target) {
  double m = *std::max_element(row, row + vocab), s = 0;
  for (int64_t i = 0; i < vocab; ++i)
    s += std::exp(double(row[i]) - m);
  return std::log(s) + m - double(row[target]);
}

/// Writes a token's bytes (a byte-level token may hold part of a UTF-8
/// character, or a NUL byte: written as they are, the stream is the text).
void printToken(const qnt_vocab &vocab, int32_t previous, int32_t id) {
  char piece[512];
  int64_t n = qnt_detokenize(&vocab, previous, id, piece, sizeof piece);
  std::fwrite(piece, 1, size_t(n), stdout);
}

/// The bytes of a file, or of stdin for "-"; false after an error message.
bool readText(const std::string &path, std::string &text) {
  std::FILE *f = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
  if (!f) {
    std::fprintf(stderr, "quant-run: error: cannot read %s\n", path.c_str());
    return false;
  }
  char buffer[65536];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, f)) > 0;)
    text.append(buffer, n);
  if (f != stdin)
    std::fclose(f);
  return true;
}

/// --tokenize: the text the ids of `text` decode to (after the BOS the
/// tokenizer adds, control tokens as written), then a line of the ids.
/// False (with the reason) when the text is not valid UTF-8.
bool printTokenization(const qnt_vocab &vocab, const std::string &text,
                       std::string &error) {
  std::vector<int32_t> ids(text.size() + 8);
  int64_t count = qnt_tokenize(&vocab, text.c_str(), vocab.add_bos, ids.data(),
                               int64_t(ids.size()));
  if (count < 0) {
    error = count == -2 ? "is not valid UTF-8" : "cannot be tokenized";
    return false;
  }
  ids.resize(size_t(count));
  for (size_t i = vocab.add_bos ? 1 : 0; i < ids.size(); ++i) {
    int32_t id = ids[i];
    if (vocab.types[id] == 3)
      std::fwrite(vocab.pieces[id], 1, vocab.lengths[id], stdout);
    else
      printToken(vocab, i > 0 ? ids[i - 1] : -1, id);
  }
  std::fputs("\ntokens:", stdout);
  for (int32_t id : ids)
    std::printf(" %d", id);
  std::fputs("\n", stdout);
  return true;
}

/// --tokenize-file: every NUL-separated text of the file (or stdin for
/// "-"), each printed as --tokenize prints one and followed by a NUL, so a
/// script tokenizes many texts with one load of the vocabulary.
int tokenizeFile(const qnt_vocab &vocab, const std::string &path) {
  std::string all;
  if (!readText(path, all))
    return 1;
  // A trailing NUL ends the last text rather than starting an empty one.
  if (!all.empty() && all.back() == '\0')
    all.pop_back();
  size_t start = 0;
  for (int64_t index = 0;; ++index) {
    size_t end = all.find('\0', start);
    std::string text = all.substr(start, end == std::string::npos ? end : end - start);
    std::string error;
    if (!printTokenization(vocab, text, error)) {
      std::fflush(stdout);
      std::fprintf(stderr, "quant-run: error: text %lld of %s %s\n",
                   (long long)index, path.c_str(), error.c_str());
      return 1;
    }
    std::fputc('\0', stdout);
    if (end == std::string::npos)
      return 0;
    start = end + 1;
  }
}

/// --perplexity: the text's tokens in chunks of `chunk`, each run from
/// position 0 with BOS first (as llama-perplexity does); the tokens of the
/// second half of each chunk are scored by the logits before them. With a
/// base model, the float reference runs the same chunks and the two
/// distributions are compared at every scored position.
int perplexity(qnt_model &model, const std::string &textPath, int64_t chunk,
               const std::string &basePath) {
  const qnt_meta_header &c = model.config;
  int64_t vocab = c.vocab;
  std::string text;
  if (!readText(textPath, text))
    return 1;
  std::vector<int32_t> ids(text.size() + 8);
  // BOS first where the model adds one (llama-perplexity's rule).
  bool bos = model.vocab.add_bos && model.vocab.bos >= 0;
  int64_t count = qnt_tokenize(&model.vocab, text.c_str(), bos, ids.data(),
                               int64_t(ids.size()));
  if (count == -2) {
    std::fprintf(stderr, "quant-run: error: %s is not valid UTF-8\n",
                 textPath.c_str());
    return 1;
  }
  if (chunk == 0)
    chunk = c.context;
  if (chunk < 4 || chunk > c.context) {
    std::fprintf(stderr, "quant-run: error: --chunk %lld: a chunk is 4 to %lld "
                         "tokens (the context)\n",
                 (long long)chunk, (long long)c.context);
    return 1;
  }
  int64_t chunks = count < 0 ? 0 : count / chunk;
  if (chunks == 0) {
    std::fprintf(stderr, "quant-run: error: %s has %lld tokens, fewer than one "
                         "chunk of %lld\n",
                 textPath.c_str(), (long long)std::max<int64_t>(count, 0),
                 (long long)chunk);
    return 1;
  }

  std::unique_ptr<qnt::gguf::File> baseFile;
  std::unique_ptr<qnt::reference::Llama> base;
  if (!basePath.empty()) {
    std::string why;
    baseFile = qnt::gguf::File::open(basePath, why);
    if (baseFile)
      base = qnt::reference::Llama::load(*baseFile, c.context, false, why);
    if (!base || base->config().vocab != vocab || base->config().dim != c.dim) {
      std::fprintf(stderr, "quant-run: error: --kl-base: %s\n",
                   base ? (basePath + " is not the model that was compiled").c_str()
                        : why.c_str());
      return 1;
    }
  }

  int64_t first = chunk / 2, scored = 0, agree = 0;
  double nll = 0, nll2 = 0, baseNll = 0;
  std::vector<double> kls;
  std::vector<float> logits(size_t(chunk) * vocab);
  char error[512];
  auto t0 = std::chrono::steady_clock::now();
  std::printf("perplexity of %s: %lld tokens, %lld chunks of %lld, scoring the "
              "last %lld of each\n",
              textPath.c_str(), (long long)count, (long long)chunks,
              (long long)chunk, (long long)(chunk - 1 - first));
  for (int64_t k = 0; k < chunks; ++k) {
    std::vector<int32_t> tokens(ids.begin() + k * chunk,
                                ids.begin() + (k + 1) * chunk);
    if (bos)
      tokens[0] = model.vocab.bos;
    if (qnt_model_run(&model, tokens.data(), chunk, 0, logits.data(), error,
                      sizeof error) != 0) {
      std::fprintf(stderr, "quant-run: error: %s\n", error);
      return 1;
    }
    std::vector<float> expected;
    if (base) {
      expected = referenceLogits(*base, tokens, vocab);
      // Positions first .. chunk - 2 of both, compared.
      std::vector<float> e(expected.begin() + first * vocab,
                           expected.begin() + (chunk - 1) * vocab);
      std::vector<float> g(logits.begin() + first * vocab,
                           logits.begin() + (chunk - 1) * vocab);
      CheckResult r = compare(e, g, vocab);
      agree += r.agree;
      kls.insert(kls.end(), r.kl.begin(), r.kl.end());
    }
    for (int64_t i = first; i < chunk - 1; ++i) {
      double x = negativeLogLikelihood(&logits[i * vocab], vocab, tokens[i + 1]);
      nll += x;
      nll2 += x * x;
      if (base)
        baseNll += negativeLogLikelihood(&expected[i * vocab], vocab, tokens[i + 1]);
      ++scored;
    }
    std::printf("[%lld]%.4f%s", (long long)(k + 1), std::exp(nll / scored),
                k + 1 < chunks ? "," : "\n");
    std::fflush(stdout);
  }
  double mean = nll / scored;
  // The standard error of exp(mean NLL), by the delta method.
  double var = std::max(nll2 / scored - mean * mean, 0.0);
  double ppl = std::exp(mean), err = ppl * std::sqrt(var / double(scored));
  std::printf("Final estimate: PPL = %.4f +/- %.4f over %lld tokens (%.1f s)\n",
              ppl, err, (long long)scored,
              seconds(t0, std::chrono::steady_clock::now()));
  if (base) {
    std::vector<double> sorted = kls;
    std::sort(sorted.begin(), sorted.end());
    double meanKl = 0;
    for (double x : kls)
      meanKl += x;
    meanKl /= double(kls.size());
    double p99 = sorted[std::min(sorted.size() - 1,
                                 size_t(0.99 * double(sorted.size() - 1) + 0.5))];
    double basePpl = std::exp(baseNll / scored);
    std::printf("against the float reference of %s: PPL(base) = %.4f, "
                "PPL ratio = %.4f\n",
                basePath.c_str(), basePpl, ppl / basePpl);
    std::printf("KL divergence: mean %.6g, 99th percentile %.6g; top-1 "
                "agreement %.2f%% (%lld/%lld)\n",
                meanKl, p99, 100.0 * agree / scored, (long long)agree,
                (long long)scored);
  }
  return 0;
}

/// How decode's parallel loops used the threads (--thread-stats): `stats`
/// counted over `steps` decode calls that took `seconds` in all.
void printThreadStats(const qnt_rt_thread_stats &s, int64_t steps,
                      double seconds) {
  if (steps == 0 || seconds <= 0) {
    std::fprintf(stderr, "threads in decode: no decode step ran\n");
    return;
  }
  double loops = double(s.loops);
  std::fprintf(stderr,
               "threads in decode: %d (the calling thread and %d worker%s), "
               "%lld parallel loops (%.1f a token, %.1f us each) and %lld run "
               "by one thread\n",
               s.workers + 1, s.workers, s.workers == 1 ? "" : "s",
               (long long)s.loops, loops / double(steps),
               s.loops ? s.loop_seconds / loops * 1e6 : 0.0,
               (long long)s.serial_loops);
  std::fprintf(
      stderr,
      "  calling thread: %.1f%% of decode in the loops (%.1f%% waiting "
      "for the workers at their ends), %.1f%% between them\n",
      100 * s.loop_seconds / seconds, 100 * s.wait_seconds / seconds,
      100 * (seconds - s.loop_seconds) / seconds);
  if (s.workers > 0 && s.loop_seconds > 0)
    std::fprintf(stderr,
                 "  workers: running chunks %.1f%% of the loops' time, idle "
                 "%.1f%% (and idle while the calling thread is between "
                 "loops)\n",
                 100 * s.worker_seconds / (s.workers * s.loop_seconds),
                 100 - 100 * s.worker_seconds / (s.workers * s.loop_seconds));
}

/// The time of each profiled op, summed over the layers by role (attn_q of
/// every block together) and op, for each entry point: forward (prefill) and
/// decode. `names` is the model's qnt_profile_names table.
void printProfile(const char *names) {
  struct Row {
    std::string role, op;
    int64_t calls = 0;
    double seconds = 0;
  };
  std::vector<std::string> functions;
  std::vector<std::vector<Row>> rows;
  int64_t id = 0;
  for (const char *name = names; *name; name += std::strlen(name) + 1, ++id) {
    qnt_rt_profile_entry e = qnt_rt_profile_get(id);
    if (e.calls == 0)
      continue;
    // "function layer op"; the layer's "blk.N." prefix dropped.
    std::string text = name;
    size_t a = text.find(' '), b = text.rfind(' ');
    std::string fn = text.substr(0, a), layer = text.substr(a + 1, b - a - 1),
                op = text.substr(b + 1);
    if (layer.rfind("blk.", 0) == 0 && layer.find('.', 4) != std::string::npos)
      layer = layer.substr(layer.find('.', 4) + 1);
    size_t f = std::find(functions.begin(), functions.end(), fn) - functions.begin();
    if (f == functions.size()) {
      functions.push_back(fn);
      rows.emplace_back();
    }
    auto it = std::find_if(rows[f].begin(), rows[f].end(), [&](const Row &r) {
      return r.role == layer && r.op == op;
    });
    if (it == rows[f].end()) {
      rows[f].push_back({layer, op, 0, 0});
      it = rows[f].end() - 1;
    }
    it->calls += e.calls;
    it->seconds += e.seconds;
  }
  for (size_t f = 0; f < functions.size(); ++f) {
    double total = 0;
    for (const Row &r : rows[f])
      total += r.seconds;
    std::sort(rows[f].begin(), rows[f].end(),
              [](const Row &x, const Row &y) { return x.seconds > y.seconds; });
    std::fprintf(stderr, "profile of %s: %.2f ms in ops\n", functions[f].c_str(),
                 total * 1e3);
    std::fprintf(stderr, "  %6s %10s %7s  %-14s %s\n", "share", "ms", "calls",
                 "layer", "op");
    for (const Row &r : rows[f])
      std::fprintf(stderr, "  %5.1f%% %10.3f %7lld  %-14s %s\n",
                   100 * r.seconds / total, r.seconds * 1e3,
                   (long long)r.calls, r.role.c_str(), r.op.c_str());
  }
}

} // namespace

bool endsWith(const std::string &text, const char *suffix) {
  size_t n = std::strlen(suffix);
  return text.size() >= n && text.compare(text.size() - n, n, suffix) == 0;
}

/// The index of a weights file, a tensor a line, then the totals.
void printWeights(const qnt_weights_index &index, uint64_t fileSize) {
  std::printf("%12s %12s %-5s %-20s %s\n", "offset", "bytes", "type", "shape",
              "name");
  uint64_t bytes = 0;
  for (uint64_t i = 0; i < index.count; ++i) {
    const qnt_weights_entry &e = index.entries[i];
    std::string shape;
    for (int32_t d = 0; d < e.rank; ++d)
      shape += (d ? "x" : "") + std::to_string(e.shape[d]);
    std::printf("%12llu %12llu %-5s %-20s %.*s\n",
                (unsigned long long)e.offset, (unsigned long long)e.size,
                qnt_dtype_name(e.dtype), shape.empty() ? "scalar" : shape.c_str(),
                int(e.name_length), index.names + e.name_offset);
    bytes += e.size;
  }
  std::printf("%llu tensors, %llu bytes (a file of %llu bytes with padding "
              "and index)\n",
              (unsigned long long)index.count, (unsigned long long)bytes,
              (unsigned long long)fileSize);
}

/// --list-weights of a weights file alone: mapped, so that only its index is
/// read.
int listWeightsFile(const std::string &path) {
  int fd = open(path.c_str(), O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    std::fprintf(stderr, "quant-run: error: cannot read %s: %s\n", path.c_str(),
                 std::strerror(errno));
    if (fd >= 0)
      close(fd);
    return 1;
  }
  uint64_t size = uint64_t(st.st_size);
  void *data = size ? mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0) : nullptr;
  close(fd);
  if (data == MAP_FAILED) {
    std::fprintf(stderr, "quant-run: error: cannot map %s\n", path.c_str());
    return 1;
  }
  qnt_weights_index index;
  char error[512];
  int status = 0;
  if (qnt_weights_index_read(data, size, &index, error, sizeof error) != 0) {
    std::fprintf(stderr, "quant-run: error: %s: %s\n", path.c_str(), error);
    status = 1;
  } else {
    printWeights(index, size);
  }
  if (data)
    munmap(data, size);
  return status;
}

int main(int argc, char **argv) {
  std::string modelPath, prompt, checkPath, logitsOut, perplexityPath, klBase;
  int64_t chunk = 0, tokens = 64, topK = 40, threads = 0,
          batch = QNT_DEFAULT_BATCH;
  uint64_t seed = 1;
  double temp = 0, topP = 0.95;
  double maxKl = -1, minTop1 = -1, maxKlRatio = -1;
  bool quiet = false, printIds = false, profile = false, threadStats = false;
  bool tokenizeOnly = false, chat = false, listWeights = false;
  std::string tokenizePath;
  std::string chatTemplate, system;
  std::vector<std::string> positionals;
  qnt::tools::ArgParser args("quant-run", kUsage);
  args.text("-m, --model", modelPath);
  args.positionals(positionals, 1, "model");
  args.text("-p, --prompt", prompt);
  args.integer("-n, --tokens", tokens, 0, INT32_MAX);
  args.number("--temp", temp);
  args.integer("--top-k", topK, 0, INT32_MAX);
  args.number("--top-p", topP);
  args.unsignedInteger("-s, --seed", seed);
  args.integer("-t, --threads", threads, 0, 4096);
  args.integer("-b, --batch", batch, 0, INT32_MAX);
  args.text("--check", checkPath);
  args.number("--max-kl", maxKl);
  args.number("--min-top1", minTop1);
  args.number("--max-kl-ratio", maxKlRatio);
  args.flag("-q, --quiet", quiet);
  args.flag("--tokens-out", printIds);
  args.flag("--list-weights", listWeights);
  args.flag("--profile", profile);
  args.flag("--thread-stats", threadStats);
  args.flag("--tokenize", tokenizeOnly);
  args.text("--tokenize-file", tokenizePath);
  args.flag("-i, --chat", chat);
  args.text("--chat-template", chatTemplate);
  args.text("--system", system);
  args.text("--logits-out", logitsOut);
  args.text("--perplexity", perplexityPath);
  args.integer("--chunk", chunk, 0, INT32_MAX);
  args.text("--kl-base", klBase);
  if (std::optional<int> exit = args.parse(argc, argv))
    return *exit;
  if (!positionals.empty() && !modelPath.empty())
    return args.usageError("one model only (got '" + modelPath + "' and '" +
                           positionals[0] + "')");
  if (!positionals.empty())
    modelPath = positionals[0];
  bool havePrompt = args.seen("--prompt");
  bool haveChatTemplate = args.seen("--chat-template");
  bool haveSystem = args.seen("--system");
  if (modelPath.empty())
    return args.usageError("no model given");
  if (temp < 0 || topP <= 0 || topP > 1)
    return args.usageError("--temp >= 0 and 0 < --top-p <= 1");
  if ((maxKl >= 0 || minTop1 >= 0 || maxKlRatio >= 0) && checkPath.empty())
    return args.usageError("--max-kl, --min-top1 and --max-kl-ratio go with --check");
  if ((chunk != 0 || !klBase.empty()) && perplexityPath.empty())
    return args.usageError("--chunk and --kl-base go with --perplexity");
  if (!perplexityPath.empty() &&
      (havePrompt || !checkPath.empty() || !logitsOut.empty()))
    return args.usageError("--perplexity reads its own text: no -p, --check or "
                      "--logits-out with it");
  if ((haveChatTemplate || haveSystem) && !chat)
    return args.usageError("--chat-template and --system go with --chat");
  if (!tokenizePath.empty() && (havePrompt || tokenizeOnly))
    return args.usageError("--tokenize-file reads its texts from the file: no -p or "
                      "--tokenize with it");
  tokenizeOnly = tokenizeOnly || !tokenizePath.empty();
  if (chat && (havePrompt || tokenizeOnly || !checkPath.empty() ||
               !logitsOut.empty() || !perplexityPath.empty()))
    return args.usageError("--chat reads its messages from stdin: no -p, --tokenize, "
                      "--check, --logits-out or --perplexity with it");
  if (tokenizeOnly && (!checkPath.empty() || !logitsOut.empty() ||
                       !perplexityPath.empty() || profile))
    return args.usageError("--tokenize runs no model: no --check, --logits-out, "
                      "--perplexity or --profile with it");
  if (listWeights &&
      (havePrompt || tokenizeOnly || chat || !checkPath.empty() ||
       !logitsOut.empty() || !perplexityPath.empty() || profile))
    return args.usageError("--list-weights runs no model: no -p, --tokenize, "
                           "--chat, --check, --logits-out, --perplexity or "
                           "--profile with it");
  if (threadStats &&
      (chat || tokenizeOnly || listWeights || !perplexityPath.empty()))
    return args.usageError("--thread-stats reports generation's decode: not "
                           "with --chat, --tokenize, --list-weights or "
                           "--perplexity");
  if (threads > 0)
    qnt_rt_set_num_threads(int(threads));
  if (listWeights && endsWith(modelPath, ".weights"))
    return listWeightsFile(modelPath);

  if (endsWith(modelPath, ".gguf"))
    return args.usageError("quant-run runs a compiled model: first quant-compile " +
                      modelPath + " -o model.so");

  char error[1024];
  qnt_model model;
  if (qnt_model_load(&model, modelPath.c_str(), error, sizeof error) != 0) {
    std::fprintf(stderr, "quant-run: error: %s\n", error);
    return 1;
  }
  model.batch = batch;
  if (listWeights) {
    printWeights(model.weights_index, model.weights_size);
    qnt_model_free(&model);
    return 0;
  }
  if (!quiet && model.notes && model.notes[0])
    std::fprintf(stderr, "compiled with %s\n", model.notes);
  if (profile && !model.profile_names) {
    std::fprintf(stderr, "quant-run: error: %s was not compiled with --profile "
                         "(quant-compile ... --profile)\n", modelPath.c_str());
    qnt_model_free(&model);
    return 1;
  }
  if (!perplexityPath.empty()) {
    int status = perplexity(model, perplexityPath, chunk, klBase);
    if (profile)
      printProfile(model.profile_names);
    qnt_model_free(&model);
    return status;
  }
  const qnt_meta_header &c = model.config;
  int64_t vocab = c.vocab;
  auto makeSampler = [&](qnt_sampler &sampler) {
    if (qnt_sampler_init(&sampler, int32_t(vocab), float(temp), int32_t(topK),
                         float(topP), seed) == 0)
      return true;
    std::fprintf(stderr, "quant-run: error: out of memory\n");
    return false;
  };
  if (chat) {
    qnt_sampler sampler;
    if (!makeSampler(sampler)) {
      qnt_model_free(&model);
      return 1;
    }
    qnt::run::ChatOptions options;
    options.templateName = chatTemplate;
    options.system = system;
    options.maxTokens = tokens;
    options.printIds = printIds;
    options.quiet = quiet;
    int status = qnt::run::runChat(model, sampler, options);
    if (profile)
      printProfile(model.profile_names);
    qnt_sampler_free(&sampler);
    qnt_model_free(&model);
    return status;
  }

  if (tokenizeOnly) {
    int status = 0;
    std::string error;
    if (!tokenizePath.empty()) {
      status = tokenizeFile(model.vocab, tokenizePath);
    } else if (!printTokenization(model.vocab, prompt, error)) {
      std::fprintf(stderr, "quant-run: error: the prompt %s\n", error.c_str());
      status = 1;
    }
    qnt_model_free(&model);
    return status;
  }
  std::vector<int32_t> ids(prompt.size() + 8);
  int64_t count = qnt_tokenize(&model.vocab, prompt.c_str(), model.vocab.add_bos,
                               ids.data(), int64_t(ids.size()));
  if (count < 0) {
    std::fprintf(stderr, "quant-run: error: %s\n",
                 count == -2 ? "the prompt is not valid UTF-8"
                             : "cannot tokenize the prompt");
    qnt_model_free(&model);
    return 1;
  }
  ids.resize(count);
  if (count == 0) {
    std::fprintf(stderr, "quant-run: error: the model adds no BOS: give a prompt\n");
    qnt_model_free(&model);
    return 1;
  }
  if (count > c.context) {
    std::fprintf(stderr,
                 "quant-run: error: the prompt is %lld tokens, longer than "
                 "the context of %lld\n",
                 (long long)count, (long long)c.context);
    qnt_model_free(&model);
    return 1;
  }
  // Each new token needs the logits of the one before it, so the last one
  // sampled needs no cache row: a prompt of `count` tokens leaves room for
  // context - count + 1.
  int64_t room = c.context - count + 1;
  int64_t budget = std::min<int64_t>(tokens, room);
  if (budget < tokens)
    std::fprintf(stderr,
                 "quant-run: warning: -n %lld does not fit: the context of "
                 "%lld tokens leaves room for %lld new tokens after the "
                 "prompt's %lld\n",
                 (long long)tokens, (long long)c.context, (long long)room,
                 (long long)count);
  qnt_sampler sampler;
  if (!makeSampler(sampler)) {
    qnt_model_free(&model);
    return 1;
  }

  // Every position's logits are kept for --check and --logits-out; otherwise
  // only the last.
  bool checking = !checkPath.empty();
  bool keep = checking || !logitsOut.empty();
  std::vector<float> logits(size_t(keep ? count : 1) * vocab);
  std::vector<float> all;
  std::vector<int32_t> sequence = ids;
  if (!quiet && havePrompt) {
    int32_t prev = -1;
    for (int32_t id : ids) {
      printToken(model.vocab, prev, id);
      prev = id;
    }
    std::fflush(stdout);
  }

  auto t0 = std::chrono::steady_clock::now();
  int rc = keep ? qnt_model_run(&model, ids.data(), count, 0, logits.data(),
                                error, sizeof error)
                : qnt_model_run_last(&model, ids.data(), count, 0,
                                     logits.data(), error, sizeof error);
  auto t1 = std::chrono::steady_clock::now();
  if (rc != 0) {
    std::fprintf(stderr, "quant-run: error: %s\n", error);
    qnt_sampler_free(&sampler);
    qnt_model_free(&model);
    return 1;
  }
  if (checking)
    all = logits;
  if (!logitsOut.empty()) {
    std::FILE *out = std::fopen(logitsOut.c_str(), "wb");
    bool ok = out && std::fwrite(logits.data(), sizeof(float), logits.size(),
                                 out) == logits.size();
    if (out)
      ok = std::fclose(out) == 0 && ok;
    if (!ok) {
      std::fprintf(stderr, "quant-run: error: cannot write %s\n",
                   logitsOut.c_str());
      qnt_sampler_free(&sampler);
      qnt_model_free(&model);
      return 1;
    }
  }

  int64_t generated = 0, decodeSteps = 0;
  int32_t prev = ids.back();
  double decodeTime = 0;
  bool endOfText = false;
  const float *last = &logits[size_t(keep ? count - 1 : 0) * vocab];
  std::vector<float> step(vocab);
  if (threadStats)
    qnt_rt_thread_stats_enable(1);
  while (generated < budget) {
    int32_t next = qnt_sample(&sampler, last, int32_t(vocab));
    if (qnt_is_end_of_generation(&model.vocab, next)) {
      endOfText = true;
      break;
    }
    printToken(model.vocab, prev, next);
    std::fflush(stdout);
    sequence.push_back(next);
    prev = next;
    ++generated;
    // The token's own logits: for the next one, or for --check.
    int64_t pos = int64_t(sequence.size()) - 1;
    if ((generated == budget && !checking) || pos >= c.context)
      break;
    auto s0 = std::chrono::steady_clock::now();
    rc = qnt_model_run(&model, &next, 1, pos, step.data(), error, sizeof error);
    decodeTime += seconds(s0, std::chrono::steady_clock::now());
    if (rc != 0) {
      std::fprintf(stderr, "\nquant-run: error: %s\n", error);
      break;
    }
    ++decodeSteps;
    if (checking)
      all.insert(all.end(), step.begin(), step.end());
    last = step.data();
  }
  qnt_rt_thread_stats stats{};
  if (threadStats) {
    qnt_rt_thread_stats_get(&stats);
    qnt_rt_thread_stats_enable(0);
  }
  std::fputs("\n", stdout);
  std::fflush(stdout);
  if (rc == 0 && !endOfText && generated == room && budget < tokens)
    std::fprintf(stderr, "quant-run: stopped: context of %lld tokens is full\n",
                 (long long)c.context);
  if (printIds) {
    std::fputs("tokens:", stdout);
    for (int32_t id : sequence)
      std::printf(" %d", id);
    std::fputs("\n", stdout);
  }
  if (!quiet) {
    double prefill = seconds(t0, t1);
    std::fprintf(stderr, "prefill: %lld tokens in %.2f ms (%.1f tokens/s)\n",
                 (long long)count, prefill * 1e3, double(count) / prefill);
    if (decodeSteps > 0)
      std::fprintf(stderr, "decode: %lld tokens in %.2f ms (%.1f tokens/s), "
                           "%d threads\n",
                   (long long)decodeSteps, decodeTime * 1e3,
                   double(decodeSteps) / decodeTime, qnt_rt_num_threads());
    // What the cache holds: bytes per token, in use and allocated.
    int64_t perToken = qnt_kv_cache_bytes_per_token(&c);
    std::fprintf(stderr, "KV cache: %s, %lld bytes per token, %.1f MiB used of %.1f MiB "
                         "(%lld tokens)\n",
                 qnt_kv_cache_name(c.kv_cache), (long long)perToken,
                 double(perToken) * double(sequence.size()) / (1 << 20),
                 double(perToken) * double(c.context) / (1 << 20), (long long)c.context);
  }

  if (profile)
    printProfile(model.profile_names);
  if (threadStats)
    printThreadStats(stats, decodeSteps, decodeTime);

  int status = rc == 0 ? 0 : 1;
  if (checking && status == 0)
    status = check(checkPath, c, sequence, all, maxKl, minTop1, maxKlRatio);
  qnt_sampler_free(&sampler);
  qnt_model_free(&model);
  return status;
}

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

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

const char *kUsage =
    "usage: quant-run MODEL.so [options]\n"
    "Runs a model compiled by quant-compile (MODEL.weights and MODEL.meta "
    "beside it).\n\n"
    "  -p, --prompt TEXT    the prompt (default: none, generation starts at BOS)\n"
    "  -n, --tokens N       tokens to generate (default 64; stops at EOS)\n"
    "  --temp T             sampling temperature, 0 for greedy (default 0)\n"
    "  --top-k K            sample from the K most probable tokens (default 40)\n"
    "  --top-p P            and from the smallest set of mass P (default 0.95)\n"
    "  --seed S             random seed (default 1)\n"
    "  --threads N          threads (default: QNT_NUM_THREADS or all CPUs)\n"
    "  --check MODEL.gguf   compare every position's logits with the float\n"
    "                       reference forward pass of MODEL.gguf\n"
    "  --max-kl X           with --check: fail if the mean KL exceeds X\n"
    "  --min-top1 F         with --check: fail if top-1 agreement is below F\n"
    "  --max-kl-ratio R     with --check: fail if the mean KL against float\n"
    "                       exceeds R times that of the quantized reference\n"
    "                       (the same quantization in scalar code)\n"
    "  --tokens-out         print the token ids too\n"
    "  --profile            where the time goes, op by op (a model compiled\n"
    "                       with quant-compile --profile)\n"
    "  -q, --quiet          print the text only\n"
    "  -h, --help           this text\n";

int usageError(const std::string &message) {
  std::fprintf(stderr, "quant-run: error: %s\n(quant-run --help for usage)\n",
               message.c_str());
  return 2;
}

bool parseNumber(const char *text, double &out) {
  char *end = nullptr;
  out = std::strtod(text, &end);
  return end != text && *end == 0 && std::isfinite(out);
}

double seconds(std::chrono::steady_clock::time_point a,
               std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

struct CheckResult {
  int64_t positions = 0, agree = 0;
  double meanKl = 0, maxDiff = 0;
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
    r.meanKl += std::max(kl, 0.0);
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
  if (c.quantization == QNT_QUANT_DEFAULT) {
    auto quant = qnt::reference::Llama::load(*file, c.context, true, why);
    if (!quant) {
      std::fprintf(stderr, "quant-run: error: --check: %s\n", why.c_str());
      return 1;
    }
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

int main(int argc, char **argv) {
  std::string modelPath, prompt, checkPath;
  double tokens = 64, temp = 0, topK = 40, topP = 0.95, seed = 1, threads = 0;
  double maxKl = -1, minTop1 = -1, maxKlRatio = -1;
  bool quiet = false, printIds = false, havePrompt = false, profile = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char *name) -> const char * {
      if (i + 1 >= argc) {
        usageError(std::string(name) + " needs a value");
        std::exit(2);
      }
      return argv[++i];
    };
    auto number = [&](const char *name, double &out) {
      const char *v = value(name);
      if (!parseNumber(v, out)) {
        usageError(std::string(name) + " takes a number, not '" + v + "'");
        std::exit(2);
      }
    };
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "-p" || a == "--prompt") {
      prompt = value("--prompt");
      havePrompt = true;
    } else if (a == "-n" || a == "--tokens") {
      number("--tokens", tokens);
    } else if (a == "--temp") {
      number("--temp", temp);
    } else if (a == "--top-k") {
      number("--top-k", topK);
    } else if (a == "--top-p") {
      number("--top-p", topP);
    } else if (a == "--seed") {
      number("--seed", seed);
    } else if (a == "--threads") {
      number("--threads", threads);
    } else if (a == "--check") {
      checkPath = value("--check");
    } else if (a == "--max-kl") {
      number("--max-kl", maxKl);
    } else if (a == "--min-top1") {
      number("--min-top1", minTop1);
    } else if (a == "--max-kl-ratio") {
      number("--max-kl-ratio", maxKlRatio);
    } else if (a == "-q" || a == "--quiet") {
      quiet = true;
    } else if (a == "--tokens-out") {
      printIds = true;
    } else if (a == "--profile") {
      profile = true;
    } else if (!a.empty() && a[0] == '-') {
      return usageError("unknown option " + a);
    } else if (modelPath.empty()) {
      modelPath = a;
    } else {
      return usageError("one model only (got " + modelPath + " and " + a + ")");
    }
  }
  if (modelPath.empty())
    return usageError("no model given");
  if (tokens < 0 || tokens != std::floor(tokens))
    return usageError("--tokens must be a whole number >= 0");
  if (temp < 0 || topK < 0 || topP <= 0 || topP > 1)
    return usageError("--temp >= 0, --top-k >= 0 and 0 < --top-p <= 1");
  if (threads < 0 || threads != std::floor(threads))
    return usageError("--threads must be a whole number");
  if ((maxKl >= 0 || minTop1 >= 0 || maxKlRatio >= 0) && checkPath.empty())
    return usageError("--max-kl, --min-top1 and --max-kl-ratio go with --check");
  if (threads > 0)
    qnt_rt_set_num_threads(int(threads));

  if (modelPath.size() > 5 && modelPath.compare(modelPath.size() - 5, 5, ".gguf") == 0)
    return usageError("quant-run runs a compiled model: first quant-compile " +
                      modelPath + " -o model.so");

  char error[1024];
  qnt_model model;
  if (qnt_model_load(&model, modelPath.c_str(), error, sizeof error) != 0) {
    std::fprintf(stderr, "quant-run: error: %s\n", error);
    return 1;
  }
  if (profile && !model.profile_names) {
    std::fprintf(stderr, "quant-run: error: %s was not compiled with --profile "
                         "(quant-compile ... --profile)\n", modelPath.c_str());
    qnt_model_free(&model);
    return 1;
  }
  const qnt_meta_header &c = model.config;
  int64_t vocab = c.vocab;

  std::vector<int32_t> ids(prompt.size() + 8);
  int64_t count = qnt_tokenize(&model.vocab, prompt.c_str(), model.vocab.add_bos,
                               ids.data(), int64_t(ids.size()));
  if (count < 0) {
    std::fprintf(stderr, "quant-run: error: cannot tokenize the prompt\n");
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
  int64_t budget = std::min<int64_t>(int64_t(tokens), room);
  if (budget < int64_t(tokens))
    std::fprintf(stderr,
                 "quant-run: warning: -n %lld does not fit: the context of "
                 "%lld tokens leaves room for %lld new tokens after the "
                 "prompt's %lld\n",
                 (long long)tokens, (long long)c.context, (long long)room,
                 (long long)count);
  qnt_sampler sampler;
  if (qnt_sampler_init(&sampler, int32_t(vocab), float(temp), int32_t(topK),
                       float(topP), uint64_t(seed)) != 0) {
    std::fprintf(stderr, "quant-run: error: out of memory\n");
    qnt_model_free(&model);
    return 1;
  }

  // Every position's logits are kept for --check; otherwise only the last.
  bool keep = !checkPath.empty();
  std::vector<float> logits(size_t(keep ? count : 1) * vocab);
  std::vector<float> all;
  std::vector<int32_t> sequence = ids;
  char piece[512];
  if (!quiet && havePrompt) {
    int32_t prev = -1;
    for (int32_t id : ids) {
      qnt_detokenize(&model.vocab, prev, id, piece, sizeof piece);
      std::fputs(piece, stdout);
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
  if (keep)
    all = logits;

  int64_t generated = 0, decodeSteps = 0;
  int32_t prev = ids.back();
  double decodeTime = 0;
  bool endOfText = false;
  const float *last = &logits[size_t(keep ? count - 1 : 0) * vocab];
  std::vector<float> step(vocab);
  while (generated < budget) {
    int32_t next = qnt_sample(&sampler, last, int32_t(vocab));
    if (next == model.vocab.eos) {
      endOfText = true;
      break;
    }
    qnt_detokenize(&model.vocab, prev, next, piece, sizeof piece);
    std::fputs(piece, stdout);
    std::fflush(stdout);
    sequence.push_back(next);
    prev = next;
    ++generated;
    // The token's own logits: for the next one, or for --check.
    int64_t pos = int64_t(sequence.size()) - 1;
    if ((generated == budget && !keep) || pos >= c.context)
      break;
    auto s0 = std::chrono::steady_clock::now();
    rc = qnt_model_run(&model, &next, 1, pos, step.data(), error, sizeof error);
    decodeTime += seconds(s0, std::chrono::steady_clock::now());
    if (rc != 0) {
      std::fprintf(stderr, "\nquant-run: error: %s\n", error);
      break;
    }
    ++decodeSteps;
    if (keep)
      all.insert(all.end(), step.begin(), step.end());
    last = step.data();
  }
  std::fputs("\n", stdout);
  std::fflush(stdout);
  if (rc == 0 && !endOfText && generated == room && budget < int64_t(tokens))
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
  }

  if (profile)
    printProfile(model.profile_names);

  int status = rc == 0 ? 0 : 1;
  if (keep && status == 0)
    status = check(checkPath, c, sequence, all, maxKl, minTop1, maxKlRatio);
  qnt_sampler_free(&sampler);
  qnt_model_free(&model);
  return status;
}

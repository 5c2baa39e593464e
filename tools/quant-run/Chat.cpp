//===- Chat.cpp - quant-run --chat: turns with a chat template ------------===//
//
// A conversation is one token sequence in the KV cache. Each user turn is
// rendered with the template, tokenized (its special tokens matched whole),
// run from the position where the last turn stopped, and answered token by
// token until an end-of-generation token. The end-of-turn token that stopped
// the reply is fed at the start of the next turn, so the cache holds exactly
// what the template would render for the whole conversation.
//
// Templates (what the models' Jinja templates render, written out):
//   llama3: <|start_header_id|>ROLE<|end_header_id|>\n\nTEXT<|eot_id|>, after
//           BOS; the reply follows <|start_header_id|>assistant<|end_header_id|>\n\n
//   chatml: <|im_start|>ROLE\nTEXT<|im_end|>\n; the reply follows
//           <|im_start|>assistant\n
//
//===----------------------------------------------------------------------===//

#include "Chat.h"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <vector>

namespace qnt::run {

namespace {

std::string trim(const std::string &s) {
  size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

/// A message as the template writes it.
std::string message(const std::string &name, const std::string &role,
                    const std::string &text) {
  if (name == "llama3")
    return "<|start_header_id|>" + role + "<|end_header_id|>\n\n" + trim(text) +
           "<|eot_id|>";
  return "<|im_start|>" + role + "\n" + text + "<|im_end|>\n";
}

/// What the assistant's reply follows.
std::string replyHeader(const std::string &name) {
  return name == "llama3" ? "<|start_header_id|>assistant<|end_header_id|>\n\n"
                          : "<|im_start|>assistant\n";
}

double seconds(std::chrono::steady_clock::time_point a,
               std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

} // namespace

std::string detectChatTemplate(const std::string &jinja) {
  if (jinja.find("<|start_header_id|>") != std::string::npos)
    return "llama3";
  if (jinja.find("<|im_start|>") != std::string::npos)
    return "chatml";
  return "";
}

int runChat(qnt_model &model, qnt_sampler &sampler, const ChatOptions &options) {
  qnt_vocab &vocab = model.vocab;
  std::string name = options.templateName;
  if (name.empty()) {
    name = detectChatTemplate(vocab.chat_template);
    if (name.empty()) {
      std::fprintf(stderr, "quant-run: error: %s: give --chat-template llama3 "
                           "or chatml\n",
                   vocab.chat_template[0] ? "the model's chat template is "
                                            "neither Llama 3's nor ChatML"
                                          : "the model has no chat template");
      return 1;
    }
  }
  if (name != "llama3" && name != "chatml") {
    std::fprintf(stderr, "quant-run: error: --chat-template %s: llama3 and "
                         "chatml are known\n", name.c_str());
    return 1;
  }
  // The template's markers must be special tokens of this vocabulary, or
  // they would be tokenized as text.
  for (const char *marker : name == "llama3"
                                ? std::vector<const char *>{"<|start_header_id|>",
                                                            "<|end_header_id|>",
                                                            "<|eot_id|>"}
                                : std::vector<const char *>{"<|im_start|>",
                                                            "<|im_end|>"})
    if (qnt_token_id(&vocab, marker) < 0) {
      std::fprintf(stderr, "quant-run: error: the %s template needs the token "
                           "%s, which this vocabulary lacks\n",
                   name.c_str(), marker);
      return 1;
    }

  const qnt_meta_header &c = model.config;
  std::vector<int32_t> conversation; // every id in the cache, in order
  std::vector<float> logits(size_t(c.vocab));
  int32_t pending = -1; // the end-of-turn token that ended the last reply
  bool first = true;
  char error[512];
  std::string line;
  int64_t totalTokens = 0;
  double totalTime = 0;
  while (true) {
    if (!options.quiet)
      std::fputs("> ", stderr);
    if (!std::getline(std::cin, line) || trim(line).empty())
      break;
    std::string text;
    if (first && !options.system.empty())
      text += message(name, "system", options.system);
    text += message(name, "user", line) + replyHeader(name);
    // llama3 renders "\n" after <|im_end|> (chatml) itself; the pending token
    // is the end-of-turn marker the reply stopped at.
    if (pending >= 0 && name == "chatml")
      text = "\n" + text;
    std::vector<int32_t> ids(text.size() + 8);
    bool bos = first && vocab.add_bos;
    int64_t n = qnt_tokenize(&vocab, text.c_str(), bos, ids.data(), int64_t(ids.size()));
    if (n < 0) {
      std::fprintf(stderr, "quant-run: error: %s\n",
                   n == -2 ? "the message is not valid UTF-8" : "cannot tokenize the message");
      return 1;
    }
    ids.resize(size_t(n));
    if (pending >= 0)
      ids.insert(ids.begin(), pending);
    first = false;
    int64_t pos = int64_t(conversation.size());
    if (pos + int64_t(ids.size()) >= c.context) {
      std::fprintf(stderr, "quant-run: stopped: the conversation fills the "
                           "context of %lld tokens\n", (long long)c.context);
      break;
    }
    auto t0 = std::chrono::steady_clock::now();
    if (qnt_model_run_last(&model, ids.data(), int64_t(ids.size()), pos,
                           logits.data(), error, sizeof error) != 0) {
      std::fprintf(stderr, "quant-run: error: %s\n", error);
      return 1;
    }
    auto t1 = std::chrono::steady_clock::now();
    conversation.insert(conversation.end(), ids.begin(), ids.end());
    pending = -1;
    int64_t generated = 0;
    int32_t prev = conversation.back();
    char piece[512];
    while (generated < options.maxTokens) {
      int32_t next = qnt_sample(&sampler, logits.data(), int32_t(c.vocab));
      if (qnt_is_end_of_generation(&vocab, next)) {
        pending = next;
        break;
      }
      int64_t bytes = qnt_detokenize(&vocab, prev, next, piece, sizeof piece);
      std::fwrite(piece, 1, size_t(bytes), stdout);
      std::fflush(stdout);
      ++generated;
      prev = next;
      int64_t at = int64_t(conversation.size());
      conversation.push_back(next);
      if (at + 1 >= c.context)
        break;
      if (qnt_model_run(&model, &next, 1, at, logits.data(), error, sizeof error) != 0) {
        std::fprintf(stderr, "\nquant-run: error: %s\n", error);
        return 1;
      }
    }
    auto t2 = std::chrono::steady_clock::now();
    std::fputs("\n", stdout);
    if (options.printIds) {
      std::fputs("tokens:", stdout);
      for (int32_t id : conversation)
        std::printf(" %d", id);
      std::fputs("\n", stdout);
    }
    std::fflush(stdout);
    totalTokens += generated;
    totalTime += seconds(t1, t2);
    if (!options.quiet)
      std::fprintf(stderr, "[prompt %zu tokens in %.1f ms, reply %lld tokens at "
                           "%.1f tokens/s]\n",
                   ids.size(), seconds(t0, t1) * 1e3, (long long)generated,
                   generated ? double(generated) / seconds(t1, t2) : 0.0);
    if (pending < 0 && generated >= options.maxTokens && name == "llama3") {
      // A reply cut at -n: close its turn so the next one is well formed.
      pending = qnt_token_id(&vocab, "<|eot_id|>");
    } else if (pending < 0 && generated >= options.maxTokens) {
      pending = qnt_token_id(&vocab, "<|im_end|>");
    }
  }
  if (!options.quiet && totalTokens > 0)
    std::fprintf(stderr, "chat: %lld tokens generated at %.1f tokens/s\n",
                 (long long)totalTokens, double(totalTokens) / totalTime);
  return 0;
}

} // namespace qnt::run

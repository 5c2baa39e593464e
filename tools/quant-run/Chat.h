//===- Chat.h - quant-run --chat: turns with a chat template ---*- C++ -*-===//

#ifndef QNT_TOOLS_QUANT_RUN_CHAT_H
#define QNT_TOOLS_QUANT_RUN_CHAT_H

#include "qnt/model.h"

#include <cstdint>
#include <string>

namespace qnt::run {

struct ChatOptions {
  std::string templateName; ///< llama3, chatml, or "" for the model's
  std::string system;       ///< the system message, if any
  int64_t maxTokens = 256;  ///< per reply
  bool printIds = false;    ///< the conversation's ids after each reply
  bool quiet = false;       ///< no prompts or speeds on stderr
};

/// Reads user turns from stdin, one a line, until EOF or an empty line;
/// streams each reply until the template's end of turn, keeping the KV cache
/// between turns. Returns the exit status.
int runChat(qnt_model &model, qnt_sampler &sampler, const ChatOptions &options);

/// The template a chat template (Jinja) text stands for: "llama3" if it
/// writes <|start_header_id|>, "chatml" if <|im_start|>, "" otherwise.
std::string detectChatTemplate(const std::string &jinja);

} // namespace qnt::run

#endif // QNT_TOOLS_QUANT_RUN_CHAT_H

//===- ArgParser.h - quant-run's and quant-bench's command lines -*- C++ -*-===//
//
// One small parser for the runtime tools' command lines (quant-compile and
// quant-opt are LLVM tools and use llvm::cl). Each option is declared once
// with its spellings and the variable it fills; values are checked as they
// are read, so counts are whole numbers in range, never doubles cast:
//
//   qnt::tools::ArgParser args("quant-run", kUsage);
//   args.integer("-n, --tokens", tokens, 0, INT32_MAX);
//   args.flag("-q, --quiet", quiet);
//   if (std::optional<int> exit = args.parse(argc, argv))
//     return *exit;
//
// "--name value" and "--name=value" are both accepted; -h and --help print the
// usage and stop. Errors are printed as "TOOL: error: MESSAGE" followed by a
// pointer to --help, with exit status 2. Plain C++: quant-run links no LLVM.
//
//===----------------------------------------------------------------------===//

#ifndef QNT_TOOLS_COMMON_ARGPARSER_H
#define QNT_TOOLS_COMMON_ARGPARSER_H

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace qnt::tools {

class ArgParser {
public:
  /// `usage` is printed as it is by -h/--help.
  ArgParser(std::string tool, const char *usage);
  /// The options' checks refer to the parser (its tool name).
  ArgParser(const ArgParser &) = delete;
  ArgParser &operator=(const ArgParser &) = delete;

  /// Spellings are given as "-n, --tokens" (one or more, comma-separated).
  /// An option given twice keeps the last value, except `texts`.
  void flag(const char *names, bool &out);
  void text(const char *names, std::string &out);
  /// Repeatable: each occurrence appends (quant-bench's -m).
  void texts(const char *names, std::vector<std::string> &out);
  /// A whole number in [min, max], written in decimal.
  void integer(const char *names, int64_t &out, int64_t min, int64_t max);
  /// A whole number from 0 to 2^64 - 1 (a seed).
  void unsignedInteger(const char *names, uint64_t &out);
  /// A finite number.
  void number(const char *names, double &out);
  /// Whole numbers in [min, max] separated by commas (-t 1,2).
  void integers(const char *names, std::vector<int64_t> &out, int64_t min,
                int64_t max);
  /// One of `choices`.
  void choice(const char *names, std::string &out,
              std::vector<std::string> choices);
  /// A value `parse` accepts; `expects` completes "NAME takes ..." when it
  /// does not.
  void custom(const char *names, std::string expects,
              std::function<bool(const std::string &)> parse);
  /// Arguments that are not options, in order (at most `max` of them).
  void positionals(std::vector<std::string> &out, size_t max, std::string what);

  /// Parses argv. Returns the exit status if the tool should stop now: 0
  /// after --help, 2 after an error (printed); nothing to go on.
  std::optional<int> parse(int argc, char **argv);

  /// Whether an option (any of its spellings) was on the command line.
  bool seen(const char *name) const;

  /// Prints "TOOL: error: MESSAGE" and the pointer to --help; returns 2.
  int usageError(const std::string &message) const;

private:
  struct Option {
    std::vector<std::string> names;
    bool takesValue;
    std::function<bool(const std::string &spelling, const std::string &value)>
        set; ///< prints its error and returns false on a bad value
    bool seen = false;
  };
  Option &add(const char *names, bool takesValue);
  Option *find(const std::string &spelling);

  std::string tool;
  const char *usage;
  std::vector<Option> options;
  std::vector<std::string> *positional = nullptr;
  size_t maxPositionals = 0;
  std::string positionalWhat;
};

/// Helpers the options use, exposed for values read elsewhere.
bool parseInteger(const std::string &text, int64_t min, int64_t max,
                  int64_t &out);
bool parseUnsigned(const std::string &text, uint64_t &out);
bool parseNumber(const std::string &text, double &out);

} // namespace qnt::tools

#endif // QNT_TOOLS_COMMON_ARGPARSER_H

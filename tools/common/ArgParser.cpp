//===- ArgParser.cpp - quant-run's and quant-bench's command lines --------===//

#include "tools/common/ArgParser.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

using namespace qnt::tools;

bool qnt::tools::parseInteger(const std::string &text, int64_t min,
                              int64_t max, int64_t &out) {
  char *end = nullptr;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != 0 || errno == ERANGE || v < min || v > max)
    return false;
  out = v;
  return true;
}

bool qnt::tools::parseUnsigned(const std::string &text, uint64_t &out) {
  char *end = nullptr;
  errno = 0;
  if (text.empty() || text[0] == '-' || text[0] == '+')
    return false;
  unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (*end != 0 || errno == ERANGE)
    return false;
  out = v;
  return true;
}

bool qnt::tools::parseNumber(const std::string &text, double &out) {
  char *end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != 0 || !std::isfinite(v))
    return false;
  out = v;
  return true;
}

ArgParser::ArgParser(std::string tool, const char *usage)
    : tool(std::move(tool)), usage(usage) {}

int ArgParser::usageError(const std::string &message) const {
  std::fprintf(stderr, "%s: error: %s\n(%s --help for usage)\n", tool.c_str(),
               message.c_str(), tool.c_str());
  return 2;
}

ArgParser::Option &ArgParser::add(const char *names, bool takesValue) {
  Option option;
  std::string all = names;
  size_t start = 0;
  while (start < all.size()) {
    size_t comma = all.find(',', start);
    std::string name = all.substr(start, comma == std::string::npos
                                             ? std::string::npos
                                             : comma - start);
    size_t first = name.find_first_not_of(' ');
    size_t last = name.find_last_not_of(' ');
    if (first != std::string::npos)
      option.names.push_back(name.substr(first, last - first + 1));
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  option.takesValue = takesValue;
  options.push_back(std::move(option));
  return options.back();
}

ArgParser::Option *ArgParser::find(const std::string &spelling) {
  for (Option &option : options)
    for (const std::string &name : option.names)
      if (name == spelling)
        return &option;
  return nullptr;
}

bool ArgParser::seen(const char *name) const {
  for (const Option &option : options)
    for (const std::string &n : option.names)
      if (n == name)
        return option.seen;
  return false;
}

void ArgParser::flag(const char *names, bool &out) {
  add(names, false).set = [&out](const std::string &, const std::string &) {
    out = true;
    return true;
  };
}

void ArgParser::text(const char *names, std::string &out) {
  add(names, true).set = [&out](const std::string &, const std::string &v) {
    out = v;
    return true;
  };
}

void ArgParser::texts(const char *names, std::vector<std::string> &out) {
  add(names, true).set = [&out](const std::string &, const std::string &v) {
    out.push_back(v);
    return true;
  };
}

void ArgParser::integer(const char *names, int64_t &out, int64_t min,
                        int64_t max) {
  add(names, true).set = [this, &out, min, max](const std::string &name,
                                                const std::string &v) {
    if (parseInteger(v, min, max, out))
      return true;
    usageError(name + " takes a whole number from " + std::to_string(min) +
               " to " + std::to_string(max) + ", not '" + v + "'");
    return false;
  };
}

void ArgParser::unsignedInteger(const char *names, uint64_t &out) {
  add(names, true).set = [this, &out](const std::string &name,
                                      const std::string &v) {
    if (parseUnsigned(v, out))
      return true;
    usageError(name + " takes a whole number from 0 to 2^64 - 1, not '" + v +
               "'");
    return false;
  };
}

void ArgParser::number(const char *names, double &out) {
  add(names, true).set = [this, &out](const std::string &name,
                                      const std::string &v) {
    if (parseNumber(v, out))
      return true;
    usageError(name + " takes a number, not '" + v + "'");
    return false;
  };
}

void ArgParser::integers(const char *names, std::vector<int64_t> &out,
                         int64_t min, int64_t max) {
  add(names, true).set = [this, &out, min, max](const std::string &name,
                                                const std::string &v) {
    std::vector<int64_t> values;
    size_t start = 0;
    bool ok = true;
    while (ok) {
      size_t comma = v.find(',', start);
      int64_t item = 0;
      ok = parseInteger(v.substr(start, comma == std::string::npos
                                            ? std::string::npos
                                            : comma - start),
                        min, max, item);
      if (ok)
        values.push_back(item);
      if (comma == std::string::npos)
        break;
      start = comma + 1;
    }
    if (ok) {
      out = std::move(values);
      return true;
    }
    usageError(name + " takes whole numbers from " + std::to_string(min) +
               " to " + std::to_string(max) + " separated by commas (e.g. " +
               std::to_string(min) + "," + std::to_string(min + 1) +
               "), not '" + v + "'");
    return false;
  };
}

void ArgParser::choice(const char *names, std::string &out,
                       std::vector<std::string> choices) {
  add(names, true).set = [this, &out, choices](const std::string &name,
                                               const std::string &v) {
    std::string list;
    for (size_t i = 0; i < choices.size(); ++i) {
      if (choices[i] == v) {
        out = v;
        return true;
      }
      list += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") +
              choices[i];
    }
    usageError(name + " takes " + list + ", not '" + v + "'");
    return false;
  };
}

void ArgParser::custom(const char *names, std::string expects,
                       std::function<bool(const std::string &)> parse) {
  add(names, true).set = [this, expects, parse](const std::string &name,
                                                const std::string &v) {
    if (parse(v))
      return true;
    usageError(name + " takes " + expects + ", not '" + v + "'");
    return false;
  };
}

void ArgParser::positionals(std::vector<std::string> &out, size_t max,
                            std::string what) {
  positional = &out;
  maxPositionals = max;
  positionalWhat = std::move(what);
}

std::optional<int> ArgParser::parse(int argc, char **argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(usage, stdout);
      return 0;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      if (!positional)
        return usageError("unexpected argument '" + arg + "'");
      if (positional->size() == maxPositionals)
        return usageError("one " + positionalWhat + " only (got '" +
                          positional->back() + "' and '" + arg + "')");
      positional->push_back(arg);
      continue;
    }
    // --name=value as well as --name value.
    std::string name = arg, value;
    bool inlineValue = false;
    if (arg.rfind("--", 0) == 0 && arg.find('=') != std::string::npos) {
      name = arg.substr(0, arg.find('='));
      value = arg.substr(arg.find('=') + 1);
      inlineValue = true;
    }
    Option *option = find(name);
    if (!option)
      return usageError("unknown option '" + name + "'");
    if (!option->takesValue && inlineValue)
      return usageError(name + " takes no value");
    if (option->takesValue && !inlineValue) {
      if (i + 1 >= argc)
        return usageError(name + " needs a value");
      value = argv[++i];
    }
    if (!option->set(name, value))
      return 2;
    option->seen = true;
  }
  return std::nullopt;
}

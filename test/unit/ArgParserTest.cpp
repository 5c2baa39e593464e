//===- ArgParserTest.cpp - The runtime tools' command-line parser ---------===//

#include "tools/common/ArgParser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using qnt::tools::ArgParser;

namespace {

/// Runs `parser` on `words` (argv[0] added).
std::optional<int> parse(ArgParser &parser, std::vector<std::string> words) {
  words.insert(words.begin(), "tool");
  std::vector<char *> argv;
  for (std::string &w : words)
    argv.push_back(w.data());
  return parser.parse(int(argv.size()), argv.data());
}

TEST(ArgParser, SpellingsAndInlineValues) {
  ArgParser p("tool", "usage\n");
  int64_t n = 64;
  uint64_t seed = 1;
  double temp = 0;
  bool quiet = false;
  std::string prompt;
  std::vector<int64_t> threads = {2};
  std::vector<std::string> models, rest;
  p.integer("-n, --tokens", n, 0, 100);
  p.unsignedInteger("-s, --seed", seed);
  p.number("--temp", temp);
  p.flag("-q, --quiet", quiet);
  p.text("-p, --prompt", prompt);
  p.integers("-t, --threads", threads, 1, 8);
  p.texts("-m", models);
  p.positionals(rest, 1, "model");
  EXPECT_FALSE(parse(p, {"a.so", "-n", "7", "--seed=18446744073709551615",
                         "--temp", "0.5", "-q", "--prompt=x=y", "-t", "1,2,4",
                         "-m", "b.so", "-m", "c.so", "-p", "-"}));
  EXPECT_EQ(n, 7);
  EXPECT_EQ(seed, 18446744073709551615ull);
  EXPECT_EQ(temp, 0.5);
  EXPECT_TRUE(quiet);
  EXPECT_EQ(prompt, "-"); // a value may start with '-'
  EXPECT_EQ(threads, (std::vector<int64_t>{1, 2, 4}));
  EXPECT_EQ(models, (std::vector<std::string>{"b.so", "c.so"}));
  EXPECT_EQ(rest, (std::vector<std::string>{"a.so"}));
  EXPECT_TRUE(p.seen("--tokens"));
  EXPECT_TRUE(p.seen("-n"));
  EXPECT_FALSE(p.seen("--nonesuch"));
}

TEST(ArgParser, BadValuesStopWithStatusTwo) {
  int64_t n = 3;
  uint64_t seed = 5;
  std::vector<int64_t> threads = {2};
  std::string out = "md";
  bool flag = false;
  std::vector<std::string> rest;
  auto declare = [&](ArgParser &p) {
    p.integer("-n", n, 0, 100);
    p.unsignedInteger("--seed", seed);
    p.integers("-t", threads, 1, 8);
    p.choice("-o", out, {"md", "json"});
    p.flag("--flag", flag);
    p.positionals(rest, 1, "model");
  };
  for (std::vector<std::string> bad :
       {std::vector<std::string>{"-n", "1.5"}, {"-n", "101"}, {"-n", "-1"},
        {"-n", ""}, {"-n"}, {"--seed", "-1"},
        {"--seed", "18446744073709551616"}, {"-t", "1,,2"}, {"-t", "9"},
        {"-t", "0"}, {"-o", "csv"}, {"--flag=yes"}, {"--nonesuch"},
        {"a", "b"}}) {
    ArgParser p("tool", "usage\n");
    declare(p);
    rest.clear();
    testing::internal::CaptureStderr();
    EXPECT_EQ(parse(p, bad), std::optional<int>(2)) << bad[0];
    EXPECT_NE(testing::internal::GetCapturedStderr().find("tool: error: "),
              std::string::npos);
  }
  // Nothing bad was stored.
  EXPECT_EQ(n, 3);
  EXPECT_EQ(seed, 5u);
  EXPECT_EQ(threads, (std::vector<int64_t>{2}));
  EXPECT_EQ(out, "md");
  EXPECT_FALSE(flag);
}

TEST(ArgParser, HelpStopsWithStatusZero) {
  ArgParser p("tool", "usage: tool\n");
  testing::internal::CaptureStdout();
  EXPECT_EQ(parse(p, {"--help"}), std::optional<int>(0));
  EXPECT_EQ(testing::internal::GetCapturedStdout(), "usage: tool\n");
}

} // namespace

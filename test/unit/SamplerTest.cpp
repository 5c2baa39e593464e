//===- SamplerTest.cpp - Greedy, temperature, top-k, top-p ----------------===//

#include "qnt/model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

namespace {

std::map<int32_t, int> histogram(float temperature, int32_t topK, float topP,
                                 const std::vector<float> &logits, int draws) {
  qnt_sampler s;
  EXPECT_EQ(0, qnt_sampler_init(&s, int32_t(logits.size()), temperature, topK,
                                topP, 42));
  std::map<int32_t, int> counts;
  for (int i = 0; i < draws; ++i)
    ++counts[qnt_sample(&s, logits.data(), int32_t(logits.size()))];
  qnt_sampler_free(&s);
  return counts;
}

} // namespace

TEST(Sampler, GreedyTakesTheLargestLogit) {
  auto counts = histogram(0.0f, 0, 1.0f, {0.1f, 3.0f, -1.0f, 2.9f}, 50);
  EXPECT_EQ(50, counts[1]);
}

TEST(Sampler, TopKKeepsTheKMostProbable) {
  auto counts = histogram(1.0f, 2, 1.0f, {0.0f, 1.0f, 2.0f, 1.5f}, 4000);
  EXPECT_EQ(0, counts.count(0) + counts.count(1));
  // softmax of (2, 1.5): 0.622 and 0.378.
  EXPECT_NEAR(0.622, counts[2] / 4000.0, 0.03);
  EXPECT_NEAR(0.378, counts[3] / 4000.0, 0.03);
}

TEST(Sampler, TopPKeepsTheSmallestNucleus) {
  // Probabilities 0.5, 0.3, 0.2 (log-space logits): p = 0.75 keeps two.
  std::vector<float> logits = {std::log(0.5f), std::log(0.3f), std::log(0.2f)};
  auto counts = histogram(1.0f, 0, 0.75f, logits, 4000);
  EXPECT_EQ(0, counts.count(2));
  EXPECT_NEAR(0.625, counts[0] / 4000.0, 0.03);
}

TEST(Sampler, TheSeedMakesItRepeatable) {
  auto a = histogram(0.9f, 0, 1.0f, {0.0f, 0.5f, 1.0f, 0.2f}, 300);
  auto b = histogram(0.9f, 0, 1.0f, {0.0f, 0.5f, 1.0f, 0.2f}, 300);
  EXPECT_EQ(a, b);
}

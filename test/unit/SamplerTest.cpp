//===- SamplerTest.cpp - Greedy, temperature, top-k, top-p ----------------===//

#include "qnt/model.h"

#include <gtest/gtest.h>

#include <algorithm>
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

namespace {

/// The sampler's rule written plainly: softmax at the temperature, the whole
/// vocabulary sorted (more probable first, the lower id among equals), top-k,
/// the top-p nucleus, then the draw, with the sampler's xorshift64*.
struct ReferenceSampler {
  float temperature, topP;
  int32_t topK;
  uint64_t state;

  float uniform() {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return float((state * 0x2545f4914f6cdd1dull) >> 40) / 16777216.0f;
  }

  int32_t sample(const std::vector<float> &logits) {
    int32_t vocab = int32_t(logits.size()), best = 0;
    for (int32_t i = 1; i < vocab; ++i)
      if (logits[i] > logits[best])
        best = i;
    std::vector<float> probs(vocab);
    float sum = 0.0f;
    for (int32_t i = 0; i < vocab; ++i) {
      probs[i] = std::exp((logits[i] - logits[best]) / temperature);
      sum += probs[i];
    }
    for (float &p : probs)
      p /= sum;
    std::vector<int32_t> order(vocab);
    for (int32_t i = 0; i < vocab; ++i)
      order[i] = i;
    std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
      return probs[a] > probs[b] || (probs[a] == probs[b] && a < b);
    });
    int32_t keep = topK > 0 && topK < vocab ? topK : vocab;
    float mass = 0.0f;
    for (int32_t i = 0; i < keep; ++i) {
      mass += probs[order[i]];
      if (topP < 1.0f && mass >= topP) {
        keep = i + 1;
        break;
      }
    }
    float total = 0.0f;
    for (int32_t i = 0; i < keep; ++i)
      total += probs[order[i]];
    float r = uniform() * total, acc = 0.0f;
    for (int32_t i = 0; i < keep; ++i) {
      acc += probs[order[i]];
      if (r < acc)
        return order[i];
    }
    return order[keep - 1];
  }
};

} // namespace

// A vocabulary of Llama 3's size with many equal logits (quarter steps): top-k
// selects before it sorts, and must keep the same tokens in the same order as
// sorting everything.
TEST(Sampler, TopKOfALargeVocabularyIsTheFullSortsTopK) {
  const int32_t vocab = 128256;
  std::vector<float> logits(vocab);
  uint64_t x = 12345;
  for (float &l : logits) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    l = float(int64_t(x >> 40) % 64) * 0.25f - 8.0f;
  }
  for (int32_t topK : {1, 2, 40, 1000}) {
    for (float topP : {1.0f, 0.9f}) {
      qnt_sampler s;
      ASSERT_EQ(0, qnt_sampler_init(&s, vocab, 0.8f, topK, topP, 7));
      ReferenceSampler ref{0.8f, topP, topK, 7};
      for (int draw = 0; draw < 20; ++draw)
        ASSERT_EQ(ref.sample(logits), qnt_sample(&s, logits.data(), vocab))
            << "top-k " << topK << ", top-p " << topP << ", draw " << draw;
      qnt_sampler_free(&s);
    }
  }
}

/*===- sampler.c - Greedy, temperature, top-k and top-p sampling ----------===*/

#define _GNU_SOURCE
#include "qnt/model.h"

#include <math.h>
#include <stdlib.h>

int qnt_sampler_init(qnt_sampler *s, int32_t vocab, float temperature,
                     int32_t top_k, float top_p, uint64_t seed) {
  s->temperature = temperature;
  s->top_k = top_k;
  s->top_p = top_p;
  s->state = seed ? seed : 0x9e3779b97f4a7c15ull;
  s->order = malloc(sizeof(int32_t) * (size_t)vocab);
  s->probs = malloc(sizeof(float) * (size_t)vocab);
  return s->order && s->probs ? 0 : -1;
}

void qnt_sampler_free(qnt_sampler *s) {
  free(s->order);
  free(s->probs);
  s->order = NULL;
  s->probs = NULL;
}

/* xorshift64*, uniform in [0, 1). */
static float uniform(qnt_sampler *s) {
  s->state ^= s->state >> 12;
  s->state ^= s->state << 25;
  s->state ^= s->state >> 27;
  return (float)((s->state * 0x2545f4914f6cdd1dull) >> 40) / 16777216.0f;
}

static int byProbability(const void *a, const void *b, void *probs) {
  const float *p = probs;
  float x = p[*(const int32_t *)a], y = p[*(const int32_t *)b];
  return (x < y) - (x > y);
}

int32_t qnt_sample(qnt_sampler *s, const float *logits, int32_t vocab) {
  int32_t best = 0;
  for (int32_t i = 1; i < vocab; ++i)
    if (logits[i] > logits[best])
      best = i;
  if (s->temperature <= 0.0f)
    return best;

  /* Softmax at the temperature. */
  float sum = 0.0f;
  for (int32_t i = 0; i < vocab; ++i) {
    s->probs[i] = expf((logits[i] - logits[best]) / s->temperature);
    sum += s->probs[i];
    s->order[i] = i;
  }
  for (int32_t i = 0; i < vocab; ++i)
    s->probs[i] /= sum;

  /* Most probable first; keep top-k, then the top-p nucleus. */
  qsort_r(s->order, (size_t)vocab, sizeof(int32_t), byProbability, s->probs);
  int32_t keep = s->top_k > 0 && s->top_k < vocab ? s->top_k : vocab;
  float mass = 0.0f;
  for (int32_t i = 0; i < keep; ++i) {
    mass += s->probs[s->order[i]];
    if (s->top_p < 1.0f && mass >= s->top_p) {
      keep = i + 1;
      break;
    }
  }
  float total = 0.0f;
  for (int32_t i = 0; i < keep; ++i)
    total += s->probs[s->order[i]];
  float r = uniform(s) * total, acc = 0.0f;
  for (int32_t i = 0; i < keep; ++i) {
    acc += s->probs[s->order[i]];
    if (r < acc)
      return s->order[i];
  }
  return s->order[keep - 1];
}

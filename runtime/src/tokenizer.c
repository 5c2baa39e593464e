/*===- tokenizer.c - SentencePiece and byte-level BPE over a GGUF vocabulary -===*
 *
 * SentencePiece (tokenizer.ggml.model "llama"), as its llama tokenizer does
 * it: spaces become U+2581 and one is put in front; each UTF-8 character
 * becomes its piece, or its bytes as <0xXX> pieces when the vocabulary has no
 * such character (byte fallback); then the adjacent pair whose concatenation
 * is a piece with the highest score is merged, until no pair merges.
 *
 * Byte-level BPE ("gpt2": Llama 3, Qwen, SmolLM), as Hugging Face's
 * tokenizers do it: special tokens (control and user-defined) are matched as
 * whole strings, longest first; the text between them is split into words by
 * the pre-tokenizer's regular expression (PCRE2, with Unicode classes); each
 * word's bytes become characters of GPT-2's byte alphabet, one token each,
 * and the adjacent pair with the best-ranked merge is merged, leftmost first,
 * until none merges. Llama 3 takes a word that is a token whole before
 * merging (ignore_merges). Decoding maps the alphabet back to bytes.
 *
 *===----------------------------------------------------------------------===*/

#define _GNU_SOURCE
#define PCRE2_CODE_UNIT_WIDTH 8
#include "qnt/model.h"
#include "internal.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char kSpace[] = "\xe2\x96\x81"; /* U+2581 */

/* FNV-1a of a piece, for the piece table. */
static uint64_t hashPiece(const char *piece, size_t length) {
  uint64_t h = 14695981039346656037ull;
  for (size_t i = 0; i < length; ++i)
    h = (h ^ (unsigned char)piece[i]) * 1099511628211ull;
  return h;
}

/* The id of a piece, or -1. */
static int32_t lookup(const qnt_vocab *v, const char *piece, size_t length) {
  for (uint64_t i = hashPiece(piece, length) & v->piece_mask;;
       i = (i + 1) & v->piece_mask) {
    int32_t id = v->piece_table[i];
    if (id < 0)
      return -1;
    if (v->lengths[id] == length && memcmp(v->pieces[id], piece, length) == 0)
      return id;
  }
}

/* ids[at], ids[at + 1] -> merged: the pair replaced by its merge. */
static void mergeAt(int32_t *ids, int64_t *count, int64_t at, int32_t merged) {
  ids[at] = merged;
  memmove(ids + at + 1, ids + at + 2, sizeof(int32_t) * (size_t)(*count - at - 2));
  --*count;
}

/* Bytes in the UTF-8 sequence starting with c (1 for stray bytes). */
static size_t utf8Length(unsigned char c) {
  if (c >= 0xf0 && c < 0xf8)
    return 4;
  if (c >= 0xe0)
    return c < 0xf0 ? 3 : 1;
  if (c >= 0xc0)
    return 2;
  return 1;
}

/*===----------------------------------------------------------------------===*
 * GPT-2's byte alphabet: printable Latin-1 bytes stand for themselves, the
 * others for U+0100, U+0101, ... in byte order.
 *===----------------------------------------------------------------------===*/

static int printableByte(unsigned b) {
  return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

static unsigned byteCodePoint(unsigned b) {
  if (printableByte(b))
    return b;
  unsigned cp = 256;
  for (unsigned c = 0; c < b; ++c)
    cp += !printableByte(c);
  return cp;
}

/* The UTF-8 of byte b's character (1 or 2 bytes); returns the length. */
static size_t byteCharacter(unsigned b, char out[2]) {
  unsigned cp = byteCodePoint(b);
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  out[0] = (char)(0xC0 | (cp >> 6));
  out[1] = (char)(0x80 | (cp & 0x3F));
  return 2;
}

/* The byte a code point of the alphabet stands for, or -1. */
static int alphabetByte(unsigned cp) {
  if (cp < 256)
    return printableByte(cp) ? (int)cp : -1;
  for (unsigned b = 0, n = 256; b < 256; ++b)
    if (!printableByte(b) && n++ == cp)
      return (int)b;
  return -1;
}

/*===----------------------------------------------------------------------===*
 * The merge table: (left id, right id) -> (rank, merged id), open addressing
 *===----------------------------------------------------------------------===*/

struct qnt_merge_table {
  uint64_t mask;    /* capacity - 1 (a power of two) */
  uint64_t *keys;   /* left << 32 | right, UINT64_MAX where empty */
  int32_t *ranks;
  int32_t *merged;
};

static uint64_t mixKey(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdull;
  k ^= k >> 33;
  return k;
}

static void mergeInsert(qnt_merge_table *t, int32_t left, int32_t right,
                        int32_t rank, int32_t merged) {
  uint64_t key = (uint64_t)(uint32_t)left << 32 | (uint32_t)right;
  for (uint64_t i = mixKey(key) & t->mask;; i = (i + 1) & t->mask) {
    if (t->keys[i] == key)
      return; /* a repeated merge keeps its best rank */
    if (t->keys[i] == UINT64_MAX) {
      t->keys[i] = key;
      t->ranks[i] = rank;
      t->merged[i] = merged;
      return;
    }
  }
}

/* The rank of merging left with right (merged id in *merged), or -1. */
static int32_t mergeFind(const qnt_merge_table *t, int32_t left, int32_t right,
                         int32_t *merged) {
  uint64_t key = (uint64_t)(uint32_t)left << 32 | (uint32_t)right;
  for (uint64_t i = mixKey(key) & t->mask;; i = (i + 1) & t->mask) {
    if (t->keys[i] == key) {
      *merged = t->merged[i];
      return t->ranks[i];
    }
    if (t->keys[i] == UINT64_MAX)
      return -1;
  }
}

static void mergeFree(qnt_merge_table *t) {
  if (!t)
    return;
  free(t->keys);
  free(t->ranks);
  free(t->merged);
  free(t);
}

/*===----------------------------------------------------------------------===*
 * The pre-tokenizers' expressions (from each model's tokenizer.json)
 *===----------------------------------------------------------------------===*/

#define LLAMA3_LIKE(digits)                                                    \
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|" digits        \
  "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
static const char kGpt2[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
static const char kLlama3[] = LLAMA3_LIKE("\\p{N}{1,3}");
static const char kQwen2[] = LLAMA3_LIKE("\\p{N}");
static const char kDigits[] = "\\p{N}";

static int compileSplit(qnt_vocab *v, const char *pattern, char *error,
                        size_t size) {
  int code;
  PCRE2_SIZE at;
  pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                                 PCRE2_UTF | PCRE2_UCP, &code, &at, NULL);
  if (!re) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(code, message, sizeof message);
    return qnt_rt_fail(error, size, "pre-tokenizer expression: %s at %zu",
                (const char *)message, (size_t)at);
  }
  pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* faster if available */
  v->split[v->split_count++] = re;
  return 0;
}

/*===----------------------------------------------------------------------===*
 * Preparing a vocabulary
 *===----------------------------------------------------------------------===*/

static int longerFirst(const void *a, const void *b, void *vocab) {
  const qnt_vocab *v = vocab;
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  if (v->lengths[x] != v->lengths[y])
    return v->lengths[x] < v->lengths[y] ? 1 : -1;
  return (x > y) - (x < y);
}

static int prepareBytePairs(qnt_vocab *v, const char *const *merges,
                            const uint32_t *lengths, int64_t count,
                            char *error, size_t size) {
  for (unsigned b = 0; b < 256; ++b) {
    char c[2];
    v->byte_tokens[b] = lookup(v, c, byteCharacter(b, c));
    if (v->byte_tokens[b] < 0)
      return qnt_rt_fail(error, size, "the vocabulary has no token for byte 0x%02X", b);
  }
  qnt_merge_table *t = calloc(1, sizeof *t);
  if (!t)
    return qnt_rt_fail(error, size, "out of memory");
  v->merges = t;
  uint64_t capacity = 16;
  while (capacity < 2 * (uint64_t)count)
    capacity *= 2;
  t->mask = capacity - 1;
  t->keys = malloc(capacity * sizeof *t->keys);
  t->ranks = malloc(capacity * sizeof *t->ranks);
  t->merged = malloc(capacity * sizeof *t->merged);
  if (!t->keys || !t->ranks || !t->merged)
    return qnt_rt_fail(error, size, "out of memory for %lld merges", (long long)count);
  memset(t->keys, 0xff, capacity * sizeof *t->keys);
  for (int64_t r = 0; r < count; ++r) {
    const char *m = merges[r];
    const char *space = lengths[r] > 1 ? memchr(m + 1, ' ', lengths[r] - 1) : NULL;
    if (!space)
      return qnt_rt_fail(error, size, "merge %lld is not \"left right\"", (long long)r);
    size_t left = (size_t)(space - m), right = lengths[r] - left - 1;
    char *joined = malloc(left + right + 1);
    if (!joined)
      return qnt_rt_fail(error, size, "out of memory");
    memcpy(joined, m, left);
    memcpy(joined + left, space + 1, right);
    int32_t a = lookup(v, m, left), b = lookup(v, space + 1, right),
            ab = lookup(v, joined, left + right);
    free(joined);
    if (a < 0 || b < 0 || ab < 0)
      return qnt_rt_fail(error, size, "merge %lld (%.*s) is not of tokens into a "
                  "token", (long long)r, (int)lengths[r], m);
    mergeInsert(t, a, b, (int32_t)r, ab);
  }

  v->specials = malloc(sizeof(int32_t) * (size_t)v->size);
  if (!v->specials)
    return qnt_rt_fail(error, size, "out of memory");
  for (int32_t i = 0; i < v->size; ++i)
    if ((v->types[i] == 3 || v->types[i] == 4) && v->lengths[i] > 0)
      v->specials[v->special_count++] = i;
  qsort_r(v->specials, (size_t)v->special_count, sizeof(int32_t), longerFirst, v);

  switch (v->pre) {
  case QNT_PRE_GPT2:
    return compileSplit(v, kGpt2, error, size);
  case QNT_PRE_LLAMA3:
    return compileSplit(v, kLlama3, error, size);
  case QNT_PRE_QWEN2:
    return compileSplit(v, kQwen2, error, size);
  case QNT_PRE_SMOLLM:
    if (compileSplit(v, kDigits, error, size) != 0)
      return -1;
    return compileSplit(v, kGpt2, error, size);
  }
  return qnt_rt_fail(error, size, "unknown pre-tokenizer %d", v->pre);
}

int qnt_vocab_prepare(qnt_vocab *v, const char *const *merges,
                      const uint32_t *merge_lengths, int64_t merge_count,
                      char *error, size_t size) {
  uint64_t capacity = 16;
  while (capacity < 2 * (uint64_t)v->size)
    capacity *= 2;
  v->piece_mask = capacity - 1;
  v->piece_table = malloc(sizeof(int32_t) * capacity);
  if (!v->piece_table)
    return qnt_rt_fail(error, size, "out of memory");
  memset(v->piece_table, 0xff, sizeof(int32_t) * capacity);
  /* A piece listed twice keeps its first id. */
  for (int32_t id = 0; id < v->size; ++id)
    if (lookup(v, v->pieces[id], v->lengths[id]) < 0) {
      uint64_t i = hashPiece(v->pieces[id], v->lengths[id]) & v->piece_mask;
      while (v->piece_table[i] >= 0)
        i = (i + 1) & v->piece_mask;
      v->piece_table[i] = id;
    }
  for (int i = 0; i < 256; ++i)
    v->byte_tokens[i] = -1;
  if (v->kind == QNT_TOKENIZER_BPE)
    return prepareBytePairs(v, merges, merge_lengths, merge_count, error, size);
  if (v->kind != QNT_TOKENIZER_SPM)
    return qnt_rt_fail(error, size, "unknown tokenizer kind %d", v->kind);
  for (int32_t i = 0; i < v->size; ++i) {
    unsigned byte;
    if (v->lengths[i] == 6 && sscanf(v->pieces[i], "<0x%2X>", &byte) == 1)
      v->byte_tokens[byte] = i;
  }
  return 0;
}

void qnt_vocab_free(qnt_vocab *v) {
  if (v->pieces)
    for (int32_t i = 0; i < v->size; ++i)
      free(v->pieces[i]);
  free(v->pieces);
  free(v->lengths);
  free(v->scores);
  free(v->types);
  free(v->piece_table);
  free(v->specials);
  free(v->chat_template);
  mergeFree(v->merges);
  for (int32_t i = 0; i < v->split_count; ++i)
    pcre2_code_free(v->split[i]);
  memset(v, 0, sizeof *v);
}

/*===----------------------------------------------------------------------===*
 * SentencePiece
 *===----------------------------------------------------------------------===*/

/* The ids of text, without BOS, into work (room for 4 * n + 8); the count. */
static int64_t tokenizeSentencePiece(const qnt_vocab *v, const char *text,
                                     size_t n, int32_t *work) {
  /* The normalized text: U+2581 in front and for every space. */
  size_t spaces = 0;
  for (size_t i = 0; i < n; ++i)
    spaces += text[i] == ' ';
  char *norm = malloc(n + 3 * (spaces + 1) + 1);
  if (!norm)
    return -1;
  size_t len = 0;
  if (n > 0) {
    memcpy(norm, kSpace, 3);
    len = 3;
  }
  for (size_t i = 0; i < n; ++i) {
    if (text[i] == ' ') {
      memcpy(norm + len, kSpace, 3);
      len += 3;
    } else {
      norm[len++] = text[i];
    }
  }

  /* Characters, or their bytes. */
  int64_t count = 0;
  for (size_t i = 0; i < len;) {
    size_t l = utf8Length((unsigned char)norm[i]);
    if (i + l > len)
      l = len - i;
    int32_t id = lookup(v, norm + i, l);
    if (id >= 0) {
      work[count++] = id;
    } else {
      for (size_t k = 0; k < l; ++k) {
        int32_t b = v->byte_tokens[(unsigned char)norm[i + k]];
        work[count++] = b >= 0 ? b : v->unk;
      }
    }
    i += l;
  }
  free(norm);

  /* Merges, best score first. */
  size_t longest = 0;
  for (int32_t i = 0; i < v->size; ++i)
    if (v->lengths[i] > longest)
      longest = v->lengths[i];
  char *pair = malloc(2 * longest + 1);
  if (!pair)
    return -1;
  for (;;) {
    float best = -1e30f;
    int32_t bestId = -1;
    int64_t bestAt = -1;
    for (int64_t i = 0; i + 1 < count; ++i) {
      uint32_t a = v->lengths[work[i]], b = v->lengths[work[i + 1]];
      memcpy(pair, v->pieces[work[i]], a);
      memcpy(pair + a, v->pieces[work[i + 1]], b);
      int32_t id = lookup(v, pair, a + b);
      if (id >= 0 && v->scores[id] > best) {
        best = v->scores[id];
        bestId = id;
        bestAt = i;
      }
    }
    if (bestAt < 0)
      break;
    mergeAt(work, &count, bestAt, bestId);
  }
  free(pair);
  return count;
}

/*===----------------------------------------------------------------------===*
 * Byte-level BPE
 *===----------------------------------------------------------------------===*/

typedef struct bpeOutput {
  int32_t *ids;
  int64_t count;
  char *scratch; /* a word in the byte alphabet: 2 bytes per byte */
} bpeOutput;

/* Appends the tokens of one word (raw bytes). */
static void bytePairWord(const qnt_vocab *v, const char *word, size_t n,
                         bpeOutput *out) {
  int32_t *symbols = out->ids + out->count;
  int64_t count = 0;
  if (v->pre == QNT_PRE_LLAMA3) { /* ignore_merges: a whole-word token wins */
    size_t len = 0;
    for (size_t i = 0; i < n; ++i)
      len += byteCharacter((unsigned char)word[i], out->scratch + len);
    int32_t id = lookup(v, out->scratch, len);
    if (id >= 0) {
      symbols[0] = id;
      out->count += 1;
      return;
    }
  }
  for (size_t i = 0; i < n; ++i)
    symbols[count++] = v->byte_tokens[(unsigned char)word[i]];
  for (;;) {
    int32_t bestRank = -1, bestId = -1;
    int64_t bestAt = -1;
    for (int64_t i = 0; i + 1 < count; ++i) {
      int32_t merged;
      int32_t rank = mergeFind(v->merges, symbols[i], symbols[i + 1], &merged);
      if (rank >= 0 && (bestRank < 0 || rank < bestRank)) {
        bestRank = rank;
        bestId = merged;
        bestAt = i;
      }
    }
    if (bestAt < 0)
      break;
    mergeAt(symbols, &count, bestAt, bestId);
  }
  out->count += count;
}

/* Splits [text, text + n) by expression `level` and the ones after it;
 * what they match and the gaps between are words. */
static int splitWords(const qnt_vocab *v, int32_t level, const char *text,
                      size_t n, pcre2_match_data *match, bpeOutput *out) {
  if (n == 0)
    return 0;
  if (level == v->split_count) {
    bytePairWord(v, text, n, out);
    return 0;
  }
  const pcre2_code *re = v->split[level];
  size_t at = 0;
  while (at < n) {
    int rc = pcre2_match(re, (PCRE2_SPTR)text, n, at, PCRE2_NO_UTF_CHECK,
                         match, NULL);
    if (rc == PCRE2_ERROR_NOMATCH)
      break;
    if (rc < 0)
      return -1;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(match);
    size_t begin = ov[0], end = ov[1];
    if (end == begin) /* an empty match: take the next character as a gap */
      end = begin + utf8Length((unsigned char)text[begin]);
    if (begin > at && splitWords(v, level + 1, text + at, begin - at, match, out) != 0)
      return -1;
    if (splitWords(v, level + 1, text + begin, end - begin, match, out) != 0)
      return -1;
    at = end;
  }
  return splitWords(v, level + 1, text + at, n - at, match, out);
}

/* The special token at text, longest first, or -1. */
static int32_t specialAt(const qnt_vocab *v, const char *text, size_t n) {
  for (int32_t i = 0; i < v->special_count; ++i) {
    int32_t id = v->specials[i];
    uint32_t l = v->lengths[id];
    if (l <= n && v->pieces[id][0] == text[0] && memcmp(v->pieces[id], text, l) == 0)
      return id;
  }
  return -1;
}

static int64_t tokenizeBytePairs(const qnt_vocab *v, const char *text,
                                 size_t n, int32_t *work) {
  pcre2_match_data *match = pcre2_match_data_create(1, NULL);
  if (!match)
    return -1;
  /* Valid UTF-8 only (the expressions read characters): PCRE2 checks the
   * whole subject once here, and the matches below skip the check. */
  int rc = pcre2_match(v->split[0], (PCRE2_SPTR)text, n, 0, 0, match, NULL);
  if (rc <= PCRE2_ERROR_UTF8_ERR1 && rc >= PCRE2_ERROR_UTF8_ERR21) {
    pcre2_match_data_free(match);
    return -2;
  }
  bpeOutput out = {work, 0, malloc(2 * n + 2)};
  int64_t result = -1;
  if (!out.scratch)
    goto done;
  size_t start = 0;
  for (size_t i = 0; i < n;) {
    int32_t special = specialAt(v, text + i, n - i);
    if (special < 0) {
      ++i;
      continue;
    }
    if (splitWords(v, 0, text + start, i - start, match, &out) != 0)
      goto done;
    out.ids[out.count++] = special;
    i += v->lengths[special];
    start = i;
  }
  if (splitWords(v, 0, text + start, n - start, match, &out) != 0)
    goto done;
  result = out.count;
done:
  pcre2_match_data_free(match);
  free(out.scratch);
  return result;
}

int64_t qnt_tokenize(const qnt_vocab *v, const char *text, int bos,
                     int32_t *ids, int64_t max) {
  size_t n = strlen(text);
  /* SentencePiece writes at most 4 ids a byte (one per byte of a 3-byte
   * U+2581); BPE at most one. */
  int32_t *work = malloc(sizeof(int32_t) * (4 * n + 8));
  if (!work)
    return -1;
  int64_t count = v->kind == QNT_TOKENIZER_BPE
                      ? tokenizeBytePairs(v, text, n, work)
                      : tokenizeSentencePiece(v, text, n, work);
  int64_t total = count + (bos ? 1 : 0);
  if (count < 0 || total > max || (bos && v->bos < 0)) {
    free(work);
    return count == -2 ? -2 : -1;
  }
  int64_t out = 0;
  if (bos)
    ids[out++] = v->bos;
  memcpy(ids + out, work, sizeof(int32_t) * (size_t)count);
  free(work);
  return total;
}

int64_t qnt_detokenize(const qnt_vocab *v, int32_t previous, int32_t id,
                       char *out, int64_t max) {
  if (max <= 0)
    return 0;
  out[0] = 0;
  if (id < 0 || id >= v->size || v->types[id] == 3 /* control */)
    return 0;
  const char *piece = v->pieces[id];
  int64_t n = 0;
  if (v->kind == QNT_TOKENIZER_BPE) {
    const unsigned char *p = (const unsigned char *)piece;
    const unsigned char *end = p + v->lengths[id];
    while (p < end && n + 1 < max) {
      size_t l = utf8Length(*p);
      unsigned cp = *p;
      if (l == 2 && p + 1 < end)
        cp = (unsigned)(p[0] & 0x1F) << 6 | (p[1] & 0x3F);
      int b = v->types[id] == 4 || l > 2 ? -1 : alphabetByte(cp);
      if (b >= 0) {
        out[n++] = (char)b;
        p += l;
      } else { /* user-defined tokens and other characters as they are */
        for (size_t k = 0; k < l && p < end && n + 1 < max; ++k)
          out[n++] = (char)*p++;
      }
    }
    out[n] = 0;
    return n;
  }
  unsigned byte;
  if (v->lengths[id] == 6 && v->types[id] == 6 &&
      sscanf(piece, "<0x%2X>", &byte) == 1) {
    if (max > 1)
      out[n++] = (char)byte;
    out[n] = 0;
    return n;
  }
  /* After BOS, SentencePiece drops the piece's leading space. */
  if (previous == v->bos && strncmp(piece, kSpace, 3) == 0)
    piece += 3;
  for (; *piece && n + 1 < max;) {
    if (strncmp(piece, kSpace, 3) == 0) {
      out[n++] = ' ';
      piece += 3;
    } else {
      out[n++] = *piece++;
    }
  }
  out[n] = 0;
  return n;
}

int32_t qnt_token_id(const qnt_vocab *v, const char *piece) {
  return lookup(v, piece, strlen(piece));
}

int qnt_is_end_of_generation(const qnt_vocab *v, int32_t id) {
  static const char *const kEndOfTurn[] = {
      "<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<|end_of_text|>",
      "<|endoftext|>", "<end_of_turn>"};
  if (id < 0 || id >= v->size)
    return 0;
  if (id == v->eos || id == v->eot)
    return 1;
  if (v->types[id] != 3)
    return 0;
  for (size_t i = 0; i < sizeof kEndOfTurn / sizeof kEndOfTurn[0]; ++i)
    if (strcmp(v->pieces[id], kEndOfTurn[i]) == 0)
      return 1;
  return 0;
}

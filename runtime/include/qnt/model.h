/*===- qnt/model.h - A compiled model at run time -------------------------===*
 *
 * quant-compile model.gguf -o model.so writes three files:
 *   model.so       the compiled code: _mlir_ciface_forward, _mlir_ciface_decode
 *   model.weights  the packed (quantized) weights, named tensors with an
 *                  index (qnt/weights.h), read at load into huge-page
 *                  memory (mapped with QNT_MMAP_WEIGHTS=1)
 *   model.meta     hyperparameters and the tokenizer, in the layout below
 * They are a checked triple: model.meta records the size and fingerprint of
 * model.weights and a model id that model.so carries too (QNT_MODEL_ID_SYMBOL),
 * with the entry points' ABI version. The loader refuses a truncated,
 * foreign or mismatched file before any compiled code runs.
 *
 * The entry points (qnt/entry_points.def describes their parameters for
 * the importer and for the function types below; the header quant-compile
 * writes next to an object spells them out):
 *   forward(tokens [T] i32, pos, logits_from, kcache, vcache, weights,
 *           logits [T - logits_from, V])
 *   decode (tokens [1] i32, pos, kcache, vcache, weights, logits [1, V])
 * (with a q8_0 cache, kscales and vscales after vcache).
 * Both write the keys and values of positions pos .. pos + T - 1 into the
 * caches ([layers, context, kv_dim], f16, f32 or q8_0 as model.meta's
 * kv_cache says) and read positions 0 .. pos + T - 1.
 * forward computes the logits of positions from .. T - 1 of the call only
 * (0 <= from < T): T - 1 when generating, 0 for every position's.
 *
 *===----------------------------------------------------------------------===*/

#ifndef QNT_MODEL_H
#define QNT_MODEL_H

#include "qnt/runtime.h"
#include "qnt/weights.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*===----------------------------------------------------------------------===*
 * model.meta: a header, then `vocab` tokens, each
 *   float score; int32_t type; uint32_t length; char piece[length];
 * then `merges` merges (byte-level BPE, best first), each
 *   uint32_t length; char text[length];   ("left right")
 * then `chat_template` bytes of the chat template (Jinja, from the GGUF),
 * then `notes` bytes of what quant-compile decided (--accuracy-budget),
 * all little-endian.
 *===----------------------------------------------------------------------===*/

#define QNT_META_MAGIC "QNTMETA3"

#define QNT_TOKENIZER_SPM 0 /* SentencePiece (tokenizer.ggml.model "llama") */
#define QNT_TOKENIZER_BPE 1 /* byte-level BPE ("gpt2") */

/* Byte-level BPE pre-tokenizers (tokenizer.ggml.pre): how text is split
 * into words before merging, by the Hugging Face regular expressions. */
#define QNT_PRE_GPT2 0   /* "default", "gpt2": GPT-2's */
#define QNT_PRE_LLAMA3 1 /* "llama-bpe": Llama 3's, digits in threes */
#define QNT_PRE_QWEN2 2  /* "qwen2": Llama 3's with single digits */
#define QNT_PRE_SMOLLM 3 /* "smollm": single digits, then GPT-2's */

/* The calling convention of forward/decode below; a model.so built for
 * another is refused. */
#define QNT_MODEL_ABI_VERSION 3
/* What model.so exports besides its entry points: */
#define QNT_MODEL_ID_SYMBOL "qnt_model_id"                   /* uint64_t */
#define QNT_MODEL_ABI_SYMBOL "qnt_model_abi_version"         /* int32_t */
#define QNT_PROFILE_NAMES_SYMBOL "qnt_profile_names"         /* --profile */

typedef struct qnt_meta_header {
  char magic[8];
  int64_t dim, blocks, heads, kv_heads, head_dim, rope_dim, ffn, vocab;
  int64_t context; /* KV cache rows */
  float rope_base, rms_eps;
  int32_t bos, eos, unk, add_bos; /* -1: no such token */
  int32_t tokenizer;              /* QNT_TOKENIZER_* */
  int32_t pre;                    /* QNT_PRE_*, for BPE */
  int32_t eot;                    /* end of turn, -1 if none */
  int32_t kv_cache;               /* QNT_KV_CACHE_*: the caches' element type */
  int64_t merges;                 /* merges after the tokens */
  int64_t chat_template;          /* bytes of the chat template after them */
  int64_t notes;                  /* bytes of compile notes after that */
  /* How quant-compile quantized the model: */
  int32_t quantization; /* QNT_QUANT_* */
  int32_t abi_version;  /* QNT_MODEL_ABI_VERSION of model.so */
  uint64_t weights_size;
  uint64_t weights_fingerprint; /* qnt_weights_fingerprint of model.weights */
  /* qnt_model_id of the header above: what model.so exports as
   * QNT_MODEL_ID_SYMBOL. */
  uint64_t model_id;
} qnt_meta_header;

/** A 64-bit fingerprint of a weights file: FNV-1a over its size, its first
 *  and last 64 KiB and 256 evenly spaced 4 KiB pages. It tells a truncated,
 *  swapped or foreign file from the one a model was compiled with, in a
 *  millisecond, without reading gigabytes. */
uint64_t qnt_weights_fingerprint(const void *data, uint64_t size);
/** The id of a model: FNV-1a of the header's bytes before `model_id`. */
uint64_t qnt_model_id(const qnt_meta_header *header);

/** Writes model.meta at `path` in the layout above, the one the loader
 *  reads (both in model.c): `header` as it is, then its `vocab` tokens
 *  (`pieces[i]` of `lengths[i]` bytes, `scores`, `types`), its `merges`
 *  merges (`merge_pieces[i]` of `merge_lengths[i]` bytes), `chat_template`
 *  bytes of `chat_template` and `notes` bytes of `notes`. quant-compile is its
 *  writer. 0 on success, else -1 with `error` set. */
int qnt_meta_write(const char *path, const qnt_meta_header *header,
                   const char *const *pieces, const uint32_t *lengths,
                   const float *scores, const int32_t *types,
                   const char *const *merge_pieces,
                   const uint32_t *merge_lengths, const char *chat_template,
                   const char *notes, char *error, size_t error_size);

#define QNT_KV_CACHE_F32 0 /* quant-compile --kv-cache=f32 */
#define QNT_KV_CACHE_F16 1 /* --kv-cache=f16 (the default) */
#define QNT_KV_CACHE_Q8_0 2 /* --kv-cache=q8_0: i8 values, and an f16 scale
                               per block of 32 of a row in a second cache
                               ([blocks, context, kv_dim / 32]) */
/** Bytes of one cached key or value element: 4, 2 or 1 (q8_0's values,
 *  without their scales); 0 for an unknown type. */
size_t qnt_kv_cache_element_size(int32_t kv_cache);
/** "f32", "f16", "q8_0", or "?" for an unknown type. */
const char *qnt_kv_cache_name(int32_t kv_cache);
/** Bytes the KV cache holds per position: keys and values of every layer. */
int64_t qnt_kv_cache_bytes_per_token(const qnt_meta_header *header);

#define QNT_QUANT_FLOAT 0   /* --no-quantize */
#define QNT_QUANT_DEFAULT 1 /* Q8_0 weights, per-block f32 int8 activations */
#define QNT_QUANT_CUSTOM 2  /* other options */
/* The default, with the activations of K-quant weights (Q4_K, Q6_K) scaled
 * per super-block of 256 (sums per weight block, GGML's Q8_K): the default
 * on AVX2 targets without VNNI (quant-compile --act-super-blocks). */
#define QNT_QUANT_DEFAULT_SUPER_ACT 3

/*===----------------------------------------------------------------------===*
 * Tokenizer (from the GGUF vocabulary: SentencePiece or byte-level BPE)
 *===----------------------------------------------------------------------===*/

typedef struct qnt_merge_table qnt_merge_table; /* BPE: (left, right) -> rank */

typedef struct qnt_vocab {
  int32_t size;
  int32_t kind;     /* QNT_TOKENIZER_* */
  int32_t pre;      /* QNT_PRE_* */
  char **pieces;    /* UTF-8: U+2581 for spaces (SPM), the byte alphabet (BPE) */
  uint32_t *lengths;
  float *scores;
  int32_t *types;   /* 1 normal, 2 unknown, 3 control, 4 user-defined, 6 byte */
  int32_t bos, eos, unk, add_bos, eot; /* -1: none */
  int32_t byte_tokens[256]; /* SPM: <0xXX> pieces; BPE: each byte's character */
  int32_t *piece_table;     /* piece -> id, open addressing, -1 where empty */
  uint64_t piece_mask;      /* its capacity - 1 */
  /* Byte-level BPE: */
  qnt_merge_table *merges;
  int32_t *specials;        /* control and user-defined ids, longest first,
                               matched as whole tokens in the text */
  int32_t special_count;
  void *split[2];           /* the pre-tokenizer's compiled expressions */
  int32_t split_count;
  char *chat_template;      /* NUL-terminated, "" if the model has none */
} qnt_vocab;

/** Prepares a vocabulary whose pieces, types and kind are set for
 *  qnt_tokenize: the lookup order, byte tokens, and for BPE the merge table
 *  from `merges` strings ("left right", best first), the special tokens and
 *  the pre-tokenizer. Returns 0, or -1 with a message. */
int qnt_vocab_prepare(qnt_vocab *vocab, const char *const *merges,
                      const uint32_t *merge_lengths, int64_t merge_count,
                      char *error, size_t error_size);
/** Frees what qnt_vocab_prepare and the loader allocated. */
void qnt_vocab_free(qnt_vocab *vocab);

/** Encodes UTF-8 text, BOS first if `bos`. SentencePiece: a leading space,
 *  pieces by score-ordered merges, bytes without a piece as <0xXX>. BPE:
 *  special tokens matched whole, the rest split by the pre-tokenizer, each
 *  word's bytes merged by rank. Writes at most `max` ids; returns the
 *  count, -1 if `max` is too small, -2 if the text is not valid UTF-8 (BPE). */
int64_t qnt_tokenize(const qnt_vocab *vocab, const char *text, int bos,
                     int32_t *ids, int64_t max);
/** Whether generation ends at token `id`: EOS, the end-of-turn token, or a
 *  control token written as one (<|eot_id|>, <|eom_id|>, <|im_end|>,
 *  <|end_of_text|>, <|endoftext|>, <end_of_turn>). */
int qnt_is_end_of_generation(const qnt_vocab *vocab, int32_t id);
/** The id of a piece ("<|im_start|>"), or -1. */
int32_t qnt_token_id(const qnt_vocab *vocab, const char *piece);

/** The bytes of a token after `previous` (SentencePiece's leading space is
 *  dropped after BOS; <0xXX> pieces and the BPE alphabet give their bytes,
 *  which may be part of a UTF-8 character; control tokens give nothing).
 *  Writes at most `max` bytes with a NUL and returns the length. */
int64_t qnt_detokenize(const qnt_vocab *vocab, int32_t previous, int32_t id,
                       char *out, int64_t max);

/*===----------------------------------------------------------------------===*
 * Sampling
 *===----------------------------------------------------------------------===*/

typedef struct qnt_sampler {
  float temperature; /* 0: greedy */
  int32_t top_k;     /* 0: all */
  float top_p;       /* 1: all */
  uint64_t state;    /* xorshift seed */
  int32_t *order;    /* scratch of vocab ids */
  float *probs;      /* scratch of vocab probabilities */
} qnt_sampler;

int qnt_sampler_init(qnt_sampler *s, int32_t vocab, float temperature,
                     int32_t top_k, float top_p, uint64_t seed);
void qnt_sampler_free(qnt_sampler *s);
/** The next token from one row of logits. */
int32_t qnt_sample(qnt_sampler *s, const float *logits, int32_t vocab);

/*===----------------------------------------------------------------------===*
 * A loaded model
 *===----------------------------------------------------------------------===*/

/* The entry points' C types, parameter by parameter from
 * qnt/entry_points.def (the description the importer builds them from):
 * qnt_forward_fn and qnt_decode_fn, and with a q8_0 cache, whose scales
 * follow the caches, qnt_forward_q8_fn and qnt_decode_q8_fn. */
#define QNT_ENTRY_C_TOKENS qnt_memref_1d *
#define QNT_ENTRY_C_POSITION int64_t
#define QNT_ENTRY_C_CACHE qnt_memref_4d *
#define QNT_ENTRY_C_CACHE_SCALES qnt_memref_4d *
#define QNT_ENTRY_C_WEIGHTS qnt_memref_1d *
#define QNT_ENTRY_C_LOGITS qnt_memref_2d *
/* A comma after every parameter but the last (the logits). */
#define QNT_ENTRY_SEP_TOKENS ,
#define QNT_ENTRY_SEP_POSITION ,
#define QNT_ENTRY_SEP_CACHE ,
#define QNT_ENTRY_SEP_CACHE_SCALES ,
#define QNT_ENTRY_SEP_WEIGHTS ,
#define QNT_ENTRY_SEP_LOGITS
#define QNT_ENTRY_KEEP(...) __VA_ARGS__
#define QNT_ENTRY_DROP(...)
#define QNT_ENTRY_PARAM(name, kind, when)                                      \
  QNT_ENTRY_WHEN_##when(QNT_ENTRY_C_##kind name QNT_ENTRY_SEP_##kind)
#define QNT_ENTRY_WHEN_ALL QNT_ENTRY_KEEP

#define QNT_ENTRY_WHEN_PREFILL QNT_ENTRY_KEEP
#define QNT_ENTRY_WHEN_Q8 QNT_ENTRY_DROP
typedef void (*qnt_forward_fn)(
#include "qnt/entry_points.def"
);
#undef QNT_ENTRY_WHEN_Q8
#define QNT_ENTRY_WHEN_Q8 QNT_ENTRY_KEEP
typedef void (*qnt_forward_q8_fn)(
#include "qnt/entry_points.def"
);
#undef QNT_ENTRY_WHEN_PREFILL
#define QNT_ENTRY_WHEN_PREFILL QNT_ENTRY_DROP
typedef void (*qnt_decode_q8_fn)(
#include "qnt/entry_points.def"
);
#undef QNT_ENTRY_WHEN_Q8
#define QNT_ENTRY_WHEN_Q8 QNT_ENTRY_DROP
typedef void (*qnt_decode_fn)(
#include "qnt/entry_points.def"
);
#undef QNT_ENTRY_WHEN_Q8
#undef QNT_ENTRY_WHEN_PREFILL
#undef QNT_ENTRY_WHEN_ALL
#undef QNT_ENTRY_PARAM

typedef struct qnt_model {
  qnt_meta_header config;
  qnt_vocab vocab;
  void *library;               /* dlopen handle */
  qnt_forward_fn forward;
  qnt_decode_fn decode;
  void *weights;               /* model.weights, read or mapped */
  size_t weights_size;
  qnt_weights_index weights_index; /* its named tensors (qnt/weights.h) */
  void *kcache, *vcache;       /* [blocks, context, kv_heads * head_dim] of
                                  config.kv_cache's type (f32, f16 or i8) */
  void *kscales, *vscales;     /* q8_0: [blocks, context, kv_dim / 32] f16;
                                  NULL otherwise */
  /* Compiled with --profile: the name of each timed op id, "function layer
   * op", NUL-separated, an empty name last; NULL otherwise. */
  const char *profile_names;
  /* What quant-compile recorded about its choices (the layers an accuracy
   * budget kept in float), NUL-terminated; "" if nothing. */
  char *notes;
  /* Prefill batch: a run of more tokens calls the compiled forward on at
   * most this many at a time, so its activation buffers do not grow with
   * the prompt (QNT_DEFAULT_BATCH after loading; 0: one call whatever the
   * count). */
  int64_t batch;
} qnt_model;

/** The prefill batch qnt_model_load sets: 512 tokens, as llama.cpp's
 *  micro-batch. */
#define QNT_DEFAULT_BATCH 512

/** Loads model.so with model.weights and model.meta beside it, after
 *  checking that the three belong together (sizes, fingerprint, model id,
 *  ABI version). Returns 0, or -1 with a message in `error` that names the
 *  file and what is wrong. The first call also keeps the process's freed
 *  buffers mapped (glibc: mmap threshold 32 MiB, trim threshold 1 GiB), as
 *  the compiled code allocates and frees its activations every call. */
int qnt_model_load(qnt_model *m, const char *library_path, char *error,
                   size_t error_size);
void qnt_model_free(qnt_model *m);

/** Runs `count` tokens at positions pos .. pos + count - 1 (prefill when
 *  count > 1, a decode step when 1; in calls of at most m->batch tokens)
 *  and writes count x vocab logits, one row per position. Returns -1 with a
 *  message if the positions run past the context. */
int qnt_model_run(qnt_model *m, const int32_t *tokens, int64_t count,
                  int64_t pos, float *logits, char *error, size_t error_size);
/** The same, but writes the logits of the last position only (1 x vocab):
 *  what generation needs, without the output head's work for the others. */
int qnt_model_run_last(qnt_model *m, const int32_t *tokens, int64_t count,
                       int64_t pos, float *logits, char *error,
                       size_t error_size);

#ifdef __cplusplus
}
#endif

#endif /* QNT_MODEL_H */

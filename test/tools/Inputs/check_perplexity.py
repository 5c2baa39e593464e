"""Recomputes the perplexity of quant-run's first chunk from --logits-out.

Usage: check_perplexity.py LOGITS.f32 TOKENS.txt PERPLEXITY.txt CHUNK VOCAB

LOGITS.f32 holds [positions, VOCAB] float32 logits of a prompt whose tokens
TOKENS.txt lists (quant-run --tokens-out); PERPLEXITY.txt is quant-run
--perplexity's output for the same text with --chunk CHUNK. The tokens of
positions CHUNK/2 + 1 .. CHUNK - 1 are scored, as quant-run and
llama-perplexity score them; the perplexity of chunk 1 must agree.
"""
import re
import sys

import numpy as np

logits_path, tokens_path, ppl_path, chunk, vocab = sys.argv[1:6]
chunk, vocab = int(chunk), int(vocab)
logits = np.fromfile(logits_path, dtype=np.float32)
assert logits.size % vocab == 0, "the logits file is not [positions, vocab]"
logits = logits.reshape(-1, vocab).astype(np.float64)
line = [l for l in open(tokens_path) if l.startswith("tokens:")][0]
tokens = [int(t) for t in line.split()[1:]]
assert logits.shape[0] >= chunk, "fewer positions than one chunk"
assert logits.shape[0] <= len(tokens)

rows = logits[chunk // 2 : chunk - 1]
targets = np.array(tokens[chunk // 2 + 1 : chunk])
m = rows.max(axis=1, keepdims=True)
logsum = np.log(np.exp(rows - m).sum(axis=1)) + m[:, 0]
nll = logsum - rows[np.arange(len(targets)), targets]
expected = float(np.exp(nll.mean()))

got = float(re.search(r"\[1\]([0-9.]+)", open(ppl_path).read()).group(1))
if abs(got - expected) > 1e-3 * expected:
    print(f"perplexity of chunk 1: quant-run {got}, numpy {expected:.4f}: FAILED")
    sys.exit(1)
print(f"perplexity of chunk 1: quant-run {got}, numpy {expected:.4f}: ok")

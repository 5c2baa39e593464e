#!/usr/bin/env python3
"""Recomputes one row of quant-compile --sensitivity from compiled models.

  check_sensitivity.py SENSITIVITY.csv LAYER FLOAT.f32 ONE.f32 VOCAB

FLOAT.f32 and ONE.f32 are quant-run --logits-out of the same text from a
float compile and from a compile with only LAYER quantized (every other
linear --keep-float). numpy's mean KL(float || one) over every position must
agree with the CSV's (the scalar reference's) within 10%.
"""
import csv
import sys

import numpy as np

path, layer, float_path, one_path, vocab = sys.argv[1:6]
vocab = int(vocab)
rows = {r["linear"]: r for r in csv.DictReader(open(path))}
expected = float(rows[layer]["kl"])
p = np.fromfile(float_path, dtype=np.float32).reshape(-1, vocab).astype(np.float64)
q = np.fromfile(one_path, dtype=np.float32).reshape(-1, vocab).astype(np.float64)
lp = p - np.log(np.exp(p - p.max(1, keepdims=True)).sum(1, keepdims=True)) - p.max(1, keepdims=True)
lq = q - np.log(np.exp(q - q.max(1, keepdims=True)).sum(1, keepdims=True)) - q.max(1, keepdims=True)
kl = float(np.mean(np.sum(np.exp(lp) * (lp - lq), axis=1)))
ok = abs(kl - expected) <= 0.1 * expected
print(f"{layer}: compiled KL {kl:.4g}, reference {expected:.4g}: {'ok' if ok else 'MISMATCH'}")
sys.exit(0 if ok else 1)

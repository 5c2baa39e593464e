#!/usr/bin/env python3
"""Recomputes a quant-compile summary line from compiled models.

  check_summary.py SUMMARY.txt FLOAT.f32 MODEL.f32 BASELINE.f32 VOCAB

The summary is --act-mode=static's ("mean KL X, ... (dynamic: KL Y, ...") or
--act-asymmetric's ("mean KL X, ... (symmetric: KL Y, ..."). The .f32 files
are quant-run --logits-out of the calibration text from a float compile, the
compile the summary is about and a default compile. numpy's mean
KL(float || model) over every position must agree with the summary's (the
scalar reference's) within 10%, for both.
"""
import re
import sys

import numpy as np

summary, float_path, model_path, baseline_path, vocab = sys.argv[1:6]
vocab = int(vocab)
text = open(summary).read()
m = re.search(r"(static|asymmetric) activations .*mean KL ([0-9.e+-]+),"
              r".*\((dynamic|symmetric): KL ([0-9.e+-]+),", text)
if not m:
    sys.exit("no summary line in " + summary)
model, baseline = m.group(1), m.group(3)
expected = {model: float(m.group(2)), baseline: float(m.group(4))}


def logsoftmax(a):
    top = a.max(1, keepdims=True)
    return a - top - np.log(np.exp(a - top).sum(1, keepdims=True))


lp = logsoftmax(np.fromfile(float_path, np.float32).reshape(-1, vocab).astype(np.float64))
ok = True
for name, path in ((model, model_path), (baseline, baseline_path)):
    lq = logsoftmax(np.fromfile(path, np.float32).reshape(-1, vocab).astype(np.float64))
    kl = float(np.mean(np.sum(np.exp(lp) * (lp - lq), axis=1)))
    good = abs(kl - expected[name]) <= 0.1 * expected[name]
    ok = ok and good
    print(f"{name}: compiled KL {kl:.4g}, reference {expected[name]:.4g}: "
          f"{'ok' if good else 'MISMATCH'}")
sys.exit(0 if ok else 1)

#!/usr/bin/env python3
"""Recomputes quant-compile --act-mode=static's summary from compiled models.

  check_static.py SUMMARY.txt FLOAT.f32 STATIC.f32 DYNAMIC.f32 VOCAB

The .f32 files are quant-run --logits-out of the calibration text from a
float compile, the static compile and a default (dynamic) compile. numpy's
mean KL(float || model) over every position must agree with the summary's
(the scalar reference's) within 10%, for both.
"""
import re
import sys

import numpy as np

summary, float_path, static_path, dynamic_path, vocab = sys.argv[1:6]
vocab = int(vocab)
text = open(summary).read()
m = re.search(r"mean KL ([0-9.e+-]+),.*\(dynamic: KL ([0-9.e+-]+),", text)
if not m:
    sys.exit("no summary line in " + summary)
expected = {"static": float(m.group(1)), "dynamic": float(m.group(2))}


def logsoftmax(a):
    top = a.max(1, keepdims=True)
    return a - top - np.log(np.exp(a - top).sum(1, keepdims=True))


lp = logsoftmax(np.fromfile(float_path, np.float32).reshape(-1, vocab).astype(np.float64))
ok = True
for name, path in (("static", static_path), ("dynamic", dynamic_path)):
    lq = logsoftmax(np.fromfile(path, np.float32).reshape(-1, vocab).astype(np.float64))
    kl = float(np.mean(np.sum(np.exp(lp) * (lp - lq), axis=1)))
    good = abs(kl - expected[name]) <= 0.1 * expected[name]
    ok = ok and good
    print(f"{name}: compiled KL {kl:.4g}, reference {expected[name]:.4g}: "
          f"{'ok' if good else 'MISMATCH'}")
sys.exit(0 if ok else 1)

#!/usr/bin/env python3
"""Compares what two KV cache types cost in accuracy.

  kv_cache_kl.py VOCAB FLOAT.f32 BASE.f32 MODEL.f32 MAX_RATIO

The .f32 files are quant-run --logits-out of one prompt: a float compile
(--no-quantize --kv-cache=f32), the quantized model with the cache it is
compared with (BASE) and with the cache under test (MODEL). numpy's mean
KL(float || MODEL) over the positions must be at most MAX_RATIO times
KL(float || BASE): the cache's rounding adds little to the quantization's
own error.
"""
import sys

import numpy as np

vocab = int(sys.argv[1])
float_path, base_path, model_path = sys.argv[2:5]
max_ratio = float(sys.argv[5])


def logsoftmax(a):
    a = a.astype(np.float64)
    top = a.max(1, keepdims=True)
    return a - top - np.log(np.exp(a - top).sum(1, keepdims=True))


def load(path):
    return logsoftmax(np.fromfile(path, dtype=np.float32).reshape(-1, vocab))


reference = load(float_path)


def mean_kl(path):
    model = load(path)
    if model.shape != reference.shape:
        sys.exit("%s: %s logits, the float model's are %s" % (path, model.shape, reference.shape))
    return float((np.exp(reference) * (reference - model)).sum(1).mean())


base, model = mean_kl(base_path), mean_kl(model_path)
ratio = model / base
print("mean KL from float: %.4g with the cache under test, %.4g with the base cache, ratio %.3f"
      % (model, base, ratio))
if not ratio <= max_ratio:
    sys.exit("KV cache costs too much: ratio %.3f > %g" % (ratio, max_ratio))
print("ok")

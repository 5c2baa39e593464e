#!/usr/bin/env python3
"""Attention over a quantized or f16 KV cache, against numpy.

  attention.py gen DIR --cache q8_0|f16|f32 [--rows T --pos P --heads H
                       --kv-heads KV --head-dim D --context C --seed S]
  attention.py check DIR

gen writes DIR/attention.mlir (one qnt.attention over a cache of C rows,
with key and value scales for q8_0) and its inputs: the query q [T, H*D]
f32, the cache's keys and values [C, KV*D] (i8 with an f16 scale per block
of 32 of a row, f16, or f32), the rows past pos + T - 1 filled with values
a correct kernel never reads (huge ones). attention-app writes out.bin.
check recomputes, in float64: every cache value as scale * q (or as
stored), scores q . k times 1/sqrt(D) for cache rows 0 .. pos + t of the
query row's KV head, softmax, the weighted sum of values; and compares.
"""
import argparse
import os
import sys

import numpy as np


def gen(args):
    rng = np.random.default_rng(args.seed)
    os.makedirs(args.dir, exist_ok=True)
    t, c, d = args.rows, args.context, args.head_dim
    qcols, kvcols = args.heads * d, args.kv_heads * d
    q = rng.normal(0, 1, (t, qcols)).astype(np.float32)
    filled = args.pos + t
    if args.cache == "q8_0":
        k = rng.integers(-127, 128, (c, kvcols)).astype(np.int8)
        v = rng.integers(-127, 128, (c, kvcols)).astype(np.int8)
        ks = rng.uniform(0.002, 0.03, (c, kvcols // 32)).astype(np.float16)
        vs = rng.uniform(0.002, 0.03, (c, kvcols // 32)).astype(np.float16)
        ks[filled:] = np.float16(60000.0)  # unread rows: would swamp the scores
        vs[filled:] = np.float16(60000.0)
        parts = {"k": k, "v": v, "ks": ks, "vs": vs}
    else:
        dtype = np.float16 if args.cache == "f16" else np.float32
        k = rng.normal(0, 1, (c, kvcols)).astype(dtype)
        v = rng.normal(0, 1, (c, kvcols)).astype(dtype)
        k[filled:] = 60000.0
        v[filled:] = 60000.0
        parts = {"k": k, "v": v}
    q.tofile(os.path.join(args.dir, "q.bin"))
    for name, a in parts.items():
        if args.head_major:  # [C, KV * x] -> [KV, C, x]
            a = np.ascontiguousarray(
                a.reshape(c, args.kv_heads, -1).transpose(1, 0, 2))
        a.tofile(os.path.join(args.dir, name + ".bin"))
    element = {"q8_0": "i8", "f16": "f16", "f32": "f32"}[args.cache]
    if args.head_major:
        cache = "tensor<%dx%dx%dx%s>" % (args.kv_heads, c, d, element)
        scales = "tensor<%dx%dx%dxf16>" % (args.kv_heads, c, d // 32)
    else:
        cache = "tensor<%dx%dx%s>" % (c, kvcols, element)
        scales = "tensor<%dx%dxf16>" % (c, kvcols // 32)
    scale = 1.0 / np.sqrt(d)
    if args.cache == "q8_0":
        signature = "%%k: %s, %%v: %s, %%ks: %s, %%vs: %s" % (cache, cache, scales, scales)
        use = "%k, %v, %pos scales(%ks, %vs)"
        types = "%s, %s, %s, %s" % (cache, cache, scales, scales)
    else:
        signature = "%%k: %s, %%v: %s" % (cache, cache)
        use = "%k, %v, %pos"
        types = "%s, %s" % (cache, cache)
    act = "tensor<?x%dxf32>" % qcols
    attrs = "{num_heads = %d, num_kv_heads = %d, scale = %.9e : f32}" % (
        args.heads, args.kv_heads, scale)
    with open(os.path.join(args.dir, "attention.mlir"), "w") as f:
        f.write("func.func @attention(%q: " + act + ", " + signature +
                ", %pos: index) -> " + act + " {\n"
                "  %o = qnt.attention %q, " + use + " " + attrs + " : " + act + ", " +
                types + " -> " + act + "\n"
                "  return %o : " + act + "\n}\n")
    with open(os.path.join(args.dir, "shape.txt"), "w") as f:
        f.write("%s %d %d %d %d %d %d %d %d\n" % (args.cache, t, args.pos, args.heads,
                                                 args.kv_heads, d, c, filled,
                                                 int(args.head_major)))


def check(args):
    words = open(os.path.join(args.dir, "shape.txt")).read().split()
    cache = words[0]
    t, pos, heads, kv_heads, d, c, _, head_major = map(int, words[1:])
    qcols, kvcols = heads * d, kv_heads * d
    def load(name, dtype, shape):
        a = np.fromfile(os.path.join(args.dir, name + ".bin"), dtype=dtype)
        if head_major and name != "q" and name != "out":  # [KV, C, x] -> [C, KV * x]
            return a.reshape(kv_heads, shape[0], -1).transpose(1, 0, 2).reshape(shape)
        return a.reshape(shape)
    q = load("q", np.float32, (t, qcols)).astype(np.float64)
    if cache == "q8_0":
        def dequantize(name):
            data = load(name, np.int8, (c, kvcols)).astype(np.float64)
            scales = load(name + "s", np.float16, (c, kvcols // 32)).astype(np.float64)
            return data * np.repeat(scales, 32, axis=1)
        k, v = dequantize("k"), dequantize("v")
    else:
        dtype = np.float16 if cache == "f16" else np.float32
        k = load("k", dtype, (c, kvcols)).astype(np.float64)
        v = load("v", dtype, (c, kvcols)).astype(np.float64)
    out = load("out", np.float32, (t, qcols)).astype(np.float64)
    want = np.zeros((t, qcols))
    group = heads // kv_heads
    for row in range(t):
        n = pos + row + 1
        for h in range(heads):
            kvh = h // group
            qh = q[row, h * d:(h + 1) * d]
            keys = k[:n, kvh * d:(kvh + 1) * d]
            values = v[:n, kvh * d:(kvh + 1) * d]
            s = keys @ qh / np.sqrt(d)
            p = np.exp(s - s.max())
            want[row, h * d:(h + 1) * d] = (p / p.sum()) @ values
    err = np.abs(out - want).max() / max(np.abs(want).max(), 1e-30)
    ok = np.isfinite(out).all() and err < 1e-4
    print("%s cache, %d rows at position %d: max relative error %.2e: %s"
          % (cache, t, pos, err, "ok" if ok else "FAILED"))
    return 0 if ok else 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["gen", "check"])
    parser.add_argument("dir")
    parser.add_argument("--cache", default="q8_0", choices=["q8_0", "f16", "f32"])
    parser.add_argument("--rows", type=int, default=5)
    parser.add_argument("--pos", type=int, default=20)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--kv-heads", type=int, default=2)
    parser.add_argument("--head-dim", type=int, default=32)
    parser.add_argument("--context", type=int, default=64)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--head-major", action="store_true",
                        help="caches [KV, C, D] (and scales [KV, C, D / 32])")
    args = parser.parse_args()
    if args.mode == "gen":
        gen(args)
        return 0
    return check(args)


if __name__ == "__main__":
    sys.exit(main())

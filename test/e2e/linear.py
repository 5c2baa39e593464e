#!/usr/bin/env python3
"""The built-in example: a linear layer y = x W^T with random weights.

  linear.py gen DIR [--m M --k K --n N --seed S] [--static CLIP | --asymmetric] [--q4]
                                                   writes DIR/linear.mlir and DIR/x.bin
  linear.py check DIR [--quiet]                    checks DIR/y.bin, written by the compiled program

With --static CLIP the linear carries static activation scales (act_scales,
one per block of 32): CLIP times the block's absmax over the rows of x, / 127,
so that CLIP < 1 saturates the largest values; the simulation then quantizes
x as q = round(clamp(x / d, -127, 127)).

With --asymmetric, x is shifted (N(1.5, 1): most blocks one-sided) and the
linear asks for asymmetric activations (act_asymmetric): per block, its range
[lo, hi] widened to hold 0 gives d = (hi - lo) / 254, a zero point
z = round(-127 - lo / d) and q = clamp(round(x / d) + z, -127, 127), the
kernel multiplying (q - z) by the weight.

With --q4 the weight is meant to be compiled with --weight-bits=4: the
simulation quantizes it as GGML Q4_0 (ggml_blocks.py's transcription of
quantize_row_q4_0_ref: d = signed max / -8, u = min(15, trunc(x / d + 8.5)),
value d (u - 8)), decoded from the blocks' bytes.

The check is independent of the project's C++ code: numpy simulates GGML Q8_0
weights (blocks of 32, fp16 scales, round half away from zero) and per-block
int8 activations (f32 scales), and computes the float product. The compiled
result must equal the simulation up to float summation order, and differ from
the float product by no more than the error bound of the two quantizations.
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ggml_blocks  # noqa: E402

BLOCK = 32


def round_half_away(v):
    return np.sign(v) * np.floor(np.abs(v) + np.float32(0.5))


def quantize_blocks(a, f16_scale):
    """Absmax int8 per block of 32 along the last axis: (q, stored scale, d)."""
    rows, k = a.shape
    blocks = a.reshape(rows, k // BLOCK, BLOCK).astype(np.float32)
    amax = np.abs(blocks).max(axis=2)
    d = (amax / np.float32(127)).astype(np.float32)
    inv = np.where(d != 0, np.float32(1) / np.where(d != 0, d, 1), 0).astype(np.float32)
    q = round_half_away((blocks * inv[:, :, None]).astype(np.float32)).astype(np.int32)
    stored = d.astype(np.float16).astype(np.float32) if f16_scale else d
    return q, stored, d


def error_bound(d, f16_scale):
    """Largest |x - dequantized x| per block: half a step, plus 127 steps of
    the scale's own rounding to fp16 (relative 2^-11)."""
    return d / 2 + (127 * d * 2.0 ** -11 if f16_scale else 0)


def quantize_static(a, d):
    """Saturating int8 per block of 32 with given scales d [blocks]: (q, d)."""
    rows, k = a.shape
    blocks = a.reshape(rows, k // BLOCK, BLOCK).astype(np.float32)
    inv = (np.float32(1) / d).astype(np.float32)
    v = np.clip((blocks * inv[None, :, None]).astype(np.float32), -127, 127)
    q = round_half_away(v).astype(np.int32)
    return q, np.broadcast_to(d, (rows, k // BLOCK))


def quantize_asymmetric(a):
    """int8 with zero points per block of 32: (q - z, d)."""
    rows, k = a.shape
    blocks = a.reshape(rows, k // BLOCK, BLOCK).astype(np.float32)
    lo = np.minimum(blocks.min(axis=2), 0).astype(np.float32)
    hi = np.maximum(blocks.max(axis=2), 0).astype(np.float32)
    d = ((hi - lo) / np.float32(254)).astype(np.float32)
    inv = np.where(d != 0, np.float32(1) / np.where(d != 0, d, 1), 0).astype(np.float32)
    z = round_half_away((np.float32(-127) - (lo * inv).astype(np.float32)).astype(np.float32))
    q = round_half_away((blocks * inv[:, :, None]).astype(np.float32)) + z[:, :, None]
    q = np.clip(q, -127, 127).astype(np.int32)
    return q - z.astype(np.int32)[:, :, None], d


def quantize_q4_0(a):
    """GGML Q4_0 per block of 32, through the bytes of its blocks: (q, d)."""
    rows, k = a.shape
    raw = ggml_blocks.q_32(a.reshape(-1, BLOCK).astype(np.float32), "q4_0")
    d = ggml_blocks.h2f(raw[:, 0:2]).reshape(rows, k // BLOCK)
    low, high = raw[:, 2:18] & 0x0F, raw[:, 2:18] >> 4
    u = np.concatenate([low, high], axis=1).astype(np.int32)
    return (u - 8).reshape(rows, k // BLOCK, BLOCK), d


def gen(args):
    rng = np.random.default_rng(args.seed)
    w = rng.standard_normal((args.n, args.k)).astype(np.float32)
    x = rng.standard_normal((args.m, args.k)).astype(np.float32)
    os.makedirs(args.dir, exist_ok=True)
    attrs = ""
    if args.q4:
        open(os.path.join(args.dir, "q4"), "w").close()
    if args.asymmetric:
        x = (x + np.float32(1.5)).astype(np.float32)
        attrs = " {act_asymmetric}"
        open(os.path.join(args.dir, "asymmetric"), "w").close()
    if args.static is not None:
        amax = np.abs(x.reshape(args.m, args.k // BLOCK, BLOCK)).max(axis=(0, 2))
        d = (amax * np.float32(args.static) / np.float32(127)).astype(np.float32)
        d.tofile(os.path.join(args.dir, "scales.bin"))
        values = ", ".join(f"{v:.9g}" for v in d)
        attrs = f" {{act_scales = dense<[[{values}]]> : tensor<1x{len(d)}xf32>}}"
    blob = "0x04000000" + w.tobytes().hex().upper()  # alignment 4, then f32 data
    with open(os.path.join(args.dir, "linear.mlir"), "w") as f:
        f.write(f"""// y = x W^T with W [{args.n}, {args.k}] random (seed {args.seed}), x [?, {args.k}].
func.func @linear(%x: tensor<?x{args.k}xf32>) -> tensor<?x{args.n}xf32> {{
  %w = arith.constant dense_resource<weight> : tensor<{args.n}x{args.k}xf32> loc("weight")
  %y = qnt.linear %x, %w{attrs} : tensor<?x{args.k}xf32>, tensor<{args.n}x{args.k}xf32> -> tensor<?x{args.n}xf32>
  return %y : tensor<?x{args.n}xf32>
}}

{{-#
  dialect_resources: {{
    builtin: {{
      weight: "{blob}"
    }}
  }}
#-}}
""")
    x.tofile(os.path.join(args.dir, "x.bin"))
    w.tofile(os.path.join(args.dir, "w.bin"))
    with open(os.path.join(args.dir, "shape.json"), "w") as f:
        json.dump({"m": args.m, "k": args.k, "n": args.n}, f)


def check(args):
    with open(os.path.join(args.dir, "shape.json")) as f:
        shape = json.load(f)
    m, k, n = shape["m"], shape["k"], shape["n"]
    x = np.fromfile(os.path.join(args.dir, "x.bin"), np.float32).reshape(m, k)
    w = np.fromfile(os.path.join(args.dir, "w.bin"), np.float32).reshape(n, k)
    y = np.fromfile(os.path.join(args.dir, "y.bin"), np.float32).reshape(m, n)

    static = os.path.join(args.dir, "scales.bin")
    asymmetric = os.path.exists(os.path.join(args.dir, "asymmetric"))
    if os.path.exists(static):
        qx, sx = quantize_static(x, np.fromfile(static, np.float32))
    elif asymmetric:
        qx, sx = quantize_asymmetric(x)
    else:
        qx, sx, dx = quantize_blocks(x, f16_scale=False)
    q4 = os.path.exists(os.path.join(args.dir, "q4"))
    if q4:
        qw, sw = quantize_q4_0(w)
    else:
        qw, sw, dw = quantize_blocks(w, f16_scale=True)
    # Integer dot per block, then acc += float(idot) * (sx * sw), as the kernel.
    idot = np.einsum("mbj,nbj->mnb", qx, qw).astype(np.float32)
    terms = idot * (sx[:, None, :] * sw[None, :, :]).astype(np.float32)
    y_quant = terms.sum(axis=2, dtype=np.float64)
    magnitude = np.abs(terms).sum(axis=2, dtype=np.float64)

    y_float = x.astype(np.float64) @ w.astype(np.float64).T
    if os.path.exists(static) or asymmetric:
        # Saturated (or edge-clamped) values err by more than half a step:
        # take the error of the simulated activation itself.
        ex = np.abs(x - (qx * sx[:, :, None]).reshape(m, k)).astype(np.float64)
    else:
        ex = np.repeat(error_bound(dx, False), BLOCK, axis=1)
    if q4:
        # Q4_0 clamps the far end of a block at 7 steps: take the simulated
        # weight's own error.
        ew = np.abs(w - (qw * sw[:, :, None]).reshape(n, k)).astype(np.float64)
    else:
        ew = np.repeat(error_bound(dw, True), BLOCK, axis=1)
    bound = (np.abs(x) @ ew.T + ex @ np.abs(w).T + ex @ ew.T) + 1e-6 * magnitude

    quant_err = np.abs(y - y_quant)
    float_err = np.abs(y - y_float)
    ok_quant = bool(np.all(quant_err <= 1e-6 * magnitude + 1e-30))
    ok_float = bool(np.all(float_err <= bound))
    rel = np.linalg.norm(y - y_float) / np.linalg.norm(y_float)
    if not args.quiet or not (ok_quant and ok_float):
        print(f"y = x W^T, x [{m}, {k}], W [{n}, {k}]")
        print(f"  against numpy's {'Q4_0' if q4 else 'Q8_0'} simulation: max |diff| {quant_err.max():.3g} "
              f"(allowed: float summation order) -> {'ok' if ok_quant else 'FAIL'}")
        print(f"  against float: max |diff| {float_err.max():.3g}, max allowed by the "
              f"quantization error bound {bound.min():.3g}..{bound.max():.3g}, "
              f"relative error {rel:.2%} -> {'ok' if ok_float else 'FAIL'}")
    print("1 passed, 0 failed" if ok_quant and ok_float else "0 passed, 1 failed")
    return 0 if ok_quant and ok_float else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("gen")
    g.add_argument("dir")
    g.add_argument("--m", type=int, default=17)
    g.add_argument("--k", type=int, default=512)
    g.add_argument("--n", type=int, default=96)
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--static", type=float, default=None)
    g.add_argument("--asymmetric", action="store_true")
    g.add_argument("--q4", action="store_true")
    c = sub.add_parser("check")
    c.add_argument("dir")
    c.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    if args.command == "gen":
        if args.k % BLOCK:
            sys.exit("k must be a multiple of 32 for this example")
        gen(args)
        return 0
    return check(args)


if __name__ == "__main__":
    sys.exit(main())

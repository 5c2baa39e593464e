"""GGML's block formats in numpy, for the generator and the tests.

quantize(a, name) packs a float32 matrix (rows a multiple of the block) into
the bytes of a GGML format; dequantize(raw, name, n) is an independent
transcription of ggml's dequantize_row_* (ggml-quants.c): it decodes the
bytes with the same f32 operations in the same order, so its values are
ggml's to the bit, and the project's C++ (lib/Math/Ggml.cpp) must agree.

The 32-value formats are quantized as ggml's reference quantizers do
(quantize_row_q4_0_ref ...). The K-quants are quantized by a plain min/max
rule per sub-block, not ggml's iterative scale search: valid blocks with a
little more error, which is all the tests need of them.
"""
import numpy as np

F16 = np.float16
KVALUES_IQ4NL = np.array([-127, -104, -83, -65, -49, -35, -22, -10,
                          1, 13, 25, 38, 53, 69, 89, 113], dtype=np.int8)

# ggml type id, values per block, bytes per block
FORMATS = {
    "q4_0": (2, 32, 18), "q4_1": (3, 32, 20), "q5_0": (6, 32, 22), "q5_1": (7, 32, 24),
    "q8_0": (8, 32, 34), "q2_k": (10, 256, 84), "q3_k": (11, 256, 110),
    "q4_k": (12, 256, 144), "q5_k": (13, 256, 176), "q6_k": (14, 256, 210),
    "iq4_nl": (20, 32, 18),
}


def f16(x):
    return np.asarray(x, dtype=np.float32).astype(F16)


def h2f(b):
    """float32 of little-endian fp16 bytes [..., 2]."""
    return np.ascontiguousarray(b).view(F16)[..., 0].astype(np.float32)


def signed_max(x):
    """Per row, the value of largest magnitude (ggml's `max`)."""
    i = np.abs(x).argmax(axis=1)
    return x[np.arange(len(x)), i]


def inverse(d):
    d = np.asarray(d, dtype=np.float32)
    return np.where(d != 0, np.float32(1) / np.where(d != 0, d, 1), 0).astype(np.float32)


def trunc_i(v):
    """C's (int8_t) of a float: truncation toward zero."""
    return np.trunc(v).astype(np.int32)


# --------------------------------------------------------------------------
# Quantizers
# --------------------------------------------------------------------------

def q_32(x, name):
    nb = len(x)
    out = np.zeros((nb, FORMATS[name][2]), dtype=np.uint8)
    if name in ("q4_0", "q5_0", "iq4_nl"):
        mx = signed_max(x).astype(np.float32)
        div = {"q4_0": -8, "q5_0": -16, "iq4_nl": -127}[name]
        d = (mx / np.float32(div)).astype(np.float32)
        idd = inverse(d)
        out[:, 0:2] = f16(d).view(np.uint8).reshape(nb, 2)
        if name == "iq4_nl":
            dd = f16(d).astype(np.float32)
            v = x / np.where(dd != 0, dd, 1)[:, None]
            q = np.abs(v[:, :, None] - KVALUES_IQ4NL[None, None, :].astype(np.float32)).argmin(axis=2)
            out[:, 2:18] = (q[:, :16] | (q[:, 16:] << 4)).astype(np.uint8)
            return out
        off, top = (8.5, 15) if name == "q4_0" else (16.5, 31)
        q = np.minimum(top, trunc_i((x * idd[:, None]).astype(np.float32) + np.float32(off)))
    else:  # q4_1, q5_1
        mn, mx = x.min(axis=1), x.max(axis=1)
        top = 15 if name == "q4_1" else 31
        d = ((mx - mn) / np.float32(top)).astype(np.float32)
        idd = inverse(d)
        out[:, 0:2] = f16(d).view(np.uint8).reshape(nb, 2)
        out[:, 2:4] = f16(mn).view(np.uint8).reshape(nb, 2)
        q = np.minimum(top, trunc_i(((x - mn[:, None]) * idd[:, None]).astype(np.float32)
                                    + np.float32(0.5)))
    q = q.astype(np.uint32)
    if name in ("q4_0", "q4_1"):
        start = 2 if name == "q4_0" else 4
        out[:, start:start + 16] = (q[:, :16] | (q[:, 16:] << 4)).astype(np.uint8)
        return out
    start = 2 if name == "q5_0" else 4
    qh = np.zeros(nb, dtype=np.uint32)
    for j in range(16):
        qh |= ((q[:, j] & 0x10) >> 4) << j
        qh |= ((q[:, j + 16] & 0x10) >> 4) << (j + 16)
    out[:, start:start + 4] = qh.astype("<u4").view(np.uint8).reshape(nb, 4)
    out[:, start + 4:start + 20] = ((q[:, :16] & 0xF) | ((q[:, 16:] & 0xF) << 4)).astype(np.uint8)
    return out


def q8_0(x):
    amax = np.abs(x).max(axis=1)
    d = (amax / np.float32(127)).astype(np.float32)
    v = (x * inverse(d)[:, None]).astype(np.float32)
    q = (np.sign(v) * np.floor(np.abs(v) + 0.5)).astype(np.int8)
    return np.concatenate([f16(d).view(np.uint8).reshape(-1, 2), q.view(np.uint8)], axis=1)


def sub_scales(x, sub, levels, signed):
    """Per sub-block scale (and min) of a super-block row [nb, 256]."""
    s = x.reshape(len(x), -1, sub)
    if signed:
        return np.abs(s).max(axis=2) / np.float32(levels), None
    mn = np.minimum(s.min(axis=2), 0)
    return (s.max(axis=2) - mn) / np.float32(levels), -mn


def scale_ints(v, top, lo=0):
    """Super-block scale and the sub-block scales as integers lo..top."""
    d = (np.abs(v).max(axis=1) / np.float32(top)).astype(np.float32)
    q = np.clip(np.rint(v * inverse(d)[:, None]), lo, top).astype(np.int32)
    return d, q


def pack_k4_scales(sc, m):
    """The 12 scale bytes of Q4_K/Q5_K: 8 six-bit scales and mins."""
    out = np.zeros((len(sc), 12), dtype=np.uint8)
    for j in range(4):
        out[:, j] = (sc[:, j] & 63) | ((sc[:, j + 4] >> 4) << 6)
        out[:, j + 4] = (m[:, j] & 63) | ((m[:, j + 4] >> 4) << 6)
        out[:, j + 8] = (sc[:, j + 4] & 0xF) | ((m[:, j + 4] & 0xF) << 4)
    return out


def q_k(x, name):
    nb = len(x)
    out = np.zeros((nb, FORMATS[name][2]), dtype=np.uint8)
    if name in ("q4_k", "q5_k"):
        top = 15 if name == "q4_k" else 31
        scale, mins = sub_scales(x, 32, top, False)
        d, sc = scale_ints(scale, 63)
        dmin, m = scale_ints(mins, 63)
        df, dmf = f16(d).astype(np.float32), f16(dmin).astype(np.float32)
        d1 = (df[:, None] * sc.astype(np.float32)).repeat(32, axis=1)
        m1 = (dmf[:, None] * m.astype(np.float32)).repeat(32, axis=1)
        q = np.clip(np.rint((x + m1) * inverse(d1)), 0, top).astype(np.uint32)
        out[:, 0:2] = f16(d).view(np.uint8).reshape(nb, 2)
        out[:, 2:4] = f16(dmin).view(np.uint8).reshape(nb, 2)
        out[:, 4:16] = pack_k4_scales(sc, m)
        qs = np.zeros((nb, 128), dtype=np.uint32)
        qh = np.zeros((nb, 32), dtype=np.uint32)
        for g in range(4):
            lo, hi = q[:, 64 * g:64 * g + 32], q[:, 64 * g + 32:64 * g + 64]
            qs[:, 32 * g:32 * g + 32] = (lo & 0xF) | ((hi & 0xF) << 4)
            qh |= ((lo >> 4) << (2 * g)) | ((hi >> 4) << (2 * g + 1))
        if name == "q4_k":
            out[:, 16:144] = qs
        else:
            out[:, 16:48] = qh
            out[:, 48:176] = qs
        return out
    if name == "q6_k":
        scale, _ = sub_scales(x, 16, 31, True)
        d, sc = scale_ints(scale, 127, -128)
        df = f16(d).astype(np.float32)
        step = (df[:, None] * sc.astype(np.float32)).repeat(16, axis=1)
        q = (np.clip(np.rint(x * inverse(step)), -32, 31) + 32).astype(np.uint32)
        for n in range(2):
            b = 128 * n
            for l in range(32):
                out[:, 64 * n + l] = (q[:, b + l] & 0xF) | ((q[:, b + l + 64] & 0xF) << 4)
                out[:, 64 * n + l + 32] = (q[:, b + l + 32] & 0xF) | ((q[:, b + l + 96] & 0xF) << 4)
                out[:, 128 + 32 * n + l] = ((q[:, b + l] >> 4) | ((q[:, b + l + 32] >> 4) << 2)
                                            | ((q[:, b + l + 64] >> 4) << 4)
                                            | ((q[:, b + l + 96] >> 4) << 6))
        out[:, 192:208] = sc.astype(np.int8).view(np.uint8)
        out[:, 208:210] = f16(d).view(np.uint8).reshape(nb, 2)
        return out
    # q2_k, q3_k: 16 sub-blocks of 16, two bits in qs (+ a high bit for q3_k)
    if name == "q2_k":
        scale, mins = sub_scales(x, 16, 3, False)
        d, sc = scale_ints(scale, 15)
        dmin, m = scale_ints(mins, 15)
        df, dmf = f16(d).astype(np.float32), f16(dmin).astype(np.float32)
        step = (df[:, None] * sc.astype(np.float32)).repeat(16, axis=1)
        offset = (dmf[:, None] * m.astype(np.float32)).repeat(16, axis=1)
        q = np.clip(np.rint((x + offset) * inverse(step)), 0, 3).astype(np.uint32)
        out[:, 0:16] = sc | (m << 4)
        out[:, 80:82] = f16(d).view(np.uint8).reshape(nb, 2)
        out[:, 82:84] = f16(dmin).view(np.uint8).reshape(nb, 2)
        qs_at = 16
    else:
        scale, _ = sub_scales(x, 16, 4, True)
        d, sc = scale_ints(scale, 31, -32)
        df = f16(d).astype(np.float32)
        step = (df[:, None] * sc.astype(np.float32)).repeat(16, axis=1)
        q = (np.clip(np.rint(x * inverse(step)), -4, 3) + 4).astype(np.uint32)
        s = (sc + 32).astype(np.uint32)
        packed = np.zeros((nb, 12), dtype=np.uint32)
        for i in range(4):
            packed[:, i] = (s[:, i] & 0xF) | ((s[:, i + 8] & 0xF) << 4)
            packed[:, 4 + i] = (s[:, 4 + i] & 0xF) | ((s[:, 12 + i] & 0xF) << 4)
            packed[:, 8 + i] = ((s[:, i] >> 4) | ((s[:, 4 + i] >> 4) << 2)
                                | ((s[:, 8 + i] >> 4) << 4) | ((s[:, 12 + i] >> 4) << 6))
        out[:, 96:108] = packed
        out[:, 108:110] = f16(d).view(np.uint8).reshape(nb, 2)
        hm = np.zeros((nb, 32), dtype=np.uint32)
        for n in range(2):
            for j in range(4):
                hm |= (q[:, 128 * n + 32 * j:128 * n + 32 * j + 32] >> 2) << (4 * n + j)
        out[:, 0:32] = hm
        qs_at = 32
    qs = np.zeros((nb, 64), dtype=np.uint32)
    for n in range(2):
        for j in range(4):
            qs[:, 32 * n:32 * n + 32] |= (q[:, 128 * n + 32 * j:128 * n + 32 * j + 32] & 3) << (2 * j)
    out[:, qs_at:qs_at + 64] = qs
    return out


def quantize(a, name):
    """The bytes of float matrix `a` in format `name`, row-major blocks."""
    _, block, _ = FORMATS[name]
    x = np.asarray(a, dtype=np.float32).reshape(-1, block)
    if name == "q8_0":
        return q8_0(x).tobytes()
    return (q_32(x, name) if block == 32 else q_k(x, name)).tobytes()


# --------------------------------------------------------------------------
# Dequantizers: ggml's dequantize_row_*, decoding the bytes
# --------------------------------------------------------------------------

def fmul(*xs):
    r = np.float32(1) * xs[0]
    for x in xs[1:]:
        r = (r * x).astype(np.float32)
    return np.asarray(r, dtype=np.float32)


def scale_min_k4(sc_bytes, j):
    q = sc_bytes.astype(np.int32)
    if j < 4:
        return q[:, j] & 63, q[:, j + 4] & 63
    return (q[:, j + 4] & 0xF) | ((q[:, j - 4] >> 6) << 4), (q[:, j + 4] >> 4) | ((q[:, j] >> 6) << 4)


def dequantize(raw, name, n):
    _, block, nbytes = FORMATS[name]
    b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, nbytes)
    nb = len(b)
    y = np.zeros((nb, block), dtype=np.float32)
    if block == 32:
        d = h2f(b[:, 0:2])[:, None]
        if name == "q8_0":
            y = (b[:, 2:34].view(np.int8).astype(np.float32) * d).astype(np.float32)
        elif name == "iq4_nl":
            qs = b[:, 2:18]
            y[:, :16] = (d * KVALUES_IQ4NL[qs & 0xF].astype(np.float32))
            y[:, 16:] = (d * KVALUES_IQ4NL[qs >> 4].astype(np.float32))
        elif name in ("q4_0", "q4_1"):
            qs = b[:, 2:18] if name == "q4_0" else b[:, 4:20]
            x0 = (qs & 0xF).astype(np.int32)
            x1 = (qs >> 4).astype(np.int32)
            if name == "q4_0":
                y[:, :16] = (x0 - 8).astype(np.float32) * d
                y[:, 16:] = (x1 - 8).astype(np.float32) * d
            else:
                m = h2f(b[:, 2:4])[:, None]
                y[:, :16] = ((x0.astype(np.float32) * d).astype(np.float32) + m)
                y[:, 16:] = ((x1.astype(np.float32) * d).astype(np.float32) + m)
        else:  # q5_0, q5_1
            at = 2 if name == "q5_0" else 4
            qh = b[:, at:at + 4].copy().view("<u4")[:, 0].astype(np.uint32)
            qs = b[:, at + 4:at + 20].astype(np.uint32)
            for j in range(16):
                xh0 = ((qh >> j) << 4) & 0x10
                xh1 = (qh >> (j + 12)) & 0x10
                x0 = ((qs[:, j] & 0xF) | xh0).astype(np.int32)
                x1 = ((qs[:, j] >> 4) | xh1).astype(np.int32)
                if name == "q5_0":
                    y[:, j] = (x0 - 16).astype(np.float32) * d[:, 0]
                    y[:, j + 16] = (x1 - 16).astype(np.float32) * d[:, 0]
                else:
                    m = h2f(b[:, 2:4])
                    y[:, j] = (x0.astype(np.float32) * d[:, 0]).astype(np.float32) + m
                    y[:, j + 16] = (x1.astype(np.float32) * d[:, 0]).astype(np.float32) + m
        return y.reshape(-1)[:n].astype(np.float32)
    if name in ("q4_k", "q5_k"):
        d, dmin = h2f(b[:, 0:2]), h2f(b[:, 2:4])
        sc_bytes = b[:, 4:16]
        qh = b[:, 16:48].astype(np.int32) if name == "q5_k" else None
        ql = (b[:, 16:144] if name == "q4_k" else b[:, 48:176]).astype(np.int32)
        for g in range(4):
            s1, m1 = scale_min_k4(sc_bytes, 2 * g)
            s2, m2 = scale_min_k4(sc_bytes, 2 * g + 1)
            d1, mm1 = fmul(d, s1.astype(np.float32)), fmul(dmin, m1.astype(np.float32))
            d2, mm2 = fmul(d, s2.astype(np.float32)), fmul(dmin, m2.astype(np.float32))
            q = ql[:, 32 * g:32 * g + 32]
            lo, hi = q & 0xF, q >> 4
            if qh is not None:
                lo = lo + np.where(qh & (1 << (2 * g)), 16, 0)
                hi = hi + np.where(qh & (2 << (2 * g)), 16, 0)
            y[:, 64 * g:64 * g + 32] = fmul(d1[:, None], lo.astype(np.float32)) - mm1[:, None]
            y[:, 64 * g + 32:64 * g + 64] = fmul(d2[:, None], hi.astype(np.float32)) - mm2[:, None]
        return y.reshape(-1)[:n]
    if name == "q6_k":
        d = h2f(b[:, 208:210])
        ql, qh = b[:, 0:128].astype(np.int32), b[:, 128:192].astype(np.int32)
        sc = b[:, 192:208].view(np.int8).astype(np.float32)
        for n2 in range(2):
            for l in range(32):
                i = l // 16
                L, H = ql[:, 64 * n2:64 * n2 + 64], qh[:, 32 * n2:32 * n2 + 32]
                q1 = ((L[:, l] & 0xF) | (((H[:, l] >> 0) & 3) << 4)) - 32
                q2 = ((L[:, l + 32] & 0xF) | (((H[:, l] >> 2) & 3) << 4)) - 32
                q3 = ((L[:, l] >> 4) | (((H[:, l] >> 4) & 3) << 4)) - 32
                q4 = ((L[:, l + 32] >> 4) | (((H[:, l] >> 6) & 3) << 4)) - 32
                s = sc[:, 8 * n2:8 * n2 + 8]
                base = 128 * n2
                y[:, base + l] = fmul(d, s[:, i], q1.astype(np.float32))
                y[:, base + l + 32] = fmul(d, s[:, i + 2], q2.astype(np.float32))
                y[:, base + l + 64] = fmul(d, s[:, i + 4], q3.astype(np.float32))
                y[:, base + l + 96] = fmul(d, s[:, i + 6], q4.astype(np.float32))
        return y.reshape(-1)[:n]
    # q2_k, q3_k
    if name == "q2_k":
        scales = b[:, 0:16].astype(np.int32)
        qs = b[:, 16:80].astype(np.int32)
        d, dmin = h2f(b[:, 80:82]), h2f(b[:, 82:84])
    else:
        hm = b[:, 0:32].astype(np.int32)
        qs = b[:, 32:96].astype(np.int32)
        d = h2f(b[:, 108:110])
        aux = b[:, 96:108].copy().view("<u4").astype(np.uint32)  # [nb, 3]
        k1, k2 = np.uint32(0x03030303), np.uint32(0x0f0f0f0f)
        tmp = aux[:, 2]
        a = np.zeros((nb, 4), dtype=np.uint32)
        a[:, 2] = ((aux[:, 0] >> 4) & k2) | (((tmp >> 4) & k1) << 4)
        a[:, 3] = ((aux[:, 1] >> 4) & k2) | (((tmp >> 6) & k1) << 4)
        a[:, 0] = (aux[:, 0] & k2) | (((tmp >> 0) & k1) << 4)
        a[:, 1] = (aux[:, 1] & k2) | (((tmp >> 2) & k1) << 4)
        scales = a.astype("<u4").view(np.int8).reshape(nb, 16).astype(np.int32)
    is_ = 0
    for n2 in range(2):
        q = qs[:, 32 * n2:32 * n2 + 32]
        for j in range(4):
            for half in range(2):
                part = q[:, 16 * half:16 * half + 16]
                v = (part >> (2 * j)) & 3
                at = 128 * n2 + 32 * j + 16 * half
                if name == "q2_k":
                    s = scales[:, is_]
                    dl = fmul(d, (s & 0xF).astype(np.float32))
                    ml = fmul(dmin, (s >> 4).astype(np.float32))
                    y[:, at:at + 16] = fmul(dl[:, None], v.astype(np.float32)) - ml[:, None]
                else:
                    dl = fmul(d, (scales[:, is_] - 32).astype(np.float32))
                    h = hm[:, 16 * half:16 * half + 16] & (1 << (4 * n2 + j))
                    v = v - np.where(h != 0, 0, 4)
                    y[:, at:at + 16] = fmul(dl[:, None], v.astype(np.float32))
                is_ += 1
    return y.reshape(-1)[:n]

#!/usr/bin/env python3
"""Writes small random llama models as GGUF files, for tests and the example.

  gen_gguf.py OUT.gguf [--dim 64 --layers 2 --heads 4 --kv-heads 2 --ffn 96
                        --vocab 300 --context 128 --type f32|f16|bf16|q8_0|
                        q4_0|q4_1|q5_0|q5_1|q2_k|q3_k|q4_k|q5_k|q6_k|iq4_nl|
                        q4_k_m (Q4_K with Q6_K where llama-quantize's mix puts it)
                        --seed 1 --tied --version 3 --dequant-out FILE]
  gen_gguf.py OUT.gguf --corrupt KIND      a malformed file (see CORRUPTIONS)
  gen_gguf.py OUT.gguf --tokenizer-json DIR/tokenizer.json [--pre NAME]

The vocabulary is SentencePiece-like: <unk>, <s>, </s>, the 256 byte pieces
<0xXX>, then letters, '\u2581'-prefixed letters and a few merges, with scores.
With --tokenizer-json it is a Hugging Face byte-level BPE vocabulary,
written as llama.cpp's converter writes one (tokenizer.ggml.model "gpt2",
tokens by id with added tokens, types 3 for special and 4 for other added
tokens, merges "a b" by rank, .pre from the split expression, BOS/EOS/EOT
and add_bos_token from tokenizer_config.json beside it, the chat template).
Weights are normal with std 1/sqrt(fan-in); the matrices of a block --type
are quantized by ggml_blocks.py (Q8_0 and the 32-value formats with ggml's
reference rules), and --dequant-out writes what numpy's transcription of
ggml's dequantizers makes of them: every block-format tensor's f32 values
in file order.
"""
import argparse
import io
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ggml_blocks  # noqa: E402

GGUF_MAGIC = b"GGUF"
ALIGN = 32
T_U32, T_I32, T_F32, T_BOOL, T_STRING, T_ARRAY = 4, 5, 6, 7, 8, 9
F32, F16, Q8_0, BF16 = 0, 1, 8, 30
TYPES = {"f32": F32, "f16": F16, "bf16": BF16}
TYPES.update({name: f[0] for name, f in ggml_blocks.FORMATS.items()})
BLOCK_NAMES = {f[0]: name for name, f in ggml_blocks.FORMATS.items()}
SPACE = "\u2581"

CORRUPTIONS = [
    "truncated",        # cut in the middle of the tensor data
    "token-type",       # token types as f32, one of them 1e27 (no int)
    "truncated-header", # cut in the middle of the metadata
    "magic",            # not GGUF
    "version",          # version 1
    "tensor-count",     # 2^40 tensors
    "string-length",    # a string longer than the file
    "array-count",      # an array of 2^40 elements
    "offset",           # a tensor's data past the end of the file
    "tensor-type",      # a tensor of type IQ2_XXS (not read by the project)
    "block-rows",       # a Q4_K tensor whose rows (64 values) are not whole blocks of 256
    "missing-key",      # no llama.block_count
    "missing-tensor",   # no blk.0.ffn_up.weight
    "bad-shape",        # attn_q of the wrong shape
    "utf8",             # a key that is not UTF-8
    "value-type",       # metadata of type 99
    "alignment",        # general.alignment = 3
    "tokenizer",        # a WordPiece ("bert") vocabulary
    "rope-scaling",     # llama.rope.scaling.type = yarn
    "experts",          # llama.expert_count = 8
    "bias",             # blk.0.attn_q.bias
    "merges",           # with --tokenizer-json: a merge of tokens that do not exist
]


def vocabulary(size):
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    types = [2, 3, 3] + [6] * 256
    letters = "etaoinshrdlucmfwypvbgkqjxz"
    pieces = [SPACE] + list(letters) + [SPACE + c for c in letters]
    merges = ["th", "he", "in", "er", "an", "re", "on", SPACE + "th", SPACE + "the",
              SPACE + "a", "ing", "ed", "nd", SPACE + "an", SPACE + "and", "ll", "ou"]
    for p in pieces + merges:
        if len(tokens) >= size:
            break
        if p not in tokens:
            tokens.append(p)
            types.append(1)
    k = 0
    while len(tokens) < size:
        tokens.append(f"tok{k}")
        types.append(1)
        k += 1
    # Longer pieces score higher, so merges happen as in a trained BPE.
    scores = [0.0] * 259 + [-(100.0 - len(t)) - 0.01 * i for i, t in enumerate(tokens[259:])]
    return tokens, scores, types


def bpe_vocabulary(path, pre=None):
    """The GGUF tokenizer keys of a Hugging Face tokenizer.json (BPE)."""
    import json
    import os
    tj = json.load(open(path, encoding="utf-8"))
    model = tj["model"]
    if model.get("type") != "BPE":
        sys.exit(f"{path}: not a BPE tokenizer")
    by_id = {i: t for t, i in model["vocab"].items()}
    special = {}
    for a in tj.get("added_tokens", []):
        by_id[a["id"]] = a["content"]
        special[a["id"]] = a.get("special", False)
    size = max(by_id) + 1
    if len(by_id) != size:
        sys.exit(f"{path}: token ids are not dense")
    tokens = [by_id[i] for i in range(size)]
    types = [(3 if special[i] else 4) if i in special else 1 for i in range(size)]
    merges = [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]
    if pre is None:
        regex = json.dumps(tj.get("pre_tokenizer"))
        pre = "llama-bpe" if "{1,3}" in regex else "qwen2" if "\\\\p{N}|" in regex else "gpt2"
    config = {}
    cfg_path = os.path.join(os.path.dirname(path), "tokenizer_config.json")
    if os.path.exists(cfg_path):
        config = json.load(open(cfg_path, encoding="utf-8"))
    ids = {t: i for i, t in enumerate(tokens)}

    def token(name):
        v = config.get(name)
        if isinstance(v, dict):
            v = v.get("content")
        return ids.get(v)

    bos, eos = token("bos_token"), token("eos_token")
    # llama.cpp's rule: Llama 3 ("llama-bpe") adds BOS; others as their
    # config says (Qwen: no).
    add_bos = bool(config.get("add_bos_token", pre == "llama-bpe"))
    eot = ids.get("<|eot_id|>", ids.get("<|im_end|>"))
    return dict(tokens=tokens, types=types, merges=merges, pre=pre, bos=bos,
                eos=eos, eot=eot, add_bos=add_bos,
                chat_template=config.get("chat_template"))


def tensor_bytes(a, ttype):
    if ttype == F32:
        return a.astype(np.float32).tobytes()
    if ttype == F16:
        return a.astype(np.float16).tobytes()
    if ttype == BF16:
        return (a.astype(np.float32).view(np.uint32) >> 16).astype(np.uint16).tobytes()
    # Blocks are independent: a large tensor is quantized a slice at a time
    # (numpy's temporaries are many times the slice).
    flat = a.reshape(-1)
    chunk = 1 << 22  # values, a multiple of every block size
    return b"".join(ggml_blocks.quantize(flat[i:i + chunk], BLOCK_NAMES[ttype])
                    for i in range(0, flat.size, chunk))


def tensor_size(shape, ttype):
    n = int(np.prod(shape))
    if ttype == F32:
        return 4 * n
    if ttype in (F16, BF16):
        return 2 * n
    _, block, nbytes = ggml_blocks.FORMATS[BLOCK_NAMES[ttype]]
    return n // block * nbytes


class Lazy:
    """A tensor made when it is written: the model is never whole in memory
    (an 8B-shaped model is 32 GB of float32). Tensors are made in the order
    they were added, so the random draws are those of an eager writer."""

    def __init__(self, shape, make):
        self.shape = tuple(shape)
        self.make = make


class Writer:
    def __init__(self):
        self.kv = []
        self.tensors = []

    def add(self, key, vtype, value):
        self.kv.append((key, vtype, value))

    def tensor(self, name, array, ttype):
        self.tensors.append((name, array, ttype))

    @staticmethod
    def string(s):
        b = s.encode("utf-8") if isinstance(s, str) else s
        return struct.pack("<Q", len(b)) + b

    def value(self, vtype, v):
        if vtype == T_U32:
            return struct.pack("<I", v)
        if vtype == T_I32:
            return struct.pack("<i", v)
        if vtype == T_F32:
            return struct.pack("<f", v)
        if vtype == T_BOOL:
            return struct.pack("<B", 1 if v else 0)
        if vtype == T_STRING:
            return self.string(v)
        if vtype == T_ARRAY:
            etype, items = v
            return struct.pack("<IQ", etype, len(items)) + b"".join(
                self.value(etype, x) for x in items)
        return struct.pack("<I", v)  # for the value-type corruption

    def write(self, out, version, corrupt=None, dequant_out=None):
        """Writes the file to `out`, one tensor at a time (and numpy's
        dequantization of the block-format ones to `dequant_out`)."""
        head = GGUF_MAGIC + struct.pack("<IQQ", version, len(self.tensors), len(self.kv))
        if corrupt == "tensor-count":
            head = GGUF_MAGIC + struct.pack("<IQQ", version, 1 << 40, len(self.kv))
        body = bytearray()
        for key, vtype, v in self.kv:
            body += self.string(key) + struct.pack("<I", vtype) + self.value(vtype, v)
        infos = bytearray()
        size = 0
        for name, a, ttype in self.tensors:
            size = (size + ALIGN - 1) // ALIGN * ALIGN
            offset = size
            if corrupt == "offset" and name == "output_norm.weight":
                offset = 1 << 33
            dims = list(reversed(a.shape))  # GGUF: innermost first
            shown_type = ttype
            if name.endswith("attn_k.weight"):
                shown_type = {"tensor-type": 16, "block-rows": 12}.get(corrupt, ttype)
            infos += self.string(name) + struct.pack("<I", len(dims))
            infos += b"".join(struct.pack("<Q", d) for d in dims)
            infos += struct.pack("<IQ", shown_type, offset)
            size += tensor_size(a.shape, ttype)
        header = bytearray(head + body + infos)
        while len(header) % ALIGN:
            header += b"\0"
        out.write(header)
        written = 0
        for name, a, ttype in self.tensors:
            if isinstance(a, Lazy):
                a = a.make()
            raw = tensor_bytes(a, ttype)
            pad = (written + ALIGN - 1) // ALIGN * ALIGN - written
            out.write(b"\0" * pad)
            out.write(raw)
            written += pad + len(raw)
            if dequant_out and ttype in BLOCK_NAMES:
                dequant_out.write(ggml_blocks.dequantize(raw, BLOCK_NAMES[ttype], a.size).tobytes())


def build(args):
    rng = np.random.default_rng(args.seed)
    head_dim = args.head_dim or args.dim // args.heads
    q_dim = args.heads * head_dim
    kv_dim = args.kv_heads * head_dim
    # q4_k_m: llama-quantize's Q4_K_M mix: Q4_K, with Q6_K for the output
    # head and for attn_v and ffn_down of the layers use_more_bits picks (the
    # first and last eighth, and every third between).
    mix = args.type == "q4_k_m"
    ttype = TYPES["q4_k"] if mix else TYPES[args.type]

    def more_bits(l):
        n = args.layers
        return l < n // 8 or l >= 7 * n // 8 or (l - n // 8) % 3 == 2

    def mixed(l):
        return TYPES["q6_k"] if mix and more_bits(l) else ttype
    w = Writer()
    bpe = bpe_vocabulary(args.tokenizer_json, args.pre) if args.tokenizer_json else None
    if bpe:
        args.vocab = len(bpe["tokens"])
    tokens, scores, types = vocabulary(args.vocab) if not bpe else (bpe["tokens"], None, bpe["types"])
    corrupt = args.corrupt
    arch = args.arch
    w.add("general.architecture", T_STRING, arch)
    w.add("general.name", T_STRING, "random-llama")
    if corrupt == "alignment":
        w.add("general.alignment", T_U32, 3)
    if corrupt == "utf8":
        w.add(b"general.\xff\xfe", T_STRING, "x")
    if corrupt == "value-type":
        w.add("general.weird", 99, 0)
    if corrupt != "missing-key":
        w.add(f"{arch}.block_count", T_U32, args.layers)
    w.add(f"{arch}.context_length", T_U32, args.context)
    w.add(f"{arch}.embedding_length", T_U32, args.dim)
    w.add(f"{arch}.feed_forward_length", T_U32, args.ffn)
    w.add(f"{arch}.attention.head_count", T_U32, args.heads)
    w.add(f"{arch}.attention.head_count_kv", T_U32, args.kv_heads)
    w.add(f"{arch}.rope.dimension_count", T_U32, head_dim)
    if args.head_dim:
        w.add(f"{arch}.attention.key_length", T_U32, head_dim)
        w.add(f"{arch}.attention.value_length", T_U32, head_dim)
    w.add(f"{arch}.rope.freq_base", T_F32, 10000.0)
    if corrupt == "rope-scaling":
        w.add(f"{arch}.rope.scaling.type", T_STRING, "yarn")
    if corrupt == "experts":
        w.add(f"{arch}.expert_count", T_U32, 8)
    w.add(f"{arch}.attention.layer_norm_rms_epsilon", T_F32, 1e-5)
    if bpe:
        w.add("tokenizer.ggml.model", T_STRING, "gpt2")
        w.add("tokenizer.ggml.pre", T_STRING, bpe["pre"])
        w.add("tokenizer.ggml.tokens", T_ARRAY, (T_STRING, tokens))
        w.add("tokenizer.ggml.token_type", T_ARRAY, (T_I32, types))
        merges = bpe["merges"]
        if corrupt == "merges":
            merges = merges[:5] + ["\u0120zzqx \u0120qqzx"] + merges[5:]
        w.add("tokenizer.ggml.merges", T_ARRAY, (T_STRING, merges))
        for key in ("bos", "eos", "eot"):
            if bpe[key] is not None:
                w.add(f"tokenizer.ggml.{key}_token_id", T_U32, bpe[key])
        w.add("tokenizer.ggml.add_bos_token", T_BOOL, bpe["add_bos"])
        if bpe["chat_template"]:
            w.add("tokenizer.chat_template", T_STRING, bpe["chat_template"])
    else:
        w.add("tokenizer.ggml.model", T_STRING, "bert" if corrupt == "tokenizer" else "llama")
        if corrupt == "string-length":
            w.kv.append(("tokenizer.ggml.pre", T_STRING, "x"))
        w.add("tokenizer.ggml.tokens", T_ARRAY, (T_STRING, tokens))
        w.add("tokenizer.ggml.scores", T_ARRAY, (T_F32, scores))
        if corrupt == "token-type":
            w.add("tokenizer.ggml.token_type", T_ARRAY,
                  (T_F32, [1e27] + [float(t) for t in types[1:]]))
        else:
            w.add("tokenizer.ggml.token_type", T_ARRAY, (T_I32, types))
        w.add("tokenizer.ggml.bos_token_id", T_U32, 1)
        w.add("tokenizer.ggml.eos_token_id", T_U32, 2)
        w.add("tokenizer.ggml.unknown_token_id", T_U32, 0)
        w.add("tokenizer.ggml.add_bos_token", T_BOOL, True)

    def draw(shape, f):
        """f(standard normal draws) for a tensor of `shape`, drawn a slice of
        rows at a time (the same stream as one draw: float64 draws of a
        128k x 4096 table would be 4 GB)."""
        rows = shape[0]
        step = max(1, (1 << 22) // max(1, int(np.prod(shape[1:]))))
        out = None
        for i in range(0, rows, step):
            part = f(rng.standard_normal((min(step, rows - i),) + tuple(shape[1:])))
            if out is None:
                out = np.empty(shape, part.dtype)
            out[i:i + part.shape[0]] = part
        return out

    def matrix(rows, cols):
        return Lazy((rows, cols), lambda: draw((rows, cols), lambda d: d.astype(np.float32) / np.sqrt(cols)))

    def norm(n):
        return Lazy((n,), lambda: (1.0 + 0.1 * rng.standard_normal(n)).astype(np.float32))

    if args.rope_freqs:
        # Llama 3.1's factors: 1 for the high frequencies, up to 8 for the low.
        factors = np.linspace(1.0, 8.0, head_dim // 2).astype(np.float32)
        w.tensor("rope_freqs.weight", factors, F32)
    w.tensor("token_embd.weight", Lazy((args.vocab, args.dim), lambda: draw((args.vocab, args.dim), lambda d: d.astype(np.float32))), ttype)
    for l in range(args.layers):
        p = f"blk.{l}."
        w.tensor(p + "attn_norm.weight", norm(args.dim), F32)
        q_rows = q_dim + (1 if corrupt == "bad-shape" else 0)
        w.tensor(p + "attn_q.weight", matrix(q_rows, args.dim), ttype)
        if corrupt == "bias":
            w.tensor(p + "attn_q.bias", norm(args.dim), F32)
        w.tensor(p + "attn_k.weight", matrix(kv_dim, args.dim), ttype)
        w.tensor(p + "attn_v.weight", matrix(kv_dim, args.dim), mixed(l))
        if arch == "qwen2":
            for name, n in (("attn_q", q_dim), ("attn_k", kv_dim), ("attn_v", kv_dim)):
                w.tensor(p + name + ".bias", Lazy((n,), lambda n=n: (0.5 * rng.standard_normal(n)).astype(np.float32)), F32)
        if arch == "qwen3":
            w.tensor(p + "attn_q_norm.weight", norm(head_dim), F32)
            w.tensor(p + "attn_k_norm.weight", norm(head_dim), F32)
        w.tensor(p + "attn_output.weight", matrix(args.dim, q_dim), ttype)
        w.tensor(p + "ffn_norm.weight", norm(args.dim), F32)
        w.tensor(p + "ffn_gate.weight", matrix(args.ffn, args.dim), ttype)
        if not (corrupt == "missing-tensor" and l == 0):
            w.tensor(p + "ffn_up.weight", matrix(args.ffn, args.dim), ttype)
        w.tensor(p + "ffn_down.weight", matrix(args.dim, args.ffn), mixed(l))
    w.tensor("output_norm.weight", norm(args.dim), F32)
    if not args.tied:
        w.tensor("output.weight", matrix(args.vocab, args.dim),
                 TYPES["q6_k"] if mix else ttype)

    version = 1 if corrupt == "version" else args.version
    return w, version


def patch(blob, corrupt):
    """The corruptions made on the written bytes (of small models)."""
    if corrupt == "magic":
        blob = b"GGML" + blob[4:]
    elif corrupt == "truncated":
        blob = blob[: len(blob) - 100]
    elif corrupt == "truncated-header":
        blob = blob[:200]
    elif corrupt == "string-length":
        key = b"tokenizer.ggml.pre"
        at = blob.index(key) + len(key) + 4  # past the key and the value type
        blob = blob[:at] + struct.pack("<Q", 1 << 40) + blob[at + 8:]
    elif corrupt == "array-count":
        key = b"tokenizer.ggml.scores"
        at = blob.index(key) + len(key) + 8  # past the key, type, element type
        blob = blob[:at] + struct.pack("<Q", 1 << 40) + blob[at + 8:]
    return blob


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--kv-heads", type=int, default=2)
    parser.add_argument("--ffn", type=int, default=96)
    parser.add_argument("--vocab", type=int, default=300)
    parser.add_argument("--context", type=int, default=128)
    parser.add_argument("--type", choices=sorted(TYPES) + ["q4_k_m"], default="f32")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tied", action="store_true")
    parser.add_argument("--version", type=int, choices=[2, 3], default=3)
    parser.add_argument("--corrupt", choices=CORRUPTIONS)
    parser.add_argument("--tokenizer-json", help="a Hugging Face BPE tokenizer.json")
    parser.add_argument("--pre", help="tokenizer.ggml.pre (default: from its split expression)")
    parser.add_argument("--dequant-out", help="numpy's dequantization of the block-format tensors")
    parser.add_argument("--arch", choices=["llama", "qwen2", "qwen3"], default="llama",
                        help="qwen2: q/k/v biases; qwen3: per-head q/k norms; both NEOX RoPE")
    parser.add_argument("--head-dim", type=int, help="attention.key_length (default dim / heads)")
    parser.add_argument("--rope-freqs", action="store_true",
                        help="Llama 3.1's rope_freqs.weight (frequency factors)")
    args = parser.parse_args()
    if args.tokenizer_json:
        args.vocab = 300  # replaced by the vocabulary's size
    if (args.dim % args.heads and not args.head_dim) or args.heads % args.kv_heads or args.vocab < 300:
        sys.exit("dim must be a multiple of heads, heads of kv-heads, vocab >= 300")
    if args.type in ggml_blocks.FORMATS:
        block = ggml_blocks.FORMATS[args.type][1]
        if args.dim % block or args.ffn % block:
            sys.exit(f"{args.type} needs dim and ffn multiples of {block}")
    w, version = build(args)
    dequant = open(args.dequant_out, "wb") if args.dequant_out else None
    patched = ("magic", "truncated", "truncated-header", "string-length", "array-count")
    with open(args.out, "wb") as f:
        if args.corrupt in patched:
            buffer = io.BytesIO()
            w.write(buffer, version, args.corrupt, dequant)
            f.write(patch(buffer.getvalue(), args.corrupt))
        else:
            w.write(f, version, args.corrupt, dequant)
    if dequant:
        dequant.close()


if __name__ == "__main__":
    main()

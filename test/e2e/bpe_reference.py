"""An independent byte-level BPE tokenizer (Hugging Face's algorithm) in
Python, for the pre-tokenizers the shared reference ids do not cover.

Encode: added tokens matched whole (longest first); the text between them
split by the pre-tokenizer's expressions (the `regex` module, which knows
\\p{L} and \\p{N}); each word's UTF-8 bytes mapped to GPT-2's byte alphabet,
then merged pair by pair, the best-ranked pair first, leftmost first.
"""
import json

import regex

GPT2 = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
LLAMA3 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
          r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2 = LLAMA3.replace(r"\p{N}{1,3}", r"\p{N}")
SPLITS = {"gpt2": [GPT2], "smollm": [r"\p{N}", GPT2], "llama-bpe": [LLAMA3], "qwen2": [QWEN2]}


def byte_alphabet():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


class Tokenizer:
    def __init__(self, path, pre):
        tj = json.load(open(path, encoding="utf-8"))
        self.vocab = dict(tj["model"]["vocab"])
        for a in tj.get("added_tokens", []):
            self.vocab[a["content"]] = a["id"]
        self.added = sorted((a["content"] for a in tj.get("added_tokens", [])), key=len, reverse=True)
        merges = [m if isinstance(m, str) else " ".join(m) for m in tj["model"]["merges"]]
        self.ranks = {tuple(m.split(" ", 1)): r for r, m in enumerate(merges)}
        self.splits = [regex.compile(p) for p in SPLITS[pre]]
        self.alphabet = byte_alphabet()

    def split(self, text, level=0):
        if not text:
            return []
        if level == len(self.splits):
            return [text]
        words, at = [], 0
        for m in self.splits[level].finditer(text):
            if m.start() > at:
                words += self.split(text[at:m.start()], level + 1)
            words += self.split(m.group(), level + 1)
            at = m.end()
        return words + self.split(text[at:], level + 1)

    def bpe(self, word):
        symbols = [self.alphabet[b] for b in word.encode("utf-8")]
        while len(symbols) > 1:
            pairs = [(self.ranks.get((a, b)), i) for i, (a, b) in enumerate(zip(symbols, symbols[1:]))]
            pairs = [p for p in pairs if p[0] is not None]
            if not pairs:
                break
            _, i = min(pairs)
            symbols[i:i + 2] = [symbols[i] + symbols[i + 1]]
        return [self.vocab[s] for s in symbols]

    def encode(self, text):
        ids, start, i = [], 0, 0
        while i < len(text):
            hit = next((a for a in self.added if text.startswith(a, i)), None)
            if hit is None:
                i += 1
                continue
            for w in self.split(text[start:i]):
                ids += self.bpe(w)
            ids.append(self.vocab[hit])
            i += len(hit)
            start = i
        for w in self.split(text[start:]):
            ids += self.bpe(w)
        return ids

#!/usr/bin/env python3
"""Checks quant-run's tokenizer against Hugging Face's ids.

  check_tokenizer.py QUANT-RUN MODEL.so CASES.jsonl NAME [--bos ID]
                     [--reference tokenizer.json --pre PRE]

Tokenizes every case of CASES.jsonl ({"text": ..., NAME: [ids]}) with one
`QUANT-RUN MODEL.so --tokenize-file -` (the texts NUL-separated on stdin)
and checks that each text's ids are the case's (after BOS when --bos is
given) and that they decode back to the text. With --reference, the
expected ids come from bpe_reference.py (an independent Python BPE) with
pre-tokenizer PRE instead of the case's. Prints each mismatch and a summary;
exits 1 if any case fails.
"""
import argparse
import json
import subprocess
import sys


def tokenize(args, cases):
    """quant-run's (decoded text, ids) for each case, or an error string."""
    texts = b"".join(c["text"].encode("utf-8") + b"\0" for c in cases)
    out = subprocess.run([args.quant_run, args.model, "--tokenize-file", "-"],
                         input=texts, capture_output=True)
    if out.returncode != 0:
        return f"exit {out.returncode}: {out.stderr.decode(errors='replace').strip()}"
    records = out.stdout.split(b"\0")
    if len(records) != len(cases) + 1 or records[-1]:
        return f"{len(records) - 1} NUL-terminated records for {len(cases)} texts"
    results = []
    for record in records[:-1]:
        text, sep, ids_line = record[:-1].rpartition(b"\ntokens:")
        if not sep or not record.endswith(b"\n"):
            return f"unexpected output {record!r}"
        results.append((text, [int(x) for x in ids_line.split()]))
    return results


def check(args, case, text, ids):
    ids_of = args.reference.encode(case["text"]) if args.reference else case[args.name]
    expected = ([args.bos] if args.bos is not None else []) + ids_of
    problems = []
    if ids != expected:
        problems.append(f"ids {ids} != {expected}")
    if text != case["text"].encode("utf-8"):
        problems.append(f"decodes to {text!r}")
    return "; ".join(problems)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("quant_run")
    p.add_argument("model")
    p.add_argument("cases")
    p.add_argument("name")
    p.add_argument("--bos", type=int)
    p.add_argument("--reference")
    p.add_argument("--pre")
    args = p.parse_args()
    if args.reference:
        import os
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import bpe_reference
        args.reference = bpe_reference.Tokenizer(args.reference, args.pre)
    cases = [json.loads(line) for line in open(args.cases, encoding="utf-8") if line.strip()]
    tokenized = tokenize(args, cases)
    if isinstance(tokenized, str):
        print(f"{args.name}: quant-run failed: {tokenized[:400]}")
        sys.exit(1)
    results = [check(args, c, text, ids) for c, (text, ids) in zip(cases, tokenized)]
    failed = 0
    for case, problem in zip(cases, results):
        if problem:
            failed += 1
            if failed <= 10:
                print(f"FAIL {case['text'][:80]!r}: {problem[:400]}")
    who = "bpe_reference.py does" if args.reference else "Hugging Face does"
    print(f"{args.name}: {len(cases) - failed}/{len(cases)} cases tokenized as {who}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

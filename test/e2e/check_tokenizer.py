#!/usr/bin/env python3
"""Checks quant-run's tokenizer against Hugging Face's ids.

  check_tokenizer.py QUANT-RUN MODEL.so CASES.jsonl NAME [--bos ID]
                     [--reference tokenizer.json --pre PRE]

For every case of CASES.jsonl ({"text": ..., NAME: [ids]}), runs
`QUANT-RUN MODEL.so --tokenize -p TEXT` and checks that the ids are the
case's (after BOS when --bos is given) and that they decode back to the
text. With --reference, the expected ids come from bpe_reference.py (an
independent Python BPE) with pre-tokenizer PRE instead of the case's.
Prints each mismatch and a summary; exits 1 if any case fails.
"""
import argparse
import concurrent.futures
import json
import subprocess
import sys


def run(args, case):
    out = subprocess.run([args.quant_run, args.model, "--tokenize", "-p", case["text"]],
                         capture_output=True)
    if out.returncode != 0:
        return f"exit {out.returncode}: {out.stderr.decode(errors='replace').strip()}"
    stdout = out.stdout
    text, sep, ids_line = stdout[:-1].rpartition(b"\ntokens:")
    if not sep or not stdout.endswith(b"\n"):
        return f"unexpected output {stdout!r}"
    ids = [int(x) for x in ids_line.split()]
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
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda c: run(args, c), cases))
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

#!/usr/bin/env python3
"""Checks that quant-run --chat keeps one conversation in the KV cache,
rendered as the chat template renders it.

  check_chat.py QUANT-RUN MODEL.so TEMPLATE [--bos ID] [--system TEXT] MSG...

Runs `QUANT-RUN MODEL.so --chat --tokens-out -q -n 4` with the messages on
stdin and checks, turn by turn, that the ids in the cache are: the ids so
far, the end-of-turn token that closed the last reply, then the next turn as
`QUANT-RUN --tokenize` tokenizes the template's text (llama3 or chatml),
followed by the reply. With --config, the first turn is also rendered by
jinja2 from the model's own tokenizer_config.json chat_template (the
Hugging Face rendering, independent of this script's and quant-run's).
Prints one line a turn; exits 1 on a mismatch.
"""
import argparse
import subprocess
import sys


def tokenize(args, text, bos):
    out = subprocess.run([args.quant_run, args.model, "--tokenize", "-p", text],
                         capture_output=True, check=True).stdout
    ids = [int(x) for x in out.rsplit(b"tokens:", 1)[1].split()]
    if args.bos is not None and not bos:
        assert ids[0] == args.bos
        ids = ids[1:]
    return ids


def render(template, role, text):
    if template == "llama3":
        return f"<|start_header_id|>{role}<|end_header_id|>\n\n{text.strip()}<|eot_id|>"
    return f"<|im_start|>{role}\n{text}<|im_end|>\n"


def header(template):
    return ("<|start_header_id|>assistant<|end_header_id|>\n\n" if template == "llama3"
            else "<|im_start|>assistant\n")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("quant_run")
    p.add_argument("model")
    p.add_argument("template", choices=["llama3", "chatml"])
    p.add_argument("--bos", type=int)
    p.add_argument("--system")
    p.add_argument("--config", help="tokenizer_config.json with the Jinja chat_template")
    p.add_argument("messages", nargs="+")
    args = p.parse_args()
    cmd = [args.quant_run, args.model, "--chat", "--tokens-out", "-q", "-n", "4"]
    if args.system:
        cmd += ["--system", args.system]
    out = subprocess.run(cmd, input="\n".join(args.messages).encode() + b"\n",
                         capture_output=True, check=True).stdout
    turns = [[int(x) for x in line.split()[1:]]
             for line in out.split(b"\n") if line.startswith(b"tokens:")]
    if len(turns) != len(args.messages):
        sys.exit(f"{len(turns)} replies for {len(args.messages)} messages")
    eot = tokenize(args, "<|eot_id|>" if args.template == "llama3" else "<|im_end|>", False)[0]
    before = []
    for k, (msg, ids) in enumerate(zip(args.messages, turns)):
        text = (render(args.template, "system", args.system) if k == 0 and args.system else "")
        text += render(args.template, "user", msg) + header(args.template)
        if k > 0 and args.template == "chatml":
            text = "\n" + text
        expected = before + ([eot] if k > 0 else []) + tokenize(args, text, k == 0)
        if k == 0 and args.config:
            import json
            import jinja2
            config = json.load(open(args.config, encoding="utf-8"))
            env = jinja2.Environment(loader=jinja2.BaseLoader())
            env.globals["raise_exception"] = lambda m: sys.exit(m)
            messages = ([{"role": "system", "content": args.system}] if args.system else [])
            messages.append({"role": "user", "content": msg})
            bos = config.get("bos_token") or ""
            rendered = env.from_string(config["chat_template"]).render(
                messages=messages, add_generation_prompt=True, bos_token=bos)
            if rendered.startswith(bos) and bos:
                rendered = rendered[len(bos):]  # quant-run adds BOS as a token
            hf = tokenize(args, rendered, True)
            if hf != expected:
                sys.exit(f"turn 1: jinja2 renders {rendered!r}: {hf}, not {expected}")
            print("turn 1: as the model's own chat template renders it (jinja2)")
        if ids[:len(expected)] != expected:
            sys.exit(f"turn {k + 1}: the cache holds {ids}, expected {expected} first")
        print(f"turn {k + 1}: {len(expected) - len(before)} prompt ids as the template renders them, "
              f"{len(ids) - len(expected)} reply ids")
        before = ids


if __name__ == "__main__":
    main()

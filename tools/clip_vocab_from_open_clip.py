#!/usr/bin/env python3
"""Rebuild OpenAI CLIP's BPE vocabulary (vocab.json + merges.txt, the layout of the
facebook/sam3 and openai/clip-* hub folders) from the PyPI package open_clip_torch.

Test-time only: the vocabulary is third-party data and is never committed. open_clip
ships OpenAI's merge list as open_clip/bpe_simple_vocab_16e6.txt.gz; the vocabulary is
derived from it exactly as open_clip's SimpleTokenizer does:
  the 256 bytes_to_unicode characters, the same with "</w>", each merge joined, then
  <|startoftext|> and <|endoftext|>  (49408 tokens, 48894 merges).

The package is located without importing it (importing open_clip pulls in torchvision
and timm, which the project venv does not need), so `pip install --no-deps` suffices.

  clip_vocab_from_open_clip.py --out DIR [--tokenizer-json-out DIR2] [--variants-out DIR3]

--tokenizer-json-out additionally writes the tokenizer.json layout with transformers'
own CLIPTokenizer(...).save_pretrained, and keeps only tokenizer.json and
tokenizer_config.json there, so readers of DIR2 cannot fall back to vocab.json.
--variants-out (needs --tokenizer-json-out) writes one folder per entry of VARIANTS:
the same vocabulary with the special-token files other tools and hub folders use
(normalized special tokens, added_tokens_decoder, extra tokens, older merges format).
tools/make_tokenizer_corpus.py records transformers' ids for each of them.
"""
import argparse
import gzip
import importlib.util
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

MERGES_IN_OPENAI_CLIP = 49152 - 256 - 2  # open_clip: merges[1 : 49152-256-2+1]
EXPECTED_VOCAB = 49408


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable character map (same as open_clip/tokenizer.py)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs)))


def open_clip_merges_file():
    spec = importlib.util.find_spec("open_clip")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("open_clip is not installed in this Python (" + sys.executable + "): "
                 "pip install --no-deps open_clip_torch==3.3.0 (tools/requirements.txt)")
    path = Path(list(spec.submodule_search_locations)[0]) / "bpe_simple_vocab_16e6.txt.gz"
    if not path.is_file():
        sys.exit(f"{path}: missing from the open_clip package")
    return path


def build_vocab_and_merges():
    lines = gzip.open(open_clip_merges_file(), "rt", encoding="utf-8").read().split("\n")
    merges = [tuple(line.split()) for line in lines[1 : MERGES_IN_OPENAI_CLIP + 1]]
    byte_chars = list(bytes_to_unicode().values())
    tokens = byte_chars + [c + "</w>" for c in byte_chars] + ["".join(m) for m in merges]
    tokens += ["<|startoftext|>", "<|endoftext|>"]
    vocab = {t: i for i, t in enumerate(tokens)}
    if len(vocab) != EXPECTED_VOCAB or len(merges) != MERGES_IN_OPENAI_CLIP:
        sys.exit(f"unexpected vocabulary: {len(vocab)} tokens, {len(merges)} merges")
    return vocab, merges


def write_atomically(path: Path, text: str):
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_vocab_layout(out: Path, vocab, merges):
    out.mkdir(parents=True, exist_ok=True)
    write_atomically(out / "merges.txt", "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges))
    write_atomically(out / "vocab.json", json.dumps(vocab, ensure_ascii=False))


def write_tokenizer_json_layout(out: Path, vocab_dir: Path):
    from transformers import CLIPTokenizer

    tok = CLIPTokenizer.from_pretrained(str(vocab_dir))
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        tok.save_pretrained(tmp)
        for name in ("tokenizer.json", "tokenizer_config.json"):
            if not (Path(tmp) / name).is_file():
                sys.exit(f"save_pretrained wrote no {name}")
            os.replace(Path(tmp) / name, out / name)
    for stale in ("vocab.json", "merges.txt", "special_tokens_map.json"):
        (out / stale).unlink(missing_ok=True)


def _token(content, normalized, **extra):
    return dict({"content": content, "single_word": False, "lstrip": False, "rstrip": False, "normalized": normalized}, **extra)


S, E = "<|startoftext|>", "<|endoftext|>"

# name -> (base layout, files to write, edit of tokenizer.json). Each is a configuration
# transformers 5.23 resolves differently from the plain layouts.
VARIANTS = {
    # openai/clip-vit-* as older transformers saved them: bos/eos/unk normalized, pad a plain
    # string (the last spec of "<|endoftext|>", so it decides that token's flags).
    "openai_style_special_tokens_map": ("vocab", {
        "special_tokens_map.json": {"bos_token": _token(S, True), "eos_token": _token(E, True),
                                    "unk_token": _token(E, True), "pad_token": E},
        "tokenizer_config.json": {"add_prefix_space": False, "bos_token": _token(S, True, __type="AddedToken"),
                                  "do_lower_case": True, "eos_token": _token(E, True, __type="AddedToken"),
                                  "errors": "replace", "model_max_length": 77, "pad_token": E,
                                  "tokenizer_class": "CLIPTokenizer", "unk_token": _token(E, True, __type="AddedToken")},
    }, None),
    # transformers 4.x save_pretrained: added_tokens_decoder decides, here normalized.
    "added_tokens_decoder_normalized": ("tokenizer_json", {
        "tokenizer_config.json": {"added_tokens_decoder": {"49406": _token(S, True, special=True),
                                                           "49407": _token(E, True, special=True)},
                                  "bos_token": S, "eos_token": E, "pad_token": E, "unk_token": E,
                                  "model_max_length": 32, "tokenizer_class": "CLIPTokenizer"},
    }, None),
    # tokenizer.json's own added_tokens normalized (as in openai/clip-vit-* tokenizer.json).
    "tokenizer_json_normalized": ("tokenizer_json", {}, "normalized_added_tokens"),
    # special_tokens_map.json beside tokenizer.json: tokenizer.json's flags win by content.
    "tokenizer_json_with_special_tokens_map": ("tokenizer_json", {
        "special_tokens_map.json": {"bos_token": _token(S, True), "eos_token": _token(E, True),
                                    "unk_token": _token(E, True), "pad_token": _token(E, True)},
    }, None),
    # Older tokenizers wrote merges as "a b" strings.
    "tokenizer_json_string_merges": ("tokenizer_json", {}, "string_merges"),
    # A custom pad inside the vocabulary, extra and model-specific tokens outside it (new ids
    # after 49407, in transformers' registration order), one of them normalized.
    "extra_and_model_specific_tokens": ("vocab", {
        "tokenizer_config.json": {"pad_token": "!", "image_token": "<img>",
                                  "additional_special_tokens": ["<|mask|>", _token("<X>", True, __type="AddedToken")],
                                  "tokenizer_class": "CLIPTokenizer"},
        "special_tokens_map.json": {"video_token": "<vid>", "extra_special_tokens": ["<y>"]},
    }, None),
}


def write_variants(out: Path, vocab_dir: Path, tokenizer_json_dir: Path):
    for name, (base, files, edit) in VARIANTS.items():
        target = out / name
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(vocab_dir if base == "vocab" else tokenizer_json_dir, target)
        for file_name, content in files.items():
            write_atomically(target / file_name, json.dumps(content, ensure_ascii=False, indent=1))
        if edit:
            tj = json.loads((target / "tokenizer.json").read_text(encoding="utf-8"))
            if edit == "normalized_added_tokens":
                for token in tj["added_tokens"]:
                    token["normalized"] = True
            elif edit == "string_merges":
                tj["model"]["merges"] = [" ".join(pair) for pair in tj["model"]["merges"]]
            write_atomically(target / "tokenizer.json", json.dumps(tj, ensure_ascii=False))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, type=Path, help="folder for vocab.json + merges.txt")
    ap.add_argument("--tokenizer-json-out", type=Path, help="folder for tokenizer.json + tokenizer_config.json")
    ap.add_argument("--variants-out", type=Path, help="folder for one folder per special-token configuration")
    args = ap.parse_args()
    if args.variants_out and not args.tokenizer_json_out:
        ap.error("--variants-out needs --tokenizer-json-out")
    vocab, merges = build_vocab_and_merges()
    write_vocab_layout(args.out, vocab, merges)
    if args.tokenizer_json_out:
        write_tokenizer_json_layout(args.tokenizer_json_out, args.out)
    if args.variants_out:
        write_variants(args.variants_out, args.out, args.tokenizer_json_out)


if __name__ == "__main__":
    main()

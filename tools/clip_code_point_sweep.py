#!/usr/bin/env python3
"""transformers' CLIPTokenizer ids for one prompt per Unicode scalar value c, "A" + c + "b " + c
(c inside a word after an upper-case letter, and c as a word of its own), for
tests/engine/test_clip_tokenizer: it proves the generated Unicode tables through the whole
C++ pipeline for every code point, which a committed corpus cannot.

  clip_code_point_sweep.py --tokenizer DIR --out FILE

FILE (little-endian): b"CLIPSWP1", a 64-byte ASCII key, uint32 prompt count, then per scalar
value in ascending order uint16 n followed by n uint16 ids (BOS..EOS, untruncated,
unpadded). The key hashes this script, the transformers/tokenizers versions and the
tokenizer files; a FILE with the same key is kept (about 30 s of tokenization saved).
"""
import argparse
import array
import hashlib
import os
import sys
from pathlib import Path

MAGIC = b"CLIPSWP1"


def prompts():
    return ["A" + chr(c) + "b " + chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]


def key(folder: Path):
    import tokenizers
    import transformers

    h = hashlib.sha256(Path(__file__).read_bytes())
    h.update(f"{transformers.__version__} {tokenizers.__version__}".encode())
    for f in sorted(folder.iterdir()):
        h.update(f.name.encode() + f.read_bytes())
    return h.hexdigest().encode()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokenizer", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    args = ap.parse_args()
    k = key(args.tokenizer)
    if args.out.is_file():
        with open(args.out, "rb") as f:
            if f.read(len(MAGIC) + len(k)) == MAGIC + k:
                return

    import transformers
    from transformers import CLIPTokenizer

    transformers.logging.set_verbosity_error()
    tokenizer = CLIPTokenizer.from_pretrained(str(args.tokenizer))
    texts = prompts()
    data = array.array("H")
    # The backend's batch call is what tokenizer(texts) runs, without building Python lists
    # of masks; every 997th prompt is checked against tokenizer(text) itself.
    for i, encoding in enumerate(tokenizer.backend_tokenizer.encode_batch_fast(texts)):
        ids = encoding.ids
        if i % 997 == 0 and ids != tokenizer(texts[i])["input_ids"]:
            sys.exit(f"the backend and CLIPTokenizer differ on {texts[i]!r}")
        if len(ids) > 0xFFFF or max(ids) > 0xFFFF:
            sys.exit("ids or counts beyond uint16")
        data.append(len(ids))
        data.extend(ids)
    if sys.byteorder != "little":
        data.byteswap()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(MAGIC + k + len(texts).to_bytes(4, "little"))
        f.write(data.tobytes())
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main()

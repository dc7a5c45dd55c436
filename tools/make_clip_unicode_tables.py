#!/usr/bin/env python3
"""Generate core/engine/sam3/text/clip_unicode_tables.inc: the Unicode data of the CLIP
tokenizer pipeline (transformers' CLIPTokenizer on the `tokenizers` library), without ICU.

The classification is taken from the reference itself wherever it can be:
  - lowercase:  tokenizers' normalizers.Lowercase() on every code point (Rust's per-char
                char::to_lowercase: no final-sigma rule, U+0130 -> i + U+0307);
  - classes:    \\s of normalizers.Replace(Regex(r"\\s+"), " ") and \\p{L} / \\p{N} of the
                pre-tokenizer's Split regex (Oniguruma), probed with crafted strings around
                every code point;
  - NFC:        canonical decompositions from tokenizers' own normalizers.NFD() per code
                point, combining classes probed through NFD's canonical reordering against
                reference marks, composition pairs from Python's unicodedata kept only where
                tokenizers composes them. tokenizers' normalization data is older than Python's
                unicodedata; every disagreement is reported and tokenizers wins.
Afterwards a pure-Python model of the C++ algorithm, reading only the generated tables, is
checked against normalizers.NFC() on every code point, on every base + mark pair and on
composition pairs with an interposed mark; the script fails if anything differs.

Deterministic: two runs give identical bytes.

  make_clip_unicode_tables.py [--out core/engine/sam3/text/clip_unicode_tables.inc]
"""
import argparse
import sys
import unicodedata
from pathlib import Path

import tokenizers
from tokenizers import Regex, normalizers, pre_tokenizers

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "core/engine/sam3/text/clip_unicode_tables.inc"
# transformers 5.23 tokenization_clip.py, CLIPTokenizer.__init__
SPLIT_PATTERN = r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""

S_BASE, L_BASE, V_BASE, T_BASE = 0xAC00, 0x1100, 0x1161, 0x11A7
L_COUNT, V_COUNT, T_COUNT = 19, 21, 28
N_COUNT = V_COUNT * T_COUNT
S_COUNT = L_COUNT * N_COUNT

LOWER = normalizers.Lowercase()
NFC = normalizers.NFC()
NFD = normalizers.NFD()
WHITESPACE = normalizers.Replace(Regex(r"\s+"), " ")
SPLIT = pre_tokenizers.Split(Regex(SPLIT_PATTERN), behavior="removed", invert=True)


def scalar_values():
    """Every Unicode scalar value (surrogates are not characters and cannot reach the tokenizer)."""
    return [cp for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF]


def pieces(text):
    return [p for p, _ in SPLIT.pre_tokenize_str(text)]


def classify(cp):
    """'L', 'N', 'S' (\\s) or 'O' (anything else), exactly as the reference regexes see cp."""
    c = chr(cp)
    space = WHITESPACE.normalize_str("a" + c + "a") == "a a"
    letter = pieces("a" + c + "a") == ["a" + c + "a"]
    other = pieces("!" + c + "!") == ["!" + c + "!"]
    number = not (space or letter or other) and pieces("!" + c + "!") == ["!", c, "!"] and pieces("1" + c) == ["1", c]
    found = [name for name, hit in (("S", space), ("L", letter), ("O", other), ("N", number)) if hit]
    if len(found) != 1:
        sys.exit(f"U+{cp:04X}: the reference regexes put it in {found or 'no'} class(es)")
    if space and pieces("!" + c + "!") != ["!", "!"]:
        sys.exit(f"U+{cp:04X}: \\s in the normalizer but not in the pre-tokenizer")
    return found[0]


def ranges(values):
    """[(first, last, value)] runs of consecutive code points with the same value; value None is left out."""
    out = []
    for cp, v in values:
        if v is None:
            continue
        if out and out[-1][1] == cp - 1 and out[-1][2] == v:
            out[-1][1] = cp
        else:
            out.append([cp, cp, v])
    return out


def lowercase_tables(cps):
    """Single-code-point mappings as strided runs (first, last, stride, delta), plus the expansions."""
    single, multi = [], []
    for cp in cps:
        low = LOWER.normalize_str(chr(cp))
        if low == chr(cp):
            continue
        if len(low) == 1:
            single.append((cp, ord(low) - cp))
        else:
            multi.append((cp, [ord(ch) for ch in low]))
    runs = []  # [first, last, stride, delta]
    for cp, delta in single:
        if runs:
            r = runs[-1]
            if r[3] == delta and r[0] == r[1] and cp - r[1] in (1, 2):
                r[2] = cp - r[1]
                r[1] = cp
                continue
            if r[3] == delta and cp - r[1] == r[2]:
                r[1] = cp
                continue
        runs.append([cp, cp, 1, delta])
    mapped = {cp: delta for first, last, stride, delta in runs for cp in range(first, last + 1, stride)}
    if mapped != dict(single):
        sys.exit("the lowercase runs do not reproduce the per-code-point mapping")
    # Rust's lowercase has no context rules: check that concatenation is all it does.
    for text, want in (("ΑΣ ΟΔΟΣ", "ασ οδοσ"), ("İI", "i̇i")):
        if LOWER.normalize_str(text) != want:
            sys.exit(f"Lowercase({text!r}) = {LOWER.normalize_str(text)!r}, expected {want!r}")
    return runs, multi


def nfd_of(cp):
    return [ord(ch) for ch in NFD.normalize_str(chr(cp))]


def reorders(first, second):
    """True when tokenizers' NFD swaps mark `second` in front of mark `first` after a base."""
    return first != second and NFD.normalize_str("a" + chr(first) + chr(second)) == "a" + chr(second) + chr(first)


def combining_classes(cps, report):
    """tokenizers' canonical combining class of every code point that does not decompose.

    tokenizers exposes no ccc, so it is measured: a mark X with class k moves in front of a
    preceding mark of class m exactly when 0 < k < m. The reference mark of a class is its
    lowest code point in Python's data that tokenizers orders consistently with the reference
    marks of the lower classes and with U+0334 (class 1) and U+0345 (class 240)."""
    by_class = {}
    for cp in cps:
        k = unicodedata.combining(chr(cp))
        if k and nfd_of(cp) == [cp]:
            by_class.setdefault(k, []).append(cp)
    reference = {}
    for k, candidates in sorted(by_class.items()):
        for mark in candidates:
            if all(reorders(m2, mark) == (k < k2) and reorders(mark, m2) == (k2 < k)
                   for k2, m2 in list(reference.items()) + [(1, 0x334), (240, 0x345)] if m2 != mark):
                reference[k] = mark
                break
        else:
            report.append(f"combining class {k}: tokenizers orders none of its {len(candidates)} marks as class {k}")
    top, bottom = reference[max(reference)], reference[min(reference)]
    ccc = {}
    for cp in cps:
        if nfd_of(cp) != [cp]:
            continue
        if cp in (top, bottom):
            ccc[cp] = max(reference) if cp == top else min(reference)
            continue
        nonzero = reorders(top, cp) or reorders(cp, bottom)
        k = 0
        if nonzero:
            equal = [c for c, m in reference.items() if not reorders(m, cp) and not reorders(cp, m)]
            if len(equal) != 1:
                sys.exit(f"U+{cp:04X}: combining class not measurable against the reference marks")
            k = equal[0]
        ccc[cp] = k
        if k != unicodedata.combining(chr(cp)):
            report.append(f"U+{cp:04X} combining class: tokenizers {k}, unicodedata {unicodedata.combining(chr(cp))}")
    return ccc


def decompositions(cps, report):
    """Single-level canonical decompositions {cp: (a, b or 0)} (Hangul is algorithmic), kept where
    their full expansion equals tokenizers' NFD of the code point."""
    table = {}
    for cp in cps:
        if S_BASE <= cp < S_BASE + S_COUNT:
            continue
        full = nfd_of(cp)
        mapping = unicodedata.decomposition(chr(cp))
        canonical = [int(x, 16) for x in mapping.split()] if mapping and not mapping.startswith("<") else []
        if full == [cp]:
            if canonical:
                report.append(f"U+{cp:04X} decomposes to {' '.join(f'U+{x:04X}' for x in canonical)} in unicodedata, not in tokenizers")
            continue
        if not canonical:
            sys.exit(f"U+{cp:04X}: tokenizers decomposes it, unicodedata has no canonical mapping")
        table[cp] = (canonical[0], canonical[1] if len(canonical) > 1 else 0)
    for cp in table:
        if expand(cp, table) != nfd_of(cp):
            sys.exit(f"U+{cp:04X}: recursive expansion {expand(cp, table)} != tokenizers NFD {nfd_of(cp)}")
    return table


def expand(cp, table):
    if S_BASE <= cp < S_BASE + S_COUNT:
        s = cp - S_BASE
        out = [L_BASE + s // N_COUNT, V_BASE + (s % N_COUNT) // T_COUNT]
        return out + ([T_BASE + s % T_COUNT] if s % T_COUNT else [])
    if cp not in table:
        return [cp]
    a, b = table[cp]
    return expand(a, table) + (expand(b, table) if b else [])


def compositions(decomp):
    """Primary composites: two-code-point decompositions that tokenizers' NFC recomposes."""
    pairs = {}
    for cp, (a, b) in decomp.items():
        if b and NFC.normalize_str(chr(cp)) == chr(cp):
            pairs[(a, b)] = cp
    return pairs


class Model:
    """The C++ NFC algorithm (clip_unicode.cpp), reading only the generated tables."""

    def __init__(self, ccc, decomp, comp):
        self.ccc, self.decomp, self.comp = ccc, decomp, comp

    def nfc(self, text):
        chars = []
        for ch in text:
            chars.extend(expand(ord(ch), self.decomp))
        # canonical ordering: stable sort of every run of non-starters
        i = 0
        while i < len(chars):
            if self.ccc.get(chars[i], 0) == 0:
                i += 1
                continue
            j = i
            while j < len(chars) and self.ccc.get(chars[j], 0) != 0:
                j += 1
            chars[i:j] = sorted(chars[i:j], key=lambda c: self.ccc.get(c, 0))
            i = j
        # canonical composition
        out, starter, last_ccc = [], None, 0
        for c in chars:
            k = self.ccc.get(c, 0)
            if starter is not None:
                s = out[starter]
                composed = None
                if L_BASE <= s < L_BASE + L_COUNT and V_BASE <= c < V_BASE + V_COUNT and len(out) == starter + 1:
                    composed = S_BASE + ((s - L_BASE) * V_COUNT + (c - V_BASE)) * T_COUNT
                elif (S_BASE <= s < S_BASE + S_COUNT and (s - S_BASE) % T_COUNT == 0 and T_BASE < c < T_BASE + T_COUNT
                      and len(out) == starter + 1):
                    composed = s + (c - T_BASE)
                elif (len(out) == starter + 1 or 0 < last_ccc < k) and (s, c) in self.comp:
                    composed = self.comp[(s, c)]
                if composed is not None:
                    out[starter] = composed
                    continue
            if k == 0:
                starter = len(out)
                last_ccc = 0
            else:
                last_ccc = k
            out.append(c)
        return "".join(chr(c) for c in out)


def verify(model, cps, ccc, comp):
    marks = sorted(cp for cp, k in ccc.items() if k)
    firsts = sorted({a for a, _ in comp} | {0x41, 0x61, 0x3B1, 0x430, 0x5D0, 0x627, 0x915, 0xE01, 0x1100, 0xAC00})
    cases = [chr(cp) for cp in cps]
    cases += [chr(a) + chr(m) for a in firsts for m in marks]
    cases += [chr(a) + chr(m) + chr(b) for (a, b) in sorted(comp) for m in marks[:: max(1, len(marks) // 60)]]
    cases += [chr(L_BASE + l) + chr(V_BASE + v) + chr(T_BASE + t) for l in range(L_COUNT) for v in range(V_COUNT) for t in range(T_COUNT + 1)]
    cases += [chr(S_BASE + s) + chr(T_BASE + t) for s in range(0, S_COUNT, 97) for t in range(T_COUNT + 1)]
    bad = [c for c in cases if model.nfc(c) != NFC.normalize_str(c)]
    for c in bad[:20]:
        print("MISMATCH", [f"U+{ord(x):04X}" for x in c], "model", [f"U+{ord(x):04X}" for x in model.nfc(c)],
              "tokenizers", [f"U+{ord(x):04X}" for x in NFC.normalize_str(c)])
    if bad:
        sys.exit(f"{len(bad)} of {len(cases)} NFC checks differ from tokenizers")
    return len(cases)


def emit(out, cps, classes, low_runs, low_multi, ccc, decomp, comp, unstable, report, checks):
    lines = [
        "// GENERATED by tools/make_clip_unicode_tables.py -- do not edit; rerun the script instead.",
        f"// Reference: tokenizers {tokenizers.__version__} (the backend of transformers' CLIPTokenizer);",
        f"// Python {sys.version.split()[0]} unicodedata {unicodedata.unidata_version} for composition pairs.",
        "// Classes, lowercase, decompositions and combining classes were measured on the reference",
        f"// for all {len(cps)} scalar values; {checks} NFC strings were checked against it.",
        f"// Disagreements with unicodedata (tokenizers' data is older; tokenizers wins): {len(report)}",
    ]
    lines += [f"//   {r}" for r in report[:12]]
    if len(report) > 12:
        lines.append(f"//   ... and {len(report) - 12} more (run the script to list them)")
    lines.append("// Included by clip_unicode.cpp, which defines the row types.")
    lines.append("")
    # Text made only of code points below this bound is already NFC: none of them is a mark,
    # composes with what precedes it, or changes under NFC on its own.
    quick = min([cp for cp, k in ccc.items() if k] + [b for _, b in comp] + unstable + [V_BASE, T_BASE + 1])
    lines.append(f"inline constexpr char32_t kNfcQuickCheckBelow = 0x{quick:X};")
    lines.append("")

    def table(decl, rows, per_line):
        lines.append(decl + " = {")
        for i in range(0, len(rows), per_line):
            lines.append("    " + " ".join(rows[i : i + per_line]))
        lines.append("};")
        lines.append("")

    names = {"L": "kL", "N": "kN", "S": "kS"}
    table("inline constexpr ClassRange kClassRanges[]",
          [f"{{0x{a:X}, 0x{b:X}, {names[v]}}}," for a, b, v in ranges((cp, None if classes[cp] == "O" else classes[cp]) for cp in cps)], 4)
    table("inline constexpr LowerRun kLowerRuns[]", [f"{{0x{a:X}, 0x{b:X}, {s}, {d}}}," for a, b, s, d in low_runs], 4)
    table("inline constexpr LowerExpansion kLowerExpansions[]",
          [f"{{0x{cp:X}, {{{', '.join(f'0x{x:X}' for x in (seq + [0, 0, 0])[:3])}}}}}," for cp, seq in low_multi], 2)
    table("inline constexpr CombiningRange kCombiningRanges[]",
          [f"{{0x{a:X}, 0x{b:X}, {k}}}," for a, b, k in ranges((cp, ccc.get(cp) or None) for cp in cps)], 4)
    table("inline constexpr Decomposition kDecompositions[]",
          [f"{{0x{cp:X}, 0x{a:X}, 0x{b:X}}}," for cp, (a, b) in sorted(decomp.items())], 4)
    table("inline constexpr Composition kCompositions[]",
          [f"{{0x{a:X}, 0x{b:X}, 0x{c:X}}}," for (a, b), c in sorted(comp.items())], 4)
    out.write_text("\n".join(lines), encoding="utf-8")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args()
    cps = scalar_values()
    report = []
    classes = {cp: classify(cp) for cp in cps}
    low_runs, low_multi = lowercase_tables(cps)
    ccc = combining_classes(cps, report)
    decomp = decompositions(cps, report)
    comp = compositions(decomp)
    unstable = []  # code points that NFC changes on their own
    for cp in cps:
        c = chr(cp)
        composed = NFC.normalize_str(c)
        if composed != c:
            unstable.append(cp)
        if composed != unicodedata.normalize("NFC", c):
            report.append(f"U+{cp:04X} NFC: tokenizers and unicodedata differ")
    checks = verify(Model(ccc, decomp, comp), cps, ccc, comp)
    for r in report:
        print("disagreement:", r)
    emit(args.out, cps, classes, low_runs, low_multi, ccc, decomp, comp, unstable, report, checks)
    counts = {k: sum(1 for v in classes.values() if v == k) for k in "LNSO"}
    print(f"{args.out}: classes {counts}, {len(low_runs)} lowercase runs + {len(low_multi)} expansions, "
          f"{sum(1 for k in ccc.values() if k)} marks, {len(decomp)} decompositions, {len(comp)} compositions, "
          f"{checks} NFC checks passed, {len(report)} disagreements with unicodedata")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Extract the OpenAPI document of a seed page for Prism and Steady (bench/run.sh --with-mocks).

    python3 bench/extract_openapi.py [--as-is] SEED.txt OUT.yaml

The seed (/work/shared/seeds/001_*.txt) is Markdown; its OpenAPI document is YAML between an
opening fence line that starts with "````yaml" (four backticks, followed by the document's
name, e.g. "````yaml /openapi.json post /v1/images/generations") and the next line that is
exactly "````". Only the standard library is used (no PyYAML), and only line-level text edits
are made, so the document is otherwise copied byte for byte.

One adjustment, for Prism: the document is OpenAPI 3.1 but carries OpenAPI 3.0's
`nullable: true` next to `anyOf` (the `model` and `size` properties of CreateImageRequest).
Prism hands schemas to Ajv with 3.0-style `nullable` support, and Ajv refuses to compile a
schema with `nullable` but no `type` ('"nullable" cannot be used without "type"'); Prism then
skips request-body validation altogether, so every body passes, even {"prompt":"x","n":11}
or {"n":"eleven"} (checked with Prism 5.14.2 and 5.16.0). The edit keeps the author's intent
in 3.1 terms: that `nullable: true` is dropped and `- type: 'null'` is added as one more
`anyOf` branch (3.1 has no `nullable` keyword; a null branch is how 3.1 says "may be null").
Steady accepts the document either way ("steady validate": All good) and is given the same
adjusted file, so both mocks serve the same document. `--as-is` skips the edit (to see Prism
let every request through).

No server or path adjustment is needed: `servers` are bare origins (https://aihubmix.com,
https://api.inferera.com) without a base path, so both mocks serve the path as written,
POST /v1/images/generations, on the port they are given.
"""
import re
import sys


def extract(text):
    lines = text.splitlines()
    start = next((i for i, l in enumerate(lines) if l.startswith("````yaml")), None)
    if start is None:
        sys.exit("extract_openapi: no line starting with ````yaml in the seed")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].strip() == "````"), None)
    if end is None:
        sys.exit("extract_openapi: the ````yaml fence is never closed")
    doc = lines[start + 1:end]
    if not doc or not re.match(r"openapi:\s*['\"]?3\.", doc[0]):
        sys.exit("extract_openapi: the fenced block does not start with 'openapi: 3.x'")
    return doc


def indent(line):
    return len(line) - len(line.lstrip(" "))


def nullable_anyof_to_null_branch(doc):
    """Rewrite `nullable: true` beside `anyOf:` (same mapping) into an extra null branch."""
    out = list(doc)
    edits = 0
    i = 0
    while i < len(out):
        m = re.match(r"^( *)anyOf:\s*$", out[i])
        if not m:
            i += 1
            continue
        ind = len(m.group(1))
        # The mapping holding this anyOf: neighbouring non-blank lines indented >= ind;
        # its own keys are the lines indented exactly ind (that are not list items).
        lo = i
        while lo > 0 and (not out[lo - 1].strip() or indent(out[lo - 1]) >= ind):
            lo -= 1
        hi = i + 1
        while hi < len(out) and (not out[hi].strip() or indent(out[hi]) >= ind):
            hi += 1
        sib = [j for j in range(lo, hi)
               if indent(out[j]) == ind and re.match(r"^ *nullable:\s*true\s*$", out[j])]
        if not sib:
            i += 1
            continue
        # The anyOf list: the lines after the key that are indented deeper than it.
        items_end = i + 1
        while items_end < len(out) and (not out[items_end].strip() or indent(out[items_end]) > ind):
            items_end += 1
        item_lines = [out[j] for j in range(i + 1, items_end) if out[j].lstrip().startswith("- ")]
        if not item_lines:  # flow-style list or something unexpected: leave it alone
            i += 1
            continue
        item_ind = indent(item_lines[0])
        out.insert(items_end, " " * item_ind + "- type: 'null'")
        j = sib[0] if sib[0] < items_end else sib[0] + 1
        del out[j]
        edits += 1
        i += 1
    return out, edits


def main():
    args = sys.argv[1:]
    as_is = bool(args) and args[0] == "--as-is"
    if as_is:
        args = args[1:]
    if len(args) != 2:
        sys.exit("usage: extract_openapi.py [--as-is] SEED.txt OUT.yaml")
    with open(args[0], encoding="utf-8") as f:
        doc = extract(f.read())
    edits = 0
    if not as_is:
        doc, edits = nullable_anyof_to_null_branch(doc)
    with open(args[1], "w", encoding="utf-8") as f:
        f.write("\n".join(doc) + "\n")
    print(f"extract_openapi: {len(doc)} lines, {edits} nullable+anyOf rewritten", file=sys.stderr)


if __name__ == "__main__":
    main()

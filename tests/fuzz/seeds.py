#!/usr/bin/env python3
"""seeds.py — seed corpora for the fuzz targets, made from the fixture cases at build time.

The ~1000 cases under fixtures/ are the best map there is of what request bodies look like and
where the rules turn; written out as fuzz inputs they let libFuzzer start from every branch the
catalogue already names instead of rediscovering JSON. They are generated into the build
directory (never committed as thousands of files), one directory per target:

  request/  the policy byte of fuzz_request.c (from the case's server) + the body
  jscan/    the body alone
  size/     a model byte of fuzz_size.c (each catalogue row, strict and schema) + each string
            `size` a case sends

Usage: seeds.py FIXTURES_DIR OUT_DIR   (writes OUT_DIR/<target>/<sha1 of the input>)
"""
import hashlib
import json
import os
import sys

# fuzz_request.c's first byte: bit 0 schema mode, bit 1 the retired list, bits 2.. the profile
# (0 none, 1 openai, 2 aihubmix, 3 applerouter, 4 tokenops, 5 acedata). "keys" judges as strict.
POLICY = {"strict": 0x00, "keys": 0x00, "schema": 0x01, "retired": 0x02, "aihubmix": 2 << 2,
          "applerouter": 3 << 2, "tokenops": 4 << 2, "acedata": 5 << 2}
CATALOGUE_ROWS = 8  # fuzz_size.c takes (byte & 0x7f) % rows; extra rows just repeat a family
TARGETS = ("request", "jscan", "size")


def body_bytes(request):
    if "body_text" in request:
        return request["body_text"].encode("utf-8", "surrogatepass")
    if "body" in request:
        return json.dumps(request["body"]).encode()  # as tests/fixtures/run.py sends it
    return None


def write(out, target, data):
    path = os.path.join(out, target, hashlib.sha1(data).hexdigest())
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)


def main():
    fixtures, out = sys.argv[1], sys.argv[2]
    for target in TARGETS:
        os.makedirs(os.path.join(out, target), exist_ok=True)
    for root, _, files in os.walk(fixtures):
        for name in sorted(files):
            if not name.endswith(".json") or name == "servers.json":
                continue
            with open(os.path.join(root, name), encoding="utf-8") as f:
                case = json.load(f)
            request = case.get("request", {})
            body = body_bytes(request)
            if body is None:
                continue
            write(out, "jscan", body)
            write(out, "request", bytes([POLICY.get(case.get("server", "strict"), 0)]) + body)
            size = request.get("body", {}).get("size") if isinstance(request.get("body"), dict) else None
            if isinstance(size, str):
                text = size.encode("utf-8", "surrogatepass")
                for row in range(CATALOGUE_ROWS):
                    write(out, "size", bytes([row]) + text)
                    write(out, "size", bytes([0x80 | row]) + text)


if __name__ == "__main__":
    main()

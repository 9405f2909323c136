"""Generated images end to end: every model's sizes and formats decoded by independent decoders,
the response shape of spec §6, "auto" resolved as spec §1 says, transparency, the usage numbers
of spec §7, output_compression, determinism (across requests, restarts, caches and thread
counts), large answers framed exactly, and schema mode's answers to SDK-style requests.

Images are decoded twice over: PNG by a chunk walker written here (CRCs, IHDR, IDAT inflated to
the exact size the header implies) and by PIL; JPEG by a marker walker here and by PIL; WebP by
libwebp's `dwebp` (to PAM, parsed here) and by PIL, whose pixels must agree.
"""
import base64
import io
import json
import os
import re
import signal
import socket
import struct
import subprocess
import tempfile
import time
import unittest
import zlib
from concurrent.futures import ThreadPoolExecutor

from PIL import Image

from harness import Server, main

GPT1_MODELS = ["gpt-image-1", "gpt-image-1-mini", "gpt-image-1.5", "chatgpt-image-latest"]
GPT2_MODELS = ["gpt-image-2", "gpt-image-2-2026-04-21"]
DALLE_SIZES = {"dall-e-2": ["256x256", "512x512", "1024x1024"],
               "dall-e-3": ["1024x1024", "1792x1024", "1024x1792"]}
GPT1_SIZES = ["1024x1024", "1024x1536", "1536x1024"]
FORMATS = ["png", "jpeg", "webp"]
PIL_FORMAT = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}
OTTER = "A cute baby sea otter"

# ---- servers: started on first use, stopped together at the end (a stop takes ~2 s) ------------

_shared = {}
_extra = []


def server(*args):
    """The module's server started with `args` (plus --quiet), shared by every test asking for it."""
    if args not in _shared:
        _shared[args] = Server("--quiet", *args)
    return _shared[args]


def fresh_server(*args):
    """A new server process of its own (for restarts); stopped with the others at the end."""
    s = Server("--quiet", *args)
    _extra.append(s)
    return s


def tearDownModule():
    everyone = list(_shared.values()) + _extra
    for s in everyone:  # signal all first, so their shutdowns overlap
        if s.proc.poll() is None:
            s.proc.send_signal(signal.SIGTERM)
    with ThreadPoolExecutor(max(1, len(everyone))) as pool:
        list(pool.map(lambda s: s.proc.wait(timeout=30), everyone))
    for s in everyone:
        s.stop()


# ---- decoders -----------------------------------------------------------------------------------

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class Decoded:
    """What the decoders agree an image is."""

    def __init__(self, fmt, width, height, mode, alpha_zero=0, alpha_full=0):
        self.format = fmt            # "png", "jpeg" or "webp"
        self.size = (width, height)
        self.mode = mode             # "RGB" or "RGBA"
        self.alpha_zero = alpha_zero  # pixels with alpha 0 (RGBA only)
        self.alpha_full = alpha_full  # pixels with alpha 255 (RGBA only)

    def __repr__(self):
        return "Decoded(%s %dx%d %s)" % (self.format, self.size[0], self.size[1], self.mode)


def png_structure(data):
    """Walk a PNG without PIL: signature, chunk CRCs, IHDR first, IEND last with nothing after
    it, and the IDAT stream inflating to exactly height * (1 + width * channels) bytes with a
    valid filter byte on every row. Returns (width, height, channels)."""
    assert data[:8] == PNG_SIGNATURE, "no PNG signature: %r" % data[:8]
    pos, names, idat, ihdr = 8, [], [], None
    while pos < len(data):
        length, name = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc, = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert zlib.crc32(name + body) == crc, "bad CRC on chunk %r" % name
        names.append(name)
        if name == b"IHDR":
            ihdr = body
        elif name == b"IDAT":
            idat.append(body)
        pos += 12 + length
        if name == b"IEND":
            break
    assert names[0] == b"IHDR" and names[-1] == b"IEND", names
    assert pos == len(data), "%d bytes after IEND" % (len(data) - pos)
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", ihdr)
    assert depth == 8 and interlace == 0, (depth, interlace)
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[color]
    raw = zlib.decompress(b"".join(idat))
    stride = 1 + width * channels
    assert len(raw) == height * stride, "IDAT inflates to %d bytes, expected %d" % (len(raw), height * stride)
    assert all(raw[y * stride] <= 4 for y in range(height)), "a row has an invalid filter type"
    return width, height, channels


def jpeg_structure(data):
    """Walk a JPEG's markers without PIL up to its frame header: (width, height, components)."""
    assert data[:3] == b"\xff\xd8\xff", "no JPEG SOI: %r" % data[:4]
    assert data[-2:] == b"\xff\xd9", "no JPEG EOI at the end"
    pos = 2
    while pos + 4 <= len(data):
        assert data[pos] == 0xFF, "marker expected at %d" % pos
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        length, = struct.unpack(">H", data[pos + 2:pos + 4])
        if marker in (0xC0, 0xC1, 0xC2):
            _, height, width, components = struct.unpack(">BHHB", data[pos + 4:pos + 10])
            return width, height, components
        assert marker != 0xDA, "scan before any frame header"
        pos += 2 + length
    raise AssertionError("no SOF marker")


def webp_structure(data):
    """The RIFF container and VP8L header without a decoder: (width, height, alpha_hint)."""
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP", "no RIFF/WEBP header: %r" % data[:16]
    riff, = struct.unpack("<I", data[4:8])
    assert riff == len(data) - 8, "RIFF size %d, file %d" % (riff, len(data))
    assert data[12:16] == b"VP8L", "not a lossless WebP: %r" % data[12:16]
    chunk, = struct.unpack("<I", data[16:20])
    assert 20 + chunk + (chunk & 1) == len(data), "VP8L chunk size %d, file %d" % (chunk, len(data))
    assert data[20] == 0x2F, "bad VP8L signature"
    bits = int.from_bytes(data[21:25], "little")
    assert bits >> 29 == 0, "VP8L version must be 0"
    return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, (bits >> 28) & 1


def dwebp(data):
    """Decode WebP with libwebp's dwebp to PAM: (width, height, RGBA bytes)."""
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "in.webp"), os.path.join(tmp, "out.pam")
        with open(src, "wb") as f:
            f.write(data)
        p = subprocess.run(["dwebp", src, "-pam", "-o", dst], capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, "dwebp failed: %s" % p.stderr.strip()
        with open(dst, "rb") as f:
            pam = f.read()
    end = pam.index(b"ENDHDR\n") + len(b"ENDHDR\n")
    lines = pam[:end].split(b"\n")
    assert lines[0] == b"P7", lines[0]
    fields = dict(line.split(b" ", 1) for line in lines[1:-2])
    width, height = int(fields[b"WIDTH"]), int(fields[b"HEIGHT"])
    assert fields[b"DEPTH"] == b"4" and fields[b"MAXVAL"] == b"255" and fields[b"TUPLTYPE"] == b"RGB_ALPHA", fields
    pixels = pam[end:]
    assert len(pixels) == width * height * 4, "PAM has %d bytes of pixels" % len(pixels)
    return width, height, pixels


def magic_format(data):
    if data[:8] == PNG_SIGNATURE:
        return "png"
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    raise AssertionError("not an image: %r" % data[:16])


def decode(data):
    """Decode `data` with both decoders of its format and check they agree. Returns Decoded."""
    fmt = magic_format(data)
    im = Image.open(io.BytesIO(data))
    assert im.format == PIL_FORMAT[fmt], "magic says %s, PIL says %s" % (fmt, im.format)
    im.load()
    assert im.mode in ("RGB", "RGBA"), im.mode
    w, h = im.size
    if fmt == "png":
        pw, ph, channels = png_structure(data)
        assert (pw, ph) == (w, h), ((pw, ph), (w, h))
        assert channels == len(im.mode), (channels, im.mode)
    elif fmt == "jpeg":
        jw, jh, components = jpeg_structure(data)
        assert (jw, jh) == (w, h) and components == 3 and im.mode == "RGB", ((jw, jh), components, im.mode)
    else:
        vw, vh, alpha_hint = webp_structure(data)
        dw, dh, rgba = dwebp(data)
        assert (vw, vh) == (dw, dh) == (w, h), ((vw, vh), (dw, dh), (w, h))
        assert im.mode == ("RGBA" if alpha_hint else "RGB"), (alpha_hint, im.mode)
        mine = Image.frombytes("RGBA", (w, h), rgba)
        if im.mode == "RGB":
            alpha = rgba[3::4]
            assert alpha.count(255) == w * h, "opaque WebP has non-opaque pixels by dwebp"
            mine = mine.convert("RGB")
        assert mine.tobytes() == im.tobytes(), "dwebp and PIL decode different pixels"
    if im.mode == "RGBA":
        hist = im.getchannel("A").histogram()
        return Decoded(fmt, w, h, im.mode, hist[0], hist[255])
    return Decoded(fmt, w, h, im.mode)


def dims(size):
    w, h = size.split("x")
    return int(w), int(h)


def generate(srv, body, path="/v1/images/generations", **kw):
    """POST `body`; the answer must be 200. Returns the harness Response."""
    r = srv.post(body, path=path, **kw)
    assert r.status == 200, "status %d for %r: %r" % (r.status, body, r.body[:400])
    return r


def images(r):
    """The images of a b64_json answer, as bytes."""
    return [base64.b64decode(item["b64_json"], validate=True) for item in r.json()["data"]]


def without_created(body):
    return re.sub(rb'"created": \d+', b'"created": 0', body, count=1)


# ---- usage per spec §7 --------------------------------------------------------------------------

GPT1_TABLE = {
    "low": {"1024x1024": 272, "1024x1536": 408, "1536x1024": 400},
    "medium": {"1024x1024": 1056, "1024x1536": 1584, "1536x1024": 1568},
    "high": {"1024x1024": 4160, "1024x1536": 6240, "1536x1024": 6208},
}
GPT2_PUBLISHED = [("1024x1024", "low", 196), ("1024x1024", "medium", 1756), ("1024x1024", "high", 7024),
                  ("1536x1024", "high", 5488), ("3072x2160", "low", 380), ("2048x1152", "medium", 1413)]


def gpt2_tokens(size, quality):
    """spec §7's formula, written out again here."""
    w, h = dims(size)
    f = {"low": 16, "medium": 48, "high": 96}[quality]
    big, small = max(w, h), min(w, h)
    saf = (2 * f * small + big) // (2 * big)
    return -(-(f * saf * (2000000 + w * h)) // 4000000)


# ---- tests --------------------------------------------------------------------------------------

class EveryModelAndSize(unittest.TestCase):
    """Each model's images decode at exactly the requested size, in the requested format."""

    def test_dalle_sizes_are_png(self):
        s = server()
        for model, sizes in DALLE_SIZES.items():
            for size in sizes:
                with self.subTest(model=model, size=size):
                    r = generate(s, {"model": model, "prompt": OTTER, "size": size, "response_format": "b64_json"})
                    [data] = images(r)
                    self.assertEqual(data[:8], PNG_SIGNATURE)
                    d = decode(data)
                    self.assertEqual((d.format, d.size, d.mode), ("png", dims(size), "RGB"))

    def test_dalle_2_default_size(self):
        [data] = images(generate(server(), {"model": "dall-e-2", "prompt": OTTER, "response_format": "b64_json"}))
        self.assertEqual(decode(data).size, (1024, 1024))

    def test_gpt_image_1_family_sizes_and_formats(self):
        s = server()
        for model in GPT1_MODELS:
            for size in GPT1_SIZES:
                for fmt in FORMATS:
                    with self.subTest(model=model, size=size, format=fmt):
                        r = generate(s, {"model": model, "prompt": OTTER, "size": size, "output_format": fmt,
                                         "quality": "low"})
                        self.assertEqual(r.json()["output_format"], fmt)
                        self.assertEqual(r.json()["size"], size)
                        [data] = images(r)
                        self.assertEqual(magic_format(data), fmt)
                        d = decode(data)
                        self.assertEqual((d.format, d.size, d.mode), (fmt, dims(size), "RGB"))

    def test_gpt_image_2_custom_sizes_and_formats(self):
        s = server()
        for model in GPT2_MODELS:
            for size in ["3840x2160", "1024x3072", "816x816", "2048x1152", "1024x1024"]:
                for fmt in FORMATS:
                    with self.subTest(model=model, size=size, format=fmt):
                        r = generate(s, {"model": model, "prompt": OTTER, "size": size, "output_format": fmt})
                        self.assertEqual((r.json()["size"], r.json()["output_format"]), (size, fmt))
                        [data] = images(r)
                        d = decode(data)
                        self.assertEqual((d.format, d.size, d.mode), (fmt, dims(size), "RGB"))

    def test_default_output_format_is_png(self):
        for model in ["gpt-image-1", "gpt-image-2"]:
            with self.subTest(model=model):
                r = generate(server(), {"model": model, "prompt": OTTER})
                self.assertEqual(r.json()["output_format"], "png")
                self.assertEqual(decode(images(r)[0]).format, "png")

    def test_model_omitted_with_a_gpt_field_is_gpt_image_1(self):
        r = generate(server(), {"prompt": OTTER, "output_format": "jpeg"})
        self.assertEqual(r.json()["quality"], "high")
        self.assertEqual(r.json()["usage"]["output_tokens"], 4160)
        self.assertEqual(decode(images(r)[0]).format, "jpeg")


class ResponseShape(unittest.TestCase):
    """spec §6: the keys each family answers with."""

    def test_dall_e_2_has_only_created_and_data(self):
        before = time.time()
        r = generate(server(), {"model": "dall-e-2", "prompt": OTTER, "n": 2, "response_format": "b64_json"})
        after = time.time()
        j = r.json()
        self.assertEqual(list(j), ["created", "data"])
        self.assertEqual(len(j["data"]), 2)
        for item in j["data"]:
            self.assertEqual(list(item), ["b64_json"])
        self.assertIs(type(j["created"]), int)
        self.assertTrue(int(before) - 1 <= j["created"] <= after + 1, (before, j["created"], after))
        self.assertEqual(r.header("content-type"), "application/json")
        self.assertEqual(int(r.header("content-length")), len(r.body))

    def test_dall_e_3_items_have_revised_prompt(self):
        r = generate(server(), {"model": "dall-e-3", "prompt": OTTER, "response_format": "b64_json"})
        j = r.json()
        self.assertEqual(list(j), ["created", "data"])
        [item] = j["data"]
        self.assertEqual(sorted(item), ["b64_json", "revised_prompt"])
        self.assertIsInstance(item["revised_prompt"], str)
        self.assertIn(OTTER, item["revised_prompt"])

    def revised(self, prompt, style=None, model="dall-e-3"):
        body = {"model": model, "prompt": prompt, "response_format": "b64_json", "size": "1024x1024"}
        if style:
            body["style"] = style
        return generate(server(), body).json()["data"][0]["revised_prompt"]

    def test_revised_prompt_is_deterministic_and_follows_style(self):
        vivid = self.revised(OTTER, "vivid")
        self.assertEqual(vivid, self.revised(OTTER, "vivid"))
        self.assertEqual(vivid, self.revised(OTTER), "the default style is vivid")
        natural = self.revised(OTTER, "natural")
        self.assertEqual(natural, self.revised(OTTER, "natural"))
        self.assertNotEqual(vivid, natural)
        self.assertIn(OTTER, vivid)
        self.assertIn(OTTER, natural)
        self.assertNotEqual(vivid, self.revised("A lighthouse in a storm", "vivid"))
        # a fresh process writes the same text
        self.assertEqual(natural, generate(server("--seed", "1"), {
            "model": "dall-e-3", "prompt": OTTER, "style": "natural", "response_format": "b64_json"}
        ).json()["data"][0]["revised_prompt"])

    def test_revised_prompt_carries_quotes_and_unicode_intact(self):
        prompt = 'An otter saying "hi" \\ to a 日本 crane 🦦'
        self.assertIn(prompt, self.revised(prompt))

    def test_revised_prompt_keeps_text_after_an_escaped_nul(self):
        """JSON strings may hold U+0000; the prompt is all of its code points, not a C string."""
        prompt = "An otter\u0000 wearing a hat"
        revised = self.revised(prompt)
        self.assertIn("wearing a hat", revised)
        self.assertIn(prompt, revised)

    def test_gpt_keys_and_resolved_values(self):
        for model in GPT1_MODELS + GPT2_MODELS:
            with self.subTest(model=model):
                before = time.time()
                r = generate(server(), {"model": model, "prompt": OTTER})
                after = time.time()
                j = r.json()
                self.assertEqual(sorted(j), ["background", "created", "data", "output_format", "quality", "size",
                                             "usage"])
                self.assertEqual([list(item) for item in j["data"]], [["b64_json"]])
                self.assertIn(j["quality"], ["low", "medium", "high"])
                self.assertIn(j["background"], ["transparent", "opaque"])
                self.assertRegex(j["size"], r"^\d+x\d+$")
                self.assertIs(type(j["created"]), int)
                self.assertTrue(int(before) - 1 <= j["created"] <= after + 1, (before, j["created"], after))
                self.assertEqual(decode(images(r)[0]).size, dims(j["size"]))

    def test_explicit_quality_is_echoed(self):
        for model in ["gpt-image-1", "gpt-image-2"]:
            for quality in ["low", "medium", "high"]:
                with self.subTest(model=model, quality=quality):
                    r = generate(server(), {"model": model, "prompt": OTTER, "quality": quality, "size": "1024x1024"})
                    self.assertEqual(r.json()["quality"], quality)


class AutoResolution(unittest.TestCase):
    """spec §1: auto becomes concrete values, and the image has the resolved size."""

    CASES = [
        ("A landscape of hills at dawn", "1536x1024"),
        ("A WIDE view of the harbour", "1536x1024"),
        ("Panorama of a mountain range", "1536x1024"),
        ("A portrait of an otter", "1024x1536"),
        ("A tall lighthouse", "1024x1536"),
        ("An otter holding a pebble", "1024x1024"),
        ("A widescreen shot of otters", "1536x1024"),  # the words count at the start of a word
        ("Otters at a market stall", "1024x1024"),     # ... and not inside one
        ("Otters worldwide", "1024x1024"),
    ]

    def test_gpt_image_1_family_size_follows_the_prompt(self):
        for model in GPT1_MODELS:
            for prompt, expected in self.CASES:
                for size in [None, "auto", "omit"]:
                    with self.subTest(model=model, prompt=prompt, size=size):
                        body = {"model": model, "prompt": prompt, "quality": "low"}
                        if size != "omit":
                            body["size"] = size
                        r = generate(server(), body)
                        self.assertEqual(r.json()["size"], expected)
                        self.assertEqual(decode(images(r)[0]).size, dims(expected))
                        self.assertEqual(r.json()["usage"]["output_tokens"], GPT1_TABLE["low"][expected])

    def test_words_after_an_escaped_nul_count(self):
        r = generate(server(), {"model": "gpt-image-1", "prompt": "An otter\u0000 on a wide beach", "quality": "low"})
        self.assertEqual(r.json()["size"], "1536x1024")
        self.assertEqual(decode(images(r)[0]).size, (1536, 1024))

    def test_gpt_image_2_auto_size_is_1248_square(self):
        for model in GPT2_MODELS:
            for prompt in [OTTER, "A landscape panorama", "A tall portrait"]:
                with self.subTest(model=model, prompt=prompt):
                    r = generate(server(), {"model": model, "prompt": prompt, "size": "auto"})
                    self.assertEqual(r.json()["size"], "1248x1248")
                    self.assertEqual(decode(images(r)[0]).size, (1248, 1248))

    def test_quality_auto(self):
        for model, expected in [(m, "high") for m in GPT1_MODELS] + [(m, "low") for m in GPT2_MODELS]:
            for quality in [None, "auto", "omit"]:
                with self.subTest(model=model, quality=quality):
                    body = {"model": model, "prompt": OTTER, "size": "1024x1024"}
                    if quality != "omit":
                        body["quality"] = quality
                    j = generate(server(), body).json()
                    self.assertEqual(j["quality"], expected)
                    tokens = GPT1_TABLE[expected]["1024x1024"] if model in GPT1_MODELS else gpt2_tokens(
                        "1024x1024", expected)
                    self.assertEqual(j["usage"]["output_tokens"], tokens)

    def test_background_auto_is_opaque(self):
        for model in ["gpt-image-1", "gpt-image-1-mini", "gpt-image-2"]:
            for background in [None, "auto", "opaque", "omit"]:
                with self.subTest(model=model, background=background):
                    body = {"model": model, "prompt": OTTER, "quality": "low"}
                    if background != "omit":
                        body["background"] = background
                    r = generate(server(), body)
                    self.assertEqual(r.json()["background"], "opaque")
                    self.assertEqual(decode(images(r)[0]).mode, "RGB")


class Transparency(unittest.TestCase):
    def test_transparent_png_and_webp_have_clear_and_opaque_pixels(self):
        for model in GPT1_MODELS:
            for fmt in ["png", "webp"]:
                with self.subTest(model=model, format=fmt):
                    r = generate(server(), {"model": model, "prompt": OTTER, "background": "transparent",
                                            "output_format": fmt, "quality": "low"})
                    self.assertEqual(r.json()["background"], "transparent")
                    d = decode(images(r)[0])
                    self.assertEqual((d.format, d.mode, d.size), (fmt, "RGBA", (1024, 1024)))
                    self.assertGreater(d.alpha_zero, 0, "no fully transparent pixel")
                    self.assertGreater(d.alpha_full, 0, "no opaque pixel")

    def test_transparent_webp_alpha_by_dwebp(self):
        r = generate(server(), {"model": "gpt-image-1", "prompt": "A tall otter", "background": "transparent",
                                "output_format": "webp"})
        w, h, rgba = dwebp(images(r)[0])
        self.assertEqual((w, h), (1024, 1536))
        alpha = rgba[3::4]
        self.assertGreater(alpha.count(0), 0)
        self.assertGreater(alpha.count(255), 0)

    def test_opaque_png_has_no_alpha_channel(self):
        for model in ["gpt-image-1", "gpt-image-2", "dall-e-2"]:
            with self.subTest(model=model):
                body = {"model": model, "prompt": OTTER}
                if model.startswith("dall-e"):
                    body["response_format"] = "b64_json"
                data = images(generate(server(), body))[0]
                self.assertEqual(png_structure(data)[2], 3, "opaque PNG should be colour type 2 (RGB)")
                self.assertEqual(decode(data).mode, "RGB")

    def test_jpeg_is_rgb(self):
        data = images(generate(server(), {"model": "gpt-image-1", "prompt": OTTER, "output_format": "jpeg",
                                          "background": "opaque"}))[0]
        d = decode(data)
        self.assertEqual((d.format, d.mode), ("jpeg", "RGB"))


class Usage(unittest.TestCase):
    """spec §7, number for number."""

    def usage(self, body):
        j = generate(server(), body).json()
        u = j["usage"]
        self.assertEqual(sorted(u), ["input_tokens", "input_tokens_details", "output_tokens",
                                     "output_tokens_details", "total_tokens"])
        self.assertEqual(u["input_tokens_details"], {"image_tokens": 0, "text_tokens": u["input_tokens"]})
        self.assertEqual(u["output_tokens_details"], {"image_tokens": u["output_tokens"], "text_tokens": 0})
        self.assertEqual(u["total_tokens"], u["input_tokens"] + u["output_tokens"])
        return u

    def test_gpt_image_1_table_times_n(self):
        for quality, row in GPT1_TABLE.items():
            for size, tokens in row.items():
                with self.subTest(quality=quality, size=size):
                    u = self.usage({"model": "gpt-image-1", "prompt": OTTER, "quality": quality, "size": size,
                                    "n": 3})
                    self.assertEqual(u["output_tokens"], 3 * tokens)
                    self.assertEqual(u["input_tokens"], 5)
                    self.assertEqual(u["total_tokens"], 5 + 3 * tokens)

    def test_every_gpt_image_1_name_uses_the_table(self):
        for model in GPT1_MODELS:
            with self.subTest(model=model):
                u = self.usage({"model": model, "prompt": OTTER, "quality": "medium", "size": "1024x1536"})
                self.assertEqual(u["output_tokens"], 1584)

    def test_gpt_image_2_published_counts(self):
        for model in GPT2_MODELS:
            for size, quality, tokens in GPT2_PUBLISHED:
                with self.subTest(model=model, size=size, quality=quality):
                    self.assertEqual(gpt2_tokens(size, quality), tokens)  # the formula as written here
                    u = self.usage({"model": model, "prompt": OTTER, "quality": quality, "size": size})
                    self.assertEqual(u["output_tokens"], tokens)

    def test_gpt_image_2_formula_on_other_sizes_and_n(self):
        for size, quality, n in [("816x816", "high", 2), ("3840x2160", "medium", 1), ("1024x3072", "low", 3),
                                 ("1248x1248", "low", 1)]:
            with self.subTest(size=size, quality=quality, n=n):
                u = self.usage({"model": "gpt-image-2", "prompt": OTTER, "quality": quality, "size": size, "n": n})
                self.assertEqual(u["output_tokens"], n * gpt2_tokens(size, quality))

    def test_real_example_of_spec_6(self):
        # the prompt's length differs from the real one's, the output side must not
        u = self.usage({"model": "gpt-image-2", "prompt": OTTER, "quality": "low", "size": "3072x2160"})
        self.assertEqual(u["output_tokens_details"], {"image_tokens": 380, "text_tokens": 0})

    def test_text_tokens(self):
        cases = [
            (OTTER, 5),
            ("otter", 1),
            ("abcdefghij", 1),               # one token per 10 letters
            ("abcdefghijk", 2),
            ("abcdefghijklmnopqrstu", 3),
            ("1234567", 3),                  # digits in groups of three
            ("123", 1),
            ("12 345", 2),
            ("!?,.", 4),                     # punctuation one each
            ("otter, 2024!", 5),             # otter | , | 202 4 | !
            ("a1b2", 4),
            ("日本語", 3),                    # one per non-ASCII code point
            ("café", 2),
            ("🦦 otter", 2),
            ("   \t\n ", 0),                 # whitespace is free
        ]
        for prompt, tokens in cases:
            with self.subTest(prompt=prompt):
                u = self.usage({"model": "gpt-image-1", "prompt": prompt, "quality": "low", "size": "1024x1024"})
                self.assertEqual(u["input_tokens"], tokens)

    def test_dalle_has_no_usage(self):
        for model in DALLE_SIZES:
            with self.subTest(model=model):
                j = generate(server(), {"model": model, "prompt": OTTER, "response_format": "b64_json"}).json()
                self.assertNotIn("usage", j)


class Compression(unittest.TestCase):
    def jpeg(self, compression, prompt=OTTER):
        body = {"model": "gpt-image-1", "prompt": prompt, "output_format": "jpeg", "quality": "low",
                "output_compression": compression}
        data = images(generate(server(), body))[0]
        d = decode(data)
        self.assertEqual((d.format, d.size), ("jpeg", (1024, 1024)))
        return data

    def test_lower_compression_value_gives_a_smaller_jpeg(self):
        q10, q100 = self.jpeg(10), self.jpeg(100)
        self.assertLess(len(q10), len(q100))
        self.assertLess(len(self.jpeg(50)), len(q100))
        self.assertLess(len(q10), len(self.jpeg(50)))

    def test_default_compression_is_100(self):
        body = {"model": "gpt-image-1", "prompt": OTTER, "output_format": "jpeg", "quality": "low"}
        self.assertEqual(images(generate(server(), body))[0], self.jpeg(100))

    def test_compression_zero_is_the_smallest(self):
        """output_compression 0 is the strongest compression (spec: 0..100, 100 the default and
        the least compressed); it must not come out as large as 100."""
        q0, q10, q100 = self.jpeg(0), self.jpeg(10), self.jpeg(100)
        self.assertFalse(q0 == q100, "output_compression 0 gave the very bytes of output_compression 100 "
                                     "(%d bytes; 10 gives %d)" % (len(q0), len(q10)))
        self.assertLessEqual(len(q0), len(q10))

    def test_webp_accepts_compression(self):
        r = generate(server(), {"model": "gpt-image-1", "prompt": OTTER, "output_format": "webp",
                                "output_compression": 50, "quality": "low"})
        self.assertEqual(decode(images(r)[0]).format, "webp")


class Determinism(unittest.TestCase):
    BODY = {"model": "gpt-image-1", "prompt": OTTER, "quality": "medium", "size": "1024x1536"}

    def test_same_request_twice(self):
        for body in [self.BODY,
                     {"model": "gpt-image-2", "prompt": OTTER, "size": "816x816", "output_format": "jpeg",
                      "output_compression": 70, "n": 2},
                     {"model": "dall-e-3", "prompt": OTTER, "response_format": "b64_json", "style": "natural"}]:
            with self.subTest(model=body["model"]):
                a, b = generate(server(), body), generate(server(), body)
                self.assertEqual(images(a), images(b))
                self.assertEqual(without_created(a.body), without_created(b.body))

    def test_identical_across_a_restart(self):
        first = fresh_server()
        before = generate(first, self.BODY).body
        first.proc.send_signal(signal.SIGTERM)  # stopped for good; collected at the end
        second = fresh_server()
        after = generate(second, self.BODY).body
        self.assertEqual(without_created(before), without_created(after))
        self.assertEqual(images(generate(server(), self.BODY)), images(generate(second, self.BODY)))

    def test_different_prompt_different_bytes(self):
        a = images(generate(server(), self.BODY))[0]
        b = images(generate(server(), dict(self.BODY, prompt=OTTER + " floating")))[0]
        c = images(generate(server(), dict(self.BODY, prompt=OTTER.lower())))[0]
        self.assertEqual(len({a, b, c}), 3)

    def test_server_seed_changes_the_pictures(self):
        default = images(generate(server(), self.BODY))[0]
        seeded = images(generate(server("--seed", "1"), self.BODY))[0]
        self.assertNotEqual(default, seeded)
        self.assertEqual(decode(seeded).size, (1024, 1536))
        self.assertEqual(seeded, images(generate(server("--seed", "1"), self.BODY))[0])
        self.assertEqual(default, images(generate(server("--seed", "0"), self.BODY))[0])

    def test_images_of_one_request_differ(self):
        for body in [dict(self.BODY, n=3), {"model": "dall-e-2", "prompt": OTTER, "n": 3,
                                            "response_format": "b64_json", "size": "256x256"}]:
            with self.subTest(model=body["model"]):
                imgs = images(generate(server(), body))
                self.assertEqual(len(imgs), 3)
                self.assertEqual(len(set(imgs)), 3)
                for data in imgs:
                    decode(data)

    def test_cache_size_does_not_change_bytes(self):
        body = dict(self.BODY, n=3)
        cached = images(generate(server(), body))
        self.assertEqual(images(generate(server("--cache-mb", "0"), body)), cached)
        self.assertEqual(images(generate(server("--cache-mb", "0"), body)), cached)
        # a cache smaller than one answer evicts entries while they are being sent
        big = {"model": "gpt-image-1", "prompt": OTTER, "size": "1536x1024", "n": 10, "quality": "low"}
        reference = images(generate(server(), big))
        self.assertEqual(images(generate(server("--cache-mb", "1"), big)), reference)
        self.assertEqual(images(generate(server("--cache-mb", "1"), big)), reference)

    def test_thread_count_does_not_change_bytes(self):
        body = dict(self.BODY, n=2, output_format="webp")
        one = images(generate(server("--threads", "1"), body))
        many = images(generate(server("--threads", "16"), body))
        self.assertEqual(one, many)

    def test_concurrent_identical_requests_get_identical_bytes(self):
        s = server("--threads", "8")
        body = {"model": "gpt-image-2", "prompt": "A crowd of otters", "size": "1536x1024", "n": 2}
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: images(generate(s, body)), range(8)))
        self.assertTrue(all(a == answers[0] for a in answers))
        for data in answers[0]:
            self.assertEqual(decode(data).size, (1536, 1024))

    def test_every_format_encodes_the_same_bytes_every_time(self):
        """Without a cache every request encodes afresh: each encoder must give the same bytes
        every time, and every one of them must decode."""
        s = server("--cache-mb", "0")
        for fmt in FORMATS:
            for background in ["opaque", "transparent"]:
                if fmt == "jpeg" and background == "transparent":
                    continue
                with self.subTest(format=fmt, background=background):
                    body = {"model": "gpt-image-1", "prompt": "x", "output_format": fmt, "background": background,
                            "quality": "low"}
                    runs = [images(generate(s, body))[0] for _ in range(12)]
                    distinct = sorted(set(runs), key=runs.index)
                    failures = []
                    for data in distinct:
                        try:
                            decode(data)
                        except (AssertionError, OSError) as e:  # PIL raises OSError on a broken file
                            failures.append("%s: %s" % (type(e).__name__, e))
                    self.assertEqual(failures, [], "%d of %d distinct encodings of one request fail to decode"
                                     % (len(failures), len(distinct)))
                    self.assertEqual(len(distinct), 1, "12 identical requests gave %d different %s files"
                                     % (len(distinct), fmt))


def read_response(sock, pending=b""):
    """Read one HTTP response framed by its content-length from `sock`. Returns
    (status, headers, body, bytes read past the body)."""
    buf = pending
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError("connection closed inside the headers: %r" % buf[:200])
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers["content-length"])
    while len(rest) < length:
        chunk = sock.recv(1 << 20)
        if not chunk:
            break
        rest += chunk
    return int(lines[0].split()[1]), headers, rest[:length], rest[length:]


def request_bytes(srv, body, connection="keep-alive"):
    data = json.dumps(body).encode()
    return (b"POST /v1/images/generations HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: Bearer sk-test\r\n"
            b"Content-Type: application/json\r\nConnection: %s\r\nContent-Length: %d\r\n\r\n"
            % (srv.host.encode(), srv.port, connection.encode(), len(data))) + data


class LargeAnswers(unittest.TestCase):
    BIG = {"model": "gpt-image-1", "prompt": OTTER, "size": "1536x1024", "n": 4, "quality": "high"}

    def test_content_length_is_the_body_length(self):
        s = server()
        with socket.create_connection((s.host, s.port), timeout=30) as sock:
            sock.sendall(request_bytes(s, self.BIG, "close"))
            raw = b""
            while True:
                chunk = sock.recv(1 << 20)
                if not chunk:
                    break
                raw += chunk
        head, _, body = raw.partition(b"\r\n\r\n")
        length = int(re.search(rb"\r\ncontent-length: (\d+)\r\n", head, re.I).group(1))
        self.assertGreater(length, 200000)
        self.assertEqual(len(body), length)
        j = json.loads(body)
        self.assertEqual(len(j["data"]), 4)
        for item in j["data"]:
            self.assertEqual(decode(base64.b64decode(item["b64_json"])).size, (1536, 1024))

    def test_keep_alive_after_a_large_answer(self):
        s = server()
        with socket.create_connection((s.host, s.port), timeout=30) as sock:
            sock.sendall(request_bytes(s, self.BIG))
            status, headers, body, extra = read_response(sock)
            self.assertEqual((status, headers["connection"]), (200, "keep-alive"))
            self.assertEqual(extra, b"", "bytes beyond content-length")
            self.assertEqual(len(json.loads(body)["data"]), 4)
            sock.sendall(request_bytes(s, dict(self.BIG, n=1, size="1024x1024")))
            status, headers, body, extra = read_response(sock)
            self.assertEqual(status, 200)
            [item] = json.loads(body)["data"]
            self.assertEqual(decode(base64.b64decode(item["b64_json"])).size, (1024, 1024))

    def test_http_client_keeps_the_connection(self):
        s = server()
        conn = s.connection(timeout=30)
        try:
            first = s.request("POST", "/v1/images/generations", body=self.BIG, key="sk-test", conn=conn)
            sock = conn.sock
            second = s.request("POST", "/v1/images/generations", body=dict(self.BIG, n=1), key="sk-test", conn=conn)
            self.assertIs(conn.sock, sock, "the connection was not kept")
            self.assertEqual((first.status, second.status), (200, 200))
            self.assertEqual(images(first)[0], images(second)[0])
        finally:
            conn.close()

    def test_ten_images_at_3840x2160(self):
        body = {"model": "gpt-image-2", "prompt": "Ten otters at the cinema", "size": "3840x2160", "n": 10,
                "quality": "low", "output_format": "png"}
        r = generate(server(), body)
        self.assertEqual(int(r.header("content-length")), len(r.body))
        imgs = images(r)
        self.assertEqual(len(imgs), 10)
        self.assertEqual(len(set(imgs)), 10)
        for data in imgs:
            d = decode(data)
            self.assertEqual((d.format, d.size), ("png", (3840, 2160)))
        self.assertEqual(r.json()["usage"]["output_tokens"], 10 * gpt2_tokens("3840x2160", "low"))


class SchemaMode(unittest.TestCase):
    """--mode schema answers SDK-generated requests the live API would refuse."""

    ALL_PARAMETERS = {
        "prompt": OTTER,
        "background": "transparent",
        "model": "gpt-image-2",
        "moderation": "low",
        "n": 1,
        "output_compression": 100,
        "output_format": "png",
        "partial_images": 1,
        "quality": "medium",
        "response_format": "url",
        "size": "1024x1024",
        "stream": False,
        "style": "vivid",
        "user": "user-1234",
    }

    def test_sdk_all_parameters_request(self):
        s = server("--mode", "schema")
        for path in ["/images/generations", "/v1/images/generations"]:
            with self.subTest(path=path):
                r = generate(s, self.ALL_PARAMETERS, path=path, key="My API Key")
                j = r.json()
                self.assertEqual(sorted(j), ["background", "created", "data", "output_format", "quality", "size",
                                             "usage"])
                self.assertEqual((j["background"], j["output_format"], j["size"], j["quality"]),
                                 ("transparent", "png", "1024x1024", "medium"))
                self.assertEqual(j["usage"]["output_tokens"], 1756)  # no stream: no partial-image tokens
                self.assertEqual(j["usage"]["input_tokens"], 5)
                [data] = images(r)
                d = decode(data)
                self.assertEqual((d.format, d.size, d.mode), ("png", (1024, 1024), "RGBA"))
                self.assertGreater(d.alpha_zero, 0)

    def test_the_same_request_is_refused_in_strict_mode(self):
        r = server().post(self.ALL_PARAMETERS)
        self.assertEqual(r.status, 400)

    def test_unknown_model_answers_in_a_known_shape(self):
        s = server("--mode", "schema")
        j = generate(s, {"model": "my-own-model", "prompt": OTTER, "response_format": "b64_json"}).json()
        self.assertEqual(list(j), ["created", "data"])
        self.assertEqual(decode(base64.b64decode(j["data"][0]["b64_json"])).size, (1024, 1024))
        r = generate(s, {"model": "my-own-model", "prompt": OTTER, "output_format": "webp"})
        j = r.json()
        self.assertEqual(sorted(j), ["background", "created", "data", "output_format", "quality", "size", "usage"])
        self.assertEqual((j["output_format"], j["size"], j["quality"]), ("webp", "1024x1024", "high"))
        self.assertEqual(decode(images(r)[0]).format, "webp")

    def test_nonsense_size_gives_the_model_default(self):
        s = server("--mode", "schema")
        for model, expected in [("gpt-image-2", "1248x1248"), ("gpt-image-1", "1024x1024"),
                                ("dall-e-3", "1024x1024"), ("dall-e-2", "1024x1024")]:
            with self.subTest(model=model):
                body = {"model": model, "prompt": OTTER, "size": "banana"}
                if model.startswith("dall-e"):
                    body["response_format"] = "b64_json"
                r = generate(s, body)
                if not model.startswith("dall-e"):
                    self.assertEqual(r.json()["size"], expected)
                self.assertEqual(decode(images(r)[0]).size, dims(expected))

    def test_quality_of_another_family_becomes_the_models_own(self):
        s = server("--mode", "schema")
        for model, quality, expected in [("gpt-image-1", "hd", "high"), ("gpt-image-1", "standard", "high"),
                                         ("gpt-image-2", "standard", "low"), ("gpt-image-2", "medium", "medium")]:
            with self.subTest(model=model, quality=quality):
                j = generate(s, {"model": model, "prompt": OTTER, "quality": quality, "size": "1024x1024"}).json()
                self.assertEqual(j["quality"], expected)

    def test_sensible_custom_size_is_followed(self):
        r = generate(server("--mode", "schema"), {"model": "gpt-image-1", "prompt": OTTER, "size": "640x480",
                                                  "quality": "low"})
        self.assertEqual(r.json()["size"], "640x480")
        self.assertEqual(decode(images(r)[0]).size, (640, 480))


if __name__ == "__main__":
    main()

"""Generated images end to end: every model's sizes and formats decoded by independent decoders,
the response shape of spec §6, "auto" resolved as spec §1 says, transparency, the usage numbers
of spec §7, output_compression, determinism (across requests, restarts, caches and thread
counts), large answers framed exactly, and schema mode's answers to SDK-style requests.

Images are decoded twice over (imaging.decode): PNG by a chunk walker (CRCs, IHDR, IDAT inflated
to the exact size the header implies) and by PIL; JPEG by a marker walker and by PIL; WebP by
libwebp's `dwebp` (to PAM, parsed in imaging.py) and by PIL, whose pixels must agree.
"""
import base64
import json
import re
import signal
import socket
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

from harness import main, split_response
from imaging import (GPT1_TABLE, OTTER, PNG_SIGNATURE, decode, dims, dwebp, fresh_server, generate, gpt2_tokens,
                     magic_format, png_structure, server, stop_servers)

GPT1_MODELS = ["gpt-image-1", "gpt-image-1-mini", "gpt-image-1.5", "chatgpt-image-latest"]
GPT2_MODELS = ["gpt-image-2", "gpt-image-2-2026-04-21"]
DALLE_SIZES = {"dall-e-2": ["256x256", "512x512", "1024x1024"],
               "dall-e-3": ["1024x1024", "1792x1024", "1024x1792"]}
GPT1_SIZES = ["1024x1024", "1024x1536", "1536x1024"]
FORMATS = ["png", "jpeg", "webp"]
GPT2_PUBLISHED = [("1024x1024", "low", 196), ("1024x1024", "medium", 1756), ("1024x1024", "high", 7024),
                  ("1536x1024", "high", 5488), ("3072x2160", "low", 380), ("2048x1152", "medium", 1413)]

tearDownModule = stop_servers  # the servers of imaging's pool, stopped when this module's tests are done


def images(r):
    """The images of a b64_json answer, as bytes."""
    return [base64.b64decode(item["b64_json"], validate=True) for item in r.json()["data"]]


def without_created(body):
    return re.sub(rb'"created": \d+', b'"created": 0', body, count=1)


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
    status, headers, rest = split_response(buf)
    length = int(headers["content-length"])
    while len(rest) < length:
        chunk = sock.recv(1 << 20)
        if not chunk:
            break
        rest += chunk
    return int(status.split()[1]), headers, rest[:length], rest[length:]


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

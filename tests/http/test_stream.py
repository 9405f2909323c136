"""Streaming (spec §8): `stream: true` on GPT image models, read off the wire byte by byte.

Every stream here is read over a raw socket, so nothing between the server and the assertions
can hide a framing mistake: the status line and headers exactly, one HTTP chunk per event, the
terminating 0-chunk, then the same connection reused. Each event must be exactly
"event: TYPE\\ndata: JSON\\n\\n" with compact JSON in the documented key order, validate against
schemas/stream-event.schema.json, and carry a real image of the requested size and format
(PNG and JPEG decoded by PIL, WebP by libwebp's `dwebp`). Partial images must differ from each
other and approach the final image, which must be byte for byte the image the same request gets
without streaming. Then the usage arithmetic, event order for n > 1, --stream-done,
--stream-delay-ms, errors found before the first byte, schema mode, and a client that hangs up
in the middle of a long stream.

Run: IMGMOCK_BIN=build/imgmock /usr/bin/python3 tests/http/test_stream.py
"""
import base64
import json
import os
import re
import signal
import socket
import time
import unittest

from PIL import ImageChops

import schemas
from harness import DEFAULT_KEY, Server, envelope, main
from imaging import (GPT1_TABLE, OTTER, dims, dwebp_image, gpt2_tokens, magic_format, pil_open, server,
                     stop_servers)

PATH = "/v1/images/generations"
PARTIAL = "image_generation.partial_image"
COMPLETED = "image_generation.completed"
PARTIAL_KEYS = ["type", "b64_json", "created_at", "size", "quality", "background", "output_format",
                "partial_image_index"]
COMPLETED_KEYS = PARTIAL_KEYS[:-1] + ["usage"]
USAGE_KEYS = ["input_tokens", "input_tokens_details", "output_tokens", "output_tokens_details", "total_tokens"]
DETAIL_KEYS = ["image_tokens", "text_tokens"]  # the order of spec §6's real example

tearDownModule = stop_servers  # the servers of imaging's pool, stopped when this module's tests are done


# ---- the wire -----------------------------------------------------------------------------------

class Wire:
    """One raw TCP connection to a server: requests written by hand, answers read byte by byte."""

    def __init__(self, srv, timeout=60):
        self.srv = srv
        self.sock = socket.create_connection((srv.host, srv.port), timeout=timeout)
        self.buf = bytearray()

    def close(self):
        self.sock.close()

    def send_post(self, body, path=PATH, key=DEFAULT_KEY, headers=(), version="HTTP/1.1"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        head = ["POST %s %s" % (path, version), "Host: %s:%d" % (self.srv.host, self.srv.port)]
        if key is not None:
            head.append("Authorization: Bearer %s" % key)
        head += ["Content-Type: application/json", "Content-Length: %d" % len(data)]
        head += ["%s: %s" % h for h in headers]
        self.sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + data)

    def send_get(self, path):
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (path, self.srv.host, self.srv.port)).encode())

    def _fill(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise EOFError("the server closed the connection; %d bytes were left unread" % len(self.buf))
        self.buf += chunk

    def line(self):
        """The next line, CRLF included."""
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                out = bytes(self.buf[:i + 2])
                del self.buf[:i + 2]
                return out
            self._fill()

    def exact(self, n):
        while len(self.buf) < n:
            self._fill()
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def head(self):
        """(status line, [(name, value)]) of the next response, names as sent."""
        status = self.line()
        assert status.endswith(b"\r\n")
        headers = []
        while True:
            line = self.line()
            if line == b"\r\n":
                return status[:-2].decode("latin-1"), headers
            m = re.fullmatch(rb"([!-9;-~]+): ([ -~]*)\r\n", line)
            assert m, "malformed header line %r" % line
            headers.append((m.group(1).decode(), m.group(2).decode()))

    def chunks(self, on_chunk=None):
        """Read a chunked body to its end: [(chunk data, monotonic time it was complete)].
        Each size line must be bare lowercase hex (no leading zeros, no extensions), each chunk
        followed by CRLF, and the body must end with exactly "0\\r\\n\\r\\n" (no trailers)."""
        out = []
        while True:
            size = self.line()
            assert re.fullmatch(rb"(?:[1-9a-f][0-9a-f]*|0)\r\n", size), "bad chunk size line %r" % size
            n = int(size, 16)
            if n == 0:
                assert self.exact(2) == b"\r\n", "trailers or garbage after the last chunk"
                return out
            data = self.exact(n)
            assert self.exact(2) == b"\r\n", "chunk of %d bytes not followed by CRLF" % n
            out.append((data, time.monotonic()))
            if on_chunk:
                on_chunk(len(out) - 1, data)

    def nothing_more(self, wait=0.3):
        """Assert the server sends nothing further on this connection (it may stay open)."""
        assert not self.buf, "bytes after the response: %r" % bytes(self.buf[:80])
        self.sock.settimeout(wait)
        try:
            extra = self.sock.recv(4096)
            assert not extra, "bytes after the response: %r" % extra[:80]
        except socket.timeout:
            pass
        finally:
            self.sock.settimeout(60)

    def closed_by_server(self, wait=5):
        self.sock.settimeout(wait)
        try:
            extra = self.sock.recv(4096)
        except ConnectionResetError:
            extra = b""
        assert extra == b"" and not self.buf, "expected the server to close; got %r" % (bytes(self.buf) + extra)[:80]


HEAD_LINES = [
    r"HTTP/1\.1 200 OK",
    r"date: [A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT",
    r"content-type: text/event-stream",
    r"connection: (?P<connection>keep-alive|close)",
    r"x-request-id: req_[0-9a-f]{32}",
    r"openai-processing-ms: \d+",
    r"openai-version: 2020-10-01",
    r"openai-organization: org-mock",
    r"access-control-allow-origin: \*",
    r"access-control-expose-headers: X-Request-ID",
    r"cache-control: no-cache",
    r"transfer-encoding: chunked",
]


class Stream:
    """A streamed answer as it came off the wire."""

    def __init__(self, status, headers, chunks, started, ended):
        self.status = status
        self.headers = headers            # [(name, value)] in the order sent
        self.chunks = [c for c, _ in chunks]
        self.times = [t for _, t in chunks]
        self.started = started             # when the request was sent (monotonic)
        self.ended = ended                 # when the 0-chunk was read
        self.done = bool(self.chunks) and self.chunks[-1] == b"data: [DONE]\n\n"
        self.events = [parse_event(c) for c in (self.chunks[:-1] if self.done else self.chunks)]

    def header(self, name):
        values = [v for k, v in self.headers if k.lower() == name]
        assert len(values) <= 1, "header %s sent %d times" % (name, len(values))
        return values[0] if values else None

    def types(self):
        return ["p%d" % e["partial_image_index"] if e["type"] == PARTIAL else "c" for e in self.events]

    def images(self):
        return [base64.b64decode(e["b64_json"], validate=True) for e in self.events]


def check_head(status, headers):
    """The exact head of a stream: every line, in order, nothing else."""
    lines = [status] + ["%s: %s" % h for h in headers]
    assert len(lines) == len(HEAD_LINES), "head lines:\n%s" % "\n".join(lines)
    for line, pattern in zip(lines, HEAD_LINES):
        assert re.fullmatch(pattern, line), "head line %r does not match %r" % (line, pattern)


def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    assert len(keys) == len(set(keys)), "duplicate keys %r" % keys
    return dict(pairs)


def parse_event(chunk):
    """One chunk must be exactly one SSE event "event: TYPE\\ndata: JSON\\n\\n" with compact JSON
    in imgmock's key order, valid against schemas/stream-event.schema.json. Returns the object."""
    m = re.fullmatch(rb"event: ([a-z_.]+)\ndata: ([^\n]+)\n\n", chunk, re.S)
    assert m, "chunk is not one SSE event: %r ... %r" % (chunk[:80], chunk[-40:])
    name, data = m.group(1).decode(), m.group(2)
    obj = json.loads(data, object_pairs_hook=no_duplicates)
    assert data == json.dumps(obj, separators=(",", ":")).encode(), "data line is not compact JSON: %r" % data[:200]
    assert name == obj.get("type"), "event: %s but type %r" % (name, obj.get("type"))
    expected = PARTIAL_KEYS if name == PARTIAL else COMPLETED_KEYS
    assert list(obj) == expected, "keys %r, expected %r" % (list(obj), expected)
    if name == COMPLETED:
        u = obj["usage"]
        assert list(u) == USAGE_KEYS, list(u)
        assert list(u["input_tokens_details"]) == DETAIL_KEYS, list(u["input_tokens_details"])
        assert list(u["output_tokens_details"]) == DETAIL_KEYS, list(u["output_tokens_details"])
    schemas.validate("stream-event", obj)
    return obj


def stream(srv, body, path=PATH, key=DEFAULT_KEY, headers=(), wire=None, on_chunk=None):
    """POST `body` with stream on a raw connection and read the whole stream, checking the HTTP
    and SSE framing as it goes. Returns a Stream. The connection stays open for reuse when
    `wire` is given."""
    own = wire is None
    wire = wire or Wire(srv)
    try:
        started = time.monotonic()
        wire.send_post(body, path=path, key=key, headers=headers)
        status, hdrs = wire.head()
        check_head(status, hdrs)
        chunks = wire.chunks(on_chunk)
        return Stream(status, hdrs, chunks, started, time.monotonic())
    finally:
        if own:
            wire.close()


def plain(srv, body, key=DEFAULT_KEY, wire=None):
    """POST `body` on a raw connection and read an ordinary (content-length) answer:
    (status line, [(name, value)], body bytes)."""
    own = wire is None
    wire = wire or Wire(srv)
    try:
        wire.send_post(body, key=key)
        status, hdrs = wire.head()
        names = [k for k, _ in hdrs]
        assert "transfer-encoding" not in names, hdrs
        length = [int(v) for k, v in hdrs if k == "content-length"]
        assert len(length) == 1, hdrs
        return status, hdrs, wire.exact(length[0])
    finally:
        if own:
            wire.close()


def generate(srv, body):
    """The non-streaming answer to `body` (dict), which must be 200."""
    status, hdrs, data = plain(srv, body)
    assert status == "HTTP/1.1 200 OK", (status, data[:300])
    obj = json.loads(data)
    schemas.validate("response", obj)
    return obj


# ---- images -------------------------------------------------------------------------------------

def decode(data, fmt, size, transparent=False, final=True):
    """Decode an event's image: it must be `fmt` ("png", "jpeg", "webp") at `size` ("WxH").
    A transparent image has clear pixels, and the final one opaque pixels too (a first partial
    image may show no shape yet: on a transparent background that is an empty picture).
    Returns the pixels as an RGBA PIL image."""
    width, height = dims(size)
    assert magic_format(data) == fmt, "not %s: %r" % (fmt, data[:16])
    if fmt == "webp":
        im = dwebp_image(data)
    else:
        im = pil_open(data, fmt)
        assert im.mode == ("RGBA" if transparent else "RGB"), (fmt, im.mode)
        im = im.convert("RGBA")
    assert im.size == (width, height), "%s image is %dx%d, expected %s" % (fmt, im.size[0], im.size[1], size)
    alpha = im.getchannel("A").histogram()
    if transparent:
        assert alpha[0] > 0, "transparent image without clear pixels"
        assert alpha[255] > 0 or not final, "final transparent image without opaque pixels"
    else:
        assert alpha[255] == width * height, "opaque image with non-opaque pixels"
    return im


def differing_pixels(a, b):
    """How many pixels of two same-sized RGBA images differ in any channel."""
    diff = ImageChops.difference(a, b)
    r, g, bl, al = diff.split()
    any_channel = ImageChops.lighter(ImageChops.lighter(r, g), ImageChops.lighter(bl, al))
    return a.size[0] * a.size[1] - any_channel.histogram()[0]


# ---- usage per spec §7 (GPT1_TABLE and gpt2_tokens come from imaging.py) ------------------------

def text_tokens(prompt):
    """README's approximation of the prompt's token count, written out again here (ASCII only):
    a run of letters is one token per 10 or part thereof, digits one per 3, other non-space
    characters one each."""
    tokens = 0
    for letters, digits, other in re.findall(r"([A-Za-z]+)|([0-9]+)|(\S)", prompt):
        tokens += -(-len(letters) // 10) if letters else -(-len(digits) // 3) if digits else 1
    return tokens


def usage(prompt, image_tokens):
    return {"input_tokens": text_tokens(prompt),
            "input_tokens_details": {"image_tokens": 0, "text_tokens": text_tokens(prompt)},
            "output_tokens": image_tokens,
            "output_tokens_details": {"image_tokens": image_tokens, "text_tokens": 0},
            "total_tokens": text_tokens(prompt) + image_tokens}


def expected_types(n, k):
    return (["p%d" % i for i in range(k)] + ["c"]) * n


def check_events(test, st, n, k, size, quality, fmt, background="opaque"):
    """The events of a stream of `n` images with `k` partial images each: order, resolved fields,
    one created_at, and every image decoded at `size` in `fmt`. Returns the decoded images."""
    test.assertEqual(st.types(), expected_types(n, k))
    created = {e["created_at"] for e in st.events}
    test.assertEqual(len(created), 1, "created_at differs between events")
    for e in st.events:
        test.assertEqual((e["size"], e["quality"], e["background"], e["output_format"]),
                         (size, quality, background, fmt))
    return [decode(img, fmt, size, background == "transparent", e["type"] == COMPLETED)
            for img, e in zip(st.images(), st.events)]


# ---- tests --------------------------------------------------------------------------------------

BASE = {"model": "gpt-image-1", "prompt": OTTER, "stream": True, "partial_images": 2,
        "size": "1024x1024", "quality": "low"}


class WireFormat(unittest.TestCase):
    """HTTP and SSE framing, byte by byte."""

    def test_head_chunks_and_terminating_chunk(self):
        st = stream(server(), BASE)
        self.assertEqual(st.status, "HTTP/1.1 200 OK")
        self.assertEqual(st.header("content-type"), "text/event-stream")
        self.assertEqual(st.header("transfer-encoding"), "chunked")
        self.assertIsNone(st.header("content-length"))
        self.assertEqual(st.header("connection"), "keep-alive")
        self.assertEqual(len(st.chunks), 3, "one chunk per event, nothing else")
        self.assertFalse(st.done, "data: [DONE] is off by default")
        self.assertEqual(st.types(), ["p0", "p1", "c"])

    def test_each_chunk_is_exactly_one_event(self):
        st = stream(server(), dict(BASE, partial_images=3))
        for chunk, event in zip(st.chunks, st.events):
            data = json.dumps(event, separators=(",", ":")).encode()
            self.assertEqual(chunk, b"event: " + event["type"].encode() + b"\ndata: " + data + b"\n\n")

    def test_keep_alive_serves_the_next_requests_on_the_same_socket(self):
        srv = server()
        wire = Wire(srv)
        try:
            first = stream(srv, BASE, wire=wire)
            wire.nothing_more()
            wire.send_get("/health")
            status, hdrs = wire.head()
            self.assertEqual(status, "HTTP/1.1 200 OK")
            self.assertIn(("content-length", "15"), hdrs)
            self.assertEqual(wire.exact(15), b'{"status":"ok"}')
            second = stream(srv, BASE, wire=wire)  # and a stream after that
            self.assertEqual(second.images(), first.images())
            status, hdrs, body = plain(srv, dict(BASE, stream=False), wire=wire)
            self.assertEqual(status, "HTTP/1.1 200 OK")
            wire.nothing_more()
        finally:
            wire.close()

    def test_connection_close_is_honoured(self):
        srv = server()
        wire = Wire(srv)
        try:
            st = stream(srv, BASE, wire=wire, headers=[("Connection", "close")])
            self.assertEqual(st.header("connection"), "close")
            self.assertEqual(len(st.events), 3)
            wire.closed_by_server()
        finally:
            wire.close()

    def test_both_paths_and_trailing_slash_stream(self):
        for path in ("/v1/images/generations/", "/images/generations", "/images/generations/"):
            st = stream(server(), BASE, path=path)
            self.assertEqual(st.types(), ["p0", "p1", "c"], path)

    def test_http_1_0_client_gets_no_chunked_encoding(self):
        """RFC 9112 §6.1: a server MUST NOT send Transfer-Encoding in a response to an HTTP/1.0
        request. Such a client (nginx's proxy_pass speaks HTTP/1.0 by default) gets the events as
        a plain body ended by closing the connection."""
        srv = server()
        wire = Wire(srv)
        try:
            wire.send_post(BASE, version="HTTP/1.0")
            status, hdrs = wire.head()
            names = [k for k, _ in hdrs]
            self.assertIn(("content-type", "text/event-stream"), hdrs)
            self.assertNotIn("transfer-encoding", names, "chunked answer to an HTTP/1.0 request")
            self.assertNotIn("content-length", names)
            self.assertIn(("connection", "close"), hdrs)
            body = bytearray(wire.buf)
            wire.buf.clear()
            while True:
                part = wire.sock.recv(1 << 20)
                if not part:
                    break
                body += part
            events = re.findall(rb"event: [^\n]+\ndata: [^\n]+\n\n", bytes(body))
            self.assertEqual(b"".join(events), bytes(body), "body is not a plain run of events")
            self.assertEqual([parse_event(e)["type"] for e in events], [PARTIAL, PARTIAL, COMPLETED])
        finally:
            wire.close()


class Images(unittest.TestCase):
    """Every event's image is real, of the requested size and format, and the partials approach a
    final image that is the non-streaming answer's image."""

    def test_formats_and_sizes_decode(self):
        cases = [
            ("gpt-image-1", "1024x1024", "low", "png", {}),
            ("gpt-image-1", "1024x1536", "medium", "jpeg", {"output_compression": 80}),
            ("gpt-image-1", "1536x1024", "low", "webp", {}),
            ("gpt-image-1-mini", "1024x1024", "high", "png", {"background": "transparent"}),
            ("gpt-image-1.5", "1024x1024", "low", "webp", {"background": "transparent"}),
            ("chatgpt-image-latest", "1536x1024", "low", "jpeg", {}),
            ("gpt-image-2", "1824x1024", "low", "webp", {}),
            ("gpt-image-2", "1024x1024", "medium", "jpeg", {}),
            ("gpt-image-2-2026-04-21", "2048x1152", "low", "png", {}),
        ]
        for model, size, quality, fmt, extra in cases:
            with self.subTest(model=model, size=size, fmt=fmt, **extra):
                body = dict(model=model, prompt="a lighthouse at dusk", stream=True, partial_images=3,
                            size=size, quality=quality, output_format=fmt, **extra)
                st = stream(server(), body)
                check_events(self, st, 1, 3, size, quality, fmt, extra.get("background", "opaque"))

    def test_resolved_auto_values_in_events(self):
        st = stream(server(), {"model": "gpt-image-1", "prompt": "a wide landscape", "stream": True,
                               "partial_images": 1})
        check_events(self, st, 1, 1, "1536x1024", "high", "png")
        st = stream(server(), {"model": "gpt-image-2", "prompt": "otter", "stream": True, "partial_images": 1,
                               "quality": "auto", "background": "auto", "size": "auto"})
        check_events(self, st, 1, 1, "1248x1248", "low", "png")

    def test_partials_differ_and_approach_the_final_image(self):
        prompts = ["a lighthouse at dusk", OTTER, "a sticker of a fox", "a city skyline at night", "p1", "p2"]
        for prompt in prompts:
            for k in (1, 2, 3):
                with self.subTest(prompt=prompt, partial_images=k):
                    st = stream(server(), dict(BASE, prompt=prompt, partial_images=k))
                    pics = check_events(self, st, 1, k, "1024x1024", "low", "png")
                    raw = [p.tobytes() for p in pics]
                    self.assertEqual(len(set(raw)), k + 1, "two of the images have the same pixels")
                    final = pics[-1]
                    distance = [differing_pixels(p, final) for p in pics[:-1]]
                    self.assertTrue(all(d > 0 for d in distance), distance)
                    self.assertEqual(distance, sorted(distance, reverse=True),
                                     "partial images do not approach the final one: %r" % distance)

    def test_transparent_partials_keep_transparency(self):
        body = dict(BASE, background="transparent", output_format="webp", partial_images=3)
        st = stream(server(), body)
        pics = check_events(self, st, 1, 3, "1024x1024", "low", "webp", "transparent")
        self.assertEqual(len({p.tobytes() for p in pics}), 4)

    def test_final_image_is_the_non_streaming_image(self):
        """The completed event's image is, byte for byte, data[i].b64_json of the same request made
        without stream (images.c: the seed has no stream or partial_images in it, and the final
        image's cache key has stage 0 either way)."""
        cases = [
            {},
            {"output_format": "jpeg", "output_compression": 55},
            {"output_format": "webp", "background": "transparent"},
            {"model": "gpt-image-2", "size": "1824x1024", "quality": "medium"},
            {"model": "gpt-image-1-mini", "n": 3, "quality": "high"},
            {"size": "auto", "quality": "auto", "prompt": "a tall portrait"},
        ]
        for extra in cases:
            with self.subTest(**extra):
                body = dict(BASE, **extra)
                st = stream(server(), body)
                finals = [img for img, e in zip(st.images(), st.events) if e["type"] == COMPLETED]
                still = dict(body)
                del still["stream"], still["partial_images"]
                answer = generate(server(), still)
                self.assertEqual(finals, [base64.b64decode(d["b64_json"]) for d in answer["data"]])
                self.assertEqual({(e["size"], e["quality"], e["background"], e["output_format"]) for e in st.events},
                                 {(answer["size"], answer["quality"], answer["background"], answer["output_format"])})
                # stream false with partial_images given is the same non-streaming answer
                answer2 = generate(server(), dict(body, stream=False))
                self.assertEqual(answer2["data"], answer["data"])

    def test_same_stream_twice_same_bytes(self):
        body = dict(BASE, partial_images=3, output_format="webp", n=2)
        one = stream(server(), body)
        two = stream(server(), body)
        uncached = stream(server("--cache-mb", "0"), body)

        def same(st):
            return [re.sub(rb'"created_at":\d+', b'"created_at":0', c) for c in st.chunks]

        self.assertEqual(same(one), same(two))
        self.assertEqual(same(one), same(uncached), "cached and freshly painted images differ")
        other = stream(server("--seed", "7"), body)
        self.assertNotEqual(one.images(), other.images(), "--seed does not change streamed images")

    def test_partial_images_zero_or_omitted_gives_only_completed_events(self):
        for extra in ({"partial_images": 0}, {"partial_images": None}, {"n": 3, "partial_images": 0}):
            with self.subTest(**extra):
                body = dict(BASE, **extra)
                if body["partial_images"] is None:
                    del body["partial_images"]
                st = stream(server(), body)
                n = body.get("n", 1)
                check_events(self, st, n, 0, "1024x1024", "low", "png")
                for e in st.events:
                    self.assertEqual(e["usage"], usage(OTTER, 272))


class EventsAndUsage(unittest.TestCase):

    def test_usage_gpt_image_1_partial_images_0_to_3(self):
        for size in ("1024x1024", "1024x1536", "1536x1024"):
            for quality in ("low", "medium", "high"):
                for k in range(4):
                    with self.subTest(size=size, quality=quality, partial_images=k):
                        st = stream(server(), dict(BASE, size=size, quality=quality, partial_images=k))
                        self.assertEqual(st.types(), expected_types(1, k))
                        self.assertEqual(st.events[-1]["usage"], usage(OTTER, GPT1_TABLE[quality][size] + 100 * k))

    def test_usage_other_gpt_image_1_names(self):
        for model in ("gpt-image-1-mini", "gpt-image-1.5", "chatgpt-image-latest"):
            with self.subTest(model=model):
                st = stream(server(), dict(BASE, model=model, quality="medium", size="1024x1536", partial_images=3))
                self.assertEqual(st.events[-1]["usage"], usage(OTTER, 1584 + 300))

    def test_usage_gpt_image_2_formula(self):
        cases = [("1024x1024", "low"), ("1024x1024", "medium"), ("1024x1024", "high"), ("1536x1024", "high"),
                 ("3072x2160", "low"), ("2048x1152", "medium"), ("1024x3072", "low"), ("1248x1248", "medium")]
        published = {("1024x1024", "low"): 196, ("1024x1024", "medium"): 1756, ("1024x1024", "high"): 7024,
                     ("1536x1024", "high"): 5488, ("3072x2160", "low"): 380, ("2048x1152", "medium"): 1413}
        for (size, quality), k in zip(cases, [0, 1, 2, 3, 1, 2, 3, 0]):
            with self.subTest(size=size, quality=quality, partial_images=k):
                tokens = gpt2_tokens(size, quality)
                if (size, quality) in published:
                    self.assertEqual(tokens, published[(size, quality)])
                prompt = "A skyline at 2048 hours, 3 moons!"
                st = stream(server(), {"model": "gpt-image-2", "prompt": prompt, "stream": True,
                                       "partial_images": k, "size": size, "quality": quality,
                                       "output_format": "jpeg"})
                self.assertEqual(st.types(), expected_types(1, k))
                self.assertEqual(st.events[-1]["usage"], usage(prompt, tokens + 100 * k))

    def test_non_streaming_request_with_partial_images_counts_no_partials(self):
        answer = generate(server(), {"model": "gpt-image-1", "prompt": OTTER, "partial_images": 3, "n": 2,
                                     "size": "1024x1024", "quality": "low"})
        self.assertEqual(answer["usage"], usage(OTTER, 2 * 272))

    def test_n_2_order_and_per_image_usage(self):
        st = stream(server(), dict(BASE, n=2, partial_images=2))
        self.assertEqual(st.types(), ["p0", "p1", "c", "p0", "p1", "c"])
        pics = check_events(self, st, 2, 2, "1024x1024", "low", "png")
        self.assertEqual(len({p.tobytes() for p in pics}), 6, "images of the stream repeat")
        completed = [e for e in st.events if e["type"] == COMPLETED]
        # imgmock's choice: each completed event's usage covers its own image and its partials,
        # plus the request's input tokens
        for e in completed:
            self.assertEqual(e["usage"], usage(OTTER, 272 + 200))

    def test_n_10_partial_3(self):
        st = stream(server(), dict(BASE, n=10, partial_images=3, size="1024x1024", output_format="jpeg"))
        self.assertEqual(st.types(), expected_types(10, 3))
        finals = [img for img, e in zip(st.images(), st.events) if e["type"] == COMPLETED]
        self.assertEqual(len(set(finals)), 10)

    def test_created_at_is_one_value_close_to_now(self):
        before = int(time.time())
        st = stream(server(), dict(BASE, n=2, partial_images=3))
        after = int(time.time())
        created = {e["created_at"] for e in st.events}
        self.assertEqual(len(created), 1)
        self.assertTrue(before - 1 <= created.pop() <= after + 1)


class Options(unittest.TestCase):

    def test_stream_done(self):
        st = stream(server("--stream-done"), dict(BASE, n=2))
        self.assertTrue(st.done)
        self.assertEqual(st.chunks[-1], b"data: [DONE]\n\n")
        self.assertEqual(st.types(), ["p0", "p1", "c", "p0", "p1", "c"])
        self.assertEqual(sum(c == b"data: [DONE]\n\n" for c in st.chunks), 1)
        default = stream(server(), dict(BASE, n=2))
        self.assertFalse(any(b"[DONE]" in c for c in default.chunks))
        self.assertEqual(default.chunks, [re.sub(rb'"created_at":\d+', b'"created_at":%d' % default.events[0]["created_at"], c)
                                          for c in st.chunks[:-1]])

    def test_stream_delay_paces_events(self):
        srv = server("--stream-delay-ms", "300")
        arrivals = []
        st = stream(srv, dict(BASE, partial_images=2), on_chunk=lambda i, data: arrivals.append(time.monotonic()))
        self.assertEqual(st.types(), ["p0", "p1", "c"])
        self.assertGreaterEqual(arrivals[-1] - arrivals[0], 0.4, "events were not paced: %r" % arrivals)
        self.assertGreaterEqual(st.ended - arrivals[0], 0.4, "the first event did not arrive early")

    def test_without_delay_a_stream_is_quick(self):
        st = stream(server(), dict(BASE, partial_images=3))
        self.assertLess(st.ended - st.started, 5.0)


class ErrorsBeforeTheFirstByte(unittest.TestCase):
    """Whatever is wrong with a stream request is an ordinary JSON error, not a stream."""

    def expect(self, srv, body, status, message, param, code, type_="invalid_request_error", key=DEFAULT_KEY):
        line, hdrs, data = plain(srv, body, key=key)
        self.assertEqual(line.split(" ", 2)[1], str(status), data)
        self.assertIn(("content-type", "application/json"), hdrs)
        self.assertEqual(data, envelope(message, type_, param, code))
        schemas.validate("error", json.loads(data))

    def test_invalid_parameters(self):
        srv = server()
        self.expect(srv, dict(BASE, partial_images=4), 400,
                    "Invalid 'partial_images': integer above maximum value. Expected a value <= 3, but got 4 instead.",
                    "partial_images", "integer_above_max_value")
        self.expect(srv, dict(BASE, stream="true"), 400,
                    "Invalid type for 'stream': expected a boolean, but got a string instead.", "stream", "invalid_type")
        self.expect(srv, dict(BASE, output_format="jpeg", background="transparent"), 400,
                    "Transparent background is not supported for JPEG output format.", "background", "invalid_value")
        self.expect(srv, dict(BASE, size="999x999"), 400,
                    "Invalid value: '999x999'. Supported values are: '1024x1024', '1024x1536', '1536x1024', and 'auto'.",
                    "size", "invalid_value")

    def test_dalle_does_not_stream_in_strict_mode(self):
        for model in ("dall-e-2", "dall-e-3"):
            for value in (True, False):
                with self.subTest(model=model, stream=value):
                    self.expect(server(), {"model": model, "prompt": OTTER, "stream": value}, 400,
                                "Unknown parameter: 'stream'.", "stream", "unknown_parameter")

    def test_no_key(self):
        self.expect(server(), BASE, 401,
                    "You didn't provide an API key. You need to provide your API key in an Authorization header "
                    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank "
                    "username) if you're accessing the API from your browser and are prompted for a username and "
                    "password. You can obtain an API key from https://platform.openai.com/account/api-keys.",
                    None, None, key=None)


class SchemaMode(unittest.TestCase):
    """--mode schema streams too; non-GPT names stream in gpt-image-1's shape."""

    def test_gpt_image_2(self):
        st = stream(server("--mode", "schema"), {"model": "gpt-image-2", "prompt": OTTER, "stream": True,
                                                 "partial_images": 2, "size": "1536x1024", "quality": "high"})
        check_events(self, st, 1, 2, "1536x1024", "high", "png")
        self.assertEqual(st.events[-1]["usage"], usage(OTTER, gpt2_tokens("1536x1024", "high") + 200))

    def test_unknown_model_name(self):
        st = stream(server("--mode", "schema"), {"model": "my-own-model", "prompt": OTTER, "stream": True,
                                                 "partial_images": 1, "size": "1024x1024", "quality": "low"})
        check_events(self, st, 1, 1, "1024x1024", "low", "png")
        self.assertEqual(st.events[-1]["usage"], usage(OTTER, 272 + 100))

    def test_dall_e_2_streams_in_gpt_image_1_shape(self):
        st = stream(server("--mode", "schema"), {"model": "dall-e-2", "prompt": OTTER, "stream": True,
                                                 "partial_images": 2, "n": 2})
        check_events(self, st, 2, 2, "1024x1024", "high", "png")
        for e in st.events[2::3]:
            self.assertEqual(e["usage"], usage(OTTER, 4160 + 200))

    def test_sdk_style_contradictory_request(self):
        body = {"model": "gpt-image-2", "prompt": OTTER, "stream": True, "partial_images": 1, "n": 1,
                "background": "transparent", "moderation": "low", "output_compression": 100,
                "output_format": "png", "quality": "medium", "response_format": "url", "size": "1024x1024",
                "style": "vivid", "user": "user-1234"}
        st = stream(server("--mode", "schema"), body)
        check_events(self, st, 1, 1, "1024x1024", "medium", "png", "transparent")


class Disconnects(unittest.TestCase):
    """A client that hangs up mid-stream stops the work: the one worker is free again at once."""

    BIG = {"model": "gpt-image-2", "prompt": "a city skyline at night", "stream": True, "n": 10,
           "size": "3840x2160", "quality": "low", "partial_images": 3}

    def test_hang_up_frees_the_only_worker(self):
        srv = Server("--threads", "1", "--stream-delay-ms", "200")
        try:
            # 40 events at >= 200 ms each: the whole stream takes over 8 s
            for abort in (False, True):  # a plain close (FIN), then a reset (RST)
                wire = Wire(srv)
                wire.send_post(self.BIG)
                status, hdrs = wire.head()
                check_head(status, hdrs)
                size = int(wire.line(), 16)
                first = parse_event(wire.exact(size))
                self.assertEqual((first["type"], first["partial_image_index"], first["size"]), (PARTIAL, 0, "3840x2160"))
                if abort:
                    wire.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                wire.close()
                hung_up = time.monotonic()
                health = Wire(srv, timeout=10)
                try:
                    health.send_get("/health")
                    hstatus, _ = health.head()
                    answered = time.monotonic() - hung_up
                    self.assertEqual(hstatus, "HTTP/1.1 200 OK")
                    self.assertEqual(health.exact(15), b'{"status":"ok"}')
                finally:
                    health.close()
                self.assertLess(answered, 3.0, "the worker was busy %.1f s after the client left" % answered)
        finally:
            code = srv.stop(timeout=40)
        self.assertEqual(code, 0, "imgmock exited with %r" % code)
        lines = srv.stderr_text.splitlines()
        log = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ 127\.0\.0\.1 (\S+) (\S+) (\d+) ([\d.]+)ms req_[0-9a-f]{32}")
        entries = [log.fullmatch(line) for line in lines]
        self.assertTrue(all(entries), "unexpected stderr: %r" % lines)
        seen = [(m.group(1), m.group(2), m.group(3)) for m in entries]
        # a cut stream is logged with status 0: the client went away before the answer was complete
        self.assertEqual(seen, [("POST", PATH, "0"), ("GET", "/health", "200")] * 2)
        for m in entries[0::2]:
            self.assertLess(float(m.group(4)), 4000.0, "the cut stream ran on for %s ms" % m.group(4))

    def test_repeated_hang_ups_leak_nothing(self):
        """Memory and file descriptors of a server whose clients keep hanging up stay flat."""
        srv = Server("--quiet", "--threads", "2", "--cache-mb", "0", "--stream-delay-ms", "20")
        pid = srv.proc.pid

        def rss_kb():
            with open("/proc/%d/status" % pid) as f:
                return int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1))

        def fds():
            return len(os.listdir("/proc/%d/fd" % pid))

        def one():
            wire = Wire(srv)
            wire.send_post(dict(BASE, n=4, partial_images=3, size="1536x1024", output_format="webp"))
            wire.head()
            size = int(wire.line(), 16)
            parse_event(wire.exact(size))
            wire.close()

        try:
            for _ in range(3):
                one()
            time.sleep(0.5)
            rss, fd = rss_kb(), fds()
            for _ in range(30):
                one()
            time.sleep(0.5)
            # the server still answers a whole stream, and has not grown
            st = stream(srv, BASE)
            self.assertEqual(st.types(), ["p0", "p1", "c"])
            deadline = time.monotonic() + 5
            while fds() > fd and time.monotonic() < deadline:  # closed connections may linger a moment
                time.sleep(0.1)
            self.assertLessEqual(fds(), fd, "file descriptors leak")
            if os.environ.get("IMGMOCK_SANITIZED") != "1":  # ASan's quarantine keeps freed memory on purpose;
                # there, LeakSanitizer at exit (the exit status below) is the leak check
                self.assertLess(rss_kb() - rss, 16 * 1024, "RSS grew from %d kB to %d kB" % (rss, rss_kb()))
        finally:
            code = srv.stop(timeout=40)
        self.assertEqual(code, 0)


class Shutdown(unittest.TestCase):

    def test_sigterm_lets_a_stream_in_progress_finish(self):
        """README: on SIGTERM requests in progress finish, then the connection closes and imgmock
        exits 0. A paced stream is still running when the signal arrives."""
        srv = Server("--stream-delay-ms", "300")
        try:
            wire = Wire(srv)
            wire.send_post(dict(BASE, n=2, partial_images=3))
            status, hdrs = wire.head()
            check_head(status, hdrs)
            first = wire.exact(int(wire.line(), 16))
            self.assertEqual(wire.exact(2), b"\r\n")
            srv.proc.send_signal(signal.SIGTERM)
            rest = [c for c, _ in wire.chunks()]
            events = [parse_event(c) for c in [first] + rest]
            self.assertEqual(["p%d" % e["partial_image_index"] if e["type"] == PARTIAL else "c" for e in events],
                             expected_types(2, 3))
            wire.closed_by_server()
            wire.close()
        finally:
            code = srv.stop(timeout=40)
        self.assertEqual(code, 0)
        self.assertRegex(srv.stderr_text, r"POST /v1/images/generations 200 [\d.]+ms req_")


if __name__ == "__main__":
    main()

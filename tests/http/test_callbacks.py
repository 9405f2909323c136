"""AceData's asynchronous tasks (--profile acedata, seed 004), end to end: a request carrying
`callback_url` is answered at once with {"task_id": <uuid>}; a background worker generates the
answer and POSTs {"task_id", "trace_id", "success": true, "data": <the answer body>} to the URL.

- the immediate answer: 200, application/json, exactly {"task_id"} (a lowercase 8-4-4-4-12 UUID),
  an x-request-id header;
- the callback: the same task_id, a trace_id UUID, success true, data the full answer (b64_json
  decodes to a PNG of the requested size; a url is fetchable from imgmock; dall-e-3 items carry
  revised_prompt; GPT image answers carry usage and the resolved fields);
- delivery: up to 3 retries after the first attempt, waits 250 ms then doubling; every attempt
  in the journal (GET /__mock/requests) as {"direction": "outbound", "url", "task_id",
  "attempt", "status" (0: no answer), "error"};
- the URL as delivered: https works (a TLS receiver with a self-signed certificate); an URL
  without a path posts to "/" and keeps its query; a fragment is not sent; the Host header
  carries the port; CR LF or a space in callback_url never reaches the wire as raw text;
- validation: callback_url http(s) only (400 invalid_value), a string (400 invalid_type), and an
  unknown parameter outside the acedata profile;
- the queue: at most 64 waiting tasks (plus the one in progress); more are 429
  rate_limit_exceeded; stopping with tasks waiting exits 0 at once;
- --clock with --seed: the same first request gets the same task id, run after run.

Task submissions go through http.client directly (`submit`): harness.Server.request validates
answers to paths ending in /images/generations against the image response schema, and
{"task_id"} is not one. Callbacks are received by `Receiver`, a ThreadingHTTPServer on
127.0.0.1 that records every POST and answers a scripted sequence of statuses. No fixed sleeps:
every wait polls with a deadline. "Exactly N attempts" is checked by queueing a marker task after
the one under test: the worker runs tasks one at a time in order, so once the marker's callback
has arrived, the task before it has made every attempt it will ever make.

Run: IMGMOCK_BIN=build/imgmock /usr/bin/python3 tests/http/test_callbacks.py
"""
import base64
import http.server
import json
import re
import os
import socket
import ssl
import struct
import tempfile
import threading
import time
import unittest
import urllib.parse
import zlib

import schemas
from harness import Server, envelope, main

ACE_PATH = "/openai/images/generations"
OTTER = "A cute baby sea otter"
KEY = "sk-test-key"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FULL_QUEUE = "Too many tasks are waiting to be generated (at most 64). Please try again later."
WAIT = 15  # seconds any single wait may take before the test fails


# A self-signed certificate for 127.0.0.1 (EC P-256, valid 2026-2126), for the https receiver
# only: imgmock's callback client does not verify certificates, so it needs no CA.
TEST_CERT = """-----BEGIN CERTIFICATE-----
MIIBkTCCATagAwIBAgIUFzJ4kI1vIh79zwpwU+QKqfgWgyowCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTEyMTA2NTYyN1oYDzIxMjYxMDI4
MDY1NjI3WjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAASHDT+uW1dJ2ZajyYUzWsqXVLjxEkeM1GNV6XJ5JcWaB3/fM6i6amls
BWcdzQ2TbqhziZOBhlqYp18taDLS7vK4o2QwYjAdBgNVHQ4EFgQU2Bqmm6rm59A9
yB4H6xLIGEZSa1gwHwYDVR0jBBgwFoAU2Bqmm6rm59A9yB4H6xLIGEZSa1gwDwYD
VR0TAQH/BAUwAwEB/zAPBgNVHREECDAGhwR/AAABMAoGCCqGSM49BAMCA0kAMEYC
IQC0K5SMYr9GnN5hTDB2Lpv7lejXvsQLuWJ0B6gpRwHxsQIhAPfxMEwX3XCQBFbq
VTaQNHUDkpCfY2eEzERv1MTYvAn1
-----END CERTIFICATE-----
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgsXBsyKrXwtPj074B
7bZVDBnZBwqjHE8y47dCqfmuY0qhRANCAASHDT+uW1dJ2ZajyYUzWsqXVLjxEkeM
1GNV6XJ5JcWaB3/fM6i6amlsBWcdzQ2TbqhziZOBhlqYp18taDLS7vK4
-----END PRIVATE KEY-----
"""


def tls_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as tmp:
        pem = os.path.join(tmp, "receiver.pem")
        with open(pem, "w") as f:
            f.write(TEST_CERT)
        ctx.load_cert_chain(pem)
    return ctx


# ---- the receiver -------------------------------------------------------------------------------

class Receiver:
    """An HTTP server on 127.0.0.1 recording every POST: (monotonic time, path, headers, body
    bytes). Answers `script` in order, then `default` for ever; sleeps `delay` seconds before
    each answer."""

    def __init__(self, script=(), default=200, delay=0.0, tls=False):
        self.script = list(script)
        self.default = default
        self.delay = delay
        self.posts = []
        self.cond = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                at = time.monotonic()
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver.cond:
                    receiver.posts.append({"at": at, "path": self.path, "headers": dict(self.headers.items()),
                                           "body": body})
                    status = receiver.script.pop(0) if receiver.script else receiver.default
                    receiver.cond.notify_all()
                if receiver.delay:
                    time.sleep(receiver.delay)
                answer = b'{"ok": true}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.scheme = "https" if tls else "http"
        if tls:  # handshake in the handler's thread, so a bad client cannot stall the accept loop
            self.httpd.socket = tls_context().wrap_socket(self.httpd.socket, server_side=True,
                                                          do_handshake_on_connect=False)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path="/cb"):
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def wait_for(self, predicate, what, timeout=WAIT):
        """Wait until predicate(posts) is true; returns a copy of the posts."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while not predicate(self.posts):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {what}; received {len(self.posts)} POSTs: "
                                         f"{[p['path'] for p in self.posts]}")
                self.cond.wait(left)
            return list(self.posts)

    def posts_to(self, path):
        with self.cond:
            return [p for p in self.posts if p["path"] == path]

    def wait_posts(self, path, count, timeout=WAIT):
        self.wait_for(lambda posts: sum(p["path"] == path for p in posts) >= count,
                      f"{count} POST(s) to {path}", timeout)
        return self.posts_to(path)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def closed_port():
    """A port on 127.0.0.1 where nothing listens (bound, then released)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ---- talking to imgmock -------------------------------------------------------------------------

class Answer:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        return self.headers.get(name.lower())


def submit(srv, body, path=ACE_PATH, key=KEY, conn=None, headers=None):
    """POST one request over http.client, with no schema check (see the module docstring)."""
    hdrs = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    hdrs.update(headers or {})
    own = conn is None
    conn = conn or srv.connection()
    try:
        conn.request("POST", path, body=json.dumps(body).encode(), headers=hdrs)
        r = conn.getresponse()
        data = r.read()
        return Answer(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
    finally:
        if own:
            conn.close()


def task(srv, receiver, cb_path, **fields):
    """Submit a task whose callback goes to `cb_path` on `receiver`; returns its task id."""
    body = dict({"prompt": OTTER, "model": "dall-e-3", "callback_url": receiver.url(cb_path)}, **fields)
    r = submit(srv, body)
    if r.status != 200:
        raise AssertionError(f"task not accepted: {r.status} {r.body[:300]!r}")
    return r.json()["task_id"]


def journal(srv):
    r = srv.request("GET", "/__mock/requests", key=None)
    assert r.status == 200, r.status
    return r.json()["requests"]


def outbound(srv, task_id):
    return [e for e in journal(srv) if e.get("direction") == "outbound" and e.get("task_id") == task_id]


def wait_outbound(srv, task_id, count, timeout=WAIT):
    """Poll the journal until `count` outbound attempts of `task_id` are recorded."""
    deadline = time.monotonic() + timeout
    while True:
        entries = outbound(srv, task_id)
        if len(entries) >= count:
            return entries
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {count} attempts of {task_id}: {entries}")
        time.sleep(0.02)


def png_size(data):
    """(width, height) from a PNG's IHDR, after checking the signature and the chunk's CRC."""
    assert data[:8] == PNG_SIGNATURE, data[:8]
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13, (kind, length)
    crc = struct.unpack(">I", data[29:33])[0]
    assert crc == zlib.crc32(data[12:29]), "bad IHDR CRC"
    assert data[-12:] == b"\x00\x00\x00\x00IEND\xaeB`\x82", data[-12:]
    return struct.unpack(">II", data[16:24])


def callback_body(post):
    return json.loads(post["body"])


# ---- one shared acedata server ------------------------------------------------------------------

class Callbacks(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server("--quiet", "--profile", "acedata")
        cls.rx = Receiver()

    @classmethod
    def tearDownClass(cls):
        cls.rx.close()
        status = cls.srv.stop()
        if status != 0:  # e.g. a sanitizer's leak report under IMGMOCK_SANITIZE
            raise AssertionError(f"imgmock exited {status}: {cls.srv.stderr_text[-3000:]}")

    def marker(self, receiver=None):
        """Queue a task behind everything queued so far and wait for its callback: the worker
        runs tasks in order, so every earlier task has finished all its attempts by then."""
        receiver = receiver or self.rx
        path = f"/marker/{time.monotonic_ns()}"
        task(self.srv, receiver, path)
        receiver.wait_posts(path, 1)

    # -- the immediate answer

    def test_immediate_answer_is_a_task_id(self):
        started = time.monotonic()
        r = submit(self.srv, {"prompt": OTTER, "model": "dall-e-3", "callback_url": self.rx.url("/immediate")})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.header("content-type"), "application/json")
        self.assertTrue(r.header("x-request-id"))
        answer = r.json()
        self.assertEqual(list(answer), ["task_id"])
        self.assertRegex(answer["task_id"], UUID)
        self.assertLess(time.monotonic() - started, 5)
        # every task gets its own id
        other = submit(self.srv, {"prompt": OTTER, "model": "dall-e-3", "callback_url": self.rx.url("/immediate")})
        self.assertEqual(other.status, 200)
        self.assertNotEqual(other.json()["task_id"], answer["task_id"])
        self.assertNotEqual(other.header("x-request-id"), r.header("x-request-id"))
        self.rx.wait_posts("/immediate", 2)

    # -- the callback

    def test_callback_b64_json_dalle3(self):
        task_id = task(self.srv, self.rx, "/hook/b64?token=abc", response_format="b64_json", size="1024x1792",
                       style="natural")
        post, = self.rx.wait_posts("/hook/b64?token=abc", 1)
        self.assertEqual(post["headers"].get("Content-Type"), "application/json")
        body = callback_body(post)
        self.assertEqual(set(body), {"task_id", "trace_id", "success", "data"})
        self.assertEqual(body["task_id"], task_id)
        self.assertRegex(body["trace_id"], UUID)
        self.assertNotEqual(body["trace_id"], task_id)
        self.assertIs(body["success"], True)
        data = body["data"]
        schemas.validate("response", data)
        self.assertIsInstance(data["created"], int)
        self.assertLess(abs(data["created"] - time.time()), 120)
        self.assertEqual(len(data["data"]), 1)
        item = data["data"][0]
        self.assertNotIn("url", item)
        self.assertIsInstance(item["revised_prompt"], str)
        self.assertTrue(item["revised_prompt"])
        self.assertEqual(png_size(base64.b64decode(item["b64_json"], validate=True)), (1024, 1792))
        self.assertNotIn("usage", data)

    def test_callback_request_headers(self):
        """The POST names the receiver's authority, port included (RFC 9110 §7.2: Host is the
        target URI's authority; the port may be left out only when it is the scheme's default)."""
        task(self.srv, self.rx, "/hook/headers")
        post, = self.rx.wait_posts("/hook/headers", 1)
        self.assertEqual(post["headers"].get("Content-Type"), "application/json")
        self.assertEqual(int(post["headers"].get("Content-Length")), len(post["body"]))
        self.assertEqual(post["headers"].get("Host"), f"127.0.0.1:{self.rx.port}")

    def test_callback_url_format_is_fetchable(self):
        task_id = task(self.srv, self.rx, "/hook/url")
        post, = self.rx.wait_posts("/hook/url", 1)
        body = callback_body(post)
        self.assertEqual(body["task_id"], task_id)
        self.assertIs(body["success"], True)
        data = body["data"]
        schemas.validate("response", data)
        self.assertIsInstance(data["created"], int)
        self.assertEqual(len(data["data"]), 1)
        item = data["data"][0]
        self.assertNotIn("b64_json", item)
        self.assertTrue(item["revised_prompt"])
        url = urllib.parse.urlsplit(item["url"])
        self.assertEqual(url.scheme, "http")
        self.assertEqual((url.hostname, url.port), (self.srv.host, self.srv.port))
        r = self.srv.request("GET", url.path + (f"?{url.query}" if url.query else ""), key=None)
        self.assertEqual(r.status, 200, r.body[:300])
        self.assertEqual(r.header("content-type"), "image/png")
        self.assertEqual(png_size(r.body), (1024, 1024))

    def test_callback_gpt_image_1_has_usage_and_resolved_fields(self):
        task_id = task(self.srv, self.rx, "/hook/gpt", model="gpt-image-1", quality="low", n=2, size="1024x1536")
        post, = self.rx.wait_posts("/hook/gpt", 1)
        body = callback_body(post)
        self.assertEqual(body["task_id"], task_id)
        self.assertIs(body["success"], True)
        data = body["data"]
        schemas.validate("response", data)
        self.assertEqual(len(data["data"]), 2)
        for item in data["data"]:
            self.assertNotIn("url", item)
            self.assertNotIn("revised_prompt", item)
            self.assertEqual(png_size(base64.b64decode(item["b64_json"], validate=True)), (1024, 1536))
        self.assertEqual(data["size"], "1024x1536")
        self.assertEqual(data["quality"], "low")
        self.assertEqual(data["output_format"], "png")
        self.assertIn(data["background"], ("opaque", "transparent"))
        usage = data["usage"]
        self.assertGreater(usage["output_tokens"], 0)
        self.assertGreater(usage["input_tokens"], 0)
        self.assertEqual(usage["total_tokens"], usage["input_tokens"] + usage["output_tokens"])

    def test_callback_is_the_synchronous_answer(self):
        """With the same seed, the task's data is what the same request without callback_url
        answers (created aside: the clock runs)."""
        fields = {"prompt": OTTER, "model": "gpt-image-1", "quality": "low", "size": "1024x1024"}
        sync = submit(self.srv, fields)
        self.assertEqual(sync.status, 200)
        task(self.srv, self.rx, "/hook/same", **fields)
        post, = self.rx.wait_posts("/hook/same", 1)
        data, expected = callback_body(post)["data"], sync.json()
        data.pop("created")
        expected.pop("created")
        self.assertEqual(data, expected)

    def test_delivery_is_journaled(self):
        task_id = task(self.srv, self.rx, "/hook/journal")
        self.rx.wait_posts("/hook/journal", 1)
        entries = wait_outbound(self.srv, task_id, 1)
        self.assertEqual(len(entries), 1)
        e = entries[0]
        self.assertEqual(e["method"], "POST")
        self.assertEqual(e["url"], self.rx.url("/hook/journal"))
        self.assertEqual((e["attempt"], e["status"], e["error"]), (1, 200, None))

    # -- retries

    def test_retries_until_answered(self):
        rx = Receiver(script=[500, 500, 200])
        try:
            task_id = task(self.srv, rx, "/hook/retry")
            posts = rx.wait_posts("/hook/retry", 3)
            self.marker(rx)
            posts = rx.posts_to("/hook/retry")
            self.assertEqual(len(posts), 3)
            self.assertEqual(posts[0]["body"], posts[1]["body"])
            self.assertEqual(posts[0]["body"], posts[2]["body"])
            self.assertEqual(callback_body(posts[0])["task_id"], task_id)
            entries = wait_outbound(self.srv, task_id, 3)
            self.assertEqual([(e["attempt"], e["status"], e["error"]) for e in entries],
                             [(1, 500, None), (2, 500, None), (3, 200, None)])
            for e in entries:
                self.assertEqual(e["url"], rx.url("/hook/retry"))
                self.assertEqual(e["direction"], "outbound")
        finally:
            rx.close()

    def test_always_failing_receiver_gets_four_attempts_with_growing_gaps(self):
        rx = Receiver(default=503)
        try:
            task_id = task(self.srv, rx, "/hook/fail")
            rx.wait_posts("/hook/fail", 4)
            self.marker(rx)
            posts = rx.posts_to("/hook/fail")
            self.assertEqual(len(posts), 4)
            self.assertEqual(len({p["body"] for p in posts}), 1)
            gaps = [b["at"] - a["at"] for a, b in zip(posts, posts[1:])]
            for gap, least in zip(gaps, [0.2, 0.4, 0.8]):
                self.assertGreaterEqual(gap, least, gaps)
            entries = outbound(self.srv, task_id)
            self.assertEqual([(e["attempt"], e["status"]) for e in entries], [(1, 503), (2, 503), (3, 503), (4, 503)])
        finally:
            rx.close()

    def test_nothing_listening_gets_four_attempts_with_status_0(self):
        url = f"http://127.0.0.1:{closed_port()}/hook/nobody"
        r = submit(self.srv, {"prompt": OTTER, "model": "dall-e-3", "callback_url": url})
        self.assertEqual(r.status, 200)
        task_id = r.json()["task_id"]
        wait_outbound(self.srv, task_id, 4)
        self.marker()
        entries = outbound(self.srv, task_id)
        self.assertEqual([e["attempt"] for e in entries], [1, 2, 3, 4])
        for e in entries:
            self.assertEqual(e["status"], 0)
            self.assertEqual(e["url"], url)
            self.assertIsInstance(e["error"], str)
            self.assertTrue(e["error"].strip(), e)

    def test_any_2xx_ends_delivery_and_4xx_is_retried(self):
        rx = Receiver(script=[404, 204])
        try:
            task_id = task(self.srv, rx, "/hook/2xx")
            rx.wait_posts("/hook/2xx", 2)
            self.marker(rx)
            self.assertEqual(len(rx.posts_to("/hook/2xx")), 2)
            self.assertEqual([(e["attempt"], e["status"]) for e in outbound(self.srv, task_id)], [(1, 404), (2, 204)])
        finally:
            rx.close()

    def test_https_callback_is_delivered(self):
        """https:// is accepted by the check, so it must be deliverable: a TLS receiver (self-signed
        certificate) gets the callback on the first attempt."""
        rx = Receiver(tls=True)
        try:
            task_id = task(self.srv, rx, "/hook/tls")
            entries = wait_outbound(self.srv, task_id, 1)
            self.assertEqual((entries[0]["status"], entries[0]["error"]), (200, None), entries)
            post, = rx.wait_posts("/hook/tls", 1)
            self.assertEqual(callback_body(post)["task_id"], task_id)
        finally:
            self.marker()  # let the task finish its attempts before its receiver goes
            rx.close()

    def test_callback_url_forms(self):
        """Accepted forms of an http URL reach the receiver with the request target they name:
        no path is "/", a query without a path keeps its query, a fragment is never sent."""
        port = self.rx.port
        try:  # a host name, where the machine can resolve one (a bare chroot has no /etc/hosts)
            socket.gethostbyname("localhost")
            named = [(f"http://localhost:{port}/forms/localhost", "/forms/localhost")]
        except OSError:
            named = []
        for url, target in [(f"http://127.0.0.1:{port}", "/")] + named + [
                            (f"http://127.0.0.1:{port}/forms/frag#part", "/forms/frag"),
                            (f"http://127.0.0.1:{port}/forms/q?a=1&b=2", "/forms/q?a=1&b=2"),
                            (f"http://127.0.0.1:{port}?forms=query", "/?forms=query")]:
            with self.subTest(url=url):
                before = len(self.rx.posts_to(target))
                r = submit(self.srv, {"prompt": OTTER, "model": "dall-e-3", "callback_url": url})
                self.assertEqual(r.status, 200, r.body)
                task_id = r.json()["task_id"]
                entries = wait_outbound(self.srv, task_id, 1)
                self.assertEqual(entries[0]["url"], url)
                self.assertEqual(entries[0]["status"], 200, entries)
                posts = self.rx.wait_posts(target, before + 1, timeout=2)
                self.assertEqual(callback_body(posts[-1])["task_id"], task_id)

    def test_callback_url_cannot_inject_into_the_request(self):
        """A callback_url with CR LF or a space must not reach the wire as it is: either the check
        refuses it (400 invalid_value) or the receiver gets a well-formed request. Never an extra
        header made of the URL's text (header injection)."""
        port = self.rx.port
        for url in [f"http://127.0.0.1:{port}/inject HTTP/1.1\r\nX-Injected: yes\r\nX-Pad: /",
                    f"http://127.0.0.1:{port}/inject\r\nX-Injected: yes",
                    f"http://127.0.0.1:{port}/with space"]:
            with self.subTest(url=url):
                r = submit(self.srv, {"prompt": OTTER, "model": "dall-e-3", "callback_url": url})
                if r.status == 400:
                    self.assertEqual(json.loads(r.body)["error"]["code"], "invalid_value")
                    continue
                self.assertEqual(r.status, 200, r.body)
                task_id = r.json()["task_id"]
                self.marker()
                posts = [p for p in self.rx.posts if callback_body(p)["task_id"] == task_id]
                for post in posts:
                    self.assertNotIn("X-Injected", post["headers"], (post["path"], post["headers"]))
                statuses = [e["status"] for e in outbound(self.srv, task_id)]
                self.assertEqual(statuses[-1:], [200], f"{url!r}: attempts answered {statuses}")

    # -- validation

    def test_invalid_callback_urls(self):
        for url in ["ftp://x", "<string>", "", "mailto:a@b.c"]:
            with self.subTest(url=url):
                r = submit(self.srv, {"prompt": OTTER, "model": "dall-e-3", "callback_url": url})
                self.assertEqual(r.status, 400)
                self.assertEqual(r.header("content-type"), "application/json")
                self.assertEqual(r.body, envelope(
                    f"Invalid 'callback_url': '{url}'. Expected an http:// or https:// URL.",
                    param="callback_url", code="invalid_value"))
        r = submit(self.srv, {"prompt": OTTER, "model": "dall-e-3", "callback_url": 5})
        self.assertEqual(r.status, 400)
        self.assertEqual(r.body, envelope("Invalid type for 'callback_url': expected a string, but got an integer "
                                          "instead.", param="callback_url", code="invalid_type"))

    def test_other_request_errors_come_before_a_task(self):
        r = submit(self.srv, {"prompt": OTTER, "model": "dall-e-2", "callback_url": self.rx.url("/never")})
        self.assertEqual(r.status, 400)
        r = submit(self.srv, {"prompt": OTTER, "callback_url": self.rx.url("/never")})
        self.assertEqual(r.body, envelope("Missing required parameter: 'model'.", param="model",
                                          code="missing_required_parameter"))
        self.marker()
        self.assertEqual(self.rx.posts_to("/never"), [])


class OtherProfiles(unittest.TestCase):
    def test_openai_profile_does_not_know_callback_url(self):
        with Server("--quiet") as srv:
            r = submit(srv, {"prompt": OTTER, "callback_url": "http://127.0.0.1:9/cb"}, path="/v1/images/generations")
            self.assertEqual(r.status, 400)
            self.assertEqual(r.body, envelope("Unknown parameter: 'callback_url'.", param="callback_url",
                                              code="unknown_parameter"))


class Queue(unittest.TestCase):
    def test_full_queue_is_429_and_stop_is_prompt(self):
        rx = Receiver(delay=3.0)
        srv = Server("--quiet", "--profile", "acedata")
        try:
            body = {"prompt": OTTER, "model": "dall-e-3", "callback_url": rx.url("/slow")}
            conn = srv.connection()
            answers = [submit(srv, body, conn=conn) for _ in range(70)]
            conn.close()
            statuses = [a.status for a in answers]
            accepted = statuses.count(200)
            refused = [a for a in answers if a.status == 429]
            self.assertEqual(accepted + len(refused), 70, statuses)
            self.assertGreaterEqual(len(refused), 1, statuses)
            # 64 waiting plus the one in progress, give or take the worker's first pick-up
            self.assertIn(accepted, (64, 65), statuses)
            # once refused, every later one is too (the receiver holds the worker for 3 s)
            self.assertEqual(statuses, [200] * accepted + [429] * len(refused))
            r = refused[0]
            self.assertEqual(r.header("content-type"), "application/json")
            self.assertEqual(r.body, envelope(FULL_QUEUE, type_="requests", code="rate_limit_exceeded"))
            self.assertEqual(r.header("retry-after"), "1")
            self.assertTrue(r.header("x-request-id"))
            ids = [a.json()["task_id"] for a in answers if a.status == 200]
            self.assertEqual(len(set(ids)), len(ids))
            # stop while tasks wait: prompt, and a clean exit
            rx.wait_posts("/slow", 1)
            started = time.monotonic()
            status = srv.stop(timeout=10)
            took = time.monotonic() - started
            self.assertEqual(status, 0, srv.stderr_text)
            self.assertLess(took, 5.0)
            # the waiting tasks were dropped, not delivered
            self.assertLessEqual(len(rx.posts_to("/slow")), 2)
        finally:
            if srv.proc.poll() is None:
                srv.stop()
            rx.close()

    def test_stop_during_backoff_is_prompt(self):
        rx = Receiver(default=500)
        srv = Server("--quiet", "--profile", "acedata")
        try:
            for _ in range(5):
                task(srv, rx, "/backoff")
            rx.wait_posts("/backoff", 2)
            started = time.monotonic()
            self.assertEqual(srv.stop(timeout=10), 0, srv.stderr_text)
            self.assertLess(time.monotonic() - started, 5.0)
        finally:
            if srv.proc.poll() is None:
                srv.stop()
            rx.close()


class Clock(unittest.TestCase):
    def first_task(self, *args):
        rx = Receiver()
        try:
            with Server("--quiet", "--profile", "acedata", *args) as srv:
                r = submit(srv, {"prompt": OTTER, "model": "dall-e-3", "response_format": "b64_json",
                                 "callback_url": rx.url("/clock")})
                self.assertEqual(r.status, 200)
                post, = rx.wait_posts("/clock", 1)
                return r, callback_body(post)
        finally:
            rx.close()

    def test_same_clock_and_seed_same_task(self):
        args = ("--clock", "1700000000", "--seed", "42")
        (a, body_a), (b, body_b) = self.first_task(*args), self.first_task(*args)
        self.assertRegex(a.json()["task_id"], UUID)
        self.assertEqual(a.json()["task_id"], b.json()["task_id"])
        self.assertEqual(a.body, b.body)
        self.assertEqual(body_a, body_b)  # trace_id and data too
        self.assertEqual(body_a["task_id"], a.json()["task_id"])
        self.assertEqual(body_a["data"]["created"], 1700000000)
        c, _ = self.first_task("--clock", "1700000000", "--seed", "43")
        self.assertNotEqual(c.json()["task_id"], a.json()["task_id"])


if __name__ == "__main__":
    main()

"""The test controls, end to end: what a test suite does to make imgmock misbehave on purpose.

Per request: X-Mock-Status (and Prism's Prefer: code=) answers with the realistic envelope of
that status and the retry headers the SDKs steer by; X-Mock-Latency-Ms and
X-Mock-Stream-Delay-Ms wait; X-Mock-Moderation gives moderation_blocked (GPT models) or
content_policy_violation (DALL·E); X-Mock-Fault breaks the connection (reset, empty, malformed,
truncate — read off raw sockets, since http.client would hide what broke); X-Mock-Seed picks
the pictures; a value not understood is a 400 invalid_mock_control naming the header.
Server-wide: --latency-ms, --fault-rate/--fault-seed (the k-th request's fate is the same in
every run), --blocklist, --rpm/--ipm sliding windows with their headers and 429s, the journal
at /__mock/requests, and --clock, under which two processes answer byte for byte alike.

No assertion here is an upper bound on time; waits are checked with generous lower bounds.
Run: IMGMOCK_BIN=build/imgmock /usr/bin/python3 tests/http/test_controls.py
(IMGMOCK_SLOW_TESTS=1 adds a test that waits a whole minute for a rate-limit window to slide.)
"""
import base64
import calendar
import json
import os
import re
import socket
import time
import unittest

from harness import DEFAULT_KEY, Server, envelope, main, split_response
from imaging import OTTER, fresh_server, server, stop_servers

PATH = "/v1/images/generations"
GPT = {"prompt": OTTER, "model": "gpt-image-1", "quality": "low"}
DALLE = {"prompt": OTTER, "model": "dall-e-2", "size": "256x256"}  # a URL answer: the quickest there is
STREAM = dict(GPT, stream=True, partial_images=1)
CONTROL_HEADERS = ["X-Mock-Status", "X-Mock-Latency-Ms", "X-Mock-Stream-Delay-Ms", "X-Mock-Moderation",
                   "X-Mock-Fault", "X-Mock-Seed"]
FAULT_KINDS = {"reset", "empty", "malformed", "truncate", "500", "503"}

tearDownModule = stop_servers  # the servers of imaging's pool, stopped when this module's tests are done

_keys = iter(range(1, 1 << 30))


def fresh_key(tag="key"):
    """An API key no other test has used: rate-limit windows are per key."""
    return "sk-%s-%06d" % (tag, next(_keys))


# ---- expected messages (server/apierr.c's templates, spec §5) --------------------------------

RATE_LIMIT_TAIL = " Visit https://platform.openai.com/account/rate-limits to learn more."


def rate_message(model, window, limit, used, requested, retry):
    return (f"Rate limit reached for {model} in organization org-mock on {window} per min: Limit {limit}, "
            f"Used {used}, Requested {requested}. Please try again in {retry}." + RATE_LIMIT_TAIL)


def server_error_message(request_id):
    return ("The server had an error while processing your request. Sorry about that! You can retry your "
            "request, or contact us through our help center at help.openai.com if the error persists. (Please "
            f"include the request ID {request_id} in your message.)")


def moderation_message(request_id, categories):
    return ("Your request was rejected by the safety system. If you believe this is an error, contact us at "
            f"help.openai.com and include the request ID {request_id}. safety_violations=[{', '.join(categories)}].")


CONTENT_POLICY = ("Your request was rejected as a result of our safety system. Your prompt may contain text that "
                  "is not allowed by our safety system.")


def moderation_envelope(request_id, categories):
    error = {"message": moderation_message(request_id, categories), "type": "image_generation_user_error",
             "param": None, "code": "moderation_blocked",
             "moderation_details": {"moderation_stage": "input", "categories": categories}}
    return (json.dumps({"error": error}, indent=4) + "\n").encode()


def bad_control(header, value, expected):
    return envelope(f"Invalid {header} header: '{value}'. Expected {expected}.", code="invalid_mock_control")


EXPECTED = {
    "X-Mock-Status": "an HTTP status from 400 to 599 (or 200)",
    "Prefer": "code=NNN with an HTTP status from 400 to 599 (or 200)",
    "X-Mock-Latency-Ms": "milliseconds from 0 to 60000",
    "X-Mock-Stream-Delay-Ms": "milliseconds from 0 to 60000",
    "X-Mock-Moderation": "categories such as sexual,violence",
    "X-Mock-Fault": "reset, empty, malformed or truncate",
    "X-Mock-Seed": "an integer from 0 to 18446744073709551615",
}


def injected(status, request_id, model="gpt-image-1", key=DEFAULT_KEY):
    """The envelope X-Mock-Status: `status` answers a request for `model` with."""
    if status == 400:
        return envelope("Bad request.")
    if status == 401:
        return envelope(f"Incorrect API key provided: {mask(key)}. You can find your API key at "
                        "https://platform.openai.com/account/api-keys.", code="invalid_api_key")
    if status == 403:
        return envelope(f"Your organization must be verified to use the model `{model}`. Please go to: "
                        "https://platform.openai.com/settings/organization/general and click on Verify "
                        "Organization. If you just verified, it can take up to 15 minutes for access to propagate.")
    if status == 404:
        return envelope(f"The model `{model}` does not exist or you do not have access to it.", param="model",
                        code="model_not_found")
    if status == 409:
        return envelope("The request conflicted with another request in progress. Please retry.", code="conflict")
    if status == 429:
        return envelope(rate_message(model, "requests", 1, 1, 1, "1s"), type_="requests",
                        code="rate_limit_exceeded")
    if status == 500:
        return envelope(server_error_message(request_id), type_="server_error")
    if status == 502:
        return envelope("Bad gateway.", type_="cf_bad_gateway", code=502)
    if status == 503:
        return envelope("The engine is currently overloaded, please try again later.", type_="server_error")
    if status == 504:
        return envelope("Gateway timeout.", type_="cf_gateway_timeout", code=504)
    raise KeyError(status)


def mask(key):
    """A key as the 401 message (and the journal) echoes it: first 8, a '*' each, last 4."""
    return key if len(key) <= 12 else key[:8] + "*" * (len(key) - 12) + key[-4:]


def duration(ms):
    """A duration the way the real API's rate-limit headers and messages write it ("12ms", "12s",
    "6m0s"): below a second in milliseconds, else whole seconds rounded up, a minute and more as
    minutes and seconds."""
    if ms < 1000:
        return "%dms" % ms
    s = -(-ms // 1000)
    return "%ds" % s if s < 60 else "%dm%ds" % (s // 60, s % 60)


# "0ms".."999ms", "1s".."59s", "1m0s".. (seconds below 60 once there are minutes)
WELL_FORMED_DURATION = r"^(?:(?:0|[1-9]\d{0,2})ms|(?:[1-9]|[1-5]\d)s|[1-9]\d*m(?:\d|[1-5]\d)s)$"

# ---- raw exchanges ----------------------------------------------------------------------------


class Raw:
    """Everything the server sent on one connection until it closed (or reset) it."""

    def __init__(self, data, reset, arrivals):
        self.data = data          # every byte received
        self.reset = reset        # the connection ended with ECONNRESET
        self.arrivals = arrivals  # (monotonic time, bytes so far) after each recv
        self.status = None
        self.headers = {}
        self.body = b""
        if b"\r\n\r\n" in data:
            self.status_line, self.headers, self.body = split_response(data)
            self.status = int(self.status_line.split()[1])

    def header(self, name):
        return self.headers.get(name.lower())

    def kind(self):
        """What the client saw: "reset", "empty", "truncate", "malformed", or the status as text."""
        if not self.data:
            return "reset" if self.reset else "empty"
        assert self.status is not None, "no complete head: %r" % self.data[:200]
        if self.header("content-length") is not None and len(self.body) < int(self.header("content-length")):
            return "truncate"
        if self.header("transfer-encoding") == "chunked" and not dechunk(self.body)[1]:
            return "truncate"
        if self.header("content-type") == "application/json":
            try:
                json.loads(self.body)
            except ValueError:
                return "malformed"
        return str(self.status)

    def json(self):
        return json.loads(self.body)


def request_bytes(method, path, body, headers, key, host):
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: close"]
    if key is not None:
        lines.append(f"Authorization: Bearer {key}")
    lines += [f"{name}: {value}" for name, value in headers]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


def exchange(srv, body=None, headers=(), method="POST", path=PATH, key=DEFAULT_KEY, host=None, timeout=30):
    """One request on a connection of its own (Connection: close), read to the server's close."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    elif isinstance(body, str):
        body = body.encode()
    if isinstance(headers, dict):
        headers = list(headers.items())
    host = host or f"{srv.host}:{srv.port}"
    sock = socket.create_connection((srv.host, srv.port), timeout=timeout)
    data, reset, arrivals = bytearray(), False, []
    try:
        sock.sendall(request_bytes(method, path, body, headers, key, host))
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                reset = True
                break
            if not chunk:
                break
            data += chunk
            arrivals.append((time.monotonic(), len(data)))
    finally:
        sock.close()
    return Raw(bytes(data), reset, arrivals)


def dechunk(body):
    """A chunked body as (complete chunks, whether it ended with the last chunk, bytes of an
    incomplete chunk that were received, the size that chunk announced)."""
    chunks, pos = [], 0
    while True:
        eol = body.find(b"\r\n", pos)
        if eol < 0:
            return chunks, False, body[pos:], None
        size = int(body[pos:eol], 16)
        start = eol + 2
        if size == 0:
            return chunks, body[start:] == b"\r\n", b"", 0
        if len(body) < start + size + 2:
            return chunks, False, body[start:], size
        chunks.append(body[start:start + size])
        pos = start + size + 2


def timed(fn, *args, **kw):
    started = time.monotonic()
    result = fn(*args, **kw)
    return result, time.monotonic() - started


# ---- X-Mock-Status and Prefer: code= ---------------------------------------------------------

class InjectedStatus(unittest.TestCase):

    def test_each_status_has_its_realistic_envelope(self):
        srv = server()
        for status in (400, 401, 403, 404, 409, 429, 500, 502, 503, 504):
            with self.subTest(status=status):
                r = srv.post(GPT, headers={"X-Mock-Status": str(status)})
                self.assertEqual(r.status, status)
                self.assertEqual(r.header("content-type"), "application/json")
                self.assertEqual(r.body, injected(status, r.header("x-request-id")))

    def test_other_statuses(self):
        srv = server()
        for status, message, type_ in ((418, "Client Error.", "invalid_request_error"),
                                       (408, "Request Timeout.", "invalid_request_error"),
                                       (422, "Unprocessable Entity.", "invalid_request_error"),
                                       (599, "Server Error.", "server_error"),
                                       (501, "Not Implemented.", "server_error")):
            with self.subTest(status=status):
                r = srv.post(GPT, headers={"X-Mock-Status": str(status)})
                self.assertEqual(r.status, status)
                self.assertEqual(r.body, envelope(message, type_=type_))

    def test_retry_headers(self):
        srv = server()
        for status in (400, 401, 403, 404, 408, 409, 418, 429, 500, 502, 503, 504, 599):
            with self.subTest(status=status):
                r = srv.post(GPT, headers={"X-Mock-Status": str(status)})
                retry = status in (408, 409, 429) or status >= 500
                self.assertEqual(r.header("x-should-retry"), "true" if retry else "false")
                if status == 429 or status >= 500:
                    self.assertEqual(r.header("retry-after"), "1")
                    self.assertEqual(r.header("retry-after-ms"), "1000")
                else:
                    self.assertIsNone(r.header("retry-after"))
                    self.assertIsNone(r.header("retry-after-ms"))

    def test_messages_name_the_requested_model(self):
        srv = server()
        for model in ("dall-e-3", "gpt-image-2"):
            r = srv.post(dict(GPT, model=model), headers={"X-Mock-Status": "404"})
            self.assertEqual(r.body, injected(404, None, model=model))
            r = srv.post(dict(GPT, model=model), headers={"X-Mock-Status": "429"})
            self.assertEqual(r.body, injected(429, None, model=model))
        # without a model, the default model the body implies
        r = srv.post({"prompt": OTTER}, headers={"X-Mock-Status": "403"})
        self.assertEqual(r.body, injected(403, None, model="dall-e-2"))
        r = srv.post({"prompt": OTTER, "output_format": "png"}, headers={"X-Mock-Status": "403"})
        self.assertEqual(r.body, injected(403, None, model="gpt-image-1"))

    def test_401_masks_a_long_key(self):
        key = "sk-proj-" + "a" * 30 + "WXYZ"
        r = server().post(GPT, key=key, headers={"X-Mock-Status": "401"})
        self.assertEqual(r.status, 401)
        self.assertEqual(r.body, injected(401, None, key=key))
        self.assertIn("sk-proj-" + "*" * 30 + "WXYZ", r.json()["error"]["message"])

    def test_injected_before_validation_and_moderation(self):
        srv = server()
        for body in ("not json", {"prompt": ""}, dict(GPT, n=11), dict(GPT, size="1x1")):
            r = srv.post(body, headers={"X-Mock-Status": "503"})
            self.assertEqual(r.status, 503)
        r = srv.post(GPT, headers={"X-Mock-Status": "502", "X-Mock-Moderation": "sexual"})
        self.assertEqual(r.body, injected(502, None))
        # a stream request gets the JSON envelope, not a stream
        r = srv.post(STREAM, headers={"X-Mock-Status": "500"})
        self.assertEqual(r.status, 500)
        self.assertEqual(r.body, injected(500, r.header("x-request-id")))

    def test_the_key_is_still_checked_first(self):
        r = server().post(GPT, key=None, headers={"X-Mock-Status": "503"})
        self.assertEqual(r.status, 401)

    def test_200_means_no_injection(self):
        r = server().post(DALLE, headers={"X-Mock-Status": "200"})
        self.assertEqual(r.status, 200)
        self.assertIn("url", r.json()["data"][0])

    def test_both_paths(self):
        r = server().post(GPT, path="/images/generations", headers={"X-Mock-Status": "409"})
        self.assertEqual(r.status, 409)
        r = server().post(GPT, path="/v1/images/generations/", headers={"X-Mock-Status": "409"})
        self.assertEqual(r.status, 409)

    def test_prefer_code(self):
        srv = server()
        for prefer, status in (("code=404", 404), ("respond-async, code=404", 404), ("code=503", 503),
                               ("respond-async; code=429", 429), ("dynamic=true,code=500", 500)):
            with self.subTest(prefer=prefer):
                r = srv.post(GPT, headers={"Prefer": prefer})
                self.assertEqual(r.status, status)
                self.assertEqual(r.body, injected(status, r.header("x-request-id")))
        for prefer in ("respond-async", "code=200", "dynamic=true"):
            with self.subTest(prefer=prefer):
                self.assertEqual(srv.post(DALLE, headers={"Prefer": prefer}).status, 200)
        r = srv.post(GPT, headers={"Prefer": "code=abc"})
        self.assertEqual(r.status, 400)
        self.assertEqual(r.body, bad_control("Prefer", "code=abc", EXPECTED["Prefer"]))
        # X-Mock-Status wins over Prefer
        r = srv.post(GPT, headers={"Prefer": "code=404", "X-Mock-Status": "409"})
        self.assertEqual(r.status, 409)


# ---- bad control values -----------------------------------------------------------------------

class BadControls(unittest.TestCase):

    def test_each_header_names_itself(self):
        srv = server()
        cases = [("X-Mock-Status", "abc"), ("X-Mock-Status", "302"), ("X-Mock-Status", "600"),
                 ("X-Mock-Latency-Ms", "60001"), ("X-Mock-Latency-Ms", "-1"), ("X-Mock-Latency-Ms", "1.5"),
                 ("X-Mock-Stream-Delay-Ms", "60001"), ("X-Mock-Stream-Delay-Ms", "soon"),
                 ("X-Mock-Moderation", "hate speech"), ("X-Mock-Moderation", ",,"), ("X-Mock-Moderation", "a;b"),
                 ("X-Mock-Fault", "explode"), ("X-Mock-Fault", "500"),
                 ("X-Mock-Seed", "-1"), ("X-Mock-Seed", "18446744073709551616"), ("X-Mock-Seed", "0x10"),
                 ("Prefer", "code=abc"), ("Prefer", "code=302")]
        for header, value in cases:
            with self.subTest(header=header, value=value):
                r = srv.post(GPT, headers={header: value})
                self.assertEqual(r.status, 400)
                self.assertEqual(r.body, bad_control(header, value, EXPECTED[header]))
                self.assertEqual(r.json()["error"]["code"], "invalid_mock_control")

    def test_controls_are_judged_before_everything_else(self):
        srv = server()
        for extra in ({"X-Mock-Status": "500"}, {"X-Mock-Fault": "reset"}, {"X-Mock-Moderation": "sexual"}):
            r = srv.post("not json", headers=dict(extra, **{"X-Mock-Latency-Ms": "60001"}))
            self.assertEqual(r.body, bad_control("X-Mock-Latency-Ms", "60001", EXPECTED["X-Mock-Latency-Ms"]))

    def test_good_values_at_the_ends_of_their_ranges(self):
        srv = server()
        for header, value in (("X-Mock-Latency-Ms", "0"), ("X-Mock-Stream-Delay-Ms", "60000"),
                              ("X-Mock-Seed", "18446744073709551615"), ("X-Mock-Seed", "0")):
            with self.subTest(header=header):
                self.assertEqual(srv.post(DALLE, headers={header: value}).status, 200)

    def test_other_routes_ignore_controls(self):
        srv = server()
        headers = {"X-Mock-Status": "500", "X-Mock-Fault": "reset", "X-Mock-Latency-Ms": "nonsense"}
        self.assertEqual(srv.request("GET", "/health", headers=headers).status, 200)
        self.assertEqual(srv.request("GET", "/__mock/requests", headers=headers).status, 200)


# ---- latency ----------------------------------------------------------------------------------

class Latency(unittest.TestCase):

    def test_header_delays_the_answer(self):
        r, took = timed(server().post, DALLE, headers={"X-Mock-Latency-Ms": "300"})
        self.assertEqual(r.status, 200)
        self.assertGreaterEqual(took, 0.28)
        self.assertGreaterEqual(int(r.header("openai-processing-ms")), 300)

    def test_header_delays_errors_too(self):
        srv = server()
        r, took = timed(srv.post, GPT, headers={"X-Mock-Latency-Ms": "300", "X-Mock-Status": "503"})
        self.assertEqual(r.status, 503)
        self.assertGreaterEqual(took, 0.28)
        r, took = timed(srv.post, dict(GPT, n=0), headers={"X-Mock-Latency-Ms": "300"})
        self.assertEqual(r.status, 400)
        self.assertGreaterEqual(took, 0.28)

    def test_header_delays_a_stream_before_its_first_byte(self):
        started = time.monotonic()
        r = exchange(server(), STREAM, {"X-Mock-Latency-Ms": "300"})
        self.assertEqual(r.status, 200)
        self.assertGreaterEqual(r.arrivals[0][0] - started, 0.28)

    def test_latency_ms_option(self):
        srv = server("--latency-ms", "300")
        r, took = timed(srv.post, DALLE)
        self.assertEqual(r.status, 200)
        self.assertGreaterEqual(took, 0.28)
        r, took = timed(srv.post, "not json")
        self.assertEqual(r.status, 400)
        self.assertGreaterEqual(took, 0.28)
        # the header overrides the option
        r, took = timed(srv.post, DALLE, headers={"X-Mock-Latency-Ms": "600"})
        self.assertGreaterEqual(took, 0.58)

    def test_stream_delay_header_paces_events(self):
        srv = server()
        r = exchange(srv, dict(STREAM, partial_images=2), {"X-Mock-Stream-Delay-Ms": "300"})
        chunks, ended, _, _ = dechunk(r.body)
        self.assertTrue(ended)
        self.assertEqual(len(chunks), 3)
        first, last = r.arrivals[0][0], r.arrivals[-1][0]
        self.assertGreater(len(r.arrivals), 1, "the whole stream came in one piece")
        self.assertGreaterEqual(last - first, 0.5, "events were not paced")

    def test_stream_delay_header_bad_value(self):
        r = server().post(STREAM, headers={"X-Mock-Stream-Delay-Ms": "60001"})
        self.assertEqual(r.body, bad_control("X-Mock-Stream-Delay-Ms", "60001", EXPECTED["X-Mock-Stream-Delay-Ms"]))


# ---- moderation and the blocklist -------------------------------------------------------------

class Moderation(unittest.TestCase):

    def test_gpt_models_answer_moderation_blocked(self):
        srv = server()
        for model in ("gpt-image-1", "gpt-image-1-mini", "gpt-image-2"):
            with self.subTest(model=model):
                r = srv.post(dict(GPT, model=model), headers={"X-Mock-Moderation": "sexual"})
                self.assertEqual(r.status, 400)
                self.assertRegex(r.header("x-request-id"), r"^req_[0-9a-f]{32}$")
                self.assertEqual(r.body, moderation_envelope(r.header("x-request-id"), ["sexual"]))

    def test_several_categories_normalised(self):
        r = server().post(GPT, headers={"X-Mock-Moderation": "Sexual, VIOLENCE,,self-harm/intent"})
        self.assertEqual(r.body, moderation_envelope(r.header("x-request-id"),
                                                     ["sexual", "violence", "self-harm/intent"]))
        self.assertIn("safety_violations=[sexual, violence, self-harm/intent].", r.json()["error"]["message"])

    def test_dall_e_answers_content_policy_violation(self):
        srv = server()
        for model in ("dall-e-2", "dall-e-3"):
            with self.subTest(model=model):
                r = srv.post({"prompt": OTTER, "model": model}, headers={"X-Mock-Moderation": "violence"})
                self.assertEqual(r.status, 400)
                self.assertEqual(r.body, envelope(CONTENT_POLICY, code="content_policy_violation"))

    def test_validation_comes_first(self):
        r = server().post(dict(GPT, n=11), headers={"X-Mock-Moderation": "sexual"})
        self.assertEqual(r.json()["error"]["code"], "integer_above_max_value")

    def test_no_retry_headers(self):
        r = server().post(GPT, headers={"X-Mock-Moderation": "sexual"})
        self.assertEqual(r.status, 400)
        for name in ("x-should-retry", "retry-after", "retry-after-ms"):
            self.assertIsNone(r.header(name))

    def test_a_stream_request_gets_the_json_error(self):
        r = server().post(STREAM, headers={"X-Mock-Moderation": "hate"})
        self.assertEqual(r.header("content-type"), "application/json")
        self.assertEqual(r.body, moderation_envelope(r.header("x-request-id"), ["hate"]))

    def test_blocklist(self):
        srv = server("--blocklist", "kraken", "--blocklist", "Sea Monster")
        for prompt in ("A giant KRAKEN", "a sea monster at dawn", "krakens", "SEA MONSTER"):
            with self.subTest(prompt=prompt):
                r = srv.post(dict(GPT, prompt=prompt))
                self.assertEqual(r.body, moderation_envelope(r.header("x-request-id"), ["blocklist"]))
        r = srv.post({"prompt": "Kraken", "model": "dall-e-3"})
        self.assertEqual(r.body, envelope(CONTENT_POLICY, code="content_policy_violation"))
        self.assertEqual(srv.post(DALLE).status, 200)
        self.assertEqual(srv.post(dict(DALLE, prompt="sea  monster")).status, 200)
        # the header's categories are the verdict when both apply
        r = srv.post(dict(GPT, prompt="kraken"), headers={"X-Mock-Moderation": "violence"})
        self.assertEqual(r.body, moderation_envelope(r.header("x-request-id"), ["violence"]))

    def test_blocklist_from_environment(self):
        with Server("--quiet", env={"IMGMOCK_BLOCKLIST": "hydra,leviathan"}) as srv:
            r = srv.post(dict(GPT, prompt="The LEVIATHAN sleeps"))
            self.assertEqual(r.body, moderation_envelope(r.header("x-request-id"), ["blocklist"]))
            self.assertEqual(srv.post(dict(GPT, prompt="a hydra")).status, 400)
            self.assertEqual(srv.post(DALLE).status, 200)


# ---- faults -----------------------------------------------------------------------------------

class Faults(unittest.TestCase):

    def test_reset(self):
        srv = server()
        r = exchange(srv, DALLE, {"X-Mock-Fault": "reset"})
        self.assertEqual(r.data, b"")
        self.assertTrue(r.reset, "the connection was closed, not reset")
        self.assertEqual(r.kind(), "reset")
        # even an answer that would have been an error
        self.assertEqual(exchange(srv, "not json", {"X-Mock-Fault": "RESET"}).kind(), "reset")
        self.assertEqual(srv.request("GET", "/health").status, 200)  # and the server carries on

    def test_empty(self):
        srv = server()
        r = exchange(srv, DALLE, {"X-Mock-Fault": "empty"})
        self.assertEqual(r.data, b"")
        self.assertFalse(r.reset, "reset instead of closed")
        self.assertEqual(exchange(srv, GPT, {"X-Mock-Fault": "empty", "X-Mock-Status": "500"}).kind(), "empty")
        self.assertEqual(srv.post(DALLE).status, 200)

    def test_malformed(self):
        srv = server()
        for body in (GPT, DALLE):
            r = exchange(srv, body, {"X-Mock-Fault": "malformed"})
            self.assertEqual(r.status, 200)
            self.assertEqual(r.header("content-type"), "application/json")
            self.assertEqual(int(r.header("content-length")), len(r.body))  # complete, yet not JSON
            self.assertRegex(r.header("x-request-id"), r"^req_[0-9a-f]{32}$")
            with self.assertRaises(ValueError):
                json.loads(r.body)
            self.assertEqual(r.kind(), "malformed")
        # judged after validation: an invalid request still gets its error
        r = exchange(srv, dict(GPT, n=0), {"X-Mock-Fault": "malformed"})
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["error"]["code"], "integer_below_min_value")

    def test_truncate_a_body(self):
        srv = server()
        for body in (GPT, DALLE):
            with self.subTest(model=body["model"]):
                r = exchange(srv, body, {"X-Mock-Fault": "truncate"})
                self.assertEqual(r.status, 200)
                self.assertFalse(r.reset)
                length = int(r.header("content-length"))
                self.assertGreater(len(r.body), 0)
                self.assertLess(len(r.body), length)
                self.assertEqual(r.kind(), "truncate")
        r = exchange(srv, GPT, {"X-Mock-Fault": "truncate", "X-Mock-Status": "503"})
        self.assertEqual(r.status, 503)
        self.assertEqual(r.kind(), "truncate")

    def test_truncate_a_stream_mid_first_event(self):
        r = exchange(server(), dict(STREAM, partial_images=2), {"X-Mock-Fault": "truncate"})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("content-type"), "text/event-stream")
        self.assertEqual(r.header("transfer-encoding"), "chunked")
        chunks, ended, partial, announced = dechunk(r.body)
        self.assertEqual(chunks, [], "a complete event was sent")
        self.assertFalse(ended, "the stream has its terminating chunk")
        self.assertNotIn(b"0\r\n\r\n", r.body[-5:])
        self.assertTrue(partial.startswith(b"event: image_generation.partial_image\n"), partial[:60])
        self.assertLess(len(partial), announced)
        self.assertNotIn(b"\n\n", partial)
        self.assertEqual(r.kind(), "truncate")

    def test_a_cut_answer_closes_a_keep_alive_connection(self):
        """A client that asked to keep the connection open must not be left waiting for the rest."""
        srv = server()
        for body, fault in ((GPT, "truncate"), (STREAM, "truncate"), (DALLE, "empty")):
            with self.subTest(fault=fault, stream=body.get("stream", False)):
                req = request_bytes("POST", PATH, json.dumps(body).encode(), [("X-Mock-Fault", fault)],
                                    DEFAULT_KEY, f"{srv.host}:{srv.port}").replace(b"Connection: close\r\n", b"")
                sock = socket.create_connection((srv.host, srv.port), timeout=5)
                data = b""
                try:
                    sock.sendall(req)
                    while True:
                        try:
                            chunk = sock.recv(65536)
                        except socket.timeout:
                            self.fail("the connection was left open after the answer was cut short")
                        if not chunk:
                            break
                        data += chunk
                finally:
                    sock.close()
                if fault == "truncate":
                    self.assertTrue(data.startswith(b"HTTP/1.1 200 OK\r\n"), data[:40])
                else:
                    self.assertEqual(data, b"")


# ---- X-Mock-Seed ------------------------------------------------------------------------------

class Seed(unittest.TestCase):

    def test_header_seed_equals_the_option(self):
        body = dict(GPT, output_format="jpeg")
        by_header = server().post(body, headers={"X-Mock-Seed": "7"}).json()["data"][0]["b64_json"]
        by_option = server("--seed", "7").post(body).json()["data"][0]["b64_json"]
        default = server().post(body).json()["data"][0]["b64_json"]
        self.assertEqual(by_header, by_option)
        self.assertNotEqual(by_header, default)
        # and the header wins over the option
        self.assertEqual(server("--seed", "7").post(body, headers={"X-Mock-Seed": "0"}).json()["data"][0]["b64_json"],
                         default)
        self.assertEqual(base64.b64decode(by_header)[:3], b"\xff\xd8\xff")


# ---- --fault-rate and --fault-seed ------------------------------------------------------------

def outcomes(srv, count=40):
    """The kind of each of `count` identical requests sent in order: a fault or a status."""
    return [exchange(srv, DALLE).kind() for _ in range(count)]


class FaultRate(unittest.TestCase):

    def test_same_seed_same_sequence(self):
        args = ("--fault-rate", "0.5", "--fault-seed", "42")
        first, second = outcomes(fresh_server(*args)), outcomes(fresh_server(*args))
        self.assertEqual(first, second)
        self.assertIn("200", first)
        self.assertTrue(set(first) - {"200"}, "no fault in 40 requests at rate 0.5")
        self.assertLessEqual(set(first), FAULT_KINDS | {"200"})
        other = outcomes(fresh_server("--fault-rate", "0.5", "--fault-seed", "43"))
        self.assertNotEqual(first, other)

    def test_rate_zero_never_and_one_always(self):
        self.assertEqual(outcomes(fresh_server("--fault-rate", "0", "--fault-seed", "42")), ["200"] * 40)
        always = outcomes(fresh_server("--fault-rate", "1", "--fault-seed", "42"))
        self.assertNotIn("200", always)
        self.assertLessEqual(set(always), FAULT_KINDS)
        self.assertGreaterEqual(len(set(always)), 4, always)

    def test_only_api_requests_take_a_number(self):
        """/health, refused keys, wrong methods and the journal do not move the k of the draw."""
        args = ("--fault-rate", "0.5", "--fault-seed", "42")
        plain = outcomes(fresh_server(*args), 20)
        srv = fresh_server(*args)
        mixed = []
        for _ in range(20):
            srv.request("GET", "/health")
            self.assertEqual(srv.post(DALLE, key=None).status, 401)
            self.assertEqual(srv.request("GET", PATH).status, 405)
            srv.request("GET", "/__mock/requests")
            mixed.append(exchange(srv, DALLE).kind())
        self.assertEqual(mixed, plain)
        # both paths share the count
        srv = fresh_server(*args)
        both = [exchange(srv, DALLE, path=PATH if k % 2 else "/images/generations").kind() for k in range(20)]
        self.assertEqual(both, plain)

    def test_explicit_controls_win_over_the_draw(self):
        srv = fresh_server("--fault-rate", "1", "--fault-seed", "42")
        kinds = [exchange(srv, DALLE, {"X-Mock-Status": "404"}).kind() for _ in range(40)]
        self.assertIn("404", kinds)
        self.assertLessEqual(set(kinds), {"404", "reset", "empty", "truncate"}, "a drawn status replaced X-Mock-Status")
        self.assertEqual([exchange(srv, DALLE, {"X-Mock-Fault": "malformed"}).kind() for _ in range(20)],
                         ["malformed"] * 20)

    def test_drawn_statuses_are_ordinary_errors(self):
        srv = fresh_server("--fault-rate", "1", "--fault-seed", "7")
        seen = set()
        for _ in range(40):
            r = exchange(srv, DALLE)
            if r.kind() in ("500", "503"):
                seen.add(r.kind())
                status = int(r.kind())
                self.assertEqual(r.body, injected(status, r.header("x-request-id")))
                self.assertEqual(r.header("x-should-retry"), "true")
                self.assertEqual(r.header("retry-after"), "1")
        self.assertTrue(seen, "no 500 or 503 drawn in 40 requests at rate 1")
        # only the API is subject to faults
        for _ in range(5):
            self.assertEqual(srv.request("GET", "/health").status, 200)
            self.assertEqual(srv.request("GET", "/__mock/requests").status, 200)


# ---- rate limits --------------------------------------------------------------------------------

def limit_headers(r):
    return {k: v for k, v in r.headers.items() if k.startswith("x-ratelimit-")}


class RateLimits(unittest.TestCase):

    def fill(self, srv, key, count, body=GPT):
        """`count` admitted requests; returns their answers."""
        answers = [srv.post(body, key=key) for _ in range(count)]
        for r in answers:
            self.assertEqual(r.status, 200, r.body[:300])
        return answers

    def test_requests_count_down_then_429(self):
        srv, key = server("--rpm", "3"), fresh_key("rpm")
        started = time.monotonic()
        for i, r in enumerate(self.fill(srv, key, 3)):
            self.assertEqual(limit_headers(r), {"x-ratelimit-limit-requests": "3",
                                                "x-ratelimit-remaining-requests": str(2 - i),
                                                "x-ratelimit-reset-requests": "1m0s"})
        r = srv.post(GPT, key=key)
        elapsed_ms = (time.monotonic() - started) * 1000
        self.assertEqual(r.status, 429)
        self.assertEqual(r.header("x-should-retry"), "true")
        retry_ms = int(r.header("retry-after-ms"))
        self.assertGreaterEqual(retry_ms, 1)
        self.assertLessEqual(retry_ms, 60000)
        self.assertGreaterEqual(retry_ms, 60000 - elapsed_ms - 1000, "the first request leaves the window sooner")
        self.assertEqual(int(r.header("retry-after")), -(-retry_ms // 1000))
        self.assertEqual(r.header("x-ratelimit-limit-requests"), "3")
        self.assertEqual(r.header("x-ratelimit-remaining-requests"), "0")
        error = r.json()["error"]
        self.assertEqual((error["type"], error["param"], error["code"]), ("requests", None, "rate_limit_exceeded"))
        prefix = ("Rate limit reached for gpt-image-1 in organization org-mock on requests per min: Limit 3, Used 3, "
                  "Requested 1. Please try again in ")
        self.assertTrue(error["message"].startswith(prefix), error["message"])
        self.assertTrue(error["message"].endswith("." + RATE_LIMIT_TAIL), error["message"])
        # refused requests are not counted
        again = srv.post(GPT, key=key)
        self.assertEqual(again.status, 429)
        self.assertIn("Limit 3, Used 3, Requested 1.", again.json()["error"]["message"])

    def test_429_message_exactly(self):
        srv, key = server("--rpm", "3"), fresh_key("rpm")
        self.fill(srv, key, 3)
        r = srv.post(GPT, key=key)
        self.assertEqual(r.status, 429)
        retry_ms = int(r.header("retry-after-ms"))
        self.assertEqual(r.body, envelope(rate_message("gpt-image-1", "requests", 3, 3, 1, duration(retry_ms)),
                                          type_="requests", code="rate_limit_exceeded"))

    def test_reset_headers_are_well_formed_durations(self):
        srv, key = server("--rpm", "3"), fresh_key("rpm")
        self.fill(srv, key, 3)
        for r in (srv.post(GPT, key=key), srv.post("not json", key=key)):
            reset = r.header("x-ratelimit-reset-requests")
            self.assertRegex(reset, WELL_FORMED_DURATION, "x-ratelimit-reset-requests: %s" % reset)

    def test_keys_are_independent(self):
        srv, a, b = server("--rpm", "3"), fresh_key("a"), fresh_key("b")
        self.fill(srv, a, 3)
        self.assertEqual(srv.post(GPT, key=a).status, 429)
        r = srv.post(GPT, key=b)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("x-ratelimit-remaining-requests"), "2")
        self.assertEqual(srv.post(GPT, key=a).status, 429)

    def test_the_model_in_the_message_is_the_requests(self):
        srv, key = server("--rpm", "1"), fresh_key("model")
        self.fill(srv, key, 1, body=DALLE)
        r = srv.post(dict(DALLE, model="dall-e-3", size="1024x1024"), key=key)
        self.assertEqual(r.status, 429)
        self.assertTrue(r.json()["error"]["message"].startswith("Rate limit reached for dall-e-3 in organization "
                                                                "org-mock on requests per min: Limit 1, Used 1,"))

    def test_every_answer_of_the_endpoint_carries_the_headers(self):
        srv, key = server("--rpm", "3"), fresh_key("hdr")
        answers = {
            "validation": srv.post(dict(GPT, n=0), key=key),
            "not json": srv.post("not json", key=key),
            "injected": srv.post(GPT, key=key, headers={"X-Mock-Status": "500"}),
            "moderation": srv.post(GPT, key=key, headers={"X-Mock-Moderation": "sexual"}),
            "bad control": srv.post(GPT, key=key, headers={"X-Mock-Seed": "x"}),
        }
        for what, r in answers.items():
            with self.subTest(answer=what):
                self.assertGreaterEqual(r.status, 400)
                self.assertEqual(r.header("x-ratelimit-limit-requests"), "3")
                self.assertEqual(r.header("x-ratelimit-remaining-requests"), "3")  # none of them counted
                self.assertIsNotNone(r.header("x-ratelimit-reset-requests"))
        self.fill(srv, key, 1)
        r = srv.post(dict(GPT, n=0), key=key)
        self.assertEqual(r.header("x-ratelimit-remaining-requests"), "2")  # a look, not a count
        r = srv.post(GPT, key=key, headers={"X-Mock-Status": "503"})
        self.assertEqual(r.header("x-ratelimit-remaining-requests"), "2")
        self.fill(srv, key, 2)
        self.assertEqual(srv.post(GPT, key=key).status, 429)
        # a stream answer carries them too
        srv2, key2 = server("--rpm", "3"), fresh_key("stream")
        r = exchange(srv2, STREAM, key=key2)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("x-ratelimit-remaining-requests"), "2")

    def test_no_headers_without_limits(self):
        srv = server()
        for r in (srv.post(DALLE), srv.post(dict(GPT, n=0)), srv.post(GPT, headers={"X-Mock-Status": "429"})):
            self.assertEqual(limit_headers(r), {})

    def test_images_per_minute(self):
        srv, key = server("--ipm", "4"), fresh_key("ipm")
        r = srv.post(dict(DALLE, n=3), key=key)
        self.assertEqual(r.status, 200)
        self.assertEqual(limit_headers(r), {"x-ratelimit-limit-images": "4", "x-ratelimit-remaining-images": "1",
                                            "x-ratelimit-reset-images": "1m0s"})
        r = srv.post(dict(DALLE, n=2), key=key)
        self.assertEqual(r.status, 429)
        self.assertEqual(r.header("x-ratelimit-remaining-images"), "1")
        retry_ms = int(r.header("retry-after-ms"))
        self.assertTrue(1 <= retry_ms <= 60000, retry_ms)
        error = r.json()["error"]
        self.assertEqual((error["type"], error["code"]), ("requests", "rate_limit_exceeded"))
        self.assertTrue(error["message"].startswith("Rate limit reached for dall-e-2 in organization org-mock on "
                                                    "images per min: Limit 4, Used 3, Requested 2. Please try again "
                                                    "in "), error["message"])
        r = srv.post(dict(DALLE, n=1), key=key)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("x-ratelimit-remaining-images"), "0")
        r = srv.post(dict(DALLE, n=1), key=key)
        self.assertEqual(r.status, 429)
        self.assertIn("Limit 4, Used 4, Requested 1.", r.json()["error"]["message"])

    def test_both_windows(self):
        srv, key = server("--rpm", "5", "--ipm", "6"), fresh_key("both")
        r = srv.post(dict(DALLE, n=2), key=key)
        self.assertEqual(limit_headers(r), {
            "x-ratelimit-limit-requests": "5", "x-ratelimit-remaining-requests": "4",
            "x-ratelimit-reset-requests": "1m0s",
            "x-ratelimit-limit-images": "6", "x-ratelimit-remaining-images": "4",
            "x-ratelimit-reset-images": "1m0s"})
        self.assertEqual(srv.post(dict(DALLE, n=4), key=key).status, 200)
        r = srv.post(dict(DALLE, n=1), key=key)
        self.assertEqual(r.status, 429)
        self.assertIn("on images per min: Limit 6, Used 6, Requested 1.", r.json()["error"]["message"])
        self.assertEqual(r.header("x-ratelimit-remaining-requests"), "3")

    def test_more_images_than_the_limit_is_not_an_invitation_to_retry_at_once(self):
        """n above --ipm can never fit, however long the client waits: a 429 that says "try again
        in 0ms" with x-should-retry: true sends the SDKs into retries that cannot succeed."""
        srv, key = server("--ipm", "4"), fresh_key("huge")
        r = srv.post(dict(DALLE, n=5), key=key)
        self.assertGreaterEqual(r.status, 400)
        if r.status == 429 and r.header("x-should-retry") == "true":
            self.assertGreaterEqual(int(r.header("retry-after-ms")), 1, r.json()["error"]["message"])
            self.assertNotIn("try again in 0ms", r.json()["error"]["message"])

    @unittest.skipUnless(os.environ.get("IMGMOCK_SLOW_TESTS"), "waits a minute; set IMGMOCK_SLOW_TESTS=1")
    def test_the_window_slides(self):
        srv, key = server("--rpm", "1"), fresh_key("slide")
        self.fill(srv, key, 1, body=DALLE)
        r = srv.post(DALLE, key=key)
        self.assertEqual(r.status, 429)
        time.sleep(int(r.header("retry-after-ms")) / 1000 + 0.2)
        r = srv.post(DALLE, key=key)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("x-ratelimit-remaining-requests"), "0")


# ---- the journal --------------------------------------------------------------------------------

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
ENTRY_KEYS = ["time", "request_id", "method", "path", "query", "headers", "body", "body_bytes", "status",
              "duration_ms"]


def journal(srv, count=None, last=None, wait=2.0):
    """GET /__mock/requests: its entries. With `count` (entries expected) or `last` (the
    x-request-id of the newest answer), wait up to `wait` s for them: an exchange is recorded when
    it ends, which can be just after its client has the answer. That race is
    Journal.test_an_answer_is_journaled_before_its_client_has_it's business; the other tests only
    wait it out."""
    deadline = time.monotonic() + wait
    while True:
        r = srv.request("GET", "/__mock/requests", key=None)
        assert r.status == 200, r.status
        assert r.header("content-type") == "application/json", r.header("content-type")
        doc = json.loads(r.body)
        assert list(doc) == ["requests"], list(doc)
        entries = doc["requests"]
        settled = ((count is None or len(entries) == count) and
                   (last is None or (entries and entries[-1]["request_id"] == last)))
        if settled or time.monotonic() > deadline:
            return entries
        time.sleep(0.01)


def clear(srv):
    r = srv.request("DELETE", "/__mock/requests", key=None)
    assert r.status == 204 and r.body == b"", (r.status, r.body)


class Journal(unittest.TestCase):

    def test_entries_in_order_with_every_field(self):
        srv = fresh_server()
        clear(srv)
        key = "sk-proj-abcdefghijklmnopqrstWXYZ"
        first = srv.post(DALLE, key=key, path=PATH + "?trace=1&x=y",
                         headers={"X-Mock-Latency-Ms": "50", "X-Custom": "hello"})
        second = srv.post(dict(GPT, n=0), key="short-key")
        third = srv.request("GET", "/health", key=None)
        entries = journal(srv, 3, last=third.header("x-request-id"))
        self.assertEqual(len(entries), 3)
        for e in entries:
            self.assertEqual(list(e), ENTRY_KEYS)
            self.assertRegex(e["time"], STAMP)
            self.assertIsInstance(e["duration_ms"], (int, float))
            self.assertGreaterEqual(e["duration_ms"], 0)
        a, b, c = entries
        self.assertEqual(a["request_id"], first.header("x-request-id"))
        self.assertEqual((a["method"], a["path"], a["query"], a["status"]), ("POST", PATH, "trace=1&x=y", 200))
        self.assertEqual(a["body"], json.dumps(DALLE))
        self.assertEqual(a["body_bytes"], len(json.dumps(DALLE).encode()))
        self.assertEqual(a["headers"]["Authorization"], "Bearer sk-proj-" + "*" * (len(key) - 12) + "WXYZ")
        self.assertEqual(a["headers"]["Authorization"], "Bearer " + mask(key))
        self.assertEqual(a["headers"]["X-Custom"], "hello")
        self.assertEqual(a["headers"]["X-Mock-Latency-Ms"], "50")
        self.assertEqual(a["headers"]["Content-Type"], "application/json")
        self.assertEqual(a["headers"]["Content-Length"], str(a["body_bytes"]))
        self.assertGreaterEqual(a["duration_ms"], 45)
        self.assertEqual(b["request_id"], second.header("x-request-id"))
        self.assertEqual((b["status"], b["query"]), (400, None))
        self.assertEqual(b["headers"]["Authorization"], "Bearer short-key")  # 12 or fewer: whole, as the 401 has it
        self.assertEqual(c["request_id"], third.header("x-request-id"))
        self.assertEqual((c["method"], c["path"], c["status"], c["body"], c["body_bytes"]), ("GET", "/health", 200,
                                                                                              None, 0))
        self.assertNotIn("Authorization", c["headers"])
        stamp = calendar.timegm(time.strptime(a["time"], "%Y-%m-%dT%H:%M:%SZ"))
        self.assertLess(abs(stamp - time.time()), 120)

    def test_errors_and_basic_credentials_are_journaled(self):
        srv = fresh_server("--api-key", "sk-right-key-0123456789")
        clear(srv)
        srv.post(DALLE, key=None)
        srv.post(DALLE, key="sk-wrong-key-0123456789")
        cred = base64.b64encode(b":sk-right-key-0123456789").decode()
        srv.post(DALLE, key=None, headers={"Authorization": "Basic " + cred})
        last = srv.request("GET", "/nowhere", key=None)
        entries = journal(srv, 4, last=last.header("x-request-id"))
        self.assertEqual([e["status"] for e in entries], [401, 401, 200, 404])
        self.assertEqual([e["body"] for e in entries[:2]], [None, None])  # refused before the body was read
        self.assertEqual(entries[2]["body"], json.dumps(DALLE))
        self.assertNotIn("Authorization", entries[0]["headers"])
        self.assertEqual(entries[1]["headers"]["Authorization"], "Bearer " + mask("sk-wrong-key-0123456789"))
        self.assertEqual(entries[2]["headers"]["Authorization"], "Basic " + mask("sk-right-key-0123456789"))
        self.assertEqual(entries[3]["path"], "/nowhere")
        # the journal needs no key, even when keys are configured
        self.assertEqual(srv.request("GET", "/__mock/requests", key=None).status, 200)
        self.assertEqual(srv.request("DELETE", "/__mock/requests", key=None).status, 204)
        self.assertEqual(journal(srv), [])

    def test_bodies(self):
        srv = fresh_server()
        clear(srv)
        big = json.dumps({"prompt": "a" * 70000}).encode()
        odd = b'{"prompt": "caf\xc3\xa9 \xff"}'  # not UTF-8
        first = srv.post(big)
        self.assertEqual(first.status, 400)
        second = srv.post(odd)
        self.assertEqual(second.status, 400)
        # by request id: the order of entries is the subject of test_an_answer_is_journaled_before_…
        entries = {e["request_id"]: e for e in journal(srv, 2)}
        kept, mended = entries[first.header("x-request-id")], entries[second.header("x-request-id")]
        self.assertEqual(kept["body_bytes"], len(big))
        self.assertEqual(kept["body"], big[:65536].decode())
        self.assertEqual(mended["body"], '{"prompt": "caf\u00e9 \ufffd"}')
        self.assertEqual(mended["body_bytes"], len(odd))

    def test_delete_empties_it(self):
        srv = fresh_server()
        for _ in range(3):
            srv.post(DALLE)
        self.assertEqual(len(journal(srv, 3)), 3)
        r = srv.request("DELETE", "/__mock/requests", key=None)
        self.assertEqual(r.status, 204)
        self.assertEqual(r.body, b"")
        self.assertEqual(journal(srv), [])
        srv.post(DALLE)
        self.assertEqual(len(journal(srv, 1)), 1)

    def test_mock_routes_are_not_journaled(self):
        srv = fresh_server()
        clear(srv)
        journal(srv)
        srv.request("GET", "/__mock/other", key=None)
        srv.request("POST", "/__mock/requests", key=None, body="{}")
        srv.request("HEAD", "/__mock/requests", key=None)
        self.assertEqual(journal(srv), [])

    def test_faulted_requests_are_journaled(self):
        srv = fresh_server()
        clear(srv)
        exchange(srv, DALLE, {"X-Mock-Fault": "reset"})
        exchange(srv, DALLE, {"X-Mock-Fault": "truncate"})
        exchange(srv, DALLE, {"X-Mock-Fault": "empty"})
        entries = journal(srv, 3)
        self.assertEqual(sorted(e["headers"]["X-Mock-Fault"] for e in entries), ["empty", "reset", "truncate"])
        for e in entries:
            self.assertEqual((e["method"], e["path"], e["body"]), ("POST", PATH, json.dumps(DALLE)))
            self.assertEqual(e["status"], 0)  # nothing, or not all, was sent

    def test_an_answer_is_journaled_before_its_client_has_it(self):
        """A test verifies its calls right after making them: by the time a client has read an
        answer (or seen its connection reset), the journal must already hold the exchange, or such
        checks fail now and then."""
        srv = fresh_server("--journal", "100000")
        clear(srv)
        late = []
        for i in range(300):
            if i % 3 == 2:
                exchange(srv, DALLE, {"X-Mock-Fault": "reset"})
            else:
                srv.post(DALLE)  # http.client: done once content-length bytes are in
            seen = len(journal(srv))
            if seen != i + 1:
                late.append(i)
        self.assertEqual(late, [], "%d of 300 exchanges were not in the journal yet when their client had the "
                                   "answer" % len(late))

    def test_capacity(self):
        srv = fresh_server("--journal", "2")
        for i in range(5):
            r = srv.post(dict(DALLE, prompt=f"prompt {i}"))
        entries = journal(srv, 2, last=r.header("x-request-id"))
        self.assertEqual([json.loads(e["body"])["prompt"] for e in entries], ["prompt 3", "prompt 4"])

    def test_capacity_zero(self):
        srv = fresh_server("--journal", "0")
        srv.post(DALLE)
        srv.request("GET", "/health")
        self.assertEqual(journal(srv), [])
        self.assertEqual(srv.request("GET", "/__mock/requests").body, b'{\n  "requests": []\n}\n')


class MockRoutes(unittest.TestCase):

    def test_unknown_mock_route_is_a_404_envelope(self):
        srv = server()
        for path in ("/__mock/other", "/__mock", "/__mock/", "/__mock/requests/1", "/v1/__mock/requests"):
            with self.subTest(path=path):
                r = srv.request("GET", path, key=None)
                self.assertEqual(r.status, 404)
                self.assertEqual(r.body, envelope(f"Invalid URL (GET {path})"))

    def test_wrong_method_is_a_405(self):
        srv = server()
        for method in ("POST", "PUT", "PATCH"):
            with self.subTest(method=method):
                r = srv.request(method, "/__mock/requests", body="{}", key=None)
                self.assertEqual(r.status, 405)
                self.assertEqual(r.body, envelope(f"Invalid URL ({method} /__mock/requests)"))
                self.assertEqual(r.header("allow"), "GET, HEAD, DELETE, OPTIONS")

    def test_methods_and_trailing_slash(self):
        srv = server()
        self.assertEqual(srv.request("GET", "/__mock/requests/", key=None).status, 200)
        r = srv.request("HEAD", "/__mock/requests", key=None)
        self.assertEqual((r.status, r.body), (200, b""))
        self.assertEqual(srv.request("OPTIONS", "/__mock/requests", key=None).status, 204)

    def test_api_routes_do_not_reach_the_journal(self):
        srv = server()
        self.assertEqual(srv.request("DELETE", PATH).status, 405)
        self.assertEqual(srv.request("GET", PATH).status, 405)


# ---- --clock ------------------------------------------------------------------------------------

CLOCK = 1700000000
CLOCK_DATE = "Tue, 14 Nov 2023 22:13:20 GMT"
FIXED_HOST = "imgmock.test"


def clock_sequence(srv):
    """A mix of answers, each on its own connection with a fixed Host (URLs are built from it)."""
    def ask(body=None, headers=(), **kw):
        return exchange(srv, body, headers, host=FIXED_HOST, **kw)
    return [
        ask(GPT),
        ask(dict(GPT, model="gpt-image-2", output_format="webp")),
        ask(dict(STREAM, partial_images=2)),
        ask(dict(GPT, n=11)),
        ask(GPT, [("X-Mock-Status", "500")]),
        ask(GPT, [("X-Mock-Moderation", "sexual")]),
        ask(GPT, [("X-Mock-Latency-Ms", "30")]),
        ask(GPT, [("X-Mock-Fault", "malformed")]),
        ask(GPT, [("X-Mock-Seed", "9")]),
        ask(DALLE, key=None),
        ask(method="GET", path="/nowhere"),
        ask(method="GET", path="/health"),
    ]


class Clock(unittest.TestCase):

    def test_two_processes_answer_byte_for_byte_alike(self):
        args = ("--clock", str(CLOCK), "--seed", "5", "--secret", "shared")
        first, second = clock_sequence(fresh_server(*args)), clock_sequence(fresh_server(*args))
        for i, (a, b) in enumerate(zip(first, second)):
            with self.subTest(request=i):
                self.assertTrue(a.data)
                self.assertEqual(a.data, b.data)
        for i, r in enumerate(first):
            self.assertEqual(r.header("date"), CLOCK_DATE)
            self.assertEqual(r.header("openai-processing-ms"), "30" if i == 6 else "0")
        self.assertEqual(first[0].json()["created"], CLOCK)
        events = [json.loads(c.split(b"data: ", 1)[1]) for c in dechunk(first[2].body)[0]]
        self.assertEqual([e["created_at"] for e in events], [CLOCK] * 3)
        # another --seed: other request ids (and pictures)
        other = clock_sequence(fresh_server("--clock", str(CLOCK), "--seed", "6", "--secret", "shared"))
        self.assertNotEqual(first[3].header("x-request-id"), other[3].header("x-request-id"))
        self.assertNotEqual(first[0].body, other[0].body)

    def test_url_answers_need_the_same_secret(self):
        """URLs are signed with --secret: without one each process draws its own key, so only the
        URL differs (the README says so)."""
        args = ("--clock", str(CLOCK), "--seed", "5")
        ra = exchange(fresh_server(*args), DALLE, host=FIXED_HOST)
        rb = exchange(fresh_server(*args), DALLE, host=FIXED_HOST)
        self.assertEqual(ra.json()["created"], CLOCK)
        self.assertNotEqual(ra.json()["data"][0]["url"], rb.json()["data"][0]["url"])
        self.assertEqual(re.sub(rb"/images/[^.]+\.png", b"", ra.data), re.sub(rb"/images/[^.]+\.png", b"", rb.data))

    def test_processing_ms_is_the_injected_latency(self):
        """Under --clock, openai-processing-ms is the injected wait (http.c: 'then the processing
        time is the injected one'), so it is the same in every run and still says what was asked."""
        srv = server("--clock", str(CLOCK))
        r = exchange(srv, GPT, [("X-Mock-Latency-Ms", "120")])
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("openai-processing-ms"), "120")
        r = exchange(server("--clock", str(CLOCK), "--latency-ms", "80"), DALLE)
        self.assertEqual(r.header("openai-processing-ms"), "80")

    def test_journal_follows_the_clock(self):
        srv = fresh_server("--clock", str(CLOCK))
        clear(srv)
        srv.post(DALLE)
        entries = journal(srv)
        self.assertEqual(entries[0]["time"], "2023-11-14T22:13:20Z")

    def test_journal_answers_alike_but_for_durations(self):
        """Under --clock the journal's times and request ids follow the clock and --seed; only
        duration_ms stays real time (as the README says)."""
        args = ("--clock", str(CLOCK), "--seed", "5")
        dumps = []
        for srv in (fresh_server(*args), fresh_server(*args)):
            exchange(srv, GPT, host=FIXED_HOST)
            exchange(srv, GPT, [("X-Mock-Latency-Ms", "40")], host=FIXED_HOST)
            journal(srv, 2)
            dump = exchange(srv, method="GET", path="/__mock/requests", host=FIXED_HOST)
            self.assertEqual(len(dump.json()["requests"]), 2)
            # a duration's digits change the body's length, so its content-length goes too
            dumps.append(re.sub(rb'"duration_ms": [0-9.]+', b'"duration_ms": D',
                                re.sub(rb"content-length: [0-9]+", b"content-length: L", dump.data)))
        self.assertEqual(dumps[0], dumps[1])

    def test_url_expiry_is_computed_from_the_clock(self):
        secret = ("--secret", "clock-secret", "--url-ttl", "100")
        minted = exchange(fresh_server("--clock", str(CLOCK), *secret), DALLE)
        url = minted.json()["data"][0]["url"]
        path = "/" + url.split("/", 3)[3]
        for clock, status in ((CLOCK, 200), (CLOCK + 100, 200), (CLOCK + 101, 403), (CLOCK - 3600, 200)):
            with self.subTest(clock=clock):
                r = fresh_server("--clock", str(clock), *secret).request("GET", path, key=None)
                self.assertEqual(r.status, status, r.body[:200])
                if status == 403:
                    self.assertEqual(r.json()["error"]["code"], "expired_image_url")
        # the real clock is long past 2023: expired
        r = fresh_server(*secret).request("GET", path, key=None)
        self.assertEqual(r.status, 403)
        self.assertEqual(r.json()["error"]["code"], "expired_image_url")

    def test_request_ids_random_without_the_clock(self):
        a, b = fresh_server("--seed", "5"), fresh_server("--seed", "5")
        self.assertNotEqual(a.post(DALLE).header("x-request-id"), b.post(DALLE).header("x-request-id"))


if __name__ == "__main__":
    main()

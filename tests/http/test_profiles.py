"""Gateway profiles (--profile, spec §10), end to end: what each gateway of the seed documents
changes, and that --profile openai is the default.

- aihubmix (seeds 000, 001): keys must start with sk-gateway- (else 401 invalid_api_key, key
  masked); its five models, in its order; the request id only in the X-Request-Id header, never
  in a message (injected 500, moderation).
- applerouter (seed 002): the documented path with its trailing slash; `stream` also as the
  strings "true" and "false" (nothing else); `usage` on every answer, DALL·E's too.
- tokenops (seed 003): every error, whatever its kind, as {"error": {"code": <HTTP status>,
  "message": …, "details": []}}; models dall-e-2, dall-e-3, gpt-image-1.
- acedata (seed 004): /openai/images/generations only; `model` required; dall-e-3, gpt-image-1
  and gpt-image-1.5 only; `callback_url` checked for http(s).

harness.Server.request validates every JSON answer against the OpenAI schemas in schemas/;
answers in a gateway's own shape (TokenOps' errors, AppleRouter's DALL·E usage) would fail that
check whatever they hold, so every request here goes through `exchange` below (http.client or a
raw socket, no schema check) and the tests assert the gateway's shape themselves.

Run: IMGMOCK_BIN=build/imgmock /usr/bin/python3 tests/http/test_profiles.py
"""
import http.client
import json
import re
import socket
import subprocess
import unittest

from harness import Server, envelope, main, run_imgmock, split_response

PATH = "/v1/images/generations"
ACE_PATH = "/openai/images/generations"
OTTER = "A cute baby sea otter"
GW_KEY = "sk-gateway-test"
REQUEST_ID = re.compile(r"^req_[0-9a-f]{32}$")

MISSING_KEY = ("You didn't provide an API key. You need to provide your API key in an Authorization header "
               "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank "
               "username) if you're accessing the API from your browser and are prompted for a username and "
               "password. You can obtain an API key from https://platform.openai.com/account/api-keys.")


def rejected(masked):
    return (f"Incorrect API key provided: {masked}. You can find your API key at "
            "https://platform.openai.com/account/api-keys.")


def unknown_model(name, served):
    listed = ", ".join(f"'{m}'" for m in served[:-1]) + f", and '{served[-1]}'"
    return f"Invalid value: '{name}'. Supported values are: {listed}."


def code_details(status, message):
    """The exact bytes of a TokenOps error body as imgmock writes it."""
    return (json.dumps({"error": {"code": status, "message": message, "details": []}}, indent=4) + "\n").encode()


AIHUBMIX_MODELS = ["gpt-image-1.5", "dall-e-2", "dall-e-3", "gpt-image-1", "gpt-image-1-mini"]
TOKENOPS_MODELS = ["dall-e-2", "dall-e-3", "gpt-image-1"]
ACEDATA_MODELS = ["dall-e-3", "gpt-image-1", "gpt-image-1.5"]
# one quick request per model: small DALL·E sizes, low GPT quality
QUICK = {"dall-e-2": {"size": "256x256"}, "dall-e-3": {}, "gpt-image-1": {"quality": "low"},
         "gpt-image-1-mini": {"quality": "low"}, "gpt-image-1.5": {"quality": "low"},
         "gpt-image-2": {"quality": "low"}, "chatgpt-image-latest": {"quality": "low"}}


class Answer:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        return self.headers.get(name.lower())


def exchange(srv, body=None, path=PATH, key="sk-test-key", headers=None, method="POST"):
    """One request over http.client, with no schema check (see the module docstring)."""
    hdrs = {"Content-Type": "application/json"}
    if key is not None:
        hdrs["Authorization"] = f"Bearer {key}"
    hdrs.update(headers or {})
    data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
    conn = http.client.HTTPConnection(srv.host, srv.port, timeout=30)
    try:
        conn.request(method, path, body=data, headers=hdrs)
        r = conn.getresponse()
        return Answer(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    finally:
        conn.close()


# ---- servers: one per profile, started on first use, stopped (and checked) at the end -------------

_servers = {}


def server(*args):
    if args not in _servers:
        _servers[args] = Server("--quiet", *args)
    return _servers[args]


def profile(name):
    return server("--profile", name)


def tearDownModule():
    failures = []
    for args, srv in list(_servers.items()):
        try:
            code = srv.stop(timeout=30)
        except subprocess.TimeoutExpired:
            failures.append((args, "still running 30 s after SIGTERM"))
            continue
        if code != 0:
            failures.append((args, code))
    _servers.clear()
    assert not failures, "imgmock did not exit cleanly: %r" % failures


# ---- the option ---------------------------------------------------------------------------------

class Option(unittest.TestCase):
    def test_unknown_profile_exits_2_naming_the_value(self):
        r = run_imgmock("--profile", "bogus")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stdout, "")
        self.assertEqual(r.stderr.splitlines(), [
            "imgmock: invalid value 'bogus' for --profile: expected openai, aihubmix, applerouter, tokenops or acedata",
            "Try 'imgmock --help' for more information."])

    def test_unknown_profile_from_the_environment_names_the_variable(self):
        r = run_imgmock(env={"IMGMOCK_PROFILE": "bogus"})
        self.assertEqual(r.returncode, 2)
        self.assertIn("invalid value 'bogus' for IMGMOCK_PROFILE", r.stderr)

    def test_profile_names_are_exact(self):
        for name in ["OpenAI", "AIHubMix", "", "aihubmix "]:
            with self.subTest(name=name):
                self.assertEqual(run_imgmock("--profile", name).returncode, 2)

    def test_help_lists_the_profiles(self):
        r = run_imgmock("--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("--profile NAME", r.stdout)
        self.assertIn("openai, aihubmix, applerouter, tokenops, acedata (default: openai)", r.stdout)
        self.assertIn("IMGMOCK_PROFILE", r.stdout)

    def test_every_profile_starts(self):
        for name in ["openai", "aihubmix", "applerouter", "tokenops", "acedata"]:
            with self.subTest(profile=name):
                self.assertTrue(profile(name).port)


# ---- openai: the default --------------------------------------------------------------------------

CLOCK = 1700000000
FIXED_HOST = "imgmock.test"


def raw_exchange(srv, body=None, path=PATH, key="sk-test-key", headers=(), method="POST"):
    """One request on its own connection with a fixed Host; the whole raw answer."""
    data = json.dumps(body).encode() if body is not None else b""
    head = [f"{method} {path} HTTP/1.1", f"Host: {FIXED_HOST}", "Connection: close",
            "Content-Type: application/json", f"Content-Length: {len(data)}"]
    if key is not None:
        head.append(f"Authorization: Bearer {key}")
    head.extend(f"{k}: {v}" for k, v in headers)
    s = socket.create_connection((srv.host, srv.port), timeout=30)
    try:
        s.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + data)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return out
            out += chunk
    finally:
        s.close()


def sequence(srv):
    """Requests whose answers differ from some gateway's: each profile rule, under openai."""
    gpt = {"prompt": OTTER, "model": "gpt-image-1", "quality": "low"}
    return [
        raw_exchange(srv, {"prompt": OTTER}),
        raw_exchange(srv, gpt, path="/images/generations/"),
        raw_exchange(srv, dict(gpt, model="gpt-image-2")),
        raw_exchange(srv, dict(gpt, model="gpt-image-3")),
        raw_exchange(srv, dict(gpt, stream="true")),
        raw_exchange(srv, dict(gpt, stream=True, partial_images=1)),
        raw_exchange(srv, {"prompt": OTTER, "model": "dall-e-2", "size": "256x256", "response_format": "b64_json"}),
        raw_exchange(srv, {"prompt": OTTER, "model": "dall-e-3", "callback_url": "http://127.0.0.1:9/cb"}),
        raw_exchange(srv, gpt, headers=[("X-Mock-Status", "500")]),
        raw_exchange(srv, gpt, headers=[("X-Mock-Moderation", "sexual")]),
        raw_exchange(srv, gpt, key="sk-anything"),
        raw_exchange(srv, gpt, key=None),
        raw_exchange(srv, {"prompt": OTTER, "n": 11}),
        raw_exchange(srv, gpt, path=ACE_PATH),
        raw_exchange(srv, method="GET", path=PATH),
    ]


class OpenAIProfile(unittest.TestCase):
    def test_profile_openai_answers_byte_for_byte_as_the_default(self):
        args = ("--clock", str(CLOCK), "--seed", "5", "--secret", "shared")
        default, named = sequence(server(*args)), sequence(server(*args, "--profile", "openai"))
        for i, (a, b) in enumerate(zip(default, named)):
            with self.subTest(request=i):
                self.assertTrue(a)
                self.assertEqual(a, b)
        statuses = [split_response(a)[0].split(" ")[1] for a in default]
        self.assertEqual(statuses, ["200", "200", "200", "400", "400", "200", "200", "400", "500", "400", "200",
                                    "401", "400", "404", "405"])

    def test_openai_keeps_the_real_api_rules(self):
        srv = profile("openai")
        r = exchange(srv, {"prompt": OTTER, "model": "dall-e-2", "size": "256x256", "response_format": "b64_json"})
        self.assertEqual(r.status, 200)
        self.assertNotIn("usage", r.json())
        r = exchange(srv, {"prompt": OTTER, "model": "gpt-image-1", "stream": "true"})
        self.assertEqual(r.body, envelope("Invalid type for 'stream': expected a boolean, but got a string instead.",
                                          param="stream", code="invalid_type"))
        r = exchange(srv, {"prompt": OTTER, "callback_url": "http://127.0.0.1:9/cb"})
        self.assertEqual(r.body, envelope("Unknown parameter: 'callback_url'.", param="callback_url",
                                          code="unknown_parameter"))
        r = exchange(srv, {"prompt": OTTER, "model": "gpt-image-1"}, headers={"X-Mock-Status": "500"})
        self.assertIn(f"request ID {r.header('x-request-id')} in your message", r.json()["error"]["message"])
        self.assertEqual(exchange(srv, {"prompt": OTTER}, path=ACE_PATH).status, 404)


# ---- aihubmix -----------------------------------------------------------------------------------

class AIHubMix(unittest.TestCase):
    def setUp(self):
        self.srv = profile("aihubmix")

    def test_seed_example(self):
        r = exchange(self.srv, {"prompt": OTTER}, key=GW_KEY)
        self.assertEqual(r.status, 200)
        body = r.json()
        self.assertIsInstance(body["created"], int)
        self.assertEqual(len(body["data"]), 1)
        self.assertTrue(body["data"][0]["url"].startswith("http://"))

    def test_keys_must_be_gateway_keys(self):
        for key, masked in [("sk-BQVMo123456789012345Cf6e", "sk-BQVMo***************Cf6e"),
                            ("sk-test-key", "sk-test-key"),
                            ("sk-gateway", "sk-gateway"),
                            ("SK-GATEWAY-abcdefgh", "SK-GATEW*******efgh"),
                            ("x-sk-gateway-abcdefgh", "x-sk-gat*********efgh")]:
            with self.subTest(key=key):
                r = exchange(self.srv, {"prompt": OTTER}, key=key)
                self.assertEqual(r.status, 401)
                self.assertEqual(r.body, envelope(rejected(masked), code="invalid_api_key"))

    def test_key_is_checked_before_the_body(self):
        r = exchange(self.srv, b"{not json", key="sk-test-key")
        self.assertEqual(r.status, 401)
        self.assertEqual(exchange(self.srv, b"{not json", key=GW_KEY).status, 400)

    def test_missing_key_is_the_missing_key_error(self):
        r = exchange(self.srv, {"prompt": OTTER}, key=None)
        self.assertEqual(r.status, 401)
        self.assertEqual(r.body, envelope(MISSING_KEY))

    def test_listed_keys_must_also_be_gateway_keys(self):
        srv = server("--profile", "aihubmix", "--api-key", "sk-gateway-one", "--api-key", "sk-listed-two")
        self.assertEqual(exchange(srv, {"prompt": OTTER}, key="sk-gateway-one").status, 200)
        r = exchange(srv, {"prompt": OTTER}, key="sk-gateway-two")
        self.assertEqual(r.body, envelope(rejected("sk-gatew**-two"), code="invalid_api_key"))
        r = exchange(srv, {"prompt": OTTER}, key="sk-listed-two")
        self.assertEqual(r.status, 401)

    def test_its_five_models_are_served(self):
        for model in AIHUBMIX_MODELS:
            with self.subTest(model=model):
                r = exchange(self.srv, dict({"prompt": OTTER, "model": model}, **QUICK[model]), key=GW_KEY)
                self.assertEqual(r.status, 200, r.body[:300])
                self.assertEqual(len(r.json()["data"]), 1)

    def test_other_catalogue_models_are_unknown_there(self):
        for model in ["gpt-image-2", "gpt-image-2-2026-04-21", "chatgpt-image-latest"]:
            with self.subTest(model=model):
                r = exchange(self.srv, {"prompt": OTTER, "model": model}, key=GW_KEY)
                self.assertEqual(r.status, 400)
                self.assertEqual(r.body, envelope(unknown_model(model, AIHUBMIX_MODELS), param="model",
                                                  code="invalid_value"))

    def test_injected_500_names_no_request_id(self):
        r = exchange(self.srv, {"prompt": OTTER, "model": "gpt-image-1"}, key=GW_KEY,
                     headers={"X-Mock-Status": "500"})
        self.assertEqual(r.status, 500)
        self.assertRegex(r.header("x-request-id"), REQUEST_ID)
        message = r.json()["error"]["message"]
        self.assertNotIn("req_", message)
        self.assertNotIn(r.header("x-request-id"), r.body.decode())
        self.assertEqual(r.body, envelope(
            "The server had an error while processing your request. Sorry about that! You can retry your request, "
            "or contact us through our help center at help.openai.com if the error persists. (Please include the "
            "request ID from the X-Request-Id header in your message.)", type_="server_error"))

    def test_moderation_names_no_request_id(self):
        r = exchange(self.srv, {"prompt": OTTER, "model": "gpt-image-1"}, key=GW_KEY,
                     headers={"X-Mock-Moderation": "sexual"})
        self.assertEqual(r.status, 400)
        self.assertRegex(r.header("x-request-id"), REQUEST_ID)
        error = r.json()["error"]
        self.assertEqual(error["code"], "moderation_blocked")
        self.assertNotIn("req_", error["message"])
        self.assertNotIn(r.header("x-request-id"), r.body.decode())
        self.assertEqual(error["message"],
                         "Your request was rejected by the safety system. If you believe this is an error, contact "
                         "us at help.openai.com and include the request ID from the X-Request-Id header. "
                         "safety_violations=[sexual].")
        self.assertEqual(error["moderation_details"], {"moderation_stage": "input", "categories": ["sexual"]})

    def test_no_error_body_names_a_request_id(self):
        for headers in [{"X-Mock-Status": "503"}, {"X-Mock-Status": "429"}, {"X-Mock-Status": "400"}]:
            with self.subTest(headers=headers):
                r = exchange(self.srv, {"prompt": OTTER}, key=GW_KEY, headers=headers)
                self.assertRegex(r.header("x-request-id"), REQUEST_ID)
                self.assertNotIn("req_", r.body.decode())


# ---- applerouter --------------------------------------------------------------------------------

def sse_events(body):
    """(event name, data object) of each event of a text/event-stream body (already de-chunked)."""
    events = []
    for block in body.decode().split("\n\n"):
        if not block.strip():
            continue
        fields = dict(line.split(": ", 1) for line in block.split("\n"))
        events.append((fields["event"], json.loads(fields["data"])))
    return events


class AppleRouter(unittest.TestCase):
    GPT = {"model": "gpt-image-1", "prompt": OTTER, "quality": "low"}

    def setUp(self):
        self.srv = profile("applerouter")

    def test_seed_example_at_the_trailing_slash_path(self):
        body = {"model": "gpt-image-1", "prompt": OTTER, "n": 1, "size": "1024x1024"}
        r = exchange(self.srv, body, path=PATH + "/", key="sk-your-api-key")
        self.assertEqual(r.status, 200)
        answer = r.json()
        self.assertIsInstance(answer["created"], int)
        self.assertEqual(len(answer["data"]), 1)
        for key in ["total_tokens", "input_tokens", "output_tokens"]:
            self.assertIsInstance(answer["usage"][key], int)
        self.assertEqual(set(answer["usage"]["input_tokens_details"]), {"text_tokens", "image_tokens"})

    def test_every_spelling_of_the_endpoint(self):
        for path in [PATH + "/", PATH, "/images/generations/", "/images/generations"]:
            with self.subTest(path=path):
                r = exchange(self.srv, {"prompt": OTTER, "model": "dall-e-2", "size": "256x256"}, path=path)
                self.assertEqual(r.status, 200)

    def test_stream_true_as_a_string_streams(self):
        r = exchange(self.srv, dict(self.GPT, stream="true", partial_images=1))
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("content-type"), "text/event-stream")
        events = sse_events(r.body)
        self.assertEqual([name for name, _ in events],
                         ["image_generation.partial_image", "image_generation.completed"])
        self.assertEqual(events[1][1]["type"], "image_generation.completed")
        self.assertIn("usage", events[1][1])

    def test_stream_false_as_a_string_is_an_ordinary_answer(self):
        r = exchange(self.srv, dict(self.GPT, stream="false"))
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("content-type"), "application/json")
        answer = r.json()
        self.assertEqual(len(answer["data"]), 1)
        self.assertIn("b64_json", answer["data"][0])
        self.assertEqual(answer["quality"], "low")

    def test_booleans_still_work(self):
        self.assertEqual(exchange(self.srv, dict(self.GPT, stream=True)).header("content-type"), "text/event-stream")
        self.assertEqual(exchange(self.srv, dict(self.GPT, stream=False)).header("content-type"), "application/json")

    def test_other_strings_are_type_errors(self):
        for value in ["yes", "True", "FALSE", "1", "", " true"]:
            with self.subTest(stream=value):
                r = exchange(self.srv, dict(self.GPT, stream=value))
                self.assertEqual(r.status, 400)
                self.assertEqual(r.body, envelope(
                    "Invalid type for 'stream': expected a boolean, but got a string instead.",
                    param="stream", code="invalid_type"))

    def test_dall_e_answers_carry_usage(self):
        for body in [{"model": "dall-e-2", "size": "256x256", "response_format": "b64_json"},
                     {"model": "dall-e-2", "size": "256x256"},
                     {"model": "dall-e-3"}]:
            with self.subTest(body=body):
                r = exchange(self.srv, dict(body, prompt=OTTER))
                self.assertEqual(r.status, 200)
                usage = r.json()["usage"]
                self.assertEqual(usage["output_tokens"], 0)
                self.assertEqual(usage["input_tokens_details"]["image_tokens"], 0)
                self.assertGreater(usage["input_tokens"], 0)
                self.assertEqual(usage["total_tokens"], usage["input_tokens"] + usage["output_tokens"])
                self.assertNotIn("background", r.json())

    def test_gpt_answers_keep_their_usage(self):
        usage = exchange(self.srv, self.GPT).json()["usage"]
        self.assertEqual(usage["output_tokens"], 272)

    def test_its_three_models(self):
        for model in TOKENOPS_MODELS:  # the same three as TokenOps
            with self.subTest(model=model):
                r = exchange(self.srv, dict({"prompt": OTTER, "model": model}, **QUICK[model]))
                self.assertEqual(r.status, 200)
        r = exchange(self.srv, {"prompt": OTTER, "model": "gpt-image-2"})
        self.assertEqual(r.body, envelope(unknown_model("gpt-image-2", TOKENOPS_MODELS), param="model",
                                          code="invalid_value"))


# ---- tokenops -----------------------------------------------------------------------------------

class TokenOps(unittest.TestCase):
    def setUp(self):
        self.srv = profile("tokenops")

    def assert_shape(self, r, status, message=None):
        """The TokenOps error body: exactly code (the HTTP status), message, details [] in this order."""
        self.assertEqual(r.status, status)
        self.assertEqual(r.header("content-type"), "application/json")
        body = r.json()
        self.assertEqual(list(body), ["error"])
        self.assertEqual(list(body["error"]), ["code", "message", "details"])
        self.assertEqual(body["error"]["code"], status)
        self.assertIs(type(body["error"]["code"]), int)
        self.assertIsInstance(body["error"]["message"], str)
        self.assertTrue(body["error"]["message"])
        self.assertEqual(body["error"]["details"], [])
        if message is not None:
            self.assertEqual(r.body, code_details(status, message))

    def test_seed_request_examples(self):
        cases = [
            ({"model": "dall-e-3", "prompt": "一只可爱的小猫在花园里玩耍，阳光明媚，油画风格", "n": 1, "size": "1024x1024"}, 1),
            ({"model": "dall-e-3", "prompt": "未来主义城市天际线，充满霓虹灯和飞行汽车，赛博朋克风格", "n": 1,
              "size": "1792x1024", "quality": "hd", "style": "vivid"}, 1),
            ({"model": "dall-e-2", "prompt": "抽象艺术，充满活力的颜色和几何形状", "n": 4, "size": "1024x1024"}, 4),
        ]
        for body, n in cases:
            with self.subTest(model=body["model"], n=n):
                r = exchange(self.srv, body)
                self.assertEqual(r.status, 200)
                answer = r.json()
                self.assertEqual(len(answer["data"]), n)
                self.assertTrue(all("url" in d for d in answer["data"]))
                self.assertEqual("revised_prompt" in answer["data"][0], body["model"] == "dall-e-3")
                self.assertNotIn("usage", answer)

    def test_validation_error(self):
        self.assert_shape(exchange(self.srv, {"prompt": OTTER, "n": 11}), 400,
                          "Invalid 'n': integer above maximum value. Expected a value <= 10, but got 11 instead.")
        self.assert_shape(exchange(self.srv, b"{not json"), 400)
        self.assert_shape(exchange(self.srv, {"prompt": OTTER, "bogus": 1}), 400, "Unknown parameter: 'bogus'.")

    def test_unknown_models(self):
        for model in ["gpt-image-2", "gpt-image-1-mini", "gpt-image-1.5"]:
            with self.subTest(model=model):
                self.assert_shape(exchange(self.srv, {"prompt": OTTER, "model": model}), 400,
                                  unknown_model(model, TOKENOPS_MODELS))

    def test_401(self):
        self.assert_shape(exchange(self.srv, {"prompt": OTTER}, key=None), 401, MISSING_KEY)

    def test_404(self):
        self.assert_shape(exchange(self.srv, {"prompt": OTTER}, path="/v1/images/generationz"), 404,
                          "Invalid URL (POST /v1/images/generationz)")

    def test_405(self):
        r = exchange(self.srv, method="GET", path=PATH)
        self.assert_shape(r, 405, "Invalid URL (GET /v1/images/generations)")
        self.assertEqual(r.header("allow"), "POST, OPTIONS")

    def test_413(self):
        raw = self.srv.raw(b"POST /v1/images/generations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-test\r\n"
                           b"Content-Type: application/json\r\nContent-Length: 1048577\r\n\r\n" + b"x" * 10)
        status, headers, body = split_response(raw)
        self.assertEqual(status, "HTTP/1.1 413 Payload Too Large")
        self.assert_shape(Answer(413, headers, body), 413,
                          "The request body is larger than the 1048576 bytes this server accepts (imgmock --max-body).")

    def test_injected_statuses(self):
        for status in [429, 500, 400, 403, 404, 409, 502, 503, 504]:
            with self.subTest(status=status):
                r = exchange(self.srv, {"prompt": OTTER}, headers={"X-Mock-Status": str(status)})
                self.assert_shape(r, status)
        r = exchange(self.srv, {"prompt": OTTER}, headers={"X-Mock-Status": "500"})
        self.assertIn(r.header("x-request-id"), r.json()["error"]["message"])  # TokenOps names it
        r = exchange(self.srv, {"prompt": OTTER}, headers={"X-Mock-Status": "429"})
        self.assertIsNotNone(r.header("retry-after"))

    def test_moderation_and_bad_controls(self):
        self.assert_shape(exchange(self.srv, {"prompt": OTTER, "model": "gpt-image-1"},
                                   headers={"X-Mock-Moderation": "sexual"}), 400)
        self.assert_shape(exchange(self.srv, {"prompt": OTTER}, headers={"X-Mock-Status": "abc"}), 400)

    def test_success_is_unchanged(self):
        r = exchange(self.srv, {"prompt": OTTER, "model": "gpt-image-1", "quality": "low"})
        self.assertEqual(r.status, 200)
        answer = r.json()
        self.assertEqual([answer[k] for k in ["background", "output_format", "size", "quality"]],
                         ["opaque", "png", "1024x1024", "low"])
        self.assertEqual(answer["usage"]["output_tokens"], 272)


# ---- acedata ------------------------------------------------------------------------------------

ACE_SEED = {"prompt": OTTER, "model": "dall-e-3", "background": "auto", "moderation": "auto", "n": 1,
            "output_compression": 100, "output_format": "png", "partial_images": 0, "size": "1024x1024",
            "quality": "auto", "response_format": "url", "style": "vivid", "callback_url": "<string>"}


class AceData(unittest.TestCase):
    def setUp(self):
        self.srv = profile("acedata")

    def test_its_path_works(self):
        for path in [ACE_PATH, ACE_PATH + "/"]:
            with self.subTest(path=path):
                r = exchange(self.srv, {"prompt": OTTER, "model": "dall-e-3"}, path=path)
                self.assertEqual(r.status, 200)
                self.assertEqual(len(r.json()["data"]), 1)

    def test_other_paths_are_404(self):
        for path in [PATH, PATH + "/", "/v1/images/generationz"]:
            with self.subTest(path=path):
                r = exchange(self.srv, {"prompt": OTTER, "model": "dall-e-3"}, path=path)
                self.assertEqual(r.status, 404)
                self.assertEqual(r.body, envelope(f"Invalid URL (POST {path})"))

    def test_images_generations_is_not_the_endpoint(self):
        # Not an endpoint here, /images/generations falls under /images/<name>, where image URLs
        # are fetched (GET only): a 405 with that route's Allow, not a 404.
        r = exchange(self.srv, {"prompt": OTTER, "model": "dall-e-3"}, path="/images/generations")
        self.assertEqual(r.status, 405)
        self.assertEqual(r.header("allow"), "GET, HEAD, OPTIONS")
        self.assertEqual(r.body, envelope("Invalid URL (POST /images/generations)"))

    def test_model_is_required(self):
        for body in [{"prompt": OTTER}, {"prompt": OTTER, "model": None}, {"prompt": OTTER, "output_format": "png"}]:
            with self.subTest(body=body):
                r = exchange(self.srv, body, path=ACE_PATH)
                self.assertEqual(r.status, 400)
                self.assertEqual(r.body, envelope("Missing required parameter: 'model'.", param="model",
                                                  code="missing_required_parameter"))

    def test_only_its_three_models_are_served(self):
        for model in ACEDATA_MODELS:
            with self.subTest(model=model):
                r = exchange(self.srv, dict({"prompt": OTTER, "model": model}, **QUICK[model]), path=ACE_PATH)
                self.assertEqual(r.status, 200)
        for model in ["dall-e-2", "gpt-image-1-mini", "gpt-image-2", "chatgpt-image-latest"]:
            with self.subTest(model=model):
                r = exchange(self.srv, {"prompt": OTTER, "model": model}, path=ACE_PATH)
                self.assertEqual(r.status, 400)
                self.assertEqual(r.body, envelope(unknown_model(model, ACEDATA_MODELS), param="model",
                                                  code="invalid_value"))

    def test_callback_url_must_be_http(self):
        for url in ["<string>", "ftp://example.com/cb", "", "127.0.0.1:9/cb"]:
            with self.subTest(url=url):
                r = exchange(self.srv, {"prompt": OTTER, "model": "dall-e-3", "callback_url": url}, path=ACE_PATH)
                self.assertEqual(r.status, 400)
                self.assertEqual(r.body, envelope(
                    f"Invalid 'callback_url': '{url}'. Expected an http:// or https:// URL.",
                    param="callback_url", code="invalid_value"))
        r = exchange(self.srv, {"prompt": OTTER, "model": "dall-e-3", "callback_url": 5}, path=ACE_PATH)
        self.assertEqual(r.body, envelope("Invalid type for 'callback_url': expected a string, but got an integer "
                                          "instead.", param="callback_url", code="invalid_type"))

    def test_seed_example_reaches_the_callback_url_check(self):
        """Seed 004's own curl example, verbatim: AceData documents it as a request that succeeds, so
        every field of it must be accepted; only its placeholder callback_url "<string>" is wrong."""
        r = exchange(self.srv, ACE_SEED, path=ACE_PATH)
        self.assertEqual(r.body, envelope("Invalid 'callback_url': '<string>'. Expected an http:// or https:// URL.",
                                          param="callback_url", code="invalid_value"))
        self.assertEqual(r.status, 400)

    def test_seed_example_without_callback_url_generates(self):
        body = {k: v for k, v in ACE_SEED.items() if k != "callback_url"}
        r = exchange(self.srv, body, path=ACE_PATH)
        self.assertEqual(r.status, 200, r.body[:300])
        self.assertEqual(len(r.json()["data"]), 1)


if __name__ == "__main__":
    main()

"""Image URLs end to end: DALL·E's default response_format "url" points at imgmock itself, at
/images/<token>.<ext>, where the token is signed with --secret and carries an expiry. These tests
fetch what the URLs name and decode it, build URLs from the Host header or --public-url, tamper
with tokens, let them expire, share a secret between two servers, and check that fetching needs
no API key. Error answers are compared byte for byte with the envelopes of server/apierr.c.
"""
import base64
import json
import re
import time
import unittest
from urllib.parse import urlsplit

from harness import envelope, main, split_response
from imaging import OTTER, decode, dims, fresh_server, generate, server, stop_servers

INVALID = ("This image URL is not valid: it was not signed by this server's --secret, or it was altered.")
TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
TOKEN = r"[A-Za-z0-9_-]{54}"


def expired(ttl):
    return ("This image URL has expired. Image URLs are valid for %d seconds after the image was generated." % ttl)


INVALID_BODY = envelope(INVALID, code="invalid_image_url")

tearDownModule = stop_servers  # the servers of imaging's pool, stopped when this module's tests are done


def decode_png(data):
    """(width, height) of a PNG, as both the chunk walker and PIL read it (imaging.decode)."""
    d = decode(data)
    assert d.format == "png", d
    return d.size


def urls(r):
    return [item["url"] for item in r.json()["data"]]


def path_of(url):
    return urlsplit(url).path


def fetch(srv, url_or_path, method="GET", **kw):
    """GET (or `method`) an image URL's path from `srv`, with no Authorization header."""
    path = path_of(url_or_path) if "://" in url_or_path else url_or_path
    kw.setdefault("key", None)
    return srv.request(method, path, **kw)


def fetch_image(test, srv, url):
    r = fetch(srv, url)
    test.assertEqual(r.status, 200, r.body[:300])
    test.assertEqual(r.header("content-type"), "image/png")
    test.assertEqual(int(r.header("content-length")), len(r.body))
    return r.body


def token_of(url):
    m = re.fullmatch(r".*/images/(%s)\.png" % TOKEN, url)
    assert m, "not an image URL: %r" % url
    return m.group(1)


def token_expiry(token):
    """The expiry a token carries (urltoken.h: base64url of 24 bytes of payload, version 1 then
    the expiry as 8 big-endian bytes, followed by 16 bytes of HMAC)."""
    raw = base64.urlsafe_b64decode(token + "==")
    assert len(raw) == 40 and raw[0] == 1, raw
    return int.from_bytes(raw[1:9], "big")


def replace_at(text, i, char):
    return text[:i] + char + text[i + 1:]


# ---- tests --------------------------------------------------------------------------------------

class UrlAnswers(unittest.TestCase):
    def test_dalle_answers_with_urls_by_default(self):
        s = server()
        base = re.escape("http://%s:%d/images/" % (s.host, s.port))
        for model, sizes in [("dall-e-2", ["256x256", "512x512", "1024x1024"]),
                             ("dall-e-3", ["1024x1024", "1792x1024", "1024x1792"])]:
            for size in sizes:
                with self.subTest(model=model, size=size):
                    j = generate(s, {"model": model, "prompt": OTTER, "size": size}).json()
                    self.assertEqual(list(j), ["created", "data"])
                    [item] = j["data"]
                    expected_keys = ["revised_prompt", "url"] if model == "dall-e-3" else ["url"]
                    self.assertEqual(sorted(item), expected_keys)
                    self.assertRegex(item["url"], "^%s%s\\.png$" % (base, TOKEN))
                    self.assertEqual(decode_png(fetch_image(self, s, item["url"])), dims(size))

    def test_model_omitted_is_dall_e_2_with_a_url(self):
        j = generate(server(), {"prompt": OTTER}).json()
        self.assertEqual(decode_png(fetch_image(self, server(), j["data"][0]["url"])), (1024, 1024))

    def test_explicit_url_and_null_response_format(self):
        for fmt in ["url", None]:
            with self.subTest(response_format=fmt):
                j = generate(server(), {"model": "dall-e-2", "prompt": OTTER, "response_format": fmt}).json()
                self.assertEqual(list(j["data"][0]), ["url"])

    def test_three_images_three_working_urls(self):
        s = server()
        r = generate(s, {"model": "dall-e-2", "prompt": OTTER, "n": 3, "size": "512x512"})
        links = urls(r)
        self.assertEqual(len(links), 3)
        self.assertEqual(len(set(links)), 3)
        bodies = [fetch_image(self, s, url) for url in links]
        self.assertEqual(len(set(bodies)), 3)
        for body in bodies:
            self.assertEqual(decode_png(body), (512, 512))

    def test_url_image_is_the_b64_image(self):
        s = server()
        for body in [{"model": "dall-e-2", "prompt": OTTER, "n": 3, "size": "256x256"},
                     {"model": "dall-e-3", "prompt": OTTER, "size": "1792x1024", "style": "natural"}]:
            with self.subTest(model=body["model"]):
                by_url = generate(s, body).json()
                by_b64 = generate(s, dict(body, response_format="b64_json")).json()
                fetched = [fetch_image(self, s, item["url"]) for item in by_url["data"]]
                inline = [base64.b64decode(item["b64_json"]) for item in by_b64["data"]]
                self.assertEqual(fetched, inline)
                self.assertEqual([item.get("revised_prompt") for item in by_url["data"]],
                                 [item.get("revised_prompt") for item in by_b64["data"]])

    def test_fetching_twice_gives_the_same_bytes(self):
        s = server()
        [url] = urls(generate(s, {"model": "dall-e-2", "prompt": "otter twice", "size": "256x256"}))
        self.assertEqual(fetch_image(self, s, url), fetch_image(self, s, url))
        # and a server without a cache makes the same bytes from the same token (shared secret)
        a = server("--secret", "cache-less", "--cache-mb", "0")
        b = server("--secret", "cache-less")
        [url] = urls(generate(a, {"model": "dall-e-2", "prompt": "otter twice", "size": "256x256"}))
        self.assertEqual(fetch_image(self, a, url), fetch_image(self, b, url))

    def test_urls_are_valid_for_60_minutes(self):
        j = generate(server(), {"model": "dall-e-2", "prompt": OTTER, "size": "256x256"}).json()
        self.assertEqual(token_expiry(token_of(j["data"][0]["url"])), j["created"] + 3600)

    def test_gpt_models_never_answer_with_urls(self):
        for model in ["gpt-image-1", "gpt-image-2"]:
            with self.subTest(model=model):
                j = generate(server(), {"model": model, "prompt": OTTER, "quality": "low"}).json()
                self.assertEqual(list(j["data"][0]), ["b64_json"])

    def test_head_gives_the_length_and_no_body(self):
        s = server()
        [url] = urls(generate(s, {"model": "dall-e-2", "prompt": OTTER, "size": "512x512"}))
        body = fetch_image(self, s, url)
        head = fetch(s, url, method="HEAD")
        self.assertEqual(head.status, 200)
        self.assertEqual(head.header("content-type"), "image/png")
        self.assertEqual(int(head.header("content-length")), len(body))
        self.assertEqual(head.body, b"")
        # on the wire: nothing follows the headers
        raw = s.raw(("HEAD %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path_of(url)).encode(), read_for=3)
        status, headers, rest = split_response(raw)
        self.assertEqual(status, "HTTP/1.1 200 OK")
        self.assertEqual(int(headers["content-length"]), len(body))
        self.assertEqual(rest, b"")

    def test_post_to_an_image_url_is_405(self):
        s = server()
        [url] = urls(generate(s, {"model": "dall-e-2", "prompt": OTTER, "size": "256x256"}))
        path = path_of(url)
        for key in [None, "sk-test-key"]:
            with self.subTest(key=key):
                r = s.request("POST", path, body="{}", key=key)
                self.assertEqual(r.status, 405)
                self.assertEqual(r.header("allow"), "GET, HEAD, OPTIONS")
                self.assertEqual(r.body, envelope("Invalid URL (POST %s)" % path))


class HostHeader(unittest.TestCase):
    def test_host_header_is_the_base(self):
        s = server()
        r = generate(s, {"model": "dall-e-2", "prompt": OTTER, "n": 2, "size": "256x256"},
                     headers={"Host": "example.test:1234"})
        for url in urls(r):
            self.assertRegex(url, r"^http://example\.test:1234/images/%s\.png$" % TOKEN)
            self.assertEqual(decode_png(fetch_image(self, s, url)), (256, 256))

    def test_a_host_that_is_not_a_host_is_not_used(self):
        s = server()
        for host in ["evil.test/steal?x=", "a b", "evil.test@other"]:
            with self.subTest(host=host):
                r = generate(s, {"model": "dall-e-2", "prompt": OTTER, "size": "256x256"}, headers={"Host": host})
                [url] = urls(r)
                self.assertTrue(url.startswith("http://%s:%d/images/" % (s.host, s.port)), url)

    def test_no_host_header_gives_the_listening_address(self):
        s = server()
        body = json.dumps({"model": "dall-e-2", "prompt": OTTER, "size": "256x256"}).encode()
        raw = s.raw(b"POST /v1/images/generations HTTP/1.0\r\nAuthorization: Bearer sk-test\r\n"
                    b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body, read_for=5)
        status, _, answer = split_response(raw)
        self.assertEqual(status.split()[1], "200", raw[:300])
        [item] = json.loads(answer)["data"]
        self.assertRegex(item["url"], r"^http://%s:%d/images/%s\.png$" % (re.escape(s.host), s.port, TOKEN))


class PublicUrl(unittest.TestCase):
    def check(self, public):
        s = server("--public-url", public)
        r = generate(s, {"model": "dall-e-2", "prompt": OTTER, "n": 2, "size": "512x512"},
                     headers={"Host": "ignored.test:99"})
        for url in urls(r):
            self.assertRegex(url, r"^https://cdn\.example/base/images/%s\.png$" % TOKEN)
            path = url[len("https://cdn.example/base"):]  # what a proxy at /base/ would forward
            self.assertEqual(decode_png(fetch_image(self, s, path)), (512, 512))

    def test_public_url_with_trailing_slash(self):
        self.check("https://cdn.example/base/")

    def test_public_url_without_trailing_slash(self):
        self.check("https://cdn.example/base")


class Tampering(unittest.TestCase):
    """Any change to a token, or its extension, is the invalid-URL envelope."""

    @classmethod
    def setUpClass(cls):
        s = server()
        cls.links = urls(generate(s, {"model": "dall-e-2", "prompt": "tamper with me", "n": 3, "size": "256x256"}))
        cls.path = path_of(cls.links[0])
        cls.token = token_of(cls.links[0])

    def assert_invalid(self, path):
        r = fetch(server(), path)
        self.assertEqual(r.status, 403, path)
        self.assertEqual(r.header("content-type"), "application/json")
        self.assertEqual(r.body, INVALID_BODY, path)
        self.assertEqual(r.json()["error"]["param"], None)

    def test_the_untouched_url_works(self):
        self.assertEqual(decode_png(fetch_image(self, server(), self.path)), (256, 256))

    def test_every_character_changed(self):
        for i, c in enumerate(self.token):
            other = TOKEN_ALPHABET[(TOKEN_ALPHABET.index(c) + 1 + i) % 64]
            with self.subTest(position=i):
                self.assert_invalid("/images/%s.png" % replace_at(self.token, i, other))

    def test_last_character_every_alternative(self):
        """The last character holds 2 bits of the signature and 4 bits of padding: every other
        value must be refused, including those that differ only in the padding bits."""
        last = self.token[-1]
        for other in TOKEN_ALPHABET:
            if other != last:
                with self.subTest(last=other):
                    self.assert_invalid("/images/%s.png" % (self.token[:-1] + other))

    def test_extension(self):
        for ext in ["jpeg", "webp", "PNG", "jpg", "png.png", ""]:
            with self.subTest(ext=ext):
                self.assert_invalid("/images/%s.%s" % (self.token, ext) if ext else "/images/" + self.token)

    def test_length(self):
        for token in [self.token[:-1], self.token + "A", self.token[1:], self.token * 2, "", "A",
                      self.token[:-2] + "=="]:
            with self.subTest(length=len(token)):
                self.assert_invalid("/images/%s.png" % token)

    def test_tokens_swapped_between_images_still_fit_their_own(self):
        # each token names its own image: three URLs, three images, none interchangeable
        bodies = {fetch_image(self, server(), url) for url in self.links}
        self.assertEqual(len(bodies), 3)

    def test_standard_base64_alphabet_is_refused(self):
        """- and _ are the url-safe spellings of + and /; the other spelling is not the token."""
        s = server()
        for attempt in range(40):
            [url] = urls(generate(s, {"model": "dall-e-2", "prompt": "alphabet %d" % attempt, "size": "256x256"}))
            token = token_of(url)
            if "-" in token or "_" in token:
                break
        else:
            self.skipTest("no token with - or _ came up")
        for urlsafe, standard in [("-", "+"), ("_", "/")]:
            if urlsafe in token:
                with self.subTest(standard=standard):
                    self.assert_invalid("/images/%s.png" % token.replace(urlsafe, standard))

    def test_url_from_a_server_with_another_secret(self):
        other = server("--secret", "someone-else")
        [url] = urls(generate(other, {"model": "dall-e-2", "prompt": OTTER, "size": "256x256"}))
        fetch_image(self, other, url)
        self.assert_invalid(path_of(url))


class Expiry(unittest.TestCase):
    def test_url_expires_after_its_ttl(self):
        s = server("--url-ttl", "1", "--secret", "ttl-secret")
        j = generate(s, {"model": "dall-e-2", "prompt": OTTER, "size": "256x256"}).json()
        url = j["data"][0]["url"]
        self.assertEqual(token_expiry(token_of(url)), j["created"] + 1)
        self.assertEqual(decode_png(fetch_image(self, s, url)), (256, 256))
        time.sleep(2.2)
        r = fetch(s, url)
        self.assertEqual(r.status, 403)
        self.assertEqual(r.body, envelope(expired(1), code="expired_image_url"))
        r = fetch(s, url, method="HEAD")
        self.assertEqual(r.status, 403)
        # signature before expiry: an altered or foreign expired token is invalid, not expired
        token = token_of(url)
        self.assertEqual(fetch(s, "/images/%s.png" % replace_at(token, 30, "A" if token[30] != "A" else "B")).body,
                         INVALID_BODY)
        self.assertEqual(fetch(server("--secret", "someone-else"), url).body, INVALID_BODY)


class SharedSecret(unittest.TestCase):
    BODY = {"model": "dall-e-2", "prompt": "shared otter", "n": 2, "size": "512x512"}

    def test_servers_sharing_a_secret_serve_each_others_urls(self):
        a = server("--secret", "shared-secret")
        b = fresh_server("--secret", "shared-secret")
        links = urls(generate(a, self.BODY))
        for url in links:
            self.assertEqual(fetch_image(self, b, url), fetch_image(self, a, url))
        # and the other way round
        for url in urls(generate(b, dict(self.BODY, prompt="the other way"))):
            self.assertEqual(fetch_image(self, a, url), fetch_image(self, b, url))

    def test_different_secrets_refuse_each_others_urls(self):
        a = server("--secret", "shared-secret")
        c = server("--secret", "other-secret")
        for url in urls(generate(a, self.BODY)):
            r = fetch(c, url)
            self.assertEqual((r.status, r.body), (403, INVALID_BODY))

    def test_without_secret_urls_die_with_the_process(self):
        a = server()
        b = fresh_server()
        [url] = urls(generate(a, dict(self.BODY, n=1)))
        fetch_image(self, a, url)
        r = fetch(b, url)
        self.assertEqual((r.status, r.body), (403, INVALID_BODY))

    def test_long_secrets_that_differ_late_are_different_secrets(self):
        """A secret is a secret in full: two that share their first 64 bytes must not sign
        alike."""
        a = server("--secret", "k" * 64 + "-one")
        b = server("--secret", "k" * 64 + "-two")
        [url] = urls(generate(a, dict(self.BODY, n=1)))
        fetch_image(self, a, url)
        r = fetch(b, url)
        self.assertEqual(r.status, 403, "a server with another --secret served the URL")
        self.assertEqual(r.body, INVALID_BODY)


class NoKeyNeeded(unittest.TestCase):
    def test_image_urls_need_no_api_key(self):
        s = server("--api-key", "sk-url-key")
        self.assertEqual(s.post({"model": "dall-e-2", "prompt": OTTER}, key=None).status, 401)
        self.assertEqual(s.post({"model": "dall-e-2", "prompt": OTTER}, key="sk-wrong").status, 401)
        [url] = urls(generate(s, {"model": "dall-e-2", "prompt": OTTER, "size": "256x256"}, key="sk-url-key"))
        body = fetch_image(self, s, url)
        self.assertEqual(decode_png(body), (256, 256))
        for key in ["sk-wrong", "sk-url-key"]:
            with self.subTest(key=key):
                r = fetch(s, url, key=key)
                self.assertEqual((r.status, r.body), (200, body))
        head = fetch(s, url, method="HEAD")
        self.assertEqual((head.status, int(head.header("content-length"))), (200, len(body)))
        # a bad token without a key is still judged as a token, not as a missing key
        token = token_of(url)
        r = fetch(s, "/images/%s.png" % replace_at(token, 5, "B" if token[5] != "B" else "C"))
        self.assertEqual((r.status, r.body), (403, INVALID_BODY))


if __name__ == "__main__":
    main()

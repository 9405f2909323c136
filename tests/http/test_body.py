"""The request body: the --max-body cap (declared and chunked), chunked uploads, the parse-error
envelope for bodies that are not a JSON object, and keep-alive after each kind of answer."""
import unittest

from harness import ServerTest, Server, envelope, split_response, main

PARSE_ERROR = ("We could not parse the JSON body of your request. (HINT: This likely means you aren't using "
               "your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was "
               "not valid JSON. If you have trouble figuring out how to fix this, please contact us through "
               "our help center at help.openai.com.)")
HEAD = b"POST /v1/images/generations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n"


def chunked(data, size=7):
    out = b""
    for i in range(0, len(data), size):
        part = data[i:i + size]
        out += b"%x\r\n" % len(part) + part + b"\r\n"
    return out + b"0\r\n\r\n"


class Body(ServerTest):
    server_args = ("--max-body", "1k")

    def test_not_json_gets_the_parse_error_envelope(self):
        for body in [b"", b" ", b"{", b"not json", b"[]", b'"prompt"', b"42", b"null", b"{} trailing",
                     b'{"prompt": "\xff"}', b'{"prompt": "a\x00"}']:
            with self.subTest(body=body):
                r = self.server.post(body)
                self.assertEqual(r.status, 400)
                self.assertEqual(r.body, envelope(PARSE_ERROR))

    def test_body_at_the_cap_is_read(self):
        body = b'{"prompt": "' + b"a" * (1024 - 14) + b'"}'
        self.assertEqual(len(body), 1024)
        r = self.server.post(body)
        self.assertNotEqual(r.status, 413)

    def test_declared_length_over_the_cap_is_413_without_reading(self):
        raw = self.server.raw(HEAD + b"Content-Length: 1025\r\n\r\n" + b"x" * 10)
        status, headers, body = split_response(raw)
        self.assertEqual(status, "HTTP/1.1 413 Payload Too Large")
        self.assertEqual(headers["connection"], "close")
        self.assertEqual(body, envelope(
            "The request body is larger than the 1024 bytes this server accepts (imgmock --max-body)."))

    def test_chunked_body_over_the_cap_is_413(self):
        raw = self.server.raw(HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + chunked(b"x" * 5000, 1000))
        status, headers, _ = split_response(raw)
        self.assertEqual(status, "HTTP/1.1 413 Payload Too Large")
        self.assertEqual(headers["connection"], "close")

    def test_chunked_body_is_parsed(self):
        raw = self.server.raw(HEAD + b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
                              chunked(b'{"prompt": "a chunked otter"}'))
        status, _, _ = split_response(raw)
        self.assertEqual(status, "HTTP/1.1 200 OK")

    def test_chunked_garbage_is_parse_error(self):
        raw = self.server.raw(HEAD + b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
                              chunked(b"{oops"))
        _, _, body = split_response(raw)
        self.assertEqual(body, envelope(PARSE_ERROR))

    def test_keep_alive_survives_errors_with_consumed_bodies(self):
        conn = self.server.connection()
        for body in [b"bad", b"{}", b"[]"]:
            r = self.server.post(body, conn=conn)
            self.assertIn(r.status, (400, 200))
            self.assertEqual(r.header("connection"), "keep-alive")
        self.assertEqual(self.server.request("GET", "/health", conn=conn).status, 200)
        conn.close()

    def test_unread_body_closes_the_connection(self):
        # rejected before the body is read: the unread bytes must not be taken as a request
        raw = self.server.raw(b"POST /v1/images/generations HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\n"
                              b"GET /health HTTP/1.1")
        self.assertEqual(raw.count(b"HTTP/1.1 "), 1)
        status, headers, _ = split_response(raw)
        self.assertEqual(status, "HTTP/1.1 401 Unauthorized")
        self.assertEqual(headers["connection"], "close")

    def test_pipelined_requests_are_answered_in_order(self):
        raw = self.server.raw(HEAD + b"Content-Length: 3\r\n\r\nbad" +
                              b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertEqual(raw.count(b"HTTP/1.1 "), 2)
        self.assertLess(raw.index(b"HTTP/1.1 400"), raw.index(b"HTTP/1.1 200"))

    def test_post_without_length_is_an_empty_body(self):
        raw = self.server.raw(HEAD + b"Connection: close\r\n\r\n")
        _, _, body = split_response(raw)
        self.assertEqual(body, envelope(PARSE_ERROR))

    def test_server_survives_a_client_that_hangs_up_mid_body(self):
        self.server.raw(HEAD + b"Content-Length: 500\r\n\r\n" + b"{" * 10, read_for=0.2)
        self.assertEqual(self.server.request("GET", "/health").status, 200)


if __name__ == "__main__":
    main()

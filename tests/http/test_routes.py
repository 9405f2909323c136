"""Routing: the endpoint's four spellings, /health, and the exact 404/405 envelopes for
everything else — never an HTML page or a file from civetweb."""
import os
import unittest

from harness import ServerTest, Server, envelope, split_response, main

ENDPOINTS = ["/v1/images/generations", "/v1/images/generations/",
             "/images/generations", "/images/generations/"]


class Routes(ServerTest):
    def test_health(self):
        r = self.server.request("GET", "/health", key=None)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b'{"status":"ok"}')
        self.assertEqual(r.header("content-type"), "application/json")

    def test_health_head_has_headers_but_no_body(self):
        raw = self.server.raw(b"HEAD /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        status, headers, body = split_response(raw)
        self.assertEqual(status, "HTTP/1.1 200 OK")
        self.assertEqual(headers["content-length"], "15")
        self.assertEqual(body, b"")

    def test_openapi_document_is_the_file_in_schemas(self):
        r = self.server.request("GET", "/openapi.json", key=None)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("content-type"), "application/json")
        path = os.path.join(os.path.dirname(__file__), "..", "..", "schemas", "openapi.json")
        with open(path, "rb") as f:
            self.assertEqual(r.body, f.read())
        self.assertTrue(r.json()["openapi"].startswith("3.1"))

    def test_every_spelling_of_the_endpoint_reaches_it(self):
        for path in ENDPOINTS:
            with self.subTest(path=path):
                r = self.server.post("not json", path=path)
                self.assertEqual(r.status, 400)
                self.assertEqual(r.json()["error"]["message"][:41], "We could not parse the JSON body of your ")

    def test_query_string_does_not_change_the_route(self):
        self.assertEqual(self.server.request("GET", "/health?probe=1").status, 200)

    def test_unknown_path_is_404_with_the_exact_envelope(self):
        r = self.server.post({"prompt": "x"}, path="/v1/images/generationz")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.header("content-type"), "application/json")
        self.assertEqual(r.body, envelope("Invalid URL (POST /v1/images/generationz)"))

    def test_unknown_path_with_query_reports_the_path_only(self):
        r = self.server.request("GET", "/v1/models?limit=2")
        self.assertEqual(r.body, envelope("Invalid URL (GET /v1/models)"))

    def test_root_and_files_are_never_served(self):
        for path in ["/", "/index.html", "/../../etc/passwd", "/CMakeLists.txt", "/server/http.c"]:
            with self.subTest(path=path):
                r = self.server.request("GET", path)
                self.assertEqual(r.status, 404)
                self.assertEqual(r.header("content-type"), "application/json")
                self.assertNotIn(b"<html", r.body.lower())
                self.assertEqual(r.json()["error"]["type"], "invalid_request_error")

    def test_unknown_route_answers_before_authentication(self):
        r = self.server.request("GET", "/v1/files", key=None)
        self.assertEqual(r.status, 404)

    def test_wrong_method_is_405_with_allow(self):
        for method in ["GET", "PUT", "DELETE", "PATCH"]:
            for path in ENDPOINTS:
                with self.subTest(method=method, path=path):
                    r = self.server.request(method, path, body=b"" if method != "GET" else None)
                    self.assertEqual(r.status, 405)
                    self.assertEqual(r.header("allow"), "POST, OPTIONS")
                    self.assertEqual(r.body, envelope(f"Invalid URL ({method} {path})"))

    def test_post_to_health_is_405(self):
        r = self.server.request("POST", "/health", body=b"{}")
        self.assertEqual(r.status, 405)
        self.assertEqual(r.header("allow"), "GET, HEAD, OPTIONS")

    def test_cors_preflight(self):
        r = self.server.request("OPTIONS", "/v1/images/generations", key=None, headers={
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, x-stainless-os"})
        self.assertEqual(r.status, 204)
        self.assertEqual(r.body, b"")
        self.assertIsNone(r.header("content-length"))
        self.assertEqual(r.header("access-control-allow-origin"), "*")
        self.assertEqual(r.header("access-control-allow-methods"), "POST, OPTIONS")
        self.assertEqual(r.header("access-control-allow-headers"), "authorization, content-type, x-stainless-os")
        self.assertEqual(r.header("access-control-max-age"), "86400")

    def test_preflight_without_requested_headers_allows_the_usual_ones(self):
        r = self.server.request("OPTIONS", "/images/generations", key=None)
        self.assertEqual(r.status, 204)
        self.assertEqual(r.header("access-control-allow-headers"), "authorization, content-type")

    def test_preflight_on_unknown_path_is_404(self):
        self.assertEqual(self.server.request("OPTIONS", "/nope", key=None).status, 404)

    def test_malformed_request_line_gets_an_envelope_not_html(self):
        raw = self.server.raw(b"GARBAGE\r\n\r\n")
        status, headers, body = split_response(raw)
        self.assertTrue(status.startswith("HTTP/1.1 4"), status)
        self.assertEqual(headers["content-type"], "application/json")
        self.assertEqual(headers["connection"], "close")
        self.assertRegex(headers["x-request-id"], r"^req_[0-9a-f]{32}$")
        self.assertEqual(sorted(__import__("json").loads(body)["error"]), ["code", "message", "param", "type"])


if __name__ == "__main__":
    main()

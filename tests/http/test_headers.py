"""The headers of spec §6 on every response, whatever its status, and request ids that are
well-formed and unique."""
import re
import threading
import unittest

from harness import ServerTest, Server, main

REQUEST_ID = re.compile(r"^req_[0-9a-f]{32}$")


class EveryResponse(ServerTest):
    server_args = ("--organization", "org-acme")

    def samples(self):
        s = self.server
        return {
            "200 health": s.request("GET", "/health"),
            "204 preflight": s.request("OPTIONS", "/v1/images/generations", key=None),
            "400 parse": s.post("nope"),
            "401 no key": s.post("{}", key=None),
            "404 route": s.request("GET", "/v2/x"),
            "405 method": s.request("GET", "/v1/images/generations"),
            "200 image": s.post({"prompt": "an otter", "response_format": "b64_json", "size": "256x256"}),
        }

    def test_openai_headers_everywhere(self):
        for name, r in self.samples().items():
            with self.subTest(response=name):
                self.assertRegex(r.header("x-request-id"), REQUEST_ID)
                self.assertRegex(r.header("openai-processing-ms"), r"^\d+$")
                self.assertEqual(r.header("openai-version"), "2020-10-01")
                self.assertEqual(r.header("openai-organization"), "org-acme")
                self.assertEqual(r.header("access-control-expose-headers"), "X-Request-ID")
                self.assertEqual(r.header("access-control-allow-origin"), "*")
                self.assertRegex(r.header("date"), r"^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$")
                if not name.startswith("204"):
                    self.assertEqual(r.header("content-type"), "application/json")
                    self.assertEqual(int(r.header("content-length")), len(r.body))

    def test_request_ids_are_unique_across_threads(self):
        ids = []
        lock = threading.Lock()

        def worker():
            conn = self.server.connection()
            mine = [self.server.request("GET", "/health", conn=conn).header("x-request-id") for _ in range(50)]
            conn.close()
            with lock:
                ids.extend(mine)

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(len(ids), 200)
        self.assertEqual(len(set(ids)), 200)

    def test_request_ids_differ_between_runs(self):
        with Server() as other:
            a = self.server.request("GET", "/health").header("x-request-id")
            b = other.request("GET", "/health").header("x-request-id")
        self.assertNotEqual(a, b)


if __name__ == "__main__":
    main()

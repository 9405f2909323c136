"""harness — start the real imgmock binary on a free port and talk HTTP to it.

Every HTTP test goes through this module so that starting, addressing and stopping the server
is done one way: the binary comes from $IMGMOCK_BIN (ctest sets it), it is started with
`--port 0`, and its address is read from the one line it prints when listening. Requests go
through http.client for ordinary calls and through raw sockets where the exact bytes matter.
"""
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import unittest

import schemas

BIN = os.environ.get("IMGMOCK_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "imgmock")
LISTEN_LINE = re.compile(r"^imgmock listening on http://(\[[^\]]+\]|[^:]+):(\d+)\n$")
DEFAULT_KEY = "sk-test-key"


class Response:
    """A complete HTTP response: status, headers (lower-case names), body bytes."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        return self.headers.get(name.lower())


def schema_kind(path, status):
    """Which schema in schemas/ a JSON answer to `path` with `status` must satisfy."""
    if status >= 400:
        return "error"
    route = path.split("?")[0].rstrip("/")
    if route == "/health":
        return "health"
    if route.endswith("/images/generations"):
        return "response"
    return None


def check_schema(path, response):
    """Every JSON answer a test receives is validated against schemas/: a response that breaks
    its schema fails the test that received it, whatever that test asserts."""
    if response.header("content-type") != "application/json" or not response.body:
        return
    kind = schema_kind(path, response.status)
    if kind:
        schemas.validate(kind, json.loads(response.body))


class Server:
    """One imgmock process. Use as a context manager, or call stop()."""

    def __init__(self, *args, env=None, capture_stderr=True):
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("IMGMOCK_")}
        full_env.update(env or {})
        self.args = [BIN, "--port", "0", *args]
        self.proc = subprocess.Popen(
            self.args, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE if capture_stderr else subprocess.DEVNULL,
            env=full_env, text=True)
        # stderr (the access log) is read as it comes: a pipe left unread fills at 64 KB, and
        # the server's next log write would then block its worker
        self._stderr_parts = []
        self._stderr_reader = None
        if capture_stderr:
            self._stderr_reader = threading.Thread(target=self._read_stderr, daemon=True)
            self._stderr_reader.start()
        self.listen_line = self.proc.stdout.readline()
        m = LISTEN_LINE.match(self.listen_line)
        if not m:
            self.proc.kill()
            self.proc.wait()
            if self._stderr_reader:
                self._stderr_reader.join(timeout=5)
            raise RuntimeError(f"imgmock did not start: {self.listen_line!r} {''.join(self._stderr_parts)!r}")
        self.host = m.group(1).strip("[]")
        self.port = int(m.group(2))
        self.stderr_text = None

    def _read_stderr(self):
        for line in self.proc.stderr:
            self._stderr_parts.append(line)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def connection(self, timeout=10):
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, key=DEFAULT_KEY, conn=None):
        """Send one request; `key` None sends no Authorization header. Dict bodies go as JSON."""
        hdrs = dict(headers or {})
        if key is not None:
            hdrs.setdefault("Authorization", f"Bearer {key}")
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            body = body.encode()
        own = conn is None
        conn = conn or self.connection()
        try:
            conn.request(method, path, body=body, headers=hdrs)
            r = conn.getresponse()
            data = r.read()
            response = Response(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
            check_schema(path, response)
            return response
        finally:
            if own:
                conn.close()

    def post(self, body, path="/v1/images/generations", **kw):
        return self.request("POST", path, body=body, **kw)

    def raw(self, data, read_for=1.0):
        """Send raw bytes and collect everything answered until the server closes or
        `read_for` seconds pass. Returns the bytes received."""
        s = socket.create_connection((self.host, self.port), timeout=read_for)
        try:
            s.sendall(data)
            out = b""
            deadline = time.monotonic() + read_for
            while time.monotonic() < deadline:
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    break
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                out += chunk
            return out
        finally:
            s.close()

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Signal the server and wait; returns its exit status. Collects stderr."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise
        if self.stderr_text is None and self._stderr_reader:
            self._stderr_reader.join(timeout=10)
            self.stderr_text = "".join(self._stderr_parts)
        self.proc.stdout.close()
        if self.proc.stderr:
            self.proc.stderr.close()
        return self.proc.returncode


class ServerTest(unittest.TestCase):
    """A test class sharing one server, started with `server_args`, across its tests."""
    server_args = ()

    @classmethod
    def setUpClass(cls):
        cls.server = Server(*cls.server_args)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()


def run_imgmock(*args, env=None, timeout=10):
    """Run the binary to completion (for --help, bad flags): returns CompletedProcess."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("IMGMOCK_")}
    full_env.update(env or {})
    return subprocess.run([BIN, *args], capture_output=True, text=True, env=full_env, timeout=timeout)


def split_response(raw):
    """Split raw response bytes into (status line, headers dict, body) for the first response."""
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return lines[0], headers, body


def envelope(message, type_="invalid_request_error", param=None, code=None):
    """The exact bytes of an OpenAI error envelope as imgmock writes it."""
    return (json.dumps({"error": {"message": message, "type": type_, "param": param, "code": code}},
                       indent=4) + "\n").encode()


def main():
    unittest.main(verbosity=2)

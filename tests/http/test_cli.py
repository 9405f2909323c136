"""The command line and process lifecycle: flags, environment variables, the listening line,
exit statuses and graceful shutdown, checked against the real binary."""
import re
import signal
import socket
import threading
import time
import unittest

from harness import Server, run_imgmock, main

FLAGS = ["host", "port", "threads", "max-body", "api-key", "organization", "mode", "retire", "quiet", "help",
         "version"]


class HelpAndVersion(unittest.TestCase):
    def test_help_lists_every_flag_and_its_environment_variable(self):
        r = run_imgmock("--help")
        self.assertEqual(r.returncode, 0)
        self.assertEqual(r.stderr, "")
        for flag in FLAGS:
            self.assertIn(f"--{flag}", r.stdout)
            if flag not in ("help", "version"):
                self.assertIn("IMGMOCK_" + flag.upper().replace("-", "_"), r.stdout)
        self.assertIn("(default: 4010)", r.stdout)
        self.assertIn("(default: 127.0.0.1)", r.stdout)

    def test_short_h_is_help(self):
        self.assertEqual(run_imgmock("-h").stdout, run_imgmock("--help").stdout)

    def test_version(self):
        r = run_imgmock("--version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^imgmock \d+\.\d+\.\d+\n$")


class BadArguments(unittest.TestCase):
    def assert_usage_error(self, result, first_line):
        self.assertEqual(result.returncode, 2)
        self.assertEqual(result.stdout, "")
        self.assertEqual(result.stderr.splitlines(),
                         [first_line, "Try 'imgmock --help' for more information."])

    def test_unknown_flag(self):
        self.assert_usage_error(run_imgmock("--prot", "80"), "imgmock: unknown option '--prot'")

    def test_positional_argument(self):
        self.assert_usage_error(run_imgmock("serve"), "imgmock: unexpected argument 'serve'")

    def test_bad_port(self):
        self.assert_usage_error(run_imgmock("--port", "70000"),
                                "imgmock: invalid value '70000' for --port: expected an integer from 0 to 65535")

    def test_bad_port_from_environment_names_the_variable(self):
        self.assert_usage_error(
            run_imgmock(env={"IMGMOCK_PORT": "http"}),
            "imgmock: invalid value 'http' for IMGMOCK_PORT: expected an integer from 0 to 65535")

    def test_bad_threads(self):
        self.assert_usage_error(run_imgmock("--threads=0"),
                                "imgmock: invalid value '0' for --threads: expected an integer from 1 to 1024")

    def test_bad_max_body(self):
        r = run_imgmock("--max-body", "12q")
        self.assertEqual(r.returncode, 2)
        self.assertIn("'12q' for --max-body", r.stderr)

    def test_bad_host(self):
        r = run_imgmock("--host", "example.com")
        self.assertEqual(r.returncode, 2)
        self.assertIn("invalid value 'example.com' for --host", r.stderr)

    def test_bad_mode(self):
        self.assert_usage_error(run_imgmock("--mode", "lenient"),
                                "imgmock: invalid value 'lenient' for --mode: expected one of strict, schema")

    def test_retire_must_name_a_catalogue_model(self):
        self.assert_usage_error(run_imgmock("--retire", "dall-e-4"),
                                "imgmock: invalid value 'dall-e-4' for --retire: expected a model of the catalogue")

    def test_retire_list_from_environment_is_checked_too(self):
        r = run_imgmock(env={"IMGMOCK_RETIRE": "dall-e-2,nope"})
        self.assertEqual(r.returncode, 2)
        self.assertIn("invalid value 'nope' for IMGMOCK_RETIRE", r.stderr)

    def test_organization_cannot_inject_headers(self):
        r = run_imgmock("--organization", "org\r\nx-evil: 1")
        self.assertEqual(r.returncode, 2)
        self.assertIn("for --organization", r.stderr)

    def test_missing_value(self):
        self.assert_usage_error(run_imgmock("--port"), "imgmock: option '--port' needs a value")

    def test_bad_flag_value_from_environment(self):
        r = run_imgmock(env={"IMGMOCK_QUIET": "perhaps"})
        self.assertEqual(r.returncode, 2)
        self.assertIn("'perhaps' for IMGMOCK_QUIET", r.stderr)


class Listening(unittest.TestCase):
    def test_listening_line_names_the_real_port(self):
        with Server() as s:
            self.assertEqual(s.listen_line, f"imgmock listening on http://127.0.0.1:{s.port}\n")
            self.assertNotEqual(s.port, 0)
            self.assertEqual(s.request("GET", "/health").status, 200)

    def test_port_from_environment(self):
        # IMGMOCK_PORT=0 is overridden by the harness's --port 0 anyway; check a real value
        # by letting the environment choose the organization and the command line the port.
        with Server(env={"IMGMOCK_ORGANIZATION": "org-from-env"}) as s:
            self.assertEqual(s.request("GET", "/health").header("openai-organization"), "org-from-env")

    def test_command_line_beats_environment(self):
        with Server("--organization", "org-from-flag", env={"IMGMOCK_ORGANIZATION": "org-from-env"}) as s:
            self.assertEqual(s.request("GET", "/health").header("openai-organization"), "org-from-flag")

    def test_ipv6_works_or_is_refused_clearly(self):
        """Debian's civetweb is built without IPv6: then --host ::1 must fail with a reason that
        says so, not civetweb's "invalid port spec". Where civetweb has IPv6, it must work."""
        try:
            s = Server("--host", "::1")
        except RuntimeError as refused:
            self.assertIn("cannot listen on ::1: this civetweb library was built without IPv6", str(refused))
            return
        with s:
            self.assertEqual(s.listen_line, f"imgmock listening on http://[::1]:{s.port}\n")
            self.assertEqual(s.request("GET", "/health").status, 200)

    def test_localhost_means_ipv4_loopback(self):
        with Server("--host", "localhost") as s:
            self.assertEqual(s.host, "127.0.0.1")

    def test_port_in_use_exits_1_with_a_reason(self):
        with Server() as s:
            r = run_imgmock("--port", str(s.port))
            self.assertEqual(r.returncode, 1)
            self.assertEqual(r.stdout, "")
            self.assertIn(f"imgmock: cannot listen on 127.0.0.1:{s.port}", r.stderr)


class Shutdown(unittest.TestCase):
    def test_sigterm_exits_0(self):
        s = Server()
        self.assertEqual(s.stop(signal.SIGTERM), 0)

    def test_sigint_exits_0(self):
        s = Server()
        self.assertEqual(s.stop(signal.SIGINT), 0)

    def test_in_flight_request_finishes_during_shutdown(self):
        """A request whose body is still arriving when SIGTERM lands is answered in full, and
        the process then exits 0."""
        s = Server()
        sock = socket.create_connection((s.host, s.port), timeout=10)
        sock.sendall(b"POST /v1/images/generations HTTP/1.1\r\nHost: x\r\n"
                     b"Authorization: Bearer k\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"4\r\n{\"a\"\r\n")
        time.sleep(0.3)  # the worker is now inside the handler, waiting for the body
        s.proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        self.assertIsNone(s.proc.poll(), "exited before the request in progress finished")
        sock.sendall(b"2\r\n:1\r\n1\r\n}\r\n0\r\n\r\n")
        answer = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        sock.close()
        self.assertTrue(answer.startswith(b"HTTP/1.1 "), answer[:80])
        self.assertIn(b"connection: close\r\n", answer)
        self.assertEqual(s.stop(), 0)

    def test_shutdown_closes_idle_keep_alive_connections(self):
        s = Server()
        conn = s.connection()
        self.assertEqual(s.request("GET", "/health", conn=conn).status, 200)
        done = threading.Event()
        rc = []
        threading.Thread(target=lambda: (rc.append(s.stop()), done.set())).start()
        self.assertTrue(done.wait(15), "shutdown hung on an idle keep-alive connection")
        self.assertEqual(rc, [0])
        conn.close()


class AccessLog(unittest.TestCase):
    LINE = (r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ 127\.0\.0\.1 (\S+) (\S+) (\d{3}) "
            r"\d+\.\dms (req_[0-9a-f]{32})$")

    def test_one_line_per_request(self):
        s = Server()
        ids = [s.request("GET", "/health").header("x-request-id"),
               s.post("{}", key=None).header("x-request-id"),
               s.request("GET", "/nope").header("x-request-id")]
        s.stop()
        lines = s.stderr_text.splitlines()
        self.assertEqual(len(lines), 3, lines)
        expected = [("GET", "/health", "200"), ("POST", "/v1/images/generations", "401"), ("GET", "/nope", "404")]
        for line, (method, path, status), rid in zip(lines, expected, ids):
            m = re.match(self.LINE, line)
            self.assertIsNotNone(m, line)
            self.assertEqual(m.groups(), (method, path, status, rid))

    def test_quiet_silences_it(self):
        s = Server("--quiet")
        s.request("GET", "/health")
        s.stop()
        self.assertEqual(s.stderr_text, "")

    def test_control_characters_in_path_cannot_forge_log_lines(self):
        s = Server()
        s.raw(b"GET /a%0Afake-line HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        s.stop()
        lines = s.stderr_text.splitlines()
        self.assertEqual(len(lines), 1, lines)
        self.assertIn("/a?fake-line", lines[0])


if __name__ == "__main__":
    main()

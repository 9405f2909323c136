#!/usr/bin/env python3
"""load.py — a bounded, mixed load against imgmock, with a memory verdict.

    python3 scripts/load.py [--duration 60] [--connections 64] [--bin build/imgmock | --url URL]
                            [--cache-mb 64] [--phases 2] [--think-ms 20] [--seed 1]

Each of --connections client threads keeps one persistent HTTP/1.1 connection (http.client; a
new one whenever the server closes it, as it does after 401 and 404) and loops over a weighted
mix of requests, each with the status it must get:

    400 n=11          dall-e-2 with n: 11                             -> 400 (param n)
    200 cached        dall-e-2 256x256 b64_json, 16 fixed prompts     -> 200, PNG
    200 fresh 256     dall-e-2 256x256 b64_json, a new prompt         -> 200, PNG
    200 fresh 1024    gpt-image-1 1024x1024 low, a new prompt         -> 200, PNG (occasional)
    200 url           dall-e-2 256x256 url, 64 prompts                -> 200, then
    200 url GET         GET of the returned URL                       -> 200 image/png
    200 stream        gpt-image-1 1024x1024 low, stream, 2 partials   -> 200, 2 partial + 1 completed
    429 injected      X-Mock-Status: 429                              -> 429
    500 injected      X-Mock-Status: 500                              -> 500
    401 no key        no Authorization                                -> 401
    404 route         POST /v1/images/nope                            -> 404
    200 health        GET /health                                     -> 200

Per kind: count, expected-status hits, unexpected statuses, bad bodies, socket errors, p50/p99.

With --bin, load.py starts the server itself (`--port 0 --quiet --cache-mb N`) and samples its
VmRSS from /proc every 0.5 s. Memory is judged like this:

  * The image cache is bounded (--cache-mb) but starts empty, so RSS legitimately grows while
    it fills. A fill step first pushes 1.25x the cache's budget of fresh images through it, the
    phases' own fresh kinds in their ratio (the cache keeps each b64_json image twice: its
    bytes and their base64 text), so the measured phases run with the cache full and evicting:
    from then on any growth is not the cache filling up.
  * --phases (default 2) equal phases of --duration seconds follow, with fresh prompts each.
    2 s after each phase, RSS is read again.
  * Fails when: any unexpected status, bad body or socket error; peak RSS > cache_mb + 32 MB
    (issue 9's target); RSS after any later phase > RSS after phase 1 + 4 MB (the same work again must not need more memory: no
    leak, no creeping fragmentation); the request after the load not answered 200; and (with
    --bin) the server not exiting 0 on SIGTERM.

With --url, the server is someone else's: no RSS, no fill.

Only the Python standard library. Client CPU is kept in check by a think time per thread
(--think-ms, uniform 0..2x) and reported with the server's, so a client-bound run shows.
Exit status: 0 pass, 1 fail, 2 usage or start-up error.
"""
import argparse
import base64
import http.client
import json
import os
import random
import re
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

LISTEN_LINE = re.compile(r"^imgmock listening on http://([^:/]+):(\d+)\s*$")
EP = "/v1/images/generations"
KEY = "sk-load-test"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
MB = 1 << 20


# ---- the mix --------------------------------------------------------------------------------

def jbody(obj):
    return json.dumps(obj).encode()


def first_image_magic(b64):
    return base64.b64decode(b64[:16])


class Kind:
    def __init__(self, name, weight, expect):
        self.name, self.weight, self.expect = name, weight, expect


KINDS = [
    Kind("400 n=11", 10, 400),
    Kind("200 cached", 20, 200),
    Kind("200 fresh 256", 8, 200),
    Kind("200 fresh 1024", 2, 200),
    Kind("200 url", 8, 200),
    Kind("200 url GET", 0, 200),  # follows every "200 url"; never drawn on its own
    Kind("200 stream", 2, 200),
    Kind("429 injected", 4, 429),
    Kind("500 injected", 4, 500),
    Kind("401 no key", 4, 401),
    Kind("404 route", 4, 404),
    Kind("200 health", 10, 200),
]
KIND = {k.name: k for k in KINDS}
FRESH_256 = {"model": "dall-e-2", "size": "256x256", "response_format": "b64_json"}
FRESH_1024 = {"model": "gpt-image-1", "size": "1024x1024", "quality": "low"}
DRAWN = [k for k in KINDS if k.weight]


class Tally:
    """Per kind: counts and latencies, shared by all client threads of one phase."""

    def __init__(self):
        self.lock = threading.Lock()
        self.rows = {k.name: {"count": 0, "ok": 0, "unexpected": 0, "bad_body": 0, "sock_err": 0,
                              "lat": []} for k in KINDS}
        self.samples = []  # a few examples of each kind of failure, for the report

    def add(self, name, status=None, latency=None, bad=None, error=None):
        with self.lock:
            row = self.rows[name]
            row["count"] += 1
            if error is not None:
                row["sock_err"] += 1
                self._sample("%s: socket error %s" % (name, error))
                return
            row["lat"].append(latency)
            if status != KIND[name].expect:
                row["unexpected"] += 1
                self._sample("%s: status %s (expected %s)" % (name, status, KIND[name].expect))
            elif bad:
                row["bad_body"] += 1
                self._sample("%s: bad body: %s" % (name, bad))
            else:
                row["ok"] += 1

    def _sample(self, text):
        if len(self.samples) < 20:
            self.samples.append(text)

    def totals(self):
        t = {"count": 0, "ok": 0, "unexpected": 0, "bad_body": 0, "sock_err": 0}
        for row in self.rows.values():
            for k in t:
                t[k] += row[k]
        return t


def pct(sorted_values, p):
    if not sorted_values:
        return float("nan")
    i = min(len(sorted_values) - 1, max(0, int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[i]


# ---- one client thread ------------------------------------------------------------------------

class Client:
    def __init__(self, host, port, tally, rng, tag, stop_at, think_s, timeout):
        self.host, self.port = host, port
        self.tally, self.rng, self.tag = tally, rng, tag
        self.stop_at, self.think_s, self.timeout = stop_at, think_s, timeout
        self.conn = None
        self.serial = 0

    def _conn(self):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self.conn

    def drop(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except OSError:
                pass
            self.conn = None

    def exchange(self, method, path, body=None, headers=None):
        """(status, headers dict, body bytes, seconds). Raises on socket trouble."""
        hdrs = dict(headers or {})
        if body is not None:
            hdrs["Content-Type"] = "application/json"
        c = self._conn()
        t0 = time.monotonic()
        c.request(method, path, body=body, headers=hdrs)
        r = c.getresponse()
        data = r.read()
        took = time.monotonic() - t0
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data, took

    def run_one(self, kind):
        """One item of the mix; every outcome goes to the tally."""
        key = {"Authorization": "Bearer " + KEY}
        self.serial += 1
        fresh = "%s-%d" % (self.tag, self.serial)
        name = kind.name
        follow = None
        if name == "400 n=11":
            req = ("POST", EP, jbody({"prompt": "x", "model": "dall-e-2", "n": 11}), key)
        elif name == "200 cached":
            req = ("POST", EP, jbody({"prompt": "cached %d" % self.rng.randrange(16), "model": "dall-e-2",
                                      "size": "256x256", "response_format": "b64_json"}), key)
        elif name == "200 fresh 256":
            req = ("POST", EP, jbody(dict(FRESH_256, prompt="fresh " + fresh)), key)
        elif name == "200 fresh 1024":
            req = ("POST", EP, jbody(dict(FRESH_1024, prompt="fresh " + fresh)), key)
        elif name == "200 url":
            req = ("POST", EP, jbody({"prompt": "url %d" % self.rng.randrange(64), "model": "dall-e-2",
                                      "size": "256x256", "response_format": "url"}), key)
            follow = "200 url GET"
        elif name == "200 stream":
            req = ("POST", EP, jbody({"prompt": "stream %d" % self.rng.randrange(8), "model": "gpt-image-1",
                                      "size": "1024x1024", "quality": "low", "stream": True,
                                      "partial_images": 2}), key)
        elif name == "429 injected":
            req = ("POST", EP, jbody({"prompt": "x"}), dict(key, **{"X-Mock-Status": "429"}))
        elif name == "500 injected":
            req = ("POST", EP, jbody({"prompt": "x"}), dict(key, **{"X-Mock-Status": "500"}))
        elif name == "401 no key":
            req = ("POST", EP, jbody({"prompt": "x"}), {})
        elif name == "404 route":
            req = ("POST", "/v1/images/nope", jbody({"prompt": "x"}), key)
        elif name == "200 health":
            req = ("GET", "/health", None, {})
        else:
            raise AssertionError(name)
        try:
            status, headers, data, took = self.exchange(*req)
        except (OSError, http.client.HTTPException) as e:
            self.drop()
            self.tally.add(name, error=type(e).__name__ + (": %s" % e if str(e) else ""))
            return
        bad = check_body(name, status, headers, data) if status == kind.expect else None
        self.tally.add(name, status=status, latency=took, bad=bad)
        if follow and status == 200 and not bad:
            url = json.loads(data)["data"][0]["url"]
            path = urllib.parse.urlsplit(url).path
            try:
                status, headers, data, took = self.exchange("GET", path)
            except (OSError, http.client.HTTPException) as e:
                self.drop()
                self.tally.add(follow, error=type(e).__name__ + (": %s" % e if str(e) else ""))
                return
            bad = check_body(follow, status, headers, data) if status == 200 else None
            self.tally.add(follow, status=status, latency=took, bad=bad)

    def run(self):
        try:
            while time.monotonic() < self.stop_at:
                kind = self.rng.choices(DRAWN, weights=[k.weight for k in DRAWN])[0]
                self.run_one(kind)
                if self.think_s:
                    time.sleep(self.rng.uniform(0, 2 * self.think_s))
        finally:
            self.drop()


def check_body(name, status, headers, data):
    """None when the answer's body is what its kind must carry, else a short reason."""
    try:
        if name == "200 url GET":
            if headers.get("content-type") != "image/png":
                return "content-type %r" % headers.get("content-type")
            return None if data.startswith(PNG_MAGIC) else "not a PNG"
        if name == "200 stream":
            if not headers.get("content-type", "").startswith("text/event-stream"):
                return "content-type %r" % headers.get("content-type")
            partial = data.count(b"event: image_generation.partial_image\n")
            done = data.count(b"event: image_generation.completed\n")
            return None if (partial, done) == (2, 1) else "%d partial, %d completed events" % (partial, done)
        if name == "200 health":
            return None if json.loads(data) == {"status": "ok"} else "body %r" % data[:80]
        doc = json.loads(data)
        if status >= 400:
            err = doc["error"]
            if list(err) != ["message", "type", "param", "code"]:
                return "envelope keys %r" % list(err)
            if name == "400 n=11" and err["param"] != "n":
                return "param %r" % err["param"]
            return None
        item = doc["data"][0]
        if name == "200 url":
            return None if item["url"].startswith("http") else "url %r" % item["url"][:60]
        return None if first_image_magic(item["b64_json"]).startswith(PNG_MAGIC) else "not a PNG"
    except (ValueError, KeyError, IndexError, TypeError) as e:
        return "%s: %s" % (type(e).__name__, e)


# ---- the server and its memory --------------------------------------------------------------

class Sampler(threading.Thread):
    """VmRSS of a process every 0.5 s; the peak per label and overall."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.label = "idle"
        self.peak = {}
        self.overall_peak = 0
        self.last = 0
        self._stop = threading.Event()

    def read(self):
        try:
            with open("/proc/%d/status" % self.pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        kb = int(line.split()[1])
                        self.last = kb
                        self.overall_peak = max(self.overall_peak, kb)
                        self.peak[self.label] = max(self.peak.get(self.label, 0), kb)
                        return kb
        except OSError:
            return None
        return None

    def cpu_s(self):
        try:
            with open("/proc/%d/stat" % self.pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return float("nan")

    def run(self):
        while not self._stop.wait(0.5):
            self.read()

    def stop(self):
        self._stop.set()


def start_server(binary, cache_mb, extra):
    errlog = tempfile.TemporaryFile(mode="w+")
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMGMOCK_")}
    proc = subprocess.Popen([binary, "--port", "0", "--quiet", "--cache-mb", str(cache_mb), *extra],
                            stdout=subprocess.PIPE, stderr=errlog, text=True, env=env)
    line = proc.stdout.readline()
    m = LISTEN_LINE.match(line)
    if not m:
        proc.kill()
        proc.wait()
        errlog.seek(0)
        raise RuntimeError("imgmock did not start: %r %s" % (line, errlog.read()[-2000:]))
    return proc, errlog, m.group(1), int(m.group(2))


def mb(kb):
    return "%.1f MB" % (kb / 1024.0)


# ---- phases -----------------------------------------------------------------------------------

def fill_cache(host, port, cache_mb, timeout, seed):
    """Push 1.25x the cache's budget of fresh images through it: the phases' own fresh kinds
    (dall-e-2 256x256 and gpt-image-1 1024x1024 low) in the phases' ratio, so the cache then
    holds what it will hold during the phases. b64_json answers are cached twice: the encoded
    bytes and their base64 text. Returns (requests, cache bytes pushed, seconds, errors)."""
    target = int(cache_mb * MB * 1.25)
    w256, w1024 = KIND["200 fresh 256"].weight, KIND["200 fresh 1024"].weight
    pushed = [0, 0]  # requests, bytes
    errors = []
    lock = threading.Lock()
    t0 = time.monotonic()

    def worker(w):
        rng = random.Random(seed * 7919 + w)
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        i = 0
        try:
            while True:
                with lock:
                    if pushed[1] >= target or errors:
                        return
                i += 1
                shape = FRESH_256 if rng.random() < w256 / float(w256 + w1024) else FRESH_1024
                body = jbody(dict(shape, prompt="fill %d-%d" % (w, i)))
                try:
                    conn.request("POST", EP, body=body, headers={"Authorization": "Bearer " + KEY,
                                                                 "Content-Type": "application/json"})
                    r = conn.getresponse()
                    data = r.read()
                except (OSError, http.client.HTTPException) as e:
                    with lock:
                        errors.append("fill: %s %s" % (type(e).__name__, e))
                    return
                if r.status != 200:
                    with lock:
                        errors.append("fill: status %d" % r.status)
                    return
                b64 = json.loads(data)["data"][0]["b64_json"]
                if not first_image_magic(b64).startswith(PNG_MAGIC):
                    with lock:
                        errors.append("fill: not a PNG")
                    return
                with lock:
                    pushed[0] += 1
                    pushed[1] += len(b64) + len(b64) * 3 // 4  # text + bytes
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return pushed[0], pushed[1], time.monotonic() - t0, errors


def run_phase(host, port, n, connections, duration, think_s, seed, timeout):
    tally = Tally()
    stop_at = time.monotonic() + duration
    clients = [Client(host, port, tally, random.Random(seed * 1000003 + n * 10007 + i), "p%d-c%d" % (n, i),
                      stop_at, think_s, timeout) for i in range(connections)]
    threads = [threading.Thread(target=c.run, daemon=True) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=duration + timeout + 30)
    hung = sum(t.is_alive() for t in threads)
    return tally, hung


def print_table(tally, wall):
    head = "%-16s %8s %8s %6s %6s %6s %9s %9s" % ("kind", "count", "expected", "unexp", "badbody", "sockerr",
                                                 "p50 ms", "p99 ms")
    print("  " + head)
    print("  " + "-" * len(head))
    for k in KINDS:
        row = tally.rows[k.name]
        lat = sorted(row["lat"])
        print("  %-16s %8d %8d %6d %6d %6d %9.1f %9.1f" % (
            k.name, row["count"], row["ok"], row["unexpected"], row["bad_body"], row["sock_err"],
            pct(lat, 50) * 1000, pct(lat, 99) * 1000))
    t = tally.totals()
    all_lat = sorted(x for row in tally.rows.values() for x in row["lat"])
    print("  %-16s %8d %8d %6d %6d %6d %9.1f %9.1f" % ("all", t["count"], t["ok"], t["unexpected"],
                                                       t["bad_body"], t["sock_err"],
                                                       pct(all_lat, 50) * 1000, pct(all_lat, 99) * 1000))
    print("  %.0f requests/s over %.1f s" % (t["count"] / wall if wall else 0, wall))
    for s in tally.samples:
        print("  ! " + s)


def main():
    ap = argparse.ArgumentParser(description="bounded mixed load against imgmock, with an RSS verdict")
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--bin", help="imgmock binary to start (default build/imgmock when --url is not given)")
    where.add_argument("--url", help="an imgmock already running, e.g. http://127.0.0.1:4010")
    ap.add_argument("--duration", type=float, default=60, help="seconds per phase (default 60)")
    ap.add_argument("--phases", type=int, default=2, help="equal phases (default 2)")
    ap.add_argument("--connections", type=int, default=64, help="client threads and connections (default 64)")
    ap.add_argument("--cache-mb", type=int, default=64, help="--cache-mb for the server started (default 64)")
    ap.add_argument("--think-ms", type=float, default=20, help="mean pause per client after each request (default 20)")
    ap.add_argument("--timeout", type=float, default=30, help="socket timeout per request, s (default 30)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the mix (default 1)")
    ap.add_argument("--no-fill", action="store_true", help="skip filling the cache before the phases")
    ap.add_argument("--server-arg", action="append", default=[], help="extra argument for the server started")
    args = ap.parse_args()
    if args.duration <= 0 or args.phases < 1 or args.connections < 1:
        ap.error("--duration, --phases and --connections must be positive")

    proc = errlog = sampler = None
    if args.url:
        u = urllib.parse.urlsplit(args.url)
        if u.scheme != "http" or not u.hostname:
            ap.error("--url must be http://HOST:PORT")
        host, port = u.hostname, u.port or 80
    else:
        binary = args.bin or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "imgmock")
        try:
            proc, errlog, host, port = start_server(binary, args.cache_mb, args.server_arg)
        except (OSError, RuntimeError) as e:
            print("load: %s" % e, file=sys.stderr)
            return 2
        sampler = Sampler(proc.pid)
        sampler.start()

    failures = []
    rss = {}
    print("imgmock load: %s, %d connections, %d phase(s) x %g s, think %g ms, seed %d" % (
        "server %s (pid %d) on http://%s:%d, --cache-mb %d" % (args.bin or "build/imgmock", proc.pid, host, port,
                                                              args.cache_mb) if proc else "http://%s:%d" % (host, port),
        args.connections, args.phases, args.duration, args.think_ms, args.seed))
    try:
        if sampler:
            time.sleep(1.0)
            rss["before"] = sampler.read()
            print("RSS idle before the load: %s" % mb(rss["before"]))
            if args.cache_mb > 0 and not args.no_fill:
                sampler.label = "fill"
                reqs, pushed, took, errs = fill_cache(host, port, args.cache_mb, args.timeout, args.seed)
                rss["fill"] = sampler.read()
                print("fill: %d fresh images, %.1f MB of cache data (budget %d MB) in %.1f s; RSS %s, peak %s" % (
                    reqs, pushed / MB, args.cache_mb, took, mb(rss["fill"]), mb(sampler.peak.get("fill", 0))))
                failures += errs
        after = []
        for n in range(1, args.phases + 1):
            if sampler:
                sampler.label = "phase %d" % n
                start_rss = sampler.read()
                cpu0 = sampler.cpu_s()
            ru0 = resource.getrusage(resource.RUSAGE_SELF)
            t0 = time.monotonic()
            tally, hung = run_phase(host, port, n, args.connections, args.duration, args.think_ms / 1000.0,
                                    args.seed, args.timeout)
            wall = time.monotonic() - t0
            ru1 = resource.getrusage(resource.RUSAGE_SELF)
            client_cpu = (ru1.ru_utime - ru0.ru_utime + ru1.ru_stime - ru0.ru_stime) / wall * 100
            print("\nphase %d of %d:" % (n, args.phases))
            print_table(tally, wall)
            t = tally.totals()
            if t["unexpected"] or t["bad_body"] or t["sock_err"]:
                failures.append("phase %d: %d unexpected statuses, %d bad bodies, %d socket errors" % (
                    n, t["unexpected"], t["bad_body"], t["sock_err"]))
            if hung:
                failures.append("phase %d: %d client threads still waiting after the phase" % (n, hung))
            line = "  client CPU %.0f%% of a core" % client_cpu
            if sampler:
                server_cpu = (sampler.cpu_s() - cpu0) / wall * 100
                peak = sampler.peak.get("phase %d" % n, 0)
                sampler.label = "after %d" % n
                time.sleep(2.0)
                a = sampler.read()
                after.append(a)
                line += ", server CPU %.0f%%; RSS at start %s, peak %s, 2 s after %s" % (
                    server_cpu, mb(start_rss), mb(peak), mb(a))
            print(line)
            if proc and proc.poll() is not None:
                failures.append("imgmock exited during phase %d with status %s" % (n, proc.returncode))
                break

        # one more request: it still serves
        print()
        try:
            conn = http.client.HTTPConnection(host, port, timeout=10)
            t0 = time.monotonic()
            conn.request("POST", EP, body=jbody({"prompt": "after the load", "model": "dall-e-2", "size": "256x256",
                                                 "response_format": "b64_json"}),
                         headers={"Authorization": "Bearer " + KEY, "Content-Type": "application/json"})
            r = conn.getresponse()
            data = r.read()
            conn.close()
            ok = r.status == 200 and first_image_magic(json.loads(data)["data"][0]["b64_json"]).startswith(PNG_MAGIC)
            print("request after the load: %d in %.1f ms%s" % (r.status, (time.monotonic() - t0) * 1000,
                                                               "" if ok else " (NOT a valid answer)"))
            if not ok:
                failures.append("the request after the load got %d" % r.status)
        except (OSError, http.client.HTTPException, ValueError, KeyError) as e:
            print("request after the load: failed (%s: %s)" % (type(e).__name__, e))
            failures.append("the request after the load failed: %s" % e)

        if sampler and after:
            limit_peak = (args.cache_mb + 32) * 1024
            print("RSS: before %s, peak %s (limit %s = cache %d MB + 32 MB), after the load %s"
                  % (mb(rss["before"]), mb(sampler.overall_peak), mb(limit_peak), args.cache_mb, mb(after[-1])))
            if sampler.overall_peak > limit_peak:
                failures.append("peak RSS %s > %s" % (mb(sampler.overall_peak), mb(limit_peak)))
            for n, a in enumerate(after[1:], start=2):
                growth = a - after[0]
                print("RSS after phase %d vs phase 1: %+.1f MB (limit +4.0 MB)" % (n, growth / 1024.0))
                if growth > 4 * 1024:
                    failures.append("RSS after phase %d grew %.1f MB over phase 1's" % (n, growth / 1024.0))
    finally:
        if sampler:
            sampler.stop()
        if proc:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    rc = proc.wait(timeout=40)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                    rc = "killed after 40 s"
            else:
                rc = proc.returncode
            print("imgmock exit status on SIGTERM: %s" % rc)
            if rc != 0:
                failures.append("imgmock exit status %s" % rc)
                errlog.seek(0)
                tail = errlog.read()[-2000:]
                if tail:
                    print("imgmock stderr (tail):\n" + tail)
            errlog.close()

    if failures:
        print("VERDICT: FAIL — " + "; ".join(failures))
        return 1
    print("VERDICT: PASS — every answer as expected, no socket errors" +
          (", memory bounded and flat" if sampler else " (memory not measured: --url)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

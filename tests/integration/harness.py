"""Harness for the integration tests: the real daemon, HTTP, fixtures, checks.

Everything here uses the Python 3 standard library only.  A Daemon is a real
bin/sealregd started on 127.0.0.1 port 0 over a temporary registry (made by
bin/sealdemo); its port is read from the "listening on 127.0.0.1:PORT" line
it prints.  Its stdout and stderr go to files (never pipes, which would fill
up and block the daemon), kept for the log checks and for post-mortems.
"""

import base64
import http.client
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import time
import urllib.parse
import zlib

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# Generous: a loaded 2-core machine running an ASan build.
HTTP_TIMEOUT = 60.0
START_TIMEOUT = 60.0
STOP_TIMEOUT = 60.0


class Fail(Exception):
    """A failed expectation; the message says what was expected and what came."""


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def eq(got, want, what):
    if got != want:
        raise Fail("%s: expected %r, got %r" % (what, want, got))


def snippet(data, n=300):
    if isinstance(data, bytes):
        data = data.decode("utf-8", "replace")
    data = data.replace("\n", "\\n")
    return data if len(data) <= n else data[:n] + "..."


class Response:
    def __init__(self, method, path, status, reason, headers, body):
        self.method = method
        self.path = path
        self.status = status
        self.reason = reason
        self.headers = headers  # dict: lower-case name -> value
        self.body = body
        self._json = None

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def what(self):
        return "%s %s -> %d %s" % (self.method, snippet(self.path, 120), self.status,
                                   snippet(self.body, 400))

    def json(self):
        if self._json is None:
            try:
                self._json = json.loads(self.body.decode("utf-8"))
            except (ValueError, UnicodeDecodeError) as e:
                raise Fail("%s %s: body is not JSON (%s): %s"
                           % (self.method, self.path, e, snippet(self.body)))
        return self._json


def expect_status(resp, status):
    want = status if isinstance(status, (tuple, list, set)) else (status,)
    if resp.status not in want:
        raise Fail("expected HTTP %s, got %s" % ("/".join(map(str, want)), resp.what()))


def expect_json(resp, status=200):
    expect_status(resp, status)
    ctype = resp.header("content-type", "")
    check(ctype.startswith("application/json"),
          "%s %s: Content-Type expected application/json, got %r"
          % (resp.method, resp.path, ctype))
    return resp.json()


def expect_error(resp, status, code, field=None):
    """Check the documented error shape {"error":{"code","message"[,"field"]}}.

    code may be a string or a tuple of acceptable codes; field None means
    "not checked", field "" means "must be absent"."""
    expect_status(resp, status)
    ctype = resp.header("content-type", "")
    check(ctype.startswith("application/json"),
          "%s: error Content-Type expected application/json, got %r" % (resp.what(), ctype))
    doc = resp.json()
    check(isinstance(doc, dict) and isinstance(doc.get("error"), dict),
          "%s: expected {\"error\":{...}}" % resp.what())
    err = doc["error"]
    if code is None:
        check(isinstance(err.get("code"), str) and re.match(r"^[a-z_]+$", err["code"]),
              "%s: error.code expected a machine name, got %r" % (resp.what(), err.get("code")))
    else:
        codes = code if isinstance(code, (tuple, list, set)) else (code,)
        check(err.get("code") in codes, "%s: error.code expected %s, got %r"
              % (resp.what(), "|".join(codes), err.get("code")))
    check(isinstance(err.get("message"), str) and err["message"].strip() != "",
          "%s: error.message must be a non-empty sentence" % resp.what())
    if field == "":
        check("field" not in err or err["field"] in (None, ""),
              "%s: error.field expected absent" % resp.what())
    elif field is not None:
        check(err.get("field") == field,
              "%s: error.field expected %r, got %r" % (resp.what(), field, err.get("field")))
    return err


# Every (method, path, status) seen, for the check that each status a route
# answered is documented for it in docs/openapi.yaml.
OBSERVED = []


def request(port, method, path, body=None, headers=None, token=None, timeout=HTTP_TIMEOUT,
            conn=None):
    """One HTTP request on a fresh connection (or on conn when given)."""
    hdrs = dict(headers or {})
    if token is not None:
        hdrs["Authorization"] = "Bearer " + token
    own = conn is None
    if own:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=hdrs)
        r = conn.getresponse()
        data = r.read()
        heads = {k.lower(): v for k, v in r.getheaders()}
        OBSERVED.append((method, path, r.status))
        return Response(method, path, r.status, r.reason, heads, data)
    finally:
        if own:
            conn.close()


def raw_exchange(port, head, body_iter=(), timeout=HTTP_TIMEOUT):
    """Send raw request bytes (head, then each chunk of body_iter, stopping
    quietly if the server closes) and parse whatever response comes back.
    Returns a Response, or None when the connection was reset or closed
    without an answer."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        try:
            s.sendall(head)
            for chunk in body_iter:
                s.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        data = b""
        try:
            while True:
                part = s.recv(65536)
                if not part:
                    break
                data += part
                resp = parse_raw_response(data)
                if resp is not None and resp[1]:
                    break
        except (ConnectionResetError, socket.timeout):
            pass
        parsed = parse_raw_response(data)
        if parsed is None:
            return None
        return parsed[0]
    finally:
        s.close()


def parse_raw_response(data):
    """(Response, complete) from raw bytes, or None without a full head."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = data[:end].decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.[01] (\d{3}) ?(.*)", lines[0])
    if not m:
        return None
    heads = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        heads[k.strip().lower()] = v.strip()
    body = data[end + 4:]
    complete = True
    if "content-length" in heads:
        n = int(heads["content-length"])
        complete = len(body) >= n
        body = body[:n]
    return Response("RAW", "", int(m.group(1)), m.group(2), heads, body), complete


def multipart(fields, files, boundary="----sealreg-it-7MA4YWxkTrZu0gW"):
    """Encode a multipart/form-data body.  fields: [(name, text)],
    files: [(name, filename, content_type, bytes)].  Returns (body, ctype)."""
    out = []
    for name, value in fields:
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n"
                    % (boundary, name)).encode("utf-8"))
        out.append(value.encode("utf-8") if isinstance(value, str) else value)
        out.append(b"\r\n")
    for name, filename, ctype, data in files:
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                    "Content-Type: %s\r\n\r\n" % (boundary, name, filename, ctype))
                   .encode("utf-8"))
        out.append(data)
        out.append(b"\r\n")
    out.append(("--%s--\r\n" % boundary).encode("ascii"))
    return b"".join(out), "multipart/form-data; boundary=%s" % boundary


USCC_ALPHA = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def credit_code(region6, serial):
    """A valid 18-character unified social credit code (GB 32100-2015) for an
    enterprise (91) in region6, body derived from serial."""
    body = "91" + region6
    n = serial
    tail = ""
    for _ in range(9):
        tail = USCC_ALPHA[n % 31] + tail
        n //= 31
    body += tail
    s = sum(USCC_ALPHA.index(c) * w for c, w in zip(body, USCC_WEIGHTS))
    check_val = (31 - s % 31) % 31
    return body + USCC_ALPHA[check_val]


def png_chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))


def huge_png(width=20000, height=20000):
    """A well-formed PNG head declaring width x height RGB with a tiny IDAT."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat)
            + png_chunk(b"IEND", b""))


def corrupt_png():
    """A valid PNG signature and IHDR (64x64 RGB) followed by an IDAT of garbage."""
    ihdr = struct.pack(">IIBBBBB", 64, 64, 8, 2, 0, 0, 0)
    garbage = bytes((i * 73 + 11) & 0xff for i in range(400))
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", garbage)
            + png_chunk(b"IEND", b""))


def patch_jpeg_size(jpeg, width, height):
    """Rewrite the dimensions in a JPEG's SOF0/1/2 marker."""
    i = 2
    data = bytearray(jpeg)
    while i + 9 < len(data):
        check(data[i] == 0xFF, "patch_jpeg_size: lost marker sync at %d" % i)
        marker = data[i + 1]
        seglen = struct.unpack(">H", bytes(data[i + 2:i + 4]))[0]
        if marker in (0xC0, 0xC1, 0xC2):
            struct.pack_into(">HH", data, i + 5, height, width)
            return bytes(data)
        i += 2 + seglen
    raise Fail("patch_jpeg_size: no SOF marker")


def corrupt_jpeg(jpeg):
    """The JPEG's header segments kept, its entropy-coded data replaced by
    garbage that ends before EOI."""
    sos = jpeg.find(b"\xff\xda")
    check(sos > 0, "corrupt_jpeg: no SOS marker")
    seglen = struct.unpack(">H", jpeg[sos + 2:sos + 4])[0]
    head = jpeg[:sos + 2 + seglen]
    return head + bytes(((i * 7919) >> 3) & 0x7f for i in range(300))


class Tools:
    """The programs: BIN/sealregd, sealctl, sealdemo and the fixture tool."""

    def __init__(self, bindir, builddir):
        self.bindir = os.path.abspath(bindir)
        self.builddir = os.path.abspath(builddir)
        self.sealregd = os.path.join(self.bindir, "sealregd")
        self.sealctl_bin = os.path.join(self.bindir, "sealctl")
        self.sealdemo = os.path.join(self.bindir, "sealdemo")
        self.itfix_bin = os.path.join(self.builddir, "tests", "tools", "itfix")

    def missing(self):
        return [p for p in (self.sealregd, self.sealctl_bin, self.sealdemo, self.itfix_bin)
                if not os.access(p, os.X_OK)]

    def snapshot(self, dest):
        """Copy the programs into dest and use the copies: other people
        rebuilding bin/ in the shared tree during a run cannot disturb it."""
        os.makedirs(dest, exist_ok=True)
        for attr in ("sealregd", "sealctl_bin", "sealdemo", "itfix_bin"):
            src = getattr(self, attr)
            dst = os.path.join(dest, os.path.basename(src))
            for attempt in range(20):
                try:
                    shutil.copy2(src, dst)
                    break
                except OSError:
                    if attempt == 19:
                        raise
                    time.sleep(0.5)
            setattr(self, attr, dst)

    def run(self, argv, what, timeout=120):
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout, cwd=ROOT)
        if p.returncode != 0:
            raise Fail("%s failed (exit %d): %s %s" % (what, p.returncode,
                                                        snippet(p.stdout), snippet(p.stderr)))
        return p.stdout

    def sealctl(self, db, *args, as_json=True):
        argv = [self.sealctl_bin, "--db", db] + (["--json"] if as_json else []) + list(args)
        out = self.run(argv, "sealctl " + " ".join(args))
        if not as_json:
            return out.decode("utf-8", "replace")
        try:
            return json.loads(out.decode("utf-8"))
        except ValueError:
            raise Fail("sealctl %s: output is not JSON: %s" % (" ".join(args), snippet(out)))

    def itfix(self, *args):
        self.run([self.itfix_bin] + list(args), "itfix " + " ".join(args))

    def demo(self, db, tokens, seals=12):
        self.run([self.sealdemo, "--db", db, "--seals", str(seals), "--tokens", tokens],
                 "sealdemo")
        return parse_tokens(tokens)


def parse_tokens(path):
    """{"engraver": {prefix: token}, "police": [(unit, token)], "admin": token}"""
    out = {"engraver": {}, "police": [], "admin": None}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split()
            role, token, scope = parts[0], parts[-1], " ".join(parts[1:-1])
            if role == "engraver":
                out["engraver"][scope] = token
            elif role == "police":
                out["police"].append((scope, token))
            elif role == "admin":
                out["admin"] = token
    check(out["admin"] and out["police"] and len(out["engraver"]) >= 2,
          "tokens file %s lacks admin/police/engraver tokens" % path)
    return out


STATS_KEYS = ("seals", "by_status", "engravers", "accounts", "verifications", "audit_length",
              "audit_head")


def _die_with_parent():
    """In the child before exec: get SIGKILL when the test runner dies, so
    no daemon outlives a killed run (Linux prctl PR_SET_PDEATHSIG)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


class Daemon:
    """A running bin/sealregd over db; start() waits for its port."""

    def __init__(self, tools, db, workdir, name, extra=()):
        self.tools = tools
        self.db = db
        self.name = name
        self.extra = list(extra)
        self.out_path = os.path.join(workdir, name + ".stdout")
        self.err_path = os.path.join(workdir, name + ".stderr")
        self.proc = None
        self.port = None
        self.starts = 0

    def argv(self):
        return [self.tools.sealregd, "--db", self.db, "--listen", "127.0.0.1:0"] + self.extra

    def start(self):
        self.starts += 1
        mode = "ab" if self.starts > 1 else "wb"
        out = open(self.out_path, mode)
        err = open(self.err_path, mode)
        start_at = out.tell()
        try:
            self.proc = subprocess.Popen(self.argv(), stdout=out, stderr=err, cwd=ROOT,
                                         stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        finally:
            out.close()
            err.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            with open(self.out_path, "rb") as f:
                f.seek(start_at)
                text = f.read().decode("utf-8", "replace")
            m = re.search(r"listening on 127\.0\.0\.1:(\d+)", text)
            if m:
                self.port = int(m.group(1))
                return self
            if self.proc.poll() is not None:
                raise Fail("%s exited with %d before listening: %s" % (
                    self.name, self.proc.returncode, snippet(self.log_tail(), 800)))
            time.sleep(0.05)
        self.kill()
        raise Fail("%s printed no 'listening on 127.0.0.1:PORT' within %ds"
                   % (self.name, START_TIMEOUT))

    def log_tail(self, n=2000):
        text = ""
        for p in (self.out_path, self.err_path):
            try:
                with open(p, "rb") as f:
                    text += f.read().decode("utf-8", "replace")[-n:]
            except OSError:
                pass
        return text

    def log_text(self):
        text = ""
        for p in (self.out_path, self.err_path):
            try:
                with open(p, "rb") as f:
                    text += f.read().decode("utf-8", "replace")
            except OSError:
                pass
        return text

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Signal the daemon and wait; returns its exit status (None if killed)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                return None
        return self.proc.returncode

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def req(self, method, path, **kw):
        check(self.alive(), "%s is not running (exit %s): %s" % (
            self.name, self.proc.returncode if self.proc else None, snippet(self.log_tail(), 800)))
        return request(self.port, method, path, **kw)

    def get(self, path, **kw):
        return self.req("GET", path, **kw)

    def post(self, path, body, ctype, **kw):
        headers = dict(kw.pop("headers", {}) or {})
        if ctype is not None:
            headers["Content-Type"] = ctype
        return self.req("POST", path, body=body, headers=headers, **kw)

    def metric(self, name):
        """The sum of a metric's samples from /metrics, or None if absent."""
        r = self.get("/metrics")
        if r.status != 200:
            return None
        total, seen = 0.0, False
        for line in r.body.decode("utf-8", "replace").splitlines():
            if line.startswith(name) and (len(line) == len(name) or line[len(name)] in " {"):
                try:
                    total += float(line.rsplit(None, 1)[1])
                    seen = True
                except (ValueError, IndexError):
                    pass
        return total if seen else None

    def stats(self):
        s = self.tools.sealctl(self.db, "stats")
        return {k: s.get(k) for k in STATS_KEYS}

    def settle(self, timeout=8.0):
        """Wait until the verification log is flushed (querylog_pending 0)
        and the registry stats stay the same for a moment; return them."""
        deadline = time.monotonic() + timeout
        prev = None
        while True:
            pending = self.metric("sealregd_querylog_pending")
            cur = self.stats()
            if (pending in (None, 0.0)) and cur == prev:
                return cur
            if time.monotonic() > deadline:
                return cur
            prev = cur
            time.sleep(0.15)


def diff_stats(before, after):
    return ["%s: %r -> %r" % (k, before.get(k), after.get(k)) for k in STATS_KEYS
            if before.get(k) != after.get(k)]


def qs(**params):
    return urllib.parse.urlencode(params)


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))

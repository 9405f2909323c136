"""imaging — what the image tests share: a pool of servers, image decoders, and spec §7's numbers.

test_images.py, test_urls.py and test_stream.py each start servers on first use and stop them all
when the module ends, decode the images imgmock sends with decoders independent of its encoders
(chunk and marker walkers written here, PIL, libwebp's `dwebp`), and work out sizes and token
counts as the spec writes them. Those helpers live here once, so that every one of those files
checks an image as strictly as any of them does. Starting and talking to a single server is
harness.py's business; this module builds on it.
"""
import io
import os
import struct
import subprocess
import tempfile
import zlib

from PIL import Image

from harness import Server

OTTER = "A cute baby sea otter"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PIL_FORMAT = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}

# ---- servers: started on first use, stopped together when the module's tests are done -----------

_shared = {}
_extra = []


def server(*args):
    """The server started with `args` (plus --quiet), shared by every test asking for it."""
    if args not in _shared:
        _shared[args] = Server("--quiet", *args)
    return _shared[args]


def fresh_server(*args):
    """A server process of its own (for restarts, or a second server with the same arguments);
    stopped with the others at the end."""
    s = Server("--quiet", *args)
    _extra.append(s)
    return s


def stop_servers():
    """Stop every server of the pool; each must exit 0. A test module uses this as its
    tearDownModule. A server a test already signalled is only collected."""
    everyone = list(_shared.values()) + _extra
    _shared.clear()
    del _extra[:]
    failures = []
    for s in everyone:
        try:
            code = s.stop(timeout=30)
        except subprocess.TimeoutExpired:
            failures.append((s.args, "still running 30 s after SIGTERM"))
            continue
        if code != 0:
            failures.append((s.args, code))
    assert not failures, "imgmock did not exit cleanly: %r" % failures


# ---- decoders -----------------------------------------------------------------------------------

def png_structure(data):
    """Walk a PNG without PIL: signature, chunk CRCs, IHDR first, IEND last with nothing after
    it, and the IDAT stream inflating to exactly height * (1 + width * channels) bytes with a
    valid filter byte on every row. Returns (width, height, channels)."""
    assert data[:8] == PNG_SIGNATURE, "no PNG signature: %r" % data[:8]
    pos, names, idat, ihdr = 8, [], [], None
    while pos < len(data):
        length, name = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc, = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert zlib.crc32(name + body) == crc, "bad CRC on chunk %r" % name
        names.append(name)
        if name == b"IHDR":
            ihdr = body
        elif name == b"IDAT":
            idat.append(body)
        pos += 12 + length
        if name == b"IEND":
            break
    assert names[0] == b"IHDR" and names[-1] == b"IEND", names
    assert pos == len(data), "%d bytes after IEND" % (len(data) - pos)
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", ihdr)
    assert depth == 8 and interlace == 0, (depth, interlace)
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[color]
    raw = zlib.decompress(b"".join(idat))
    stride = 1 + width * channels
    assert len(raw) == height * stride, "IDAT inflates to %d bytes, expected %d" % (len(raw), height * stride)
    assert all(raw[y * stride] <= 4 for y in range(height)), "a row has an invalid filter type"
    return width, height, channels


def jpeg_structure(data):
    """Walk a JPEG's markers without PIL up to its frame header: (width, height, components)."""
    assert data[:3] == b"\xff\xd8\xff", "no JPEG SOI: %r" % data[:4]
    assert data[-2:] == b"\xff\xd9", "no JPEG EOI at the end"
    pos = 2
    while pos + 4 <= len(data):
        assert data[pos] == 0xFF, "marker expected at %d" % pos
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        length, = struct.unpack(">H", data[pos + 2:pos + 4])
        if marker in (0xC0, 0xC1, 0xC2):
            _, height, width, components = struct.unpack(">BHHB", data[pos + 4:pos + 10])
            return width, height, components
        assert marker != 0xDA, "scan before any frame header"
        pos += 2 + length
    raise AssertionError("no SOF marker")


def webp_structure(data):
    """The RIFF container and VP8L header without a decoder: (width, height, alpha_hint)."""
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP", "no RIFF/WEBP header: %r" % data[:16]
    riff, = struct.unpack("<I", data[4:8])
    assert riff == len(data) - 8, "RIFF size %d, file %d" % (riff, len(data))
    assert data[12:16] == b"VP8L", "not a lossless WebP: %r" % data[12:16]
    chunk, = struct.unpack("<I", data[16:20])
    assert 20 + chunk + (chunk & 1) == len(data), "VP8L chunk size %d, file %d" % (chunk, len(data))
    assert data[20] == 0x2F, "bad VP8L signature"
    bits = int.from_bytes(data[21:25], "little")
    assert bits >> 29 == 0, "VP8L version must be 0"
    return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, (bits >> 28) & 1


def dwebp(data):
    """Decode WebP with libwebp's dwebp to PAM: (width, height, RGBA bytes)."""
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "in.webp"), os.path.join(tmp, "out.pam")
        with open(src, "wb") as f:
            f.write(data)
        p = subprocess.run(["dwebp", src, "-pam", "-o", dst], capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, "dwebp failed: %s" % p.stderr.strip()
        with open(dst, "rb") as f:
            pam = f.read()
    end = pam.index(b"ENDHDR\n") + len(b"ENDHDR\n")
    lines = pam[:end].split(b"\n")
    assert lines[0] == b"P7", lines[0]
    fields = dict(line.split(b" ", 1) for line in lines[1:-2])
    width, height = int(fields[b"WIDTH"]), int(fields[b"HEIGHT"])
    assert fields[b"DEPTH"] == b"4" and fields[b"MAXVAL"] == b"255" and fields[b"TUPLTYPE"] == b"RGB_ALPHA", fields
    pixels = pam[end:]
    assert len(pixels) == width * height * 4, "PAM has %d bytes of pixels" % len(pixels)
    return width, height, pixels


def dwebp_image(data):
    """dwebp's decoding of a WebP as an RGBA PIL image."""
    width, height, rgba = dwebp(data)
    return Image.frombytes("RGBA", (width, height), rgba)


def magic_format(data):
    """"png", "jpeg" or "webp", by the file's first bytes."""
    if data[:8] == PNG_SIGNATURE:
        return "png"
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    raise AssertionError("not an image: %r" % data[:16])


def pil_open(data, fmt):
    """Decode `data` with PIL, which must read it as `fmt` ("png", "jpeg", "webp"). Returns the
    loaded PIL image."""
    im = Image.open(io.BytesIO(data))
    assert im.format == PIL_FORMAT[fmt], "expected %s, PIL says %s" % (fmt, im.format)
    im.load()
    return im


class Decoded:
    """What the decoders agree an image is."""

    def __init__(self, fmt, width, height, mode, alpha_zero=0, alpha_full=0):
        self.format = fmt            # "png", "jpeg" or "webp"
        self.size = (width, height)
        self.mode = mode             # "RGB" or "RGBA"
        self.alpha_zero = alpha_zero  # pixels with alpha 0 (RGBA only)
        self.alpha_full = alpha_full  # pixels with alpha 255 (RGBA only)

    def __repr__(self):
        return "Decoded(%s %dx%d %s)" % (self.format, self.size[0], self.size[1], self.mode)


def decode(data):
    """Decode `data` with both decoders of its format and check they agree: PNG by
    png_structure and PIL, JPEG by jpeg_structure and PIL, WebP by webp_structure, dwebp and PIL
    (whose pixels must be dwebp's). Returns Decoded."""
    fmt = magic_format(data)
    im = pil_open(data, fmt)
    assert im.mode in ("RGB", "RGBA"), im.mode
    w, h = im.size
    if fmt == "png":
        pw, ph, channels = png_structure(data)
        assert (pw, ph) == (w, h), ((pw, ph), (w, h))
        assert channels == len(im.mode), (channels, im.mode)
    elif fmt == "jpeg":
        jw, jh, components = jpeg_structure(data)
        assert (jw, jh) == (w, h) and components == 3 and im.mode == "RGB", ((jw, jh), components, im.mode)
    else:
        vw, vh, alpha_hint = webp_structure(data)
        dw, dh, rgba = dwebp(data)
        assert (vw, vh) == (dw, dh) == (w, h), ((vw, vh), (dw, dh), (w, h))
        assert im.mode == ("RGBA" if alpha_hint else "RGB"), (alpha_hint, im.mode)
        mine = Image.frombytes("RGBA", (w, h), rgba)
        if im.mode == "RGB":
            alpha = rgba[3::4]
            assert alpha.count(255) == w * h, "opaque WebP has non-opaque pixels by dwebp"
            mine = mine.convert("RGB")
        assert mine.tobytes() == im.tobytes(), "dwebp and PIL decode different pixels"
    if im.mode == "RGBA":
        hist = im.getchannel("A").histogram()
        return Decoded(fmt, w, h, im.mode, hist[0], hist[255])
    return Decoded(fmt, w, h, im.mode)


# ---- requests, sizes and usage per spec §7 ------------------------------------------------------

def generate(srv, body, path="/v1/images/generations", **kw):
    """POST `body`; the answer must be 200. Returns the harness Response."""
    r = srv.post(body, path=path, **kw)
    assert r.status == 200, "status %d for %r: %r" % (r.status, body, r.body[:400])
    return r


def dims(size):
    """"WxH" as (W, H)."""
    w, h = size.split("x")
    return int(w), int(h)


GPT1_TABLE = {
    "low": {"1024x1024": 272, "1024x1536": 408, "1536x1024": 400},
    "medium": {"1024x1024": 1056, "1024x1536": 1584, "1536x1024": 1568},
    "high": {"1024x1024": 4160, "1024x1536": 6240, "1536x1024": 6208},
}


def gpt2_tokens(size, quality):
    """spec §7's formula, written out again here."""
    w, h = dims(size)
    f = {"low": 16, "medium": 48, "high": 96}[quality]
    big, small = max(w, h), min(w, h)
    saf = (2 * f * small + big) // (2 * big)
    return -(-(f * saf * (2000000 + w * h)) // 4000000)

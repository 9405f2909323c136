// Shared helpers of the SDK tests: start and stop imgmock, load the `openai` package, and read
// the format and dimensions of an image from its magic bytes and headers (PNG, JPEG, WebP).
// Node 18 and later; nothing but node's own modules.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
export const BIN = process.env.IMGMOCK_BIN || path.join(here, "..", "..", "build", "imgmock");
const LISTEN = /^imgmock listening on (http:\/\/\S+)$/;

// The openai package's default export. Imported this way so that a checkout without
// node_modules fails with what to do about it.
export async function loadOpenAI() {
  return import("openai").then(
    (m) => m.default,
    (err) => {
      throw new Error(`the openai package is not installed: run \`npm ci\` in tests/sdk (${err.message})`);
    },
  );
}

// Start imgmock on a free port with `args`; resolves to { url, proc, stop() } once it is
// listening. stop() sends SIGTERM and resolves to the exit code (imgmock exits 0 on SIGTERM),
// or the signal's name if it died of one.
export function startServer(args = []) {
  return new Promise((resolve, reject) => {
    const proc = spawn(BIN, ["--port", "0", "--quiet", ...args], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`imgmock did not start within 10 s: ${JSON.stringify(out)}`));
    }, 10000);
    proc.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    proc.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`imgmock exited with ${code} before listening: ${JSON.stringify(out)}`));
    });
    proc.stdout.setEncoding("utf8");
    const onData = (text) => {
      out += text;
      const newline = out.indexOf("\n");
      if (newline < 0) return;
      clearTimeout(timer);
      proc.stdout.off("data", onData);
      proc.stdout.resume(); // nothing else is expected on stdout; never let it block the server
      const m = LISTEN.exec(out.slice(0, newline));
      if (!m) {
        proc.kill("SIGKILL");
        reject(new Error(`unexpected first line from imgmock: ${JSON.stringify(out)}`));
        return;
      }
      proc.removeAllListeners("exit");
      const exited = new Promise((done) => proc.on("exit", (code, signal) => done(code ?? signal)));
      const stop = () => {
        if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
        return exited;
      };
      resolve({ url: m[1], proc, stop });
    };
    proc.stdout.on("data", onData);
  });
}

function toBuffer(data) {
  if (typeof data === "string") return Buffer.from(data, "base64");
  if (Buffer.isBuffer(data)) return data;
  return Buffer.from(data.buffer ?? data, data.byteOffset ?? 0, data.byteLength);
}

// Each decoder takes a Buffer, Uint8Array, ArrayBuffer or base64 string and returns
// { format, width, height }, or throws if the bytes are not that format.

export function decodePng(data) {
  const b = toBuffer(data);
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (b.length < 33 || sig.some((v, i) => b[i] !== v)) throw new Error("not a PNG: bad signature");
  if (b.readUInt32BE(8) !== 13 || b.toString("latin1", 12, 16) !== "IHDR") throw new Error("not a PNG: IHDR is not first");
  const iend = Buffer.from([0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);
  if (!b.subarray(-8).equals(iend)) throw new Error("PNG does not end with IEND");
  return { format: "png", width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

export function decodeJpeg(data) {
  const b = toBuffer(data);
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) throw new Error("not a JPEG: no SOI");
  if (b[b.length - 2] !== 0xff || b[b.length - 1] !== 0xd9) throw new Error("JPEG does not end with EOI");
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) throw new Error(`JPEG: no marker at offset ${i}`);
    const marker = b[i + 1];
    if (marker === 0xff) {
      i += 1; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2; // markers without a length
      continue;
    }
    const len = b.readUInt16BE(i + 2);
    // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC)
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { format: "jpeg", width: b.readUInt16BE(i + 7), height: b.readUInt16BE(i + 5) };
    }
    if (marker === 0xda || marker === 0xd9) break; // scan data or end before any frame header
    i += 2 + len;
  }
  throw new Error("JPEG: no SOF frame header");
}

export function decodeWebp(data) {
  const b = toBuffer(data);
  if (b.length < 30 || b.toString("latin1", 0, 4) !== "RIFF" || b.toString("latin1", 8, 12) !== "WEBP") {
    throw new Error("not a WebP: no RIFF/WEBP header");
  }
  if (b.readUInt32LE(4) + 8 !== b.length) throw new Error(`WebP RIFF size ${b.readUInt32LE(4)} + 8 != ${b.length} bytes`);
  const chunk = b.toString("latin1", 12, 16);
  if (chunk === "VP8L") {
    if (b[20] !== 0x2f) throw new Error("WebP VP8L: bad signature byte");
    const bits = b.readUInt32LE(21);
    return { format: "webp", width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === "VP8 ") {
    if (b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) throw new Error("WebP VP8: bad start code");
    return { format: "webp", width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
  }
  if (chunk === "VP8X") {
    return { format: "webp", width: b.readUIntLE(24, 3) + 1, height: b.readUIntLE(27, 3) + 1 };
  }
  throw new Error(`WebP: unknown first chunk ${JSON.stringify(chunk)}`);
}

// Whichever of the three the magic bytes say.
export function decodeImage(data) {
  const b = toBuffer(data);
  if (b[0] === 0x89 && b[1] === 0x50) return decodePng(b);
  if (b[0] === 0xff && b[1] === 0xd8) return decodeJpeg(b);
  if (b.toString("latin1", 0, 4) === "RIFF") return decodeWebp(b);
  throw new Error(`unknown image format: ${b.subarray(0, 12).toString("hex")}`);
}

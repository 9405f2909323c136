// imgmock's non-streaming generations through the official `openai` npm package: every model's
// images (format and dimensions), usage, url downloads, every error class the SDK maps, request
// ids, the SDK's retries against imgmock's retry headers, and timeouts against injected latency.
// Streaming is in stream.test.mjs, the SDK-generated-suite scenario in generated-suite.test.mjs.
//
// Run: cd tests/sdk && npm ci && IMGMOCK_BIN=../../build/imgmock node --test images.test.mjs
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { decodeImage, decodePng, loadOpenAI, startServer } from "./imgmock.mjs";

const OpenAI = await loadOpenAI();

const PROMPT = "A cute baby sea otter"; // 5 tokens by imgmock's approximation
const REQUEST_ID = /^req_[0-9a-f]{32}$/;
const ENDPOINT = "/v1/images/generations";

let server; // imgmock as started by default
let keyed; // imgmock --api-key sk-right
let client;

before(async () => {
  [server, keyed] = await Promise.all([startServer(), startServer(["--api-key", "sk-right"])]);
  client = new OpenAI({ baseURL: server.url + "/v1", apiKey: "sk-test" });
});

after(async () => {
  const codes = await Promise.all([server, keyed].filter(Boolean).map((s) => s.stop()));
  assert.deepEqual(codes, codes.map(() => 0), "imgmock exit status after SIGTERM");
});

// The same request without the SDK: the raw status, headers and parsed body.
async function raw(body, headers = {}, base = server.url) {
  const res = await fetch(base + ENDPOINT, {
    method: "POST",
    headers: { Authorization: "Bearer sk-test", "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

async function journal() {
  const res = await fetch(server.url + "/__mock/requests");
  assert.equal(res.status, 200);
  return (await res.json()).requests;
}

async function clearJournal() {
  const res = await fetch(server.url + "/__mock/requests", { method: "DELETE" });
  assert.equal(res.status, 204);
}

function header(entry, name) {
  const key = Object.keys(entry.headers).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : entry.headers[key];
}

function assertUsage(usage, outputTokensPerImage, n = 1) {
  assert.ok(usage, "usage present");
  assert.deepEqual(usage, {
    input_tokens: 5,
    input_tokens_details: { image_tokens: 0, text_tokens: 5 },
    output_tokens: outputTokensPerImage * n,
    output_tokens_details: { image_tokens: outputTokensPerImage * n, text_tokens: 0 },
    total_tokens: 5 + outputTokensPerImage * n,
  });
}

// ---- every model ----------------------------------------------------------------------------

const GPT_CASES = [
  // model, request fields, expected format and size, output tokens per image (spec §7)
  { model: "gpt-image-1", body: { output_format: "png", size: "1024x1024", quality: "low" }, format: "png", w: 1024, h: 1024, tokens: 272 },
  { model: "gpt-image-1-mini", body: { output_format: "jpeg", size: "1024x1536", quality: "low" }, format: "jpeg", w: 1024, h: 1536, tokens: 408 },
  { model: "gpt-image-1.5", body: { output_format: "webp", size: "1536x1024", quality: "low" }, format: "webp", w: 1536, h: 1024, tokens: 400 },
  { model: "chatgpt-image-latest", body: { output_format: "jpeg", output_compression: 50, size: "1024x1024", quality: "medium" }, format: "jpeg", w: 1024, h: 1024, tokens: 1056 },
  { model: "gpt-image-2", body: { output_format: "png", size: "1824x1024", quality: "low" }, format: "png", w: 1824, h: 1024, tokens: 140 },
  { model: "gpt-image-2-2026-04-21", body: { output_format: "webp", size: "1024x1024", quality: "low" }, format: "webp", w: 1024, h: 1024, tokens: 196 },
];

for (const c of GPT_CASES) {
  test(`${c.model}: ${c.format} ${c.w}x${c.h} with usage`, async () => {
    const res = await client.images.generate({ model: c.model, prompt: PROMPT, ...c.body });
    assert.equal(res.data.length, 1);
    assert.deepEqual(Object.keys(res.data[0]), ["b64_json"]);
    assert.deepEqual(decodeImage(res.data[0].b64_json), { format: c.format, width: c.w, height: c.h });
    assert.equal(res.output_format, c.format);
    assert.equal(res.size, `${c.w}x${c.h}`);
    assert.equal(res.quality, c.body.quality);
    assert.equal(res.background, "opaque");
    assert.ok(Number.isInteger(res.created));
    assert.ok(Math.abs(res.created - Date.now() / 1000) <= 5, `created ${res.created} is not now`);
    assertUsage(res.usage, c.tokens);
  });
}

test("gpt-image-1: n=2, transparent webp, two different images, usage for both", async () => {
  const res = await client.images.generate({
    model: "gpt-image-1",
    prompt: PROMPT,
    n: 2,
    background: "transparent",
    output_format: "webp",
    size: "1024x1024",
    quality: "low",
  });
  assert.equal(res.data.length, 2);
  for (const d of res.data) assert.deepEqual(decodeImage(d.b64_json), { format: "webp", width: 1024, height: 1024 });
  assert.notEqual(res.data[0].b64_json, res.data[1].b64_json);
  assert.equal(res.background, "transparent");
  assertUsage(res.usage, 272, 2);
});

test("dall-e-2: b64_json PNG of the requested size, no usage", async () => {
  const res = await client.images.generate({ model: "dall-e-2", prompt: PROMPT, size: "256x256", response_format: "b64_json" });
  assert.deepEqual(Object.keys(res).sort(), ["created", "data"]);
  assert.equal(res.usage, undefined);
  assert.equal(res.data.length, 1);
  assert.deepEqual(Object.keys(res.data[0]), ["b64_json"]);
  assert.deepEqual(decodePng(res.data[0].b64_json), { format: "png", width: 256, height: 256 });
});

test("dall-e-3: b64_json PNG with revised_prompt, no usage", async () => {
  for (const [style, opening] of [
    ["vivid", "A vivid, richly detailed rendering of "],
    ["natural", "A natural, true-to-life depiction of "],
  ]) {
    const res = await client.images.generate({
      model: "dall-e-3",
      prompt: PROMPT,
      size: "1792x1024",
      style,
      response_format: "b64_json",
    });
    assert.deepEqual(Object.keys(res).sort(), ["created", "data"]);
    assert.equal(res.usage, undefined);
    assert.equal(res.data.length, 1);
    assert.deepEqual(decodePng(res.data[0].b64_json), { format: "png", width: 1792, height: 1024 });
    assert.equal(typeof res.data[0].revised_prompt, "string");
    assert.ok(res.data[0].revised_prompt.startsWith(opening), `revised_prompt ${JSON.stringify(res.data[0].revised_prompt)}`);
  }
});

// ---- url downloads --------------------------------------------------------------------------

test("dall-e-2's default response_format is url, and the url serves the PNG", async () => {
  const res = await client.images.generate({ model: "dall-e-2", prompt: PROMPT, size: "512x512" });
  assert.equal(res.data.length, 1);
  assert.deepEqual(Object.keys(res.data[0]), ["url"]);
  const url = res.data[0].url;
  assert.ok(url.startsWith(server.url + "/images/"), `url ${url}`);
  const image = await fetch(url);
  assert.equal(image.status, 200);
  assert.equal(image.headers.get("content-type"), "image/png");
  const bytes = Buffer.from(await image.arrayBuffer());
  assert.deepEqual(decodePng(bytes), { format: "png", width: 512, height: 512 });
  // the same request as b64_json gives the same bytes
  const b64 = await client.images.generate({ model: "dall-e-2", prompt: PROMPT, size: "512x512", response_format: "b64_json" });
  assert.ok(Buffer.from(b64.data[0].b64_json, "base64").equals(bytes), "url image == b64_json image");
});

// ---- raw responses and request ids -----------------------------------------------------------

test("withResponse(): request_id is the x-request-id header; the headers of spec §6", async () => {
  const { data, response, request_id } = await client.images
    .generate({ model: "gpt-image-1", prompt: PROMPT, size: "1024x1024", quality: "low" })
    .withResponse();
  assert.equal(response.status, 200);
  assert.match(request_id, REQUEST_ID);
  assert.equal(request_id, response.headers.get("x-request-id"));
  assert.equal(response.headers.get("openai-version"), "2020-10-01");
  assert.equal(response.headers.get("openai-organization"), "org-mock");
  assert.match(response.headers.get("openai-processing-ms"), /^\d+$/);
  assert.match(response.headers.get("content-type"), /^application\/json/);
  assert.equal(data.data.length, 1);
  decodePng(data.data[0].b64_json);
  // another request, another id
  const again = await client.images.generate({ model: "dall-e-2", prompt: PROMPT, size: "256x256" }).withResponse();
  assert.match(again.request_id, REQUEST_ID);
  assert.notEqual(again.request_id, request_id);
});

test("asResponse(): the raw response parses to what the SDK returns", async () => {
  const body = { model: "gpt-image-1", prompt: PROMPT, size: "1024x1024", quality: "low" };
  const response = await client.images.generate(body).asResponse();
  assert.equal(response.status, 200);
  const json = await response.json();
  const parsed = await client.images.generate(body);
  assert.equal(json.data[0].b64_json, parsed.data[0].b64_json, "same request, same image");
  assert.deepEqual(json.usage, parsed.usage);
});

// ---- errors ----------------------------------------------------------------------------------

// Asserts that `promise` rejects with `Class`, the given status and the envelope `raw` carries,
// and that its request id is the header's. Returns the error.
async function expectError(promise, Class, status, envelope) {
  let caught;
  await assert.rejects(promise, (err) => {
    caught = err;
    return true;
  });
  const err = caught;
  assert.ok(err instanceof Class, `expected ${Class.name}, got ${err?.constructor?.name}: ${err}`);
  assert.ok(err instanceof OpenAI.APIError);
  assert.equal(err.status, status);
  if (envelope) {
    assert.deepEqual(Object.keys(envelope).slice(0, 4), ["message", "type", "param", "code"]);
    assert.equal(err.type, envelope.type);
    assert.equal(err.param, envelope.param);
    assert.equal(err.code, envelope.code);
    // request ids in messages (the 500's) are each request's own
    const anyId = (e) => ({ ...e, message: e.message.replace(/req_[0-9a-f]{32}/g, "req_…") });
    assert.deepEqual(anyId(err.error), anyId(envelope));
    assert.ok(err.message.includes(err.error.message), `err.message ${JSON.stringify(err.message)}`);
  }
  // openai 5.x names it requestID (request_id is the name on withResponse()'s result)
  assert.match(err.requestID, REQUEST_ID);
  assert.equal(err.requestID, err.headers.get("x-request-id"));
  return err;
}

test("BadRequestError: n: 11 → 400 with the envelope's param, code and type", async () => {
  const body = { model: "dall-e-2", prompt: PROMPT, n: 11 };
  const { status, body: envelope } = await raw(body);
  assert.equal(status, 400);
  assert.deepEqual(envelope.error, {
    message: "Invalid 'n': integer above maximum value. Expected a value <= 10, but got 11 instead.",
    type: "invalid_request_error",
    param: "n",
    code: "integer_above_max_value",
  });
  await expectError(client.images.generate(body), OpenAI.BadRequestError, 400, envelope.error);
});

test("BadRequestError: a gpt-image-2 size off the 16-pixel grid", async () => {
  const body = { model: "gpt-image-2", prompt: PROMPT, size: "1792x936" };
  const { body: envelope } = await raw(body);
  const err = await expectError(client.images.generate(body), OpenAI.BadRequestError, 400, envelope.error);
  assert.equal(err.type, "image_generation_user_error");
});

test("AuthenticationError: a key imgmock does not accept → 401 invalid_api_key", async () => {
  const wrong = new OpenAI({ baseURL: keyed.url + "/v1", apiKey: "sk-wrong", maxRetries: 0 });
  const body = { model: "gpt-image-1", prompt: PROMPT, quality: "low", size: "1024x1024" };
  const err = await expectError(wrong.images.generate(body), OpenAI.AuthenticationError, 401);
  assert.equal(err.code, "invalid_api_key");
  assert.equal(err.type, "invalid_request_error");
  assert.equal(err.param, null);
  assert.ok(err.error.message.startsWith("Incorrect API key provided: sk-wrong."), err.error.message);
  // and the right key is served
  const right = new OpenAI({ baseURL: keyed.url + "/v1", apiKey: "sk-right" });
  const res = await right.images.generate(body);
  decodePng(res.data[0].b64_json);
});

// Injected statuses (X-Mock-Status through the SDK's `headers` request option), no retries.
const INJECTED = [
  { status: 403, Class: "PermissionDeniedError", type: "invalid_request_error", code: null },
  { status: 404, Class: "NotFoundError", type: "invalid_request_error", code: "model_not_found", param: "model" },
  { status: 409, Class: "ConflictError", type: "invalid_request_error", code: "conflict" },
  { status: 422, Class: "UnprocessableEntityError", type: "invalid_request_error", code: null },
  { status: 429, Class: "RateLimitError", type: "requests", code: "rate_limit_exceeded" },
  { status: 500, Class: "InternalServerError", type: "server_error", code: null },
  { status: 503, Class: "InternalServerError", type: "server_error", code: null },
];

for (const c of INJECTED) {
  test(`${c.Class}: X-Mock-Status: ${c.status}`, async () => {
    const body = { model: "gpt-image-1", prompt: PROMPT };
    const headers = { "X-Mock-Status": String(c.status) };
    const { status, body: envelope } = await raw(body, headers);
    assert.equal(status, c.status);
    const err = await expectError(
      client.images.generate(body, { headers, maxRetries: 0 }),
      OpenAI[c.Class],
      c.status,
      envelope.error,
    );
    assert.equal(err.type, c.type);
    assert.equal(err.code, c.code);
    if (c.param) assert.equal(err.param, c.param);
    if (c.status === 429 || c.status >= 500) {
      assert.equal(err.headers.get("retry-after-ms"), "1000");
      assert.equal(err.headers.get("retry-after"), "1");
    }
    if (c.status === 500) assert.ok(err.error.message.includes(err.requestID), "the 500 message names the request id");
  });
}

// ---- retries ---------------------------------------------------------------------------------

test("SDK retries honour retry-after-ms: 503 with maxRetries 2 → 3 attempts, >= 1.8 s", async () => {
  await clearJournal();
  const tag = "retry-503-two";
  const start = performance.now();
  await expectError(
    client.images.generate(
      { model: "gpt-image-1", prompt: PROMPT },
      { headers: { "X-Mock-Status": "503", "X-Test-Tag": tag }, maxRetries: 2 },
    ),
    OpenAI.InternalServerError,
    503,
  );
  const elapsed = performance.now() - start;
  const attempts = (await journal()).filter((e) => e.path === ENDPOINT && header(e, "X-Test-Tag") === tag);
  assert.equal(attempts.length, 3, "attempts in the journal");
  assert.deepEqual(attempts.map((e) => e.status), [503, 503, 503]);
  assert.deepEqual(attempts.map((e) => header(e, "x-stainless-retry-count")), ["0", "1", "2"]);
  assert.equal(new Set(attempts.map((e) => e.request_id)).size, 3, "one request id per attempt");
  assert.ok(elapsed >= 1800, `two retries after retry-after-ms: 1000 took only ${elapsed.toFixed(0)} ms`);
});

test("maxRetries 0 → exactly one attempt", async () => {
  await clearJournal();
  const tag = "retry-503-none";
  await expectError(
    client.images.generate(
      { model: "gpt-image-1", prompt: PROMPT },
      { headers: { "X-Mock-Status": "503", "X-Test-Tag": tag }, maxRetries: 0 },
    ),
    OpenAI.InternalServerError,
    503,
  );
  const attempts = (await journal()).filter((e) => e.path === ENDPOINT && header(e, "X-Test-Tag") === tag);
  assert.equal(attempts.length, 1);
});

test("a validation error is not retried (no x-should-retry)", async () => {
  await clearJournal();
  const tag = "no-retry-400";
  await expectError(
    client.images.generate({ model: "dall-e-2", prompt: PROMPT, n: 11 }, { headers: { "X-Test-Tag": tag }, maxRetries: 2 }),
    OpenAI.BadRequestError,
    400,
  );
  const attempts = (await journal()).filter((e) => e.path === ENDPOINT && header(e, "X-Test-Tag") === tag);
  assert.equal(attempts.length, 1);
});

// ---- timeouts --------------------------------------------------------------------------------

test("timeout: 300 ms against X-Mock-Latency-Ms: 2000 → APIConnectionTimeoutError", async () => {
  const start = performance.now();
  await assert.rejects(
    client.images.generate(
      { model: "gpt-image-1", prompt: PROMPT, size: "1024x1024", quality: "low" },
      { headers: { "X-Mock-Latency-Ms": "2000" }, timeout: 300, maxRetries: 0 },
    ),
    (err) => {
      assert.ok(err instanceof OpenAI.APIConnectionTimeoutError, `not an APIConnectionTimeoutError: ${err}`);
      return true;
    },
  );
  const elapsed = performance.now() - start;
  assert.ok(elapsed < 1500, `the timeout fired after ${elapsed.toFixed(0)} ms`);
});

test("timeout: 5000 ms against X-Mock-Latency-Ms: 2000 → the images, after the latency", async () => {
  const start = performance.now();
  const res = await client.images.generate(
    { model: "gpt-image-1", prompt: PROMPT, size: "1024x1024", quality: "low" },
    { headers: { "X-Mock-Latency-Ms": "2000" }, timeout: 5000, maxRetries: 0 },
  );
  const elapsed = performance.now() - start;
  assert.deepEqual(decodePng(res.data[0].b64_json), { format: "png", width: 1024, height: 1024 });
  assert.ok(elapsed >= 1900, `answered after ${elapsed.toFixed(0)} ms, before the 2000 ms latency`);
});

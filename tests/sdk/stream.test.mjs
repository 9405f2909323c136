// imgmock driven by the official `openai` npm package (pinned in package-lock.json).
//
// The SDK is what users point at imgmock, so its own stream parser, error classes and response
// handling must accept what imgmock sends: streamed partial images and completed events
// (spec §8), plain generations, and error envelopes. Node's built-in test runner only, and
// nothing newer than Node 18 (Debian 12's nodejs).
//
// Run: cd tests/sdk && npm ci && IMGMOCK_BIN=../../build/imgmock node --test stream.test.mjs
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { decodePng, loadOpenAI, startServer } from "./imgmock.mjs";

const OpenAI = await loadOpenAI();

// A base64 string that must be a PNG of `width` x `height`: signature, then IHDR's dimensions.
function assertPng(b64, width, height) {
  assert.equal(typeof b64, "string");
  assert.match(b64, /^[A-Za-z0-9+/]+={0,2}$/);
  const png = Buffer.from(b64, "base64");
  assert.deepEqual(decodePng(png), { format: "png", width, height });
  return png;
}

const PROMPT = "A cute baby sea otter"; // 5 tokens by imgmock's approximation
const USAGE_LOW_SQUARE = (partials) => ({
  input_tokens: 5,
  input_tokens_details: { image_tokens: 0, text_tokens: 5 },
  output_tokens: 272 + 100 * partials,
  output_tokens_details: { image_tokens: 272 + 100 * partials, text_tokens: 0 },
  total_tokens: 5 + 272 + 100 * partials,
});

let plain; // imgmock as started by default
let withDone; // imgmock --stream-done
let client;

before(async () => {
  plain = await startServer();
  withDone = await startServer(["--stream-done"]);
  client = new OpenAI({ baseURL: plain.url + "/v1", apiKey: "sk-test" });
});

after(async () => {
  const codes = await Promise.all([plain, withDone].filter(Boolean).map((s) => s.stop()));
  assert.deepEqual(codes, codes.map(() => 0), "imgmock exit status after SIGTERM");
});

async function collect(stream) {
  const events = [];
  for await (const event of stream) events.push(event);
  return events;
}

test("streamed generation: 2 partial images, then the completed image with usage", async () => {
  const stream = await client.images.generate({
    model: "gpt-image-1",
    prompt: PROMPT,
    stream: true,
    partial_images: 2,
    size: "1024x1024",
    quality: "low",
  });
  const events = await collect(stream);
  assert.deepEqual(
    events.map((e) => e.type),
    ["image_generation.partial_image", "image_generation.partial_image", "image_generation.completed"],
  );
  assert.deepEqual(events.slice(0, 2).map((e) => e.partial_image_index), [0, 1]);
  const now = Math.floor(Date.now() / 1000);
  const pngs = [];
  for (const e of events) {
    assert.equal(e.size, "1024x1024");
    assert.equal(e.quality, "low");
    assert.equal(e.background, "opaque");
    assert.equal(e.output_format, "png");
    assert.equal(e.created_at, events[0].created_at);
    assert.ok(Math.abs(e.created_at - now) <= 5, `created_at ${e.created_at} is not now (${now})`);
    pngs.push(assertPng(e.b64_json, 1024, 1024).toString("base64"));
  }
  assert.equal(new Set(pngs).size, 3, "partial images and the final image are all different");
  const completed = events[2];
  assert.equal("partial_image_index" in completed, false);
  assert.deepEqual(completed.usage, USAGE_LOW_SQUARE(2));
});

test("streamed n=2: partials then completed for each image in turn", async () => {
  const stream = await client.images.generate({
    model: "gpt-image-1",
    prompt: PROMPT,
    stream: true,
    partial_images: 2,
    n: 2,
    size: "1024x1024",
    quality: "low",
  });
  const events = await collect(stream);
  const order = events.map((e) => (e.type === "image_generation.completed" ? "c" : `p${e.partial_image_index}`));
  assert.deepEqual(order, ["p0", "p1", "c", "p0", "p1", "c"]);
  for (const e of events) assertPng(e.b64_json, 1024, 1024);
  assert.notEqual(events[2].b64_json, events[5].b64_json);
  assert.deepEqual(events[2].usage, USAGE_LOW_SQUARE(2));
  assert.deepEqual(events[5].usage, USAGE_LOW_SQUARE(2));
});

test("the SDK ends cleanly on data: [DONE] (--stream-done)", async () => {
  const done = new OpenAI({ baseURL: withDone.url + "/v1", apiKey: "sk-test" });
  const body = { model: "gpt-image-1", prompt: PROMPT, stream: true, partial_images: 1, size: "1024x1024", quality: "low" };
  const [a, b] = [await collect(await done.images.generate(body)), await collect(await client.images.generate(body))];
  assert.deepEqual(a.map((e) => e.type), ["image_generation.partial_image", "image_generation.completed"]);
  assert.deepEqual(a.map((e) => e.b64_json), b.map((e) => e.b64_json), "same images with and without [DONE]");
});

test("the completed image is the non-streaming answer's image", async () => {
  const body = { model: "gpt-image-1", prompt: PROMPT, size: "1024x1024", quality: "low" };
  const response = await client.images.generate(body);
  assert.equal(response.data.length, 1);
  assertPng(response.data[0].b64_json, 1024, 1024);
  assert.deepEqual(response.usage, USAGE_LOW_SQUARE(0));
  assert.equal(response.size, "1024x1024");
  assert.equal(response.quality, "low");
  assert.equal(response.output_format, "png");
  assert.equal(response.background, "opaque");
  assert.ok(Number.isInteger(response.created));
  const events = await collect(await client.images.generate({ ...body, stream: true, partial_images: 1 }));
  assert.equal(events.at(-1).b64_json, response.data[0].b64_json);
});

test("an invalid request raises BadRequestError with the envelope's fields", async () => {
  for (const stream of [false, true]) {
    await assert.rejects(
      client.images.generate({ model: "gpt-image-1", prompt: PROMPT, stream, partial_images: 4 }),
      (err) => {
        assert.ok(err instanceof OpenAI.BadRequestError, `not a BadRequestError: ${err}`);
        assert.ok(err instanceof OpenAI.APIError);
        assert.equal(err.status, 400);
        assert.equal(err.code, "integer_above_max_value");
        assert.equal(err.param, "partial_images");
        assert.equal(err.type, "invalid_request_error");
        assert.equal(
          err.error.message,
          "Invalid 'partial_images': integer above maximum value. Expected a value <= 3, but got 4 instead.",
        );
        assert.match(err.requestID, /^req_[0-9a-f]{32}$/);
        return true;
      },
    );
  }
});

test("DALL-E with stream is refused as an unknown parameter", async () => {
  await assert.rejects(client.images.generate({ model: "dall-e-3", prompt: PROMPT, stream: true }), (err) => {
    assert.ok(err instanceof OpenAI.BadRequestError, `not a BadRequestError: ${err}`);
    assert.equal(err.code, "unknown_parameter");
    assert.equal(err.param, "stream");
    assert.equal(err.error.message, "Unknown parameter: 'stream'.");
    return true;
  });
});

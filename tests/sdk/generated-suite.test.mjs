// The scenario of the SDKs' own generated test suites (spec §9): a mock at TEST_API_BASE_URL
// (default http://127.0.0.1:4010) with no /v1 prefix, the key "My API Key", an "all parameters"
// request the live API would refuse (so imgmock runs with --mode schema) and a "required params
// only" request.
//
// With TEST_API_BASE_URL set, the tests run against that server (start it with
// `build/imgmock --mode schema`); otherwise they start their own imgmock --mode schema.
//
// Run: cd tests/sdk && npm ci && IMGMOCK_BIN=../../build/imgmock node --test generated-suite.test.mjs
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { decodeImage, loadOpenAI, startServer } from "./imgmock.mjs";

const OpenAI = await loadOpenAI();

let server; // our own imgmock, when TEST_API_BASE_URL is not set
let baseURL;
let client;

before(async () => {
  if (process.env.TEST_API_BASE_URL) {
    baseURL = process.env.TEST_API_BASE_URL.replace(/\/+$/, "");
  } else {
    server = await startServer(["--mode", "schema"]);
    baseURL = server.url;
  }
  client = new OpenAI({ baseURL, apiKey: "My API Key" });
});

after(async () => {
  if (server) assert.equal(await server.stop(), 0, "imgmock exit status after SIGTERM");
});

// The image of a data item, decoded: from b64_json, or downloaded from its url.
async function image(item) {
  if (typeof item.b64_json === "string") return decodeImage(item.b64_json);
  assert.equal(typeof item.url, "string", `neither b64_json nor url in ${JSON.stringify(item).slice(0, 200)}`);
  const res = await fetch(item.url);
  assert.equal(res.status, 200, `GET ${item.url}`);
  assert.match(res.headers.get("content-type"), /^image\//);
  return decodeImage(Buffer.from(await res.arrayBuffer()));
}

test("generate: only required params", async () => {
  const responsePromise = client.images.generate({ prompt: "A cute baby sea otter" });
  const rawResponse = await responsePromise.asResponse();
  assert.ok(rawResponse instanceof Response);
  assert.equal(rawResponse.status, 200);
  assert.equal(new URL(rawResponse.url).pathname, "/images/generations", "called without /v1");
  const response = await responsePromise;
  assert.ok(Number.isInteger(response.created));
  assert.equal(response.data.length, 1);
  // the default model, dall-e-2: 1024x1024 PNG
  assert.deepEqual(await image(response.data[0]), { format: "png", width: 1024, height: 1024 });
});

test("generate: all params", async () => {
  const response = await client.images.generate({
    prompt: "A cute baby sea otter",
    background: "transparent",
    model: "gpt-image-2",
    moderation: "low",
    n: 1,
    output_compression: 100,
    output_format: "png",
    partial_images: 1,
    quality: "medium",
    response_format: "url",
    size: "1024x1024",
    stream: false,
    style: "vivid",
    user: "user-1234",
  });
  assert.ok(Number.isInteger(response.created));
  assert.equal(response.data.length, 1);
  assert.deepEqual(await image(response.data[0]), { format: "png", width: 1024, height: 1024 });
  assert.equal(response.size, "1024x1024");
  assert.equal(response.output_format, "png");
  assert.equal(response.quality, "medium");
  assert.ok(response.usage, "usage present for a GPT model");
  assert.equal(response.usage.total_tokens, response.usage.input_tokens + response.usage.output_tokens);
});

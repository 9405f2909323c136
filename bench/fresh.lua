-- Fresh images: every request carries a distinct prompt, so every request misses the image
-- cache. The rest of the body comes from BENCH_FIELDS (JSON members without the prompt), set by
-- run.sh per scenario: (c) small image, (d) 1024x1024 PNG, (e) stream with partial images.
-- The prompt is a run nonce, the thread id (wrk gives each thread its own Lua state) and a
-- counter, so no two requests of a run share one.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local counter = 0
local nonce = os.getenv("BENCH_NONCE") or "0"
local fields = os.getenv("BENCH_FIELDS") or '"model":"dall-e-2","size":"256x256","response_format":"b64_json"'
function request()
  counter = counter + 1
  local body = "{" .. fields .. ',"prompt":"fresh ' .. nonce .. "-" .. tostring(tid) .. "-" .. counter .. '"}'
  return wrk.format("POST", "/v1/images/generations",
    {["Authorization"] = "Bearer sk-bench", ["Content-Type"] = "application/json"}, body)
end

-- (c) small image first time: dall-e-2 256x256 b64_json, a new prompt each request.
-- Every request carries a distinct prompt (thread id + counter; wrk gives each thread its own Lua
-- state, so the thread id keeps threads apart), so every request misses the image cache.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local counter = 0
local nonce = os.getenv("BENCH_NONCE") or "0"
function request()
  counter = counter + 1
  local body = '{"model":"dall-e-2","size":"256x256","response_format":"b64_json","prompt":"fresh small ' .. nonce .. "-" .. tostring(tid) .. "-" .. counter .. '"}'
  return wrk.format("POST", "/v1/images/generations",
    {["Authorization"] = "Bearer sk-bench", ["Content-Type"] = "application/json"}, body)
end

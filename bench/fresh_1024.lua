-- (d) 1024x1024 PNG from gpt-image-1, quality low, a new prompt each request.
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
  local body = '{"model":"gpt-image-1","size":"1024x1024","quality":"low","output_format":"png","prompt":"fresh big ' .. nonce .. "-" .. tostring(tid) .. "-" .. counter .. '"}'
  return wrk.format("POST", "/v1/images/generations",
    {["Authorization"] = "Bearer sk-bench", ["Content-Type"] = "application/json"}, body)
end

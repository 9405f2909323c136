-- (b) small image repeated: the same dall-e-2 256x256 b64_json request every time, so after
-- run.sh's warm-up request the encoded-image cache answers.
wrk.method = "POST"
wrk.path = "/v1/images/generations"
wrk.headers["Authorization"] = "Bearer sk-bench"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"dall-e-2","prompt":"a small cached otter","size":"256x256","response_format":"b64_json"}'

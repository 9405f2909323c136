-- (a) validation error: n above its maximum, with a key -> 400 from the endpoint's checks.
wrk.method = "POST"
wrk.path = "/v1/images/generations"
wrk.headers["Authorization"] = "Bearer sk-bench"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"prompt":"x","n":11}'

-- (a′) validation error without a range check: "prompt" missing, with a key -> 400. Used only by
-- run.sh --with-mocks: Steady answers (a)'s n=11 with 200 (its range checks are informational),
-- but it rejects a missing required field, so this body has a 400 on imgmock, Prism and Steady.
wrk.method = "POST"
wrk.path = "/v1/images/generations"
wrk.headers["Authorization"] = "Bearer sk-bench"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"n":1}'

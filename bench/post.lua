-- wrk script: POST the benchmark's 1 KB JSON payload with headers the size of the engine's
-- (content-type, webhook-id, webhook-timestamp, webhook-signature, event and attempt).
-- The body file is named by the environment variable BENCH_BODY.
local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["User-Agent"] = "MultisiteWebhooks/bench"
wrk.headers["webhook-id"] = "msg_2yTbQk1WdZcX7N4mPq8RsVf3Lh0"
wrk.headers["webhook-timestamp"] = tostring(os.time())
wrk.headers["webhook-signature"] = "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="
wrk.headers["x-webhook-event"] = "payment_received"
wrk.headers["x-webhook-attempt"] = "1"

-- One machine-readable line at the end for run.sh.
done = function(summary, latency, requests)
    io.write(string.format("WRK_RESULT requests=%d duration_us=%d errors=%d p50_us=%d p99_us=%d\n",
        summary.requests, summary.duration,
        summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout,
        latency:percentile(50), latency:percentile(99)))
end

-- wrk script for the page-view benchmarks: GET, and one machine-readable line at the end.
done = function(summary, latency, requests)
    io.write(string.format("WRK_RESULT requests=%d duration_us=%d errors=%d p50_us=%d p99_us=%d\n",
        summary.requests, summary.duration,
        summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout,
        latency:percentile(50), latency:percentile(99)))
end

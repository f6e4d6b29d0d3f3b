-- wrk script: cycle through the tile paths in $PATHS; gzip when $GZIP=1; print one
-- RESULT line (requests, duration µs, p50 ms, p99 ms, errors) at the end.
local paths = {}
for line in io.lines(os.getenv("PATHS")) do paths[#paths + 1] = line end
local i = 0
if os.getenv("GZIP") == "1" then wrk.headers["Accept-Encoding"] = "gzip" end

request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %.3f %.3f %d\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.status + e.timeout))
end

-- wrk script: cycle through the paths in $PATHS (hot tiles, or load while a replica is
-- killed); gzip when $GZIP=1. Prints one RESULT line: requests, duration µs, p50 ms,
-- p99 ms, socket errors, responses >= 400.
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  for line in io.lines(os.getenv("PATHS")) do paths[#paths + 1] = line end
  i = id * 7919
  bad = 0
  if os.getenv("GZIP") == "1" then wrk.headers["Accept-Encoding"] = "gzip" end
end

function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end

function response(status, headers, body)
  if status >= 400 then bad = bad + 1 end
end

function done(summary, latency, requests)
  local e = summary.errors
  local b = 0
  for _, t in ipairs(threads) do b = b + (t:get("bad") or 0) end
  io.write(string.format("RESULT %d %d %.3f %.3f %d %d\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout, b))
end

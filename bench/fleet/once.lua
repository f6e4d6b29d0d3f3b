-- wrk script: each thread asks for its share of the paths in $PATHS (every THREADS-th line)
-- once, in order: a cold pass where no tile is asked for twice (only the few
-- requests after a thread runs out repeat its last path: wrk 4.1 cannot stop a thread
-- early, so the caller bounds the time and reads the cold pass from nginx's log). gzip
-- when $GZIP=1.
-- Prints one RESULT line: requests, duration µs, p50 ms, p99 ms, socket errors, non-2xx/3xx.
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local n = tonumber(os.getenv("THREADS") or "2")
  paths = {}
  local i = 0
  for line in io.lines(os.getenv("PATHS")) do
    if i % n == id then paths[#paths + 1] = line end
    i = i + 1
  end
  sent, bad = 0, 0
  if os.getenv("GZIP") == "1" then wrk.headers["Accept-Encoding"] = "gzip" end
end

function request()
  sent = math.min(sent + 1, #paths)
  return wrk.format("GET", paths[sent])
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

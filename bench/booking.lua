-- wrk script: non-conflicting POST /api/bookings.  Every request books its
-- own 5-minute slot: practitioner (g % P) of the bench set, slot g / P
-- counted from the bench's first day (scripts/bench.sh creates a service
-- of 5 minutes, P practitioners open around the clock, no notice).
-- Environment: BENCH_DAY0 (epoch seconds of a UTC midnight), BENCH_P,
-- BENCH_SERVICE, BENCH_PFIRST (first practitioner id).
local day0 = tonumber(os.getenv("BENCH_DAY0"))
local P = tonumber(os.getenv("BENCH_P"))
local service = os.getenv("BENCH_SERVICE")
local pfirst = tonumber(os.getenv("BENCH_PFIRST"))
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter - 1)
  table.insert(threads, thread)
end

function init(args)
  k = 0
end

request = function()
  local g = k * 16 + tid
  k = k + 1
  local pract = pfirst + (g % P)
  local slot = math.floor(g / P)
  local t = day0 + slot * 300
  local start = os.date("!%Y-%m-%dT%H:%M:%S+00:00", t)
  local body = string.format('{"service_id":%s,"practitioner_id":%d,"start":"%s",' ..
    '"patient":{"name":"Bench Patient","email":"bench%d@example.com"}}', service, pract, start, g)
  return wrk.format("POST", "/api/bookings", {["Content-Type"] = "application/json"}, body)
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.0f p50_ms=%.3f p99_ms=%.3f errors=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end

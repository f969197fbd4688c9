-- wrk script: POST /api/webhooks/stripe with signed Stripe events, each
-- request distinct (its own evt_ id), then print the figures scripts/bench.sh
-- parses.  WEBHOOK_FILE names a file from tests/node/stripe_events.js: one
-- request a line, "<Stripe-Signature header>\t<JSON body>"; make it just
-- before the run (the signatures are good for 300 s).  Each thread starts at
-- its own offset, thread i at i * n / T for T = WEBHOOK_THREADS (default 16,
-- as booking.lua assumes at most 16 threads: wrk calls init before it knows
-- how many threads follow), and cycles through the file, so threads send
-- different events until one reaches the next one's start.
local path = os.getenv("WEBHOOK_FILE")
local nthreads = tonumber(os.getenv("WEBHOOK_THREADS") or "16")
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter - 1)
end

function init(args)
  local f = assert(io.open(path or "", "r"), "WEBHOOK_FILE: cannot read " .. tostring(path))
  sigs, bodies = {}, {}
  for line in f:lines() do
    local tab = line:find("\t", 1, true)
    if tab then
      sigs[#sigs + 1] = line:sub(1, tab - 1)
      bodies[#bodies + 1] = line:sub(tab + 1)
    end
  end
  f:close()
  n = #sigs
  assert(n > 0, "WEBHOOK_FILE has no requests")
  k = math.floor((tid % nthreads) * n / nthreads)
end

request = function()
  k = k % n + 1
  return wrk.format("POST", "/api/webhooks/stripe",
    {["Content-Type"] = "application/json; charset=utf-8",
     ["Stripe-Signature"] = sigs[k]}, bodies[k])
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.0f p50_ms=%.3f p99_ms=%.3f errors=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end

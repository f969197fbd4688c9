-- wrk script: POST /api/chat with a rotation of patient questions (each a
-- new conversation, logged), then print the figures scripts/bench.sh parses.
local qs = {
  "Where can I park my car?", "How much does lip filler cost?",
  "What are your opening hours?", "Do you do laser hair removal?",
  "How do I cancel my appointment?", "Is there step-free access?",
  "How long does anti-wrinkle treatment last?",
  "What should I do after a chemical peel?",
}
local i = 0
request = function()
  i = i + 1
  local body = '{"message":"' .. qs[(i % #qs) + 1] .. '"}'
  return wrk.format("POST", "/api/chat", {["Content-Type"] = "application/json"}, body)
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.0f p50_ms=%.3f p99_ms=%.3f errors=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end

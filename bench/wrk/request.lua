-- wrk script of bench/run.sh: one GET per request, with the headers the scenario needs
-- (from the environment, so one script serves every scenario), and a JSON summary at the end.
--   TOKEN          adds "Authorization: Bearer <TOKEN>"
--   IF_NONE_MATCH  adds "If-None-Match: <value>" (revalidation: the answer should be 304)
--   WRK_OUT        file the summary is written to (one JSON object)
local token = os.getenv("TOKEN")
local etag = os.getenv("IF_NONE_MATCH")
if token ~= nil and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
if etag ~= nil and etag ~= "" then
  wrk.headers["If-None-Match"] = etag
end

function done(summary, latency, requests)
  local out = os.getenv("WRK_OUT")
  if out == nil or out == "" then return end
  local f = assert(io.open(out, "w"))
  local e = summary.errors
  f:write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"non_2xx_3xx":%d,"connect_errors":%d,' ..
    '"read_errors":%d,"write_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.status, e.connect, e.read, e.write,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
  f:close()
end

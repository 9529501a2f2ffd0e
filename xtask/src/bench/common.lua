-- Shared by every wrk script of `cargo xtask bench` (prepended to the scenario's script).
-- Prints one line `BENCH_RESULT {json}` that xtask parses: request count, latency percentiles
-- in microseconds, wrk's socket errors, and, for scripts that call count(), status classes.
local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("tid", #threads)
end

function init(args)
   math.randomseed(tid * 7919 + os.time())
   if scenario_init then scenario_init() end
end

c2xx, c422, c4xx, c5xx = 0, 0, 0, 0

function count(status)
   if status < 300 then c2xx = c2xx + 1
   elseif status == 422 then c422 = c422 + 1
   elseif status < 500 then c4xx = c4xx + 1
   else c5xx = c5xx + 1 end
end

function done(summary, latency, requests)
   local s = { c2xx = 0, c422 = 0, c4xx = 0, c5xx = 0 }
   for _, t in ipairs(threads) do
      for k, _ in pairs(s) do s[k] = s[k] + (t:get(k) or 0) end
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,'
         .. '"max_us":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d,'
         .. '"c2xx":%d,"c422":%d,"c4xx":%d,"c5xx":%d}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
      latency:percentile(99), latency.max, e.connect, e.read, e.write, e.timeout, e.status,
      s.c2xx, s.c422, s.c4xx, s.c5xx))
end

-- The user flow after login: list own horses, train one of them, repeat. Tokens come
-- from real logins (the login scenario), one player per line of BENCH_TOKENS_FILE; each wrk
-- thread takes its own share of the players, so no two threads train the same horse. Each
-- train goes to the player's next horse; once all ten are on cooldown the answer is 422
-- ON_COOLDOWN, which is counted apart (a rule refusal, not an error).
--
-- BENCH_THINK_MS: the mean pause of each connection between an answer and its next request (a
-- player reading the screen), drawn from an exponential distribution so that the connections
-- do not fire in lockstep (with a fixed pause, all 500 would stay in phase and arrive as one
-- burst every pause), capped at 4 s: the server closes connections idle for 5 s (actix's
-- keep-alive), which a browser would reconnect after but wrk counts as an error. 0 is wrk's plain closed loop: every connection fires again at once,
-- which measures the saturated server, where latency = connections / throughput.
local think_ms = tonumber(os.getenv("BENCH_THINK_MS") or "0")
local user_base = tonumber(os.getenv("BENCH_USER_BASE"))
local horse_base = tonumber(os.getenv("BENCH_HORSE_BASE"))
local nthreads = tonumber(os.getenv("BENCH_THREADS"))
local mine = {}
local i = 0

function scenario_init()
   local k = 0
   for line in io.lines(os.getenv("BENCH_TOKENS_FILE")) do
      local id, token = line:match("^(%d+) (%S+)$")
      if id then
         if k % nthreads == tid - 1 then
            table.insert(mine, { id = tonumber(id), token = token, next = 0 })
         end
         k = k + 1
      end
   end
end

request = function()
   i = i + 1
   local u = mine[(math.floor(i / 2) % #mine) + 1]
   local headers = { ["Authorization"] = "Bearer " .. u.token, ["Content-Type"] = "application/json" }
   if i % 2 == 0 then
      return wrk.format("GET", "/api/horses?limit=20", headers)
   end
   local horse = horse_base + (u.id - user_base - 1) * 10 + (u.next % 10) + 1
   u.next = u.next + 1
   return wrk.format("POST", "/api/training/train", headers,
      '{"horseId":' .. horse .. ',"discipline":"Dressage"}')
end

response = function(status, headers, body)
   count(status)
end

if think_ms > 0 then
   delay = function()
      return math.min(4000, math.floor(-math.log(1 - math.random()) * think_ms))
   end
end

-- The guide's user flow after login: list own horses, train one of them, repeat. Tokens come
-- from real logins (the login scenario), one player per line of BENCH_TOKENS_FILE; each wrk
-- thread takes its own share of the players, so no two threads train the same horse. Each
-- train goes to the player's next horse; once all ten are on cooldown the answer is 422
-- ON_COOLDOWN, which is counted apart (a rule refusal, not an error).
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

-- POST /api/auth/login as seeded players BENCH_FIRST_PLAYER .. + BENCH_PLAYERS - 1: random ones,
-- or with BENCH_SEQUENTIAL=1 each once in turn (the threads interleave); every access token
-- obtained is written to BENCH_TOKEN_DIR/tokens-<thread>.txt as "<user id> <token>".
local first = tonumber(os.getenv("BENCH_FIRST_PLAYER"))
local players = tonumber(os.getenv("BENCH_PLAYERS"))
local sequential = os.getenv("BENCH_SEQUENTIAL") == "1"
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
local k = 0
local password = os.getenv("BENCH_PASSWORD")
local out

function scenario_init()
   out = io.open(os.getenv("BENCH_TOKEN_DIR") .. "/tokens-" .. tid .. ".txt", "w")
end

request = function()
   local n
   if sequential then
      n = first + (k * nthreads + tid - 1) % players
      k = k + 1
   else
      n = first + math.random(0, players - 1)
   end
   return wrk.format("POST", "/api/auth/login", { ["Content-Type"] = "application/json" },
      '{"email":"player' .. n .. '@bench.equoria.test","password":"' .. password .. '"}')
end

response = function(status, headers, body)
   count(status)
   if status == 200 then
      local id = body:match('"id":(%d+)')
      local token = body:match('"accessToken":"([^"]+)"')
      if id and token then
         out:write(id, " ", token, "\n")
         out:flush()
      end
   end
end

-- POST /api/auth/login as random seeded players; every access token obtained is written to
-- BENCH_TOKEN_DIR/tokens-<thread>.txt as "<user id> <token>" for the user-flow scenario.
local players = tonumber(os.getenv("BENCH_PLAYERS"))
local password = os.getenv("BENCH_PASSWORD")
local out

function scenario_init()
   out = io.open(os.getenv("BENCH_TOKEN_DIR") .. "/tokens-" .. tid .. ".txt", "w")
end

request = function()
   local n = math.random(1, players)
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

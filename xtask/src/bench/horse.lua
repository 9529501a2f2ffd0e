-- Authenticated GET /api/horses/{id} of random seeded horses (most belong to other players,
-- so they get the public view).
local lo = tonumber(os.getenv("BENCH_HORSE_MIN"))
local hi = tonumber(os.getenv("BENCH_HORSE_MAX"))
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")

request = function()
   return wrk.format("GET", "/api/horses/" .. math.random(lo, hi))
end

-- The horses-by-wins board, one of its first five pages of 20.
request = function()
   return wrk.format("GET", "/api/leaderboards/horses/wins?page=" .. math.random(1, 5) .. "&limit=20")
end

-- Moves at most ARGV[2] due jobs from apalis-redis's scheduled set to its active list. apalis-redis 1.0's own
-- fetch moves every due job with one unpack(), which Lua refuses beyond ~8,000 values; called in a loop before
-- fetches, this keeps what the fetch finds due small however large the backlog.
-- KEYS[1]: the scheduled set
-- KEYS[2]: the active task list
-- KEYS[3]: the signal list
-- ARGV[1]: now (seconds, as apalis-redis scores)
-- ARGV[2]: the most to move
-- Returns how many moved.
local ids = redis.call("zrangebyscore", KEYS[1], 0, ARGV[1], "LIMIT", 0, tonumber(ARGV[2]))
if #ids == 0 then
    return 0
end
redis.call("rpush", KEYS[2], unpack(ids))
redis.call("zrem", KEYS[1], unpack(ids))
redis.call("del", KEYS[3])
redis.call("lpush", KEYS[3], 1)
return #ids

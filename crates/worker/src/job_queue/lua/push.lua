-- Pushes one job straight to apalis-redis's active list, unless a job with the same key is already waiting.
-- The layout is apalis-redis 1.0's (batch_push.lua), less its scheduled set (a job that is due now never waits
-- there, so a backlog is only ever a list that fetches take from the front) and its signal list (no consumer of
-- apalis-redis 1.0 reads it).
-- KEYS[1]: the pending marker of the job's key
-- KEYS[2]: the task data hash
-- KEYS[3]: the active task list
-- KEYS[4]: the task metadata prefix
-- ARGV[1]: how long a marker lives, in seconds (a safety net: a marker whose job vanished expires)
-- ARGV[2]: the task id (a ULID)
-- ARGV[3]: the task data
-- ARGV[4]: the wake-up channel
-- Returns 1 when pushed, 0 when a job with the key was already waiting.
if not redis.call("set", KEYS[1], ARGV[2], "NX", "EX", ARGV[1]) then
    return 0
end
redis.call("hset", KEYS[2], ARGV[2], ARGV[3])
redis.call("hset", KEYS[4] .. ":" .. ARGV[2], "attempts", 0, "max_attempts", 1, "status", "Pending")
-- Only a push onto an empty list wakes anyone: a consumer fetches again after every fetch that found jobs, so
-- it only sleeps on an empty list. A message per push cost Redis and every consumer as much as the push itself.
if redis.call("rpush", KEYS[3], ARGV[2]) == 1 then
    redis.call("publish", ARGV[4], 1)
end
return 1

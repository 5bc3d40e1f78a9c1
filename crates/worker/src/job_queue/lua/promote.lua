-- Moves at most ARGV[2] due jobs from apalis-redis's scheduled set to its active list. apalis-redis 1.0's own
-- fetch moves every due job with one unpack(), which Lua refuses beyond ~8,000 values; called in a loop before
-- fetches, this keeps what the fetch finds due small however large the backlog.
-- A job whose run (or inbound item) already has one waiting is dropped instead, as push.lua would have: an older
-- hub pushed a waiting run again every few seconds, and its backlog holds many jobs for one run.
-- KEYS[1]: the scheduled set
-- KEYS[2]: the active task list
-- KEYS[3]: the signal list
-- KEYS[4]: the task data hash
-- KEYS[5]: the task metadata prefix
-- KEYS[6]: the pending marker prefix
-- ARGV[1]: now (seconds, as apalis-redis scores)
-- ARGV[2]: the most to move
-- ARGV[3]: how long a marker lives, in seconds
-- Returns how many were taken from the scheduled set (moved or dropped).
local ids = redis.call("zrangebyscore", KEYS[1], 0, ARGV[1], "LIMIT", 0, tonumber(ARGV[2]))
if #ids == 0 then
    return 0
end
local moved = {}
for _, id in ipairs(ids) do
    local key = nil
    local data = redis.call("hget", KEYS[4], id)
    if data then
        local ok, job = pcall(cjson.decode, data)
        if ok and type(job) == "table" then
            if job.kind == "run" and job.run_id then
                key = "run:" .. job.run_id
            elseif job.kind == "process_inbound" and job.item_id then
                key = "inbound:" .. job.item_id
            end
        end
    end
    if key == nil or redis.call("set", KEYS[6] .. key, id, "NX", "EX", ARGV[3]) then
        table.insert(moved, id)
    else
        redis.call("hdel", KEYS[4], id)
        redis.call("del", KEYS[5] .. ":" .. id)
    end
end
redis.call("zrem", KEYS[1], unpack(ids))
if #moved > 0 then
    redis.call("rpush", KEYS[2], unpack(moved))
    redis.call("del", KEYS[3])
    redis.call("lpush", KEYS[3], 1)
end
return #ids

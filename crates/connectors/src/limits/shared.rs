//! One budget per connection for every process, in Redis: the pace of pace.rs kept in a hash per connection and
//! moved by one Lua script, so taking a slot is atomic however many workers ask, and Redis's clock is the one
//! clock they all read. Redis that does not answer is never a reason to stop writing: the caller paces locally
//! until it answers again.
use std::sync::Mutex;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::time::Instant;
use uuid::Uuid;

use super::pace::Rate;

/// Longer than this and a request paces locally instead of waiting on Redis.
const ANSWER_WITHIN: Duration = Duration::from_millis(250);
/// After Redis failed to answer, how long to pace locally before asking it again.
const BACK_OFF: Duration = Duration::from_secs(5);

/// Times in microseconds of Redis's clock. `next` and `paused` are pace.rs's fields; formatted with `%.0f` because
/// Lua 5.1 would write a microsecond timestamp as a rounded float.
const SCRIPT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
local next = tonumber(redis.call('HGET', KEYS[1], 'next') or now)
local paused = tonumber(redis.call('HGET', KEYS[1], 'paused') or 0)
local wait = 0
if ARGV[1] == 'reserve' then
  local at = math.max(now, next - tolerance, paused)
  next = math.max(next, at) + interval
  wait = at - now
elseif ARGV[1] == 'pause' then
  paused = math.max(paused, now + tonumber(ARGV[4]))
elseif ARGV[1] == 'hold' then
  next = math.max(next, now + tonumber(ARGV[4]))
end
redis.call('HSET', KEYS[1], 'next', string.format('%.0f', next), 'paused', string.format('%.0f', paused))
redis.call('PEXPIRE', KEYS[1], math.ceil((math.max(next, paused) - now) / 1000) + 60000)
return wait
";

pub struct Shared {
    redis: ConnectionManager,
    script: redis::Script,
    /// Set while Redis is not answering.
    local_until: Mutex<Option<Instant>>,
}

impl Shared {
    pub fn connect(url: &str) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(ANSWER_WITHIN))
            .set_response_timeout(Some(ANSWER_WITHIN))
            .set_number_of_retries(1);
        Ok(Self {
            redis: ConnectionManager::new_lazy_with_config(client, config)?,
            script: redis::Script::new(SCRIPT),
            local_until: Mutex::new(None),
        })
    }

    /// Takes the connection's next slot; answers how long to wait for it, or `None` when Redis did not answer.
    pub async fn reserve(&self, connection: Uuid, rate: Rate) -> Option<Duration> {
        self.call(connection, "reserve", rate, Duration::ZERO)
            .await
            .map(|wait| Duration::from_micros(wait.max(0) as u64))
    }

    /// Stops every process's requests to the connection for `wait`.
    pub async fn pause(&self, connection: Uuid, rate: Rate, wait: Duration) {
        self.call(connection, "pause", rate, wait).await;
    }

    /// Moves the connection's next slot to at least `ahead` from now (see `Pace::hold`).
    pub async fn hold(&self, connection: Uuid, rate: Rate, ahead: Duration) {
        self.call(connection, "hold", rate, ahead).await;
    }

    async fn call(&self, connection: Uuid, op: &str, rate: Rate, value: Duration) -> Option<i64> {
        if self
            .local_until
            .lock()
            .expect("lock")
            .is_some_and(|until| Instant::now() < until)
        {
            return None;
        }
        let mut redis = self.redis.clone();
        let mut invocation = self.script.prepare_invoke();
        invocation
            .key(format!("ihub:rate:{connection}"))
            .arg(op)
            .arg(rate.interval.as_micros() as u64)
            .arg(rate.tolerance().as_micros() as u64)
            .arg(value.as_micros() as u64);
        let answer = tokio::time::timeout(ANSWER_WITHIN, invocation.invoke_async::<i64>(&mut redis)).await;
        match answer {
            Ok(Ok(wait)) => Some(wait),
            Ok(Err(e)) => self.unavailable(e.to_string()),
            Err(_) => self.unavailable("no answer in time".into()),
        }
    }

    fn unavailable(&self, why: String) -> Option<i64> {
        tracing::warn!(error = %why, "Redis did not answer for the shared rate limit; pacing locally for now");
        *self.local_until.lock().expect("lock") = Some(Instant::now() + BACK_OFF);
        None
    }
}

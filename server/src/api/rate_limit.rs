//! Requests per minute per key, counted in this process: a fixed window per key that
//! starts at the key's first request in it. Answers carry `RateLimit-Limit`,
//! `RateLimit-Remaining` and `RateLimit-Reset` (seconds to the window's end), and a
//! refusal `Retry-After`. Several server processes each allow the limit.

use axum::http::{HeaderMap, HeaderValue};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);

#[derive(Default)]
pub struct Limiter {
    windows: Mutex<HashMap<i64, (Instant, u32)>>,
}

/// One request's place in its key's window.
pub struct Quota {
    limit: u32,
    used: u32,
    reset: u64,
}

impl Quota {
    /// Seconds to wait, when the request is past the limit.
    pub fn refused(&self) -> Option<u64> {
        (self.used > self.limit).then_some(self.reset.max(1))
    }

    pub fn headers(&self, h: &mut HeaderMap) {
        h.insert("ratelimit-limit", HeaderValue::from(self.limit));
        h.insert(
            "ratelimit-remaining",
            HeaderValue::from(self.limit.saturating_sub(self.used)),
        );
        h.insert("ratelimit-reset", HeaderValue::from(self.reset));
    }
}

impl Limiter {
    /// Whether a request of key `id` would now be past `limit`, without counting it.
    pub fn would_refuse(&self, id: i64, limit: u32) -> bool {
        let now = Instant::now();
        let map = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&id).is_some_and(|(start, used)| {
            now.duration_since(*start) < WINDOW && used.saturating_add(1) > limit
        })
    }

    /// Counts a request of key `id`, allowed `limit` a minute.
    pub fn take(&self, id: i64, limit: u32) -> Quota {
        let now = Instant::now();
        let mut map = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let entry = map.entry(id).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        let reset = WINDOW
            .saturating_sub(now.duration_since(entry.0))
            .as_secs_f64()
            .ceil() as u64;
        Quota {
            limit,
            used: entry.1,
            reset,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_plus_one_is_refused_and_keys_are_apart() {
        let l = Limiter::default();
        for i in 1..=3 {
            let q = l.take(7, 3);
            assert!(q.refused().is_none(), "request {i}");
        }
        let q = l.take(7, 3);
        assert!(q.refused().is_some_and(|s| (1..=60).contains(&s)));
        let mut h = HeaderMap::new();
        q.headers(&mut h);
        assert_eq!(h["ratelimit-remaining"], "0");
        assert_eq!(h["ratelimit-limit"], "3");
        assert!(l.take(8, 3).refused().is_none());
    }

    #[test]
    fn would_refuse_counts_nothing() {
        let l = Limiter::default();
        assert!(!l.would_refuse(9, 1));
        assert!(l.take(9, 1).refused().is_none());
        assert!(l.would_refuse(9, 1));
        assert!(l.would_refuse(9, 1));
        assert!(!l.would_refuse(9, 2), "a higher limit, the same count");
        assert!(l.take(9, 2).refused().is_none());
    }
}

//! Keys this process has seen presented, by the SHA-256 of their secret (never the secret
//! itself): their id, prefix and rate limit as the database last said. A request that
//! the server answers with one statement (`shortlink.api_shorten`) is counted against its
//! key's rate limit from this before the database sees it; a key not known here goes the
//! full way (BEGIN, api_begin, …), which makes it known. The database still decides every
//! request: a key revoked since is refused there (401) and forgotten here.

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;

/// At most this many keys are remembered; past it the memory starts afresh.
const MAX_KEYS: usize = 10_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownKey {
    pub id: i64,
    pub prefix: String,
    /// Requests per minute set on the key; None: the server's default.
    pub rate_limit: Option<i32>,
}

#[derive(Default)]
pub struct KnownKeys {
    by_hash: Mutex<HashMap<[u8; 32], KnownKey>>,
}

fn hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

impl KnownKeys {
    pub fn get(&self, secret: &str) -> Option<KnownKey> {
        let map = self.by_hash.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&hash(secret)).cloned()
    }

    pub fn remember(&self, secret: &str, key: KnownKey) {
        let mut map = self.by_hash.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_KEYS {
            map.clear();
        }
        map.insert(hash(secret), key);
    }

    pub fn forget(&self, secret: &str) {
        let mut map = self.by_hash.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&hash(secret));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_remembered_by_secret_and_forgotten() {
        let keys = KnownKeys::default();
        let k = KnownKey {
            id: 7,
            prefix: "AbCdEfGh".into(),
            rate_limit: Some(60),
        };
        assert_eq!(keys.get("sl_a"), None);
        keys.remember("sl_a", k.clone());
        assert_eq!(keys.get("sl_a"), Some(k));
        assert_eq!(keys.get("sl_b"), None);
        keys.forget("sl_a");
        assert_eq!(keys.get("sl_a"), None);
    }

    #[test]
    fn the_memory_is_bounded() {
        let keys = KnownKeys::default();
        for i in 0..=MAX_KEYS {
            keys.remember(
                &format!("sl_{i}"),
                KnownKey {
                    id: i as i64,
                    prefix: String::new(),
                    rate_limit: None,
                },
            );
        }
        assert!(keys.by_hash.lock().unwrap().len() <= MAX_KEYS);
        assert!(keys.get(&format!("sl_{MAX_KEYS}")).is_some());
    }
}

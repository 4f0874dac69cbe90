//! The visitor hash of a click: what counts unique visitors without keeping who they are.

use sha2::{Digest, Sha256};

/// The salted SHA-256, in lowercase hex, of `salt|ip|user_agent` (a missing part as the
/// empty string), or None when the click has neither an address nor a user agent. It is
/// PostgreSQL's `encode(sha256(convert_to(salt || '|' || ip || '|' || ua, 'UTF8')), 'hex')`.
pub fn hash(salt: &str, ip: Option<&str>, user_agent: Option<&str>) -> Option<String> {
    if ip.is_none() && user_agent.is_none() {
        return None;
    }
    let mut sha = Sha256::new();
    sha.update(salt.as_bytes());
    sha.update(b"|");
    sha.update(ip.unwrap_or_default().as_bytes());
    sha.update(b"|");
    sha.update(user_agent.unwrap_or_default().as_bytes());
    Some(sha.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::hash;

    #[test]
    fn is_postgres_sha256_of_the_joined_parts() {
        // printf 'salt|1.2.3.4|UA' | sha256sum
        assert_eq!(
            hash("salt", Some("1.2.3.4"), Some("UA")).as_deref(),
            Some("ee65e37ee6950dcfc4f90e96ecc34d2afe3cb732fce1574b5161a25c3bc5f75d")
        );
    }

    #[test]
    fn a_missing_part_is_empty_and_nothing_is_no_hash() {
        assert_eq!(hash("s", None, Some("UA")), hash("s", Some(""), Some("UA")));
        assert_ne!(hash("s", Some("UA"), None), hash("s", None, Some("UA")));
        assert_eq!(hash("s", None, None), None);
    }
}

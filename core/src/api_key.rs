//! API keys: the secret's format, its hash, and the scopes a key may hold. The database
//! stores only the SHA-256 of a secret (`shortlink.api_keys.secret_hash`) and its prefix,
//! which identifies a key in lists and logs without revealing it.
//!
//! A secret reads `sl_<prefix>_<secret>`: the prefix is 8 base62 characters, the secret
//! part 32 bytes (256 bits) from the operating system's RNG, in base62 (43 characters).

use rand::TryRng;
use sha2::{Digest, Sha256};

use crate::{Error, Kind, Result};

/// Every scope a key may hold, in the order lists show them.
pub const SCOPES: [&str; 8] = [
    "links:read",
    "links:write",
    "analytics:read",
    "domains:read",
    "domains:write",
    "sending:read",
    "sending:write",
    "keys:manage",
];

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// Characters of the prefix: 62^8 ≈ 2.2e14 prefixes, drawn at random (the unique index
/// refuses the rare repeat, and the caller draws again).
pub const PREFIX_LEN: usize = 8;
/// Characters of the secret part: ceil(256 / log2(62)) = 43.
pub const SECRET_LEN: usize = 43;
const SECRET_BYTES: usize = 32;

/// A new key: its prefix, and the whole secret string shown once to its creator.
pub struct NewKey {
    pub prefix: String,
    pub secret: String,
}

/// `n` bytes from the operating system's RNG (getrandom).
fn os_random(buf: &mut [u8]) -> Result<()> {
    rand::rngs::SysRng.try_fill_bytes(buf).map_err(|e| {
        Error::new(
            Kind::Internal,
            format!("the operating system's random number generator failed: {e}"),
        )
    })
}

/// `bytes` as a big-endian number in base62, left-padded with '0' to `width`.
fn base62(bytes: &[u8], width: usize) -> String {
    let mut num: Vec<u8> = bytes.to_vec();
    let mut digits = Vec::with_capacity(width);
    while num.iter().any(|&b| b != 0) {
        let mut rem = 0u32;
        for b in num.iter_mut() {
            let cur = (rem << 8) | u32::from(*b);
            *b = (cur / 62) as u8;
            rem = cur % 62;
        }
        digits.push(BASE62[rem as usize]);
    }
    while digits.len() < width {
        digits.push(b'0');
    }
    digits.reverse();
    String::from_utf8(digits).expect("base62 digits are ASCII")
}

/// A new random prefix: 8 unbiased base62 characters (rejection sampling of OS bytes).
pub fn new_prefix() -> Result<String> {
    let mut out = String::with_capacity(PREFIX_LEN);
    let mut buf = [0u8; 16];
    while out.len() < PREFIX_LEN {
        os_random(&mut buf)?;
        // 248 = 4 * 62: bytes at or above it would bias the draw.
        for &b in buf.iter().filter(|&&b| b < 248) {
            if out.len() < PREFIX_LEN {
                out.push(BASE62[usize::from(b % 62)] as char);
            }
        }
    }
    Ok(out)
}

/// A new key with a fresh prefix and 256 bits of secret.
pub fn generate() -> Result<NewKey> {
    let prefix = new_prefix()?;
    let mut bytes = [0u8; SECRET_BYTES];
    os_random(&mut bytes)?;
    let secret = format!("sl_{prefix}_{}", base62(&bytes, SECRET_LEN));
    Ok(NewKey { prefix, secret })
}

/// A random secret token of [`SECRET_LEN`] base62 characters (256 bits): invitations
/// and shared-stats addresses.
pub fn token() -> Result<String> {
    let mut bytes = [0u8; SECRET_BYTES];
    os_random(&mut bytes)?;
    Ok(base62(&bytes, SECRET_LEN))
}

fn is_base62(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The prefix of a presented secret, when it has the shape of one: `sl_`, 8 base62
/// characters, `_`, 43 base62 characters. The whole string is what is hashed.
pub fn parse(presented: &str) -> Option<&str> {
    let rest = presented.strip_prefix("sl_")?;
    let (prefix, secret) = rest.split_once('_')?;
    (prefix.len() == PREFIX_LEN
        && secret.len() == SECRET_LEN
        && is_base62(prefix)
        && is_base62(secret))
    .then_some(prefix)
}

/// What `api_keys.secret_hash` stores: SHA-256 of the whole secret string. A plain hash,
/// not a password hash: the secret has 256 bits of entropy, so nothing is gained by a
/// slow one, and a lookup by hash must be one index probe.
pub fn hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Whether `scopes` grant `scope`: the scope itself, or, for `links:read`, `domains:read`
/// and `sending:read`, the resource's write scope (a key that may change links or domains may
/// read them, as in the hosted link APIs: a write-only key could not even read back the
/// link it made).
pub fn grants(scopes: &[String], scope: &str) -> bool {
    scopes.iter().any(|s| {
        s == scope
            || scope.strip_suffix(":read").is_some_and(|resource| {
                matches!(resource, "links" | "domains" | "sending")
                    && s.strip_suffix(":write") == Some(resource)
            })
    })
}

/// Checks a list of scopes: each must be known; repeats are dropped and the order is
/// [`SCOPES`]'s. `field` names the option in errors.
pub fn check_scopes(field: &str, scopes: &[String]) -> Result<Vec<String>> {
    if let Some(unknown) = scopes.iter().find(|s| !SCOPES.contains(&s.as_str())) {
        return Err(Error::option(field, format!("unknown scope \"{unknown}\""))
            .with_hint(format!("Known scopes: {}.", SCOPES.join(", "))));
    }
    Ok(SCOPES
        .iter()
        .filter(|s| scopes.iter().any(|g| g == *s))
        .map(|s| (*s).to_owned())
        .collect())
}

/// The error for a presented key that lacks `scope`.
pub fn lacks_scope(prefix: &str, scope: &str) -> Error {
    Error::new(
        Kind::InsufficientPrivilege,
        format!("API key \"sl_{prefix}\" lacks scope \"{scope}\""),
    )
    .with_hint(
        "Use a key with that scope, or ask for one (shortlink.create_api_key, opts \"scopes\").",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secret_parses_back_to_its_prefix() {
        let k = generate().unwrap();
        assert_eq!(k.prefix.len(), PREFIX_LEN);
        assert_eq!(k.secret.len(), 3 + PREFIX_LEN + 1 + SECRET_LEN);
        assert_eq!(parse(&k.secret), Some(k.prefix.as_str()));
    }

    #[test]
    fn tokens_are_base62_of_full_length_and_differ() {
        let (a, b) = (token().unwrap(), token().unwrap());
        assert_eq!(a.len(), SECRET_LEN);
        assert!(is_base62(&a));
        assert_ne!(a, b);
    }

    #[test]
    fn secrets_and_prefixes_differ_between_keys() {
        let (a, b) = (generate().unwrap(), generate().unwrap());
        assert_ne!(a.secret, b.secret);
        assert_ne!(a.prefix, b.prefix);
    }

    #[test]
    fn base62_of_32_bytes_fits_43_characters() {
        assert_eq!(base62(&[0xff; 32], SECRET_LEN).len(), SECRET_LEN);
        assert_eq!(base62(&[0; 32], SECRET_LEN), "0".repeat(SECRET_LEN));
        assert_eq!(base62(&[0, 61], 2), "0z");
        assert_eq!(base62(&[0, 62], 2), "10");
    }

    #[test]
    fn malformed_secrets_do_not_parse() {
        let good = format!("sl_ABCDEFGH_{}", "a".repeat(SECRET_LEN));
        assert_eq!(parse(&good), Some("ABCDEFGH"));
        for bad in [
            "",
            "sl_",
            "sk_ABCDEFGH_x",
            &format!("sl_ABCDEFG_{}", "a".repeat(SECRET_LEN)),
            &format!("sl_ABCDEFGH_{}", "a".repeat(SECRET_LEN - 1)),
            &format!("sl_ABCDEFGH_{}-", "a".repeat(SECRET_LEN - 1)),
            &format!("sl_ABC_EFGH_{}", "a".repeat(SECRET_LEN)),
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn hash_is_sha256_of_the_whole_string() {
        // SHA-256("abc"), FIPS 180-2's example.
        assert_eq!(hash("abc")[..4], [0xba, 0x78, 0x16, 0xbf],);
    }

    #[test]
    fn unknown_scope_is_named() {
        let e = check_scopes("scopes", &["links:read".into(), "links:admin".into()]).unwrap_err();
        assert_eq!(e.sqlstate(), "22023");
        assert!(e.message.contains("\"links:admin\""), "{}", e.message);
    }

    #[test]
    fn scopes_come_back_in_canonical_order_without_repeats() {
        let got = check_scopes(
            "scopes",
            &[
                "keys:manage".into(),
                "links:read".into(),
                "links:read".into(),
            ],
        )
        .unwrap();
        assert_eq!(got, ["links:read", "keys:manage"]);
    }

    #[test]
    fn missing_scope_is_42501_naming_key_and_scope() {
        let e = lacks_scope("abcdEFGH", "links:write");
        assert_eq!(e.sqlstate(), "42501");
        assert_eq!(
            e.message,
            "API key \"sl_abcdEFGH\" lacks scope \"links:write\""
        );
    }

    #[test]
    fn write_scopes_grant_reading_their_resource() {
        let w = vec!["links:write".to_owned(), "domains:write".to_owned()];
        assert!(grants(&w, "links:read"));
        assert!(grants(&w, "links:write"));
        assert!(grants(&w, "domains:read"));
        assert!(!grants(&w, "analytics:read"));
        assert!(!grants(&w, "keys:manage"));
        let r = vec!["links:read".to_owned()];
        assert!(grants(&r, "links:read"));
        assert!(!grants(&r, "links:write"));
        let s = vec!["sending:write".to_owned()];
        assert!(grants(&s, "sending:read"));
        assert!(!grants(&s, "links:read"));
    }
}

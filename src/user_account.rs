//! The primitives of the dashboard's user accounts (sql/dashboard.sql): Argon2id password
//! hashes, as link passwords have (shortlink-password), and random tokens. The accounts,
//! sessions and invitations themselves are SQL; these are not granted to anyone but the
//! owner (security.sql revokes PUBLIC's EXECUTE), and run inside its SECURITY DEFINER
//! functions.

use pgrx::prelude::*;
use shortlink_password as password;

use crate::error::OrRaise;

/// The Argon2id PHC string of `password` (22023 when empty or over-long).
#[pg_extern(volatile, strict, parallel_safe)]
#[search_path(pg_catalog, pg_temp)]
fn user_password_hash(password: &str) -> String {
    password::hash(password).or_raise()
}

/// Whether `password` matches `hash` (a PHC string); false for a malformed hash. A NULL
/// hash (no such user, or one invited who has not set a password) is checked against a
/// hash of nothing in particular, so that the answer takes as long either way.
#[pg_extern(volatile, parallel_safe)]
#[search_path(pg_catalog, pg_temp)]
fn user_password_matches(password: Option<&str>, hash: Option<&str>) -> bool {
    // A valid hash no password of at least one byte matches: its salt and output are
    // zeroes, and the verification still costs the full Argon2id computation.
    const NOBODY: &str = "$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let password = password.unwrap_or_default();
    match hash {
        Some(h) => password::verify(password, h),
        None => {
            let _ = password::verify(password, NOBODY);
            false
        }
    }
}

/// A random token of 43 base62 characters (256 bits) from the operating system.
#[pg_extern(volatile, parallel_safe)]
#[search_path(pg_catalog, pg_temp)]
fn secret_token() -> String {
    shortlink_core::api_key::token().or_raise()
}

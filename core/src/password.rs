//! The rule a link's password follows when it is given; hashing and verifying it is
//! `shortlink-password`'s (Argon2id), which the server does not build.

/// The longest password accepted, in bytes.
pub const MAX_LEN: usize = 1024;

//! Password protection of links: Argon2id hashes in PHC string format.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, PasswordHash, Version};
pub use shortlink_core::password::MAX_LEN;
use shortlink_core::{Error, Kind, Result};

/// Memory cost in KiB, time cost and parallelism: OWASP's first Argon2id recommendation
/// (m=19456 KiB, t=2, p=1), cheap enough to verify on a click.
pub const M_COST: u32 = 19 * 1024;
pub const T_COST: u32 = 2;
pub const P_COST: u32 = 1;

/// [`verify`] refuses stored hashes whose costs exceed these, so that a hand-crafted hash
/// cannot make one click allocate gigabytes or run for minutes.
pub const MAX_VERIFY_M_COST: u32 = 64 * 1024;
pub const MAX_VERIFY_T_COST: u32 = 8;
pub const MAX_VERIFY_P_COST: u32 = 4;

fn hasher() -> Result<Argon2<'static>> {
    let params = Params::new(M_COST, T_COST, P_COST, None).map_err(|e| {
        Error::new(
            Kind::InvalidParameter,
            format!("invalid Argon2 parameters: {e}"),
        )
    })?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn check_length(password: &str) -> Result<()> {
    if password.is_empty() {
        return Err(Error::option("password", "must not be empty"));
    }
    if password.len() > MAX_LEN {
        return Err(Error::option(
            "password",
            format!("must be at most {MAX_LEN} bytes long"),
        ));
    }
    Ok(())
}

/// Hashes a password with Argon2id and a random 16-byte salt from the operating system.
/// Returns a PHC string such as `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`.
pub fn hash(password: &str) -> Result<String> {
    check_length(password)?;
    hasher()?
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| {
            Error::new(
                Kind::InvalidParameter,
                format!("could not hash the password: {e}"),
            )
        })
}

/// Whether `password` matches the PHC string `phc` (as made by [`hash`]).
///
/// False for a wrong password, an empty or over-long password, a malformed PHC string, an
/// algorithm other than Argon2, and costs above the `MAX_VERIFY_*` limits. The hash
/// comparison is constant-time.
pub fn verify(password: &str, phc: &str) -> bool {
    if check_length(password).is_err() {
        return false;
    }
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    if Algorithm::new(parsed.algorithm.as_str()).is_err() {
        return false;
    }
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    if params.m_cost() > MAX_VERIFY_M_COST
        || params.t_cost() > MAX_VERIFY_T_COST
        || params.p_cost() > MAX_VERIFY_P_COST
    {
        return false;
    }
    // The algorithm, version and costs are taken from the PHC string.
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let phc = hash("correct horse battery staple").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify("correct horse battery staple", &phc));
        assert!(!verify("correct horse battery stapler", &phc));
        assert!(!verify("Correct horse battery staple", &phc));
    }

    #[test]
    fn salts_are_random() {
        let a = hash("same").unwrap();
        let b = hash("same").unwrap();
        assert_ne!(a, b);
        assert!(verify("same", &a) && verify("same", &b));
    }

    #[test]
    fn unicode_and_max_length_passwords() {
        let phc = hash("pässwörd 🔑").unwrap();
        assert!(verify("pässwörd 🔑", &phc));
        assert!(!verify("passwort", &phc));
        let longest = "x".repeat(MAX_LEN);
        let phc = hash(&longest).unwrap();
        assert!(verify(&longest, &phc));
    }

    #[test]
    fn rejects_empty_and_long_passwords() {
        let e = hash("").unwrap_err();
        assert_eq!(e.message, "invalid option \"password\": must not be empty");
        assert_eq!(e.sqlstate(), "22023");
        let e = hash(&"x".repeat(MAX_LEN + 1)).unwrap_err();
        assert_eq!(
            e.message,
            "invalid option \"password\": must be at most 1024 bytes long"
        );
        // 1023 bytes of ASCII plus a 2-byte character: 1025 bytes.
        assert!(hash(&format!("{}é", "x".repeat(MAX_LEN - 1))).is_err());
        let phc = hash("a").unwrap();
        assert!(!verify("", &phc));
        assert!(!verify(&"x".repeat(MAX_LEN + 1), &phc));
    }

    #[test]
    fn malformed_hashes_do_not_verify() {
        for phc in [
            "",
            "plaintext",
            "$argon2id$",
            "$argon2id$v=19$m=19456,t=2,p=1$",
            "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ",
            "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW", // bcrypt
            "$pbkdf2-sha256$i=1000$c2FsdA$aGFzaA",
        ] {
            assert!(!verify("password", phc), "{phc}");
        }
    }

    #[test]
    fn verifies_reference_hashes() {
        // Made with the reference implementation (`argon2` CLI / PHC test vectors style).
        let phc = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc";
        assert!(verify("password", phc));
        assert!(!verify("passwore", phc));
        // Argon2i is verified too: the algorithm comes from the hash.
        let phc =
            "$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA";
        assert!(verify("password", phc));
    }

    #[test]
    fn costly_hashes_are_refused() {
        // Valid syntax, but a verify would allocate 4 GiB or run 1000 passes.
        for phc in [
            "$argon2id$v=19$m=4194304,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
            "$argon2id$v=19$m=19456,t=1000,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
            "$argon2id$v=19$m=19456,t=2,p=64$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        ] {
            assert!(!verify("password", phc), "{phc}");
        }
    }
}

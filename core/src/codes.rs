//! Short codes: the alphabet, secure random generation, custom-code rules and the
//! length-growth policy used when a code space gets crowded.

use crate::error::{Error, Result};
use rand::RngExt;

/// Shortest and longest code, generated or custom.
pub const MIN_CODE_LENGTH: usize = 3;
pub const MAX_CODE_LENGTH: usize = 64;

/// The characters a code may hold: safe in a URL path without escaping.
fn is_code_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// A validated code alphabet: 2 to 64 distinct code characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alphabet(Vec<u8>);

impl Alphabet {
    pub const DEFAULT: &'static str =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    /// The rules an alphabet keeps: what the check of `SET shortlink.alphabet` and the
    /// generator both hold it to.
    pub const RULES: &'static str = "2 to 64 distinct characters of A-Z a-z 0-9 - _";

    /// Parses the `shortlink.alphabet` setting.
    pub fn parse(s: &str) -> Result<Self> {
        Self::check(s)
            .map(Alphabet)
            .map_err(|rule| Error::setting("shortlink.alphabet", format!("the alphabet {rule}")))
    }

    /// The alphabet's characters, or the rule `s` breaks: a character that a URL path
    /// cannot hold without percent-encoding (or that reads as a path's dot segment), a
    /// repeated character (which would make some codes likelier than others), or fewer
    /// than 2 characters.
    pub fn check(s: &str) -> std::result::Result<Vec<u8>, String> {
        if let Some(c) = s.chars().find(|c| !is_code_char(*c)) {
            return Err(format!(
                "has the character {c:?}, which a URL path cannot hold as it is"
            ));
        }
        let bytes = s.as_bytes().to_vec();
        let mut seen = [false; 128];
        for &b in &bytes {
            if seen[b as usize] {
                return Err(format!(
                    "has the character {:?} twice, which would make some codes likelier than others",
                    b as char
                ));
            }
            seen[b as usize] = true;
        }
        if bytes.len() < 2 {
            return Err("has fewer than 2 characters".to_string());
        }
        Ok(bytes)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A code of `length` characters, each an unbiased draw from a CSPRNG
    /// (rand's thread RNG: ChaCha seeded from the operating system).
    pub fn generate(&self, length: usize) -> String {
        let mut rng = rand::rng();
        (0..length)
            .map(|_| self.0[rng.random_range(0..self.0.len())] as char)
            .collect()
    }

    /// How many distinct codes of `length` characters exist, saturating.
    pub fn space(&self, length: usize) -> u128 {
        (self.0.len() as u128).saturating_pow(length as u32)
    }
}

/// The short URL of `code` on `domain`, as every function returns it.
pub fn short_url(domain: &str, code: &str) -> String {
    format!("https://{domain}/{code}")
}

/// Checks a custom code: 3 to 64 characters of `A-Z a-z 0-9 - _`.
pub fn validate_custom(code: &str) -> Result<()> {
    if let Some(c) = code.chars().find(|c| !is_code_char(*c)) {
        return Err(Error::option(
            "code",
            format!("character {c:?} is not allowed; a code uses A-Z a-z 0-9 - _"),
        ));
    }
    let n = code.len();
    if !(MIN_CODE_LENGTH..=MAX_CODE_LENGTH).contains(&n) {
        return Err(Error::option(
            "code",
            format!("must be {MIN_CODE_LENGTH} to {MAX_CODE_LENGTH} characters long, not {n}"),
        ));
    }
    Ok(())
}

/// Checks a generated-code length (the `length` option or `shortlink.code_length`).
pub fn validate_length(key: &str, n: i64) -> Result<usize> {
    if (MIN_CODE_LENGTH as i64..=MAX_CODE_LENGTH as i64).contains(&n) {
        Ok(n as usize)
    } else {
        Err(Error::option(
            key,
            format!("must be an integer from {MIN_CODE_LENGTH} to {MAX_CODE_LENGTH}, not {n}"),
        ))
    }
}

/// The order in which generated-code lengths are tried: `attempts` draws at each
/// length from `start` up to `max`, so a crowded space grows the code instead of failing.
#[derive(Debug, Clone, Copy)]
pub struct Growth {
    pub start: usize,
    pub max: usize,
    pub attempts: usize,
}

impl Growth {
    /// The length of each attempt, in order.
    pub fn lengths(self) -> impl Iterator<Item = usize> {
        let attempts = self.attempts.max(1);
        (self.start..=self.max.max(self.start))
            .flat_map(move |len| std::iter::repeat_n(len, attempts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn default_alphabet_is_62_letters_and_digits() {
        let a = Alphabet::parse(Alphabet::DEFAULT).unwrap();
        assert_eq!(a.len(), 62);
        assert_eq!(a.space(7), 62u128.pow(7));
    }

    #[test]
    fn alphabet_check_names_the_rule_broken() {
        assert_eq!(Alphabet::check("ab").unwrap(), b"ab".to_vec());
        assert!(Alphabet::check("ab.").unwrap_err().contains("'.'"));
        assert!(
            Alphabet::check("a-z").is_ok(),
            "a dash is a character, not a range"
        );
        assert!(Alphabet::check("aab").unwrap_err().contains("twice"));
        assert!(Alphabet::check("").unwrap_err().contains("fewer than 2"));
        assert!(Alphabet::check(Alphabet::DEFAULT).is_ok());
    }

    #[test]
    fn alphabet_rejects_duplicates_bad_chars_and_short() {
        assert!(Alphabet::parse("aab")
            .unwrap_err()
            .message
            .contains("twice"));
        assert!(Alphabet::parse("ab/").unwrap_err().message.contains("'/'"));
        assert!(Alphabet::parse("a")
            .unwrap_err()
            .message
            .contains("fewer than 2"));
        assert_eq!(Alphabet::parse("").unwrap_err().sqlstate(), "22023");
    }

    #[test]
    fn generated_codes_use_only_the_alphabet_and_length() {
        let a = Alphabet::parse("xyz").unwrap();
        for _ in 0..200 {
            let c = a.generate(9);
            assert_eq!(c.len(), 9);
            assert!(c.chars().all(|ch| "xyz".contains(ch)), "{c}");
        }
    }

    #[test]
    fn generated_codes_cover_the_alphabet_uniformly() {
        let a = Alphabet::parse("ab").unwrap();
        let n = 20_000;
        let ones: usize = (0..n).map(|_| a.generate(1)).filter(|c| c == "a").count();
        // Binomial(20000, 0.5): sd ~71; 6 sd is far beyond chance.
        assert!((ones as i64 - 10_000).abs() < 430, "{ones}");
    }

    #[test]
    fn generated_codes_do_not_repeat() {
        let a = Alphabet::parse(Alphabet::DEFAULT).unwrap();
        let set: HashSet<String> = (0..10_000).map(|_| a.generate(7)).collect();
        assert_eq!(set.len(), 10_000);
    }

    #[test]
    fn custom_code_rules() {
        assert!(validate_custom("spring-sale_2026").is_ok());
        assert!(validate_custom("abc").is_ok());
        assert!(validate_custom(&"a".repeat(64)).is_ok());
        let e = validate_custom("ab").unwrap_err();
        assert_eq!(
            e.message,
            "invalid option \"code\": must be 3 to 64 characters long, not 2"
        );
        assert!(validate_custom(&"a".repeat(65)).is_err());
        assert!(validate_custom("with space")
            .unwrap_err()
            .message
            .contains("' '"));
        assert!(validate_custom("é-code").is_err());
        assert!(validate_custom("a/b/c").is_err());
    }

    #[test]
    fn growth_tries_each_length_in_turn() {
        let g = Growth {
            start: 3,
            max: 5,
            attempts: 2,
        };
        assert_eq!(g.lengths().collect::<Vec<_>>(), vec![3, 3, 4, 4, 5, 5]);
    }

    #[test]
    fn length_bounds() {
        assert_eq!(validate_length("length", 7).unwrap(), 7);
        assert!(validate_length("length", 2).is_err());
        assert!(validate_length("length", 65).is_err());
        assert!(validate_length("length", -1)
            .unwrap_err()
            .message
            .contains("\"length\""));
    }
}

//! The shape of an `expires_at` timestamp: ISO 8601, as the option promises. PostgreSQL
//! converts it (its parser also reads forms that are not ISO 8601, such as "tomorrow" or
//! "Jan 5 2030", which the option does not take).

/// The longest `expires_at` accepted, in characters: ample for a timestamp with a
/// nanosecond fraction and a zone (35), and well inside what PostgreSQL parses.
pub const MAX_TIMESTAMP_CHARS: usize = 64;

/// `YYYY-MM-DD`, optionally followed by `T` or a space, `HH:MM[:SS[.fraction]]` and a
/// zone (`Z`, `±HH`, `±HHMM`, `±HH:MM`). A time without a zone is in the session's
/// TimeZone, as PostgreSQL reads it.
pub fn is_iso8601(s: &str) -> bool {
    let b = s.as_bytes();
    // PostgreSQL's own parser refuses a timestamp longer than its work buffer (about 150
    // characters, e.g. a fraction of 300 digits) with an ERROR, which would abort a whole
    // shorten_many: a longer one is refused here, as the item's own error.
    if b.len() > MAX_TIMESTAMP_CHARS {
        return false;
    }
    let digits = |from: usize, n: usize| -> Option<u32> {
        let part = b.get(from..from + n)?;
        part.iter().all(u8::is_ascii_digit).then(|| {
            part.iter()
                .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
        })
    };
    let (Some(y), Some(m), Some(d)) = (digits(0, 4), digits(5, 2), digits(8, 2)) else {
        return false;
    };
    if b[4] != b'-' || b[7] != b'-' || y == 0 || !(1..=12).contains(&m) {
        return false;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if d == 0 || d > days[m as usize - 1] {
        return false;
    }
    if b.len() == 10 {
        return true;
    }
    if !matches!(b[10], b'T' | b't' | b' ') {
        return false;
    }
    let (Some(hh), Some(mm)) = (digits(11, 2), digits(14, 2)) else {
        return false;
    };
    if b[13] != b':' || hh > 23 || mm > 59 {
        return false;
    }
    let mut i = 16;
    if b.get(i) == Some(&b':') {
        let ss = match digits(i + 1, 2) {
            Some(ss) if ss <= 60 => ss,
            _ => return false,
        };
        i += 3;
        if b.get(i) == Some(&b'.') {
            let start = i + 1;
            i = start;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            // PostgreSQL reads a leap second 60 but refuses 60 with a fraction.
            if i == start || (ss == 60 && b[start..i].iter().any(|d| *d != b'0')) {
                return false;
            }
        }
    }
    match b.get(i) {
        None => true,
        Some(b'Z' | b'z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            let Some(oh) = digits(i + 1, 2) else {
                return false;
            };
            let rest = &b[i + 3..];
            let om = match rest {
                [] => Some(0),
                [b':', ..] if rest.len() == 3 => digits(i + 4, 2),
                _ if rest.len() == 2 => digits(i + 3, 2),
                _ => None,
            };
            matches!(om, Some(om) if oh <= 15 && om <= 59)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_shapes() {
        for ok in [
            "2030-01-31",
            "2030-01-31T12:00",
            "2030-01-31T12:00:00Z",
            "2030-01-31 12:00:00",
            "2030-01-31T12:00:00.123456+02:00",
            "2030-01-31T12:00:00-0530",
            "2030-01-31T12:00+01",
            "2028-02-29T00:00:00z",
            "2030-06-30T23:59:60Z",
            "2030-06-30T23:59:60.000Z",
        ] {
            assert!(is_iso8601(ok), "{ok}");
        }
        for bad in [
            "",
            "tomorrow",
            "now",
            "2030-1-31",
            "2030-13-01",
            "2030-02-30",
            "2029-02-29",
            "2030-01-31T24:00",
            "2030-01-31T12",
            "2030-01-31T12:00:00.",
            "2030-01-31T12:00Zx",
            "2030-01-31T12:00+1",
            "2030-01-31X12:00",
            "0000-01-01",
            "2030-01-31T12:00:00+02:00:00",
            "epoch",
            "infinity",
            "2030-06-30T23:59:60.5Z",
        ] {
            assert!(!is_iso8601(bad), "{bad}");
        }
        assert!(is_iso8601("2030-01-31T12:00:00.123456789+05:30"));
        let long = format!("2030-01-31T12:00:00.{}Z", "9".repeat(300));
        assert!(!is_iso8601(&long));
    }
}

//! Exotel's click callback (its link API document, "callback_url"): the body that the
//! `callback_url` of a link with `callback_format` "exotel" receives for each click, with
//! exactly the fields and casing Exotel lists. Its times are ISO 8601 in UTC, to the
//! second (`2024-01-15T10:30:00Z`). `Last_viewed` (this click's time) and `Total_clicks`
//! are added when the event is queued, as for shortlink's own event.

use serde_json::{json, Value};

/// PostgreSQL's epoch (2000-01-01) in Unix seconds.
const POSTGRES_EPOCH_UNIX: i64 = 946_684_800;

/// The key of the click's time in the body.
pub const CLICKED_AT_KEY: &str = "Last_viewed";
/// The key of the link's click count in the body.
pub const TOTAL_CLICKS_KEY: &str = "Total_clicks";

/// What the body says of the link.
pub struct Link<'a> {
    pub id: i64,
    pub short_url: &'a str,
    pub code: &'a str,
    pub long_url: &'a str,
    pub tracking: bool,
    pub custom_field: Option<&'a str>,
    /// A timestamptz: microseconds since 2000-01-01 UTC.
    pub expires_at: Option<i64>,
    pub created_at: i64,
    /// The workspace's name: the account sid of Exotel's routes.
    pub account_sid: Option<&'a str>,
}

/// What the body says of the click: where and on what it was made.
#[derive(Default)]
pub struct Click<'a> {
    pub city: Option<&'a str>,
    pub country: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub postal_code: Option<&'a str>,
    pub region: Option<&'a str>,
    pub accuracy_radius_km: Option<i32>,
    pub os_version: Option<&'a str>,
    pub os_name: Option<&'a str>,
    pub device_name: Option<&'a str>,
    pub platform_type: Option<&'a str>,
}

/// The sid of link `id`, as the Exotel routes show it: 32 hexadecimal digits.
pub fn sid(id: i64) -> String {
    format!("{id:032x}")
}

/// A timestamptz (microseconds since 2000-01-01 UTC) in ISO 8601, UTC, to the second.
pub fn iso(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000) + POSTGRES_EPOCH_UNIX;
    match time::OffsetDateTime::from_unix_timestamp(secs) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        // Beyond year 9999 (PostgreSQL's 'infinity' aside, which no link stores).
        Err(_) => String::new(),
    }
}

/// The body for a click of `link`, without `Last_viewed` and `Total_clicks`.
pub fn body(link: &Link<'_>, click: &Click<'_>) -> Value {
    let created = iso(link.created_at);
    json!({
        "sid": sid(link.id),
        "short_url": link.short_url,
        "short_code": link.code,
        "long_url": link.long_url,
        "Tracking": link.tracking,
        "custom_field": link.custom_field,
        "Expires_at": link.expires_at.map(iso),
        "Created_time": created,
        "Account_sid": link.account_sid,
        "Date_created": created,
        "city": click.city,
        "Country": click.country,
        "IP": click.ip,
        "Postal_code": click.postal_code,
        "Region": click.region,
        "Accuracy_radius": click.accuracy_radius_km,
        "OS_version": click.os_version,
        "OS_name": click.os_name,
        "Device_name": click.device_name,
        "Platform_type": click.platform_type,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exotel's list of callback fields, as its document writes them.
    const EXOTEL_FIELDS: [&str; 22] = [
        "sid",
        "short_url",
        "short_code",
        "long_url",
        "Tracking",
        "custom_field",
        "Expires_at",
        "Created_time",
        "Last_viewed",
        "Total_clicks",
        "Account_sid",
        "Date_created",
        "city",
        "Country",
        "IP",
        "Postal_code",
        "Region",
        "Accuracy_radius",
        "OS_version",
        "OS_name",
        "Device_name",
        "Platform_type",
    ];

    #[test]
    fn times_are_iso_in_utc() {
        assert_eq!(iso(0), "2000-01-01T00:00:00Z");
        // 2024-01-15 10:30:00.75 UTC.
        let t = (1_705_314_600 - POSTGRES_EPOCH_UNIX) * 1_000_000 + 750_000;
        assert_eq!(iso(t), "2024-01-15T10:30:00Z");
        assert_eq!(iso(-1), "1999-12-31T23:59:59Z");
    }

    #[test]
    fn the_body_has_exotels_fields_and_nothing_else() {
        let link = Link {
            id: 42,
            short_url: "https://go.example/abc",
            code: "abc",
            long_url: "https://example.com/",
            tracking: true,
            custom_field: Some("order 7"),
            expires_at: None,
            created_at: 0,
            account_sid: Some("exotel"),
        };
        let click = Click {
            country: Some("DE"),
            accuracy_radius_km: Some(20),
            platform_type: Some("mobile"),
            ..Click::default()
        };
        let mut b = body(&link, &click);
        let o = b.as_object_mut().unwrap();
        o.insert(CLICKED_AT_KEY.into(), iso(1).into());
        o.insert(TOTAL_CLICKS_KEY.into(), 1.into());
        let mut keys: Vec<&str> = o.keys().map(String::as_str).collect();
        let mut want = EXOTEL_FIELDS.to_vec();
        keys.sort_unstable();
        want.sort_unstable();
        assert_eq!(keys, want);
        assert_eq!(o["sid"], "0000000000000000000000000000002a");
        assert_eq!(o["Created_time"], "2000-01-01T00:00:00Z");
        assert_eq!(o["Date_created"], o["Created_time"]);
        assert_eq!(o["Expires_at"], Value::Null);
        assert_eq!(o["Tracking"], true);
        assert_eq!(o["Country"], "DE");
        assert_eq!(o["Accuracy_radius"], 20);
        assert_eq!(o["Platform_type"], "mobile");
        assert_eq!(o["Account_sid"], "exotel");
    }
}

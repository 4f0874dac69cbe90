//! A link as `shorten`, `shorten_many` and `update_link` return it.

use pgrx::prelude::*;
use pgrx::JsonB;
use serde_json::Value;

/// A new link, as shorten returns it.
pub struct Link {
    pub id: i64,
    pub domain: String,
    pub code: String,
    pub url: String,
    pub created_at: TimestampWithTimeZone,
    pub expires_at: Option<TimestampWithTimeZone>,
    pub max_clicks: Option<i64>,
    pub metadata: Value,
    /// Where the row this statement inserted, updated or read is (`link_json` reads it
    /// there).
    pub tid: pgrx::pg_sys::ItemPointerData,
}

impl Link {
    pub fn short_url(&self) -> String {
        shortlink_core::codes::short_url(&self.domain, &self.code)
    }

    /// The row shorten and update_link return.
    pub fn into_row(
        self,
    ) -> (
        i64,
        String,
        String,
        String,
        String,
        TimestampWithTimeZone,
        Option<TimestampWithTimeZone>,
        Option<i64>,
        JsonB,
    ) {
        let short_url = self.short_url();
        (
            self.id,
            self.domain,
            self.code,
            short_url,
            self.url,
            self.created_at,
            self.expires_at,
            self.max_clicks,
            JsonB(self.metadata),
        )
    }
}

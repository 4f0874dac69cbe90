//! A link just made, as the HTTP API answers it: its whole row of `shortlink.links` as a
//! JSON object (the database's column names; no password hash; no counts, which a new
//! link has none of), written here from the row the insert stored instead of read back by
//! a statement. `api_shorten` and `shorten_many_links` answer it.
//!
//! The row is fetched by the place (TID) the statement's insert gave it, or where the
//! statement read it (an existing link, `if_exists: "return"`), under `SnapshotAny`: the
//! statement's own snapshot does not see what the same statement inserted, and an
//! existing link updated by a transaction committed since it was read is answered as it
//! was read, as `shorten` answered it. No statement: a caller under row-level security
//! (the API's role) needs no privilege on `ctid`.
//! Each value is written as PostgreSQL's `json_build_object` would write it: numbers,
//! booleans, strings escaped as `escape_json` does, timestamps by `JsonEncodeDateTime`
//! (ISO 8601 in the session's time zone), jsonb as its text, text arrays as arrays.

use std::ffi::CStr;

use pgrx::pg_sys;
use pgrx::prelude::*;

use crate::catalog::{self, JsonColumn};
use crate::error::required;
use crate::index_scan::attr;
use crate::link::Link;

/// What the JSON shows, in order: a column of links (by its place in [`JsonColumn`]) under
/// a name, or a value computed from the row.
enum Field {
    Column(&'static str, JsonColumn),
    /// `https://<domain>/<code>`.
    ShortUrl,
    /// Whether expires_at has passed (at the transaction's start, as now()).
    Expired,
}

const FIELDS: &[Field] = {
    use Field::{Column as C, Expired, ShortUrl};
    use JsonColumn as J;
    &[
        C("id", J::Id),
        C("domain", J::Domain),
        C("code", J::Code),
        ShortUrl,
        C("url", J::Url),
        C("link_type", J::LinkType),
        C("redirect_type", J::RedirectType),
        C("created_at", J::CreatedAt),
        C("updated_at", J::UpdatedAt),
        C("expires_at", J::ExpiresAt),
        Expired,
        C("max_clicks", J::MaxClicks),
        C("disabled", J::Disabled),
        C("tracking", J::Tracking),
        C("password_protected", J::PasswordProtected),
        C("forward_parameters", J::ForwardParams),
        C("block_bots", J::BlockBots),
        C("utm", J::Utm),
        C("title", J::Title),
        C("description", J::Description),
        C("image", J::Image),
        C("tags", J::Tags),
        C("cloaked", J::Cloaked),
        C("meta_pixel_id", J::MetaPixelId),
        C("google_tag_id", J::GoogleTagId),
        C("custom_field", J::CustomField),
        C("dlt_header", J::DltHeader),
        C("contact_phone", J::ContactPhone),
        C("callback_url", J::CallbackUrl),
        C("callback_format", J::CallbackFormat),
        C("webhook_urls", J::WebhookUrls),
        C("expired_url", J::ExpiredUrl),
        C("metadata", J::Metadata),
    ]
};

/// `link` as the API shows a link just made (see the module).
pub fn of(link: &Link) -> String {
    let cat = catalog::get();
    if let Some(i) = cat.json_columns.iter().position(|&n| n == 0) {
        let name = JsonColumn::NAMES[i].to_string_lossy();
        crate::error::raise(catalog::not_updated(&name));
    }
    // SAFETY: a transaction is open (we are called from SQL); links is opened with the lock
    // the statement's insert took already and closed with it kept; tid is the place of a
    // row of links this statement inserted or read, which no VACUUM can remove while the
    // transaction lasts, fetched under SnapshotAny into a slot made for the table, deformed
    // whole before it is read and dropped here.
    let json = unsafe {
        let heap = pg_sys::table_open(cat.links, pg_sys::RowExclusiveLock as pg_sys::LOCKMODE);
        let slot = pg_sys::table_slot_create(heap, std::ptr::null_mut());
        let mut place = link.tid;
        let found = pg_sys::table_tuple_fetch_row_version(
            heap,
            &mut place,
            &raw mut pg_sys::SnapshotAnyData,
            slot,
        );
        let json = found.then(|| {
            pg_sys::slot_getallattrs(slot);
            write(slot, &cat.json_columns)
        });
        pg_sys::ExecDropSingleTupleTableSlot(slot);
        pg_sys::table_close(heap, pg_sys::NoLock as pg_sys::LOCKMODE);
        json
    };
    required(json, "the row of the link just made")
}

/// The JSON of the row in `slot` (deformed whole).
///
/// # Safety
/// `slot` holds a row of links with every attribute deformed; `nums` are the attribute
/// numbers of [`JsonColumn`] in its table.
unsafe fn write(slot: *mut pg_sys::TupleTableSlot, nums: &[i16]) -> String {
    let mut out = String::with_capacity(1024);
    out.push('{');
    for (i, field) in FIELDS.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        // SAFETY: the caller's promise; every number of nums is an attribute of the slot's
        // table, and the slot is deformed whole.
        let column = |c: JsonColumn| unsafe {
            let num = nums[usize::from(c)];
            let (datum, null) = attr(slot, num);
            let att = crate::pg_compat::attribute(
                (*slot).tts_tupleDescriptor,
                usize::try_from(num - 1).unwrap_or_default(),
            );
            (datum, null, att.atttypid)
        };
        match field {
            Field::Column(name, c) => {
                key(&mut out, name);
                let (datum, null, typid) = column(*c);
                // SAFETY: datum is a value of type typid, or null.
                unsafe { value(&mut out, datum, null, typid) };
            }
            Field::ShortUrl => {
                key(&mut out, "short_url");
                let (d, _, _) = column(JsonColumn::Domain);
                let (c, _, _) = column(JsonColumn::Code);
                // SAFETY: domain and code are text columns, NOT NULL.
                let (domain, code) = unsafe {
                    (
                        <&str>::from_datum(d, false).unwrap_or_default(),
                        <&str>::from_datum(c, false).unwrap_or_default(),
                    )
                };
                string(&mut out, &shortlink_core::codes::short_url(domain, code));
            }
            Field::Expired => {
                key(&mut out, "expired");
                let (at, null, _) = column(JsonColumn::ExpiresAt);
                // SAFETY: reads the transaction's start time, now()'s value.
                let now = unsafe { pg_sys::GetCurrentTransactionStartTimestamp() };
                // A timestamptz datum is its int64 microseconds.
                let expired = !null && at.value() as i64 <= now;
                out.push_str(if expired { "true" } else { "false" });
            }
        }
    }
    out.push('}');
    out
}

fn key(out: &mut String, name: &str) {
    string(out, name);
    out.push_str(" : ");
}

/// `s` as a JSON string, escaped as PostgreSQL's escape_json does.
fn string(out: &mut String, s: &str) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A value of one of links' column types, as json_build_object writes it.
///
/// # Safety
/// `datum` is a value of type `typid` unless `null`.
unsafe fn value(out: &mut String, datum: pg_sys::Datum, null: bool, typid: pg_sys::Oid) {
    if null {
        out.push_str("null");
        return;
    }
    // SAFETY: the caller's promise: datum is of type typid, and each arm reads it as that.
    unsafe {
        match typid {
            pg_sys::BOOLOID => {
                out.push_str(if bool::from_datum(datum, false).unwrap_or_default() {
                    "true"
                } else {
                    "false"
                })
            }
            pg_sys::INT2OID => out.push_str(
                &i16::from_datum(datum, false)
                    .unwrap_or_default()
                    .to_string(),
            ),
            pg_sys::INT4OID => out.push_str(
                &i32::from_datum(datum, false)
                    .unwrap_or_default()
                    .to_string(),
            ),
            pg_sys::INT8OID => out.push_str(
                &i64::from_datum(datum, false)
                    .unwrap_or_default()
                    .to_string(),
            ),
            pg_sys::TEXTOID => string(out, <&str>::from_datum(datum, false).unwrap_or_default()),
            pg_sys::TIMESTAMPTZOID => {
                let text = pg_sys::JsonEncodeDateTime(
                    std::ptr::null_mut(),
                    datum,
                    pg_sys::TIMESTAMPTZOID,
                    std::ptr::null(),
                );
                out.push('"');
                out.push_str(&CStr::from_ptr(text).to_string_lossy());
                out.push('"');
                pg_sys::pfree(text.cast());
            }
            pg_sys::JSONBOID => {
                let text =
                    pgrx::fcinfo::direct_function_call::<&CStr>(pg_sys::jsonb_out, &[Some(datum)]);
                out.push_str(&text.map(CStr::to_string_lossy).unwrap_or_default());
            }
            pg_sys::TEXTARRAYOID => {
                let items = Vec::<Option<String>>::from_datum(datum, false).unwrap_or_default();
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    match item {
                        Some(s) => string(out, s),
                        None => out.push_str("null"),
                    }
                }
                out.push(']');
            }
            other => crate::error::raise(shortlink_core::Error::new(
                shortlink_core::Kind::Internal,
                format!(
                    "shortlink.links has a column of type {} that the API cannot show",
                    other.to_u32()
                ),
            )),
        }
    }
}

//! The catalog cache: the oids of shortlink's relations and indexes and the attribute
//! numbers of the columns that the direct reads and writes use, found once per backend.
//!
//! The relations are found by name in schema `shortlink`, never through `search_path`.
//! The cache is forgotten when any of them is invalidated (`relcache`): a dropped and
//! recreated extension gets new ones.

use std::cell::Cell;
use std::ffi::CStr;

use pgrx::pg_sys;
use shortlink_core::{Error, Kind};

/// A set of `shortlink.links` columns a direct read addresses by name: an enum whose
/// variants are the columns, in the order their attribute numbers are kept.
macro_rules! column_set {
    ($(#[$meta:meta])* pub enum $set:ident { $($column:ident = $name:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $set {
            $($column),*
        }

        impl $set {
            /// The columns' names, in the variants' order.
            pub const NAMES: &'static [&'static CStr] = &[$($name),*];
            pub const COUNT: usize = Self::NAMES.len();
        }

        impl From<$set> for usize {
            fn from(column: $set) -> usize {
                column as usize
            }
        }
    };
}

column_set! {
    /// The columns `resolve` reads from `shortlink.links`.
    pub enum ResolveColumn {
        Id = c"id",
        Url = c"url",
        Disabled = c"disabled",
        PasswordHash = c"password_hash",
        ExpiresAt = c"expires_at",
        MaxClicks = c"max_clicks",
        LimitedClicks = c"limited_clicks",
    }
}

column_set! {
    /// The columns `record_click` and `peek_click` read from `shortlink.links`.
    pub enum ClickColumn {
        Id = c"id",
        Url = c"url",
        Tracking = c"tracking",
        Disabled = c"disabled",
        ExpiresAt = c"expires_at",
        MaxClicks = c"max_clicks",
        RedirectType = c"redirect_type",
        PasswordHash = c"password_hash",
        ForwardParams = c"forward_params",
        BlockBots = c"block_bots",
        ExpiredUrl = c"expired_url",
        CallbackUrl = c"callback_url",
        WebhookUrls = c"webhook_urls",
        CustomField = c"custom_field",
        CreatedAt = c"created_at",
        Title = c"title",
        Description = c"description",
        Image = c"image",
        Cloaked = c"cloaked",
        MetaPixelId = c"meta_pixel_id",
        GoogleTagId = c"google_tag_id",
        LimitedClicks = c"limited_clicks",
    }
}

column_set! {
    /// The columns of a link just made that the API shows (`link_json`).
    pub enum JsonColumn {
        Id = c"id",
        Domain = c"domain",
        Code = c"code",
        Url = c"url",
        LinkType = c"link_type",
        RedirectType = c"redirect_type",
        CreatedAt = c"created_at",
        UpdatedAt = c"updated_at",
        ExpiresAt = c"expires_at",
        MaxClicks = c"max_clicks",
        Disabled = c"disabled",
        Tracking = c"tracking",
        PasswordProtected = c"password_protected",
        ForwardParams = c"forward_params",
        BlockBots = c"block_bots",
        Utm = c"utm",
        Title = c"title",
        Description = c"description",
        Image = c"image",
        Tags = c"tags",
        Cloaked = c"cloaked",
        MetaPixelId = c"meta_pixel_id",
        GoogleTagId = c"google_tag_id",
        CustomField = c"custom_field",
        DltHeader = c"dlt_header",
        ContactPhone = c"contact_phone",
        CallbackUrl = c"callback_url",
        CallbackFormat = c"callback_format",
        WebhookUrls = c"webhook_urls",
        ExpiredUrl = c"expired_url",
        Metadata = c"metadata",
    }
}

/// The relations read here and the attribute numbers of the column sets in `links`, found once
/// per backend and forgotten when any of them is invalidated (a dropped and recreated
/// extension gets new ones).
#[derive(Clone, Copy)]
pub struct Catalog {
    pub links: pg_sys::Oid,
    /// The file number of links, which TRUNCATE and rewrites change (the click counter's
    /// key: `click_counter`).
    pub links_file: u32,
    pub links_key: pg_sys::Oid,
    pub counts: pg_sys::Oid,
    pub counts_key: pg_sys::Oid,
    /// The attribute numbers of [`ResolveColumn`] and of [`ClickColumn`], in their order.
    pub columns: [i16; ResolveColumn::COUNT],
    pub click_columns: [i16; ClickColumn::COUNT],
    /// The attribute numbers of [`JsonColumn`], in its order; 0 for a column the schema
    /// does not have yet (0.2.0's, served by this library until `ALTER EXTENSION shortlink
    /// UPDATE`: the functions that write a link's JSON come with the update).
    pub json_columns: [i16; JsonColumn::COUNT],
    /// links.callback_format, or 0 before the 0.3.0 schema (`link_columns`).
    pub callback_format: i16,
    /// links.domain and links.code.
    pub key_columns: [i16; 2],
    pub counts_clicks: i16,
    /// click_log, its (link_id) index, and its is_bot column.
    pub log: pg_sys::Oid,
    pub log_key: pg_sys::Oid,
    pub log_is_bot: i16,
    /// click_events (partitioned) and the sequence of its identity column id.
    pub events: pg_sys::Oid,
    pub events_id_seq: pg_sys::Oid,
    /// Whether click_events has the place and client columns of 0.2.0 (region … device_model):
    /// not yet between the new library's install and `ALTER EXTENSION shortlink UPDATE`.
    pub events_described: bool,
    /// domains, its primary key and its workspace_id column; blocked_hosts and its key.
    pub domains: pg_sys::Oid,
    pub domains_key: pg_sys::Oid,
    pub domains_workspace: i16,
    pub blocked: pg_sys::Oid,
    pub blocked_key: pg_sys::Oid,
    /// outbox, the sequence of its identity column id, and deliveries.
    pub outbox: pg_sys::Oid,
    pub outbox_id_seq: pg_sys::Oid,
    pub deliveries: pg_sys::Oid,
}

impl Catalog {
    /// Every relation of the cache: an invalidation of any of them forgets it.
    fn relations(&self) -> [pg_sys::Oid; 13] {
        [
            self.links,
            self.links_key,
            self.counts,
            self.counts_key,
            self.log,
            self.log_key,
            self.events,
            self.domains,
            self.domains_key,
            self.blocked,
            self.blocked_key,
            self.outbox,
            self.deliveries,
        ]
    }
}

thread_local! {
    static CATALOG: Cell<Option<Catalog>> = const { Cell::new(None) };
}

/// The catalog as this backend last found it, if it has not been forgotten since.
pub fn cached() -> Option<Catalog> {
    CATALOG.with(Cell::get)
}

/// Forgets the catalog when `relid` is one of its relations, or InvalidOid (the whole
/// relcache was reset); from the relcache callback.
pub fn forget(relid: pg_sys::Oid) {
    let Some(c) = cached() else {
        return;
    };
    if relid == pg_sys::InvalidOid || c.relations().contains(&relid) {
        CATALOG.with(|cell| cell.set(None));
    }
}

fn relation(name: &CStr) -> pg_sys::Oid {
    // SAFETY: catalog lookups by name inside a transaction; missing_ok keeps an absent
    // schema from raising here, so the error below names what is missing.
    let oid = unsafe {
        let nsp = pg_sys::get_namespace_oid(c"shortlink".as_ptr(), true);
        if nsp == pg_sys::InvalidOid {
            pg_sys::InvalidOid
        } else {
            pg_sys::get_relname_relid(name.as_ptr(), nsp)
        }
    };
    if oid == pg_sys::InvalidOid {
        missing(
            Kind::UndefinedTable,
            format!(
                "relation shortlink.{} does not exist",
                name.to_string_lossy()
            ),
        );
    }
    oid
}

/// A table or column of shortlink's that is gone: dropped or altered by hand.
fn missing(kind: Kind, message: String) -> ! {
    crate::error::raise(
        Error::new(kind, message)
            .with_hint("Reinstall the extension's tables: they were dropped or altered by hand."),
    )
}

/// shortlink.workspaces, its primary key and its name column, found now (for the rare
/// reader: Exotel's click callback names the link's workspace).
pub fn workspaces() -> (pg_sys::Oid, pg_sys::Oid, i16) {
    let rel = relation(c"workspaces");
    (
        rel,
        relation(c"workspaces_pkey"),
        attnum(rel, "workspaces", c"name"),
    )
}

/// The attribute number of column `name` of `rel`, or 0 when it has none.
fn attnum_if_any(rel: pg_sys::Oid, name: &CStr) -> i16 {
    // SAFETY: a syscache lookup of a column by name inside a transaction; `name` is a
    // NUL-terminated string that outlives the call.
    unsafe { pg_sys::get_attnum(rel, name.as_ptr()) }.max(0)
}

/// The error for a column of links that this library needs and the schema lacks: the
/// extension is not updated yet.
pub fn not_updated(column: &str) -> Error {
    Error::new(
        Kind::NotInPrerequisiteState,
        format!("column shortlink.links.{column} does not exist yet"),
    )
    .with_hint("Run ALTER EXTENSION shortlink UPDATE: the library is newer than the schema.")
}

fn attnum(rel: pg_sys::Oid, table: &str, name: &CStr) -> i16 {
    // SAFETY: a syscache lookup of a column by name inside a transaction; `name` is a
    // NUL-terminated string that outlives the call.
    let num = unsafe { pg_sys::get_attnum(rel, name.as_ptr()) };
    if num <= 0 {
        missing(
            Kind::UndefinedColumn,
            format!(
                "column shortlink.{table}.{} does not exist",
                name.to_string_lossy()
            ),
        );
    }
    num
}

/// This backend's catalog, found now if it is not cached.
pub fn get() -> Catalog {
    if let Some(c) = cached() {
        return c;
    }
    let links = relation(c"links");
    // SAFETY: links exists (relation() raised otherwise); opened under the lock the
    // caller's statement holds or takes now, and closed at once.
    let links_file = unsafe {
        let rel = pg_sys::RelationIdGetRelation(links);
        if rel.is_null() {
            0
        } else {
            let file = crate::pg_compat::relation_file_number(rel);
            pg_sys::RelationClose(rel);
            file
        }
    };
    let counts = relation(c"click_counts");
    let mut columns = [0i16; ResolveColumn::COUNT];
    for (num, name) in columns.iter_mut().zip(ResolveColumn::NAMES) {
        *num = attnum(links, "links", name);
    }
    let mut click_columns = [0i16; ClickColumn::COUNT];
    for (num, name) in click_columns.iter_mut().zip(ClickColumn::NAMES) {
        *num = attnum(links, "links", name);
    }
    let mut json_columns = [0i16; JsonColumn::COUNT];
    for (num, name) in json_columns.iter_mut().zip(JsonColumn::NAMES) {
        *num = attnum_if_any(links, name);
    }
    let callback_format = attnum_if_any(links, c"callback_format");
    let log = relation(c"click_log");
    let events = relation(c"click_events");
    let events_id = attnum(events, "click_events", c"id");
    // missing_ok false: raises if the identity is gone.
    let events_id_seq = crate::pg_compat::identity_sequence(events, events_id, false);
    // SAFETY: a syscache lookup of a column by name inside a transaction.
    let events_described = unsafe { pg_sys::get_attnum(events, c"device_model".as_ptr()) } > 0;
    let key_columns = [
        attnum(links, "links", c"domain"),
        attnum(links, "links", c"code"),
    ];
    let domains = relation(c"domains");
    let blocked = relation(c"blocked_hosts");
    let outbox = relation(c"outbox");
    let outbox_id = attnum(outbox, "outbox", c"id");
    let c = Catalog {
        domains,
        domains_key: relation(c"domains_pkey"),
        domains_workspace: attnum(domains, "domains", c"workspace_id"),
        blocked,
        blocked_key: relation(c"blocked_hosts_pkey"),
        links,
        links_file,
        key_columns,
        links_key: relation(c"links_domain_code_key"),
        counts,
        counts_key: relation(c"click_counts_pkey"),
        columns,
        click_columns,
        json_columns,
        callback_format,
        counts_clicks: attnum(counts, "click_counts", c"clicks"),
        log,
        log_key: relation(c"click_log_link_id_idx"),
        log_is_bot: attnum(log, "click_log", c"is_bot"),
        events,
        events_id_seq,
        events_described,
        outbox,
        outbox_id_seq: crate::pg_compat::identity_sequence(outbox, outbox_id, false),
        deliveries: relation(c"deliveries"),
    };
    CATALOG.with(|cell| cell.set(Some(c)));
    c
}

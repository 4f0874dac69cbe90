//! The statements that store a link's options, built once from the link-field registry
//! (`shortlink_core::fields`): every option stored as it is has a column of the same name
//! in `shortlink.links`, read from the options' JSON by `jsonb_populate_record`, with its
//! default when it is not given. The names come from the registry, never from input.

use shortlink_core::fields;
use std::sync::OnceLock;

/// `col` for the SET list or the SELECT list: the option's value, or its default.
fn value_of(col: &str, default: Option<&str>) -> String {
    debug_assert!(col.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
    match default {
        Some(d) => format!("coalesce(r.{col}, {d})"),
        None => format!("r.{col}"),
    }
}

/// The stored columns of a schema: every one (0.3.0's), or those 0.2.0's has too (this
/// library serves it until `ALTER EXTENSION shortlink UPDATE`).
fn columns(all: bool) -> impl Iterator<Item = (&'static str, Option<&'static str>)> {
    fields::stored_columns().filter(move |(col, _)| all || !fields::NEWER_COLUMNS.contains(col))
}

/// `INSERT_LINK`: $1 domain, $2 code, $3 url, $4 expires_at (text), $5 expire_in
/// (seconds), $6 the stored options (jsonb keyed by column), $7 password_hash.
pub fn insert_link_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| insert_sql(true))
}

/// [`insert_link_sql`] for the 0.2.0 schema.
pub fn insert_link_sql_0_2() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| insert_sql(false))
}

fn insert_sql(all: bool) -> String {
    let (cols, values): (Vec<&str>, Vec<String>) = columns(all)
        .map(|(col, default)| (col, value_of(col, default)))
        .unzip();
    format!(
        "INSERT INTO shortlink.links (domain, code, url, expires_at, password_hash, {})
         SELECT $1, $2, $3,
                CASE WHEN $5 IS NOT NULL
                     THEN pg_catalog.now() + pg_catalog.make_interval(secs => $5)
                     ELSE $4::timestamptz END,
                $7, {}
         FROM pg_catalog.jsonb_populate_record(NULL::shortlink.links, $6) r
         ON CONFLICT (domain, code) DO NOTHING
         RETURNING id, created_at, expires_at, ctid",
        cols.join(", "),
        values.join(", ")
    )
}

/// `UPDATE_LINK`: $1 id, $2 new url (NULL: unchanged), $3 expires_at, $4 expire_in, $5
/// whether the expiry is set (or cleared), $6 the stored options given (a key with null
/// clears), $7 whether the password is set (or cleared), $8 its hash.
pub fn update_link_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| update_sql(true))
}

/// [`update_link_sql`] for the 0.2.0 schema.
pub fn update_link_sql_0_2() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| update_sql(false))
}

fn update_sql(all: bool) -> String {
    let sets: Vec<String> = columns(all)
        .map(|(col, default)| {
            format!(
                "{col} = CASE WHEN $6 ? '{col}' THEN {} ELSE l.{col} END",
                value_of(col, default)
            )
        })
        .collect();
    format!(
        "UPDATE shortlink.links l SET
             url = coalesce($2, l.url),
             expires_at = CASE WHEN NOT $5 THEN l.expires_at
                               WHEN $4 IS NOT NULL
                               THEN pg_catalog.now() + pg_catalog.make_interval(secs => $4)
                               ELSE $3::timestamptz END,
             password_hash = CASE WHEN $7 THEN $8 ELSE l.password_hash END,
             {},
             updated_at = pg_catalog.now()
         FROM pg_catalog.jsonb_populate_record(NULL::shortlink.links, $6) r
         WHERE l.id = $1
         RETURNING l.id, l.domain, l.code, l.url, l.created_at, l.expires_at, l.max_clicks,
                   l.metadata, l.ctid",
        sets.join(",\n                 ")
    )
}

//! shortlink: short tracking links as a PostgreSQL primitive.
//!
//! The database-free logic lives in `shortlink-core`; each module here adapts one concern
//! to SQL.

// pgrx reads a function's result columns from its signature, so `TableIterator<(name!(…), …)>`
// types stay inline there rather than behind aliases.
#![allow(clippy::type_complexity)]

/// `pg_finfo_<symbol>`: the version-1 calling convention record PostgreSQL looks up for a
/// C function that `sql/*.sql` declares with `AS 'MODULE_PATHNAME', '<symbol>'` (the
/// functions pgrx does not declare: `shorten`, `record_click`, `peek_click`, `autolink`).
macro_rules! v1_function_info {
    ($finfo:ident) => {
        #[unsafe(no_mangle)]
        pub extern "C" fn $finfo() -> &'static pgrx::pg_sys::Pg_finfo_record {
            const V1: pgrx::pg_sys::Pg_finfo_record =
                pgrx::pg_sys::Pg_finfo_record { api_version: 1 };
            &V1
        }
    };
}

mod api_key;
mod api_shorten;
mod autolink;
mod batch;
mod bot_rules;
mod catalog;
mod click_counter;
mod click_events;
mod click_webhooks;
mod clicks;
mod direct_write;
mod domain_lookup;
mod domain_registration;
mod domains;
mod error;
mod existing_link;
mod geoip;
mod index_scan;
mod json_arg;
mod link;
mod link_card;
mod link_columns;
mod link_json;
mod link_row;
mod maintenance_worker;
mod manage;
mod pg_compat;
mod place_memo;
mod plans;
mod presented_key;
mod privilege;
mod qr;
mod relcache;
mod resolve;
mod row_value;
mod settings;
mod shared_places;
mod shorten;
mod stats;
mod user_account;
mod wake_gate;

use pgrx::prelude::*;

::pgrx::pg_module_magic!(name, version);

extension_sql_file!("../sql/schema.sql", name = "schema", bootstrap);
extension_sql_file!("../sql/functions.sql", name = "functions");
extension_sql_file!(
    "../sql/rollups.sql",
    name = "rollups",
    requires = ["functions", click_retention_minutes]
);
extension_sql_file!(
    "../sql/manage.sql",
    name = "manage",
    requires = [
        "rollups",
        link_id,
        require_link,
        require_scope,
        short_url,
        filter_timestamp
    ]
);
extension_sql_file!(
    "../sql/bot_rules.sql",
    name = "bot_rules",
    requires = ["manage", bot_pattern_error]
);
extension_sql_file!(
    "../sql/caches.sql",
    name = "caches",
    requires = ["bot_rules", invalidate_cached_table]
);
extension_sql_file!(
    "../sql/deliveries.sql",
    name = "deliveries",
    requires = ["caches"]
);
extension_sql_file!(
    "../sql/api_keys.sql",
    name = "api_keys",
    requires = ["deliveries"]
);
extension_sql_file!(
    "../sql/sending.sql",
    name = "sending",
    requires = ["api_keys"]
);
extension_sql_file!(
    "../sql/dashboard.sql",
    name = "dashboard",
    requires = [
        "sending",
        user_password_hash,
        user_password_matches,
        secret_token
    ]
);
// Last: it revokes PUBLIC's default EXECUTE on every function created before it (the
// delivery functions among them).
extension_sql_file!("../sql/security.sql", name = "security", finalize);

#[pg_guard]
pub extern "C-unwind" fn _PG_init() {
    settings::register();
    geoip::register_setting();
    settings::reserve_prefix();
    bot_rules::register();
    relcache::register();
    direct_write::register();
    // Loaded by shared_preload_libraries: ask for the shared place memo's memory, and build
    // the bot patterns and User-Agent parsers in the postmaster, so that every backend
    // inherits them instead of building them on its first click (docs/bots.md, "What it
    // costs").
    // SAFETY: a flag PostgreSQL sets while it loads preloaded libraries.
    if unsafe { pg_sys::process_shared_preload_libraries_in_progress } {
        shared_places::request();
        wake_gate::request();
        click_counter::request();
        maintenance_worker::register();
        shortlink_useragent::useragent::warm();
    }
}

/// Required by `cargo pgrx test`.
#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    #[must_use]
    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec![]
    }
}

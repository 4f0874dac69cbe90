//! Where a click came from: `shortlink.geoip_database`, a MaxMind DB file (GeoIP2 or
//! GeoLite2 City, DB-IP City Lite), looked up by `record_click` with the click's full
//! address before it is anonymised (`shortlink_geoip` reads the file).
//!
//! The file is memory-mapped, never read per click. A postmaster that preloads shortlink
//! maps it at start and again when a reload (SIGHUP) or a `SET` names it, so backends
//! forked after inherit the mapping: one copy in the page cache for all of them. A backend
//! looks at the file itself (one `stat`) at most once a second, and after a reload, and
//! maps it anew when it was replaced (a new inode, size or modification time, as
//! `geoipupdate`'s rename makes). A file that cannot be opened is reported in the server
//! log once, and clicks go on without geo (the last good database of the same path is
//! kept meanwhile): geo never fails a click.

use std::cell::RefCell;
use std::ffi::{c_char, c_void, CStr};
use std::net::IpAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use pgrx::pg_sys;
use pgrx::prelude::*;
use shortlink_geoip::{Database, FileIdentity, Place};

use pgrx::guc::{GucContext, GucFlags, GucRegistry, GucSetting};
use std::ffi::CString;

/// `shortlink.geoip_database`: the file, "" when off. Defined here, with its hooks, so
/// that the module that reads the setting also owns it.
static GEOIP_DATABASE: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(Some(c""));

/// Defines `shortlink.geoip_database` (from _PG_init).
pub fn register_setting() {
    // SAFETY: the hooks are #[pg_guard] functions and the setting a static.
    unsafe {
        GucRegistry::define_string_guc_with_hooks(
            c"shortlink.geoip_database",
            c"A MaxMind DB file (GeoIP2 or GeoLite2 City, DB-IP City Lite) that record_click looks clicks' addresses up in: country, region, city, postal code, accuracy (empty: off).",
            c"Memory-mapped, not read per click; replace the file by renaming a new one over it (as geoipupdate does): backends notice within a second, or at a reload. Superuser only.",
            &GEOIP_DATABASE,
            GucContext::Suset,
            GucFlags::default(),
            Some(check_geoip_database),
            Some(assign_geoip_database),
            None,
        );
    }
}

fn geoip_database() -> String {
    GEOIP_DATABASE
        .get()
        .map(|c| c.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// How often a backend looks at the file for a replacement, in microseconds.
const CHECK_EVERY_US: i64 = 1_000_000;

/// Set by the setting's assign hook (a `SET`, or a reload that reads postgresql.conf):
/// look at the setting and the file at the next click.
static STALE: AtomicBool = AtomicBool::new(true);

struct Loaded {
    /// The setting's value when the file was last looked at.
    path: String,
    db: Option<Database>,
    /// When the file was last looked at (a transaction start time, µs).
    checked_at: i64,
    /// The (path, file) last reported as unusable, so it is reported once.
    reported: Option<(String, Option<FileIdentity>)>,
}

thread_local! {
    static LOADED: RefCell<Loaded> = const {
        RefCell::new(Loaded { path: String::new(), db: None, checked_at: i64::MIN, reported: None })
    };
}

/// The place of `ip` in the configured database; None when `shortlink.geoip_database` is
/// empty, its file unusable, or the address unknown to it.
pub fn place(ip: IpAddr) -> Option<Place> {
    // SAFETY: reads the transaction's start time, as now() does.
    let now = unsafe { pg_sys::GetCurrentTransactionStartTimestamp() };
    LOADED.with(|loaded| {
        let mut loaded = loaded.borrow_mut();
        let due =
            now.saturating_sub(loaded.checked_at) >= CHECK_EVERY_US || now < loaded.checked_at;
        if STALE.swap(false, Ordering::Relaxed) || (due && !loaded.path.is_empty()) {
            refresh(&mut loaded, geoip_database(), now);
        }
        let place = loaded.db.as_ref()?.lookup(ip);
        (!place.is_empty()).then_some(place)
    })
}

/// Looks at the setting and its file, and maps the file when it is not the one mapped.
fn refresh(loaded: &mut Loaded, wanted: String, now: i64) {
    loaded.checked_at = now;
    if wanted.is_empty() {
        loaded.path.clear();
        loaded.db = None;
        loaded.reported = None;
        return;
    }
    if wanted != loaded.path {
        loaded.path = wanted;
        loaded.db = None;
    }
    let path = Path::new(&loaded.path);
    let identity = match FileIdentity::of(path) {
        Ok(identity) => identity,
        Err(e) => {
            // Gone (between a delete and a rename, say): keep serving what is mapped.
            report(
                loaded,
                None,
                &format!("cannot open MaxMind DB \"{}\": {e}", loaded.path),
            );
            return;
        }
    };
    if loaded
        .db
        .as_ref()
        .is_some_and(|db| db.identity() == identity)
    {
        return;
    }
    match Database::open(path) {
        Ok(db) => {
            loaded.db = Some(db);
            loaded.reported = None;
        }
        Err(e) => report(loaded, Some(identity), &e.to_string()),
    }
}

/// Reports an unusable database in the server log, once per path and file.
fn report(loaded: &mut Loaded, identity: Option<FileIdentity>, message: &str) {
    let key = (loaded.path.clone(), identity);
    if loaded.reported.as_ref() == Some(&key) {
        return;
    }
    loaded.reported = Some(key);
    let kept = if loaded.db.is_some() {
        "the database mapped before is used meanwhile"
    } else {
        "clicks are recorded without geo meanwhile"
    };
    // LOG: for the operator, never sent to the client whose click is being recorded.
    pgrx::log!("shortlink.geoip_database: {message}; {kept}");
}

/// The assign hook of `shortlink.geoip_database`. In a backend, the setting and its file
/// are looked at again at the next click. In the postmaster (shortlink preloaded; at start
/// and at every reload), the file is mapped now, so that the backends forked after inherit
/// the mapping: the postmaster serves no clicks itself.
///
/// # Safety
/// Called by PostgreSQL only, as the setting's assign hook, with the new value (NULL or a
/// NUL-terminated string); raises no error (a file that cannot be opened is only logged).
#[pg_guard]
pub unsafe extern "C-unwind" fn assign_geoip_database(newval: *const c_char, _extra: *mut c_void) {
    // SAFETY: plain reads of flags PostgreSQL sets for the process.
    let postmaster = unsafe { !pg_sys::IsUnderPostmaster && pg_sys::IsPostmasterEnvironment };
    if !postmaster {
        STALE.store(true, Ordering::Relaxed);
        return;
    }
    // SAFETY: as the caller promises.
    let wanted = unsafe { (!newval.is_null()).then(|| CStr::from_ptr(newval)) }
        .map(|v| v.to_string_lossy().into_owned())
        .unwrap_or_default();
    // SAFETY: reads the clock.
    let now = unsafe { pg_sys::GetCurrentTimestamp() };
    LOADED.with(|loaded| {
        if let Ok(mut loaded) = loaded.try_borrow_mut() {
            STALE.store(false, Ordering::Relaxed);
            refresh(&mut loaded, wanted, now);
        }
    });
}

/// Checks every value of `shortlink.geoip_database`: empty, or a path without NUL bytes
/// (the file itself is looked at when clicks need it: a missing file must not stop the
/// server from starting).
///
/// # Safety
/// Called by PostgreSQL only, as the setting's check hook.
#[pg_guard]
pub unsafe extern "C-unwind" fn check_geoip_database(
    newval: *mut *mut c_char,
    _extra: *mut *mut c_void,
    _source: pg_sys::GucSource::Type,
) -> bool {
    // SAFETY: PostgreSQL passes a check hook NULL, or a pointer to NULL or to a valid
    // NUL-terminated string.
    let value = unsafe {
        if newval.is_null() || (*newval).is_null() {
            return true;
        }
        CStr::from_ptr(*newval)
    };
    value.to_str().is_ok()
}

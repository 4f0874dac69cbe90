//! The `shortlink.*` settings (GUCs), registered in `_PG_init`.

use pgrx::guc::{GucContext, GucFlags, GucRegistry, GucSetting};
use pgrx::{pg_guard, pg_sys, search_path, Spi};
use shortlink_core::codes::{Alphabet, MAX_CODE_LENGTH, MIN_CODE_LENGTH};
use shortlink_core::{Error, Result};
use std::ffi::CString;

static DEFAULT_DOMAIN_GUC: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(Some(c"localhost"));
static CODE_LENGTH: GucSetting<i32> = GucSetting::<i32>::new(7);
static MAX_LENGTH: GucSetting<i32> = GucSetting::<i32>::new(32);
static ALPHABET: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(Some(
    c"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
));
static COLLISION_RETRIES: GucSetting<i32> = GucSetting::<i32>::new(3);
static ANONYMIZE_IP: GucSetting<bool> = GucSetting::<bool>::new(true);
static ALLOW_PRIVATE_DESTINATIONS: GucSetting<bool> = GucSetting::<bool>::new(false);
static CLICK_RETENTION_MINUTES: GucSetting<i32> = GucSetting::<i32>::new(0);
static REMEMBERED_LINKS: GucSetting<i32> = GucSetting::<i32>::new(100_000);
static SHARED_PLACES: GucSetting<i32> = GucSetting::<i32>::new(1 << 20);
static MAINTENANCE_INTERVAL_SECONDS: GucSetting<i32> = GucSetting::<i32>::new(60);
static WORKSPACE: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(Some(c""));

pub fn register() {
    GucRegistry::define_string_guc(
        c"shortlink.default_domain",
        c"Domain of new links when opts has no \"domain\".",
        c"Must be registered with shortlink.add_domain(); \"localhost\" is registered at install.",
        &DEFAULT_DOMAIN_GUC,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"shortlink.code_length",
        c"Length of generated codes.",
        c"A crowded code space grows codes past it, up to shortlink.max_code_length.",
        &CODE_LENGTH,
        MIN_CODE_LENGTH as i32,
        MAX_CODE_LENGTH as i32,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"shortlink.max_code_length",
        c"Longest generated code before shorten reports the code space exhausted (54000).",
        c"",
        &MAX_LENGTH,
        MIN_CODE_LENGTH as i32,
        MAX_CODE_LENGTH as i32,
        GucContext::Userset,
        GucFlags::default(),
    );
    // SAFETY: the check hook is a #[pg_guard] function and the setting a static.
    unsafe {
        GucRegistry::define_string_guc_with_hooks(
            c"shortlink.alphabet",
            c"Characters of generated codes: 2 to 64 distinct characters of A-Z a-z 0-9 - _.",
            c"Checked when set: a repeated character, a character a URL path cannot hold as it is, or fewer than 2 characters is refused.",
            &ALPHABET,
            GucContext::Userset,
            GucFlags::default(),
            Some(check_alphabet),
            None,
            None,
        );
    }
    GucRegistry::define_int_guc(
        c"shortlink.collision_retries",
        c"Random codes tried at one length before the length grows by one.",
        c"",
        &COLLISION_RETRIES,
        1,
        100,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_bool_guc(
        c"shortlink.anonymize_ip",
        c"Store click IPs anonymised: IPv4 to its /24, IPv6 to its /48.",
        c"Unique visitors are counted from a salted hash of the full address, which is never stored. Superuser only.",
        &ANONYMIZE_IP,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_bool_guc(
        c"shortlink.allow_private_destinations",
        c"Accept loopback, private and link-local hosts as destinations (intranet installs).",
        c"Off by default: such links and webhooks reach into the network of whoever follows or delivers them. Superuser only.",
        &ALLOW_PRIVATE_DESTINATIONS,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"shortlink.click_retention",
        c"How long shortlink.maintain() keeps raw click events (0: for ever), e.g. '90d'.",
        c"Older day partitions of click_events are dropped once rolled up; click_rollups keep their counts. Superuser only.",
        &CLICK_RETENTION_MINUTES,
        0,
        i32::MAX,
        GucContext::Suset,
        GucFlags::UNIT_MIN,
    );
    GucRegistry::define_int_guc(
        c"shortlink.remembered_links",
        c"Links whose heap place each backend remembers, so that resolve and record_click read them without the index descent (0: none).",
        c"About 22 bytes per link per backend (2.2 MB at 100000); emptied when full. A remembered place is only a shortcut: the row found there is checked to be the link, visible to the statement.",
        &REMEMBERED_LINKS,
        0,
        10_000_000,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"shortlink.maintenance_interval",
        c"How often the maintenance worker runs shortlink.maintain() in every database that has shortlink (0: never), e.g. '1min'.",
        c"The worker runs only when shortlink is in shared_preload_libraries, and never on a standby. Set it in postgresql.conf; a reload (SIGHUP) applies it.",
        &MAINTENANCE_INTERVAL_SECONDS,
        0,
        i32::MAX / 1000,
        GucContext::Sighup,
        GucFlags::UNIT_S,
    );
    // Sized once, at server start, from shared_preload_libraries: a library loaded later
    // may not define it (and it would mean nothing there).
    // SAFETY: a flag PostgreSQL sets while it loads preloaded libraries.
    if unsafe { pgrx::pg_sys::process_shared_preload_libraries_in_progress } {
        GucRegistry::define_int_guc(
            c"shortlink.shared_places",
            c"Links whose heap place all backends remember together in shared memory, so that resolve and record_click read them without the index descent (0: none).",
            c"16 bytes per link, taken from shared memory at server start (16 MB at 1048576); needs shortlink in shared_preload_libraries. A remembered place is only a shortcut: the row found there is checked to be the link, visible to the statement.",
            &SHARED_PLACES,
            0,
            1 << 28,
            GucContext::Postmaster,
            GucFlags::default(),
        );
    }
    // SAFETY: the check hook is a #[pg_guard] function and the setting a static.
    unsafe {
        GucRegistry::define_string_guc_with_hooks(
            c"shortlink.workspace",
            c"The workspace an application role acts in, among those granted to it.",
            c"Empty: every workspace granted to the role (new domains go to its only one). Setting a workspace not granted to the current role is an error.",
            &WORKSPACE,
            GucContext::Userset,
            GucFlags::default(),
            Some(check_workspace),
            None,
            None,
        );
    }
}

/// Reserves the `shortlink.` prefix: a misspelt setting is then an error rather than a
/// placeholder. Called from _PG_init once every module has defined its settings.
pub fn reserve_prefix() {
    // SAFETY: from _PG_init, after every shortlink.* GUC is defined (as PostgreSQL asks),
    // with a NUL-terminated literal.
    unsafe { pgrx::pg_sys::MarkGUCPrefixReserved(c"shortlink".as_ptr()) };
}

fn string(setting: &GucSetting<Option<CString>>) -> String {
    setting
        .get()
        .map(|c| c.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `shortlink.remembered_links`.
/// `shortlink.maintenance_interval`; None when it is 0 (the worker is switched off).
pub fn maintenance_interval() -> Option<std::time::Duration> {
    let seconds = MAINTENANCE_INTERVAL_SECONDS.get();
    (seconds > 0).then(|| std::time::Duration::from_secs(seconds as u64))
}

pub fn remembered_links() -> usize {
    usize::try_from(REMEMBERED_LINKS.get()).unwrap_or(0)
}

/// `shortlink.shared_places` (its default where shortlink was not preloaded: it is then
/// not defined, and nothing reads it).
pub fn shared_places() -> usize {
    usize::try_from(SHARED_PLACES.get()).unwrap_or(0)
}

/// `shortlink.default_domain`, as written (normalized where used).
pub fn default_domain() -> String {
    string(&DEFAULT_DOMAIN_GUC)
}

pub fn code_length() -> usize {
    CODE_LENGTH.get() as usize
}

pub fn max_code_length() -> usize {
    MAX_LENGTH.get() as usize
}

pub fn collision_retries() -> usize {
    COLLISION_RETRIES.get() as usize
}

/// `shortlink.alphabet`, validated: a bad value is an error that names the setting.
pub fn alphabet() -> Result<Alphabet> {
    Alphabet::parse(&string(&ALPHABET))
        .map_err(|e: Error| e.with_hint(format!("SET shortlink.alphabet to {}.", Alphabet::RULES)))
}

pub fn anonymize_ip() -> bool {
    ANONYMIZE_IP.get()
}

/// `shortlink.workspace`, as set ("" when unset).
pub fn workspace() -> String {
    string(&WORKSPACE)
}

fn click_retention_minutes_setting() -> i32 {
    CLICK_RETENTION_MINUTES.get()
}

pub fn allow_private_destinations() -> bool {
    ALLOW_PRIVATE_DESTINATIONS.get()
}

/// Checks `SET shortlink.workspace`: the named workspace must be granted to the current
/// role. Only interactive settings (SET, a function's SET clause, ALTER … SET) are
/// checked here, inside a transaction of a database with the extension; the functions
/// check the value again when they use it (shortlink.visible_workspaces()).
///
/// # Safety
/// Called by PostgreSQL only, as the setting's check hook.
#[pg_guard]
unsafe extern "C-unwind" fn check_workspace(
    newval: *mut *mut std::ffi::c_char,
    _extra: *mut *mut std::ffi::c_void,
    source: pg_sys::GucSource::Type,
) -> bool {
    // SAFETY: PostgreSQL passes a check hook a valid newval.
    let Some(value) = (unsafe { checked_value(newval) }) else {
        return true;
    };
    if value.is_empty() {
        return true;
    }
    let interactive =
        source == pg_sys::GucSource::PGC_S_SESSION || source == pg_sys::GucSource::PGC_S_TEST;
    // SAFETY: plain reads of backend globals and a catalog lookup inside a transaction.
    let checkable = interactive
        && unsafe {
            pg_sys::IsTransactionState()
                && !pg_sys::InitializingParallelWorker
                && pg_sys::get_extension_oid(c"shortlink".as_ptr(), true) != pg_sys::InvalidOid
        };
    if !checkable {
        return true;
    }
    let granted = Spi::get_one_with_args::<bool>(
        "SELECT shortlink.workspace_granted($1)",
        &[value.as_str().into()],
    );
    if matches!(granted, Ok(Some(true))) {
        return true;
    }
    let detail =
        format!("Workspace \"{value}\" does not exist or is not granted to the current role.");
    refuse_value(detail, None)
}

/// Checks every value of `shortlink.alphabet` (SET, ALTER … SET, postgresql.conf) against
/// the rules the code generator holds it to, so that a bad alphabet is refused where it is
/// set (22023, naming the rule) rather than at every later `shorten`.
///
/// # Safety
/// Called by PostgreSQL only, as the setting's check hook.
#[pg_guard]
unsafe extern "C-unwind" fn check_alphabet(
    newval: *mut *mut std::ffi::c_char,
    _extra: *mut *mut std::ffi::c_void,
    _source: pg_sys::GucSource::Type,
) -> bool {
    // SAFETY: PostgreSQL passes a check hook a valid newval.
    let Some(value) = (unsafe { checked_value(newval) }) else {
        return true;
    };
    let Err(rule) = Alphabet::check(&value) else {
        return true;
    };
    let detail = format!("The alphabet {rule}.");
    let hint = format!("Use {}.", Alphabet::RULES);
    refuse_value(detail, Some(hint))
}

/// The value a check hook is asked about, or None when there is none (a reset to NULL).
///
/// # Safety
/// `newval` is the pointer PostgreSQL passes a string setting's check hook.
unsafe fn checked_value(newval: *mut *mut std::ffi::c_char) -> Option<String> {
    // SAFETY: the caller passes PostgreSQL's newval: NULL, or a pointer to NULL or to a
    // valid NUL-terminated string.
    unsafe {
        if newval.is_null() || (*newval).is_null() {
            return None;
        }
        Some(
            std::ffi::CStr::from_ptr(*newval)
                .to_string_lossy()
                .into_owned(),
        )
    }
}

/// A check hook's refusal: PostgreSQL reports 22023 with this DETAIL (and HINT).
fn refuse_value(detail: String, hint: Option<String>) -> bool {
    // SAFETY: GUC_check_errdetail_string and GUC_check_errhint_string take palloc'd
    // strings, as GUC_check_errdetail() and GUC_check_errhint() set them; a check hook
    // runs in a backend with a current memory context.
    unsafe {
        let detail = CString::new(detail).unwrap_or_default();
        pg_sys::GUC_check_errdetail_string = pg_sys::pstrdup(detail.as_ptr());
        if let Some(hint) = hint {
            let hint = CString::new(hint).unwrap_or_default();
            pg_sys::GUC_check_errhint_string = pg_sys::pstrdup(hint.as_ptr());
        }
    }
    false
}

/// `shortlink.click_retention` in minutes (0: keep click events for ever), read by
/// `shortlink.maintain()`; calling it loads the library, which defines the setting.
#[pgrx::pg_extern(stable, parallel_safe)]
#[search_path(pg_catalog, pg_temp)]
fn click_retention_minutes() -> i32 {
    click_retention_minutes_setting()
}

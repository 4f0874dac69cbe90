//! The presented API key: `shortlink.api_begin(secret)` presents a key for the rest of
//! the transaction, and every function and row-level security policy then acts for the
//! key's workspace, domains, links and scopes only. What reads the key (privilege.rs,
//! shorten, the policies) depends on this module; making and revoking keys is api_key.rs.
//!
//! The presented key lives in a backend-local static tagged with the local transaction id
//! it was presented in: it is valid for that transaction only, needs no callback to clear,
//! and only `api_begin`, given the secret, sets it (no GUC or SET reaches it). A parallel
//! worker does not have it: the functions that read it are PARALLEL RESTRICTED, and
//! `api_begin` turns parallel query off for the rest of the transaction.

use pgrx::prelude::*;
use shortlink_core::api_key;
use shortlink_core::{Error, Kind, Result};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use crate::error::{raise, required, OrRaise};
use crate::plan;

/// The key presented in this transaction: what the functions and policies need of it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Presented {
    pub key_id: i64,
    pub workspace_id: i32,
    pub prefix: String,
    pub scopes: Vec<String>,
    /// None: every domain of the workspace.
    pub domains: Option<Vec<String>>,
    pub own_links_only: bool,
    /// Requests a minute, as the key says (None: the server's default).
    pub rate_limit: Option<i32>,
}

impl Presented {
    pub fn has(&self, scope: &str) -> bool {
        shortlink_core::api_key::grants(&self.scopes, scope)
    }

    /// Whether the key may act on `domain` (normalized).
    pub fn allows_domain(&self, domain: &str) -> bool {
        self.domains
            .as_ref()
            .is_none_or(|d| d.iter().any(|x| x == domain))
    }

    /// 42501 unless the key has `scope`.
    pub fn require(&self, scope: &str) -> Result<()> {
        if self.has(scope) {
            Ok(())
        } else {
            Err(api_key::lacks_scope(&self.prefix, scope))
        }
    }
}

thread_local! {
    static PRESENTED: RefCell<Option<(pg_sys::LocalTransactionId, Rc<Presented>)>> =
        const { RefCell::new(None) };
}

/// The key presented in the current transaction, if any (shared: a clone allocates
/// nothing).
pub fn presented() -> Option<Rc<Presented>> {
    let lxid = crate::pg_compat::local_transaction_id();
    PRESENTED.with(|p| {
        p.borrow()
            .as_ref()
            .filter(|(at, _)| *at == lxid)
            .map(|(_, k)| k.clone())
    })
}

/// Ok without a presented key (nothing changes for roles that present none), or when the
/// presented key has `scope`; 42501 otherwise.
pub fn require(scope: &str) -> Result<()> {
    match presented() {
        Some(k) => k.require(scope),
        None => Ok(()),
    }
}

plan!(
    KEY_BY_HASH,
    read,
    "SELECT 'shortlink.api_keys'::pg_catalog.regclass::pg_catalog.oid,
            'shortlink.workspaces'::pg_catalog.regclass::pg_catalog.oid,
            k.id, k.prefix, k.name, w.name, k.scopes, k.domains, k.own_links_only,
            k.rate_limit, k.expires_at, k.workspace_id, k.revoked_at IS NOT NULL,
            k.last_used_at
     FROM shortlink.api_keys k JOIN shortlink.workspaces w ON w.id = k.workspace_id
     WHERE k.secret_hash = $1",
    [BYTEAOID]
);
// At most one write per key per minute, and never a wait: a row another transaction is
// marking right now is skipped (it is being marked).
plan!(
    MARK_USED,
    write,
    "UPDATE shortlink.api_keys k SET last_used_at = now()
     WHERE k.id = (SELECT s.id FROM shortlink.api_keys s
                   WHERE s.id = $1
                     AND (s.last_used_at IS NULL OR s.last_used_at < now() - interval '60 seconds')
                   FOR NO KEY UPDATE SKIP LOCKED)",
    [INT8OID]
);

/// MARK_USED's minute, in microseconds (a TimestampTz's unit).
const MARK_USED_EVERY: pg_sys::TimestampTz = 60_000_000;

/// A key as KEY_BY_HASH read it, with what a presentation of it sets up front.
struct KnownKey {
    presented: Rc<Presented>,
    name: String,
    workspace: String,
    expires: Option<TimestampWithTimeZone>,
    revoked: bool,
    /// When it was last marked used by a committed transaction, as far as this backend
    /// knows.
    last_used: Cell<Option<pg_sys::TimestampTz>>,
    /// The transaction in which this backend last marked it (its mark counts once that
    /// transaction commits; one that rolls back leaves the key to be marked again).
    marked_in: Cell<pg_sys::LocalTransactionId>,
}

/// The keys this backend has looked up, by the SHA-256 of their secret, kept until
/// `api_keys` or `workspaces` change: their statement triggers (sql/api_keys.sql) queue a
/// relcache invalidation, which every backend processes at the start of its next
/// transaction at the latest ([`heard_of`]), so a key revoked, changed or expired by a
/// changed expiry is seen as it is by the next request. A secret that matches no key is
/// never kept. Whether a kept key has expired is decided afresh on each presentation.
struct KnownKeys {
    /// The count of invalidations heard ([`HEARD`]) when these keys were read: once it
    /// moves on, they are forgotten before any is used.
    heard: u64,
    keys: HashMap<[u8; 32], Rc<KnownKey>>,
}

/// Most keys kept per backend; past it, the kept ones are forgotten.
const KNOWN_KEYS_MAX: usize = 1024;

thread_local! {
    static KNOWN_KEYS: RefCell<KnownKeys> = RefCell::new(KnownKeys {
        heard: 0,
        keys: HashMap::new(),
    });
    /// api_keys and workspaces, as the last look-up named them.
    static KEY_TABLES: Cell<[pg_sys::Oid; 2]> = const { Cell::new([pg_sys::InvalidOid; 2]) };
    /// Counts the invalidations of those tables heard. A plain counter, so that the
    /// relcache callback never needs the map (nor a borrow of it that could fail).
    static HEARD: Cell<u64> = const { Cell::new(0) };
}

/// Counts an invalidation of api_keys or workspaces, or InvalidOid (the whole relcache
/// was reset): the kept keys are then forgotten before the next is used. From the
/// relcache callback (relcache.rs).
pub fn heard_of(relid: pg_sys::Oid) {
    if relid == pg_sys::InvalidOid || KEY_TABLES.with(Cell::get).contains(&relid) {
        HEARD.with(|h| h.set(h.get().wrapping_add(1)));
    }
}

/// The kept keys, forgotten first if an invalidation was heard since they were read.
fn with_known<T>(f: impl FnOnce(&mut KnownKeys) -> T) -> T {
    let heard = HEARD.with(Cell::get);
    KNOWN_KEYS.with(|k| {
        let mut k = k.borrow_mut();
        if k.heard != heard {
            k.keys.clear();
            k.heard = heard;
        }
        f(&mut k)
    })
}

/// A mark of the key of `hash` made at `at` has committed.
fn mark_committed(hash: &[u8; 32], at: pg_sys::TimestampTz) {
    KNOWN_KEYS.with(|k| {
        if let Ok(k) = k.try_borrow() {
            if let Some(key) = k.keys.get(hash) {
                key.last_used.set(Some(at));
            }
        }
    });
}

fn known_key(hash: &[u8; 32]) -> Option<Rc<KnownKey>> {
    with_known(|k| k.keys.get(hash).cloned())
}

/// Reads the key of `hash` and keeps it (see [`KnownKeys`]).
fn look_up(hash: &[u8; 32]) -> Option<Rc<KnownKey>> {
    let heard = HEARD.with(Cell::get);
    let found = Spi::connect(|client| {
        KEY_BY_HASH.select_row(client, &[hash.to_vec().into()], |t| {
            let tables = [
                required(t.get::<pg_sys::Oid>(1).or_raise(), "api_keys oid"),
                required(t.get::<pg_sys::Oid>(2).or_raise(), "workspaces oid"),
            ];
            let key = KnownKey {
                presented: Rc::new(Presented {
                    key_id: required(t.get::<i64>(3).or_raise(), "api_keys.id"),
                    prefix: required(t.get::<String>(4).or_raise(), "api_keys.prefix"),
                    scopes: required(t.get::<Vec<String>>(7).or_raise(), "api_keys.scopes"),
                    domains: t.get::<Vec<String>>(8).or_raise(),
                    own_links_only: required(
                        t.get::<bool>(9).or_raise(),
                        "api_keys.own_links_only",
                    ),
                    workspace_id: required(t.get::<i32>(12).or_raise(), "api_keys.workspace_id"),
                    rate_limit: t.get::<i32>(10).or_raise(),
                }),
                name: required(t.get::<String>(5).or_raise(), "api_keys.name"),
                workspace: required(t.get::<String>(6).or_raise(), "workspaces.name"),
                expires: t.get::<TimestampWithTimeZone>(11).or_raise(),
                revoked: required(t.get::<bool>(13).or_raise(), "revoked"),
                last_used: Cell::new(
                    t.get::<TimestampWithTimeZone>(14)
                        .or_raise()
                        .map(pg_sys::TimestampTz::from),
                ),
                marked_in: Cell::new(pg_sys::InvalidLocalTransactionId),
            };
            (tables, key)
        })
    });
    let (tables, key) = found?;
    let key = Rc::new(key);
    KEY_TABLES.with(|t| t.set(tables));
    // Kept only if no invalidation was heard while it was read.
    if HEARD.with(Cell::get) == heard {
        with_known(|k| {
            if k.keys.len() >= KNOWN_KEYS_MAX {
                k.keys.clear();
            }
            k.keys.insert(*hash, Rc::clone(&key));
        });
    }
    Some(key)
}

fn invalid_key(message: String) -> Error {
    Error::new(Kind::InvalidAuthorization, message)
        .with_hint("Present a current key created with shortlink.create_api_key().")
}

/// What `api_begin` answers of the key it presented.
pub type KeyRow = (
    i64,
    String,
    String,
    String,
    Vec<String>,
    Option<Vec<String>>,
    bool,
    Option<i32>,
    Option<TimestampWithTimeZone>,
);

/// Presents an API key for the rest of the transaction (see the module's comment).
/// SECURITY DEFINER: it reads `api_keys`, which no caller may read whole.
#[pg_extern(volatile, parallel_unsafe, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn api_begin(
    secret: Option<&str>,
) -> TableIterator<
    'static,
    (
        name!(key_id, i64),
        name!(prefix, String),
        name!(name, String),
        name!(workspace, String),
        name!(scopes, Vec<String>),
        name!(domains, Option<Vec<String>>),
        name!(own_links_only, bool),
        name!(rate_limit, Option<i32>),
        name!(expires_at, Option<TimestampWithTimeZone>),
    ),
> {
    // SAFETY: reads the transaction state of this backend.
    if !unsafe { pg_sys::IsTransactionBlock() } {
        raise(
            Error::new(
                Kind::NoActiveTransaction,
                "shortlink.api_begin() must run inside a transaction block",
            )
            .with_detail("A presented key is valid for its transaction only.")
            .with_hint(
                "BEGIN first, then present the key, run the request's statements and COMMIT.",
            ),
        );
    }
    TableIterator::once(present(secret.unwrap_or_default()))
}

/// Presents the key of `secret` for the rest of the current transaction (raising 28000
/// for a key unknown, revoked or expired), and answers what api_begin shows of it.
pub fn present(secret: &str) -> KeyRow {
    let key = present_key(secret);
    let k = &key.presented;
    (
        k.key_id,
        k.prefix.clone(),
        key.name.clone(),
        key.workspace.clone(),
        k.scopes.clone(),
        k.domains.clone(),
        k.own_links_only,
        k.rate_limit,
        key.expires,
    )
}

/// The id and rate limit of the key of `secret`, presented as [`present`] does; with no
/// secret, of the key presented already in this transaction (42501 when there is none).
pub fn present_id(secret: Option<&str>) -> (i64, Option<i32>) {
    let key = match secret {
        Some(secret) => Rc::clone(&present_key(secret).presented),
        None => presented().unwrap_or_else(|| {
            raise(
                Error::new(
                    Kind::InsufficientPrivilege,
                    "no API key is presented in this transaction",
                )
                .with_hint("Pass the key's secret, or SELECT shortlink.api_begin(secret) first, in the same transaction."),
            )
        }),
    };
    (key.key_id, key.rate_limit)
}

fn present_key(secret: &str) -> Rc<KnownKey> {
    // Never echo the secret: the messages name the prefix of a key found by its hash.
    let hash = api_key::hash(secret);
    let Some(key) = known_key(&hash).or_else(|| look_up(&hash)) else {
        raise(invalid_key("invalid API key".into()))
    };
    let (id, prefix) = (key.presented.key_id, &key.presented.prefix);
    // SAFETY: reads the start time of the current transaction, which now() returns.
    let now = unsafe { pg_sys::GetCurrentTransactionStartTimestamp() };
    if key.revoked {
        raise(invalid_key(format!("API key \"sl_{prefix}\" was revoked")));
    }
    if key
        .expires
        .is_some_and(|e| pg_sys::TimestampTz::from(e) <= now)
    {
        raise(invalid_key(format!("API key \"sl_{prefix}\" has expired")));
    }
    if let Some(other) = presented().filter(|k| k.key_id != id) {
        raise(
            Error::new(
                Kind::InvalidTransactionState,
                format!(
                    "API key \"sl_{}\" is already presented in this transaction",
                    other.prefix
                ),
            )
            .with_detail("A transaction acts for one key.")
            .with_hint("Present each key in a transaction of its own."),
        );
    }
    let lxid = crate::pg_compat::local_transaction_id();
    let stale = key.marked_in.get() != lxid
        && key
            .last_used
            .get()
            .is_none_or(|t| t < now - MARK_USED_EVERY);
    // SAFETY: reads a backend global.
    if stale && !unsafe { pg_sys::XactReadOnly } {
        Spi::connect_mut(|client| {
            MARK_USED.with_mut(client, |client, stmt| {
                client.update(stmt, None, &[id.into()]).or_raise();
            })
        });
        // Marked now (or by another transaction just now): not again in this transaction,
        // nor for a minute once it commits.
        key.marked_in.set(lxid);
        pgrx::register_xact_callback(pgrx::PgXactCallbackEvent::Commit, move || {
            mark_committed(&hash, now)
        });
    }
    PRESENTED.with(|p| *p.borrow_mut() = Some((lxid, Rc::clone(&key.presented))));
    // A parallel worker has no presented key: no parallel query for the rest of the
    // transaction (a worker would act with the role's own rights, never more).
    // SAFETY: a user-settable GUC set to a valid value for the transaction
    // (GUC_ACTION_LOCAL), as SET LOCAL does; not the variable of this function's SET clause,
    // so it outlives the call.
    unsafe {
        pg_sys::set_config_option(
            c"max_parallel_workers_per_gather".as_ptr(),
            c"0".as_ptr(),
            pg_sys::GucContext::PGC_USERSET,
            pg_sys::GucSource::PGC_S_SESSION,
            pg_sys::GucAction::GUC_ACTION_LOCAL,
            true,
            0,
            false,
        );
    }
    key
}

/// The key presented in this transaction (one row), or no row.
#[pg_extern(stable, parallel_restricted)]
#[search_path(pg_catalog, pg_temp)]
fn presented_key() -> TableIterator<
    'static,
    (
        name!(key_id, i64),
        name!(workspace_id, i32),
        name!(scopes, Vec<String>),
        name!(domains, Option<Vec<String>>),
        name!(own_links_only, bool),
    ),
> {
    TableIterator::new(presented().map(|k| {
        (
            k.key_id,
            k.workspace_id,
            k.scopes.clone(),
            k.domains.clone(),
            k.own_links_only,
        )
    }))
}

/// Whether the presented key has `scope`; true without a key (row-level security).
#[pg_extern(stable, strict, parallel_restricted)]
#[search_path(pg_catalog, pg_temp)]
fn key_allows(scope: &str) -> bool {
    presented().is_none_or(|k| k.has(scope))
}

/// true, or 42501 when the presented key lacks `scope` (for the SQL functions).
#[pg_extern(stable, strict, parallel_restricted)]
#[search_path(pg_catalog, pg_temp)]
fn require_scope(scope: &str) -> bool {
    require(scope).or_raise();
    true
}

/// The presented key's id when it is restricted to its own links, else NULL (the links
/// policy).
#[pg_extern(stable, parallel_restricted)]
#[search_path(pg_catalog, pg_temp)]
fn own_links_key() -> Option<i64> {
    presented().filter(|k| k.own_links_only).map(|k| k.key_id)
}

/// Whether a domain row is visible to the presented key (true without one): one of the
/// key's domains, to a key that reads or writes domains or links (the links policy reads
/// links' domains through this table).
#[pg_extern(stable, strict, parallel_restricted)]
#[search_path(pg_catalog, pg_temp)]
fn key_sees_domain(domain: &str) -> bool {
    presented().is_none_or(|k| {
        k.allows_domain(domain)
            && ["domains:read", "domains:write", "links:read", "links:write"]
                .iter()
                .any(|s| k.has(s))
    })
}

plan!(
    RECORD_KEY_LINKS,
    write,
    "INSERT INTO shortlink.api_key_links (key_id, link_id)
     SELECT $1, l FROM unnest($2::bigint[]) l ON CONFLICT DO NOTHING",
    [INT8OID, INT8ARRAYOID]
);

/// Records links a key restricted to its own links has just made, so that it sees them
/// (as the owner: the caller may not write the table).
pub fn record_links(client: &mut pgrx::spi::SpiClient<'_>, key_id: i64, links: Vec<i64>) {
    if links.is_empty() {
        return;
    }
    RECORD_KEY_LINKS.with_mut(client, |client, stmt| {
        client
            .update(stmt, None, &[key_id.into(), links.into()])
            .or_raise();
    });
}

plan!(
    IS_KEY_LINK,
    read,
    "SELECT EXISTS (SELECT 1 FROM shortlink.api_key_links WHERE key_id = $1 AND link_id = $2)",
    [INT8OID, INT8OID]
);

/// Whether the presented key `key` may act on link `id` on `domain` (as the owner).
pub fn may_act_on_link(
    client: &pgrx::spi::SpiClient<'_>,
    key: &Presented,
    id: i64,
    domain: &str,
) -> bool {
    key.allows_domain(domain)
        && (!key.own_links_only
            || IS_KEY_LINK.select_one::<bool>(client, &[key.key_id.into(), id.into()])
                == Some(true))
}

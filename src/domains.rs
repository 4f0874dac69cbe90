//! Which domain a call means: the domain of a lookup, and the registered domain a new link
//! goes on, held against removal, with its destinations' hosts vetted. Registration is
//! `domain_registration`.

use pgrx::prelude::*;
use shortlink_core::destination::{self, normalize_domain};
use shortlink_core::{Error, Kind, Result};

use crate::error::{required, OrRaise};
use crate::privilege::Caller;
use crate::{plan, settings};

// The domain row of a new link, with the host checks of its destinations in the same
// statement: the first blocked host among $2 (destination hosts and their parent domains)
// and the first of $3 (destination hosts) that is a short domain (a loop). In READ
// COMMITTED the domain is held by a shared advisory lock (see `hold_domain`) and read
// straight from the indexes (`domain_lookup::domain_for_link`); with an older snapshot, this
// statement reads it and holds it by a FOR KEY SHARE row lock.
plan!(
    DOMAIN_FOR_LINK_LOCKED,
    write,
    "SELECT d.workspace_id,
            (SELECT b.host FROM shortlink.blocked_hosts b WHERE b.host = ANY ($2) LIMIT 1),
            (SELECT s.domain FROM shortlink.domains s WHERE s.domain = ANY ($3) LIMIT 1)
     FROM shortlink.domains d WHERE d.domain = $1
     FOR KEY SHARE OF d",
    [TEXTOID, TEXTARRAYOID, TEXTARRAYOID]
);
// The same host checks without a domain (update_link).
// The first domain (by registration) of a key's workspace that the key may use: where a
// link made through a key without a domain goes when shortlink.default_domain is not
// the key's. $1 the workspace, $2 the key's domains (NULL: all of them).
plan!(
    KEY_DEFAULT_DOMAIN,
    read,
    "SELECT d.domain FROM shortlink.domains d
     WHERE d.workspace_id = $1 AND ($2::text[] IS NULL OR d.domain = ANY ($2))
     ORDER BY d.created_at, d.domain LIMIT 1",
    [INT4OID, TEXTARRAYOID]
);

plan!(
    VET_HOSTS,
    read,
    "SELECT (SELECT b.host FROM shortlink.blocked_hosts b WHERE b.host = ANY ($1) LIMIT 1),
            (SELECT s.domain FROM shortlink.domains s WHERE s.domain = ANY ($2) LIMIT 1)",
    [TEXTARRAYOID, TEXTARRAYOID]
);
/// The domain a lookup (resolve, record_click, stats) means: the default when NULL,
/// otherwise the name normalized. A name that cannot be a domain yields None: such a
/// code cannot exist, so the caller answers "not found".
pub fn lookup_key(domain: Option<&str>) -> Option<String> {
    let d = match domain {
        Some(d) => d.to_owned(),
        None => settings::default_domain(),
    };
    destination::domain_key(&d)
}

/// The destinations of one link that the database vets: (field, URL) pairs.
pub struct Destinations(pub Vec<(&'static str, String)>);

impl Destinations {
    /// Every host and each of its parent domains (for the blocklist), and the hosts.
    pub fn hosts(&self) -> (Vec<String>, Vec<String>) {
        let hosts: Vec<String> = self
            .0
            .iter()
            .filter_map(|(_, url)| destination::host_of(url))
            .collect();
        let suffixes = hosts
            .iter()
            .flat_map(|h| destination::host_suffixes(h))
            .collect();
        (suffixes, hosts)
    }

    /// The error for a blocked host or a short domain found among the destinations.
    pub fn refuse(&self, blocked: Option<String>, short: Option<String>) -> Result<()> {
        let field_of = |pred: &dyn Fn(&str) -> bool| {
            self.0
                .iter()
                .find(|(_, url)| destination::host_of(url).is_some_and(|h| pred(&h)))
                .map(|(f, url)| (*f, url.as_str()))
                .unwrap_or(("url", ""))
        };
        if let Some(b) = blocked {
            let (field, url) = field_of(&|h: &str| destination::is_under(h, &b));
            return Err(destination::refused(
                field,
                url,
                &format!("host \"{b}\" is blocked (shortlink.block_host)"),
            ));
        }
        if let Some(d) = short {
            let (field, url) = field_of(&|h: &str| h == d);
            return Err(destination::refused(
                field,
                url,
                &format!("host \"{d}\" is a short-link domain of this installation (a redirect loop or chain)"),
            )
            .with_hint("Point the link at the final destination."));
        }
        Ok(())
    }
}

// The host checks of many links at once: the blocked hosts among $1 and the short
// domains among $2.
plan!(
    VET_HOSTS_MANY,
    read,
    "SELECT ARRAY(SELECT b.host FROM shortlink.blocked_hosts b WHERE b.host = ANY ($1)),
            ARRAY(SELECT s.domain FROM shortlink.domains s WHERE s.domain = ANY ($2))",
    [TEXTARRAYOID, TEXTARRAYOID]
);

/// Refuses, link by link, destinations on a blocked host or a short domain: one
/// statement for all of them.
pub fn vet_hosts_many(
    client: &pgrx::spi::SpiClient<'_>,
    dests: &[&Destinations],
) -> Vec<Result<()>> {
    let per_link: Vec<(Vec<String>, Vec<String>)> = dests.iter().map(|d| d.hosts()).collect();
    // Each name once: a campaign's links share a few hosts, and the planner estimates
    // `= ANY ($1)` element by element, so every link's hosts, repeats included, would cost
    // planning time per link.
    let suffixes: Vec<&str> = per_link
        .iter()
        .flat_map(|(s, _)| s.iter().map(String::as_str))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let hosts: Vec<&str> = per_link
        .iter()
        .flat_map(|(_, h)| h.iter().map(String::as_str))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let (blocked, short) = required(
        VET_HOSTS_MANY.select_row(client, &[suffixes.into(), hosts.into()], |t| {
            (
                t.get::<Vec<String>>(1).or_raise().unwrap_or_default(),
                t.get::<Vec<String>>(2).or_raise().unwrap_or_default(),
            )
        }),
        "the host check",
    );
    let blocked: std::collections::HashSet<String> = blocked.into_iter().collect();
    let short: std::collections::HashSet<String> = short.into_iter().collect();
    dests
        .iter()
        .zip(per_link)
        .map(|(dest, (suffixes, hosts))| {
            dest.refuse(
                suffixes.into_iter().find(|h| blocked.contains(h)),
                hosts.into_iter().find(|h| short.contains(h)),
            )
        })
        .collect()
}

/// Refuses destinations on a blocked host or a short domain (update_link).
pub fn vet_hosts(client: &pgrx::spi::SpiClient<'_>, dest: &Destinations) -> Result<()> {
    if dest.0.is_empty() {
        return Ok(());
    }
    let (suffixes, hosts) = dest.hosts();
    let (blocked, short) = required(
        VET_HOSTS.select_row(client, &[suffixes.into(), hosts.into()], |t| {
            (t.get::<String>(1).or_raise(), t.get::<String>(2).or_raise())
        }),
        "the host check",
    );
    dest.refuse(blocked, short)
}

/// The first key of the advisory locks that hold domains (`'shlk'`); the second is
/// `hashtext(domain)`. sql/schema.sql's domains_guard takes the same lock exclusively.
const DOMAIN_LOCK_CLASS: i32 = 0x7368_6c6b;

/// Holds `domain` against removal until the transaction ends: a shared advisory lock,
/// which domains_guard's exclusive one waits for. Unlike a row lock it writes nothing to
/// the domain's row, so concurrent shortens on one domain share no MultiXact. Taken
/// before the statement that reads the domain, so that statement's snapshot sees a
/// removal that committed while it waited.
fn hold_domain(domain: &str) {
    let Some(text) = domain.into_datum() else {
        return;
    };
    // SAFETY: hashtext is called with a text datum, as SQL calls it; the lock tag is what
    // SET_LOCKTAG_ADVISORY builds for pg_advisory_xact_lock_shared(int4, int4), and the
    // lock is released at the end of the transaction (not a session lock).
    unsafe {
        let hash = pg_sys::OidFunctionCall1Coll(
            pg_sys::Oid::from(pg_sys::F_HASHTEXT),
            pg_sys::DEFAULT_COLLATION_OID,
            text,
        )
        .value() as u32;
        let tag = pg_sys::LOCKTAG {
            locktag_field1: pg_sys::MyDatabaseId.to_u32(),
            locktag_field2: DOMAIN_LOCK_CLASS as u32,
            locktag_field3: hash,
            locktag_field4: 2,
            locktag_type: pg_sys::LockTagType::LOCKTAG_ADVISORY as u8,
            locktag_lockmethodid: pg_sys::USER_LOCKMETHOD as u8,
        };
        pg_sys::LockAcquire(&tag, pg_sys::ShareLock as pg_sys::LOCKMODE, false, false);
    }
}

/// The registered domain a new link goes on (opts' `domain` or the default), which must
/// be in one of the caller's workspaces, with its destinations vetted. The domain is held
/// against removal until the transaction ends. Without `domain`, a caller with a presented
/// API key whose workspace does not have `shortlink.default_domain` gets the first domain
/// of its workspace (by registration) that the key may use: an API client that names no
/// domain (Cellcast's has no field for one) makes links on its own workspace's.
pub fn for_new_link(
    client: &mut pgrx::spi::SpiClient<'_>,
    domain: Option<&str>,
    caller: &Caller,
    dest: &Destinations,
) -> Result<String> {
    let (name, from_setting) = match domain {
        Some(d) => (
            normalize_domain(d)
                .map_err(|e| e.with_hint("Pass a registered domain such as go.example.com."))?,
            false,
        ),
        None => {
            let d = settings::default_domain();
            let n = normalize_domain(&d).map_err(|_| {
                Error::setting(
                    "shortlink.default_domain",
                    format!("\"{d}\" is not a domain name"),
                )
            })?;
            (n, true)
        }
    };
    let (suffixes, hosts) = dest.hosts();
    // SAFETY: reads the transaction's isolation level, a backend global.
    let read_committed = unsafe { pg_sys::XactIsoLevel } == pg_sys::XACT_READ_COMMITTED as i32;
    let found = if read_committed {
        hold_domain(&name);
        // Read after the lock is held, under a snapshot taken now, as a statement would.
        match crate::domain_lookup::domain_for_link(&name, &suffixes, &hosts) {
            (Some(ws), blocked, short) => Some((ws, blocked, short)),
            (None, _, _) => None,
        }
    } else {
        // An older snapshot could still see a domain removed since: lock its row, which
        // fails with a serialization error if it was.
        DOMAIN_FOR_LINK_LOCKED.with_mut(client, |client, stmt| {
            let t = client
                .update(
                    stmt,
                    Some(1),
                    &[name.as_str().into(), suffixes.into(), hosts.into()],
                )
                .or_raise();
            if t.is_empty() {
                return None;
            }
            let t = t.first();
            Some((
                required(t.get::<i32>(1).or_raise(), "domains.workspace_id"),
                t.get::<String>(2).or_raise(),
                t.get::<String>(3).or_raise(),
            ))
        })
    };
    // A domain of another workspace reads as unregistered: its existence is not revealed.
    // So does a domain outside a presented API key's domains.
    let Some((_, blocked, short)) = found.filter(|(ws, _, _)| caller.sees_domain(*ws, &name))
    else {
        if let Some(key) = caller.key().filter(|_| from_setting) {
            let first = KEY_DEFAULT_DOMAIN.select_one::<String>(
                client,
                &[key.workspace_id.into(), key.domains.clone().into()],
            );
            if let Some(d) = first {
                return for_new_link(client, Some(&d), caller, dest);
            }
        }
        let source = if from_setting {
            "shortlink.default_domain names"
        } else {
            "option \"domain\" names"
        };
        return Err(Error::new(
            Kind::InvalidParameter,
            format!("domain \"{name}\" is not registered"),
        )
        .with_detail(format!(
            "{source} a domain that shortlink.add_domain() has not registered in the caller's workspaces."
        ))
        .with_hint(format!("SELECT shortlink.add_domain('{name}');")));
    };
    dest.refuse(blocked, short)?;
    Ok(name)
}
/// The host of a stored destination URL (a domain; NULL for an IP address or none), as
/// the blocklist reads it.
#[pg_extern(immutable, strict, parallel_safe)]
#[search_path(pg_catalog, pg_temp)]
fn url_host(url: &str) -> Option<String> {
    destination::host_of(url)
}

/// The host of `url` and its parent domains: a blocked host matches a URL when it is
/// one of them (host_blocked, block_host), as shorten checks it.
#[pg_extern(immutable, strict, parallel_safe)]
#[search_path(pg_catalog, pg_temp)]
fn url_host_suffixes(url: &str) -> Vec<String> {
    destination::url_host_suffixes(url)
}

//! What a new link needs to know of its domain, read straight from the indexes of
//! `domains` and `blocked_hosts` (`index_scan`), and kept until either table changes.

use std::cell::{Cell, RefCell};

use pgrx::pg_sys;
use pgrx::prelude::*;

use crate::catalog;
use crate::index_scan::{attr, scan, scan_as_of, text_key};

/// What [`domain_for_link`] read last: the generation of the domain tables it was read
/// at, the question, and the answer.
type DomainRead = (
    u64,
    (String, Vec<String>, Vec<String>),
    (Option<i32>, Option<String>, Option<String>),
);

thread_local! {
    static DOMAIN_READ: RefCell<Option<DomainRead>> = const { RefCell::new(None) };
    /// Counts the changes to `domains` and `blocked_hosts` this backend has heard of (their
    /// statement triggers queue a relcache invalidation; sql/caches.sql), and resets of the
    /// whole relcache: an answer of [`domain_for_link`] holds while it stays the same.
    static DOMAINS_GENERATION: Cell<u64> = const { Cell::new(0) };
    /// The oids of `domains` and `blocked_hosts`, once known.
    static DOMAIN_TABLES: Cell<[pg_sys::Oid; 2]> =
        const { Cell::new([pg_sys::InvalidOid; 2]) };
}

/// Hears of an invalidation of relation `relid` (InvalidOid: the whole relcache was
/// reset); from the relcache callback.
pub fn heard_of(relid: pg_sys::Oid) {
    if relid == pg_sys::InvalidOid || DOMAIN_TABLES.with(Cell::get).contains(&relid) {
        DOMAINS_GENERATION.with(|g| g.set(g.get().wrapping_add(1)));
    }
}

/// What a new link needs to know of its domain, read under a snapshot taken now (the
/// caller holds the domain's lock, so it sees any removal that committed before): the
/// domain's workspace (None: not registered), the first of `suffixes` that is a blocked
/// host, and the first of `hosts` that is a short domain.
///
/// The answer is kept until `domains` or `blocked_hosts` change: their statement triggers
/// queue a relcache invalidation (sql/caches.sql), which a committing writer sends to every
/// backend before it releases its locks or tells its client, and which is taken in here
/// before the answer is looked at. So an answer is reused only while no change to the two
/// tables has been acknowledged to anyone since it was read (a removal of the domain waits
/// for the lock the caller holds, and is heard of once the lock is granted); the writer's
/// own change is heard of at its next command. A campaign's links, and an application's
/// one link per transaction, on one domain to one site read the tables once.
pub fn domain_for_link(
    name: &str,
    suffixes: &[String],
    hosts: &[String],
) -> (Option<i32>, Option<String>, Option<String>) {
    let cat = catalog::get();
    // The tables whose invalidations [`heard_of`] counts: those of the catalog the
    // answer is read with (new oids come only after an invalidation of the old ones).
    DOMAIN_TABLES.with(|t| t.set([cat.domains, cat.blocked]));
    let ws_num = cat.domains_workspace;
    // SAFETY: processes the invalidation messages queued for this backend, as taking a
    // relation lock does; called from SQL, inside a transaction.
    unsafe { pg_sys::AcceptInvalidationMessages() };
    let generation = DOMAINS_GENERATION.with(Cell::get);
    let remembered = DOMAIN_READ.with(|r| {
        r.borrow()
            .as_ref()
            .filter(|(g, (n, s, h), _)| {
                *g == generation && n == name && s.as_slice() == suffixes && h.as_slice() == hosts
            })
            .map(|(_, _, answer)| answer.clone())
    });
    if let Some(answer) = remembered {
        return answer;
    }
    // SAFETY: the snapshot is registered for the scans and unregistered after; the keys
    // are text datums for the text primary keys of domains and blocked_hosts, and
    // workspace_id is an integer column, deformed before it is read; blocked_hosts is
    // opened and closed here, its lock kept to the end of the transaction.
    unsafe {
        let snapshot = pg_sys::RegisterSnapshot(pg_sys::GetLatestSnapshot());
        let probe =
            |heap,
             index,
             key: &str,
             read: &mut dyn FnMut(*mut pg_sys::TupleTableSlot) -> Option<i32>| {
                text_key(key).map_or(Vec::new(), |k| {
                    scan_as_of(snapshot, heap, index, &[k], read)
                })
            };
        let workspace = probe(cat.domains, cat.domains_key, name, &mut |slot| {
            pg_sys::slot_getsomeattrs_int(slot, ws_num as i32);
            let (ws, null) = attr(slot, ws_num);
            i32::from_datum(ws, null)
        })
        .pop();
        // No page, no row: a row this snapshot sees was committed before it was taken, on
        // a page that existed by then, which VACUUM cannot cut off while the row lives
        // (TRUNCATE waits for this lock). Where nothing was ever blocked, no probe.
        let blocked_rel =
            pg_sys::table_open(cat.blocked, pg_sys::AccessShareLock as pg_sys::LOCKMODE);
        let none_blocked =
            pg_sys::RelationGetNumberOfBlocksInFork(blocked_rel, pg_sys::ForkNumber::MAIN_FORKNUM)
                == 0;
        pg_sys::table_close(blocked_rel, pg_sys::NoLock as pg_sys::LOCKMODE);
        let blocked = if none_blocked {
            None
        } else {
            suffixes
                .iter()
                .find(|h| !probe(cat.blocked, cat.blocked_key, h, &mut |_| Some(0)).is_empty())
                .cloned()
        };
        let short = hosts
            .iter()
            .find(|h| !probe(cat.domains, cat.domains_key, h, &mut |_| Some(0)).is_empty())
            .cloned();
        pg_sys::UnregisterSnapshot(snapshot);
        let answer = (workspace, blocked, short);
        // Kept under the generation read before the scans: a change heard of during them
        // makes the next call read again.
        let asked = (name.to_owned(), suffixes.to_vec(), hosts.to_vec());
        DOMAIN_READ.with(|r| *r.borrow_mut() = Some((generation, asked, answer.clone())));
        answer
    }
}

/// The name of the workspace of registered domain `name` (normalized), read from the
/// tables under the statement's snapshot: the account sid of Exotel's click callback.
/// None for a domain that is not registered.
pub fn workspace_name(name: &str) -> Option<String> {
    let cat = catalog::get();
    let ws_num = cat.domains_workspace;
    let key = text_key(name)?;
    // SAFETY: called from SQL inside a statement (an active snapshot is set); the keys are
    // a text datum for domains' text primary key and an int4 datum for workspaces' int4
    // primary key; each column is deformed before it is read, and a text datum is copied
    // out while its slot holds the row.
    unsafe {
        let workspace = scan(cat.domains, cat.domains_key, &[key], |slot| {
            pg_sys::slot_getsomeattrs_int(slot, i32::from(ws_num));
            let (ws, null) = attr(slot, ws_num);
            i32::from_datum(ws, null)
        })
        .pop()?;
        let (workspaces, workspaces_key, name_num) = catalog::workspaces();
        let id = (
            pg_sys::F_INT4EQ,
            pg_sys::InvalidOid,
            pg_sys::Datum::from(workspace),
        );
        scan(workspaces, workspaces_key, &[id], |slot| {
            pg_sys::slot_getsomeattrs_int(slot, i32::from(name_num));
            let (n, null) = attr(slot, name_num);
            String::from_datum(n, null)
        })
        .pop()
    }
}

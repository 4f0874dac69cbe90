//! The click counter in shared memory (`shortlink_core::click_counter`): the clicks of a
//! link with `max_clicks`, a callback or webhooks, taken at the click without a row lock,
//! settled by this module's transaction callbacks (kept at commit, given back at
//! rollback, of the whole transaction or of the subtransaction that took them).
//!
//! A slot is loaded from the durable count (`link_row::counted_clicks` plus the clicks
//! an older shortlink counted on the link's row) under a snapshot taken after the slot was
//! claimed: every click that committed before is in it, and every click after takes from
//! the slot. A crash restart starts with an empty table, and each link's next click
//! loads it again. The table exists only when shortlink is in `shared_preload_libraries`,
//! and is not used on a hot standby (no clicks there: `available`); without it, a click
//! of a limited link counts on the link's row under its lock, as before.
//!
//! A transaction that took clicks against a limit cannot be prepared (two-phase commit):
//! the counter could not give them back if it were rolled back later. A hooked link's
//! clicks (numbered, not limited) are kept at PREPARE.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicBool, Ordering};

use pgrx::prelude::*;
use pgrx::{pg_shmem_init, PGRXSharedMemory, PgLwLock};
use shortlink_core::click_counter::{Key, Lookup, SetFull, Table};

use crate::{catalog, link_row};

/// The table in shared memory, behind one LWLock.
#[derive(Default)]
struct Shared(Table);

// SAFETY: atomics and plain integers only, valid in any process that maps them.
unsafe impl PGRXSharedMemory for Shared {}

// SAFETY: the name is this extension's own among PostgreSQL's shared memory segments and
// LWLock tranches.
static TABLE: PgLwLock<Shared> = unsafe { PgLwLock::new(c"shortlink click counter") };

/// Set in the postmaster when the table was asked for; its children inherit it.
static IN_SHARED_MEMORY: AtomicBool = AtomicBool::new(false);

/// Asks for the table's shared memory; from `_PG_init` while shared_preload_libraries
/// load.
// pgrx's macro tests features of PostgreSQL 13 and 14, which this crate does not have.
#[allow(unexpected_cfgs)]
pub fn request() {
    pg_shmem_init!(TABLE = Shared::default());
    IN_SHARED_MEMORY.store(true, Ordering::Relaxed);
}

/// Whether clicks are counted here: shortlink preloaded, and not a hot standby.
pub fn available() -> bool {
    // SAFETY: RecoveryInProgress reads shared state; it is cheap once recovery ended.
    IN_SHARED_MEMORY.load(Ordering::Relaxed) && !unsafe { pg_sys::RecoveryInProgress() }
}

thread_local! {
    /// The clicks this backend's transaction took: slot, the subtransaction that took
    /// each, and whether it was taken against a limit.
    static TAKEN: RefCell<Vec<Taken>> = const { RefCell::new(Vec::new()) };
    /// The slot this backend is loading, if it is.
    static LOADING: Cell<Option<usize>> = const { Cell::new(None) };
    static CALLBACKS_REGISTERED: Cell<bool> = const { Cell::new(false) };
}

/// A click taken by this backend's transaction.
#[derive(Clone, Copy)]
struct Taken {
    slot: usize,
    by: pg_sys::SubTransactionId,
    limited: bool,
}

fn key(link: i64) -> Key {
    let cat = catalog::get();
    Key {
        // SAFETY: a backend global, set at connection.
        database: unsafe { pg_sys::MyDatabaseId }.to_u32(),
        table: cat.links_file,
        link,
    }
}

/// Takes a person's click of `link`, which has `max_clicks` = `max`, from its slot
/// (loaded first when the link has none): the link's clicks with this one, or None when
/// `max` are taken (nothing taken). `on_row` are the clicks an older shortlink counted on
/// the link's row. Raises when the link can get no slot: it could not count exactly.
pub fn take_limited(link: i64, max: i64, on_row: i64) -> Option<i64> {
    with_ready_slot(key(link), link, on_row, true, true, |table, slot| {
        take_from(table, slot, Some(max))
    })
    .flatten()
}

/// Takes a person's click of `link`, which has no limit, from its slot: the link's
/// clicks with this one. A link with targets gets a slot when it has none (`load`);
/// None when it has none (a plain link, or its set is full), and the click is counted
/// by its row alone.
pub fn take_unlimited(link: i64, on_row: i64, load: bool) -> Option<i64> {
    with_ready_slot(key(link), link, on_row, load, false, |table, slot| {
        take_from(table, slot, None)
    })
    .flatten()
}

fn take_from(table: &Table, slot: usize, limit: Option<i64>) -> Option<i64> {
    // SAFETY: reads the clock.
    let now = unsafe { pg_sys::GetCurrentTimestamp() } as u64;
    let count = table.take(slot, limit, now)?;
    register_callbacks();
    // SAFETY: reads the current subtransaction's id.
    let by = unsafe { pg_sys::GetCurrentSubTransactionId() };
    TAKEN.with_borrow_mut(|t| {
        t.push(Taken {
            slot,
            by,
            limited: limit.is_some(),
        })
    });
    Some(count)
}

/// The clicks of `link` taken now (committed or in progress) when it has a slot, loaded
/// first when it has none and `load`; None without a slot.
pub fn count(link: i64, on_row: i64, load: bool) -> Option<i64> {
    with_ready_slot(key(link), link, on_row, load, false, |table, slot| {
        table.count(slot)
    })
}

/// Runs `f` on the ready slot of `key` under the table's shared lock, loading the slot
/// first when it has none and `load`; None when it has none (and not `load`, or its set
/// is full and not `must`).
fn with_ready_slot<T>(
    key: Key,
    link: i64,
    on_row: i64,
    load: bool,
    must: bool,
    f: impl Fn(&Table, usize) -> T,
) -> Option<T> {
    loop {
        {
            let table = TABLE.share();
            match table.0.lookup(key) {
                Lookup::Ready(slot) => return Some(f(&table.0, slot)),
                Lookup::Loading => {
                    drop(table);
                    wait_for_loader();
                    continue;
                }
                Lookup::Absent if !load => return None,
                Lookup::Absent => {}
            }
        }
        let claimed = {
            let table = TABLE.exclusive();
            match table.0.lookup(key) {
                Lookup::Ready(slot) => return Some(f(&table.0, slot)),
                Lookup::Loading => None,
                Lookup::Absent => Some(table.0.claim(key)),
            }
        };
        match claimed {
            None => wait_for_loader(),
            Some(Ok(slot)) => {
                register_callbacks();
                load_slot(slot, link, on_row);
            }
            Some(Err(SetFull)) if must => set_full(),
            Some(Err(SetFull)) => return None,
        }
    }
}

/// Another backend is loading the slot: sleeps a little, as a lock waiter would.
fn wait_for_loader() {
    // SAFETY: a short sleep, interruptible by a cancel (CHECK_FOR_INTERRUPTS after).
    unsafe { pg_sys::pg_usleep(200) };
    pgrx::check_for_interrupts!();
}

/// Loads claimed slot `slot` with the durable count of `link`, read under a snapshot
/// taken now (every click committed before it, whatever the isolation level); an error
/// on the way frees the slot (`at_transaction_end`).
fn load_slot(slot: usize, link: i64, on_row: i64) {
    LOADING.set(Some(slot));
    // SAFETY: a new snapshot pushed and popped around the read (an ERROR unwinds the
    // snapshot stack with the transaction); not in parallel mode (record_click is
    // PARALLEL UNSAFE, and resolve never loads).
    let durable = unsafe {
        pg_sys::PushActiveSnapshot(pg_sys::GetLatestSnapshot());
        let durable = link_row::counted_clicks(link);
        pg_sys::PopActiveSnapshot();
        durable
    };
    TABLE.share().0.loaded(slot, on_row + durable);
    LOADING.set(None);
}

fn set_full() -> ! {
    crate::error::raise(
        shortlink_core::Error::new(
            shortlink_core::Kind::ClickCounterFull,
            "too many links with max_clicks clicked by transactions in progress",
        )
        .with_detail(format!(
            "The click counter holds each link clicked by a transaction until that transaction ends; the {} links of this link's share of the table are all held.",
            shortlink_core::click_counter::WAYS
        ))
        .with_hint("Click fewer links with max_clicks in one transaction, or end transactions that clicked sooner."),
    )
}

fn register_callbacks() {
    if !CALLBACKS_REGISTERED.get() {
        // SAFETY: registers #[pg_guard] functions, once per backend, with no argument.
        unsafe {
            pg_sys::RegisterXactCallback(Some(at_transaction_end), std::ptr::null_mut());
            pg_sys::RegisterSubXactCallback(Some(at_subtransaction_end), std::ptr::null_mut());
        }
        CALLBACKS_REGISTERED.set(true);
    }
}

/// Settles the clicks taken by subtransaction `sub` (every one when None).
fn settle(sub: Option<pg_sys::SubTransactionId>, committed: bool) {
    let table = TABLE.share();
    TAKEN.with_borrow_mut(|taken| {
        taken.retain(|t| {
            let ends = sub.is_none_or(|s| s == t.by);
            if ends {
                table.0.settle(t.slot, committed);
            }
            !ends
        });
    });
    if let Some(slot) = LOADING.take() {
        table.0.abandon(slot);
    }
}

/// # Safety
/// Called by PostgreSQL only, as a transaction callback.
#[pg_guard]
unsafe extern "C-unwind" fn at_transaction_end(
    event: pg_sys::XactEvent::Type,
    _arg: *mut std::ffi::c_void,
) {
    use pg_sys::XactEvent as E;
    if TAKEN.with_borrow(Vec::is_empty) && LOADING.get().is_none() {
        return;
    }
    match event {
        E::XACT_EVENT_PRE_PREPARE if TAKEN.with_borrow(|t| t.iter().any(|t| t.limited)) => crate::error::raise(
            shortlink_core::Error::new(
                shortlink_core::Kind::FeatureNotSupported,
                "cannot PREPARE a transaction that clicked a link with max_clicks",
            )
            .with_detail("Such a click is counted in shared memory until its transaction ends, and is given back if it rolls back; a prepared transaction ends later, perhaps after a restart.")
            .with_hint("Commit the click in a transaction of its own."),
        ),
        // A hooked link's clicks, only numbered by the counter, are kept at PREPARE: its
        // count is one too high if the prepared transaction is rolled back later.
        E::XACT_EVENT_PREPARE | E::XACT_EVENT_COMMIT | E::XACT_EVENT_PARALLEL_COMMIT => {
            settle(None, true)
        }
        E::XACT_EVENT_ABORT | E::XACT_EVENT_PARALLEL_ABORT => settle(None, false),
        _ => {}
    }
}

/// # Safety
/// Called by PostgreSQL only, as a subtransaction callback.
#[pg_guard]
unsafe extern "C-unwind" fn at_subtransaction_end(
    event: pg_sys::SubXactEvent::Type,
    sub: pg_sys::SubTransactionId,
    parent: pg_sys::SubTransactionId,
    _arg: *mut std::ffi::c_void,
) {
    use pg_sys::SubXactEvent as E;
    match event {
        E::SUBXACT_EVENT_ABORT_SUB
            if !TAKEN.with_borrow(Vec::is_empty) || LOADING.get().is_some() =>
        {
            settle(Some(sub), false)
        }
        // What a committed subtransaction took is its parent's now.
        E::SUBXACT_EVENT_COMMIT_SUB => TAKEN.with_borrow_mut(|taken| {
            for t in taken.iter_mut().filter(|t| t.by == sub) {
                t.by = parent;
            }
        }),
        _ => {}
    }
}

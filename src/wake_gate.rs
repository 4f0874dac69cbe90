//! Waking the webhook dispatcher without a NOTIFY per hooked click.
//!
//! A click that queues a webhook event marks its transaction; just before that
//! transaction commits (its pre-commit callback), it sends `NOTIFY shortlink_events` only
//! if no other transaction of its database was told to in the last
//! `shortlink_core::wake_gate::WINDOW_MS`, as decided through one word of shared memory
//! per database (`shortlink_core::wake_gate`). PostgreSQL commits the transactions that
//! notified one at a time, under one lock held through each commit's WAL flush; with the
//! gate, at most one transaction per database per window takes that lock, not every
//! hooked click. `shortlink-server`'s dispatcher looks again shortly after each wake-up,
//! for the events of the transactions that committed just after the one that woke it.
//!
//! The gate lives in shared memory, so it exists only when shortlink is in
//! `shared_preload_libraries`; without it every such transaction notifies, as before.
//! A prepared transaction (two-phase commit) sends no notification, which PostgreSQL would
//! refuse at PREPARE: its events wait for the dispatcher's poll.

use std::cell::Cell;
use std::ffi::{c_char, CString};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use pgrx::prelude::*;
use pgrx::{pg_shmem_init, PGRXSharedMemory, PgAtomic};
use shortlink_core::wake_gate;

/// The gate's slots, in shared memory.
#[repr(C)]
pub struct Slots([AtomicU64; wake_gate::SLOTS]);

impl Default for Slots {
    fn default() -> Self {
        Slots(std::array::from_fn(|_| AtomicU64::new(0)))
    }
}

// SAFETY: plain atomics, valid in any process that maps them; no pointer inside.
unsafe impl PGRXSharedMemory for Slots {}

// SAFETY: the name is this extension's own, unique among PostgreSQL's shared memory
// segments.
static SLOTS: PgAtomic<Slots> = unsafe { PgAtomic::new(c"shortlink wake gate") };

/// Set in the postmaster when the slots were asked for; its children inherit it.
static IN_SHARED_MEMORY: AtomicBool = AtomicBool::new(false);

/// Asks for the gate's shared memory; from `_PG_init` while shared_preload_libraries load.
// pgrx's macro tests features of PostgreSQL 13 and 14, which this crate does not have.
#[allow(unexpected_cfgs)]
pub fn request() {
    pg_shmem_init!(SLOTS = Slots::default());
    IN_SHARED_MEMORY.store(true, Ordering::Relaxed);
}

unsafe extern "C-unwind" {
    /// PostgreSQL's own NOTIFY (commands/async.c): queued in the transaction, sent at its
    /// commit. The same signature in PostgreSQL 13 to 18. It may raise an ERROR: called
    /// through pg_guard_ffi_boundary.
    fn Async_Notify(channel: *const c_char, payload: *const c_char);
}

thread_local! {
    /// The last webhook event this backend's transaction queued, if it queued one.
    static EVENT_QUEUED: Cell<Option<i64>> = const { Cell::new(None) };
    /// Whether the transaction callback is registered in this backend.
    static CALLBACK_REGISTERED: Cell<bool> = const { Cell::new(false) };
}

/// Marks the current transaction as one that queued the webhook event `event` (an outbox
/// id): it wakes the dispatcher when it commits, unless another transaction of this
/// database did so within the window. The notification's payload is the id of the last
/// event the transaction queued, and nothing else.
pub fn event_queued(event: i64) {
    if !CALLBACK_REGISTERED.get() {
        // SAFETY: registers a #[pg_guard] function, once per backend, with no argument.
        unsafe { pg_sys::RegisterXactCallback(Some(at_transaction_end), std::ptr::null_mut()) };
        CALLBACK_REGISTERED.set(true);
    }
    EVENT_QUEUED.set(Some(event));
}

/// Whether the transaction now committing should notify: always without the shared gate.
fn should_notify() -> bool {
    if !IN_SHARED_MEMORY.load(Ordering::Relaxed) {
        return true;
    }
    // SAFETY: plain reads of backend globals; GetCurrentTimestamp reads the clock.
    let (database, now_us) =
        unsafe { (pg_sys::MyDatabaseId.to_u32(), pg_sys::GetCurrentTimestamp()) };
    // Milliseconds, truncated to 32 bits on purpose: the gate compares them wrapping.
    let now_ms = (now_us / 1000) as u32;
    let slot = &SLOTS.get().0[wake_gate::slot_of(database)];
    wake_gate::should_notify(slot, database, now_ms)
}

/// # Safety
/// Called by PostgreSQL only, as a transaction callback.
#[pg_guard]
unsafe extern "C-unwind" fn at_transaction_end(
    event: pg_sys::XactEvent::Type,
    _arg: *mut std::ffi::c_void,
) {
    let Some(queued) = EVENT_QUEUED.get() else {
        return;
    };
    match event {
        pg_sys::XactEvent::XACT_EVENT_PRE_COMMIT => {
            EVENT_QUEUED.set(None);
            if should_notify() {
                // Digits only: no NUL inside.
                let payload = CString::new(queued.to_string()).unwrap_or_default();
                // SAFETY: the transaction is still in progress before its commit, and
                // PreCommit_Notify, which sends what Async_Notify queues, runs after the
                // pre-commit callbacks; both strings are NUL-terminated and outlive the
                // call (Async_Notify copies them).
                unsafe {
                    pg_sys::ffi::pg_guard_ffi_boundary(|| {
                        Async_Notify(c"shortlink_events".as_ptr(), payload.as_ptr())
                    })
                };
            }
        }
        pg_sys::XactEvent::XACT_EVENT_COMMIT
        | pg_sys::XactEvent::XACT_EVENT_ABORT
        | pg_sys::XactEvent::XACT_EVENT_PREPARE
        | pg_sys::XactEvent::XACT_EVENT_PRE_PREPARE => EVENT_QUEUED.set(None),
        _ => {}
    }
}

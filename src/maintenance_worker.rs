//! The maintenance worker: with shortlink in `shared_preload_libraries`, a background
//! worker runs `shortlink.maintain()` in every database that has the extension, every
//! `shortlink.maintenance_interval`, so that counts fold, day partitions appear and
//! rollups and retention happen with no scheduler to install (pg_partman's background
//! worker is the model).
//!
//! A launcher, connected to no database, lists the databases from the shared catalog
//! `pg_database` each round and starts, one after the other, a short-lived worker in each:
//! the worker checks for the extension, runs `maintain()` in a transaction of its own and
//! exits. A failure is logged (WARNING, with its SQLSTATE) and the next database and the
//! next round go on. The launcher starts only once recovery has finished, so it never
//! runs on a standby (and starts on promotion); PostgreSQL restarts it 10 s after a crash.

use pgrx::bgworkers::{BackgroundWorker, BackgroundWorkerBuilder, SignalWakeFlags};
use pgrx::pg_sys::panic::CaughtError;
use pgrx::prelude::*;
use pgrx::PgTryBuilder;
use std::time::{Duration, Instant};

use crate::settings;

const LAUNCHER: &str = "shortlink maintenance launcher";
const WORKER: &str = "shortlink maintenance";

/// Registers the launcher; called from `_PG_init` while shared_preload_libraries loads.
pub fn register() {
    BackgroundWorkerBuilder::new(LAUNCHER)
        .set_type(LAUNCHER)
        .set_library("shortlink")
        .set_function("shortlink_maintenance_launcher")
        .enable_spi_access()
        .set_restart_time(Some(Duration::from_secs(10)))
        .load();
}

/// A database the launcher may visit.
struct Database {
    oid: pg_sys::Oid,
    name: String,
}

/// The databases that accept connections, read from `pg_database` (a shared catalog, so
/// that the launcher needs no database of its own).
fn databases() -> Vec<Database> {
    let mut found = Vec::new();
    // SAFETY: a transaction is open around the scan, the relation is opened and closed
    // with the same lock, and each tuple's struct is read before the next heap_getnext.
    unsafe {
        pg_sys::StartTransactionCommand();
        let relation = pg_sys::table_open(pg_sys::DatabaseRelationId, pg_sys::AccessShareLock as _);
        let scan = pg_sys::table_beginscan_catalog(relation, 0, std::ptr::null_mut());
        loop {
            let tuple = pg_sys::heap_getnext(scan, pg_sys::ScanDirection::ForwardScanDirection);
            if tuple.is_null() {
                break;
            }
            let row = &*pg_sys::heap_tuple_get_struct::<pg_sys::FormData_pg_database>(tuple);
            // datconnlimit -2: a database left invalid by an interrupted DROP DATABASE.
            if row.datallowconn && !row.datistemplate && row.datconnlimit != -2 {
                let name = std::ffi::CStr::from_ptr(row.datname.data.as_ptr());
                found.push(Database {
                    oid: row.oid,
                    name: name.to_string_lossy().into_owned(),
                });
            }
        }
        // pg_database is a heap table: its scan ends as a heap scan.
        pg_sys::heap_endscan(scan);
        pg_sys::table_close(relation, pg_sys::AccessShareLock as _);
        pg_sys::CommitTransactionCommand();
    }
    found
}

/// Applies a reload of postgresql.conf that SIGHUP asked for.
fn reload_if_asked() {
    // SAFETY: ConfigReloadPending is PostgreSQL's flag, set by the SIGHUP handler that
    // attach_signal_handlers installs; ProcessConfigFile is how a worker applies it.
    unsafe {
        if pg_sys::ConfigReloadPending != 0 {
            pg_sys::ConfigReloadPending = 0;
            pg_sys::ProcessConfigFile(pg_sys::GucContext::PGC_SIGHUP);
        }
    }
}

/// Runs one database's maintenance in a worker and waits for it to end.
fn maintain_in(db: &Database) {
    // SAFETY: MyProcPid is this process's pid, set before any worker code runs.
    let me = unsafe { pg_sys::MyProcPid };
    let started = BackgroundWorkerBuilder::new(&format!("{WORKER} of {}", db.name))
        .set_type(WORKER)
        .set_library("shortlink")
        .set_function("shortlink_maintenance_worker")
        .enable_spi_access()
        .set_argument(db.oid.into_datum())
        .set_notify_pid(me)
        .load_dynamic();
    match started {
        Ok(worker) => {
            if let Err(status) = worker.wait_for_shutdown() {
                pgrx::log!("{LAUNCHER}: the worker of database \"{}\" ended as {status:?}", db.name);
            }
        }
        Err(_) => pgrx::warning!(
            "{LAUNCHER}: no background worker slot for database \"{}\"; it is left for the next round (raise max_worker_processes)",
            db.name
        ),
    }
}

#[pg_guard]
#[unsafe(no_mangle)]
pub extern "C-unwind" fn shortlink_maintenance_launcher(_arg: pg_sys::Datum) {
    BackgroundWorker::attach_signal_handlers(SignalWakeFlags::SIGHUP | SignalWakeFlags::SIGTERM);
    BackgroundWorker::connect_worker_to_spi(None, None);
    pgrx::log!(
        "{LAUNCHER} started: shortlink.maintain() every {}",
        describe(settings::maintenance_interval())
    );
    let mut last_round: Option<Instant> = None;
    loop {
        reload_if_asked();
        let interval = settings::maintenance_interval();
        let wait = match interval {
            None => None,
            Some(every) => {
                let due = last_round.map_or(Duration::ZERO, |t| every.saturating_sub(t.elapsed()));
                if due.is_zero() {
                    last_round = Some(Instant::now());
                    // SAFETY: a plain query of PostgreSQL's state.
                    if !unsafe { pg_sys::RecoveryInProgress() } {
                        for db in databases() {
                            maintain_in(&db);
                            reload_if_asked();
                        }
                    }
                    Some(every.saturating_sub(last_round.map_or(Duration::ZERO, |t| t.elapsed())))
                } else {
                    Some(due)
                }
            }
        };
        // A SIGHUP sets the latch too: a changed interval applies at once.
        if !BackgroundWorker::wait_latch(wait.map(|w| w.max(Duration::from_millis(10)))) {
            break;
        }
    }
    pgrx::log!("{LAUNCHER} stopped");
}

fn describe(interval: Option<Duration>) -> String {
    match interval {
        None => "never (shortlink.maintenance_interval = 0)".into(),
        Some(d) => format!("{} s (shortlink.maintenance_interval)", d.as_secs()),
    }
}

/// One database's round: in a transaction, `maintain()` if the extension is there.
#[pg_guard]
#[unsafe(no_mangle)]
pub extern "C-unwind" fn shortlink_maintenance_worker(arg: pg_sys::Datum) {
    BackgroundWorker::attach_signal_handlers(SignalWakeFlags::SIGTERM);
    // SAFETY: the launcher passed the database's oid as the argument.
    let Some(oid) = (unsafe { pg_sys::Oid::from_datum(arg, false) }) else {
        return;
    };
    BackgroundWorker::connect_worker_to_spi_by_oid(Some(oid), None);
    // SAFETY: the transaction is started here and either committed or, after an error
    // that PgTryBuilder caught (and pgrx flushed from the error state), aborted.
    unsafe {
        pg_sys::SetCurrentStatementStartTimestamp();
        pg_sys::StartTransactionCommand();
        pg_sys::PushActiveSnapshot(pg_sys::GetTransactionSnapshot());
    }
    let database = database_name();
    let outcome = PgTryBuilder::new(|| -> Result<Option<serde_json::Value>, Failure> {
        let present = Spi::get_one::<bool>(
            "SELECT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'shortlink')",
        )?
        .unwrap_or(false);
        if !present {
            return Ok(None);
        }
        Ok(Spi::get_one::<pgrx::JsonB>("SELECT shortlink.maintain()")?.map(|j| j.0))
    })
    .catch_others(|e| Err(spi_failure(e)))
    .execute();
    match outcome {
        Ok(done) => {
            // SAFETY: the transaction started above, still in progress.
            unsafe {
                pg_sys::PopActiveSnapshot();
                pg_sys::CommitTransactionCommand();
            }
            if let Some(done) = done {
                pgrx::debug1!("{WORKER}: {done}");
            }
        }
        Err(failure) => {
            // SAFETY: abandons the transaction the error left in progress.
            unsafe { pg_sys::AbortCurrentTransaction() };
            failure.report(&database);
        }
    }
}

/// The name of the database this worker is connected to.
fn database_name() -> String {
    // SAFETY: called in a transaction of a connected worker; get_database_name reads the
    // catalog cache and returns NULL for an oid that is gone.
    unsafe {
        let name = pg_sys::get_database_name(pg_sys::MyDatabaseId);
        if name.is_null() {
            format!("oid {}", pg_sys::MyDatabaseId.to_u32())
        } else {
            std::ffi::CStr::from_ptr(name)
                .to_string_lossy()
                .into_owned()
        }
    }
}

/// Why a round failed, to report once its transaction is aborted.
enum Failure {
    Postgres(Box<pgrx::pg_sys::panic::ErrorReportWithLevel>),
    Spi(pgrx::spi::Error),
}

impl Failure {
    fn report(self, database: &str) {
        match self {
            Failure::Postgres(e) => {
                let code = e.sql_error_code();
                // SAFETY: unpack_sql_state writes the five characters into a static buffer.
                let sqlstate = unsafe {
                    std::ffi::CStr::from_ptr(pg_sys::unpack_sql_state(code as i32))
                        .to_string_lossy()
                        .into_owned()
                };
                let mut report = pgrx::pg_sys::panic::ErrorReport::new(
                    code,
                    format!(
                        "{WORKER}: shortlink.maintain() failed in database \"{}\" (SQLSTATE {sqlstate}): {}",
                        database,
                        e.message()
                    ),
                    "shortlink_maintenance_worker",
                );
                if let Some(detail) = e.detail() {
                    report = report.set_detail(detail);
                }
                report
                    .set_hint("It runs again at the next shortlink.maintenance_interval; SELECT shortlink.maintain() shows the error to a session.")
                    .report(PgLogLevel::WARNING);
            }
            Failure::Spi(e) => {
                pgrx::warning!(
                    "{WORKER}: shortlink.maintain() failed in database \"{}\": {e}",
                    database
                );
            }
        }
    }
}

impl From<pgrx::spi::Error> for Failure {
    fn from(e: pgrx::spi::Error) -> Self {
        Failure::Spi(e)
    }
}

fn spi_failure(e: CaughtError) -> Failure {
    match e {
        CaughtError::PostgresError(r) | CaughtError::ErrorReport(r) => {
            Failure::Postgres(Box::new(r))
        }
        CaughtError::RustPanic { ereport, .. } => Failure::Postgres(Box::new(ereport)),
    }
}

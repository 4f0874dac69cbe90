//! The database connections every surface uses: a pool for requests that hold a
//! connection for a transaction (passwords, the API, the dispatcher, /readyz), and the
//! few shared, pipelined connections of the redirect path (`shared_conn`).

pub mod error;
pub mod shared_conn;

/// The pool of `database_url`, at most `size` connections.
pub fn pool(database_url: &str, size: usize) -> Result<deadpool_postgres::Pool, String> {
    let mut pg: tokio_postgres::Config = database_url
        .parse()
        .map_err(|e| format!("invalid --database-url: {e}"))?;
    // JIT off in these sessions, unless the URL's own options turn it on (they come after).
    // Their statements read a few rows each, but under row-level security the planner
    // prices each row's policy check as a look-up in links, and JIT compiled plans that run
    // in milliseconds: 290 ms per analytics statement of one link with 10^7 events.
    let options = match pg.get_options() {
        Some(theirs) => format!("-c jit=off {theirs}"),
        None => "-c jit=off".to_owned(),
    };
    pg.options(&options);
    let manager = deadpool_postgres::Manager::from_config(
        pg,
        tokio_postgres::NoTls,
        deadpool_postgres::ManagerConfig {
            // A connection that broke while idle (a database restart) is replaced
            // before use instead of failing a request.
            recycling_method: deadpool_postgres::RecyclingMethod::Fast,
        },
    );
    deadpool_postgres::Pool::builder(manager)
        .max_size(size)
        .wait_timeout(Some(std::time::Duration::from_secs(5)))
        .create_timeout(Some(std::time::Duration::from_secs(5)))
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .build()
        .map_err(|e| format!("cannot build the connection pool: {e}"))
}

//! The database connections every surface uses: a pool for requests that hold a
//! connection for a transaction (passwords, the API, the dispatcher, /readyz), and the
//! few shared, pipelined connections of the redirect path (`shared_conn`).

pub mod error;
pub mod shared_conn;

/// The pool of `database_url`, at most `size` connections.
pub fn pool(database_url: &str, size: usize) -> Result<deadpool_postgres::Pool, String> {
    let pg: tokio_postgres::Config = database_url
        .parse()
        .map_err(|e| format!("invalid --database-url: {e}"))?;
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

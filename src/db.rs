//! The database pool: rocket_db_pools' `Pool` trait over sqlx 0.8's `AnyPool`.
//!
//! NOTE: rocket_db_pools' own sqlx features pin sqlx 0.7, whose Any driver misreads NULLs and
//! large integers (launchbadge/sqlx#2416-era bugs); we implement the public trait ourselves.

use std::sync::Arc;
use std::time::Duration;

use rocket::fairing::{self, AdHoc};
use rocket::figment::Figment;
use rocket::{Build, Rocket};
use rocket_db_pools::Database;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::{AnyPool, Connection, Executor};

use crate::config::{backend_of, default_pool_size, Backend};

/// The pool type handed to rocket_db_pools.
pub struct AnyDbPool {
    pub pool: AnyPool,
    pub backend: Backend,
    /// Connections taken from this pool so far (each is given back with a ping).
    pub checkouts: Arc<std::sync::atomic::AtomicU64>,
}

impl std::ops::Deref for AnyDbPool {
    type Target = AnyPool;
    fn deref(&self) -> &AnyPool {
        &self.pool
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
}

#[rocket::async_trait]
impl rocket_db_pools::Pool for AnyDbPool {
    type Connection = sqlx::pool::PoolConnection<sqlx::Any>;
    type Error = PoolError;

    async fn init(figment: &Figment) -> Result<Self, Self::Error> {
        let url: String = figment
            .extract_inner("url")
            .map_err(|e| PoolError::Config(e.to_string()))?;
        let max: u32 = figment
            .extract_inner("max_connections")
            .unwrap_or_else(|_| default_pool_size(backend_of(&url).unwrap_or(Backend::Sqlite)));
        let min: u32 = figment.extract_inner("min_connections").unwrap_or(max);
        connect(&url, max, min).await
    }

    async fn get(&self) -> Result<Self::Connection, Self::Error> {
        Ok(self.pool.acquire().await?)
    }

    async fn close(&self) {
        self.pool.close().await
    }
}

/// SQLite admits one writer at a time. A connection that finds the write lock taken sleeps in
/// SQLite's busy handler, 1, 2, 5, 10 ms and longer between tries, however soon the lock is
/// freed: a burst of 200 quiz learners slept about 1,500 times in 9 bursts (`perf stat`), and
/// the sleeps made the tail of the burst. The hot writes of a class (a quiz's start, autosave
/// and submission, a module read, a course completion, a booking, its cancellation and the
/// waitlist's offer of the freed slot) take this turn before they write: they wait in the
/// runtime instead, each woken as soon as the previous one commits (BENCHMARKS.md, session 17).
///
/// One turn per process: a server serves one SQLite database. A test process that opens
/// several only orders their writes. Every other write still relies on the busy handler.
static SQLITE_WRITER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// How long a writer waits for its turn before it goes ahead without it (and meets SQLite's
/// busy handler, as before the turn): the turn orders writers, and must never stop one. A
/// turn taken again while held (a gated write nested in another) would wait this long, and
/// logs a warning.
const TURN_PATIENCE: Duration = Duration::from_secs(2);

/// The writer's turn on SQLite (see [`SQLITE_WRITER`]), held until the guard is dropped: take
/// it just before the first write of a transaction (or a lone write statement) and keep it
/// until the commit. `None` on PostgreSQL, whose row locks order writers themselves, and
/// after [`TURN_PATIENCE`].
pub async fn write_turn(conn: &mut sqlx::AnyConnection) -> Option<WriteTurn> {
    if !is_sqlite(conn) {
        return None;
    }
    match tokio::time::timeout(TURN_PATIENCE, SQLITE_WRITER.lock()).await {
        Ok(held) => Some(WriteTurn { _held: held }),
        Err(_) => {
            tracing::warn!(
                waited_ms = TURN_PATIENCE.as_millis() as u64,
                "no SQLite writer's turn: writing without it"
            );
            None
        }
    }
}

/// A held writer's turn (see [`write_turn`]).
pub struct WriteTurn {
    _held: tokio::sync::MutexGuard<'static, ()>,
}

/// A pooled connection idle this long is pinged before it is handed out (one in steady use is
/// not: see `connect`).
pub const IDLE_BEFORE_PING: Duration = Duration::from_millis(500);

/// Page size of a new SQLite database, in bytes: SQLite's own default, set explicitly so that
/// the choice is visible and tested. Every commit writes whole pages to the WAL, and a quiz
/// submission touches a handful: 4 KiB pages answer the quiz benchmark 15 to 40% faster than
/// the 16 KiB used before, with the course import unchanged (BENCHMARKS.md, session 14).
pub const SQLITE_PAGE_SIZE: u32 = 4096;

/// Open a pool for `url` of at most `max_connections`, creating the SQLite folder when needed.
///
/// `min_connections` (at most the maximum) are opened before this returns and kept open: a
/// connection closed for its age, or lost, is replaced in the background. On PostgreSQL each
/// connection is a server process that must start, load its caches and prepare every
/// statement again: opened during the first burst of 200 learners, they made it run at 0.6 to
/// 0.7x the next one (BENCHMARKS.md, session 15). sqlx replaces a connection at 30 minutes
/// of age, one at a time, so only that one starts over.
pub async fn connect(
    url: &str,
    max_connections: u32,
    min_connections: u32,
) -> Result<AnyDbPool, PoolError> {
    sqlx::any::install_default_drivers();
    let backend = backend_of(url).map_err(PoolError::Config)?;
    if backend == Backend::Sqlite {
        ensure_sqlite_folder(url).map_err(PoolError::Config)?;
    }
    let options: AnyConnectOptions = url.parse()?;
    let checkouts = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counted = checkouts.clone();
    let pool = AnyPoolOptions::new()
        .max_connections(max_connections.max(1))
        .min_connections(min_connections.min(max_connections.max(1)))
        .acquire_timeout(Duration::from_secs(10))
        // sqlx pings every connection it hands out by default: a round trip before each
        // statement, which on PostgreSQL doubles the cost of a one-statement request. A
        // connection in steady use is known alive; only one idle for a while is checked.
        .test_before_acquire(false)
        .before_acquire(move |conn, meta| {
            counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Box::pin(async move {
                if meta.idle_for >= IDLE_BEFORE_PING {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    // For a new database file only (SQLite ignores it once the file has
                    // tables): see `SQLITE_PAGE_SIZE`.
                    conn.execute(format!("PRAGMA page_size={SQLITE_PAGE_SIZE}").as_str())
                        .await?;
                    conn.execute("PRAGMA journal_mode=WAL").await?;
                    conn.execute("PRAGMA busy_timeout=10000").await?;
                    conn.execute("PRAGMA foreign_keys=ON").await?;
                    conn.execute("PRAGMA synchronous=NORMAL").await?;
                }
                Ok(())
            })
        })
        .connect_with(options)
        .await?;
    Ok(AnyDbPool {
        pool,
        backend,
        checkouts,
    })
}

pub(crate) fn ensure_sqlite_folder(url: &str) -> Result<(), String> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path.starts_with(":memory:") {
        return Err(
            "an in-memory SQLite database cannot be shared by a pool: use a file, \
                    e.g. sqlite://data/academy.db?mode=rwc"
                .into(),
        );
    }
    if let Some(parent) = std::path::Path::new(path).parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create database folder {}: {e}", parent.display()))?;
        }
    }
    Ok(())
}

/// The database, as Rocket sees it (`&Db` is a request guard).
#[derive(Database)]
#[database("academy")]
pub struct Db(AnyDbPool);

impl Db {
    pub fn backend(&self) -> Backend {
        self.0.backend
    }
}

/// One pooled connection for a whole request, shared with the authentication guard: a route
/// that declares it before its user guard (`conn: RequestConn, user: Learner`) has the token
/// check run on it, then runs its own statements on it. The request takes one connection from
/// the pool and gives it back once (sqlx pings every connection it takes back), instead of
/// twice. The connection is taken at its first use, so a request refused before the token
/// check (no token, a bad signature) never takes one.
///
/// A route with a body takes its caller with the body (`auth::UserAndBody`), not as a request
/// guard: the body is read after every request guard, so a slow client would hold the
/// connection while it sends one. The handler must not ask the pool for another connection
/// while it holds this one.
///
/// The connection goes back to the pool when the handler returns (its `RequestConn` is
/// dropped), not when the response has been sent: the request keeps only a weak reference.
pub struct RequestConn {
    pool: AnyPool,
    held: Arc<Held>,
}

type Held = tokio::sync::Mutex<Option<PoolConnection<sqlx::Any>>>;

/// The request's [`RequestConn`], if its route declared one before the guard asking: weak, so
/// that the connection lives as long as the handler's own value.
struct Declared(Option<(AnyPool, std::sync::Weak<Held>)>);

impl RequestConn {
    /// The request's connection, taken from the pool at the first call.
    pub async fn get(
        &self,
    ) -> crate::error::Result<tokio::sync::MappedMutexGuard<'_, sqlx::AnyConnection>> {
        use crate::error::Context;
        let mut held = self.held.lock().await;
        if held.is_none() {
            *held = Some(self.pool.acquire().await.context("request connection")?);
        }
        tokio::sync::MutexGuard::try_map(held, |c| c.as_deref_mut())
            .map_err(|_| crate::error::Error::internal("request connection", "not taken"))
    }

    /// The route's [`RequestConn`], when its guard ran before this call.
    pub fn of(req: &rocket::Request<'_>) -> Option<RequestConn> {
        let (pool, held) = req.local_cache(|| Declared(None)).0.as_ref()?;
        Some(RequestConn {
            pool: pool.clone(),
            held: held.upgrade()?,
        })
    }
}

#[rocket::async_trait]
impl<'r> rocket::request::FromRequest<'r> for RequestConn {
    type Error = crate::error::Error;

    async fn from_request(
        req: &'r rocket::Request<'_>,
    ) -> rocket::request::Outcome<Self, Self::Error> {
        use rocket::outcome::Outcome;
        let Some(db) = Db::fetch(req.rocket()) else {
            let e = crate::error::Error::internal("database", "not attached");
            return Outcome::Error((e.status(), e));
        };
        let fresh: Arc<Held> = Arc::default();
        // `None` when a guard asked before the route's own: then share nothing.
        let declared =
            req.local_cache(|| Declared(Some((db.pool.clone(), Arc::downgrade(&fresh)))));
        let held = match &declared.0 {
            Some((_, weak)) => weak.upgrade().unwrap_or(fresh),
            None => fresh,
        };
        Outcome::Success(RequestConn {
            pool: db.pool.clone(),
            held,
        })
    }
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

pub async fn migrate(pool: &AnyDbPool) -> Result<(), sqlx::migrate::MigrateError> {
    match pool.backend {
        Backend::Sqlite => SQLITE_MIGRATIONS.run(&pool.pool).await,
        Backend::Postgres => POSTGRES_MIGRATIONS.run(&pool.pool).await,
    }
}

/// Runs the migrations at ignite: a bad migration stops start-up loudly.
pub fn migrations() -> AdHoc {
    AdHoc::try_on_ignite("Database migrations", |rocket: Rocket<Build>| async move {
        let Some(db) = Db::fetch(&rocket) else {
            return Err(rocket);
        };
        match migrate(db).await {
            Ok(()) => fairing::Result::Ok(rocket),
            Err(e) => {
                tracing::error!(error = %e, "database migrations failed");
                Err(rocket)
            }
        }
    })
}

/// SQLite's default `wal_autocheckpoint`, in pages.
const WAL_AUTOCHECKPOINT: i64 = 1000;

/// Is this connection SQLite's? (Otherwise PostgreSQL's.)
pub fn is_sqlite(conn: &sqlx::AnyConnection) -> bool {
    conn.backend_name().eq_ignore_ascii_case("sqlite")
}

/// SQLite: stop checkpointing the WAL after each commit of this connection (a bulk write such
/// as the course import would otherwise copy its pages into the database every 4 MiB, on
/// its own path). Returns whether anything was paused; undo with [`resume_checkpoints`].
pub async fn pause_checkpoints(conn: &mut sqlx::AnyConnection) -> crate::error::Result<bool> {
    use crate::error::Context;
    if !is_sqlite(conn) {
        return Ok(false);
    }
    conn.execute("PRAGMA wal_autocheckpoint=0")
        .await
        .context("pausing WAL checkpoints")?;
    Ok(true)
}

/// Undo [`pause_checkpoints`] (the connection goes back to the pool with the default).
pub async fn resume_checkpoints(conn: &mut sqlx::AnyConnection) -> crate::error::Result<()> {
    use crate::error::Context;
    conn.execute(format!("PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT}").as_str())
        .await
        .context("resuming WAL checkpoints")?;
    Ok(())
}

/// SQLite: copy the WAL into the database now, without waiting for readers (PASSIVE); a
/// no-op on PostgreSQL.
pub async fn checkpoint(pool: &AnyPool) -> crate::error::Result<()> {
    use crate::error::Context;
    let mut conn = pool.acquire().await.context("checkpoint")?;
    if is_sqlite(&conn) {
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            .await
            .context("checkpoint")?;
    }
    Ok(())
}

/// Periodic jobs shared by every academy process (table `maintenance_runs`): take the turn of
/// the job `name` when it is due: one conditional statement moves
/// its next run `every` seconds ahead, so of several processes exactly one runs it.
#[tracing::instrument(skip_all)]
pub async fn claim_run(
    db: &AnyPool,
    name: &str,
    now: i64,
    every: i64,
) -> crate::error::Result<bool> {
    use crate::error::Context;
    let done = sqlx::query(
        "UPDATE maintenance_runs SET next_run_at = $2 WHERE name = $1 AND next_run_at <= $3",
    )
    .bind(name)
    .bind(now.saturating_add(every))
    .bind(now)
    .execute(db)
    .await
    .context("claiming a periodic job")?;
    Ok(done.rows_affected() == 1)
}

/// Start the periodic job `name` with the server: every `every` seconds, whichever process
/// claims the turn ([`claim_run`]) runs `job(pool, now)`, which returns how many things it did
/// (logged when not zero). Stops with the server.
pub fn periodic<F, Fut>(name: &'static str, every: u64, job: F) -> AdHoc
where
    F: Fn(AnyPool, i64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = crate::error::Result<usize>> + Send + 'static,
{
    AdHoc::on_liftoff(name, move |rocket| {
        Box::pin(async move {
            let Some(db) = Db::fetch(rocket) else { return };
            let pool = db.pool.clone();
            let shutdown = rocket.shutdown();
            let every = every.max(1);
            let hold = i64::try_from(every).unwrap_or(60).saturating_sub(1).max(1);
            tokio::spawn(async move {
                loop {
                    let now = crate::clock::now();
                    match claim_run(&pool, name, now, hold).await {
                        Ok(true) => match job(pool.clone(), now).await {
                            Ok(0) => {}
                            Ok(n) => tracing::info!(job = name, done = n, "periodic job ran"),
                            Err(e) => tracing::warn!(job = name, error = %e, "periodic job failed"),
                        },
                        Ok(false) => {}
                        Err(e) => {
                            tracing::warn!(job = name, error = %e, "periodic job not started")
                        }
                    }
                    tokio::select! {
                        _ = shutdown.clone() => break,
                        _ = tokio::time::sleep(Duration::from_secs(every)) => {}
                    }
                }
            });
        })
    })
}

//! argon2id password hashing, bounded: at most N computations at once, each on one of N
//! dedicated threads that reuses its own argon2 memory.
//!
//! Why bounded: with one `spawn_blocking` per login, 100 concurrent failing logins ran 100
//! argon2 computations of 19 MiB at once (5.75 GB resident, and glibc kept 4.9 GB of its
//! per-thread arenas after the storm). Here the work queue is a fair semaphore with N permits:
//! a request waits for a permit at most `queue_wait` (then 503 with Retry-After), and the
//! computation runs on a pool thread whose memory blocks are allocated once and reused.

use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::password_hash::PasswordHasher;
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::{oneshot, Semaphore};

use crate::error::{Error, Result};
use crate::msg;

pub const MIN_LENGTH: usize = 10;
pub const MAX_LENGTH: usize = 256;

/// Stored hashes asking for more memory than this are refused rather than computed (a hash
/// slipped into the database must not make a pool thread allocate gigabytes).
const MAX_MEMORY_KIB: u32 = 256 * 1024;

pub fn check_strength(password: &str) -> std::result::Result<(), String> {
    let n = password.chars().count();
    if n < MIN_LENGTH {
        return Err(format!("must be at least {MIN_LENGTH} characters long"));
    }
    if n > MAX_LENGTH {
        return Err(format!("must be at most {MAX_LENGTH} characters long"));
    }
    Ok(())
}

type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// The bounded argon2 worker pool (Rocket-managed state; cheap to clone).
#[derive(Clone)]
pub struct Hasher {
    inner: Arc<Inner>,
}

struct Inner {
    permits: Arc<Semaphore>,
    jobs: mpsc::Sender<Job>,
    queue_wait: Duration,
    concurrency: usize,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher")
            .field("concurrency", &self.inner.concurrency)
            .field("queue_wait", &self.inner.queue_wait)
            .finish()
    }
}

/// The machine's cores (the default concurrency).
pub fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

impl Hasher {
    /// `concurrency` threads (0: one per core); a request waits at most `queue_wait` for one.
    pub fn new(concurrency: usize, queue_wait: Duration) -> Hasher {
        let concurrency = if concurrency == 0 {
            cores()
        } else {
            concurrency
        };
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..concurrency {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || worker(&rx));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start a password hashing thread");
            }
        }
        Hasher {
            inner: Arc::new(Inner {
                permits: Arc::new(Semaphore::new(concurrency)),
                jobs: tx,
                queue_wait,
                concurrency,
            }),
        }
    }

    /// The process-wide hasher of the command line (`user add`, `demo`) and of tests that
    /// hash outside a request: one thread per core, 60 s queue.
    pub fn shared() -> &'static Hasher {
        static SHARED: OnceLock<Hasher> = OnceLock::new();
        SHARED.get_or_init(|| Hasher::new(0, Duration::from_secs(60)))
    }

    pub fn concurrency(&self) -> usize {
        self.inner.concurrency
    }

    /// Run `work` on a pool thread with that thread's reusable memory, after waiting for a
    /// free thread at most `queue_wait` (then 503).
    pub async fn run<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    {
        let permit = tokio::time::timeout(
            self.inner.queue_wait,
            self.inner.permits.clone().acquire_owned(),
        )
        .await;
        let permit = match permit {
            Ok(Ok(p)) => p,
            _ => {
                tracing::warn!(
                    concurrency = self.inner.concurrency,
                    "password hashing queue full: answering 503"
                );
                return Err(Error::Unavailable(msg!("auth.hashing_busy")));
            }
        };
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |blocks| {
            let out = work(blocks);
            // The permit goes back when the computation is over, even when the request that
            // asked for it has gone away: the bound is on computations, not on requests.
            drop(permit);
            let _ = tx.send(out);
        });
        self.inner
            .jobs
            .send(job)
            .map_err(|e| Error::internal("password hashing", e))?;
        rx.await.map_err(|e| Error::internal("password hashing", e))
    }

    /// An argon2id PHC string of `password` (fresh salt, default parameters).
    pub async fn hash(&self, password: String) -> Result<String> {
        self.run(move |blocks| hash_with(password.as_bytes(), blocks))
            .await?
            .map_err(|e| Error::internal("hashing password", e))
    }

    /// Does `password` match the PHC string `phc`? (`false` for a malformed hash.)
    pub async fn verify(&self, password: String, phc: String) -> Result<bool> {
        self.run(move |blocks| verify_with(password.as_bytes(), &phc, blocks))
            .await
    }
}

fn worker(rx: &Mutex<mpsc::Receiver<Job>>) {
    // Allocated by the first computation, then reused: no per-login allocation.
    let mut blocks: Vec<Block> = Vec::new();
    loop {
        let job = match rx.lock() {
            Ok(guard) => guard.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(&mut blocks),
            // The hasher is gone.
            Err(_) => return,
        }
    }
}

fn memory(blocks: &mut Vec<Block>, params: &Params) -> std::result::Result<usize, String> {
    if params.m_cost() > MAX_MEMORY_KIB {
        return Err(format!(
            "argon2 memory {} KiB over the limit",
            params.m_cost()
        ));
    }
    let need = params.block_count();
    if blocks.len() < need {
        blocks.resize(need, Block::default());
    }
    Ok(need)
}

fn hash_with(password: &[u8], blocks: &mut Vec<Block>) -> std::result::Result<String, String> {
    let params = Params::default();
    let need = memory(blocks, &params)?;
    let salt = Salt::generate();
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(password, salt.as_ref(), &mut out, &mut blocks[..need])
        .map_err(|e| e.to_string())?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| e.to_string())?,
        salt: Some(salt),
        hash: Some(Output::new(&out).map_err(|e| e.to_string())?),
    };
    Ok(phc.to_string())
}

fn verify_with(password: &[u8], phc: &str, blocks: &mut Vec<Block>) -> bool {
    let mut check = || -> std::result::Result<bool, String> {
        let parsed = PasswordHash::new(phc).map_err(|e| e.to_string())?;
        let algorithm =
            Algorithm::try_from(parsed.algorithm.as_str()).map_err(|e| e.to_string())?;
        let version = match parsed.version {
            Some(v) => Version::try_from(v).map_err(|e| e.to_string())?,
            None => Version::default(),
        };
        let params = Params::try_from(&parsed).map_err(|e| e.to_string())?;
        let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
            return Err("hash without salt or output".into());
        };
        let need = memory(blocks, &params)?;
        let mut out = vec![0u8; expected.len()];
        Argon2::new(algorithm, version, params)
            .hash_password_into_with_memory(password, salt.as_ref(), &mut out, &mut blocks[..need])
            .map_err(|e| e.to_string())?;
        // `Output`'s equality is constant-time.
        Ok(Output::new(&out).map_err(|e| e.to_string())? == *expected)
    };
    check().unwrap_or(false)
}

/// Hash on the process-wide hasher (command line, tests).
pub async fn hash(password: String) -> Result<String> {
    Hasher::shared().hash(password).await
}

/// Verify on the process-wide hasher (command line, tests); `false` when it is busy.
pub async fn verify(password: String, phc: String) -> bool {
    Hasher::shared()
        .verify(password, phc)
        .await
        .unwrap_or(false)
}

/// A hash of a password nobody knows: verified against on unknown emails so that login takes
/// the same time whether or not the account exists.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        Argon2::default()
            .hash_password(crate::crypto::random_token(24).as_bytes())
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Instant;

    use argon2::password_hash::PasswordVerifier;

    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_differ() {
        let a = hash("correct horse battery".into()).await.unwrap();
        let b = hash("correct horse battery".into()).await.unwrap();
        assert_ne!(a, b, "salted");
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert!(verify("correct horse battery".into(), a.clone()).await);
        assert!(!verify("wrong horse battery".into(), a.clone()).await);
        assert!(!verify("x".into(), "not a hash".into()).await);
        // The hashes are ordinary argon2id PHC strings: the crate's own verifier agrees.
        let parsed = PasswordHash::new(&a).unwrap();
        assert!(Argon2::default()
            .verify_password(b"correct horse battery", &parsed)
            .is_ok());
    }

    #[tokio::test]
    async fn hashes_made_by_the_argon2_crate_verify() {
        let phc = Argon2::default()
            .hash_password(b"made elsewhere 123")
            .unwrap()
            .to_string();
        assert!(verify("made elsewhere 123".into(), phc.clone()).await);
        assert!(!verify("made elsewhere 124".into(), phc).await);
    }

    #[tokio::test]
    async fn hashes_asking_for_too_much_memory_are_refused() {
        let params = Params::new(MAX_MEMORY_KIB + 1, 1, 1, None).unwrap();
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params).unwrap(),
            salt: Some(Salt::generate()),
            hash: Some(Output::new(&[7u8; 32]).unwrap()),
        }
        .to_string();
        assert!(!verify("anything at all".into(), phc).await);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn at_most_n_computations_run_at_once_and_the_rest_queue() {
        let hasher = Hasher::new(2, Duration::from_secs(10));
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let jobs = (0..8).map(|_| {
            let (running, peak) = (running.clone(), peak.clone());
            hasher.run(move |_| {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(50));
                running.fetch_sub(1, Ordering::SeqCst);
                std::thread::current().name().map(str::to_string)
            })
        });
        let names = futures::future::join_all(jobs).await;
        assert_eq!(peak.load(Ordering::SeqCst), 2);
        for n in names {
            assert!(n.unwrap().unwrap().starts_with("argon2-"));
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_request_that_waits_past_the_deadline_is_refused_with_503() {
        let hasher = Hasher::new(1, Duration::from_millis(200));
        let slow = hasher.run(|_| std::thread::sleep(Duration::from_millis(1500)));
        let waiting = async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let t = Instant::now();
            (hasher.run(|_| ()).await, t.elapsed())
        };
        let (slow, (waited, took)) = tokio::join!(slow, waiting);
        assert!(slow.is_ok());
        let err = waited.unwrap_err();
        assert_eq!(err.status().code, 503);
        assert_eq!(err.code(), "auth.hashing_busy");
        assert!(took < Duration::from_millis(1000), "{took:?}");
        // Once the slow one is done, the thread is free again.
        assert!(hasher.run(|_| 1).await.is_ok());
    }

    #[tokio::test]
    async fn memory_is_reused_between_computations() {
        let hasher = Hasher::new(1, Duration::from_secs(10));
        let phc = hasher.hash("reuse the blocks please".into()).await.unwrap();
        let first = hasher
            .run(|b| (b.as_ptr() as usize, b.len()))
            .await
            .unwrap();
        assert!(hasher
            .verify("reuse the blocks please".into(), phc)
            .await
            .unwrap());
        let second = hasher
            .run(|b| (b.as_ptr() as usize, b.len()))
            .await
            .unwrap();
        assert_eq!(first, second);
        assert_eq!(first.1, Params::default().block_count());
    }

    #[test]
    fn strength() {
        assert!(check_strength("short").is_err());
        assert!(check_strength("long enough pw").is_ok());
    }
}

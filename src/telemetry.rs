//! Logging and metrics: the tracing subscriber, one line per request (method, route template,
//! status, latency, request id), and Prometheus counters per route.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Header;
use rocket::{Data, Request, Response};

/// Install the global subscriber once (`RUST_LOG` filter; `json` or `text` lines).
/// Rocket logs through `log`; tracing-log bridges those lines in.
/// Logs go to standard error, so that command output on standard output stays clean.
/// Beside the log, [`StatementCounter`] counts every database statement (whatever the filter).
pub fn init(format: &str, quiet: bool) {
    use tracing_subscriber::{fmt, EnvFilter, Layer};
    let default = if quiet {
        "warn,rocket=error,_=off"
    } else {
        "info,rocket::server=warn,sqlx=warn,_=off"
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_log::LogTracer::init();
    let lines = if format == "json" {
        fmt::layer().json().flatten_event(true).boxed()
    } else {
        fmt::layer().with_writer(std::io::stderr).boxed()
    };
    let _ =
        tracing::subscriber::set_global_default(with_statement_counter(lines.with_filter(filter)));
}

/// The subscriber: `lines` (with its own filter) beside the [`StatementCounter`]. Each has its
/// own filter, so neither hides events from the other.
fn with_statement_counter<L>(lines: L) -> impl tracing::Subscriber + Send + Sync
where
    L: tracing_subscriber::Layer<tracing_subscriber::Registry> + Send + Sync + 'static,
{
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::Layer;
    tracing_subscriber::registry()
        .with(lines)
        .with(
            StatementCounter.with_filter(tracing_subscriber::filter::filter_fn(|meta| {
                meta.target() == STATEMENT_TARGET
            })),
        )
}

/// Database statements run by this process (every query sqlx logs, at any level): served in
/// `/metrics` as `academy_db_statements_total`, so a benchmark can divide it by requests.
pub static DB_STATEMENTS: AtomicU64 = AtomicU64::new(0);

/// Counts sqlx's one event per statement (target `sqlx::query`).
pub struct StatementCounter;

const STATEMENT_TARGET: &str = "sqlx::query";

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for StatementCounter {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target() == STATEMENT_TARGET {
            DB_STATEMENTS.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The id of the request being served (also sent back as `X-Request-Id`).
#[derive(Default, Clone)]
pub struct RequestId(pub String);

struct Started(Instant);

const BUCKETS_MS: [f64; 12] = [
    1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 10000.0,
];

#[derive(Default)]
struct Series {
    count: u64,
    sum_ms: f64,
    buckets: [u64; BUCKETS_MS.len()],
}

/// Request logging and metrics, as one fairing.
#[derive(Default)]
pub struct RequestTelemetry {
    series: Mutex<BTreeMap<(String, String, u16), Series>>,
}

impl RequestTelemetry {
    /// Prometheus text exposition format, with the database pool's checkouts so far.
    pub fn render(&self, db_checkouts: u64) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP academy_db_statements_total Database statements run by this process.\n",
        );
        out.push_str("# TYPE academy_db_statements_total counter\n");
        out.push_str(&format!(
            "academy_db_statements_total {}\n",
            DB_STATEMENTS.load(Ordering::Relaxed)
        ));
        out.push_str(
            "# HELP academy_db_checkouts_total Connections taken from the pool (each given back \
             with a ping).\n",
        );
        out.push_str("# TYPE academy_db_checkouts_total counter\n");
        out.push_str(&format!("academy_db_checkouts_total {db_checkouts}\n"));
        out.push_str("# HELP academy_http_requests_total HTTP requests served.\n");
        out.push_str("# TYPE academy_http_requests_total counter\n");
        let Ok(series) = self.series.lock() else {
            return out;
        };
        for ((method, route, status), s) in series.iter() {
            out.push_str(&format!(
                "academy_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {}\n",
                s.count
            ));
        }
        out.push_str("# HELP academy_http_request_duration_ms Request latency in milliseconds.\n");
        out.push_str("# TYPE academy_http_request_duration_ms histogram\n");
        for ((method, route, status), s) in series.iter() {
            let labels = format!("method=\"{method}\",route=\"{route}\",status=\"{status}\"");
            for (i, le) in BUCKETS_MS.iter().enumerate() {
                out.push_str(&format!(
                    "academy_http_request_duration_ms_bucket{{{labels},le=\"{le}\"}} {}\n",
                    s.buckets[i]
                ));
            }
            out.push_str(&format!(
                "academy_http_request_duration_ms_bucket{{{labels},le=\"+Inf\"}} {}\n",
                s.count
            ));
            out.push_str(&format!(
                "academy_http_request_duration_ms_sum{{{labels}}} {:.3}\n",
                s.sum_ms
            ));
            out.push_str(&format!(
                "academy_http_request_duration_ms_count{{{labels}}} {}\n",
                s.count
            ));
        }
        out
    }
}

#[rocket::async_trait]
impl Fairing for RequestTelemetry {
    fn info(&self) -> Info {
        Info {
            name: "Request telemetry",
            kind: Kind::Request | Kind::Response,
        }
    }

    async fn on_request(&self, req: &mut Request<'_>, _: &mut Data<'_>) {
        let id = req
            .headers()
            .get_one("X-Request-Id")
            .filter(|v| v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
            .map(str::to_string)
            .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string()[..16].to_string());
        req.local_cache(|| RequestId(id));
        req.local_cache(|| Started(Instant::now()));
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let elapsed_ms = req
            .local_cache(|| Started(Instant::now()))
            .0
            .elapsed()
            .as_secs_f64()
            * 1000.0;
        let id = req.local_cache(RequestId::default).0.clone();
        // The route template, never the raw URL: ids and codes stay out of logs and labels.
        let route = req
            .route()
            .map(|r| r.uri.to_string())
            .unwrap_or_else(|| "unmatched".to_string());
        let status = res.status().code;
        let method = req.method().as_str();
        if status >= 500 {
            tracing::error!(request_id = %id, method, route = %route, status, latency_ms = elapsed_ms, "request");
        } else {
            tracing::info!(request_id = %id, method, route = %route, status, latency_ms = elapsed_ms, "request");
        }
        res.set_header(Header::new("X-Request-Id", id));
        if let Ok(mut series) = self.series.lock() {
            let s = series
                .entry((method.to_string(), route, status))
                .or_default();
            s.count += 1;
            s.sum_ms += elapsed_ms;
            for (i, le) in BUCKETS_MS.iter().enumerate() {
                if elapsed_ms <= *le {
                    s.buckets[i] += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tracing_subscriber::{EnvFilter, Layer};

    use super::*;

    /// Counts the events it is shown (a stand-in for the log lines).
    struct Lines(Arc<AtomicU64>);

    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Lines {
        fn on_event(&self, _: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    #[test]
    fn statements_are_counted_and_the_log_still_gets_its_lines() {
        let lines = Arc::new(AtomicU64::new(0));
        let subscriber = with_statement_counter(
            Lines(lines.clone()).with_filter(EnvFilter::new("info,sqlx=warn")),
        );
        let before = DB_STATEMENTS.load(Ordering::Relaxed);
        tracing::subscriber::with_default(subscriber, || {
            tracing::debug!(target: "sqlx::query", "SELECT 1");
            tracing::warn!(target: "sqlx::query", "slow statement");
            tracing::info!(target: "academy::courses", "courses imported");
            tracing::debug!(target: "academy::courses", "below the log's level");
        });
        // Both statements counted, whatever the log's filter says about sqlx...
        assert_eq!(DB_STATEMENTS.load(Ordering::Relaxed) - before, 2);
        // ...and the log sees what its filter lets through (the counter once hid it all).
        assert_eq!(lines.load(Ordering::Relaxed), 2);
    }
}

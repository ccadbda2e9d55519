//! The S3-compatible store (rust-s3): AWS S3, MinIO, Garage, Ceph, s3s in the tests.
//!
//! Path-style (`endpoint/bucket/key`, the default, what most self-hosted servers want) or
//! virtual-host addressing (`bucket.endpoint/key`). Presigned URLs may use a separate public
//! endpoint: the address browsers reach can differ from the one the server uses.
//!
//! Time limits: a stalled endpoint must cost seconds, not minutes. rust-s3 0.38 builds its own
//! HTTP client and offers a per-request timeout only, so the connect timeout is ours: before
//! talking to an endpoint it has not heard from for a few seconds, the store opens a TCP
//! connection to it within [`S3Settings::connect_timeout`]. Every request that is not part of
//! an upload is also bounded as a whole by [`S3Settings::timeout`] (rust-s3 retries safe
//! requests once, after a pause; the bound keeps that retry inside the same budget). Uploads
//! are not cut from outside, which would leave a multipart upload behind: each of their
//! requests has the request timeout, and rust-s3 never replays a timed-out non-idempotent
//! request (only GET/HEAD/list and upload parts are retry-safe in 0.38, see
//! `Command::is_retry_safe`).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::Stream;
use s3::creds::Credentials;
use s3::error::S3Error;
use s3::{Bucket, Region};
use tokio::io::{AsyncRead, ReadBuf};

use super::{
    check_key, ByteRange, HashingReader, ObjectMeta, ObjectStore, Presentation, Reader,
    StorageError, StorageResult, StoreKind, Written,
};
use crate::config::Config;

/// Settings of an S3 store, apart from the app's [`Config`] so tools and tests can build one.
#[derive(Clone)]
pub struct S3Settings {
    pub bucket: String,
    /// `http(s)://host:port`; `None` for AWS (the region decides).
    pub endpoint: Option<String>,
    pub public_endpoint: Option<String>,
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
    pub path_style: bool,
    /// The request timeout.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// An HTTP proxy for every S3 request (`http://host:port`); `None` honours the usual
    /// `HTTP_PROXY`/`NO_PROXY` variables.
    pub proxy: Option<String>,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("public_endpoint", &self.public_endpoint)
            .field("region", &self.region)
            .field("path_style", &self.path_style)
            .finish_non_exhaustive()
    }
}

impl S3Settings {
    pub fn from_config(config: &Config) -> Result<Self, String> {
        let bucket = config.s3_bucket.clone().unwrap_or_default();
        let (Some(ak), Some(sk)) = (&config.s3_access_key, &config.s3_secret_key) else {
            return Err(format!(
                "ACADEMY_S3_BUCKET is set ({bucket}) but ACADEMY_S3_ACCESS_KEY and \
                 ACADEMY_S3_SECRET_KEY are not: both are required"
            ));
        };
        let nonempty = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
        };
        Ok(S3Settings {
            bucket,
            endpoint: nonempty(&config.s3_endpoint),
            public_endpoint: nonempty(&config.s3_public_endpoint),
            region: config.s3_region.clone(),
            access_key: ak.expose().to_string(),
            secret_key: sk.expose().to_string(),
            path_style: config.s3_path_style,
            timeout: super::seconds(
                "ACADEMY_S3_REQUEST_TIMEOUT_SECONDS",
                config.s3_request_timeout_seconds,
            )?,
            connect_timeout: super::seconds(
                "ACADEMY_S3_CONNECT_TIMEOUT_SECONDS",
                config.s3_connect_timeout_seconds,
            )?,
            proxy: None,
        })
    }
}

pub struct S3Store {
    bucket: Box<Bucket>,
    /// Signs presigned URLs for the public endpoint, when one is configured.
    public: Option<Box<Bucket>>,
    endpoint: String,
    request_timeout: Duration,
    connect_timeout: Duration,
    /// Where the TCP connection goes (the endpoint, or the proxy): `host:port`.
    connect_to: Option<String>,
    /// When the endpoint last answered (or accepted a connection).
    last_contact: Mutex<Option<Instant>>,
}

/// After this long without hearing from the endpoint, connect to it before the next request.
const CONTACT_FRESH: Duration = Duration::from_secs(5);

/// `host:port` of an `http(s)://` URL.
fn host_port(url: &str) -> Option<String> {
    let url = reqwest::Url::parse(url).ok()?;
    let host = url.host_str()?;
    let port = url.port_or_known_default()?;
    Some(if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    })
}

fn region(name: &str, endpoint: Option<&str>) -> Result<Region, String> {
    match endpoint {
        Some(endpoint) => {
            let endpoint = endpoint.trim_end_matches('/').to_string();
            if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
                return Err(format!(
                    "ACADEMY_S3_ENDPOINT must be an http:// or https:// URL, got {endpoint:?}"
                ));
            }
            Ok(Region::Custom {
                region: name.to_string(),
                endpoint,
            })
        }
        None => name
            .parse()
            .map_err(|e| format!("ACADEMY_S3_REGION {name:?}: {e}")),
    }
}

fn bucket(settings: &S3Settings, endpoint: Option<&str>) -> Result<Box<Bucket>, String> {
    let credentials = Credentials::new(
        Some(&settings.access_key),
        Some(&settings.secret_key),
        None,
        None,
        None,
    )
    .map_err(|e| format!("S3 credentials: {e}"))?;
    let mut bucket = Bucket::new(
        &settings.bucket,
        region(&settings.region, endpoint)?,
        credentials,
    )
    .map_err(|e| format!("S3 bucket {:?}: {e}", settings.bucket))?;
    if settings.path_style {
        bucket.set_path_style();
    } else {
        bucket.set_subdomain_style();
    }
    bucket.set_request_timeout(Some(settings.timeout));
    if let Some(proxy) = &settings.proxy {
        let proxy = reqwest::Proxy::all(proxy).map_err(|e| format!("S3 proxy {proxy:?}: {e}"))?;
        bucket = Box::new(
            bucket
                .set_proxy(proxy)
                .map_err(|e| format!("S3 proxy: {e}"))?,
        );
    }
    Ok(bucket)
}

impl S3Store {
    pub fn from_config(config: &Config) -> Result<Self, String> {
        S3Store::new(&S3Settings::from_config(config)?)
    }

    pub fn new(settings: &S3Settings) -> Result<Self, String> {
        if settings.bucket.trim().is_empty() {
            return Err("ACADEMY_S3_BUCKET is empty".into());
        }
        let main = bucket(settings, settings.endpoint.as_deref())?;
        let public = match &settings.public_endpoint {
            Some(p) => Some(bucket(settings, Some(p))?),
            None => None,
        };
        let connect_to = match &settings.proxy {
            Some(proxy) => host_port(proxy),
            None => host_port(&main.url()),
        };
        Ok(S3Store {
            endpoint: settings
                .endpoint
                .clone()
                .unwrap_or_else(|| format!("AWS region {}", settings.region)),
            bucket: main,
            public,
            request_timeout: settings.timeout,
            connect_timeout: settings.connect_timeout,
            connect_to,
            last_contact: Mutex::new(None),
        })
    }

    fn touch(&self) {
        if let Ok(mut last) = self.last_contact.lock() {
            *last = Some(Instant::now());
        }
    }

    fn heard_lately(&self) -> bool {
        self.last_contact
            .lock()
            .ok()
            .and_then(|last| *last)
            .is_some_and(|t| t.elapsed() < CONTACT_FRESH)
    }

    fn unreachable(&self, why: String) -> StorageError {
        StorageError::Unavailable(format!(
            "cannot reach the S3 endpoint {} ({why}): check ACADEMY_S3_ENDPOINT and that the \
             server is running",
            self.endpoint
        ))
    }

    /// The connect timeout: open (and drop) a TCP connection unless the endpoint answered
    /// in the last few seconds.
    async fn reachable(&self) -> StorageResult<()> {
        let Some(addr) = &self.connect_to else {
            return Ok(());
        };
        if self.heard_lately() {
            return Ok(());
        }
        match tokio::time::timeout(self.connect_timeout, tokio::net::TcpStream::connect(addr)).await
        {
            Ok(Ok(_)) => {
                self.touch();
                Ok(())
            }
            Ok(Err(e)) => Err(self.unreachable(format!("connection failed: {e}"))),
            Err(_) => Err(self.unreachable(format!(
                "no connection within {:.1} s",
                self.connect_timeout.as_secs_f64()
            ))),
        }
    }

    /// One request (with rust-s3's own retry) within the request timeout. The outer error is
    /// ours (unreachable, timed out); the inner one is the endpoint's, for the caller to
    /// [`S3Store::explain`].
    async fn within<T>(
        &self,
        request: impl Future<Output = Result<T, S3Error>>,
    ) -> StorageResult<Result<T, S3Error>> {
        self.reachable().await?;
        match tokio::time::timeout(self.request_timeout, request).await {
            Ok(result) => {
                if result.is_ok() || matches!(result, Err(S3Error::HttpFailWithBody(..))) {
                    self.touch();
                }
                Ok(result)
            }
            Err(_) => Err(self.unreachable(format!(
                "no answer within {:.1} s",
                self.request_timeout.as_secs_f64()
            ))),
        }
    }

    /// Is the bucket there? One listing of at most one key.
    async fn check_bucket(&self) -> StorageResult<()> {
        self.within(
            self.bucket
                .list_page(String::new(), None, None, None, Some(1)),
        )
        .await?
        .map(|_| ())
        .map_err(|e| match self.explain("checking the bucket", e) {
            // A 404 on the bucket's listing is a missing bucket, whatever the body says.
            StorageError::NotFound => self.no_bucket(),
            other => other,
        })
    }

    fn no_bucket(&self) -> StorageError {
        StorageError::Unavailable(format!(
            "the bucket {:?} does not exist at {} (create it, or check ACADEMY_S3_BUCKET)",
            self.bucket.name(),
            self.endpoint
        ))
    }

    /// A 404 without an S3 error code (HEAD answers carry no body): a missing object, or a
    /// missing bucket? Ask the bucket.
    async fn not_found_or_no_bucket(&self) -> StorageResult<()> {
        self.check_bucket().await
    }

    /// The bucket's base URL as the server uses it (path- or virtual-host style).
    pub fn url(&self) -> String {
        self.bucket.url()
    }

    /// Turn a client error into what an operator or the routes need to know.
    fn explain(&self, what: &str, e: S3Error) -> StorageError {
        let name = self.bucket.name();
        match e {
            S3Error::HttpFailWithBody(status, body) => {
                let code = xml_code(&body);
                match (status, code.as_deref()) {
                    (404, Some("NoSuchBucket")) => self.no_bucket(),
                    (404, _) => StorageError::NotFound,
                    (
                        403,
                        Some(
                            c @ ("InvalidAccessKeyId"
                            | "SignatureDoesNotMatch"
                            | "InvalidSignature"
                            | "AccessDenied"
                            | "NotSignedUp"),
                        ),
                    ) => StorageError::Unavailable(format!(
                        "{} refused the credentials for bucket {name:?} ({c}): check \
                         ACADEMY_S3_ACCESS_KEY and ACADEMY_S3_SECRET_KEY",
                        self.endpoint
                    )),
                    (
                        301 | 400,
                        Some(c @ ("PermanentRedirect" | "AuthorizationHeaderMalformed")),
                    ) => StorageError::Unavailable(format!(
                        "{} answered {c} for bucket {name:?}: check ACADEMY_S3_REGION",
                        self.endpoint
                    )),
                    (status, code) => StorageError::Unavailable(format!(
                        "{what}: {} answered HTTP {status}{}",
                        self.endpoint,
                        code.map(|c| format!(" ({c})")).unwrap_or_default()
                    )),
                }
            }
            S3Error::Reqwest(e) if e.is_connect() || e.is_timeout() => {
                self.unreachable(if e.is_timeout() {
                    format!(
                        "no answer within {:.1} s",
                        self.request_timeout.as_secs_f64()
                    )
                } else {
                    "connection failed".into()
                })
            }
            other => StorageError::Unavailable(format!("{what}: {other}")),
        }
    }
}

/// The `<Code>` of an S3 XML error body.
fn xml_code(body: &str) -> Option<String> {
    let start = body.find("<Code>")? + "<Code>".len();
    let end = body[start..].find("</Code>")? + start;
    Some(body[start..end].trim().to_string())
}

#[rocket::async_trait]
impl ObjectStore for S3Store {
    fn kind(&self) -> StoreKind {
        StoreKind::S3
    }

    async fn check(&self) -> StorageResult<()> {
        self.check_bucket().await
    }

    async fn put_reader(
        &self,
        key: &str,
        reader: &mut (dyn AsyncRead + Send + Unpin),
        content_type: &str,
        expected_sha256: Option<&str>,
    ) -> StorageResult<Written> {
        check_key(key)?;
        let mut hashing = HashingReader::new(reader);
        let mut request = self
            .bucket
            .put_object_stream_builder(key)
            .with_content_type(content_type);
        if let Some(sha) = expected_sha256 {
            request = request
                .with_metadata("sha256", sha)
                .map_err(|e| StorageError::Unavailable(format!("metadata: {e}")))?;
        }
        self.reachable().await?;
        // Not cut from outside (see the module docs): each request has the request timeout.
        request
            .execute_stream(&mut hashing)
            .await
            .map_err(|e| self.explain(&format!("writing {key}"), e))?;
        self.touch();
        let written = hashing.finish();
        if let Some(expected) = expected_sha256 {
            if !expected.eq_ignore_ascii_case(&written.sha256) {
                let _ = self.delete(key).await;
                return Err(StorageError::Integrity(format!(
                    "{key}: SHA-256 {} differs from the expected {expected}",
                    written.sha256
                )));
            }
        }
        Ok(written)
    }

    async fn open(&self, key: &str, range: Option<ByteRange>) -> StorageResult<(u64, Reader)> {
        check_key(key)?;
        let size = self.head(key).await?.ok_or(StorageError::NotFound)?.size;
        match range {
            Some(r) if r.len == 0 => Ok((size, Box::pin(std::io::Cursor::new(Vec::new())))),
            Some(r) => {
                let data = self
                    .within(
                        self.bucket
                            .get_object_range(key, r.start, Some(r.start + r.len - 1)),
                    )
                    .await?
                    .map_err(|e| self.explain(&format!("reading {key}"), e))?;
                Ok((size, Box::pin(std::io::Cursor::new(data.to_vec()))))
            }
            None => {
                let stream = self
                    .within(self.bucket.get_object_stream(key))
                    .await?
                    .map_err(|e| self.explain(&format!("reading {key}"), e))?;
                Ok((size, Box::pin(StreamReader::new(stream.bytes))))
            }
        }
    }

    async fn head(&self, key: &str) -> StorageResult<Option<ObjectMeta>> {
        check_key(key)?;
        match self.within(self.bucket.head_object(key)).await? {
            Ok((head, _)) => Ok(Some(ObjectMeta {
                key: key.to_string(),
                size: head.content_length.unwrap_or(0).max(0) as u64,
                sha256: head.metadata.and_then(|m| m.get("sha256").cloned()),
            })),
            Err(e) => match self.explain(&format!("reading {key}"), e) {
                StorageError::NotFound => {
                    self.not_found_or_no_bucket().await?;
                    Ok(None)
                }
                other => Err(other),
            },
        }
    }

    async fn delete(&self, key: &str) -> StorageResult<()> {
        check_key(key)?;
        match self.within(self.bucket.delete_object(key)).await? {
            Ok(_) => Ok(()),
            Err(e) => match self.explain(&format!("deleting {key}"), e) {
                StorageError::NotFound => self.not_found_or_no_bucket().await,
                other => Err(other),
            },
        }
    }

    async fn list(&self, prefix: &str) -> StorageResult<Vec<ObjectMeta>> {
        let pages = self
            .within(self.bucket.list(prefix.to_string(), None))
            .await?
            .map_err(|e| self.explain("listing", e))?;
        let mut out: Vec<ObjectMeta> = pages
            .into_iter()
            .flat_map(|p| p.contents)
            .map(|o| ObjectMeta {
                key: o.key,
                size: o.size,
                sha256: None,
            })
            .collect();
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    async fn abort_incomplete_uploads(
        &self,
        prefix: &str,
        older_than: i64,
    ) -> StorageResult<usize> {
        let listed = self
            .within(
                self.bucket
                    .list_multiparts_uploads((!prefix.is_empty()).then_some(prefix), None),
            )
            .await?;
        let pages = match listed {
            Ok(pages) => pages,
            // A store without multipart listing (minimal S3 servers answer 501) has nothing
            // this sweep can find: not an outage.
            Err(S3Error::HttpFailWithBody(501, _)) => {
                tracing::debug!(endpoint = %self.endpoint, "the store does not list multipart uploads");
                return Ok(0);
            }
            Err(e) => return Err(self.explain("listing incomplete uploads", e)),
        };
        let mut aborted = 0;
        for upload in pages.into_iter().flat_map(|p| p.uploads) {
            if !upload.key.starts_with(prefix) {
                continue;
            }
            let initiated = crate::clock::parse_rfc3339(&upload.initiated);
            let old = match initiated {
                Some(t) => t < older_than,
                // When in doubt, only a cleanup of everything under the prefix takes it.
                None => older_than == i64::MAX,
            };
            if !old {
                continue;
            }
            match self
                .within(self.bucket.abort_upload(&upload.key, &upload.id))
                .await?
            {
                Ok(()) => aborted += 1,
                Err(e) => match self.explain(&format!("aborting an upload of {}", upload.key), e) {
                    // Gone already (another process, or S3 itself, finished it).
                    StorageError::NotFound => {}
                    other => return Err(other),
                },
            }
        }
        Ok(aborted)
    }

    async fn presign_get(
        &self,
        key: &str,
        how: &Presentation<'_>,
    ) -> StorageResult<Option<String>> {
        check_key(key)?;
        let mut queries = HashMap::new();
        queries.insert(
            "response-content-disposition".to_string(),
            how.content_disposition.to_string(),
        );
        queries.insert(
            "response-content-type".to_string(),
            how.content_type.to_string(),
        );
        let signer = self.public.as_ref().unwrap_or(&self.bucket);
        signer
            .presign_get(key, how.expires_seconds, Some(queries))
            .await
            .map(Some)
            .map_err(|e| self.explain("presigning", e))
    }
}

/// An `AsyncRead` over a stream of byte chunks (rust-s3's streamed GET).
struct StreamReader<S, B> {
    stream: S,
    chunk: Option<B>,
    pos: usize,
}

impl<S, B> StreamReader<S, B> {
    fn new(stream: S) -> Self {
        StreamReader {
            stream,
            chunk: None,
            pos: 0,
        }
    }
}

impl<S, B, E> AsyncRead for StreamReader<S, B>
where
    S: Stream<Item = Result<B, E>> + Unpin,
    B: AsRef<[u8]> + Unpin,
    E: std::fmt::Display,
{
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        loop {
            let this = &mut *self;
            if let Some(chunk) = &this.chunk {
                let rest = &chunk.as_ref()[this.pos..];
                if !rest.is_empty() {
                    let n = rest.len().min(buf.remaining());
                    buf.put_slice(&rest[..n]);
                    this.pos += n;
                    return Poll::Ready(Ok(()));
                }
                this.chunk = None;
                this.pos = 0;
            }
            match Pin::new(&mut this.stream).poll_next(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    this.chunk = Some(chunk);
                }
                Poll::Ready(Some(Err(e))) => {
                    return Poll::Ready(Err(std::io::Error::other(e.to_string())))
                }
                Poll::Ready(None) => return Poll::Ready(Ok(())),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(path_style: bool) -> S3Settings {
        S3Settings {
            bucket: "academy".into(),
            endpoint: Some("http://s3.internal:9000".into()),
            public_endpoint: Some("https://files.example.org".into()),
            region: "garage".into(),
            access_key: "AK".into(),
            secret_key: "SECRET-VALUE".into(),
            path_style,
            timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(2),
            proxy: None,
        }
    }

    #[test]
    fn addressing_styles() {
        let path = S3Store::new(&settings(true)).unwrap();
        assert_eq!(path.url(), "http://s3.internal:9000/academy");
        let vhost = S3Store::new(&settings(false)).unwrap();
        assert_eq!(vhost.url(), "http://academy.s3.internal:9000");
    }

    #[tokio::test]
    async fn presigned_urls_use_the_public_endpoint() {
        let store = S3Store::new(&settings(true)).unwrap();
        let url = store
            .presign_get(
                "materials/abc",
                &Presentation {
                    content_type: "application/pdf",
                    content_disposition: "attachment; filename=\"a.pdf\"",
                    expires_seconds: 60,
                },
            )
            .await
            .unwrap()
            .unwrap();
        assert!(
            url.starts_with("https://files.example.org/academy/materials/abc?"),
            "{url}"
        );
        assert!(url.contains("response-content-disposition="), "{url}");
        assert!(url.contains("X-Amz-Expires=60"), "{url}");
    }

    #[test]
    fn secrets_stay_out_of_debug_and_endpoints_are_checked() {
        assert!(!format!("{:?}", settings(true)).contains("SECRET-VALUE"));
        let mut s = settings(true);
        s.endpoint = Some("s3.internal:9000".into());
        let err = S3Store::new(&s).err().expect("refused");
        assert!(err.contains("http://"), "{err}");
    }

    #[test]
    fn error_codes_are_read_from_xml() {
        assert_eq!(
            xml_code("<Error><Code>NoSuchBucket</Code><Message>x</Message></Error>").as_deref(),
            Some("NoSuchBucket")
        );
        assert_eq!(xml_code(""), None);
    }
}

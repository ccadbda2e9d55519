//! What every reader of a course gets the same: the catalogue and module pages, as JSON bytes
//! per language, kept in the process and served with an `ETag`.
//!
//! - An entry is valid for one content generation: a number in the database (table
//!   `content_generation`) that every import changes in the transaction that writes the
//!   content. The access-token check reads it with the user (`CurrentUser::content_generation`),
//!   so a cached page costs no statement of its own. The handler builds the page only when the
//!   entry is missing or was built at another generation, so an import by any process shows
//!   on the next request. The generation is read before the content: an entry is never older
//!   than the generation it is kept for.
//! - The `ETag` is a hash of the bytes: `If-None-Match` gets a 304 without a body.
//! - Entries are keyed by what exists (a course and module found, a validated language), so
//!   the map stays small; it is emptied should it ever pass [`MAX_ENTRIES`].

use std::io::Cursor;
use std::sync::Arc;

use rocket::http::{ContentType, Header, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::{self, Responder, Response};
use sha2::{Digest, Sha256};

use crate::memo::Memo;

/// Most entries kept at once.
pub const MAX_ENTRIES: usize = 4096;

/// One cached page.
pub struct Entry {
    version: i64,
    pub etag: String,
    pub body: Arc<[u8]>,
}

pub struct ContentCache {
    entries: Memo<Arc<Entry>>,
}

impl Default for ContentCache {
    fn default() -> Self {
        ContentCache {
            entries: Memo::new(MAX_ENTRIES),
        }
    }
}

impl ContentCache {
    /// The entry of `key` if it was built from `version`.
    pub fn get(&self, key: &str, version: i64) -> Option<Arc<Entry>> {
        self.entries.get(key).filter(|e| e.version == version)
    }

    /// Keep `body` as the entry of `key` for `version`.
    pub fn put(&self, key: String, version: i64, body: Vec<u8>) -> Arc<Entry> {
        let etag = format!("\"{}\"", &hex::encode(Sha256::digest(&body))[..32]);
        let entry = Arc::new(Entry {
            version,
            etag,
            body: body.into(),
        });
        self.entries.insert(key, entry.clone());
        entry
    }
}

/// The request's `If-None-Match` entity tags.
pub struct IfNoneMatch(Option<String>);

impl IfNoneMatch {
    /// Whether `etag` is one of them (weak comparison, `*` matches any).
    pub fn matches(&self, etag: &str) -> bool {
        let Some(header) = &self.0 else {
            return false;
        };
        let bare = |t: &str| t.trim().trim_start_matches("W/").to_string();
        header
            .split(',')
            .any(|t| t.trim() == "*" || bare(t) == bare(etag))
    }
}

/// Request guard: the process's page cache with the request's `If-None-Match`, so a handler
/// answers from the cache, or builds the page and keeps it, in one call each.
pub struct Pages<'r> {
    cache: &'r ContentCache,
    if_none_match: IfNoneMatch,
}

impl Pages<'_> {
    /// The cached answer for `key` built from `version`, if there is one.
    pub fn cached(&self, key: &str, version: i64) -> Option<CachedJson> {
        self.cache
            .get(key, version)
            .map(|entry| CachedJson::answer(entry, &self.if_none_match))
    }

    /// Keep `body` for `key` and `version`, and answer with it.
    pub fn keep(&self, key: String, version: i64, body: Vec<u8>) -> CachedJson {
        CachedJson::answer(self.cache.put(key, version, body), &self.if_none_match)
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Pages<'r> {
    type Error = crate::error::Error;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let Some(cache) = req.rocket().state::<ContentCache>() else {
            let e = crate::error::Error::internal("pages", "the page cache is not managed");
            return Outcome::Error((Status::InternalServerError, e));
        };
        Outcome::Success(Pages {
            cache,
            if_none_match: IfNoneMatch(req.headers().get_one("If-None-Match").map(str::to_string)),
        })
    }
}

/// A cached page as an answer: the JSON, or 304 when the client has it.
pub struct CachedJson {
    pub entry: Arc<Entry>,
    pub not_modified: bool,
}

impl CachedJson {
    pub fn answer(entry: Arc<Entry>, if_none_match: &IfNoneMatch) -> CachedJson {
        CachedJson {
            not_modified: if_none_match.matches(&entry.etag),
            entry,
        }
    }
}

impl<'r> Responder<'r, 'static> for CachedJson {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let mut response = Response::build();
        response
            .header(Header::new("ETag", self.entry.etag.clone()))
            // The same for every reader, yet only for signed-in ones: no shared caches, and
            // a browser asks again (cheaply, with If-None-Match) each time.
            .header(Header::new("Cache-Control", "private, no-cache"));
        if self.not_modified {
            response.status(Status::NotModified);
        } else {
            let body = self.entry.body.clone();
            response
                .header(ContentType::JSON)
                .sized_body(body.len(), Cursor::new(body));
        }
        response.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_for_one_version() {
        let cache = ContentCache::default();
        assert!(cache.get("k", 1).is_none());
        let a = cache.put("k".into(), 1, b"{}".to_vec());
        assert_eq!(cache.get("k", 1).unwrap().etag, a.etag);
        assert!(cache.get("k", 2).is_none());
        let b = cache.put("k".into(), 2, b"{\"a\":1}".to_vec());
        assert_ne!(a.etag, b.etag);
        assert!(cache.get("k", 1).is_none());
    }

    #[test]
    fn if_none_match_compares_weakly_and_lists() {
        let tags = |h: &str| IfNoneMatch(Some(h.to_string()));
        assert!(tags("\"abc\"").matches("\"abc\""));
        assert!(tags("W/\"abc\"").matches("\"abc\""));
        assert!(tags("\"x\", \"abc\"").matches("\"abc\""));
        assert!(tags("*").matches("\"abc\""));
        assert!(!tags("\"abd\"").matches("\"abc\""));
        assert!(!IfNoneMatch(None).matches("\"abc\""));
    }

    #[test]
    fn the_map_stays_bounded() {
        let cache = ContentCache::default();
        for i in 0..MAX_ENTRIES + 10 {
            cache.put(format!("k{i}"), 1, vec![1]);
        }
        assert!(cache.entries.len() <= MAX_ENTRIES);
    }
}

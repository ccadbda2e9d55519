//! The folder store: one file per object under a root folder (default `data_dir/objects`).
//!
//! Writes go to `root/.tmp/<uuid>` first and are renamed into place once complete and synced,
//! so a reader never sees a partial object. Keys never start a segment with `.`, so the
//! temporary folder cannot collide with an object.

use std::io::SeekFrom;
use std::path::{Path, PathBuf};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use super::{
    check_key, ByteRange, HashingReader, ObjectMeta, ObjectStore, Reader, StorageError,
    StorageResult, StoreKind, Written,
};

pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalStore { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, key: &str) -> StorageResult<PathBuf> {
        check_key(key)?;
        Ok(self.root.join(key))
    }

    fn tmp_dir(&self) -> PathBuf {
        self.root.join(".tmp")
    }
}

fn unavailable(what: &str, e: std::io::Error) -> StorageError {
    StorageError::Unavailable(format!("{what}: {e}"))
}

fn read_error(key: &str, e: std::io::Error) -> StorageError {
    if e.kind() == std::io::ErrorKind::NotFound {
        StorageError::NotFound
    } else {
        unavailable(&format!("reading {key}"), e)
    }
}

#[rocket::async_trait]
impl ObjectStore for LocalStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Folder
    }

    async fn check(&self) -> StorageResult<()> {
        let tmp = self.tmp_dir();
        tokio::fs::create_dir_all(&tmp)
            .await
            .map_err(|e| unavailable(&format!("folder {}", self.root.display()), e))?;
        let probe = tmp.join(format!("probe-{}", uuid::Uuid::new_v4().simple()));
        tokio::fs::write(&probe, b"ok").await.map_err(|e| {
            unavailable(
                &format!("folder {} is not writable", self.root.display()),
                e,
            )
        })?;
        let _ = tokio::fs::remove_file(&probe).await;
        Ok(())
    }

    async fn put_reader(
        &self,
        key: &str,
        reader: &mut (dyn AsyncRead + Send + Unpin),
        _content_type: &str,
        expected_sha256: Option<&str>,
    ) -> StorageResult<Written> {
        let dest = self.path(key)?;
        let tmp_dir = self.tmp_dir();
        tokio::fs::create_dir_all(&tmp_dir)
            .await
            .map_err(|e| unavailable("creating the temporary folder", e))?;
        let tmp = tmp_dir.join(uuid::Uuid::new_v4().simple().to_string());
        let result = async {
            let mut file = tokio::fs::File::create(&tmp)
                .await
                .map_err(|e| unavailable("creating a temporary file", e))?;
            let mut hashing = HashingReader::new(reader);
            tokio::io::copy(&mut hashing, &mut file)
                .await
                .map_err(|e| unavailable(&format!("writing {key}"), e))?;
            file.flush()
                .await
                .map_err(|e| unavailable(&format!("writing {key}"), e))?;
            file.sync_all()
                .await
                .map_err(|e| unavailable(&format!("syncing {key}"), e))?;
            let written = hashing.finish();
            if let Some(expected) = expected_sha256 {
                if !expected.eq_ignore_ascii_case(&written.sha256) {
                    return Err(StorageError::Integrity(format!(
                        "{key}: SHA-256 {} differs from the expected {expected}",
                        written.sha256
                    )));
                }
            }
            if let Some(parent) = dest.parent() {
                tokio::fs::create_dir_all(parent)
                    .await
                    .map_err(|e| unavailable(&format!("creating the folder of {key}"), e))?;
            }
            tokio::fs::rename(&tmp, &dest)
                .await
                .map_err(|e| unavailable(&format!("moving {key} into place"), e))?;
            Ok(written)
        }
        .await;
        if result.is_err() {
            let _ = tokio::fs::remove_file(&tmp).await;
        }
        result
    }

    async fn open(&self, key: &str, range: Option<ByteRange>) -> StorageResult<(u64, Reader)> {
        let path = self.path(key)?;
        let mut file = tokio::fs::File::open(&path)
            .await
            .map_err(|e| read_error(key, e))?;
        let size = file.metadata().await.map_err(|e| read_error(key, e))?.len();
        match range {
            None => Ok((size, Box::pin(tokio::io::BufReader::new(file)))),
            Some(r) => {
                file.seek(SeekFrom::Start(r.start))
                    .await
                    .map_err(|e| read_error(key, e))?;
                Ok((size, Box::pin(tokio::io::BufReader::new(file).take(r.len))))
            }
        }
    }

    async fn head(&self, key: &str) -> StorageResult<Option<ObjectMeta>> {
        let path = self.path(key)?;
        match tokio::fs::metadata(&path).await {
            Ok(m) if m.is_file() => Ok(Some(ObjectMeta {
                key: key.to_string(),
                size: m.len(),
                sha256: None,
            })),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // A missing object, or a missing store? Tell them apart.
                match tokio::fs::metadata(&self.root).await {
                    Ok(m) if m.is_dir() => Ok(None),
                    _ => Err(StorageError::Unavailable(format!(
                        "folder {} is missing",
                        self.root.display()
                    ))),
                }
            }
            Err(e) => Err(read_error(key, e)),
        }
    }

    async fn delete(&self, key: &str) -> StorageResult<()> {
        let path = self.path(key)?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                match tokio::fs::metadata(&self.root).await {
                    Ok(m) if m.is_dir() => Ok(()),
                    _ => Err(StorageError::Unavailable(format!(
                        "folder {} is missing",
                        self.root.display()
                    ))),
                }
            }
            Err(e) => Err(unavailable(&format!("deleting {key}"), e)),
        }
    }

    async fn list(&self, prefix: &str) -> StorageResult<Vec<ObjectMeta>> {
        let root = self.root.clone();
        let prefix = prefix.to_string();
        tokio::task::spawn_blocking(move || walk(&root, &prefix))
            .await
            .map_err(|e| StorageError::Unavailable(format!("listing: {e}")))?
    }

    /// The folder store's incomplete writes are its temporary files (a crash mid-write leaves
    /// one). They carry no key, so only a sweep of everything (`prefix` empty) takes them.
    async fn abort_incomplete_uploads(
        &self,
        prefix: &str,
        older_than: i64,
    ) -> StorageResult<usize> {
        if !prefix.is_empty() {
            return Ok(0);
        }
        let tmp = self.tmp_dir();
        tokio::task::spawn_blocking(move || remove_stale_temporary_files(&tmp, older_than))
            .await
            .map_err(|e| StorageError::Unavailable(format!("sweeping temporary files: {e}")))?
    }
}

fn remove_stale_temporary_files(tmp: &Path, older_than: i64) -> StorageResult<usize> {
    let entries = match std::fs::read_dir(tmp) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(unavailable(&format!("listing {}", tmp.display()), e)),
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let modified = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        if modified.is_some_and(|t| t < older_than) && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    Ok(removed)
}

fn walk(root: &Path, prefix: &str) -> StorageResult<Vec<ObjectMeta>> {
    let mut out = Vec::new();
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, rel)) = stack.pop() {
        let entries = std::fs::read_dir(&dir)
            .map_err(|e| unavailable(&format!("listing {}", dir.display()), e))?;
        for entry in entries {
            let entry = entry.map_err(|e| unavailable("listing", e))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.starts_with('.') {
                continue;
            }
            let key = if rel.is_empty() {
                name.to_string()
            } else {
                format!("{rel}/{name}")
            };
            let ty = entry.file_type().map_err(|e| unavailable("listing", e))?;
            if ty.is_dir() {
                stack.push((entry.path(), key));
            } else if ty.is_file() && key.starts_with(prefix) && check_key(&key).is_ok() {
                let size = entry
                    .metadata()
                    .map_err(|e| unavailable("listing", e))?
                    .len();
                out.push(ObjectMeta {
                    key,
                    size,
                    sha256: None,
                });
            }
        }
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(out)
}

//! `academy storage migrate`: copy every object of one store into another (the folder store
//! into S3, for a hub that starts embedded and moves to S3 later).
//!
//! Resumable: an object already at the destination with the same SHA-256 is skipped, so an
//! interrupted run can simply be started again. Verified: each copy carries its SHA-256 as
//! metadata, is hashed while it streams, and is read back and hashed once more; a copy that
//! does not match is removed and reported.

use super::{ObjectStore, ObjectStoreExt, StorageError, StorageResult};

/// What happened to one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Copied { key: String, size: u64 },
    Skipped { key: String },
    Failed { key: String, error: String },
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub copied: u64,
    pub skipped: u64,
    pub bytes: u64,
    pub failed: Vec<(String, String)>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.failed.is_empty()
    }
}

/// Copy all objects of `from` into `to`, telling `progress` about each one. Only a failure
/// to list the source aborts the run; per-object failures are reported and the run goes on.
pub async fn migrate(
    from: &dyn ObjectStore,
    to: &dyn ObjectStore,
    mut progress: impl FnMut(&Step),
) -> StorageResult<Report> {
    to.check().await?;
    let objects = from.list("").await?;
    let mut report = Report::default();
    for object in objects {
        let step = match copy_one(from, to, &object.key).await {
            Ok(Some(size)) => {
                report.copied += 1;
                report.bytes += size;
                Step::Copied {
                    key: object.key.clone(),
                    size,
                }
            }
            Ok(None) => {
                report.skipped += 1;
                Step::Skipped {
                    key: object.key.clone(),
                }
            }
            Err(e) => {
                report.failed.push((object.key.clone(), e.to_string()));
                Step::Failed {
                    key: object.key.clone(),
                    error: e.to_string(),
                }
            }
        };
        progress(&step);
    }
    Ok(report)
}

/// `Some(size)` when copied, `None` when the destination already had a verified copy.
async fn copy_one(
    from: &dyn ObjectStore,
    to: &dyn ObjectStore,
    key: &str,
) -> StorageResult<Option<u64>> {
    let source = from.digest(key).await?;
    if let Some(existing) = to.head(key).await? {
        if existing.size == source.size {
            let same = match &existing.sha256 {
                Some(sha) => sha.eq_ignore_ascii_case(&source.sha256),
                None => to.digest(key).await?.sha256 == source.sha256,
            };
            if same {
                return Ok(None);
            }
        }
    }
    let (_, mut reader) = from.open(key, None).await?;
    // The content type is not kept by the folder store; the metadata rows know the real one
    // and downloads always pass it explicitly.
    to.put_reader(
        key,
        &mut reader,
        "application/octet-stream",
        Some(&source.sha256),
    )
    .await?;
    let copy = to.digest(key).await?;
    if copy.sha256 != source.sha256 || copy.size != source.size {
        let _ = to.delete(key).await;
        return Err(StorageError::Integrity(format!(
            "{key}: the copy reads back as {} bytes, SHA-256 {}; the source has {} bytes, {}",
            copy.size, copy.sha256, source.size, source.sha256
        )));
    }
    Ok(Some(source.size))
}

/// The `academy storage migrate` command: folder store (`data_dir/objects`) into the
/// configured S3 bucket.
pub async fn run(
    config: &crate::config::Config,
    progress: impl FnMut(&Step),
) -> Result<Report, String> {
    if !config.s3_configured() {
        return Err(
            "no S3 bucket configured: set ACADEMY_S3_BUCKET, ACADEMY_S3_ENDPOINT, \
             ACADEMY_S3_ACCESS_KEY and ACADEMY_S3_SECRET_KEY (and ACADEMY_S3_REGION, \
             ACADEMY_S3_PATH_STYLE as needed)"
                .into(),
        );
    }
    let root = config.data_path("objects");
    if !root.is_dir() {
        return Err(format!(
            "the folder store {} does not exist: nothing to migrate (check ACADEMY_DATA_DIR)",
            root.display()
        ));
    }
    let from = super::local::LocalStore::new(root);
    let mut settings = super::s3::S3Settings::from_config(config)?;
    // Copies stream whole objects (up to the upload limit) in one request each: the request
    // timeout meant for the app's short requests would cut large ones.
    settings.timeout = settings.timeout.max(std::time::Duration::from_secs(600));
    let to = super::s3::S3Store::new(&settings)?;
    migrate(&from, &to, progress)
        .await
        .map_err(|e| e.to_string())
}

//! Course materials: files coordinators attach to courses (slide decks, PDF guides, templates,
//! spreadsheets, short videos) and learners download.
//!
//! The bytes live in the [`ObjectStore`] under a generated key (`materials/<uuid>`); the
//! metadata lives in `materials`. The two are kept in step so that a failure on either side
//! leaves neither behind: the row is written first as `pending` (never shown), then the
//! object, then the row turns `ready`; any failure removes the object, aborts any incomplete
//! multipart upload of its key, and then removes the row. Whatever a crash or an outage leaves
//! half-way is removed by a periodic sweep ([`sweep`], [`stage`]) that several processes may
//! run at once: each piece of work is claimed by one conditional statement.

pub mod disposition;
pub mod range;
mod routes;
mod service;
pub mod sniff;
mod store;
mod sweep;

pub use routes::{routes, Doc};
pub use service::{remove, upload, UploadRequest};
pub use store::{Deleter, Material};
pub use sweep::{stage, sweep, sweep_all, SweepPolicy, Swept};

use crate::error::Result;

/// The other features' lookups this feature relies on.
mod lookups {
    pub use crate::courses::course_id;
    pub use crate::progress::is_enrolled;
}

/// The ready materials of a course, for the course endpoint's `materials: [...]`.
pub async fn list_for_course<'c>(
    db: impl sqlx::Executor<'c, Database = sqlx::Any>,
    course_id: i64,
) -> Result<Vec<Material>> {
    store::list_ready(db, course_id).await
}

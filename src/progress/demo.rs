//! `academy demo`: a few learners who finished courses (some last quarter), with their
//! certificates, and others part-way, so a coordinator's dashboard is alive on first start.
//! Idempotent: enrolments and completions are created once.

use std::collections::BTreeMap;

use sqlx::{AnyPool, Connection};

use super::store;
use crate::clock::now;
use crate::error::{Context, Result};

const DAY: i64 = 86_400;

/// `Some((score, days ago))` when the course is completed.
type Done = Option<(i64, i64)>;

/// (learner email, course slug, completion)
const PLAN: [(&str, &str, Done); 8] = [
    (
        "uxia@xenogen.example",
        "international-markets",
        Some((92, 38)),
    ),
    ("uxia@xenogen.example", "financing-growth", None),
    (
        "begona@mareapeptides.example",
        "financing-growth",
        Some((85, 120)),
    ),
    (
        "begona@mareapeptides.example",
        "open-innovation-ip",
        Some((78, 12)),
    ),
    (
        "joao@celulaviva.example",
        "open-innovation-ip",
        Some((88, 64)),
    ),
    (
        "conceicao@algatec.example",
        "international-talent",
        Some((96, 7)),
    ),
    ("conceicao@algatec.example", "international-markets", None),
    ("emma@olivia-agro.example", "financing-growth", None),
];

#[derive(Debug, Default, Clone)]
pub struct Seeded {
    pub enrolments: usize,
    pub certificates: usize,
}

/// Seed completions and certificates for the demo learners in `users` (email -> id). Courses
/// that are not imported are skipped.
pub async fn seed(db: &AnyPool, users: &BTreeMap<String, i64>) -> Result<Seeded> {
    let mut seeded = Seeded::default();
    let now = now();
    for (email, slug, done) in PLAN {
        let mut conn = db.acquire().await.context("demo completions")?;
        let (Some(&user), Ok(course)) = (
            users.get(email),
            crate::courses::course_id(&mut *conn, slug).await,
        ) else {
            continue;
        };
        let days = done.map_or(5, |(_, d)| d);
        if store::enrol(&mut conn, user, course, now - (days + 9) * DAY).await? {
            seeded.enrolments += 1;
        }
        let Some((score, days)) = done else {
            continue;
        };
        let at = now - days * DAY;
        let mut tx = conn.begin().await.context("demo completions")?;
        for module in store::demo_module_ids(&mut tx, course).await? {
            store::complete_module(&mut tx, user, course, module, at - DAY).await?;
        }
        store::record_quiz(&mut tx, user, course, score, true, at).await?;
        if let Some(completion) =
            store::insert_completion(&mut tx, user, course, at, Some(score)).await?
        {
            crate::certificates::issue_in_tx(&mut tx, completion, None).await?;
            seeded.certificates += 1;
        }
        tx.commit().await.context("demo completions")?;
    }
    // Completions recorded before certificates existed get theirs now.
    seeded.certificates += crate::certificates::issue_missing(db).await?;
    Ok(seeded)
}

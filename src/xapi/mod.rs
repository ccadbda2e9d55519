//! xAPI: learning activity reported to a learning record store (LRS), off unless
//! `ACADEMY_XAPI_ENDPOINT` is set. Statements are written to the same outbox as email, in the
//! transaction of the event they report (a module read, a quiz graded, a course completed, an
//! advisory session attended), and delivered by their own worker (`lrs.rs`) with the outbox's
//! leases and retries: `PUT statements?statementId=<id>`, where the id is a UUID v5 of the event,
//! so a retry, a second worker or the same event queued twice never makes two statements.
//!
//! Personal data: by default a learner is `user-<id>` on the hub's home page (no name, no
//! address); `ACADEMY_XAPI_SHARE_IDENTITY=true` sends their name and email address instead.
//! The SME and the partner are named in the context.

pub mod lrs;
pub mod statement;

use std::collections::BTreeMap;

use sqlx::AnyConnection;
use tracing::instrument;

use crate::clock::rfc3339;
use crate::error::{Context, Result};
use crate::lang::Lang;
use crate::mail::Mailer;
use statement::{activity_type, build, iso_duration, Activity, Learner, Outcome, Said, Verb};
pub use statement::{Profile, Statement};

/// The outbox `kind` of statements.
pub const KIND: &str = "xapi_statement";

/// Queue a statement on `conn` (the event's transaction). `false` when it was already queued.
pub async fn queue(conn: &mut AnyConnection, s: &Statement) -> Result<bool> {
    let body = serde_json::to_string(&s.body)
        .map_err(|e| crate::error::Error::internal("xAPI statement", e))?;
    crate::mail::queue_other(
        conn,
        KIND,
        Some(s.user_id),
        &s.summary,
        &body,
        &format!("xapi:{}", s.id),
    )
    .await
}

#[derive(sqlx::FromRow)]
struct LearnerRow {
    id: i64,
    name: String,
    email: String,
    locale: String,
    sme_id: Option<i64>,
    sme_name: Option<String>,
    partner_id: Option<i64>,
    partner_name: Option<String>,
}

async fn learner(conn: &mut AnyConnection, user_id: i64) -> Result<Learner> {
    let r: LearnerRow = sqlx::query_as(
        "SELECT u.id, u.name, u.email, u.locale, m.id AS sme_id, m.name AS sme_name,
                p.id AS partner_id, p.name AS partner_name
         FROM users u LEFT JOIN smes m ON m.id = u.sme_id
         LEFT JOIN partners p ON p.id = m.partner_id
         WHERE u.id = $1",
    )
    .bind(user_id)
    .fetch_one(&mut *conn)
    .await
    .context("reading the learner for xAPI")?;
    Ok(Learner {
        user_id: r.id,
        name: r.name,
        email: r.email,
        locale: r.locale,
        sme: r.sme_id.zip(r.sme_name),
        partner: r.partner_id.zip(r.partner_name),
    })
}

/// The course as an activity, named in every language it has a title in.
async fn course(conn: &mut AnyConnection, p: &Profile, course_id: i64) -> Result<Activity> {
    let (slug, titles): (String, String) =
        sqlx::query_as("SELECT slug, titles_json FROM courses WHERE id = $1")
            .bind(course_id)
            .fetch_one(&mut *conn)
            .await
            .context("reading the course for xAPI")?;
    Ok(Activity {
        id: format!("{}/courses/{slug}", p.home_page),
        kind: activity_type::COURSE,
        names: serde_json::from_str(&titles).unwrap_or_default(),
    })
}

/// A module as an activity under its course's IRI, named in every language it is written in.
async fn module(conn: &mut AnyConnection, course: &Activity, module_id: i64) -> Result<Activity> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT m.slug, c.language, c.title FROM course_modules m
         JOIN module_contents c ON c.module_id = m.id
         WHERE m.id = $1 ORDER BY c.language",
    )
    .bind(module_id)
    .fetch_all(&mut *conn)
    .await
    .context("reading the module for xAPI")?;
    let slug = rows.first().map(|r| r.0.clone()).unwrap_or_default();
    Ok(Activity {
        id: format!("{}/modules/{slug}", course.id),
        kind: activity_type::MODULE,
        names: rows.into_iter().map(|(_, l, t)| (l, t)).collect(),
    })
}

/// A module read for the first time.
#[instrument(skip_all)]
pub async fn module_completed(
    conn: &mut AnyConnection,
    mailer: &Mailer,
    user_id: i64,
    (course_id, module_id): (i64, i64),
    at: i64,
) -> Result<()> {
    let Some(p) = mailer.xapi() else {
        return Ok(());
    };
    let who = learner(conn, user_id).await?;
    let c = course(conn, p, course_id).await?;
    let m = module(conn, &c, module_id).await?;
    let s = build(
        p,
        &format!("module-completed|{user_id}|{module_id}"),
        &Said {
            learner: &who,
            verb: Verb::Completed,
            object: &m,
            parent: Some(&c),
            outcome: Outcome {
                completion: Some(true),
                ..Outcome::default()
            },
            timestamp: rfc3339(at),
        },
    );
    queue(conn, &s).await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct AttemptFacts {
    user_id: i64,
    course_id: i64,
    attempt_no: i64,
    started_at: i64,
    submitted_at: Option<i64>,
    score: Option<i64>,
    passed: Option<i64>,
}

/// A quiz attempt graded: `attempted` (with its score and time taken) and `passed` or `failed`.
#[instrument(skip_all)]
pub async fn quiz_graded(conn: &mut AnyConnection, mailer: &Mailer, attempt_id: i64) -> Result<()> {
    let Some(p) = mailer.xapi() else {
        return Ok(());
    };
    let a: AttemptFacts = sqlx::query_as(
        "SELECT user_id, course_id, attempt_no, started_at, submitted_at, score, passed
         FROM quiz_attempts WHERE id = $1",
    )
    .bind(attempt_id)
    .fetch_one(&mut *conn)
    .await
    .context("reading the attempt for xAPI")?;
    let who = learner(conn, a.user_id).await?;
    let c = course(conn, p, a.course_id).await?;
    let quiz = Activity {
        id: format!("{}/quiz", c.id),
        kind: activity_type::ASSESSMENT,
        names: c
            .names
            .iter()
            .map(|(l, t)| (l.clone(), format!("{t}: {}", quiz_word(l))))
            .collect(),
    };
    let passed = a.passed == Some(1);
    let done = a.submitted_at.unwrap_or(a.started_at);
    let attempted = Outcome {
        score: a.score,
        success: Some(passed),
        completion: Some(true),
        duration: Some(iso_duration((done - a.started_at).max(0))),
    };
    let key = format!("quiz|{}|{}|{attempt_id}", a.user_id, a.attempt_no);
    for (verb, outcome, when) in [
        (Verb::Attempted, attempted.clone(), a.started_at),
        (
            if passed { Verb::Passed } else { Verb::Failed },
            Outcome {
                duration: None,
                ..attempted.clone()
            },
            done,
        ),
    ] {
        let s = build(
            p,
            &format!("{key}|{}", verb.word()),
            &Said {
                learner: &who,
                verb,
                object: &quiz,
                parent: Some(&c),
                outcome,
                timestamp: rfc3339(when),
            },
        );
        queue(conn, &s).await?;
    }
    Ok(())
}

fn quiz_word(lang: &str) -> &'static str {
    match Lang::from_code(lang) {
        Some(Lang::Es) => "cuestionario",
        Some(Lang::Pt) => "questionário",
        Some(Lang::Gl) => "cuestionario",
        _ => "quiz",
    }
}

/// A course completed (its certificate issued in the same transaction).
#[instrument(skip_all)]
pub async fn course_completed(
    conn: &mut AnyConnection,
    mailer: &Mailer,
    completion_id: i64,
) -> Result<()> {
    let Some(p) = mailer.xapi() else {
        return Ok(());
    };
    let (user_id, course_id, completed_at, score): (i64, i64, i64, Option<i64>) = sqlx::query_as(
        "SELECT user_id, course_id, completed_at, score FROM course_completions WHERE id = $1",
    )
    .bind(completion_id)
    .fetch_one(&mut *conn)
    .await
    .context("reading the completion for xAPI")?;
    let who = learner(conn, user_id).await?;
    let c = course(conn, p, course_id).await?;
    let s = build(
        p,
        &format!("course-completed|{user_id}|{course_id}"),
        &Said {
            learner: &who,
            verb: Verb::Completed,
            object: &c,
            parent: None,
            outcome: Outcome {
                score,
                success: Some(true),
                completion: Some(true),
                duration: None,
            },
            timestamp: rfc3339(completed_at),
        },
    );
    queue(conn, &s).await?;
    Ok(())
}

/// An advisory session the advisor recorded as attended.
#[instrument(skip_all)]
pub async fn session_attended(
    conn: &mut AnyConnection,
    mailer: &Mailer,
    booking_id: i64,
) -> Result<()> {
    let Some(p) = mailer.xapi() else {
        return Ok(());
    };
    let (learner_id, topic, starts_at, ends_at): (i64, crate::domain::Topic, i64, i64) =
        sqlx::query_as(
            "SELECT b.learner_id, s.topic, s.starts_at, s.ends_at FROM bookings b
             JOIN slots s ON s.id = b.slot_id WHERE b.id = $1",
        )
        .bind(booking_id)
        .fetch_one(&mut *conn)
        .await
        .context("reading the session for xAPI")?;
    let who = learner(conn, learner_id).await?;
    let names: BTreeMap<String, String> = Lang::ALL
        .iter()
        .map(|l| {
            let what = crate::mail::texts::topic(*l, topic);
            let label = match l {
                Lang::En => format!("Advisory session on {what}"),
                Lang::Es => format!("Sesión de asesoramiento sobre {what}"),
                Lang::Pt => format!("Sessão de aconselhamento sobre {what}"),
                Lang::Gl => format!("Sesión de asesoramento sobre {what}"),
            };
            (l.code().to_string(), label)
        })
        .collect();
    let session = Activity {
        id: format!("{}/advisory-sessions/{booking_id}", p.home_page),
        kind: activity_type::MEETING,
        names,
    };
    let s = build(
        p,
        &format!("session-attended|{booking_id}"),
        &Said {
            learner: &who,
            verb: Verb::Attended,
            object: &session,
            parent: None,
            outcome: Outcome {
                completion: Some(true),
                duration: Some(iso_duration(ends_at - starts_at)),
                ..Outcome::default()
            },
            timestamp: rfc3339(starts_at),
        },
    );
    queue(conn, &s).await?;
    Ok(())
}

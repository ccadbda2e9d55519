//! HTTP routes of the reports.

use rocket::http::{ContentType, Header, MediaType};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::serde::json::Json;
use rocket::{get, routes, Responder, Route};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use super::csv::{self as table, Delimiter};
use super::indicators::{self, Indicators};
use super::sheet;
use super::store::{self, CompletionRow};
use crate::auth::Staff;
use crate::bookings::{self, availability};
use crate::clock::{now, rfc3339, rfc3339_opt};
use crate::db::Db;
use crate::error::{Error, Result};
use crate::items::Items;
use crate::lang::Lang;
use crate::msg;
use crate::orgs::SmeScope;

#[derive(OpenApi)]
#[openapi(
    paths(completions, completions_csv, smes, indicators_report),
    components(schemas(
        Completion,
        SmeReport,
        Indicators,
        indicators::IndicatorRow,
        indicators::QuarterTotal
    ))
)]
pub struct Doc;

pub fn routes() -> Vec<Route> {
    routes![completions, completions_csv, smes, indicators_report]
}

/// One enrolment of a learner, with its completion and certificate when there is one.
#[derive(Debug, Serialize, ToSchema)]
pub struct Completion {
    pub sme_id: i64,
    pub sme_name: String,
    pub learner_id: i64,
    pub learner_name: String,
    /// The course slug.
    pub course: String,
    pub enrolled_at: String,
    /// `null` while the course is in progress.
    pub completed_at: Option<String>,
    /// Best quiz score (0 to 100); `null` for courses without a quiz.
    pub score: Option<i64>,
    pub certificate_code: Option<String>,
    pub certificate_revoked: bool,
}

impl From<CompletionRow> for Completion {
    fn from(r: CompletionRow) -> Self {
        Completion {
            sme_id: r.sme_id,
            sme_name: r.sme_name,
            learner_id: r.learner_id,
            learner_name: r.learner_name,
            course: r.course,
            enrolled_at: rfc3339(r.enrolled_at),
            completed_at: rfc3339_opt(r.completed_at),
            score: r.score,
            certificate_code: r.certificate_code,
            certificate_revoked: r.certificate_revoked_at.is_some(),
        }
    }
}

const CSV_HEADER: [&str; 10] = [
    "sme_id",
    "sme_name",
    "learner_id",
    "learner_name",
    "course",
    "enrolled_at",
    "completed_at",
    "score",
    "certificate_code",
    "certificate_revoked",
];

fn csv_row(c: Completion) -> Vec<String> {
    vec![
        c.sme_id.to_string(),
        c.sme_name,
        c.learner_id.to_string(),
        c.learner_name,
        c.course,
        c.enrolled_at,
        c.completed_at.unwrap_or_default(),
        c.score.map(|s| s.to_string()).unwrap_or_default(),
        c.certificate_code.unwrap_or_default(),
        c.certificate_revoked.to_string(),
    ]
}

/// Does the caller prefer CSV (`Accept: text/csv`)?
pub struct WantsCsv(bool);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for WantsCsv {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let csv = req
            .accept()
            .is_some_and(|a| a.preferred().media_type() == &MediaType::CSV);
        Outcome::Success(WantsCsv(csv))
    }
}

#[derive(Responder)]
pub enum Report<T> {
    Json(Json<T>),
    Csv(Box<CsvFile>),
}

#[derive(Responder)]
pub struct CsvFile {
    body: Vec<u8>,
    content_type: ContentType,
    disposition: Header<'static>,
}

async fn completion_rows(
    db: &Db,
    staff: &Staff,
    sme_id: Option<i64>,
    course: Option<&str>,
) -> Result<Vec<Completion>> {
    let scope = SmeScope::of(staff);
    if let Some(id) = sme_id {
        // Another partner's SME is "not found", not an empty report.
        crate::orgs::get_sme(db, scope, id).await?;
    }
    let rows = store::completions(db, scope.partner_filter(), sme_id, course).await?;
    Ok(rows.into_iter().map(Completion::from).collect())
}

/// How a CSV is asked for: the machine form (`sep` only), or with `lang` the spreadsheet form
/// in that language (`;` by default for es, pt and gl, whose spreadsheets expect it).
struct CsvForm<'a> {
    sep: Option<&'a str>,
    lang: Option<Lang>,
}

impl<'a> CsvForm<'a> {
    fn new(sep: Option<&'a str>, lang: Option<&str>) -> Result<CsvForm<'a>> {
        let lang = match lang {
            None => None,
            Some(code) => Some(Lang::parse(code).ok_or_else(|| {
                Error::invalid("lang", msg!("lang.unsupported", codes = Lang::codes()))
            })?),
        };
        Ok(CsvForm { sep, lang })
    }

    fn delimiter(&self) -> Delimiter {
        match (self.sep, self.lang) {
            (None, Some(Lang::Es | Lang::Pt | Lang::Gl)) => Delimiter::Semicolon,
            (sep, _) => Delimiter::parse(sep),
        }
    }
}

async fn csv_response(
    db: &Db,
    rows: Vec<Completion>,
    form: CsvForm<'_>,
) -> Result<Report<Items<Completion>>> {
    let written = match form.lang {
        None => table::write(&CSV_HEADER, rows.into_iter().map(csv_row), form.delimiter()),
        Some(lang) => {
            let titles = crate::courses::titles(db, lang.code()).await?;
            let zone = jiff::tz::TimeZone::get(bookings::REPORT_TIME_ZONE)
                .unwrap_or(jiff::tz::TimeZone::UTC);
            let cells = rows.iter().map(|c| {
                let row = sheet::SheetRow {
                    sme_name: &c.sme_name,
                    learner_name: &c.learner_name,
                    course: &c.course,
                    enrolled_at: crate::clock::parse_rfc3339(&c.enrolled_at),
                    completed_at: c
                        .completed_at
                        .as_deref()
                        .and_then(crate::clock::parse_rfc3339),
                    score: c.score,
                    certificate_code: c.certificate_code.as_deref(),
                    certificate_revoked: c.certificate_revoked,
                };
                sheet::cells(lang, &row, &titles, &zone)
            });
            table::write(&sheet::header(lang), cells, form.delimiter())
        }
    };
    let bytes = written.map_err(|e| Error::internal("writing CSV", e))?;
    let date = crate::certificates::local_date(now(), bookings::REPORT_TIME_ZONE);
    Ok(Report::Csv(Box::new(CsvFile {
        body: bytes,
        content_type: ContentType::new("text", "csv")
            .with_params([("charset", "utf-8"), ("header", "present")]),
        disposition: Header::new(
            "Content-Disposition",
            format!("attachment; filename=\"completions-{date}.csv\""),
        ),
    })))
}

/// Enrolments and completions of the learners of the caller's SMEs. `Accept: text/csv`
/// answers CSV (as `/reports/completions.csv` does).
#[utoipa::path(tag = "reports",
    params(
        ("sme_id" = Option<i64>, Query, description = "one SME"),
        ("course" = Option<String>, Query, description = "one course (slug)"),
        ("sep" = Option<String>, Query, description = "CSV only: `;` for spreadsheets in Spanish or Portuguese"),
        ("lang" = Option<String>, Query, description = "CSV only: the spreadsheet form in this language (words for headers, course titles, local dates; `;` by default for es, pt, gl)")
    ),
    responses((status = 200, body = Items<Completion>), (status = 200, content_type = "text/csv", body = String),
        (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
#[get("/reports/completions?<sme_id>&<course>&<sep>&<lang>")]
async fn completions(
    db: &Db,
    staff: Staff,
    wants: WantsCsv,
    sme_id: Option<i64>,
    course: Option<&str>,
    sep: Option<&str>,
    lang: Option<&str>,
) -> Result<Report<Items<Completion>>> {
    let rows = completion_rows(db, &staff, sme_id, course).await?;
    if wants.0 {
        return csv_response(db, rows, CsvForm::new(sep, lang)?).await;
    }
    Ok(Report::Json(Json(Items { items: rows })))
}

/// The completions report as CSV: UTF-8 with BOM, formulas neutralised.
#[utoipa::path(tag = "reports",
    params(
        ("sme_id" = Option<i64>, Query, description = "one SME"),
        ("course" = Option<String>, Query, description = "one course (slug)"),
        ("sep" = Option<String>, Query, description = "`;` for spreadsheets in Spanish or Portuguese"),
        ("lang" = Option<String>, Query, description = "the spreadsheet form in this language (words for headers, course titles, local dates; `;` by default for es, pt, gl)")
    ),
    responses((status = 200, content_type = "text/csv", body = String), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
#[get("/reports/completions.csv?<sme_id>&<course>&<sep>&<lang>")]
async fn completions_csv(
    db: &Db,
    staff: Staff,
    sme_id: Option<i64>,
    course: Option<&str>,
    sep: Option<&str>,
    lang: Option<&str>,
) -> Result<Report<Items<Completion>>> {
    let form = CsvForm::new(sep, lang)?;
    let rows = completion_rows(db, &staff, sme_id, course).await?;
    csv_response(db, rows, form).await
}

/// One SME's activity.
#[derive(Debug, Serialize, ToSchema)]
pub struct SmeReport {
    pub sme_id: i64,
    pub sme_name: String,
    pub country: String,
    pub region: String,
    pub partner_id: i64,
    pub partner_name: String,
    /// Staff accounts (learners) of the SME.
    pub learners: i64,
    pub enrolments: i64,
    pub completions: i64,
    /// Valid (not revoked) certificates.
    pub certificates: i64,
    pub advisory_sessions_attended: i64,
    /// The SME's advisory hours in the current quarter (allotted, used, attended, no-shows);
    /// every quarter: `GET /api/smes/{id}/advisory-hours`.
    pub advisory_hours: crate::bookings::quota::AdvisoryHours,
}

/// Per SME: learners, enrolments, completions, certificates and advisory sessions attended.
#[utoipa::path(tag = "reports",
    responses((status = 200, body = Items<SmeReport>), (status = 403)),
    security(("bearer" = [])))]
#[get("/reports/smes")]
async fn smes(db: &Db, staff: Staff) -> Result<Json<Items<SmeReport>>> {
    let scope = SmeScope::of(&staff);
    let counts = store::sme_counts(db, scope.partner_filter()).await?;
    let sessions = bookings::attended_sessions_by_sme(db, scope).await?;
    let (period, mut hours) =
        bookings::quota::this_quarter_by_sme(db, scope.partner_filter(), crate::clock::now())
            .await?;
    let items = counts
        .into_iter()
        .map(|c| SmeReport {
            advisory_hours: hours
                .remove(&c.sme_id)
                .unwrap_or_else(|| bookings::quota::QuarterHours {
                    period: period.clone(),
                    ..Default::default()
                })
                .into(),
            advisory_sessions_attended: sessions
                .iter()
                .find(|s| s.sme_id == c.sme_id)
                .map_or(0, |s| s.attended),
            sme_id: c.sme_id,
            sme_name: c.sme_name,
            country: c.country,
            region: c.region,
            partner_id: c.partner_id,
            partner_name: c.partner_name,
            learners: c.learners,
            enrolments: c.enrolments,
            completions: c.completions,
            certificates: c.certificates,
        })
        .collect();
    Ok(Json(Items { items }))
}

/// SMEs served (a completed course or an attended advisory session) by country and region,
/// per calendar quarter: the figure the hub reports to its programme.
#[utoipa::path(tag = "reports",
    params(
        ("from" = Option<String>, Query, description = "first quarter shown, e.g. 2026-Q1"),
        ("to" = Option<String>, Query, description = "last quarter shown, e.g. 2026-Q4")
    ),
    responses((status = 200, body = Indicators), (status = 403), (status = 422)),
    security(("bearer" = [])))]
#[get("/reports/indicators?<from>&<to>")]
async fn indicators_report(
    db: &Db,
    staff: Staff,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<Json<Indicators>> {
    for (field, value) in [("from", from), ("to", to)] {
        if value.is_some_and(|v| !indicators::valid_quarter(v)) {
            return Err(Error::invalid(field, msg!("report.quarter")));
        }
    }
    let scope = SmeScope::of(&staff);
    let smes: Vec<(i64, String, String)> = crate::orgs::list_smes(db, scope)
        .await?
        .into_iter()
        .map(|s| (s.id, s.country, s.region))
        .collect();
    let zone = availability::zone(bookings::REPORT_TIME_ZONE);
    let completions: Vec<(i64, String)> = store::completion_times(db, scope.partner_filter())
        .await?
        .into_iter()
        .map(|(sme, ts)| (sme, availability::quarter_of(ts, &zone)))
        .collect();
    let sessions: Vec<(i64, String)> = bookings::attended_sessions_by_sme(db, scope)
        .await?
        .into_iter()
        .flat_map(|s| {
            let sme = s.sme_id;
            s.by_quarter.into_iter().map(move |q| (sme, q.quarter))
        })
        .collect();
    Ok(Json(indicators::compute(
        &smes,
        &completions,
        &sessions,
        from,
        to,
    )))
}

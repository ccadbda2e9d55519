//! The programme's advisory hours per SME and quarter: read, allot, clear; and the
//! coordinator's waiver of a no-show.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{delete, get, post, put};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::{Learner, Staff};
use crate::bookings::quota::{self, AdvisoryHours};
use crate::bookings::{store, view, Booking, BookingScope};
use crate::clock::now;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::ids::{BookingId, SmeId};
use crate::items::Items;
use crate::json::JsonBody;
use crate::msg;
use crate::orgs::SmeScope;

/// Every quarter of the SME with an allotment or a session, oldest first.
#[utoipa::path(tag = "reports",
    responses((status = 200, body = Items<AdvisoryHours>), (status = 403), (status = 404)),
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "SME id")))]
#[get("/smes/<id>/advisory-hours")]
pub(super) async fn list_hours(
    db: &Db,
    staff: Staff,
    id: SmeId,
) -> Result<Json<Items<AdvisoryHours>>> {
    let sme = crate::orgs::get_sme(db, SmeScope::of(&staff), id.get()).await?;
    let items = quota::quarters(db, sme.id).await?;
    Ok(Items::new(items.into_iter().map(Into::into).collect()))
}

/// The learner's SME's advisory hours from this quarter on (quarters with an allotment or a
/// session), so a learner sees what is left before booking.
#[utoipa::path(tag = "bookings",
    responses((status = 200, body = Items<AdvisoryHours>), (status = 403)),
    security(("bearer" = [])))]
#[get("/me/advisory-hours")]
pub(super) async fn my_hours(db: &Db, learner: Learner) -> Result<Json<Items<AdvisoryHours>>> {
    let Some(sme_id) = learner.sme_id else {
        return Ok(Items::new(Vec::new()));
    };
    let current = quota::period_of(now());
    let items = quota::quarters(db, sme_id)
        .await?
        .into_iter()
        .filter(|q| q.period >= current)
        .map(Into::into)
        .collect();
    Ok(Items::new(items))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoursBody {
    /// From 0 to 2000, in quarter hours (`10`, `7.5`, `7.25`).
    hours: f64,
}

fn period_of(period: &str) -> Result<String> {
    quota::quarter_bounds(period)
        .map(|_| period.to_string())
        .ok_or_else(|| Error::invalid("period", msg!("quota.period")))
}

/// Allot the SME a number of advisory hours for a quarter (the coordinator of its partner, or
/// an admin). Sessions already booked stay; new bookings beyond it are refused.
#[utoipa::path(tag = "reports", request_body = HoursBody,
    responses((status = 200, body = AdvisoryHours), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "SME id"),
        ("period" = String, Path, description = "a quarter, `2027-Q1`")))]
#[put("/smes/<id>/advisory-hours/<period>", data = "<body>")]
pub(super) async fn set_hours(
    db: &Db,
    staff: Staff,
    id: SmeId,
    period: &str,
    body: JsonBody<HoursBody>,
) -> Result<Json<AdvisoryHours>> {
    let sme = crate::orgs::get_sme(db, SmeScope::of(&staff), id.get()).await?;
    let period = period_of(period)?;
    let quarters = body.hours * 4.0;
    if !(0.0..=8000.0).contains(&quarters) || quarters.fract() != 0.0 {
        return Err(Error::invalid("hours", msg!("quota.hours")));
    }
    quota::set(db, sme.id, &period, (quarters as i64) * 15, staff.id, now()).await?;
    let q = quota::quarters(db, sme.id)
        .await?
        .into_iter()
        .find(|q| q.period == period)
        .unwrap_or_default();
    Ok(Json(q.into()))
}

/// Remove a quarter's allotment: no limit again.
#[utoipa::path(tag = "reports",
    responses((status = 204), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "SME id"),
        ("period" = String, Path, description = "a quarter, `2027-Q1`")))]
#[delete("/smes/<id>/advisory-hours/<period>")]
pub(super) async fn clear_hours(db: &Db, staff: Staff, id: SmeId, period: &str) -> Result<Status> {
    let sme = crate::orgs::get_sme(db, SmeScope::of(&staff), id.get()).await?;
    let period = period_of(period)?;
    quota::clear(db, sme.id, &period).await?;
    Ok(Status::NoContent)
}

/// Waive a no-show (the coordinator of the SME's partner, or an admin): it stops counting
/// against the SME's hours. 409 unless the advisor recorded the session as missed.
#[utoipa::path(tag = "bookings",
    responses((status = 200, body = Booking), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "booking id")))]
#[post("/bookings/<id>/no-show-waiver")]
pub(super) async fn waive_no_show(db: &Db, staff: Staff, id: BookingId) -> Result<Json<Booking>> {
    let scope = BookingScope::of(&staff);
    let tz = staff.time_zone.clone();
    store::get_booking(db, scope, id).await?;
    if !quota::waive_no_show(db, id.get(), staff.id, now()).await? {
        return Err(Error::Conflict(msg!("booking.not_no_show")));
    }
    Ok(Json(
        view::booking(store::get_booking(db, scope, id).await?, scope, &tz).booking,
    ))
}

//! Calendar subscriptions: the signed-in learner's or advisor's feed URL (show, regenerate,
//! revoke) and the feed itself, which needs no other authentication than its URL.

use rocket::http::{ContentType, Header, Status};
use rocket::serde::json::Json;
use rocket::{delete, get, post, Responder, State};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{CurrentUser, Role};
use crate::bookings::feeds;
use crate::clock::now;
use crate::config::Config;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::mail::Mailer;
use crate::msg;

/// A person's calendar subscription.
#[derive(Serialize, ToSchema)]
pub struct CalendarFeed {
    /// `webcal://.../api/calendar-feeds/<token>.ics`: opens the calendar program's "subscribe".
    pub url: String,
    /// The same feed over http(s), for programs that ask for a URL to paste.
    pub http_url: String,
}

fn feed_for(config: &Config, mailer: &Mailer, user_id: i64, version: i64) -> CalendarFeed {
    let token = feeds::token(mailer, user_id, version);
    let http_url = format!("{}/api/calendar-feeds/{token}.ics", config.public_url());
    let rest = http_url
        .split_once("://")
        .map_or(http_url.as_str(), |(_, rest)| rest);
    CalendarFeed {
        url: format!("webcal://{rest}"),
        http_url: http_url.clone(),
    }
}

fn feed_owner(user: &CurrentUser) -> Result<()> {
    if matches!(user.role, Role::Learner | Role::Advisor) {
        Ok(())
    } else {
        Err(Error::Forbidden(msg!("calendar.feed_who")))
    }
}

/// The caller's calendar subscription URL (learners and advisors); made on the first call,
/// the same URL afterwards until it is regenerated or revoked.
#[utoipa::path(tag = "bookings",
    responses((status = 200, body = CalendarFeed), (status = 403)),
    security(("bearer" = [])))]
#[get("/me/calendar-feed")]
pub(super) async fn show_feed(
    db: &Db,
    config: &State<Config>,
    mailer: &State<Mailer>,
    user: CurrentUser,
) -> Result<Json<CalendarFeed>> {
    feed_owner(&user)?;
    let version = feeds::current(db, user.id, now()).await?;
    Ok(Json(feed_for(config, mailer, user.id, version)))
}

/// A new subscription URL; the old one stops working at once.
#[utoipa::path(tag = "bookings",
    responses((status = 200, body = CalendarFeed), (status = 403)),
    security(("bearer" = [])))]
#[post("/me/calendar-feed")]
pub(super) async fn regenerate_feed(
    db: &Db,
    config: &State<Config>,
    mailer: &State<Mailer>,
    user: CurrentUser,
) -> Result<Json<CalendarFeed>> {
    feed_owner(&user)?;
    let version = feeds::regenerate(db, user.id, now()).await?;
    Ok(Json(feed_for(config, mailer, user.id, version)))
}

/// Switch the subscription off: its URL answers 404 from now on (a later GET makes a new one).
#[utoipa::path(tag = "bookings",
    responses((status = 204), (status = 403)),
    security(("bearer" = [])))]
#[delete("/me/calendar-feed")]
pub(super) async fn revoke_feed(db: &Db, user: CurrentUser) -> Result<Status> {
    feed_owner(&user)?;
    feeds::revoke(db, user.id, now()).await?;
    Ok(Status::NoContent)
}

#[derive(Responder)]
#[response(status = 200)]
pub(super) struct FeedFile {
    body: String,
    content_type: ContentType,
    cache: Header<'static>,
    robots: Header<'static>,
}

/// The feed (iCalendar, `METHOD:PUBLISH`): the owner's sessions from 90 days ago on, in their
/// zone (VTIMEZONE) and language; cancelled ones `STATUS:CANCELLED`. Its URL is its only
/// credential; an unknown, regenerated or revoked one is a 404.
#[utoipa::path(tag = "bookings",
    responses((status = 200, content_type = "text/calendar", body = String), (status = 404)),
    params(("token" = String, Path, description = "the token of the feed's URL, with or without `.ics`")))]
#[get("/calendar-feeds/<token>")]
pub(super) async fn feed(db: &Db, mailer: &State<Mailer>, token: &str) -> Result<FeedFile> {
    let missing = || Error::not_found("calendar_feed");
    let (user_id, version) = feeds::check_token(mailer, token).ok_or_else(missing)?;
    let owner = feeds::owner(db, user_id, version)
        .await?
        .ok_or_else(missing)?;
    let body = feeds::render(db, &owner, mailer, now()).await?;
    Ok(FeedFile {
        body,
        content_type: ContentType::new("text", "calendar").with_params(("charset", "utf-8")),
        cache: Header::new("Cache-Control", "private, no-cache"),
        robots: Header::new("X-Robots-Tag", "noindex"),
    })
}

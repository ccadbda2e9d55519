//! HTTP routes of slots (`slots.rs`) and bookings (`bookings.rs`): guards, parsing, status
//! codes. Here: the document, the route list and the parsing both share.

mod bookings;
mod feeds;
mod quota;
mod slots;
mod waitlist;
mod workdays;

use rocket::{routes, Route};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use super::service::{PatternResult, SkippedSlot};
use super::{Booking, Notification, Slot};
use crate::clock::parse_rfc3339;
use crate::domain::{Mode, Topic};
use crate::error::{Error, FieldError, Result};
use crate::msg;

#[derive(OpenApi)]
#[openapi(
    paths(
        slots::create_slot,
        slots::create_pattern,
        slots::list_slots,
        slots::delete_slot,
        bookings::book_slot,
        bookings::list_bookings,
        bookings::get_booking,
        bookings::list_notifications,
        bookings::cancel_booking,
        bookings::reschedule,
        bookings::invite,
        bookings::record_outcome,
        feeds::show_feed,
        feeds::regenerate_feed,
        feeds::revoke_feed,
        feeds::feed,
        quota::list_hours,
        quota::my_hours,
        quota::set_hours,
        quota::clear_hours,
        quota::waive_no_show,
        waitlist::join,
        waitlist::mine,
        waitlist::leave,
        waitlist::decline,
        waitlist::staff_list,
        workdays::show,
        workdays::save,
        workdays::add_time_off,
        workdays::remove_time_off,
        workdays::week
    ),
    components(schemas(
        Slot,
        Booking,
        super::PersonRef,
        super::Outcome,
        Notification,
        slots::NewSlotBody,
        slots::PatternBody,
        PatternResult,
        SkippedSlot,
        bookings::BookingBody,
        bookings::CancellationBody,
        bookings::OutcomeBody,
        bookings::RescheduleBody,
        feeds::CalendarFeed,
        crate::bookings::quota::AdvisoryHours,
        quota::HoursBody,
        waitlist::WaitlistBody,
        crate::bookings::waitlist::WaitlistEntry,
        crate::bookings::waitlist::Hold,
        workdays::AvailabilityBody,
        workdays::TimeOffBody,
        workdays::TimeOffResult,
        crate::bookings::workdays::Availability,
        crate::bookings::workdays::TimeOff,
        crate::bookings::workdays::Week,
        crate::bookings::workdays::WeekDay,
        crate::bookings::workdays::WeekSlot,
        crate::bookings::holidays::Region,
        crate::bookings::holidays::Holiday
    ))
)]
pub struct Doc;

pub fn routes() -> Vec<Route> {
    routes![
        slots::create_slot,
        slots::create_pattern,
        slots::list_slots,
        slots::delete_slot,
        bookings::book_slot,
        bookings::list_bookings,
        bookings::get_booking,
        bookings::list_notifications,
        bookings::cancel_booking,
        bookings::reschedule,
        bookings::invite,
        bookings::record_outcome,
        feeds::show_feed,
        feeds::regenerate_feed,
        feeds::revoke_feed,
        feeds::feed,
        quota::list_hours,
        quota::my_hours,
        quota::set_hours,
        quota::clear_hours,
        quota::waive_no_show,
        waitlist::join,
        waitlist::mine,
        waitlist::leave,
        waitlist::decline,
        waitlist::staff_list,
        workdays::show,
        workdays::save,
        workdays::add_time_off,
        workdays::remove_time_off,
        workdays::week
    ]
}

/// Sessions last between 15 minutes and 8 hours.
const MIN_MINUTES: i64 = 15;
const MAX_MINUTES: i64 = 8 * 60;
/// Slots may be published up to two years ahead.
const HORIZON_SECONDS: i64 = 730 * 86_400;
const DEFAULT_LIMIT: i64 = 200;
const MAX_LIMIT: i64 = 1000;

fn time_field(errors: &mut Vec<FieldError>, field: &str, value: &str) -> Option<i64> {
    let parsed = parse_rfc3339(value);
    if parsed.is_none() {
        errors.push(FieldError::new(field, msg!("time.rfc3339")));
    }
    parsed
}

fn query_time(field: &str, value: Option<&str>) -> Result<Option<i64>> {
    match value {
        None => Ok(None),
        Some(v) => parse_rfc3339(v)
            .map(Some)
            .ok_or_else(|| Error::invalid(field, msg!("time.rfc3339"))),
    }
}

fn check_topic(errors: &mut Vec<FieldError>, topic: &str) -> Option<Topic> {
    let topic = Topic::parse(topic);
    if topic.is_none() {
        errors.push(FieldError::new(
            "topic",
            msg!("list.one_of", values = Topic::LIST),
        ));
    }
    topic
}

fn check_mode_and_location(
    errors: &mut Vec<FieldError>,
    mode: &str,
    location: &str,
) -> Option<Mode> {
    let Some(mode) = Mode::parse(mode) else {
        errors.push(FieldError::new(
            "mode",
            msg!("list.one_of", values = Mode::LIST),
        ));
        return None;
    };
    let location = location.trim();
    if location.is_empty() {
        errors.push(FieldError::new(
            "location",
            if mode == Mode::Online {
                msg!("location.link_required")
            } else {
                msg!("location.address_required")
            },
        ));
    } else if location.chars().count() > 500 {
        errors.push(FieldError::new(
            "location",
            msg!("text.too_long", max = 500),
        ));
    } else if location.chars().any(char::is_control) {
        errors.push(FieldError::new(
            "location",
            msg!("text.control_single_line"),
        ));
    } else if mode == Mode::Online
        && !(location.starts_with("https://") || location.starts_with("http://"))
    {
        errors.push(FieldError::new("location", msg!("location.link")));
    }
    Some(mode)
}

/// A list with a keyset cursor: pass `next_cursor` back as `cursor` for the next page.
#[derive(Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub items: Vec<T>,
    /// `null` on the last page.
    pub next_cursor: Option<String>,
}

fn parse_cursor(cursor: Option<&str>) -> Result<Option<(i64, i64)>> {
    let Some(c) = cursor else {
        return Ok(None);
    };
    c.split_once('.')
        .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
        .map(Some)
        .ok_or_else(|| Error::invalid("cursor", msg!("list.cursor")))
}

/// Cut a `limit + 1` fetch of rows down to `limit`, say where the next page starts (the last
/// row's `key`), and show the rows.
fn page<R, T: ToSchema>(
    mut rows: Vec<R>,
    limit: i64,
    key: impl Fn(&R) -> (i64, i64),
    show: impl FnMut(R) -> T,
) -> Page<T> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let next_cursor = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(|r| {
            let (a, b) = key(r);
            format!("{a}.{b}")
        })
    } else {
        None
    };
    Page {
        items: rows.into_iter().map(show).collect(),
        next_cursor,
    }
}

fn clamp_limit(l: Option<i64>) -> i64 {
    l.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
}

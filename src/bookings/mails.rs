//! What a booking tells people by mail: the confirmation (to the learner and the advisor, each
//! in their language and zone, with the invitation attached as METHOD:REQUEST and the same UID
//! as the download), the cancellation (METHOD:CANCEL, SEQUENCE raised), a move to another slot
//! (METHOD:REQUEST, same UID, SEQUENCE raised), the reminders 24
//! hours and 1 hour before, and the outcome the advisor recorded. Pure: the store reads the [`Parties`] inside the booking's
//! transaction and queues what these functions return.

use super::ics;
use crate::domain::{Mode, Topic};
use crate::lang::Lang;
use crate::mail::texts::{self, Booked, Session};
use crate::mail::{Kind, Mailer, Outgoing};

/// A booking and both people on it, as one row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Parties {
    pub booking_id: i64,
    pub uid: String,
    pub sequence: i64,
    pub note: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub starts_at: i64,
    pub ends_at: i64,
    pub topic: Topic,
    pub mode: Mode,
    pub location: String,
    pub learner_id: i64,
    pub learner_name: String,
    pub learner_email: String,
    pub learner_locale: String,
    pub learner_time_zone: String,
    pub learner_reminders: i64,
    pub advisor_id: i64,
    pub advisor_name: String,
    pub advisor_email: String,
    pub advisor_locale: String,
    pub advisor_time_zone: String,
    pub advisor_reminders: i64,
    pub sme_name: String,
}

/// One side of a booking.
struct Side<'a> {
    user_id: i64,
    name: &'a str,
    email: &'a str,
    lang: Lang,
    time_zone: &'a str,
    reminders: bool,
    to_advisor: bool,
}

impl Parties {
    fn learner(&self) -> Side<'_> {
        Side {
            user_id: self.learner_id,
            name: &self.learner_name,
            email: &self.learner_email,
            lang: Lang::from_code(&self.learner_locale).unwrap_or(Lang::En),
            time_zone: &self.learner_time_zone,
            reminders: self.learner_reminders != 0,
            to_advisor: false,
        }
    }

    fn advisor(&self) -> Side<'_> {
        Side {
            user_id: self.advisor_id,
            name: &self.advisor_name,
            email: &self.advisor_email,
            lang: Lang::from_code(&self.advisor_locale).unwrap_or(Lang::En),
            time_zone: &self.advisor_time_zone,
            reminders: self.advisor_reminders != 0,
            to_advisor: true,
        }
    }

    fn session<'a>(&'a self, side: &Side<'a>) -> Session<'a> {
        Session {
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            time_zone: side.time_zone,
            topic: self.topic,
            mode: self.mode,
            location: &self.location,
        }
    }

    /// The calendar file: the same UID and SEQUENCE as `GET /api/bookings/{id}/invite.ics`, its
    /// times in the reader's zone.
    fn invite(&self, cancelled: bool, now: i64, mailer: &Mailer, side: &Side<'_>) -> String {
        let words = texts::calendar_event(
            side.lang,
            self.topic,
            &self.advisor_name,
            &self.learner_name,
            &self.sme_name,
            &self.note,
            None,
        );
        ics::render(&ics::Invite {
            method_cancel: cancelled,
            uid: &self.uid,
            sequence: self.sequence,
            cancelled,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            updated_at: self.updated_at,
            created_at: self.created_at,
            now,
            summary: words.summary,
            description: words.description,
            location: &self.location,
            url: Some(bookings_page(side, mailer)),
            organizer: (&self.advisor_name, &self.advisor_email),
            attendee: (&self.learner_name, &self.learner_email),
            time_zone: Some(side.time_zone),
        })
    }
}

fn bookings_page(side: &Side<'_>, mailer: &Mailer) -> String {
    if side.to_advisor {
        mailer.page("#/advisor/bookings")
    } else {
        mailer.page("#/advice")
    }
}

/// The confirmation to both sides.
pub fn confirmation(p: &Parties, now: i64, mailer: &Mailer) -> Vec<Outgoing> {
    [p.learner(), p.advisor()]
        .iter()
        .map(|side| {
            let booked = Booked {
                to_advisor: side.to_advisor,
                other_name: if side.to_advisor {
                    &p.learner_name
                } else {
                    &p.advisor_name
                },
                sme_name: side.to_advisor.then_some(p.sme_name.as_str()),
                note: &p.note,
            };
            let letter = texts::booking_confirmed(
                side.lang,
                side.name,
                &booked,
                &p.session(side),
                &bookings_page(side, mailer),
            );
            Outgoing::new(
                Kind::BookingConfirmed,
                Some(side.user_id),
                side.email,
                side.name,
                &letter,
            )
            .with_calendar(p.invite(false, now, mailer, side))
        })
        .collect()
}

/// The cancellation to both sides (`by_name` cancelled it, saying `reason`).
pub fn cancellation(
    p: &Parties,
    by_name: &str,
    reason: &str,
    now: i64,
    mailer: &Mailer,
) -> Vec<Outgoing> {
    [p.learner(), p.advisor()]
        .iter()
        .map(|side| {
            let letter = texts::booking_cancelled(
                side.lang,
                side.name,
                by_name,
                reason,
                &p.session(side),
                &bookings_page(side, mailer),
            );
            Outgoing::new(
                Kind::BookingCancelled,
                Some(side.user_id),
                side.email,
                side.name,
                &letter,
            )
            .with_calendar(p.invite(true, now, mailer, side))
        })
        .collect()
}

/// A session moved from `from_start` to its slot now, to both sides (`by_name` moved it), with
/// the updated invitation (same UID, SEQUENCE raised).
pub fn rescheduled(
    p: &Parties,
    by_name: &str,
    from_start: i64,
    now: i64,
    mailer: &Mailer,
) -> Vec<Outgoing> {
    [p.learner(), p.advisor()]
        .iter()
        .map(|side| {
            let letter = texts::booking_rescheduled(
                side.lang,
                side.name,
                by_name,
                from_start,
                &p.session(side),
                &bookings_page(side, mailer),
            );
            Outgoing::new(
                Kind::BookingRescheduled,
                Some(side.user_id),
                side.email,
                side.name,
                &letter,
            )
            .with_calendar(p.invite(false, now, mailer, side))
        })
        .collect()
}

/// The reminders `hours` before (24 or 1), to each side that wants them; each queued once per
/// booking, side and lead time whatever the number of processes.
pub fn reminders(p: &Parties, hours: i64, mailer: &Mailer) -> Vec<Outgoing> {
    [p.learner(), p.advisor()]
        .iter()
        .filter(|side| side.reminders)
        .map(|side| {
            let with = if side.to_advisor {
                &p.learner_name
            } else {
                &p.advisor_name
            };
            let letter = texts::reminder(
                side.lang,
                side.name,
                with,
                hours,
                &p.session(side),
                &bookings_page(side, mailer),
            );
            Outgoing::new(
                Kind::Reminder,
                Some(side.user_id),
                side.email,
                side.name,
                &letter,
            )
            .with_unsubscribe(mailer.unsubscribe_url(side.user_id))
            .once(format!(
                "reminder:{hours}h:booking:{}:user:{}:at:{}",
                p.booking_id, side.user_id, p.starts_at
            ))
        })
        .collect()
}

/// The outcome the advisor recorded, to the learner (the notes are not in it). Queued once per
/// booking and outcome: recording the same outcome again (to edit the notes) sends nothing,
/// correcting attended to no-show (or back) does.
pub fn outcome(p: &Parties, attended: bool, mailer: &Mailer) -> Vec<Outgoing> {
    let side = p.learner();
    let letter = texts::outcome_recorded(
        side.lang,
        side.name,
        &p.advisor_name,
        attended,
        &p.session(&side),
        &bookings_page(&side, mailer),
    );
    vec![Outgoing::new(
        Kind::OutcomeRecorded,
        Some(side.user_id),
        side.email,
        side.name,
        &letter,
    )
    .once(format!(
        "outcome:booking:{}:attended:{}",
        p.booking_id,
        u8::from(attended)
    ))]
}

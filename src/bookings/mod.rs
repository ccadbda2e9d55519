//! One-to-one advisory sessions: advisors publish slots (stored in UTC, shown in each person's
//! IANA zone), learners book them (one active booking per slot, enforced by a partial unique
//! index), either side cancels, the advisor records the outcome, and an iCalendar invite
//! carries the session into calendar programs.

pub mod availability;
pub mod demo;
pub mod feeds;
pub mod holidays;
pub mod ics;
pub mod mails;
pub mod moves;
pub mod quota;
pub mod reminders;
mod routes;
pub mod service;
mod store;
pub mod view;
pub mod waitlist;
pub mod workdays;

use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{CurrentUser, Role};
use crate::domain::{BookingStatus, Mode, SlotStatus, Topic};
use crate::error::Result;
use crate::orgs::SmeScope;

pub use reminders::stage as reminders_stage;
pub use routes::{routes, Doc};
/// Seeding (the demo, benchmarks): publish slots directly.
pub use store::{insert_slots, NewSlot};

/// The zone quarters are counted in for reports: the hub's home.
pub const REPORT_TIME_ZONE: &str = "Europe/Madrid";

/// A slot as a caller sees it: UTC times plus the same instants in the caller's zone.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Slot {
    pub id: i64,
    pub advisor_id: i64,
    pub advisor_name: String,
    /// The advisor's IANA time zone.
    pub advisor_time_zone: String,
    /// RFC 3339, UTC.
    pub starts_at: String,
    pub ends_at: String,
    /// The same instants in the caller's zone, with its offset (`2026-03-30T09:00:00+02:00`).
    pub starts_at_local: String,
    pub ends_at_local: String,
    /// The caller's IANA time zone (the zone of the `_local` fields).
    pub time_zone: String,
    /// The start in the advisor's own zone.
    pub advisor_starts_at_local: String,
    pub duration_minutes: i64,
    pub topic: Topic,
    pub mode: Mode,
    /// A meeting link (online) or an address (in person).
    pub location: String,
    /// `booked` slots are listed to their advisor and to admins only; `withdrawn` appears in a
    /// booking whose slot the advisor deleted.
    pub status: SlotStatus,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonRef {
    pub id: i64,
    pub name: String,
}

/// The outcome the advisor recorded. `notes` is shown to the advisor, the SME's coordinator
/// and admins only, never to learners.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Outcome {
    pub attended: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    pub recorded_at: String,
    /// A no-show the SME's coordinator waived: it does not count against the SME's hours.
    pub no_show_waived: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Booking {
    pub id: i64,
    pub status: BookingStatus,
    pub note: String,
    pub slot: Slot,
    pub learner: PersonRef,
    pub sme: PersonRef,
    pub created_at: String,
    pub cancelled_at: Option<String>,
    pub cancelled_by: Option<i64>,
    /// `learner` or `advisor`.
    pub cancelled_by_role: Option<Role>,
    pub cancel_reason: Option<String>,
    /// Grows with every change (the invite's SEQUENCE).
    pub sequence: i64,
    pub outcome: Option<Outcome>,
    /// `/api/bookings/{id}/invite.ics`
    pub invite_url: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Notification {
    pub id: i64,
    pub booking_id: i64,
    /// `booking_cancelled` or `booking_rescheduled`
    pub kind: String,
    pub message: String,
    pub created_at: String,
}

/// Whose bookings a caller may see (ARCHITECTURE.md, Tenancy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookingScope {
    Learner(i64),
    Advisor(i64),
    Partner(i64),
    All,
}

impl BookingScope {
    pub fn of(user: &CurrentUser) -> BookingScope {
        match user.role {
            Role::Learner => BookingScope::Learner(user.id),
            Role::Advisor => BookingScope::Advisor(user.id),
            Role::Coordinator => BookingScope::Partner(user.partner_id.unwrap_or(-1)),
            Role::Admin => BookingScope::All,
        }
    }

    /// `(learner, advisor, partner)` filters for SQL; `None` = no restriction.
    fn filters(self) -> (Option<i64>, Option<i64>, Option<i64>) {
        match self {
            BookingScope::Learner(id) => (Some(id), None, None),
            BookingScope::Advisor(id) => (None, Some(id), None),
            BookingScope::Partner(p) => (None, None, Some(p)),
            BookingScope::All => (None, None, None),
        }
    }

    /// May this caller read the advisor's private outcome notes?
    pub fn sees_notes(self) -> bool {
        !matches!(self, BookingScope::Learner(_))
    }
}

/// Attended advisory sessions of one SME, in total and per calendar quarter.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct SmeSessions {
    pub sme_id: i64,
    pub sme_name: String,
    pub attended: i64,
    pub by_quarter: Vec<QuarterCount>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct QuarterCount {
    /// `2026-Q1`, counted in [`REPORT_TIME_ZONE`].
    pub quarter: String,
    pub attended: i64,
}

/// Attended sessions per SME (and per quarter) for the per-SME report, within the caller's
/// SME scope (a coordinator's partner, or all for admins). SMEs without attended sessions
/// are left out: treat a missing SME as zero.
pub async fn attended_sessions_by_sme(
    db: &sqlx::AnyPool,
    scope: SmeScope,
) -> Result<Vec<SmeSessions>> {
    let rows = store::attended_sessions(db, scope.partner_filter()).await?;
    Ok(group_attended(rows, &availability::zone(REPORT_TIME_ZONE)))
}

/// `(sme_id, sme_name, starts_at)` rows -> per-SME totals and quarters, sorted by SME name.
fn group_attended(rows: Vec<(i64, String, i64)>, tz: &jiff::tz::TimeZone) -> Vec<SmeSessions> {
    use std::collections::BTreeMap;
    let mut by_sme: BTreeMap<i64, (String, BTreeMap<String, i64>)> = BTreeMap::new();
    for (sme_id, name, starts_at) in rows {
        let entry = by_sme
            .entry(sme_id)
            .or_insert_with(|| (name, BTreeMap::new()));
        *entry
            .1
            .entry(availability::quarter_of(starts_at, tz))
            .or_default() += 1;
    }
    let mut out: Vec<SmeSessions> = by_sme
        .into_iter()
        .map(|(sme_id, (sme_name, quarters))| SmeSessions {
            sme_id,
            sme_name,
            attended: quarters.values().sum(),
            by_quarter: quarters
                .into_iter()
                .map(|(quarter, attended)| QuarterCount { quarter, attended })
                .collect(),
        })
        .collect();
    out.sort_by(|a, b| a.sme_name.cmp(&b.sme_name).then(a.sme_id.cmp(&b.sme_id)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_by_sme_and_quarter() {
        let ts = |s: &str| crate::clock::parse_rfc3339(s).unwrap();
        let rows = vec![
            (2, "Beta".to_string(), ts("2026-01-10T09:00:00Z")),
            (1, "Alpha".to_string(), ts("2026-03-31T22:30:00Z")), // 00:30 on April 1st in Madrid (CEST)
            (1, "Alpha".to_string(), ts("2026-04-02T09:00:00Z")),
            (1, "Alpha".to_string(), ts("2026-02-02T09:00:00Z")),
        ];
        let got = group_attended(rows, &availability::zone(REPORT_TIME_ZONE));
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].sme_name, "Alpha");
        assert_eq!(got[0].attended, 3);
        assert_eq!(
            got[0].by_quarter,
            vec![
                QuarterCount {
                    quarter: "2026-Q1".into(),
                    attended: 1
                },
                QuarterCount {
                    quarter: "2026-Q2".into(),
                    attended: 2
                },
            ]
        );
        assert_eq!(got[1].attended, 1);
    }
}

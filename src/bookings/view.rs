//! The view step of bookings: rows (unix seconds, as stored) become what a caller sees, with
//! times in the caller's zone and the advisor's, and URLs. Stores return rows; routes page
//! them (cursors from the rows' integers) and show them through here.

use super::availability;
use super::store::{BookingRow, SlotRow};
use super::{Booking, BookingScope, Outcome, PersonRef, Slot};
use crate::clock::rfc3339;
use crate::domain::{Mode, SlotStatus, Topic};

fn slot_parts(
    id: i64,
    advisor: (i64, String, String),
    times: (i64, i64),
    what: (Topic, Mode, String),
    status: SlotStatus,
    viewer_tz: &str,
) -> Slot {
    let tz = availability::zone(viewer_tz);
    let advisor_tz = availability::zone(&advisor.2);
    Slot {
        id,
        advisor_id: advisor.0,
        advisor_name: advisor.1,
        advisor_starts_at_local: availability::local_rfc3339(times.0, &advisor_tz),
        advisor_time_zone: advisor.2,
        starts_at: rfc3339(times.0),
        ends_at: rfc3339(times.1),
        starts_at_local: availability::local_rfc3339(times.0, &tz),
        ends_at_local: availability::local_rfc3339(times.1, &tz),
        time_zone: viewer_tz.to_string(),
        duration_minutes: (times.1 - times.0) / 60,
        topic: what.0,
        mode: what.1,
        location: what.2,
        status,
    }
}

/// A slot as `viewer_tz` sees it.
pub fn slot(r: SlotRow, viewer_tz: &str) -> Slot {
    slot_parts(
        r.id,
        (r.advisor_id, r.advisor_name, r.advisor_time_zone),
        (r.starts_at, r.ends_at),
        (r.topic, r.mode, r.location),
        if r.booking_id.is_some() {
            SlotStatus::Booked
        } else if r.held_until.is_some_and(|t| t > crate::clock::now()) {
            SlotStatus::Held
        } else {
            SlotStatus::Open
        },
        viewer_tz,
    )
}

/// A booking with what its invite needs beyond the public view.
#[derive(Debug, Clone)]
pub struct BookingDetail {
    pub booking: Booking,
    pub uid: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub advisor: (String, String),
    pub learner: (String, String),
    pub advisor_id: i64,
    pub learner_id: i64,
}

/// A booking as a caller of `scope` in `viewer_tz` sees it (outcome notes only for staff who
/// may read them), with what its invite needs.
pub fn booking(r: BookingRow, scope: BookingScope, viewer_tz: &str) -> BookingDetail {
    let mut slot = slot_parts(
        r.slot_id,
        (r.advisor_id, r.advisor_name.clone(), r.advisor_time_zone),
        (r.starts_at, r.ends_at),
        (r.topic, r.mode, r.location),
        if r.slot_booking_id.is_some() {
            SlotStatus::Booked
        } else {
            SlotStatus::Open
        },
        viewer_tz,
    );
    if r.slot_deleted_at.is_some() {
        slot.status = SlotStatus::Withdrawn;
    }
    let outcome = match (r.attended, r.outcome_at) {
        (Some(a), Some(at)) => Some(Outcome {
            attended: a == 1,
            notes: if scope.sees_notes() {
                Some(r.outcome_notes.unwrap_or_default())
            } else {
                None
            },
            recorded_at: rfc3339(at),
            no_show_waived: r.no_show_waived_at.is_some(),
        }),
        _ => None,
    };
    BookingDetail {
        booking: Booking {
            id: r.id,
            status: r.status,
            note: r.note,
            slot,
            learner: PersonRef {
                id: r.learner_id,
                name: r.learner_name.clone(),
            },
            sme: PersonRef {
                id: r.sme_id,
                name: r.sme_name,
            },
            created_at: rfc3339(r.created_at),
            cancelled_at: r.cancelled_at.map(rfc3339),
            cancelled_by: r.cancelled_by,
            cancelled_by_role: r.cancelled_by_role,
            cancel_reason: r.cancel_reason,
            sequence: r.sequence,
            outcome,
            invite_url: format!("/api/bookings/{}/invite.ics", r.id),
        },
        uid: r.uid,
        starts_at: r.starts_at,
        ends_at: r.ends_at,
        created_at: r.created_at,
        updated_at: r.updated_at,
        advisor: (r.advisor_name, r.advisor_email),
        learner: (r.learner_name, r.learner_email),
        advisor_id: r.advisor_id,
        learner_id: r.learner_id,
    }
}

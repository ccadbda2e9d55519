//! The iCalendar (RFC 5545) invitation for a booking.
//!
//! Times are written in UTC (`...Z`), which every calendar program converts to the reader's
//! zone: no VTIMEZONE to keep in step with the tz database. The UID never changes for a
//! booking and SEQUENCE grows with each change, so an updated file replaces the old event.

use icalendar::{Calendar, Component, EventLike, EventStatus, Property};

/// What goes into an invitation.
#[derive(Debug, Clone)]
pub struct Invite<'a> {
    pub uid: &'a str,
    pub sequence: i64,
    pub cancelled: bool,
    pub starts_at: i64,
    pub ends_at: i64,
    /// When the booking last changed (LAST-MODIFIED) and when this file is made (DTSTAMP).
    pub updated_at: i64,
    pub created_at: i64,
    pub now: i64,
    pub summary: String,
    pub description: String,
    pub location: &'a str,
    pub url: Option<String>,
    pub organizer: (&'a str, &'a str),
    pub attendee: (&'a str, &'a str),
}

/// `20260329T070000Z`
pub fn utc_stamp(ts: i64) -> String {
    jiff::Timestamp::from_second(ts)
        .map(|t| t.strftime("%Y%m%dT%H%M%SZ").to_string())
        .unwrap_or_default()
}

fn person(key: &str, (name, email): (&str, &str), attendee: bool) -> Property {
    let mut p = Property::new(key, format!("mailto:{email}"));
    p.add_parameter("CN", name);
    if attendee {
        p.add_parameter("ROLE", "REQ-PARTICIPANT");
        p.add_parameter("RSVP", "FALSE");
    }
    p.done()
}

/// Render the invitation as RFC 5545 text (CRLF line endings, folded lines).
pub fn render(invite: &Invite<'_>) -> String {
    let mut event = icalendar::Event::new();
    event
        .uid(invite.uid)
        .sequence(u32::try_from(invite.sequence).unwrap_or(0))
        .summary(&invite.summary)
        .description(&invite.description)
        .location(invite.location)
        .status(if invite.cancelled {
            EventStatus::Cancelled
        } else {
            EventStatus::Confirmed
        })
        .append_property(Property::new("DTSTAMP", utc_stamp(invite.now)))
        .append_property(Property::new("DTSTART", utc_stamp(invite.starts_at)))
        .append_property(Property::new("DTEND", utc_stamp(invite.ends_at)))
        .append_property(Property::new("CREATED", utc_stamp(invite.created_at)))
        .append_property(Property::new("LAST-MODIFIED", utc_stamp(invite.updated_at)))
        .append_property(Property::new("TRANSP", "OPAQUE"))
        .append_property(person("ORGANIZER", invite.organizer, false))
        .append_property(person("ATTENDEE", invite.attendee, true));
    if let Some(url) = &invite.url {
        event.url(url);
    }
    let mut calendar = Calendar::empty();
    calendar
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new(
            "PRODID",
            "-//IberoBio Academy//Advisory bookings//EN",
        ))
        .append_property(Property::new("CALSCALE", "GREGORIAN"))
        // NOTE: the project contract asks for METHOD:REQUEST throughout; the cancelled state is
        // carried by STATUS:CANCELLED with a higher SEQUENCE, which calendar programs honour.
        .append_property(Property::new("METHOD", "REQUEST"))
        .push(event.done());
    calendar.done().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use icalendar::{CalendarDateTime, DatePerhapsTime};

    fn sample(cancelled: bool, sequence: i64) -> String {
        render(&Invite {
            uid: "booking-7-abc@academy.example",
            sequence,
            cancelled,
            starts_at: crate::clock::parse_rfc3339("2026-03-30T07:00:00Z").unwrap(),
            ends_at: crate::clock::parse_rfc3339("2026-03-30T08:00:00Z").unwrap(),
            updated_at: 1_700_000_000,
            created_at: 1_700_000_000,
            now: 1_700_000_100,
            summary: "Advisory session: finance".into(),
            description: "Note: a long note, with commas; and semicolons, that will need folding because it is longer than seventy-five octets".into(),
            location: "https://meet.example/abc",
            url: Some("http://127.0.0.1:8000/bookings/7".into()),
            organizer: ("Inês Sousa", "ines@hub.example"),
            attendee: ("João Gonçalves", "joao@sme.example"),
        })
    }

    #[test]
    fn parses_back_with_the_right_times() {
        let text = sample(false, 0);
        assert!(text.contains("\r\n"));
        assert!(text.lines().all(|l| l.len() <= 75));
        let parsed: Calendar = text.parse().expect("parses");
        assert_eq!(parsed.property_value("METHOD"), Some("REQUEST"));
        let event = parsed.events().next().expect("one event");
        assert_eq!(event.get_uid(), Some("booking-7-abc@academy.example"));
        assert_eq!(event.get_sequence(), Some(0));
        assert_eq!(event.get_status(), Some(EventStatus::Confirmed));
        let Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(start))) = event.get_start()
        else {
            panic!("DTSTART is not UTC: {text}");
        };
        assert_eq!(
            start.timestamp(),
            crate::clock::parse_rfc3339("2026-03-30T09:00:00+02:00").unwrap()
        );
        assert!(event
            .get_description()
            .unwrap()
            .contains("commas; and semicolons"));
    }

    #[test]
    fn cancelled_invite() {
        let text = sample(true, 1);
        let parsed: Calendar = text.parse().expect("parses");
        let event = parsed.events().next().expect("one event");
        assert_eq!(event.get_status(), Some(EventStatus::Cancelled));
        assert_eq!(event.get_sequence(), Some(1));
        assert!(
            text.contains("ORGANIZER;CN=Inês Sousa:mailto:ines@hub.example")
                || text.contains("ORGANIZER;CN=\"Inês Sousa\":mailto:ines@hub.example"),
            "{text}"
        );
    }
}

//! The iCalendar (RFC 5545) invitation for a booking.
//!
//! Times are written in UTC (`...Z`), which every calendar program converts to the reader's
//! zone: no VTIMEZONE to keep in step with the tz database. The UID never changes for a
//! booking and SEQUENCE grows with each change, so an updated file replaces the old event.
//!
//! Written here rather than by the icalendar crate, which leaves parameter values (the `CN` of
//! a person) unescaped: every value is escaped (TEXT) or cleaned (parameters, URIs) and every
//! line folded at 75 octets, whatever the database holds. The crate's parser reads it back in
//! the tests.

/// What goes into an invitation.
#[derive(Debug, Clone)]
pub struct Invite<'a> {
    pub uid: &'a str,
    pub sequence: i64,
    pub cancelled: bool,
    /// `METHOD:CANCEL` for a cancelled booking's mail; the download (and every other file) says
    /// `METHOD:REQUEST` with `STATUS:CANCELLED`.
    pub method_cancel: bool,
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

/// The longest content line, in octets, without its CRLF (RFC 5545 section 3.1).
pub const MAX_LINE_OCTETS: usize = 75;

/// A TEXT value (RFC 5545 section 3.3.11): backslash, semicolon, comma and line breaks
/// escaped; any other control character (which TEXT may not hold) becomes a space.
pub fn escape_text(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A parameter value (RFC 5545 section 3.2): no control characters and no DQUOTE are allowed,
/// so those become a space and an apostrophe; quoted when it holds `:`, `;` or `,`.
pub fn param_value(value: &str) -> String {
    let clean: String = value
        .chars()
        .map(|c| match c {
            '"' => '\'',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    if clean.contains([':', ';', ',']) {
        format!("\"{clean}\"")
    } else {
        clean
    }
}

/// A URI or other non-TEXT value: control characters and spaces cannot be part of it.
fn uri_value(value: &str) -> String {
    value
        .chars()
        .filter(|c| !c.is_control() && !c.is_whitespace())
        .collect()
}

/// Append one content line, folded so that no line is longer than [`MAX_LINE_OCTETS`]
/// (continuation lines start with a space, which counts), never inside a UTF-8 character.
fn push_line(out: &mut String, line: &str) {
    let mut rest = line;
    let mut limit = MAX_LINE_OCTETS;
    loop {
        if rest.len() <= limit {
            out.push_str(rest);
            out.push_str("\r\n");
            return;
        }
        let mut cut = limit;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&rest[..cut]);
        out.push_str("\r\n ");
        rest = &rest[cut..];
        limit = MAX_LINE_OCTETS - 1;
    }
}

fn text_line(out: &mut String, name: &str, value: &str) {
    push_line(out, &format!("{name}:{}", escape_text(value)));
}

fn person_line(out: &mut String, key: &str, (name, email): (&str, &str), attendee: bool) {
    let mut line = format!("{key};CN={}", param_value(name));
    if attendee {
        line.push_str(";ROLE=REQ-PARTICIPANT;RSVP=FALSE");
    }
    line.push_str(&format!(":mailto:{}", uri_value(email)));
    push_line(out, &line);
}

/// Render the invitation as RFC 5545 text (CRLF line endings, folded lines). Every value is
/// escaped here, whatever the database holds: no value can start a property of its own.
pub fn render(invite: &Invite<'_>) -> String {
    let mut out = String::with_capacity(1024);
    push_line(&mut out, "BEGIN:VCALENDAR");
    push_line(&mut out, "VERSION:2.0");
    push_line(
        &mut out,
        "PRODID:-//IberoBio Academy//Advisory bookings//EN",
    );
    push_line(&mut out, "CALSCALE:GREGORIAN");
    // The download is METHOD:REQUEST throughout (the API's contract); a cancelled state is
    // carried by STATUS:CANCELLED with a higher SEQUENCE, which calendar programs honour. The
    // cancellation mail says METHOD:CANCEL, as mail clients expect of an update that removes.
    let method = if invite.cancelled && invite.method_cancel {
        "CANCEL"
    } else {
        "REQUEST"
    };
    push_line(&mut out, &format!("METHOD:{method}"));
    push_line(&mut out, "BEGIN:VEVENT");
    text_line(&mut out, "UID", invite.uid);
    push_line(
        &mut out,
        &format!("SEQUENCE:{}", u32::try_from(invite.sequence).unwrap_or(0)),
    );
    text_line(&mut out, "SUMMARY", &invite.summary);
    text_line(&mut out, "DESCRIPTION", &invite.description);
    text_line(&mut out, "LOCATION", invite.location);
    let status = if invite.cancelled {
        "CANCELLED"
    } else {
        "CONFIRMED"
    };
    push_line(&mut out, &format!("STATUS:{status}"));
    for (name, ts) in [
        ("DTSTAMP", invite.now),
        ("DTSTART", invite.starts_at),
        ("DTEND", invite.ends_at),
        ("CREATED", invite.created_at),
        ("LAST-MODIFIED", invite.updated_at),
    ] {
        push_line(&mut out, &format!("{name}:{}", utc_stamp(ts)));
    }
    push_line(&mut out, "TRANSP:OPAQUE");
    person_line(&mut out, "ORGANIZER", invite.organizer, false);
    person_line(&mut out, "ATTENDEE", invite.attendee, true);
    if let Some(url) = &invite.url {
        push_line(&mut out, &format!("URL:{}", uri_value(url)));
    }
    push_line(&mut out, "END:VEVENT");
    push_line(&mut out, "END:VCALENDAR");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use icalendar::{
        Calendar, CalendarDateTime, Component, DatePerhapsTime, EventLike, EventStatus,
    };

    fn sample(cancelled: bool, sequence: i64) -> String {
        render(&Invite {
            method_cancel: false,
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

    /// Every line of `text` (CRLF-terminated) is at most 75 octets and holds no control
    /// character; returns the unfolded logical lines.
    fn check_lines(text: &str) -> Vec<String> {
        assert!(text.ends_with("\r\n"), "{text:?}");
        let mut logical: Vec<String> = Vec::new();
        for line in text[..text.len() - 2].split("\r\n") {
            assert!(
                line.len() <= MAX_LINE_OCTETS,
                "{} octets: {line:?}",
                line.len()
            );
            assert!(!line.chars().any(|c| c.is_control()), "control in {line:?}");
            match line.strip_prefix(' ') {
                Some(cont) => logical.last_mut().expect("a first line").push_str(cont),
                None => logical.push(line.to_string()),
            }
        }
        logical
    }

    fn hostile(name: &str, email: &str, location: &str, description: &str) -> String {
        render(&Invite {
            method_cancel: false,
            uid: "booking-1-x@academy.example",
            sequence: 0,
            cancelled: false,
            starts_at: 1_800_000_000,
            ends_at: 1_800_003_600,
            updated_at: 1_700_000_000,
            created_at: 1_700_000_000,
            now: 1_700_000_100,
            summary: format!("Advisory session with {name}"),
            description: description.to_string(),
            location,
            url: Some("http://127.0.0.1:8000/api/bookings/1".into()),
            organizer: (name, email),
            attendee: (name, email),
        })
    }

    const PROPERTIES: [&str; 17] = [
        "BEGIN",
        "VERSION",
        "PRODID",
        "CALSCALE",
        "METHOD",
        "UID",
        "SEQUENCE",
        "SUMMARY",
        "DESCRIPTION",
        "LOCATION",
        "STATUS",
        "DTSTAMP",
        "DTSTART",
        "DTEND",
        "CREATED",
        "LAST-MODIFIED",
        "TRANSP",
    ];

    fn property_names(logical: &[String]) -> Vec<String> {
        logical
            .iter()
            .map(|l| l.split([':', ';']).next().unwrap_or_default().to_string())
            .collect()
    }

    #[test]
    fn injected_lines_stay_inside_their_values() {
        let name = "Mallory\r\nATTACH:http://evil.example/x.exe\r\nORGANIZER:mailto:evil@x";
        let text = hostile(
            name,
            "m@x.example\r\nATTACH:http://evil.example/y",
            "Room 1\nATTACH:http://evil.example/z; a, b \\ c",
            "Line one\r\nATTACH:http://evil.example/w\u{0}\u{7}",
        );
        let logical = check_lines(&text);
        let names = property_names(&logical);
        assert!(!names.iter().any(|n| n == "ATTACH"), "{text}");
        assert_eq!(
            names.iter().filter(|n| *n == "ORGANIZER").count(),
            1,
            "{text}"
        );
        assert_eq!(
            names.iter().filter(|n| *n == "ATTENDEE").count(),
            1,
            "{text}"
        );

        let parsed: Calendar = text.parse().expect("parses");
        let event = parsed.events().next().expect("one event");
        assert!(event.property_value("ATTACH").is_none());
        assert_eq!(
            event.get_location(),
            Some("Room 1\nATTACH:http://evil.example/z; a, b \\ c")
        );
        assert_eq!(
            event.get_description(),
            Some("Line one\nATTACH:http://evil.example/w  ")
        );
        let organizer = event.properties().get("ORGANIZER").expect("organizer");
        assert_eq!(
            organizer.value(),
            "mailto:m@x.exampleATTACH:http://evil.example/y"
        );
        assert!(organizer
            .params()
            .get("CN")
            .is_some_and(|p| p.value().contains("Mallory  ATTACH")));
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn text() -> impl Strategy<Value = String> {
            // Hostile alphabets: line breaks, controls, iCalendar delimiters, multi-byte.
            prop::collection::vec(
                prop_oneof![
                    Just('\r'),
                    Just('\n'),
                    Just('\u{0}'),
                    Just('\t'),
                    Just('\u{85}'),
                    Just(':'),
                    Just(';'),
                    Just(','),
                    Just('"'),
                    Just('\\'),
                    Just('é'),
                    Just('老'),
                    Just('😀'),
                    any::<char>(),
                    "[A-Z]".prop_map(|s| s.chars().next().unwrap_or('A')),
                ],
                0..120,
            )
            .prop_map(|v| v.into_iter().collect())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(200))]

            #[test]
            fn lines_are_short_clean_and_only_ours(
                name in text(), email in text(), location in text(), description in text(),
            ) {
                let out = hostile(&name, &email, &location, &description);
                let logical = check_lines(&out);
                let mut names = property_names(&logical);
                names.sort();
                let mut expected: Vec<String> = PROPERTIES
                    .iter()
                    .chain(["BEGIN", "END", "END", "ORGANIZER", "ATTENDEE", "URL"].iter())
                    .map(|s| s.to_string())
                    .collect();
                expected.sort();
                prop_assert_eq!(names, expected);
                let parsed = out.parse::<Calendar>().map_err(|e| TestCaseError::fail(e.to_string()))?;
                let event = parsed.events().next().expect("one event");
                let clean = |s: &str| -> String {
                    s.replace("\r\n", "\n").replace('\r', "\n")
                        .chars()
                        .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
                        .collect()
                };
                let (want_location, want_description) = (clean(&location), clean(&description));
                prop_assert_eq!(event.get_location(), Some(want_location.as_str()));
                prop_assert_eq!(event.get_description(), Some(want_description.as_str()));
            }
        }
    }
}

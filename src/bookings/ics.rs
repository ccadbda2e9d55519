//! The iCalendar (RFC 5545) invitation for a booking.
//!
//! The session's start and end are written as local times of the reader's zone (`TZID=`),
//! with a VTIMEZONE that lists that zone's offsets and changes (from the tz database, through
//! jiff) from the session back to the change in force and on for a year, so Outlook and Google
//! show the right local time even across a DST change. Without a zone (or with UTC) they are
//! written in UTC (`...Z`). The UID never changes for a booking and SEQUENCE grows with each
//! change, so an updated file replaces the old event.
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
    /// The reader's IANA zone (`Europe/Lisbon`): DTSTART and DTEND in its local time with a
    /// VTIMEZONE. `None`, UTC or a name the tz database does not know: UTC times.
    pub time_zone: Option<&'a str>,
}

/// `20260329T070000Z`
pub fn utc_stamp(ts: i64) -> String {
    jiff::Timestamp::from_second(ts)
        .map(|t| t.strftime("%Y%m%dT%H%M%SZ").to_string())
        .unwrap_or_default()
}

/// `20260329T090000`: the local wall-clock time of `ts` at `offset` seconds east of UTC.
fn local_stamp(ts: jiff::Timestamp, offset: jiff::tz::Offset) -> String {
    offset.to_datetime(ts).strftime("%Y%m%dT%H%M%S").to_string()
}

/// `+0100`, `-0230`, `+003045` (RFC 5545 UTC-OFFSET).
fn utc_offset(offset: jiff::tz::Offset) -> String {
    let total = offset.seconds();
    let sign = if total < 0 { '-' } else { '+' };
    let abs = total.unsigned_abs();
    let (h, m, s) = (abs / 3600, abs / 60 % 60, abs % 60);
    if s == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{s:02}")
    }
}

/// The zone to write local times in: a known IANA zone that is not UTC itself.
fn reader_zone(name: Option<&str>) -> Option<(String, jiff::tz::TimeZone)> {
    let name = name?.trim();
    let tz = jiff::tz::TimeZone::get(name).ok()?;
    let iana = tz.iana_name()?.to_string();
    (!matches!(
        iana.as_str(),
        "UTC" | "Etc/UTC" | "Etc/UCT" | "UCT" | "Zulu" | "Etc/Zulu"
    ))
    .then_some((iana, tz))
}

/// VTIMEZONE for `tz` (RFC 5545 section 3.6.5): one STANDARD or DAYLIGHT observance per
/// offset change, from the change in force at `from` up to a year after `to`, each with its
/// local start time (at the offset before the change), the offsets before and after, and the
/// zone's abbreviation. A zone without changes gets one observance of its fixed offset.
fn push_vtimezone(out: &mut String, name: &str, tz: &jiff::tz::TimeZone, from: i64, to: i64) {
    use jiff::{Timestamp, ToSpan};
    let (Ok(start), Ok(horizon)) = (
        Timestamp::from_second(from),
        Timestamp::from_second(to.saturating_add(366 * 86_400)),
    ) else {
        return;
    };
    push_line(out, "BEGIN:VTIMEZONE");
    text_line(out, "TZID", name);
    let mut changes: Vec<_> = tz
        .preceding(start.checked_add(1.second()).unwrap_or(start))
        .take(1)
        .collect();
    let after = changes.first().map_or(start, |t| t.timestamp());
    changes.extend(
        tz.following(after)
            .take_while(|t| t.timestamp() <= horizon)
            .filter(|t| t.timestamp() > after),
    );
    if changes.is_empty() {
        let info = tz.to_offset_info(start);
        let offset = utc_offset(info.offset());
        let kind = if info.dst().is_dst() {
            "DAYLIGHT"
        } else {
            "STANDARD"
        };
        push_line(out, &format!("BEGIN:{kind}"));
        push_line(out, "DTSTART:19700101T000000");
        push_line(out, &format!("TZOFFSETFROM:{offset}"));
        push_line(out, &format!("TZOFFSETTO:{offset}"));
        text_line(out, "TZNAME", info.abbreviation());
        push_line(out, &format!("END:{kind}"));
    }
    for change in &changes {
        let at = change.timestamp();
        let before = tz.to_offset(at.checked_sub(1.second()).unwrap_or(at));
        let kind = if change.dst().is_dst() {
            "DAYLIGHT"
        } else {
            "STANDARD"
        };
        push_line(out, &format!("BEGIN:{kind}"));
        push_line(out, &format!("DTSTART:{}", local_stamp(at, before)));
        push_line(out, &format!("TZOFFSETFROM:{}", utc_offset(before)));
        push_line(out, &format!("TZOFFSETTO:{}", utc_offset(change.offset())));
        text_line(out, "TZNAME", change.abbreviation());
        push_line(out, &format!("END:{kind}"));
    }
    push_line(out, "END:VTIMEZONE");
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
    let zone = reader_zone(invite.time_zone);
    if let Some((name, tz)) = &zone {
        push_vtimezone(&mut out, name, tz, invite.starts_at, invite.ends_at);
    }
    push_event(&mut out, invite, &zone);
    push_line(&mut out, "END:VCALENDAR");
    out
}

/// A calendar subscription: every session of one person, polled by their calendar program.
#[derive(Debug, Clone)]
pub struct Feed<'a> {
    /// The calendar's name as calendar programs show it.
    pub name: &'a str,
    /// The owner's IANA zone (one VTIMEZONE covering every session).
    pub time_zone: &'a str,
    pub events: Vec<Invite<'a>>,
}

/// Render a subscription feed: `METHOD:PUBLISH`, the calendar's name, a refresh hint of an
/// hour, one VTIMEZONE for the owner's zone spanning every session, and one VEVENT per
/// session with the UID and SEQUENCE of its invitation (cancelled ones `STATUS:CANCELLED`).
pub fn render_feed(feed: &Feed<'_>) -> String {
    let mut out = String::with_capacity(512 + feed.events.len() * 900);
    push_line(&mut out, "BEGIN:VCALENDAR");
    push_line(&mut out, "VERSION:2.0");
    push_line(
        &mut out,
        "PRODID:-//IberoBio Academy//Advisory bookings//EN",
    );
    push_line(&mut out, "CALSCALE:GREGORIAN");
    push_line(&mut out, "METHOD:PUBLISH");
    text_line(&mut out, "X-WR-CALNAME", feed.name);
    push_line(&mut out, "REFRESH-INTERVAL;VALUE=DURATION:PT1H");
    push_line(&mut out, "X-PUBLISHED-TTL:PT1H");
    let zone = reader_zone(Some(feed.time_zone));
    if let Some((name, tz)) = &zone {
        text_line(&mut out, "X-WR-TIMEZONE", name);
        let first = feed.events.iter().map(|e| e.starts_at).min();
        let last = feed.events.iter().map(|e| e.ends_at).max();
        if let (Some(first), Some(last)) = (first, last) {
            push_vtimezone(&mut out, name, tz, first, last);
        }
    }
    for event in &feed.events {
        push_event(&mut out, event, &zone);
    }
    push_line(&mut out, "END:VCALENDAR");
    out
}

/// One VEVENT, its times in `zone` (or UTC).
fn push_event(out: &mut String, invite: &Invite<'_>, zone: &Option<(String, jiff::tz::TimeZone)>) {
    push_line(out, "BEGIN:VEVENT");
    text_line(out, "UID", invite.uid);
    push_line(
        out,
        &format!("SEQUENCE:{}", u32::try_from(invite.sequence).unwrap_or(0)),
    );
    text_line(out, "SUMMARY", &invite.summary);
    text_line(out, "DESCRIPTION", &invite.description);
    text_line(out, "LOCATION", invite.location);
    let status = if invite.cancelled {
        "CANCELLED"
    } else {
        "CONFIRMED"
    };
    push_line(out, &format!("STATUS:{status}"));
    for (name, ts) in [("DTSTART", invite.starts_at), ("DTEND", invite.ends_at)] {
        match (&zone, jiff::Timestamp::from_second(ts)) {
            (Some((tzid, tz)), Ok(at)) => push_line(
                out,
                &format!(
                    "{name};TZID={}:{}",
                    param_value(tzid),
                    local_stamp(at, tz.to_offset(at))
                ),
            ),
            _ => push_line(out, &format!("{name}:{}", utc_stamp(ts))),
        }
    }
    for (name, ts) in [
        ("DTSTAMP", invite.now),
        ("CREATED", invite.created_at),
        ("LAST-MODIFIED", invite.updated_at),
    ] {
        push_line(out, &format!("{name}:{}", utc_stamp(ts)));
    }
    push_line(out, "TRANSP:OPAQUE");
    person_line(out, "ORGANIZER", invite.organizer, false);
    person_line(out, "ATTENDEE", invite.attendee, true);
    if let Some(url) = &invite.url {
        push_line(out, &format!("URL:{}", uri_value(url)));
    }
    push_line(out, "END:VEVENT");
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
            time_zone: None,
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

    fn zoned(tz: &str, starts_at: &str, hours: i64) -> String {
        let start = crate::clock::parse_rfc3339(starts_at).unwrap();
        render(&Invite {
            method_cancel: false,
            uid: "booking-9-z@academy.example",
            sequence: 0,
            cancelled: false,
            starts_at: start,
            ends_at: start + hours * 3600,
            updated_at: 1_700_000_000,
            created_at: 1_700_000_000,
            now: 1_700_000_100,
            summary: "s".into(),
            description: "d".into(),
            location: "l",
            url: None,
            organizer: ("A", "a@x.example"),
            attendee: ("B", "b@x.example"),
            time_zone: Some(tz),
        })
    }

    /// The logical lines between `BEGIN:VTIMEZONE` and `END:VTIMEZONE`.
    fn vtimezone(text: &str) -> Vec<String> {
        check_lines(text)
            .into_iter()
            .skip_while(|l| l != "BEGIN:VTIMEZONE")
            .take_while(|l| l != "END:VTIMEZONE")
            .collect()
    }

    #[test]
    fn local_times_with_the_zone_in_force_across_dst() {
        // The Monday after the spring change: Lisbon and the Canaries at +01, Madrid at +02.
        for (tz, local) in [
            ("Europe/Lisbon", "20260330T080000"),
            ("Atlantic/Canary", "20260330T080000"),
            ("Europe/Madrid", "20260330T090000"),
        ] {
            let text = zoned(tz, "2026-03-30T07:00:00Z", 1);
            assert!(
                text.contains(&format!("DTSTART;TZID={tz}:{local}")),
                "{text}"
            );
            let parsed: Calendar = text.parse().expect("parses");
            let event = parsed.events().next().unwrap();
            assert!(matches!(
                event.get_start(),
                Some(DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone { ref tzid, .. })) if tzid == tz
            ));
            let vtz = vtimezone(&text);
            assert_eq!(vtz[1], format!("TZID:{tz}"));
            // The spring change in force (DAYLIGHT), then autumn and spring of the next year.
            let begins: Vec<&String> = vtz.iter().filter(|l| l.starts_with("BEGIN:")).collect();
            assert_eq!(begins[1], "BEGIN:DAYLIGHT", "{vtz:?}");
            assert_eq!(begins[2], "BEGIN:STANDARD", "{vtz:?}");
            assert!(begins.len() >= 4, "{vtz:?}");
        }
        let lisbon = vtimezone(&zoned("Europe/Lisbon", "2026-03-30T07:00:00Z", 1));
        let daylight: Vec<&str> = lisbon[3..9].iter().map(String::as_str).collect();
        assert_eq!(
            daylight,
            [
                "DTSTART:20260329T010000",
                "TZOFFSETFROM:+0000",
                "TZOFFSETTO:+0100",
                "TZNAME:WEST",
                "END:DAYLIGHT",
                "BEGIN:STANDARD",
            ]
        );
        let madrid = vtimezone(&zoned("Europe/Madrid", "2026-10-26T09:00:00Z", 1));
        assert!(
            madrid.iter().any(|l| l == "DTSTART:20261025T030000"),
            "autumn change at 03:00 CEST: {madrid:?}"
        );
        assert!(madrid.contains(&"TZOFFSETFROM:+0200".to_string()));
    }

    #[test]
    fn utc_or_unknown_zones_stay_in_utc() {
        for tz in ["UTC", "Etc/UTC", "Mars/Olympus", ""] {
            let text = zoned(tz, "2026-03-30T07:00:00Z", 1);
            assert!(!text.contains("VTIMEZONE"), "{tz}: {text}");
            assert!(text.contains("DTSTART:20260330T070000Z"), "{tz}: {text}");
        }
        // A zone without changes gets one fixed observance.
        let text = zoned("Asia/Kolkata", "2026-03-30T07:00:00Z", 1);
        assert!(
            text.contains("DTSTART;TZID=Asia/Kolkata:20260330T123000"),
            "{text}"
        );
        assert!(text.contains("TZOFFSETTO:+0530"), "{text}");
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
            time_zone: None,
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

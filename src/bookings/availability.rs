//! Time-zone maths: a weekly availability pattern becomes concrete UTC slots, and UTC times
//! are shown in a person's IANA zone. DST-correct through jiff's bundled tzdb.
//!
//! A pattern is a wall-clock promise ("Tuesdays 09:00 to 13:00 in Madrid"), so slots are laid
//! out in local civil time and only then converted to instants: the 09:00 session stays at
//! 09:00 local on both sides of a daylight-saving change, and its UTC time moves by an hour.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{Timestamp, ToSpan};

/// A weekly availability pattern, already validated.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// ISO weekdays, 1 = Monday .. 7 = Sunday.
    pub weekdays: Vec<i8>,
    pub start: Time,
    pub end: Time,
    pub session_minutes: i64,
    pub buffer_minutes: i64,
    /// The first day considered (local date in `tz`).
    pub first_day: Date,
    pub weeks: i64,
    pub tz: TimeZone,
}

/// One generated slot, in unix seconds (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub starts_at: i64,
    pub ends_at: i64,
}

/// A local time the pattern asked for that does not exist that day (clocks go forward).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    pub local: DateTime,
}

/// Expand a pattern into slots (in time order) and the local times that could not exist.
///
/// Each session lasts exactly `session_minutes` of real time. A local start time that falls in
/// a spring-forward gap does not exist that day and is skipped; one that falls in an
/// autumn-back fold happens twice, and the first occurrence is used.
pub fn expand(p: &Pattern) -> (Vec<Candidate>, Vec<Gap>) {
    let mut slots = Vec::new();
    let mut gaps = Vec::new();
    let step = p.session_minutes + p.buffer_minutes;
    if p.session_minutes <= 0 || step <= 0 || p.start >= p.end {
        return (slots, gaps);
    }
    let days = p.weeks * 7;
    for offset in 0..days {
        let Ok(day) = p.first_day.checked_add(offset.days()) else {
            break;
        };
        let weekday = day.weekday().to_monday_one_offset();
        if !p.weekdays.contains(&weekday) {
            continue;
        }
        let day_end = day.to_datetime(p.end);
        let mut local = day.to_datetime(p.start);
        loop {
            let Ok(local_end) = local.checked_add(p.session_minutes.minutes()) else {
                break;
            };
            if local_end > day_end {
                break;
            }
            let ambiguous = p.tz.to_ambiguous_zoned(local);
            let start = match ambiguous.offset() {
                AmbiguousOffset::Unambiguous { offset }
                | AmbiguousOffset::Fold { before: offset, .. } => offset.to_timestamp(local).ok(),
                AmbiguousOffset::Gap { .. } => {
                    gaps.push(Gap { local });
                    None
                }
            };
            if let Some(start) = start {
                let starts_at = start.as_second();
                slots.push(Candidate {
                    starts_at,
                    ends_at: starts_at + p.session_minutes * 60,
                });
            }
            match local.checked_add(step.minutes()) {
                Ok(next) => local = next,
                Err(_) => break,
            }
        }
    }
    (slots, gaps)
}

/// `"09:30"` -> 09:30. Only `HH:MM` (24 h) is accepted.
pub fn parse_hhmm(s: &str) -> Option<Time> {
    let (h, m) = s.trim().split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let h: i8 = h.parse().ok()?;
    let m: i8 = m.parse().ok()?;
    Time::new(h, m, 0, 0).ok()
}

/// `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<Date> {
    s.trim().parse::<Date>().ok()
}

/// The zone for a name, falling back to UTC for names the bundled database does not know
/// (user zones are validated when set, so this only guards old rows).
pub fn zone(name: &str) -> TimeZone {
    TimeZone::get(name).unwrap_or(TimeZone::UTC)
}

/// RFC 3339 with the local offset, e.g. `2026-03-30T09:00:00+02:00`.
pub fn local_rfc3339(ts: i64, tz: &TimeZone) -> String {
    match Timestamp::from_second(ts) {
        Ok(t) => t
            .to_zoned(tz.clone())
            .strftime("%Y-%m-%dT%H:%M:%S%:z")
            .to_string(),
        Err(_) => String::new(),
    }
}

/// The local date in `tz` of an instant.
pub fn local_date(ts: i64, tz: &TimeZone) -> Option<Date> {
    Timestamp::from_second(ts)
        .ok()
        .map(|t| t.to_zoned(tz.clone()).date())
}

/// `2026-Q1` for the calendar quarter an instant falls in, in `tz`.
pub fn quarter_of(ts: i64, tz: &TimeZone) -> String {
    match local_date(ts, tz) {
        Some(d) => format!("{}-Q{}", d.year(), (d.month() - 1) / 3 + 1),
        None => String::new(),
    }
}

/// The last Sunday of a month: when the EU changes clocks (March and October).
pub fn last_sunday(year: i16, month: i8) -> Option<Date> {
    let last = Date::new(year, month, 1).ok()?.last_of_month();
    let back = i64::from(last.weekday().to_sunday_zero_offset());
    last.checked_sub(back.days()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(tz: &str, first_day: Date, weeks: i64, start: &str, end: &str) -> Pattern {
        Pattern {
            weekdays: vec![1, 2, 3, 4, 5, 6, 7],
            start: parse_hhmm(start).unwrap(),
            end: parse_hhmm(end).unwrap(),
            session_minutes: 60,
            buffer_minutes: 0,
            first_day,
            weeks,
            tz: TimeZone::get(tz).unwrap(),
        }
    }

    fn local(ts: i64, tz: &str) -> String {
        local_rfc3339(ts, &zone(tz))
    }

    #[test]
    fn last_sundays() {
        assert_eq!(last_sunday(2026, 3), Some(jiff::civil::date(2026, 3, 29)));
        assert_eq!(last_sunday(2026, 10), Some(jiff::civil::date(2026, 10, 25)));
        assert_eq!(last_sunday(2027, 3), Some(jiff::civil::date(2027, 3, 28)));
        assert_eq!(last_sunday(2027, 10), Some(jiff::civil::date(2027, 10, 31)));
    }

    #[test]
    fn nine_o_clock_stays_nine_across_spring_forward() {
        for (tz, before, after) in [
            ("Europe/Madrid", "+01:00", "+02:00"),
            ("Europe/Lisbon", "+00:00", "+01:00"),
            ("Atlantic/Canary", "+00:00", "+01:00"),
        ] {
            let p = Pattern {
                weekdays: vec![7],
                ..pattern(tz, jiff::civil::date(2026, 3, 22), 2, "09:00", "10:00")
            };
            let (slots, gaps) = expand(&p);
            assert!(gaps.is_empty());
            assert_eq!(slots.len(), 2, "{tz}");
            assert_eq!(
                local(slots[0].starts_at, tz),
                format!("2026-03-22T09:00:00{before}")
            );
            assert_eq!(
                local(slots[1].starts_at, tz),
                format!("2026-03-29T09:00:00{after}")
            );
            // One week of wall-clock time is one hour less of real time.
            assert_eq!(slots[1].starts_at - slots[0].starts_at, 7 * 86_400 - 3_600);
            assert_eq!(slots[1].ends_at - slots[1].starts_at, 3_600);
        }
    }

    #[test]
    fn nine_o_clock_stays_nine_across_fall_back() {
        let p = Pattern {
            weekdays: vec![1],
            ..pattern(
                "Europe/Madrid",
                jiff::civil::date(2026, 10, 19),
                2,
                "09:00",
                "10:00",
            )
        };
        let (slots, _) = expand(&p);
        assert_eq!(slots.len(), 2);
        assert_eq!(
            local(slots[0].starts_at, "Europe/Madrid"),
            "2026-10-19T09:00:00+02:00"
        );
        assert_eq!(
            local(slots[1].starts_at, "Europe/Madrid"),
            "2026-10-26T09:00:00+01:00"
        );
        assert_eq!(slots[1].starts_at - slots[0].starts_at, 7 * 86_400 + 3_600);
    }

    #[test]
    fn spring_forward_gap_is_skipped_and_fold_takes_the_first_occurrence() {
        // Madrid: 02:00 -> 03:00 on 2026-03-29; Lisbon: 01:00 -> 02:00.
        let day = jiff::civil::date(2026, 3, 29);
        let (slots, gaps) = expand(&Pattern {
            session_minutes: 30,
            ..pattern("Europe/Madrid", day, 1, "01:30", "03:30")
        });
        let starts: Vec<String> = slots
            .iter()
            .filter(|s| local_date(s.starts_at, &zone("Europe/Madrid")) == Some(day))
            .map(|s| local(s.starts_at, "Europe/Madrid"))
            .collect();
        assert_eq!(
            starts,
            ["2026-03-29T01:30:00+01:00", "2026-03-29T03:00:00+02:00"]
        );
        assert_eq!(gaps.len(), 2);
        assert_eq!(gaps[0].local, day.at(2, 0, 0, 0));
        assert_eq!(gaps[1].local, day.at(2, 30, 0, 0));

        // Lisbon falls back 02:00 -> 01:00 on 2026-10-25: 01:00 happens twice.
        let day = jiff::civil::date(2026, 10, 25);
        let (slots, gaps) = expand(&Pattern {
            weekdays: vec![7],
            ..pattern("Europe/Lisbon", day, 1, "01:00", "02:00")
        });
        assert!(gaps.is_empty());
        assert_eq!(slots.len(), 1);
        assert_eq!(
            local(slots[0].starts_at, "Europe/Lisbon"),
            "2026-10-25T01:00:00+01:00"
        );
        assert_eq!(
            local(slots[0].starts_at, "UTC"),
            "2026-10-25T00:00:00+00:00"
        );
    }

    #[test]
    fn buffer_and_end_of_window() {
        let p = Pattern {
            weekdays: vec![2],
            session_minutes: 45,
            buffer_minutes: 15,
            ..pattern(
                "Europe/Lisbon",
                jiff::civil::date(2026, 6, 1),
                1,
                "09:00",
                "12:00",
            )
        };
        let (slots, _) = expand(&p);
        let starts: Vec<String> = slots
            .iter()
            .map(|s| local(s.starts_at, "Europe/Lisbon"))
            .collect();
        assert_eq!(
            starts,
            [
                "2026-06-02T09:00:00+01:00",
                "2026-06-02T10:00:00+01:00",
                "2026-06-02T11:00:00+01:00"
            ]
        );
        assert!(slots.iter().all(|s| s.ends_at - s.starts_at == 45 * 60));
    }

    #[test]
    fn parsing_and_quarters() {
        assert_eq!(parse_hhmm("09:05"), Some(Time::constant(9, 5, 0, 0)));
        assert_eq!(parse_hhmm("9:05"), None);
        assert_eq!(parse_hhmm("24:00"), None);
        assert_eq!(parse_hhmm("nine"), None);
        assert_eq!(
            parse_date("2027-03-28"),
            Some(jiff::civil::date(2027, 3, 28))
        );
        assert_eq!(parse_date("28/03/2027"), None);
        // 2026-12-31T23:30Z is already 2027 in Madrid.
        let ts = crate::clock::parse_rfc3339("2026-12-31T23:30:00Z").unwrap();
        assert_eq!(quarter_of(ts, &zone("Europe/Madrid")), "2027-Q1");
        assert_eq!(quarter_of(ts, &zone("Europe/Lisbon")), "2026-Q4");
    }
}

//! Times are stored as BIGINT unix seconds (UTC) and shown as RFC 3339 strings in UTC.

use jiff::Timestamp;

/// The current time in unix seconds (UTC).
pub fn now() -> i64 {
    Timestamp::now().as_second()
}

/// `2026-03-02T09:30:00Z` for a unix timestamp.
pub fn rfc3339(ts: i64) -> String {
    Timestamp::from_second(ts)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

pub fn rfc3339_opt(ts: Option<i64>) -> Option<String> {
    ts.map(rfc3339)
}

/// Parse an RFC 3339 time (any offset) into unix seconds (fractions of a second dropped).
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    s.trim().parse::<Timestamp>().ok().map(|t| t.as_second())
}

/// `#[serde(serialize_with = "crate::clock::as_rfc3339")]` for unix-second fields.
pub fn as_rfc3339<S: serde::Serializer>(ts: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(*ts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let ts = parse_rfc3339("2026-03-02T10:30:00+01:00").unwrap();
        assert_eq!(rfc3339(ts), "2026-03-02T09:30:00Z");
        assert!(parse_rfc3339("yesterday").is_none());
        // A time without an offset is ambiguous: refused.
        assert!(parse_rfc3339("2026-03-02T10:30:00").is_none());
        assert_eq!(
            parse_rfc3339("2026-03-02T09:30:00.750Z"),
            parse_rfc3339("2026-03-02T09:30:00Z")
        );
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }
}

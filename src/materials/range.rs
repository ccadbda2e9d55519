//! `Range: bytes=...` for downloads from the folder store (RFC 9110 §14). One range is served
//! as 206; several ranges are answered with the whole file (allowed, and simpler for clients).

use crate::storage::ByteRange;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    Whole,
    Part(ByteRange),
    /// 416 with `Content-Range: bytes */size`.
    Unsatisfiable,
}

pub fn parse(header: Option<&str>, size: u64) -> Wanted {
    let Some(header) = header else {
        return Wanted::Whole;
    };
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        // Unknown units are ignored.
        return Wanted::Whole;
    };
    if spec.contains(',') {
        return Wanted::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Wanted::Whole;
    };
    let (first, last) = (first.trim(), last.trim());
    let parse = |s: &str| -> Option<u64> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            None
        } else {
            s.parse().ok()
        }
    };
    match (first.is_empty(), last.is_empty()) {
        // bytes=-N: the last N bytes.
        (true, false) => match parse(last) {
            Some(0) => Wanted::Unsatisfiable,
            Some(_) if size == 0 => Wanted::Unsatisfiable,
            Some(n) => {
                let len = n.min(size);
                Wanted::Part(ByteRange {
                    start: size - len,
                    len,
                })
            }
            None => Wanted::Whole,
        },
        // bytes=A- and bytes=A-B
        (false, _) => {
            let Some(start) = parse(first) else {
                return Wanted::Whole;
            };
            let end = if last.is_empty() {
                size.saturating_sub(1)
            } else {
                match parse(last) {
                    Some(e) if e >= start => e.min(size.saturating_sub(1)),
                    _ => return Wanted::Whole,
                }
            };
            if start >= size {
                Wanted::Unsatisfiable
            } else {
                Wanted::Part(ByteRange {
                    start,
                    len: end - start + 1,
                })
            }
        }
        (true, true) => Wanted::Whole,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(start: u64, len: u64) -> Wanted {
        Wanted::Part(ByteRange { start, len })
    }

    #[test]
    fn ranges() {
        assert_eq!(parse(None, 100), Wanted::Whole);
        assert_eq!(parse(Some("bytes=0-9"), 100), part(0, 10));
        assert_eq!(parse(Some("bytes=90-"), 100), part(90, 10));
        assert_eq!(parse(Some("bytes=90-1000"), 100), part(90, 10));
        assert_eq!(parse(Some("bytes=-5"), 100), part(95, 5));
        assert_eq!(parse(Some("bytes=-500"), 100), part(0, 100));
        assert_eq!(parse(Some("bytes=99-99"), 100), part(99, 1));
        assert_eq!(parse(Some("bytes=100-"), 100), Wanted::Unsatisfiable);
        assert_eq!(parse(Some("bytes=100-200"), 100), Wanted::Unsatisfiable);
        assert_eq!(parse(Some("bytes=-0"), 100), Wanted::Unsatisfiable);
        assert_eq!(parse(Some("bytes=0-"), 0), Wanted::Unsatisfiable);
        // Malformed or unsupported: the whole file.
        assert_eq!(parse(Some("bytes=9-3"), 100), Wanted::Whole);
        assert_eq!(parse(Some("bytes=0-1,5-6"), 100), Wanted::Whole);
        assert_eq!(parse(Some("items=0-1"), 100), Wanted::Whole);
        assert_eq!(parse(Some("bytes=a-b"), 100), Wanted::Whole);
        assert_eq!(parse(Some("bytes=+1-2"), 100), Wanted::Whole);
        assert_eq!(parse(Some("bytes=-"), 100), Wanted::Whole);
    }
}

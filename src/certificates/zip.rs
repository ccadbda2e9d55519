//! A ZIP of certificates, with file names that are safe on every operating system.
//!
//! `Uxía Fernández Castro` + `regulatory-basics` becomes `Uxia_Fernandez_Castro-regulatory-basics.pdf`:
//! accents transliterated, characters Windows, macOS or Linux reserve dropped, no reserved
//! device names, no leading or trailing dots, bounded length, and duplicates (compared without
//! case, as Windows and macOS do) numbered.

use std::collections::HashSet;
use std::io::{Cursor, Write};

use unicode_normalization::UnicodeNormalization;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// Longest file-name stem in bytes (every file system allows 255; leave room for `-NN.pdf`).
const MAX_STEM: usize = 120;

/// Latin letters that do not decompose into a base letter plus accents.
fn transliterate_special(c: char) -> Option<&'static str> {
    Some(match c {
        'ß' => "ss",
        'Æ' => "AE",
        'æ' => "ae",
        'Œ' => "OE",
        'œ' => "oe",
        'Ø' => "O",
        'ø' => "o",
        'Ł' => "L",
        'ł' => "l",
        'Đ' | 'Ð' => "D",
        'đ' | 'ð' => "d",
        'Þ' => "Th",
        'þ' => "th",
        'ı' => "i",
        'ª' => "a",
        'º' => "o",
        _ => return None,
    })
}

/// One part of a file name: ASCII letters, digits, `_` and `-` only; runs of anything
/// else (spaces, punctuation, reserved characters, other scripts) become one `_`.
pub fn safe_part(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut pending_sep = false;
    let push = |out: &mut String, c: char, pending: &mut bool| {
        if *pending && !out.is_empty() {
            out.push('_');
        }
        *pending = false;
        out.push(c);
    };
    for c in input.nfc() {
        if let Some(s) = transliterate_special(c) {
            for t in s.chars() {
                push(&mut out, t, &mut pending_sep);
            }
            continue;
        }
        // Decompose and keep the ASCII base letter: á -> a, ç -> c, ñ -> n, ã -> a.
        let mut kept = false;
        for d in c.nfd() {
            if d.is_ascii_alphanumeric() || d == '-' {
                push(&mut out, d, &mut pending_sep);
                kept = true;
            } else if !kept && !unicode_normalization::char::is_combining_mark(d) {
                pending_sep = true;
            }
        }
    }
    // No leading/trailing dots or hyphens (hidden files, Windows trims trailing dots).
    out.trim_matches(['.', '-', '_']).to_string()
}

const WINDOWS_RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// `<learner>-<course>` as a safe stem (without `.pdf`).
pub fn stem(learner: &str, course: &str) -> String {
    let learner = safe_part(learner);
    let course = safe_part(course);
    let mut stem = match (learner.is_empty(), course.is_empty()) {
        (false, false) => format!("{learner}-{course}"),
        (false, true) => learner,
        (true, false) => course,
        (true, true) => "certificate".to_string(),
    };
    if stem.len() > MAX_STEM {
        // Only ASCII is left, so any byte index is a char boundary.
        stem.truncate(MAX_STEM);
        stem = stem.trim_end_matches(['.', '-', '_']).to_string();
    }
    if WINDOWS_RESERVED.contains(&stem.to_ascii_uppercase().as_str()) {
        stem = format!("_{stem}");
    }
    stem
}

/// Hands out unique file names: `a.pdf`, `a-2.pdf`, `a-3.pdf`...
#[derive(Default)]
pub struct Namer {
    taken: HashSet<String>,
}

impl Namer {
    pub fn name(&mut self, learner: &str, course: &str) -> String {
        let stem = stem(learner, course);
        let mut n = 1;
        loop {
            let candidate = if n == 1 {
                format!("{stem}.pdf")
            } else {
                format!("{stem}-{n}.pdf")
            };
            if self.taken.insert(candidate.to_ascii_lowercase()) {
                return candidate;
            }
            n += 1;
        }
    }
}

/// One file in the archive.
pub struct Entry {
    pub name: String,
    pub bytes: Vec<u8>,
    /// Shown as the file's modification time.
    pub date: jiff::civil::Date,
}

/// `README.txt` naming the certificates that could not be rendered, if any.
pub fn failures_readme(codes: &[String]) -> Option<Entry> {
    if codes.is_empty() {
        return None;
    }
    let mut text = String::from(
        "These certificates could not be rendered and are not in this archive.\r\n\
         Download each one on its own later, or ask an administrator:\r\n\r\n",
    );
    for code in codes {
        text.push_str(code);
        text.push_str("\r\n");
    }
    Some(Entry {
        name: "README.txt".into(),
        bytes: text.into_bytes(),
        date: jiff::Zoned::now().date(),
    })
}

/// Build the archive in memory (blocking: call it from `spawn_blocking`).
pub fn build(entries: &[Entry]) -> zip::result::ZipResult<Vec<u8>> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for entry in entries {
        zip.start_file(entry.name.as_str(), options(entry.date))?;
        zip.write_all(&entry.bytes)?;
    }
    Ok(zip.finish()?.into_inner())
}

/// How an entry is stored: deflated, dated `date` at noon.
pub fn options(date: jiff::civil::Date) -> SimpleFileOptions {
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    match zip::DateTime::from_date_and_time(
        u16::try_from(date.year()).unwrap_or(1980),
        date.month().unsigned_abs(),
        date.day().unsigned_abs(),
        12,
        0,
        0,
    ) {
        Ok(t) => options.last_modified_time(t),
        Err(_) => options,
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn iberian_names_become_ascii() {
        assert_eq!(
            stem("Uxía Fernández Castro", "regulatory-basics"),
            "Uxia_Fernandez_Castro-regulatory-basics"
        );
        assert_eq!(safe_part("João Gonçalves"), "Joao_Goncalves");
        assert_eq!(safe_part("Begoña Núñez Ibáñez"), "Begona_Nunez_Ibanez");
        assert_eq!(safe_part("Conceição Araújo"), "Conceicao_Araujo");
        assert_eq!(safe_part("Straße Øre Łódź"), "Strasse_Ore_Lodz");
        // Decomposed input (NFD, as macOS file pickers produce) gives the same result.
        assert_eq!(safe_part("Jo\u{61}\u{303}o"), "Joao");
    }

    #[test]
    fn reserved_and_dangerous_characters_are_removed() {
        for (input, course) in [
            ("../../etc/passwd", "x"),
            ("a<b>c:d\"e/f\\g|h?i*j", "x"),
            ("tab\there\r\nnew", "x"),
            ("=HYPERLINK(\"http://x\",\"y\")", "x"),
            ("   ", "x"),
            ("日本語", "x"),
        ] {
            let s = stem(input, course);
            assert!(!s.is_empty());
            assert!(
                s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)),
                "{input:?} -> {s:?}"
            );
            assert!(!s.starts_with('.') && !s.contains(".."), "{s}");
        }
        assert_eq!(stem("日本語", "course-a"), "course-a");
        assert_eq!(stem("", ""), "certificate");
    }

    #[test]
    fn windows_device_names_and_length() {
        assert_eq!(stem("CON", ""), "_CON");
        assert_eq!(stem("nul", ""), "_nul");
        assert_eq!(stem("Con", "x"), "Con-x");
        let long = stem(&"Á".repeat(400), "course");
        assert!(long.len() <= MAX_STEM);
    }

    #[test]
    fn duplicates_are_numbered_case_insensitively() {
        let mut n = Namer::default();
        assert_eq!(n.name("Ana Núñez", "c"), "Ana_Nunez-c.pdf");
        assert_eq!(n.name("ANA NUÑEZ", "c"), "ANA_NUNEZ-c-2.pdf");
        assert_eq!(n.name("Ana Nunez", "c"), "Ana_Nunez-c-3.pdf");
        assert_eq!(n.name("Ana Nunez", "d"), "Ana_Nunez-d.pdf");
    }

    #[test]
    fn failures_are_named_in_a_readme() {
        assert!(failures_readme(&[]).is_none());
        let e = failures_readme(&["IBA-AAAA-BBBB".into()]).unwrap();
        assert_eq!(e.name, "README.txt");
        assert!(String::from_utf8(e.bytes)
            .unwrap()
            .contains("IBA-AAAA-BBBB\r\n"));
    }

    #[test]
    fn archive_round_trips() {
        let entries = vec![
            Entry {
                name: "a-x.pdf".into(),
                bytes: b"%PDF-1.7 one".to_vec(),
                date: jiff::civil::date(2026, 3, 2),
            },
            Entry {
                name: "b-x.pdf".into(),
                bytes: b"%PDF-1.7 two".to_vec(),
                date: jiff::civil::date(2026, 3, 3),
            },
        ];
        let bytes = build(&entries).unwrap();
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        assert_eq!(archive.len(), 2);
        let mut f = archive.by_name("b-x.pdf").unwrap();
        assert_eq!(f.compression(), CompressionMethod::Deflated);
        let mut s = String::new();
        f.read_to_string(&mut s).unwrap();
        assert_eq!(s, "%PDF-1.7 two");
    }
}

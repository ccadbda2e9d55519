//! CSV that spreadsheets open correctly and safely.
//!
//! - UTF-8 with a byte-order mark: Excel otherwise reads `Núñez` as `NÃºÃ±ez`.
//! - CRLF line ends and RFC 4180 quoting (the csv crate's).
//! - Formula injection neutralised (OWASP "CSV injection"): a cell whose first non-blank
//!   character is `=`, `+`, `-`, `@`, TAB or CR gets a leading apostrophe, so a learner named
//!   `=HYPERLINK("http://x","y")` shows as text instead of becoming a link or a formula.
//! - Comma by default; `;` on request, for spreadsheets set to Spanish or Portuguese, whose
//!   list separator is the semicolon.

use csv::{Terminator, WriterBuilder};

const BOM: &[u8] = "\u{feff}".as_bytes();

/// Make a cell inert for spreadsheets.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    // Spreadsheets skip leading blanks of any kind (spaces, line breaks, NBSP) before `=`.
    let first = cell
        .chars()
        .find(|c| !(c.is_whitespace() || c.is_control()) || matches!(c, '\t' | '\r'));
    let starts_with_tab_or_cr = cell.starts_with(['\t', '\r']);
    match first {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ if starts_with_tab_or_cr => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delimiter {
    Comma,
    Semicolon,
}

impl Delimiter {
    /// `;`, `semicolon` or `%3B` select the semicolon; anything else the comma.
    pub fn parse(s: Option<&str>) -> Delimiter {
        match s.map(str::trim) {
            Some(";" | "semicolon") => Delimiter::Semicolon,
            _ => Delimiter::Comma,
        }
    }

    fn byte(self) -> u8 {
        match self {
            Delimiter::Comma => b',',
            Delimiter::Semicolon => b';',
        }
    }
}

/// A table as CSV bytes: header row, then rows, every cell neutralised.
pub fn write<I, R>(header: &[&str], rows: I, delimiter: Delimiter) -> Result<Vec<u8>, csv::Error>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator<Item = String>,
{
    let mut out = Vec::with_capacity(4096);
    out.extend_from_slice(BOM);
    let mut w = WriterBuilder::new()
        .terminator(Terminator::CRLF)
        .delimiter(delimiter.byte())
        .from_writer(out);
    w.write_record(header)?;
    for row in rows {
        let cells: Vec<String> = row
            .into_iter()
            .map(|c| neutralise(&c).into_owned())
            .collect();
        w.write_record(&cells)?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        for evil in [
            "=HYPERLINK(\"http://x\",\"y\")",
            "+1+1",
            "-2+3",
            "@SUM(A1:A2)",
            "\t=1",
            "\r=1",
            "  =cmd|' /C calc'!A0",
        ] {
            let n = neutralise(evil);
            assert!(n.starts_with('\''), "{evil:?} -> {n:?}");
            assert_eq!(&n[1..], evil);
        }
        for fine in [
            "Núñez",
            "João",
            "92",
            "",
            "a=b",
            "IBA-7K3F-Q9XD",
            "2026-03-02T09:30:00Z",
        ] {
            assert_eq!(neutralise(fine), fine);
        }
    }

    #[test]
    fn bom_quoting_and_crlf() {
        let bytes = write(
            &["learner_name", "course"],
            vec![
                vec![
                    "Begoña Núñez".to_string(),
                    "a, \"quoted\" title".to_string(),
                ],
                vec![
                    "=HYPERLINK(\"http://x\",\"y\")".to_string(),
                    "c".to_string(),
                ],
            ],
            Delimiter::Comma,
        )
        .unwrap();
        assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]));
        let text = std::str::from_utf8(&bytes[3..]).unwrap();
        assert_eq!(
            text,
            "learner_name,course\r\n\
             Begoña Núñez,\"a, \"\"quoted\"\" title\"\r\n\
             \"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",c\r\n"
        );
        // A real CSV reader sees the neutralised text, not a formula.
        let mut r = csv::ReaderBuilder::new().from_reader(&bytes[3..]);
        let rows: Vec<csv::StringRecord> = r.records().map(|r| r.unwrap()).collect();
        assert_eq!(&rows[1][0], "'=HYPERLINK(\"http://x\",\"y\")");
    }

    #[test]
    fn semicolon_on_request() {
        assert_eq!(Delimiter::parse(Some(";")), Delimiter::Semicolon);
        assert_eq!(Delimiter::parse(Some("semicolon")), Delimiter::Semicolon);
        assert_eq!(Delimiter::parse(Some("tab")), Delimiter::Comma);
        let bytes = write(
            &["a", "b"],
            vec![vec!["1".into(), "x;y".into()]],
            Delimiter::Semicolon,
        )
        .unwrap();
        assert_eq!(&bytes[3..], b"a;b\r\n1;\"x;y\"\r\n");
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn cell() -> impl Strategy<Value = String> {
            prop::collection::vec(
                prop_oneof![
                    prop::sample::select(vec![
                        '=', '+', '-', '@', '\t', '\r', '\n', ' ', '\u{a0}', '"', ',', ';', '\'',
                    ]),
                    any::<char>(),
                ],
                0..12,
            )
            .prop_map(|c| c.into_iter().collect())
        }

        /// What a spreadsheet would run: after any leading blanks, `=`, `+`, `-` or `@`; or a
        /// leading tab or carriage return.
        fn formula_like(cell: &str) -> bool {
            cell.starts_with(['\t', '\r'])
                || cell
                    .trim_start_matches(|c: char| c.is_whitespace() || c.is_control())
                    .starts_with(['=', '+', '-', '@'])
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(300))]

            #[test]
            fn every_cell_reads_back_inert(
                rows in prop::collection::vec(prop::collection::vec(cell(), 3), 0..6),
                semicolon in any::<bool>(),
            ) {
                let delimiter = if semicolon { Delimiter::Semicolon } else { Delimiter::Comma };
                let bytes = write(&["a", "b", "c"], rows.clone(), delimiter).expect("writes");
                prop_assert!(bytes.starts_with(BOM));
                let mut reader = csv::ReaderBuilder::new()
                    .delimiter(if semicolon { b';' } else { b',' })
                    .from_reader(&bytes[BOM.len()..]);
                let read: Vec<csv::StringRecord> =
                    reader.records().collect::<Result<_, _>>().expect("reads back");
                prop_assert_eq!(read.len(), rows.len());
                for (got, sent) in read.iter().zip(&rows) {
                    for (g, s) in got.iter().zip(sent) {
                        prop_assert!(!formula_like(g) || g.starts_with('\''), "{:?}", g);
                        // Nothing is lost: the cell is the text, or the text behind an apostrophe.
                        prop_assert!(g == s || g.strip_prefix('\'') == Some(s.as_str()), "{:?} -> {:?}", s, g);
                    }
                }
            }
        }
    }
}

//! File names: cleaned on the way in, and written into `Content-Disposition` on the way out
//! (RFC 6266: an ASCII `filename` for old clients and `filename*` in UTF-8 for everyone else).

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// The name to keep for an uploaded file: its last path segment only, NFC-normalised, without
/// control characters, at most 200 characters; `file` when nothing usable is left.
pub fn clean_filename(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .nfc()
        .filter(|c| {
            !c.is_control() && !matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .take(200)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim().to_string();
    if cleaned.is_empty() {
        "file".into()
    } else {
        cleaned
    }
}

/// `attachment; filename="<ascii>"; filename*=UTF-8''<percent-encoded>`.
pub fn content_disposition(filename: &str) -> String {
    format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
        ascii_fallback(filename),
        percent_encode(filename)
    )
}

/// Accents dropped (`Núñez` → `Nunez`), anything else outside printable ASCII, and the quote
/// and backslash, replaced by `_`.
fn ascii_fallback(name: &str) -> String {
    name.nfkd()
        .filter(|c| !is_combining_mark(*c))
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// RFC 8187 `attr-char`: these stay, every other byte of a `value-chars` is `%XX`.
const ATTR_CHAR: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

fn percent_encode(name: &str) -> String {
    percent_encoding::utf8_percent_encode(name, ATTR_CHAR).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cleaned() {
        assert_eq!(
            clean_filename("C:\\Users\\ana\\Guía básica.pdf"),
            "Guía básica.pdf"
        );
        assert_eq!(clean_filename("../../etc/passwd"), "passwd");
        assert_eq!(clean_filename("a\u{0}b\r\n.txt"), "ab.txt");
        assert_eq!(clean_filename("evil\u{202e}fdp.exe"), "evilfdp.exe");
        assert_eq!(clean_filename(".hidden"), "hidden");
        assert_eq!(clean_filename("   "), "file");
        assert_eq!(clean_filename("dir/"), "file");
        // NFD input (as macOS sends it) becomes NFC.
        assert_eq!(clean_filename("Nu\u{0301}n\u{0303}ez.pdf"), "Núñez.pdf");
        assert_eq!(clean_filename(&"x".repeat(500)).chars().count(), 200);
    }

    #[test]
    fn disposition_is_safe_for_any_name() {
        assert_eq!(
            content_disposition("Guía técnica Núñez.pdf"),
            "attachment; filename=\"Guia tecnica Nunez.pdf\"; \
             filename*=UTF-8''Gu%C3%ADa%20t%C3%A9cnica%20N%C3%BA%C3%B1ez.pdf"
        );
        assert_eq!(
            content_disposition("say \"hi\"\\.txt"),
            "attachment; filename=\"say _hi__.txt\"; filename*=UTF-8''say%20%22hi%22%5C.txt"
        );
        let cjk = content_disposition("資料.pdf");
        assert!(
            cjk.starts_with("attachment; filename=\"__.pdf\"; filename*=UTF-8''%E8%B3%87"),
            "{cjk}"
        );
        // Whatever the name, the header value stays printable ASCII without CR/LF.
        for name in ["a\r\nSet-Cookie: x", "ção;x=1", "🙂.png"] {
            let v = content_disposition(&clean_filename(name));
            assert!(v.bytes().all(|b| (0x20..0x7f).contains(&b)), "{v}");
            assert_eq!(v.matches('"').count(), 2, "{v}");
        }
    }
}

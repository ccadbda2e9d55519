//! What an uploaded file really is, judged by its content (magic bytes through `infer`, the
//! inside of ZIP containers for Office and OpenDocument files), never by its name or the
//! client's Content-Type.
//!
//! Allowed: PDF; PPTX, DOCX, XLSX (not their macro-enabled variants); ODP, ODT, ODS; PNG,
//! JPEG; MP4; CSV and plain UTF-8 text.

use crate::messages::Msg;
use crate::msg;
use std::io::Read;
use std::path::Path;

/// An allowed type: what we serve it as, and the file name endings that fit it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    pub content_type: &'static str,
    pub extensions: &'static [&'static str],
}

pub const PDF: Kind = Kind {
    content_type: "application/pdf",
    extensions: &["pdf"],
};
pub const PNG: Kind = Kind {
    content_type: "image/png",
    extensions: &["png"],
};
pub const JPEG: Kind = Kind {
    content_type: "image/jpeg",
    extensions: &["jpg", "jpeg"],
};
pub const MP4: Kind = Kind {
    content_type: "video/mp4",
    extensions: &["mp4", "m4v"],
};
pub const DOCX: Kind = Kind {
    content_type: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    extensions: &["docx"],
};
pub const PPTX: Kind = Kind {
    content_type: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    extensions: &["pptx"],
};
pub const XLSX: Kind = Kind {
    content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    extensions: &["xlsx"],
};
pub const ODT: Kind = Kind {
    content_type: "application/vnd.oasis.opendocument.text",
    extensions: &["odt"],
};
pub const ODS: Kind = Kind {
    content_type: "application/vnd.oasis.opendocument.spreadsheet",
    extensions: &["ods"],
};
pub const ODP: Kind = Kind {
    content_type: "application/vnd.oasis.opendocument.presentation",
    extensions: &["odp"],
};
pub const CSV: Kind = Kind {
    content_type: "text/csv; charset=utf-8",
    extensions: &["csv"],
};
pub const TEXT: Kind = Kind {
    content_type: "text/plain; charset=utf-8",
    extensions: &["txt", "md", "text"],
};

/// Why a file is refused (the message is shown to the uploader).
#[derive(Debug, Clone, PartialEq)]
pub struct Refused(pub Msg);

const ALLOWED: &str = "PDF, PPTX, DOCX, XLSX, ODP, ODT, ODS, PNG, JPEG, MP4, CSV or plain text";

/// A refusal that lists what is allowed.
fn refuse(what: Msg) -> Refused {
    Refused(what.with("allowed", ALLOWED))
}

/// Sniff the file at `path` (blocking: call it from `spawn_blocking`). `filename` only tells
/// CSV from other plain text.
pub fn sniff_file(path: &Path, filename: &str) -> Result<Kind, Refused> {
    let mut file = std::fs::File::open(path)
        .map_err(|e| Refused(msg!("material.unreadable", reason = e.to_string())))?;
    let mut head = Vec::with_capacity(8192);
    (&mut file)
        .take(8192)
        .read_to_end(&mut head)
        .map_err(|e| Refused(msg!("material.unreadable", reason = e.to_string())))?;
    if head.starts_with(b"PK\x03\x04") {
        return sniff_zip(file);
    }
    sniff_head(&head, filename)
}

/// Everything but ZIP containers, from the first bytes.
pub fn sniff_head(head: &[u8], filename: &str) -> Result<Kind, Refused> {
    if head.is_empty() {
        return Err(Refused(msg!("material.empty")));
    }
    if let Some(t) = infer::get(head) {
        return match t.mime_type() {
            "application/pdf" => Ok(PDF),
            "image/png" => Ok(PNG),
            "image/jpeg" => Ok(JPEG),
            "video/mp4" => Ok(MP4),
            other => Err(refuse(msg!("material.type_is", detected = other))),
        };
    }
    if looks_like_text(head) {
        let csv = filename
            .rsplit_once('.')
            .is_some_and(|(_, ext)| ext.eq_ignore_ascii_case("csv"));
        return Ok(if csv { CSV } else { TEXT });
    }
    Err(refuse(msg!("material.type_unknown")))
}

/// UTF-8 (a character cut at the end of the sample is fine) without NULs or stray control
/// characters.
fn looks_like_text(head: &[u8]) -> bool {
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        Err(e) if e.error_len().is_none() && head.len() - e.valid_up_to() < 4 => {
            match std::str::from_utf8(&head[..e.valid_up_to()]) {
                Ok(t) => t,
                Err(_) => return false,
            }
        }
        Err(_) => return false,
    };
    text.chars()
        .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t' | '\u{c}'))
}

/// Office Open XML by the main part declared in `[Content_Types].xml`; OpenDocument by its
/// `mimetype` entry. Any other ZIP is refused.
fn sniff_zip<R: Read + std::io::Seek>(reader: R) -> Result<Kind, Refused> {
    let mut zip = zip::ZipArchive::new(reader).map_err(|_| refuse(msg!("material.damaged_zip")))?;
    if let Some(mimetype) = read_entry(&mut zip, "mimetype", 200) {
        return match mimetype.trim() {
            "application/vnd.oasis.opendocument.text" => Ok(ODT),
            "application/vnd.oasis.opendocument.spreadsheet" => Ok(ODS),
            "application/vnd.oasis.opendocument.presentation" => Ok(ODP),
            other => Err(refuse(msg!("material.opendocument_type", detected = other))),
        };
    }
    if let Some(types) = read_entry(&mut zip, "[Content_Types].xml", 1 << 20) {
        let has = |main: &str| types.contains(main);
        if has("macroEnabled") || zip.file_names().any(|n| n.ends_with("vbaProject.bin")) {
            return Err(refuse(msg!("material.macros")));
        }
        if has("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml") {
            return Ok(DOCX);
        }
        if has("application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml")
        {
            return Ok(PPTX);
        }
        if has("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml") {
            return Ok(XLSX);
        }
        return Err(refuse(msg!("material.office_other")));
    }
    Err(refuse(msg!("material.zip")))
}

fn read_entry<R: Read + std::io::Seek>(
    zip: &mut zip::ZipArchive<R>,
    name: &str,
    limit: u64,
) -> Option<String> {
    let entry = zip.by_name(name).ok()?;
    let mut out = String::new();
    entry.take(limit).read_to_string(&mut out).ok()?;
    Some(out)
}

/// The file name to keep: when its ending does not fit the content, the right one is added
/// (`report.exe` holding a PDF is kept as `report.exe.pdf`).
pub fn fit_extension(filename: &str, kind: Kind) -> String {
    let fits = filename.rsplit_once('.').is_some_and(|(stem, ext)| {
        !stem.is_empty() && kind.extensions.iter().any(|e| e.eq_ignore_ascii_case(ext))
    });
    if fits {
        filename.to_string()
    } else {
        format!("{filename}.{}", kind.extensions[0])
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};

    use super::*;

    fn zip_with(entries: &[(&str, &str)]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, body) in entries {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(body.as_bytes()).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn ooxml(main: &str) -> Vec<u8> {
        zip_with(&[(
            "[Content_Types].xml",
            &format!(
                r#"<?xml version="1.0"?><Types><Override PartName="/x.xml" ContentType="{main}"/></Types>"#
            ),
        )])
    }

    #[test]
    fn magic_bytes_decide() {
        assert_eq!(sniff_head(b"%PDF-1.7\n...", "x.txt"), Ok(PDF));
        assert_eq!(
            sniff_head(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "a.pdf"),
            Ok(PNG)
        );
        assert_eq!(sniff_head(b"\xFF\xD8\xFF\xE0\0\x10JFIF", "a"), Ok(JPEG));
        assert_eq!(
            sniff_head(b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom", "clip.mov"),
            Ok(MP4)
        );
        // A Windows executable renamed .pdf.
        let exe = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xFF\xFF\0\0";
        let err = sniff_head(exe, "guide.pdf").unwrap_err();
        assert!(
            err.0.english().contains("portable-executable")
                || err.0.english().contains("msdownload"),
            "{err:?}"
        );
        assert!(sniff_head(b"\x7fELF\x02\x01\x01\0", "a.txt").is_err());
        assert!(sniff_head(b"GIF89a....", "a.png").is_err());
        assert!(sniff_head(b"", "a.txt").is_err());
    }

    #[test]
    fn text_and_csv() {
        assert_eq!(
            sniff_head("name,país\nAna,ES\n".as_bytes(), "data.CSV"),
            Ok(CSV)
        );
        assert_eq!(
            sniff_head("Olá, mundo\r\n".as_bytes(), "notes.txt"),
            Ok(TEXT)
        );
        // A multi-byte character cut by the sample boundary is still text.
        let cut = "ação".as_bytes();
        assert_eq!(sniff_head(&cut[..cut.len() - 1], "a.txt"), Ok(TEXT));
        assert!(sniff_head(b"abc\0def", "a.txt").is_err());
        assert!(sniff_head(b"\xC3\x28 invalid", "a.txt").is_err());
        assert!(sniff_head(b"\x1b[31mred", "a.txt").is_err());
    }

    #[test]
    fn zip_containers_are_opened() {
        let s = |bytes: Vec<u8>| sniff_zip(Cursor::new(bytes));
        assert_eq!(
            s(ooxml(
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
            )),
            Ok(DOCX)
        );
        assert_eq!(
            s(ooxml("application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml")),
            Ok(PPTX)
        );
        assert_eq!(
            s(ooxml(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
            )),
            Ok(XLSX)
        );
        assert!(s(ooxml(
            "application/vnd.ms-word.document.macroEnabled.main+xml"
        ))
        .is_err());
        assert_eq!(
            s(zip_with(&[(
                "mimetype",
                "application/vnd.oasis.opendocument.presentation"
            )])),
            Ok(ODP)
        );
        assert_eq!(
            s(zip_with(&[(
                "mimetype",
                "application/vnd.oasis.opendocument.text"
            )])),
            Ok(ODT)
        );
        assert_eq!(
            s(zip_with(&[(
                "mimetype",
                "application/vnd.oasis.opendocument.spreadsheet"
            )])),
            Ok(ODS)
        );
        assert!(s(zip_with(&[("mimetype", "application/epub+zip")])).is_err());
        assert!(s(zip_with(&[("payload.exe", "MZ")])).is_err());
        assert!(s(b"PK\x03\x04 truncated".to_vec()).is_err());
    }

    #[test]
    fn files_are_sniffed_from_disk() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("upload");
        std::fs::write(
            &path,
            ooxml("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
        )
        .unwrap();
        assert_eq!(sniff_file(&path, "sheet.pdf"), Ok(XLSX));
        std::fs::write(&path, b"%PDF-1.4").unwrap();
        assert_eq!(sniff_file(&path, "x"), Ok(PDF));
    }

    #[test]
    fn extensions_are_fitted() {
        assert_eq!(fit_extension("Guía.pdf", PDF), "Guía.pdf");
        assert_eq!(fit_extension("photo.JPEG", JPEG), "photo.JPEG");
        assert_eq!(fit_extension("report.exe", PDF), "report.exe.pdf");
        assert_eq!(fit_extension("noext", CSV), "noext.csv");
        assert_eq!(fit_extension(".pdf", PDF), ".pdf.pdf");
    }
}

//! The certificate as a PDF: A4 landscape, PDF/A-2u (archival, every glyph mapped to Unicode),
//! fonts shipped in `assets/fonts/` and subset into the file, the QR code drawn as vectors.
//!
//! Pure and synchronous: callers on the async executor go through [`render_blocking`].

use std::sync::LazyLock;

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, LineCap, Stroke};
use krilla::surface::Surface;
use krilla::text::Font;

use super::i18n::{self, Lang};
use super::qr;

mod layout;
mod text;

/// A4 landscape in points.
pub const PAGE_W: f32 = 841.89;
pub const PAGE_H: f32 = 595.28;
const CX: f32 = PAGE_W / 2.0;

/// What a certificate says.
#[derive(Debug, Clone)]
pub struct CertificateData {
    pub lang: Lang,
    pub hub_name: String,
    pub learner_name: String,
    pub sme_name: String,
    pub course_title: String,
    /// The completion date in the learner's time zone.
    pub completed_on: jiff::civil::Date,
    /// 0 to 100; courses without a quiz have none.
    pub score: Option<f64>,
    pub code: String,
    pub verify_url: String,
    pub partner_name: String,
    /// Stamp the page as revoked.
    pub revoked: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("QR code: {0}")]
    Qr(#[from] qrcode::types::QrError),
    #[error("PDF: {0}")]
    Pdf(String),
}

/// Render off the async executor (font shaping and compression take a few milliseconds).
pub async fn render_blocking(data: CertificateData) -> crate::error::Result<Vec<u8>> {
    tokio::task::spawn_blocking(move || render(&data))
        .await
        .map_err(|e| crate::error::Error::internal("rendering certificate", e))?
        .map_err(|e| crate::error::Error::internal("rendering certificate", e))
}

/// Which fallback chain a face borrows from for scripts it does not have.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Weight {
    Regular,
    Bold,
}

struct Face {
    font: Font,
    /// Shaping and coverage (derefs to the `ttf_parser::Face`).
    shaper: rustybuzz::Face<'static>,
    weight: Weight,
}

impl Face {
    fn load(bytes: &'static [u8], weight: Weight) -> Face {
        // The fonts are compiled in and checked by the unit tests: failing here is a build bug.
        let font = Font::new(bytes.into(), 0).expect("bundled font parses (krilla)");
        let shaper =
            rustybuzz::Face::from_slice(bytes, 0).expect("bundled font parses (rustybuzz)");
        Face {
            font,
            shaper,
            weight,
        }
    }

    fn has(&self, c: char) -> bool {
        self.shaper.glyph_index(c).is_some_and(|g| g.0 != 0)
    }

    /// Advance width of `text` at `size`, shaped exactly as it is drawn (fallback fonts,
    /// right-to-left runs and placeholders included).
    fn width(&'static self, text: &str, size: f32) -> f32 {
        text::Line::new(self, text).width(size)
    }
}

struct Fonts {
    display: Face,
    serif: Face,
    italic: Face,
    sans: Face,
    sans_bold: Face,
}

static FONTS: LazyLock<Fonts> = LazyLock::new(|| Fonts {
    display: Face::load(
        include_bytes!("../../assets/fonts/NotoSerifDisplay-Bold.ttf"),
        Weight::Bold,
    ),
    serif: Face::load(
        include_bytes!("../../assets/fonts/NotoSerif-Regular.ttf"),
        Weight::Regular,
    ),
    italic: Face::load(
        include_bytes!("../../assets/fonts/NotoSerif-Italic.ttf"),
        Weight::Regular,
    ),
    sans: Face::load(
        include_bytes!("../../assets/fonts/NotoSans-Regular.ttf"),
        Weight::Regular,
    ),
    sans_bold: Face::load(
        include_bytes!("../../assets/fonts/NotoSans-Bold.ttf"),
        Weight::Bold,
    ),
});

/// Fallback faces, each loaded on first use: a certificate in Latin, Greek or Cyrillic never
/// pays for them.
macro_rules! fallback {
    ($name:ident, $file:literal, $weight:expr) => {
        static $name: LazyLock<Face> = LazyLock::new(|| {
            Face::load(
                include_bytes!(concat!("../../assets/fonts/", $file)),
                $weight,
            )
        });
    };
}
fallback!(ARABIC, "NotoNaskhArabic-Regular.ttf", Weight::Regular);
fallback!(ARABIC_BOLD, "NotoNaskhArabic-Bold.ttf", Weight::Bold);
fallback!(HEBREW, "NotoSerifHebrew-Regular.ttf", Weight::Regular);
fallback!(HEBREW_BOLD, "NotoSerifHebrew-Bold.ttf", Weight::Bold);
fallback!(
    DEVANAGARI,
    "NotoSerifDevanagari-Regular.ttf",
    Weight::Regular
);
fallback!(
    DEVANAGARI_BOLD,
    "NotoSerifDevanagari-Bold.ttf",
    Weight::Bold
);
// Han, kana and bopomofo; it has one weight.
fallback!(CJK, "DroidSansFallbackFull.ttf", Weight::Regular);
// Hangul (Droid Sans Fallback has only a handful of syllables); also the placeholder box.
fallback!(HANGUL, "NanumSquareR.ttf", Weight::Regular);
fallback!(HANGUL_BOLD, "NanumSquareB.ttf", Weight::Bold);

static REGULAR_CHAIN: [&LazyLock<Face>; 5] = [&ARABIC, &HEBREW, &DEVANAGARI, &CJK, &HANGUL];
static BOLD_CHAIN: [&LazyLock<Face>; 5] = [
    &ARABIC_BOLD,
    &HEBREW_BOLD,
    &DEVANAGARI_BOLD,
    &CJK,
    &HANGUL_BOLD,
];

fn chain(weight: Weight) -> &'static [&'static LazyLock<Face>] {
    match weight {
        Weight::Regular => &REGULAR_CHAIN,
        Weight::Bold => &BOLD_CHAIN,
    }
}

/// Drawn for a character no bundled font has (an emoji, a rare script): a visible box.
const PLACEHOLDER: char = '\u{25A1}';

fn placeholder_face(weight: Weight) -> &'static Face {
    match weight {
        Weight::Regular => &HANGUL,
        Weight::Bold => &HANGUL_BOLD,
    }
}

/// Load the fonts now (a server warms them at start so the first certificate is not slow).
pub fn warm_up() {
    LazyLock::force(&FONTS);
}

type Rgb = (u8, u8, u8);
const PAPER: Rgb = (0xFF, 0xFD, 0xF7);
const INK: Rgb = (0x1E, 0x29, 0x33);
const MUTED: Rgb = (0x5A, 0x63, 0x6E);
const TEAL: Rgb = (0x0E, 0x5A, 0x5C);
const GOLD: Rgb = (0xB0, 0x8D, 0x3C);
const GOLD_LIGHT: Rgb = (0xF4, 0xEC, 0xD8);

fn color(c: Rgb) -> rgb::Color {
    rgb::Color::new(c.0, c.1, c.2)
}

fn fill(c: Rgb) -> Fill {
    Fill {
        paint: color(c).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

fn stroke(c: Rgb, width: f32) -> Stroke {
    Stroke {
        paint: color(c).into(),
        width,
        line_cap: LineCap::Round,
        ..Default::default()
    }
}

struct Canvas<'a, 'b> {
    s: &'a mut Surface<'b>,
}

impl Canvas<'_, '_> {
    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, f: Option<Fill>, st: Option<Stroke>) {
        let Some(rect) = Rect::from_xywh(x, y, w, h) else {
            return;
        };
        let mut pb = PathBuilder::new();
        pb.push_rect(rect);
        if let Some(path) = pb.finish() {
            self.s.set_fill(f);
            self.s.set_stroke(st);
            self.s.draw_path(&path);
        }
    }

    fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, st: Stroke) {
        let mut pb = PathBuilder::new();
        pb.move_to(x1, y1);
        pb.line_to(x2, y2);
        if let Some(path) = pb.finish() {
            self.s.set_fill(None);
            self.s.set_stroke(Some(st));
            self.s.draw_path(&path);
        }
    }

    fn polyline(&mut self, points: &[(f32, f32)], st: Stroke) {
        let mut pb = PathBuilder::new();
        for (i, &(x, y)) in points.iter().enumerate() {
            if i == 0 {
                pb.move_to(x, y);
            } else {
                pb.line_to(x, y);
            }
        }
        if let Some(path) = pb.finish() {
            self.s.set_fill(None);
            self.s.set_stroke(Some(st));
            self.s.draw_path(&path);
        }
    }

    fn diamond(&mut self, cx: f32, cy: f32, r: f32, c: Rgb) {
        let mut pb = PathBuilder::new();
        pb.move_to(cx, cy - r);
        pb.line_to(cx + r, cy);
        pb.line_to(cx, cy + r);
        pb.line_to(cx - r, cy);
        pb.close();
        if let Some(path) = pb.finish() {
            self.s.set_fill(Some(fill(c)));
            self.s.set_stroke(None);
            self.s.draw_path(&path);
        }
    }

    fn circle(&mut self, cx: f32, cy: f32, r: f32, f: Option<Fill>, st: Option<Stroke>) {
        // Four cubic arcs; 0.5523 is the usual control-point ratio for a quarter circle.
        let k = 0.552_284_8 * r;
        let mut pb = PathBuilder::new();
        pb.move_to(cx + r, cy);
        pb.cubic_to(cx + r, cy + k, cx + k, cy + r, cx, cy + r);
        pb.cubic_to(cx - k, cy + r, cx - r, cy + k, cx - r, cy);
        pb.cubic_to(cx - r, cy - k, cx - k, cy - r, cx, cy - r);
        pb.cubic_to(cx + k, cy - r, cx + r, cy - k, cx + r, cy);
        pb.close();
        if let Some(path) = pb.finish() {
            self.s.set_fill(f);
            self.s.set_stroke(st);
            self.s.draw_path(&path);
        }
    }

    fn text(&mut self, face: &'static Face, size: f32, x: f32, baseline: f32, c: Rgb, text: &str) {
        if text.is_empty() {
            return;
        }
        let mut x = x;
        for piece in text::Line::new(face, text).pieces {
            self.s.set_fill(Some(fill(c)));
            // One weight of CJK: stroke it thinly in bold lines so it matches its neighbours.
            self.s.set_stroke(piece.embolden.then(|| Stroke {
                paint: color(c).into(),
                width: size * 0.025,
                ..Default::default()
            }));
            self.s.draw_glyphs(
                Point::from_xy(x, baseline),
                &piece.glyphs,
                piece.face.font.clone(),
                &piece.text,
                size,
                false,
            );
            x += piece.advance * size;
        }
        self.s.set_stroke(None);
    }

    fn centered(
        &mut self,
        face: &'static Face,
        size: f32,
        cx: f32,
        baseline: f32,
        c: Rgb,
        text: &str,
    ) {
        let w = face.width(text, size);
        self.text(face, size, cx - w / 2.0, baseline, c, text);
    }

    /// Letter-spaced capitals, centred: one run per character, so extraction still reads the
    /// word (krilla maps each glyph to its character).
    fn tracked(
        &mut self,
        face: &'static Face,
        size: f32,
        cx: f32,
        baseline: f32,
        c: Rgb,
        text: &str,
    ) {
        let tracking = size * 0.28;
        let chars: Vec<char> = text.chars().collect();
        let total: f32 = chars
            .iter()
            .map(|ch| face.width(ch.encode_utf8(&mut [0; 4]), size))
            .sum::<f32>()
            + tracking * (chars.len().saturating_sub(1)) as f32;
        let mut x = cx - total / 2.0;
        for ch in chars {
            let s = ch.encode_utf8(&mut [0; 4]).to_string();
            self.text(face, size, x, baseline, c, &s);
            x += face.width(&s, size) + tracking;
        }
    }

    /// Several runs in different faces on one centred line.
    fn centered_runs(&mut self, cx: f32, baseline: f32, runs: &[(&'static Face, f32, Rgb, &str)]) {
        let total: f32 = runs.iter().map(|(f, size, _, t)| f.width(t, *size)).sum();
        let mut x = cx - total / 2.0;
        for (face, size, c, t) in runs {
            self.text(face, *size, x, baseline, *c, t);
            x += face.width(t, *size);
        }
    }
}

/// The largest size from `max` down to `min` at which `text` fits `width`.
fn fit(face: &'static Face, text: &str, max: f32, min: f32, width: f32) -> f32 {
    let w = face.width(text, max);
    if w <= width {
        max
    } else {
        (max * width / w).max(min)
    }
}

/// Break `text` into at most `max_lines` lines of at most `width` at `size`; `None` when
/// it does not fit that way.
fn wrap(
    face: &'static Face,
    text: &str,
    size: f32,
    width: f32,
    max_lines: usize,
) -> Option<Vec<String>> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() {
            word.to_string()
        } else {
            format!("{current} {word}")
        };
        if face.width(&candidate, size) <= width || current.is_empty() {
            current = candidate;
        } else {
            lines.push(std::mem::take(&mut current));
            current = word.to_string();
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    let fits = lines.iter().all(|l| face.width(l, size) <= width);
    (fits && lines.len() <= max_lines).then_some(lines)
}

/// Balance a two-line title: pick the break that makes the longer line shortest.
fn balance(face: &'static Face, lines: Vec<String>, size: f32) -> Vec<String> {
    if lines.len() != 2 {
        return lines;
    }
    let words: Vec<&str> = lines
        .iter()
        .flat_map(|l| l.split_whitespace())
        .collect::<Vec<_>>();
    (1..words.len())
        .map(|i| vec![words[..i].join(" "), words[i..].join(" ")])
        .min_by(|a, b| {
            let wa = face.width(&a[0], size).max(face.width(&a[1], size));
            let wb = face.width(&b[0], size).max(face.width(&b[1], size));
            wa.total_cmp(&wb)
        })
        .unwrap_or(lines)
}

/// Names and titles come from people: drop control characters, collapse whitespace.
/// NFC so accents compose into the precomposed letters fonts have; U+FEFF and noncharacters
/// are dropped because PDF/A forbids mapping a glyph to them.
fn clean(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfc()
        .collect::<String>()
        .split_whitespace()
        .map(|w| {
            w.chars()
                .filter(|c| {
                    !c.is_control()
                        && !matches!(*c as u32, 0xFEFF | 0xFFFE | 0xFFFF | 0xFDD0..=0xFDEF)
                })
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Render one certificate: the document and its metadata, then one drawing function per part
/// of the page, in the order they are painted.
pub fn render(data: &CertificateData) -> Result<Vec<u8>, PdfError> {
    let fonts = &*FONTS;
    let t = i18n::strings(data.lang);
    let shown = layout::Shown {
        learner: clean(&data.learner_name),
        sme: clean(&data.sme_name),
        course: clean(&data.course_title),
        partner: clean(&data.partner_name),
        hub: clean(&data.hub_name),
    };
    let modules = qr::encode(&data.verify_url)?;
    let mut document = layout::new_document(data, t, &shown)?;
    let settings =
        PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| PdfError::Pdf("page size".into()))?;
    let mut page = document.start_page_with(settings);
    let mut surface = page.surface();
    let mut c = Canvas { s: &mut surface };
    layout::draw_frame(&mut c);
    layout::draw_heading(&mut c, fonts, t, &shown.hub);
    layout::draw_holder(&mut c, fonts, t, &shown.learner, &shown.sme);
    layout::draw_course(&mut c, fonts, t, data, &shown.course);
    layout::draw_sign_off(&mut c, fonts, t, &shown.partner);
    layout::draw_seal(&mut c, fonts, data.completed_on.year());
    let qr_box = layout::draw_verification(&mut c, fonts, t, data, &modules);
    if data.revoked {
        layout::draw_revoked_stamp(&mut c, fonts, t);
    }
    surface.finish();
    if let Some(rect) = qr_box {
        // The QR code is also a link to the verify page.
        page.add_annotation(krilla::annotation::Annotation::new_link(
            krilla::annotation::LinkAnnotation::new(
                rect,
                krilla::annotation::Target::Action(
                    krilla::action::LinkAction::new(data.verify_url.clone()).into(),
                ),
            ),
            Some(format!("{} {}", t.verify_at, data.verify_url)),
        ));
    }
    page.finish();
    document
        .finish()
        .map_err(|e| PdfError::Pdf(format!("{e:?}")))
}

/// Does every character of `text` have a glyph in the certificate's fonts, fallbacks included?
/// `false` means a placeholder box will stand for some of it (for tests and for warnings).
pub fn fonts_cover(text: &str) -> bool {
    let f = &*FONTS;
    let text = clean(text);
    [&f.display, &f.serif, &f.italic]
        .iter()
        .all(|face| text::Line::new(face, &text).placeholders == 0)
}

#[cfg(test)]
#[path = "../../tests/support/pdf_text.rs"]
mod pdf_text;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn sample(lang: Lang) -> CertificateData {
        CertificateData {
            lang,
            hub_name: "IberoBio Academy".into(),
            learner_name: "Uxía Fernández Castro".into(),
            sme_name: "Xenogen Diagnósticos SL".into(),
            course_title: "Regulatory pathways for in vitro diagnostics in the EU".into(),
            completed_on: jiff::civil::date(2026, 3, 2),
            score: Some(92.0),
            code: "IBA-7K3F-Q9XD".into(),
            verify_url: "http://127.0.0.1:8000/verify/IBA-7K3F-Q9XD".into(),
            partner_name: "Bioval Cluster".into(),
            revoked: false,
        }
    }

    pub use super::pdf_text::{extract_text, qr_grid};

    fn squash(s: &str) -> String {
        s.chars().filter(|c| !c.is_whitespace()).collect()
    }

    #[test]
    fn bundled_fonts_cover_iberian_names() {
        for name in [
            "Uxía Fernández Castro",
            "Begoña Núñez Ibáñez",
            "João Gonçalves",
            "Conceição Araújo",
            "Xosé Manuel Rodríguez Outeiriño",
            "Çağla Ñandú Ãgueda Ü",
        ] {
            assert!(fonts_cover(name), "{name}");
        }
        for name in [
            "Zoë Ελένη Кирилл",
            "محمد الأحمد",
            "דוד כהן",
            "देवनागरी नाम",
            "王小明",
            "佐藤 花子",
            "김민준",
        ] {
            assert!(fonts_cover(name), "{name} has fallback fonts");
        }
        assert!(!fonts_cover("Ana 🧬"), "no bundled font draws emoji");
    }

    /// The text poppler's `pdftotext` reads (None where it is not installed).
    fn pdftotext(pdf: &[u8]) -> Option<String> {
        let dir = std::env::temp_dir().join(format!("pdftext-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).ok()?;
        let path = dir.join("c.pdf");
        std::fs::write(&path, pdf).ok()?;
        let out = std::process::Command::new("pdftotext")
            .arg(&path)
            .arg("-")
            .output()
            .ok();
        let _ = std::fs::remove_dir_all(&dir);
        String::from_utf8(out?.stdout).ok()
    }

    #[test]
    fn names_in_every_script_render_and_read_back() {
        for name in [
            "Zoë Ελένη Кирилл",
            "محمد الأحمد",
            "דוד כהן",
            "देवनागरी नाम",
            "王小明",
            "佐藤 花子",
            "김민준",
            "Ana 🧬",
            "Ana 👩\u{200D}🔬\u{FEFF} e\u{301}",
        ] {
            let mut data = sample(Lang::En);
            data.learner_name = name.into();
            data.partner_name = name.into();
            data.sme_name = name.into();
            let pdf = render(&data).unwrap_or_else(|e| panic!("{name}: {e}"));
            let text = squash(&extract_text(&pdf));
            // Right-to-left runs are stored in visual order; a reader reverses them.
            let reversed: String = squash(name).chars().rev().collect();
            let wanted = squash(&clean(name));
            // lopdf has no ActualText: Devanagari's reordered clusters need a real reader.
            let poppler = match pdftotext(&pdf) {
                Some(t) => squash(&t),
                // A fresh machine without poppler: Devanagari rendered, not read back.
                None if name.chars().any(|c| ('\u{0900}'..='\u{097F}').contains(&c)) => {
                    eprintln!("pdftotext is not installed: {name} not read back");
                    continue;
                }
                None => String::new(),
            };
            assert!(
                text.contains(&wanted) || text.contains(&reversed) || poppler.contains(&wanted),
                "{name} not in {text} / {poppler}"
            );
        }
    }

    #[test]
    fn the_pdf_carries_name_course_code_and_partner() {
        let data = sample(Lang::Pt);
        let pdf = render(&data).unwrap();
        assert!(pdf.starts_with(b"%PDF-1.7"));
        let text = squash(&extract_text(&pdf));
        for needle in [
            "UxíaFernándezCastro",
            "XenogenDiagnósticosSL",
            "RegulatorypathwaysforinvitrodiagnosticsintheEU",
            "IBA-7K3F-Q9XD",
            "BiovalCluster",
            "CertificadodeConclusão",
            "2demarçode2026",
        ] {
            assert!(text.contains(needle), "{needle} missing from {text}");
        }
        // Nothing from another certificate sneaks in.
        assert!(!text.contains("João"));
        assert!(!text.contains("REVOGADO"));
    }

    #[test]
    fn a_revoked_certificate_says_so() {
        let mut data = sample(Lang::Es);
        data.revoked = true;
        let text = squash(&extract_text(&render(&data).unwrap()));
        assert!(text.contains("REVOCADO"), "{text}");
    }

    #[test]
    fn it_is_pdf_a_with_fonts_embedded() {
        let pdf = render(&sample(Lang::En)).unwrap();
        let raw = String::from_utf8_lossy(&pdf);
        assert!(raw.contains("pdfaid:part"), "PDF/A identification in XMP");
        assert!(raw.contains("/OutputIntents"));
        let doc = lopdf::Document::load_mem(&pdf).unwrap();
        let mut embedded = 0;
        for obj in doc.objects.values() {
            if let Ok(dict) = obj.as_dict() {
                if dict.has(b"FontFile2") || dict.has(b"FontFile3") {
                    embedded += 1;
                }
            }
        }
        assert!(embedded >= 4, "fonts embedded: {embedded}");
        assert!(
            pdf.len() < 200_000,
            "subset fonts keep it small: {}",
            pdf.len()
        );
    }

    #[test]
    fn the_drawn_qr_code_is_the_verify_url() {
        let data = sample(Lang::En);
        let pdf = render(&data).unwrap();
        let (width, grid) = qr_grid(&pdf).expect("a QR code on the page");
        let expected = qr::encode(&data.verify_url).unwrap();
        assert_eq!(width, expected.width);
        assert_eq!(grid, expected.to_grid());
        let other = qr::encode("http://127.0.0.1:8000/verify/IBA-7K3F-Q9XE").unwrap();
        assert_ne!(grid, other.to_grid());
    }

    #[test]
    fn long_and_hostile_input_still_renders() {
        let mut data = sample(Lang::Es);
        data.learner_name = "María de los Ángeles Fernández-Villaverde y Sánchez de la Peña \
                             Gutiérrez\u{0}\u{7}"
            .into();
        data.course_title = "Acceso a financiación pública y privada ".repeat(6);
        data.score = None;
        let pdf = render(&data).unwrap();
        let text = squash(&extract_text(&pdf));
        assert!(text.contains("MaríadelosÁngeles"), "{text}");
        assert!(
            !text.contains("Calificación"),
            "no score line without a score"
        );
    }

    #[test]
    fn wrapping_keeps_within_width() {
        let f = &FONTS.display;
        let lines = wrap(f, &"word ".repeat(20), 20.0, 300.0, 5).unwrap();
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| f.width(l, 20.0) <= 300.0));
        assert!(wrap(f, &"word ".repeat(200), 20.0, 300.0, 2).is_none());
        let balanced = balance(f, vec!["a b c d e f g".into(), "h".into()], 20.0);
        assert!(balanced[0].len() < 13, "{balanced:?}");
    }
}

//! The certificate's page, one drawing function per part, in the order they are painted (see
//! [`super::render`]), and the document set-up.

use krilla::configure::{Archival, ConfigurationBuilder};
use krilla::geom::{PathBuilder, Rect};
use krilla::metadata::{DateTime, Metadata};
use krilla::{Document, SerializeSettings};

use super::i18n;
use super::qr;
use super::{
    balance, fill, fit, stroke, wrap, Canvas, CertificateData, Fonts, PdfError, CX, GOLD,
    GOLD_LIGHT, INK, MUTED, PAGE_H, PAGE_W, PAPER, TEAL,
};

/// The names on the page, cleaned for the fonts.
pub(super) struct Shown {
    pub(super) learner: String,
    pub(super) sme: String,
    pub(super) course: String,
    pub(super) partner: String,
    pub(super) hub: String,
}

/// The baseline of the sign-off line, shared by the partner's sign-off and the verification
/// block beside it.
const SIGN_LINE_Y: f32 = 506.0;
/// Horizontal centres of the bottom-left and bottom-right blocks.
const LEFT_CX: f32 = 205.0;
const RIGHT_CX: f32 = PAGE_W - 205.0;

/// A PDF/A-2u document with its metadata (title, description with the verify URL, author,
/// language, date).
pub(super) fn new_document(
    data: &CertificateData,
    t: &i18n::Strings,
    shown: &Shown,
) -> Result<Document, PdfError> {
    let configuration = ConfigurationBuilder::new()
        .with_archival_validator(Archival::A2_U)
        .finish()
        .map_err(|e| PdfError::Pdf(format!("{e:?}")))?;
    let mut document = Document::new_with(SerializeSettings {
        configuration,
        ..Default::default()
    });
    let date = data.completed_on;
    document.set_metadata(
        Metadata::new()
            .title(format!(
                "{} — {} — {}",
                t.title, shown.learner, shown.course
            ))
            .description(format!(
                "{} {}: {}",
                t.verification_code, data.code, data.verify_url
            ))
            .authors(vec![shown.partner.clone()])
            .creator(shown.hub.clone())
            .language(data.lang.code().into())
            .creation_date(
                DateTime::new(u16::try_from(date.year()).unwrap_or(2000))
                    .month(date.month().unsigned_abs())
                    .day(date.day().unsigned_abs()),
            ),
    );
    Ok(document)
}

/// Paper and frame: a teal rule, a fine gold rule inside it, corner brackets and diamonds.
pub(super) fn draw_frame(c: &mut Canvas<'_, '_>) {
    c.rect(0.0, 0.0, PAGE_W, PAGE_H, Some(fill(PAPER)), None);
    c.rect(
        20.0,
        20.0,
        PAGE_W - 40.0,
        PAGE_H - 40.0,
        None,
        Some(stroke(TEAL, 3.0)),
    );
    c.rect(
        29.0,
        29.0,
        PAGE_W - 58.0,
        PAGE_H - 58.0,
        None,
        Some(stroke(GOLD, 0.8)),
    );
    let (inset, arm) = (38.0, 46.0);
    for (x, y, dx, dy) in [
        (inset, inset, 1.0, 1.0),
        (PAGE_W - inset, inset, -1.0, 1.0),
        (inset, PAGE_H - inset, 1.0, -1.0),
        (PAGE_W - inset, PAGE_H - inset, -1.0, -1.0),
    ] {
        c.polyline(
            &[(x + dx * arm, y), (x, y), (x, y + dy * arm)],
            stroke(TEAL, 1.4),
        );
        c.diamond(x + dx * 7.0, y + dy * 7.0, 3.2, GOLD);
    }
}

/// The hub, letter-spaced, with its tagline; the title and its ornament.
pub(super) fn draw_heading(
    c: &mut Canvas<'_, '_>,
    fonts: &'static Fonts,
    t: &i18n::Strings,
    hub: &str,
) {
    c.tracked(&fonts.sans_bold, 13.0, CX, 84.0, TEAL, &hub.to_uppercase());
    c.centered(&fonts.sans, 8.5, CX, 100.0, MUTED, t.tagline);
    let title_size = fit(&fonts.display, t.title, 36.0, 24.0, 620.0);
    c.centered(&fonts.display, title_size, CX, 148.0, INK, t.title);
    c.line(CX - 120.0, 168.0, CX - 12.0, 168.0, stroke(GOLD, 0.9));
    c.line(CX + 12.0, 168.0, CX + 120.0, 168.0, stroke(GOLD, 0.9));
    c.diamond(CX, 168.0, 4.0, GOLD);
    c.diamond(CX - 126.0, 168.0, 1.8, GOLD);
    c.diamond(CX + 126.0, 168.0, 1.8, GOLD);
}

/// Who: the learner's name, underlined, and their SME.
pub(super) fn draw_holder(
    c: &mut Canvas<'_, '_>,
    fonts: &'static Fonts,
    t: &i18n::Strings,
    learner: &str,
    sme: &str,
) {
    c.centered(&fonts.italic, 13.5, CX, 204.0, MUTED, t.certifies);
    let name_size = fit(&fonts.display, learner, 34.0, 16.0, 640.0);
    c.centered(&fonts.display, name_size, CX, 248.0, TEAL, learner);
    let name_w = fonts.display.width(learner, name_size).max(220.0);
    c.line(
        CX - name_w / 2.0 - 18.0,
        261.0,
        CX + name_w / 2.0 + 18.0,
        261.0,
        stroke(GOLD, 0.6),
    );
    let sme_size = fit(&fonts.serif, sme, 13.0, 8.0, 600.0);
    c.centered_runs(
        CX,
        282.0,
        &[
            (&fonts.italic, sme_size, MUTED, &format!("{} ", t.of_sme)),
            (&fonts.serif, sme_size, INK, sme),
        ],
    );
}

/// What: the course title on one or two balanced lines, then the date and the score.
pub(super) fn draw_course(
    c: &mut Canvas<'_, '_>,
    fonts: &'static Fonts,
    t: &i18n::Strings,
    data: &CertificateData,
    course: &str,
) {
    c.centered(&fonts.italic, 13.5, CX, 314.0, MUTED, t.completed_course);
    let (course_lines, course_size) = [22.0f32, 20.0, 18.0, 16.0, 14.0]
        .iter()
        .find_map(|&size| wrap(&fonts.display, course, size, 600.0, 2).map(|l| (l, size)))
        .unwrap_or_else(|| {
            let size = fit(&fonts.display, course, 14.0, 6.0, 600.0);
            (vec![course.to_string()], size)
        });
    let course_lines = balance(&fonts.display, course_lines, course_size);
    let mut y = 346.0;
    for (i, line) in course_lines.iter().enumerate() {
        if i > 0 {
            y += course_size * 1.2;
        }
        c.centered(&fonts.display, course_size, CX, y, INK, line);
    }
    let when = format!(
        "{} {}",
        t.completed_on,
        i18n::long_date(data.lang, data.completed_on)
    );
    let details = match data.score {
        Some(score) => format!(
            "{when}   ·   {} {}",
            t.score,
            i18n::percent(data.lang, score.clamp(0.0, 100.0))
        ),
        None => when,
    };
    c.centered(&fonts.sans, 10.5, CX, y + 24.0, MUTED, &details);
}

/// Bottom left: the issuing partner's sign-off.
pub(super) fn draw_sign_off(
    c: &mut Canvas<'_, '_>,
    fonts: &'static Fonts,
    t: &i18n::Strings,
    partner: &str,
) {
    let sign_size = fit(&fonts.italic, partner, 16.0, 9.0, 200.0);
    c.centered(
        &fonts.italic,
        sign_size,
        LEFT_CX,
        SIGN_LINE_Y - 9.0,
        INK,
        partner,
    );
    c.line(
        LEFT_CX - 100.0,
        SIGN_LINE_Y,
        LEFT_CX + 100.0,
        SIGN_LINE_Y,
        stroke(INK, 0.7),
    );
    let partner_size = fit(&fonts.sans_bold, partner, 9.5, 6.0, 210.0);
    c.centered(
        &fonts.sans_bold,
        partner_size,
        LEFT_CX,
        SIGN_LINE_Y + 15.0,
        INK,
        partner,
    );
    c.centered(
        &fonts.sans,
        8.0,
        LEFT_CX,
        SIGN_LINE_Y + 27.0,
        MUTED,
        t.issuing_partner,
    );
}

/// Bottom centre: the seal, with the year of completion.
pub(super) fn draw_seal(c: &mut Canvas<'_, '_>, fonts: &'static Fonts, year: i16) {
    let (seal_x, seal_y) = (CX, 484.0);
    c.circle(
        seal_x,
        seal_y,
        44.0,
        Some(fill(GOLD_LIGHT)),
        Some(stroke(GOLD, 2.2)),
    );
    c.circle(seal_x, seal_y, 38.0, None, Some(stroke(GOLD, 0.6)));
    for i in 0..24 {
        let a = i as f32 * std::f32::consts::TAU / 24.0;
        c.diamond(seal_x + 41.0 * a.cos(), seal_y + 41.0 * a.sin(), 0.9, GOLD);
    }
    c.centered(&fonts.display, 20.0, seal_x, seal_y + 3.0, GOLD, "IBA");
    c.centered(
        &fonts.sans_bold,
        6.5,
        seal_x,
        seal_y + 17.0,
        GOLD,
        &year.to_string(),
    );
    c.diamond(seal_x, seal_y - 21.0, 2.2, GOLD);
}

/// Bottom right: the QR code, the code itself and where to check it. Returns the QR code's
/// box (for the link annotation).
pub(super) fn draw_verification(
    c: &mut Canvas<'_, '_>,
    fonts: &'static Fonts,
    t: &i18n::Strings,
    data: &CertificateData,
    modules: &qr::QrModules,
) -> Option<Rect> {
    let qr_size = 80.0;
    let (qr_x, qr_y) = (RIGHT_CX - qr_size / 2.0, 412.0);
    let m = qr_size / modules.width as f32;
    c.rect(
        qr_x - 4.0,
        qr_y - 4.0,
        qr_size + 8.0,
        qr_size + 8.0,
        Some(fill((0xFF, 0xFF, 0xFF))),
        None,
    );
    c.s.set_stroke(None);
    c.s.set_fill(Some(fill(INK)));
    let mut pb = PathBuilder::new();
    for &(x, y, len) in &modules.runs {
        // A hair of overlap so anti-aliasing leaves no seams between neighbouring runs.
        if let Some(r) = Rect::from_xywh(
            qr_x + x as f32 * m,
            qr_y + y as f32 * m,
            len as f32 * m + 0.02,
            m + 0.02,
        ) {
            pb.push_rect(r);
        }
    }
    if let Some(path) = pb.finish() {
        c.s.draw_path(&path);
    }
    c.centered(
        &fonts.sans,
        7.5,
        RIGHT_CX,
        SIGN_LINE_Y + 3.0,
        MUTED,
        t.verification_code,
    );
    c.centered(
        &fonts.sans_bold,
        12.0,
        RIGHT_CX,
        SIGN_LINE_Y + 17.0,
        INK,
        &data.code,
    );
    let url_size = fit(&fonts.sans, &data.verify_url, 7.0, 4.5, 230.0);
    let verify_line = format!("{} {}", t.verify_at, data.verify_url);
    let verify_size = fit(&fonts.sans, &verify_line, url_size, 4.5, 250.0);
    c.centered(
        &fonts.sans,
        verify_size,
        RIGHT_CX,
        SIGN_LINE_Y + 29.0,
        MUTED,
        &verify_line,
    );
    Rect::from_xywh(qr_x - 4.0, qr_y - 4.0, qr_size + 8.0, qr_size + 8.0)
}

/// A diagonal stamp across the page: a revoked certificate must not pass as valid.
pub(super) fn draw_revoked_stamp(c: &mut Canvas<'_, '_>, fonts: &'static Fonts, t: &i18n::Strings) {
    let red = (0xB3, 0x26, 0x2A);
    c.s.push_transform(&krilla::geom::Transform::from_rotate_at(
        -18.0,
        CX,
        PAGE_H / 2.0,
    ));
    let size = 64.0;
    let w = fonts.sans_bold.width(t.revoked_stamp, size);
    c.rect(
        CX - w / 2.0 - 24.0,
        PAGE_H / 2.0 - size * 0.95,
        w + 48.0,
        size * 1.35,
        None,
        Some(stroke(red, 4.0)),
    );
    c.centered(
        &fonts.sans_bold,
        size,
        CX,
        PAGE_H / 2.0 + size * 0.2,
        red,
        t.revoked_stamp,
    );
    c.s.pop();
}

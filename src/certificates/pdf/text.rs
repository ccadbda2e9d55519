//! Text as it is drawn: split into runs by direction (Unicode bidi), then by which font has
//! the characters (the style's own face first, then the script fallbacks), each run shaped
//! with rustybuzz. Widths come from the same shaping, so centring and fitting match what is
//! drawn. A character no font has becomes a visible box whose text is still the character,
//! so copying the name out of the PDF gives the name.

use std::ops::Range;

use krilla::text::{GlyphId, KrillaGlyph};
use unicode_bidi::ParagraphBidiInfo;

use super::{chain, placeholder_face, Face, PLACEHOLDER};

/// One run of glyphs in one face, ready for `Surface::draw_glyphs`.
pub(super) struct Piece {
    pub face: &'static Face,
    /// The characters the glyphs stand for (glyph text ranges index into it).
    pub text: String,
    pub glyphs: Vec<KrillaGlyph>,
    /// Sum of the advances, in em.
    pub advance: f32,
    /// A regular face standing in for a bold one.
    pub embolden: bool,
}

/// A line of text in visual order.
pub(super) struct Line {
    pub pieces: Vec<Piece>,
    /// Characters drawn as the placeholder box.
    pub placeholders: usize,
}

impl Line {
    pub fn new(face: &'static Face, text: &str) -> Line {
        let mut line = Line {
            pieces: Vec::new(),
            placeholders: 0,
        };
        if text.is_empty() {
            return line;
        }
        let bidi = ParagraphBidiInfo::new(text, None);
        let (levels, runs) = bidi.visual_runs(0..text.len());
        for run in runs {
            let rtl = levels[run.start].is_rtl();
            let mut segments = segment(&text[run.clone()], |i, c| covers(face, i, c));
            if rtl {
                segments.reverse();
            }
            for (range, choice) in segments {
                let part = &text[run.start + range.start..run.start + range.end];
                line.push(face, part, choice, rtl);
            }
        }
        line
    }

    pub fn width(&self, size: f32) -> f32 {
        self.pieces.iter().map(|p| p.advance).sum::<f32>() * size
    }

    fn push(&mut self, primary: &'static Face, text: &str, choice: Option<usize>, rtl: bool) {
        if let Some(i) = choice {
            let face = face_at(primary, i);
            // Err: the cmap has the characters but shaping gave .notdef (rare): box them.
            if let Ok(glyphs) = shape(face, text, rtl) {
                let embolden =
                    primary.weight == super::Weight::Bold && face.weight == super::Weight::Regular;
                self.pieces.push(piece(face, text, glyphs, embolden));
                return;
            }
        }
        let face = placeholder_face(primary.weight);
        let gid = face.shaper.glyph_index(PLACEHOLDER).map_or(0, |g| g.0);
        let advance = f32::from(
            face.shaper
                .glyph_hor_advance(ttf_parser::GlyphId(gid))
                .unwrap_or(0),
        ) / face.shaper.units_per_em() as f32;
        let mut glyphs: Vec<KrillaGlyph> = clusters(text)
            .into_iter()
            .map(|r| {
                KrillaGlyph::new(
                    GlyphId::new(u32::from(gid)),
                    advance,
                    0.0,
                    0.0,
                    0.0,
                    r,
                    None,
                )
            })
            .collect();
        if rtl {
            glyphs.reverse();
        }
        self.placeholders += glyphs.len();
        self.pieces.push(piece(face, text, glyphs, false));
    }
}

fn piece(face: &'static Face, text: &str, glyphs: Vec<KrillaGlyph>, embolden: bool) -> Piece {
    let advance = glyphs.iter().map(|g| g.x_advance).sum();
    Piece {
        face,
        text: text.to_string(),
        glyphs,
        advance,
        embolden,
    }
}

/// 0 is the style's own face, 1.. the fallbacks of its weight.
fn face_at(primary: &'static Face, i: usize) -> &'static Face {
    if i == 0 {
        primary
    } else {
        chain(primary.weight)[i - 1]
    }
}

fn covers(primary: &'static Face, i: usize, c: char) -> Option<bool> {
    let n = chain(primary.weight).len();
    (i <= n).then(|| face_at(primary, i).has(c))
}

/// Shape `text` with one face; `Err` when a glyph came out as .notdef.
fn shape(face: &Face, text: &str, rtl: bool) -> Result<Vec<KrillaGlyph>, ()> {
    let mut buffer = rustybuzz::UnicodeBuffer::new();
    buffer.push_str(text);
    buffer.guess_segment_properties();
    buffer.set_direction(if rtl {
        rustybuzz::Direction::RightToLeft
    } else {
        rustybuzz::Direction::LeftToRight
    });
    let output = rustybuzz::shape(&face.shaper, &[], buffer);
    let upem = face.shaper.units_per_em() as f32;
    let mut starts: Vec<usize> = output
        .glyph_infos()
        .iter()
        .map(|i| i.cluster as usize)
        .collect();
    starts.sort_unstable();
    starts.dedup();
    let end_of = |start: usize| {
        starts
            .iter()
            .find(|&&s| s > start)
            .copied()
            .unwrap_or(text.len())
    };
    let mut glyphs = Vec::with_capacity(output.len());
    for (info, pos) in output.glyph_infos().iter().zip(output.glyph_positions()) {
        if info.glyph_id == 0 {
            return Err(());
        }
        let start = info.cluster as usize;
        glyphs.push(KrillaGlyph::new(
            GlyphId::new(info.glyph_id),
            pos.x_advance as f32 / upem,
            pos.x_offset as f32 / upem,
            pos.y_offset as f32 / upem,
            pos.y_advance as f32 / upem,
            start..end_of(start),
            None,
        ));
    }
    Ok(glyphs)
}

/// Characters that join the one before them in a cluster: combining marks, joiners,
/// variation selectors, emoji modifiers and tags.
fn extends(c: char) -> bool {
    unicode_normalization::char::is_combining_mark(c)
        || is_default_ignorable(c)
        || matches!(c as u32, 0x1F3FB..=0x1F3FF)
}

/// Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt): fonts need not have
/// them; the shaper hides them.
fn is_default_ignorable(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x034F | 0x061C | 0x115F..=0x1160 | 0x17B4..=0x17B5 | 0x180B..=0x180F
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0x3164 | 0xFE00..=0xFE0F
        | 0xFEFF | 0xFFA0 | 0xFFF0..=0xFFF8 | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A
        | 0xE0000..=0xE0FFF)
}

/// Byte ranges of clusters: a base character with whatever extends it (after a zero-width
/// joiner, the next character too, as in emoji sequences).
fn clusters(text: &str) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = Vec::new();
    let mut joined = false;
    for (i, c) in text.char_indices() {
        let end = i + c.len_utf8();
        match out.last_mut() {
            Some(last) if extends(c) || joined => last.end = end,
            _ => out.push(i..end),
        }
        joined = c == '\u{200D}';
    }
    out
}

/// Characters any script uses (spaces, punctuation, digits): they stay in the font of the
/// text around them so a run is not cut at every space.
fn is_neutral(c: char) -> bool {
    c.is_whitespace() || c.is_ascii_punctuation() || c.is_ascii_digit() || is_default_ignorable(c)
}

/// Split `text` into ranges drawn by one font each: `Some(i)` is the first font (0 = the
/// style's own, then the fallbacks in order) that has every character of the cluster,
/// `None` a cluster no font has (drawn as the placeholder). `covers(i, c)` answers whether
/// font `i` has `c`, or `None` past the last font; it is asked lazily, font 0 first.
pub(super) fn segment(
    text: &str,
    covers: impl Fn(usize, char) -> Option<bool>,
) -> Vec<(Range<usize>, Option<usize>)> {
    let has_all = |i: usize, cluster: &str| -> Option<bool> {
        let mut all = true;
        for c in cluster.chars().filter(|c| !is_default_ignorable(*c)) {
            all &= covers(i, c)?;
            if !all {
                break;
            }
        }
        Some(all)
    };
    let mut out: Vec<(Range<usize>, Option<usize>)> = Vec::new();
    for range in clusters(text) {
        let cluster = &text[range.clone()];
        let neutral = cluster.chars().all(is_neutral);
        let previous = out.last().and_then(|(_, choice)| *choice);
        let choice = match previous {
            Some(p) if neutral && has_all(p, cluster) == Some(true) => Some(p),
            _ => (0..)
                .map_while(|i| has_all(i, cluster).map(|ok| (i, ok)))
                .find(|(_, ok)| *ok)
                .map(|(i, _)| i),
        };
        match out.last_mut() {
            Some((last, c)) if *c == choice => last.end = range.end,
            _ => out.push((range, choice)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Font 0 has ASCII, font 1 Arabic and spaces, font 2 Han; nothing has emoji.
    fn fake(i: usize, c: char) -> Option<bool> {
        match i {
            0 => Some(c.is_ascii()),
            1 => Some(('\u{0600}'..='\u{06FF}').contains(&c) || c == ' '),
            2 => Some(('\u{4E00}'..='\u{9FFF}').contains(&c)),
            _ => None,
        }
    }

    fn parts(text: &str) -> Vec<(&str, Option<usize>)> {
        segment(text, fake)
            .into_iter()
            .map(|(r, c)| (&text[r], c))
            .collect()
    }

    #[test]
    fn latin_stays_in_the_primary_font() {
        assert_eq!(parts("Ana Maria"), vec![("Ana Maria", Some(0))]);
    }

    #[test]
    fn scripts_go_to_their_fallback_and_spaces_stay_with_them() {
        assert_eq!(
            parts("Ana محمد الأحمد 王小明"),
            vec![
                ("Ana ", Some(0)),
                ("محمد الأحمد ", Some(1)),
                ("王小明", Some(2)),
            ]
        );
    }

    #[test]
    fn what_no_font_has_is_a_placeholder_cluster() {
        // The skin-tone modifier, the variation selector and a ZWJ sequence stay one cluster.
        assert_eq!(parts("Ana 🧬"), vec![("Ana ", Some(0)), ("🧬", None)]);
        assert_eq!(
            parts("a👍🏽\u{FE0F}👩\u{200D}🔬b"),
            vec![
                ("a", Some(0)),
                ("👍🏽\u{FE0F}👩\u{200D}🔬", None),
                ("b", Some(0))
            ]
        );
        assert_eq!(clusters("👍🏽\u{FE0F}👩\u{200D}🔬").len(), 2);
    }

    #[test]
    fn a_combining_mark_stays_with_its_base() {
        assert_eq!(clusters("e\u{301}x"), vec![0..3, 3..4]);
        assert_eq!(parts("王\u{301}"), vec![("王\u{301}", None)]);
    }
}

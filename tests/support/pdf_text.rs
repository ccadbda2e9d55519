//! Text of a PDF as a reader sees it, through lopdf (pure Rust, nothing to install).
//!
//! lopdf parses the file, its xref, streams and content operators; its own `extract_text`
//! cannot read krilla's ToUnicode CMaps (its CMap grammar rejects the standard `/CMapVersion`
//! and `/WMode` entries), so the `bfchar`/`bfrange` maps are read here and every shown glyph
//! code is mapped back to its characters, exactly as a PDF viewer's copy-and-paste does.
//! Shared by the unit tests (`src/certificates/pdf.rs`) and the API tests.

#![allow(dead_code)]

use std::collections::HashMap;

use lopdf::{Document, Object};

fn hex(s: &str) -> Option<Vec<u8>> {
    let s: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn utf16(bytes: &[u8]) -> String {
    let units: Vec<u16> = bytes
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
        .collect();
    String::from_utf16_lossy(&units)
}

fn code_of(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0, |acc, b| acc * 256 + u32::from(*b))
}

/// A ToUnicode CMap's `bfchar` and `bfrange` entries.
fn parse_cmap(text: &str) -> HashMap<u32, String> {
    let mut map = HashMap::new();
    let tokens: Vec<&str> = text
        .split(|c: char| c.is_whitespace())
        .filter(|t| !t.is_empty())
        .collect();
    let mut i = 0;
    while i < tokens.len() {
        match tokens[i] {
            "beginbfchar" => {
                i += 1;
                while i + 1 < tokens.len() && tokens[i] != "endbfchar" {
                    if let (Some(src), Some(dst)) = (hex(tokens[i]), hex(tokens[i + 1])) {
                        map.insert(code_of(&src), utf16(&dst));
                    }
                    i += 2;
                }
            }
            "beginbfrange" => {
                i += 1;
                while i + 2 < tokens.len() && tokens[i] != "endbfrange" {
                    if let (Some(lo), Some(hi), Some(dst)) =
                        (hex(tokens[i]), hex(tokens[i + 1]), hex(tokens[i + 2]))
                    {
                        let (lo, hi) = (code_of(&lo), code_of(&hi));
                        let base = code_of(&dst);
                        for (k, code) in (lo..=hi).enumerate() {
                            let v = base + k as u32;
                            let bytes = [(v >> 8) as u8, v as u8];
                            map.insert(code, utf16(&bytes));
                        }
                    }
                    i += 3;
                }
            }
            _ => i += 1,
        }
    }
    map
}

/// Every text run of every page, in content order, one run per line.
pub fn extract_text(pdf: &[u8]) -> String {
    let doc = Document::load_mem(pdf).expect("lopdf parses the PDF");
    let mut out = String::new();
    for (_, page_id) in doc.get_pages() {
        let mut maps: HashMap<Vec<u8>, HashMap<u32, String>> = HashMap::new();
        for (name, font) in doc.get_page_fonts(page_id).expect("page fonts") {
            let map = font
                .get(b"ToUnicode")
                .ok()
                .and_then(|o| doc.dereference(o).ok())
                .and_then(|(_, o)| o.as_stream().ok())
                .and_then(|s| s.decompressed_content().ok().or(Some(s.content.clone())))
                .map(|bytes| parse_cmap(&String::from_utf8_lossy(&bytes)))
                .unwrap_or_default();
            maps.insert(name, map);
        }
        let content = doc
            .get_and_decode_page_content(page_id)
            .expect("page content decodes");
        let mut font: Option<&HashMap<u32, String>> = None;
        let show = |out: &mut String, font: Option<&HashMap<u32, String>>, bytes: &[u8]| {
            for pair in bytes.chunks(2) {
                let code = code_of(pair);
                match font.and_then(|m| m.get(&code)) {
                    Some(s) => out.push_str(s),
                    None => out.push('\u{fffd}'),
                }
            }
        };
        for op in &content.operations {
            match op.operator.as_str() {
                "Tf" => {
                    font = op
                        .operands
                        .first()
                        .and_then(|o| o.as_name().ok())
                        .and_then(|n| maps.get(n));
                }
                "Tj" | "'" | "\"" => {
                    if let Some(Object::String(bytes, _)) = op.operands.last() {
                        show(&mut out, font, bytes);
                        out.push('\n');
                    }
                }
                "TJ" => {
                    if let Some(Object::Array(items)) = op.operands.first() {
                        for item in items {
                            if let Object::String(bytes, _) = item {
                                show(&mut out, font, bytes);
                            }
                        }
                        out.push('\n');
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// The text with all whitespace removed: robust against how runs are split into lines.
pub fn squashed_text(pdf: &[u8]) -> String {
    extract_text(pdf)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

fn number(o: &Object) -> Option<f32> {
    match o {
        Object::Integer(i) => Some(*i as f32),
        Object::Real(r) => Some(*r),
        _ => None,
    }
}

/// The QR code drawn on the first page, read back as a module grid (true = dark), row by row.
///
/// The certificate draws its QR code as one filled path of axis-aligned rectangles (runs of
/// dark modules); this finds the filled path with the most sub-paths, takes the smallest
/// rectangle height as the module size, and rasterises the rectangles onto the module grid.
pub fn qr_grid(pdf: &[u8]) -> Option<(usize, Vec<bool>)> {
    let doc = Document::load_mem(pdf).ok()?;
    let (_, page_id) = doc.get_pages().into_iter().next()?;
    let content = doc.get_and_decode_page_content(page_id).ok()?;
    let mut best: Vec<(f32, f32, f32, f32)> = Vec::new();
    let mut path: Vec<(f32, f32, f32, f32)> = Vec::new();
    let mut current: Option<(f32, f32, f32, f32)> = None;
    let close = |path: &mut Vec<(f32, f32, f32, f32)>,
                 current: &mut Option<(f32, f32, f32, f32)>| {
        if let Some(b) = current.take() {
            path.push(b);
        }
    };
    for op in &content.operations {
        let nums: Vec<f32> = op.operands.iter().filter_map(number).collect();
        match op.operator.as_str() {
            "m" if nums.len() == 2 => {
                close(&mut path, &mut current);
                current = Some((nums[0], nums[1], nums[0], nums[1]));
            }
            "l" if nums.len() == 2 => {
                if let Some(b) = current.as_mut() {
                    b.0 = b.0.min(nums[0]);
                    b.1 = b.1.min(nums[1]);
                    b.2 = b.2.max(nums[0]);
                    b.3 = b.3.max(nums[1]);
                }
            }
            "h" => close(&mut path, &mut current),
            "f" | "f*" | "F" | "S" | "B" | "b" | "n" => {
                close(&mut path, &mut current);
                let filled = op.operator != "S" && op.operator != "n";
                if filled && path.len() > best.len() {
                    best = std::mem::take(&mut path);
                }
                path.clear();
            }
            _ => {}
        }
    }
    if best.len() < 10 {
        return None;
    }
    let module = best.iter().map(|b| b.3 - b.1).fold(f32::INFINITY, f32::min);
    let x0 = best.iter().map(|b| b.0).fold(f32::INFINITY, f32::min);
    let y0 = best.iter().map(|b| b.1).fold(f32::INFINITY, f32::min);
    let x1 = best.iter().map(|b| b.2).fold(f32::NEG_INFINITY, f32::max);
    let width = ((x1 - x0) / module).round() as usize;
    let mut grid = vec![false; width * width];
    for b in &best {
        let (cx0, cy) = (
            ((b.0 - x0) / module).round() as usize,
            ((b.1 - y0) / module).round() as usize,
        );
        let cx1 = ((b.2 - x0) / module).round() as usize;
        for x in cx0..cx1.min(width) {
            if cy < width {
                grid[cy * width + x] = true;
            }
        }
    }
    Some((width, grid))
}

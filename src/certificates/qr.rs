//! QR codes as vector geometry: a grid of modules merged into horizontal runs, so the PDF draws
//! a few hundred rectangles instead of a raster image (sharp at any zoom, tiny in the file).

use qrcode::{Color, EcLevel, QrCode};

/// A QR symbol: `width` x `width` modules, dark ones as horizontal runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrModules {
    pub width: usize,
    /// `(x, y, length)` in modules: a run of dark modules on row `y` starting at column `x`.
    pub runs: Vec<(usize, usize, usize)>,
}

/// Encode `text` (a verification URL) with medium error correction: it survives a crease
/// or a smudge on a printed certificate and keeps the symbol small enough to scan from paper.
pub fn encode(text: &str) -> Result<QrModules, qrcode::types::QrError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)?;
    Ok(from_colors(code.width(), &code.to_colors()))
}

fn from_colors(width: usize, colors: &[Color]) -> QrModules {
    let mut runs = Vec::new();
    for y in 0..width {
        let row = &colors[y * width..(y + 1) * width];
        let mut x = 0;
        while x < width {
            if row[x] == Color::Dark {
                let start = x;
                while x < width && row[x] == Color::Dark {
                    x += 1;
                }
                runs.push((start, y, x - start));
            } else {
                x += 1;
            }
        }
    }
    QrModules { width, runs }
}

impl QrModules {
    /// The module grid back as booleans (true = dark), row by row.
    pub fn to_grid(&self) -> Vec<bool> {
        let mut grid = vec![false; self.width * self.width];
        for &(x, y, len) in &self.runs {
            for cell in &mut grid[y * self.width + x..y * self.width + x + len] {
                *cell = true;
            }
        }
        grid
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_reproduce_the_symbol_exactly() {
        let url = "https://academy.iberobio.example/verify/IBA-7K3F-Q9XD";
        let modules = encode(url).unwrap();
        let reference = QrCode::with_error_correction_level(url, EcLevel::M).unwrap();
        assert_eq!(modules.width, reference.width());
        let expected: Vec<bool> = reference
            .to_colors()
            .iter()
            .map(|c| *c == Color::Dark)
            .collect();
        assert_eq!(modules.to_grid(), expected);
        // A different URL gives a different symbol: the comparison above can fail.
        let other = encode("https://academy.iberobio.example/verify/IBA-7K3F-Q9XE").unwrap();
        assert_ne!(other.to_grid(), modules.to_grid());
    }

    #[test]
    fn runs_are_maximal_and_inside_the_grid() {
        let m = encode("http://127.0.0.1:8000/verify/IBA-0000-0000").unwrap();
        let grid = m.to_grid();
        for &(x, y, len) in &m.runs {
            assert!(len > 0 && x + len <= m.width && y < m.width);
            if x > 0 {
                assert!(!grid[y * m.width + x - 1], "run could start earlier");
            }
            if x + len < m.width {
                assert!(!grid[y * m.width + x + len], "run could go on");
            }
        }
        // Finder pattern: the top-left 7x7 corner starts with a full dark row.
        assert_eq!(m.runs[0], (0, 0, 7));
    }
}

//! Reading a staff list (CSV) the way Spanish, Portuguese and English spreadsheets save it:
//! comma or semicolon separated (whichever the header line uses), UTF-8 with or without a byte
//! order mark, headers in English, Spanish, Portuguese or Galician in any order and case.
//! Pure: rows in, with the line each came from; the checks against accounts are elsewhere.

use crate::error::FieldError;
use crate::lang::Lang;
use crate::msg;

/// At most this many people per file.
pub const MAX_ROWS: usize = 2_000;

/// One person of the file, as written (trimmed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The line of the file the row starts on (the header is line 1).
    pub line: u64,
    pub name: String,
    pub email: String,
    pub language: String,
    pub time_zone: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Name,
    Email,
    Language,
    TimeZone,
}

/// A header cell, lower-cased, without accents, spaces, dashes or underscores.
fn header_key(cell: &str) -> String {
    cell.trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            'á' | 'à' | 'â' | 'ã' => Some('a'),
            'é' | 'ê' => Some('e'),
            'í' => Some('i'),
            'ó' | 'ô' | 'õ' => Some('o'),
            'ú' | 'ü' => Some('u'),
            'ç' => Some('c'),
            'ñ' => Some('n'),
            ' ' | '-' | '_' | '.' => None,
            c => Some(c),
        })
        .collect()
}

fn column(cell: &str) -> Option<Column> {
    match header_key(cell).as_str() {
        "name" | "fullname" | "nombre" | "nombrecompleto" | "nome" | "nomecompleto" => {
            Some(Column::Name)
        }
        "email" | "emailaddress" | "mail" | "correo" | "correoelectronico" | "enderecodeemail"
        | "enderezodecorreo" => Some(Column::Email),
        "language" | "lang" | "locale" | "idioma" | "lingua" => Some(Column::Language),
        "timezone" | "tz" | "zonahoraria" | "fusohorario" | "zonahoraria(iana)" => {
            Some(Column::TimeZone)
        }
        _ => None,
    }
}

/// `;` when the header line has more semicolons than commas (Excel in Spain and Portugal),
/// else `,`.
fn delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or_default();
    let count = |c: char| header.chars().filter(|x| *x == c).count();
    if count(';') > count(',') {
        b';'
    } else {
        b','
    }
}

/// The 1-based line of the record starting at a byte offset. The reader's own line count skips
/// blank lines, and its offset is where the blank lines before the record begin. Records come
/// in order, so each count goes on from the previous one: one pass over the file in all.
struct Lines<'t> {
    bytes: &'t [u8],
    at: usize,
    line: u64,
}

impl<'t> Lines<'t> {
    fn new(text: &'t str) -> Lines<'t> {
        Lines {
            bytes: text.as_bytes(),
            at: 0,
            line: 1,
        }
    }

    fn of(&mut self, offset: u64) -> u64 {
        let mut end = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        while end < self.bytes.len() && self.bytes[end] == b'\n' {
            end += 1;
        }
        if end > self.at {
            self.line += self.bytes[self.at..end]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64;
            self.at = end;
        }
        self.line
    }
}

/// The people in `bytes`, or what is wrong with the file as a whole (`field` says where:
/// `file`, `header` or `line N`).
pub fn parse(bytes: &[u8]) -> Result<Vec<Row>, FieldError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        FieldError::new("file", msg!("roster.not_utf8", byte = e.valid_up_to() + 1))
    })?;
    if text.trim().is_empty() {
        return Err(FieldError::new("file", msg!("roster.empty")));
    }
    // Windows line ends as plain ones: the reader's line numbers then match what a
    // spreadsheet user counts (with CRLF they lag by one).
    let text = text.replace("\r\n", "\n");
    let text = text.as_str();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter(text))
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| FieldError::new("header", msg!("roster.unreadable", reason = e.to_string())))?
        .clone();
    let columns: Vec<Option<Column>> = headers.iter().map(column).collect();
    let has = |c: Column| columns.contains(&Some(c));
    if !has(Column::Name) || !has(Column::Email) {
        return Err(FieldError::new(
            "header",
            msg!(
                "roster.columns",
                found = headers.iter().collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    let mut rows = Vec::new();
    let mut lines = Lines::new(text);
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| lines.of(p.byte()));
            FieldError::new(
                format!("line {line}"),
                msg!("roster.unreadable", reason = e.to_string()),
            )
        })?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        if rows.len() == MAX_ROWS {
            return Err(FieldError::new(
                "file",
                msg!("roster.too_many", max = MAX_ROWS),
            ));
        }
        let mut row = Row {
            line: record.position().map_or(0, |p| lines.of(p.byte())),
            name: String::new(),
            email: String::new(),
            language: String::new(),
            time_zone: String::new(),
        };
        for (cell, col) in record.iter().zip(&columns) {
            let slot = match col {
                Some(Column::Name) => &mut row.name,
                Some(Column::Email) => &mut row.email,
                Some(Column::Language) => &mut row.language,
                Some(Column::TimeZone) => &mut row.time_zone,
                None => continue,
            };
            if slot.is_empty() {
                *slot = cell.to_string();
            }
        }
        rows.push(row);
    }
    if rows.is_empty() {
        return Err(FieldError::new("file", msg!("roster.nobody")));
    }
    Ok(rows)
}

/// A language as people write it in a spreadsheet: a code or tag (`es`, `pt-PT`) or a name
/// in English or in the language itself (`Spanish`, `Español`).
pub fn language(value: &str) -> Option<Lang> {
    let v = value.trim();
    Lang::parse(v).or_else(|| {
        let key = header_key(v);
        Lang::ALL.into_iter().find(|l| {
            header_key(l.name()) == key
                || match l {
                    Lang::En => key == "english" || key == "ingles",
                    Lang::Es => key == "spanish" || key == "castellano" || key == "espanhol",
                    Lang::Pt => key == "portuguese" || key == "portugues",
                    Lang::Gl => key == "galician" || key == "gallego",
                }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semicolons_bom_and_spanish_headers() {
        let file = "\u{feff}Nombre;Correo electrónico;Idioma;Zona horaria\r\n\
                    Lucía Pérez;lucia@sme.example;es;Europe/Madrid\r\n\
                    \r\n\
                    \"Gómez; Ana\";ana@sme.example;Português;Europe/Lisbon\r\n";
        let rows = parse(file.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[0].name, "Lucía Pérez");
        assert_eq!(rows[0].email, "lucia@sme.example");
        assert_eq!(rows[1].line, 4);
        assert_eq!(rows[1].name, "Gómez; Ana");
        assert_eq!(language(&rows[1].language), Some(Lang::Pt));
        assert_eq!(rows[1].time_zone, "Europe/Lisbon");
    }

    #[test]
    fn commas_english_headers_any_order_and_missing_optional_columns() {
        let file = "email,Full name\nbob@sme.example,\"Bob, Jr.\"\n";
        let rows = parse(file.as_bytes()).unwrap();
        assert_eq!(rows[0].name, "Bob, Jr.");
        assert_eq!(rows[0].email, "bob@sme.example");
        assert_eq!(rows[0].language, "");
    }

    #[test]
    fn whole_file_problems_say_where() {
        assert_eq!(parse(b"").unwrap_err().field, "file");
        assert_eq!(parse(b"name,email\n").unwrap_err().field, "file");
        let e = parse(b"nombre;telefono\nx;1\n").unwrap_err();
        assert_eq!(e.field, "header");
        assert!(e.msg.english().contains("nombre, telefono"), "{}", e.msg);
        let e = parse(b"name,email\n\xff\xfe,x\n").unwrap_err();
        assert_eq!(e.field, "file");
        assert!(e.msg.english().contains("UTF-8"));
    }

    #[test]
    fn too_many_people() {
        let mut file = String::from("name,email\n");
        for i in 0..=MAX_ROWS {
            file.push_str(&format!("P{i},p{i}@x.example\n"));
        }
        assert!(parse(file.as_bytes())
            .unwrap_err()
            .msg
            .english()
            .contains("split"));
    }

    #[test]
    fn languages_as_people_write_them() {
        for (v, want) in [
            ("es", Lang::Es),
            ("ES", Lang::Es),
            ("pt-PT", Lang::Pt),
            ("Spanish", Lang::Es),
            ("Español", Lang::Es),
            ("português", Lang::Pt),
            ("Galego", Lang::Gl),
            ("English", Lang::En),
        ] {
            assert_eq!(language(v), Some(want), "{v}");
        }
        assert_eq!(language("klingon"), None);
    }
}

//! The public verify page, `/verify/{code}`: plain HTML, localised, every value escaped.
//!
//! The site's Content-Security-Policy allows styles from 'self' only, so the page links its
//! own stylesheet ([`STYLESHEET`], served at `/verify/verify.css`) rather than inlining one.

use super::i18n::{self, Lang};

/// What the page shows about a known certificate.
#[derive(Debug, Clone)]
pub struct PageView {
    pub code: String,
    pub holder_name: String,
    pub course_title: String,
    pub completed_on: jiff::civil::Date,
    pub issuer: String,
    pub revoked: bool,
}

/// What the page is about.
pub enum PageState<'a> {
    Found(&'a PageView),
    Unknown,
    TooManyRequests,
}

/// Escape text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => {}
            c => out.push(c),
        }
    }
    out
}

pub const STYLESHEET: &str = r#":root{--ink:#1e2933;--muted:#5a636e;--teal:#0e5a5c;--gold:#b08d3c;--paper:#fffdf7;--ok:#1d6b3a;--bad:#a3262a}
*{box-sizing:border-box}
body{margin:0;min-height:100vh;background:#eef1f1;color:var(--ink);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;display:flex;flex-direction:column;align-items:center;padding:2rem 1rem}
header{text-align:center;margin-bottom:1.25rem}
.hub{letter-spacing:.22em;text-transform:uppercase;font-weight:700;color:var(--teal);font-size:.9rem}
nav{font-size:.85rem;margin-top:.35rem}
nav a{color:var(--muted);margin:0 .3rem}
nav a[aria-current]{color:var(--ink);font-weight:600;text-decoration:none}
main{width:100%;max-width:40rem;background:var(--paper);border:3px solid var(--teal);outline:1px solid var(--gold);outline-offset:-9px;padding:2.25rem 2rem}
h1{font-family:"Noto Serif",Georgia,serif;font-size:1.6rem;margin:0 0 1rem;text-align:center}
.status{display:flex;gap:.6rem;align-items:center;justify-content:center;font-weight:600;padding:.7rem 1rem;border-radius:.4rem;margin-bottom:1.5rem}
.status.valid{background:#e3f3e8;color:var(--ok)}
.status.revoked,.status.unknown{background:#fbe7e7;color:var(--bad)}
.status .mark{font-size:1.3rem;line-height:1}
p.detail{text-align:center;color:var(--muted);margin:-.75rem 0 1.5rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.55rem 1.25rem;margin:0}
dt{color:var(--muted)}
dd{margin:0;font-weight:600;overflow-wrap:anywhere}
dd.code{font-family:ui-monospace,"Noto Sans Mono",monospace;letter-spacing:.05em}
footer{margin-top:1.25rem;font-size:.8rem;color:var(--muted)}
@media (max-width:30rem){dl{grid-template-columns:1fr}dt{margin-top:.5rem}}
"#;

/// The whole page.
pub fn render(lang: Lang, hub_name: &str, path_code: &str, state: PageState<'_>) -> String {
    let t = i18n::strings(lang);
    let mut body = String::new();
    match state {
        PageState::Found(v) => {
            let (class, mark, headline) = if v.revoked {
                ("revoked", "&#x2717;", t.revoked)
            } else {
                ("valid", "&#x2713;", t.valid)
            };
            body.push_str(&format!(
                "<div class=\"status {class}\" role=\"status\"><span class=\"mark\" aria-hidden=\"true\">{mark}</span>{}</div>\n",
                escape(headline)
            ));
            if v.revoked {
                body.push_str(&format!(
                    "<p class=\"detail\">{}</p>\n",
                    escape(t.revoked_detail)
                ));
            }
            body.push_str("<dl>\n");
            for (label, value, class) in [
                (t.holder, v.holder_name.clone(), ""),
                (t.course, v.course_title.clone(), ""),
                (t.completed, i18n::long_date(lang, v.completed_on), ""),
                (t.issuer, v.issuer.clone(), ""),
                (t.code, v.code.clone(), " class=\"code\""),
            ] {
                body.push_str(&format!(
                    "<dt>{}</dt><dd{class}>{}</dd>\n",
                    escape(label),
                    escape(&value)
                ));
            }
            body.push_str("</dl>\n");
        }
        PageState::Unknown => {
            body.push_str(&format!(
                "<div class=\"status unknown\" role=\"status\"><span class=\"mark\" aria-hidden=\"true\">?</span>{}</div>\n<p class=\"detail\">{}</p>\n",
                escape(t.unknown),
                escape(t.unknown_detail)
            ));
        }
        PageState::TooManyRequests => {
            body.push_str(&format!(
                "<div class=\"status unknown\" role=\"status\">{}</div>\n",
                escape(t.too_many)
            ));
        }
    }
    let path = escape(&crate::web::encode_path_segment(path_code));
    let nav: String = Lang::ALL
        .iter()
        .map(|l| {
            let current = if *l == lang {
                " aria-current=\"page\""
            } else {
                ""
            };
            let label = l.name();
            format!(
                "<a href=\"/verify/{path}?lang={}\" hreflang=\"{}\"{current}>{label}</a>",
                l.code(),
                l.code()
            )
        })
        .collect();
    format!(
        "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex\">\n\
         <title>{title} · {hub}</title>\n<link rel=\"stylesheet\" href=\"/verify/verify.css\">\n\
         </head>\n<body>\n<header><div class=\"hub\">{hub}</div><nav>{nav}</nav></header>\n\
         <main>\n<h1>{title}</h1>\n{body}</main>\n<footer>{hub}</footer>\n</body>\n</html>\n",
        lang = lang.code(),
        title = escape(t.page_title),
        hub = escape(hub_name),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(revoked: bool) -> PageView {
        PageView {
            code: "IBA-7K3F-Q9XD".into(),
            holder_name: "<script>alert(1)</script> Núñez".into(),
            course_title: "Biotech \"IP\" & licensing".into(),
            completed_on: jiff::civil::date(2026, 3, 2),
            issuer: "BioNorte Portugal".into(),
            revoked,
        }
    }

    #[test]
    fn values_are_escaped() {
        let html = render(
            Lang::En,
            "IberoBio Academy",
            "IBA-7K3F-Q9XD",
            PageState::Found(&view(false)),
        );
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; Núñez"));
        assert!(html.contains("Biotech &quot;IP&quot; &amp; licensing"));
        assert!(html.contains("This certificate is valid"));
        assert!(html.contains("2 March 2026"));
        assert!(html.contains("<html lang=\"en\">"));
    }

    #[test]
    fn localised_and_revoked() {
        let html = render(
            Lang::Pt,
            "IberoBio Academy",
            "IBA-7K3F-Q9XD",
            PageState::Found(&view(true)),
        );
        assert!(html.contains("Este certificado foi revogado"));
        assert!(html.contains("2 de março de 2026"));
        assert!(html.contains("<html lang=\"pt\">"));
        assert!(!html.contains("é válido"));
        let es = render(Lang::Es, "IberoBio Academy", "x", PageState::Unknown);
        assert!(es.contains("Ningún certificado tiene este código"));
    }

    #[test]
    fn hostile_path_stays_in_its_attribute() {
        let html = render(
            Lang::En,
            "Hub",
            "\"><img src=x onerror=alert(1)>",
            PageState::Unknown,
        );
        assert!(!html.contains("<img"));
        assert!(html.contains("/verify/%22%3E%3Cimg"));
    }
}

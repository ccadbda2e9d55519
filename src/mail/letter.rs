//! One template for every message: a greeting, paragraphs, at most one button (a link back to
//! the right page), a footer. The plain-text and the HTML part come from the same [`Letter`],
//! so they never say different things. Pure functions.

use crate::lang::Lang;

/// The hub's name, in every message's header and footer.
pub const HUB: &str = "IberoBio Academy";

/// A message as a person reads it, before it becomes MIME.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    pub lang: Lang,
    pub subject: String,
    pub greeting: String,
    pub paragraphs: Vec<String>,
    /// The button: label and absolute URL.
    pub action: Option<(String, String)>,
    /// Small print: why this person gets the message, how to stop it.
    pub footer: Vec<String>,
}

impl Letter {
    /// The plain-text part: paragraphs separated by blank lines, the link on its own line.
    pub fn text(&self) -> String {
        let mut out = format!("{}\n\n", self.greeting);
        for p in &self.paragraphs {
            out.push_str(p);
            out.push_str("\n\n");
        }
        if let Some((label, url)) = &self.action {
            out.push_str(&format!("{label}:\n{url}\n\n"));
        }
        out.push_str("-- \n");
        out.push_str(HUB);
        out.push('\n');
        for f in &self.footer {
            out.push_str(f);
            out.push('\n');
        }
        out
    }

    /// The HTML part: the same text, escaped, with the action as a button-styled link.
    pub fn html(&self) -> String {
        let e = |s: &str| escape(s);
        let mut body = format!("<p>{}</p>\n", e(&self.greeting));
        for p in &self.paragraphs {
            body.push_str(&format!("<p>{}</p>\n", e(p)));
        }
        if let Some((label, url)) = &self.action {
            body.push_str(&format!(
                "<p><a href=\"{}\" style=\"display:inline-block;padding:10px 18px;\
                 background:#0b6e4f;color:#ffffff;text-decoration:none;border-radius:4px\">{}</a></p>\n\
                 <p style=\"font-size:13px;color:#555\">{}</p>\n",
                e(url),
                e(label),
                e(url)
            ));
        }
        let footer: String = self
            .footer
            .iter()
            .map(|f| format!("<br>{}", e(f)))
            .collect();
        format!(
            "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
             <title>{subject}</title></head>\n\
             <body style=\"font-family:Arial,Helvetica,sans-serif;font-size:15px;color:#1a1a1a;\
             max-width:600px;margin:0 auto;padding:16px\">\n\
             <p style=\"font-weight:bold;color:#0b6e4f\">{hub}</p>\n{body}\
             <p style=\"font-size:12px;color:#666;border-top:1px solid #ddd;padding-top:8px\">\
             {hub}{footer}</p>\n</body></html>\n",
            lang = self.lang.code(),
            subject = e(&self.subject),
            hub = HUB,
        )
    }
}

/// HTML escaping for text and double-quoted attributes (a letter's text never carries markup).
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    // Writing into a String cannot fail.
    let _ = pulldown_cmark_escape::escape_html(&mut out, s);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter() -> Letter {
        Letter {
            lang: Lang::Es,
            subject: "Restablecer <contraseña>".into(),
            greeting: "Hola, Begoña:".into(),
            paragraphs: vec!["Uno & dos".into()],
            action: Some((
                "Elegir contraseña".into(),
                "https://academy.example/#/reset?token=a&b=\"c\"".into(),
            )),
            footer: vec!["Mensaje automático.".into()],
        }
    }

    #[test]
    fn text_and_html_carry_the_same_words() {
        let l = letter();
        let text = l.text();
        assert!(text.starts_with("Hola, Begoña:\n\nUno & dos\n\n"));
        assert!(
            text.contains("Elegir contraseña:\nhttps://academy.example/#/reset?token=a&b=\"c\"\n")
        );
        let html = l.html();
        assert!(html.contains("<html lang=\"es\">"));
        assert!(html.contains("<p>Uno &amp; dos</p>"));
        assert!(
            html.contains("href=\"https://academy.example/#/reset?token=a&amp;b=&quot;c&quot;\"")
        );
        assert!(html.contains("<title>Restablecer &lt;contraseña&gt;</title>"));
        assert!(!html.contains("<contraseña>"));
    }
}

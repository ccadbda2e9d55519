//! Inline Markdown of prompts, labels and feedback -> sanitised HTML.

use std::collections::HashSet;
use std::sync::LazyLock;

use pulldown_cmark::{Event, Options, Parser};

static CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::empty();
    b.tags(HashSet::from([
        "p", "strong", "em", "code", "a", "del", "sub", "sup", "br", "ul", "ol", "li",
    ]))
    .link_rel(Some("noopener noreferrer"))
    .url_schemes(HashSet::from(["https", "http", "mailto"]))
    .tag_attributes([("a", HashSet::from(["href"]))].into());
    b
});

/// Render a short Markdown text; a single paragraph loses its `<p>` wrapper. Raw HTML in the
/// source is shown as text, never interpreted.
pub fn inline_html(markdown: &str) -> String {
    let parser = Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH).map(|e| match e {
        Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
        other => other,
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, parser);
    let html = CLEANER.clean(&html).to_string();
    let trimmed = html.trim();
    match trimmed
        .strip_prefix("<p>")
        .and_then(|s| s.strip_suffix("</p>"))
    {
        Some(inner) if !inner.contains("<p>") => inner.to_string(),
        _ => trimmed.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_markdown_is_rendered_and_sanitised() {
        assert_eq!(inline_html("Pick **one**"), "Pick <strong>one</strong>");
        assert_eq!(inline_html("`510(k)`"), "<code>510(k)</code>");
        let evil =
            inline_html("<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=y>");
        assert!(!evil.contains("<script"), "{evil}");
        assert!(!evil.contains("<img"), "{evil}");
        assert!(!evil.contains("href=\"javascript"), "{evil}");
        assert_eq!(inline_html("a < b & c"), "a &lt; b &amp; c");
    }
}

//! Inline Markdown of prompts, labels and feedback -> sanitised HTML.

use std::collections::HashSet;
use std::sync::{Arc, LazyLock};

use pulldown_cmark::{Event, Options, Parser};

use crate::memo::Memo;

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

/// Rendered texts by source. Every input is a text of a quiz definition (prompts, options,
/// feedback), so the set is bounded by the courses; rendering one costs a Markdown parse and an
/// HTML sanitisation, which were a sixth of the CPU of starting an attempt.
static RENDERED: LazyLock<Memo<Arc<str>>> = LazyLock::new(|| Memo::new(8192));

/// Render a short Markdown text; a single paragraph loses its `<p>` wrapper. Raw HTML in the
/// source is shown as text, never interpreted.
pub fn inline_html(markdown: &str) -> String {
    if let Some(html) = RENDERED.get(markdown) {
        return html.to_string();
    }
    let html = render(markdown);
    RENDERED.insert(markdown.to_string(), Arc::from(html.as_str()));
    html
}

fn render(markdown: &str) -> String {
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

    #[test]
    fn a_text_rendered_again_comes_from_the_cache_unchanged() {
        let source = "A **cached** [link](https://example.org) <b>raw</b>";
        let first = inline_html(source);
        assert_eq!(first, render(source));
        assert!(RENDERED.get(source).is_some());
        assert_eq!(inline_html(source), first);
    }
}

//! Markdown -> sanitised HTML, once at import.
//!
//! Two layers: the Markdown event stream is rewritten first (raw HTML dropped, heading ids
//! assigned, module/anchor/material links turned into web UI routes), then the HTML goes through
//! ammonia with a short allow-list. Either layer alone keeps scripts out; together a mistake in
//! one is caught by the other.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// Bump when rendering changes: content hashes include it, so the next import re-renders.
pub const RENDER_VERSION: &str = "render-1";

/// The Markdown extensions course files may use.
pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Where a module lives, for rewriting links.
pub struct LinkContext<'a> {
    pub course: &'a str,
    pub module: &'a str,
}

/// A link found in the source, for validation by the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLink {
    pub line: usize,
    pub target: LinkTarget,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkTarget {
    /// `NN-slug.md` or `NN-slug.md#anchor`.
    Module {
        file: String,
        slug: String,
        anchor: Option<String>,
    },
    /// `#anchor` inside this module.
    Anchor(String),
    /// `material:<title>`.
    Material(String),
    /// `https:`, `http:`, `mailto:`: left to the sanitiser.
    External,
    /// A relative link that cannot work in the web UI (`../x.md`, `image.png`, `x.md`).
    Broken(String),
}

#[derive(Debug, Clone)]
pub struct Rendered {
    /// The first line's `# Title`, when there is one (it is not repeated in `html`).
    pub title: Option<String>,
    pub html: String,
    pub links: Vec<SourceLink>,
    /// Every heading's id, in order.
    pub heading_ids: Vec<String>,
}

/// 1-based line of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Line numbers of byte offsets that only grow (links in document order): one pass in total.
struct Lines<'a> {
    text: &'a [u8],
    offset: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Lines {
            text: text.as_bytes(),
            offset: 0,
            line: 1,
        }
    }

    fn line(&mut self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        if offset < self.offset {
            // Out of order (footnote definitions move): count from the start.
            return self.text[..offset].iter().filter(|b| **b == b'\n').count() + 1;
        }
        self.line += self.text[self.offset..offset]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        self.offset = offset;
        self.line
    }
}

/// Percent-encode a path segment (RFC 3986 unreserved characters kept).
pub fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The web UI route of a module (hash routing; an anchor follows a second `#`).
pub fn module_href(course: &str, module: &str, anchor: Option<&str>) -> String {
    match anchor {
        Some(a) => format!("#/courses/{course}/{module}#{}", encode_segment(a)),
        None => format!("#/courses/{course}/{module}"),
    }
}

/// The web UI route that opens a course material by its title.
pub fn material_href(course: &str, title: &str) -> String {
    format!("#/courses/{course}/materials/{}", encode_segment(title))
}

/// `NN-slug.md` -> (position, slug).
pub fn parse_module_file_name(name: &str) -> Option<(u32, String)> {
    let stem = name.strip_suffix(".md")?;
    let (nn, slug) = stem.split_once('-')?;
    if nn.len() != 2 || !nn.bytes().all(|b| b.is_ascii_digit()) || !valid_slug(slug) {
        return None;
    }
    Some((nn.parse().ok()?, slug.to_string()))
}

/// Lowercase ASCII letters, digits and single inner `-`.
pub fn valid_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 80
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

fn classify(dest: &str) -> LinkTarget {
    let lower = dest.trim().to_ascii_lowercase();
    if let Some(anchor) = dest.strip_prefix('#') {
        return LinkTarget::Anchor(anchor.to_string());
    }
    if let Some(title) = dest.strip_prefix("material:") {
        return LinkTarget::Material(percent_decode(title.trim()));
    }
    if lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:")
    {
        return LinkTarget::External;
    }
    let (file, anchor) = match dest.split_once('#') {
        Some((f, a)) => (f, Some(a.to_string())),
        None => (dest, None),
    };
    let file = file.strip_prefix("./").unwrap_or(file);
    if let Some((_, slug)) = parse_module_file_name(file) {
        return LinkTarget::Module {
            file: file.to_string(),
            slug,
            anchor,
        };
    }
    // Anything else with a scheme (javascript:, data:, vbscript:, ftp:) is left for the
    // sanitiser to drop; only scheme-less relative links are a course author's mistake.
    let has_scheme = lower.split_once(':').is_some_and(|(s, _)| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    });
    if has_scheme {
        LinkTarget::External
    } else {
        LinkTarget::Broken(dest.to_string())
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// GitHub-style heading anchor: lowercase, letters/digits/`-`/`_` kept, spaces to `-`.
pub fn slugify(text: &str) -> String {
    let mut out = String::new();
    for c in text.trim().chars() {
        if c.is_alphanumeric() || c == '_' || c == '-' {
            out.extend(c.to_lowercase());
        } else if c.is_whitespace() {
            out.push('-');
        }
    }
    if out.is_empty() {
        "section".into()
    } else {
        out
    }
}

fn title_of_first_line(markdown: &str) -> Option<String> {
    let first = markdown.lines().next()?.trim_end();
    let rest = first.strip_prefix("# ")?;
    let title = rest.trim().trim_end_matches('#').trim();
    (!title.is_empty()).then(|| title.to_string())
}

/// Render one module. Links are rewritten for the web UI and reported for validation.
pub fn render(markdown: &str, ctx: &LinkContext<'_>) -> Rendered {
    let mut r = render_unsanitised(markdown, ctx);
    r.html = sanitize(&r.html);
    r
}

/// [`render`] without the final sanitiser pass (for benchmarks; never store its output).
pub fn render_unsanitised(markdown: &str, ctx: &LinkContext<'_>) -> Rendered {
    let title = title_of_first_line(markdown);
    let mut events: Vec<Event<'_>> = Vec::new();
    let mut links = Vec::new();
    let mut heading_ids = Vec::new();
    let mut seen_ids: HashMap<String, usize> = HashMap::new();
    // (index in `events` of the heading start, collected text)
    let mut open_heading: Option<(usize, String)> = None;
    let mut skipping_title = false;
    // Inside inline raw `<script>`/`<style>`/`<svg>`...: their text is dropped with the tags.
    let mut raw_depth: usize = 0;
    let mut lines = Lines::new(markdown);

    for (event, range) in Parser::new_ext(markdown, options()).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, id, .. }) => {
                if title.is_some() && range.start == 0 && level == HeadingLevel::H1 {
                    skipping_title = true;
                    continue;
                }
                let idx = events.len();
                events.push(Event::Start(Tag::Heading {
                    level,
                    id: id.clone(),
                    classes: Vec::new(),
                    attrs: Vec::new(),
                }));
                open_heading = Some((idx, String::new()));
            }
            Event::End(TagEnd::Heading(level)) => {
                if skipping_title {
                    skipping_title = false;
                    continue;
                }
                if let Some((idx, text)) = open_heading.take() {
                    if let Event::Start(Tag::Heading { id, .. }) = &mut events[idx] {
                        let base = match id.take() {
                            Some(explicit) => explicit.to_string(),
                            None => slugify(&text),
                        };
                        let n = seen_ids.entry(base.clone()).or_insert(0);
                        let unique = if *n == 0 {
                            base.clone()
                        } else {
                            format!("{base}-{n}")
                        };
                        *n += 1;
                        heading_ids.push(unique.clone());
                        *id = Some(CowStr::from(unique));
                    }
                }
                raw_depth = 0;
                events.push(Event::End(TagEnd::Heading(level)));
            }
            _ if skipping_title => {}
            // Raw HTML never reaches a learner: write Markdown only.
            Event::Html(_) => {}
            Event::InlineHtml(tag) => raw_depth = raw_depth_after(raw_depth, &tag),
            Event::Text(_) if raw_depth > 0 => {}
            // Inline HTML never spans blocks: an unclosed `<script>` ends with its paragraph.
            Event::End(
                end @ (TagEnd::Paragraph
                | TagEnd::TableCell
                | TagEnd::Item
                | TagEnd::BlockQuote(_)
                | TagEnd::FootnoteDefinition),
            ) => {
                raw_depth = 0;
                events.push(Event::End(end));
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title: link_title,
                id,
            }) => {
                let href = rewrite(&dest_url, ctx, &mut links, lines.line(range.start));
                events.push(Event::Start(Tag::Link {
                    link_type,
                    dest_url: href,
                    title: link_title,
                    id,
                }));
            }
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title: image_title,
                id,
            }) => {
                let href = rewrite(&dest_url, ctx, &mut links, lines.line(range.start));
                events.push(Event::Start(Tag::Image {
                    link_type,
                    dest_url: href,
                    title: image_title,
                    id,
                }));
            }
            Event::Text(t) | Event::Code(t) if open_heading.is_some() => {
                if let Some((_, text)) = open_heading.as_mut() {
                    text.push_str(&t);
                }
                events.push(Event::Text(t));
            }
            other => events.push(other),
        }
    }
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut raw, events.into_iter());
    Rendered {
        title,
        html: raw,
        links,
        heading_ids,
    }
}

/// Elements whose content is code or markup, not reading text.
const RAW_CONTENT: [&str; 10] = [
    "script", "style", "svg", "math", "iframe", "object", "noscript", "template", "textarea",
    "title",
];

fn raw_depth_after(depth: usize, tag: &str) -> usize {
    let t = tag.trim_start_matches('<').to_ascii_lowercase();
    let (closing, name) = match t.strip_prefix('/') {
        Some(rest) => (true, rest),
        None => (false, t.as_str()),
    };
    let name: String = name
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    if !RAW_CONTENT.contains(&name.as_str()) || t.trim_end().ends_with("/>") {
        depth
    } else if closing {
        depth.saturating_sub(1)
    } else {
        depth + 1
    }
}

fn rewrite<'a>(
    dest: &CowStr<'a>,
    ctx: &LinkContext<'_>,
    links: &mut Vec<SourceLink>,
    line: usize,
) -> CowStr<'a> {
    let target = classify(dest);
    let href = match &target {
        LinkTarget::Module { slug, anchor, .. } => {
            CowStr::from(module_href(ctx.course, slug, anchor.as_deref()))
        }
        LinkTarget::Anchor(a) => CowStr::from(module_href(ctx.course, ctx.module, Some(a))),
        LinkTarget::Material(title) => CowStr::from(material_href(ctx.course, title)),
        LinkTarget::External | LinkTarget::Broken(_) => dest.clone(),
    };
    links.push(SourceLink { line, target });
    href
}

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.add_tags(["input"])
        .rm_tags(["map", "area"])
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .add_generic_attributes(["id"])
        .add_tag_attributes("th", ["style"])
        .add_tag_attributes("td", ["style"])
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("noopener noreferrer"))
        .strip_comments(true)
        .allowed_classes(HashMap::from([
            (
                "sup",
                HashSet::from(["footnote-reference", "footnote-definition-label"]),
            ),
            ("div", HashSet::from(["footnote-definition"])),
        ]))
        .attribute_filter(|element, attribute, value| match (element, attribute) {
            // Task-list boxes only, always read-only.
            ("input", "type") => (value == "checkbox").then_some(Cow::Borrowed(value)),
            ("input", "disabled") => Some(Cow::Borrowed("")),
            // Table alignment is the one inline style pulldown-cmark writes.
            ("th" | "td", "style") => {
                let v = value.trim().trim_end_matches(';').replace(' ', "");
                matches!(
                    v.as_str(),
                    "text-align:left" | "text-align:center" | "text-align:right"
                )
                .then(|| Cow::Owned(format!("text-align: {}", &v[11..])))
            }
            _ => Some(Cow::Borrowed(value)),
        });
    b
});

/// The allow-list sanitiser: no scripts, styles, event handlers, SVG/MathML, forms or frames;
/// only http(s)/mailto and relative URLs.
pub fn sanitize(html: &str) -> String {
    let cleaned = SANITIZER.clean(html).to_string();
    // A task-list checkbox must not become an active form control.
    if cleaned.contains("<input") {
        cleaned
            .replace("<input ", "<input disabled=\"\" ")
            .replace("disabled=\"\" disabled=\"\"", "disabled=\"\"")
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> LinkContext<'static> {
        LinkContext {
            course: "c",
            module: "m",
        }
    }

    #[test]
    fn title_is_taken_from_the_first_line_and_not_repeated() {
        let r = render("# My title\n\nBody *text*.\n", &ctx());
        assert_eq!(r.title.as_deref(), Some("My title"));
        assert!(!r.html.contains("My title"), "{}", r.html);
        assert!(r.html.contains("<em>text</em>"));
        assert!(render("Body\n", &ctx()).title.is_none());
        assert!(render("## Sub\n", &ctx()).title.is_none());
    }

    #[test]
    fn headings_get_unique_ids_and_explicit_ids_are_kept() {
        let r = render(
            "# T\n\n## The PCT route\n\n## The PCT route\n\n### Custom {#mine}\n",
            &ctx(),
        );
        assert_eq!(r.heading_ids, ["the-pct-route", "the-pct-route-1", "mine"]);
        assert!(r.html.contains(r#"<h2 id="the-pct-route">"#), "{}", r.html);
        assert!(r.html.contains(r#"<h3 id="mine">"#), "{}", r.html);
    }

    #[test]
    fn links_are_rewritten_and_reported() {
        let md = "# T\n\nSee [b](02-beta.md), [b2](02-beta.md#part-two),\n[here](#local), \
                  [file](<material:Export plan.xlsx>) and [x](../other.md).\n";
        let r = render(md, &ctx());
        assert!(
            r.html.contains(r##"href="#/courses/c/beta""##),
            "{}",
            r.html
        );
        assert!(r.html.contains(r##"href="#/courses/c/beta#part-two""##));
        assert!(r.html.contains(r##"href="#/courses/c/m#local""##));
        assert!(r
            .html
            .contains(r##"href="#/courses/c/materials/Export%20plan.xlsx""##));
        assert_eq!(r.links.len(), 5);
        assert_eq!(r.links[0].line, 3);
        assert_eq!(r.links[3].line, 4);
        assert!(matches!(&r.links[4].target, LinkTarget::Broken(t) if t == "../other.md"));
        assert!(matches!(&r.links[3].target, LinkTarget::Material(t) if t == "Export plan.xlsx"));
    }

    #[test]
    fn extensions_render() {
        let md = "# T\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\n~~old~~ text[^1]\n\n[^1]: A note.\n\n- [x] done\n- [ ] todo\n";
        let h = render(md, &ctx()).html;
        assert!(h.contains("<table>"), "{h}");
        assert!(h.contains(r#"style="text-align: left""#), "{h}");
        assert!(h.contains("<del>old</del>"), "{h}");
        assert!(h.contains("footnote-definition"), "{h}");
        assert!(h.contains(r#"type="checkbox""#), "{h}");
        assert!(h.contains("checked"), "{h}");
        assert!(h.contains("disabled"), "{h}");
    }

    #[test]
    fn hostile_html_is_removed() {
        let md = "# T\n\n<script>alert(1)</script>\n\nok <img src=x onerror=alert(1)> \
                  [a](javascript:alert(1)) [d](data:text/html;base64,PHNjcmlwdD4=)\n\n\
                  <svg><script>alert(1)</script></svg>\n\n<iframe src=https://evil.example></iframe>\n";
        let h = render(md, &ctx()).html;
        for bad in [
            "<script",
            "onerror",
            "javascript:",
            "data:",
            "<svg",
            "<iframe",
            "alert",
        ] {
            assert!(!h.contains(bad), "{bad} survived: {h}");
        }
        assert!(h.contains("ok"));
    }

    #[test]
    fn sanitizer_alone_drops_what_markdown_might_let_through() {
        let h = sanitize(
            r#"<a href="javascript:alert(1)" onclick="x()">a</a><input type="text" name="pw"><td style="background:url(x)">c</td><style>p{}</style><p style="color:red">p</p>"#,
        );
        for bad in [
            "javascript",
            "onclick",
            "type=\"text\"",
            "background",
            "<style",
            "color",
        ] {
            assert!(!h.contains(bad), "{bad} survived: {h}");
        }
    }

    #[test]
    fn module_file_names() {
        assert_eq!(
            parse_module_file_name("01-intro.md"),
            Some((1, "intro".into()))
        );
        assert_eq!(
            parse_module_file_name("12-a-b-2.md"),
            Some((12, "a-b-2".into()))
        );
        for bad in [
            "1-intro.md",
            "01_intro.md",
            "01-Intro.md",
            "01-.md",
            "01-intro.txt",
            "001-x.md",
        ] {
            assert_eq!(parse_module_file_name(bad), None, "{bad}");
        }
    }
}

//! Markdown -> sanitised HTML, once at import.
//!
//! Two layers. The Markdown event stream goes through an allow-list and pulldown-cmark's HTML
//! writer ([`render_allow_listed`]: raw HTML dropped, only http(s)/mailto URLs and web UI
//! routes, heading ids assigned, module/anchor/material links rewritten); its output is safe by
//! construction, and a test checks that ammonia ([`sanitize`]) finds nothing in it to change.
//! A module from which the allow-list had to remove anything also goes through ammonia, so a
//! hostile file meets both layers; clean modules (all shipped ones) skip ammonia's re-parse,
//! which would cost six times the rendering.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::LazyLock;

use pulldown_cmark::{
    CodeBlockKind, CowStr, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd,
};

/// Bump when rendering changes: content hashes include it, so the next import re-renders.
pub const RENDER_VERSION: &str = "render-3";

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
    /// `https:`, `http:`, `mailto:`.
    External,
    /// Any other scheme (`javascript:`, `data:`, `file:`...): the link is not written.
    Refused(String),
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
    /// The allow-list removed something: raw HTML, a refused URL, heading attributes.
    pub removed: bool,
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

/// The web UI route of a module (hash routing; an anchor follows a second `#`).
pub fn module_href(course: &str, module: &str, anchor: Option<&str>) -> String {
    match anchor {
        Some(a) => format!(
            "#/courses/{course}/{module}#{}",
            crate::web::encode_path_segment(a)
        ),
        None => format!("#/courses/{course}/{module}"),
    }
}

/// The web UI route that opens a course material by its title.
pub fn material_href(course: &str, title: &str) -> String {
    format!(
        "#/courses/{course}/materials/{}",
        crate::web::encode_path_segment(title)
    )
}

/// `NN-slug.md` -> (position, slug).
pub fn parse_module_file_name(name: &str) -> Option<(u32, String)> {
    let stem = name.strip_suffix(".md")?;
    let (nn, slug) = stem.split_once('-')?;
    if nn.len() != 2 || !nn.bytes().all(|b| b.is_ascii_digit()) || !crate::ids::Slug::valid(slug) {
        return None;
    }
    Some((nn.parse().ok()?, slug.to_string()))
}

fn classify(dest: &str) -> LinkTarget {
    if let Some(anchor) = dest.strip_prefix('#') {
        return LinkTarget::Anchor(anchor.to_string());
    }
    if let Some(title) = dest.strip_prefix("material:") {
        return LinkTarget::Material(
            percent_encoding::percent_decode_str(title.trim())
                .decode_utf8_lossy()
                .into_owned(),
        );
    }
    // The scheme must start the destination: browsers ignore leading controls and spaces,
    // so anything before it makes the link refused or broken, never external.
    if ["https://", "http://", "mailto:"].iter().any(|scheme| {
        dest.len() >= scheme.len()
            && dest.as_bytes()[..scheme.len()].eq_ignore_ascii_case(scheme.as_bytes())
    }) {
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
    // Anything else with a scheme (javascript:, data:, vbscript:, ftp:) is refused; only
    // scheme-less relative links are a course author's mistake.
    let has_scheme = dest.trim().split_once(':').is_some_and(|(s, _)| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    });
    if has_scheme {
        LinkTarget::Refused(dest.to_string())
    } else {
        LinkTarget::Broken(dest.to_string())
    }
}

/// GitHub-style heading anchor: lowercase, letters/digits/`-`/`_` kept, spaces to `-`.
pub fn slugify(text: &str) -> String {
    let text = text.trim();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            // Most headings are ASCII: no Unicode tables on that path.
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                out.push(c.to_ascii_lowercase());
            } else if c.is_whitespace() {
                out.push('-');
            }
        } else if c.is_alphanumeric() {
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

/// The `# Title` of the first line, as plain text: titles are shown as text (page titles,
/// menus, certificates), so their inline Markdown (`*know-how*`, `` `code` ``) is rendered to
/// its words.
fn title_of_first_line(markdown: &str) -> Option<String> {
    let first = markdown.lines().next()?.trim_end();
    let rest = first.strip_prefix("# ")?;
    let title = plain_text(rest.trim().trim_end_matches('#').trim());
    (!title.is_empty()).then_some(title)
}

/// The words of one line of inline Markdown: emphasis, code spans and links reduced to their
/// text, whitespace collapsed.
pub fn plain_text(inline: &str) -> String {
    let mut out = String::with_capacity(inline.len());
    // As a heading's content: inline Markdown only (a leading `1.` or `-` is not a list).
    for event in Parser::new_ext(&format!("# {inline}"), options()) {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Render one module. Links are rewritten for the web UI and reported for validation.
///
/// The first layer, [`render_allow_listed`], writes only what an allow-list of Markdown events
/// produces. When it had to remove anything (raw HTML, a refused URL, heading attributes),
/// the module is hostile or broken, and its output also goes through ammonia.
pub fn render(markdown: &str, ctx: &LinkContext<'_>) -> Rendered {
    let mut r = render_allow_listed(markdown, ctx);
    if r.removed {
        r.html = sanitize(&r.html);
    }
    r
}

/// The first layer of [`render`]: Markdown events through an allow-list, written by
/// pulldown-cmark's HTML writer, which escapes every text and attribute.
///
/// Safe by construction: raw HTML events are dropped (with the text of inline `<script>`-like
/// elements), only `http:`, `https:` and `mailto:` URLs and the web UI's own routes are
/// written, heading classes and attributes are dropped, code blocks lose their language class,
/// and every link gets `rel="noopener noreferrer"`. Its output is what ammonia, configured as
/// [`sanitize`], leaves unchanged; `tests::allow_listed_output_is_what_ammonia_keeps` checks
/// that on a hostile corpus, generated documents and the shipped courses.
pub fn render_allow_listed(markdown: &str, ctx: &LinkContext<'_>) -> Rendered {
    // NUL is never text (HTML parsers drop it); CommonMark replaces it.
    let markdown: Cow<'_, str> = if markdown.contains('\0') {
        Cow::Owned(markdown.replace('\0', "\u{FFFD}"))
    } else {
        Cow::Borrowed(markdown)
    };
    let markdown = markdown.as_ref();
    let title = title_of_first_line(markdown);
    let mut events = AllowList {
        parser: Parser::new_ext(markdown, options()).into_offset_iter(),
        skip_title: title.is_some(),
        pending: VecDeque::new(),
        ctx,
        lines: Lines::new(markdown),
        links: Vec::new(),
        heading_ids: Vec::new(),
        seen_ids: HashMap::new(),
        raw_depth: 0,
        open_links: Vec::new(),
        removed: false,
    };
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, &mut events);
    Rendered {
        title,
        html,
        links: events.links,
        heading_ids: events.heading_ids,
        removed: events.removed,
    }
}

/// An open link or image: what to do with its end event.
#[derive(Clone, Copy, PartialEq, Eq)]
enum OpenLink {
    /// Written as our own `<a ...>`: close it with `</a>`.
    Anchor,
    /// An image, passed to the writer (which writes its alt text itself).
    Image,
    /// Refused, or a link inside an image's alt text: its text stays, the element goes.
    Dropped,
}

/// The event filter of [`render_allow_listed`], as an iterator for pulldown-cmark's writer.
struct AllowList<'a, 'c> {
    parser: pulldown_cmark::OffsetIter<'a, pulldown_cmark::DefaultBrokenLinkCallback>,
    /// The first line is the `# Title`: its heading is not written.
    skip_title: bool,
    /// A heading's events, held back until its text (and so its id) is known.
    pending: VecDeque<Event<'a>>,
    ctx: &'c LinkContext<'c>,
    lines: Lines<'a>,
    links: Vec<SourceLink>,
    heading_ids: Vec<String>,
    seen_ids: HashMap<String, usize>,
    /// Inside inline raw `<script>`/`<style>`/`<svg>`...: their text is dropped with the tags.
    raw_depth: usize,
    open_links: Vec<OpenLink>,
    removed: bool,
}

impl<'a> Iterator for AllowList<'a, '_> {
    type Item = Event<'a>;

    fn next(&mut self) -> Option<Event<'a>> {
        if let Some(e) = self.pending.pop_front() {
            return Some(e);
        }
        loop {
            let (event, range) = self.parser.next()?;
            if let Event::Start(Tag::Heading {
                level,
                id,
                classes,
                attrs,
            }) = event
            {
                if !classes.is_empty() || !attrs.is_empty() {
                    self.removed = true;
                }
                let is_title = std::mem::take(&mut self.skip_title)
                    && range.start == 0
                    && level == HeadingLevel::H1;
                self.heading(level, id, is_title);
                if is_title {
                    continue;
                }
                return self.pending.pop_front();
            }
            if let Some(e) = self.filter(event, range) {
                return Some(e);
            }
        }
    }
}

impl<'a> AllowList<'a, '_> {
    /// Read a heading up to its end into `pending`, with a unique id (the title: nothing).
    fn heading(&mut self, level: HeadingLevel, id: Option<CowStr<'a>>, is_title: bool) {
        let mut text = String::new();
        let mut inner = Vec::new();
        while let Some((event, range)) = self.parser.next() {
            if matches!(event, Event::End(TagEnd::Heading(_))) {
                break;
            }
            if let Event::Text(t) | Event::Code(t) = &event {
                text.push_str(t);
            }
            if let Some(e) = self.filter(event, range) {
                inner.push(e);
            }
        }
        self.raw_depth = 0;
        if is_title {
            return;
        }
        let base = match id {
            Some(explicit) => explicit.to_string(),
            None => slugify(&text),
        };
        let n = self.seen_ids.entry(base.clone()).or_insert(0);
        let unique = if *n == 0 { base } else { format!("{base}-{n}") };
        *n += 1;
        self.heading_ids.push(unique.clone());
        self.pending.push_back(Event::Start(Tag::Heading {
            level,
            id: Some(CowStr::from(unique)),
            classes: Vec::new(),
            attrs: Vec::new(),
        }));
        self.pending.extend(inner);
        self.pending.push_back(Event::End(TagEnd::Heading(level)));
    }

    /// One event through the allow-list: kept, rewritten, or dropped (`None`).
    fn filter(&mut self, event: Event<'a>, range: std::ops::Range<usize>) -> Option<Event<'a>> {
        match event {
            Event::Start(tag) => self.start(tag, range.start),
            Event::End(end) => self.end(end),
            Event::Text(_) if self.raw_depth > 0 => None,
            e @ (Event::Text(_)
            | Event::Code(_)
            | Event::SoftBreak
            | Event::HardBreak
            | Event::Rule
            | Event::FootnoteReference(_)
            | Event::TaskListMarker(_)) => Some(e),
            // Raw HTML never reaches a learner: write Markdown only.
            Event::InlineHtml(tag) => {
                self.removed = true;
                self.raw_depth = raw_depth_after(self.raw_depth, &tag);
                None
            }
            // Block HTML, and anything an option we do not enable would produce.
            _ => {
                self.removed = true;
                None
            }
        }
    }

    fn start(&mut self, tag: Tag<'a>, offset: usize) -> Option<Event<'a>> {
        let in_image = self.open_links.contains(&OpenLink::Image);
        match tag {
            Tag::Link {
                link_type,
                dest_url,
                title,
                ..
            } => {
                let href = self.rewrite(&dest_url, link_type, offset);
                match href {
                    Some(href) if !in_image => {
                        self.open_links.push(OpenLink::Anchor);
                        Some(Event::InlineHtml(anchor_start(&href, &title).into()))
                    }
                    _ => {
                        self.open_links.push(OpenLink::Dropped);
                        None
                    }
                }
            }
            Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            } => match self.rewrite(&dest_url, link_type, offset) {
                Some(href) if !in_image => {
                    self.open_links.push(OpenLink::Image);
                    Some(Event::Start(Tag::Image {
                        link_type: LinkType::Inline,
                        dest_url: href,
                        title,
                        id,
                    }))
                }
                _ => {
                    self.open_links.push(OpenLink::Dropped);
                    None
                }
            },
            // The language class would be the only class on a code block: plain code.
            Tag::CodeBlock(_) => Some(Event::Start(Tag::CodeBlock(CodeBlockKind::Indented))),
            Tag::BlockQuote(kind) => {
                if kind.is_some() {
                    self.removed = true;
                }
                Some(Event::Start(Tag::BlockQuote(None)))
            }
            t @ (Tag::Paragraph
            | Tag::List(_)
            | Tag::Item
            | Tag::FootnoteDefinition(_)
            | Tag::Table(_)
            | Tag::TableHead
            | Tag::TableRow
            | Tag::TableCell
            | Tag::Emphasis
            | Tag::Strong
            | Tag::Strikethrough) => Some(Event::Start(t)),
            // HTML blocks, and tags of options we do not enable: their end is dropped too.
            _ => {
                self.removed = true;
                None
            }
        }
    }

    fn end(&mut self, end: TagEnd) -> Option<Event<'a>> {
        match end {
            TagEnd::Link | TagEnd::Image => match self.open_links.pop() {
                Some(OpenLink::Anchor) => Some(Event::InlineHtml("</a>".into())),
                Some(OpenLink::Image) => Some(Event::End(TagEnd::Image)),
                _ => None,
            },
            // Inline HTML never spans blocks: an unclosed `<script>` ends with its paragraph.
            TagEnd::Paragraph
            | TagEnd::TableCell
            | TagEnd::Item
            | TagEnd::BlockQuote(_)
            | TagEnd::FootnoteDefinition => {
                self.raw_depth = 0;
                Some(Event::End(match end {
                    TagEnd::BlockQuote(_) => TagEnd::BlockQuote(None),
                    other => other,
                }))
            }
            e @ (TagEnd::CodeBlock
            | TagEnd::List(_)
            | TagEnd::Table
            | TagEnd::TableHead
            | TagEnd::TableRow
            | TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough) => Some(Event::End(e)),
            _ => None,
        }
    }

    /// The URL to write for a link or image destination, or `None` when it is refused.
    fn rewrite(
        &mut self,
        dest: &CowStr<'a>,
        link_type: LinkType,
        offset: usize,
    ) -> Option<CowStr<'a>> {
        let target = if link_type == LinkType::Email {
            LinkTarget::External
        } else {
            classify(dest)
        };
        let ctx = self.ctx;
        let href = match &target {
            LinkTarget::Module { slug, anchor, .. } => Some(CowStr::from(module_href(
                ctx.course,
                slug,
                anchor.as_deref(),
            ))),
            LinkTarget::Anchor(a) => {
                Some(CowStr::from(module_href(ctx.course, ctx.module, Some(a))))
            }
            LinkTarget::Material(title) => Some(CowStr::from(material_href(ctx.course, title))),
            LinkTarget::External if link_type == LinkType::Email => {
                Some(CowStr::from(format!("mailto:{dest}")))
            }
            LinkTarget::External => Some(dest.clone()),
            LinkTarget::Refused(_) | LinkTarget::Broken(_) => None,
        };
        if href.is_none() {
            self.removed = true;
        }
        let line = self.lines.line(offset);
        self.links.push(SourceLink { line, target });
        href
    }
}

/// `<a href="..." title="..." rel="noopener noreferrer">`, escaped as pulldown-cmark escapes.
fn anchor_start(href: &str, title: &str) -> String {
    let mut s = String::with_capacity(href.len() + title.len() + 48);
    s.push_str("<a href=\"");
    // Writing into a String cannot fail.
    let _ = pulldown_cmark_escape::escape_href(&mut s, href);
    if !title.is_empty() {
        s.push_str("\" title=\"");
        let _ = pulldown_cmark_escape::escape_html(&mut s, title);
    }
    s.push_str("\" rel=\"noopener noreferrer\">");
    s
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

    /// What a browser's tokenizer sees in an HTML fragment: tags with their attributes
    /// (sorted; `rel` left out, ammonia adds it), text (entities decoded, runs joined),
    /// comments and doctypes.
    #[derive(Debug, PartialEq, Eq)]
    enum Tok {
        Start(String, Vec<(String, String)>),
        End(String),
        Text(String),
        Other(String),
    }

    #[derive(Default)]
    struct Sink(std::cell::RefCell<Vec<Tok>>);

    impl html5ever::tokenizer::TokenSink for Sink {
        type Handle = ();

        fn process_token(
            &self,
            token: html5ever::tokenizer::Token,
            _line: u64,
        ) -> html5ever::tokenizer::TokenSinkResult<()> {
            use html5ever::tokenizer::{TagKind, Token};
            let mut toks = self.0.borrow_mut();
            match token {
                Token::TagToken(tag) => {
                    let name = tag.name.to_string();
                    toks.push(match tag.kind {
                        TagKind::StartTag => {
                            let mut attrs: Vec<(String, String)> = tag
                                .attrs
                                .iter()
                                .filter(|a| &*a.name.local != "rel")
                                .map(|a| (a.name.local.to_string(), a.value.to_string()))
                                .collect();
                            attrs.sort();
                            Tok::Start(name, attrs)
                        }
                        TagKind::EndTag => Tok::End(name),
                    });
                }
                Token::CharacterTokens(t) => match toks.last_mut() {
                    Some(Tok::Text(prev)) => prev.push_str(&t),
                    _ => toks.push(Tok::Text(t.to_string())),
                },
                Token::CommentToken(c) => toks.push(Tok::Other(format!("comment {c}"))),
                Token::DoctypeToken(_) => toks.push(Tok::Other("doctype".into())),
                Token::NullCharacterToken => toks.push(Tok::Other("NUL".into())),
                Token::EOFToken | Token::ParseError(_) => {}
            }
            html5ever::tokenizer::TokenSinkResult::Continue
        }
    }

    fn tokens(html: &str) -> Vec<Tok> {
        use html5ever::tendril::StrTendril;
        use html5ever::tokenizer::{BufferQueue, Tokenizer, TokenizerOpts};
        let tokenizer = Tokenizer::new(Sink::default(), TokenizerOpts::default());
        let input = BufferQueue::default();
        input.push_back(StrTendril::from_slice(html));
        let _ = tokenizer.feed(&input);
        tokenizer.end();
        let toks = tokenizer.sink.0.take();
        // Whitespace-only text between block tags is formatting, not content.
        toks.into_iter()
            .filter(|t| !matches!(t, Tok::Text(x) if x.trim().is_empty()))
            .collect()
    }

    /// Every tag, attribute and URL of `html` is on the allow-list; nothing else is there.
    fn assert_allow_listed(html: &str, source: &str) {
        for tok in tokens(html) {
            match tok {
                Tok::Text(_) => {}
                Tok::End(name) => assert!(
                    ALLOWED_TAGS.contains(&name.as_str()),
                    "</{name}> in {html}\nfrom {source:?}"
                ),
                Tok::Other(what) => panic!("{what} in {html}\nfrom {source:?}"),
                Tok::Start(name, attrs) => {
                    assert!(
                        ALLOWED_TAGS.contains(&name.as_str()),
                        "<{name}> in {html}\nfrom {source:?}"
                    );
                    for (attr, value) in attrs {
                        let ok = match (name.as_str(), attr.as_str()) {
                            ("a", "href") | ("img", "src") => {
                                ["#", "https://", "http://", "mailto:"]
                                    .iter()
                                    .any(|p| value.to_ascii_lowercase().starts_with(p))
                            }
                            ("a" | "img", "title") | ("img", "alt") | ("ol", "start") => true,
                            ("h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "div", "id") => true,
                            ("th" | "td", "style") => value.starts_with("text-align: "),
                            ("input", "type") => value == "checkbox",
                            ("input", "disabled" | "checked") => value.is_empty(),
                            ("sup", "class") => {
                                value == "footnote-reference"
                                    || value == "footnote-definition-label"
                            }
                            ("div", "class") => value == "footnote-definition",
                            _ => false,
                        };
                        assert!(ok, "<{name} {attr}={value:?}> in {html}\nfrom {source:?}");
                    }
                }
            }
        }
    }

    const ALLOWED_TAGS: [&str; 29] = [
        "p",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "code",
        "ol",
        "ul",
        "li",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "em",
        "strong",
        "del",
        "a",
        "img",
        "br",
        "hr",
        "sup",
        "div",
        "input",
    ];

    /// Pieces of Markdown and HTML that attacks and sloppy authors use.
    const FRAGMENTS: &[&str] = &[
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[a](javascript:alert(1))",
        "[a](JaVaScRiPt:x)",
        "[a](jav&#x61;script:x)",
        "[a](&#106;avascript:x)",
        "![i](data:image/svg+xml;base64,PHN2Zz4=)",
        "[d](data:text/html,<script>x</script>)",
        "<svg onload=x><script>y</script></svg>",
        "[ok](https://ok.example/?a=1&b=\"2\"&c='3')",
        "[m](02-beta.md#x)",
        "[n](#local)",
        "[f](<material:A b.pdf>)",
        "<user@example.com>",
        "<https://auto.example/x?y=<z>>",
        "<javascript:alert(1)>",
        "**bold** _em_ ~~del~~",
        "`code <b>`",
        "```js onload=x\n<script>\n```",
        "| a | b |\n|:-|-:|\n| <i>x</i> | [y](javascript:z) |",
        "- [ ] task\n- [x] done",
        "> quote <b onmouseover=x>",
        "text[^n]\n\n[^n]: note <script>x</script>",
        "[^\"><script>]: x",
        "## H {#id .cls k=v}",
        "## H \" onmouseover=x {#a\"b}",
        "## H2 <em>x</em> [l](https://h.example)",
        "[x]: javascript:alert(1)\n\n[ref][x]",
        "\u{0}null",
        "&lt;script&gt; &amp; &#0; &#x3C;script&#x3E;",
        "<!-- c -->",
        "<a href=\"javascript:x\">a</a>",
        "[![img](https://i.example/a.png)](https://l.example)",
        "![a [b](javascript:c) *d*](https://i.example/x.png)",
        "<details open ontoggle=x>y</details>",
        "1. one\n2. two",
        "3. three",
        "***",
        "line  \nbreak",
        "[t](https://x.example \"title\\\" onmouseover=x\")",
        "<style>*{}</style>",
        "\\<script\\>",
        "<![CDATA[x]]>",
        "<?php x ?>",
        "<math><mi>x</mi></math>",
        "[x](<java\tscript:alert(1)>)",
        "[x](<\u{1}javascript:alert(1)>)",
        "[x](<  https://spaced.example >)",
        "[x](HTTPS://UPPER.EXAMPLE)",
        "[x](//protocol-relative.example)",
        "[x](mailto:a@b.example?subject=<x>)",
        "<<script>script>alert(13)<</script>/script>",
        "<scr<script>ipt>alert(14)</scr</script>ipt>",
        "    indented <code>",
        "Ünïcödé — «quoted» ‘text’ & 日本",
    ];

    /// Deterministic documents of 1 to 8 fragments joined by block and inline separators.
    fn generated_documents(count: usize) -> Vec<String> {
        const SEPARATORS: [&str; 8] = ["\n\n", " ", "\n", "\n- ", "\n> ", "\n# ", "\n| ", "\n1. "];
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        (0..count)
            .map(|_| {
                let mut doc = String::from("# Title\n\n");
                for _ in 0..=next(8) {
                    doc.push_str(FRAGMENTS[next(FRAGMENTS.len())]);
                    doc.push_str(SEPARATORS[next(SEPARATORS.len())]);
                }
                doc
            })
            .collect()
    }

    fn shipped_modules() -> Vec<String> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("courses");
        let mut texts = Vec::new();
        for course in std::fs::read_dir(root).unwrap().flatten() {
            for lang in ["en", "es", "pt"] {
                let Ok(files) = std::fs::read_dir(course.path().join(lang)) else {
                    continue;
                };
                for f in files.flatten() {
                    texts.push(std::fs::read_to_string(f.path()).unwrap());
                }
            }
        }
        assert!(texts.len() >= 48, "shipped modules found: {}", texts.len());
        texts
    }

    /// The first layer alone is an allow-list, and ammonia, configured as [`sanitize`], finds
    /// nothing in its output to remove or change.
    #[test]
    fn allow_listed_output_is_what_ammonia_keeps() {
        let mut docs: Vec<String> = FRAGMENTS.iter().map(|f| format!("# T\n\n{f}\n")).collect();
        docs.extend(generated_documents(3000));
        let shipped = shipped_modules();
        docs.extend(shipped.iter().cloned());
        let mut removed = 0;
        for doc in &docs {
            let first = render_allow_listed(doc, &ctx());
            assert_allow_listed(&first.html, doc);
            assert_eq!(
                tokens(&first.html),
                tokens(&sanitize(&first.html)),
                "ammonia changed the allow-listed output of {doc:?}"
            );
            let full = render(doc, &ctx());
            assert_allow_listed(&full.html, doc);
            removed += usize::from(first.removed);
        }
        // The generated documents do exercise removal; the shipped courses need none.
        assert!(removed > 1000, "{removed}");
        for doc in &shipped {
            assert!(!render_allow_listed(doc, &ctx()).removed, "{doc}");
        }
    }

    #[test]
    fn refused_links_keep_their_text_and_flag_the_module() {
        let r = render_allow_listed(
            "# T\n\n[click me](javascript:alert(1)) and ![pic](data:image/png;base64,AA) and \
             [web](https://ok.example/ \"Ok\") <me@example.com>\n",
            &ctx(),
        );
        assert!(r.removed);
        assert!(r.html.contains("click me"), "{}", r.html);
        assert!(
            !r.html.contains("javascript") && !r.html.contains("data:"),
            "{}",
            r.html
        );
        assert!(r.html.contains("pic"), "{}", r.html);
        assert!(
            r.html.contains(
                r#"<a href="https://ok.example/" title="Ok" rel="noopener noreferrer">web</a>"#
            ),
            "{}",
            r.html
        );
        assert!(
            r.html.contains(r#"href="mailto:me@example.com""#),
            "{}",
            r.html
        );
        assert!(matches!(&r.links[0].target, LinkTarget::Refused(t) if t == "javascript:alert(1)"));
        assert!(!render_allow_listed("# T\n\n[ok](https://ok.example)\n", &ctx()).removed);
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

    mod props {
        use super::*;
        use proptest::prelude::*;

        /// Pieces an attacker would combine, plus arbitrary text between them.
        const HOSTILE: &[&str] = &[
            "<script>alert(1)</script>",
            "<SCRIPT SRC=//x.example/a.js></SCRIPT>",
            "<img src=x onerror=alert(1)>",
            "<svg/onload=alert(1)>",
            "<a href=\"javascript:alert(1)\">x</a>",
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x]( java\tscript:alert(1))",
            "[x](&#106;avascript:alert(1))",
            "![i](javascript:alert(1))",
            "<javascript:alert(1)>",
            "[r]: javascript:alert(1)\n\n[y][r]",
            "<div onclick=\"x()\">",
            "<iframe src=//x.example>",
            "<p style=\"x\" onmouseover=y>",
            "`<script>`",
            "```html\n<script>x</script>\n```",
            "{#id onclick=x}",
            "# H {onclick=x}",
            "<!-- <script> -->",
            "<",
            ">",
            "\"",
            "'",
            "=",
            "\n\n",
            "\n- ",
            "\n> ",
            "| a | b |\n|---|---|\n| ",
        ];

        fn document() -> impl Strategy<Value = String> {
            prop::collection::vec(
                prop_oneof![
                    3 => prop::sample::select(HOSTILE).prop_map(str::to_string),
                    1 => any::<String>(),
                    1 => "[a-z <>=\"':/()\\[\\]!#\n]{0,30}",
                ],
                0..12,
            )
            .prop_map(|parts| parts.concat())
        }

        /// No `<script`, no `on*` attribute, no `javascript:` URL, in the rendered HTML.
        fn assert_inert(html: &str) -> Result<(), TestCaseError> {
            let lower = html.to_ascii_lowercase();
            prop_assert!(!lower.contains("<script"), "{}", html);
            for tok in tokens(html) {
                if let Tok::Start(name, attrs) = tok {
                    prop_assert!(name != "script" && name != "iframe", "{}", html);
                    for (attr, value) in attrs {
                        prop_assert!(!attr.starts_with("on"), "{} in {}", attr, html);
                        let squashed: String = value
                            .chars()
                            .filter(|c| !c.is_whitespace() && !c.is_control())
                            .collect::<String>()
                            .to_ascii_lowercase();
                        prop_assert!(
                            !squashed.contains("javascript:") && !squashed.starts_with("data:"),
                            "{}={} in {}",
                            attr,
                            value,
                            html
                        );
                    }
                }
            }
            Ok(())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(300))]

            #[test]
            fn rendered_markdown_is_never_executable(doc in document()) {
                let full = render(&doc, &ctx());
                assert_inert(&full.html)?;
                let first = render_allow_listed(&doc, &ctx());
                assert_inert(&first.html)?;
            }
        }
    }
}

//! The content check: what the import tolerates but shipped courses must not have.
//!
//! The import serves a course whose translation is partial (readers get the fallback); the
//! check, run by the test suite over `courses/` and by `academy check`, requires that:
//! - a course is complete in every language it declares (a language folder, or a `course.toml`
//!   title in that language): title, summary, every module, every quiz text;
//! - every translation has the default language's structure: the same headings (count and
//!   levels, in order), tables (rows and columns) and lists (item counts);
//! - internal links resolve (the import's own validation, which must pass);
//! - titles are plain text: no `*`, `_` or backticks left in a stored title.

use std::collections::BTreeSet;
use std::path::Path;

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

use super::catalog::{self, Course, Module, Problem};
use super::render::{line_of, options};
use crate::courses::quiz::{QuestionKind, QuizDef, Text};

/// One block of a module's structure, as translations must repeat it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Block {
    Heading { level: u8 },
    Table { rows: usize, columns: usize },
    List { items: usize },
}

impl std::fmt::Display for Block {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Block::Heading { level } => write!(f, "a level-{level} heading"),
            Block::Table { rows, columns } => {
                write!(f, "a table of {rows} rows and {columns} columns")
            }
            Block::List { items } => write!(f, "a list of {items} items"),
        }
    }
}

/// The headings, tables and lists of a Markdown text in document order, each with its
/// 1-based line. Table rows count the header row; a nested list is a list of its own.
pub fn outline(markdown: &str) -> Vec<(Block, usize)> {
    let mut blocks: Vec<(Block, usize)> = Vec::new();
    // Indexes into `blocks` of the open lists and the open table.
    let mut lists: Vec<usize> = Vec::new();
    let mut table: Option<usize> = None;
    for (event, range) in Parser::new_ext(markdown, options()).into_offset_iter() {
        let line = line_of(markdown, range.start);
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                blocks.push((Block::Heading { level: level as u8 }, line));
            }
            Event::Start(Tag::Table(alignments)) => {
                table = Some(blocks.len());
                blocks.push((
                    Block::Table {
                        rows: 0,
                        columns: alignments.len(),
                    },
                    line,
                ));
            }
            Event::Start(Tag::TableHead | Tag::TableRow) => {
                if let Some((Block::Table { rows, .. }, _)) = table.and_then(|i| blocks.get_mut(i))
                {
                    *rows += 1;
                }
            }
            Event::End(TagEnd::Table) => table = None,
            Event::Start(Tag::List(_)) => {
                lists.push(blocks.len());
                blocks.push((Block::List { items: 0 }, line));
            }
            Event::Start(Tag::Item) => {
                if let Some((Block::List { items }, _)) =
                    lists.last().and_then(|&i| blocks.get_mut(i))
                {
                    *items += 1;
                }
            }
            Event::End(TagEnd::List(_)) => {
                lists.pop();
            }
            _ => {}
        }
    }
    blocks
}

/// Where `other` (a translation) departs from `reference` (the default language): the line in
/// each (0 when one has no such block) and a message; `None` when they have the same structure.
pub fn compare_outlines(
    reference: &[(Block, usize)],
    other: &[(Block, usize)],
) -> Option<(usize, usize, String)> {
    for i in 0..reference.len().max(other.len()) {
        match (reference.get(i), other.get(i)) {
            (Some((r, rl)), Some((o, ol))) if r != o => {
                return Some((*ol, *rl, format!("{o} here, {r} in")));
            }
            (Some((r, rl)), None) => {
                return Some((0, *rl, format!("nothing here for {r} in")));
            }
            (None, Some((o, ol))) => {
                return Some((*ol, 0, format!("{o} here, with nothing matching it in")));
            }
            _ => {}
        }
    }
    None
}

/// Characters of Markdown syntax that must not be left in a title shown as text.
pub fn markdown_in_title(title: &str) -> Option<char> {
    title.chars().find(|c| matches!(c, '*' | '_' | '`'))
}

/// The languages a course declares: its language folders with modules, and the languages of
/// its `course.toml` title.
pub fn declared_languages(course: &Course) -> Vec<String> {
    let mut out = course.languages.clone();
    for l in course.titles.keys() {
        if !out.contains(l) {
            out.push(l.clone());
        }
    }
    out
}

/// Check every course folder of `dir` (hidden entries and top-level files are skipped).
pub fn check_dir(dir: &Path) -> Vec<Problem> {
    let root = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "courses".into());
    let mut folders: Vec<_> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok())
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect(),
        Err(e) => {
            return vec![Problem {
                file: root,
                line: 0,
                message: format!("cannot read the courses folder: {e}"),
            }]
        }
    };
    folders.sort();
    folders
        .iter()
        .flat_map(|f| check_course(f, &root))
        .collect()
}

/// Check one course folder: the import's validation, then completeness, structure and titles.
pub fn check_course(folder: &Path, root: &str) -> Vec<Problem> {
    let course = match catalog::load_course(folder, root) {
        Ok(c) => c,
        Err(problems) => return problems,
    };
    let mut found = Found {
        root: format!("{root}/{}", course.slug),
        problems: Vec::new(),
    };
    let languages = declared_languages(&course);
    check_course_texts(&course, &languages, &mut found);
    for module in &course.modules {
        check_module(folder, &course, module, &languages, &mut found);
    }
    check_quiz_texts(&course, &languages, &mut found);
    found.problems
}

/// The problems of one course, each in a file of its folder.
struct Found {
    root: String,
    problems: Vec<Problem>,
}

impl Found {
    fn at(&mut self, file: &str, line: usize, message: String) {
        self.problems.push(Problem {
            file: format!("{}/{file}", self.root),
            line,
            message,
        });
    }
}

/// Title and summary in every language of the course; titles are plain text.
fn check_course_texts(course: &Course, languages: &[String], found: &mut Found) {
    let declared = languages.join(", ");
    for lang in languages {
        for (what, texts) in [("title", &course.titles), ("summary", &course.summaries)] {
            if !texts.contains_key(lang) {
                found.at(
                    "course.toml",
                    0,
                    format!("{what} has no \"{lang}\" text (the course is written in {declared})"),
                );
            }
        }
    }
    for (lang, title) in &course.titles {
        if let Some(c) = markdown_in_title(title) {
            found.at(
                "course.toml",
                0,
                format!("title.{lang} {title:?} contains the Markdown character {c:?}: titles are plain text"),
            );
        }
    }
}

/// A module exists in every language, with a plain-text title and the outline of the default
/// language's file.
fn check_module(
    folder: &Path,
    course: &Course,
    module: &Module,
    languages: &[String],
    found: &mut Found,
) {
    let declared = languages.join(", ");
    let default = course.default_language.as_str();
    let file = format!("{:02}-{}.md", module.position, module.slug);
    for lang in languages {
        if !module.contents.contains_key(lang) {
            found.at(
                &format!("{lang}/{file}"),
                0,
                format!("missing: the course is written in {declared}, so every module needs a \"{lang}\" file"),
            );
        }
    }
    for (lang, content) in &module.contents {
        if let Some(c) = markdown_in_title(&content.title) {
            found.at(
                &format!("{lang}/{file}"),
                1,
                format!(
                    "the title {:?} contains the Markdown character {c:?}: titles are plain text",
                    content.title
                ),
            );
        }
    }
    let read = |lang: &str| std::fs::read_to_string(folder.join(lang).join(&file)).ok();
    let Some(reference) = read(default).map(|t| outline(&t)) else {
        return;
    };
    for lang in module.contents.keys().filter(|l| *l != default) {
        let Some(text) = read(lang) else { continue };
        if let Some((line, ref_line, message)) = compare_outlines(&reference, &outline(&text)) {
            let there = if ref_line > 0 {
                format!("{default}/{file}:{ref_line}")
            } else {
                format!("{default}/{file}")
            };
            found.at(
                &format!("{lang}/{file}"),
                line,
                format!("structure differs from the default language: {message} {there}"),
            );
        }
    }
}

/// Every text of the quiz in every language of the course.
fn check_quiz_texts(course: &Course, languages: &[String], found: &mut Found) {
    let Some(json) = &course.quiz_json else {
        return;
    };
    let declared = languages.join(", ");
    match serde_json::from_str::<QuizDef>(json) {
        Ok(def) => {
            for (what, missing) in quiz_gaps(&def, languages) {
                found.at(
                    "quiz.toml",
                    0,
                    format!(
                        "{what} has no \"{missing}\" text (the course is written in {declared})"
                    ),
                );
            }
        }
        Err(e) => found.at(
            "quiz.toml",
            0,
            format!("the stored quiz cannot be read: {e}"),
        ),
    }
}

fn keys_of(t: &Text) -> BTreeSet<&String> {
    t.keys().collect()
}

/// Every text of a quiz that lacks one of `languages`: (what, language).
pub fn quiz_gaps(def: &QuizDef, languages: &[String]) -> Vec<(String, String)> {
    let mut gaps = Vec::new();
    let mut need = |what: String, have: BTreeSet<&String>| {
        for l in languages {
            if !have.contains(l) {
                gaps.push((what.clone(), l.clone()));
            }
        }
    };
    for q in &def.questions {
        let label = format!("question \"{}\"", q.id);
        need(format!("{label}: prompt"), keys_of(&q.prompt));
        if let Some(e) = &q.explanation {
            need(format!("{label}: explanation"), keys_of(e));
        }
        match &q.kind {
            QuestionKind::Single { options } | QuestionKind::Multiple { options, .. } => {
                for o in options {
                    need(
                        format!("{label}: option \"{}\" label", o.id),
                        keys_of(&o.label),
                    );
                    if let Some(f) = &o.feedback {
                        need(format!("{label}: option \"{}\" feedback", o.id), keys_of(f));
                    }
                }
            }
            QuestionKind::Matching { pairs } => {
                for p in pairs {
                    need(format!("{label}: pair \"{}\" left", p.id), keys_of(&p.left));
                    need(
                        format!("{label}: pair \"{}\" right", p.id),
                        keys_of(&p.right),
                    );
                }
            }
            QuestionKind::Text { accepted } => {
                need(format!("{label}: accepted"), accepted.keys().collect());
            }
            QuestionKind::TrueFalse { .. } | QuestionKind::Numeric { .. } => {}
        }
    }
    gaps
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, files: &[(&str, &str)]) {
        for (name, text) in files {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
    }

    const COURSE_TOML: &str = r#"slug = "demo"
version = 1
default_language = "en"
topic = "finance"
estimated_minutes = 30

[title]
en = "Demo"
gl = "Demostración"

[summary]
en = "A demo."
gl = "Unha demostración."

[completion]
modules = "all"
quiz = false
pass_mark = 70
"#;

    const EN: &str = "# Getting *started*\n\n## Steps\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nSee [next](02-next.md#more).\n";

    fn course(files: &[(&str, &str)]) -> (tempfile::TempDir, Vec<Problem>) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("demo");
        write(&dir, files);
        let problems = check_course(&dir, "courses");
        (tmp, problems)
    }

    fn messages(problems: &[Problem]) -> Vec<String> {
        problems.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn outlines_count_headings_tables_and_lists() {
        let o = outline(
            "# T\n\n## A\n\n- x\n  - y\n  - z\n- w\n\n| h | i | j |\n|---|---|---|\n| 1 | 2 | 3 |\n| 4 | 5 | 6 |\n\n1. a\n",
        );
        let blocks: Vec<Block> = o.iter().map(|(b, _)| *b).collect();
        assert_eq!(
            blocks,
            [
                Block::Heading { level: 1 },
                Block::Heading { level: 2 },
                Block::List { items: 2 },
                Block::List { items: 2 },
                Block::Table {
                    rows: 3,
                    columns: 3
                },
                Block::List { items: 1 },
            ]
        );
        assert_eq!(o[4].1, 10);
    }

    #[test]
    fn outline_differences_name_both_lines() {
        let a = outline("# T\n\n- a\n- b\n");
        let b = outline("# T\n\n- a\n- b\n- c\n");
        let (line, ref_line, msg) = compare_outlines(&a, &b).unwrap();
        assert_eq!((line, ref_line), (3, 3));
        assert_eq!(msg, "a list of 3 items here, a list of 2 items in");
        let (line, ref_line, msg) = compare_outlines(&a, &outline("# T\n")).unwrap();
        assert_eq!((line, ref_line), (0, 3));
        assert_eq!(msg, "nothing here for a list of 2 items in");
        assert_eq!(compare_outlines(&a, &outline("# X\n\n* p\n* q\n")), None);
    }

    #[test]
    fn a_complete_course_passes_and_titles_are_plain_text() {
        let gl = "# Primeiros *pasos*\n\n## Pasos\n\n- un\n- dous\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nVexa [seguinte](02-next.md#detalles).\n";
        let (_tmp, problems) = course(&[
            ("course.toml", COURSE_TOML),
            ("en/01-start.md", EN),
            ("en/02-next.md", "# Next\n\n## More\n"),
            ("gl/01-start.md", gl),
            ("gl/02-next.md", "# Seguinte\n\n## Detalles\n"),
        ]);
        assert_eq!(messages(&problems), Vec::<String>::new());
    }

    #[test]
    fn gaps_structure_and_markdown_titles_are_reported() {
        let gl = "# Primeiros pasos\n\n## Pasos\n\n- un\n- dous\n- tres\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nVexa [seguinte](02-next.md#more).\n";
        let (_tmp, problems) = course(&[
            (
                "course.toml",
                &COURSE_TOML.replace("gl = \"Unha demostración.\"\n", ""),
            ),
            ("en/01-start.md", EN),
            ("en/02-next.md", "# Next `now`\n\n## More\n"),
            ("gl/01-start.md", gl),
        ]);
        let m = messages(&problems);
        assert!(
            m.contains(&"courses/demo/course.toml: summary has no \"gl\" text (the course is written in en, gl)".to_string()),
            "{m:#?}"
        );
        assert!(
            m.contains(&"courses/demo/gl/02-next.md: missing: the course is written in en, gl, so every module needs a \"gl\" file".to_string()),
            "{m:#?}"
        );
        assert!(
            m.contains(&"courses/demo/gl/01-start.md:5: structure differs from the default language: a list of 3 items here, a list of 2 items in en/01-start.md:5".to_string()),
            "{m:#?}"
        );
        // Stored titles are plain text (the importer strips emphasis and code spans).
        assert!(
            !m.iter().any(|x| x.contains("Markdown character")),
            "{m:#?}"
        );
        assert_eq!(m.len(), 3, "{m:#?}");
    }

    #[test]
    fn broken_links_fail_the_check() {
        let gl = EN.replace("02-next.md#more", "02-next.md#nowhere");
        let (_tmp, problems) = course(&[
            ("course.toml", COURSE_TOML),
            ("en/01-start.md", EN),
            ("en/02-next.md", "# Next\n\n## More\n"),
            ("gl/01-start.md", &gl),
            ("gl/02-next.md", "# Seguinte\n\n## More\n"),
        ]);
        let m = messages(&problems);
        assert_eq!(
            m,
            ["courses/demo/gl/01-start.md:12: broken internal link: 02-next.md has no heading with the anchor #nowhere"],
        );
    }

    #[test]
    fn markdown_left_in_a_title_is_found() {
        assert_eq!(markdown_in_title("Transferring *know-how*"), Some('*'));
        assert_eq!(markdown_in_title("snake_case"), Some('_'));
        assert_eq!(markdown_in_title("Transferring know-how"), None);
    }

    #[test]
    fn quiz_texts_must_exist_in_every_language() {
        let json = r#"{"default_language":"en","max_attempts":2,"time_limit_minutes":null,
            "shuffle_questions":false,"shuffle_options":false,"draw":null,
            "show_answers":"after_passing","late_submission":"grade_saved","questions":[
            {"id":"q1","module":null,"prompt":{"en":"P","gl":"P"},"explanation":{"en":"E"},
             "kind":"single","options":[{"id":"a","correct":true,"label":{"en":"A","gl":"A"},"feedback":null},
             {"id":"b","correct":false,"label":{"en":"B"},"feedback":{"en":"no","gl":"non"}}]},
            {"id":"q2","module":null,"prompt":{"en":"P","gl":"P"},"explanation":null,
             "kind":"text","accepted":{"en":["x"]}}]}"#;
        let def: QuizDef = serde_json::from_str(json).unwrap();
        let gaps = quiz_gaps(&def, &["en".into(), "gl".into()]);
        let gaps: Vec<String> = gaps.into_iter().map(|(w, l)| format!("{w}/{l}")).collect();
        assert_eq!(
            gaps,
            [
                "question \"q1\": explanation/gl",
                "question \"q1\": option \"b\" label/gl",
                "question \"q2\": accepted/gl",
            ]
        );
    }

    /// The shipped courses pass the content check.
    #[test]
    fn shipped_courses_pass_the_content_check() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("courses");
        let problems = check_dir(&root);
        assert!(
            problems.is_empty(),
            "{} content problems in courses/:\n{}",
            problems.len(),
            messages(&problems).join("\n")
        );
    }
}

//! Loading one course folder, in named steps (see [`load_course`]). Part of the catalogue: it
//! uses the catalogue's raw `course.toml` shapes, its problem list and its file sources.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use toml::Spanned;

use super::{
    span_line, CompletionToml, Course, CourseToml, Module, ModuleContent, Problem, Problems,
    Sources, Texts,
};
use crate::courses::render::{self, LinkContext, LinkTarget, RENDER_VERSION};
use crate::domain::Topic;
use crate::lang::Lang;

/// Load one course folder in named steps: `course.toml` ([`check_meta`], [`check_texts`],
/// [`completion_modules`]), the folder's languages and files ([`scan_folder`]), the module
/// list of the default language ([`module_list`]), every module rendered ([`render_modules`])
/// and its links checked ([`check_links`]), the completion rules and the quiz, then the
/// [`Course`]. Every step adds what it finds to one list of problems. `root` is the name shown
/// for the courses folder in messages.
pub fn load_course(folder: &Path, root: &str) -> Result<Course, Vec<Problem>> {
    let folder_name = folder
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let display_root = format!("{root}/{folder_name}");
    let mut p = Problems {
        root: &display_root,
        list: Vec::new(),
    };
    let mut sources = match Sources::read(folder) {
        Ok(s) => s,
        Err(e) => {
            p.at("", 0, format!("cannot read the course folder: {e}"));
            return Err(p.list);
        }
    };
    let toml_text = match sources.text(&folder.join("course.toml")) {
        Ok(t) => t,
        Err(e) => {
            p.at("course.toml", 0, format!("cannot read course.toml: {e}"));
            return Err(p.list);
        }
    };
    let meta: CourseToml = match toml::from_str(&toml_text) {
        Ok(m) => m,
        Err(e) => {
            let line = e.span().map(|s| span_line(&toml_text, s)).unwrap_or(0);
            p.at("course.toml", line, e.message().trim().to_string());
            return Err(p.list);
        }
    };
    let line = |s: &std::ops::Range<usize>| span_line(&toml_text, s.clone());
    let checked = check_meta(&meta, &toml_text, &folder_name, &mut p);
    let default_language = meta.default_language.get_ref().clone();
    check_texts(&meta, &toml_text, checked.default_ok, &mut p);
    let completion = meta.completion.get_ref();
    if !(1..=100).contains(completion.pass_mark.get_ref()) {
        p.at(
            "course.toml",
            line(&completion.pass_mark.span()),
            "pass_mark must be a percentage between 1 and 100",
        );
    }
    let modules_line = line(&completion.modules.span());
    let required_modules = completion_modules(completion, modules_line, &mut p);

    let Ok(folder_files) = scan_folder(folder, &mut p) else {
        return Err(p.list);
    };
    if !checked.default_ok {
        return Err(p.list);
    }
    let Some(default_files) = folder_files.languages.get(&default_language) else {
        p.at(
            &format!("{default_language}/"),
            0,
            format!("the default language folder {default_language:?} is missing"),
        );
        return Err(p.list);
    };
    let modules = module_list(&default_language, default_files, &mut p);
    // Module file name -> module slug.
    let module_files: BTreeMap<&str, &str> = modules
        .iter()
        .map(|(_, s, f)| (f.as_str(), s.as_str()))
        .collect();
    let module_slugs: Vec<String> = modules.iter().map(|(_, s, _)| s.clone()).collect();
    let parsed = render_modules(
        &folder_files.languages,
        &ModuleNames {
            course: meta.slug.get_ref(),
            default_language: &default_language,
            files: &module_files,
        },
        &display_root,
        &mut sources,
        &mut p,
    );
    check_links(&parsed, &default_language, &module_files, &mut p);

    // Completion rules refer to real modules; a required quiz needs quiz.toml.
    for s in required_modules.iter().flatten() {
        if !module_slugs.contains(s) {
            p.at(
                "course.toml",
                modules_line,
                format!("completion.modules names {s:?}, which is not a module of this course"),
            );
        }
    }
    let quiz_required = *completion.quiz.get_ref();
    if quiz_required && !folder_files.has_quiz {
        p.at(
            "course.toml",
            line(&completion.quiz.span()),
            "completion.quiz = true but the course has no quiz.toml",
        );
    }
    // The default language, then every language with at least one module file.
    let mut languages: Vec<String> = vec![default_language.clone()];
    for (l, files) in &folder_files.languages {
        if l != &default_language
            && files
                .iter()
                .any(|(f, _)| module_files.contains_key(f.as_str()))
        {
            languages.push(l.clone());
        }
    }
    let quiz_json = if folder_files.has_quiz {
        load_quiz(
            folder,
            &mut sources,
            &default_language,
            &languages,
            &module_slugs,
            &mut p,
        )
    } else {
        None
    };

    // (A missing topic is one of the problems.)
    let Some(topic) = checked.topic.filter(|_| p.list.is_empty()) else {
        return Err(p.list);
    };
    let texts =
        |t: &Option<Spanned<Texts>>| t.as_ref().map(|t| t.get_ref().map()).unwrap_or_default();
    Ok(Course {
        slug: meta.slug.get_ref().clone(),
        version: *meta.version.get_ref(),
        topic,
        estimated_minutes: *meta.estimated_minutes.get_ref(),
        titles: texts(&meta.title),
        summaries: texts(&meta.summary),
        languages,
        required_modules,
        quiz_required,
        pass_mark: *completion.pass_mark.get_ref(),
        quiz_json,
        modules: assemble_modules(&modules, &module_files, parsed),
        content_hash: sources.hash.clone(),
        default_language,
    })
}

/// What [`check_meta`] learnt beyond its problems.
struct MetaChecks {
    /// The default language is one of ours (otherwise nothing else about modules can be said).
    default_ok: bool,
    topic: Option<Topic>,
}

/// `course.toml`'s single values: slug (equal to the folder name), version, default language,
/// topic, estimated minutes.
fn check_meta(
    meta: &CourseToml,
    toml_text: &str,
    folder_name: &str,
    p: &mut Problems<'_>,
) -> MetaChecks {
    let line = |s: &std::ops::Range<usize>| span_line(toml_text, s.clone());
    let slug = meta.slug.get_ref();
    if !render::valid_slug(slug) {
        p.at(
            "course.toml",
            line(&meta.slug.span()),
            format!("slug {slug:?} must use lowercase letters, digits and single dashes"),
        );
    } else if slug != folder_name {
        p.at(
            "course.toml",
            line(&meta.slug.span()),
            format!("slug {slug:?} must equal the folder name {folder_name:?}"),
        );
    }
    if *meta.version.get_ref() < 1 {
        p.at(
            "course.toml",
            line(&meta.version.span()),
            "version must be 1 or more",
        );
    }
    let default_language = meta.default_language.get_ref();
    let default_ok = Lang::is_supported(default_language);
    if !default_ok {
        p.at(
            "course.toml",
            line(&meta.default_language.span()),
            format!(
                "unknown language {default_language:?} (use one of {})",
                Lang::codes()
            ),
        );
    }
    let topic = Topic::parse(meta.topic.get_ref());
    if topic.is_none() {
        p.at(
            "course.toml",
            line(&meta.topic.span()),
            format!(
                "unknown topic {:?} (use one of {})",
                meta.topic.get_ref(),
                Topic::LIST
            ),
        );
    }
    if !(1..=10_000).contains(meta.estimated_minutes.get_ref()) {
        p.at(
            "course.toml",
            line(&meta.estimated_minutes.span()),
            "estimated_minutes must be between 1 and 10000",
        );
    }
    MetaChecks { default_ok, topic }
}

/// The `[title]` and `[summary]` tables: present, in the default language, known languages
/// only, not empty and not too long.
fn check_texts(meta: &CourseToml, toml_text: &str, default_ok: bool, p: &mut Problems<'_>) {
    let line = |s: &std::ops::Range<usize>| span_line(toml_text, s.clone());
    let default_language = meta.default_language.get_ref();
    for (what, table, max) in [
        ("title", &meta.title, 200),
        ("summary", &meta.summary, 2000),
    ] {
        let Some(table) = table else {
            p.at(
                "course.toml",
                0,
                format!("missing {what}: add a [{what}] table with the default language"),
            );
            continue;
        };
        let texts = table.get_ref();
        if default_ok && texts.get(default_language).is_none() {
            p.at(
                "course.toml",
                line(&table.span()),
                format!("missing {what} in the default language {default_language:?}"),
            );
        }
        for (l, t) in &texts.0 {
            if !Lang::is_supported(l) {
                p.at(
                    "course.toml",
                    line(&t.span()),
                    format!(
                        "{what}: unknown language {l:?} (use one of {})",
                        Lang::codes()
                    ),
                );
            } else {
                let n = t.get_ref().trim().chars().count();
                if n == 0 || n > max {
                    p.at(
                        "course.toml",
                        line(&t.span()),
                        format!("{what}.{l} must have 1 to {max} characters"),
                    );
                }
            }
        }
    }
}

/// `completion.modules`: `"all"` (`None`) or a non-empty list of module slugs.
fn completion_modules(
    completion: &CompletionToml,
    modules_line: usize,
    p: &mut Problems<'_>,
) -> Option<Vec<String>> {
    match completion.modules.get_ref() {
        toml::Value::String(s) if s == "all" => None,
        toml::Value::Array(items) => {
            let mut list = Vec::new();
            for item in items {
                match item.as_str() {
                    Some(s) => list.push(s.to_string()),
                    None => p.at(
                        "course.toml",
                        modules_line,
                        "completion.modules lists module slugs (strings)",
                    ),
                }
            }
            if list.is_empty() {
                p.at(
                    "course.toml",
                    modules_line,
                    "completion.modules must not be an empty list",
                );
            }
            Some(list)
        }
        _ => {
            p.at(
                "course.toml",
                modules_line,
                "completion.modules must be \"all\" or a list of module slugs",
            );
            None
        }
    }
}

/// What a course folder holds besides `course.toml`.
struct FolderFiles {
    /// Language code -> its module files (name, path), in name order.
    languages: BTreeMap<String, Vec<(String, PathBuf)>>,
    has_quiz: bool,
}

/// The language folders and their module files, and whether there is a `quiz.toml`; anything
/// else is a problem. `Err` when the folder itself cannot be read.
fn scan_folder(folder: &Path, p: &mut Problems<'_>) -> Result<FolderFiles, ()> {
    let mut out = FolderFiles {
        languages: BTreeMap::new(),
        has_quiz: false,
    };
    let mut entries: Vec<_> = match std::fs::read_dir(folder) {
        Ok(e) => e.filter_map(|e| e.ok()).collect(),
        Err(e) => {
            p.at("", 0, format!("cannot read the course folder: {e}"));
            return Err(());
        }
    };
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            if !Lang::is_supported(&name) {
                p.at(
                    &format!("{name}/"),
                    0,
                    format!(
                        "unknown language folder {name:?} (use one of {})",
                        Lang::codes()
                    ),
                );
                continue;
            }
            if let Some(files) = module_files_in(&name, &path, p) {
                out.languages.insert(name, files);
            }
        } else if name == "quiz.toml" {
            out.has_quiz = true;
        } else if name != "course.toml" {
            p.at(&name, 0, "unexpected file: a course folder holds course.toml, quiz.toml and language folders");
        }
    }
    Ok(out)
}

/// The module files of one language folder (`NN-<slug>.md`), in name order; other files are
/// problems. `None` when the folder cannot be read.
fn module_files_in(
    lang: &str,
    path: &Path,
    p: &mut Problems<'_>,
) -> Option<Vec<(String, PathBuf)>> {
    let mut inner: Vec<_> = match std::fs::read_dir(path) {
        Ok(e) => e.filter_map(|e| e.ok()).collect(),
        Err(e) => {
            p.at(&format!("{lang}/"), 0, format!("cannot read: {e}"));
            return None;
        }
    };
    inner.sort_by_key(|e| e.file_name());
    let mut files = Vec::new();
    for f in inner {
        let file = f.file_name().to_string_lossy().into_owned();
        if file.starts_with('.') {
            continue;
        }
        if render::parse_module_file_name(&file).is_none() {
            p.at(
                &format!("{lang}/{file}"),
                0,
                "not a module file: name modules NN-<module-slug>.md (for example 01-market-selection.md)",
            );
            continue;
        }
        files.push((file, f.path()));
    }
    Some(files)
}

/// The default language defines the modules: `(position, slug, file name)`, positions 1..n
/// without gaps or repeats, slugs unique.
fn module_list(
    default_language: &str,
    default_files: &[(String, PathBuf)],
    p: &mut Problems<'_>,
) -> Vec<(u32, String, String)> {
    let mut modules: Vec<(u32, String, String)> = default_files
        .iter()
        .filter_map(|(file, _)| {
            render::parse_module_file_name(file).map(|(n, s)| (n, s, file.clone()))
        })
        .collect();
    modules.sort();
    if modules.is_empty() {
        p.at(
            &format!("{default_language}/"),
            0,
            "the course has no modules",
        );
    }
    let mut slugs_seen: HashMap<&str, &str> = HashMap::new();
    for (i, (pos, slug, file)) in modules.iter().enumerate() {
        let expected = i as u32 + 1;
        if *pos != expected {
            p.at(
                &format!("{default_language}/{file}"),
                0,
                if i > 0 && modules[i - 1].0 == *pos {
                    format!("duplicate module position {pos:02}: positions must be 01, 02, 03... without gaps or repeats")
                } else {
                    format!("module order gap: expected position {expected:02}, found {pos:02} (positions must be 01, 02, 03... without gaps)")
                },
            );
        }
        if let Some(other) = slugs_seen.insert(slug, file) {
            p.at(
                &format!("{default_language}/{file}"),
                0,
                format!("duplicate module slug {slug:?}: also used by {other}"),
            );
        }
    }
    modules
}

/// The names every module file is checked against.
struct ModuleNames<'a> {
    course: &'a str,
    default_language: &'a str,
    /// Module file name -> module slug (from the default language).
    files: &'a BTreeMap<&'a str, &'a str>,
}

/// One module file, read and rendered.
struct Parsed {
    lang: String,
    file: String,
    text: String,
    digest: [u8; 32],
    rendered: render::Rendered,
}

/// Read and render every module file of every language (a file the default language does not
/// have is a problem); a module must start with its title.
fn render_modules(
    languages: &BTreeMap<String, Vec<(String, PathBuf)>>,
    names: &ModuleNames<'_>,
    display_root: &str,
    sources: &mut Sources,
    p: &mut Problems<'_>,
) -> Vec<Parsed> {
    let mut parsed = Vec::new();
    for (lang, files) in languages {
        for (file, path) in files {
            let shown = format!("{lang}/{file}");
            let Some(module_slug) = names.files.get(file.as_str()) else {
                p.at(
                    &shown,
                    0,
                    format!(
                        "module {file} does not exist in the default language {:?}: \
                         every language uses the default language's file names",
                        names.default_language
                    ),
                );
                continue;
            };
            let text = match sources.text(path) {
                Ok(t) => t,
                Err(e) => {
                    p.at(&shown, 0, format!("cannot read: {e}"));
                    continue;
                }
            };
            let rendered = render::render(
                &text,
                &LinkContext {
                    course: names.course,
                    module: module_slug,
                },
            );
            if rendered.removed {
                tracing::warn!(
                    file = %format!("{display_root}/{shown}"),
                    "raw HTML, heading attributes or a link that is not https, http or mailto \
                     removed: course files are Markdown only"
                );
            }
            if rendered.title.is_none() {
                p.at(
                    &shown,
                    1,
                    "missing title: the first line must be a level-1 heading, `# Module title`",
                );
            }
            parsed.push(Parsed {
                lang: lang.clone(),
                file: file.clone(),
                text,
                digest: sources.digest(path),
                rendered,
            });
        }
    }
    parsed
}

/// Internal links resolve: to a module file of this course (and a heading in it, in the
/// reader's language or the default), to a heading or footnote of the same module, or to a
/// material by title.
fn check_links(
    parsed: &[Parsed],
    default_language: &str,
    module_files: &BTreeMap<&str, &str>,
    p: &mut Problems<'_>,
) {
    let anchors: HashMap<(&str, &str), &Vec<String>> = parsed
        .iter()
        .map(|x| ((x.lang.as_str(), x.file.as_str()), &x.rendered.heading_ids))
        .collect();
    for x in parsed {
        let shown = format!("{}/{}", x.lang, x.file);
        for link in &x.rendered.links {
            match &link.target {
                LinkTarget::Module { file, anchor, .. } => {
                    if !module_files.contains_key(file.as_str()) {
                        p.at(
                            &shown,
                            link.line,
                            format!("broken internal link: no module file {file} in this course"),
                        );
                    } else if let Some(a) = anchor {
                        // The reader of this language gets the target in this language, or the default.
                        let ids = anchors
                            .get(&(x.lang.as_str(), file.as_str()))
                            .or_else(|| anchors.get(&(default_language, file.as_str())));
                        if ids.is_some_and(|ids| !ids.iter().any(|i| i == a)) {
                            p.at(&shown, link.line, format!("broken internal link: {file} has no heading with the anchor #{a}"));
                        }
                    }
                }
                LinkTarget::Anchor(a) => {
                    if !x.rendered.heading_ids.iter().any(|i| i == a)
                        && !is_footnote_anchor(&x.text, a)
                    {
                        p.at(&shown, link.line, format!("broken internal link: no heading with the anchor #{a} in this module"));
                    }
                }
                LinkTarget::Material(title) => {
                    if title.is_empty() {
                        p.at(
                            &shown,
                            link.line,
                            "material link without a title: write material:<material title>",
                        );
                    }
                }
                LinkTarget::Broken(target) => p.at(
                    &shown,
                    link.line,
                    format!(
                        "broken internal link {target:?}: link other modules as NN-<module>.md, \
                         materials as material:<title>, and the web with https://"
                    ),
                ),
                LinkTarget::External | LinkTarget::Refused(_) => {}
            }
        }
    }
}

/// `quiz.toml`, parsed and validated against the course's languages and modules, as JSON.
fn load_quiz(
    folder: &Path,
    sources: &mut Sources,
    default_language: &str,
    languages: &[String],
    module_slugs: &[String],
    p: &mut Problems<'_>,
) -> Option<String> {
    match sources.text(&folder.join("quiz.toml")) {
        Ok(text) => match parse_quiz(&text, default_language, languages, module_slugs) {
            Ok(json) => Some(json),
            Err(problems) => {
                for (line, message) in problems {
                    p.at("quiz.toml", line, message);
                }
                None
            }
        },
        Err(e) => {
            p.at("quiz.toml", 0, format!("cannot read quiz.toml: {e}"));
            None
        }
    }
}

/// The modules in order, each with its rendered content per language and a content hash that
/// changes with the file, the module slug and the renderer's version.
fn assemble_modules(
    modules: &[(u32, String, String)],
    module_files: &BTreeMap<&str, &str>,
    parsed: Vec<Parsed>,
) -> Vec<Module> {
    let mut by_module: BTreeMap<&str, BTreeMap<String, ModuleContent>> = BTreeMap::new();
    for x in parsed {
        let slug = module_files[x.file.as_str()];
        let content_hash = hex::encode(
            Sha256::new()
                .chain_update(RENDER_VERSION)
                .chain_update(slug.as_bytes())
                .chain_update([0])
                .chain_update(x.digest)
                .finalize(),
        );
        by_module.entry(slug).or_default().insert(
            x.lang,
            ModuleContent {
                title: x.rendered.title.unwrap_or_default(),
                html: x.rendered.html,
                content_hash,
            },
        );
    }
    modules
        .iter()
        .map(|(pos, slug, _)| Module {
            slug: slug.clone(),
            position: i64::from(*pos),
            contents: by_module.remove(slug.as_str()).unwrap_or_default(),
        })
        .collect()
}

/// Footnote references link to `#<label>`, which has no heading: not a broken link.
fn is_footnote_anchor(text: &str, anchor: &str) -> bool {
    text.contains(&format!("[^{anchor}]:"))
}

/// The course quiz, parsed and validated (`quiz.rs`), stored as JSON.
fn parse_quiz(
    text: &str,
    default_language: &str,
    languages: &[String],
    modules: &[String],
) -> Result<String, Vec<(usize, String)>> {
    use crate::courses::quiz::{parse, QuizContext};
    let ctx = QuizContext {
        default_language,
        languages,
        modules,
    };
    let def = parse(text, &ctx).map_err(|problems| {
        problems
            .into_iter()
            .map(|q| (q.line, q.message))
            .collect::<Vec<_>>()
    })?;
    serde_json::to_string(&def).map_err(|e| vec![(0, format!("cannot store the quiz: {e}"))])
}

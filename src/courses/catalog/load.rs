//! Loading one course folder, in named steps (see [`load_course`]). Part of the catalogue: it
//! uses the catalogue's raw `course.toml` shapes, its problem list and its file sources.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml::Spanned;

use super::modules::{
    assemble_modules, check_links, module_list, render_modules, scan_folder, FolderFiles,
    ModuleNames,
};
use super::{span_line, CompletionToml, Course, CourseToml, Problem, Problems, Sources, Texts};
use crate::domain::Topic;
use crate::lang::Lang;

/// Load one course folder in named steps: `course.toml` ([`check_meta`], [`check_texts`],
/// [`completion_modules`]), the folder's languages and files ([`scan_folder`]), the module
/// list of the default language ([`module_list`]), every module rendered ([`render_modules`])
/// and its links checked ([`check_links`]), the completion rules and the quiz, then the
/// [`Course`]. Every step adds what it finds to one list of problems. `root` is the name shown
/// for the courses folder in messages.
///
/// About 100 lines on purpose: it is the table of contents of an import, one named step per
/// statement, and every early return hands back the problems found so far.
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
    let Some((mut sources, toml_text, meta)) = read_meta(folder, &mut p) else {
        return Err(p.list);
    };
    let line = |s: &std::ops::Range<usize>| span_line(&toml_text, s.clone());
    let checked = check_meta(&meta, &toml_text, &folder_name, &mut p);
    let default_language = meta.default_language.get_ref().clone();
    check_texts(&meta, &toml_text, checked.default_ok, &mut p);
    let completion = meta.completion.get_ref();
    check_pass_mark(completion, &toml_text, &mut p);
    let modules_line = line(&completion.modules.span());
    let required_modules = completion_modules(completion, modules_line, &mut p);

    let Ok(folder_files) = scan_folder(folder, &mut p) else {
        return Err(p.list);
    };
    if !checked.default_ok {
        return Err(p.list);
    }
    let Some(modules) = default_modules(&folder_files, &default_language, &mut p) else {
        return Err(p.list);
    };
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

    let quiz_required = *completion.quiz.get_ref();
    check_completion_refs(
        &CompletionRefs {
            required_modules: &required_modules,
            modules_line,
            module_slugs: &module_slugs,
            quiz_required,
            quiz_line: line(&completion.quiz.span()),
            has_quiz: folder_files.has_quiz,
        },
        &mut p,
    );
    let languages = course_languages(&default_language, &folder_files.languages, &module_files);
    let quiz_json = folder_files
        .has_quiz
        .then(|| {
            let languages = &languages;
            load_quiz(
                folder,
                &mut sources,
                &default_language,
                languages,
                &module_slugs,
                &mut p,
            )
        })
        .flatten();

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

/// Read the folder's files and parse `course.toml`; `None` (with the problem listed) when
/// either fails, as nothing else can be checked then.
fn read_meta(folder: &Path, p: &mut Problems<'_>) -> Option<(Sources, String, CourseToml)> {
    let mut sources = match Sources::read(folder) {
        Ok(s) => s,
        Err(e) => {
            p.at("", 0, format!("cannot read the course folder: {e}"));
            return None;
        }
    };
    let toml_text = match sources.text(&folder.join("course.toml")) {
        Ok(t) => t,
        Err(e) => {
            p.at("course.toml", 0, format!("cannot read course.toml: {e}"));
            return None;
        }
    };
    match toml::from_str(&toml_text) {
        Ok(meta) => Some((sources, toml_text, meta)),
        Err(e) => {
            let line = e.span().map(|s| span_line(&toml_text, s)).unwrap_or(0);
            p.at("course.toml", line, e.message().trim().to_string());
            None
        }
    }
}

fn check_pass_mark(completion: &CompletionToml, toml_text: &str, p: &mut Problems<'_>) {
    if !(1..=100).contains(completion.pass_mark.get_ref()) {
        p.at(
            "course.toml",
            span_line(toml_text, completion.pass_mark.span()),
            "pass_mark must be a percentage between 1 and 100",
        );
    }
}

/// What the completion rules name, and what the folder has.
struct CompletionRefs<'a> {
    required_modules: &'a Option<Vec<String>>,
    modules_line: usize,
    module_slugs: &'a [String],
    quiz_required: bool,
    quiz_line: usize,
    has_quiz: bool,
}

/// Completion rules refer to real modules; a required quiz needs `quiz.toml`.
fn check_completion_refs(refs: &CompletionRefs<'_>, p: &mut Problems<'_>) {
    for s in refs.required_modules.iter().flatten() {
        if !refs.module_slugs.contains(s) {
            p.at(
                "course.toml",
                refs.modules_line,
                format!("completion.modules names {s:?}, which is not a module of this course"),
            );
        }
    }
    if refs.quiz_required && !refs.has_quiz {
        p.at(
            "course.toml",
            refs.quiz_line,
            "completion.quiz = true but the course has no quiz.toml",
        );
    }
}

/// The default language, then every language with at least one module file.
fn course_languages(
    default_language: &str,
    languages: &BTreeMap<String, Vec<(String, PathBuf)>>,
    module_files: &BTreeMap<&str, &str>,
) -> Vec<String> {
    let mut list = vec![default_language.to_string()];
    for (l, files) in languages {
        if l != default_language
            && files
                .iter()
                .any(|(f, _)| module_files.contains_key(f.as_str()))
        {
            list.push(l.clone());
        }
    }
    list
}

/// The module list of the default language (its folder must exist).
fn default_modules(
    folder_files: &FolderFiles,
    default_language: &str,
    p: &mut Problems<'_>,
) -> Option<Vec<(u32, String, String)>> {
    let Some(default_files) = folder_files.languages.get(default_language) else {
        p.at(
            &format!("{default_language}/"),
            0,
            format!("the default language folder {default_language:?} is missing"),
        );
        return None;
    };
    Some(module_list(default_language, default_files, p))
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
    if !crate::ids::Slug::valid(slug) {
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

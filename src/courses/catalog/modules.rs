//! The module files of a course folder: which languages and files it has, the module list,
//! every module rendered and its links checked, then assembled per module. Steps of
//! [`super::load::load_course`].

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{Module, ModuleContent, Problems, Sources};
use crate::courses::render::{self, LinkContext, LinkTarget, RENDER_VERSION};
use crate::lang::Lang;

/// What a course folder holds besides `course.toml`.
pub(super) struct FolderFiles {
    /// Language code -> its module files (name, path), in name order.
    pub(super) languages: BTreeMap<String, Vec<(String, PathBuf)>>,
    pub(super) has_quiz: bool,
}

/// The language folders and their module files, and whether there is a `quiz.toml`; anything
/// else is a problem. `Err` when the folder itself cannot be read.
pub(super) fn scan_folder(folder: &Path, p: &mut Problems<'_>) -> Result<FolderFiles, ()> {
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
pub(super) fn module_list(
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
pub(super) struct ModuleNames<'a> {
    pub(super) course: &'a str,
    pub(super) default_language: &'a str,
    /// Module file name -> module slug (from the default language).
    pub(super) files: &'a BTreeMap<&'a str, &'a str>,
}

/// One module file, read and rendered.
pub(super) struct Parsed {
    lang: String,
    file: String,
    text: String,
    digest: [u8; 32],
    rendered: render::Rendered,
}

/// Read and render every module file of every language (a file the default language does not
/// have is a problem); a module must start with its title.
pub(super) fn render_modules(
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
pub(super) fn check_links(
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

/// The modules in order, each with its rendered content per language and a content hash that
/// changes with the file, the module slug and the renderer's version.
pub(super) fn assemble_modules(
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

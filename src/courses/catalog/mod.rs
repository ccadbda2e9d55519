//! Load and validate `courses/`: one folder per course, every problem named by file and line.
//!
//! Pure apart from reading files: the importer turns each loaded [`Course`] into database rows.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use toml::Spanned;

mod load;
mod modules;

pub use load::load_course;

use super::render::{line_of, RENDER_VERSION};
use crate::domain::Topic;
use crate::lang::Lang;

/// One validation problem. `line` is 1-based; 0 when the problem is about a file or folder
/// as a whole (a missing file, a misnamed module).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        } else {
            write!(f, "{}: {}", self.file, self.message)
        }
    }
}

/// A course that passed validation, rendered and hashed.
#[derive(Debug, Clone)]
pub struct Course {
    pub slug: String,
    pub version: i64,
    pub default_language: String,
    pub topic: Topic,
    pub estimated_minutes: i64,
    pub titles: BTreeMap<String, String>,
    pub summaries: BTreeMap<String, String>,
    /// Languages any module is written in (the default first).
    pub languages: Vec<String>,
    /// `None`: every module must be read.
    pub required_modules: Option<Vec<String>>,
    pub quiz_required: bool,
    pub pass_mark: i64,
    /// The quiz definition as JSON (`crate::courses::quiz::QuizDef`).
    pub quiz_json: Option<String>,
    pub modules: Vec<Module>,
    /// Hash of every source file of the course (and of the renderer version).
    pub content_hash: String,
}

#[derive(Debug, Clone)]
pub struct Module {
    pub slug: String,
    pub position: i64,
    /// language -> content
    pub contents: BTreeMap<String, ModuleContent>,
}

#[derive(Debug, Clone)]
pub struct ModuleContent {
    pub title: String,
    pub html: String,
    pub content_hash: String,
}

/// Every course folder of a directory: the valid ones, and the problems of the others.
#[derive(Debug, Default)]
pub struct Catalog {
    pub courses: Vec<Course>,
    pub problems: Vec<Problem>,
    /// Slugs (folder names) of the courses that were skipped because of problems.
    pub skipped: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CourseToml {
    slug: Spanned<String>,
    version: Spanned<i64>,
    default_language: Spanned<String>,
    topic: Spanned<String>,
    estimated_minutes: Spanned<i64>,
    title: Option<Spanned<Texts>>,
    summary: Option<Spanned<Texts>>,
    completion: Spanned<CompletionToml>,
}

/// Per-language texts, keyed by language code (an unknown code is reported by the loader).
#[derive(Deserialize, Default)]
#[serde(transparent)]
struct Texts(BTreeMap<String, Spanned<String>>);

impl Texts {
    fn get(&self, lang: &str) -> Option<&Spanned<String>> {
        self.0.get(lang)
    }

    /// The texts of the supported languages, trimmed.
    fn map(&self) -> BTreeMap<String, String> {
        self.0
            .iter()
            .filter(|(l, _)| Lang::is_supported(l))
            .map(|(l, t)| (l.clone(), t.get_ref().trim().to_string()))
            .collect()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CompletionToml {
    modules: Spanned<toml::Value>,
    quiz: Spanned<bool>,
    pass_mark: Spanned<i64>,
}

/// Collects problems of one course with file names as shown to authors.
struct Problems<'a> {
    root: &'a str,
    list: Vec<Problem>,
}

impl Problems<'_> {
    fn at(&mut self, file: &str, line: usize, message: impl Into<String>) {
        self.list.push(Problem {
            file: format!("{}/{file}", self.root),
            line,
            message: message.into(),
        });
    }
}

/// Load every course folder under `dir`. Hidden entries are ignored; files at the top level
/// (such as README.md) are not courses.
pub fn load(dir: &Path) -> Catalog {
    let mut catalog = Catalog::default();
    // With no stored hashes nothing is skipped as unchanged.
    if let Err(problem) = for_each_folder(dir, &HashMap::new(), |name, outcome| match outcome {
        Outcome::Unchanged => {}
        Outcome::Loaded(course) => catalog.courses.push(*course),
        Outcome::Failed(problems) => {
            catalog.problems.extend(problems);
            catalog.skipped.push(name);
        }
    }) {
        catalog.problems.push(problem);
    }
    catalog
}

/// What loading one course folder gave.
#[derive(Debug)]
pub enum Outcome {
    /// Its [`folder_hash`] is the one in `stored`: not parsed.
    Unchanged,
    Loaded(Box<Course>),
    Failed(Vec<Problem>),
}

/// Load the course folders of `dir` on every core and hand each
/// outcome to `each` on the calling thread, in folder name order, as soon as it and every
/// folder before it are done: the caller can store one course while the next are rendered.
/// `Err` only when `dir` itself cannot be read.
pub fn for_each_folder(
    dir: &Path,
    stored: &HashMap<String, String>,
    mut each: impl FnMut(String, Outcome),
) -> Result<(), Problem> {
    let root = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "courses".into());
    let entries = std::fs::read_dir(dir).map_err(|e| Problem {
        file: root.clone(),
        line: 0,
        message: format!("cannot read the courses folder: {e}"),
    })?;
    let mut folders: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    let load_one = |folder: &PathBuf| {
        let name = folder
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some(hash) = stored.get(&name) {
            if folder_hash(folder).ok().as_ref() == Some(hash) {
                return (name, Outcome::Unchanged);
            }
        }
        match load_course(folder, &root) {
            Ok(course) => (name, Outcome::Loaded(Box::new(course))),
            Err(problems) => (name, Outcome::Failed(problems)),
        }
    };
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(folders.len());
    if threads <= 1 {
        for folder in &folders {
            let (name, outcome) = load_one(folder);
            each(name, outcome);
        }
        return Ok(());
    }
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::channel();
        for _ in 0..threads {
            let tx = tx.clone();
            let (next, folders, load_one) = (&next, &folders, &load_one);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(folder) = folders.get(i) else { break };
                if tx.send((i, load_one(folder))).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        // Outcomes arrive in any order: hand them on in folder order.
        let mut waiting = BTreeMap::new();
        let mut due = 0;
        for (i, outcome) in rx {
            waiting.insert(i, outcome);
            while let Some((name, outcome)) = waiting.remove(&due) {
                each(name, outcome);
                due += 1;
            }
        }
    });
    Ok(())
}

/// Every file of a course folder (hidden ones excepted), read once: the content hash and
/// the texts that are parsed come from the same bytes, and each byte is hashed once.
struct Sources {
    bytes: HashMap<PathBuf, Vec<u8>>,
    /// SHA-256 of each file's bytes.
    digests: HashMap<PathBuf, [u8; 32]>,
    /// [`folder_hash`] of the folder.
    hash: String,
}

impl Sources {
    fn read(folder: &Path) -> std::io::Result<Sources> {
        let mut names: Vec<(String, PathBuf)> = Vec::new();
        for entry in std::fs::read_dir(folder)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let path = entry.path();
            if path.is_dir() {
                for inner in std::fs::read_dir(&path)? {
                    let inner = inner?;
                    let file = inner.file_name().to_string_lossy().into_owned();
                    if !file.starts_with('.') && inner.path().is_file() {
                        names.push((format!("{name}/{file}"), inner.path()));
                    }
                }
            } else {
                names.push((name, path));
            }
        }
        names.sort();
        let mut hasher = Sha256::new();
        hasher.update(RENDER_VERSION.as_bytes());
        let mut bytes_of = HashMap::with_capacity(names.len());
        let mut digests = HashMap::with_capacity(names.len());
        for (name, path) in names {
            let bytes = std::fs::read(&path)?;
            let digest: [u8; 32] = Sha256::digest(&bytes).into();
            hasher.update(name.as_bytes());
            hasher.update([0]);
            hasher.update((bytes.len() as u64).to_le_bytes());
            hasher.update(digest);
            digests.insert(path.clone(), digest);
            bytes_of.insert(path, bytes);
        }
        Ok(Sources {
            bytes: bytes_of,
            digests,
            hash: hex::encode(hasher.finalize()),
        })
    }

    /// A file's text, taken from memory (from disk if it appeared after the folder was read).
    fn text(&mut self, path: &Path) -> std::io::Result<String> {
        match self.bytes.remove(path) {
            Some(bytes) => String::from_utf8(bytes).map_err(|_| not_utf8()),
            None => read_text(path),
        }
    }

    fn digest(&self, path: &Path) -> [u8; 32] {
        self.digests.get(path).copied().unwrap_or_default()
    }
}

/// The content hash of a course folder: every file of the folder and of its subfolders
/// (hidden ones excepted), by name, length and content hash, plus the renderer version.
pub fn folder_hash(folder: &Path) -> std::io::Result<String> {
    Ok(Sources::read(folder)?.hash)
}

fn not_utf8() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, "not valid UTF-8")
}

fn span_line(text: &str, span: std::ops::Range<usize>) -> usize {
    line_of(text, span.start)
}

fn read_text(path: &Path) -> std::io::Result<String> {
    String::from_utf8(std::fs::read(path)?).map_err(|_| not_utf8())
}

#[cfg(test)]
mod props {
    use super::*;
    use crate::courses::mutate::mutated;
    use proptest::prelude::*;

    fn fixture(rel: &str) -> String {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/courses")
            .join(rel);
        std::fs::read_to_string(path).expect("fixture")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Whatever a course folder holds, loading it answers (a course or its problems) and
        /// never panics; a refused course always says why.
        #[test]
        fn any_course_folder_loads_or_is_explained(
            course in mutated(fixture("biotech-basics/course.toml")),
            module in prop_oneof![mutated(fixture("biotech-basics/en/01-welcome.md")), any::<String>()],
            quiz in mutated(fixture("biotech-basics/quiz.toml")),
            bytes in prop::collection::vec(any::<u8>(), 0..64),
        ) {
            let dir = tempfile::tempdir().expect("temp dir");
            let folder = dir.path().join("biotech-basics");
            std::fs::create_dir_all(folder.join("en")).expect("folder");
            std::fs::write(folder.join("course.toml"), &course).expect("write");
            std::fs::write(folder.join("en/01-welcome.md"), &module).expect("write");
            std::fs::write(folder.join("en/02-regulation.md"), &bytes).expect("write");
            std::fs::write(folder.join("quiz.toml"), &quiz).expect("write");
            if let Err(problems) = load_course(&folder, "courses") {
                prop_assert!(!problems.is_empty());
            }
        }
    }
}

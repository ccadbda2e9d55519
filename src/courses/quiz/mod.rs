//! `quiz.toml`: parsing and validation (with line numbers), and the stored [`QuizDef`].
//!
//! The format is specified in `courses/README.md`. Parsing is two steps: serde into raw,
//! spanned structs that reject unknown keys, then checks that collect every problem with the
//! line it is on. The validated definition is stored as JSON (`courses.quiz_json`).

mod check;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use check::parse;

/// The identity of a stored definition: SHA-256 (hex) of its JSON, as stored in
/// `courses.quiz_hash` and `quiz_versions.hash`.
pub fn definition_hash(json: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(json.as_bytes()))
}

/// How text answers compare (validation here, grading in `crate::quizzes::grading`): case,
/// accents and surrounding (and repeated inner) spaces do not matter.
pub fn normalize_text(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let stripped: String = s
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .collect::<String>()
        .to_lowercase();
    stripped.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What the quiz is checked against: the course it belongs to.
pub struct QuizContext<'a> {
    pub default_language: &'a str,
    /// Every language of the course (module folders).
    pub languages: &'a [String],
    /// Module slugs of the course.
    pub modules: &'a [String],
}

/// One validation problem, with the 1-based line of `quiz.toml` it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuizProblem {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for QuizProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.line, self.message)
    }
}

/// Text in several languages (`{en = "...", es = "..."}`); Markdown source.
pub type Text = BTreeMap<String, String>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShowAnswers {
    Never,
    AfterEachAttempt,
    AfterPassing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LateSubmission {
    /// Grade what was saved before the deadline.
    GradeSaved,
    /// Refuse the late submission (the attempt closes with what was saved: nothing counts).
    Refuse,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scoring {
    AllOrNothing,
    Partial,
}

/// A validated quiz, as stored in `courses.quiz_json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuizDef {
    pub default_language: String,
    pub max_attempts: u32,
    pub time_limit_minutes: Option<u32>,
    pub shuffle_questions: bool,
    pub shuffle_options: bool,
    pub draw: Option<u32>,
    pub show_answers: ShowAnswers,
    pub late_submission: LateSubmission,
    pub questions: Vec<Question>,
}

impl QuizDef {
    /// How many questions one attempt has (the draw, or all of them).
    pub fn question_count(&self) -> usize {
        match self.draw {
            Some(n) => (n as usize).min(self.questions.len()),
            None => self.questions.len(),
        }
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }

    /// The language the quiz is shown in to a reader of `requested`: it, else its fallbacks
    /// (Galician: Spanish), among the languages the quiz is written in; else the default.
    pub fn language(&self, requested: &str) -> String {
        let written = |l: &str| self.questions.iter().any(|q| q.prompt.contains_key(l));
        crate::lang::Lang::from_code(requested)
            .into_iter()
            .flat_map(crate::lang::Lang::chain)
            .map(crate::lang::Lang::code)
            .find(|l| written(l))
            .unwrap_or(&self.default_language)
            .to_string()
    }

    /// `text` in `lang`, falling back to `lang`'s fallbacks, then to the default language.
    pub fn text<'t>(&self, text: &'t Text, lang: &str) -> &'t str {
        localized(text, lang)
            .or_else(|| text.get(&self.default_language))
            .or_else(|| text.values().next())
            .map(String::as_str)
            .unwrap_or_default()
    }
}

/// The entry of `lang` or of its first fallback that has one.
pub fn localized<'t, T>(map: &'t BTreeMap<String, T>, lang: &str) -> Option<&'t T> {
    crate::lang::Lang::from_code(lang)
        .into_iter()
        .flat_map(crate::lang::Lang::chain)
        .find_map(|l| map.get(l.code()))
        .or_else(|| map.get(lang))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    pub id: String,
    pub module: Option<String>,
    pub prompt: Text,
    pub explanation: Option<Text>,
    #[serde(flatten)]
    pub kind: QuestionKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum QuestionKind {
    Single {
        options: Vec<ChoiceOption>,
    },
    Multiple {
        scoring: Scoring,
        options: Vec<ChoiceOption>,
    },
    TrueFalse {
        answer: bool,
    },
    Text {
        /// Accepted answers per language.
        accepted: BTreeMap<String, Vec<String>>,
    },
    Numeric {
        answer: f64,
        tolerance: f64,
    },
    Matching {
        pairs: Vec<Pair>,
    },
}

impl QuestionKind {
    pub fn name(&self) -> &'static str {
        match self {
            QuestionKind::Single { .. } => "single",
            QuestionKind::Multiple { .. } => "multiple",
            QuestionKind::TrueFalse { .. } => "true_false",
            QuestionKind::Text { .. } => "text",
            QuestionKind::Numeric { .. } => "numeric",
            QuestionKind::Matching { .. } => "matching",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChoiceOption {
    pub id: String,
    pub correct: bool,
    pub label: Text,
    pub feedback: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pair {
    pub id: String,
    pub left: Text,
    pub right: Text,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn langs() -> Vec<String> {
        vec!["en".into(), "es".into(), "pt".into()]
    }

    fn check(text: &str) -> Result<QuizDef, Vec<QuizProblem>> {
        let languages = langs();
        let modules = vec!["m1".to_string(), "m2".to_string()];
        parse(
            text,
            &QuizContext {
                default_language: "en",
                languages: &languages,
                modules: &modules,
            },
        )
    }

    fn problems(text: &str) -> Vec<QuizProblem> {
        check(text).expect_err("the quiz should be refused")
    }

    #[track_caller]
    fn has(problems: &[QuizProblem], line: usize, needle: &str) {
        assert!(
            problems
                .iter()
                .any(|p| p.line == line && p.message.contains(needle)),
            "no problem {needle:?} on line {line}: {problems:#?}"
        );
    }

    const GOOD: &str = r#"max_attempts = 2
time_limit_minutes = 10
shuffle_questions = true
shuffle_options = false
draw = 2
show_answers = "after_each_attempt"
late_submission = "refuse"

[[questions]]
id = "s"
kind = "single"
module = "m1"
prompt = { en = "Pick **one**", es = "Elige" }
explanation = { en = "Because." }
  [[questions.options]]
  id = "a"
  correct = true
  label = { en = "A" }
  feedback = { en = "Yes" }
  [[questions.options]]
  id = "b"
  label = { en = "B" }

[[questions]]
id = "m"
kind = "multiple"
scoring = "partial"
prompt = { en = "Pick some" }
  [[questions.options]]
  id = "a"
  correct = true
  label = { en = "A" }
  [[questions.options]]
  id = "b"
  correct = true
  label = { en = "B" }

[[questions]]
id = "tf"
kind = "true_false"
answer = true
prompt = { en = "True?" }

[[questions]]
id = "t"
kind = "text"
accepted = { en = ["Blue Card"], pt = ["Cartão Azul"] }
prompt = { en = "Name it" }

[[questions]]
id = "n"
kind = "numeric"
answer = 2.5
tolerance = 0.5
prompt = { en = "How many?" }

[[questions]]
id = "x"
kind = "matching"
prompt = { en = "Match" }
  [[questions.pairs]]
  id = "p1"
  left = { en = "L1" }
  right = { en = "R1" }
  [[questions.pairs]]
  id = "p2"
  left = { en = "L2" }
  right = { en = "R2" }
"#;

    #[test]
    fn a_good_quiz_parses_and_round_trips_as_json() {
        let def = check(GOOD).expect("valid");
        assert_eq!(def.max_attempts, 2);
        assert_eq!(def.time_limit_minutes, Some(10));
        assert_eq!(def.draw, Some(2));
        assert_eq!(def.question_count(), 2);
        assert_eq!(def.show_answers, ShowAnswers::AfterEachAttempt);
        assert_eq!(def.late_submission, LateSubmission::Refuse);
        assert_eq!(def.questions.len(), 6);
        assert_eq!(def.questions[0].kind.name(), "single");
        assert!(matches!(
            def.questions[1].kind,
            QuestionKind::Multiple {
                scoring: Scoring::Partial,
                ..
            }
        ));
        assert_eq!(
            def.questions[4].kind,
            QuestionKind::Numeric {
                answer: 2.5,
                tolerance: 0.5
            }
        );
        assert_eq!(def.text(&def.questions[0].prompt, "es"), "Elige");
        assert_eq!(def.text(&def.questions[0].prompt, "pt"), "Pick **one**");
        let json = serde_json::to_string(&def).unwrap();
        let back: QuizDef = serde_json::from_str(&json).unwrap();
        assert_eq!(back, def);
    }

    #[test]
    fn the_shipped_quizzes_are_valid() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("courses");
        let mut seen = 0;
        for entry in std::fs::read_dir(&root).unwrap() {
            let dir = entry.unwrap().path();
            let quiz = dir.join("quiz.toml");
            if !quiz.exists() {
                continue;
            }
            let modules: Vec<String> = std::fs::read_dir(dir.join("en"))
                .unwrap()
                .map(|e| {
                    let name = e.unwrap().file_name().to_string_lossy().to_string();
                    name[3..name.len() - 3].to_string()
                })
                .collect();
            // The course's languages: its language folders.
            let mut languages: Vec<String> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
                .filter(|n| crate::lang::Lang::is_supported(n))
                .collect();
            languages.sort_by_key(|l| l != "en");
            let text = std::fs::read_to_string(&quiz).unwrap();
            let def = parse(
                &text,
                &QuizContext {
                    default_language: "en",
                    languages: &languages,
                    modules: &modules,
                },
            )
            .unwrap_or_else(|p| panic!("{}: {p:#?}", quiz.display()));
            assert!(
                (8..=12).contains(&def.questions.len()),
                "{}",
                quiz.display()
            );
            seen += 1;
        }
        assert!(seen >= 4, "{seen} quizzes");
    }

    #[test]
    fn syntax_errors_and_unknown_keys_name_the_line() {
        has(
            &problems("max_attempts = 2\nshufle_questions = true\n"),
            2,
            "shufle_questions",
        );
        let p = problems(&GOOD.replace(
            "  correct = true\n  label = { en = \"A\" }\n  feedback",
            "  corect = true\n  label = { en = \"A\" }\n  feedback",
        ));
        has(&p, 17, "corect");
        has(&problems("max_attempts = \n"), 1, "");
    }

    #[test]
    fn semantic_problems_are_all_reported_with_lines() {
        let bad = r#"max_attempts = 30
draw = 9
show_answers = "sometimes"

[[questions]]
id = "q1"
kind = "single"
module = "nowhere"
prompt = { es = "Sin inglés" }
  [[questions.options]]
  id = "a"
  label = { en = "A" }
  [[questions.options]]
  id = "a"
  label = { en = "B", fr = "B" }

[[questions]]
id = "q1"
kind = "single"
prompt = { en = "Two right" }
  [[questions.options]]
  id = "a"
  correct = true
  label = { en = "A" }
  [[questions.options]]
  id = "b"
  correct = true
  label = { en = "B" }

[[questions]]
id = "bad id!"
kind = "essay"
prompt = { en = "?" }

[[questions]]
id = "tf"
kind = "true_false"
answer = "yes"
tolerance = 1
prompt = { en = "?" }

[[questions]]
id = "num"
kind = "numeric"
answer = 3
tolerance = -1
prompt = { en = "?" }

[[questions]]
id = "txt"
kind = "text"
accepted = { es = ["  "] }
prompt = { en = "?" }

[[questions]]
id = "mat"
kind = "matching"
prompt = { en = "?" }
  [[questions.pairs]]
  id = "p1"
  left = { en = "L" }
  right = { en = "R" }
"#;
        let p = problems(bad);
        has(&p, 1, "max_attempts must be between 1 and 20");
        has(&p, 2, "draw = 9 is larger than the number of questions (7)");
        has(&p, 3, "show_answers \"sometimes\"");
        has(&p, 8, "module \"nowhere\" is not a module");
        has(&p, 9, "missing the default language \"en\"");
        has(&p, 13, "duplicate option id \"a\"");
        has(&p, 15, "language \"fr\" is not a language of the course");
        // The question starts at its [[questions]] header: "has no correct option" names it.
        has(&p, 5, "question \"q1\" (single) has no correct option");
        has(&p, 18, "duplicate question id \"q1\"");
        has(&p, 17, "has 2 correct options");
        has(&p, 31, "bad id!");
        has(&p, 32, "kind \"essay\"");
        has(&p, 38, "answer must be true or false");
        has(&p, 39, "`tolerance` is not used by this kind");
        has(&p, 46, "tolerance must be a number of 0 or more");
        has(&p, 52, "an accepted answer is empty");
        has(&p, 52, "missing the default language");
        has(&p, 59, "has 1 pairs");
    }

    #[test]
    fn missing_pieces() {
        has(
            &problems("shuffle_questions = true\n"),
            1,
            "max_attempts is missing",
        );
        has(&problems("max_attempts = 1\n"), 1, "no [[questions]]");
        let p = problems("max_attempts = 1\n[[questions]]\nid = \"q\"\nkind = \"single\"\n");
        has(&p, 2, "prompt is missing");
        has(&p, 2, "[[questions.options]] are missing");
        let p = problems("max_attempts = 1\ndraw = 0\n[[questions]]\nid = \"q\"\nkind = \"true_false\"\nprompt = { en = \"?\" }\n");
        has(&p, 2, "draw must be at least 1");
        has(&p, 3, "answer (true or false) is missing");
    }

    mod props {
        use super::*;
        use crate::courses::mutate::mutated;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(300))]

            /// Any text parses to a quiz or to problems, never a panic; problems name a line
            /// of the text (or 0 for the file as a whole).
            #[test]
            fn any_text_is_a_quiz_or_its_problems(
                text in prop_oneof![mutated(GOOD), any::<String>()],
            ) {
                match check(&text) {
                    Ok(def) => prop_assert!(def.question_count() > 0),
                    Err(problems) => {
                        prop_assert!(!problems.is_empty());
                        let lines = text.lines().count() + 1;
                        for p in &problems {
                            prop_assert!(p.line <= lines, "{:?} in {} lines", p, lines);
                        }
                    }
                }
            }
        }
    }
}

//! `quiz.toml`: parsing and validation (with line numbers), and the stored [`QuizDef`].
//!
//! The format is specified in `courses/README.md`. Parsing is two steps: serde into raw,
//! spanned structs that reject unknown keys, then checks that collect every problem with the
//! line it is on. The validated definition is stored as JSON (`courses.quiz_json`).

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;

use serde::{Deserialize, Serialize};
use toml::Spanned;

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

// ---------------------------------------------------------------------------------------------
// Raw TOML shapes: every key known, every value spanned.

type RawText = Spanned<BTreeMap<String, Spanned<String>>>;
type RawAccepted = Spanned<BTreeMap<String, Spanned<Vec<Spanned<String>>>>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuiz {
    max_attempts: Option<Spanned<i64>>,
    time_limit_minutes: Option<Spanned<i64>>,
    shuffle_questions: Option<bool>,
    shuffle_options: Option<bool>,
    draw: Option<Spanned<i64>>,
    show_answers: Option<Spanned<String>>,
    late_submission: Option<Spanned<String>>,
    #[serde(default)]
    questions: Vec<Spanned<RawQuestion>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    id: Option<Spanned<String>>,
    kind: Option<Spanned<String>>,
    module: Option<Spanned<String>>,
    prompt: Option<RawText>,
    explanation: Option<RawText>,
    scoring: Option<Spanned<String>>,
    options: Option<Spanned<Vec<Spanned<RawOption>>>>,
    answer: Option<Spanned<toml::Value>>,
    tolerance: Option<Spanned<toml::Value>>,
    accepted: Option<RawAccepted>,
    pairs: Option<Spanned<Vec<Spanned<RawPair>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOption {
    id: Option<Spanned<String>>,
    correct: Option<bool>,
    label: Option<RawText>,
    feedback: Option<RawText>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPair {
    id: Option<Spanned<String>>,
    left: Option<RawText>,
    right: Option<RawText>,
}

/// Collects problems, turning byte offsets into line numbers.
struct Checker<'a> {
    src: &'a str,
    ctx: &'a QuizContext<'a>,
    problems: Vec<QuizProblem>,
}

impl Checker<'_> {
    fn line(&self, span: &Range<usize>) -> usize {
        line_of(self.src, span.start)
    }

    fn err(&mut self, span: &Range<usize>, message: impl Into<String>) {
        let line = self.line(span);
        self.problems.push(QuizProblem {
            line,
            message: message.into(),
        });
    }

    /// A localised text: the default language present, only course languages, no empty text.
    fn text(&mut self, raw: &RawText, what: &str) -> Text {
        let mut out = Text::new();
        for (lang, value) in raw.get_ref() {
            if !self.ctx.languages.iter().any(|l| l == lang) {
                self.err(
                    &value.span(),
                    format!(
                        "{what}: language \"{lang}\" is not a language of the course ({})",
                        self.ctx.languages.join(", ")
                    ),
                );
                continue;
            }
            if value.get_ref().trim().is_empty() {
                self.err(
                    &value.span(),
                    format!("{what}: the \"{lang}\" text is empty"),
                );
                continue;
            }
            out.insert(lang.clone(), value.get_ref().trim().to_string());
        }
        if !raw.get_ref().contains_key(self.ctx.default_language) {
            self.err(
                &raw.span(),
                format!(
                    "{what}: missing the default language \"{}\"",
                    self.ctx.default_language
                ),
            );
        }
        out
    }

    fn required_text(
        &mut self,
        raw: &Option<RawText>,
        span: &Range<usize>,
        what: &str,
    ) -> Option<Text> {
        match raw {
            Some(t) => Some(self.text(t, what)),
            None => {
                self.err(span, format!("{what} is missing"));
                None
            }
        }
    }

    fn id(&mut self, raw: &Option<Spanned<String>>, span: &Range<usize>, what: &str) -> String {
        match raw {
            Some(id) if valid_id(id.get_ref()) => id.get_ref().clone(),
            Some(id) => {
                self.err(
                    &id.span(),
                    format!(
                        "{what} id \"{}\" must be 1 to 64 letters, digits, - or _",
                        id.get_ref()
                    ),
                );
                id.get_ref().clone()
            }
            None => {
                self.err(span, format!("{what} has no id"));
                String::new()
            }
        }
    }

    fn not_for_kind<T>(&mut self, field: &Option<Spanned<T>>, name: &str, q: &str, kind: &str) {
        if let Some(f) = field {
            self.err(
                &f.span(),
                format!("question \"{q}\" ({kind}): `{name}` is not used by this kind"),
            );
        }
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn line_of(src: &str, offset: usize) -> usize {
    let end = offset.min(src.len());
    src.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn number(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Integer(i) => Some(*i as f64),
        toml::Value::Float(f) if f.is_finite() => Some(*f),
        _ => None,
    }
}

/// Parse and validate a `quiz.toml` against its course.
pub fn parse(text: &str, ctx: &QuizContext) -> Result<QuizDef, Vec<QuizProblem>> {
    let raw: RawQuiz = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(1);
        vec![QuizProblem {
            line,
            message: e.message().trim().to_string(),
        }]
    })?;
    let mut c = Checker {
        src: text,
        ctx,
        problems: Vec::new(),
    };
    let top = 0..0;

    let max_attempts = match &raw.max_attempts {
        Some(m) if (1..=20).contains(m.get_ref()) => *m.get_ref() as u32,
        Some(m) => {
            c.err(&m.span(), "max_attempts must be between 1 and 20");
            1
        }
        None => {
            c.err(&top, "max_attempts is missing (1 to 20)");
            1
        }
    };
    let time_limit_minutes = match &raw.time_limit_minutes {
        Some(t) if (1..=600).contains(t.get_ref()) => Some(*t.get_ref() as u32),
        Some(t) => {
            c.err(&t.span(), "time_limit_minutes must be between 1 and 600");
            None
        }
        None => None,
    };
    let show_answers = match raw.show_answers.as_ref().map(|s| (s.get_ref().as_str(), s)) {
        None | Some(("after_passing", _)) => ShowAnswers::AfterPassing,
        Some(("never", _)) => ShowAnswers::Never,
        Some(("after_each_attempt", _)) => ShowAnswers::AfterEachAttempt,
        Some((other, s)) => {
            c.err(
                &s.span(),
                format!(
                    "show_answers \"{other}\" must be never, after_each_attempt or after_passing"
                ),
            );
            ShowAnswers::AfterPassing
        }
    };
    let late_submission = match raw
        .late_submission
        .as_ref()
        .map(|s| (s.get_ref().as_str(), s))
    {
        None | Some(("grade_saved", _)) => LateSubmission::GradeSaved,
        Some(("refuse", _)) => LateSubmission::Refuse,
        Some((other, s)) => {
            c.err(
                &s.span(),
                format!("late_submission \"{other}\" must be grade_saved or refuse"),
            );
            LateSubmission::GradeSaved
        }
    };

    if raw.questions.is_empty() {
        c.err(&top, "the quiz has no [[questions]]");
    }
    let mut seen = HashSet::new();
    let mut questions = Vec::new();
    for rq in &raw.questions {
        if let Some(q) = question(&mut c, rq, &mut seen) {
            questions.push(q);
        }
    }

    let draw = match &raw.draw {
        Some(d) if *d.get_ref() < 1 => {
            c.err(&d.span(), "draw must be at least 1");
            None
        }
        Some(d) if *d.get_ref() as usize > raw.questions.len() => {
            c.err(
                &d.span(),
                format!(
                    "draw = {} is larger than the number of questions ({})",
                    d.get_ref(),
                    raw.questions.len()
                ),
            );
            None
        }
        Some(d) => Some(*d.get_ref() as u32),
        None => None,
    };

    if !c.problems.is_empty() {
        c.problems.sort_by_key(|p| p.line);
        return Err(c.problems);
    }
    Ok(QuizDef {
        default_language: ctx.default_language.to_string(),
        max_attempts,
        time_limit_minutes,
        shuffle_questions: raw.shuffle_questions.unwrap_or(false),
        shuffle_options: raw.shuffle_options.unwrap_or(false),
        draw,
        show_answers,
        late_submission,
        questions,
    })
}

fn question(
    c: &mut Checker,
    rq: &Spanned<RawQuestion>,
    seen: &mut HashSet<String>,
) -> Option<Question> {
    let span = rq.span();
    let r = rq.get_ref();
    let before = c.problems.len();
    let id = c.id(&r.id, &span, "a question");
    if !id.is_empty() && !seen.insert(id.clone()) {
        let at = r.id.as_ref().map(|i| i.span()).unwrap_or(span.clone());
        c.err(&at, format!("duplicate question id \"{id}\""));
    }
    let kind_name = match &r.kind {
        Some(k) => k.get_ref().clone(),
        None => {
            c.err(&span, format!("question \"{id}\" has no kind"));
            return None;
        }
    };
    let label = format!("question \"{id}\" ({kind_name})");
    if let Some(m) = &r.module {
        if !c.ctx.modules.iter().any(|x| x == m.get_ref()) {
            c.err(
                &m.span(),
                format!(
                    "{label}: module \"{}\" is not a module of the course",
                    m.get_ref()
                ),
            );
        }
    }
    let prompt = c.required_text(&r.prompt, &span, &format!("{label}: prompt"));
    let explanation = r
        .explanation
        .as_ref()
        .map(|t| c.text(t, &format!("{label}: explanation")));

    let q = QuestionAt {
        r,
        span: &span,
        id: &id,
        kind: &kind_name,
        label: &label,
    };
    let kind = match kind_name.as_str() {
        "single" | "multiple" => choice_question(c, &q),
        "true_false" => true_false_question(c, &q),
        "text" => text_question(c, &q),
        "numeric" => numeric_question(c, &q),
        "matching" => matching_question(c, &q),
        other => {
            let at = r.kind.as_ref().map(|k| k.span()).unwrap_or(span.clone());
            c.err(
                &at,
                format!(
                    "question \"{id}\": kind \"{other}\" must be single, multiple, true_false, text, numeric or matching"
                ),
            );
            return None;
        }
    };
    if c.problems.len() > before {
        return None;
    }
    Some(Question {
        id,
        module: r.module.as_ref().map(|m| m.get_ref().clone()),
        prompt: prompt?,
        explanation,
        kind,
    })
}

/// A question being checked: its raw fields and what the messages call it.
struct QuestionAt<'r> {
    r: &'r RawQuestion,
    span: &'r Range<usize>,
    id: &'r str,
    kind: &'r str,
    /// `question "q1" (single)`
    label: &'r str,
}

/// `single` (exactly one correct option) and `multiple` (at least one; all-or-nothing or
/// partial scoring).
fn choice_question(c: &mut Checker, q: &QuestionAt<'_>) -> QuestionKind {
    let (r, span, id, kind_name, label) = (q.r, q.span, q.id, q.kind, q.label);
    c.not_for_kind(&r.answer, "answer", id, kind_name);
    c.not_for_kind(&r.tolerance, "tolerance", id, kind_name);
    c.not_for_kind(&r.accepted, "accepted", id, kind_name);
    c.not_for_kind(&r.pairs, "pairs", id, kind_name);
    let options = choice_options(c, r, span, label);
    let correct = options.iter().filter(|o| o.correct).count();
    if kind_name == "single" {
        c.not_for_kind(&r.scoring, "scoring", id, kind_name);
        if !options.is_empty() && correct == 0 {
            c.err(span, format!("{label} has no correct option"));
        } else if correct > 1 {
            c.err(
                    span,
                    format!(
                        "{label} has {correct} correct options; a single-choice question has exactly one (use kind = \"multiple\")"
                    ),
                );
        }
        QuestionKind::Single { options }
    } else {
        if !options.is_empty() && correct == 0 {
            c.err(span, format!("{label} has no correct option"));
        }
        let scoring = match r.scoring.as_ref().map(|s| (s.get_ref().as_str(), s)) {
            None | Some(("all_or_nothing", _)) => Scoring::AllOrNothing,
            Some(("partial", _)) => Scoring::Partial,
            Some((other, s)) => {
                c.err(
                    &s.span(),
                    format!("{label}: scoring \"{other}\" must be all_or_nothing or partial"),
                );
                Scoring::AllOrNothing
            }
        };
        QuestionKind::Multiple { scoring, options }
    }
}

/// `true_false`: a boolean answer.
fn true_false_question(c: &mut Checker, q: &QuestionAt<'_>) -> QuestionKind {
    let (r, span, id, kind_name, label) = (q.r, q.span, q.id, q.kind, q.label);
    no_choice_fields(c, r, id, kind_name);
    c.not_for_kind(&r.tolerance, "tolerance", id, kind_name);
    c.not_for_kind(&r.accepted, "accepted", id, kind_name);
    c.not_for_kind(&r.pairs, "pairs", id, kind_name);
    let answer = match &r.answer {
        Some(a) => match a.get_ref() {
            toml::Value::Boolean(b) => *b,
            _ => {
                c.err(&a.span(), format!("{label}: answer must be true or false"));
                false
            }
        },
        None => {
            c.err(span, format!("{label}: answer (true or false) is missing"));
            false
        }
    };
    QuestionKind::TrueFalse { answer }
}

/// `text`: accepted answers per course language (compared after [`normalize_text`]).
fn text_question(c: &mut Checker, q: &QuestionAt<'_>) -> QuestionKind {
    let (r, span, id, kind_name, label) = (q.r, q.span, q.id, q.kind, q.label);
    no_choice_fields(c, r, id, kind_name);
    c.not_for_kind(&r.answer, "answer", id, kind_name);
    c.not_for_kind(&r.tolerance, "tolerance", id, kind_name);
    c.not_for_kind(&r.pairs, "pairs", id, kind_name);
    let mut accepted = BTreeMap::new();
    match &r.accepted {
        None => c.err(span, format!("{label}: accepted answers are missing")),
        Some(acc) => {
            for (lang, list) in acc.get_ref() {
                if !c.ctx.languages.iter().any(|l| l == lang) {
                    c.err(
                            &list.span(),
                            format!(
                                "{label}: accepted: language \"{lang}\" is not a language of the course"
                            ),
                        );
                    continue;
                }
                let mut answers = Vec::new();
                for a in list.get_ref() {
                    if normalize_text(a.get_ref()).is_empty() {
                        c.err(&a.span(), format!("{label}: an accepted answer is empty"));
                    } else {
                        answers.push(a.get_ref().trim().to_string());
                    }
                }
                if list.get_ref().is_empty() {
                    c.err(
                        &list.span(),
                        format!("{label}: accepted \"{lang}\" has no answers"),
                    );
                }
                accepted.insert(lang.clone(), answers);
            }
            if !acc.get_ref().contains_key(c.ctx.default_language) {
                c.err(
                    &acc.span(),
                    format!(
                        "{label}: accepted: missing the default language \"{}\"",
                        c.ctx.default_language
                    ),
                );
            }
        }
    }
    QuestionKind::Text { accepted }
}

/// `numeric`: an answer and a tolerance of 0 or more.
fn numeric_question(c: &mut Checker, q: &QuestionAt<'_>) -> QuestionKind {
    let (r, span, id, kind_name, label) = (q.r, q.span, q.id, q.kind, q.label);
    no_choice_fields(c, r, id, kind_name);
    c.not_for_kind(&r.accepted, "accepted", id, kind_name);
    c.not_for_kind(&r.pairs, "pairs", id, kind_name);
    let answer = match &r.answer {
        Some(a) => number(a.get_ref()).unwrap_or_else(|| {
            c.err(&a.span(), format!("{label}: answer must be a number"));
            0.0
        }),
        None => {
            c.err(span, format!("{label}: answer (a number) is missing"));
            0.0
        }
    };
    let tolerance = match &r.tolerance {
        Some(t) => match number(t.get_ref()) {
            Some(x) if x >= 0.0 => x,
            _ => {
                c.err(
                    &t.span(),
                    format!("{label}: tolerance must be a number of 0 or more"),
                );
                0.0
            }
        },
        None => 0.0,
    };
    QuestionKind::Numeric { answer, tolerance }
}

/// `matching`: 2 to 8 pairs with unique ids and distinct right sides.
fn matching_question(c: &mut Checker, q: &QuestionAt<'_>) -> QuestionKind {
    let (r, span, id, kind_name, label) = (q.r, q.span, q.id, q.kind, q.label);
    no_choice_fields(c, r, id, kind_name);
    c.not_for_kind(&r.answer, "answer", id, kind_name);
    c.not_for_kind(&r.tolerance, "tolerance", id, kind_name);
    c.not_for_kind(&r.accepted, "accepted", id, kind_name);
    let mut pairs = Vec::new();
    match &r.pairs {
        None => c.err(span, format!("{label}: [[questions.pairs]] are missing")),
        Some(list) => {
            let n = list.get_ref().len();
            if !(2..=8).contains(&n) {
                c.err(
                    &list.span(),
                    format!("{label} has {n} pairs; a matching question has 2 to 8"),
                );
            }
            let mut ids = HashSet::new();
            let mut rights = HashSet::new();
            for p in list.get_ref() {
                let ps = p.span();
                let pr = p.get_ref();
                let pid = c.id(&pr.id, &ps, &format!("{label}: a pair"));
                if !pid.is_empty() && !ids.insert(pid.clone()) {
                    c.err(&ps, format!("{label}: duplicate pair id \"{pid}\""));
                }
                let left = c.required_text(&pr.left, &ps, &format!("{label}: pair \"{pid}\" left"));
                let right =
                    c.required_text(&pr.right, &ps, &format!("{label}: pair \"{pid}\" right"));
                if let Some(r) = right.as_ref().and_then(|r| r.get(c.ctx.default_language)) {
                    if !rights.insert(normalize_text(r)) {
                        c.err(
                            &ps,
                            format!(
                                "{label}: pair \"{pid}\" has the same right side as another pair"
                            ),
                        );
                    }
                }
                if let (Some(left), Some(right)) = (left, right) {
                    pairs.push(Pair {
                        id: pid,
                        left,
                        right,
                    });
                }
            }
        }
    }
    QuestionKind::Matching { pairs }
}

fn no_choice_fields(c: &mut Checker, r: &RawQuestion, id: &str, kind: &str) {
    c.not_for_kind(&r.options, "options", id, kind);
    c.not_for_kind(&r.scoring, "scoring", id, kind);
}

fn choice_options(
    c: &mut Checker,
    r: &RawQuestion,
    span: &Range<usize>,
    label: &str,
) -> Vec<ChoiceOption> {
    let Some(list) = &r.options else {
        c.err(span, format!("{label}: [[questions.options]] are missing"));
        return Vec::new();
    };
    let n = list.get_ref().len();
    if !(2..=8).contains(&n) {
        c.err(
            &list.span(),
            format!("{label} has {n} options; a choice question has 2 to 8"),
        );
    }
    let mut ids = HashSet::new();
    let mut out = Vec::new();
    for o in list.get_ref() {
        let os = o.span();
        let or = o.get_ref();
        let oid = c.id(&or.id, &os, &format!("{label}: an option"));
        if !oid.is_empty() && !ids.insert(oid.clone()) {
            c.err(&os, format!("{label}: duplicate option id \"{oid}\""));
        }
        let text = c.required_text(&or.label, &os, &format!("{label}: option \"{oid}\" label"));
        let feedback = or
            .feedback
            .as_ref()
            .map(|f| c.text(f, &format!("{label}: option \"{oid}\" feedback")));
        if let Some(text) = text {
            out.push(ChoiceOption {
                id: oid,
                correct: or.correct.unwrap_or(false),
                label: text,
                feedback,
            });
        }
    }
    out
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
        use proptest::prelude::*;

        fn mutated(base: &'static str) -> impl Strategy<Value = String> {
            let lines: Vec<&'static str> = base.lines().collect();
            let n = lines.len();
            prop::collection::vec(
                (
                    0..8u8,
                    prop_oneof![any::<String>(), "[a-z_=\\[\\]{}\"'.,# 0-9-]{0,24}"],
                ),
                n..=n,
            )
            .prop_map(move |edits| {
                let mut out = String::new();
                for (line, (op, junk)) in lines.iter().zip(edits) {
                    match op {
                        0 => {}
                        1 => out.push_str(&format!("{line}\n{line}\n")),
                        2 => out.push_str(&format!("{junk}\n")),
                        3 => out.push_str(&format!("{line}{junk}\n")),
                        _ => out.push_str(&format!("{line}\n")),
                    }
                }
                out
            })
        }

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

//! Parsing and checking `quiz.toml`: serde into raw, spanned shapes that reject unknown keys,
//! then one validator per question kind, every problem with its line.

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::{
    normalize_text, ChoiceOption, LateSubmission, Pair, Question, QuestionKind, QuizContext,
    QuizDef, QuizProblem, Scoring, ShowAnswers, Text,
};

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

    let settings = settings(&mut c, &raw);

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

    let draw = draw(&mut c, &raw);

    if !c.problems.is_empty() {
        c.problems.sort_by_key(|p| p.line);
        return Err(c.problems);
    }
    Ok(QuizDef {
        default_language: ctx.default_language.to_string(),
        max_attempts: settings.max_attempts,
        time_limit_minutes: settings.time_limit_minutes,
        shuffle_questions: raw.shuffle_questions.unwrap_or(false),
        shuffle_options: raw.shuffle_options.unwrap_or(false),
        draw,
        show_answers: settings.show_answers,
        late_submission: settings.late_submission,
        questions,
    })
}

/// The quiz-wide settings, each checked against its range or list.
struct Settings {
    max_attempts: u32,
    time_limit_minutes: Option<u32>,
    show_answers: ShowAnswers,
    late_submission: LateSubmission,
}

fn settings(c: &mut Checker, raw: &RawQuiz) -> Settings {
    let max_attempts = match &raw.max_attempts {
        Some(m) if (1..=20).contains(m.get_ref()) => *m.get_ref() as u32,
        Some(m) => {
            c.err(&m.span(), "max_attempts must be between 1 and 20");
            1
        }
        None => {
            c.err(&(0..0), "max_attempts is missing (1 to 20)");
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

    Settings {
        max_attempts,
        time_limit_minutes,
        show_answers,
        late_submission,
    }
}

/// `draw`: how many questions each attempt shows (at most the number there are).
fn draw(c: &mut Checker, raw: &RawQuiz) -> Option<u32> {
    match &raw.draw {
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
    }
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

//! What a learner is shown of an attempt, and how their answers are read. Pure functions.
//!
//! The question view carries no answer: no `correct` flag, no accepted text, no numeric answer,
//! no explanation or option feedback, and matching right sides under ids (`r1`, `r2`, ...) that
//! do not name their pair. Feedback that reveals answers is built only when the review policy
//! allows it ([`reveal_answers`]).

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::grading::{Grade, Response};
use super::layout::{Layout, Slot};
use super::render::inline_html;
use super::store::AttemptRow;
use crate::clock::{rfc3339, rfc3339_opt};
use crate::courses::quiz::{QuestionKind, QuizDef, ShowAnswers};
use crate::domain::AttemptStatus;
use crate::error::FieldError;
use crate::messages::Msg;
use crate::msg;

/// The result of a graded attempt, as the learner may see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttemptResult {
    /// 0 to 100.
    pub score: i64,
    pub passed: bool,
    /// The course's pass mark the score was compared with.
    pub pass_mark: i64,
    /// Grading this attempt completed the course.
    pub course_completed: bool,
    /// Graded after the deadline on what was saved in time (`grade_saved`), or closed without
    /// a grade because late submissions are refused (`expired`, score 0).
    pub late: bool,
    /// Whether `feedback` carries correct answers, explanations and option feedback.
    pub answers_revealed: bool,
    pub feedback: Vec<FeedbackItem>,
}

/// An attempt as its learner sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttemptView {
    pub id: i64,
    pub course: String,
    /// 1 for the first attempt, ...
    pub attempt_no: i64,
    pub max_attempts: i64,
    pub status: AttemptStatus,
    pub started_at: String,
    /// `null` without a time limit.
    pub deadline: Option<String>,
    pub time_limit_minutes: Option<i64>,
    /// Seconds until the deadline while the attempt is open (0 once the time is up); `null`
    /// without a time limit or after submission.
    pub time_left_seconds: Option<i64>,
    pub submitted_at: Option<String>,
    /// The language of the texts.
    pub language: String,
    pub questions: Vec<QuestionView>,
    /// Saved answers, by question id, as they were sent.
    #[schema(value_type = Object)]
    pub answers: BTreeMap<String, Value>,
    pub answers_saved_at: Option<String>,
    /// After submission.
    pub result: Option<AttemptResult>,
}

/// An attempt's parts, as the service has loaded them.
pub struct Attempt<'a> {
    pub row: &'a AttemptRow,
    pub def: &'a QuizDef,
    pub layout: &'a Layout,
    pub answers: &'a BTreeMap<String, Value>,
}

/// An attempt as its learner sees it at `now`: times as RFC 3339, the questions in `lang`.
pub fn attempt(
    a: Attempt<'_>,
    lang: String,
    result: Option<AttemptResult>,
    now: i64,
) -> AttemptView {
    AttemptView {
        id: a.row.id,
        course: a.row.course_slug.clone(),
        attempt_no: a.row.attempt_no,
        max_attempts: i64::from(a.def.max_attempts),
        status: a.row.status,
        started_at: rfc3339(a.row.started_at),
        deadline: rfc3339_opt(a.row.deadline),
        time_limit_minutes: a.def.time_limit_minutes.map(i64::from),
        time_left_seconds: match (a.row.status, a.row.deadline) {
            (AttemptStatus::Open, Some(d)) => Some((d - now).max(0)),
            _ => None,
        },
        submitted_at: rfc3339_opt(a.row.submitted_at),
        questions: questions(a.def, a.layout, &lang),
        answers: a.answers.clone(),
        answers_saved_at: rfc3339_opt(a.row.answers_saved_at),
        result,
        language: lang,
    }
}

/// Longest text answer accepted.
pub const MAX_TEXT_ANSWER: usize = 500;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChoiceView {
    pub id: String,
    /// Sanitised HTML (inline Markdown of the source).
    pub label: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuestionView {
    pub id: String,
    /// single | multiple | true_false | text | numeric | matching
    pub kind: String,
    pub prompt_html: String,
    /// single and multiple: the options in the order of this attempt; empty for other kinds.
    pub options: Vec<ChoiceView>,
    /// multiple: all_or_nothing | partial.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scoring: Option<String>,
    /// matching: the items to match (answer keys).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub left: Option<Vec<ChoiceView>>,
    /// matching: the choices (answer values), shuffled, under ids that do not reveal the pair.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub right: Option<Vec<ChoiceView>>,
}

/// The questions of an attempt in its order, in `lang` (falling back to the default language).
pub fn questions(def: &QuizDef, layout: &Layout, lang: &str) -> Vec<QuestionView> {
    layout
        .questions
        .iter()
        .filter_map(|slot| {
            let q = def.question(&slot.id)?;
            let mut view = QuestionView {
                id: q.id.clone(),
                kind: q.kind.name().to_string(),
                prompt_html: inline_html(def.text(&q.prompt, lang)),
                options: Vec::new(),
                scoring: None,
                left: None,
                right: None,
            };
            match &q.kind {
                QuestionKind::Single { options } | QuestionKind::Multiple { options, .. } => {
                    view.options = slot
                        .options
                        .iter()
                        .filter_map(|id| options.iter().find(|o| &o.id == id))
                        .map(|o| ChoiceView {
                            id: o.id.clone(),
                            label: inline_html(def.text(&o.label, lang)),
                        })
                        .collect();
                    if let QuestionKind::Multiple { scoring, .. } = &q.kind {
                        view.scoring = Some(
                            serde_json::to_value(scoring)
                                .ok()
                                .and_then(|v| v.as_str().map(String::from))
                                .unwrap_or_default(),
                        );
                    }
                }
                QuestionKind::Matching { pairs } => {
                    let find = |id: &String| pairs.iter().find(|p| &p.id == id);
                    view.left = Some(
                        slot.options
                            .iter()
                            .filter_map(find)
                            .map(|p| ChoiceView {
                                id: p.id.clone(),
                                label: inline_html(def.text(&p.left, lang)),
                            })
                            .collect(),
                    );
                    view.right = Some(
                        slot.rights
                            .iter()
                            .enumerate()
                            .filter_map(|(i, id)| Some((i, find(id)?)))
                            .map(|(i, p)| ChoiceView {
                                id: Slot::right_id(i),
                                label: inline_html(def.text(&p.right, lang)),
                            })
                            .collect(),
                    );
                }
                _ => {}
            }
            Some(view)
        })
        .collect()
}

/// Check answers as sent (`{question_id: [...] | true | "text" | 12.5 | {pair: "r2"}}`) against
/// the attempt. Returns the answers to keep (as sent, nulls dropped) or what is wrong with them.
pub fn check_answers(
    def: &QuizDef,
    layout: &Layout,
    raw: &BTreeMap<String, Value>,
) -> Result<BTreeMap<String, Value>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut kept = BTreeMap::new();
    for (qid, value) in raw {
        let field = format!("answers.{qid}");
        let Some(slot) = layout.questions.iter().find(|s| &s.id == qid) else {
            errors.push(FieldError::new(field, msg!("answer.no_such_question")));
            continue;
        };
        let Some(q) = def.question(qid) else {
            errors.push(FieldError::new(field, msg!("answer.no_such_question")));
            continue;
        };
        if value.is_null() {
            continue;
        }
        match to_response(&q.kind, slot, value) {
            Ok(_) => {
                kept.insert(qid.clone(), value.clone());
            }
            Err(message) => errors.push(FieldError::new(field, message)),
        }
    }
    if errors.is_empty() {
        Ok(kept)
    } else {
        Err(errors)
    }
}

/// Turn kept answers into grading responses (matching right ids translated to pair ids).
pub fn responses(
    def: &QuizDef,
    layout: &Layout,
    answers: &BTreeMap<String, Value>,
) -> BTreeMap<String, Response> {
    answers
        .iter()
        .filter_map(|(qid, value)| {
            let slot = layout.questions.iter().find(|s| &s.id == qid)?;
            let q = def.question(qid)?;
            Some((qid.clone(), to_response(&q.kind, slot, value).ok()?))
        })
        .collect()
}

fn to_response(kind: &QuestionKind, slot: &Slot, value: &Value) -> Result<Response, Msg> {
    match kind {
        QuestionKind::Single { options } | QuestionKind::Multiple { options, .. } => {
            let ids: Vec<String> = match value {
                Value::String(s) if matches!(kind, QuestionKind::Single { .. }) => vec![s.clone()],
                Value::Array(items) => items
                    .iter()
                    .map(|v| v.as_str().map(String::from))
                    .collect::<Option<_>>()
                    .ok_or_else(|| msg!("answer.option_list"))?,
                _ => return Err(msg!("answer.option_list")),
            };
            if ids.len() > options.len() {
                return Err(msg!("answer.too_many_options"));
            }
            if let Some(bad) = ids.iter().find(|id| !options.iter().any(|o| &o.id == *id)) {
                return Err(msg!("answer.no_such_option", id = bad));
            }
            let mut seen = HashSet::new();
            Ok(Response::Choice(
                ids.into_iter().filter(|i| seen.insert(i.clone())).collect(),
            ))
        }
        QuestionKind::TrueFalse { .. } => value
            .as_bool()
            .map(Response::Bool)
            .ok_or_else(|| msg!("answer.true_false")),
        QuestionKind::Text { .. } => match value {
            Value::String(s) if s.chars().count() <= MAX_TEXT_ANSWER => {
                Ok(Response::Text(s.clone()))
            }
            Value::String(_) => Err(msg!("text.too_long", max = MAX_TEXT_ANSWER)),
            _ => Err(msg!("answer.text")),
        },
        QuestionKind::Numeric { .. } => match value {
            Value::Number(n) => n
                .as_f64()
                .filter(|x| x.is_finite())
                .map(Response::Number)
                .ok_or_else(|| msg!("answer.number")),
            // Decimal commas are how half of the learners write numbers.
            Value::String(s) => s
                .trim()
                .replace(',', ".")
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .map(Response::Number)
                .ok_or_else(|| msg!("answer.number")),
            _ => Err(msg!("answer.number")),
        },
        QuestionKind::Matching { pairs } => {
            let Value::Object(map) = value else {
                return Err(msg!("answer.matching"));
            };
            let mut out = BTreeMap::new();
            for (left, right) in map {
                if !pairs.iter().any(|p| &p.id == left) {
                    return Err(msg!("answer.no_such_left", id = left));
                }
                let Some(shown) = right.as_str() else {
                    return Err(msg!("answer.right_id", id = left));
                };
                let Some(pair) = slot.right_pair(shown) else {
                    return Err(msg!("answer.no_such_right", id = shown));
                };
                out.insert(left.clone(), pair.to_string());
            }
            Ok(Response::Matching(out))
        }
    }
}

/// May the learner see the correct answers of a submitted attempt?
pub fn reveal_answers(policy: ShowAnswers, submitted: bool, ever_passed: bool) -> bool {
    submitted
        && match policy {
            ShowAnswers::Never => false,
            ShowAnswers::AfterEachAttempt => true,
            ShowAnswers::AfterPassing => ever_passed,
        }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeedbackItem {
    pub question_id: String,
    /// Full marks on this question.
    pub correct: bool,
    /// 0 to 1 (partial credit for `multiple` with partial scoring and for `matching`).
    pub points: f64,
    /// Only when answers are revealed: the feedback of the options the learner chose.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub feedback_html: Vec<String>,
    /// Only when answers are revealed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation_html: Option<String>,
    /// Only when answers are revealed, in the answer shape of the question (option ids, a
    /// boolean, the accepted texts in the learner's language, `{answer, tolerance}`, or
    /// `{left id: right id}` in this attempt's ids).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    pub correct_answer: Option<Value>,
}

/// Feedback per question, in the attempt's order; answers only when `reveal`.
pub fn feedback(
    def: &QuizDef,
    layout: &Layout,
    grade: &Grade,
    answers: &BTreeMap<String, Value>,
    lang: &str,
    reveal: bool,
) -> Vec<FeedbackItem> {
    layout
        .questions
        .iter()
        .filter_map(|slot| {
            let q = def.question(&slot.id)?;
            let result = grade.results.iter().find(|r| r.question_id == q.id)?;
            let mut item = FeedbackItem {
                question_id: q.id.clone(),
                correct: result.correct,
                points: result.points,
                feedback_html: Vec::new(),
                explanation_html: None,
                correct_answer: None,
            };
            if !reveal {
                return Some(item);
            }
            item.explanation_html = q
                .explanation
                .as_ref()
                .map(|e| inline_html(def.text(e, lang)));
            item.correct_answer = Some(match &q.kind {
                QuestionKind::Single { options } | QuestionKind::Multiple { options, .. } => {
                    if let Ok(Response::Choice(chosen)) =
                        to_response(&q.kind, slot, answers.get(&q.id).unwrap_or(&Value::Null))
                    {
                        item.feedback_html = chosen
                            .iter()
                            .filter_map(|id| options.iter().find(|o| &o.id == id))
                            .filter_map(|o| o.feedback.as_ref())
                            .map(|f| inline_html(def.text(f, lang)))
                            .collect();
                    }
                    json!(options
                        .iter()
                        .filter(|o| o.correct)
                        .map(|o| o.id.clone())
                        .collect::<Vec<_>>())
                }
                QuestionKind::TrueFalse { answer } => json!(answer),
                QuestionKind::Text { accepted } => {
                    json!(crate::courses::quiz::localized(accepted, lang)
                        .or_else(|| accepted.get(&def.default_language))
                        .cloned()
                        .unwrap_or_default())
                }
                QuestionKind::Numeric { answer, tolerance } => {
                    json!({"answer": answer, "tolerance": tolerance})
                }
                QuestionKind::Matching { pairs } => Value::Object(
                    pairs
                        .iter()
                        .filter_map(|p| Some((p.id.clone(), json!(slot.shown_right(&p.id)?))))
                        .collect(),
                ),
            });
            Some(item)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::courses::quiz::{parse, QuizContext};
    use crate::quizzes::grading;

    const QUIZ: &str = r#"max_attempts = 3
[[questions]]
id = "s"
kind = "single"
prompt = { en = "S", es = "S-es" }
explanation = { en = "WHY" }
  [[questions.options]]
  id = "a"
  correct = true
  label = { en = "A" }
  feedback = { en = "FB-A" }
  [[questions.options]]
  id = "b"
  label = { en = "B" }
  feedback = { en = "FB-B" }
[[questions]]
id = "t"
kind = "text"
accepted = { en = ["SECRET"] }
prompt = { en = "T" }
[[questions]]
id = "n"
kind = "numeric"
answer = 777
prompt = { en = "N" }
[[questions]]
id = "m"
kind = "matching"
prompt = { en = "M" }
  [[questions.pairs]]
  id = "p1"
  left = { en = "L1" }
  right = { en = "R1" }
  [[questions.pairs]]
  id = "p2"
  left = { en = "L2" }
  right = { en = "R2" }
"#;

    fn fixture() -> (QuizDef, Layout) {
        let langs = vec!["en".to_string(), "es".to_string()];
        let def = parse(
            QUIZ,
            &QuizContext {
                default_language: "en",
                languages: &langs,
                modules: &[],
            },
        )
        .unwrap();
        let layout = Layout {
            questions: vec![
                Slot {
                    id: "m".into(),
                    options: vec!["p1".into(), "p2".into()],
                    rights: vec!["p2".into(), "p1".into()],
                },
                Slot {
                    id: "s".into(),
                    options: vec!["b".into(), "a".into()],
                    rights: vec![],
                },
                Slot {
                    id: "t".into(),
                    options: vec![],
                    rights: vec![],
                },
                Slot {
                    id: "n".into(),
                    options: vec![],
                    rights: vec![],
                },
            ],
        };
        (def, layout)
    }

    #[test]
    fn questions_follow_the_layout_and_carry_no_answers() {
        let (def, layout) = fixture();
        let qs = questions(&def, &layout, "es");
        let ids: Vec<_> = qs.iter().map(|q| q.id.as_str()).collect();
        assert_eq!(ids, ["m", "s", "t", "n"]);
        assert_eq!(qs[1].prompt_html, "S-es");
        assert_eq!(
            qs[1]
                .options
                .iter()
                .map(|o| o.id.as_str())
                .collect::<Vec<_>>(),
            ["b", "a"]
        );
        let right = qs[0].right.as_ref().unwrap();
        assert_eq!(right[0].id, "r1");
        assert_eq!(right[0].label, "R2");
        let json = serde_json::to_string(&qs).unwrap();
        for leak in [
            "SECRET",
            "777",
            "WHY",
            "FB-",
            "correct",
            "p1\",\"label\":\"R",
        ] {
            assert!(!json.contains(leak), "{leak} in {json}");
        }
    }

    #[test]
    fn answers_are_checked_and_translated() {
        let (def, layout) = fixture();
        let raw: BTreeMap<String, Value> = serde_json::from_value(json!({
            "s": "a", "t": "secret", "n": "777,0", "m": {"p1": "r2", "p2": "r1"}
        }))
        .unwrap();
        let kept = check_answers(&def, &layout, &raw).unwrap();
        let r = responses(&def, &layout, &kept);
        assert_eq!(
            r["m"],
            grading::Response::Matching(
                [
                    ("p1".to_string(), "p1".to_string()),
                    ("p2".to_string(), "p2".to_string())
                ]
                .into()
            )
        );
        let refs: Vec<_> = def.questions.iter().collect();
        assert_eq!(grading::grade(&refs, &r).score, 100);
        let bad: BTreeMap<String, Value> = serde_json::from_value(json!({
            "s": ["a", "a", "b"], "m": {"p1": "p1"}, "x": 1, "n": true
        }))
        .unwrap();
        let errors = check_answers(&def, &layout, &bad).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["answers.m", "answers.n", "answers.s", "answers.x"]);
    }

    #[test]
    fn feedback_reveals_only_when_allowed() {
        let (def, layout) = fixture();
        let answers: BTreeMap<String, Value> = serde_json::from_value(json!({"s": ["b"]})).unwrap();
        let refs: Vec<_> = def.questions.iter().collect();
        let grade = grading::grade(&refs, &responses(&def, &layout, &answers));
        let hidden =
            serde_json::to_string(&feedback(&def, &layout, &grade, &answers, "en", false)).unwrap();
        for leak in ["SECRET", "777", "WHY", "FB-", "correct_answer"] {
            assert!(!hidden.contains(leak), "{leak} in {hidden}");
        }
        let shown = feedback(&def, &layout, &grade, &answers, "en", true);
        let s = shown.iter().find(|f| f.question_id == "s").unwrap();
        assert_eq!(s.feedback_html, ["FB-B"]);
        assert_eq!(s.correct_answer, Some(json!(["a"])));
        assert_eq!(s.explanation_html.as_deref(), Some("WHY"));
        let m = shown.iter().find(|f| f.question_id == "m").unwrap();
        assert_eq!(m.correct_answer, Some(json!({"p1": "r2", "p2": "r1"})));
    }

    #[test]
    fn review_policy() {
        use ShowAnswers::*;
        assert!(!reveal_answers(AfterEachAttempt, false, true));
        assert!(reveal_answers(AfterEachAttempt, true, false));
        assert!(!reveal_answers(AfterPassing, true, false));
        assert!(reveal_answers(AfterPassing, true, true));
        assert!(!reveal_answers(Never, true, true));
    }
}

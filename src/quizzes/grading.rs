//! Grading: pure functions from a question and a learner's response to points.
//!
//! Every question is worth the same; a question earns 0 to 1 point. The score is the floor of
//! the percentage of points over the questions of the attempt (0 to 100), so a learner never
//! passes on rounding.
//!
//! - single: the one correct option, and nothing else.
//! - multiple, all_or_nothing: exactly the set of correct options.
//! - multiple, partial: +1/k for each correct option chosen, -1/k for each wrong one
//!   (k = number of correct options), clamped to 0..1.
//! - true_false: the answer.
//! - text: equal to an accepted answer of any language after `normalize_text` (in `crate::courses::quiz`).
//! - numeric: within `tolerance` of the answer.
//! - matching: the share of left items matched to their own right side.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::courses::quiz::{normalize_text, Question, QuestionKind, Scoring};

/// A learner's answer to one question, in the definition's ids (matching right sides are pair
/// ids here: the attempt translates the opaque ids it showed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Response {
    Bool(bool),
    Number(f64),
    Text(String),
    Choice(Vec<String>),
    Matching(BTreeMap<String, String>),
}

/// How one question went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuestionResult {
    pub question_id: String,
    /// 0 to 1.
    pub points: f64,
    /// Full marks.
    pub correct: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grade {
    /// 0 to 100.
    pub score: i64,
    pub results: Vec<QuestionResult>,
}

const EPSILON: f64 = 1e-9;

/// Points (0 to 1) for one question; no response, or a response of the wrong shape, is 0.
pub fn grade_question(q: &Question, response: Option<&Response>) -> f64 {
    let Some(response) = response else {
        return 0.0;
    };
    match (&q.kind, response) {
        (QuestionKind::Single { options }, Response::Choice(chosen)) => {
            let correct = options.iter().find(|o| o.correct).map(|o| o.id.as_str());
            match chosen.as_slice() {
                [one] if Some(one.as_str()) == correct => 1.0,
                _ => 0.0,
            }
        }
        (QuestionKind::Multiple { scoring, options }, Response::Choice(chosen)) => {
            let chosen: HashSet<&str> = chosen.iter().map(String::as_str).collect();
            let correct: HashSet<&str> = options
                .iter()
                .filter(|o| o.correct)
                .map(|o| o.id.as_str())
                .collect();
            if correct.is_empty() {
                return 0.0;
            }
            match scoring {
                Scoring::AllOrNothing => {
                    if chosen == correct {
                        1.0
                    } else {
                        0.0
                    }
                }
                Scoring::Partial => {
                    let k = correct.len() as f64;
                    let right = chosen.intersection(&correct).count() as f64;
                    let wrong = chosen.difference(&correct).count() as f64;
                    ((right - wrong) / k).clamp(0.0, 1.0)
                }
            }
        }
        (QuestionKind::TrueFalse { answer }, Response::Bool(b)) => f64::from(u8::from(answer == b)),
        (QuestionKind::Text { accepted }, Response::Text(t)) => {
            let given = normalize_text(t);
            if given.is_empty() {
                return 0.0;
            }
            let ok = accepted
                .values()
                .flatten()
                .any(|a| normalize_text(a) == given);
            if ok {
                1.0
            } else {
                0.0
            }
        }
        (QuestionKind::Numeric { answer, tolerance }, Response::Number(x)) => f64::from(u8::from(
            x.is_finite() && (x - answer).abs() <= tolerance + EPSILON,
        )),
        (QuestionKind::Matching { pairs }, Response::Matching(map)) => {
            if pairs.is_empty() {
                return 0.0;
            }
            let right = pairs
                .iter()
                .filter(|p| map.get(&p.id) == Some(&p.id))
                .count();
            right as f64 / pairs.len() as f64
        }
        _ => 0.0,
    }
}

/// Grade an attempt: its questions (in any order) and the responses by question id.
pub fn grade(questions: &[&Question], responses: &BTreeMap<String, Response>) -> Grade {
    let results: Vec<QuestionResult> = questions
        .iter()
        .map(|q| {
            let points = grade_question(q, responses.get(&q.id));
            QuestionResult {
                question_id: q.id.clone(),
                points,
                correct: points >= 1.0 - EPSILON,
            }
        })
        .collect();
    let score = if results.is_empty() {
        0
    } else {
        let total: f64 = results.iter().map(|r| r.points).sum();
        ((total * 100.0 / results.len() as f64) + EPSILON).floor() as i64
    };
    Grade {
        score: score.clamp(0, 100),
        results,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::courses::quiz::{ChoiceOption, Pair, Text};

    fn text(s: &str) -> Text {
        Text::from([("en".to_string(), s.to_string())])
    }

    fn q(kind: QuestionKind) -> Question {
        Question {
            id: "q".into(),
            module: None,
            prompt: text("?"),
            explanation: None,
            kind,
        }
    }

    fn opts(correct: &[&str], all: &[&str]) -> Vec<ChoiceOption> {
        all.iter()
            .map(|id| ChoiceOption {
                id: id.to_string(),
                correct: correct.contains(id),
                label: text(id),
                feedback: None,
            })
            .collect()
    }

    fn choice(ids: &[&str]) -> Response {
        Response::Choice(ids.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn single_choice() {
        let q = q(QuestionKind::Single {
            options: opts(&["b"], &["a", "b", "c"]),
        });
        assert_eq!(grade_question(&q, Some(&choice(&["b"]))), 1.0);
        assert_eq!(grade_question(&q, Some(&choice(&["a"]))), 0.0);
        // Choosing every option is not a way round a single choice.
        assert_eq!(grade_question(&q, Some(&choice(&["b", "a"]))), 0.0);
        assert_eq!(grade_question(&q, Some(&choice(&["b", "b"]))), 0.0);
        assert_eq!(grade_question(&q, Some(&choice(&[]))), 0.0);
        assert_eq!(grade_question(&q, Some(&choice(&["zz"]))), 0.0);
        assert_eq!(grade_question(&q, None), 0.0);
        assert_eq!(grade_question(&q, Some(&Response::Text("b".into()))), 0.0);
    }

    #[test]
    fn multiple_all_or_nothing() {
        let q = q(QuestionKind::Multiple {
            scoring: Scoring::AllOrNothing,
            options: opts(&["a", "b"], &["a", "b", "c", "d"]),
        });
        assert_eq!(grade_question(&q, Some(&choice(&["b", "a"]))), 1.0);
        assert_eq!(grade_question(&q, Some(&choice(&["a", "b", "a"]))), 1.0);
        assert_eq!(grade_question(&q, Some(&choice(&["a"]))), 0.0);
        assert_eq!(grade_question(&q, Some(&choice(&["a", "b", "c"]))), 0.0);
        assert_eq!(grade_question(&q, Some(&choice(&[]))), 0.0);
    }

    #[test]
    fn multiple_partial() {
        let q = q(QuestionKind::Multiple {
            scoring: Scoring::Partial,
            options: opts(&["a", "b"], &["a", "b", "c", "d"]),
        });
        assert_eq!(grade_question(&q, Some(&choice(&["a", "b"]))), 1.0);
        assert_eq!(grade_question(&q, Some(&choice(&["a"]))), 0.5);
        // A wrong option cancels a right one; never below zero.
        assert_eq!(grade_question(&q, Some(&choice(&["a", "c"]))), 0.0);
        assert_eq!(grade_question(&q, Some(&choice(&["a", "b", "c"]))), 0.5);
        assert_eq!(grade_question(&q, Some(&choice(&["c", "d"]))), 0.0);
        // Ticking everything does not earn full marks.
        assert_eq!(
            grade_question(&q, Some(&choice(&["a", "b", "c", "d"]))),
            0.0
        );
        // Repeating a right option does not count twice.
        assert_eq!(grade_question(&q, Some(&choice(&["a", "a"]))), 0.5);
    }

    #[test]
    fn true_false() {
        let q = q(QuestionKind::TrueFalse { answer: false });
        assert_eq!(grade_question(&q, Some(&Response::Bool(false))), 1.0);
        assert_eq!(grade_question(&q, Some(&Response::Bool(true))), 0.0);
        assert_eq!(
            grade_question(&q, Some(&Response::Text("false".into()))),
            0.0
        );
    }

    #[test]
    fn text_ignores_case_accents_and_spaces() {
        let q = q(QuestionKind::Text {
            accepted: BTreeMap::from([
                ("en".to_string(), vec!["Blue Card".to_string()]),
                ("pt".to_string(), vec!["Cartão Azul".to_string()]),
            ]),
        });
        for ok in [
            "Blue Card",
            "  blue card ",
            "BLUE   CARD",
            "cartao azul",
            "CARTÃO AZUL",
        ] {
            assert_eq!(
                grade_question(&q, Some(&Response::Text(ok.into()))),
                1.0,
                "{ok}"
            );
        }
        for wrong in ["Blue", "Blue Cards", "", "   ", "bluecard"] {
            assert_eq!(
                grade_question(&q, Some(&Response::Text(wrong.into()))),
                0.0,
                "{wrong}"
            );
        }
        assert_eq!(normalize_text(" Ñandú  Çedilla "), "nandu cedilla");
    }

    #[test]
    fn numeric_with_tolerance() {
        let exact = q(QuestionKind::Numeric {
            answer: 210.0,
            tolerance: 0.0,
        });
        assert_eq!(grade_question(&exact, Some(&Response::Number(210.0))), 1.0);
        assert_eq!(grade_question(&exact, Some(&Response::Number(209.0))), 0.0);
        let loose = q(QuestionKind::Numeric {
            answer: 0.3,
            tolerance: 0.1,
        });
        // Float error at the boundary does not cost the point.
        assert_eq!(
            grade_question(&loose, Some(&Response::Number(0.1 + 0.1))),
            1.0
        );
        assert_eq!(grade_question(&loose, Some(&Response::Number(0.4))), 1.0);
        assert_eq!(grade_question(&loose, Some(&Response::Number(0.41))), 0.0);
        assert_eq!(
            grade_question(&loose, Some(&Response::Number(f64::NAN))),
            0.0
        );
    }

    #[test]
    fn matching_gives_a_share_per_pair() {
        let pairs = ["p1", "p2", "p3", "p4"]
            .iter()
            .map(|id| Pair {
                id: id.to_string(),
                left: text(id),
                right: text(id),
            })
            .collect();
        let q = q(QuestionKind::Matching { pairs });
        let m = |v: &[(&str, &str)]| {
            Response::Matching(
                v.iter()
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .collect(),
            )
        };
        let all = m(&[("p1", "p1"), ("p2", "p2"), ("p3", "p3"), ("p4", "p4")]);
        assert_eq!(grade_question(&q, Some(&all)), 1.0);
        let half = m(&[("p1", "p1"), ("p2", "p2"), ("p3", "p4"), ("p4", "p3")]);
        assert_eq!(grade_question(&q, Some(&half)), 0.5);
        // Everything on one right side earns one pair at most.
        let same = m(&[("p1", "p1"), ("p2", "p1"), ("p3", "p1"), ("p4", "p1")]);
        assert_eq!(grade_question(&q, Some(&same)), 0.25);
        assert_eq!(grade_question(&q, Some(&m(&[]))), 0.0);
    }

    #[test]
    fn score_is_the_floor_of_the_percentage() {
        let tf = |id: &str| Question {
            id: id.into(),
            ..q(QuestionKind::TrueFalse { answer: true })
        };
        let qs = [tf("a"), tf("b"), tf("c")];
        let refs: Vec<&Question> = qs.iter().collect();
        let mut r = BTreeMap::new();
        r.insert("a".to_string(), Response::Bool(true));
        r.insert("b".to_string(), Response::Bool(true));
        let g = grade(&refs, &r);
        assert_eq!(g.score, 66);
        assert_eq!(
            g.results.iter().map(|r| r.correct).collect::<Vec<_>>(),
            [true, true, false]
        );
        r.insert("c".to_string(), Response::Bool(true));
        assert_eq!(grade(&refs, &r).score, 100);
        assert_eq!(grade(&refs, &BTreeMap::new()).score, 0);
        assert_eq!(grade(&[], &BTreeMap::new()).score, 0);
    }
}

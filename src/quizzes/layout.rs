//! What one attempt shows: which questions were drawn, in which order, and the order of their
//! options. Fixed when the attempt starts and stored with it, so a reload shows the same attempt.

use rand::seq::{IndexedRandom, SliceRandom};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::courses::quiz::{QuestionKind, QuizDef};

/// The stored layout of an attempt (`quiz_attempts.layout_json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layout {
    pub questions: Vec<Slot>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    /// Question id.
    pub id: String,
    /// Choice questions: option ids in the order shown. Matching: left pair ids in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// Matching: the pair ids of the right-hand sides, in the order shown. The learner sees them
    /// as `r1`, `r2`, ... by position, so a right side's id never reveals its pair.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rights: Vec<String>,
}

impl Slot {
    /// The id shown for the right side at `index`.
    pub fn right_id(index: usize) -> String {
        format!("r{}", index + 1)
    }

    /// The pair id behind a shown right-side id.
    pub fn right_pair(&self, shown: &str) -> Option<&str> {
        let n: usize = shown.strip_prefix('r')?.parse().ok()?;
        self.rights.get(n.checked_sub(1)?).map(String::as_str)
    }

    /// The shown right-side id of a pair.
    pub fn shown_right(&self, pair: &str) -> Option<String> {
        self.rights
            .iter()
            .position(|p| p == pair)
            .map(Slot::right_id)
    }
}

/// Draw and order the questions of a new attempt.
pub fn draw(def: &QuizDef, rng: &mut impl Rng) -> Layout {
    let all: Vec<usize> = (0..def.questions.len()).collect();
    let mut chosen: Vec<usize> = match def.draw {
        Some(n) if (n as usize) < all.len() => {
            all.choose_multiple(rng, n as usize).copied().collect()
        }
        _ => all,
    };
    if def.shuffle_questions {
        chosen.shuffle(rng);
    } else {
        chosen.sort_unstable();
    }
    let questions = chosen
        .into_iter()
        .map(|i| {
            let q = &def.questions[i];
            let (mut options, rights) = match &q.kind {
                QuestionKind::Single { options } | QuestionKind::Multiple { options, .. } => {
                    (options.iter().map(|o| o.id.clone()).collect(), Vec::new())
                }
                QuestionKind::Matching { pairs } => {
                    let ids: Vec<String> = pairs.iter().map(|p| p.id.clone()).collect();
                    // The right sides are always shuffled: in file order they would pair up
                    // with the left sides line by line.
                    let mut rights = ids.clone();
                    rights.shuffle(rng);
                    (ids, rights)
                }
                _ => (Vec::new(), Vec::new()),
            };
            if def.shuffle_options {
                options.shuffle(rng);
            }
            Slot {
                id: q.id.clone(),
                options,
                rights,
            }
        })
        .collect();
    Layout { questions }
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    use super::*;
    use crate::courses::quiz::{ChoiceOption, LateSubmission, Pair, Question, ShowAnswers};

    fn def(n: usize, draw: Option<u32>, shuffle: bool) -> QuizDef {
        let text = |s: &str| [("en".to_string(), s.to_string())].into();
        let questions = (0..n)
            .map(|i| Question {
                id: format!("q{i}"),
                module: None,
                prompt: text("?"),
                explanation: None,
                kind: if i == 0 {
                    QuestionKind::Matching {
                        pairs: (0..6)
                            .map(|p| Pair {
                                id: format!("p{p}"),
                                left: text("l"),
                                right: text("r"),
                            })
                            .collect(),
                    }
                } else {
                    QuestionKind::Single {
                        options: (0..6)
                            .map(|o| ChoiceOption {
                                id: format!("o{o}"),
                                correct: o == 0,
                                label: text("x"),
                                feedback: None,
                            })
                            .collect(),
                    }
                },
            })
            .collect();
        QuizDef {
            default_language: "en".into(),
            max_attempts: 3,
            time_limit_minutes: None,
            shuffle_questions: shuffle,
            shuffle_options: shuffle,
            draw,
            show_answers: ShowAnswers::Never,
            late_submission: LateSubmission::GradeSaved,
            questions,
        }
    }

    #[test]
    fn draws_n_distinct_questions() {
        let d = def(10, Some(4), true);
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..50 {
            let l = draw(&d, &mut rng);
            let mut ids: Vec<_> = l.questions.iter().map(|s| s.id.clone()).collect();
            assert_eq!(ids.len(), 4);
            ids.sort();
            ids.dedup();
            assert_eq!(ids.len(), 4);
        }
    }

    #[test]
    fn without_shuffling_the_file_order_is_kept_but_rights_are_mixed() {
        let d = def(5, None, false);
        let mut rng = StdRng::seed_from_u64(1);
        let mut rights_moved = false;
        for _ in 0..20 {
            let l = draw(&d, &mut rng);
            let ids: Vec<_> = l.questions.iter().map(|s| s.id.as_str()).collect();
            assert_eq!(ids, ["q0", "q1", "q2", "q3", "q4"]);
            assert_eq!(l.questions[1].options, ["o0", "o1", "o2", "o3", "o4", "o5"]);
            rights_moved |= l.questions[0].rights != l.questions[0].options;
        }
        assert!(rights_moved);
    }

    #[test]
    fn shuffling_changes_orders_and_is_a_permutation() {
        let d = def(8, None, true);
        let mut rng = StdRng::seed_from_u64(3);
        let a = draw(&d, &mut rng);
        let b = draw(&d, &mut rng);
        assert_ne!(a, b);
        let mut opts = a
            .questions
            .iter()
            .find(|s| s.id == "q3")
            .unwrap()
            .options
            .clone();
        opts.sort();
        assert_eq!(opts, ["o0", "o1", "o2", "o3", "o4", "o5"]);
    }

    #[test]
    fn shown_right_ids_map_back_to_pairs() {
        let slot = Slot {
            id: "m".into(),
            options: vec!["p1".into(), "p2".into()],
            rights: vec!["p2".into(), "p1".into()],
        };
        assert_eq!(slot.right_pair("r1"), Some("p2"));
        assert_eq!(slot.right_pair("r2"), Some("p1"));
        assert_eq!(slot.right_pair("r0"), None);
        assert_eq!(slot.right_pair("r3"), None);
        assert_eq!(slot.right_pair("p1"), None);
        assert_eq!(slot.shown_right("p1").as_deref(), Some("r2"));
    }
}

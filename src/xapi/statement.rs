//! xAPI 1.0.3 statements as JSON, built from facts (pure functions): the ADL verbs and
//! activity types, the learner as an account on the hub's home page, names of courses and
//! modules in every language they exist in, the SME and the partner as grouping activities of
//! the context. Each statement's id is a UUID v5 of what happened, so queueing or sending the
//! same event twice can never make two statements.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

/// The verbs the platform uses (ADL vocabulary).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Completed,
    Attempted,
    Passed,
    Failed,
    Attended,
}

impl Verb {
    pub fn iri(self) -> &'static str {
        match self {
            Verb::Completed => "http://adlnet.gov/expapi/verbs/completed",
            Verb::Attempted => "http://adlnet.gov/expapi/verbs/attempted",
            Verb::Passed => "http://adlnet.gov/expapi/verbs/passed",
            Verb::Failed => "http://adlnet.gov/expapi/verbs/failed",
            Verb::Attended => "http://adlnet.gov/expapi/verbs/attended",
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Verb::Completed => "completed",
            Verb::Attempted => "attempted",
            Verb::Passed => "passed",
            Verb::Failed => "failed",
            Verb::Attended => "attended",
        }
    }
}

/// Activity types (ADL vocabulary; organisations from Activity Streams).
pub mod activity_type {
    pub const COURSE: &str = "http://adlnet.gov/expapi/activities/course";
    pub const MODULE: &str = "http://adlnet.gov/expapi/activities/module";
    pub const ASSESSMENT: &str = "http://adlnet.gov/expapi/activities/assessment";
    pub const MEETING: &str = "http://adlnet.gov/expapi/activities/meeting";
    pub const ORGANIZATION: &str = "http://activitystrea.ms/schema/1.0/organization";
}

/// Who learned, and where they work.
#[derive(Debug, Clone, Default)]
pub struct Learner {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub locale: String,
    pub sme: Option<(i64, String)>,
    pub partner: Option<(i64, String)>,
}

/// An activity: its IRI, type and names by language.
#[derive(Debug, Clone)]
pub struct Activity {
    pub id: String,
    pub kind: &'static str,
    pub names: BTreeMap<String, String>,
}

impl Activity {
    fn json(&self) -> Value {
        let mut definition = Map::new();
        definition.insert("type".into(), json!(self.kind));
        if !self.names.is_empty() {
            definition.insert("name".into(), json!(self.names));
        }
        json!({"objectType": "Activity", "id": self.id, "definition": definition})
    }
}

/// What a statement says beyond who and what.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// 0 to 100.
    pub score: Option<i64>,
    pub success: Option<bool>,
    pub completion: Option<bool>,
    /// ISO 8601 duration (`PT1H`).
    pub duration: Option<String>,
}

/// The platform's side of every statement (carried by the `Mailer`, so every place that can
/// queue mail can queue statements).
pub use crate::mail::XapiProfile as Profile;

/// One statement, ready to queue.
#[derive(Debug, Clone)]
pub struct Statement {
    pub id: uuid::Uuid,
    pub user_id: i64,
    /// `completed https://.../courses/x` (for the operator's view of the outbox).
    pub summary: String,
    pub body: Value,
}

/// The namespace of the statements' UUID v5 (fixed forever: ids must not change).
const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6f1c_2a4e_9d3b_4e8a_b1c7_1a2b_3c4d_5e6f);

/// A statement id that is the same whenever the same thing is said again.
pub fn statement_id(profile: &Profile, key: &str) -> uuid::Uuid {
    uuid::Uuid::new_v5(
        &NAMESPACE,
        format!("{}|{key}", profile.home_page).as_bytes(),
    )
}

/// What a statement says: `learner verb object` at `timestamp` (RFC 3339), under `parent`.
#[derive(Debug, Clone)]
pub struct Said<'a> {
    pub learner: &'a Learner,
    pub verb: Verb,
    pub object: &'a Activity,
    pub parent: Option<&'a Activity>,
    pub outcome: Outcome,
    pub timestamp: String,
}

/// The statement of `said`, its id made from `key` (what happened, to whom).
pub fn build(profile: &Profile, key: &str, said: &Said<'_>) -> Statement {
    let Said {
        learner,
        verb,
        object,
        parent,
        outcome,
        timestamp,
    } = said;
    let (learner, verb, object, parent) = (*learner, *verb, *object, *parent);
    let id = statement_id(profile, key);
    let mut actor = json!({
        "objectType": "Agent",
        "account": {"homePage": profile.home_page, "name": format!("user-{}", learner.user_id)},
    });
    if profile.share_identity {
        // An Agent has one identifier: with the address shared, it is the mbox.
        actor = json!({
            "objectType": "Agent",
            "name": learner.name,
            "mbox": format!("mailto:{}", learner.email),
        });
    }
    let mut context_activities = Map::new();
    if let Some(p) = parent {
        context_activities.insert("parent".into(), json!([p.json()]));
    }
    // The SME and its partner, as organisations on the hub's home page.
    let organisation = |path: &str, (id, name): &(i64, String)| {
        Activity {
            id: format!("{}/{path}/{id}", profile.home_page),
            kind: activity_type::ORGANIZATION,
            names: BTreeMap::from([("und".to_string(), name.clone())]),
        }
        .json()
    };
    let grouping: Vec<Value> = [("smes", &learner.sme), ("partners", &learner.partner)]
        .into_iter()
        .filter_map(|(path, org)| org.as_ref().map(|o| organisation(path, o)))
        .collect();
    if !grouping.is_empty() {
        context_activities.insert("grouping".into(), json!(grouping));
    }
    let mut context = json!({"platform": "IberoBio Academy"});
    if !learner.locale.is_empty() {
        context["language"] = json!(learner.locale);
    }
    if !context_activities.is_empty() {
        context["contextActivities"] = Value::Object(context_activities);
    }
    let mut result = Map::new();
    if let Some(score) = outcome.score {
        result.insert(
            "score".into(),
            json!({"scaled": score as f64 / 100.0, "raw": score, "min": 0, "max": 100}),
        );
    }
    if let Some(s) = outcome.success {
        result.insert("success".into(), json!(s));
    }
    if let Some(c) = outcome.completion {
        result.insert("completion".into(), json!(c));
    }
    if let Some(d) = &outcome.duration {
        result.insert("duration".into(), json!(d));
    }
    let mut body = json!({
        "id": id.to_string(),
        "actor": actor,
        "verb": {"id": verb.iri(), "display": {"en-US": verb.word()}},
        "object": object.json(),
        "context": context,
        "timestamp": timestamp,
        "version": "1.0.3",
    });
    if !result.is_empty() {
        body["result"] = Value::Object(result);
    }
    Statement {
        id,
        user_id: learner.user_id,
        summary: format!("{} {}", verb.word(), object.id),
        body,
    }
}

/// `PT1H30M` for 5400 seconds.
pub fn iso_duration(seconds: i64) -> String {
    let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    let mut out = String::from("PT");
    if h > 0 {
        out.push_str(&format!("{h}H"));
    }
    if m > 0 {
        out.push_str(&format!("{m}M"));
    }
    if s > 0 || (h == 0 && m == 0) {
        out.push_str(&format!("{s}S"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(share: bool) -> Profile {
        Profile {
            home_page: "https://academy.example".into(),
            share_identity: share,
        }
    }

    fn learner() -> Learner {
        Learner {
            user_id: 7,
            name: "Uxía Pereira".into(),
            email: "uxia@xenogen.example".into(),
            locale: "gl".into(),
            sme: Some((3, "Xenogen Diagnostics SL".into())),
            partner: Some((1, "BioGalicia Cluster".into())),
        }
    }

    fn course() -> Activity {
        Activity {
            id: "https://academy.example/courses/eu-grants".into(),
            kind: activity_type::COURSE,
            names: BTreeMap::from([
                ("en".into(), "EU grants".into()),
                ("es".into(), "Subvenciones europeas".into()),
            ]),
        }
    }

    #[test]
    fn a_statement_names_the_learner_by_account_only_unless_configured() {
        let (who, what) = (learner(), course());
        let s = build(
            &profile(false),
            "course-completed|7|2",
            &Said {
                learner: &who,
                verb: Verb::Completed,
                object: &what,
                parent: None,
                outcome: Outcome {
                    score: Some(85),
                    success: Some(true),
                    completion: Some(true),
                    duration: None,
                },
                timestamp: "2026-12-06T10:00:00Z".into(),
            },
        );
        let b = &s.body;
        assert_eq!(b["actor"]["account"]["name"], "user-7");
        assert_eq!(b["actor"]["account"]["homePage"], "https://academy.example");
        let text = b.to_string();
        assert!(!text.contains("uxia@"), "{text}");
        assert!(!text.contains("Uxía"), "{text}");
        assert_eq!(b["verb"]["id"], "http://adlnet.gov/expapi/verbs/completed");
        assert_eq!(
            b["object"]["definition"]["name"]["es"],
            "Subvenciones europeas"
        );
        assert_eq!(b["result"]["score"]["scaled"], 0.85);
        assert_eq!(b["context"]["language"], "gl");
        let grouping = b["context"]["contextActivities"]["grouping"]
            .as_array()
            .unwrap();
        assert_eq!(grouping[0]["id"], "https://academy.example/smes/3");
        assert_eq!(grouping[1]["id"], "https://academy.example/partners/1");
        assert_eq!(b["id"], s.id.to_string());

        let shared = build(
            &profile(true),
            "course-completed|7|2",
            &Said {
                learner: &who,
                verb: Verb::Completed,
                object: &what,
                parent: None,
                outcome: Outcome::default(),
                timestamp: "2026-12-06T10:00:00Z".into(),
            },
        );
        assert_eq!(shared.body["actor"]["mbox"], "mailto:uxia@xenogen.example");
        assert!(shared.body.get("result").is_none());
    }

    #[test]
    fn the_same_event_always_has_the_same_id() {
        let p = profile(false);
        assert_eq!(statement_id(&p, "a|1"), statement_id(&p, "a|1"));
        assert_ne!(statement_id(&p, "a|1"), statement_id(&p, "a|2"));
        let elsewhere = Profile {
            home_page: "https://other.example".into(),
            share_identity: false,
        };
        assert_ne!(statement_id(&p, "a|1"), statement_id(&elsewhere, "a|1"));
        assert_eq!(statement_id(&p, "a|1").get_version_num(), 5);
    }

    #[test]
    fn durations() {
        assert_eq!(iso_duration(3600), "PT1H");
        assert_eq!(iso_duration(5400), "PT1H30M");
        assert_eq!(iso_duration(45 * 60), "PT45M");
        assert_eq!(iso_duration(0), "PT0S");
    }
}

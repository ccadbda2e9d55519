//! The authorization matrix, kept in the suite.
//!
//! Every route of the served OpenAPI document is called as each of nine identities, and each
//! answer is checked twice: its status is the one docs/API.md (and the code) give that caller,
//! and its body shows nothing the caller may not see. Every identity owns objects with
//! distinctive strings ([`Marker`]s: names, notes, rooms, answers, certificate codes); a marker
//! is listed with the identities that may ever see it, and any body of any other identity
//! that contains it is a leak (a cell may allow a few more, e.g. the public verify page shows
//! a certificate's holder to anyone). Listing routes must also show the caller's own objects.
//!
//! One cell (route × identity) is one or more probes: the allowed request on the caller's own
//! object, and where it matters the same request on someone else's, which must be refused.
//! State-changing cells act on objects made for them beforehand, so no cell spoils another.
//! A route added to the document without a row in [`cells`] fails the test; failures are
//! collected and reported together.

use std::collections::HashMap;
use std::time::Instant;

use academy::auth::Role;
use academy::orgs::{self, NewSme};
use rocket::http::{ContentType, Method};
use serde_json::{json, Value};

use crate::common::{documented_routes, multipart, Resp, TestApp, TestUser, PASSWORD};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Who {
    Anonymous,
    /// A learner of SME A1 (partner A).
    Learner,
    /// A learner of SME A2: the same partner, another SME.
    Colleague,
    /// A learner of SME B (partner B).
    ForeignLearner,
    Advisor,
    OtherAdvisor,
    /// The coordinator of partner A.
    Coordinator,
    /// The coordinator of partner B.
    ForeignCoordinator,
    Admin,
}

use Who::*;

const EVERYONE: [Who; 9] = [
    Anonymous,
    Learner,
    Colleague,
    ForeignLearner,
    Advisor,
    OtherAdvisor,
    Coordinator,
    ForeignCoordinator,
    Admin,
];
const USERS: &[Who] = &[
    Learner,
    Colleague,
    ForeignLearner,
    Advisor,
    OtherAdvisor,
    Coordinator,
    ForeignCoordinator,
    Admin,
];
const LEARNERS: &[Who] = &[Learner, Colleague, ForeignLearner];
const ADVISORS: &[Who] = &[Advisor, OtherAdvisor];
const STAFF: &[Who] = &[Coordinator, ForeignCoordinator, Admin];
const FEED_OWNERS: &[Who] = &[Learner, Colleague, ForeignLearner, Advisor, OtherAdvisor];

// Distinctive strings. Names are checked by their unusual surname (ZIP entry names keep it).
const L_NAME: &str = "Ownlearner";
const C_NAME: &str = "Colegaseg";
const F_NAME: &str = "Foreignova";
const AD_NAME: &str = "Advisora";
const OA_NAME: &str = "Otheradvisor";
const CO_NAME: &str = "Coordalfa";
const FC_NAME: &str = "Coordbravo";
const ADMIN_NAME: &str = "Adminova";
const SME_A1: &str = "Alfaone";
const SME_A2: &str = "Alfatwo";
const SME_B: &str = "Bravoteca";
const PARTNER_A: &str = "Alfapartner";
const PARTNER_B: &str = "Bravopartner";
const REGION_A1: &str = "Rioalfauno";
const REGION_A2: &str = "Rioalfados";
const REGION_B: &str = "Riobravo";
const NOTE_L: &str = "NOTE-ALBA";
const NOTE_C: &str = "NOTE-CARMEN";
const NOTE_F: &str = "NOTE-ZUZANNA";
const ROOM_L: &str = "ADVISOR-ONE-ROOM-ALBA";
const ROOM_C: &str = "OTHER-ADVISOR-ROOM-CARMEN";
const ROOM_F: &str = "OTHER-ADVISOR-ROOM-ZUZANNA";
/// The advisors' private outcome notes: never shown to learners, not even the booking's own.
const OUTCOME_L: &str = "PRIVATE-OUTCOME-ALBA";
const OUTCOME_F: &str = "PRIVATE-OUTCOME-ZUZANNA";
const REASON_L: &str = "REASON-ALBA";
const REASON_F: &str = "REASON-FOR-ZUZANNA";
const ANSWER_L: &str = "ANSWER-ALBA";
const ANSWER_C: &str = "ANSWER-CARMEN";
const ANSWER_F: &str = "ANSWER-ZUZANNA";
/// Learners made to be disabled, removed, moved (partner A's, partner B's).
const VICTIM_A: &str = "Alfavictim";
const VICTIM_B: &str = "Bravovictim";
/// SMEs created by the matrix.
const NEW_SME_A: &str = "Alfanew";
const NEW_SME_B: &str = "Bravonew";
/// Sent by refused requests that try to change someone else's object: nobody may see it.
const OVERWRITE: &str = "OVERWRITTEN-BY";

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n";
const HOUR: i64 = 3600;
const NEW_PASSWORD: &str = "a long enough password";

/// A distinctive string and the identities that may ever see it.
struct Marker {
    text: String,
    seen_by: &'static [Who],
}

fn label(who: Who) -> &'static str {
    match who {
        Anonymous => "anonymous",
        Learner => "learner (SME A1)",
        Colleague => "colleague (SME A2)",
        ForeignLearner => "learner of partner B",
        Advisor => "advisor",
        OtherAdvisor => "other advisor",
        Coordinator => "coordinator A",
        ForeignCoordinator => "coordinator B",
        Admin => "admin",
    }
}

/// Everything the table needs, made before the first cell.
struct Setup {
    users: HashMap<Who, TestUser>,
    /// A session of each user's own, closed by the logout cell.
    logout_token: HashMap<Who, String>,
    /// A refresh token of each identity (the anonymous caller holds one of the learner's).
    refresh_token: HashMap<Who, String>,
    partner_a: i64,
    partner_b: i64,
    sme_a1: i64,
    sme_a2: i64,
    sme_b: i64,
    markers: Vec<Marker>,
    /// Per learner: an open quiz-lab attempt with a saved text answer (read and saved)...
    attempt: HashMap<Who, i64>,
    /// ...and an open biotech-basics attempt (submitted by its learner's cell).
    attempt_to_submit: HashMap<Who, i64>,
    /// Per learner: a booking with their note, in a room named after them.
    booking: HashMap<Who, i64>,
    /// The slots of those bookings.
    booking_slot: HashMap<Who, i64>,
    /// Per learner their own booking to cancel; per advisor a booking on their slot to cancel.
    booking_to_cancel: HashMap<Who, i64>,
    /// Per learner their own booking to move, per advisor one on their slot, and for each the
    /// open slot of the same advisor to move it to.
    booking_to_move: HashMap<Who, (i64, i64)>,
    /// Sessions that are over, with private outcome notes: the learner's (advisor's slot) and
    /// the foreign learner's (other advisor's slot).
    past_l: i64,
    past_f: i64,
    /// The learner's waitlist entry (for the advisor, at a time no slot fits).
    wait_l: i64,
    /// Days off of the advisor, far ahead.
    time_off_ad: i64,
    /// Per learner an open slot to book (the learner's on the advisor's, the others' on the
    /// other advisor's slots).
    slot_to_book: HashMap<Who, i64>,
    /// An open slot of the advisor nobody may book or withdraw.
    slot_untouchable: i64,
    /// Per advisor an open slot of their own to withdraw.
    slot_to_delete: HashMap<Who, i64>,
    /// Per learner: their certificate of short-course.
    code: HashMap<Who, String>,
    /// The learner's certificate as an Open Badges VC-JWT.
    credential: String,
    /// A material of biotech-basics (every learner is enrolled).
    material: i64,
    /// Per staff identity: a material it may delete.
    material_to_delete: HashMap<Who, i64>,
    /// Materials that must survive: uploaded by coordinator A, coordinator B, an admin.
    material_keep: HashMap<Who, i64>,
    /// Learners to disable, enable, remove or move: `(route tag, acting identity)`.
    victim: HashMap<(&'static str, Who), i64>,
    /// Learners nobody of the matrix may manage: one of partner A's, one of partner B's.
    victim_a: i64,
    victim_b: i64,
}

impl Setup {
    fn token(&self, who: Who) -> Option<String> {
        self.users.get(&who).map(|u| u.token.clone())
    }

    fn id(&self, who: Who) -> i64 {
        self.users[&who].id
    }
}

enum Body {
    None,
    Json(Value),
    Raw(ContentType, Vec<u8>),
}

/// One request of a cell and what its answer must be.
struct Probe {
    /// What this probe tries, when it is not the plain call (e.g. "another partner's SME").
    what: &'static str,
    method: Method,
    path: String,
    token: Option<String>,
    body: Body,
    expect: &'static [u16],
    /// Strings a successful answer must show (the caller's own objects).
    present: Vec<String>,
    /// Strings the answer must not show although the caller may see them elsewhere.
    absent: Vec<String>,
    /// Markers this answer may show beyond what the caller may see anywhere.
    allow: Vec<String>,
}

impl Probe {
    fn json(mut self, v: Value) -> Self {
        self.body = Body::Json(v);
        self
    }
    fn raw(mut self, (ct, bytes): (ContentType, Vec<u8>)) -> Self {
        self.body = Body::Raw(ct, bytes);
        self
    }
    fn expect(mut self, e: &'static [u16]) -> Self {
        self.expect = e;
        self
    }
    fn what(mut self, what: &'static str) -> Self {
        self.what = what;
        self
    }
    fn token(mut self, t: Option<String>) -> Self {
        self.token = t;
        self
    }
    fn present<S: AsRef<str>>(mut self, items: &[S]) -> Self {
        self.present
            .extend(items.iter().map(|s| s.as_ref().to_string()));
        self
    }
    fn absent(mut self, items: &[&str]) -> Self {
        self.absent.extend(items.iter().map(|s| s.to_string()));
        self
    }
    fn allow<S: AsRef<str>>(mut self, items: &[S]) -> Self {
        self.allow
            .extend(items.iter().map(|s| s.as_ref().to_string()));
        self
    }
}

/// 401 for the anonymous caller, `ok` for `allowed`, 403 (role not allowed) for the others.
fn by_role(who: Who, allowed: &[Who], ok: &'static [u16]) -> &'static [u16] {
    if who == Anonymous {
        &[401]
    } else if allowed.contains(&who) {
        ok
    } else {
        &[403]
    }
}

fn at(hours: i64) -> String {
    academy::clock::rfc3339((academy::clock::now() / HOUR + hours) * HOUR)
}

fn slot_body(hours: i64, location: &str) -> Value {
    let mode = if location.starts_with("https://") {
        "online"
    } else {
        "in_person"
    };
    json!({
        "starts_at": at(hours),
        "ends_at": at(hours + 1),
        "topic": "finance",
        "mode": mode,
        "location": location,
    })
}

fn id_of(r: &Resp) -> i64 {
    r.body["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no id in {}", r.text))
}

async fn new_slot(app: &TestApp, advisor: &TestUser, hours: i64, location: &str) -> i64 {
    id_of(
        &app.post("/api/slots", &advisor.token, slot_body(hours, location))
            .await
            .expect(201),
    )
}

async fn book(app: &TestApp, learner: &TestUser, slot: i64, note: &str) -> i64 {
    id_of(
        &app.post(
            &format!("/api/slots/{slot}/booking"),
            &learner.token,
            json!({ "note": note }),
        )
        .await
        .expect(201),
    )
}

fn upload_body(title: &str) -> (ContentType, Vec<u8>) {
    multipart(&[
        ("file", Some("slides.pdf"), "application/pdf", PDF),
        ("title", None, "text/plain", title.as_bytes()),
    ])
}

async fn upload(app: &TestApp, who: &TestUser, title: &str) -> i64 {
    let (ct, body) = upload_body(title);
    id_of(
        &app.raw(
            Method::Post,
            "/api/courses/biotech-basics/materials",
            Some(&who.token),
            ct,
            &body,
        )
        .await
        .expect(201),
    )
}

async fn sme_in(app: &TestApp, name: &str, partner_id: i64, country: &str, region: &str) -> i64 {
    orgs::insert_sme(
        app.pool(),
        &NewSme {
            name,
            country,
            region,
            sector: "Diagnostics",
            partner_id,
        },
    )
    .await
    .expect("sme")
    .id
}

async fn move_slot_to_the_past(app: &TestApp, slot: i64) {
    let ended = academy::clock::now() - 48 * HOUR;
    sqlx::query("UPDATE slots SET starts_at = $1, ends_at = $2 WHERE id = $3")
        .bind(ended)
        .bind(ended + HOUR)
        .bind(slot)
        .execute(app.pool())
        .await
        .expect("move the slot into the past");
}

fn markers(codes: &HashMap<Who, String>) -> Vec<Marker> {
    let m = |text: &str, seen_by: &'static [Who]| Marker {
        text: text.to_string(),
        seen_by,
    };
    // Who may see a learner's things: the learner, the advisor of their sessions, their
    // partner's coordinator, admins.
    const OF_L: &[Who] = &[Learner, Advisor, Coordinator, Admin];
    const OF_C: &[Who] = &[Colleague, OtherAdvisor, Coordinator, Admin];
    const OF_F: &[Who] = &[ForeignLearner, OtherAdvisor, ForeignCoordinator, Admin];
    vec![
        m(L_NAME, OF_L),
        m(C_NAME, OF_C),
        m(F_NAME, OF_F),
        // Open slots carry their advisor's name.
        m(AD_NAME, USERS),
        m(OA_NAME, USERS),
        m(CO_NAME, &[Coordinator, Admin]),
        m(FC_NAME, &[ForeignCoordinator, Admin]),
        m(ADMIN_NAME, &[Admin]),
        m(SME_A1, OF_L),
        m(SME_A2, OF_C),
        m(SME_B, OF_F),
        // Certificates name their issuer.
        m(PARTNER_A, &[Learner, Colleague, Coordinator, Admin]),
        m(PARTNER_B, &[ForeignLearner, ForeignCoordinator, Admin]),
        m(REGION_A1, &[Coordinator, Admin]),
        m(REGION_A2, &[Coordinator, Admin]),
        m(REGION_B, &[ForeignCoordinator, Admin]),
        m(NOTE_L, OF_L),
        m(NOTE_C, OF_C),
        m(NOTE_F, OF_F),
        m(ROOM_L, OF_L),
        m(ROOM_C, OF_C),
        m(ROOM_F, OF_F),
        m(OUTCOME_L, &[Advisor, Coordinator, Admin]),
        m(OUTCOME_F, &[OtherAdvisor, ForeignCoordinator, Admin]),
        m(REASON_L, OF_L),
        m(REASON_F, OF_F),
        m(ANSWER_L, &[Learner]),
        m(ANSWER_C, &[Colleague]),
        m(ANSWER_F, &[ForeignLearner]),
        m(VICTIM_A, &[Coordinator, Admin]),
        m(VICTIM_B, &[ForeignCoordinator, Admin]),
        m(NEW_SME_A, &[Coordinator, Admin]),
        m(NEW_SME_B, &[ForeignCoordinator, Admin]),
        m(OVERWRITE, &[]),
        m(&codes[&Learner], &[Learner, Coordinator, Admin]),
        m(&codes[&Colleague], &[Colleague, Coordinator, Admin]),
        m(
            &codes[&ForeignLearner],
            &[ForeignLearner, ForeignCoordinator, Admin],
        ),
    ]
}

/// Who, email, name, role, SME, partner.
type Person<'a> = (Who, &'a str, &'a str, Role, Option<i64>, Option<i64>);

async fn setup(app: &TestApp) -> Setup {
    let partner_a = app.partner("Hub Alfapartner", "ES").await;
    let partner_b = app.partner("Foreign Bravopartner", "PT").await;
    let sme_a1 = sme_in(app, "Alfaone Biotech SL", partner_a, "ES", REGION_A1).await;
    let sme_a2 = sme_in(app, "Alfatwo Labs SL", partner_a, "ES", REGION_A2).await;
    let sme_b = sme_in(app, "Foreign SME Bravoteca Lda", partner_b, "PT", REGION_B).await;

    let mut users = HashMap::new();
    let people: [Person; 8] = [
        (
            Learner,
            "alba@l1.example",
            "Alba Ownlearner",
            Role::Learner,
            Some(sme_a1),
            Some(partner_a),
        ),
        (
            Colleague,
            "carmen@l2.example",
            "Carmen Colegaseg",
            Role::Learner,
            Some(sme_a2),
            Some(partner_a),
        ),
        (
            ForeignLearner,
            "zuzanna.lisbon@l3.example",
            "Zuzanna Foreignova",
            Role::Learner,
            Some(sme_b),
            Some(partner_b),
        ),
        (
            Advisor,
            "adela@adv.example",
            "Adela Advisora",
            Role::Advisor,
            None,
            None,
        ),
        (
            OtherAdvisor,
            "otto.lisbon@adv.example",
            "Otto Otheradvisor",
            Role::Advisor,
            None,
            None,
        ),
        (
            Coordinator,
            "coralie@coord.example",
            "Coralie Coordalfa",
            Role::Coordinator,
            None,
            Some(partner_a),
        ),
        (
            ForeignCoordinator,
            "boris@coord.example",
            "Boris Coordbravo",
            Role::Coordinator,
            None,
            Some(partner_b),
        ),
        (
            Admin,
            "ada@hub.example",
            "Ada Adminova",
            Role::Admin,
            None,
            None,
        ),
    ];
    for (who, email, name, role, sme, partner) in people {
        users.insert(who, app.user(email, name, role, sme, partner).await);
    }
    let u = |w: Who| &users[&w];

    let mut logout_token = HashMap::new();
    let mut refresh_token = HashMap::new();
    for who in USERS {
        logout_token.insert(*who, app.session_for(u(*who).id).await.0);
        refresh_token.insert(*who, app.session_for(u(*who).id).await.1);
    }
    refresh_token.insert(Anonymous, app.session_for(u(Learner).id).await.1);

    // Courses: every learner is enrolled in three courses, holds a certificate of
    // short-course, an open quiz-lab attempt with a saved answer, and an open biotech-basics
    // attempt.
    let mut code = HashMap::new();
    let mut attempt = HashMap::new();
    let mut attempt_to_submit = HashMap::new();
    for (who, answer) in [
        (Learner, ANSWER_L),
        (Colleague, ANSWER_C),
        (ForeignLearner, ANSWER_F),
    ] {
        let t = &u(who).token;
        for course in ["quiz-lab", "biotech-basics", "short-course"] {
            app.post(&format!("/api/courses/{course}/enrolment"), t, json!({}))
                .await
                .expect(201);
        }
        app.post(
            "/api/courses/short-course/modules/intro/completion",
            t,
            json!({}),
        )
        .await
        .expect(204);
        let p = app
            .get("/api/courses/short-course/progress", t)
            .await
            .expect(200);
        let c = p.body["certificate_code"]
            .as_str()
            .unwrap_or_else(|| panic!("no certificate in {}", p.text));
        code.insert(who, c.to_string());
        let a = id_of(
            &app.post("/api/courses/quiz-lab/quiz/attempts", t, json!({}))
                .await
                .expect(201),
        );
        app.put(
            &format!("/api/quiz-attempts/{a}/answers"),
            t,
            json!({"answers": {"q-text": answer}}),
        )
        .await
        .expect(200);
        attempt.insert(who, a);
        let b = id_of(
            &app.post("/api/courses/biotech-basics/quiz/attempts", t, json!({}))
                .await
                .expect(201),
        );
        attempt_to_submit.insert(who, b);
    }

    let credential = app
        .get(
            &format!("/api/certificates/{}/credential", code[&Learner]),
            &u(Learner).token,
        )
        .await
        .expect(200)
        .text;

    // Advice. The learner's sessions are with the advisor, the colleague's and the foreign
    // learner's with the other advisor; hours keep every advisor's and learner's apart.
    let ad = u(Advisor);
    let oa = u(OtherAdvisor);
    let (l, c, f) = (u(Learner), u(Colleague), u(ForeignLearner));
    let room = |r: &str| format!("{r}, Calle Mayor 1");
    // A cancelled booking opens its slot again, and an open slot's place is shown to every
    // user: slots whose bookings are cancelled (here or by the matrix) carry no marker.
    let open_room = |h: i64| format!("https://meet.example/reopened-{h}");
    let mut booking = HashMap::new();
    let mut booking_slot = HashMap::new();
    for (who, advisor, hours, r, note) in [
        (Learner, ad, 30, ROOM_L, NOTE_L),
        (Colleague, oa, 30, ROOM_C, NOTE_C),
        (ForeignLearner, oa, 32, ROOM_F, NOTE_F),
    ] {
        let slot = new_slot(app, advisor, hours, &room(r)).await;
        booking.insert(who, book(app, u(who), slot, note).await);
        booking_slot.insert(who, slot);
    }
    let mut booking_to_cancel = HashMap::new();
    booking_to_cancel.insert(
        Learner,
        book(app, l, new_slot(app, ad, 50, &open_room(50)).await, NOTE_L).await,
    );
    booking_to_cancel.insert(
        Colleague,
        book(app, c, new_slot(app, oa, 52, &open_room(52)).await, NOTE_C).await,
    );
    booking_to_cancel.insert(
        ForeignLearner,
        book(app, f, new_slot(app, oa, 54, &open_room(54)).await, NOTE_F).await,
    );
    booking_to_cancel.insert(
        Advisor,
        book(app, l, new_slot(app, ad, 56, &open_room(56)).await, NOTE_L).await,
    );
    booking_to_cancel.insert(
        OtherAdvisor,
        book(app, c, new_slot(app, oa, 58, &open_room(58)).await, NOTE_C).await,
    );
    let mut booking_to_move = HashMap::new();
    for (who, (learner, note), advisor, hours) in [
        (Learner, (l, NOTE_L), ad, 80),
        (Colleague, (c, NOTE_C), oa, 84),
        (ForeignLearner, (f, NOTE_F), oa, 88),
        (Advisor, (l, NOTE_L), ad, 92),
        (OtherAdvisor, (c, NOTE_C), oa, 96),
    ] {
        let from = new_slot(app, advisor, hours, &open_room(hours)).await;
        let to = new_slot(app, advisor, hours + 2, &open_room(hours + 2)).await;
        booking_to_move.insert(who, (book(app, learner, from, note).await, to));
    }
    let past_slot_l = new_slot(app, ad, 60, &room(ROOM_L)).await;
    let past_l = book(app, l, past_slot_l, NOTE_L).await;
    let time_off_ad = app
        .post(
            "/api/me/time-off",
            &ad.token,
            json!({"first_day": "2030-02-04", "last_day": "2030-02-05", "reason": "away"}),
        )
        .await
        .expect(201)
        .body["time_off"]["id"]
        .as_i64()
        .expect("time off id");
    let wait_l = app
        .post(
            "/api/me/waitlist",
            &l.token,
            json!({"advisor_id": ad.id, "weekdays": [7], "from": "03:00", "to": "03:15"}),
        )
        .await
        .expect(201)
        .body["id"]
        .as_i64()
        .expect("waitlist entry id");
    let past_slot_f = new_slot(app, oa, 62, &room(ROOM_F)).await;
    let past_f = book(app, f, past_slot_f, NOTE_F).await;
    move_slot_to_the_past(app, past_slot_l).await;
    move_slot_to_the_past(app, past_slot_f).await;
    for (advisor, booking, notes) in [(ad, past_l, OUTCOME_L), (oa, past_f, OUTCOME_F)] {
        app.put(
            &format!("/api/bookings/{booking}/outcome"),
            &advisor.token,
            json!({"attended": true, "notes": notes}),
        )
        .await
        .expect(200);
    }
    // Cancellations that leave notifications: the advisor is told the learner's reason, the
    // foreign learner the other advisor's.
    let cancelled = book(app, l, new_slot(app, ad, 64, &open_room(64)).await, NOTE_L).await;
    app.post(
        &format!("/api/bookings/{cancelled}/cancellation"),
        &l.token,
        json!({ "reason": REASON_L }),
    )
    .await
    .expect(200);
    let cancelled = book(app, f, new_slot(app, oa, 66, &open_room(66)).await, NOTE_F).await;
    app.post(
        &format!("/api/bookings/{cancelled}/cancellation"),
        &oa.token,
        json!({ "reason": REASON_F }),
    )
    .await
    .expect(200);
    let mut slot_to_book = HashMap::new();
    slot_to_book.insert(
        Learner,
        new_slot(app, ad, 70, "https://meet.example/open-1").await,
    );
    slot_to_book.insert(
        Colleague,
        new_slot(app, oa, 72, "https://meet.example/open-2").await,
    );
    slot_to_book.insert(
        ForeignLearner,
        new_slot(app, oa, 74, "https://meet.example/open-3").await,
    );
    let slot_untouchable = new_slot(app, ad, 76, "https://meet.example/open-4").await;
    let mut slot_to_delete = HashMap::new();
    slot_to_delete.insert(
        Advisor,
        new_slot(app, ad, 78, "https://meet.example/open-5").await,
    );
    slot_to_delete.insert(
        OtherAdvisor,
        new_slot(app, oa, 78, "https://meet.example/open-6").await,
    );

    // Materials of biotech-basics.
    let material = upload(app, u(Admin), "Slides").await;
    let mut material_to_delete = HashMap::new();
    let mut material_keep = HashMap::new();
    for who in STAFF {
        material_to_delete.insert(*who, upload(app, u(*who), "To delete").await);
        material_keep.insert(*who, upload(app, u(*who), "To keep").await);
    }

    // Learners to manage: per route, one for each identity allowed to act (coordinator A's in
    // the other SME of their partner), and one of each partner nobody acts on.
    let mut victim = HashMap::new();
    let mut n = 0;
    for tag in ["deactivate", "reactivate", "remove", "move"] {
        for who in [Coordinator, ForeignCoordinator, Admin] {
            n += 1;
            let (sme, partner, name) = match who {
                Coordinator => (sme_a2, partner_a, VICTIM_A),
                ForeignCoordinator => (sme_b, partner_b, VICTIM_B),
                _ => (sme_a1, partner_a, VICTIM_A),
            };
            let v = app
                .user(
                    &format!("victim{n}@victims.example"),
                    &format!("Vic {name} {n}"),
                    Role::Learner,
                    Some(sme),
                    Some(partner),
                )
                .await;
            if tag == "reactivate" {
                app.post(
                    &format!("/api/users/{}/deactivation", v.id),
                    &u(Admin).token,
                    json!({}),
                )
                .await
                .expect(200);
            }
            victim.insert((tag, who), v.id);
        }
    }
    let victim_a = app
        .user(
            "vera@victims.example",
            "Vera Alfavictim",
            Role::Learner,
            Some(sme_a1),
            Some(partner_a),
        )
        .await
        .id;
    let victim_b = app
        .user(
            "vasco@victims.example",
            "Vasco Bravovictim",
            Role::Learner,
            Some(sme_b),
            Some(partner_b),
        )
        .await
        .id;

    Setup {
        markers: markers(&code),
        users,
        logout_token,
        refresh_token,
        partner_a,
        partner_b,
        sme_a1,
        sme_a2,
        sme_b,
        attempt,
        attempt_to_submit,
        booking,
        booking_slot,
        booking_to_cancel,
        booking_to_move,
        past_l,
        past_f,
        wait_l,
        time_off_ad,
        slot_to_book,
        slot_untouchable,
        slot_to_delete,
        code,
        credential,
        material,
        material_to_delete,
        material_keep,
        victim,
        victim_a,
        victim_b,
    }
}

/// The matrix: the probes of route `key` as `who`. `None`: the route has no row.
fn cells(key: &str, who: Who, s: &Setup) -> Option<Vec<Probe>> {
    use Method::{Delete, Get, Patch, Post, Put};
    let p = |method: Method, path: String| Probe {
        what: "",
        method,
        path,
        token: s.token(who),
        body: Body::None,
        expect: &[],
        present: Vec::new(),
        absent: Vec::new(),
        allow: Vec::new(),
    };
    let denied = |method: Method, path: String| p(method, path).expect(by_role(who, &[], &[]));
    let name_of = |w: Who| -> &'static str {
        match w {
            Learner => L_NAME,
            Colleague => C_NAME,
            ForeignLearner => F_NAME,
            Advisor => AD_NAME,
            OtherAdvisor => OA_NAME,
            Coordinator => CO_NAME,
            ForeignCoordinator => FC_NAME,
            Admin => ADMIN_NAME,
            Anonymous => L_NAME,
        }
    };
    let code = |w: Who| s.code[&w].clone();
    let all_names = [
        L_NAME, C_NAME, F_NAME, AD_NAME, OA_NAME, CO_NAME, FC_NAME, ADMIN_NAME,
    ];
    let learner_target = |w: Who| match w {
        Learner => Colleague,
        Colleague => ForeignLearner,
        _ => Learner,
    };
    let one = |probe: Probe| vec![probe];
    Some(match key {
        // Public routes: the same answer for everybody (with or without a token).
        "GET /health"
        | "GET /metrics"
        | "GET /api/openapi.json"
        | "GET /api/languages"
        | "GET /api/topics"
        | "GET /verify/verify.css" => {
            let path = key
                .split_once(' ')
                .map(|(_, p)| p.to_string())
                .unwrap_or_default();
            one(p(Get, path).expect(&[200]))
        }
        "GET /api/credentials/badge.png" => {
            one(p(Get, "/api/credentials/badge.png".into()).expect(&[200]))
        }
        // Status lists say which certificates are revoked, by number: nobody's name.
        "GET /api/credentials/status/{list}" => {
            one(p(Get, "/api/credentials/status/0".into()).expect(&[200]))
        }
        // Checking a credential shows what the verify page shows, to anyone who holds it.
        "POST /api/verify" => one(p(Post, "/api/verify".into())
            .raw((
                ContentType::new("application", "vc+jwt"),
                s.credential.clone().into_bytes(),
            ))
            .expect(&[200])
            .present(&[L_NAME, PARTNER_A])
            .allow(&[L_NAME.to_string(), PARTNER_A.to_string(), code(Learner)])),
        "GET /api/verify/{code}" | "GET /verify/{code}" => {
            let prefix = if key.contains("/api/") { "/api" } else { "" };
            // The public verification shows the holder and the issuer to anyone.
            one(p(Get, format!("{prefix}/verify/{}", code(Learner)))
                .expect(&[200])
                .present(&[L_NAME, PARTNER_A])
                .allow(&[L_NAME.to_string(), PARTNER_A.to_string(), code(Learner)]))
        }
        // The anonymous caller signs in (and refreshes) as the learner.
        "POST /api/auth/login" => {
            let as_who = if who == Anonymous { Learner } else { who };
            one(p(Post, "/api/auth/login".into())
                .json(json!({"email": s.users[&as_who].email, "password": PASSWORD}))
                .expect(&[200])
                .present(&[name_of(as_who)])
                .allow(&[name_of(as_who)]))
        }
        "POST /api/auth/refresh" => one(p(Post, "/api/auth/refresh".into())
            .json(json!({"refresh_token": s.refresh_token[&who]}))
            .expect(&[200])
            .present(&[name_of(who)])
            .allow(&[name_of(who)])),
        "POST /api/auth/logout" => match s.logout_token.get(&who) {
            None => one(denied(Post, "/api/auth/logout".into())),
            Some(t) => vec![
                p(Post, "/api/auth/logout".into())
                    .token(Some(t.clone()))
                    .expect(&[204]),
                p(Get, "/api/me".into())
                    .what("the logged-out session's token")
                    .token(Some(t.clone()))
                    .expect(&[401]),
            ],
        },
        "GET /api/me" => one(p(Get, "/api/me".into())
            .expect(by_role(who, USERS, &[200]))
            .present(&[name_of(who)])),
        "GET /api/me/calendar-feed" | "POST /api/me/calendar-feed" => {
            let method = if key.starts_with("GET") { Get } else { Post };
            one(p(method, "/api/me/calendar-feed".into()).expect(by_role(who, FEED_OWNERS, &[200])))
        }
        "DELETE /api/me/calendar-feed" => {
            one(p(Delete, "/api/me/calendar-feed".into()).expect(by_role(who, FEED_OWNERS, &[204])))
        }
        // The feed's URL is its only credential: a made-up one is nobody's, whoever asks.
        "GET /api/calendar-feeds/{token}" => one(p(
            Get,
            "/api/calendar-feeds/1-1-00000000000000000000000000000000.ics".into(),
        )
        .expect(&[404])),
        "PATCH /api/me" => {
            let own = p(Patch, "/api/me".into())
                .json(json!({"locale": "en"}))
                .expect(by_role(who, USERS, &[200]))
                .present(&[name_of(who)]);
            if who == Anonymous {
                one(own)
            } else {
                // Nobody changes their own role or place through their profile.
                vec![
                    own,
                    p(Patch, "/api/me".into())
                        .what("their own role and partner")
                        .json(json!({"role": "admin", "partner_id": s.partner_b}))
                        .expect(&[422]),
                ]
            }
        }
        // Organisations.
        "GET /api/partners" => one(p(Get, "/api/partners".into())
            .expect(by_role(who, &[Admin], &[200]))
            .present(&[PARTNER_A, PARTNER_B])),
        "POST /api/partners" => one(p(Post, "/api/partners".into())
            .json(json!({"name": "Adminnew Partner", "country": "ES", "region": "Galicia"}))
            .expect(by_role(who, &[Admin], &[201]))),
        "GET /api/smes" => one(p(Get, "/api/smes".into())
            .expect(by_role(who, STAFF, &[200]))
            .present(match who {
                Coordinator => &[SME_A1, SME_A2, PARTNER_A][..],
                ForeignCoordinator => &[SME_B, PARTNER_B],
                _ => &[SME_A1, SME_A2, SME_B],
            })),
        "POST /api/smes" => {
            let body = |name: &str, partner: Option<i64>, region: &str| {
                json!({"name": name, "country": "ES", "region": region,
                       "sector": "Diagnostics", "partner_id": partner})
            };
            match who {
                Coordinator => vec![
                    p(Post, "/api/smes".into())
                        .json(body("Alfanew SME", None, REGION_A1))
                        .expect(&[201]),
                    p(Post, "/api/smes".into())
                        .what("for another partner")
                        .json(body("Alfanew SME 2", Some(s.partner_b), REGION_A1))
                        .expect(&[404]),
                ],
                ForeignCoordinator => vec![
                    p(Post, "/api/smes".into())
                        .json(body("Bravonew SME", None, REGION_B))
                        .expect(&[201]),
                    p(Post, "/api/smes".into())
                        .what("for another partner")
                        .json(body("Bravonew SME 2", Some(s.partner_a), REGION_B))
                        .expect(&[404]),
                ],
                Admin => one(p(Post, "/api/smes".into())
                    .json(body("Bravonew by admin", Some(s.partner_b), REGION_B))
                    .expect(&[201])),
                _ => one(denied(Post, "/api/smes".into()).json(body(
                    "Alfanew SME 3",
                    Some(s.partner_a),
                    REGION_A1,
                ))),
            }
        }
        "GET /api/smes/{id}" => {
            let sme = |id: i64| format!("/api/smes/{id}");
            match who {
                Coordinator => vec![
                    p(Get, sme(s.sme_a2)).expect(&[200]).present(&[SME_A2]),
                    p(Get, sme(s.sme_b))
                        .what("another partner's SME")
                        .expect(&[404]),
                ],
                ForeignCoordinator => vec![
                    p(Get, sme(s.sme_b)).expect(&[200]).present(&[SME_B]),
                    p(Get, sme(s.sme_a1))
                        .what("another partner's SME")
                        .expect(&[404]),
                ],
                Admin => one(p(Get, sme(s.sme_b)).expect(&[200]).present(&[SME_B])),
                _ => one(denied(Get, sme(s.sme_a1))),
            }
        }
        "GET /api/smes/{id}/advisory-hours"
        | "PUT /api/smes/{id}/advisory-hours/{period}"
        | "DELETE /api/smes/{id}/advisory-hours/{period}" => {
            let (method, ok): (Method, &'static [u16]) = match key.split(' ').next() {
                Some("GET") => (Get, &[200]),
                Some("PUT") => (Put, &[200]),
                _ => (Delete, &[204]),
            };
            let path = |id: i64| {
                if method == Get {
                    format!("/api/smes/{id}/advisory-hours")
                } else {
                    format!("/api/smes/{id}/advisory-hours/2030-Q1")
                }
            };
            let probe = |id: i64| {
                let probe = p(method, path(id));
                if method == Put {
                    probe.json(json!({"hours": 12}))
                } else {
                    probe
                }
            };
            match who {
                Coordinator => vec![
                    probe(s.sme_a2).expect(ok),
                    probe(s.sme_b).what("another partner's SME").expect(&[404]),
                ],
                ForeignCoordinator => vec![
                    probe(s.sme_b).expect(ok),
                    probe(s.sme_a1).what("another partner's SME").expect(&[404]),
                ],
                Admin => one(probe(s.sme_b).expect(ok)),
                _ => one(probe(s.sme_a1).expect(by_role(who, &[], &[]))),
            }
        }
        // Wishes no slot fits (a quarter of an hour on Sunday night), so no hold spoils a cell.
        "POST /api/me/waitlist" => one(p(Post, "/api/me/waitlist".into())
            .json(json!({"topic": "talent", "weekdays": [7], "from": "03:00", "to": "03:15"}))
            .expect(by_role(who, LEARNERS, &[201]))),
        "GET /api/me/waitlist" => {
            one(p(Get, "/api/me/waitlist".into()).expect(by_role(who, LEARNERS, &[200])))
        }
        "DELETE /api/me/waitlist/{id}" => {
            let path = format!("/api/me/waitlist/{}", s.wait_l);
            match who {
                Learner => one(p(Delete, path).expect(&[204])),
                Colleague | ForeignLearner => one(p(Delete, path)
                    .what("another learner's entry")
                    .expect(&[404])),
                _ => one(denied(Delete, path)),
            }
        }
        // Nobody holds a slot in the matrix's world: learners find no such hold.
        "POST /api/waitlist/holds/{id}/decline" => one(p(
            Post,
            "/api/waitlist/holds/999999/decline".into(),
        )
        .expect(by_role(who, LEARNERS, &[404]))),
        "GET /api/waitlist" => one(p(Get, "/api/waitlist".into()).expect(by_role(
            who,
            &[
                Advisor,
                OtherAdvisor,
                Coordinator,
                ForeignCoordinator,
                Admin,
            ],
            &[200],
        ))),
        "GET /api/me/availability" => {
            one(p(Get, "/api/me/availability".into()).expect(by_role(who, ADVISORS, &[200])))
        }
        // Rules that change nothing for the other cells: no region, no buffer, no cap.
        "PUT /api/me/availability" => one(p(Put, "/api/me/availability".into())
            .json(json!({"holiday_region": null, "buffer_minutes": 0, "daily_cap": null}))
            .expect(by_role(who, ADVISORS, &[200]))),
        "POST /api/me/time-off" => one(p(Post, "/api/me/time-off".into())
            .json(json!({"first_day": "2031-03-03", "last_day": "2031-03-03"}))
            .expect(by_role(who, ADVISORS, &[201]))),
        "DELETE /api/me/time-off/{id}" => {
            let path = format!("/api/me/time-off/{}", s.time_off_ad);
            match who {
                Advisor => one(p(Delete, path).expect(&[204])),
                OtherAdvisor => one(p(Delete, path)
                    .what("another advisor's days off")
                    .expect(&[404])),
                _ => one(denied(Delete, path)),
            }
        }
        "GET /api/me/week" => {
            one(p(Get, "/api/me/week".into()).expect(by_role(who, ADVISORS, &[200])))
        }
        "GET /api/me/advisory-hours" => {
            one(p(Get, "/api/me/advisory-hours".into()).expect(by_role(who, LEARNERS, &[200])))
        }
        // The learner's past session was attended: nothing to waive (409) for those who may.
        "POST /api/bookings/{id}/no-show-waiver" => {
            let path = format!("/api/bookings/{}/no-show-waiver", s.past_l);
            match who {
                Coordinator | Admin => one(p(Post, path).expect(&[409])),
                ForeignCoordinator => one(p(Post, path)
                    .what("another partner's booking")
                    .expect(&[404])),
                _ => one(denied(Post, path)),
            }
        }
        "GET /api/users" => one(p(Get, "/api/users".into())
            .expect(by_role(who, STAFF, &[200]))
            .present(match who {
                Coordinator => &[L_NAME, C_NAME][..],
                ForeignCoordinator => &[F_NAME],
                _ => &all_names,
            })
            // Coordinators list the learners of their SMEs only.
            .absent(match who {
                Coordinator | ForeignCoordinator => &[AD_NAME, OA_NAME, CO_NAME, FC_NAME][..],
                _ => &[],
            })),
        // Mailed links: asking for one answers the same to anyone; a made-up token is refused.
        "POST /api/auth/password-reset" => one(p(Post, "/api/auth/password-reset".into())
            .json(json!({"email": s.users[&Learner].email}))
            .expect(&[202])),
        "POST /api/auth/password-reset/complete" => {
            one(p(Post, "/api/auth/password-reset/complete".into())
                .json(json!({"token": "no-such-token-0123456789", "password": NEW_PASSWORD}))
                .expect(&[422]))
        }
        "POST /api/invitations/accept" => one(p(Post, "/api/invitations/accept".into())
            .json(json!({"token": "no-such-token-0123456789", "password": NEW_PASSWORD}))
            .expect(&[422])),
        "GET /api/mail/unsubscribe" | "POST /api/mail/unsubscribe" => {
            let method = if key.starts_with("GET") { Get } else { Post };
            let user = s.users[&Learner].id;
            one(p(
                method,
                format!("/api/mail/unsubscribe?user={user}&token=00ff"),
            )
            .what("a forged link")
            .expect(&[404]))
        }
        "POST /api/invitations" => {
            let body = |email: &str, role: &str, sme: i64| json!({"email": email, "name": "Ivo Invitedvictim", "role": role, "sme_id": sme});
            let post = || p(Post, "/api/invitations".into());
            match who {
                Coordinator => vec![
                    post()
                        .json(body("ivo@new.example", "learner", s.sme_a2))
                        .expect(&[201]),
                    post()
                        .what("a learner of another partner's SME")
                        .json(body("ivo2@new.example", "learner", s.sme_b))
                        .expect(&[404]),
                    post()
                        .what("an advisor")
                        .json(body("ivo3@new.example", "advisor", s.sme_a2))
                        .expect(&[403]),
                ],
                ForeignCoordinator => vec![
                    post()
                        .json(body("iria@new.example", "learner", s.sme_b))
                        .expect(&[201]),
                    post()
                        .what("a learner of another partner's SME")
                        .json(body("iria2@new.example", "learner", s.sme_a1))
                        .expect(&[404]),
                ],
                Admin => one(post()
                    .json(body("ines.new@new.example", "learner", s.sme_a1))
                    .expect(&[201])),
                _ => one(denied(Post, "/api/invitations".into()).json(body(
                    "nope.invite@new.example",
                    "learner",
                    s.sme_a1,
                ))),
            }
        }
        "POST /api/smes/{id}/invitations/import" => {
            let csv = |email: &str| {
                (
                    ContentType::new("text", "csv"),
                    format!("name;email\nIvo Importedvictim;{email}\n").into_bytes(),
                )
            };
            let import = |sme: i64| {
                p(
                    Post,
                    format!("/api/smes/{sme}/invitations/import?confirm=true"),
                )
            };
            match who {
                Coordinator => vec![
                    import(s.sme_a2)
                        .raw(csv("ivo.csv@new.example"))
                        .expect(&[200]),
                    import(s.sme_b)
                        .what("another partner's SME")
                        .raw(csv("ivo2.csv@new.example"))
                        .expect(&[404]),
                ],
                ForeignCoordinator => vec![
                    import(s.sme_b)
                        .raw(csv("iria.csv@new.example"))
                        .expect(&[200]),
                    import(s.sme_a1)
                        .what("another partner's SME")
                        .raw(csv("iria2.csv@new.example"))
                        .expect(&[404]),
                ],
                Admin => one(import(s.sme_a1)
                    .raw(csv("ines.csv@new.example"))
                    .expect(&[200])),
                _ => one(
                    denied(Post, format!("/api/smes/{}/invitations/import", s.sme_a1))
                        .raw(csv("nope.csv@new.example")),
                ),
            }
        }
        "POST /api/users" => {
            let body = |email: &str, name: &str, role: &str, sme: i64| {
                json!({"email": email, "name": name, "role": role,
                       "password": NEW_PASSWORD, "sme_id": sme})
            };
            let post = || p(Post, "/api/users".into());
            match who {
                Coordinator => vec![
                    post()
                        .json(body(
                            "nuno@new.example",
                            "Nuno Alfavictim",
                            "learner",
                            s.sme_a2,
                        ))
                        .expect(&[201]),
                    post()
                        .what("a learner of another partner's SME")
                        .json(body(
                            "nuno2@new.example",
                            "Nuno Alfavictim",
                            "learner",
                            s.sme_b,
                        ))
                        .expect(&[404]),
                    post()
                        .what("an advisor")
                        .json(body(
                            "nuno3@new.example",
                            "Nuno Alfavictim",
                            "advisor",
                            s.sme_a2,
                        ))
                        .expect(&[403]),
                    post()
                        .what("the email of another partner's learner")
                        .json(body(
                            &s.users[&ForeignLearner].email,
                            "Nuno Alfavictim",
                            "learner",
                            s.sme_a2,
                        ))
                        .expect(&[409]),
                ],
                ForeignCoordinator => vec![
                    post()
                        .json(body(
                            "nadia@new.example",
                            "Nadia Bravovictim",
                            "learner",
                            s.sme_b,
                        ))
                        .expect(&[201]),
                    post()
                        .what("a learner of another partner's SME")
                        .json(body(
                            "nadia2@new.example",
                            "Nadia Bravovictim",
                            "learner",
                            s.sme_a1,
                        ))
                        .expect(&[404]),
                ],
                Admin => one(post()
                    .json(body(
                        "nico@new.example",
                        "Nico Alfavictim",
                        "learner",
                        s.sme_a1,
                    ))
                    .expect(&[201])),
                _ => one(denied(Post, "/api/users".into()).json(body(
                    "nope@new.example",
                    "Nope Alfavictim",
                    "learner",
                    s.sme_a1,
                ))),
            }
        }
        "POST /api/users/{id}/deactivation"
        | "DELETE /api/users/{id}/deactivation"
        | "DELETE /api/users/{id}"
        | "PATCH /api/users/{id}" => {
            let (method, tag, suffix, ok, managers): (Method, &str, &str, &'static [u16], &[Who]) =
                match key {
                    "POST /api/users/{id}/deactivation" => {
                        (Post, "deactivate", "/deactivation", &[200], STAFF)
                    }
                    "DELETE /api/users/{id}/deactivation" => {
                        (Delete, "reactivate", "/deactivation", &[200], STAFF)
                    }
                    "DELETE /api/users/{id}" => (Delete, "remove", "", &[204], STAFF),
                    _ => (Patch, "move", "", &[200], &[Admin]),
                };
            let path = |id: i64| format!("/api/users/{id}{suffix}");
            let with_body = |probe: Probe| {
                if method == Patch {
                    probe.json(json!({"sme_id": s.sme_a2}))
                } else {
                    probe
                }
            };
            match who {
                Coordinator if managers.contains(&who) => vec![
                    with_body(p(method, path(s.victim[&(tag, who)])))
                        .what("a learner of the other SME of the partner")
                        .expect(ok),
                    with_body(p(method, path(s.victim_b)))
                        .what("another partner's learner")
                        .expect(&[404]),
                    with_body(p(method, path(s.id(Advisor))))
                        .what("an advisor")
                        .expect(&[404]),
                ],
                ForeignCoordinator if managers.contains(&who) => vec![
                    with_body(p(method, path(s.victim[&(tag, who)]))).expect(ok),
                    with_body(p(method, path(s.victim_a)))
                        .what("another partner's learner")
                        .expect(&[404]),
                ],
                Admin => vec![
                    with_body(p(method, path(s.victim[&(tag, who)]))).expect(ok),
                    with_body(p(method, path(s.id(Admin))))
                        .what("themselves")
                        .expect(&[403]),
                ],
                _ => one(with_body(denied(method, path(s.victim_a)))),
            }
        }
        // Courses and progress.
        "GET /api/courses" => {
            one(p(Get, "/api/courses".into()).expect(by_role(who, USERS, &[200])))
        }
        "GET /api/courses/{slug}" => {
            one(p(Get, "/api/courses/biotech-basics".into()).expect(by_role(who, USERS, &[200])))
        }
        "GET /api/courses/{slug}/modules/{module}" => one(p(
            Get,
            "/api/courses/biotech-basics/modules/regulation".into(),
        )
        .expect(by_role(who, USERS, &[200]))),
        "POST /api/courses/{slug}/enrolment" => {
            one(p(Post, "/api/courses/short-course/enrolment".into())
                .json(json!({}))
                .expect(by_role(who, LEARNERS, &[200])))
        }
        "POST /api/courses/{slug}/modules/{module}/completion" => one(p(
            Post,
            "/api/courses/short-course/modules/intro/completion".into(),
        )
        .json(json!({}))
        .expect(by_role(who, LEARNERS, &[204]))),
        "GET /api/courses/{slug}/progress" => {
            let probe = p(Get, "/api/courses/short-course/progress".into()).expect(by_role(
                who,
                LEARNERS,
                &[200],
            ));
            one(if LEARNERS.contains(&who) {
                probe.present(&[code(who)])
            } else {
                probe
            })
        }
        "POST /api/admin/courses/import" => {
            one(p(Post, "/api/admin/courses/import".into()).expect(by_role(who, &[Admin], &[200])))
        }
        // Quizzes.
        "POST /api/courses/{slug}/quiz/attempts" => {
            one(p(Post, "/api/courses/quiz-lab/quiz/attempts".into())
                .json(json!({}))
                // The open attempt is shown again.
                .expect(by_role(who, LEARNERS, &[200])))
        }
        "GET /api/quiz-attempts/{id}" | "PUT /api/quiz-attempts/{id}/answers" => {
            let put = key.starts_with("PUT");
            let (method, suffix) = if put { (Put, "/answers") } else { (Get, "") };
            let path = |w: Who| format!("/api/quiz-attempts/{}{suffix}", s.attempt[&w]);
            let answer = |text: &str| json!({"answers": {"q-text": text}});
            let own_answer = |w: Who| match w {
                Learner => ANSWER_L,
                Colleague => ANSWER_C,
                _ => ANSWER_F,
            };
            let with_body = |probe: Probe, text: &str| {
                if put {
                    probe.json(answer(text))
                } else {
                    probe
                }
            };
            let overwrite = format!("{OVERWRITE}-{}", label(who));
            if LEARNERS.contains(&who) {
                vec![
                    with_body(p(method, path(who)), own_answer(who))
                        .expect(&[200])
                        .present(&[own_answer(who)]),
                    with_body(p(method, path(learner_target(who))), &overwrite)
                        .what("another learner's attempt")
                        .expect(&[404]),
                ]
            } else {
                one(with_body(denied(method, path(Learner)), &overwrite))
            }
        }
        "POST /api/quiz-attempts/{id}/submission" => {
            let path =
                |w: Who| format!("/api/quiz-attempts/{}/submission", s.attempt_to_submit[&w]);
            if LEARNERS.contains(&who) {
                vec![
                    p(Post, path(learner_target(who)))
                        .what("another learner's attempt")
                        .json(json!({"answers": {}}))
                        .expect(&[404]),
                    p(Post, path(who))
                        .json(json!({"answers": {}}))
                        .expect(&[200]),
                ]
            } else {
                one(denied(Post, path(Learner)).json(json!({"answers": {}})))
            }
        }
        // Advisory bookings.
        "POST /api/slots" => {
            let hours = if who == OtherAdvisor { 202 } else { 200 };
            one(p(Post, "/api/slots".into())
                .json(slot_body(hours, "https://meet.example/new"))
                .expect(by_role(who, ADVISORS, &[201])))
        }
        "POST /api/slots/pattern" => one(p(Post, "/api/slots/pattern".into())
            .json(json!({
                "weekdays": [6], "start_time": "06:00", "end_time": "06:45",
                "session_minutes": 45, "buffer_minutes": 0, "weeks": 1,
                "topic": "talent", "mode": "online", "location": "https://meet.example/p",
            }))
            .expect(by_role(who, ADVISORS, &[201]))),
        "GET /api/slots" => {
            let probe =
                p(Get, "/api/slots?include_booked=true".into()).expect(by_role(who, USERS, &[200]));
            match who {
                Advisor => one(probe.present(&[ROOM_L])),
                OtherAdvisor => vec![
                    probe.present(&[ROOM_C, ROOM_F]),
                    p(
                        Get,
                        format!(
                            "/api/slots?include_booked=true&advisor_id={}",
                            s.id(Advisor)
                        ),
                    )
                    .what("the other advisor's booked slots")
                    .expect(&[200]),
                ],
                Admin => one(probe.present(&[ROOM_L, ROOM_C, ROOM_F])),
                Anonymous => one(probe),
                _ => one(probe.present(&[AD_NAME, OA_NAME])),
            }
        }
        "DELETE /api/slots/{id}" => {
            let path = |id: i64| format!("/api/slots/{id}");
            match who {
                Advisor => one(p(Delete, path(s.slot_to_delete[&who])).expect(&[204])),
                OtherAdvisor => vec![
                    p(Delete, path(s.slot_untouchable))
                        .what("the other advisor's slot")
                        .expect(&[404]),
                    p(Delete, path(s.slot_to_delete[&who])).expect(&[204]),
                ],
                _ => one(denied(Delete, path(s.slot_untouchable))),
            }
        }
        "POST /api/slots/{id}/booking" => {
            let path = |id: i64| format!("/api/slots/{id}/booking");
            let body = json!({"note": "booked by the matrix"});
            match who {
                Learner => vec![
                    p(Post, path(s.slot_to_book[&who]))
                        .json(body.clone())
                        .expect(&[201]),
                    // A taken slot must not say by whom.
                    p(
                        Post,
                        format!("/api/slots/{}/booking", s.booking_slot[&Colleague]),
                    )
                    .what("a slot another learner booked")
                    .json(body)
                    .expect(&[409]),
                ],
                Colleague | ForeignLearner => one(p(Post, path(s.slot_to_book[&who]))
                    .json(body)
                    .expect(&[201])),
                _ => one(denied(Post, path(s.slot_untouchable)).json(body)),
            }
        }
        "GET /api/bookings" => one(p(Get, "/api/bookings".into())
            .expect(by_role(who, USERS, &[200]))
            .present(match who {
                Learner => &[NOTE_L, ROOM_L, REASON_L][..],
                Colleague => &[NOTE_C, ROOM_C],
                ForeignLearner => &[NOTE_F, ROOM_F, REASON_F],
                Advisor => &[NOTE_L, L_NAME, SME_A1, OUTCOME_L],
                OtherAdvisor => &[NOTE_C, NOTE_F, C_NAME, F_NAME, OUTCOME_F],
                Coordinator => &[NOTE_L, NOTE_C, L_NAME, C_NAME, OUTCOME_L],
                ForeignCoordinator => &[NOTE_F, F_NAME, OUTCOME_F],
                Admin => &[NOTE_L, NOTE_C, NOTE_F, OUTCOME_L, OUTCOME_F],
                Anonymous => &[],
            })),
        "GET /api/bookings/{id}" | "GET /api/bookings/{id}/invite.ics" => {
            let ics = key.ends_with("invite.ics");
            let suffix = if ics { "/invite.ics" } else { "" };
            let path = |w: Who| format!("/api/bookings/{}{suffix}", s.booking[&w]);
            let others = "another's booking";
            // Invites are for the booking's learner and advisor only.
            let staff_ok: &'static [u16] = if ics { &[403] } else { &[200] };
            let staff_no: &'static [u16] = if ics { &[403] } else { &[404] };
            match who {
                Learner | Colleague | ForeignLearner => vec![
                    p(Get, path(who)).expect(&[200]),
                    p(Get, path(learner_target(who)))
                        .what(others)
                        .expect(&[404]),
                ],
                Advisor => vec![
                    p(Get, path(Learner)).expect(&[200]),
                    p(Get, path(Colleague)).what(others).expect(&[404]),
                ],
                OtherAdvisor => vec![
                    p(Get, path(Colleague)).expect(&[200]),
                    p(Get, path(Learner)).what(others).expect(&[404]),
                ],
                Coordinator => vec![
                    p(Get, path(Colleague))
                        .what("the other SME of the partner")
                        .expect(staff_ok),
                    p(Get, path(ForeignLearner))
                        .what("another partner's booking")
                        .expect(staff_no),
                ],
                ForeignCoordinator => vec![
                    p(Get, path(ForeignLearner)).expect(staff_ok),
                    p(Get, path(Learner))
                        .what("another partner's booking")
                        .expect(staff_no),
                ],
                Admin => one(p(Get, path(ForeignLearner)).expect(staff_ok)),
                Anonymous => one(denied(Get, path(Learner))),
            }
        }
        "GET /api/bookings/notifications" => one(p(Get, "/api/bookings/notifications".into())
            .expect(by_role(who, USERS, &[200]))
            .present(match who {
                Advisor => &[REASON_L][..],
                ForeignLearner => &[REASON_F],
                _ => &[],
            })),
        "POST /api/bookings/{id}/cancellation" => {
            let path = |id: i64| format!("/api/bookings/{id}/cancellation");
            let body = json!({"reason": "cancelled by the matrix"});
            let own = || {
                p(Post, path(s.booking_to_cancel[&who]))
                    .json(body.clone())
                    .expect(&[200])
            };
            let foreign = |w: Who| {
                p(Post, path(s.booking[&w]))
                    .what("another's booking")
                    .json(body.clone())
                    .expect(&[404])
            };
            match who {
                Learner | Colleague | ForeignLearner => {
                    vec![foreign(learner_target(who)), own()]
                }
                Advisor => vec![foreign(ForeignLearner), own()],
                OtherAdvisor => vec![foreign(Learner), own()],
                _ => one(denied(Post, path(s.booking[&Learner])).json(body.clone())),
            }
        }
        "POST /api/bookings/{id}/reschedule" => {
            let path = |id: i64| format!("/api/bookings/{id}/reschedule");
            let own = || {
                let (booking, to) = s.booking_to_move[&who];
                p(Post, path(booking))
                    .json(json!({ "slot_id": to }))
                    .expect(&[200])
            };
            let foreign = |w: Who| {
                let (booking, to) = s.booking_to_move[&w];
                p(Post, path(booking))
                    .what("another's booking")
                    .json(json!({ "slot_id": to }))
                    .expect(&[404])
            };
            match who {
                Learner => vec![foreign(ForeignLearner), own()],
                Colleague => vec![foreign(Learner), own()],
                ForeignLearner => vec![foreign(Colleague), own()],
                Advisor => vec![foreign(OtherAdvisor), own()],
                OtherAdvisor => vec![foreign(Advisor), own()],
                _ => {
                    let (booking, to) = s.booking_to_move[&Learner];
                    one(denied(Post, path(booking)).json(json!({ "slot_id": to })))
                }
            }
        }
        "PUT /api/bookings/{id}/outcome" => {
            let path = |id: i64| format!("/api/bookings/{id}/outcome");
            let notes = |n: &str| json!({"attended": true, "notes": n});
            let overwrite = format!("{OVERWRITE}-{}", label(who));
            match who {
                Advisor => vec![
                    p(Put, path(s.past_l)).json(notes(OUTCOME_L)).expect(&[200]),
                    p(Put, path(s.past_f))
                        .what("the other advisor's session")
                        .json(notes(&overwrite))
                        .expect(&[404]),
                ],
                OtherAdvisor => vec![
                    p(Put, path(s.past_l))
                        .what("the other advisor's session")
                        .json(notes(&overwrite))
                        .expect(&[404]),
                    p(Put, path(s.past_f)).json(notes(OUTCOME_F)).expect(&[200]),
                ],
                _ => one(denied(Put, path(s.past_l)).json(notes(&overwrite))),
            }
        }
        // Reports.
        "GET /api/reports/completions"
        | "GET /api/reports/completions.csv"
        | "GET /api/reports/smes"
        | "GET /api/reports/indicators" => {
            let path = key
                .split_once(' ')
                .map(|(_, p)| p.to_string())
                .unwrap_or_default();
            let filterable = key.contains("completions");
            let shown: &[&str] = match (key, who) {
                ("GET /api/reports/smes", Coordinator) => &[SME_A1, SME_A2],
                ("GET /api/reports/smes", ForeignCoordinator) => &[SME_B],
                ("GET /api/reports/smes", _) => &[SME_A1, SME_A2, SME_B],
                ("GET /api/reports/indicators", Coordinator) => &[REGION_A1, REGION_A2],
                ("GET /api/reports/indicators", ForeignCoordinator) => &[REGION_B],
                ("GET /api/reports/indicators", _) => &[REGION_A1, REGION_A2, REGION_B],
                (_, Coordinator) => &[L_NAME, C_NAME, SME_A1, SME_A2],
                (_, ForeignCoordinator) => &[F_NAME, SME_B],
                _ => &[L_NAME, C_NAME, F_NAME],
            };
            let probe = p(Get, path.clone())
                .expect(by_role(who, STAFF, &[200]))
                .present(shown);
            match who {
                Coordinator if filterable => vec![
                    probe,
                    p(Get, format!("{path}?sme_id={}", s.sme_b))
                        .what("another partner's SME")
                        .expect(&[404]),
                ],
                ForeignCoordinator if filterable => vec![
                    probe,
                    p(Get, format!("{path}?sme_id={}", s.sme_a1))
                        .what("another partner's SME")
                        .expect(&[404]),
                ],
                _ => one(probe),
            }
        }
        // Certificates.
        "GET /api/certificates" => {
            let holders = [
                Learner,
                Colleague,
                ForeignLearner,
                Coordinator,
                ForeignCoordinator,
                Admin,
            ];
            let own = match who {
                Learner | Colleague | ForeignLearner => vec![code(who)],
                Coordinator => vec![code(Learner), code(Colleague)],
                ForeignCoordinator => vec![code(ForeignLearner)],
                Admin => vec![code(Learner), code(Colleague), code(ForeignLearner)],
                _ => vec![],
            };
            let list = p(Get, "/api/certificates".into())
                .expect(by_role(who, &holders, &[200]))
                .present(own.as_slice());
            // Asking for another partner's SME (or another learner's) lists nothing foreign.
            let foreign_sme = match who {
                Coordinator | Learner | Colleague => Some(s.sme_b),
                ForeignCoordinator | ForeignLearner => Some(s.sme_a1),
                _ => None,
            };
            match foreign_sme {
                Some(id) => vec![
                    list,
                    p(Get, format!("/api/certificates?sme_id={id}"))
                        .what("another partner's SME")
                        .expect(&[200]),
                ],
                None => one(list),
            }
        }
        "GET /api/certificates/{code}/pdf"
        | "GET /api/certificates/{code}/credential"
        | "GET /api/certificates/{code}/credential.json"
        | "GET /api/certificates/{code}/badge.png" => {
            let path = |w: Who| key.replace("GET ", "").replace("{code}", &code(w));
            let other = "another's certificate";
            match who {
                Learner => vec![
                    p(Get, path(Learner)).expect(&[200]),
                    p(Get, path(Colleague)).what(other).expect(&[404]),
                ],
                Colleague | ForeignLearner => one(p(Get, path(Learner)).what(other).expect(&[404])),
                // Advisors hold no certificates: every code is "not yours".
                Advisor | OtherAdvisor => one(p(Get, path(Learner)).expect(&[404])),
                Coordinator => vec![
                    p(Get, path(Learner)).expect(&[200]),
                    p(Get, path(ForeignLearner))
                        .what("another partner's certificate")
                        .expect(&[404]),
                ],
                ForeignCoordinator => vec![
                    p(Get, path(ForeignLearner)).expect(&[200]),
                    p(Get, path(Learner))
                        .what("another partner's certificate")
                        .expect(&[404]),
                ],
                Admin => one(p(Get, path(ForeignLearner)).expect(&[200])),
                Anonymous => one(denied(Get, path(Learner))),
            }
        }
        "GET /api/smes/{id}/certificates.zip" => {
            let path = |id: i64| format!("/api/smes/{id}/certificates.zip");
            match who {
                Coordinator => vec![
                    p(Get, path(s.sme_a1)).expect(&[200]).present(&[L_NAME]),
                    p(Get, path(s.sme_b))
                        .what("another partner's SME")
                        .expect(&[404]),
                ],
                ForeignCoordinator => vec![
                    p(Get, path(s.sme_b)).expect(&[200]).present(&[F_NAME]),
                    p(Get, path(s.sme_a1))
                        .what("another partner's SME")
                        .expect(&[404]),
                ],
                Admin => one(p(Get, path(s.sme_b)).expect(&[200]).present(&[F_NAME])),
                _ => one(denied(Get, path(s.sme_a1))),
            }
        }
        "POST /api/certificates/{code}/revocation" => one(p(
            Post,
            format!("/api/certificates/{}/revocation", code(Colleague)),
        )
        .json(json!({"reason": "issued in error"}))
        .expect(by_role(who, &[Admin], &[200]))),
        // Materials.
        "POST /api/courses/{slug}/materials" => {
            one(p(Post, "/api/courses/biotech-basics/materials".into())
                .raw(upload_body("Deck"))
                .expect(by_role(who, STAFF, &[201])))
        }
        "GET /api/courses/{slug}/materials" => one(p(
            Get,
            "/api/courses/biotech-basics/materials".into(),
        )
        .expect(by_role(who, USERS, &[200]))),
        // Any signed-in non-learner may download ("staff"); learners when enrolled.
        "GET /api/materials/{id}" => one(
            p(Get, format!("/api/materials/{}", s.material)).expect(by_role(who, USERS, &[200]))
        ),
        "DELETE /api/materials/{id}" => {
            let path = |id: i64| format!("/api/materials/{id}");
            let keep = |w: Who| s.material_keep[&w];
            match who {
                Coordinator => vec![
                    p(Delete, path(keep(ForeignCoordinator)))
                        .what("another partner's material")
                        .expect(&[404]),
                    p(Delete, path(keep(Admin)))
                        .what("an admin's material")
                        .expect(&[404]),
                    p(Delete, path(s.material_to_delete[&who])).expect(&[204]),
                ],
                ForeignCoordinator => vec![
                    p(Delete, path(keep(Coordinator)))
                        .what("another partner's material")
                        .expect(&[404]),
                    p(Delete, path(s.material_to_delete[&who])).expect(&[204]),
                ],
                Admin => one(p(Delete, path(s.material_to_delete[&who])).expect(&[204])),
                _ => one(denied(Delete, path(keep(Admin)))),
            }
        }
        _ => return None,
    })
}

async fn send(app: &TestApp, pr: &Probe) -> Resp {
    match &pr.body {
        Body::None => {
            app.request(pr.method, &pr.path, pr.token.as_deref(), None)
                .await
        }
        Body::Json(v) => {
            app.request(pr.method, &pr.path, pr.token.as_deref(), Some(v))
                .await
        }
        Body::Raw(ct, bytes) => {
            app.raw(pr.method, &pr.path, pr.token.as_deref(), ct.clone(), bytes)
                .await
        }
    }
}

fn excerpt(text: &str, around: Option<&str>) -> String {
    let start = around
        .and_then(|a| text.find(a))
        .map(|i| i.saturating_sub(100))
        .unwrap_or(0);
    let start = (0..=start)
        .rev()
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(0);
    text[start..]
        .chars()
        .take(240)
        .collect::<String>()
        .replace('\n', " ")
}

/// Check one answer against its probe and the caller's markers.
fn check(s: &Setup, key: &str, who: Who, pr: &Probe, r: &Resp, failures: &mut Vec<String>) {
    let what = if pr.what.is_empty() {
        String::new()
    } else {
        format!(" [{}]", pr.what)
    };
    let cell = format!("{key} as {}{what} ({} {})", label(who), pr.method, pr.path);
    let code = r.status.code;
    // iCalendar folds long lines: unfold before looking for strings.
    let text = r.text.replace("\r\n ", "").replace("\r\n\t", "");
    if !pr.expect.contains(&code) {
        failures.push(format!(
            "{cell}: expected {:?}, got {code}: {}",
            pr.expect,
            excerpt(&text, None)
        ));
    }
    for m in &s.markers {
        if !m.seen_by.contains(&who) && !pr.allow.contains(&m.text) && text.contains(&m.text) {
            failures.push(format!(
                "{cell}: {code} shows {:?}, not theirs to see: …{}…",
                m.text,
                excerpt(&text, Some(&m.text))
            ));
        }
    }
    for a in &pr.absent {
        if text.contains(a) {
            failures.push(format!(
                "{cell}: {code} shows {a:?}: …{}…",
                excerpt(&text, Some(a))
            ));
        }
    }
    if (200..300).contains(&code) && pr.expect.contains(&code) {
        for want in &pr.present {
            if !text.contains(want) {
                failures.push(format!(
                    "{cell}: {code} does not show their own {want:?}: {}",
                    excerpt(&text, None)
                ));
            }
        }
    }
}

#[rocket::async_test]
async fn every_route_as_every_identity_answers_as_the_contract_says() {
    let started = Instant::now();
    let app = TestApp::with(|f| {
        f.merge(("verify_rate_per_minute", 1000))
            .merge(("booking_max_per_learner", 20))
    })
    .await;
    let s = setup(&app).await;
    let set_up = started.elapsed();
    let doc = app.get_anon("/api/openapi.json").await.expect(200);
    let mut routes = documented_routes(&doc.body);
    routes.sort();
    assert!(routes.len() >= 40, "the document lists {routes:?}");
    let missing: Vec<&String> = routes
        .iter()
        .filter(|k| EVERYONE.iter().any(|w| cells(k, *w, &s).is_none()))
        .collect();
    assert!(
        missing.is_empty(),
        "routes of the OpenAPI document without a row in authz_matrix.rs's table: {missing:?}"
    );

    let mut failures = Vec::new();
    let mut probes = 0;
    println!(
        "{:<48} {}",
        "route",
        EVERYONE.map(|w| format!("{w:?}")).join(" | ")
    );
    for key in &routes {
        let mut line = Vec::new();
        for who in EVERYONE {
            let cell = cells(key, who, &s).expect("in the table");
            assert!(!cell.is_empty(), "{key} as {}: no probe", label(who));
            let mut codes = Vec::new();
            for pr in &cell {
                probes += 1;
                let r = send(&app, pr).await;
                codes.push(r.status.code.to_string());
                check(&s, key, who, pr, &r, &mut failures);
            }
            line.push(codes.join("/"));
        }
        println!("{key:<48} {}", line.join(" | "));
    }
    println!(
        "{} routes × {} identities = {} cells, {probes} requests; setup {set_up:?}, total {:?}",
        routes.len(),
        EVERYONE.len(),
        routes.len() * EVERYONE.len(),
        started.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{} of {probes} requests broke the authorization matrix:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

//! Galician, the fourth language: gl content served, the gl -> es fallback, locales, the
//! language list, and certificates and the verify page in Galician.

use academy::auth::Role;
use serde_json::json;

use crate::certificates::{code_of, complete_biotech_basics};
use crate::common::{assert_problem, TestApp};
use crate::courses::{app_on, courses_with};

use crate::certificates::pdf_text;

/// biotech-basics with a Galician title and summary and its first module in Galician.
fn galician_courses() -> tempfile::TempDir {
    let dir = courses_with(&["biotech-basics", "short-course"]);
    let course = dir.path().join("biotech-basics");
    let toml = std::fs::read_to_string(course.join("course.toml")).unwrap();
    let toml = toml
        .replace(
            "pt = \"Biotecnologia básica\"\n",
            "pt = \"Biotecnologia básica\"\ngl = \"Biotecnoloxía básica\"\n",
        )
        .replace(
            "pt = \"Um pequeno curso de teste.\"\n",
            "pt = \"Um pequeno curso de teste.\"\ngl = \"Un pequeno curso de proba.\"\n",
        );
    std::fs::write(course.join("course.toml"), toml).unwrap();
    std::fs::create_dir_all(course.join("gl")).unwrap();
    std::fs::write(
        course.join("gl/01-welcome.md"),
        "# Benvida á biotecnoloxía *básica*\n\nEste curso ten tres módulos. Comece polo [módulo de regulación](02-regulation.md).\n",
    )
    .unwrap();
    dir
}

#[rocket::async_test]
async fn galician_modules_are_served_and_missing_ones_fall_back_to_spanish() {
    let dir = galician_courses();
    let app = app_on(dir.path()).await;
    let w = app.world().await;
    let t = &w.learner_a.token;

    let m = app
        .get("/api/courses/biotech-basics/modules/welcome?lang=gl", t)
        .await
        .expect(200);
    assert_eq!(m.body["language"], "gl");
    assert_eq!(m.body["fallback"], false);
    // Emphasis in a title is stored as plain text.
    assert_eq!(m.body["title"], "Benvida á biotecnoloxía básica");
    assert!(m.body["html"].as_str().unwrap().contains("Comece polo"));
    assert_eq!(m.body["languages"], json!(["en", "es", "gl", "pt"]));
    assert_eq!(m.body["next"]["title"], "La regulación en una página");

    // No Galician version: Spanish, not the English default, and flagged.
    let m = app
        .get("/api/courses/biotech-basics/modules/regulation?lang=gl", t)
        .await
        .expect(200);
    assert_eq!(m.body["language"], "es");
    assert_eq!(m.body["fallback"], true);
    assert_eq!(m.body["title"], "La regulación en una página");
    assert!(m.body["html"].as_str().unwrap().contains("marcado CE"));

    let c = app
        .get("/api/courses/biotech-basics?lang=gl", t)
        .await
        .expect(200);
    assert_eq!(c.body["title"], "Biotecnoloxía básica");
    assert_eq!(c.body["language"], "gl");

    // The locale gl applies without ?lang.
    let me = app
        .patch("/api/me", t, json!({"locale": "gl"}))
        .await
        .expect(200);
    assert_eq!(me.body["locale"], "gl");
    let m = app
        .get("/api/courses/biotech-basics/modules/wrap-up", t)
        .await
        .expect(200);
    assert_eq!(
        (m.body["language"].as_str(), m.body["fallback"].as_bool()),
        (Some("es"), Some(true))
    );

    // The quiz has no Galician texts: shown in Spanish.
    app.post("/api/courses/biotech-basics/enrolment", t, json!({}))
        .await
        .expect(201);
    let a = app
        .post(
            "/api/courses/biotech-basics/quiz/attempts?lang=gl",
            t,
            json!({}),
        )
        .await
        .expect(201);
    assert_eq!(a.body["language"], "es");
    assert!(
        a.text.contains("¿Qué marcado muestra la conformidad UE?"),
        "{}",
        a.text
    );

    // An unsupported language is still refused, naming the field and the choices.
    let r = app
        .get("/api/courses/biotech-basics/modules/welcome?lang=fr", t)
        .await;
    assert_problem(&r, 422);
    assert_eq!(r.body["errors"][0]["field"], "lang");
    assert_eq!(r.body["errors"][0]["code"], "lang.unsupported");
    assert_eq!(r.body["errors"][0]["params"]["codes"], "en, es, pt, gl");
}

#[rocket::async_test]
async fn locales_accept_gl_and_refuse_unknown_languages() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let r = app
        .patch("/api/me", &w.learner_a.token, json!({"locale": "fr"}))
        .await;
    assert_problem(&r, 422);
    assert_eq!(r.body["errors"][0]["field"], "locale");
    assert_eq!(r.body["errors"][0]["code"], "account.locale");
    assert_eq!(r.body["errors"][0]["params"]["codes"], "en, es, pt, gl");
    assert_eq!(
        app.get("/api/me", &w.learner_a.token).await.body["locale"],
        "en"
    );

    let created = app
        .post(
            "/api/users",
            &w.admin.token,
            json!({"email": "uxia@sme-a.example", "name": "Uxía Castro", "role": "learner",
                   "password": "long enough password", "sme_id": w.sme_a, "locale": "gl"}),
        )
        .await
        .expect(201);
    assert_eq!(created.body["locale"], "gl");
    let r = app
        .post(
            "/api/users",
            &w.admin.token,
            json!({"email": "x@sme-a.example", "name": "X", "role": "learner",
                   "password": "long enough password", "sme_id": w.sme_a, "locale": "GL"}),
        )
        .await;
    assert_problem(&r, 422);
    assert_eq!(r.body["errors"][0]["field"], "locale");

    // The one list, public, for the web UI's language menu.
    let l = app.get_anon("/api/languages").await.expect(200);
    assert_eq!(
        l.body["items"],
        json!([
            {"code": "en", "name": "English", "tag": "en-GB", "fallback": null},
            {"code": "es", "name": "Español", "tag": "es-ES", "fallback": null},
            {"code": "pt", "name": "Português", "tag": "pt-PT", "fallback": null},
            {"code": "gl", "name": "Galego", "tag": "gl-ES", "fallback": "es"},
        ])
    );
}

/// Topics are one list too: the API serves it and the document lists the values wherever a
/// topic appears (slots, courses, the slot filter).
#[rocket::async_test]
async fn topics_are_one_list_served_and_documented() {
    let app = TestApp::new().await;
    let t = app.get_anon("/api/topics").await.expect(200);
    let codes: Vec<&str> = t.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["market_entry", "finance", "ip", "talent"]);
    let doc = app.get_anon("/api/openapi.json").await.expect(200);
    let schemas = &doc.body["components"]["schemas"];
    assert_eq!(
        schemas["Topic"]["enum"],
        json!(["market_entry", "finance", "ip", "talent"])
    );
    assert_eq!(schemas["Mode"]["enum"], json!(["online", "in_person"]));
    assert_eq!(
        schemas["BookingStatus"]["enum"],
        json!(["active", "cancelled"])
    );
    assert_eq!(
        schemas["AttemptStatus"]["enum"],
        json!(["open", "submitted", "late", "expired"])
    );
    assert_eq!(
        schemas["Slot"]["properties"]["topic"]["$ref"],
        "#/components/schemas/Topic"
    );
}

#[rocket::async_test]
async fn certificates_and_the_verify_page_speak_galician() {
    let app = crate::certificates::app().await;
    let w = app.world().await;
    let learner = app
        .user(
            "uxia@sme-a.example",
            "Uxía Castro",
            Role::Learner,
            Some(w.sme_a),
            Some(w.partner_a),
        )
        .await;
    app.patch("/api/me", &learner.token, json!({"locale": "gl"}))
        .await
        .expect(200);
    complete_biotech_basics(&app, &learner, 85).await;
    let code = code_of(&app, &learner.token, "biotech-basics").await;
    let list = app
        .get("/api/certificates", &learner.token)
        .await
        .expect(200);
    assert_eq!(list.body["items"][0]["language"], "gl");
    // The course has no Galician title: the Spanish one.
    assert_eq!(
        list.body["items"][0]["course_title"],
        "Biotecnología básica"
    );

    let pdf = app
        .get(&format!("/api/certificates/{code}/pdf"), &learner.token)
        .await
        .expect(200);
    let text = pdf_text::squashed_text(&pdf.bytes);
    for needle in [
        "Certificado de Finalización",
        "Certifícase que",
        "completou con éxito o curso",
        "Biotecnología básica",
        "Cualificación",
        "85\u{a0}%",
        "Verifíqueo en",
    ] {
        let needle: String = needle.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(text.contains(&needle), "{needle:?} not in {text}");
    }

    // The verify page in the browser's language: Galician first.
    let page = app
        .get_with(
            &format!("/verify/{code}"),
            None,
            &[("Accept-Language", "gl-ES,gl;q=0.9,es;q=0.5")],
        )
        .await
        .expect(200);
    assert!(page.text.contains("<html lang=\"gl\">"), "{}", page.text);
    assert!(page.text.contains("Este certificado é válido"));
    assert!(page.text.contains("Finalizado o"));
    assert!(page
        .text
        .contains("hreflang=\"gl\" aria-current=\"page\">Galego</a>"));
    let unknown = app
        .get_anon("/verify/IBA-0000-0000?lang=gl")
        .await
        .expect(404);
    assert!(unknown.text.contains("Ningún certificado ten este código"));
}

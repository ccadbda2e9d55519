//! Certificates: issued with the completion (exactly once), PDF, QR, ZIP, verification,
//! revocation, tenancy and the verify rate limit.

use std::io::Read;

use academy::auth::Role;
use futures::future::join_all;
use serde_json::{json, Value};

use crate::common::{assert_problem, TestApp, TestUser, World};

#[path = "../support/pdf_text.rs"]
pub mod pdf_text;

pub const PUBLIC_URL: &str = "https://academy.iberobio.example";

/// An app whose certificates point at [`PUBLIC_URL`].
pub async fn app() -> TestApp {
    TestApp::with(|f| f.merge(("public_url", format!("{PUBLIC_URL}/")))).await
}

pub async fn course_id(app: &TestApp, slug: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM courses WHERE slug = $1")
        .bind(slug)
        .fetch_one(app.pool())
        .await
        .expect("course imported")
}

/// Enrol and read the only required module of `short-course` (no quiz): completes it.
pub async fn complete_short_course(app: &TestApp, token: &str) {
    app.post("/api/courses/short-course/enrolment", token, json!({}))
        .await
        .expect(201);
    app.post(
        "/api/courses/short-course/modules/intro/completion",
        token,
        json!({}),
    )
    .await
    .expect(204);
}

/// Complete `biotech-basics` (every module and the quiz) with `score`.
pub async fn complete_biotech_basics(app: &TestApp, user: &TestUser, score: i64) {
    app.post(
        "/api/courses/biotech-basics/enrolment",
        &user.token,
        json!({}),
    )
    .await
    .expect(201);
    for m in ["welcome", "regulation", "wrap-up"] {
        app.post(
            &format!("/api/courses/biotech-basics/modules/{m}/completion"),
            &user.token,
            json!({}),
        )
        .await
        .expect(204);
    }
    let course = course_id(app, "biotech-basics").await;
    let mut conn = app.pool().acquire().await.unwrap();
    let done = crate::common::record_quiz_result(&mut conn, user.id, course, score, true)
        .await
        .unwrap();
    assert!(done.is_some(), "the quiz completed the course");
}

pub async fn code_of(app: &TestApp, token: &str, slug: &str) -> String {
    let p = app
        .get(&format!("/api/courses/{slug}/progress"), token)
        .await
        .expect(200);
    p.body["certificate_code"]
        .as_str()
        .unwrap_or_else(|| panic!("no certificate code in {}", p.text))
        .to_string()
}

async fn set_locale(app: &TestApp, user: &TestUser, locale: &str) {
    sqlx::query("UPDATE users SET locale = $1 WHERE id = $2")
        .bind(locale)
        .bind(user.id)
        .execute(app.pool())
        .await
        .unwrap();
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(app.pool()).await.unwrap()
}

fn is_code(s: &str) -> bool {
    s.len() == 13
        && s.starts_with("IBA-")
        && s[4..].chars().enumerate().all(|(i, c)| {
            if i == 4 {
                c == '-'
            } else {
                "0123456789ABCDEFGHJKMNPQRSTVWXYZ".contains(c)
            }
        })
}

#[rocket::async_test]
async fn completing_a_course_issues_one_certificate() {
    let app = app().await;
    let w = app.world().await;
    app.post(
        "/api/courses/short-course/enrolment",
        &w.learner_a.token,
        json!({}),
    )
    .await
    .expect(201);
    // Enrolled but not complete: no certificate.
    let none = app
        .get("/api/certificates", &w.learner_a.token)
        .await
        .expect(200);
    assert_eq!(none.body["items"], json!([]));
    app.post(
        "/api/courses/short-course/modules/intro/completion",
        &w.learner_a.token,
        json!({}),
    )
    .await
    .expect(204);
    let code = code_of(&app, &w.learner_a.token, "short-course").await;
    assert!(is_code(&code), "{code}");

    let list = app
        .get("/api/certificates", &w.learner_a.token)
        .await
        .expect(200);
    let items = list.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    let c = &items[0];
    assert_eq!(c["code"], code);
    assert_eq!(c["learner_name"], "Ana Núñez");
    assert_eq!(c["course"], "short-course");
    assert_eq!(c["course_title"], "Short course");
    assert_eq!(c["issuer"], "Partner A");
    assert_eq!(c["revoked"], false);
    assert_eq!(c["verify_url"], format!("{PUBLIC_URL}/verify/{code}"));
    assert!(c["completed_at"].as_str().unwrap().ends_with('Z'));

    // Marking the module again changes nothing.
    app.post(
        "/api/courses/short-course/modules/intro/completion",
        &w.learner_a.token,
        json!({}),
    )
    .await
    .expect(204);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM certificates").await, 1);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM course_completions").await,
        1
    );
    // Other learners see none of it.
    let other = app
        .get("/api/certificates", &w.learner_a2.token)
        .await
        .expect(200);
    assert_eq!(other.body["items"], json!([]));
    assert_problem(&app.get("/api/certificates", &w.advisor.token).await, 403);
    assert_problem(&app.get_anon("/api/certificates").await, 401);
}

#[rocket::async_test]
async fn concurrent_final_steps_complete_and_certify_exactly_once() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let t = &w.learner_a.token;
    app.post("/api/courses/short-course/enrolment", t, json!({}))
        .await
        .expect(201);
    // Twenty simultaneous "last module read" requests.
    let responses = join_all((0..20).map(|_| {
        app.post(
            "/api/courses/short-course/modules/intro/completion",
            t,
            json!({}),
        )
    }))
    .await;
    for r in &responses {
        assert_eq!(r.status.code, 204, "{}", r.text);
    }
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM course_completions").await,
        1
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM certificates").await, 1);

    // The completion path called directly on twenty connections at once: still one.
    let course = course_id(&app, "biotech-basics").await;
    let b = &w.learner_a2;
    app.post("/api/courses/biotech-basics/enrolment", &b.token, json!({}))
        .await
        .expect(201);
    for m in ["welcome", "regulation", "wrap-up"] {
        app.post(
            &format!("/api/courses/biotech-basics/modules/{m}/completion"),
            &b.token,
            json!({}),
        )
        .await
        .expect(204);
    }
    let pool = app.pool().clone();
    let results = join_all((0..20).map(|i| {
        let pool = pool.clone();
        let user = b.id;
        tokio::spawn(async move {
            let mut conn = pool.acquire().await.unwrap();
            crate::common::record_quiz_result(&mut conn, user, course, 70 + i, true).await
        })
    }))
    .await;
    let created = results
        .into_iter()
        .map(|r| r.expect("task").expect("no error"))
        .filter(|c| c.is_some())
        .count();
    assert_eq!(created, 1, "exactly one call completed the course");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM certificates").await,
        2,
        "one certificate per completion"
    );
    let orphans = count(
        &app,
        "SELECT COUNT(*) FROM course_completions cc LEFT JOIN certificates c \
         ON c.completion_id = cc.id WHERE c.id IS NULL",
    )
    .await;
    assert_eq!(orphans, 0, "never a completion without its certificate");

    // The database itself refuses a second certificate for a completion.
    let completion: i64 = sqlx::query_scalar("SELECT MIN(id) FROM course_completions")
        .fetch_one(app.pool())
        .await
        .unwrap();
    let dup = sqlx::query(
        "INSERT INTO certificates (completion_id, code, user_id, course_id, sme_id, partner_id, \
         language, holder_name, sme_name, partner_name, course_slug, course_title, completed_at, \
         completed_on, issued_at) SELECT completion_id, 'IBA-0000-0000', user_id, course_id, \
         sme_id, partner_id, language, holder_name, sme_name, partner_name, course_slug, \
         course_title, completed_at, completed_on, issued_at FROM certificates \
         WHERE completion_id = $1",
    )
    .bind(completion)
    .execute(app.pool())
    .await;
    assert!(dup.is_err(), "unique index on completion_id");
    // And issuing again returns the same code.
    let mut conn = app.pool().acquire().await.unwrap();
    let again = academy::certificates::issue_in_tx(&mut conn, completion, None)
        .await
        .unwrap();
    assert_eq!(again, code_of(&app, t, "short-course").await);
}

#[rocket::async_test]
async fn the_pdf_says_who_what_when_and_carries_a_qr_code_of_the_verify_url() {
    let app = app().await;
    let w = app.world().await;
    let learner = app
        .user(
            "conceicao@sme-b.example",
            "Conceição Araújo-Núñez",
            Role::Learner,
            Some(w.sme_b),
            Some(w.partner_b),
        )
        .await;
    set_locale(&app, &learner, "pt").await;
    complete_biotech_basics(&app, &learner, 85).await;
    let code = code_of(&app, &learner.token, "biotech-basics").await;

    let r = app
        .get(&format!("/api/certificates/{code}/pdf"), &learner.token)
        .await
        .expect(200);
    assert_eq!(r.content_type.as_deref(), Some("application/pdf"));
    assert_eq!(
        r.header("Content-Disposition"),
        Some("attachment; filename=\"Conceicao_Araujo-Nunez-biotech-basics.pdf\"")
    );
    assert!(r.bytes.starts_with(b"%PDF-"));
    let text = pdf_text::squashed_text(&r.bytes);
    for needle in [
        "Conceição Araújo-Núñez",
        "Biotecnologia básica", // the course title in the learner's language
        "SME B",
        "Parceiro B",
        &code,
        "Certificado de Conclusão",
        "IberoBio Academy".to_uppercase().as_str(),
        "85\u{a0}%",
    ] {
        let needle: String = needle.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(text.contains(&needle), "{needle:?} not in {text}");
    }
    // The QR code drawn on the page is exactly the symbol of the verify URL.
    let url = format!("{PUBLIC_URL}/verify/{code}");
    let (width, grid) = pdf_text::qr_grid(&r.bytes).expect("a QR code on the page");
    let expected =
        qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M).unwrap();
    let expected_grid: Vec<bool> = expected
        .to_colors()
        .iter()
        .map(|c| *c == qrcode::Color::Dark)
        .collect();
    assert_eq!(width, expected.width());
    assert_eq!(grid, expected_grid, "QR modules match {url}");
    // Where poppler and zbar are installed, a real decoder reads the same URL off the page.
    if let Some(decoded) = decode_qr_with_zbar(&r.bytes) {
        assert_eq!(decoded, url);
    }

    // Their coordinator and admins may download it; nobody else learns it exists.
    app.get(&format!("/api/certificates/{code}/pdf"), &w.coord_b.token)
        .await
        .expect(200);
    app.get(&format!("/api/certificates/{code}/pdf"), &w.admin.token)
        .await
        .expect(200);
    for who in [&w.coord_a, &w.learner_b, &w.learner_a, &w.advisor] {
        assert_problem(
            &app.get(&format!("/api/certificates/{code}/pdf"), &who.token)
                .await,
            404,
        );
    }
    assert_problem(
        &app.get_anon(&format!("/api/certificates/{code}/pdf")).await,
        401,
    );
    assert_problem(
        &app.get("/api/certificates/IBA-0000-0000/pdf", &w.admin.token)
            .await,
        404,
    );
    assert_problem(
        &app.get("/api/certificates/not-a-code/pdf", &w.admin.token)
            .await,
        404,
    );
}

/// `pdftoppm` + `zbarimg` when both are installed; `None` otherwise.
fn decode_qr_with_zbar(pdf: &[u8]) -> Option<String> {
    use std::process::Command;
    let dir = tempfile::tempdir().ok()?;
    let pdf_path = dir.path().join("c.pdf");
    std::fs::write(&pdf_path, pdf).ok()?;
    let png = dir.path().join("c");
    let ok = Command::new("pdftoppm")
        .args(["-png", "-r", "150", "-singlefile"])
        .arg(&pdf_path)
        .arg(&png)
        .status()
        .ok()?
        .success();
    if !ok {
        return None;
    }
    let out = Command::new("zbarimg")
        .args(["-q", "--raw"])
        .arg(dir.path().join("c.png"))
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let first = text.lines().next()?.trim().to_string();
    (!first.is_empty()).then_some(first)
}

#[rocket::async_test]
async fn an_smes_zip_holds_one_pdf_per_certificate_with_safe_names() {
    let app = app().await;
    let w = app.world().await;
    let twin = app
        .user(
            "ana2@sme-a.example",
            "ANA NÚÑEZ",
            Role::Learner,
            Some(w.sme_a),
            Some(w.partner_a),
        )
        .await;
    complete_short_course(&app, &w.learner_a.token).await;
    complete_short_course(&app, &w.learner_a2.token).await;
    complete_short_course(&app, &twin.token).await;
    complete_biotech_basics(&app, &w.learner_a, 90).await;
    complete_short_course(&app, &w.learner_b.token).await; // another partner's SME

    let r = app
        .get(
            &format!("/api/smes/{}/certificates.zip", w.sme_a),
            &w.coord_a.token,
        )
        .await
        .expect(200);
    assert_eq!(r.content_type.as_deref(), Some("application/zip"));
    assert_eq!(
        r.header("Content-Disposition"),
        Some("attachment; filename=\"SME_A-certificates.zip\"")
    );
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(r.bytes.clone())).unwrap();
    let mut names: Vec<String> = zip.file_names().map(String::from).collect();
    names.sort();
    assert_eq!(names.len(), 4, "{names:?}");
    assert!(names.contains(&"Ana_Nunez-biotech-basics.pdf".to_string()));
    assert!(names.contains(&"Bruno_Diaz-short-course.pdf".to_string()));
    // The two Ana Núñez short-course certificates differ only by case: numbered, not lost.
    let ana_short: Vec<&String> = names
        .iter()
        .filter(|n| n.to_lowercase().starts_with("ana_nunez-short-course"))
        .collect();
    assert_eq!(ana_short.len(), 2, "{names:?}");
    assert!(ana_short.iter().any(|n| n.ends_with("-2.pdf")));
    let mut codes = Vec::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        assert_eq!(f.compression(), zip::CompressionMethod::Deflated);
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        assert!(bytes.starts_with(b"%PDF-"), "{}", f.name());
        let text = pdf_text::squashed_text(&bytes);
        let code = text
            .find("IBA-")
            .map(|i| text[i..i + 13].to_string())
            .unwrap();
        codes.push(code);
    }
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), 4, "four different certificates");

    // Admins too; another partner's coordinator gets a 404, learners a 403.
    app.get(
        &format!("/api/smes/{}/certificates.zip", w.sme_a),
        &w.admin.token,
    )
    .await
    .expect(200);
    assert_problem(
        &app.get(
            &format!("/api/smes/{}/certificates.zip", w.sme_a),
            &w.coord_b.token,
        )
        .await,
        404,
    );
    assert_problem(
        &app.get(
            &format!("/api/smes/{}/certificates.zip", w.sme_a),
            &w.learner_a.token,
        )
        .await,
        403,
    );
    assert_problem(
        &app.get("/api/smes/999999/certificates.zip", &w.admin.token)
            .await,
        404,
    );
    // An SME without certificates: a 404 that says so, not an empty archive.
    let empty = app.sme("SME Without Certificates", w.partner_a).await;
    let none = app
        .get(
            &format!("/api/smes/{empty}/certificates.zip"),
            &w.coord_a.token,
        )
        .await;
    assert_problem(&none, 404);
    assert!(none.text.contains("no certificates yet"), "{}", none.text);

    // A revoked certificate leaves the ZIP.
    let code = code_of(&app, &w.learner_a2.token, "short-course").await;
    app.post(
        &format!("/api/certificates/{code}/revocation"),
        &w.admin.token,
        json!({"reason": "issued in error"}),
    )
    .await
    .expect(200);
    let r = app
        .get(
            &format!("/api/smes/{}/certificates.zip", w.sme_a),
            &w.coord_a.token,
        )
        .await
        .expect(200);
    let zip = zip::ZipArchive::new(std::io::Cursor::new(r.bytes)).unwrap();
    assert_eq!(zip.len(), 3);
    assert!(!zip.file_names().any(|n| n.starts_with("Bruno")));
}

#[rocket::async_test]
async fn coordinators_list_only_their_partners_certificates() {
    let app = app().await;
    let w = app.world().await;
    complete_short_course(&app, &w.learner_a.token).await;
    complete_short_course(&app, &w.learner_b.token).await;
    let names = |r: &Value| -> Vec<String> {
        r["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["learner_name"].as_str().unwrap().to_string())
            .collect()
    };
    let a = app
        .get("/api/certificates", &w.coord_a.token)
        .await
        .expect(200);
    assert_eq!(names(&a.body), vec!["Ana Núñez"]);
    let b = app
        .get("/api/certificates", &w.coord_b.token)
        .await
        .expect(200);
    assert_eq!(names(&b.body), vec!["João Gonçalves"]);
    let all = app
        .get("/api/certificates", &w.admin.token)
        .await
        .expect(200);
    assert_eq!(names(&all.body).len(), 2);
    let filtered = app
        .get(
            &format!("/api/certificates?sme_id={}", w.sme_b),
            &w.coord_a.token,
        )
        .await
        .expect(200);
    assert_eq!(filtered.body["items"], json!([]));
}

#[rocket::async_test]
async fn verification_shows_the_facts_and_unknown_codes_are_404() {
    let app = app().await;
    let w = app.world().await;
    complete_short_course(&app, &w.learner_b.token).await;
    let code = code_of(&app, &w.learner_b.token, "short-course").await;

    let v = app
        .get_anon(&format!("/api/verify/{code}"))
        .await
        .expect(200);
    assert_eq!(v.body["valid"], true);
    assert_eq!(v.body["revoked"], false);
    assert_eq!(v.body["holder_name"], "João Gonçalves");
    assert_eq!(v.body["course_title"], "Short course");
    assert_eq!(v.body["issuer"], "Parceiro B");
    assert!(v.body["completed_at"].as_str().unwrap().ends_with('Z'));
    // Typed by a person: lower case, no hyphens.
    let typed = code.to_lowercase().replace('-', "");
    let again = app
        .get_anon(&format!("/api/verify/{typed}"))
        .await
        .expect(200);
    assert_eq!(again.body["holder_name"], "João Gonçalves");

    assert_problem(&app.get_anon("/api/verify/IBA-0000-0000").await, 404);
    assert_problem(&app.get_anon("/api/verify/whatever").await, 404);

    // The HTML page, localised, in the browser's language or ?lang=.
    let page = app
        .get_with(
            &format!("/verify/{code}"),
            None,
            &[("Accept-Language", "pt-PT,pt;q=0.9,en;q=0.5")],
        )
        .await
        .expect(200);
    assert!(page
        .content_type
        .as_deref()
        .unwrap()
        .starts_with("text/html"));
    assert!(page.text.contains("<html lang=\"pt\">"));
    assert!(page.text.contains("Este certificado é válido"));
    assert!(page.text.contains("João Gonçalves"));
    assert!(page.text.contains("Parceiro B"));
    let es = app
        .get_anon(&format!("/verify/{code}?lang=es"))
        .await
        .expect(200);
    assert!(es.text.contains("Este certificado es válido"));
    let unknown = app
        .get_anon("/verify/IBA-0000-0000?lang=es")
        .await
        .expect(404);
    assert!(unknown
        .text
        .contains("Ningún certificado tiene este código"));
    let css = app.get_anon("/verify/verify.css").await.expect(200);
    assert!(css.content_type.as_deref().unwrap().starts_with("text/css"));
}

#[rocket::async_test]
async fn the_verify_page_escapes_what_people_typed() {
    let app = app().await;
    let w = app.world().await;
    let evil = app
        .user(
            "evil@sme-a.example",
            "<script>alert('x')</script> \"Eve\"",
            Role::Learner,
            Some(w.sme_a),
            Some(w.partner_a),
        )
        .await;
    complete_short_course(&app, &evil.token).await;
    let code = code_of(&app, &evil.token, "short-course").await;
    let page = app.get_anon(&format!("/verify/{code}")).await.expect(200);
    assert!(!page.text.contains("<script>"), "{}", page.text);
    assert!(page
        .text
        .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &quot;Eve&quot;"));
    let hostile = app
        .get_anon("/verify/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E")
        .await
        .expect(404);
    assert!(!hostile.text.contains("<img"));
}

#[rocket::async_test]
async fn admins_revoke_and_verification_says_revoked() {
    let app = app().await;
    let w = app.world().await;
    complete_short_course(&app, &w.learner_a.token).await;
    let code = code_of(&app, &w.learner_a.token, "short-course").await;
    let path = format!("/api/certificates/{code}/revocation");

    assert_problem(
        &app.post(&path, &w.coord_a.token, json!({"reason": "x"}))
            .await,
        403,
    );
    assert_problem(
        &app.post(&path, &w.admin.token, json!({"reason": "  "}))
            .await,
        422,
    );
    assert_problem(&app.post(&path, &w.admin.token, json!({})).await, 422);
    assert_problem(
        &app.post(
            "/api/certificates/IBA-0000-0000/revocation",
            &w.admin.token,
            json!({"reason": "x"}),
        )
        .await,
        404,
    );
    let r = app
        .post(
            &path,
            &w.admin.token,
            json!({"reason": "Quiz answers were shared"}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["revoked"], true);
    assert_eq!(r.body["revocation_reason"], "Quiz answers were shared");
    assert!(r.body["revoked_at"].is_string());
    assert_problem(
        &app.post(&path, &w.admin.token, json!({"reason": "again"}))
            .await,
        409,
    );

    let v = app
        .get_anon(&format!("/api/verify/{code}"))
        .await
        .expect(200);
    assert_eq!(v.body["valid"], false);
    assert_eq!(v.body["revoked"], true);
    let page = app
        .get_anon(&format!("/verify/{code}?lang=en"))
        .await
        .expect(200);
    assert!(page.text.contains("This certificate has been revoked"));
    assert!(!page.text.contains("This certificate is valid"));
    let list = app
        .get("/api/certificates", &w.learner_a.token)
        .await
        .expect(200);
    assert_eq!(list.body["items"][0]["revoked"], true);
    // The PDF still downloads, stamped as revoked.
    let pdf = app
        .get(&format!("/api/certificates/{code}/pdf"), &w.learner_a.token)
        .await
        .expect(200);
    assert!(pdf_text::squashed_text(&pdf.bytes).contains("REVOKED"));
}

#[rocket::async_test]
async fn verification_is_rate_limited_per_address() {
    let app = TestApp::with(|f| f.merge(("verify_rate_per_minute", 3))).await;
    let w: World = app.world().await;
    complete_short_course(&app, &w.learner_a.token).await;
    let code = code_of(&app, &w.learner_a.token, "short-course").await;
    // The client address is the peer's (no proxy is trusted here).
    let from = |path: String, ip: &str| {
        let peer: std::net::SocketAddr = format!("{ip}:4711").parse().unwrap();
        crate::common::send(app.client.get(path).remote(peer))
    };
    from(format!("/api/verify/{code}"), "198.51.100.1")
        .await
        .expect(200);
    from("/api/verify/IBA-0000-0000".to_string(), "198.51.100.1")
        .await
        .expect(404);
    from(format!("/verify/{code}"), "198.51.100.1")
        .await
        .expect(200);
    // The fourth request within the minute, JSON or HTML, known code or not: 429.
    let limited = from(format!("/api/verify/{code}"), "198.51.100.1").await;
    assert_problem(&limited, 429);
    let retry: u64 = limited.header("Retry-After").unwrap().parse().unwrap();
    assert!((1..=61).contains(&retry), "{retry}");
    let page = from("/verify/IBA-0000-0000".to_string(), "198.51.100.1")
        .await
        .expect(429);
    assert!(page.text.contains("Too many verification requests"));
    // Another address is not affected.
    from(format!("/api/verify/{code}"), "198.51.100.2")
        .await
        .expect(200);
}

#[rocket::async_test]
async fn the_verify_limit_is_one_allowance_across_processes() {
    let app = TestApp::with(|f| f.merge(("verify_rate_per_minute", 4))).await;
    let w: World = app.world().await;
    complete_short_course(&app, &w.learner_a.token).await;
    let code = code_of(&app, &w.learner_a.token, "short-course").await;
    let second = app.second_instance().await;
    let peer: std::net::SocketAddr = "198.51.100.7:4711".parse().unwrap();
    // Four checks from one address, alternating between two processes over one database...
    for i in 0..4 {
        let client = if i % 2 == 0 { &app.client } else { &second };
        crate::common::send(client.get(format!("/api/verify/{code}")).remote(peer))
            .await
            .expect(200);
    }
    // ...use the address's allowance on both: each process refuses the fifth.
    for client in [&app.client, &second] {
        let limited =
            crate::common::send(client.get(format!("/api/verify/{code}")).remote(peer)).await;
        assert_problem(&limited, 429);
    }
    // Credentials are checked under the same allowance.
    let r = crate::common::send(
        second
            .post("/api/verify")
            .header(rocket::http::ContentType::new("application", "vc+jwt"))
            .body("a.b.c")
            .remote(peer),
    )
    .await;
    assert_problem(&r, 429);
}

/// `pdftotext` (poppler) on `pdf`, whitespace removed; CI installs poppler-utils. `None` on a
/// machine without it.
fn poppler_text(pdf: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .ok()?;
    Some(
        String::from_utf8(out.stdout)
            .unwrap()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect(),
    )
}

/// The text of `pdf` as poppler reads it, or (without poppler) as lopdf does: then names
/// whose clusters are reordered (Devanagari) cannot be read back, and `reorders` says so.
fn reader_text(pdf: &[u8]) -> (String, bool) {
    match poppler_text(pdf) {
        Some(text) => (text, false),
        None => (pdf_text::squashed_text(pdf), true),
    }
}

#[rocket::async_test]
async fn names_in_any_script_render_and_the_smes_zip_holds_them_all() {
    let app = app().await;
    let w = app.world().await;
    let names = [
        "Zoë Ελένη Кирилл",
        "محمد الأحمد",
        "דוד כהן",
        "देवनागरी नाम",
        "王小明",
        "佐藤 花子",
        "김민준",
        "Ana 🧬",
    ];
    let mut codes = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let user = app
            .user(
                &format!("intl{i}@sme-a.example"),
                name,
                Role::Learner,
                Some(w.sme_a),
                Some(w.partner_a),
            )
            .await;
        complete_short_course(&app, &user.token).await;
        let code = code_of(&app, &user.token, "short-course").await;
        let r = app
            .get(&format!("/api/certificates/{code}/pdf"), &user.token)
            .await
            .expect(200);
        assert!(r.bytes.starts_with(b"%PDF-"), "{name}");
        let (text, without_poppler) = reader_text(&r.bytes);
        let wanted: String = name
            .replace('🧬', "")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let reordered = name.chars().any(|c| ('\u{0900}'..='\u{097F}').contains(&c));
        let rtl: String = wanted.chars().rev().collect();
        assert!(
            text.contains(&wanted) || (without_poppler && (reordered || text.contains(&rtl))),
            "{name}: {wanted} not in {text}"
        );
        assert!(text.contains(&code), "{name}: {code} not in {text}");
        codes.push(code);
    }
    let r = app
        .get(
            &format!("/api/smes/{}/certificates.zip", w.sme_a),
            &w.coord_a.token,
        )
        .await
        .expect(200);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(r.bytes)).unwrap();
    assert_eq!(
        zip.len(),
        names.len(),
        "one PDF each, no README of failures"
    );
    let mut found = Vec::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        assert!(f.name().ends_with(".pdf"), "{}", f.name());
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        let (text, _) = reader_text(&bytes);
        found.extend(codes.iter().filter(|c| text.contains(c.as_str())).cloned());
    }
    found.sort();
    codes.sort();
    assert_eq!(found, codes);
}

//! Courses from files: catalogue, modules and languages, validation, import, sanitising.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::common::{assert_problem, repo_path, Resp, TestApp};

/// Copy a folder tree (test courses are mutated in temp folders, never in place).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A temp courses folder holding copies of the named fixture courses.
pub fn courses_with(fixtures: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in fixtures {
        copy_dir(
            &repo_path("tests/fixtures/courses").join(name),
            &dir.path().join(name),
        );
    }
    dir
}

pub async fn app_on(dir: &Path) -> TestApp {
    let dir: PathBuf = dir.to_path_buf();
    TestApp::with(move |f| f.merge(("courses_dir", dir))).await
}

fn edit(path: &Path, f: impl FnOnce(String) -> String) {
    let text = std::fs::read_to_string(path).unwrap();
    std::fs::write(path, f(text)).unwrap();
}

fn find<'a>(items: &'a Value, slug: &str) -> &'a Value {
    items["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["slug"] == slug)
        .unwrap_or_else(|| panic!("{slug} not in {items}"))
}

async fn import(app: &TestApp, token: &str) -> Resp {
    app.post("/api/admin/courses/import", token, json!({}))
        .await
        .expect(200)
}

/// The problem for a file (suffix match) whose message contains `needle`.
#[track_caller]
fn has_error(report: &Value, file: &str, line: i64, needle: &str) {
    let errors = report["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["file"].as_str().unwrap().ends_with(file)
                && e["line"] == line
                && e["message"].as_str().unwrap().contains(needle)),
        "no error {file}:{line} containing {needle:?} in {}",
        serde_json::to_string_pretty(&errors).unwrap()
    );
}

#[rocket::async_test]
async fn catalogue_lists_courses_in_the_readers_language() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let list = app
        .get("/api/courses", &w.learner_a.token)
        .await
        .expect(200);
    let c = find(&list.body, "biotech-basics");
    assert_eq!(c["title"], "Biotech basics");
    assert_eq!(c["language"], "en");
    assert_eq!(c["topic"], "market_entry");
    assert_eq!(c["module_count"], 3);
    assert_eq!(c["estimated_minutes"], 30);
    assert_eq!(c["languages"], json!(["en", "es", "pt"]));
    assert_eq!(
        find(&list.body, "short-course")["languages"],
        json!(["es", "en"])
    );

    let es = app
        .get("/api/courses?lang=es", &w.advisor.token)
        .await
        .expect(200);
    assert_eq!(
        find(&es.body, "biotech-basics")["title"],
        "Biotecnología básica"
    );
    assert_eq!(
        find(&es.body, "biotech-basics")["summary"],
        "Un pequeño curso de prueba."
    );
    // short-course has no Portuguese title: its default language (es) is used.
    let pt = app
        .get("/api/courses?lang=pt", &w.coord_a.token)
        .await
        .expect(200);
    assert_eq!(find(&pt.body, "short-course")["title"], "Curso corto");
    assert_eq!(find(&pt.body, "short-course")["language"], "es");

    // The user's locale is the next link of the chain.
    app.patch("/api/me", &w.learner_b.token, json!({"locale": "pt"}))
        .await
        .expect(200);
    let mine = app
        .get("/api/courses", &w.learner_b.token)
        .await
        .expect(200);
    assert_eq!(
        find(&mine.body, "biotech-basics")["title"],
        "Biotecnologia básica"
    );

    assert_problem(
        &app.get("/api/courses?lang=fr", &w.learner_a.token).await,
        422,
    );
    assert_problem(&app.get_anon("/api/courses").await, 401);
}

#[rocket::async_test]
async fn course_detail_has_modules_quiz_and_rules() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let c = app
        .get("/api/courses/biotech-basics", &w.learner_a.token)
        .await
        .expect(200);
    let b = &c.body;
    assert_eq!(b["slug"], "biotech-basics");
    let modules: Vec<(&str, &str, i64)> = b["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["slug"].as_str().unwrap(),
                m["title"].as_str().unwrap(),
                m["position"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        modules,
        [
            ("welcome", "Welcome to biotech basics", 1),
            ("regulation", "Regulation in one page", 2),
            ("wrap-up", "Wrap-up", 3)
        ]
    );
    assert_eq!(b["modules"][1]["languages"], json!(["en", "es"]));
    assert_eq!(
        b["quiz"],
        json!({"question_count": 2, "pass_mark": 60, "max_attempts": 3, "time_limit_minutes": 10})
    );
    assert_eq!(b["completion"]["quiz"], true);
    assert_eq!(
        b["completion"]["modules"],
        json!(["welcome", "regulation", "wrap-up"])
    );
    assert!(b["materials"].is_array());

    let s = app
        .get("/api/courses/short-course?lang=en", &w.admin.token)
        .await
        .expect(200);
    assert!(s.body["quiz"].is_null());
    assert_eq!(s.body["completion"]["modules"], json!(["intro"]));
    assert_eq!(s.body["title"], "Short course");
    // A module missing in English keeps its Spanish title.
    assert_eq!(s.body["modules"][1]["title"], "Extra");

    assert_problem(&app.get("/api/courses/nope", &w.learner_a.token).await, 404);
}

#[rocket::async_test]
async fn modules_fall_back_to_the_default_language_and_say_so() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let t = &w.learner_a.token;
    let m = app
        .get("/api/courses/biotech-basics/modules/regulation?lang=es", t)
        .await
        .expect(200);
    assert_eq!(m.body["language"], "es");
    assert_eq!(m.body["fallback"], false);
    assert_eq!(m.body["title"], "La regulación en una página");
    assert!(m.body["html"].as_str().unwrap().contains("marcado CE"));
    assert_eq!(m.body["previous"]["slug"], "welcome");
    assert_eq!(
        m.body["previous"]["title"],
        "Bienvenida a la biotecnología básica"
    );
    assert_eq!(m.body["next"]["slug"], "wrap-up");

    // No Portuguese version of this module: English, and told so.
    let m = app
        .get("/api/courses/biotech-basics/modules/regulation?lang=pt", t)
        .await
        .expect(200);
    assert_eq!(m.body["language"], "en");
    assert_eq!(m.body["fallback"], true);
    assert_eq!(m.body["title"], "Regulation in one page");
    assert_eq!(m.body["position"], 2);

    // The locale applies without ?lang; ?lang wins over it.
    app.patch("/api/me", t, json!({"locale": "pt"}))
        .await
        .expect(200);
    let m = app
        .get("/api/courses/biotech-basics/modules/welcome", t)
        .await
        .expect(200);
    assert_eq!(m.body["language"], "pt");
    assert_eq!(m.body["fallback"], false);
    assert!(m.body["previous"].is_null());
    let m = app
        .get("/api/courses/biotech-basics/modules/wrap-up?lang=en", t)
        .await
        .expect(200);
    assert_eq!(m.body["language"], "en");
    assert!(m.body["next"].is_null());
    let m = app
        .get("/api/courses/biotech-basics/modules/regulation", t)
        .await
        .expect(200);
    assert_eq!(
        (m.body["language"].as_str(), m.body["fallback"].as_bool()),
        (Some("en"), Some(true))
    );

    // Default language es: an English reader of a Spanish-only module gets Spanish.
    let m = app
        .get("/api/courses/short-course/modules/extra?lang=en", t)
        .await
        .expect(200);
    assert_eq!(m.body["language"], "es");
    assert_eq!(m.body["fallback"], true);

    for path in [
        "/api/courses/biotech-basics/modules/nope",
        "/api/courses/nope/modules/welcome",
    ] {
        assert_problem(&app.get(path, t).await, 404);
    }
    assert_problem(
        &app.get("/api/courses/biotech-basics/modules/welcome?lang=xx", t)
            .await,
        422,
    );
}

#[rocket::async_test]
async fn module_html_has_extensions_anchors_and_working_links() {
    let app = TestApp::new().await;
    let w = app.world().await;
    let m = app
        .get(
            "/api/courses/biotech-basics/modules/welcome",
            &w.learner_a.token,
        )
        .await
        .expect(200);
    let html = m.body["html"].as_str().unwrap();
    // The title is a field, not repeated in the body.
    assert!(!html.contains("<h1"), "{html}");
    for needle in [
        r#"<h2 id="what-you-will-learn">"#,
        r#"<h2 id="next">"#,
        "<table>",
        r#"style="text-align: right""#,
        r#"type="checkbox""#,
        "<del>old</del>",
        "footnote-definition",
        r##"href="#/courses/biotech-basics/regulation""##,
        r##"href="#/courses/biotech-basics/regulation#the-ce-mark""##,
        r##"href="#/courses/biotech-basics/wrap-up""##,
        r##"href="#/courses/biotech-basics/welcome#what-you-will-learn""##,
        r##"href="#/courses/biotech-basics/materials/Export%20checklist""##,
    ] {
        assert!(html.contains(needle), "{needle} missing in {html}");
    }
}

#[rocket::async_test]
async fn the_shipped_courses_import_without_errors() {
    let dir = repo_path("courses");
    let app = TestApp::with(move |f| {
        f.merge(("courses_dir", dir))
            .merge(("import_on_start", false))
    })
    .await;
    let w = app.world().await;
    assert_eq!(
        app.get("/api/courses", &w.admin.token)
            .await
            .expect(200)
            .body["items"],
        json!([])
    );
    let r = import(&app, &w.admin.token).await;
    assert_eq!(r.body["errors"], json!([]), "{}", r.text);
    let shipped = std::fs::read_dir(repo_path("courses"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().is_dir())
        .count() as i64;
    assert_eq!(r.body["imported"], shipped);
    let again = import(&app, &w.admin.token).await;
    assert_eq!(
        (
            again.body["imported"].as_i64(),
            again.body["updated"].as_i64(),
            again.body["unchanged"].as_i64()
        ),
        (Some(0), Some(0), Some(shipped))
    );
    let list = app
        .get("/api/courses", &w.learner_a.token)
        .await
        .expect(200);
    for slug in [
        "international-markets",
        "financing-growth",
        "international-talent",
        "open-innovation-ip",
    ] {
        let c = find(&list.body, slug);
        let n = c["module_count"].as_i64().unwrap();
        assert!((4..=6).contains(&n), "{slug}: {n} modules");
        let langs = c["languages"].clone();
        for l in ["en", "es", "pt"] {
            assert!(
                langs.as_array().unwrap().contains(&json!(l)),
                "{slug}: {langs}"
            );
        }
        let detail = app
            .get(&format!("/api/courses/{slug}"), &w.learner_a.token)
            .await
            .expect(200);
        assert!(
            detail.body["quiz"]["question_count"].as_i64().unwrap() > 0,
            "{slug}"
        );
        for m in detail.body["modules"].as_array().unwrap() {
            // Every module in every language of the course.
            assert_eq!(m["languages"], langs, "{slug}/{}", m["slug"]);
        }
    }
}

#[rocket::async_test]
async fn admin_import_is_for_admins_only() {
    let app = TestApp::new().await;
    let w = app.world().await;
    for t in [&w.coord_a.token, &w.learner_a.token, &w.advisor.token] {
        assert_problem(
            &app.post("/api/admin/courses/import", t, json!({})).await,
            403,
        );
    }
    let r = import(&app, &w.admin.token).await;
    assert_eq!(r.body["errors"], json!([]), "{}", r.text);
    assert_eq!(r.body["imported"], 0);
    assert_eq!(r.body["updated"], 0);
    assert!(r.body["unchanged"].as_i64().unwrap() >= 2);
}

/// Every validation problem names its file and line, and one bad course does not stop others.
#[rocket::async_test]
async fn validation_errors_name_file_and_line() {
    let dir = courses_with(&["biotech-basics"]);
    let root = dir.path();
    let variant = |name: &str| {
        let to = root.join(name);
        copy_dir(&root.join("biotech-basics"), &to);
        edit(&to.join("course.toml"), |t| {
            t.replace("slug = \"biotech-basics\"", &format!("slug = \"{name}\""))
        });
        to
    };
    // Missing title (course and module).
    let c = variant("no-title");
    edit(&c.join("course.toml"), |t| {
        t.replace("[title]\nen = \"Biotech basics\"\nes = \"Biotecnología básica\"\npt = \"Biotecnologia básica\"\n", "")
    });
    edit(&c.join("es/02-regulation.md"), |t| {
        t.replace("# La regulación en una página\n", "La regulación\n")
    });
    // Unknown language: as the default, and as a folder.
    let c = variant("bad-language");
    edit(&c.join("course.toml"), |t| {
        t.replace("default_language = \"en\"", "default_language = \"fr\"")
    });
    let c = variant("french-folder");
    copy_dir(&c.join("es"), &c.join("fr"));
    // Slug that is not the folder name (two folders cannot share a slug), duplicate module slug.
    let c = variant("dup-slug");
    edit(&c.join("course.toml"), |t| {
        t.replace("slug = \"dup-slug\"", "slug = \"biotech-basics\"")
    });
    let c = variant("dup-module");
    std::fs::copy(c.join("en/03-wrap-up.md"), c.join("en/04-welcome.md")).unwrap();
    // Module order gap.
    let c = variant("gap");
    std::fs::rename(c.join("en/03-wrap-up.md"), c.join("en/04-wrap-up.md")).unwrap();
    // Broken internal links: missing module, missing anchor, a relative file.
    let c = variant("broken-link");
    edit(&c.join("en/02-regulation.md"), |t| {
        t.replace(
            "The US route",
            "See [nothing](07-nothing.md), [no anchor](01-welcome.md#nowhere) and [a file](notes.pdf).\n\nThe US route",
        )
    });
    // The quiz refers to a missing module (checked by the quizzes parser).
    let c = variant("quiz-module");
    edit(&c.join("quiz.toml"), |t| {
        t.replace("module = \"regulation\"", "module = \"nowhere\"")
    });
    // Unknown keys, top level and nested.
    let c = variant("unknown-key");
    edit(&c.join("course.toml"), |t| {
        t.replace("topic = ", "colour = \"red\"\ntopic = ")
    });
    let c = variant("unknown-nested");
    edit(&c.join("course.toml"), |t| {
        t.replace("pass_mark = 60", "pass_mark = 60\npassmark = 70")
    });
    // Modules in a language that the default lacks; a required quiz without quiz.toml.
    let c = variant("orphan");
    std::fs::write(c.join("es/04-extra.md"), "# Extra\n").unwrap();
    std::fs::remove_file(c.join("quiz.toml")).unwrap();

    let app = app_on(root).await;
    let w = app.world().await;
    let r = import(&app, &w.admin.token).await;
    let b = &r.body;
    // The good course still imports (at start-up; this run finds it unchanged).
    assert_eq!(b["unchanged"], 1, "{}", r.text);
    has_error(b, "no-title/course.toml", 0, "missing title");
    has_error(b, "no-title/es/02-regulation.md", 1, "missing title");
    has_error(b, "bad-language/course.toml", 3, "unknown language \"fr\"");
    has_error(b, "french-folder/fr/", 0, "unknown language folder \"fr\"");
    has_error(b, "dup-slug/course.toml", 1, "must equal the folder name");
    has_error(
        b,
        "dup-module/en/04-welcome.md",
        0,
        "duplicate module slug \"welcome\"",
    );
    has_error(
        b,
        "gap/en/04-wrap-up.md",
        0,
        "module order gap: expected position 03, found 04",
    );
    has_error(
        b,
        "broken-link/en/02-regulation.md",
        11,
        "no module file 07-nothing.md",
    );
    has_error(
        b,
        "broken-link/en/02-regulation.md",
        11,
        "01-welcome.md has no heading with the anchor #nowhere",
    );
    has_error(
        b,
        "broken-link/en/02-regulation.md",
        11,
        "broken internal link \"notes.pdf\"",
    );
    has_error(
        b,
        "quiz-module/quiz.toml",
        11,
        "module \"nowhere\" is not a module",
    );
    has_error(b, "unknown-key/course.toml", 4, "unknown field `colour`");
    has_error(
        b,
        "unknown-nested/course.toml",
        21,
        "unknown field `passmark`",
    );
    has_error(
        b,
        "orphan/es/04-extra.md",
        0,
        "does not exist in the default language",
    );
    has_error(b, "orphan/course.toml", 19, "no quiz.toml");
    let mut skipped: Vec<&str> = b["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    skipped.sort();
    assert_eq!(
        skipped,
        [
            "bad-language",
            "broken-link",
            "dup-module",
            "dup-slug",
            "french-folder",
            "gap",
            "no-title",
            "orphan",
            "quiz-module",
            "unknown-key",
            "unknown-nested"
        ]
    );
    // Nothing of a broken course reaches the catalogue.
    let list = app.get("/api/courses", &w.admin.token).await.expect(200);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
}

#[rocket::async_test]
async fn reimport_updates_changed_modules_and_keeps_progress() {
    let dir = courses_with(&["biotech-basics", "short-course"]);
    let course = dir.path().join("biotech-basics");
    let app = app_on(dir.path()).await;
    let w = app.world().await;
    let t = &w.learner_a.token;
    app.post("/api/courses/biotech-basics/enrolment", t, json!({}))
        .await
        .expect(201);
    for m in ["welcome", "regulation"] {
        app.post(
            &format!("/api/courses/biotech-basics/modules/{m}/completion"),
            t,
            json!({}),
        )
        .await
        .expect(204);
    }

    let before = import(&app, &w.admin.token).await;
    assert_eq!(
        (
            before.body["updated"].as_i64(),
            before.body["unchanged"].as_i64()
        ),
        (Some(0), Some(2))
    );

    edit(&course.join("en/02-regulation.md"), |t| {
        t.replace("need a conformity assessment", "need a revised assessment")
    });
    let r = import(&app, &w.admin.token).await;
    assert_eq!(
        (
            r.body["imported"].as_i64(),
            r.body["updated"].as_i64(),
            r.body["unchanged"].as_i64()
        ),
        (Some(0), Some(1), Some(1)),
        "{}",
        r.text
    );
    let m = app
        .get("/api/courses/biotech-basics/modules/regulation", t)
        .await
        .expect(200);
    assert!(m.body["html"]
        .as_str()
        .unwrap()
        .contains("revised assessment"));
    let p = app
        .get("/api/courses/biotech-basics/progress", t)
        .await
        .expect(200);
    assert_eq!(
        p.body["completed_modules"],
        json!(["welcome", "regulation"])
    );
    assert_eq!(p.body["modules_total"], 3);

    // A module removed from the files disappears; reading the rest still counts.
    std::fs::remove_file(course.join("en/03-wrap-up.md")).unwrap();
    std::fs::remove_file(course.join("es/03-wrap-up.md")).unwrap();
    std::fs::remove_file(course.join("pt/03-wrap-up.md")).unwrap();
    edit(&course.join("en/01-welcome.md"), |t| {
        t.replace("[the end](03-wrap-up.md)", "the end")
    });
    edit(&course.join("en/02-regulation.md"), |t| {
        t.replace(" See the [wrap-up](03-wrap-up.md).", "")
    });
    edit(&course.join("es/02-regulation.md"), |t| {
        t.replace("Ver el [cierre](03-wrap-up.md).", "")
    });
    let r = import(&app, &w.admin.token).await;
    assert_eq!(r.body["errors"], json!([]), "{}", r.text);
    assert_eq!(r.body["updated"], 1);
    assert_problem(
        &app.get("/api/courses/biotech-basics/modules/wrap-up", t)
            .await,
        404,
    );
    let p = app
        .get("/api/courses/biotech-basics/progress", t)
        .await
        .expect(200);
    assert_eq!(p.body["modules_total"], 2);
    assert_eq!(p.body["modules_completed"], 2);

    // Put it back: the same module (and id) returns, still unread.
    std::fs::write(
        course.join("en/03-wrap-up.md"),
        "# Wrap-up again\n\nBack.\n",
    )
    .unwrap();
    import(&app, &w.admin.token).await;
    let p = app
        .get("/api/courses/biotech-basics/progress", t)
        .await
        .expect(200);
    assert_eq!(p.body["modules_total"], 3);
    assert_eq!(p.body["modules_missing"], json!(["wrap-up"]));
    app.post(
        "/api/courses/biotech-basics/modules/wrap-up/completion",
        t,
        json!({}),
    )
    .await
    .expect(204);
}

/// Hostile Markdown: nothing executable survives rendering and sanitising.
#[rocket::async_test]
async fn hostile_markdown_is_neutralised() {
    let dir = courses_with(&["short-course"]);
    let corpus = r#"# Hostile

<script>alert('x')</script>

Inline <script>alert(1)</script> script and <img src=x onerror=alert(2)> image.

[click](javascript:alert(3)) [CLICK](JaVaScRiPt:alert(4)) [enc](jav&#x61;script:alert(5))

[data](data:text/html;base64,PHNjcmlwdD5hbGVydCg2KTwvc2NyaXB0Pg==) ![img](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)

<svg onload=alert(7)><script>alert(8)</script></svg>

<svg><foreignObject><iframe src="javascript:alert(9)"></iframe></foreignObject></svg>

<iframe src="https://evil.example/"></iframe>

<div style="background:url(javascript:alert(10))" onclick="alert(11)">styled</div>

<style>body{display:none}</style>

<a href="https://ok.example/" onmouseover="alert(12)">hover</a> and [ok](https://ok.example/)

<<script>script>alert(13)<</script>/script>

<scr<script>ipt>alert(14)</scr</script>ipt>

<object data="x.swf"></object><embed src="x.swf"><form action="https://evil.example"><input type="password"></form>

<math><mtext><table><mglyph><style><img src=x onerror=alert(15)>

<!-- <img src=x onerror=alert(16)> -->

<details open ontoggle=alert(17)>x</details>

[vb](vbscript:msgbox(18)) [file](file:///etc/passwd)

## Heading {#x onclick=alert(19) .evil style="color:red"}

`<script>alert(20)</script>` in code is text.

```html
<script>alert(21)</script>
```
"#;
    std::fs::write(dir.path().join("short-course/es/02-extra.md"), corpus).unwrap();
    let app = app_on(dir.path()).await;
    let w = app.world().await;
    let m = app
        .get(
            "/api/courses/short-course/modules/extra",
            &w.learner_a.token,
        )
        .await
        .expect(200);
    let html = m.body["html"].as_str().unwrap();
    let lower = html.to_ascii_lowercase();
    for bad in [
        "<script",
        "<svg",
        "<iframe",
        "<style",
        "<object",
        "<embed",
        "<form",
        "<math",
        "<img src=\"x\"",
        "onerror",
        "onload",
        "onclick",
        "onmouseover",
        "ontoggle",
        "javascript:",
        "vbscript:",
        "data:",
        "file:",
        "style=\"background",
        "style=\"color",
        "class=\"evil",
        "password",
        "<!--",
    ] {
        assert!(!lower.contains(bad), "{bad} survived in {html}");
    }
    // Code is shown as text, escaped.
    assert!(
        html.contains("&lt;script&gt;alert(20)&lt;/script&gt;"),
        "{html}"
    );
    assert!(
        html.contains("&lt;script&gt;alert(21)&lt;/script&gt;"),
        "{html}"
    );
    // Benign content survives.
    assert!(html.contains(r#"href="https://ok.example/""#), "{html}");
    assert!(html.contains(r#"<h2 id="x">"#), "{html}");
    assert!(html.contains("Heading</h2>"), "{html}");
    // Raw HTML blocks are removed whole, even harmless ones.
    assert!(!html.contains("styled"), "{html}");
}

/// Seventy courses (more rows than one import statement takes) and a broken one: every good
/// course is stored whole, in folder order, and a re-import touches only what changed.
#[rocket::async_test]
async fn a_large_catalogue_imports_in_batches_and_reimports_only_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = repo_path("tests/fixtures/courses/biotech-basics");
    for i in 0..70 {
        let slug = format!("bulk-{i:03}");
        let course = dir.path().join(&slug);
        copy_dir(&fixture, &course);
        edit(&course.join("course.toml"), |t| {
            t.replace("slug = \"biotech-basics\"", &format!("slug = \"{slug}\""))
        });
        edit(&course.join("en/01-welcome.md"), |t| {
            format!("{t}\nCourse number {i}.\n")
        });
    }
    copy_dir(&fixture, &dir.path().join("bulk-broken"));
    edit(&dir.path().join("bulk-broken/course.toml"), |t| {
        t.replace("slug = \"biotech-basics\"", "slug = \"Bulk Broken\"")
    });
    let app = app_on(dir.path()).await;
    let w = app.world().await;
    let t = &w.learner_a.token;

    let catalogue = app.get("/api/courses", t).await.expect(200);
    let items = catalogue.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 70, "{}", catalogue.text);
    for item in items {
        assert_eq!(item["module_count"], 3, "{item}");
    }
    for (slug, n) in [("bulk-000", 0), ("bulk-069", 69)] {
        let m = app
            .get(&format!("/api/courses/{slug}/modules/welcome?lang=en"), t)
            .await
            .expect(200);
        assert!(
            m.body["html"]
                .as_str()
                .unwrap()
                .contains(&format!("Course number {n}.")),
            "{}",
            m.text
        );
        let es = app
            .get(
                &format!("/api/courses/{slug}/modules/regulation?lang=es"),
                t,
            )
            .await
            .expect(200);
        assert_eq!(es.body["language"], "es", "{}", es.text);
    }

    let r = import(&app, &w.admin.token).await;
    assert_eq!(
        (
            &r.body["imported"],
            &r.body["updated"],
            &r.body["unchanged"]
        ),
        (&json!(0), &json!(0), &json!(70)),
        "{}",
        r.text
    );
    assert_eq!(r.body["skipped"], json!(["bulk-broken"]), "{}", r.text);

    edit(&dir.path().join("bulk-042/es/02-regulation.md"), |t| {
        format!("{t}\nCambio nuevo.\n")
    });
    let r = import(&app, &w.admin.token).await;
    assert_eq!(
        (
            &r.body["imported"],
            &r.body["updated"],
            &r.body["unchanged"]
        ),
        (&json!(0), &json!(1), &json!(69)),
        "{}",
        r.text
    );
    let m = app
        .get("/api/courses/bulk-042/modules/regulation?lang=es", t)
        .await
        .expect(200);
    assert!(m.body["html"].as_str().unwrap().contains("Cambio nuevo."));
}

#[rocket::async_test]
async fn module_pages_and_the_catalogue_revalidate_and_follow_an_import_by_another_process() {
    let dir = courses_with(&["biotech-basics", "short-course"]);
    let app = app_on(dir.path()).await;
    let w = app.world().await;
    let t = &w.learner_a.token;
    let path = "/api/courses/biotech-basics/modules/regulation";
    let first = app.get(path, t).await.expect(200);
    let etag = first.header("ETag").expect("an ETag").to_string();
    assert_eq!(first.header("Cache-Control"), Some("private, no-cache"));
    // The same page again: the same bytes and tag; revalidated: 304 without a body.
    let again = app.get(path, t).await.expect(200);
    assert_eq!(
        (again.text.as_str(), again.header("ETag")),
        (first.text.as_str(), Some(etag.as_str()))
    );
    let get_if = |path: &str, tag: &str| {
        let req = app
            .client
            .get(path.to_string())
            .header(rocket::http::Header::new(
                "Authorization",
                format!("Bearer {t}"),
            ))
            .header(rocket::http::Header::new("If-None-Match", tag.to_string()));
        crate::common::send(req)
    };
    let unchanged = get_if(path, &etag).await.expect(304);
    assert!(unchanged.bytes.is_empty());
    assert_eq!(unchanged.header("ETag"), Some(etag.as_str()));
    // Another language is another page; the token is still checked first.
    let es = app.get(&format!("{path}?lang=es"), t).await.expect(200);
    assert_ne!(es.header("ETag"), Some(etag.as_str()));
    assert_eq!(es.body["language"], "es");
    assert_problem(&app.get_anon(path).await, 401);
    let catalogue = app.get("/api/courses", t).await.expect(200);
    let catalogue_tag = catalogue.header("ETag").unwrap().to_string();
    get_if("/api/courses", &catalogue_tag).await.expect(304);

    // Another process imports changed files: this one serves the new content at once.
    edit(
        &dir.path().join("biotech-basics/en/02-regulation.md"),
        |t| t.replace("need a conformity assessment", "need a revised assessment"),
    );
    edit(&dir.path().join("short-course/course.toml"), |t| {
        t.replace("en = \"Short course\"", "en = \"A shorter course\"")
    });
    // (The second process imports the changed files as it starts.)
    let other = app.second_instance().await;
    let imported = crate::common::post_via(
        &other,
        "/api/admin/courses/import",
        &w.admin.token,
        &json!({}),
    )
    .await;
    assert_eq!(imported.body["unchanged"], 2, "{}", imported.text);
    let changed = get_if(path, &etag).await.expect(200);
    assert!(changed.body["html"]
        .as_str()
        .unwrap()
        .contains("revised assessment"));
    assert_ne!(changed.header("ETag"), Some(etag.as_str()));
    let catalogue = get_if("/api/courses", &catalogue_tag).await.expect(200);
    assert_eq!(
        find(&catalogue.body, "short-course")["title"],
        "A shorter course"
    );
}

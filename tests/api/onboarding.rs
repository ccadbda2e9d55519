//! Bulk onboarding: a coordinator uploads an SME's staff list (CSV as Spanish, Portuguese and
//! English spreadsheets save it), previews it, confirms, and the invitations arrive through a
//! real SMTP server; uploading the same file again invites nobody twice.

use rocket::http::{ContentType, Header};
use serde_json::{json, Value};

use crate::common::{assert_problem, send, Resp, TestApp};
use crate::mail::{parse, token_in, with_smtp, Sink};

async fn upload(app: &TestApp, token: &str, sme: i64, file: &[u8], confirm: bool) -> Resp {
    let path = if confirm {
        format!("/api/smes/{sme}/invitations/import?confirm=true")
    } else {
        format!("/api/smes/{sme}/invitations/import")
    };
    let req = app
        .client
        .post(path)
        .header(ContentType::new("text", "csv"))
        .header(Header::new("Authorization", format!("Bearer {token}")))
        .body(file);
    send(req).await
}

fn statuses(r: &Resp) -> Vec<(i64, String)> {
    r.body["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", r.text))
        .iter()
        .map(|row| {
            (
                row["line"].as_i64().unwrap(),
                row["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn row(r: &Resp, line: i64) -> &Value {
    r.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["line"] == line)
        .unwrap_or_else(|| panic!("no line {line}: {}", r.text))
}

async fn outbox_len(app: &TestApp) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM outbox")
        .fetch_one(app.pool())
        .await
        .unwrap();
    n
}

/// Excel in Spain: semicolons, a byte order mark, Spanish headers, CRLF.
const SPANISH: &str = "\u{feff}Nombre;Correo electrónico;Idioma;Zona horaria\r\n\
    Lucía Pérez;Lucia.Perez@sme-a.example;es;Europe/Madrid\r\n\
    Tiago Matos;tiago@sme-a.example;Português;Europe/Lisbon\r\n\
    Ana Núñez;ana@sme-a.example;es;\r\n";

#[rocket::async_test]
async fn a_coordinator_previews_confirms_and_the_invitations_arrive_once() {
    let sink = Sink::start();
    let app = TestApp::with(with_smtp(sink.port)).await;
    let w = app.world().await;

    let preview = upload(&app, &w.coord_a.token, w.sme_a, SPANISH.as_bytes(), false).await;
    assert_eq!(preview.status.code, 200, "{}", preview.text);
    assert_eq!(preview.body["confirmed"], false);
    // Ana (line 4) is already a learner of SME A in the test world.
    assert_eq!(
        statuses(&preview),
        vec![
            (2, "new".to_string()),
            (3, "new".to_string()),
            (4, "exists".to_string())
        ]
    );
    assert_eq!(row(&preview, 2)["email"], "lucia.perez@sme-a.example");
    assert_eq!(row(&preview, 3)["locale"], "pt");
    assert_eq!(row(&preview, 3)["time_zone"], "Europe/Lisbon");
    assert_eq!(
        (
            preview.body["new"].as_i64(),
            preview.body["existing"].as_i64()
        ),
        (Some(2), Some(1))
    );
    assert_eq!(outbox_len(&app).await, 0, "a preview writes nothing");

    let done = upload(&app, &w.coord_a.token, w.sme_a, SPANISH.as_bytes(), true).await;
    assert_eq!(done.status.code, 200, "{}", done.text);
    assert_eq!(done.body["confirmed"], true);
    assert_eq!(done.body["invited"], 2);
    assert_eq!(
        statuses(&done),
        vec![
            (2, "invited".to_string()),
            (3, "invited".to_string()),
            (4, "exists".to_string())
        ]
    );
    let mails: Vec<_> = sink.wait_for(2).await.iter().map(|m| parse(m)).collect();
    let to_lucia = mails
        .iter()
        .find(|m| m.to == "lucia.perez@sme-a.example")
        .expect("Lucía's invitation");
    assert_eq!(to_lucia.subject, "Invitación a IberoBio Academy");
    let to_tiago = mails
        .iter()
        .find(|m| m.to == "tiago@sme-a.example")
        .expect("Tiago's invitation");
    assert_eq!(to_tiago.subject, "Convite para a IberoBio Academy");

    // The same file again: nobody new, no mail.
    let again = upload(&app, &w.coord_a.token, w.sme_a, SPANISH.as_bytes(), true).await;
    assert_eq!(again.status.code, 200, "{}", again.text);
    assert_eq!(again.body["invited"], 0);
    assert!(
        statuses(&again).iter().all(|(_, s)| s == "exists"),
        "{}",
        again.text
    );
    assert_eq!(outbox_len(&app).await, 2);

    // Tiago accepts through the link and is a learner of SME A, in Lisbon time, in Portuguese.
    let accepted = app
        .post_anon(
            "/api/invitations/accept",
            json!({"token": token_in(&to_tiago.text), "password": "pastel de nata quente"}),
        )
        .await;
    assert_eq!(accepted.status.code, 200, "{}", accepted.text);
    let user = &accepted.body["user"];
    assert_eq!(user["sme_id"].as_i64(), Some(w.sme_a));
    assert_eq!(user["role"], "learner");
    assert_eq!(user["locale"], "pt");
    assert_eq!(user["time_zone"], "Europe/Lisbon");
}

#[rocket::async_test]
async fn row_errors_say_line_and_field_and_block_the_confirmation() {
    let sink = Sink::start();
    let app = TestApp::with(with_smtp(sink.port)).await;
    let w = app.world().await;
    let file = "name,email,language,time zone\n\
        Good Person,good@sme-a.example,en,Europe/Madrid\n\
        ,no-at-sign,fr,Mars/Olympus\n\
        Twice,GOOD@sme-a.example,en,\n\
        João,joao.lisbon@sme-b.example,pt,Europe/Lisbon\n";
    let preview = upload(&app, &w.coord_a.token, w.sme_a, file.as_bytes(), false).await;
    assert_eq!(preview.status.code, 200, "{}", preview.text);
    assert_eq!(
        statuses(&preview),
        vec![
            (2, "new".to_string()),
            (3, "error".to_string()),
            (4, "error".to_string()),
            // João has an account in another partner's SME: not the coordinator's to see.
            (5, "unavailable".to_string()),
        ]
    );
    let fields: Vec<&str> = row(&preview, 3)["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for f in ["name", "email", "language", "time_zone"] {
        assert!(fields.contains(&f), "{f} missing from {fields:?}");
    }
    assert!(row(&preview, 4)["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("line 2"));
    assert!(
        row(&preview, 5)["user_id"].is_null(),
        "no id leaks across partners"
    );

    let refused = upload(&app, &w.coord_a.token, w.sme_a, file.as_bytes(), true).await;
    assert_problem(&refused, 422);
    assert!(refused.text.contains("line 3: email"), "{}", refused.text);
    assert_eq!(
        outbox_len(&app).await,
        0,
        "nobody is invited while a row is wrong"
    );
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM users WHERE email = 'good@sme-a.example'")
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(n, 0);
}

#[rocket::async_test]
async fn unreadable_files_and_other_partners_smes_are_refused() {
    let app = TestApp::new().await;
    let w = app.world().await;
    for (file, field) in [
        (&b""[..], "file"),
        (&b"name,email\n"[..], "file"),
        (&b"telefono;direccion\n1;2\n"[..], "header"),
        (&b"name,email\n\xff\xfe\xfd,x@y.example\n"[..], "file"),
    ] {
        let r = upload(&app, &w.coord_a.token, w.sme_a, file, false).await;
        assert_problem(&r, 422);
        assert_eq!(r.body["errors"][0]["field"], field, "{}", r.text);
    }
    let csv = b"name,email\nX,x@sme-b.example\n";
    assert_problem(
        &upload(&app, &w.coord_a.token, w.sme_b, csv, false).await,
        404,
    );
    assert_problem(
        &upload(&app, &w.learner_a.token, w.sme_a, csv, false).await,
        403,
    );
    assert_problem(
        &upload(&app, &w.advisor.token, w.sme_a, csv, false).await,
        403,
    );
    assert_problem(
        &upload(&app, &w.coord_a.token, 999_999, csv, false).await,
        404,
    );
    // Over the size limit: 413, not a half-read file.
    let big = format!("name,email\n{}", "A,a@b.example\n".repeat(80_000));
    assert_problem(
        &upload(&app, &w.coord_a.token, w.sme_a, big.as_bytes(), false).await,
        413,
    );
    // An admin may import into any SME.
    let r = upload(&app, &w.admin.token, w.sme_b, csv, false).await;
    assert_eq!(r.status.code, 200, "{}", r.text);
    assert_eq!(statuses(&r), vec![(2, "new".to_string())]);
}

//! Open Badges 3.0 credentials: the VC-JWT of a certificate, signed by a published key
//! (JWK set and did:web document), its JSON and baked PNG forms, the revocation status list,
//! `POST /api/verify`, key rotation, and two processes with keys of their own.
//!
//! Independent verifiers (PyPI openbadgeslib, npm jose, ajv against 1EdTech's schema, the
//! W3C status list library) check the same credentials in `tests/ob3/run.sh`.

use std::io::Read;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rocket::http::{ContentType, Method};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::certificates::{app, code_of, complete_short_course, PUBLIC_URL};
use crate::common::{assert_problem, Resp, TestApp};

const DID: &str = "did:web:academy.iberobio.example";

fn payload_of(jwt: &str) -> Value {
    let part = jwt.split('.').nth(1).expect("three parts");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
}

fn header_of(jwt: &str) -> Value {
    let part = jwt.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// Verify `jwt` with the key of the served JWK set its header names.
async fn verify_with_jwks(app: &TestApp, jwt: &str) -> Result<Value, jsonwebtoken::errors::Error> {
    let set = app.get_anon("/.well-known/jwks.json").await.expect(200);
    let set: JwkSet = serde_json::from_value(set.body).unwrap();
    let kid = jsonwebtoken::decode_header(jwt)?.kid.expect("kid");
    let jwk = set.find(&kid).expect("the signing key is published");
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<Value>(jwt, &DecodingKey::from_jwk(jwk)?, &validation).map(|d| d.claims)
}

/// `jwt` with the byte at `index` of part `part` (0 header, 1 payload, 2 signature) changed to
/// another base64url symbol.
fn with_changed_byte(jwt: &str, part: usize, index: usize) -> String {
    let mut parts: Vec<String> = jwt.split('.').map(String::from).collect();
    let mut bytes = parts[part].clone().into_bytes();
    bytes[index] = if bytes[index] == b'A' { b'B' } else { b'A' };
    parts[part] = String::from_utf8(bytes).unwrap();
    parts.join(".")
}

async fn post_verify(app: &TestApp, ct: ContentType, body: &[u8]) -> Resp {
    app.raw(Method::Post, "/api/verify", None, ct, body).await
}

fn vc_jwt() -> ContentType {
    ContentType::new("application", "vc+jwt")
}

#[track_caller]
fn assert_refused(r: &Resp, code: &str) {
    assert_problem(r, 422);
    assert_eq!(r.body["code"], code, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "credential", "{}", r.text);
    assert_eq!(r.body["errors"][0]["code"], code, "{}", r.text);
}

/// The bit of `index` in a status list credential.
fn status_bit(list_jwt: &str, index: usize) -> bool {
    let claims = payload_of(list_jwt);
    let encoded = claims["credentialSubject"]["encodedList"].as_str().unwrap();
    let gz = URL_SAFE_NO_PAD
        .decode(encoded.strip_prefix('u').unwrap())
        .unwrap();
    let mut bits = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut bits)
        .unwrap();
    assert!(bits.len() * 8 >= 131_072);
    bits[index / 8] & (0x80 >> (index % 8)) != 0
}

#[rocket::async_test]
async fn a_certificate_is_an_open_badge_signed_by_a_published_key() {
    let app = app().await;
    let w = app.world().await;
    complete_short_course(&app, &w.learner_a.token).await;
    let code = code_of(&app, &w.learner_a.token, "short-course").await;
    let cert = app
        .get("/api/certificates", &w.learner_a.token)
        .await
        .expect(200)
        .body["items"][0]
        .clone();
    assert_eq!(
        cert["credential_url"],
        format!("/api/certificates/{code}/credential")
    );

    let r = app
        .get(cert["credential_url"].as_str().unwrap(), &w.learner_a.token)
        .await
        .expect(200);
    assert_eq!(r.content_type.as_deref(), Some("application/vc+jwt"));
    assert!(r.header("Content-Disposition").unwrap().ends_with(".jwt\""));
    let jwt = r.text.clone();
    let header = header_of(&jwt);
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(header["typ"], "JWT");
    let kid = header["kid"].as_str().unwrap();
    assert!(kid.starts_with(&format!("{DID}#")), "{kid}");

    // The signature checks with the published key; the claims are the credential.
    let claims = verify_with_jwks(&app, &jwt).await.expect("signature valid");
    assert_eq!(claims["iss"], DID);
    assert_eq!(claims["jti"], format!("{PUBLIC_URL}/verify/{code}"));
    assert_eq!(claims["id"], claims["jti"]);
    assert_eq!(
        claims["type"],
        json!(["VerifiableCredential", "OpenBadgeCredential"])
    );
    assert_eq!(
        claims["@context"][1],
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
    );
    assert_eq!(claims["issuer"]["id"], DID);
    assert_eq!(claims["issuer"]["name"], "IberoBio Academy");
    assert_eq!(claims["validFrom"], cert["completed_at"]);
    assert_eq!(
        claims["nbf"].as_i64().unwrap(),
        academy::clock::parse_rfc3339(cert["completed_at"].as_str().unwrap()).unwrap()
    );
    let subject = &claims["credentialSubject"];
    assert_eq!(subject["type"], json!(["AchievementSubject"]));
    assert_eq!(subject["achievement"]["name"], cert["course_title"]);
    assert_eq!(subject["achievement"]["inLanguage"], "en");
    assert!(subject["achievement"]["criteria"]["narrative"]
        .as_str()
        .unwrap()
        .contains(cert["course_title"].as_str().unwrap()));
    assert_eq!(subject["source"]["name"], "Partner A");
    // The learner: a salted SHA-256 of the address, never the address or the name.
    let id = &subject["identifier"][0];
    assert_eq!(id["identityType"], "emailAddress");
    assert_eq!(id["hashed"], true);
    let salt = id["salt"].as_str().unwrap();
    assert!(salt.len() >= 16);
    let expected = format!(
        "sha256${}",
        hex::encode(Sha256::digest(format!("{}{salt}", w.learner_a.email)))
    );
    assert_eq!(id["identityHash"], expected);
    let text = claims.to_string();
    assert!(
        !text.contains(&w.learner_a.email) && !text.contains("Ana Núñez"),
        "{text}"
    );
    // Revocation status: the certificate's place in list 0.
    let status = &claims["credentialStatus"];
    assert_eq!(status["type"], "BitstringStatusListEntry");
    assert_eq!(status["statusPurpose"], "revocation");
    assert_eq!(
        status["statusListCredential"],
        format!("{PUBLIC_URL}/api/credentials/status/0")
    );

    // The same key in the DID document, as an assertion method.
    let did = app.get_anon("/.well-known/did.json").await.expect(200);
    assert_eq!(did.body["id"], DID);
    assert!(did.body["assertionMethod"]
        .as_array()
        .unwrap()
        .contains(&json!(kid)));
    let method = did.body["verificationMethod"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == kid)
        .unwrap();
    assert_eq!(method["type"], "JsonWebKey2020");
    assert_eq!(method["controller"], DID);
    assert_eq!(app.get_anon("/did.json").await.expect(200).body, did.body);

    // The readable JSON is the credential the JWT carries.
    let plain = app
        .get(
            cert["credential_json_url"].as_str().unwrap(),
            &w.learner_a.token,
        )
        .await
        .expect(200);
    let mut bare = claims.clone();
    for claim in ["iss", "jti", "nbf"] {
        bare.as_object_mut().unwrap().remove(claim);
    }
    assert_eq!(plain.body, bare);

    // The badge PNG carries the same JWT.
    let png = app
        .get(cert["badge_url"].as_str().unwrap(), &w.learner_a.token)
        .await
        .expect(200);
    assert_eq!(png.content_type.as_deref(), Some("image/png"));
    assert_eq!(
        academy::credentials::bake::unbake(&png.bytes)
            .unwrap()
            .as_deref(),
        Some(jwt.as_str())
    );
    // The image every achievement names is served to anyone.
    let image = app
        .get_anon(
            subject["achievement"]["image"]["id"]
                .as_str()
                .unwrap()
                .strip_prefix(PUBLIC_URL)
                .unwrap(),
        )
        .await
        .expect(200);
    assert_eq!(image.bytes, academy::credentials::bake::BADGE);

    // The same people as the PDF: the holder, their partner's coordinator, admins.
    for path in [
        format!("/api/certificates/{code}/credential"),
        format!("/api/certificates/{code}/credential.json"),
        format!("/api/certificates/{code}/badge.png"),
    ] {
        app.get(&path, &w.coord_a.token).await.expect(200);
        app.get(&path, &w.admin.token).await.expect(200);
        assert_problem(&app.get(&path, &w.learner_a2.token).await, 404);
        assert_problem(&app.get(&path, &w.coord_b.token).await, 404);
        assert_problem(&app.get(&path, &w.advisor.token).await, 404);
        assert_problem(&app.get_anon(&path).await, 401);
    }
}

#[rocket::async_test]
async fn verify_accepts_a_credential_in_each_form_and_refuses_a_changed_one() {
    let app = app().await;
    let w = app.world().await;
    complete_short_course(&app, &w.learner_a.token).await;
    let code = code_of(&app, &w.learner_a.token, "short-course").await;
    let jwt = app
        .get(
            &format!("/api/certificates/{code}/credential"),
            &w.learner_a.token,
        )
        .await
        .expect(200)
        .text;
    let png = app
        .get(
            &format!("/api/certificates/{code}/badge.png"),
            &w.learner_a.token,
        )
        .await
        .expect(200)
        .bytes;

    for (ct, body) in [
        (vc_jwt(), jwt.clone().into_bytes()),
        (ContentType::Plain, format!("  {jwt}\n").into_bytes()),
        (
            ContentType::JSON,
            json!({"credential": jwt}).to_string().into_bytes(),
        ),
        (ContentType::PNG, png.clone()),
    ] {
        let r = post_verify(&app, ct.clone(), &body).await.expect(200);
        assert_eq!(r.body["valid"], true, "{ct}: {}", r.text);
        assert_eq!(r.body["issuer"], DID);
        assert_eq!(r.body["key_id"], header_of(&jwt)["kid"]);
        assert_eq!(r.body["certificate"]["code"], code);
        assert_eq!(r.body["certificate"]["holder_name"], "Ana Núñez");
        assert_eq!(r.body["certificate"]["revoked"], false);
    }

    // One byte changed anywhere: refused, saying the signature does not match.
    let payload_len = jwt.split('.').nth(1).unwrap().len();
    for index in [0, payload_len / 2, payload_len - 2] {
        let changed = with_changed_byte(&jwt, 1, index);
        assert_refused(
            &post_verify(&app, vc_jwt(), changed.as_bytes()).await,
            "credential.bad_signature",
        );
        assert!(verify_with_jwks(&app, &changed).await.is_err());
    }
    let changed = with_changed_byte(&jwt, 2, 10);
    assert_refused(
        &post_verify(&app, vc_jwt(), changed.as_bytes()).await,
        "credential.bad_signature",
    );

    // Not a credential at all, or not one of ours.
    assert_refused(
        &post_verify(&app, vc_jwt(), b"hello").await,
        "credential.malformed",
    );
    assert_refused(
        &post_verify(&app, vc_jwt(), b"  ").await,
        "credential.missing",
    );
    assert_refused(
        &post_verify(&app, ContentType::JSON, b"{\"credential\": 5}").await,
        "json.missing_field",
    );
    let plain = app
        .get(
            &format!("/api/certificates/{code}/credential.json"),
            &w.learner_a.token,
        )
        .await
        .expect(200);
    assert_refused(
        &post_verify(&app, ContentType::JSON, plain.text.as_bytes()).await,
        "credential.unsigned",
    );
    assert_refused(
        &post_verify(&app, ContentType::PNG, academy::credentials::bake::BADGE).await,
        "credential.no_badge_data",
    );
    assert_refused(
        &post_verify(&app, ContentType::PNG, b"\x89PNG broken").await,
        "credential.png_unreadable",
    );
    // Signed by a key we never published (a fresh ring elsewhere), claiming to be us.
    let elsewhere = tempfile::tempdir().unwrap();
    let ring = academy::credentials::KeyRing::load_or_create(elsewhere.path()).unwrap();
    let forged = ring.sign(DID, &payload_of(&jwt)).unwrap();
    assert_refused(
        &post_verify(&app, vc_jwt(), forged.as_bytes()).await,
        "credential.unknown_key",
    );
    let foreign = ring
        .sign("did:web:elsewhere.example", &payload_of(&jwt))
        .unwrap();
    assert_refused(
        &post_verify(&app, vc_jwt(), foreign.as_bytes()).await,
        "credential.not_ours",
    );
    // Too large a body is a 413, not a read of everything.
    let huge = vec![b'a'; 3 << 20];
    assert_problem(&post_verify(&app, vc_jwt(), &huge).await, 413);

    // Messages in the reader's language.
    let es = app
        .client
        .post("/api/verify")
        .header(vc_jwt())
        .header(rocket::http::Header::new("Accept-Language", "es"))
        .body("hello")
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    assert!(es.contains("Esto no es una credencial"), "{es}");
}

#[rocket::async_test]
async fn revoking_a_certificate_flips_its_bit_and_only_its_bit() {
    let app = app().await;
    let w = app.world().await;
    complete_short_course(&app, &w.learner_a.token).await;
    complete_short_course(&app, &w.learner_a2.token).await;
    let code_a = code_of(&app, &w.learner_a.token, "short-course").await;
    let code_b = code_of(&app, &w.learner_a2.token, "short-course").await;
    let jwt_a = app
        .get(
            &format!("/api/certificates/{code_a}/credential"),
            &w.learner_a.token,
        )
        .await
        .expect(200)
        .text;
    let jwt_b = app
        .get(
            &format!("/api/certificates/{code_b}/credential"),
            &w.learner_a2.token,
        )
        .await
        .expect(200)
        .text;
    let index = |jwt: &str| -> usize {
        payload_of(jwt)["credentialStatus"]["statusListIndex"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    };
    let (ia, ib) = (index(&jwt_a), index(&jwt_b));
    assert_ne!(ia, ib);

    let list = app.get_anon("/api/credentials/status/0").await.expect(200);
    assert_eq!(list.content_type.as_deref(), Some("application/vc+jwt"));
    assert_eq!(list.header("Access-Control-Allow-Origin"), Some("*"));
    let claims = verify_with_jwks(&app, &list.text)
        .await
        .expect("signed list");
    assert_eq!(
        claims["type"],
        json!(["VerifiableCredential", "BitstringStatusListCredential"])
    );
    assert_eq!(claims["credentialSubject"]["statusPurpose"], "revocation");
    assert!(!status_bit(&list.text, ia) && !status_bit(&list.text, ib));

    app.post(
        &format!("/api/certificates/{code_a}/revocation"),
        &w.admin.token,
        json!({"reason": "issued in error"}),
    )
    .await
    .expect(200);
    let list = app.get_anon("/api/credentials/status/0").await.expect(200);
    assert!(status_bit(&list.text, ia), "the revoked certificate's bit");
    assert!(!status_bit(&list.text, ib), "the other certificate's bit");
    let revoked = post_verify(&app, vc_jwt(), jwt_a.as_bytes())
        .await
        .expect(200);
    assert_eq!(revoked.body["valid"], false);
    assert_eq!(revoked.body["certificate"]["revoked"], true);
    let still = post_verify(&app, vc_jwt(), jwt_b.as_bytes())
        .await
        .expect(200);
    assert_eq!(still.body["valid"], true);

    // Lists nobody has a place in.
    assert_problem(&app.get_anon("/api/credentials/status/1").await, 404);
    assert_problem(&app.get_anon("/api/credentials/status/-1").await, 404);
}

#[rocket::async_test]
async fn rotated_keys_and_a_second_process_with_its_own_keys_keep_every_credential_verifiable() {
    let app = app().await;
    let w = app.world().await;
    complete_short_course(&app, &w.learner_a.token).await;
    let code = code_of(&app, &w.learner_a.token, "short-course").await;
    let path = format!("/api/certificates/{code}/credential");
    let old = app.get(&path, &w.learner_a.token).await.expect(200).text;

    // Rotation: a key whose file name sorts later signs from the next start on.
    let keys = app.dir.path().join("data/credential-keys");
    let made = tempfile::tempdir().unwrap();
    academy::credentials::KeyRing::load_or_create(made.path()).unwrap();
    let file = std::fs::read_dir(made.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "pem"))
        .unwrap();
    std::fs::copy(&file, keys.join("zz-rotated.pem")).unwrap();
    let restarted = app.second_instance().await;
    // A second process with a keys folder of its own (no shared folder).
    let own_keys = tempfile::tempdir().unwrap();
    let other = rocket::local::asynchronous::Client::untracked(academy::app(
        app.client
            .rocket()
            .figment()
            .clone()
            .merge(("credential_keys_dir", own_keys.path())),
    ))
    .await
    .unwrap();

    let token = rocket::http::Header::new("Authorization", format!("Bearer {}", w.learner_a.token));
    let new = restarted
        .get(path.clone())
        .header(token.clone())
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    let third = other
        .get(path.clone())
        .header(token)
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    let kids: Vec<Value> = [&old, &new, &third]
        .iter()
        .map(|j| header_of(j)["kid"].clone())
        .collect();
    assert_ne!(kids[0], kids[1], "the rotated key signs");
    assert_ne!(kids[1], kids[2], "the other process signs with its own key");
    assert_eq!(payload_of(&old), payload_of(&new), "the same credential");

    // Every process publishes every key, and accepts every credential.
    for client in [&app.client, &restarted, &other] {
        let set: Value = client
            .get("/.well-known/jwks.json")
            .dispatch()
            .await
            .into_json()
            .await
            .unwrap();
        let published: Vec<&Value> = set["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| &k["kid"])
            .collect();
        for kid in &kids {
            assert!(published.contains(&kid), "{kid} in {set}");
        }
        for jwt in [&old, &new, &third] {
            let r = client
                .post("/api/verify")
                .header(vc_jwt())
                .body(jwt.as_str())
                .dispatch()
                .await;
            assert_eq!(r.status().code, 200);
        }
    }
    for jwt in [&old, &new, &third] {
        verify_with_jwks(&app, jwt)
            .await
            .expect("verifies with the JWK set");
    }
}

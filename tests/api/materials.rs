//! Course materials through the API, against the folder store and against S3 (s3s).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use academy::storage::local::LocalStore;
use academy::storage::{
    ByteRange, CustomStore, ObjectMeta, ObjectStore, ObjectStoreExt, Reader, StorageError,
    StorageResult, StoreKind, Written,
};
use rocket::http::{ContentType, Header, Method};
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::common::*;
use crate::storage::{http_get, S3Server};

const COURSE: &str = "biotech-basics";
const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n";

/// An app on the folder store or on an s3s server (kept alive alongside).
struct Setup {
    app: TestApp,
    world: World,
    s3: Option<S3Server>,
}

impl Setup {
    async fn folder() -> Setup {
        Self::folder_with(|f| f).await
    }

    async fn folder_with(
        customize: impl FnOnce(rocket::figment::Figment) -> rocket::figment::Figment,
    ) -> Setup {
        let app = TestApp::with(customize).await;
        let world = app.world().await;
        Setup {
            app,
            world,
            s3: None,
        }
    }

    async fn s3() -> Setup {
        let server = S3Server::start().await;
        let app = TestApp::with(|f| server.configure(f)).await;
        let world = app.world().await;
        Setup {
            app,
            world,
            s3: Some(server),
        }
    }

    async fn both() -> Vec<Setup> {
        vec![Setup::folder().await, Setup::s3().await]
    }

    fn name(&self) -> &'static str {
        if self.s3.is_some() {
            "s3"
        } else {
            "folder"
        }
    }

    /// How many objects the store holds.
    async fn objects(&self) -> usize {
        match &self.s3 {
            Some(server) => {
                let store: &dyn ObjectStore = &server.store();
                store.list("").await.unwrap().len()
            }
            None => {
                let store = LocalStore::new(self.app.dir.path().join("data/objects"));
                let store: &dyn ObjectStore = &store;
                store.list("").await.unwrap().len()
            }
        }
    }

    async fn rows(&self) -> i64 {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM materials")
            .fetch_one(self.app.pool())
            .await
            .unwrap()
    }

    async fn upload(
        &self,
        token: &str,
        filename: &str,
        ct: &str,
        bytes: &[u8],
        title: Option<&str>,
    ) -> Resp {
        upload(&self.app, COURSE, token, filename, ct, bytes, title).await
    }

    async fn enrol(&self, token: &str) {
        let r = self
            .app
            .post(
                &format!("/api/courses/{COURSE}/enrolment"),
                token,
                serde_json::json!({}),
            )
            .await;
        assert!(r.status.code == 201 || r.status.code == 200, "{}", r.text);
    }
}

async fn upload(
    app: &TestApp,
    course: &str,
    token: &str,
    filename: &str,
    ct: &str,
    bytes: &[u8],
    title: Option<&str>,
) -> Resp {
    let mut parts: Vec<(&str, Option<&str>, &str, &[u8])> =
        vec![("file", Some(filename), ct, bytes)];
    if let Some(t) = title {
        parts.push(("title", None, "text/plain; charset=utf-8", t.as_bytes()));
    }
    let (ct, body) = multipart(&parts);
    app.raw(
        Method::Post,
        &format!("/api/courses/{course}/materials"),
        Some(token),
        ct,
        &body,
    )
    .await
}

/// A GET with extra headers: status, headers, body.
async fn get_with(
    app: &TestApp,
    path: &str,
    token: &str,
    headers: &[(&str, &str)],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut req = app
        .client
        .get(path.to_string())
        .header(Header::new("Authorization", format!("Bearer {token}")));
    for (k, v) in headers {
        req.add_header(Header::new(k.to_string(), v.to_string()));
    }
    let res = req.dispatch().await;
    let status = res.status().code;
    let headers = res
        .headers()
        .iter()
        .map(|h| {
            (
                h.name().to_string().to_ascii_lowercase(),
                h.value().to_string(),
            )
        })
        .collect();
    (status, headers, res.into_bytes().await.unwrap_or_default())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[rocket::async_test]
async fn upload_list_download_delete_on_both_stores() {
    for s in Setup::both().await {
        let w = &s.world;
        let name = "Guía técnica Núñez.pdf";
        let created = s
            .upload(
                &w.coord_a.token,
                name,
                "application/pdf",
                PDF,
                Some("Guía de laboratorio"),
            )
            .await
            .expect(201);
        let b = &created.body;
        assert_eq!(b["title"], "Guía de laboratorio", "{}", s.name());
        assert_eq!(b["filename"], name);
        assert_eq!(b["content_type"], "application/pdf");
        assert_eq!(b["size"], PDF.len());
        let id = b["id"].as_i64().unwrap();
        assert_eq!((s.rows().await, s.objects().await), (1, 1), "{}", s.name());

        let list = s
            .app
            .get(
                &format!("/api/courses/{COURSE}/materials"),
                &w.learner_a.token,
            )
            .await
            .expect(200);
        assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
        assert_eq!(list.body["items"][0]["id"], id);
        // What the course endpoint shows comes from here.
        let course_id = academy::courses::course_id(s.app.pool(), COURSE)
            .await
            .unwrap();
        let listed = academy::materials::list_for_course(s.app.pool(), course_id)
            .await
            .unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].filename, name);

        s.enrol(&w.learner_a.token).await;
        let expected_disposition = "attachment; filename=\"Guia tecnica Nunez.pdf\"; \
             filename*=UTF-8''Gu%C3%ADa%20t%C3%A9cnica%20N%C3%BA%C3%B1ez.pdf";
        let path = format!("/api/materials/{id}");
        for token in [
            &w.learner_a.token,
            &w.coord_b.token,
            &w.admin.token,
            &w.advisor.token,
        ] {
            let r = s.app.get(&path, token).await;
            match &s.s3 {
                None => {
                    let r = r.expect(200);
                    assert_eq!(r.bytes, PDF);
                    assert_eq!(r.header("Content-Type"), Some("application/pdf"));
                    assert_eq!(r.header("Content-Disposition"), Some(expected_disposition));
                    assert_eq!(r.header("Accept-Ranges"), Some("bytes"));
                }
                Some(server) => {
                    let r = r.expect(302);
                    let location = r.header("Location").expect("Location").to_string();
                    assert!(
                        location.starts_with(&format!("{}/academy/materials/", server.endpoint)),
                        "{location}"
                    );
                    assert!(location.contains("X-Amz-Signature="), "{location}");
                    assert!(
                        location.contains("response-content-disposition=attachment%3B%20filename%3D%22Guia%20tecnica%20Nunez.pdf%22"),
                        "{location}"
                    );
                    assert!(location.contains("X-Amz-Expires=300"), "{location}");
                    assert_eq!(r.header("Cache-Control"), Some("no-store"));
                    let (status, _, body) = http_get(&location).await;
                    assert_eq!((status, body.as_slice()), (200, PDF));
                    // Browsers ask for the link as JSON (fetch cannot follow it under the CSP).
                    let j = s
                        .app
                        .get_with(&path, Some(token), &[("Accept", "application/json")])
                        .await
                        .expect(200);
                    assert_eq!(j.body["expires_in"], 300);
                    let url = j.body["url"].as_str().expect("url");
                    let (status, _, body) = http_get(url).await;
                    assert_eq!((status, body.as_slice()), (200, PDF));
                }
            }
        }

        s.app.delete(&path, &w.coord_a.token).await.expect(204);
        assert_problem(&s.app.get(&path, &w.admin.token).await, 404);
        assert_problem(&s.app.delete(&path, &w.coord_a.token).await, 404);
        assert_eq!((s.rows().await, s.objects().await), (0, 0), "{}", s.name());
    }
}

#[rocket::async_test]
async fn who_may_do_what() {
    let s = Setup::folder().await;
    let w = &s.world;
    // Only staff upload; guards run before the body is read.
    assert_problem(
        &s.upload(&w.learner_a.token, "a.pdf", "application/pdf", PDF, None)
            .await,
        403,
    );
    assert_problem(
        &s.upload(&w.advisor.token, "a.pdf", "application/pdf", PDF, None)
            .await,
        403,
    );
    let (ct, body) = multipart(&[("file", Some("a.pdf"), "application/pdf", PDF)]);
    let anon = s
        .app
        .raw(
            Method::Post,
            &format!("/api/courses/{COURSE}/materials"),
            None,
            ct,
            &body,
        )
        .await;
    assert_problem(&anon, 401);
    // Unknown course.
    assert_problem(
        &upload(
            &s.app,
            "no-such-course",
            &w.admin.token,
            "a.pdf",
            "application/pdf",
            PDF,
            None,
        )
        .await,
        404,
    );
    let id = s
        .upload(&w.admin.token, "a.pdf", "application/pdf", PDF, None)
        .await
        .expect(201)
        .body["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/materials/{id}");
    // A learner not enrolled: 404, like a missing material; enrolled: the file.
    assert_problem(&s.app.get(&path, &w.learner_a.token).await, 404);
    s.enrol(&w.learner_a.token).await;
    s.app.get(&path, &w.learner_a.token).await.expect(200);
    assert_problem(&s.app.get(&path, &w.learner_b.token).await, 404);
    assert_problem(&s.app.get_anon(&path).await, 401);
    assert_problem(
        &s.app.get("/api/materials/999999", &w.admin.token).await,
        404,
    );
    // Only staff delete.
    assert_problem(&s.app.delete(&path, &w.learner_a.token).await, 403);
    assert_problem(&s.app.delete(&path, &w.advisor.token).await, 403);
    s.app.get(&path, &w.learner_a.token).await.expect(200);
    // The title defaulted to the file name.
    let list = s
        .app
        .get(&format!("/api/courses/{COURSE}/materials"), &w.admin.token)
        .await
        .expect(200);
    assert_eq!(list.body["items"][0]["title"], "a.pdf");
}

#[rocket::async_test]
async fn the_size_limit_is_enforced_while_streaming() {
    let server = S3Server::start().await;
    for s3 in [false, true] {
        let app = if s3 {
            TestApp::with(|f| server.configure(f).merge(("upload_limit_mib", 1))).await
        } else {
            TestApp::with(|f| f.merge(("upload_limit_mib", 1))).await
        };
        let world = app.world().await;
        let mut big = PDF.to_vec();
        big.resize(1024 * 1024 + 1, b' ');
        let r = upload(
            &app,
            COURSE,
            &world.coord_a.token,
            "big.pdf",
            "application/pdf",
            &big,
            None,
        )
        .await;
        assert_problem(&r, 413);
        assert!(
            r.body["detail"].as_str().unwrap().contains("1 MiB"),
            "{}",
            r.text
        );
        // Far over the limit, too (the rest of the body is never read).
        big.resize(5 * 1024 * 1024, b' ');
        assert_problem(
            &upload(
                &app,
                COURSE,
                &world.coord_a.token,
                "big.pdf",
                "application/pdf",
                &big,
                None,
            )
            .await,
            413,
        );
        // Exactly at the limit is fine.
        big.truncate(1024 * 1024);
        let ok = upload(
            &app,
            COURSE,
            &world.coord_a.token,
            "max.pdf",
            "application/pdf",
            &big,
            None,
        )
        .await
        .expect(201);
        assert_eq!(ok.body["size"], 1024 * 1024);
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM materials")
            .fetch_one(app.pool())
            .await
            .unwrap();
        assert_eq!(rows, 1);
    }
    assert_eq!(server.object_count(), 1);
}

fn docx() -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file(
        "[Content_Types].xml",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    w.write_all(br#"<?xml version="1.0"?><Types><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#).unwrap();
    w.start_file(
        "word/document.xml",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    w.write_all(b"<w:document/>").unwrap();
    w.finish().unwrap().into_inner()
}

#[rocket::async_test]
async fn types_are_judged_by_content() {
    for s in Setup::both().await {
        let t = &s.world.coord_a.token;
        // A Windows executable renamed .pdf, sent as application/pdf.
        let exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8\x00\x00\x00\x00\x00\x00\x00@\x00\x00\x00This program cannot be run in DOS mode.";
        let r = s.upload(t, "guide.pdf", "application/pdf", exe, None).await;
        assert_problem(&r, 415);
        assert!(
            r.body["detail"].as_str().unwrap().contains("allowed are"),
            "{}",
            r.text
        );
        // A plain ZIP, a GIF, an empty file.
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        zip.start_file("x.exe", zip::write::SimpleFileOptions::default())
            .unwrap();
        let zip = zip.finish().unwrap().into_inner();
        assert_problem(
            &s.upload(
                t,
                "slides.pptx",
                "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                &zip,
                None,
            )
            .await,
            415,
        );
        assert_problem(
            &s.upload(t, "a.png", "image/png", b"GIF89a\x01\x00\x01\x00", None)
                .await,
            415,
        );
        assert_problem(
            &s.upload(t, "empty.txt", "text/plain", b"", None).await,
            422,
        );
        assert_eq!((s.rows().await, s.objects().await), (0, 0), "{}", s.name());

        // A real DOCX under a wrong name and type keeps its content's type and gets the ending.
        let r = s
            .upload(t, "notes.bin", "application/octet-stream", &docx(), None)
            .await
            .expect(201);
        assert_eq!(
            r.body["content_type"],
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        );
        assert_eq!(r.body["filename"], "notes.bin.docx");
        // CSV and text.
        let r = s
            .upload(
                t,
                "datos.csv",
                "application/vnd.ms-excel",
                "país,n\nES,3\n".as_bytes(),
                None,
            )
            .await
            .expect(201);
        assert_eq!(r.body["content_type"], "text/csv; charset=utf-8");
        let r = s
            .upload(t, "../../etc/passwd", "text/plain", b"root:x:0:0\n", None)
            .await
            .expect(201);
        assert_eq!(r.body["filename"], "passwd.txt");
        let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00";
        let r = s
            .upload(t, "foto.png", "image/png", png, None)
            .await
            .expect(201);
        assert_eq!(r.body["content_type"], "image/png");
    }
}

#[rocket::async_test]
async fn range_requests_on_the_folder_store() {
    let s = Setup::folder().await;
    let body: Vec<u8> = (0..1000u32)
        .map(|i| b"0123456789"[(i % 10) as usize])
        .collect();
    let mut file = PDF.to_vec();
    file.extend_from_slice(&body);
    let size = file.len();
    let id = s
        .upload(
            &s.world.coord_a.token,
            "big.pdf",
            "application/pdf",
            &file,
            None,
        )
        .await
        .expect(201)
        .body["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/materials/{id}");
    let t = &s.world.admin.token;

    let (status, h, b) = get_with(&s.app, &path, t, &[("Range", "bytes=0-7")]).await;
    assert_eq!(status, 206);
    assert_eq!(b, b"%PDF-1.7");
    assert_eq!(
        header(&h, "content-range"),
        Some(format!("bytes 0-7/{size}").as_str())
    );
    assert!(header(&h, "content-disposition")
        .unwrap()
        .starts_with("attachment;"));

    let (status, h, b) = get_with(&s.app, &path, t, &[("Range", "bytes=-3")]).await;
    assert_eq!(status, 206);
    assert_eq!(b, &file[size - 3..]);
    assert_eq!(
        header(&h, "content-range"),
        Some(format!("bytes {}-{}/{size}", size - 3, size - 1).as_str())
    );

    let (status, _, b) = get_with(&s.app, &path, t, &[("Range", "bytes=100-")]).await;
    assert_eq!((status, b.as_slice()), (206, &file[100..]));

    let (status, h, b) = get_with(&s.app, &path, t, &[("Range", &format!("bytes={size}-"))]).await;
    assert_eq!(status, 416);
    assert_eq!(
        header(&h, "content-range"),
        Some(format!("bytes */{size}").as_str())
    );
    assert_eq!(header(&h, "content-type"), Some("application/problem+json"));
    assert!(String::from_utf8_lossy(&b).contains("outside the file"));

    // Several ranges, or nonsense: the whole file.
    let (status, _, b) = get_with(&s.app, &path, t, &[("Range", "bytes=0-1,5-6")]).await;
    assert_eq!((status, b.len()), (200, size));
    let (status, _, b) = get_with(&s.app, &path, t, &[]).await;
    assert_eq!((status, b.as_slice()), (200, file.as_slice()));
}

/// A store that gives way in the middle of a write: it keeps half of the bytes (as a backend
/// that is not atomic might) and then fails. Deletes may be made to fail too.
struct BreaksMidUpload {
    inner: Arc<dyn ObjectStore>,
    fail_puts: bool,
    fail_deletes: AtomicUsize,
}

#[rocket::async_trait]
impl ObjectStore for BreaksMidUpload {
    fn kind(&self) -> StoreKind {
        self.inner.kind()
    }
    async fn check(&self) -> StorageResult<()> {
        self.inner.check().await
    }
    async fn put_reader(
        &self,
        key: &str,
        reader: &mut (dyn AsyncRead + Send + Unpin),
        content_type: &str,
        expected_sha256: Option<&str>,
    ) -> StorageResult<Written> {
        if !self.fail_puts {
            return self
                .inner
                .put_reader(key, reader, content_type, expected_sha256)
                .await;
        }
        let mut all = Vec::new();
        reader.read_to_end(&mut all).await.unwrap();
        self.inner
            .put_bytes(key, &all[..all.len() / 2], content_type)
            .await?;
        Err(StorageError::Unavailable("connection reset by peer".into()))
    }
    async fn open(&self, key: &str, range: Option<ByteRange>) -> StorageResult<(u64, Reader)> {
        self.inner.open(key, range).await
    }
    async fn head(&self, key: &str) -> StorageResult<Option<ObjectMeta>> {
        self.inner.head(key).await
    }
    async fn delete(&self, key: &str) -> StorageResult<()> {
        if self.fail_deletes.load(Ordering::SeqCst) > 0 {
            self.fail_deletes.fetch_sub(1, Ordering::SeqCst);
            return Err(StorageError::Unavailable("connection refused".into()));
        }
        self.inner.delete(key).await
    }
    async fn list(&self, prefix: &str) -> StorageResult<Vec<ObjectMeta>> {
        self.inner.list(prefix).await
    }
}

async fn app_on(
    inner: Arc<dyn ObjectStore>,
    fail_puts: bool,
    fail_deletes: usize,
    s3: Option<&S3Server>,
) -> TestApp {
    let store: Arc<dyn ObjectStore> = Arc::new(BreaksMidUpload {
        inner,
        fail_puts,
        fail_deletes: fail_deletes.into(),
    });
    TestApp::with_rocket(
        |f| match s3 {
            Some(server) => server.configure(f),
            None => f,
        },
        |r| r.manage(CustomStore(store)),
    )
    .await
}

async fn counts(app: &TestApp, inner: &dyn ObjectStore) -> (i64, usize) {
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM materials")
        .fetch_one(app.pool())
        .await
        .unwrap();
    (rows, inner.list("").await.unwrap().len())
}

#[rocket::async_test]
async fn a_store_failing_mid_upload_leaves_no_orphans() {
    let server = S3Server::start().await;
    let dir = tempfile::tempdir().unwrap();
    let stores: Vec<(Arc<dyn ObjectStore>, Option<&S3Server>)> = vec![
        (Arc::new(LocalStore::new(dir.path().join("objects"))), None),
        (Arc::new(server.store()), Some(&server)),
    ];
    for (inner, s3) in stores {
        let app = app_on(inner.clone(), true, 0, s3).await;
        let w = app.world().await;
        let r = upload(
            &app,
            COURSE,
            &w.coord_a.token,
            "a.pdf",
            "application/pdf",
            PDF,
            None,
        )
        .await;
        assert_problem(&r, 503);
        assert!(
            r.body["code"] == "material.storage_unavailable",
            "{}",
            r.text
        );
        assert_eq!(counts(&app, &*inner).await, (0, 0), "{:?}", inner.kind());

        // The half-written object cannot be removed either: the row stays hidden ('pending')
        // and the sweep finishes the job once the store is back.
        let app = app_on(inner.clone(), true, 1, s3).await;
        let w = app.world().await;
        assert_problem(
            &upload(
                &app,
                COURSE,
                &w.coord_a.token,
                "a.pdf",
                "application/pdf",
                PDF,
                None,
            )
            .await,
            503,
        );
        assert_eq!(counts(&app, &*inner).await, (1, 1));
        let listed = app
            .get(&format!("/api/courses/{COURSE}/materials"), &w.admin.token)
            .await
            .expect(200);
        assert_eq!(
            listed.body["items"].as_array().unwrap().len(),
            0,
            "pending rows are never shown"
        );
        let swept = academy::materials::sweep(app.pool(), &*inner, academy::clock::now() + 1)
            .await
            .unwrap();
        assert_eq!(swept, 1);
        assert_eq!(counts(&app, &*inner).await, (0, 0));
    }
}

#[rocket::async_test]
async fn a_database_failure_after_the_object_leaves_no_orphans() {
    for s in Setup::both().await {
        // Make the step that marks the row ready fail, as a lost database connection would.
        let trigger: &[&str] =
            if s.app.is_postgres() {
                &[
                    "CREATE FUNCTION fail_ready() RETURNS trigger AS $$ BEGIN \
                 RAISE EXCEPTION 'database went away'; END; $$ LANGUAGE plpgsql",
                    "CREATE TRIGGER fail_ready BEFORE UPDATE ON materials FOR EACH ROW \
                 WHEN (NEW.status = 'ready') EXECUTE FUNCTION fail_ready()",
                ]
            } else {
                &["CREATE TRIGGER fail_ready BEFORE UPDATE ON materials WHEN NEW.status = 'ready' \
               BEGIN SELECT RAISE(ABORT, 'database went away'); END"]
            };
        for sql in trigger {
            sqlx::query(sql).execute(s.app.pool()).await.unwrap();
        }
        let r = s
            .upload(
                &s.world.coord_a.token,
                "a.pdf",
                "application/pdf",
                PDF,
                None,
            )
            .await;
        assert_problem(&r, 500);
        assert_eq!((s.rows().await, s.objects().await), (0, 0), "{}", s.name());
    }
}

#[rocket::async_test]
async fn a_failed_delete_keeps_the_material() {
    let dir = tempfile::tempdir().unwrap();
    let inner: Arc<dyn ObjectStore> = Arc::new(LocalStore::new(dir.path().join("objects")));
    let app = app_on(inner.clone(), false, 1, None).await;
    let w = app.world().await;
    let id = upload(
        &app,
        COURSE,
        &w.coord_a.token,
        "a.pdf",
        "application/pdf",
        PDF,
        None,
    )
    .await
    .expect(201)
    .body["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/materials/{id}");
    assert_problem(&app.delete(&path, &w.coord_a.token).await, 503);
    // Still there, still downloadable; the next attempt succeeds.
    assert_eq!(app.get(&path, &w.admin.token).await.expect(200).bytes, PDF);
    app.delete(&path, &w.coord_a.token).await.expect(204);
    assert_eq!(counts(&app, &*inner).await, (0, 0));
}

#[rocket::async_test]
async fn when_s3_is_down_storage_routes_answer_503_and_the_rest_works() {
    let mut s = Setup::s3().await;
    let w = &s.world;
    let id = s
        .upload(&w.coord_a.token, "a.pdf", "application/pdf", PDF, None)
        .await
        .expect(201)
        .body["id"]
        .as_i64()
        .unwrap();
    s.s3.as_mut().unwrap().stop().await;

    let r = s
        .upload(&w.coord_a.token, "b.pdf", "application/pdf", PDF, None)
        .await;
    assert_problem(&r, 503);
    assert!(
        r.body["code"] == "material.storage_unavailable",
        "{}",
        r.text
    );
    assert_problem(
        &s.app
            .delete(&format!("/api/materials/{id}"), &w.coord_a.token)
            .await,
        503,
    );
    s.enrol(&w.learner_a.token).await;
    let r = s
        .app
        .get(&format!("/api/materials/{id}"), &w.learner_a.token)
        .await;
    assert_problem(&r, 503);
    assert!(r.body["code"] == "material.storage_unavailable");
    let health = s.app.get_anon("/health").await;
    assert_eq!(health.status.code, 503);
    assert_eq!(health.body["storage"], "unavailable");
    // Metadata, courses, accounts: all still served.
    let list = s
        .app
        .get(&format!("/api/courses/{COURSE}/materials"), &w.admin.token)
        .await
        .expect(200);
    assert_eq!(
        list.body["items"].as_array().unwrap().len(),
        1,
        "the failed delete kept it"
    );
    s.app
        .get("/api/courses", &w.learner_a.token)
        .await
        .expect(200);
    s.app.get("/api/me", &w.learner_a.token).await.expect(200);
    // The failed upload's row could not be cleaned while the store is down: it stays hidden
    // ('pending', never listed or served) until the start-up sweep removes it.
    let pending: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM materials WHERE status = 'pending'")
            .fetch_one(s.app.pool())
            .await
            .unwrap();
    assert_eq!((s.rows().await, pending), (2, 1));
}

#[rocket::async_test]
async fn the_multipart_form_is_checked() {
    let s = Setup::folder().await;
    let t = &s.world.coord_a.token;
    let path = format!("/api/courses/{COURSE}/materials");
    // No file part.
    let (ct, body) = multipart(&[("title", None, "text/plain", b"only a title")]);
    assert_problem(
        &s.app.raw(Method::Post, &path, Some(t), ct, &body).await,
        422,
    );
    // JSON instead of a form.
    let r = s
        .app
        .raw(Method::Post, &path, Some(t), ContentType::JSON, b"{}")
        .await;
    assert!(r.status.code == 415 || r.status.code == 422, "{}", r.text);
    // A title that is too long.
    let long = "t".repeat(201);
    assert_problem(
        &s.upload(t, "a.pdf", "application/pdf", PDF, Some(&long))
            .await,
        422,
    );
    assert_eq!(s.rows().await, 0);
}

/// Uploads and downloads through the API, folder store and S3 (s3s) side by side (figures in
/// BENCHMARKS.md): `cargo test --test api bench_materials_api -- --ignored --nocapture`
#[rocket::async_test]
#[ignore]
async fn bench_materials_api() {
    fn median(mut v: Vec<f64>) -> f64 {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v[v.len() / 2]
    }
    println!("| file | step | folder | S3 (s3s) |");
    println!("|---|---|---|---|");
    for (size, rounds) in [(256 * 1024, 15), (8 * 1024 * 1024, 7)] {
        let mut file = PDF.to_vec();
        file.resize(size, b' ');
        let mut up = Vec::new();
        let mut down = Vec::new();
        for s in Setup::both().await {
            s.enrol(&s.world.learner_a.token).await;
            let mut up_rates = Vec::new();
            let mut down_ms = Vec::new();
            for _ in 0..rounds {
                let t = std::time::Instant::now();
                let r = s
                    .upload(
                        &s.world.coord_a.token,
                        "b.pdf",
                        "application/pdf",
                        &file,
                        None,
                    )
                    .await
                    .expect(201);
                up_rates.push(size as f64 / (1024.0 * 1024.0) / t.elapsed().as_secs_f64());
                let path = format!("/api/materials/{}", r.body["id"]);
                let t = std::time::Instant::now();
                let r = s.app.get(&path, &s.world.learner_a.token).await;
                let bytes = match r.header("Location") {
                    Some(url) => http_get(url).await.2,
                    None => r.bytes,
                };
                assert_eq!(bytes.len(), size);
                down_ms.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            up.push(median(up_rates));
            down.push(median(down_ms));
        }
        let kib = size / 1024;
        println!(
            "| {kib} KiB | upload (MiB/s) | {:.0} | {:.0} |",
            up[0], up[1]
        );
        println!(
            "| {kib} KiB | download, learner (ms; S3: 302 + presigned GET) | {:.1} | {:.1} |",
            down[0], down[1]
        );
    }
}

/// Only an admin or a coordinator of the uploader's partner deletes a material; another
/// partner's coordinator gets a 404 and the material stays.
#[rocket::async_test]
async fn only_the_uploaders_partner_or_an_admin_deletes() {
    let s = Setup::folder().await;
    let w = &s.world;
    let coord_a2 = s
        .app
        .user(
            "coord.a2@hub.example",
            "Coord A2",
            academy::auth::Role::Coordinator,
            None,
            Some(w.partner_a),
        )
        .await;
    let id_of = |r: Resp| r.expect(201).body["id"].as_i64().unwrap();
    let by_a = id_of(
        s.upload(&w.coord_a.token, "a.pdf", "application/pdf", PDF, None)
            .await,
    );
    let by_admin = id_of(
        s.upload(&w.admin.token, "b.pdf", "application/pdf", PDF, None)
            .await,
    );
    let by_b = id_of(
        s.upload(&w.coord_b.token, "c.pdf", "application/pdf", PDF, None)
            .await,
    );
    let path = |id: i64| format!("/api/materials/{id}");

    let r = s.app.delete(&path(by_a), &w.coord_b.token).await;
    assert_problem(&r, 404);
    assert_eq!(r.body["detail"], "Material not found.");
    assert_eq!(r.body["code"], "not_found.material");
    assert_problem(&s.app.delete(&path(by_admin), &w.coord_a.token).await, 404);
    assert_eq!((s.rows().await, s.objects().await), (3, 3));
    s.app.get(&path(by_a), &w.admin.token).await.expect(200);
    s.app.get(&path(by_admin), &w.admin.token).await.expect(200);

    // Another coordinator of the same partner, and the admin for anyone's.
    s.app.delete(&path(by_a), &coord_a2.token).await.expect(204);
    s.app
        .delete(&path(by_admin), &w.admin.token)
        .await
        .expect(204);
    s.app.delete(&path(by_b), &w.admin.token).await.expect(204);
    assert_eq!((s.rows().await, s.objects().await), (0, 0));
}

/// A bucket that disappears: every storage route answers 503 "storage unavailable".
#[rocket::async_test]
async fn a_missing_bucket_is_503_on_every_storage_route() {
    let s = Setup::s3().await;
    let w = &s.world;
    let id = s
        .upload(&w.coord_a.token, "a.pdf", "application/pdf", PDF, None)
        .await
        .expect(201)
        .body["id"]
        .as_i64()
        .unwrap();
    s.enrol(&w.learner_a.token).await;
    let server = s.s3.as_ref().unwrap();
    std::fs::remove_dir_all(server.root.path().join(crate::storage::BUCKET)).unwrap();
    let path = format!("/api/materials/{id}");
    let unavailable = |r: &Resp| {
        assert_problem(r, 503);
        assert!(
            r.body["code"] == "material.storage_unavailable",
            "{}",
            r.text
        );
    };
    unavailable(
        &s.upload(&w.coord_a.token, "b.pdf", "application/pdf", PDF, None)
            .await,
    );
    unavailable(&s.app.get(&path, &w.learner_a.token).await);
    unavailable(
        &s.app
            .get_with(
                &path,
                Some(&w.admin.token),
                &[("Accept", "application/json")],
            )
            .await,
    );
    unavailable(&s.app.delete(&path, &w.coord_a.token).await);
    let health = s.app.get_anon("/health").await;
    assert_eq!(health.status.code, 503);
    assert_eq!(health.body["storage"], "unavailable");
    // The material is kept (its delete failed) and listed.
    let list = s
        .app
        .get(&format!("/api/courses/{COURSE}/materials"), &w.admin.token)
        .await
        .expect(200);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
}

/// A TCP proxy in front of S3 that cuts any connection once it has carried `cut_after`
/// bytes towards S3 (a large upload body), and can refuse every connection (S3 gone).
struct CutProxy {
    endpoint: String,
    cut_after: Arc<std::sync::atomic::AtomicU64>,
    refuse: Arc<std::sync::atomic::AtomicBool>,
    /// After the first cut, refuse everything (the network is gone, the process "crashes").
    refuse_after_cut: Arc<std::sync::atomic::AtomicBool>,
    cuts: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl CutProxy {
    async fn start(upstream: &str) -> CutProxy {
        use std::sync::atomic::{AtomicBool, AtomicU64};
        use tokio::io::AsyncWriteExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_string();
        let cut_after = Arc::new(AtomicU64::new(u64::MAX));
        let refuse = Arc::new(AtomicBool::new(false));
        let refuse_after_cut = Arc::new(AtomicBool::new(false));
        let cuts = Arc::new(AtomicUsize::new(0));
        let (c, r, rac, n) = (
            cut_after.clone(),
            refuse.clone(),
            refuse_after_cut.clone(),
            cuts.clone(),
        );
        let task = tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            while let Ok((client, _)) = listener.accept().await {
                if r.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let (c, r, rac, n, upstream) = (
                    c.clone(),
                    r.clone(),
                    rac.clone(),
                    n.clone(),
                    upstream.clone(),
                );
                conns.spawn(async move {
                    let Ok(server) = tokio::net::TcpStream::connect(&upstream).await else {
                        return;
                    };
                    let (mut cr, mut cw) = client.into_split();
                    let (mut sr, mut sw) = server.into_split();
                    let up = async {
                        let mut buf = vec![0u8; 64 * 1024];
                        let mut total = 0u64;
                        loop {
                            let k = match cr.read(&mut buf).await {
                                Ok(0) | Err(_) => return,
                                Ok(k) => k,
                            };
                            total += k as u64;
                            if total > c.load(Ordering::SeqCst) {
                                n.fetch_add(1, Ordering::SeqCst);
                                if rac.load(Ordering::SeqCst) {
                                    r.store(true, Ordering::SeqCst);
                                }
                                return;
                            }
                            if sw.write_all(&buf[..k]).await.is_err() {
                                return;
                            }
                        }
                    };
                    let down = async {
                        let _ = tokio::io::copy(&mut sr, &mut cw).await;
                    };
                    // Whichever side ends first ends the connection (dropping both halves).
                    tokio::select! {
                        _ = up => {}
                        _ = down => {}
                    }
                });
            }
        });
        CutProxy {
            endpoint,
            cut_after,
            refuse,
            refuse_after_cut,
            cuts,
            task,
        }
    }
}

impl Drop for CutProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Rows, objects, incomplete multipart uploads.
async fn cut_state(
    pool: sqlx::AnyPool,
    direct: &academy::storage::s3::S3Store,
    server: &S3Server,
) -> (i64, usize, usize) {
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM materials")
        .fetch_one(&pool)
        .await
        .unwrap();
    let direct: &dyn ObjectStore = direct;
    (
        rows,
        direct.list("").await.unwrap().len(),
        server.incomplete_uploads(),
    )
}

/// A PDF of `size` bytes.
fn big_pdf(size: usize) -> Vec<u8> {
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.resize(size, b' ');
    pdf
}

/// Uploads cut mid-way (a single PUT, and a multipart upload whose part is cut): 503, and
/// afterwards no row, no object, no incomplete multipart upload. When the clean-up cannot
/// reach S3 either, the sweep finishes it once S3 is back.
#[rocket::async_test]
async fn an_upload_cut_mid_way_leaves_nothing_behind() {
    use std::sync::atomic::Ordering::SeqCst;
    let server = S3Server::start().await;
    let proxy = CutProxy::start(&server.endpoint).await;
    let app = TestApp::with(|f| {
        server
            .configure(f)
            .merge(("s3_endpoint", proxy.endpoint.clone()))
    })
    .await;
    let w = app.world().await;
    let direct = server.store();
    let state = |app: &TestApp| cut_state(app.pool().clone(), &direct, &server);
    proxy.cut_after.store(256 * 1024, SeqCst);
    for (size, what) in [(2 << 20, "single PUT"), ((9 << 20) + 100, "multipart")] {
        let file = big_pdf(size);
        let before = proxy.cuts.load(SeqCst);
        let r = upload(
            &app,
            COURSE,
            &w.coord_a.token,
            "deck.pdf",
            "application/pdf",
            &file,
            None,
        )
        .await;
        assert_problem(&r, 503);
        assert!(proxy.cuts.load(SeqCst) > before, "{what}: not cut");
        assert_eq!(state(&app).await, (0, 0, 0), "{what}");
    }

    // Cut, and then S3 cannot be reached at all: the clean-up fails too.
    proxy.refuse_after_cut.store(true, SeqCst);
    let r = upload(
        &app,
        COURSE,
        &w.coord_a.token,
        "deck.pdf",
        "application/pdf",
        &big_pdf((9 << 20) + 100),
        None,
    )
    .await;
    assert_problem(&r, 503);
    assert_eq!(
        state(&app).await,
        (1, 0, 1),
        "a pending row and an incomplete upload"
    );
    // S3 is back; the sweep removes both.
    proxy.refuse.store(false, SeqCst);
    proxy.cut_after.store(u64::MAX, SeqCst);
    let policy = academy::materials::SweepPolicy {
        every: std::time::Duration::from_secs(60),
        pending_after: -5,
        multipart_after: -5,
    };
    let store: Arc<dyn ObjectStore> = Arc::new(server.store());
    let swept = academy::materials::sweep_all(app.pool(), &*store, &policy)
        .await
        .unwrap();
    assert_eq!(swept.rows, 1);
    assert_eq!(state(&app).await, (0, 0, 0));
    // And a whole upload still works through the proxy.
    upload(
        &app,
        COURSE,
        &w.coord_a.token,
        "deck.pdf",
        "application/pdf",
        &big_pdf((9 << 20) + 100),
        None,
    )
    .await
    .expect(201);
    assert_eq!(state(&app).await, (1, 1, 0));
}

/// Insert a material row as a crash would leave it.
async fn leftover_row(app: &TestApp, key: &str, status: &str, updated_at: i64) -> i64 {
    let course_id = academy::courses::course_id(app.pool(), COURSE)
        .await
        .unwrap();
    sqlx::query_scalar(
        "INSERT INTO materials (course_id, title, filename, content_type, size, object_key, \
         status, created_at, updated_at) \
         VALUES ($1, 'Deck', 'deck.pdf', 'application/pdf', 3, $2, $3, $4, $4) RETURNING id",
    )
    .bind(course_id)
    .bind(key)
    .bind(status)
    .bind(updated_at)
    .fetch_one(app.pool())
    .await
    .unwrap()
}

/// The sweep started by the builder runs periodically: a stale pending row and its object,
/// and a multipart upload older than a day, go; fresh work and ready materials stay.
#[rocket::async_test]
async fn the_periodic_sweep_removes_what_a_crash_left() {
    let server = S3Server::start().await;
    let app = TestApp::with(|f| {
        server
            .configure(f)
            .merge(("storage_sweep_interval_seconds", 1))
    })
    .await;
    let store = server.store();
    let now = academy::clock::now();
    for key in [
        "materials/crashed",
        "materials/inflight",
        "materials/old-ready",
    ] {
        store
            .put_bytes(key, b"abc", "application/pdf")
            .await
            .unwrap();
    }
    let crashed = leftover_row(&app, "materials/crashed", "pending", now - 7200).await;
    let inflight = leftover_row(&app, "materials/inflight", "pending", now).await;
    let ready = leftover_row(&app, "materials/old-ready", "ready", now - 7200).await;
    let old = server.begin_multipart("materials/abandoned").await;
    server.age_uploads(2 * 86_400);
    let young = server.begin_multipart("materials/young").await;
    // No count here: the sweep runs every second from the start and may already have aborted
    // the old upload (a count of 2 failed once in CI). The end state below is what matters.

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let left: Vec<i64> = sqlx::query_scalar("SELECT id FROM materials ORDER BY id")
            .fetch_all(app.pool())
            .await
            .unwrap();
        if left == [inflight, ready] && server.incomplete_uploads() == 1 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not swept: rows {left:?}, uploads {}",
            server.incomplete_uploads()
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let keys: Vec<String> = (&store as &dyn ObjectStore)
        .list("")
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.key)
        .collect();
    assert_eq!(keys, ["materials/inflight", "materials/old-ready"]);
    let root = server.root.path();
    assert!(!root.join(format!(".upload-{old}.json")).exists());
    assert!(root.join(format!(".upload-{young}.json")).exists());
    let _ = crashed;
}

/// Two processes sweeping the same database at once never work on the same row, and only
/// one of them takes a periodic turn.
#[rocket::async_test]
async fn two_processes_sweep_without_fighting() {
    let app = TestApp::with(|f| f.merge(("storage_sweep_interval_seconds", 3600))).await;
    let second = app.second_instance().await;
    let pool2 = <academy::db::Db as rocket_db_pools::Database>::fetch(second.rocket())
        .unwrap()
        .pool
        .clone();
    let store = LocalStore::new(app.dir.path().join("data/objects"));
    let now = academy::clock::now();
    for i in 0..30 {
        let key = format!("materials/left-{i}");
        (&store as &dyn ObjectStore)
            .put_bytes(&key, b"abc", "application/pdf")
            .await
            .unwrap();
        // Stale for the sweeps below (older than a minute), not for the periodic sweep of
        // either process (an hour), which may take its first turn late on a loaded machine.
        leftover_row(&app, &key, "pending", now - 120).await;
    }
    let (a, b) = tokio::join!(
        academy::materials::sweep(app.pool(), &store, now - 60),
        academy::materials::sweep(&pool2, &store, now - 60)
    );
    assert_eq!(a.unwrap() + b.unwrap(), 30);
    assert_eq!(counts(&app, &store).await, (0, 0));

    let later = now + 7200;
    let (a, b) = tokio::join!(
        academy::db::claim_run(app.pool(), "storage_sweep", later, 60),
        academy::db::claim_run(&pool2, "storage_sweep", later, 60)
    );
    assert_eq!(
        [a.unwrap(), b.unwrap()].iter().filter(|won| **won).count(),
        1
    );
}

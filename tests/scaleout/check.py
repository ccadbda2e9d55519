"""The scale-out checks: two `academy` processes (A and B) behind nginx (LB) behave as one.

Run by tests/scaleout/run.sh, which starts everything and passes the addresses in SCALEOUT_*
variables. Python 3.11 standard library only. Each check prints PASS or FAIL with its figures;
the exit status is 1 when any check failed.
"""

import base64
import collections
import concurrent.futures
import hashlib
import html
import json
import math
import os
import pathlib
import re
import subprocess
import sys
import threading
import time
import tomllib
import traceback
import urllib.error
import urllib.parse
import urllib.request

LB = os.environ["SCALEOUT_LB"]
A = os.environ["SCALEOUT_A"]
B = os.environ["SCALEOUT_B"]
S3 = os.environ["SCALEOUT_S3"]
DB = os.environ["SCALEOUT_DB"]
DEMO_PASSWORD = os.environ["SCALEOUT_PASSWORD"]
COURSES = pathlib.Path(os.environ["SCALEOUT_COURSES"])
LOGS = {"A": os.environ["SCALEOUT_LOG_A"], "B": os.environ["SCALEOUT_LOG_B"]}
ACCOUNT_FAILURES = int(os.environ.get("ACADEMY_LOGIN_ACCOUNT_FAILURES", "5"))
VERIFY_RATE = int(os.environ.get("ACADEMY_VERIFY_RATE_PER_MINUTE", "10"))

PORT = {A: urllib.parse.urlsplit(A).port, B: urllib.parse.urlsplit(B).port}
NAME = {A: "A", B: "B", LB: "nginx"}
WHO = {f"127.0.0.1:{PORT[A]}": "A", f"127.0.0.1:{PORT[B]}": "B"}

# Accounts this script creates (strong enough for the password policy).
PASSWORD = "Scale-out proof: seven harbour cranes lift the night"
LEARNERS = 12
QUIZ_COURSE = "financing-growth"
MATERIAL_COURSE = "international-markets"
# Client addresses the verify checks claim through X-Forwarded-For (127.0.0.1 is a trusted
# proxy, so the processes believe it), keeping each check's rate-limit bucket its own.
CLIENT_VERIFY_9 = "203.0.113.9"
CLIENT_VERIFY_7 = "198.51.100.77"

# Which process answered each request sent through nginx (X-Upstream).
upstream_tally = collections.Counter()
tally_lock = threading.Lock()


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def upstream(self):
        """A, B (or the raw value) for answers through nginx; the process itself otherwise."""
        raw = self.headers.get("X-Upstream")
        return WHO.get(raw, raw) if raw else None

    def brief(self):
        text = self.body[:300].decode("utf-8", "replace")
        return f"{self.status} {text}"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def call(base, method, path, token=None, body=None, data=None, headers=None, timeout=120):
    """One HTTP request; never raises for an HTTP status. `body` is sent as JSON."""
    h = dict(headers or {})
    if token:
        h["Authorization"] = f"Bearer {token}"
    if body is not None:
        data = json.dumps(body).encode()
        h.setdefault("Content-Type", "application/json")
    req = urllib.request.Request(base + path, data=data, method=method, headers=h)
    try:
        with OPENER.open(req, timeout=timeout) as r:
            resp = Resp(r.status, r.headers, r.read())
    except urllib.error.HTTPError as e:
        resp = Resp(e.code, e.headers, e.read())
    if base == LB:
        with tally_lock:
            upstream_tally[resp.upstream] += 1
    return resp


def expect(resp, *statuses, what=""):
    if resp.status not in statuses:
        raise AssertionError(f"{what}: expected {statuses}, got {resp.brief()}")
    return resp


def psql(sql):
    out = subprocess.run(["psql", DB, "-XAtqc", sql], check=True, capture_output=True, text=True)
    return [line.split("|") for line in out.stdout.splitlines() if line]


def login(base, email, password=PASSWORD):
    r = expect(call(base, "POST", "/api/auth/login", body={"email": email, "password": password}),
               200, what=f"login {email}")
    return r.json


def b64url_json(part):
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


results = []  # (number, title, passed, figures)


def check(number, title):
    def wrap(fn):
        def run(*args):
            print(f"\n--- check {number}: {title}", flush=True)
            try:
                ok, figures = fn(*args)
            except Exception as e:  # a check that cannot run fails, with why
                traceback.print_exc()
                ok, figures = False, f"error: {e}"
            print(f"{'PASS' if ok else 'FAIL'} {number}. {title}: {figures}", flush=True)
            results.append((number, title, ok, figures))
        return run
    return wrap


# ---------------------------------------------------------------------------------------------
# Set-up through the API: an SME of our own, learners, an advisor, the demo's people.

class World:
    pass


def setup():
    w = World()
    w.admin = login(LB, "admin@iberobio.example", DEMO_PASSWORD)["access_token"]
    partners = expect(call(LB, "GET", "/api/partners", w.admin), 200, what="partners").json["items"]
    w.partner = partners[0]["id"]
    sme = expect(call(LB, "POST", "/api/smes", w.admin, body={
        "name": "Scale-out Proof SL", "country": "ES", "region": "Comunitat Valenciana",
        "sector": "Load balancing", "partner_id": w.partner}), 201, what="new SME").json
    w.sme = sme["id"]

    def new_user(email, name, role, **extra):
        body = {"email": email, "name": name, "role": role, "password": PASSWORD,
                "locale": "en", "time_zone": "Europe/Madrid", **extra}
        return expect(call(LB, "POST", "/api/users", w.admin, body=body), 201,
                      what=f"new user {email}").json

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        learners = list(pool.map(
            lambda i: new_user(f"learner{i:02}@scaleout.example", f"Scale-out Learner {i:02}",
                               "learner", sme_id=w.sme), range(LEARNERS)))
        w.learner_ids = [u["id"] for u in learners]
        w.learner_emails = [u["email"] for u in learners]
        new_user("advisor@scaleout.example", "Scale-out Advisor", "advisor")
        new_user("lockout@scaleout.example", "Scale-out Lockout", "learner", sme_id=w.sme)
        w.learners = list(pool.map(lambda e: login(LB, e)["access_token"], w.learner_emails))
    w.advisor = login(LB, "advisor@scaleout.example")["access_token"]
    w.coordinator = login(LB, "coord.bioval@iberobio.example", DEMO_PASSWORD)["access_token"]
    w.certificate_code = None
    print(f"set-up: SME {w.sme}, {len(w.learners)} learners, an advisor, a lockout account")
    return w


# ---------------------------------------------------------------------------------------------

@check(1, "both processes get requests through nginx")
def check_1(w):
    seen = collections.Counter()
    for _ in range(24):
        r = expect(call(LB, "GET", "/api/languages"), 200, what="languages through nginx")
        seen[r.upstream] += 1
    ok = seen.get("A", 0) > 0 and seen.get("B", 0) > 0 and len(seen) == 2
    return ok, f"24 GET /api/languages through nginx answered by {dict(seen)}"


@check(8, "one course import at the same start-up: no duplicates, both imports succeeded")
def check_8(w):
    folders = sorted(p.name for p in COURSES.iterdir() if (p / "course.toml").is_file())
    dupes = {
        "courses (slug)": "SELECT slug, COUNT(*) FROM courses GROUP BY slug HAVING COUNT(*) > 1",
        "course_modules (course, slug)": "SELECT course_id, slug, COUNT(*) FROM course_modules "
                                         "GROUP BY course_id, slug HAVING COUNT(*) > 1",
        "module_contents (module, language)": "SELECT module_id, language, COUNT(*) FROM "
                                              "module_contents GROUP BY module_id, language "
                                              "HAVING COUNT(*) > 1",
        "quiz_versions (course, hash)": "SELECT course_id, hash, COUNT(*) FROM quiz_versions "
                                        "GROUP BY course_id, hash HAVING COUNT(*) > 1",
    }
    problems = []
    for what, sql in dupes.items():
        rows = psql(sql)
        if rows:
            problems.append(f"duplicates in {what}: {rows}")
    counts = psql("SELECT (SELECT COUNT(*) FROM courses), (SELECT COUNT(*) FROM course_modules), "
                  "(SELECT COUNT(*) FROM module_contents), (SELECT COUNT(*) FROM quiz_versions)")[0]
    slugs = sorted(r[0] for r in psql("SELECT slug FROM courses"))
    if slugs != folders:
        problems.append(f"courses in the database {slugs} != folders {folders}")
    imports = {}
    for who, path in LOGS.items():
        lines = []
        for line in pathlib.Path(path).read_text(errors="replace").splitlines():
            try:
                lines.append(json.loads(line))
            except ValueError:
                continue
        done = [l for l in lines if l.get("message") == "courses imported"]
        failed = [l for l in lines if l.get("message") in ("course import failed",
                                                            "course skipped because of errors")]
        if failed:
            problems.append(f"{who}'s log: {failed}")
        if len(done) != 1:
            problems.append(f"{who}'s log has {len(done)} 'courses imported' lines")
            continue
        d = done[0]
        imports[who] = {k: d.get(k) for k in ("imported", "updated", "unchanged", "skipped", "ms")}
        if d.get("skipped") != 0 or d.get("imported", 0) + d.get("updated", 0) + \
                d.get("unchanged", 0) != len(folders):
            problems.append(f"{who}'s import did not cover the {len(folders)} courses: {d}")
    figures = (f"{len(folders)} course folders; rows: courses {counts[0]}, modules {counts[1]}, "
               f"module contents {counts[2]}, quiz versions {counts[3]}; no duplicate keys"
               if not problems else "; ".join(problems))
    return not problems, f"{figures}; start-up imports {imports}"


@check(2, "one winner per slot under a booking storm split between A, B and nginx")
def check_2(w):
    rounds = []
    base = (math.ceil(time.time() / 3600) + 26) * 3600  # a whole hour, a day ahead
    ok = True
    for n in range(3):
        slot = None
        for extra in range(12):  # the next free hour if one is refused (nothing should be)
            start = base + (n * 3 + extra * 9) * 3600 + 7 * 60
            body = {"starts_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start)),
                    "ends_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start + 1800)),
                    "topic": "finance", "mode": "online", "location": "https://meet.example/storm"}
            r = call(A if n % 2 == 0 else B, "POST", "/api/slots", w.advisor, body=body)
            if r.status == 201:
                slot = r.json["id"]
                break
            print(f"slot refused: {r.brief()}")
        if slot is None:
            return False, "the advisor could not publish a slot"
        targets = [(A, B, LB)[i % 3] for i in range(LEARNERS)]
        barrier = threading.Barrier(LEARNERS)

        def book(i):
            barrier.wait()
            r = call(targets[i], "POST", f"/api/slots/{slot}/booking", w.learners[i],
                     body={"note": f"storm {n}"})
            return i, r

        with concurrent.futures.ThreadPoolExecutor(LEARNERS) as pool:
            answers = list(pool.map(book, range(LEARNERS)))
        statuses = collections.Counter(r.status for _, r in answers)
        per_target = collections.defaultdict(collections.Counter)
        for i, r in answers:
            label = NAME[targets[i]] + (f"->{r.upstream}" if targets[i] == LB else "")
            per_target[label][r.status] += 1
        winners = [(i, r) for i, r in answers if r.status == 201]
        active = psql(f"SELECT learner_id FROM bookings WHERE slot_id = {slot} AND status = 'active'")
        rows = psql(f"SELECT COUNT(*) FROM bookings WHERE slot_id = {slot}")[0][0]
        good = (statuses == collections.Counter({201: 1, 409: LEARNERS - 1})
                and len(active) == 1 and rows == "1"
                and int(active[0][0]) == w.learner_ids[winners[0][0]])
        others = [r.brief() for _, r in answers if r.status not in (201, 409)]
        rounds.append(f"slot {slot}: {dict(statuses)} by target "
                      f"{ {k: dict(v) for k, v in sorted(per_target.items())} }, "
                      f"active bookings in the database {len(active)} (rows {rows})"
                      + (f", unexpected answers {others[:2]}" if others else ""))
        ok = ok and good
    return ok, f"{LEARNERS} learners at once per slot; " + " | ".join(rounds)


def plain(text):
    """Inline Markdown or its sanitised HTML as comparable plain text."""
    text = re.sub(r"<[^>]+>", "", text)
    text = html.unescape(text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = text.replace("**", "").replace("`", "")
    return " ".join(text.split()).casefold()


@check(3, "a quiz attempt started on A and submitted on B, graded correctly")
def check_3(w):
    token = w.learners[0]
    quiz = tomllib.loads((COURSES / QUIZ_COURSE / "quiz.toml").read_text())
    course = expect(call(A, "GET", f"/api/courses/{QUIZ_COURSE}", token), 200, what="course").json
    pass_mark = course["quiz"]["pass_mark"]
    expect(call(A, "POST", f"/api/courses/{QUIZ_COURSE}/enrolment", token), 200, 201,
           what="enrolment on A")
    attempt = expect(call(A, "POST", f"/api/courses/{QUIZ_COURSE}/quiz/attempts", token), 201,
                     what="attempt started on A").json
    seen_on_b = expect(call(B, "GET", f"/api/quiz-attempts/{attempt['id']}", token), 200,
                       what="the attempt read on B").json
    same = [q["id"] for q in seen_on_b["questions"]] == [q["id"] for q in attempt["questions"]]
    defs = {q["id"]: q for q in quiz["questions"]}
    answers, expected_points, wrong_one = {}, 0.0, None
    for q in attempt["questions"]:
        d = defs[q["id"]]
        kind = d["kind"]
        if kind in ("single", "multiple"):
            correct = [o["id"] for o in d["options"] if o.get("correct")]
            if kind == "single" and wrong_one is None:
                # One deliberate mistake: the score must not be 100.
                answers[q["id"]] = [next(o["id"] for o in d["options"] if not o.get("correct"))]
                wrong_one = q["id"]
                continue
            answers[q["id"]] = correct
            expected_points += 1
        elif kind == "true_false":
            answers[q["id"]] = d["answer"]
            expected_points += 1
        elif kind == "numeric":
            answers[q["id"]] = d["answer"]
            expected_points += 1
        elif kind == "text":
            accepted = d["accepted"]
            answers[q["id"]] = (accepted.get(attempt.get("language", "en")) or
                                next(iter(accepted.values())))[0]
            expected_points += 1
        elif kind == "matching":
            # The right-hand sides are shown under ids that do not name their pair: find each
            # pair's by its text. Only unique matches are sent; each earns 1/pairs.
            mapping = {}
            for p in d["pairs"]:
                texts = {plain(t) for t in p["right"].values()}
                hits = [r["id"] for r in q["right"] if plain(r["label"]) in texts]
                if len(hits) == 1:
                    mapping[p["id"]] = hits[0]
            answers[q["id"]] = mapping
            expected_points += len(mapping) / len(d["pairs"])
    n = len(attempt["questions"])
    expected = math.floor(expected_points * 100 / n + 1e-9)
    result = expect(call(B, "POST", f"/api/quiz-attempts/{attempt['id']}/submission", token,
                         body={"answers": answers}), 200, what="submission on B").json
    after = expect(call(A, "GET", f"/api/quiz-attempts/{attempt['id']}", token), 200,
                   what="the attempt read on A after grading").json
    again = call(A, "POST", f"/api/quiz-attempts/{attempt['id']}/submission", token,
                 body={"answers": answers})
    stored = psql(f"SELECT status, score FROM quiz_attempts WHERE id = {attempt['id']}")[0]
    a_result = after.get("result") or {}
    ok = (same and result["score"] == expected and result["passed"] == (expected >= pass_mark)
          and after["status"] == "submitted" and a_result.get("score") == expected
          and again.status == 409 and stored == ["submitted", str(expected)])
    return ok, (f"attempt {attempt['id']} ({n} questions, one answered wrong on purpose: "
                f"{wrong_one}); same questions on B: {same}; score from B {result['score']} "
                f"(expected {expected}, pass mark {pass_mark}, passed {result['passed']}); "
                f"A then shows status {after['status']} score {a_result.get('score')}; "
                f"a second submission on A: {again.status}; database {stored}")


@check(4, "a refresh token rotated on A and reused on B is refused, and the session ends")
def check_4(w):
    first = login(A, w.learner_emails[1])
    rotated = expect(call(A, "POST", "/api/auth/refresh",
                          body={"refresh_token": first["refresh_token"]}), 200,
                     what="refresh on A").json
    me_b = call(B, "GET", "/api/me", rotated["access_token"])
    reuse = call(B, "POST", "/api/auth/refresh", body={"refresh_token": first["refresh_token"]})
    newer = call(B, "POST", "/api/auth/refresh", body={"refresh_token": rotated["refresh_token"]})
    me_a_after = call(A, "GET", "/api/me", rotated["access_token"])
    me_b_after = call(B, "GET", "/api/me", rotated["access_token"])
    # Contract (docs/API.md, Account security): refresh-token reuse revokes that session, its
    # access tokens included, on the very next request in every process.
    ok = (me_b.status == 200 and reuse.status == 401 and newer.status == 401
          and me_a_after.status == 401 and me_b_after.status == 401)
    end = reuse.headers.get("X-Academy-Session-End"), newer.headers.get("X-Academy-Session-End")
    return ok, (f"rotated on A: 200; the new access token on B before the reuse: {me_b.status}; "
                f"the old refresh token on B: {reuse.status}; the new refresh token on B after "
                f"that: {newer.status}; the new access token after that: A {me_a_after.status}, "
                f"B {me_b_after.status} (X-Academy-Session-End on the two refusals: {end})")


def upload(base, token, data, filename, title):
    boundary = "scaleout" + hashlib.sha256(data[:64] + title.encode()).hexdigest()[:24]
    parts = [
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\n{title}\r\n".encode(),
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
        "Content-Type: application/octet-stream\r\n\r\n".encode(),
        data,
        f"\r\n--{boundary}--\r\n".encode(),
    ]
    return call(base, "POST", f"/api/courses/{MATERIAL_COURSE}/materials", token,
                data=b"".join(parts),
                headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})


def download(base, token, material):
    """GET /api/materials/{id}: the 302 to the presigned URL, then the bytes from S3."""
    r = call(base, "GET", f"/api/materials/{material}", token)
    if r.status != 302:
        raise AssertionError(f"download from {NAME[base]}: expected 302, got {r.brief()}")
    location = r.headers["Location"]
    with urllib.request.urlopen(location, timeout=120) as s3:  # no Authorization: presigned
        return location, s3.status, s3.read()


@check(5, "a material uploaded through A is downloaded through B with the same bytes")
def check_5(w):
    figures, ok = [], True
    for up, down, size in ((A, B, 6 << 20), (LB, A, 24 << 20)):
        data = b"%PDF-1.4\n%scale-out proof\n" + os.urandom(size) + b"\n%%EOF\n"
        digest = hashlib.sha256(data).hexdigest()
        started = time.monotonic()
        r = upload(up, w.coordinator, data, f"scale-out {NAME[up]}.pdf",
                   f"Scale-out proof via {NAME[up]}")
        took = time.monotonic() - started
        if r.status != 201:
            return False, f"upload through {NAME[up]}: {r.brief()}"
        m = r.json
        location, s3_status, got = download(down, w.coordinator, m["id"])
        listed = expect(call(down, "GET", f"/api/courses/{MATERIAL_COURSE}/materials",
                             w.coordinator), 200, what="materials list").json["items"]
        same = hashlib.sha256(got).hexdigest() == digest
        good = (same and m["size"] == len(data) and m["content_type"] == "application/pdf"
                and location.startswith(S3 + "/") and any(i["id"] == m["id"] for i in listed))
        ok = ok and good
        answered = f" (by {r.upstream})" if up == LB else ""
        figures.append(f"{len(data)} bytes uploaded through {NAME[up]}{answered} in {took:.1f} s "
                       f"as material {m['id']} ({m['content_type']}, size {m['size']}), "
                       f"downloaded through {NAME[down]}: 302 to {location.split('?')[0]} -> "
                       f"{s3_status}, {len(got)} bytes, sha256 {'equal' if same else 'DIFFERENT'}")
    return ok, "; ".join(figures)


def kid_in(kid, keys):
    return any(k.get("kid") == kid or kid.endswith("#" + str(k.get("kid"))) for k in keys)


@check(9, "an Open Badges credential from one process verifies on the other; same JWK set")
def check_9(w):
    uxia = login(LB, "uxia@xenogen.example", DEMO_PASSWORD)["access_token"]
    certs = expect(call(LB, "GET", "/api/certificates", uxia), 200, what="certificates").json["items"]
    valid = [c for c in certs if not c.get("revoked")]
    if not valid:
        return False, "the demo learner has no valid certificate"
    code = valid[0]["code"]
    w.certificate_code = code
    figures, ok, kids = [], True, {}
    for signer, verifier in ((A, B), (B, A)):
        r = expect(call(signer, "GET", f"/api/certificates/{code}/credential", uxia), 200,
                   what=f"credential from {NAME[signer]}")
        jwt = r.body.decode().strip()
        kid = b64url_json(jwt.split(".")[0]).get("kid")
        kids[NAME[signer]] = kid
        v = call(verifier, "POST", "/api/verify", data=jwt.encode(),
                 headers={"Content-Type": "application/vc+jwt", "X-Forwarded-For": CLIENT_VERIFY_9})
        body = v.json or {}
        good = v.status == 200 and body.get("valid") is True and body.get("key_id") == kid
        ok = ok and good
        figures.append(f"signed by {NAME[signer]} ({r.headers.get('Content-Type')}, kid "
                       f"...{str(kid)[-12:]}) -> POST /api/verify on {NAME[verifier]}: "
                       f"{v.status} valid={body.get('valid')} key_id matches={body.get('key_id') == kid}")
    jwks = {n: expect(call(base, "GET", "/.well-known/jwks.json"), 200, what="jwks").json["keys"]
            for n, base in (("A", A), ("B", B))}
    dids = {n: expect(call(base, "GET", "/.well-known/did.json"), 200, what="did").json
            for n, base in (("A", A), ("B", B))}
    same_keys = sorted(map(json.dumps, jwks["A"])) == sorted(map(json.dumps, jwks["B"]))
    all_listed = all(kid_in(k, jwks[n]) for k in kids.values() for n in ("A", "B"))
    ok = ok and same_keys and all_listed and dids["A"] == dids["B"]
    figures.append(f"JWK sets: A {len(jwks['A'])} keys, B {len(jwks['B'])} keys, identical "
                   f"{same_keys}, both signing keys listed in both {all_listed}, A and B sign with "
                   f"{'different' if kids['A'] != kids['B'] else 'the same'} keys; "
                   f"did.json identical {dids['A'] == dids['B']}")
    return ok, "; ".join(figures)


@check(7, f"the certificate verify rate limit ({VERIFY_RATE}/min) is counted across both")
def check_7(w):
    code = w.certificate_code
    if not code:
        return False, "no certificate code (check 9 found none)"
    # A limit kept per calendar minute would let a burst that straddles a minute's end through:
    # each phase (under a second) starts well inside a minute.
    def fresh_minute():
        if time.time() % 60 > 50:
            time.sleep(60 - time.time() % 60 + 0.5)

    # a) one client through nginx only, no header of its own (its address is 127.0.0.1).
    fresh_minute()
    a = []
    for _ in range(VERIFY_RATE + 1):
        r = call(LB, "GET", f"/api/verify/{code}")
        a.append((r.status, r.upstream))
    # b) one client address (sent as X-Forwarded-For, believed from 127.0.0.1) through nginx
    #    and directly to A and B in turn; after the allowance, each of the three once more.
    order = [LB, A, B]
    fresh_minute()
    b = []
    for i in range(VERIFY_RATE + 1 + 3):
        base = order[i % 3]
        r = call(base, "GET", f"/api/verify/{code}", headers={"X-Forwarded-For": CLIENT_VERIFY_7})
        b.append((r.status, NAME[base] + (f"->{r.upstream}" if base == LB else "")))
    want_a = [200] * VERIFY_RATE + [429]
    want_b = [200] * VERIFY_RATE + [429] * 4
    ok_a = [s for s, _ in a] == want_a
    ok_b = [s for s, _ in b] == want_b
    fmt = lambda seq: " ".join(f"{s}@{who}" for s, who in seq)
    return ok_a and ok_b, (f"a) through nginx only: {fmt(a)} (want {VERIFY_RATE} x 200 then 429) "
                           f"{'ok' if ok_a else 'WRONG'}; b) one address via nginx, A, B in turn: "
                           f"{fmt(b)} (want {VERIFY_RATE} x 200 then 429 from each) "
                           f"{'ok' if ok_b else 'WRONG'}")


@check(6, f"sign-in throttling counted across both: locked after {ACCOUNT_FAILURES} failures")
def check_6(w):
    email = "lockout@scaleout.example"
    seq = []
    for i in range(ACCOUNT_FAILURES + 1):
        base = (A, B)[i % 2]
        r = call(base, "POST", "/api/auth/login", body={"email": email, "password": "wrong password " + str(i)})
        seq.append((r.status, NAME[base], r.headers.get("Retry-After")))
    right = []
    for base in (A, B, LB):
        r = call(base, "POST", "/api/auth/login", body={"email": email, "password": PASSWORD})
        right.append((r.status, NAME[base] + (f"->{r.upstream}" if base == LB else ""),
                      r.headers.get("Retry-After")))
    want = [401] * ACCOUNT_FAILURES + [429]
    ok = [s for s, _, _ in seq] == want and all(s == 429 for s, _, _ in right) \
        and all(ra for s, _, ra in seq + right if s == 429)
    fmt = lambda xs: " ".join(f"{s}@{who}" + (f"(Retry-After {ra})" if ra else "") for s, who, ra in xs)
    return ok, (f"wrong passwords alternating A/B: {fmt(seq)} (want {ACCOUNT_FAILURES} x 401 then "
                f"429); then the right password: {fmt(right)} (want 429 everywhere)")


def cookie_of(resp):
    for value in resp.headers.get_all("Set-Cookie") or []:
        m = re.match(r"academy_refresh=([^;]*)", value)
        if m:
            return m.group(1)
    return None


@check(10, "the browser's cookie session works through the balancer (extra)")
def check_10(w):
    email = w.learner_emails[2]
    origin = LB
    cookie_headers = {"X-Academy-Session": "cookie", "Origin": origin, "Sec-Fetch-Site": "same-origin"}
    r = expect(call(LB, "POST", "/api/auth/login", body={"email": email, "password": PASSWORD},
                    headers=cookie_headers), 200, what="cookie login through nginx")
    cookie = cookie_of(r)
    steps = [f"login {r.status}@{r.upstream}"]
    ok = cookie is not None and "refresh_token" not in (r.json or {})
    previous = None
    for _ in range(4):
        r = call(LB, "POST", "/api/auth/refresh",
                 headers={**cookie_headers, "Cookie": f"academy_refresh={cookie}"})
        new = cookie_of(r)
        steps.append(f"refresh {r.status}@{r.upstream}")
        ok = ok and r.status == 200 and new is not None and new != cookie
        previous, cookie = cookie, new or cookie
    # The cookie just replaced, presented again at once to the other process: within
    # ACADEMY_REFRESH_GRACE_SECONDS it gets an access token and no new cookie.
    last_by = r.upstream
    other = B if last_by == "A" else A
    g = call(other, "POST", "/api/auth/refresh",
             headers={**cookie_headers, "Cookie": f"academy_refresh={previous}"})
    steps.append(f"the replaced cookie at once on {NAME[other]}: {g.status}, new cookie "
                 f"{'yes' if cookie_of(g) else 'no'}")
    ok = ok and g.status == 200 and cookie_of(g) is None and "access_token" in (g.json or {})
    # Another name for the same balancer (localhost): Origin and Host agree, port included.
    host = f"localhost:{urllib.parse.urlsplit(LB).port}"
    h = call(LB, "POST", "/api/auth/refresh",
             headers={"X-Academy-Session": "cookie", "Origin": f"http://{host}", "Host": host,
                      "Cookie": f"academy_refresh={cookie}"})
    steps.append(f"refresh with Origin http://{host}: {h.status}@{h.upstream}")
    ok = ok and h.status == 200
    return ok, "; ".join(steps)


def main():
    print(f"nginx {LB}, A {A}, B {B}, S3 {S3}")
    try:
        w = setup()
    except Exception:
        traceback.print_exc()
        print("FAIL set-up")
        return 1
    # Check 8 runs last so that its counts include the quiz version check 3 stored.
    for run in (check_1, check_2, check_3, check_4, check_5, check_9, check_7, check_6, check_10,
                check_8):
        run(w)
    print("\n=== summary")
    for number, title, ok, figures in sorted(results):
        print(f"{'PASS' if ok else 'FAIL'} {number}. {title}")
    print(f"requests through nginx, by the process that answered: {dict(upstream_tally)}")
    failed = [n for n, _, ok, _ in results if not ok]
    print("all checks passed" if not failed else f"failed: {sorted(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

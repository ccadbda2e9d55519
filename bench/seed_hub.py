#!/usr/bin/env python3
"""Seed a realistic hub into a fresh academy database, fast (bench/run.sh).

    seed_hub.py --db sqlite:PATH|postgres://... --smes 60 --learners 1500 --slots 2000 \
                --admin-email admin@bench.example --facts OUT.json [--seed 17]

The server must have run once on the database (migrations applied, courses imported) and the
admin must exist; the server should be stopped while this runs. Everything else is inserted
here with explicit ids, in one transaction per table group (multi-row INSERTs, portable SQL;
PostgreSQL's identity sequences are moved past the seeded ids at the end):

- partners (3 for a small hub, 6 otherwise), SMEs spread over them, one coordinator per
  partner, four advisors (one per topic), learners spread unevenly over the SMEs;
- every seeded user gets the admin's stored password hash (all log in with its password);
- advisory slots over the advisors, two thirds in the past and one third ahead, on local
  working hours; past ones mostly booked (attended or not, with the outcome recorded, a few
  cancelled), future ones partly booked (at most one upcoming session per learner); advisory
  hours allotted to half of the SMEs for the current quarter;
- a year of learning: about two thirds of the learners enrolled in 1 to 3 courses, with module
  completions; those who finished have a passed quiz, a course completion and a certificate
  (IBA-XXXX-XXXX, what it says fixed as the server would issue it; 1% revoked).

Writes a JSON file of facts the benchmark needs (logins, the race slot, counts).
"""
import argparse
import json
import random
import sqlite3
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TOPICS = ["market_entry", "finance", "ip", "talent"]
LANG_FALLBACK = {"gl": "es"}

PARTNERS = [
    ("Bioval Cluster", "ES", "Comunitat Valenciana"),
    ("BioNorte Portugal", "PT", "Norte"),
    ("Andalucía BioHub", "ES", "Andalucía"),
    ("Biocat Catalunya", "ES", "Catalunya"),
    ("BioGalicia Cluster", "ES", "Galicia"),
    ("P-BIO Lisboa", "PT", "Área Metropolitana de Lisboa"),
]
REGIONS = {
    "ES": ["Comunitat Valenciana", "Andalucía", "Catalunya", "Galicia", "Comunidad de Madrid",
           "Castilla y León", "Canarias"],
    "PT": ["Norte", "Centro", "Área Metropolitana de Lisboa", "Alentejo", "Algarve"],
}
SECTORS = ["In vitro diagnostics", "Peptide therapeutics", "Cell therapy", "Marine biotechnology",
           "Agri-food biotech", "CDMO / bioprocessing", "Medical devices", "Bioinformatics",
           "Vaccines", "Industrial enzymes", "Microbiome", "Veterinary biotech"]
NAME_PARTS = ["Xeno", "Marea", "Célula", "Alga", "Oliv", "Hispa", "Bio", "Gen", "Vita", "Terra",
              "Luso", "Iber", "Mar", "Sol", "Nova", "Duero", "Tejo", "Miño", "Ebro", "Atlant"]
NAME_TAILS = ["gen", "tec", "pharma", "cell", "lab", "medica", "omics", "zyme", "viva", "bio",
              "diagnostics", "peptides", "sciences", "therapeutics"]
FIRST = {
    "es": ["Lucía", "Javier", "Begoña", "Íñigo", "María José", "Alejandro", "Nuria", "Álvaro",
           "Carmen", "Sergio", "Montserrat", "Raúl", "Elena", "Pablo", "Ainhoa"],
    "pt": ["João", "Inês", "Rui", "Conceição", "Gonçalo", "Beatriz", "Tiago", "Mariana",
           "Sebastião", "Leonor", "Duarte", "Catarina"],
    "gl": ["Uxía", "Brais", "Antía", "Xoán", "Iria", "Roi", "Sabela", "Anxo"],
    "en": ["Emma", "Oliver", "Charlotte", "James", "Sophie", "Liam"],
}
LAST = {
    "es": ["Martínez", "Fernández", "Núñez", "Ibáñez", "Ortega", "Ruiz", "Quintana", "Iglesias",
           "Sánchez", "Gómez", "Ferrer", "Castro"],
    "pt": ["Gonçalves", "Araújo", "Carvalho", "Sousa", "Magalhães", "Pereira", "Simões",
           "Conceição", "Lopes", "Ribeiro"],
    "gl": ["Castro", "Otero", "Vázquez", "Rodríguez", "Seoane", "Carballo", "Lema", "Bouzas"],
    "en": ["Walsh", "Smith", "Taylor", "Brown", "Wilson", "Evans"],
}
ZONES = {"ES": ["Europe/Madrid"] * 9 + ["Atlantic/Canary"], "PT": ["Europe/Lisbon"]}


def sql_value(v):
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, int):
        return str(v)
    return "'" + str(v).replace("'", "''") + "'"


class Db:
    """The two dialects: SQLite through the standard library, PostgreSQL through psql."""

    def __init__(self, url):
        self.url = url
        self.pg = url.startswith("postgres")
        if not self.pg:
            # a plain path, or sqlite:PATH / sqlite://PATH (sqlite:///abs/path)
            path = url[len("sqlite:"):] if url.startswith("sqlite:") else url
            path = path[2:] if path.startswith("//") else path
            path = path.split("?")[0]
            self.conn = sqlite3.connect(path, isolation_level=None)
            self.conn.execute("PRAGMA busy_timeout = 10000")
            self.conn.execute("PRAGMA foreign_keys = ON")

    def query(self, sql):
        if not self.pg:
            return [tuple(r) for r in self.conn.execute(sql).fetchall()]
        out = subprocess.run(
            ["psql", "-X", "-q", "-A", "-t", "-F", "\x1f", "-R", "\x1e", "-v", "ON_ERROR_STOP=1",
             self.url, "-c", sql],
            check=True, capture_output=True, text=True).stdout
        return [tuple(None if c == "" else c for c in rec.split("\x1f"))
                for rec in out.rstrip("\n").split("\x1e") if rec.strip("\n")]

    def script(self, statements):
        text = "BEGIN;\n" + ";\n".join(statements) + ";\nCOMMIT;\n"
        if not self.pg:
            self.conn.executescript(text)
        else:
            subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", self.url],
                           input=text, check=True, text=True, stdout=subprocess.DEVNULL)


def inserts(table, columns, rows, chunk=500):
    """Multi-row INSERTs of `rows` (tuples in `columns` order)."""
    out = []
    for i in range(0, len(rows), chunk):
        values = ",\n".join("(" + ",".join(sql_value(v) for v in r) + ")" for r in rows[i:i + chunk])
        out.append(f"INSERT INTO {table} ({', '.join(columns)}) VALUES\n{values}")
    return out


def course_title(titles, lang, default):
    for code in (lang, LANG_FALLBACK.get(lang)):
        if code and titles.get(code, "").strip():
            return titles[code]
    if titles.get(default, "").strip():
        return titles[default]
    return next(iter(titles.values()), None)


def quarter(ts):
    d = datetime.fromtimestamp(ts, ZoneInfo("Europe/Madrid"))
    return f"{d.year}-Q{(d.month - 1) // 3 + 1}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--smes", type=int, default=60)
    ap.add_argument("--learners", type=int, default=1500)
    ap.add_argument("--slots", type=int, default=2000)
    ap.add_argument("--admin-email", required=True)
    ap.add_argument("--facts", required=True)
    ap.add_argument("--seed", type=int, default=17)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    t0 = time.time()
    db = Db(a.db)
    now = int(time.time())
    day = 86400

    admin = db.query(f"SELECT id, password_hash FROM users WHERE email = {sql_value(a.admin_email)}")
    if not admin:
        sys.exit(f"seed_hub: no admin {a.admin_email}")
    admin_id, pw_hash = int(admin[0][0]), admin[0][1]
    if db.query("SELECT COUNT(*) FROM smes")[0][0] not in (0, "0"):
        sys.exit("seed_hub: the database already has SMEs; seed a fresh one")
    courses = []
    for cid, slug, default, quiz_required, pass_mark, has_quiz, titles in db.query(
            "SELECT id, slug, default_language, quiz_required, pass_mark, "
            "CASE WHEN quiz_json IS NULL THEN 0 ELSE 1 END, titles_json FROM courses ORDER BY id"):
        courses.append({"id": int(cid), "slug": slug, "default": default,
                        "quiz_required": int(quiz_required), "pass_mark": int(pass_mark),
                        "has_quiz": int(has_quiz), "titles": json.loads(titles), "modules": []})
    by_id = {c["id"]: c for c in courses}
    for mid, cid in db.query("SELECT id, course_id FROM course_modules WHERE retired_at IS NULL "
                             "ORDER BY course_id, position"):
        by_id[int(cid)]["modules"].append(int(mid))
    courses = [c for c in courses if c["modules"]]
    if not courses:
        sys.exit("seed_hub: no courses imported (start the server once first)")

    def next_id(table):
        return int(db.query(f"SELECT COALESCE(MAX(id), 0) FROM {table}")[0][0]) + 1

    # --- organisations and people ---------------------------------------------------------
    n_partners = 3 if a.smes <= 20 else 6
    partners = []
    pid = next_id("partners")
    for i in range(n_partners):
        name, country, region = PARTNERS[i]
        partners.append((pid + i, name, country, region, now - 400 * day))
    smes, used_names = [], set()
    sid = next_id("smes")
    for i in range(a.smes):
        p = partners[i % n_partners]
        country = p[2]
        while True:
            base = rnd.choice(NAME_PARTS) + rnd.choice(NAME_TAILS)
            name = f"{base} {'SL' if country == 'ES' else 'Lda'}"
            if name not in used_names:
                break
            name = f"{base} {rnd.choice(['Biotech', 'Health', 'Life'])} {'SL' if country == 'ES' else 'Lda'}"
            if name not in used_names:
                break
        used_names.add(name)
        region = p[3] if rnd.random() < 0.7 else rnd.choice(REGIONS[country])
        smes.append((sid + i, name, country, region, rnd.choice(SECTORS), p[0], now - rnd.randint(200, 390) * day))
    sme_by_id = {s[0]: s for s in smes}
    partner_by_id = {p[0]: p for p in partners}

    uid = next_id("users")
    users = []  # id, email, name, role, sme_id, partner_id, locale, time_zone, hash, created_at
    people = {}

    def person(locale):
        return f"{rnd.choice(FIRST[locale])} {rnd.choice(LAST[locale])}"

    def add_user(email, name, role, sme_id, partner_id, locale, tz, created):
        nonlocal uid
        row = (uid, email, name, role, sme_id, partner_id, locale, tz, pw_hash, created)
        users.append(row)
        people[uid] = row
        uid += 1
        return row

    coordinators = []
    for p in partners:
        locale = "pt" if p[2] == "PT" else "es"
        coordinators.append(add_user(f"coord{p[0]}@partner{p[0]}.bench.example", person(locale),
                                     "coordinator", None, p[0], locale, ZONES[p[2]][0], now - 390 * day))
    advisors = []
    for i, topic in enumerate(TOPICS):
        locale, tz = [("es", "Europe/Madrid"), ("pt", "Europe/Lisbon"), ("es", "Atlantic/Canary"),
                      ("gl", "Europe/Madrid")][i]
        advisors.append((add_user(f"advisor.{topic.replace('_', '-')}@bench.example", person(locale),
                                  "advisor", None, None, locale, tz, now - 390 * day), topic))
    # Learners: uneven SME sizes (weights 1..6), every SME at least one learner.
    weights = [rnd.randint(1, 6) for _ in smes]
    total_w = sum(weights)
    counts = [max(1, round(a.learners * w / total_w)) for w in weights]
    while sum(counts) > a.learners:
        counts[counts.index(max(counts))] -= 1
    while sum(counts) < a.learners:
        counts[rnd.randrange(len(counts))] += 1
    learners = []
    for s, n in zip(smes, counts):
        for k in range(n):
            country = s[2]
            locale = rnd.choices(["es", "gl", "en"], [75, 10, 15])[0] if country == "ES" else \
                rnd.choices(["pt", "en"], [85, 15])[0]
            tz = rnd.choice(ZONES[country])
            learners.append(add_user(f"learner{uid}@sme{s[0]}.bench.example", person(locale), "learner",
                                     s[0], s[5], locale, tz, s[6] + rnd.randint(0, 60) * day))

    # --- a year of learning -----------------------------------------------------------------
    enrolments, module_completions, course_completions, certificates = [], [], [], []
    eid, mcid, ccid, ceid = next_id("enrolments"), next_id("module_completions"), \
        next_id("course_completions"), next_id("certificates")
    codes = set(r[0] for r in db.query("SELECT code FROM certificates"))
    rnd_codes = random.Random(a.seed + 1)

    def new_code():
        while True:
            s = "".join(rnd_codes.choice(CROCKFORD) for _ in range(8))
            code = f"IBA-{s[:4]}-{s[4:]}"
            if code not in codes:
                codes.add(code)
                return code

    module_learner = None  # a learner of the module-page scenario: enrolled, in progress
    for l in learners:
        if rnd.random() > 0.66:
            continue
        for c in rnd.sample(courses, rnd.choice([1, 1, 2, 2, 3])):
            enrolled = now - rnd.randint(2, 365) * day + rnd.randint(0, day)
            enrolled = max(enrolled, l[9])
            outcome = rnd.random()
            n_mod = len(c["modules"])
            done = n_mod if outcome < 0.45 else (rnd.randint(1, n_mod - 1) if outcome < 0.75 else 0)
            t = enrolled
            for m in c["modules"][:done]:
                t = min(now - 60, t + rnd.randint(600, 6 * day))
                module_completions.append((mcid, l[0], c["id"], m, t))
                mcid += 1
            best, passed_at = None, None
            finished = done == n_mod
            if finished and c["has_quiz"]:
                t = min(now - 30, t + rnd.randint(600, 3 * day))
                best = rnd.randint(c["pass_mark"], 100)
                passed_at = t
            enrolments.append((eid, l[0], c["id"], enrolled, best, passed_at))
            eid += 1
            if not finished:
                if module_learner is None and done > 0:
                    module_learner = (l, c)
                continue
            course_completions.append((ccid, l[0], c["id"], t, best))
            s = sme_by_id[l[4]]
            p = partner_by_id[s[5]]
            revoked = rnd.random() < 0.01
            completed_on = datetime.fromtimestamp(t, ZoneInfo(l[7])).date().isoformat()
            certificates.append((
                ceid, ccid, new_code(), l[0], c["id"], s[0], p[0], l[6], l[2], s[1], p[1], c["slug"],
                course_title(c["titles"], l[6], c["default"]) or c["slug"], t, completed_on, best, t,
                t + day if revoked else None, admin_id if revoked else None,
                "Issued by mistake" if revoked else None))
            ccid += 1
            ceid += 1

    # --- advisory slots and bookings --------------------------------------------------------
    slots, bookings = [], []
    slot_id, booking_id = next_id("slots"), next_id("bookings")
    per_advisor = max(1, a.slots // len(advisors))
    future_share = 1 / 3
    upcoming = set()  # learners with an upcoming session (at most one each)
    race_slot = None
    for idx, (adv, topic) in enumerate(advisors):
        tz = ZoneInfo(adv[7])
        n_future = int(per_advisor * future_share)
        n_past = per_advisor - n_future
        # three one-hour sessions per working day: 09:30, 11:00 and 15:30 local
        hours = [(9, 30), (11, 0), (15, 30)]
        today = datetime.fromtimestamp(now, tz).date()

        def times(start_day, step, n):
            d, out = start_day, []
            while len(out) < n:
                if d.weekday() < 5:
                    for h, m in hours:
                        out.append(int(datetime(d.year, d.month, d.day, h, m, tzinfo=tz).timestamp()))
                d += timedelta(days=step)
            return out[:n]

        past = [ts for ts in times(today - timedelta(days=1), -1, n_past + 3) if ts + 3600 < now][:n_past]
        future = times(today + timedelta(days=2), 1, n_future)
        mode = "online" if idx % 2 == 0 else "in_person"
        location = f"https://meet.bench.example/{topic}" if mode == "online" else \
            ["Parc Científic, València", "UPTEC, Porto", "Cartuja 93, Sevilla", "CITEXVI, Vigo"][idx]
        for ts in sorted(past + future):
            created = min(ts - 7 * day, now - day)
            slots.append((slot_id, adv[0], ts, ts + 3600, topic, mode, location, adv[7], created, None))
            is_future = ts > now
            r = rnd.random()
            if (not is_future and r < 0.7) or (is_future and r < 0.3):
                pool = learners
                for _ in range(20):
                    l = rnd.choice(pool)
                    if not is_future or l[0] not in upcoming:
                        break
                else:
                    l = None
                if l is not None:
                    booked_at = min(created + rnd.randint(0, 5 * day), ts - day)
                    cancelled = rnd.random() < 0.08
                    if is_future and not cancelled:
                        upcoming.add(l[0])
                    attended = None
                    notes, outcome_at = None, None
                    if not is_future and not cancelled:
                        attended = 1 if rnd.random() < 0.85 else 0
                        notes = "Export plan reviewed; next steps agreed." if attended else "Did not join."
                        outcome_at = ts + 3600 + rnd.randint(60, 2 * day)
                    bookings.append((
                        booking_id, slot_id, l[0], l[4], "Would like to discuss our plans.",
                        "cancelled" if cancelled else "active",
                        f"booking-{uuid.UUID(int=rnd.getrandbits(128)).hex}@bench.example", 0,
                        booked_at, booked_at + (3600 if cancelled else 0),
                        booked_at + 3600 if cancelled else None, l[0] if cancelled else None,
                        "learner" if cancelled else None, "Schedule clash" if cancelled else None,
                        attended, notes, outcome_at))
                    booking_id += 1
            elif is_future and race_slot is None and idx == 0 and ts > now + 20 * day:
                race_slot = slot_id
            slot_id += 1
    if race_slot is None:
        race_slot = next(s[0] for s in reversed(slots) if s[2] > now + 3 * day
                         and s[0] not in {b[1] for b in bookings})
    quotas = []
    period = quarter(now)
    for s in smes:
        if rnd.random() < 0.5:
            quotas.append((s[0], period, rnd.choice([10, 20, 30, 40]) * 60, coordinators[0][0], now - 30 * day))
    # The booking race: 20 learners without an upcoming session, from SMEs without a quota
    # (so the only possible refusal is the slot being taken).
    limited = {q[0] for q in quotas}
    race_learners = [l for l in learners if l[0] not in upcoming and l[4] not in limited]
    race_learners = race_learners[::max(1, len(race_learners) // 20)][:20]

    # --- write ------------------------------------------------------------------------------
    user_cols = ["id", "email", "name", "role", "sme_id", "partner_id", "locale", "time_zone",
                 "password_hash", "created_at"]
    stmts = []
    stmts += inserts("partners", ["id", "name", "country", "region", "created_at"], partners)
    stmts += inserts("smes", ["id", "name", "country", "region", "sector", "partner_id", "created_at"], smes)
    stmts += inserts("users", user_cols, users)
    db.script(stmts)
    stmts = []
    stmts += inserts("enrolments", ["id", "user_id", "course_id", "enrolled_at", "quiz_best_score",
                                    "quiz_passed_at"], enrolments)
    stmts += inserts("module_completions", ["id", "user_id", "course_id", "module_id", "completed_at"],
                     module_completions)
    stmts += inserts("course_completions", ["id", "user_id", "course_id", "completed_at", "score"],
                     course_completions)
    stmts += inserts("certificates", [
        "id", "completion_id", "code", "user_id", "course_id", "sme_id", "partner_id", "language",
        "holder_name", "sme_name", "partner_name", "course_slug", "course_title", "completed_at",
        "completed_on", "score", "issued_at", "revoked_at", "revoked_by", "revocation_reason"],
        certificates)
    db.script(stmts)
    stmts = []
    stmts += inserts("slots", ["id", "advisor_id", "starts_at", "ends_at", "topic", "mode", "location",
                               "time_zone", "created_at", "deleted_at"], slots)
    stmts += inserts("bookings", [
        "id", "slot_id", "learner_id", "sme_id", "note", "status", "uid", "sequence", "created_at",
        "updated_at", "cancelled_at", "cancelled_by", "cancelled_by_role", "cancel_reason",
        "attended", "outcome_notes", "outcome_at"], bookings)
    stmts += inserts("advisory_quotas", ["sme_id", "period", "minutes", "set_by", "set_at"], quotas)
    if db.pg:
        for t in ["partners", "smes", "users", "enrolments", "module_completions",
                  "course_completions", "certificates", "slots", "bookings"]:
            stmts.append(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), "
                         f"(SELECT MAX(id) FROM {t}))")
        stmts.append("ANALYZE")
    db.script(stmts)
    if not db.pg:
        db.conn.execute("ANALYZE")
        db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.conn.close()

    ml, mc = module_learner
    facts = {
        "admin_email": a.admin_email,
        "coordinator_email": coordinators[0][1],
        "learner_email": ml[1],
        "learner_locale": ml[6],
        "module_course": mc["slug"],
        "race_slot": race_slot,
        "race_learners": [l[1] for l in race_learners],
        "counts": {"partners": len(partners), "smes": len(smes), "learners": len(learners),
                   "coordinators": len(coordinators), "advisors": len(advisors),
                   "enrolments": len(enrolments), "module_completions": len(module_completions),
                   "course_completions": len(course_completions), "certificates": len(certificates),
                   "slots": len(slots), "slots_future": sum(1 for s in slots if s[2] > now),
                   "bookings": len(bookings), "quotas": len(quotas)},
        "seconds": round(time.time() - t0, 2),
    }
    with open(a.facts, "w") as f:
        json.dump(facts, f)
    c = facts["counts"]
    print(f"seeded {c['partners']} partners, {c['smes']} SMEs, {c['learners']} learners, "
          f"{c['enrolments']} enrolments, {c['module_completions']} module completions, "
          f"{c['course_completions']} completions/certificates, {c['slots']} slots "
          f"({c['slots_future']} ahead), {c['bookings']} bookings in {facts['seconds']} s")


if __name__ == "__main__":
    main()

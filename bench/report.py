#!/usr/bin/env python3
"""Results of bench/run.sh: one record per scenario, then the tables and the checks.

    report.py count --url SERVER --base TARGET --path PATH [--token T] [--if-none-match E]
                    --n N --out COUNT.json
    report.py record --out RESULTS.jsonl --db KIND --hub large|small|programme --group G --label L
                     --target nginx|rocket --probe HTTP_CODE --wrk WRK.json --m0 METRICS_BEFORE
                     --m1 METRICS_AFTER --rss-kib N --hwm-kib N --count COUNT.json

`count` sends N requests one after the other on one connection between two fetches of
/metrics: the exact statements per request (wrk cancels the requests in flight when it stops,
which ran statements but were never counted as served) and the latency of one request alone.
    report.py render --results RESULTS.jsonl --meta META.jsonl --benchmarks BENCHMARKS.md [--smoke]

`render` prints the checks (always) and, unless --smoke, one table per database, which it also
writes into BENCHMARKS.md between the bench/run.sh markers. It exits 1 when a check fails:
a non-2xx/3xx answer or a socket error in any scenario, a probe that did not answer as
expected (200; 304 for the revalidated module page), a module page or catalogue without an
ETag or whose revalidation is not a 304, report statements per request that differ between
the hubs (10, 60 and 600 SMEs; or cannot be counted), a booking race without exactly one winner.
"""
import argparse
import json
import os
import re
import sys
import time
import urllib.parse
import urllib.request

BEGIN = "<!-- bench/run.sh begin -->"
END = "<!-- bench/run.sh end -->"
DB_NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
BASELINES = {"nginx": "nginx static file", "static": "Rocket static file",
             "minimal": "minimal route GET /api/languages"}
REVALIDATED = "module page revalidated (If-None-Match)"
STMT_DIGITS = 1  # statements per request are shown with this many decimals
# Two counts of statements per request are the same when closer than this: a statement more
# per request is a difference, while the server's own work beside the requests (the mail
# worker polls about once a second) adds a few hundredths at most to a count over 50 requests.
STMT_TOLERANCE = 0.5


def metrics(path):
    """(statements or None, requests served except /metrics) from a /metrics text."""
    statements, requests = None, 0
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, _, value = line.rpartition(" ")
            metric = name.split("{")[0]
            if metric == "academy_db_statements_total":
                statements = (statements or 0) + float(value)
            elif metric == "academy_http_requests_total" and 'route="/metrics"' not in name:
                requests += float(value)
    return statements, requests


def metrics_text(url):
    with urllib.request.urlopen(url + "/metrics", timeout=30) as r:
        return r.read().decode()


def count(a):
    """N requests one after the other on one keep-alive connection, between two /metrics:
    exact statements per request (the server's other work, about one statement a second,
    is the only noise) and the latency of one request at a time."""
    import http.client
    import tempfile
    before = metrics_text(a.url)
    target = urllib.parse.urlsplit(a.base)
    conn = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
    headers = {}
    if a.token:
        headers["Authorization"] = f"Bearer {a.token}"
    if a.if_none_match:
        headers["If-None-Match"] = a.if_none_match
    times, statuses = [], {}
    for _ in range(a.n):
        t = time.perf_counter()
        conn.request("GET", a.path, headers=headers)
        resp = conn.getresponse()
        resp.read()
        times.append((time.perf_counter() - t) * 1000)
        statuses[resp.status] = statuses.get(resp.status, 0) + 1
    conn.close()
    after = metrics_text(a.url)
    parsed = []
    for text in (before, after):
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write(text)
        parsed.append(metrics(f.name))
        os.unlink(f.name)
    (s0, r0), (s1, r1) = parsed
    served = r1 - r0
    times.sort()
    out = {"n": a.n, "statuses": {str(k): v for k, v in statuses.items()}, "served": served,
           "statements": None if s0 is None or s1 is None else s1 - s0,
           "median_ms": times[len(times) // 2]}
    out["per_request"] = out["statements"] / served if out["statements"] is not None and served else None
    with open(a.out, "w") as f:
        json.dump(out, f)


def record(a):
    with open(a.wrk) as f:
        w = json.load(f)
    s0, r0 = metrics(a.m0)
    s1, r1 = metrics(a.m1)
    served = r1 - r0
    with open(a.count) as f:
        exact = json.load(f)
    per_request = exact["per_request"] if a.target == "rocket" else None
    rec = {
        "db": a.db, "hub": a.hub, "group": a.group, "label": a.label, "target": a.target,
        "probe": int(a.probe), "requests": w["requests"],
        "rps": w["requests"] / (w["duration_us"] / 1e6),
        "p50_ms": w["p50_us"] / 1000, "p99_ms": w["p99_us"] / 1000, "max_ms": w["max_us"] / 1000,
        "non_2xx_3xx": w["non_2xx_3xx"],
        "socket_errors": w["connect_errors"] + w["read_errors"] + w["write_errors"] + w["timeouts"],
        "server_requests": served, "statements": None if s0 is None or s1 is None else s1 - s0,
        "statements_per_request": per_request,
        "rss_mib": int(a.rss_kib) / 1024, "hwm_mib": int(a.hwm_kib) / 1024,
        "bytes_per_request": w["bytes"] / w["requests"] if w["requests"] else 0,
        # over the wrk run itself (cancelled requests at its end ran statements too)
        "statements_per_request_wrk": (s1 - s0) / served if s0 is not None and s1 is not None
        and served else None,
        "count": exact,
        "single_ms": exact["median_ms"] if a.group == "report" else None,
    }
    with open(a.out, "a") as f:
        f.write(json.dumps(rec) + "\n")
    stmts = "n/a" if per_request is None else f"{per_request:.2f}"
    if os.environ.get("SMOKE") == "1":  # correctness only: no timings
        print(f"  {a.db}/{a.hub} {a.label}: {w['requests']} requests, HTTP {a.probe}, "
              f"non-2xx/3xx {rec['non_2xx_3xx']}, socket errors {rec['socket_errors']}, "
              f"statements/req {stmts}")
        return
    print(f"  {a.db}/{a.hub} {a.label}: {rec['rps']:.0f} req/s, p50 {rec['p50_ms']:.2f} ms, "
          f"p99 {rec['p99_ms']:.2f} ms, HTTP {a.probe}, non-2xx/3xx {rec['non_2xx_3xx']}, "
          f"socket errors {rec['socket_errors']}, statements/req {stmts}, RSS {rec['rss_mib']:.0f} MiB"
          + (f", one at a time {rec['single_ms']:.1f} ms" if rec["single_ms"] else ""))


def ms(v):
    return f"{v:.2f} ms" if v < 10 else (f"{v:.1f} ms" if v < 100 else f"{v:.0f} ms")


def ratio(v, base):
    if not base:
        return "n/a"
    r = v / base
    return f"{r:.2f}x" if r >= 0.1 else (f"{r:.3f}x" if r >= 0.001 else "<0.001x")


def stmt(v):
    return "n/a" if v is None else f"{v:.{STMT_DIGITS}f}"


def render(a):
    results = [json.loads(l) for l in open(a.results) if l.strip()]
    meta = [json.loads(l) for l in open(a.meta) if l.strip()]
    run = next(m for m in meta if m.get("kind") == "run")
    COUNT_N = next((r["count"]["n"] for r in results if r.get("count")), 0)
    dbs = list(dict.fromkeys(r["db"] for r in results))
    failures = []

    # --- checks ---------------------------------------------------------------------------
    for r in results:
        where = f"{DB_NAMES[r['db']]}, {r['hub']} hub, {r['label']}"
        if r.get("missing"):
            failures.append(f"{where}: not measured ({r['missing']})")
            continue
        expected = 304 if r["label"] == REVALIDATED else 200
        if r["probe"] != expected:
            failures.append(f"{where}: answered HTTP {r['probe']}, expected {expected}")
        if set(r["count"]["statuses"]) != {str(expected)}:
            failures.append(f"{where}: {r['count']['n']} sequential requests answered "
                            f"{r['count']['statuses']}, expected all {expected}")
        if r["non_2xx_3xx"] or r["socket_errors"]:
            failures.append(f"{where}: {r['non_2xx_3xx']} non-2xx/3xx answers, "
                            f"{r['socket_errors']} socket errors in {r['requests']} requests")
    for m in meta:
        if m.get("kind") != "hub" or "catalogue_etag" not in m:
            continue
        text = (f"{DB_NAMES[m['db']]} catalogue: ETag {m['catalogue_etag'] or 'none'}, "
                f"If-None-Match with it answers {m['catalogue_revalidated']}")
        print(text)
        if not m["catalogue_etag"] or m["catalogue_revalidated"] != 304:
            failures.append(text + " (expected an ETag and 304)")
    n_plus_one = []
    # The hubs seeded, smallest first: (name, SMEs).
    sizes = sorted(((h, int(run[h].split()[0])) for h in ("small", "large", "programme")
                    if run.get(h)), key=lambda x: x[1])
    for db in dbs:
        by_hub = {h: {r["label"]: r for r in results if r["db"] == db and r["hub"] == h}
                  for h, _ in sizes}
        for label in by_hub[sizes[0][0]]:
            counts = [(by_hub[h].get(label) or {}).get("statements_per_request") for h, _ in sizes]
            shown = ", ".join(f"at {n} SMEs {stmt(c)}" for (_, n), c in zip(sizes, counts))
            if any(c is None for c in counts):
                verdict = "CANNOT COUNT (no academy_db_statements_total in /metrics)"
                failures.append(f"{DB_NAMES[db]} {label}: statements per request cannot be counted")
            elif max(counts) - min(counts) < STMT_TOLERANCE:
                verdict = "same"
            else:
                verdict = "DIFFERENT: depends on the size of the hub (N+1)"
                failures.append(f"{DB_NAMES[db]} {label}: statements per request {shown}")
            n_plus_one.append((db, label, [stmt(c) for c in counts], verdict))
            print(f"{DB_NAMES[db]} {label}: statements per request {shown}: {verdict}")
    races = [m for m in meta if m.get("kind") == "race"]
    for m in races:
        codes = m["codes"]
        wins = codes.get("201", 0)
        ok = wins == 1 and codes.get("409", 0) == m["learners"] - 1 and m["stored_active"] == 1
        text = (f"{DB_NAMES[m['db']]} booking race: {m['learners']} learners book one slot at once: "
                f"answers {', '.join(f'{n} x {c}' for c, n in codes.items())}; active bookings of "
                f"the slot in the database: {m['stored_active']}")
        print(text + ("" if ok else "  FAILED"))
        if not ok:
            failures.append(text)
    errors_total = sum(r.get("non_2xx_3xx", 0) + r.get("socket_errors", 0) for r in results)
    measured = [r for r in results if not r.get("missing")]
    print(f"non-2xx/3xx answers and socket errors: {errors_total} in "
          f"{sum(r['requests'] for r in measured)} requests over {len(measured)} scenarios")

    if not a.smoke:
        section = [BEGIN, "## Hot paths against their baselines (`bash bench/run.sh`)", "",
                   f"Written by `bash bench/run.sh` (the section between the markers is replaced "
                   f"on every full run). Run of {run['date']}: {run['nproc']} cores, load average "
                   f"{run['load']} at the start, {run['seconds']} s in all. Each scenario: "
                   f"`wrk -t1 -c{run['connections']} -d{run['duration']}s` on the same machine, "
                   f"back to back, release server with its defaults (pool of 4 connections on SQLite, 16 on "
                   f"PostgreSQL), nginx "
                   f"(`worker_processes auto`) beside it. Hub: {run['large'].split()[0]} SMEs, "
                   f"{int(run['large'].split()[1]):,} learners, {int(run['large'].split()[2]):,} advisory slots, "
                   f"a year of completions (see `bench/seed_hub.py`). Statements per request: the "
                   f"delta of `academy_db_statements_total` over the requests the server counted "
                   f"(`academy_http_requests_total`), taken over {COUNT_N} requests sent one after "
                   f"the other right after the wrk run (wrk cancels the requests in flight when it "
                   f"stops: they ran statements but were never answered). RSS: the server's "
                   f"`VmRSS` after the scenario.", ""]
        for db in dbs:
            hub = next(m for m in meta if m.get("kind") == "hub" and m["db"] == db
                       and m["facts"]["counts"]["smes"] == int(run["large"].split()[0]))
            peak = next((m for m in meta if m.get("kind") == "peak" and m["db"] == db), {})
            rows = [r for r in results if r["db"] == db and r["hub"] == "large"]
            base = {k: next((r["rps"] for r in rows if r["label"] == v and not r.get("missing")), None)
                    for k, v in BASELINES.items()}
            c = hub["facts"]["counts"]
            table = [f"### {DB_NAMES[db]}", "",
                     f"Seeded: {c['smes']} SMEs, {c['learners']:,} learners, {c['enrolments']:,} "
                     f"enrolments, {c['module_completions']:,} module completions, "
                     f"{c['certificates']:,} certificates, {c['slots']:,} slots ({c['slots_future']:,} "
                     f"ahead), {c['bookings']:,} bookings, in {hub['facts']['seconds']} s. Module page: "
                     f"`{hub['module_path']}`, {hub['module_bytes']:,} bytes.", "",
                     "| path | req/s | p50 | p99 | × nginx | × Rocket static | × minimal route "
                     "| statements/req | RSS after (MiB) |",
                     "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
            for r in rows:
                if r.get("missing"):
                    table.append(f"| {r['label']} | not measured: {r['missing']} | | | | | | | |")
                    continue
                label = r["label"] + (f" ({r['probe']})" if r["label"] == REVALIDATED else "")
                st = "–" if r["target"] == "nginx" else stmt(r["statements_per_request"])
                table.append(
                    f"| {label} | {r['rps']:,.0f} | {ms(r['p50_ms'])} | {ms(r['p99_ms'])} | "
                    f"{ratio(r['rps'], base['nginx'])} | {ratio(r['rps'], base['static'])} | "
                    f"{ratio(r['rps'], base['minimal'])} | {st} | {r['rss_mib']:.0f} |")
            errs = sum(r.get("non_2xx_3xx", 0) + r.get("socket_errors", 0) for r in rows)
            singles = [r for r in rows if r.get("single_ms")]
            table += [""]
            if singles:
                table.append(f"- Reports one request at a time (median of the {COUNT_N} sequential "
                             f"requests after the scenario): " + ", ".join(
                                 f"{r['label'].split(' (')[0]} {ms(r['single_ms'])}" for r in singles) + ".")
            table += [
                      f"- Start-up to the first `/health` answer: {hub['startup_ms']} ms on the "
                      f"seeded hub (courses unchanged); {hub['first_startup_ms']} ms for the first "
                      f"start on the empty database (course import).",
                      f"- RSS at rest after start: {hub['rss_rest_mib']} MiB; peak (VmHWM) over the "
                      f"run: {peak.get('peak_mib', 'n/a')} MiB.",
                      f"- Non-2xx/3xx answers and socket errors: {errs} in "
                      f"{sum(r['requests'] for r in rows if not r.get('missing')):,} requests.", ""]
            section += table
        programme = [r for r in results if r["hub"] == "programme" and not r.get("missing")]
        if programme:
            n_smes, n_learners = (int(x) for x in run["programme"].split()[:2])
            section += [f"### Reports at the programme's size ({n_smes} SMEs, {n_learners:,} "
                        f"learners; target: under 100 ms)", "",
                        f"Under load: `wrk -c{run['connections']}` as above; one at a time: the "
                        f"median of {COUNT_N} requests sent one after the other.", "",
                        "| database | report | bytes | one at a time | req/s under load | p50 | p99 "
                        "| statements/req |", "|---|---|---:|---:|---:|---:|---:|---:|"]
            section += [f"| {DB_NAMES[r['db']]} | {r['label']} | {r['bytes_per_request']:,.0f} | "
                        f"{ms(r['single_ms'])} | {r['rps']:,.0f} | {ms(r['p50_ms'])} | "
                        f"{ms(r['p99_ms'])} | {stmt(r['statements_per_request'])} |"
                        for r in programme]
            section.append("")
        if n_plus_one:
            heads = [f"{n} SMEs" for _, n in sizes]
            section += [f"### Statements per request at {', '.join(heads)} (no N+1)", "",
                        "| database | report | " + " | ".join(heads) + " | |",
                        "|---|---|" + "---:|" * len(heads) + "---|"]
            section += [f"| {DB_NAMES[db]} | {label} | " + " | ".join(cs) + f" | {v} |"
                        for db, label, cs, v in n_plus_one]
            section.append("")
        for m in races:
            codes = m["codes"]
            section.append(f"- {DB_NAMES[m['db']]} booking race: {m['learners']} learners book one "
                           f"slot at the same moment: {', '.join(f'{n} x {c}' for c, n in codes.items())}; "
                           f"{m['stored_active']} active booking stored.")
        if failures:
            section += ["", "**Checks failed in this run:**", ""] + [f"- {f}" for f in failures]
        section.append(END)
        text = "\n".join(section)
        print()
        print(text)
        with open(a.benchmarks) as f:
            doc = f.read()
        if BEGIN in doc and END in doc:
            doc = doc[:doc.index(BEGIN)] + text + doc[doc.index(END) + len(END):]
        else:
            # after the intro: the first paragraph below the title
            m = re.search(r"\A# [^\n]*\n\n(?:[^\n]+\n)+\n", doc)
            at = m.end() if m else len(doc)
            doc = doc[:at] + text + "\n\n" + doc[at:]
        with open(a.benchmarks, "w") as f:
            f.write(doc)
        print(f"\nwritten into {a.benchmarks}")

    if failures:
        print("\nFAILED:", file=sys.stderr)
        for f in failures:
            print(f"  {f}", file=sys.stderr)
        sys.exit(1)
    print("all checks passed")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("record")
    for opt in ["out", "db", "hub", "group", "label", "target", "probe", "wrk", "m0", "m1",
                "rss-kib", "hwm-kib"]:
        r.add_argument("--" + opt, required=True)
    r.add_argument("--count", required=True, help="the output of `count`")
    c = sub.add_parser("count")
    for opt in ["url", "base", "path", "out"]:
        c.add_argument("--" + opt, required=True)
    c.add_argument("--token", default="")
    c.add_argument("--if-none-match", default="")
    c.add_argument("--n", type=int, default=50)
    g = sub.add_parser("render")
    g.add_argument("--results", required=True)
    g.add_argument("--meta", required=True)
    g.add_argument("--benchmarks", required=True)
    g.add_argument("--smoke", action="store_true")
    a = ap.parse_args()
    {"record": record, "render": render, "count": count}[a.cmd](a)


if __name__ == "__main__":
    main()

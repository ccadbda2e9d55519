//! Certificate rendering and ZIP benchmark (one core):
//! `cargo run --release --example bench_certificates` (optionally under `taskset -c 0`).
//!
//! Each round renders the same 200 distinct certificates three ways, interleaved so machine
//! noise hits all alike: raw rendering; rendering + ZIP (what `GET /smes/{id}/certificates.zip`
//! does); and packing the already-rendered PDFs alone. Prints per-round times and medians.

use std::time::{Duration, Instant};

use academy::certificates::pdf::{render, warm_up, CertificateData};
use academy::certificates::zip::{build, Entry, Namer};
use academy::certificates::{Code, Lang};

const N: usize = 200;
const ROUNDS: usize = 7;

const FIRST: [&str; 10] = [
    "Uxía",
    "Begoña",
    "João",
    "Conceição",
    "Xosé",
    "Íñigo",
    "Lúcia",
    "Ángela",
    "Gonçalo",
    "Núria",
];
const LAST: [&str; 10] = [
    "Fernández Castro",
    "Núñez Ibáñez",
    "Gonçalves",
    "Araújo",
    "Outeiriño",
    "Muñoz",
    "Simões",
    "Peña",
    "Magalhães",
    "Rodríguez",
];
const COURSES: [(&str, &str); 4] = [
    (
        "international-markets",
        "Entrar en mercados internacionales",
    ),
    ("financing-growth", "Financiar el crecimiento"),
    (
        "open-innovation-ip",
        "Inovação aberta e propriedade intelectual",
    ),
    (
        "international-talent",
        "Attracting and retaining international talent",
    ),
];

fn certificates() -> Vec<(String, String, CertificateData)> {
    (0..N)
        .map(|i| {
            let name = format!("{} {}", FIRST[i % 10], LAST[(i / 10) % 10]);
            let (slug, title) = COURSES[i % 4];
            let code = Code::generate().expect("code").into_string();
            let lang = [Lang::Es, Lang::Pt, Lang::En][i % 3];
            let data = CertificateData {
                lang,
                hub_name: "IberoBio Academy".into(),
                learner_name: name.clone(),
                sme_name: "Xenogen Diagnósticos SL".into(),
                course_title: title.into(),
                completed_on: jiff::civil::date(2026, 3, 2),
                score: Some(60.0 + (i % 40) as f64),
                verify_url: format!("https://academy.iberobio.example/verify/{code}"),
                code,
                partner_name: "Bioval Cluster".into(),
                revoked: false,
            };
            (name, slug.to_string(), data)
        })
        .collect()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    warm_up();
    let certs = certificates();
    // One warm-up pass (page cache, allocator).
    let pdfs: Vec<Vec<u8>> = certs
        .iter()
        .map(|(_, _, d)| render(d).expect("render"))
        .collect();
    let pdf_bytes: usize = pdfs.iter().map(Vec::len).sum();

    let (mut raw, mut zipped, mut pack) = (Vec::new(), Vec::new(), Vec::new());
    let mut zip_len = 0;
    println!("round  raw render x{N}  render+zip x{N}  zip only");
    for round in 0..ROUNDS {
        let t = Instant::now();
        let rendered: Vec<Vec<u8>> = certs
            .iter()
            .map(|(_, _, d)| render(d).expect("render"))
            .collect();
        let r = t.elapsed();
        assert_eq!(rendered.len(), N);

        let t = Instant::now();
        let mut namer = Namer::default();
        let entries: Vec<Entry> = certs
            .iter()
            .map(|(name, slug, d)| Entry {
                name: namer.name(name, slug),
                bytes: render(d).expect("render"),
                date: d.completed_on,
            })
            .collect();
        let bytes = build(&entries).expect("zip");
        let z = t.elapsed();
        zip_len = bytes.len();

        let t = Instant::now();
        let bytes = build(&entries).expect("zip");
        let p = t.elapsed();
        assert_eq!(bytes.len(), zip_len);

        println!(
            "{round:>5}  {:>13.1} ms  {:>13.1} ms  {:>7.1} ms",
            r.as_secs_f64() * 1e3,
            z.as_secs_f64() * 1e3,
            p.as_secs_f64() * 1e3
        );
        raw.push(r);
        zipped.push(z);
        pack.push(p);
    }
    let (r, z, p) = (median(raw), median(zipped), median(pack));
    println!();
    println!(
        "median raw rendering: {:.1} ms for {N} = {:.2} ms per certificate = {:.0} certificates/s",
        r.as_secs_f64() * 1e3,
        r.as_secs_f64() * 1e3 / N as f64,
        N as f64 / r.as_secs_f64()
    );
    println!(
        "median render + ZIP:  {:.1} ms for {N} ({:+.1}% over raw rendering)",
        z.as_secs_f64() * 1e3,
        (z.as_secs_f64() / r.as_secs_f64() - 1.0) * 100.0
    );
    println!("median ZIP packing alone: {:.1} ms", p.as_secs_f64() * 1e3);
    println!(
        "sizes: {N} PDFs {:.1} KiB total ({:.1} KiB each), ZIP {:.1} KiB",
        pdf_bytes as f64 / 1024.0,
        pdf_bytes as f64 / 1024.0 / N as f64,
        zip_len as f64 / 1024.0
    );
}

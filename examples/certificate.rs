//! Render sample certificates to look at: `cargo run --example certificate -- OUT_DIR`.
//! Then `pdftoppm -png -r 60 OUT_DIR/certificate-en.pdf OUT_DIR/en`.

use academy::certificates::pdf::{render, CertificateData};
use academy::certificates::Lang;

fn main() {
    let out = std::env::args().nth(1).unwrap_or_else(|| ".".into());
    std::fs::create_dir_all(&out).expect("output folder");
    let samples = [
        (Lang::En, "Uxía Fernández Castro", "Xenogen Diagnósticos SL", "Regulatory pathways for in vitro diagnostics in the EU", Some(92.0), "Bioval Cluster"),
        (Lang::Es, "Begoña Núñez Ibáñez", "Marea Peptides SL", "Financiación pública y privada para pymes biotecnológicas", Some(87.5), "Bioval Cluster"),
        (Lang::Pt, "Conceição Araújo Gonçalves", "Algatec Biotecnologia Lda", "Propriedade intelectual e licenciamento em biotecnologia", None, "BioNorte Portugal"),
        (Lang::Es, "María de los Ángeles Fernández-Villaverde y Sánchez de la Peña", "Hispalis Bioprocess SL", "Acceso a mercados internacionales: estrategia, regulación, reembolso y alianzas comerciales para pymes", Some(100.0), "Andalucía BioHub"),
        // Names in other scripts: right-to-left shaped, fallback fonts, a placeholder for what no font has.
        (Lang::En, "ليلى حداد · Noa Levi נועה לוי", "Xenogen Diagnósticos SL", "Open innovation and intellectual property", Some(95.0), "Bioval Cluster"),
        (Lang::Gl, "王小明 · 김민준 · अनन्या शर्मा 🧬", "Algatec Biotecnologia Lda", "Innovación aberta e propiedade industrial e intelectual", Some(90.0), "BioNorte Portugal"),
    ];
    for (i, (lang, name, sme, course, score, partner)) in samples.into_iter().enumerate() {
        let code = format!("IBA-7K3F-Q9X{}", ["D", "E", "F", "G", "H", "J"][i]);
        let data = CertificateData {
            lang,
            hub_name: "IberoBio Academy".into(),
            learner_name: name.into(),
            sme_name: sme.into(),
            course_title: course.into(),
            completed_on: jiff::civil::date(2026, 3, 2),
            score,
            verify_url: format!("http://127.0.0.1:8000/verify/{code}"),
            code,
            partner_name: partner.into(),
            revoked: i == 2,
        };
        let pdf = render(&data).expect("renders");
        let path = format!("{out}/certificate-{i}-{}.pdf", lang.code());
        std::fs::write(&path, pdf).expect("write");
        println!("{path}");
    }
}

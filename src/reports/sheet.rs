//! The completions report as a person opens it in a spreadsheet, in their language: headers
//! in words, course titles instead of slugs, dates as `d/m/yyyy HH:MM` in the hub's zone,
//! yes/no in words, no internal ids. Pure: the rows and the titles come in, cells go out.

use std::collections::HashMap;

use crate::lang::Lang;

/// One row of the report (times in unix seconds).
pub struct SheetRow<'a> {
    pub sme_name: &'a str,
    pub learner_name: &'a str,
    pub course: &'a str,
    pub enrolled_at: Option<i64>,
    pub completed_at: Option<i64>,
    pub score: Option<i64>,
    pub certificate_code: Option<&'a str>,
    pub certificate_revoked: bool,
}

/// The header row in `lang`.
pub fn header(lang: Lang) -> [&'static str; 8] {
    match lang {
        Lang::En => [
            "SME",
            "Learner",
            "Course",
            "Enrolled",
            "Completed",
            "Best score (%)",
            "Certificate",
            "Certificate revoked",
        ],
        Lang::Es => [
            "Pyme",
            "Participante",
            "Curso",
            "Inscripción",
            "Finalización",
            "Mejor nota (%)",
            "Certificado",
            "Certificado revocado",
        ],
        Lang::Pt => [
            "PME",
            "Formando",
            "Curso",
            "Inscrição",
            "Conclusão",
            "Melhor nota (%)",
            "Certificado",
            "Certificado revogado",
        ],
        Lang::Gl => [
            "Peme",
            "Participante",
            "Curso",
            "Inscrición",
            "Finalización",
            "Mellor nota (%)",
            "Certificado",
            "Certificado revogado",
        ],
    }
}

fn yes_no(lang: Lang, yes: bool) -> &'static str {
    match (lang, yes) {
        (Lang::En, true) => "Yes",
        (Lang::Es | Lang::Gl, true) => "Sí",
        (Lang::Pt, true) => "Sim",
        (Lang::En, false) => "No",
        (Lang::Es | Lang::Gl, false) => "No",
        (Lang::Pt, false) => "Não",
    }
}

/// `8/12/2026 11:00` in `zone` (day first in every language of the platform).
pub fn local(ts: Option<i64>, zone: &jiff::tz::TimeZone) -> String {
    ts.and_then(|t| jiff::Timestamp::from_second(t).ok())
        .map(|t| {
            let z = t.to_zoned(zone.clone());
            format!(
                "{}/{}/{} {}",
                z.day(),
                z.month(),
                z.year(),
                z.strftime("%H:%M")
            )
        })
        .unwrap_or_default()
}

/// The cells of one row in `lang`.
pub fn cells(
    lang: Lang,
    row: &SheetRow<'_>,
    titles: &HashMap<String, String>,
    zone: &jiff::tz::TimeZone,
) -> Vec<String> {
    vec![
        row.sme_name.to_string(),
        row.learner_name.to_string(),
        titles
            .get(row.course)
            .cloned()
            .unwrap_or_else(|| row.course.to_string()),
        local(row.enrolled_at, zone),
        local(row.completed_at, zone),
        row.score.map(|s| s.to_string()).unwrap_or_default(),
        row.certificate_code.unwrap_or_default().to_string(),
        if row.certificate_code.is_some() {
            yes_no(lang, row.certificate_revoked).to_string()
        } else {
            String::new()
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_in_spanish() {
        let zone = jiff::tz::TimeZone::get("Europe/Madrid").unwrap();
        let titles = HashMap::from([("ivd".to_string(), "Diagnóstico in vitro".to_string())]);
        let row = SheetRow {
            sme_name: "Marea Peptides SL",
            learner_name: "Lucía Pérez",
            course: "ivd",
            // 2026-12-08 10:00 UTC
            enrolled_at: Some(1_796_724_000),
            completed_at: None,
            score: Some(92),
            certificate_code: Some("IBA-7K3F-Q9XD"),
            certificate_revoked: false,
        };
        assert_eq!(
            cells(Lang::Es, &row, &titles, &zone),
            [
                "Marea Peptides SL",
                "Lucía Pérez",
                "Diagnóstico in vitro",
                "8/12/2026 11:00",
                "",
                "92",
                "IBA-7K3F-Q9XD",
                "No"
            ]
        );
        assert_eq!(header(Lang::Pt)[1], "Formando");
        for lang in Lang::ALL {
            assert_eq!(header(lang).len(), cells(lang, &row, &titles, &zone).len());
        }
    }
}

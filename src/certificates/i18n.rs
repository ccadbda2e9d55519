//! The certificate's and the verify page's words, one table per language of [`Lang::ALL`].

pub use crate::lang::Lang;

/// The words of `lang`.
pub fn strings(lang: Lang) -> &'static Strings {
    match lang {
        Lang::En => &EN,
        Lang::Es => &ES,
        Lang::Pt => &PT,
        Lang::Gl => &GL,
    }
}

/// `3 March 2026`, `3 de marzo de 2026`, `3 de março de 2026`, `3 de marzo de 2026` (gl).
pub fn long_date(lang: Lang, date: jiff::civil::Date) -> String {
    let t = strings(lang);
    let month = t.months[usize::from(date.month().unsigned_abs()) - 1];
    t.date_pattern
        .replace("{day}", &date.day().to_string())
        .replace("{month}", month)
        .replace("{year}", &date.year().to_string())
}

/// A 0-100 score as a percentage: `92%` (en), `92 %` (es, pt, gl; no-break space), with a
/// decimal comma where the language writes one and the score is not whole.
pub fn percent(lang: Lang, score: f64) -> String {
    let t = strings(lang);
    let rounded = (score * 10.0).round() / 10.0;
    let number = if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded:.1}")
    };
    let number = number.replace('.', t.decimal_separator);
    t.percent_pattern.replace("{n}", &number)
}

pub struct Strings {
    /// `{day}`, `{month}` (from `months`) and `{year}`.
    pub date_pattern: &'static str,
    pub decimal_separator: &'static str,
    /// `{n}`: the number with its decimal separator.
    pub percent_pattern: &'static str,
    pub title: &'static str,
    pub tagline: &'static str,
    pub certifies: &'static str,
    pub of_sme: &'static str,
    pub completed_course: &'static str,
    pub completed_on: &'static str,
    pub score: &'static str,
    pub issuing_partner: &'static str,
    pub hub_role: &'static str,
    pub verification_code: &'static str,
    pub verify_at: &'static str,
    pub months: [&'static str; 12],
    pub revoked_stamp: &'static str,
    // The verify page.
    pub page_title: &'static str,
    pub valid: &'static str,
    pub revoked: &'static str,
    pub revoked_detail: &'static str,
    pub holder: &'static str,
    pub course: &'static str,
    pub completed: &'static str,
    pub issuer: &'static str,
    pub code: &'static str,
    pub unknown: &'static str,
    pub unknown_detail: &'static str,
    pub too_many: &'static str,
    // The Open Badges credential's criteria: `{course}` and `{pass_mark}` (a percentage).
    pub criteria_quiz: &'static str,
    pub criteria_modules: &'static str,
}

pub static EN: Strings = Strings {
    date_pattern: "{day} {month} {year}",
    decimal_separator: ".",
    percent_pattern: "{n}%",
    title: "Certificate of Completion",
    tagline: "Training and advice for biotech SMEs in Spain and Portugal",
    certifies: "This is to certify that",
    of_sme: "of",
    completed_course: "has successfully completed the course",
    completed_on: "Completed on",
    score: "Score",
    issuing_partner: "Issuing partner",
    hub_role: "Training programme",
    verification_code: "Verification code",
    verify_at: "Verify at",
    revoked_stamp: "REVOKED",
    months: [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    page_title: "Certificate verification",
    valid: "This certificate is valid",
    revoked: "This certificate has been revoked",
    revoked_detail: "It was withdrawn by the IberoBio Academy and no longer certifies this course.",
    holder: "Holder",
    course: "Course",
    completed: "Completed on",
    issuer: "Issued by",
    code: "Code",
    unknown: "No certificate has this code",
    unknown_detail: "Check the code printed under the QR code on the certificate and try again.",
    too_many:
        "Too many verification requests from your address. Please wait a minute and try again.",
    criteria_quiz: "Completed the course “{course}” on IberoBio Academy: read its modules and passed its final quiz with a score of at least {pass_mark}.",
    criteria_modules: "Completed the course “{course}” on IberoBio Academy by reading its modules.",
};

pub static ES: Strings = Strings {
    date_pattern: "{day} de {month} de {year}",
    decimal_separator: ",",
    percent_pattern: "{n}\u{a0}%",
    title: "Certificado de Finalización",
    tagline: "Formación y asesoramiento para pymes biotecnológicas de España y Portugal",
    certifies: "Se certifica que",
    of_sme: "de",
    completed_course: "ha completado con éxito el curso",
    completed_on: "Finalizado el",
    score: "Calificación",
    issuing_partner: "Entidad emisora",
    hub_role: "Programa de formación",
    verification_code: "Código de verificación",
    verify_at: "Verifíquelo en",
    revoked_stamp: "REVOCADO",
    months: [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
    page_title: "Verificación de certificado",
    valid: "Este certificado es válido",
    revoked: "Este certificado ha sido revocado",
    revoked_detail: "IberoBio Academy lo ha retirado y ya no acredita este curso.",
    holder: "Titular",
    course: "Curso",
    completed: "Finalizado el",
    issuer: "Emitido por",
    code: "Código",
    unknown: "Ningún certificado tiene este código",
    unknown_detail:
        "Compruebe el código impreso bajo el código QR del certificado e inténtelo de nuevo.",
    too_many:
        "Demasiadas verificaciones desde su dirección. Espere un minuto e inténtelo de nuevo.",
    criteria_quiz: "Completó el curso «{course}» en IberoBio Academy: leyó sus módulos y aprobó el cuestionario final con una calificación mínima del {pass_mark}.",
    criteria_modules: "Completó el curso «{course}» en IberoBio Academy leyendo sus módulos.",
};

pub static PT: Strings = Strings {
    date_pattern: "{day} de {month} de {year}",
    decimal_separator: ",",
    percent_pattern: "{n}\u{a0}%",
    title: "Certificado de Conclusão",
    tagline: "Formação e aconselhamento para PME de biotecnologia em Espanha e Portugal",
    certifies: "Certifica-se que",
    of_sme: "de",
    completed_course: "concluiu com êxito o curso",
    completed_on: "Concluído em",
    score: "Classificação",
    issuing_partner: "Entidade emissora",
    hub_role: "Programa de formação",
    verification_code: "Código de verificação",
    verify_at: "Verifique em",
    revoked_stamp: "REVOGADO",
    months: [
        "janeiro",
        "fevereiro",
        "março",
        "abril",
        "maio",
        "junho",
        "julho",
        "agosto",
        "setembro",
        "outubro",
        "novembro",
        "dezembro",
    ],
    page_title: "Verificação de certificado",
    valid: "Este certificado é válido",
    revoked: "Este certificado foi revogado",
    revoked_detail: "Foi retirado pela IberoBio Academy e já não certifica este curso.",
    holder: "Titular",
    course: "Curso",
    completed: "Concluído em",
    issuer: "Emitido por",
    code: "Código",
    unknown: "Nenhum certificado tem este código",
    unknown_detail: "Confirme o código impresso sob o código QR do certificado e tente novamente.",
    too_many: "Demasiados pedidos de verificação a partir do seu endereço. Aguarde um minuto e tente novamente.",
    criteria_quiz: "Concluiu o curso «{course}» na IberoBio Academy: leu os seus módulos e foi aprovado no questionário final com uma classificação mínima de {pass_mark}.",
    criteria_modules: "Concluiu o curso «{course}» na IberoBio Academy lendo os seus módulos.",
};

pub static GL: Strings = Strings {
    date_pattern: "{day} de {month} de {year}",
    decimal_separator: ",",
    percent_pattern: "{n}\u{a0}%",
    title: "Certificado de Finalización",
    tagline: "Formación e asesoramento para pemes biotecnolóxicas de España e Portugal",
    certifies: "Certifícase que",
    of_sme: "de",
    completed_course: "completou con éxito o curso",
    completed_on: "Finalizado o",
    score: "Cualificación",
    issuing_partner: "Entidade emisora",
    hub_role: "Programa de formación",
    verification_code: "Código de verificación",
    verify_at: "Verifíqueo en",
    revoked_stamp: "REVOGADO",
    months: [
        "xaneiro", "febreiro", "marzo", "abril", "maio", "xuño", "xullo", "agosto", "setembro",
        "outubro", "novembro", "decembro",
    ],
    page_title: "Verificación de certificado",
    valid: "Este certificado é válido",
    revoked: "Este certificado foi revogado",
    revoked_detail: "IberoBio Academy retirouno e xa non acredita este curso.",
    holder: "Titular",
    course: "Curso",
    completed: "Finalizado o",
    issuer: "Emitido por",
    code: "Código",
    unknown: "Ningún certificado ten este código",
    unknown_detail: "Comprobe o código impreso baixo o código QR do certificado e ténteo de novo.",
    too_many: "Demasiadas verificacións desde o seu enderezo. Agarde un minuto e ténteo de novo.",
    criteria_quiz: "Completou o curso «{course}» na IberoBio Academy: leu os seus módulos e superou o cuestionario final cunha cualificación mínima do {pass_mark}.",
    criteria_modules: "Completou o curso «{course}» na IberoBio Academy lendo os seus módulos.",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_scores() {
        let d = jiff::civil::date(2026, 3, 2);
        assert_eq!(long_date(Lang::En, d), "2 March 2026");
        assert_eq!(long_date(Lang::Es, d), "2 de marzo de 2026");
        assert_eq!(long_date(Lang::Pt, d), "2 de março de 2026");
        let d = jiff::civil::date(2026, 7, 25);
        assert_eq!(long_date(Lang::Gl, d), "25 de xullo de 2026");
        assert_eq!(percent(Lang::En, 92.0), "92%");
        assert_eq!(percent(Lang::Es, 87.5), "87,5\u{a0}%");
        assert_eq!(percent(Lang::Pt, 100.0), "100\u{a0}%");
        assert_eq!(percent(Lang::Gl, 87.5), "87,5\u{a0}%");
        assert_eq!(percent(Lang::En, 66.666), "66.7%");
    }
}

//! The certificate's and the verify page's words in English, Spanish and Portuguese.

/// A language the certificate is printed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    Es,
    Pt,
}

impl Lang {
    /// `en`, `es-ES`, `pt_PT`, `PT`...; `None` for other languages.
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "es" => Some(Lang::Es),
            "pt" => Some(Lang::Pt),
            _ => None,
        }
    }

    /// The best of ours from an `Accept-Language` header (quality values respected).
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or_default();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(lang) = Lang::parse(tag) {
                if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, lang));
                }
            }
        }
        best.map(|(_, l)| l)
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
            Lang::Pt => "pt",
        }
    }

    pub fn strings(self) -> &'static Strings {
        match self {
            Lang::En => &EN,
            Lang::Es => &ES,
            Lang::Pt => &PT,
        }
    }

    /// `3 March 2026`, `3 de marzo de 2026`, `3 de março de 2026`.
    pub fn long_date(self, date: jiff::civil::Date) -> String {
        let month = self.strings().months[usize::from(date.month().unsigned_abs()) - 1];
        match self {
            Lang::En => format!("{} {} {}", date.day(), month, date.year()),
            Lang::Es | Lang::Pt => format!("{} de {} de {}", date.day(), month, date.year()),
        }
    }

    /// A 0-100 score as a percentage: `92%` (en), `92 %` (es, pt; no-break space), with a
    /// decimal comma in Spanish and Portuguese when the score is not whole.
    pub fn percent(self, score: f64) -> String {
        let rounded = (score * 10.0).round() / 10.0;
        let number = if rounded.fract() == 0.0 {
            format!("{rounded:.0}")
        } else {
            format!("{rounded:.1}")
        };
        match self {
            Lang::En => format!("{number}%"),
            Lang::Es | Lang::Pt => format!("{}\u{a0}%", number.replace('.', ",")),
        }
    }
}

pub struct Strings {
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
}

pub static EN: Strings = Strings {
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
};

pub static ES: Strings = Strings {
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
};

pub static PT: Strings = Strings {
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
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_from_tags_and_headers() {
        assert_eq!(Lang::parse("pt-PT"), Some(Lang::Pt));
        assert_eq!(Lang::parse("ES"), Some(Lang::Es));
        assert_eq!(Lang::parse("gl"), None);
        assert_eq!(
            Lang::from_accept_language("gl-ES,es;q=0.8,en;q=0.5"),
            Some(Lang::Es)
        );
        assert_eq!(
            Lang::from_accept_language("en;q=0.2, pt-BR;q=0.9"),
            Some(Lang::Pt)
        );
        assert_eq!(Lang::from_accept_language("fr, de"), None);
        assert_eq!(Lang::from_accept_language("es;q=0"), None);
    }

    #[test]
    fn dates_and_scores() {
        let d = jiff::civil::date(2026, 3, 2);
        assert_eq!(Lang::En.long_date(d), "2 March 2026");
        assert_eq!(Lang::Es.long_date(d), "2 de marzo de 2026");
        assert_eq!(Lang::Pt.long_date(d), "2 de março de 2026");
        assert_eq!(Lang::En.percent(92.0), "92%");
        assert_eq!(Lang::Es.percent(87.5), "87,5\u{a0}%");
        assert_eq!(Lang::Pt.percent(100.0), "100\u{a0}%");
        assert_eq!(Lang::En.percent(66.666), "66.7%");
    }
}

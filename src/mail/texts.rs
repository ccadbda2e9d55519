//! The words of every message, in every language of [`Lang`]: one function per message, each
//! returning a [`Letter`]. Translators work here and nowhere else. Pure functions: callers
//! pass what the message is about (names, times as unix seconds, links).

use super::letter::Letter;
use crate::domain::{Mode, Topic};
use crate::lang::Lang;

/// An advisory session as a message shows it, in the recipient's zone.
#[derive(Debug, Clone)]
pub struct Session<'a> {
    pub starts_at: i64,
    pub ends_at: i64,
    /// The recipient's IANA zone.
    pub time_zone: &'a str,
    pub topic: Topic,
    pub mode: Mode,
    pub location: &'a str,
}

/// Pick the text of `lang` (Galician has its own, every language has all four).
fn t<'a>(lang: Lang, en: &'a str, es: &'a str, pt: &'a str, gl: &'a str) -> &'a str {
    match lang {
        Lang::En => en,
        Lang::Es => es,
        Lang::Pt => pt,
        Lang::Gl => gl,
    }
}

fn greeting(lang: Lang, name: &str) -> String {
    let first = name.split_whitespace().next().unwrap_or(name);
    match lang {
        Lang::En => format!("Hello {first},"),
        Lang::Es | Lang::Gl => format!("Hola, {first}:"),
        Lang::Pt => format!("Olá, {first},"),
    }
}

fn automatic(lang: Lang) -> String {
    t(
        lang,
        "This message was sent automatically; replies are not read.",
        "Mensaje enviado automáticamente; las respuestas no se leen.",
        "Mensagem enviada automaticamente; as respostas não são lidas.",
        "Mensaxe enviada automaticamente; as respostas non se len.",
    )
    .to_string()
}

/// `8/12/2026, 10:00–11:00 (Europe/Lisbon)` in `tz` (day/month/year in every language).
pub fn when(starts_at: i64, ends_at: i64, tz: &str) -> String {
    let zone = jiff::tz::TimeZone::get(tz).unwrap_or(jiff::tz::TimeZone::UTC);
    let local = |ts: i64| {
        jiff::Timestamp::from_second(ts)
            .map(|t| t.to_zoned(zone.clone()))
            .ok()
    };
    match (local(starts_at), local(ends_at)) {
        (Some(s), Some(e)) => format!(
            "{}/{}/{}, {}–{} ({tz})",
            s.day(),
            s.month(),
            s.year(),
            s.strftime("%H:%M"),
            e.strftime("%H:%M")
        ),
        _ => String::new(),
    }
}

pub fn topic(lang: Lang, topic: Topic) -> &'static str {
    match topic {
        Topic::MarketEntry => t(
            lang,
            "market entry",
            "entrada en mercados",
            "entrada em mercados",
            "entrada en mercados",
        ),
        Topic::Finance => t(
            lang,
            "finance",
            "financiación",
            "financiamento",
            "financiamento",
        ),
        Topic::Ip => t(
            lang,
            "intellectual property",
            "propiedad intelectual",
            "propriedade intelectual",
            "propiedade intelectual",
        ),
        Topic::Talent => t(lang, "talent", "talento", "talento", "talento"),
    }
}

fn place(lang: Lang, s: &Session<'_>) -> String {
    match s.mode {
        Mode::Online => format!(
            "{}: {}",
            t(lang, "Online", "En línea", "Online", "En liña"),
            s.location
        ),
        Mode::InPerson => format!(
            "{}: {}",
            t(lang, "In person", "Presencial", "Presencial", "Presencial"),
            s.location
        ),
    }
}

/// The button of every booking message: back to the person's bookings.
fn bookings_action(lang: Lang, link: &str) -> Option<(String, String)> {
    let label = t(
        lang,
        "Open my bookings",
        "Ver mis reservas",
        "Ver as minhas marcações",
        "Ver as miñas reservas",
    );
    Some((label.to_string(), link.to_string()))
}

fn session_lines(lang: Lang, s: &Session<'_>) -> Vec<String> {
    vec![
        format!(
            "{}: {}",
            t(lang, "When", "Cuándo", "Quando", "Cando"),
            when(s.starts_at, s.ends_at, s.time_zone)
        ),
        place(lang, s),
    ]
}

/// An invitation to set a first password.
pub fn invitation(lang: Lang, name: &str, inviter: &str, link: &str, days: i64) -> Letter {
    Letter {
        lang,
        subject: t(
            lang,
            "You are invited to IberoBio Academy",
            "Invitación a IberoBio Academy",
            "Convite para a IberoBio Academy",
            "Convite a IberoBio Academy",
        )
        .into(),
        greeting: greeting(lang, name),
        paragraphs: vec![
            match lang {
                Lang::En => format!("{inviter} has invited you to IberoBio Academy, the training and advisory platform of the IberoBio hub."),
                Lang::Es => format!("{inviter} le ha invitado a IberoBio Academy, la plataforma de formación y asesoramiento del hub IberoBio."),
                Lang::Pt => format!("{inviter} convidou-o para a IberoBio Academy, a plataforma de formação e aconselhamento do hub IberoBio."),
                Lang::Gl => format!("{inviter} invitouno a IberoBio Academy, a plataforma de formación e asesoramento do hub IberoBio."),
            },
            match lang {
                Lang::En => format!("Choose your password to activate the account. The link works once and expires in {days} days."),
                Lang::Es => format!("Elija su contraseña para activar la cuenta. El enlace sirve una sola vez y caduca en {days} días."),
                Lang::Pt => format!("Escolha a sua palavra-passe para ativar a conta. A ligação funciona uma vez e expira em {days} dias."),
                Lang::Gl => format!("Escolla o seu contrasinal para activar a conta. A ligazón serve unha soa vez e caduca en {days} días."),
            },
        ],
        action: Some((
            t(lang, "Set my password", "Elegir mi contraseña", "Definir a minha palavra-passe", "Escoller o meu contrasinal").into(),
            link.into(),
        )),
        footer: vec![automatic(lang)],
    }
}

/// A password reset link (sent only to existing, active accounts).
pub fn password_reset(lang: Lang, name: &str, link: &str, minutes: i64) -> Letter {
    Letter {
        lang,
        subject: t(
            lang,
            "Reset your IberoBio Academy password",
            "Restablezca su contraseña de IberoBio Academy",
            "Redefina a sua palavra-passe da IberoBio Academy",
            "Restableza o seu contrasinal de IberoBio Academy",
        )
        .into(),
        greeting: greeting(lang, name),
        paragraphs: vec![
            match lang {
                Lang::En => format!("Someone (hopefully you) asked to reset the password of this account. The link works once and expires in {minutes} minutes; after the change, every open session is signed out."),
                Lang::Es => format!("Alguien (esperamos que usted) ha pedido restablecer la contraseña de esta cuenta. El enlace sirve una sola vez y caduca en {minutes} minutos; tras el cambio se cierran todas las sesiones abiertas."),
                Lang::Pt => format!("Alguém (esperamos que tenha sido o próprio) pediu para redefinir a palavra-passe desta conta. A ligação funciona uma vez e expira em {minutes} minutos; depois da alteração, todas as sessões abertas são terminadas."),
                Lang::Gl => format!("Alguén (agardamos que vostede) pediu restablecer o contrasinal desta conta. A ligazón serve unha soa vez e caduca en {minutes} minutos; despois do cambio péchanse todas as sesións abertas."),
            },
            t(
                lang,
                "If you did not ask for this, ignore this message: your password stays as it is.",
                "Si no lo ha pedido usted, ignore este mensaje: su contraseña no cambia.",
                "Se não fez este pedido, ignore esta mensagem: a sua palavra-passe mantém-se.",
                "Se non o pediu vostede, ignore esta mensaxe: o seu contrasinal non cambia.",
            )
            .into(),
        ],
        action: Some((
            t(lang, "Choose a new password", "Elegir una contraseña nueva", "Escolher uma nova palavra-passe", "Escoller un contrasinal novo").into(),
            link.into(),
        )),
        footer: vec![automatic(lang)],
    }
}

/// Who is on the other side of a booking, and the learner's note.
pub struct Booked<'a> {
    /// The recipient is the advisor (else the learner).
    pub to_advisor: bool,
    pub other_name: &'a str,
    /// The learner's company, for the advisor.
    pub sme_name: Option<&'a str>,
    pub note: &'a str,
}

/// A confirmed booking, to the learner ("your session with ...") or to the advisor ("a new
/// booking on your slot"). Carries the invitation as an attachment. (Long because it holds
/// the words of both messages in four languages side by side.)
pub fn booking_confirmed(
    lang: Lang,
    name: &str,
    b: &Booked<'_>,
    s: &Session<'_>,
    link: &str,
) -> Letter {
    let topic = topic(lang, s.topic);
    let (subject, first) = if b.to_advisor {
        let who = match b.sme_name {
            Some(sme) => format!("{} ({sme})", b.other_name),
            None => b.other_name.to_string(),
        };
        (
            match lang {
                Lang::En => format!("New booking: {who}"),
                Lang::Es => format!("Nueva reserva: {who}"),
                Lang::Pt => format!("Nova marcação: {who}"),
                Lang::Gl => format!("Nova reserva: {who}"),
            },
            match lang {
                Lang::En => format!("{who} has booked an advisory session on {topic} with you."),
                Lang::Es => {
                    format!(
                        "{who} ha reservado con usted una sesión de asesoramiento sobre {topic}."
                    )
                }
                Lang::Pt => {
                    format!("{who} marcou consigo uma sessão de aconselhamento sobre {topic}.")
                }
                Lang::Gl => {
                    format!("{who} reservou con vostede unha sesión de asesoramento sobre {topic}.")
                }
            },
        )
    } else {
        let who = b.other_name;
        (
            match lang {
                Lang::En => format!("Booked: advisory session with {who}"),
                Lang::Es => format!("Reserva confirmada: sesión con {who}"),
                Lang::Pt => format!("Marcação confirmada: sessão com {who}"),
                Lang::Gl => format!("Reserva confirmada: sesión con {who}"),
            },
            match lang {
                Lang::En => format!("Your advisory session on {topic} with {who} is booked."),
                Lang::Es => {
                    format!("Su sesión de asesoramiento sobre {topic} con {who} está reservada.")
                }
                Lang::Pt => {
                    format!("A sua sessão de aconselhamento sobre {topic} com {who} está marcada.")
                }
                Lang::Gl => {
                    format!("A súa sesión de asesoramento sobre {topic} con {who} está reservada.")
                }
            },
        )
    };
    let mut paragraphs = vec![first];
    paragraphs.extend(session_lines(lang, s));
    if !b.note.is_empty() {
        paragraphs.push(format!(
            "{}: {}",
            t(lang, "Note", "Nota", "Nota", "Nota"),
            b.note
        ));
    }
    paragraphs.push(
        t(
            lang,
            "The attached invitation adds the session to your calendar.",
            "La invitación adjunta añade la sesión a su calendario.",
            "O convite em anexo acrescenta a sessão ao seu calendário.",
            "O convite anexo engade a sesión ao seu calendario.",
        )
        .into(),
    );
    Letter {
        lang,
        subject,
        greeting: greeting(lang, name),
        paragraphs,
        action: bookings_action(lang, link),
        footer: vec![automatic(lang)],
    }
}

/// A cancelled booking, to the side that did not cancel it (and to the one who did, as a
/// receipt): the reason, and the session that is off.
pub fn booking_cancelled(
    lang: Lang,
    name: &str,
    by: &str,
    reason: &str,
    s: &Session<'_>,
    link: &str,
) -> Letter {
    let topic = topic(lang, s.topic);
    let when = when(s.starts_at, s.ends_at, s.time_zone);
    Letter {
        lang,
        subject: match lang {
            Lang::En => format!("Cancelled: advisory session on {when}"),
            Lang::Es => format!("Cancelada: sesión del {when}"),
            Lang::Pt => format!("Cancelada: sessão de {when}"),
            Lang::Gl => format!("Cancelada: sesión do {when}"),
        },
        greeting: greeting(lang, name),
        paragraphs: vec![
            match lang {
                Lang::En => format!("{by} has cancelled the advisory session on {topic} ({when})."),
                Lang::Es => {
                    format!("{by} ha cancelado la sesión de asesoramiento sobre {topic} ({when}).")
                }
                Lang::Pt => {
                    format!("{by} cancelou a sessão de aconselhamento sobre {topic} ({when}).")
                }
                Lang::Gl => {
                    format!("{by} cancelou a sesión de asesoramento sobre {topic} ({when}).")
                }
            },
            if reason.trim().is_empty() {
                t(
                    lang,
                    "The advisor withdrew this time slot.",
                    "El asesor/a ha retirado este horario.",
                    "O consultor retirou este horário.",
                    "O asesor/a retirou este horario.",
                )
                .to_string()
            } else {
                format!(
                    "{}: {reason}",
                    t(lang, "Reason", "Motivo", "Motivo", "Motivo")
                )
            },
            t(
                lang,
                "The attached update removes it from your calendar.",
                "La actualización adjunta la quita de su calendario.",
                "A atualização em anexo retira-a do seu calendário.",
                "A actualización anexa quítaa do seu calendario.",
            )
            .into(),
        ],
        action: bookings_action(lang, link),
        footer: vec![automatic(lang)],
    }
}

/// A session moved to another time, to both sides: from when to when (the recipient's zone),
/// who moved it, and the session as it is now. The attached invitation updates the calendar
/// entry in place.
pub fn booking_rescheduled(
    lang: Lang,
    name: &str,
    by: &str,
    from_start: i64,
    s: &Session<'_>,
    link: &str,
) -> Letter {
    let topic = topic(lang, s.topic);
    let length = s.ends_at - s.starts_at;
    let before = when(from_start, from_start + length, s.time_zone);
    let now = when(s.starts_at, s.ends_at, s.time_zone);
    let mut paragraphs = vec![match lang {
        Lang::En => {
            format!("{by} has moved the advisory session on {topic} from {before} to {now}.")
        }
        Lang::Es => format!(
            "{by} ha cambiado la sesión de asesoramiento sobre {topic} del {before} al {now}."
        ),
        Lang::Pt => {
            format!("{by} mudou a sessão de aconselhamento sobre {topic} de {before} para {now}.")
        }
        Lang::Gl => {
            format!("{by} cambiou a sesión de asesoramento sobre {topic} do {before} ao {now}.")
        }
    }];
    paragraphs.extend(session_lines(lang, s));
    paragraphs.push(
        t(
            lang,
            "The attached update moves the session in your calendar.",
            "La actualización adjunta cambia la sesión de hora en su calendario.",
            "A atualização em anexo muda a sessão no seu calendário.",
            "A actualización anexa cambia a sesión de hora no seu calendario.",
        )
        .into(),
    );
    Letter {
        lang,
        subject: match lang {
            Lang::En => format!("Moved: advisory session now on {now}"),
            Lang::Es => format!("Cambio de hora: sesión el {now}"),
            Lang::Pt => format!("Alteração: sessão agora em {now}"),
            Lang::Gl => format!("Cambio de hora: sesión o {now}"),
        },
        greeting: greeting(lang, name),
        paragraphs,
        action: bookings_action(lang, link),
        footer: vec![automatic(lang)],
    }
}

/// A slot held for a learner on the waitlist until `expires_at`: what, when (the learner's
/// zone), until when, and the link to book it.
pub fn waitlist_hold(
    lang: Lang,
    name: &str,
    advisor: &str,
    s: &Session<'_>,
    expires_at: i64,
    link: &str,
) -> Letter {
    let topic = topic(lang, s.topic);
    let until = crate::messages::local_time(expires_at, s.time_zone);
    let mut paragraphs = vec![match lang {
        Lang::En => format!(
            "A slot you were waiting for is free: an advisory session on {topic} with {advisor}. It is held for you until {until}."
        ),
        Lang::Es => format!(
            "Se ha liberado un hueco que esperaba: una sesión de asesoramiento sobre {topic} con {advisor}. Se lo reservamos hasta el {until}."
        ),
        Lang::Pt => format!(
            "Ficou livre uma vaga que esperava: uma sessão de aconselhamento sobre {topic} com {advisor}. Está reservada para si até {until}."
        ),
        Lang::Gl => format!(
            "Quedou libre un oco que agardaba: unha sesión de asesoramento sobre {topic} con {advisor}. Reservámosllo ata o {until}."
        ),
    }];
    paragraphs.extend(session_lines(lang, s));
    paragraphs.push(
        t(
            lang,
            "Book it on your advice page before then; if you do not want it, decline it there and it passes to the next person waiting.",
            "Resérvela en su página de asesoramiento antes de esa hora; si no la quiere, rechácela allí y pasará a la siguiente persona en espera.",
            "Marque-a na sua página de aconselhamento antes dessa hora; se não a quiser, recuse-a lá e passa para a pessoa seguinte em espera.",
            "Resérvea na súa páxina de asesoramento antes desa hora; se non a quere, rexéitea alí e pasará á seguinte persoa en espera.",
        )
        .into(),
    );
    Letter {
        lang,
        subject: match lang {
            Lang::En => format!("Held for you until {until}: advisory session with {advisor}"),
            Lang::Es => format!("Reservada para usted hasta el {until}: sesión con {advisor}"),
            Lang::Pt => format!("Reservada para si até {until}: sessão com {advisor}"),
            Lang::Gl => format!("Reservada para vostede ata o {until}: sesión con {advisor}"),
        },
        greeting: greeting(lang, name),
        paragraphs,
        action: Some((
            t(
                lang,
                "Book the held slot",
                "Reservar el hueco",
                "Marcar a vaga",
                "Reservar o oco",
            )
            .to_string(),
            link.to_string(),
        )),
        footer: vec![
            t(
                lang,
                "You get this message because you joined a waitlist; leave it on your advice page.",
                "Recibe este mensaje porque se apuntó a una lista de espera; puede salir de ella en su página de asesoramiento.",
                "Recebe esta mensagem porque se inscreveu numa lista de espera; pode sair dela na sua página de aconselhamento.",
                "Recibe esta mensaxe porque se apuntou a unha lista de espera; pode saír dela na súa páxina de asesoramento.",
            )
            .into(),
            automatic(lang),
        ],
    }
}

/// A reminder `hours` before a session (24 or 1).
pub fn reminder(
    lang: Lang,
    name: &str,
    with: &str,
    hours: i64,
    s: &Session<'_>,
    link: &str,
) -> Letter {
    let topic = topic(lang, s.topic);
    let soon = match (lang, hours) {
        (Lang::En, 1) => "in one hour".to_string(),
        (Lang::En, h) => format!("in {h} hours"),
        (Lang::Es, 1) => "dentro de una hora".to_string(),
        (Lang::Gl, 1) => "dentro dunha hora".to_string(),
        (Lang::Es | Lang::Gl, h) => format!("dentro de {h} horas"),
        (Lang::Pt, 1) => "daqui a uma hora".to_string(),
        (Lang::Pt, h) => format!("daqui a {h} horas"),
    };
    let mut paragraphs = vec![match lang {
        Lang::En => format!("Your advisory session on {topic} with {with} starts {soon}."),
        Lang::Es => format!("Su sesión de asesoramiento sobre {topic} con {with} empieza {soon}."),
        Lang::Pt => {
            format!("A sua sessão de aconselhamento sobre {topic} com {with} começa {soon}.")
        }
        Lang::Gl => format!("A súa sesión de asesoramento sobre {topic} con {with} comeza {soon}."),
    }];
    paragraphs.extend(session_lines(lang, s));
    Letter {
        lang,
        subject: match lang {
            Lang::En => format!("Reminder: advisory session with {with}, {}", when(s.starts_at, s.ends_at, s.time_zone)),
            Lang::Es => format!("Recordatorio: sesión con {with}, {}", when(s.starts_at, s.ends_at, s.time_zone)),
            Lang::Pt => format!("Lembrete: sessão com {with}, {}", when(s.starts_at, s.ends_at, s.time_zone)),
            Lang::Gl => format!("Lembranza: sesión con {with}, {}", when(s.starts_at, s.ends_at, s.time_zone)),
        },
        greeting: greeting(lang, name),
        paragraphs,
        action: bookings_action(lang, link),
        footer: vec![
            t(
                lang,
                "You get reminders of your sessions; turn them off in your profile or with the unsubscribe link of this message.",
                "Recibe recordatorios de sus sesiones; puede desactivarlos en su perfil o con el enlace de baja de este mensaje.",
                "Recebe lembretes das suas sessões; desative-os no seu perfil ou com a ligação de cancelamento desta mensagem.",
                "Recibe lembranzas das súas sesións; pode desactivalas no seu perfil ou coa ligazón de baixa desta mensaxe.",
            )
            .into(),
            automatic(lang),
        ],
    }
}

/// A completed course, with the certificate's public verification link.
pub fn course_completed(lang: Lang, name: &str, course: &str, verify_url: &str) -> Letter {
    Letter {
        lang,
        subject: match lang {
            Lang::En => format!("Course completed: {course}"),
            Lang::Es => format!("Curso completado: {course}"),
            Lang::Pt => format!("Curso concluído: {course}"),
            Lang::Gl => format!("Curso completado: {course}"),
        },
        greeting: greeting(lang, name),
        paragraphs: vec![
            match lang {
                Lang::En => format!("Congratulations: you have completed “{course}”. Your certificate is ready."),
                Lang::Es => format!("Enhorabuena: ha completado «{course}». Su certificado está listo."),
                Lang::Pt => format!("Parabéns: concluiu «{course}». O seu certificado está pronto."),
                Lang::Gl => format!("Parabéns: completou «{course}». O seu certificado está listo."),
            },
            t(
                lang,
                "Anyone can check it at the verification link below; download the PDF from your certificates page.",
                "Cualquiera puede comprobarlo en el enlace de verificación; descargue el PDF desde su página de certificados.",
                "Qualquer pessoa o pode confirmar na ligação de verificação; descarregue o PDF na sua página de certificados.",
                "Calquera pode comprobalo na ligazón de verificación; descargue o PDF desde a súa páxina de certificados.",
            )
            .into(),
        ],
        action: Some((t(lang, "Verify the certificate", "Verificar el certificado", "Verificar o certificado", "Verificar o certificado").into(), verify_url.into())),
        footer: vec![automatic(lang)],
    }
}

/// The learner's session was recorded by the advisor: attended, or a no-show.
pub fn outcome_recorded(
    lang: Lang,
    name: &str,
    advisor: &str,
    attended: bool,
    s: &Session<'_>,
    link: &str,
) -> Letter {
    let topic = topic(lang, s.topic);
    let first = match (lang, attended) {
        (Lang::En, true) => format!("{advisor} recorded your advisory session on {topic} as attended. Thank you for coming."),
        (Lang::En, false) => format!("{advisor} recorded that you did not attend your advisory session on {topic}."),
        (Lang::Es, true) => format!("{advisor} ha registrado su sesión de asesoramiento sobre {topic} como realizada. Gracias por asistir."),
        (Lang::Es, false) => format!("{advisor} ha registrado que no asistió a su sesión de asesoramiento sobre {topic}."),
        (Lang::Pt, true) => format!("{advisor} registou a sua sessão de aconselhamento sobre {topic} como realizada. Obrigado pela presença."),
        (Lang::Pt, false) => format!("{advisor} registou que não compareceu à sua sessão de aconselhamento sobre {topic}."),
        (Lang::Gl, true) => format!("{advisor} rexistrou a súa sesión de asesoramento sobre {topic} como realizada. Grazas por asistir."),
        (Lang::Gl, false) => format!("{advisor} rexistrou que non asistiu á súa sesión de asesoramento sobre {topic}."),
    };
    let mut paragraphs = vec![first];
    paragraphs.extend(session_lines(lang, s));
    if !attended {
        paragraphs.push(
            t(
                lang,
                "If this is a mistake, tell your coordinator; you can book a new session on the advice page.",
                "Si es un error, dígaselo a su coordinador; puede reservar otra sesión en la página de asesoramiento.",
                "Se for um engano, informe o seu coordenador; pode marcar outra sessão na página de aconselhamento.",
                "Se é un erro, dígallo á súa persoa coordinadora; pode reservar outra sesión na páxina de asesoramento.",
            )
            .into(),
        );
    }
    Letter {
        lang,
        subject: match (lang, attended) {
            (Lang::En, true) => format!("Session recorded: {topic} with {advisor}"),
            (Lang::En, false) => format!("Missed session: {topic} with {advisor}"),
            (Lang::Es, true) => format!("Sesión registrada: {topic} con {advisor}"),
            (Lang::Es, false) => format!("Sesión no realizada: {topic} con {advisor}"),
            (Lang::Pt, true) => format!("Sessão registada: {topic} com {advisor}"),
            (Lang::Pt, false) => format!("Sessão em falta: {topic} com {advisor}"),
            (Lang::Gl, true) => format!("Sesión rexistrada: {topic} con {advisor}"),
            (Lang::Gl, false) => format!("Sesión non realizada: {topic} con {advisor}"),
        },
        greeting: greeting(lang, name),
        paragraphs,
        action: bookings_action(lang, link),
        footer: vec![automatic(lang)],
    }
}

/// One SME in a coordinator's weekly digest.
#[derive(Debug, Clone)]
pub struct DigestLine {
    pub sme: String,
    pub learners: i64,
    /// Invited people who have not chosen a password yet.
    pub invited: i64,
    /// Courses completed in the last seven days, and ever.
    pub completed_week: i64,
    pub completed: i64,
    pub certificates: i64,
}

/// A coordinator's weekly digest of their partner's SMEs: the week's completions first, then
/// one line per SME (most active first; the caller orders and cuts the list).
pub fn weekly_digest(
    lang: Lang,
    name: &str,
    partner: &str,
    lines: &[DigestLine],
    more: usize,
    link: &str,
) -> Letter {
    let week: i64 = lines.iter().map(|l| l.completed_week).sum();
    let smes = lines.len() + more;
    let mut paragraphs = vec![match lang {
        Lang::En => format!("In the last seven days the learners of {partner}'s {smes} SMEs completed {week} course(s)."),
        Lang::Es => format!("En los últimos siete días, el personal de las {smes} pymes de {partner} completó {week} curso(s)."),
        Lang::Pt => format!("Nos últimos sete dias, os formandos das {smes} PME de {partner} concluíram {week} curso(s)."),
        Lang::Gl => format!("Nos últimos sete días, o persoal das {smes} pemes de {partner} completou {week} curso(s)."),
    }];
    for l in lines {
        paragraphs.push(match lang {
            Lang::En => format!(
                "{}: {} this week, {} in total · {} learner(s), {} invited · {} certificate(s)",
                l.sme, l.completed_week, l.completed, l.learners, l.invited, l.certificates
            ),
            Lang::Es => format!(
                "{}: {} esta semana, {} en total · {} participante(s), {} invitado(s) · {} certificado(s)",
                l.sme, l.completed_week, l.completed, l.learners, l.invited, l.certificates
            ),
            Lang::Pt => format!(
                "{}: {} esta semana, {} no total · {} formando(s), {} convidado(s) · {} certificado(s)",
                l.sme, l.completed_week, l.completed, l.learners, l.invited, l.certificates
            ),
            Lang::Gl => format!(
                "{}: {} esta semana, {} en total · {} participante(s), {} convidado(s) · {} certificado(s)",
                l.sme, l.completed_week, l.completed, l.learners, l.invited, l.certificates
            ),
        });
    }
    if more > 0 {
        paragraphs.push(match lang {
            Lang::En => format!("… and {more} more SME(s) without activity this week."),
            Lang::Es => format!("… y {more} pyme(s) más sin actividad esta semana."),
            Lang::Pt => format!("… e mais {more} PME sem atividade esta semana."),
            Lang::Gl => format!("… e {more} peme(s) máis sen actividade esta semana."),
        });
    }
    Letter {
        lang,
        subject: match lang {
            Lang::En => format!("Weekly progress: {partner}, {week} course(s) completed"),
            Lang::Es => format!("Resumen semanal: {partner}, {week} curso(s) completado(s)"),
            Lang::Pt => format!("Resumo semanal: {partner}, {week} curso(s) concluído(s)"),
            Lang::Gl => format!("Resumo semanal: {partner}, {week} curso(s) completado(s)"),
        },
        greeting: greeting(lang, name),
        paragraphs,
        action: Some((t(lang, "Open the reports", "Ver los informes", "Ver os relatórios", "Ver os informes").into(), link.into())),
        footer: vec![
            t(
                lang,
                "You get this digest every Monday as a coordinator; turn it off in your profile or with the unsubscribe link of this message.",
                "Recibe este resumen cada lunes como coordinador; puede desactivarlo en su perfil o con el enlace de baja de este mensaje.",
                "Recebe este resumo todas as segundas-feiras como coordenador; desative-o no seu perfil ou com a ligação de cancelamento desta mensagem.",
                "Recibe este resumo cada luns como persoa coordinadora; pode desactivalo no seu perfil ou coa ligazón de baixa desta mensaxe.",
            )
            .into(),
            automatic(lang),
        ],
    }
}

/// An advisory session as a calendar event, in the reader's language.
/// The name of a person's calendar subscription, as calendar programs list it.
pub fn calendar_name(lang: Lang) -> &'static str {
    t(
        lang,
        "IberoBio Academy: advisory sessions",
        "IberoBio Academy: sesiones de asesoramiento",
        "IberoBio Academy: sessões de aconselhamento",
        "IberoBio Academy: sesións de asesoramento",
    )
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarText {
    pub summary: String,
    pub description: String,
}

/// The title and description of an advisory session's calendar event (`.ics`), in `lang`:
/// with whom, for whom, the learner's note and, once cancelled, the reason.
pub fn calendar_event(
    lang: Lang,
    session_topic: Topic,
    advisor: &str,
    learner: &str,
    sme: &str,
    note: &str,
    cancel_reason: Option<&str>,
) -> CalendarText {
    let topic = topic(lang, session_topic);
    let (summary, mut description) = match lang {
        Lang::En => (
            format!("IberoBio advisory session: {topic}"),
            format!("One-to-one advisory session on {topic} with {advisor} for {learner} ({sme})."),
        ),
        Lang::Es => (
            format!("Sesión de asesoramiento IberoBio: {topic}"),
            format!("Sesión de asesoramiento individual sobre {topic} con {advisor} para {learner} ({sme})."),
        ),
        Lang::Pt => (
            format!("Sessão de aconselhamento IberoBio: {topic}"),
            format!("Sessão de aconselhamento individual sobre {topic} com {advisor} para {learner} ({sme})."),
        ),
        Lang::Gl => (
            format!("Sesión de asesoramento IberoBio: {topic}"),
            format!("Sesión de asesoramento individual sobre {topic} con {advisor} para {learner} ({sme})."),
        ),
    };
    if !note.is_empty() {
        let label = t(lang, "Note", "Nota", "Nota", "Nota");
        description.push_str(&format!("\n{label}: {note}"));
    }
    if let Some(reason) = cancel_reason {
        let label = t(lang, "Cancelled", "Cancelada", "Cancelada", "Cancelada");
        description.push_str(&format!("\n{label}: {reason}"));
    }
    CalendarText {
        summary,
        description,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Session<'static> {
        Session {
            // 2026-12-08 10:00 UTC
            starts_at: 1_796_724_000,
            ends_at: 1_796_727_600,
            time_zone: "Europe/Madrid",
            topic: Topic::Finance,
            mode: Mode::Online,
            location: "https://meet.example/x",
        }
    }

    #[test]
    fn times_are_in_the_recipient_zone() {
        assert_eq!(
            when(1_796_724_000, 1_796_727_600, "Europe/Madrid"),
            "8/12/2026, 11:00–12:00 (Europe/Madrid)"
        );
        assert_eq!(
            when(1_796_724_000, 1_796_727_600, "Europe/Lisbon"),
            "8/12/2026, 10:00–11:00 (Europe/Lisbon)"
        );
    }

    #[test]
    fn every_language_has_its_own_words() {
        let s = session();
        let mut subjects = std::collections::HashSet::new();
        for lang in Lang::ALL {
            let l = reminder(
                lang,
                "Begoña Núñez",
                "Inês Sousa",
                24,
                &s,
                "https://a.example/#/advice",
            );
            assert!(l.greeting.contains("Begoña"), "{lang:?}");
            assert!(l.text().contains("11:00–12:00"), "{lang:?}");
            assert!(
                subjects.insert(l.subject.clone()),
                "{lang:?} repeats another language: {}",
                l.subject
            );
            let r = password_reset(lang, "Begoña", "https://a.example/#/reset?token=t", 30);
            assert!(r.text().contains("30"), "{lang:?}");
            assert!(r.text().contains("https://a.example/#/reset?token=t"));
        }
    }
}

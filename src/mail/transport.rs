//! Where messages go: an SMTP server (lettre, async, rustls) when `ACADEMY_SMTP_URL` is set,
//! else `.eml` files in the data folder's `outbox/` (the embedded default: nothing to run, and
//! a person can open what would have been sent).

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::header::{self, ContentType};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::store::Queued;

/// The configured way out.
#[derive(Clone)]
pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(PathBuf),
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transport::Smtp(_) => f.write_str("Smtp"),
            Transport::Files(dir) => write!(f, "Files({})", dir.display()),
        }
    }
}

impl Transport {
    /// From `ACADEMY_SMTP_URL` (`smtp://host:port`, `smtp://user:pass@host:587?tls=required`,
    /// `smtps://user:pass@host:465`), or the files folder when there is none.
    pub fn from_settings(smtp_url: Option<&str>, outbox_dir: PathBuf) -> Result<Transport, String> {
        let Some(url) = smtp_url.filter(|u| !u.trim().is_empty()) else {
            return Ok(Transport::Files(outbox_dir));
        };
        let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.trim()).map_err(|e| {
            format!(
                "ACADEMY_SMTP_URL is not a usable SMTP URL ({e}); use smtp://host:port, \
                 smtp://user:pass@host:587?tls=required or smtps://user:pass@host:465"
            )
        })?;
        Ok(Transport::Smtp(
            builder.timeout(Some(Duration::from_secs(20))).build(),
        ))
    }

    pub fn describe(&self) -> String {
        match self {
            Transport::Smtp(_) => "SMTP".into(),
            Transport::Files(dir) => format!(".eml files in {}", dir.display()),
        }
    }

    /// Deliver one message; the error says why it was not (to log and store).
    pub async fn send(&self, from: &Mailbox, m: &Queued) -> Result<(), String> {
        let message = build(from, m)?;
        match self {
            Transport::Smtp(smtp) => smtp
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| format!("SMTP: {e}")),
            Transport::Files(dir) => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| format!("creating {}: {e}", dir.display()))?;
                let path = dir.join(format!("{:08}-{}.eml", m.id, m.kind));
                let tmp = dir.join(format!(".{:08}-{}.eml.tmp", m.id, m.kind));
                tokio::fs::write(&tmp, message.formatted())
                    .await
                    .map_err(|e| format!("writing {}: {e}", tmp.display()))?;
                tokio::fs::rename(&tmp, &path)
                    .await
                    .map_err(|e| format!("writing {}: {e}", path.display()))?;
                tracing::info!(file = %path.display(), to = %m.recipient, subject = %m.subject, "mail written");
                Ok(())
            }
        }
    }
}

/// The MIME message: multipart/alternative (text, HTML), in multipart/mixed with the calendar
/// invitation when there is one; RFC 8058 one-click unsubscribe headers when there is a link.
pub fn build(from: &Mailbox, m: &Queued) -> Result<Message, String> {
    let to: Mailbox = format!("{} <{}>", quote_name(&m.recipient_name), m.recipient)
        .parse()
        .or_else(|_| m.recipient.parse())
        .map_err(|e| format!("recipient {:?}: {e}", m.recipient))?;
    let mut builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(m.subject.clone());
    if let Some(url) = &m.unsubscribe_url {
        builder = builder
            .header(ListUnsubscribe(format!("<{url}>")))
            .header(ListUnsubscribePost);
    }
    let alternative = MultiPart::alternative()
        .singlepart(SinglePart::plain(m.text_body.clone()))
        .singlepart(SinglePart::html(m.html_body.clone()));
    let message = match &m.calendar {
        Some(ics) => {
            let method = if ics.contains("\r\nMETHOD:CANCEL\r\n") {
                "CANCEL"
            } else {
                "REQUEST"
            };
            let content_type =
                ContentType::parse(&format!("text/calendar; charset=utf-8; method={method}"))
                    .map_err(|e| format!("calendar type: {e}"))?;
            let invite = Attachment::new("invite.ics".into()).body(ics.clone(), content_type);
            builder.multipart(MultiPart::mixed().multipart(alternative).singlepart(invite))
        }
        None => builder.multipart(alternative),
    };
    message.map_err(|e| format!("building the message: {e}"))
}

/// A display name as a quoted string (names may hold commas or accents).
fn quote_name(name: &str) -> String {
    let clean: String = name
        .chars()
        .filter(|c| !c.is_control() && *c != '"' && *c != '\\')
        .collect();
    format!("\"{clean}\"")
}

/// `List-Unsubscribe: <https://...>` (RFC 2369).
#[derive(Clone)]
struct ListUnsubscribe(String);

impl header::Header for ListUnsubscribe {
    fn name() -> header::HeaderName {
        header::HeaderName::new_from_ascii_str("List-Unsubscribe")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(s.to_string()))
    }
    fn display(&self) -> header::HeaderValue {
        header::HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
#[derive(Clone)]
struct ListUnsubscribePost;

impl header::Header for ListUnsubscribePost {
    fn name() -> header::HeaderName {
        header::HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribePost)
    }
    fn display(&self) -> header::HeaderValue {
        header::HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".into())
    }
}

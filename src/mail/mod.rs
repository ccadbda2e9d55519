//! Email through a reliable outbox.
//!
//! A feature that has something to tell someone renders a [`Letter`] (words in [`texts`]),
//! and queues it with [`enqueue`] on the connection of the transaction that makes the event
//! happen: the booking and its confirmation commit together or not at all. The worker
//! ([`stage`]) delivers queued messages through the configured [`Transport`], retrying with
//! exponential backoff until `mail_max_attempts`, then marks them `failed`. Several processes
//! may share one PostgreSQL: each message is claimed by one of them.

pub mod letter;
mod routes;
pub(crate) mod store;
pub mod texts;
pub mod transport;
mod worker;

use std::sync::Arc;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use sqlx::AnyConnection;

pub use letter::Letter;
pub use routes::{routes, Doc};
pub use store::{counts, Channel};
pub use transport::Transport;
pub use worker::{deliver_due, run_rounds, stage, Delivered, Policy};

/// The worker's pacing from the settings (an unusable `ACADEMY_MAIL_FROM` is refused).
pub fn worker_policy(config: &crate::config::Config) -> std::result::Result<Policy, String> {
    Policy::from_config(config)
}

use crate::clock::now;
use crate::error::Result;
pub use crate::orgs::MailList;

/// What a message is (stored as text; one `.eml` file name part).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Invitation,
    PasswordReset,
    BookingConfirmed,
    BookingCancelled,
    BookingRescheduled,
    WaitlistHold,
    Reminder,
    CourseCompleted,
    OutcomeRecorded,
    Digest,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Invitation => "invitation",
            Kind::PasswordReset => "password_reset",
            Kind::BookingConfirmed => "booking_confirmed",
            Kind::BookingCancelled => "booking_cancelled",
            Kind::BookingRescheduled => "booking_rescheduled",
            Kind::WaitlistHold => "waitlist_hold",
            Kind::Reminder => "reminder",
            Kind::CourseCompleted => "course_completed",
            Kind::OutcomeRecorded => "outcome_recorded",
            Kind::Digest => "digest",
        }
    }
}

/// An iCalendar attachment (its METHOD is inside).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    pub body: String,
}

/// A rendered message for one recipient, ready to queue.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub kind: Kind,
    pub user_id: Option<i64>,
    pub to: String,
    pub to_name: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub calendar: Option<Calendar>,
    pub unsubscribe_url: Option<String>,
    /// A message with a key is queued once whatever happens (reminders).
    pub dedupe_key: Option<String>,
}

impl Outgoing {
    pub fn new(
        kind: Kind,
        user_id: Option<i64>,
        to: &str,
        to_name: &str,
        letter: &Letter,
    ) -> Outgoing {
        Outgoing {
            kind,
            user_id,
            to: to.to_string(),
            to_name: to_name.to_string(),
            subject: letter.subject.clone(),
            text: letter.text(),
            html: letter.html(),
            calendar: None,
            unsubscribe_url: None,
            dedupe_key: None,
        }
    }

    pub fn with_calendar(mut self, ics: String) -> Outgoing {
        self.calendar = Some(Calendar { body: ics });
        self
    }

    pub fn with_unsubscribe(mut self, url: String) -> Outgoing {
        self.unsubscribe_url = Some(url);
        self
    }

    pub fn once(mut self, key: String) -> Outgoing {
        self.dedupe_key = Some(key);
        self
    }
}

/// Queue something that is not mail but travels through the same outbox (an xAPI statement:
/// `kind` says which worker delivers it), inside the caller's transaction. `false` when its
/// dedupe key was already used.
pub async fn queue_other(
    conn: &mut AnyConnection,
    kind: &str,
    user_id: Option<i64>,
    summary: &str,
    body: &str,
    dedupe_key: &str,
) -> Result<bool> {
    store::insert_other(conn, kind, user_id, summary, body, dedupe_key, now()).await
}

/// Whether a message with this dedupe key was ever queued (a periodic job skips the work of
/// writing it again).
pub async fn is_queued(db: &sqlx::AnyPool, dedupe_key: &str) -> Result<bool> {
    store::is_queued(db, dedupe_key).await
}

/// Queue `message` inside the caller's transaction. `false` when its dedupe key was already
/// used (the message exists).
pub async fn enqueue(conn: &mut AnyConnection, message: &Outgoing) -> Result<bool> {
    store::insert(conn, message, now()).await
}

/// The platform's side of every xAPI statement (`crate::xapi` writes them; defined here so
/// that the outbox's writer can carry it without depending on `xapi`).
#[derive(Debug, Clone)]
pub struct XapiProfile {
    /// The hub's home page: the learner's account lives there, activity IRIs start there.
    pub home_page: String,
    /// Send the learner's name and email address (`mbox`) too (off: an account id only).
    pub share_identity: bool,
}

/// What every feature needs to write a message: the public address of the platform and the
/// key that signs unsubscribe links. Managed state.
#[derive(Clone)]
pub struct Mailer {
    inner: Arc<MailerInner>,
}

struct MailerInner {
    public_url: String,
    link_key: Vec<u8>,
    /// What xAPI statements say about the platform, when an LRS is configured.
    xapi: Option<XapiProfile>,
}

impl Mailer {
    /// `secret` is the platform's signing secret (the JWT secret): links stay valid across
    /// restarts and processes.
    pub fn new(public_url: &str, secret: &str) -> Mailer {
        let mut key = b"academy-mail-links:".to_vec();
        key.extend_from_slice(secret.as_bytes());
        Mailer {
            inner: Arc::new(MailerInner {
                public_url: public_url.trim_end_matches('/').to_string(),
                link_key: key,
                xapi: None,
            }),
        }
    }

    /// The same, also writing xAPI statements with `profile` (events queue them beside their
    /// mail).
    pub fn with_xapi(self, profile: XapiProfile) -> Mailer {
        Mailer {
            inner: Arc::new(MailerInner {
                public_url: self.inner.public_url.clone(),
                link_key: self.inner.link_key.clone(),
                xapi: Some(profile),
            }),
        }
    }

    /// The xAPI profile when statements are sent to an LRS.
    pub fn xapi(&self) -> Option<&XapiProfile> {
        self.inner.xapi.as_ref()
    }

    /// An absolute link to a page of the web UI (`#/advice`, `#/reset?token=...`).
    pub fn page(&self, hash_route: &str) -> String {
        format!("{}/{hash_route}", self.inner.public_url)
    }

    /// An absolute URL of the server (`/verify/IBA-...`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.inner.public_url)
    }

    /// The one-click unsubscribe link of a user's reminders.
    pub fn unsubscribe_url(&self, user_id: i64) -> String {
        self.unsubscribe_url_for(user_id, MailList::Reminders)
    }

    /// The one-click unsubscribe link of one kind of optional mail (`list=digest` for the
    /// digest; reminders' links carry no `list`).
    pub fn unsubscribe_url_for(&self, user_id: i64, list: MailList) -> String {
        let list_param = match list {
            MailList::Reminders => "",
            MailList::Digest => "&list=digest",
        };
        format!(
            "{}/api/mail/unsubscribe?user={user_id}{list_param}&token={}",
            self.inner.public_url,
            self.sign(user_id, list)
        )
    }

    /// The MAC of a user's unsubscribe link (HMAC-SHA256 over `unsubscribe:<id>` for
    /// reminders, `unsubscribe:digest:<id>` for the digest).
    fn mac(&self, user_id: i64, list: MailList) -> Hmac<Sha256> {
        // HMAC accepts a key of any length: this cannot fail.
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.inner.link_key)
            .expect("HMAC takes a key of any length");
        match list {
            MailList::Reminders => mac.update(format!("unsubscribe:{user_id}").as_bytes()),
            MailList::Digest => mac.update(format!("unsubscribe:digest:{user_id}").as_bytes()),
        }
        mac
    }

    /// A MAC (hex) over `message` with the link key: a link that carries a capability (a
    /// calendar feed) without the database holding it. Each feature prefixes its messages.
    pub fn link_mac(&self, message: &str) -> String {
        hex::encode(self.message_mac(message).finalize().into_bytes())
    }

    /// Whether `mac` is [`Mailer::link_mac`] of `message` (compared in constant time).
    pub fn link_mac_matches(&self, message: &str, mac: &str) -> bool {
        match hex::decode(mac) {
            Ok(given) => self.message_mac(message).verify_slice(&given).is_ok(),
            Err(_) => false,
        }
    }

    fn message_mac(&self, message: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.inner.link_key)
            .expect("HMAC takes a key of any length");
        mac.update(b"link:");
        mac.update(message.as_bytes());
        mac
    }

    fn sign(&self, user_id: i64, list: MailList) -> String {
        hex::encode(self.mac(user_id, list).finalize().into_bytes())
    }

    fn verify(&self, user_id: i64, list: MailList, token: &str) -> bool {
        match hex::decode(token) {
            Ok(given) => self.mac(user_id, list).verify_slice(&given).is_ok(),
            Err(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsubscribe_links_are_signed_per_user() {
        let m = Mailer::new(
            "https://academy.example/",
            "s3cret-s3cret-s3cret-s3cret-s3cret",
        );
        let url = m.unsubscribe_url(7);
        assert!(url.starts_with("https://academy.example/api/mail/unsubscribe?user=7&token="));
        let token = url.rsplit("token=").next().unwrap();
        assert!(m.verify(7, MailList::Reminders, token));
        assert!(!m.verify(8, MailList::Reminders, token));
        assert!(
            !m.verify(7, MailList::Digest, token),
            "one list's link is not another's"
        );
        assert!(!m.verify(7, MailList::Reminders, "00"));
        assert!(!m.verify(7, MailList::Reminders, "not hex"));
        let digest = m.unsubscribe_url_for(7, MailList::Digest);
        assert!(digest.contains("&list=digest&token="));
        assert!(m.verify(7, MailList::Digest, digest.rsplit("token=").next().unwrap()));
        let other = Mailer::new(
            "https://academy.example",
            "another-secret-another-secret-xx",
        );
        assert!(!other.verify(7, MailList::Reminders, token));
    }
}

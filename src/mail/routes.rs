//! The one-click unsubscribe link of optional mail (RFC 8058), reminders and the weekly
//! digest: a mail client POSTs to it; a person who opens it in a browser gets a page with one
//! button that does the same.

use rocket::http::ContentType;
use rocket::serde::json::Json;
use rocket::{get, post, routes, Route, State};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use super::{MailList, Mailer};
use crate::db::Db;
use crate::error::{Error, Result};

#[derive(OpenApi)]
#[openapi(paths(unsubscribe, unsubscribe_page))]
pub struct Doc;

pub fn routes() -> Vec<Route> {
    routes![unsubscribe, unsubscribe_page]
}

/// What the link turned off (`email_reminders` or `email_digest`, now `false`).
#[derive(Serialize, ToSchema)]
pub struct Unsubscribed {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_reminders: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_digest: Option<bool>,
}

/// The list a link names: none (reminders, as in the first links sent) or `digest`.
fn list_of(list: Option<&str>) -> Result<MailList> {
    match list {
        None | Some("reminders") => Ok(MailList::Reminders),
        Some("digest") => Ok(MailList::Digest),
        Some(_) => Err(Error::not_found("unsubscribe_link")),
    }
}

/// Turn off a user's reminder mail or weekly digest (the link in every such message; no
/// sign-in needed: the link is signed for that user and list). Security mail (resets,
/// invitations) is not affected.
#[utoipa::path(tag = "mail",
    params(("user" = i64, Query), ("list" = Option<String>, Query, description = "`digest`; reminders without it"),
        ("token" = String, Query, description = "the signature in the link")),
    responses((status = 200, body = Unsubscribed), (status = 404, description = "not a valid link")))]
#[post("/mail/unsubscribe?<user>&<list>&<token>")]
async fn unsubscribe(
    db: &Db,
    mailer: &State<Mailer>,
    user: i64,
    list: Option<&str>,
    token: &str,
) -> Result<Json<Unsubscribed>> {
    let list = list_of(list)?;
    if !mailer.verify(user, list, token) {
        return Err(Error::not_found("unsubscribe_link"));
    }
    crate::orgs::set_mail_list(db, user, list, false).await?;
    tracing::info!(user, ?list, "optional mail turned off by link");
    Ok(Json(match list {
        MailList::Reminders => Unsubscribed {
            email_reminders: Some(false),
            email_digest: None,
        },
        MailList::Digest => Unsubscribed {
            email_reminders: None,
            email_digest: Some(false),
        },
    }))
}

/// The page behind the link for a person: one button that POSTs the same link.
#[utoipa::path(tag = "mail",
    params(("user" = i64, Query), ("list" = Option<String>, Query), ("token" = String, Query)),
    responses((status = 200, description = "an HTML page", content_type = "text/html"),
        (status = 404, description = "not a valid link")))]
#[get("/mail/unsubscribe?<user>&<list>&<token>")]
async fn unsubscribe_page(
    mailer: &State<Mailer>,
    user: i64,
    list: Option<&str>,
    token: &str,
) -> Result<(ContentType, String)> {
    let which = list_of(list)?;
    if !mailer.verify(user, which, token) {
        return Err(Error::not_found("unsubscribe_link"));
    }
    let (list_param, question) = match which {
        MailList::Reminders => (
            "",
            "Stop reminder emails? · ¿Dejar de recibir recordatorios? · Deixar de receber lembretes? · Deixar de recibir lembranzas?",
        ),
        MailList::Digest => (
            "&amp;list=digest",
            "Stop the weekly digest? · ¿Dejar de recibir el resumen semanal? · Deixar de receber o resumo semanal? · Deixar de recibir o resumo semanal?",
        ),
    };
    let action = format!("/api/mail/unsubscribe?user={user}{list_param}&amp;token={token}");
    Ok((
        ContentType::HTML,
        format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width\">\
             <title>IberoBio Academy</title></head><body>\
             <h1>IberoBio Academy</h1>\
             <p>{question}</p>\
             <form method=\"post\" action=\"{action}\"><button type=\"submit\">OK</button></form>\
             </body></html>"
        ),
    ))
}

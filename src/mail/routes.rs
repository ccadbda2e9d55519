//! The one-click unsubscribe link of reminder mail (RFC 8058): a mail client POSTs to it; a
//! person who opens it in a browser gets a page with one button that does the same.

use rocket::http::ContentType;
use rocket::serde::json::Json;
use rocket::{get, post, routes, Route, State};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use super::Mailer;
use crate::db::Db;
use crate::error::{Error, Result};

#[derive(OpenApi)]
#[openapi(paths(unsubscribe, unsubscribe_page))]
pub struct Doc;

pub fn routes() -> Vec<Route> {
    routes![unsubscribe, unsubscribe_page]
}

#[derive(Serialize, ToSchema)]
pub struct Unsubscribed {
    pub email_reminders: bool,
}

/// Turn off a user's reminder mail (the link in every reminder; no sign-in needed: the link is
/// signed for that user). Security mail (resets, invitations) is not affected.
#[utoipa::path(tag = "mail",
    params(("user" = i64, Query), ("token" = String, Query, description = "the signature in the link")),
    responses((status = 200, body = Unsubscribed), (status = 404, description = "not a valid link")))]
#[post("/mail/unsubscribe?<user>&<token>")]
async fn unsubscribe(
    db: &Db,
    mailer: &State<Mailer>,
    user: i64,
    token: &str,
) -> Result<Json<Unsubscribed>> {
    if !mailer.verify(user, token) {
        return Err(Error::not_found("unsubscribe link"));
    }
    crate::orgs::set_email_reminders(db, user, false).await?;
    tracing::info!(user, "reminder mail turned off by link");
    Ok(Json(Unsubscribed {
        email_reminders: false,
    }))
}

/// The page behind the link for a person: one button that POSTs the same link.
#[utoipa::path(tag = "mail",
    params(("user" = i64, Query), ("token" = String, Query)),
    responses((status = 200, description = "an HTML page", content_type = "text/html"),
        (status = 404, description = "not a valid link")))]
#[get("/mail/unsubscribe?<user>&<token>")]
async fn unsubscribe_page(
    mailer: &State<Mailer>,
    user: i64,
    token: &str,
) -> Result<(ContentType, String)> {
    if !mailer.verify(user, token) {
        return Err(Error::not_found("unsubscribe link"));
    }
    let action = format!("/api/mail/unsubscribe?user={user}&amp;token={token}");
    Ok((
        ContentType::HTML,
        format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width\">\
             <title>IberoBio Academy</title></head><body>\
             <h1>IberoBio Academy</h1>\
             <p>Stop reminder emails? · ¿Dejar de recibir recordatorios? · Deixar de receber lembretes? · Deixar de recibir lembranzas?</p>\
             <form method=\"post\" action=\"{action}\"><button type=\"submit\">OK</button></form>\
             </body></html>"
        ),
    ))
}

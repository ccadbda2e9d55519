//! Bulk onboarding: a coordinator uploads the staff list of an SME (CSV), sees each row's
//! fate (to invite, already there, or what is wrong with it, by line and field), confirms, and
//! the invitations go out. Uploading the same file again invites nobody twice: a person whose
//! address already has an account is reported as such and left alone.

use std::collections::HashMap;

use serde::Serialize;
use utoipa::ToSchema;

use super::links::{self, Inviter};
use super::roster::{self, Row};
use crate::auth::{password, CurrentUser, Role};
use crate::crypto::random_token;
use crate::db::Db;
use crate::error::{Context, Error, FieldError, FieldProblem, Result};
use crate::mail::Mailer;
use crate::messages::Reader;
use crate::msg;
use crate::orgs::{self, NewAccount, SmeScope, User};

/// What happens (or happened) to one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RowStatus {
    /// Will be invited when the import is confirmed.
    New,
    /// Invited by this import (confirmed).
    Invited,
    /// Already has an account in this SME (invited or active): left alone.
    Exists,
    /// The address belongs to an account elsewhere: left alone (ask a hub administrator).
    Unavailable,
    /// Something in the row is wrong (see `errors`): nobody is invited until it is fixed.
    Error,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportRow {
    /// The line of the file (the header is line 1).
    pub line: u64,
    pub name: String,
    pub email: String,
    /// The language the invitation is written in (a code), as understood from the file.
    pub locale: String,
    pub time_zone: String,
    pub status: RowStatus,
    /// What is wrong, by field (`name`, `email`, `language`, `time_zone`), in the reader's
    /// language.
    pub errors: Vec<FieldProblem>,
    /// The same, before it is written in words for a reader ([`ImportReport::for_reader`]).
    #[serde(skip)]
    #[schema(ignore)]
    pub issues: Vec<FieldError>,
    /// The account, once it exists.
    pub user_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportReport {
    pub sme_id: i64,
    pub sme_name: String,
    /// `false` for a preview (nothing was written), `true` once invitations were sent.
    pub confirmed: bool,
    pub rows: Vec<ImportRow>,
    /// Rows that are (or were) to be invited.
    pub new: usize,
    pub existing: usize,
    pub unavailable: usize,
    pub errors: usize,
    /// Invitations queued by this request.
    pub invited: usize,
}

impl ImportReport {
    /// Each row's problems in `reader`'s words.
    pub fn for_reader(mut self, reader: &Reader) -> Self {
        for row in &mut self.rows {
            row.errors = row.issues.iter().map(|e| e.for_reader(reader)).collect();
        }
        self
    }
}

/// Check (and with `confirm`, carry out) the import of `file` into SME `sme_id`.
pub async fn import(
    db: &Db,
    hasher: &password::Hasher,
    mailer: &Mailer,
    inviter: &Inviter<'_>,
    sme_id: i64,
    file: &[u8],
    confirm: bool,
) -> Result<ImportReport> {
    let scope = SmeScope::of(inviter.by);
    let sme = orgs::get_sme(db, scope, sme_id).await?;
    let rows = roster::parse(file).map_err(|e| Error::invalid(&e.field, e.msg))?;
    let mut report = ImportReport {
        sme_id,
        sme_name: sme.name,
        confirmed: false,
        rows: Vec::with_capacity(rows.len()),
        new: 0,
        existing: 0,
        unavailable: 0,
        errors: 0,
        invited: 0,
    };
    let emails: Vec<String> = rows
        .iter()
        .filter_map(|r| orgs::normalize_email(&r.email))
        .collect();
    let holders: HashMap<String, User> = orgs::users_by_email(db, &emails)
        .await?
        .into_iter()
        .map(|u| (u.email.clone(), u))
        .collect();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for row in rows {
        let checked = check_row(db, scope, sme_id, inviter.by, &row, &holders, &mut seen).await?;
        report.rows.push(checked);
    }
    count(&mut report);
    if !confirm {
        return Ok(report);
    }
    if report.errors > 0 {
        let errors = report
            .rows
            .iter()
            .flat_map(|r| {
                r.issues.iter().map(|e| {
                    FieldError::new(format!("line {}: {}", r.line, e.field), e.msg.clone())
                })
            })
            .collect();
        Error::check(errors)?;
    }
    // One hash of a password nobody knows serves every new account (it is never used: each
    // person chooses their own through the link).
    let unknown = hasher.hash(random_token(40)).await?;
    for row in report
        .rows
        .iter_mut()
        .filter(|r| r.status == RowStatus::New)
    {
        invite_row(db, mailer, inviter, scope, sme_id, row, &unknown).await?;
    }
    report.confirmed = true;
    count(&mut report);
    Ok(report)
}

fn count(report: &mut ImportReport) {
    let n = |s: RowStatus| report.rows.iter().filter(|r| r.status == s).count();
    report.invited = n(RowStatus::Invited);
    report.new = n(RowStatus::New) + report.invited;
    report.existing = n(RowStatus::Exists);
    report.unavailable = n(RowStatus::Unavailable);
    report.errors = n(RowStatus::Error);
}

fn account(sme_id: i64, row: &ImportRow) -> NewAccount {
    NewAccount {
        email: row.email.clone(),
        name: row.name.clone(),
        role: Role::Learner.as_str().to_string(),
        password: String::new(),
        sme_id: Some(sme_id),
        partner_id: None,
        locale: Some(row.locale.clone()),
        time_zone: Some(row.time_zone.clone()),
    }
}

/// One row's fate, without writing anything: language and zone default to the coordinator's;
/// an address seen earlier in the file, or held by an account, is not invited again.
async fn check_row(
    db: &Db,
    scope: SmeScope,
    sme_id: i64,
    me: &CurrentUser,
    row: &Row,
    holders: &HashMap<String, User>,
    seen: &mut HashMap<String, u64>,
) -> Result<ImportRow> {
    let mut errors = Vec::new();
    let locale = if row.language.is_empty() {
        me.locale.clone()
    } else {
        match roster::language(&row.language) {
            Some(l) => l.code().to_string(),
            None => {
                errors.push(FieldError::new(
                    "language",
                    msg!(
                        "roster.language",
                        given = row.language.as_str(),
                        codes = crate::lang::Lang::codes()
                    ),
                ));
                row.language.clone()
            }
        }
    };
    let time_zone = if row.time_zone.is_empty() {
        me.time_zone.clone()
    } else {
        row.time_zone.clone()
    };
    let mut out = ImportRow {
        line: row.line,
        name: row.name.clone(),
        email: row.email.clone(),
        locale,
        time_zone,
        status: RowStatus::New,
        errors: Vec::new(),
        issues: Vec::new(),
        user_id: None,
    };
    let email = orgs::normalize_email(&row.email);
    if let Some(email) = &email {
        out.email = email.clone();
        if let Some(first) = seen.get(email) {
            errors.push(FieldError::new(
                "email",
                msg!("roster.duplicate", line = *first),
            ));
        } else {
            seen.insert(email.clone(), row.line);
        }
        if errors.is_empty() {
            if let Some(holder) = holders.get(email) {
                out.user_id = Some(holder.id);
                out.status = if holder.sme_id == Some(sme_id) {
                    RowStatus::Exists
                } else {
                    out.user_id = (scope == SmeScope::All).then_some(holder.id);
                    RowStatus::Unavailable
                };
                return Ok(out);
            }
        }
    }
    // Every check of a new account (the password's aside), as `POST /api/invitations` makes;
    // a language already refused above is not refused twice.
    let mut probe = account(sme_id, &out);
    if !errors.is_empty() {
        probe.locale = Some(me.locale.clone());
    }
    match orgs::check_invitee(db, scope, probe, "").await {
        Ok(_) => {}
        Err(Error::Validation { errors: found, .. }) => {
            errors.extend(found.into_iter().map(|e| match e.field.as_str() {
                "locale" => FieldError::new("language", e.msg),
                _ => e,
            }))
        }
        Err(e) => return Err(e),
    }
    if !errors.is_empty() {
        out.status = RowStatus::Error;
        out.issues = errors;
    }
    Ok(out)
}

/// Create one person's account and queue their invitation, in one transaction. An address
/// taken in the meantime (the same file confirmed twice at once) is reported, not doubled.
async fn invite_row(
    db: &Db,
    mailer: &Mailer,
    inviter: &Inviter<'_>,
    scope: SmeScope,
    sme_id: i64,
    row: &mut ImportRow,
    unknown_hash: &str,
) -> Result<()> {
    let checked = match orgs::check_invitee(db, scope, account(sme_id, row), unknown_hash).await {
        Ok(c) => c,
        Err(Error::Validation { errors, .. }) => {
            row.status = RowStatus::Error;
            row.issues = errors;
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    let mut tx = db.begin().await.context("starting an invitation")?;
    let user = match orgs::insert_checked(&mut tx, &checked, Some(crate::clock::now())).await {
        Ok(u) => u,
        Err(Error::Conflict(_)) => {
            row.status = RowStatus::Exists;
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    links::send_invitation(db, mailer, inviter, &user, Some(&mut tx)).await?;
    tx.commit().await.context("saving an invitation")?;
    row.user_id = Some(user.id);
    row.status = RowStatus::Invited;
    Ok(())
}

//! `academy demo`: a realistic hub to click through on first start.
//!
//! Idempotent: partners, SMEs and users are created once; every run sets one new password
//! for all demo accounts and prints it with the logins.

use std::collections::BTreeMap;

use crate::auth::{password, Role};
use crate::crypto::random_token;
use crate::db::AnyDbPool;
use crate::error::Result;
use crate::orgs::{self, NewSme, NewUser, SmeScope};
use sqlx::AnyPool;

pub struct Login {
    pub email: String,
    pub role: Role,
    pub name: String,
    pub detail: String,
}

/// What the seed created, for later seeding steps (slots, completions).
pub struct Demo {
    pub password: String,
    pub logins: Vec<Login>,
    /// user ids by email
    pub users: BTreeMap<String, i64>,
    /// SME ids by name
    pub smes: BTreeMap<String, i64>,
    /// Advisors' slots and bookings.
    pub bookings: crate::bookings::demo::Seeded,
}

const PARTNERS: [(&str, &str, &str); 3] = [
    ("Bioval Cluster", "ES", "Comunitat Valenciana"),
    ("BioNorte Portugal", "PT", "Norte"),
    ("Andalucía BioHub", "ES", "Andalucía"),
];

/// (name, country, region, sector, partner index)
const SMES: [(&str, &str, &str, &str, usize); 6] = [
    (
        "Xenogen Diagnósticos SL",
        "ES",
        "Comunitat Valenciana",
        "In vitro diagnostics",
        0,
    ),
    (
        "Marea Peptides SL",
        "ES",
        "Comunitat Valenciana",
        "Peptide therapeutics",
        0,
    ),
    ("CélulaViva Lda", "PT", "Norte", "Cell therapy", 1),
    (
        "Algatec Biotecnologia Lda",
        "PT",
        "Centro",
        "Marine biotechnology",
        1,
    ),
    (
        "Olivia Agrobiotech SL",
        "ES",
        "Andalucía",
        "Agri-food biotech",
        2,
    ),
    (
        "Hispalis Bioprocess SL",
        "ES",
        "Andalucía",
        "CDMO / bioprocessing",
        2,
    ),
];

/// (email, name, role, sme index, partner index, locale, time zone)
type DemoUser = (
    &'static str,
    &'static str,
    Role,
    Option<usize>,
    Option<usize>,
    &'static str,
    &'static str,
);
const USERS: [DemoUser; 12] = [
    (
        "admin@iberobio.example",
        "Hub Administrator",
        Role::Admin,
        None,
        None,
        "en",
        "Europe/Madrid",
    ),
    (
        "coord.bioval@iberobio.example",
        "Lucía Martínez Ferrer",
        Role::Coordinator,
        None,
        Some(0),
        "es",
        "Europe/Madrid",
    ),
    (
        "coord.bionorte@iberobio.example",
        "Rui Carvalho",
        Role::Coordinator,
        None,
        Some(1),
        "pt",
        "Europe/Lisbon",
    ),
    (
        "coord.andalucia@iberobio.example",
        "Carmen Ortega Ruiz",
        Role::Coordinator,
        None,
        Some(2),
        "es",
        "Europe/Madrid",
    ),
    (
        "advisor.markets@iberobio.example",
        "Javier Iglesias",
        Role::Advisor,
        None,
        None,
        "es",
        "Europe/Madrid",
    ),
    (
        "advisor.finance@iberobio.example",
        "Inês Sousa",
        Role::Advisor,
        None,
        None,
        "pt",
        "Europe/Lisbon",
    ),
    (
        "advisor.ip@iberobio.example",
        "Marta Quintana",
        Role::Advisor,
        None,
        None,
        "es",
        "Atlantic/Canary",
    ),
    (
        "uxia@xenogen.example",
        "Uxía Fernández Castro",
        Role::Learner,
        Some(0),
        None,
        "es",
        "Europe/Madrid",
    ),
    (
        "begona@mareapeptides.example",
        "Begoña Núñez Ibáñez",
        Role::Learner,
        Some(1),
        None,
        "es",
        "Europe/Madrid",
    ),
    (
        "joao@celulaviva.example",
        "João Gonçalves",
        Role::Learner,
        Some(2),
        None,
        "pt",
        "Europe/Lisbon",
    ),
    (
        "conceicao@algatec.example",
        "Conceição Araújo",
        Role::Learner,
        Some(3),
        None,
        "pt",
        "Europe/Lisbon",
    ),
    (
        "emma@olivia-agro.example",
        "Emma Walsh",
        Role::Learner,
        Some(4),
        None,
        "en",
        "Europe/Madrid",
    ),
];

pub async fn seed(db: &AnyDbPool) -> Result<Demo> {
    let pool = &db.pool;
    let partner_ids = seed_partners(pool).await?;
    let smes = seed_smes(pool, &partner_ids).await?;
    let sme_ids: Vec<i64> = SMES.iter().map(|s| smes[s.0]).collect();
    let password = format!("demo-{}", random_token(12));
    let hash = password::hash(password.clone()).await?;
    let mut users = BTreeMap::new();
    let mut logins = Vec::new();
    for user in USERS {
        let (email, name, role, sme, partner, _, tz) = user;
        let id = seed_user(pool, &user, &sme_ids, &partner_ids, &hash).await?;
        users.insert(email.to_string(), id);
        let detail = match (sme, partner) {
            (Some(i), _) => SMES[i].0.to_string(),
            (_, Some(i)) => PARTNERS[i].0.to_string(),
            _ => tz.to_string(),
        };
        logins.push(Login {
            email: email.into(),
            role,
            name: name.into(),
            detail,
        });
    }
    let bookings = crate::bookings::demo::seed(pool, &users).await?;
    // Completed courses and certificates, so coordinators see a living dashboard.
    let certs = crate::progress::demo::seed(pool, &users).await?;
    tracing::info!(
        enrolments = certs.enrolments,
        certificates = certs.certificates,
        "demo completions and certificates"
    );
    Ok(Demo {
        password,
        logins,
        users,
        smes,
        bookings,
    })
}

/// The partners, created once: their ids in the order of [`PARTNERS`].
async fn seed_partners(pool: &AnyPool) -> Result<Vec<i64>> {
    let existing = orgs::list_partners(pool).await?;
    let mut ids = Vec::new();
    for (name, country, region) in PARTNERS {
        let id = match existing.iter().find(|p| p.name == name) {
            Some(p) => p.id,
            None => orgs::insert_partner(pool, name, country, region).await?.id,
        };
        ids.push(id);
    }
    Ok(ids)
}

/// The SMEs, created once: ids by name.
async fn seed_smes(pool: &AnyPool, partner_ids: &[i64]) -> Result<BTreeMap<String, i64>> {
    let existing = orgs::list_smes(pool, SmeScope::All).await?;
    let mut smes = BTreeMap::new();
    for (name, country, region, sector, partner) in SMES {
        let id = match existing.iter().find(|s| s.name == name) {
            Some(s) => s.id,
            None => {
                let sme = NewSme {
                    name,
                    country,
                    region,
                    sector,
                    partner_id: partner_ids[partner],
                };
                orgs::insert_sme(pool, &sme).await?.id
            }
        };
        smes.insert(name.to_string(), id);
    }
    Ok(smes)
}

/// One demo account, created once; its password is set to this run's every time.
async fn seed_user(
    pool: &AnyPool,
    user: &DemoUser,
    sme_ids: &[i64],
    partner_ids: &[i64],
    hash: &str,
) -> Result<i64> {
    let &(email, name, role, sme, partner, locale, time_zone) = user;
    let id = match orgs::login_lookup(pool, email).await? {
        Some((u, _)) => u.id,
        None => {
            let new = NewUser {
                email,
                name,
                role,
                sme_id: sme.map(|i| sme_ids[i]),
                partner_id: partner
                    .map(|i| partner_ids[i])
                    .or_else(|| sme.map(|i| partner_ids[SMES[i].4])),
                locale,
                time_zone,
                password_hash: hash,
                invited_at: None,
            };
            orgs::insert_user(pool, &new).await?.id
        }
    };
    orgs::set_password_hash(pool, id, hash).await?;
    Ok(id)
}

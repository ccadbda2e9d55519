//! Integration tests through the real app builder, one fresh database per test.

mod common;

mod accounts;
mod advisory_hours;
mod auth;
mod authz_matrix;
mod bookings;
mod browser_session;
mod calendar_feeds;
mod certificates;
mod concurrency;
mod courses;
mod credentials;
mod foundation;
mod hostile_input;
mod languages;
mod mail;
mod materials;
mod messages;
mod onboarding;
mod orgs;
mod progress;
mod quizzes;
mod reports;
mod reschedule;
mod storage;
mod tokens;
mod transport;
mod waitlist;
mod workdays;
mod xapi;

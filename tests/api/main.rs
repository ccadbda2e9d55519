//! Integration tests through the real app builder, one fresh database per test.

mod common;

mod auth;
mod bookings;
mod certificates;
mod courses;
mod foundation;
mod materials;
mod orgs;
mod progress;
mod quizzes;
mod reports;
mod storage;

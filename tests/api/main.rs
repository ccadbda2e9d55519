//! Integration tests through the real app builder, one fresh database per test.

mod common;

mod auth;
mod courses;
mod bookings;
mod foundation;
mod materials;
mod orgs;
mod progress;
mod quizzes;
mod storage;

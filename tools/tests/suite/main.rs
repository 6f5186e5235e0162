//! All of this crate's integration tests in one binary: one link instead of one per file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod fakes;

mod ag;
mod brouillons;
mod documents;
mod invitation;
mod money;
mod outbox;
mod rapport_documents;
mod read_tools;
mod record_payment;
mod send_relance;

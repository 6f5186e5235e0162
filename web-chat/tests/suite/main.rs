//! All of this crate's integration tests in one binary: one link instead of one per file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod fakes;

mod bots;
mod browser;
mod cli;
mod fakes_selftest;
mod invoices;
mod relance;
mod server;

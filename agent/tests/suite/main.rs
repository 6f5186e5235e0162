//! All of this crate's integration tests in one binary: one link instead of one per file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod engine;
mod llm;
mod router;

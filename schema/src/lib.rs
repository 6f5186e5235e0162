//! Wakil's domain types and PostgreSQL store.
//!
//! Architecture invariant: this is the only crate that writes SQL. Every query of the product is a
//! function of [`store`]; callers get typed rows, never a connection. Tenant data is read through
//! a [`store::Tenant`] transaction, which sets the syndic for PostgreSQL's row-level security.

pub mod ag;
pub mod database;
pub mod decoupage;
pub mod embedded;
pub mod fold;
pub mod money;
pub mod seed;
pub mod store;
pub mod types;

pub use store::{Store, StoreError};
pub use types::*;

#[cfg(feature = "test-support")]
pub mod testing;

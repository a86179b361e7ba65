//! The part of every generated API crate that is the same for every API: schema checks
//! ([`validate`]), reading and writing the generated structs ([`object`]), the async
//! client's plumbing ([`client`], cargo feature `client`) and the axum server's
//! ([`server`], cargo feature `server`).
//!
//! A generated crate re-exports these modules where its users expect them
//! (`validate`, `client::runtime`, `server::runtime`), so two generated crates share one
//! `Secret`, `Upload`, `Rejection`. The per-API code calls into it by path; nothing here
//! knows any API.

pub mod form;
pub mod media;
pub mod object;
pub mod security;
pub mod status;
pub mod validate;

#[cfg(feature = "client")]
pub mod client;

#[cfg(feature = "server")]
pub mod server;

//! Multisite Webhooks: the delivery engine of a WordPress multisite webhook plugin.
//!
//! Events are accepted in microseconds into a durable spool on local disk ([`spool`]), then
//! delivered by one leader process per spool ([`worker`]) with Standard Webhooks signatures
//! ([`signing`]), retries ([`retry`]), an SSRF guard ([`ssrf`]) and a journal of every attempt
//! ([`results`]). [`engine`] ties them together; `ffi` is the C ABI that PHP loads. The
//! modules public here are the ones the tests, fuzzers and tools outside the crate use.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod clock;
pub mod config;
pub(crate) mod delivery;
pub mod engine;
pub(crate) mod error;
pub mod results;
pub(crate) mod retry;
pub mod settings;
pub mod signing;
pub mod spool;
pub(crate) mod ssrf;
pub(crate) mod worker;

#[allow(unsafe_code, reason = "the C ABI and the OS calls: the crate's only unsafe, each block with its SAFETY line")]
#[allow(
    clippy::not_unsafe_ptr_arg_deref,
    reason = "C callers cannot honour Rust's unsafe; each export checks its pointers for NULL and documents what it borrows"
)]
pub mod ffi;

#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;

pub use engine::Engine;
pub use error::{Error, Result};
pub use worker::WORKER_RESTART_GRACE_MS;

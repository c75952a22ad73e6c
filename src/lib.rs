//! Multisite Webhooks: the delivery engine of a WordPress multisite webhook plugin.
//!
//! Events are accepted in microseconds into a durable spool on local disk ([`spool`]), then
//! delivered by one leader process per spool ([`worker`]) with Standard Webhooks signatures
//! ([`signing`]), retries ([`retry`]), an SSRF guard ([`ssrf`]) and a journal of every attempt
//! ([`results`]). [`engine`] ties them together; `ffi` is the C ABI that PHP loads.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod clock;
pub mod config;
pub mod delivery;
pub mod engine;
pub mod error;
pub mod results;
pub mod retry;
pub mod settings;
pub mod signing;
pub mod spool;
pub mod ssrf;
pub mod worker;

#[allow(unsafe_code)]
pub mod ffi;

#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;

pub use engine::Engine;
pub use error::{Error, Result};

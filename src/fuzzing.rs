//! Entry points for the fuzz targets in `fuzz/`: checks and readers that are private to the
//! engine, reached here without a running engine. Built only with the `fuzzing` feature; not
//! part of the API.

use std::path::Path;

use crate::error::Result;

/// The checks `emit`, `redeliver` and `send_test` apply to a payload, with `limit` as
/// `max_payload_bytes`.
pub fn check_payload(payload: &[u8], limit: usize) -> Result<()> {
    crate::engine::check_payload(payload, limit)
}

/// How many (record, endpoint) states the state log at `path` holds, read as the delivering
/// process reads it when it picks up a segment after a restart.
pub fn state_count(path: &Path) -> usize {
    crate::worker::state_count(path)
}

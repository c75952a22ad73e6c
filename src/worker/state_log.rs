//! A segment's state log (`<segment>.state`): one framed entry per change of a delivery's
//! state, so a new leader knows which deliveries of a segment are done, and when the others
//! are due.

use std::collections::HashMap;
use std::path::Path;

use super::scheduler::{Job, Known, StateKind};
use crate::spool::{
    self,
    frame::{self, Cursor},
};

/// The entry recording that `job` is now `kind` (due at `due` while retrying).
pub fn encode(job: &Job, kind: StateKind, due: i64) -> Vec<u8> {
    let mut b = Vec::with_capacity(23);
    b.extend_from_slice(&job.off.to_le_bytes());
    b.extend_from_slice(&job.endpoint.to_le_bytes());
    b.extend_from_slice(&job.attempts.to_le_bytes());
    b.push(kind as u8);
    b.extend_from_slice(&due.to_le_bytes());
    frame::encode(&b)
}

/// Reads a segment's state log: the last known state of each (record, endpoint). Stops at the
/// first torn or damaged entry; what follows it is delivered again (at least once).
pub fn load(path: &Path) -> HashMap<(u32, u64), Known> {
    let mut m = HashMap::new();
    let Some(buf) = spool::read_opt(path) else { return m };
    let mut pos = 0;
    while let frame::Next::Record(body, used) = frame::next(&buf[pos..]) {
        pos += used;
        let mut c = Cursor::new(body);
        let (Some(off), Some(ep), Some(att), Some(kind), Some(due)) = (c.u32(), c.u64(), c.u16(), c.u8(), c.i64())
        else {
            continue;
        };
        let kind = match kind {
            1 => StateKind::Retrying,
            2 => StateKind::Delivered,
            3 => StateKind::Failed,
            _ => StateKind::Cancelled,
        };
        m.insert((off, ep), (att, kind, due));
    }
    m
}

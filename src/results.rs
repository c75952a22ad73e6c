//! The results journal: finished attempts, appended by the leader, taken by any process.
//!
//! Files `results/<seq>.res` hold framed JSON objects; `results/cursor` says how far they
//! have been taken. Taking is at-least-once (a crash between reading and moving the cursor
//! hands the same results out again), so every result carries a unique `attempt_id`.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::error::{Error, Result};
use crate::spool::frame::{self, Next};
use crate::spool::{replace_private, segment, Spool};

/// A results file is rotated past this size.
const ROTATE_BYTES: u64 = 4 << 20;

/// One finished attempt, as handed to the plugin.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttemptResult {
    /// Unique per attempt (`att_…`).
    pub attempt_id: String,
    /// The event id (`webhook-id`).
    pub event_id: String,
    /// The webhook's id.
    pub endpoint_id: u64,
    /// Event slug.
    pub event: String,
    /// 1-based attempt number (0 for a cancellation before any attempt).
    pub attempt: u32,
    /// Whether this delivery was asked for by `redeliver`.
    pub redelivery: bool,
    /// Whether this was a test send.
    pub test: bool,
    /// The URL attempted.
    pub url: String,
    /// When the event was accepted (ms since the epoch).
    pub event_timestamp: i64,
    /// When the attempt started (ms since the epoch).
    pub started_at: i64,
    /// Wall time of the attempt.
    pub duration_ms: u64,
    /// `delivered`, `retrying`, `failed` (no more attempts) or `cancelled`.
    pub outcome: String,
    /// HTTP status, if a response came back.
    pub status: Option<u16>,
    /// Reason phrase of the status.
    pub reason: Option<String>,
    /// Network error, or why the response counts as a failure.
    pub error: Option<String>,
    /// When the next attempt is due (ms), for `retrying`.
    pub next_attempt_at: Option<i64>,
    /// Set when this attempt made the engine disable the endpoint: why.
    pub endpoint_disabled: Option<String>,
    /// Request headers sent.
    pub request_headers: BTreeMap<String, String>,
    /// Response headers received.
    pub response_headers: BTreeMap<String, String>,
    /// Response body excerpt (at most 20 KB).
    pub response_excerpt: String,
    /// Whether the response body was longer than the excerpt.
    pub response_truncated: bool,
    /// The event payload as given, on the first attempt of a delivery only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<Box<RawValue>>,
}

/// Folds headers into a map (repeated names joined with ", ").
pub fn header_map(h: &[(String, String)]) -> BTreeMap<String, String> {
    let mut m: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in h {
        m.entry(k.clone()).and_modify(|old| {
            old.push_str(", ");
            old.push_str(v);
        }).or_insert_with(|| v.clone());
    }
    m
}

fn file_name(seq: u64) -> String {
    format!("{seq:012}.res")
}

fn list(dir: &Path) -> Vec<u64> {
    let mut v: Vec<u64> = fs::read_dir(dir).map(|rd| {
        rd.flatten().filter_map(|e| e.file_name().to_str()?.strip_suffix(".res")?.parse().ok()).collect()
    }).unwrap_or_default();
    v.sort_unstable();
    v
}

/// The leader's appending side.
#[derive(Debug)]
pub struct ResultsWriter {
    dir: PathBuf,
    file: File,
    seq: u64,
    len: u64,
    max_bytes: u64,
    buf: Vec<u8>,
    /// Results dropped because nobody took them before the cap was reached.
    pub dropped_files: u64,
}

impl ResultsWriter {
    /// Starts a new results file after the newest existing one.
    pub fn open(spool: &Spool, max_bytes: u64) -> Result<ResultsWriter> {
        let seq = list(&spool.results).last().map_or(1, |s| s + 1);
        let path = spool.results.join(file_name(seq));
        let file = segment::open_append(&path, true).map_err(|e| Error::spool(format!("creating {}", path.display()), e))?;
        Ok(ResultsWriter { dir: spool.results.clone(), file, seq, len: 0, max_bytes, buf: Vec::new(), dropped_files: 0 })
    }

    /// Adds one result; it reaches the file at the next `flush` (or once 1 MiB is waiting).
    pub fn append(&mut self, r: &AttemptResult) -> Result<()> {
        let body = serde_json::to_vec(r).map_err(|e| Error::Json(e.to_string()))?;
        self.buf.extend_from_slice(&frame::encode(&body));
        if self.buf.len() >= 1 << 20 {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes what `append` gathered, in one write.
    pub fn flush(&mut self) -> Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let res = self.file.write_all(&self.buf);
        if let Err(e) = res {
            let _ = self.file.set_len(self.len);
            self.buf.clear();
            return Err(Error::spool("writing results", e));
        }
        self.len += self.buf.len() as u64;
        self.buf.clear();
        if self.len >= ROTATE_BYTES {
            self.rotate()?;
        }
        Ok(())
    }

    fn rotate(&mut self) -> Result<()> {
        let seq = self.seq + 1;
        let path = self.dir.join(file_name(seq));
        self.file = segment::open_append(&path, true).map_err(|e| Error::spool(format!("creating {}", path.display()), e))?;
        self.seq = seq;
        self.len = 0;
        // Keep the untaken results under the cap: drop the oldest files first.
        let mut files = list(&self.dir);
        let mut total: u64 = files.iter().filter_map(|s| fs::metadata(self.dir.join(file_name(*s))).ok()).map(|m| m.len()).sum();
        files.retain(|s| *s != self.seq);
        for old in files {
            if total <= self.max_bytes {
                break;
            }
            let p = self.dir.join(file_name(old));
            total = total.saturating_sub(fs::metadata(&p).map(|m| m.len()).unwrap_or(0));
            if fs::remove_file(&p).is_ok() {
                self.dropped_files += 1;
            }
        }
        Ok(())
    }
}

#[derive(Debug, Serialize, Deserialize, Default)]
struct Cursor {
    seq: u64,
    offset: u64,
}

/// Takes up to `max` results not taken before, as a JSON array. Any process may call it;
/// takers are serialised by a lock.
pub fn take(spool: &Spool, max: usize) -> Result<String> {
    let lock = segment::open_append(&spool.results.join("take.lock"), false).map_err(|e| Error::spool("opening results/take.lock", e))?;
    lock.lock().map_err(|e| Error::spool("locking results/take.lock", e))?;
    let cursor_path = spool.results.join("cursor");
    let mut cur: Cursor = segment::read_all(&cursor_path).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
    let taken_from = (cur.seq, cur.offset);
    let files = list(&spool.results);
    let newest = files.last().copied().unwrap_or(0);
    let mut out = String::from("[");
    let mut n = 0usize;
    let start = cur.seq;
    for seq in files.into_iter().filter(|s| *s >= start) {
        if seq != cur.seq {
            cur = Cursor { seq, offset: 0 };
        }
        let path = spool.results.join(file_name(seq));
        let Ok(buf) = segment::read_all(&path) else { continue };
        let mut pos = cur.offset as usize;
        while n < max && pos < buf.len() {
            match frame::next(&buf[pos..]) {
                Next::Record(body, used) => {
                    if let Some(s) = result_object(body) {
                        if n > 0 {
                            out.push(',');
                        }
                        out.push_str(s);
                        n += 1;
                    }
                    pos += used;
                }
                Next::Incomplete | Next::Corrupt if seq != newest => {
                    // The writer moved on: what is left here never completes.
                    pos = buf.len();
                }
                Next::Incomplete | Next::Corrupt => break,
            }
        }
        cur.offset = pos as u64;
        if n >= max {
            break;
        }
        if seq != newest && pos >= buf.len() {
            let _ = fs::remove_file(&path);
        }
    }
    out.push(']');
    if (cur.seq, cur.offset) != taken_from {
        let bytes = serde_json::to_vec(&cur).map_err(|e| Error::Json(e.to_string()))?;
        replace_private(&cursor_path, &bytes).map_err(|e| Error::spool("writing results/cursor", e))?;
    }
    Ok(out)
}

/// `body` as the text of one result object, or `None` if it is not one. A frame can be whole
/// and still not be a result: a zero-filled tail (what some file systems leave after a power
/// loss) reads as empty frames with a valid checksum. Those are skipped, so the array handed
/// out stays valid JSON.
fn result_object(body: &[u8]) -> Option<&str> {
    let s = std::str::from_utf8(body).ok()?;
    if !s.trim_start().starts_with('{') {
        return None;
    }
    serde_json::from_str::<serde::de::IgnoredAny>(s).ok()?;
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(i: u32) -> AttemptResult {
        AttemptResult { attempt_id: format!("att_{i}"), event_id: "msg_1".into(), endpoint_id: 1, event: "e".into(),
            attempt: i, redelivery: false, test: false, url: "http://x".into(), event_timestamp: 0, started_at: 0,
            duration_ms: 1, outcome: "retrying".into(), status: Some(500), reason: None, error: None,
            next_attempt_at: Some(5), endpoint_disabled: None, request_headers: BTreeMap::new(),
            response_headers: BTreeMap::new(), response_excerpt: String::new(), response_truncated: false, payload: None }
    }

    #[test]
    fn taken_once_in_order_across_rotation() {
        let dir = crate::spool::segment::tests::tempdir();
        let spool = Spool::open(&dir).unwrap();
        let mut w = ResultsWriter::open(&spool, 1 << 30).unwrap();
        for i in 0..5 { w.append(&result(i)).unwrap(); }
        w.flush().unwrap();
        w.rotate().unwrap();
        for i in 5..8 { w.append(&result(i)).unwrap(); }
        w.flush().unwrap();
        let parse = |s: String| -> Vec<u32> { serde_json::from_str::<Vec<AttemptResult>>(&s).unwrap().iter().map(|r| r.attempt).collect() };
        assert_eq!(parse(take(&spool, 3).unwrap()), vec![0, 1, 2]);
        assert_eq!(parse(take(&spool, 100).unwrap()), vec![3, 4, 5, 6, 7]);
        assert_eq!(parse(take(&spool, 100).unwrap()), Vec::<u32>::new());
        w.append(&result(8)).unwrap();
        assert_eq!(parse(take(&spool, 100).unwrap()), Vec::<u32>::new(), "nothing before the flush");
        w.flush().unwrap();
        assert_eq!(parse(take(&spool, 100).unwrap()), vec![8]);
        assert_eq!(list(&spool.results).len(), 1, "fully taken old files are removed");
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn frames_that_are_not_results_are_skipped_and_the_answer_stays_json() {
        let dir = crate::spool::segment::tests::tempdir();
        let spool = Spool::open(&dir).unwrap();
        let mut w = ResultsWriter::open(&spool, 1 << 30).unwrap();
        w.append(&result(1)).unwrap();
        w.flush().unwrap();
        // A zero-filled stretch reads as empty frames with a valid checksum; a frame may also
        // hold text that is not a result object.
        let mut f = segment::open_append(&spool.results.join(file_name(w.seq)), false).unwrap();
        f.write_all(&[0u8; 24]).unwrap();
        for junk in [&b"not json"[..], b"[1,2]", b"{\"a\":", b"{} {}", b"\xff{}"] {
            f.write_all(&frame::encode(junk)).unwrap();
        }
        w.append(&result(2)).unwrap();
        w.flush().unwrap();
        let out = take(&spool, 100).unwrap();
        let got: Vec<AttemptResult> = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
        assert_eq!(got.iter().map(|r| r.attempt).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(take(&spool, 100).unwrap(), "[]");
        let _ = fs::remove_dir_all(dir);
    }
}

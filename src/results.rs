//! The results journal: finished attempts and the events they belong to, appended by the
//! leader, taken by any process.
//!
//! Files `results/<seq>.res` hold framed JSON objects in the order they happened: one event
//! entry per event fanned out (`event_id`, `event`, `timestamp`, and `payload`, the accepted
//! bytes as a JSON string) before the results of its attempts (`attempt_id`, …).
//! `results/cursor` says how far they have been acknowledged; `results/dropped` counts the
//! entries dropped untaken at the `results_max_bytes` cap.
//!
//! Taking reads from the cursor without moving it and hands out a token; acknowledging the
//! token moves the cursor. A taker that dies between the two gets the same entries again
//! (at-least-once), so every attempt carries a unique `attempt_id` and every event entry its
//! `event_id`.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::spool::frame::{self, Next};
use crate::spool::{replace_private, segment, Spool};

/// A results file is rotated past this size.
const ROTATE_BYTES: u64 = 4 << 20;

/// Entries handed out by one take when the caller says 0.
pub const DEFAULT_MAX_RESULTS: usize = 1000;
/// Most entries one take may hand out.
pub const MAX_RESULTS: usize = 10_000;
/// Bytes one take may hand out when the caller says 0.
pub const DEFAULT_MAX_BYTES: usize = 4 << 20;
/// The smallest byte budget of a take.
pub const MIN_BYTES: usize = 64 << 10;
/// The largest byte budget of a take.
pub const MAX_BYTES: usize = 64 << 20;

/// Room kept in a take's byte budget for what is not an entry (brackets, token, counts).
const ANSWER_OVERHEAD: usize = 160;

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
    /// What went wrong as a machine name ([`crate::delivery::Outcome::error_kind`]); `None`
    /// for a 2xx whose body was read.
    pub error_kind: Option<String>,
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
}

/// One event, journaled once when the leader fans it out: what the plugin shows as the payload
/// of each of its attempts.
#[derive(Debug, Clone, Serialize)]
pub struct EventEntry<'a> {
    /// The event id (`webhook-id`).
    pub event_id: &'a str,
    /// Event slug.
    pub event: &'a str,
    /// When it was accepted (ms since the epoch).
    pub timestamp: i64,
    /// The payload's exact bytes, as a JSON string (decoding it gives back the same text).
    pub payload: &'a str,
}

/// Folds headers into a map (repeated names joined with ", ").
pub fn header_map(h: &[(String, String)]) -> BTreeMap<String, String> {
    let mut m: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in h {
        m.entry(k.clone())
            .and_modify(|old| {
                old.push_str(", ");
                old.push_str(v);
            })
            .or_insert_with(|| v.clone());
    }
    m
}

fn file_name(seq: u64) -> String {
    format!("{seq:012}.res")
}

fn list(dir: &Path) -> Vec<u64> {
    let mut v: Vec<u64> = fs::read_dir(dir)
        .map(|rd| rd.flatten().filter_map(|e| e.file_name().to_str()?.strip_suffix(".res")?.parse().ok()).collect())
        .unwrap_or_default();
    v.sort_unstable();
    v
}

/// How many entries were dropped untaken at the cap, since the spool was created.
pub fn dropped(spool: &Spool) -> u64 {
    segment::read_all(&spool.results.join("dropped"))
        .ok()
        .and_then(|b| std::str::from_utf8(&b).ok()?.trim().parse().ok())
        .unwrap_or(0)
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
    /// Entries dropped because nobody took them before the cap was reached (all leaders).
    pub dropped: u64,
}

impl ResultsWriter {
    /// Starts a new results file after the newest existing one.
    pub fn open(spool: &Spool, max_bytes: u64) -> Result<ResultsWriter> {
        let seq = list(&spool.results).last().map_or(1, |s| s + 1);
        let path = spool.results.join(file_name(seq));
        let file =
            segment::open_append(&path, true).map_err(|e| Error::spool(format!("creating {}", path.display()), e))?;
        Ok(ResultsWriter {
            dir: spool.results.clone(),
            file,
            seq,
            len: 0,
            max_bytes,
            buf: Vec::new(),
            dropped: dropped(spool),
        })
    }

    /// Adds one attempt result; it reaches the file at the next `flush` (or once 1 MiB is waiting).
    pub fn append(&mut self, r: &AttemptResult) -> Result<()> {
        self.append_json(r)
    }

    /// Adds one event entry, as [`ResultsWriter::append`].
    pub fn append_event(&mut self, e: &EventEntry<'_>) -> Result<()> {
        self.append_json(e)
    }

    fn append_json(&mut self, v: &impl Serialize) -> Result<()> {
        let body = serde_json::to_vec(v).map_err(|e| Error::Internal(format!("encoding a result: {e}")))?;
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
        self.file =
            segment::open_append(&path, true).map_err(|e| Error::spool(format!("creating {}", path.display()), e))?;
        self.seq = seq;
        self.len = 0;
        // Keep the untaken results under the cap: drop the oldest files first, counting the
        // entries in them nobody acknowledged.
        let mut files = list(&self.dir);
        let mut total: u64 =
            files.iter().filter_map(|s| fs::metadata(self.dir.join(file_name(*s))).ok()).map(|m| m.len()).sum();
        files.retain(|s| *s != self.seq);
        let cursor = read_cursor(&self.dir.join("cursor"));
        let before = self.dropped;
        for old in files {
            if total <= self.max_bytes {
                break;
            }
            let p = self.dir.join(file_name(old));
            let buf = segment::read_all(&p).unwrap_or_default();
            total = total.saturating_sub(buf.len() as u64);
            let from = match cursor.seq.cmp(&old) {
                std::cmp::Ordering::Less => 0,
                std::cmp::Ordering::Equal => cursor.offset as usize,
                std::cmp::Ordering::Greater => buf.len(),
            };
            if fs::remove_file(&p).is_ok() {
                self.dropped += count_entries(&buf, from);
            }
        }
        if self.dropped != before {
            replace_private(&self.dir.join("dropped"), self.dropped.to_string().as_bytes())
                .map_err(|e| Error::spool("writing results/dropped", e))?;
        }
        Ok(())
    }
}

/// Entries in a results file from byte `from` on.
fn count_entries(buf: &[u8], mut from: usize) -> u64 {
    let mut n = 0;
    while from < buf.len() {
        match frame::next(&buf[from..]) {
            Next::Record(body, used) => {
                n += u64::from(entry_of(body).is_some());
                from += used;
            }
            _ => break,
        }
    }
    n
}

#[derive(Debug, Serialize, Deserialize, Default, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Cursor {
    seq: u64,
    offset: u64,
}

fn read_cursor(path: &Path) -> Cursor {
    segment::read_all(path).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default()
}

/// The ack token for a position: `<seq>.<offset>.<check>`, the check guarding against a token
/// mistyped or made up.
fn token(c: Cursor) -> String {
    let pos = format!("{}.{}", c.seq, c.offset);
    format!("{pos}.{:08x}", crc32fast::hash(format!("ack:{pos}").as_bytes()))
}

fn parse_token(t: &str) -> Option<Cursor> {
    let (pos, check) = t.rsplit_once('.')?;
    let (seq, offset) = pos.split_once('.')?;
    let c = Cursor { seq: seq.parse().ok()?, offset: offset.parse().ok()? };
    (token(c) == t && check.len() == 8).then_some(c)
}

/// What a whole frame of a results file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    Event,
    Attempt,
}

#[derive(Deserialize)]
struct Probe {
    #[serde(default)]
    attempt_id: Option<IgnoredAny>,
    #[serde(default)]
    event_id: Option<IgnoredAny>,
    #[serde(default)]
    payload: Option<IgnoredAny>,
}

/// `body` as an entry and its text, or `None` if it is neither an attempt result nor an event
/// entry. A frame can be whole and still not be one: a zero-filled tail (what some file
/// systems leave after a power loss) reads as empty frames with a valid checksum. Those are
/// skipped, so the answer stays valid JSON.
fn entry_of(body: &[u8]) -> Option<(Entry, &str)> {
    let s = std::str::from_utf8(body).ok()?;
    if !s.trim_start().starts_with('{') {
        return None;
    }
    let p: Probe = serde_json::from_str(s).ok()?;
    match p {
        Probe { attempt_id: Some(_), .. } => Some((Entry::Attempt, s)),
        Probe { event_id: Some(_), payload: Some(_), .. } => Some((Entry::Event, s)),
        _ => None,
    }
}

/// Hands out the entries after the cursor, without moving it, as
/// `{"events":[…],"attempts":[…],"ack":"<token>","more":bool,"dropped":N}`: in journal order,
/// at most `max_results` of them, stopping before the entry that would take the answer over
/// `max_bytes` — but at least one when any is waiting. `more` says whether entries remain
/// after these. Any process may call it; takers are serialised by a lock.
pub fn take(spool: &Spool, max_results: usize, max_bytes: usize) -> Result<String> {
    let lock = lock_takers(spool)?;
    let start = read_cursor(&spool.results.join("cursor"));
    let files = list(&spool.results);
    let newest = files.last().copied().unwrap_or(0);
    let (mut events, mut attempts) = (String::new(), String::new());
    let (mut n, mut used, mut more) = (0usize, ANSWER_OVERHEAD, false);
    let mut upto = start;
    'files: for seq in files.into_iter().filter(|s| *s >= start.seq) {
        let path = spool.results.join(file_name(seq));
        let Ok(buf) = segment::read_all(&path) else { continue };
        let mut pos = if seq == start.seq { start.offset as usize } else { 0 };
        while pos < buf.len() {
            match frame::next(&buf[pos..]) {
                Next::Record(body, len) => {
                    if let Some((kind, text)) = entry_of(body) {
                        if n > 0 && (n >= max_results.max(1) || used + text.len() + 1 > max_bytes) {
                            more = true;
                            break 'files;
                        }
                        let list = if kind == Entry::Event { &mut events } else { &mut attempts };
                        if !list.is_empty() {
                            list.push(',');
                        }
                        list.push_str(text);
                        n += 1;
                        used += text.len() + 1;
                    }
                    pos += len;
                }
                // The writer moved on: what is left here never completes.
                Next::Incomplete | Next::Corrupt if seq != newest => pos = buf.len(),
                Next::Incomplete | Next::Corrupt => break,
            }
            upto = Cursor { seq, offset: pos as u64 };
        }
    }
    drop(lock);
    Ok(format!(
        "{{\"events\":[{events}],\"attempts\":[{attempts}],\"ack\":\"{}\",\"more\":{more},\"dropped\":{}}}",
        token(upto),
        dropped(spool)
    ))
}

/// Moves the cursor to the position of `token` (from [`take`]) if it is ahead of the cursor —
/// never backwards, so an old token is a no-op — and removes the files read to their end.
/// A token `take` did not give is [`Error::Json`].
pub fn ack(spool: &Spool, token_text: &str) -> Result<()> {
    let Some(to) = parse_token(token_text) else {
        return Err(Error::Json(format!("the ack token {token_text:?} is not one hooks_take_results gave")));
    };
    let _lock = lock_takers(spool)?;
    let cursor_path = spool.results.join("cursor");
    let cur = read_cursor(&cursor_path);
    let files = list(&spool.results);
    let newest = files.last().copied().unwrap_or(0);
    let mut upto = cur.max(to);
    if let Ok(m) = fs::metadata(spool.results.join(file_name(upto.seq))) {
        upto.offset = upto.offset.min(m.len());
    }
    if upto != cur {
        let bytes = serde_json::to_vec(&upto).map_err(|e| Error::Internal(format!("encoding the cursor: {e}")))?;
        replace_private(&cursor_path, &bytes).map_err(|e| Error::spool("writing results/cursor", e))?;
    }
    for seq in files.into_iter().filter(|s| *s <= upto.seq && *s != newest) {
        let path = spool.results.join(file_name(seq));
        let read_to_end = seq < upto.seq || fs::metadata(&path).is_ok_and(|m| upto.offset >= m.len());
        if read_to_end {
            let _ = fs::remove_file(&path);
        }
    }
    Ok(())
}

fn lock_takers(spool: &Spool) -> Result<File> {
    let lock = segment::open_append(&spool.results.join("take.lock"), false)
        .map_err(|e| Error::spool("opening results/take.lock", e))?;
    lock.lock().map_err(|e| Error::spool("locking results/take.lock", e))?;
    Ok(lock)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn result(i: u32) -> AttemptResult {
        AttemptResult {
            attempt_id: format!("att_{i}"),
            event_id: "msg_1".into(),
            endpoint_id: 1,
            event: "e".into(),
            attempt: i,
            redelivery: false,
            test: false,
            url: "http://x".into(),
            event_timestamp: 0,
            started_at: 0,
            duration_ms: 1,
            outcome: "retrying".into(),
            status: Some(500),
            reason: None,
            error: None,
            error_kind: Some("http_status".into()),
            next_attempt_at: Some(5),
            endpoint_disabled: None,
            request_headers: BTreeMap::new(),
            response_headers: BTreeMap::new(),
            response_excerpt: String::new(),
            response_truncated: false,
        }
    }

    /// Takes one batch: (attempt numbers, event ids, ack token, more, dropped).
    fn batch(spool: &Spool, max: usize, bytes: usize) -> (Vec<u64>, Vec<String>, String, bool, u64, usize) {
        let out = take(spool, max, bytes).unwrap();
        let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
        let attempts = v["attempts"].as_array().unwrap().iter().map(|r| r["attempt"].as_u64().unwrap()).collect();
        let events =
            v["events"].as_array().unwrap().iter().map(|r| r["event_id"].as_str().unwrap().to_string()).collect();
        (
            attempts,
            events,
            v["ack"].as_str().unwrap().to_string(),
            v["more"].as_bool().unwrap(),
            v["dropped"].as_u64().unwrap(),
            out.len(),
        )
    }

    fn spool(name: &str) -> (PathBuf, Spool) {
        let dir = crate::spool::segment::tests::tempdir().join(name);
        let spool = Spool::open(&dir).unwrap();
        (dir, spool)
    }

    #[test]
    fn taken_in_order_across_rotation_and_only_an_ack_moves_on() {
        let (dir, spool) = spool("order");
        let mut w = ResultsWriter::open(&spool, 1 << 30).unwrap();
        for i in 0..5 {
            w.append(&result(i)).unwrap();
        }
        w.flush().unwrap();
        w.rotate().unwrap();
        for i in 5..8 {
            w.append(&result(i)).unwrap();
        }
        w.flush().unwrap();
        let (got, _, tok, more, ..) = batch(&spool, 3, 1 << 20);
        assert_eq!((got, more), (vec![0, 1, 2], true));
        let (again, _, tok2, ..) = batch(&spool, 3, 1 << 20);
        assert_eq!(
            (again, tok2.as_str()),
            (vec![0, 1, 2], tok.as_str()),
            "taking twice without an ack gives the same entries"
        );
        ack(&spool, &tok).unwrap();
        let (got, _, tok, more, ..) = batch(&spool, 100, 1 << 20);
        assert_eq!((got, more), (vec![3, 4, 5, 6, 7], false));
        ack(&spool, &tok).unwrap();
        let (got, _, tok_empty, more, ..) = batch(&spool, 100, 1 << 20);
        assert_eq!((got, more), (vec![], false));
        ack(&spool, &tok_empty).unwrap();
        w.append(&result(8)).unwrap();
        assert_eq!(batch(&spool, 100, 1 << 20).0, Vec::<u64>::new(), "nothing before the flush");
        w.flush().unwrap();
        let (got, _, tok, ..) = batch(&spool, 100, 1 << 20);
        assert_eq!(got, vec![8]);
        assert_eq!(list(&spool.results).len(), 1, "fully acknowledged old files are removed");
        ack(&spool, &tok).unwrap();
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn an_ack_never_moves_back_and_a_made_up_token_is_refused() {
        let (dir, spool) = spool("ack");
        let mut w = ResultsWriter::open(&spool, 1 << 30).unwrap();
        for i in 0..4 {
            w.append(&result(i)).unwrap();
        }
        w.flush().unwrap();
        let (_, _, first, ..) = batch(&spool, 1, 1 << 20);
        ack(&spool, &first).unwrap();
        let (_, _, second, ..) = batch(&spool, 2, 1 << 20);
        ack(&spool, &second).unwrap();
        ack(&spool, &first).unwrap();
        assert_eq!(batch(&spool, 10, 1 << 20).0, vec![3], "the old token was a no-op");
        for bad in ["", "1.2", "1.2.3", "x.y.zzzzzzzz", "1.999999.00000000", &second.replace('.', ":")] {
            let e = ack(&spool, bad).unwrap_err();
            assert_eq!(e.kind(), "invalid_json", "{bad:?}");
            assert!(e.to_string().starts_with("json: the ack token "), "{e}");
        }
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn a_byte_budget_hands_out_entries_one_at_a_time_and_a_huge_one_still_gets_through() {
        let (dir, spool) = spool("budget");
        let mut w = ResultsWriter::open(&spool, 1 << 30).unwrap();
        let big = "x".repeat(3000);
        for i in 0..3 {
            let id = format!("msg_{i}");
            w.append_event(&EventEntry { event_id: &id, event: "e", timestamp: 1, payload: &big }).unwrap();
            w.append(&result(i)).unwrap();
        }
        let huge = "y".repeat(50_000);
        w.append_event(&EventEntry { event_id: "msg_huge", event: "e", timestamp: 1, payload: &huge }).unwrap();
        w.flush().unwrap();
        // Room for one event entry, not for an event and its attempt.
        let budget = 3400;
        let mut seen = Vec::new();
        loop {
            let (attempts, events, tok, more, _, len) = batch(&spool, 100, budget);
            assert_eq!(attempts.len() + events.len(), 1, "one entry at a time");
            assert!(len <= budget || events == ["msg_huge"], "{len} bytes over a {budget}-byte budget");
            seen.extend(events.iter().cloned());
            seen.extend(attempts.iter().map(|a| format!("att {a}")));
            ack(&spool, &tok).unwrap();
            if !more {
                break;
            }
        }
        assert_eq!(
            seen,
            ["msg_0", "att 0", "msg_1", "att 1", "msg_2", "att 2", "msg_huge"],
            "in journal order, none lost"
        );
        let (a, e, ..) = batch(&spool, 100, 1 << 20);
        assert!(a.is_empty() && e.is_empty());
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn event_entries_carry_the_payload_bytes_as_a_string() {
        let (dir, spool) = spool("event");
        let mut w = ResultsWriter::open(&spool, 1 << 30).unwrap();
        let payload = "{\"a\":{},\"b\":[],\"c\":12345678901234567890,\"d\":49.0,\"e\":\"é/\\u2028\u{2028}\"}";
        w.append_event(&EventEntry { event_id: "msg_1", event: "site_created", timestamp: 17, payload }).unwrap();
        w.flush().unwrap();
        let v: Value = serde_json::from_str(&take(&spool, 10, 1 << 20).unwrap()).unwrap();
        assert_eq!(
            v["events"],
            serde_json::json!([{"event_id": "msg_1", "event": "site_created", "timestamp": 17, "payload": payload}])
        );
        assert_eq!(v["attempts"], serde_json::json!([]));
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn entries_dropped_at_the_cap_are_counted_and_the_count_survives_a_new_writer() {
        let (dir, spool) = spool("dropped");
        // A cap of one byte: every rotation drops every older file.
        let mut w = ResultsWriter::open(&spool, 1).unwrap();
        for i in 0..5 {
            w.append(&result(i)).unwrap();
        }
        w.flush().unwrap();
        let (_, _, tok, ..) = batch(&spool, 2, 1 << 20);
        ack(&spool, &tok).unwrap();
        w.rotate().unwrap();
        assert_eq!(w.dropped, 3, "the two acknowledged are not counted");
        assert_eq!(dropped(&spool), 3);
        for i in 5..9 {
            w.append(&result(i)).unwrap();
        }
        w.flush().unwrap();
        w.rotate().unwrap();
        assert_eq!(dropped(&spool), 7);
        let (got, _, _, _, d, _) = batch(&spool, 100, 1 << 20);
        assert_eq!((got, d), (vec![], 7), "the take answer says how many were dropped");
        drop(w);
        let w = ResultsWriter::open(&spool, 1).unwrap();
        assert_eq!(w.dropped, 7, "a new leader goes on counting from there");
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn frames_that_are_not_entries_are_skipped_and_the_answer_stays_json() {
        let (dir, spool) = spool("junk");
        let mut w = ResultsWriter::open(&spool, 1 << 30).unwrap();
        w.append(&result(1)).unwrap();
        w.flush().unwrap();
        // A zero-filled stretch reads as empty frames with a valid checksum; a frame may also
        // hold text that is not an entry.
        let mut f = segment::open_append(&spool.results.join(file_name(w.seq)), false).unwrap();
        f.write_all(&[0u8; 24]).unwrap();
        for junk in [&b"not json"[..], b"[1,2]", b"{\"a\":", b"{} {}", b"\xff{}", b"{}", b"{\"event_id\":\"x\"}"] {
            f.write_all(&frame::encode(junk)).unwrap();
        }
        w.append(&result(2)).unwrap();
        w.flush().unwrap();
        let (got, events, tok, more, ..) = batch(&spool, 100, 1 << 20);
        assert_eq!((got, events, more), (vec![1, 2], vec![], false));
        ack(&spool, &tok).unwrap();
        assert_eq!(batch(&spool, 100, 1 << 20).0, Vec::<u64>::new());
        let _ = fs::remove_dir_all(dir);
    }
}

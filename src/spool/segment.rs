//! Queue segments: each process appends the events it accepts to a segment file of its own.
//!
//! The writer holds an exclusive `flock` on its segment for as long as it may append to it;
//! a reader that can take that lock knows the segment is sealed (rotated, or its writer died).

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::frame::{self, Cursor, Next};
use crate::error::{Error, Result};

/// A segment is rotated once it grows past this.
pub const ROTATE_BYTES: u64 = 8 << 20;

/// What a queue record asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A new event: deliver to every active endpoint that hears it.
    Event = 1,
    /// Deliver an existing event again to one endpoint.
    Redeliver = 2,
    /// A new event for one endpoint only (it gets a payload of its own).
    Targeted = 3,
}

impl Kind {
    /// Whether the record is for one endpoint only (its `target`).
    pub fn is_targeted(self) -> bool {
        self != Kind::Event
    }
}

/// One accepted event, as stored in a segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    /// Event, redelivery or targeted event.
    pub kind: Kind,
    /// The event id (`webhook-id`), the same on every attempt and redelivery.
    pub id: String,
    /// When the event was accepted, ms since the epoch.
    pub timestamp_ms: i64,
    /// The event slug.
    pub event: String,
    /// For a redelivery or a targeted event, the one endpoint to deliver to; 0 otherwise.
    pub target: u64,
    /// The payload JSON exactly as given.
    pub payload: Vec<u8>,
}

impl EventRecord {
    /// The record body (unframed).
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(32 + self.id.len() + self.event.len() + self.payload.len());
        b.push(self.kind as u8);
        b.push(self.id.len() as u8);
        b.extend_from_slice(self.id.as_bytes());
        b.extend_from_slice(&self.timestamp_ms.to_le_bytes());
        b.push(self.event.len() as u8);
        b.extend_from_slice(self.event.as_bytes());
        b.extend_from_slice(&self.target.to_le_bytes());
        b.extend_from_slice(&self.payload);
        b
    }

    /// Decodes a record body; `None` if it is not one.
    pub fn decode(body: &[u8]) -> Option<EventRecord> {
        let mut c = Cursor::new(body);
        let kind = match c.u8()? {
            1 => Kind::Event,
            2 => Kind::Redeliver,
            3 => Kind::Targeted,
            _ => return None,
        };
        let n = c.u8()? as usize;
        let id = c.str(n)?.to_string();
        let timestamp_ms = c.i64()?;
        let n = c.u8()? as usize;
        let event = c.str(n)?.to_string();
        let target = c.u64()?;
        let payload = c.rest().to_vec();
        Some(EventRecord { kind, id, timestamp_ms, event, target, payload })
    }
}

/// Opens a spool file for appending, creating it 0600.
pub fn open_append(path: &Path, create_new: bool) -> std::io::Result<File> {
    let mut o = OpenOptions::new();
    o.append(true).read(true).mode(0o600);
    if create_new {
        o.create_new(true)
    } else {
        o.create(true)
    };
    o.open(path)
}

/// The appending side of one segment, owned by one process.
#[derive(Debug)]
pub struct SegmentWriter {
    file: std::sync::Arc<File>,
    path: PathBuf,
    len: u64,
}

impl SegmentWriter {
    /// Creates a new segment named `name` in `dir` and locks it. The file is created and
    /// locked under a temporary name and only then renamed into place, so a reader never
    /// sees a segment whose writer does not hold the lock yet (it would take it for sealed).
    pub fn create(dir: &Path, name: &str) -> Result<SegmentWriter> {
        let path = dir.join(name);
        let tmp = dir.join(format!("{name}.new"));
        let file = open_append(&tmp, true).map_err(|e| Error::spool(format!("creating {}", tmp.display()), e))?;
        file.try_lock().map_err(|e| Error::Spool(format!("locking {}: {e}", tmp.display())))?;
        std::fs::rename(&tmp, &path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Error::spool(format!("creating {}", path.display()), e)
        })?;
        Ok(SegmentWriter { file: std::sync::Arc::new(file), path, len: 0 })
    }

    /// Appends one framed record in a single write. On failure the segment is cut back to
    /// where it was, so no torn record is left in the middle.
    pub fn append(&mut self, framed: &[u8]) -> Result<u64> {
        let at = self.len;
        if let Err(e) = (&*self.file).write_all(framed) {
            let _ = self.file.set_len(at);
            return Err(Error::spool(format!("writing {}", self.path.display()), e));
        }
        self.len += framed.len() as u64;
        Ok(at)
    }

    /// Flushes the segment to stable storage.
    pub fn sync(&self) -> Result<()> {
        self.file.sync_data().map_err(|e| Error::spool(format!("syncing {}", self.path.display()), e))
    }

    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing was written yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// A shared handle on the file, for syncing outside the writer's lock.
    pub fn sync_handle(&self) -> std::sync::Arc<File> {
        self.file.clone()
    }
}

/// The reading side of one segment, used by the delivering process.
#[derive(Debug)]
pub struct SegmentReader {
    file: File,
    /// The segment's file name.
    pub name: String,
    /// Bytes read and handled so far.
    pub scanned: u64,
    /// Once true, no writer will append again.
    pub sealed: bool,
    /// The size seen by the last `size()`.
    known_size: u64,
}

impl SegmentReader {
    /// Opens a segment for reading.
    pub fn open(path: &Path, name: &str) -> Result<SegmentReader> {
        let file = File::open(path).map_err(|e| Error::spool(format!("opening {}", path.display()), e))?;
        Ok(SegmentReader { file, name: name.to_string(), scanned: 0, sealed: false, known_size: 0 })
    }

    /// Current size of the file (asks the file system; remembered for `known_size`).
    pub fn size(&mut self) -> u64 {
        if !self.sealed || self.known_size == 0 {
            self.known_size = self.file.metadata().map(|m| m.len()).unwrap_or(0);
        }
        self.known_size
    }

    /// The size seen by the last `size()` (exact once sealed).
    pub fn known_size(&self) -> u64 {
        self.known_size
    }

    /// Whether everything up to the last known size was read.
    pub fn caught_up(&self) -> bool {
        self.scanned >= self.known_size
    }

    /// Checks whether the writer is gone (its lock can be taken); once sealed, stays sealed.
    pub fn check_sealed(&mut self) -> bool {
        if !self.sealed && self.file.try_lock().is_ok() {
            self.sealed = true;
            // The writer's last appends happened before it let go: this size is final.
            self.known_size = self.file.metadata().map(|m| m.len()).unwrap_or(0);
        }
        self.sealed
    }

    /// Reads complete records after `scanned`, up to about `max_bytes`, returning each with
    /// its offset. A torn tail is left for later unless the segment is sealed, in which case
    /// it is skipped (it can never complete); garbage inside is skipped to the next record.
    pub fn read_new(&mut self, max_bytes: usize) -> Result<Vec<(u64, EventRecord)>> {
        let size = self.size();
        if size <= self.scanned {
            return Ok(Vec::new());
        }
        let want = ((size - self.scanned) as usize).min(max_bytes.max(frame::HEADER));
        let mut buf = vec![0u8; want];
        let n = read_at_full(&self.file, &mut buf, self.scanned)
            .map_err(|e| Error::spool(format!("reading {}", self.name), e))?;
        buf.truncate(n);
        let mut out = Vec::new();
        let mut pos = 0usize;
        loop {
            match frame::next(&buf[pos..]) {
                Next::Record(body, used) => {
                    if let Some(rec) = EventRecord::decode(body) {
                        out.push((self.scanned + pos as u64, rec));
                    }
                    pos += used;
                }
                Next::Incomplete => {
                    let at_eof = self.scanned + n as u64 >= size;
                    if !at_eof && pos == 0 {
                        // One record larger than max_bytes: read it whole.
                        let len = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
                        return self.read_new(len + frame::HEADER);
                    }
                    if at_eof && self.sealed && pos < n {
                        // Torn tail of a dead writer: it will never complete.
                        self.scanned = size;
                        return Ok(out);
                    }
                    break;
                }
                Next::Corrupt => match frame::resync(&buf[pos..]) {
                    Some(skip) => pos += skip,
                    None => {
                        if self.sealed {
                            pos = buf.len();
                        }
                        break;
                    }
                },
            }
        }
        self.scanned += pos as u64;
        Ok(out)
    }

    /// Reads the record at `offset` again (for an attempt).
    pub fn read_at(&self, offset: u64) -> Result<EventRecord> {
        let bad = || Error::Spool(format!("{}: no record at offset {offset}", self.name));
        let io = |e| Error::spool(format!("reading {}", self.name), e);
        // One read usually holds the whole record; a larger one takes a second read.
        let mut buf = vec![0u8; 4096];
        let n = read_at_full(&self.file, &mut buf, offset).map_err(io)?;
        if n < frame::HEADER {
            return Err(bad());
        }
        let len = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
        if len > frame::MAX_BODY {
            return Err(bad());
        }
        let whole = frame::HEADER + len;
        if whole > n {
            buf.resize(whole, 0);
            let m = read_at_full(&self.file, &mut buf[n..], offset + n as u64).map_err(io)?;
            buf.truncate(n + m);
        } else {
            buf.truncate(n);
        }
        match frame::next(&buf) {
            Next::Record(body, _) => EventRecord::decode(body).ok_or_else(bad),
            _ => Err(bad()),
        }
    }
}

fn read_at_full(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match file.read_at(&mut buf[done..], offset + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// Reads a whole small file (used for append-only logs read once on start).
pub fn read_all(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut f = File::open(path)?;
    let mut v = Vec::new();
    f.seek(SeekFrom::Start(0))?;
    f.read_to_end(&mut v)?;
    Ok(v)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn rec(i: u32) -> EventRecord {
        EventRecord {
            kind: Kind::Event,
            id: format!("msg_{i}"),
            timestamp_ms: 1_700_000_000_000 + i as i64,
            event: "site_created".into(),
            target: 0,
            payload: format!("{{\"n\":{i}}}").into_bytes(),
        }
    }

    #[test]
    fn record_round_trip() {
        for kind in [Kind::Event, Kind::Redeliver, Kind::Targeted] {
            let r = EventRecord { kind, target: 7, ..rec(3) };
            assert_eq!(EventRecord::decode(&r.encode()), Some(r));
        }
        assert_eq!(EventRecord::decode(b"\x09rest"), None);
    }

    #[test]
    fn reader_sees_whole_records_only_and_seals() {
        let dir = tempdir();
        let mut w = SegmentWriter::create(&dir, "a.seg").unwrap();
        for i in 0..3 {
            w.append(&frame::encode(&rec(i).encode())).unwrap();
        }
        let mut r = SegmentReader::open(&dir.join("a.seg"), "a.seg").unwrap();
        assert!(!r.check_sealed(), "writer still holds it");
        let got = r.read_new(1 << 20).unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(r.read_at(got[2].0).unwrap(), rec(2));
        // A torn record: half of one written directly.
        let framed = frame::encode(&rec(9).encode());
        let raw = open_append(&dir.join("a.seg"), false).unwrap();
        (&raw).write_all(&framed[..framed.len() / 2]).unwrap();
        assert!(r.read_new(1 << 20).unwrap().is_empty(), "torn tail waits while the writer lives");
        drop(w);
        drop(raw);
        assert!(r.check_sealed());
        assert!(r.read_new(1 << 20).unwrap().is_empty());
        let size = r.size();
        assert_eq!(r.scanned, size, "a sealed torn tail is skipped");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn bounded_reads_resume_where_they_stopped() {
        let dir = tempdir();
        let mut w = SegmentWriter::create(&dir, "b.seg").unwrap();
        for i in 0..100 {
            w.append(&frame::encode(&rec(i).encode())).unwrap();
        }
        let mut r = SegmentReader::open(&dir.join("b.seg"), "b.seg").unwrap();
        let mut n = 0;
        loop {
            let got = r.read_new(500).unwrap();
            if got.is_empty() {
                break;
            }
            for (_, g) in got {
                assert_eq!(g, rec(n));
                n += 1;
            }
        }
        assert_eq!(n, 100);
        let _ = std::fs::remove_dir_all(dir);
    }

    pub(crate) fn tempdir() -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "mwh-seg-{}-{}",
            std::process::id(),
            crate::clock::new_id("", 0, &crate::clock::SplitMix::from_os())
        ));
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}

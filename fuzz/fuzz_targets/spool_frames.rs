//! What crash recovery reads: queue segments, state logs and results files with arbitrary
//! contents (a torn write, a zero-filled tail after power loss, plain garbage). Every reader
//! must hand back whole records or skip cleanly, and a sealed segment must always be read to
//! its end, or the delivering process would read it again forever.
//!
//! Input: one flag byte, then the file contents.
//! - bit 7 clear: the contents as they are. Bit 0: the segment is sealed (its writer is gone);
//!   bits 1–3: how many bytes each read asks for; bit 4: the results file is not the newest;
//!   bit 5: results are taken one at a time.
//! - bit 7 set: the contents describe records that are written properly, then cut short and
//!   damaged; every record before the damage must come back as written.

#![no_main]

use std::fs::{self, File};
use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::arbitrary::{self, Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use multisite_webhooks::fuzzing::state_count;
use multisite_webhooks::results;
use multisite_webhooks::spool::frame;
use multisite_webhooks::spool::segment::{EventRecord, Kind, SegmentReader};
use multisite_webhooks::spool::Spool;

/// Bytes asked for per read: the delivering process's chunk, and small ones that split records.
const CHUNKS: [usize; 8] = [1 << 20, 0, 8, 9, 31, 100, 512, 4096];

fn spool() -> &'static Spool {
    static SPOOL: OnceLock<Spool> = OnceLock::new();
    SPOOL.get_or_init(|| {
        let dir: PathBuf = std::env::temp_dir().join(format!("mwh-fuzz-frames-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        Spool::open(&dir).expect("a scratch spool in the temporary directory")
    })
}

/// One record as the engine writes it: ids and slugs within the engine's own limits.
#[derive(Debug)]
struct Rec(EventRecord);

impl<'a> Arbitrary<'a> for Rec {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let text = |u: &mut Unstructured<'a>, max: usize| -> arbitrary::Result<String> {
            let mut s = String::arbitrary(u)?;
            while s.len() > max {
                s.pop();
            }
            Ok(s)
        };
        Ok(Rec(EventRecord {
            kind: *u.choose(&[Kind::Event, Kind::Redeliver, Kind::Targeted])?,
            id: text(u, 64)?,
            timestamp_ms: i64::arbitrary(u)?,
            event: text(u, 191)?,
            target: u64::arbitrary(u)?,
            payload: Vec::<u8>::arbitrary(u)?,
        }))
    }
}

#[derive(Debug, Arbitrary)]
struct Written {
    records: Vec<Rec>,
    /// Keep only this many bytes (a torn write), if given.
    cut: Option<u32>,
    /// XOR one byte (damage), if given: position and mask.
    flip: Option<(u32, u8)>,
    chunk: u8,
    sealed: bool,
}

/// Reads the whole segment `contents` as the delivering process does; returns the records
/// with their offsets.
fn read_segment(contents: &[u8], chunk: usize, sealed: bool) -> Vec<(u64, EventRecord)> {
    let path = spool().queue.join("fuzz.seg");
    fs::write(&path, contents).expect("writing the segment");
    // A live writer holds the segment's lock; the reader then knows more may come.
    let writer = File::open(&path).expect("opening the segment");
    if !sealed {
        writer.try_lock().expect("locking the segment");
    }
    let mut r = SegmentReader::open(&path, "fuzz.seg").expect("opening the segment for reading");
    assert_eq!(r.check_sealed(), sealed);
    let size = contents.len() as u64;
    let mut out = Vec::new();
    // Each read either moves forward or, on a live segment, waits: never more reads than bytes.
    for _ in 0..=contents.len() + 1 {
        if r.scanned >= r.size() {
            break;
        }
        let before = r.scanned;
        let recs = match r.read_new(chunk) {
            Ok(recs) => recs,
            Err(e) => panic!("reading a regular file failed: {e}"),
        };
        for (off, rec) in recs {
            assert!(off >= before && off < size, "offset {off} outside {before}..{size}");
            // The bytes at the offset are exactly that record, framed, and it reads again there.
            let framed = frame::encode(&rec.encode());
            assert_eq!(&contents[off as usize..off as usize + framed.len()], &framed[..]);
            assert_eq!(r.read_at(off).expect("a record reads again at its offset"), rec);
            out.push((off, rec));
        }
        assert!(r.scanned <= size);
        if r.scanned == before {
            assert!(!sealed, "a sealed segment stopped at {before} of {size}");
            break;
        }
    }
    if sealed {
        assert_eq!(r.scanned, size, "a sealed segment is read to its end");
    }
    drop(writer);
    out
}

/// Takes everything from a results file with `contents` (followed by an empty newer one if
/// `older`), `max` at a time, acknowledging each answer: every answer is a JSON object whose
/// `events` and `attempts` hold at most `max` objects in all, taking again before the ack
/// gives the same answer, and the file runs out.
fn take_results(contents: &[u8], older: bool, max: usize) {
    let s = spool();
    for e in fs::read_dir(&s.results).expect("listing results/").flatten() {
        let _ = fs::remove_file(e.path());
    }
    fs::write(s.results.join("000000000001.res"), contents).expect("writing a results file");
    if older {
        fs::write(s.results.join("000000000002.res"), b"").expect("writing a results file");
    }
    // Each entry takes at least a frame header, so this many takes empty the file.
    let most = contents.len() / frame::HEADER;
    let mut taken = 0;
    loop {
        let out = results::take(s, max, 64 << 10).expect("taking results");
        assert_eq!(results::take(s, max, 64 << 10).expect("taking results"), out, "nothing moves before the ack");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out:?}"));
        let lists = [&v["events"], &v["attempts"]]
            .map(|l| l.as_array().unwrap_or_else(|| panic!("not a list: {out:?}")).clone());
        let n = lists[0].len() + lists[1].len();
        assert!(n <= max);
        assert!(lists.iter().flatten().all(serde_json::Value::is_object), "not objects: {out:?}");
        results::ack(s, v["ack"].as_str().expect("an ack token")).expect("acknowledging");
        if n == 0 {
            assert_eq!(v["more"], false, "{out}");
            break;
        }
        taken += n;
        assert!(taken <= most, "{taken} entries from {} bytes", contents.len());
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, contents)) = data.split_first() else { return };
    if flags & 0x80 == 0 {
        let sealed = flags & 1 != 0;
        read_segment(contents, CHUNKS[usize::from((flags >> 1) & 7)], sealed);
        let state = spool().queue.join("fuzz.state");
        fs::write(&state, contents).expect("writing the state log");
        assert!(state_count(&state) <= contents.len() / frame::HEADER);
        take_results(contents, flags & 0x10 != 0, if flags & 0x20 != 0 { 1 } else { 10_000 });
        return;
    }
    let Ok(w) = Written::arbitrary_take_rest(Unstructured::new(contents)) else { return };
    let mut file = Vec::new();
    let mut ends = Vec::new();
    for r in &w.records {
        file.extend(frame::encode(&r.0.encode()));
        ends.push(file.len());
    }
    let mut intact = file.len();
    if let Some(cut) = w.cut {
        file.truncate(cut as usize);
        intact = intact.min(file.len());
    }
    if let Some((at, mask)) = w.flip {
        if mask != 0 && !file.is_empty() {
            let at = at as usize % file.len();
            file[at] ^= mask;
            intact = intact.min(at);
        }
    }
    let got = read_segment(&file, CHUNKS[usize::from(w.chunk & 7)], w.sealed);
    // Every record that ends before the first damaged byte comes back, in order, as written.
    let whole = ends.iter().take_while(|e| **e <= intact).count();
    assert!(got.len() >= whole, "{} of {whole} intact records came back", got.len());
    for (i, (rec, (_, back))) in w.records.iter().zip(&got).take(whole).enumerate() {
        assert_eq!(&rec.0, back, "record {i}");
    }
});

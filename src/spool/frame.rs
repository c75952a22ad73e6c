//! Framing for every append-only spool file: `[len u32 LE][crc32 u32 LE][body]`.
//!
//! A record is complete only when its whole body is there and its checksum matches, so a
//! writer killed in the middle of a write leaves a torn tail that readers recognise.

/// Bytes before the body.
pub const HEADER: usize = 8;
/// Largest body a frame may carry (a 64 MiB payload plus its header fields).
pub const MAX_BODY: usize = (64 << 20) + 4096;

/// `body` framed, ready to be written in one `write`.
pub fn encode(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + body.len());
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(body).to_le_bytes());
    out.extend_from_slice(body);
    out
}

/// What sits at the start of a buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Next<'a> {
    /// A whole, valid record: its body and the bytes it takes up.
    Record(&'a [u8], usize),
    /// Not enough bytes yet (or nothing at all).
    Incomplete,
    /// The bytes here are not a valid record (bad length or checksum).
    Corrupt,
}

/// Reads the record at the start of `buf`.
pub fn next(buf: &[u8]) -> Next<'_> {
    if buf.len() < HEADER {
        return Next::Incomplete;
    }
    let len = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
    if len > MAX_BODY {
        return Next::Corrupt;
    }
    if buf.len() < HEADER + len {
        return Next::Incomplete;
    }
    let crc = u32::from_le_bytes([buf[4], buf[5], buf[6], buf[7]]);
    let body = &buf[HEADER..HEADER + len];
    if crc32fast::hash(body) != crc {
        return Next::Corrupt;
    }
    Next::Record(body, HEADER + len)
}

/// After corruption at `buf[0]`, the offset of the next valid record, if any.
pub fn resync(buf: &[u8]) -> Option<usize> {
    (1..buf.len()).find(|&i| matches!(next(&buf[i..]), Next::Record(..)))
}

/// A little-endian reader over a record body.
pub struct Cursor<'a> {
    buf: &'a [u8],
}

impl<'a> Cursor<'a> {
    /// Reads from the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Cursor { buf }
    }
    /// The next `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.buf.len() < n {
            return None;
        }
        let (a, b) = self.buf.split_at(n);
        self.buf = b;
        Some(a)
    }
    /// Everything left.
    pub fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.buf)
    }
    /// A `u8`.
    pub fn u8(&mut self) -> Option<u8> {
        self.bytes(1).map(|b| b[0])
    }
    /// A `u16`.
    pub fn u16(&mut self) -> Option<u16> {
        self.bytes(2).map(|b| u16::from_le_bytes([b[0], b[1]]))
    }
    /// A `u32`.
    pub fn u32(&mut self) -> Option<u32> {
        self.bytes(4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes)
    }
    /// A `u64`.
    pub fn u64(&mut self) -> Option<u64> {
        self.bytes(8).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes)
    }
    /// An `i64`.
    pub fn i64(&mut self) -> Option<i64> {
        self.u64().map(|v| v as i64)
    }
    /// A UTF-8 string of `n` bytes.
    pub fn str(&mut self, n: usize) -> Option<&'a str> {
        self.bytes(n).and_then(|b| std::str::from_utf8(b).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_torn_tails() {
        let mut buf = encode(b"hello");
        buf.extend(encode(b"world!"));
        let Next::Record(a, n) = next(&buf) else { panic!() };
        assert_eq!((a, n), (&b"hello"[..], 13));
        let Next::Record(b, _) = next(&buf[n..]) else { panic!() };
        assert_eq!(b, b"world!");
        for cut in 0..13 {
            assert_eq!(next(&buf[..cut]), Next::Incomplete, "cut at {cut}");
        }
    }

    #[test]
    fn corruption_is_detected_and_skipped() {
        let mut buf = encode(b"first");
        buf[10] ^= 0xff;
        assert_eq!(next(&buf), Next::Corrupt);
        let mut with_garbage = b"garbage!".to_vec();
        with_garbage.extend(encode(b"second"));
        let at = resync(&with_garbage).unwrap();
        assert!(matches!(next(&with_garbage[at..]), Next::Record(b"second", _)));
    }
}

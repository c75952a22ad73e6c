//! The spool: a directory on local disk that is this server's durable work queue.
//!
//! ```text
//! <spool>/
//!   leader.lock        flock held by the delivering process; holds its pid
//!   worker.lock        flock held by the delivery worker; its pid, or `stopped <ms>` after it
//!   endpoints.json     the newest endpoint snapshot given to any process, with the endpoints
//!                      it left out (0600)
//!   endpoints.lock     serialises snapshot writers
//!   queue/*.seg        accepted events, one segment per writing process at a time
//!   queue/*.state      attempt outcomes for the events of the segment of the same name
//!   results/*.res      event entries and finished attempts not yet acknowledged
//!   results/cursor     how far takers acknowledged; results/dropped = entries dropped at the cap
//!   stats.json         the leader's counters
//!   health.json        per-endpoint failure streaks and engine-side disables
//! ```
//! Directories are 0700 and files 0600.

pub mod frame;
pub mod segment;

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Paths of one spool directory.
#[derive(Debug, Clone)]
pub struct Spool {
    /// The spool directory.
    pub dir: PathBuf,
    /// `queue/`.
    pub queue: PathBuf,
    /// `results/`.
    pub results: PathBuf,
}

/// What identifies a version of a file cheaply (for change detection without reading it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileStamp {
    len: u64,
    mtime_ns: i64,
    ino: u64,
}

impl Spool {
    /// Opens (creating if needed) the spool at `dir`, checking that it is writable.
    pub fn open(dir: &Path) -> Result<Spool> {
        let spool = Spool { dir: dir.to_path_buf(), queue: dir.join("queue"), results: dir.join("results") };
        for d in [&spool.dir, &spool.queue, &spool.results] {
            DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(d)
                .map_err(|e| Error::spool(format!("creating {}", d.display()), e))?;
        }
        // Tighten a directory someone created with wider permissions, if it is ours.
        if let Ok(m) = fs::metadata(&spool.dir) {
            if m.permissions().mode() & 0o077 != 0 {
                let _ = fs::set_permissions(&spool.dir, fs::Permissions::from_mode(0o700));
            }
        }
        let probe = spool.dir.join(format!(".probe-{}", std::process::id()));
        write_private(&probe, b"ok").map_err(|e| Error::spool(format!("writing in {}", spool.dir.display()), e))?;
        let _ = fs::remove_file(&probe);
        Ok(spool)
    }

    /// `endpoints.json`.
    pub fn snapshot_path(&self) -> PathBuf {
        self.dir.join("endpoints.json")
    }

    /// The snapshot file's stamp, or the default if it does not exist.
    pub fn snapshot_stamp(&self) -> FileStamp {
        stamp(&self.snapshot_path())
    }

    /// Reads the stored snapshot JSON, if any.
    pub fn read_snapshot(&self) -> Option<Vec<u8>> {
        fs::read(self.snapshot_path()).ok()
    }

    /// Stores `json` as the snapshot if `version` is newer than the stored one (under a
    /// lock, written atomically). Returns whether it was stored.
    pub fn store_snapshot(&self, version: u64, json: &[u8], stored_version: impl Fn(&[u8]) -> u64) -> Result<bool> {
        let lock_path = self.dir.join("endpoints.lock");
        let lock = segment::open_append(&lock_path, false).map_err(|e| Error::spool("opening endpoints.lock", e))?;
        lock.lock().map_err(|e| Error::spool("locking endpoints.lock", e))?;
        if let Some(old) = self.read_snapshot() {
            if stored_version(&old) >= version {
                return Ok(false);
            }
        }
        replace_private(&self.snapshot_path(), json).map_err(|e| Error::spool("writing endpoints.json", e))?;
        Ok(true)
    }

    /// `leader.lock`, opened (not locked).
    pub fn open_leader_lock(&self) -> Result<File> {
        segment::open_append(&self.dir.join("leader.lock"), false).map_err(|e| Error::spool("opening leader.lock", e))
    }

    /// The pid written in `leader.lock` by the last leader.
    pub fn leader_pid(&self) -> Option<u32> {
        fs::read_to_string(self.dir.join("leader.lock")).ok()?.trim().parse().ok()
    }

    /// Opens `worker.lock`, which the delivery worker holds while it runs.
    pub fn open_worker_lock(&self) -> Result<File> {
        segment::open_append(&self.dir.join("worker.lock"), false).map_err(|e| Error::spool("opening worker.lock", e))
    }

    /// Whether a delivery worker serves this spool: it holds `worker.lock`, or it stopped less
    /// than `grace_ms` ago (its supervisor is starting the next one).
    pub fn worker_present(&self, now_ms: i64, grace_ms: i64) -> bool {
        let path = self.dir.join("worker.lock");
        let Ok(file) = File::open(&path) else { return false };
        match file.try_lock_shared() {
            Err(std::fs::TryLockError::WouldBlock) => return true,
            Err(std::fs::TryLockError::Error(_)) => return false,
            Ok(()) => {
                let _ = file.unlock();
            }
        }
        let text = fs::read_to_string(&path).unwrap_or_default();
        text.strip_prefix("stopped ")
            .and_then(|t| t.trim().parse::<i64>().ok())
            .is_some_and(|at| (0..grace_ms).contains(&(now_ms - at)))
    }

    /// Writes a small JSON file atomically (stats, health, cursor).
    pub fn write_file(&self, name: &str, bytes: &[u8]) -> Result<()> {
        replace_private(&self.dir.join(name), bytes).map_err(|e| Error::spool(format!("writing {name}"), e))
    }

    /// Reads a small file, if present.
    pub fn read_file(&self, name: &str) -> Option<Vec<u8>> {
        fs::read(self.dir.join(name)).ok()
    }

    /// Total bytes of queue segments not yet deleted (what is waiting on disk).
    pub fn queue_bytes(&self) -> u64 {
        fs::read_dir(&self.queue)
            .map(|rd| rd.flatten().filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum())
            .unwrap_or(0)
    }
}

/// Writes the pid into the (locked) leader lock file.
pub fn write_pid(lock: &mut File) {
    replace_text(lock, &std::process::id().to_string());
}

/// Replaces the whole text of a (locked) lock file.
pub fn replace_text(lock: &mut File, text: &str) {
    let _ = lock.set_len(0);
    let _ = lock.seek(SeekFrom::Start(0));
    let _ = lock.write_all(text.as_bytes());
}

/// The stamp of `path`.
pub fn stamp(path: &Path) -> FileStamp {
    match fs::metadata(path) {
        Ok(m) => FileStamp { len: m.len(), mtime_ns: m.mtime() * 1_000_000_000 + m.mtime_nsec(), ino: m.ino() },
        Err(_) => FileStamp::default(),
    }
}

/// Creates or truncates `path` with mode 0600 and writes `bytes`.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    f.write_all(bytes)
}

/// Replaces `path` atomically (temporary file + rename), mode 0600.
pub fn replace_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension(
        format!("tmp-{}-{:?}", std::process::id(), std::thread::current().id()).replace(['(', ')'], ""),
    );
    write_private(&tmp, bytes)?;
    fs::rename(&tmp, path).inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })
}

/// Reads a whole file, if it exists.
pub fn read_opt(path: &Path) -> Option<Vec<u8>> {
    let mut f = File::open(path).ok()?;
    let mut v = Vec::new();
    f.read_to_end(&mut v).ok()?;
    Some(v)
}

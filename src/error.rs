//! The crate's one error type: every failure has a family prefix and a readable message.

use std::fmt;

/// Everything that can go wrong in the engine, by family.
///
/// `Display` is lower case and starts with the family (`spool: …`, `config: …`), so the
/// message can be shown to a network admin as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Engine settings given to `init` are invalid (unknown field, value out of range).
    Settings(String),
    /// The endpoint snapshot given to `configure` is invalid.
    Config(String),
    /// An argument is not valid UTF-8.
    Utf8(String),
    /// A payload or request is not valid JSON, or not of the expected shape.
    Json(String),
    /// A payload is larger than the configured limit.
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// Its size in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// An event slug is empty, too long or has characters outside `[a-z0-9_.:-]`.
    Event(String),
    /// The spool could not be read or written (disk full, permissions, …).
    Spool(String),
    /// A call that needs the engine came before `init`.
    NotInitialized,
    /// A deadline passed before the work was done.
    Timeout(String),
    /// An id given by the caller does not exist.
    NotFound(String),
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Settings(m) => write!(f, "settings: {m}"),
            Error::Config(m) => write!(f, "config: {m}"),
            Error::Utf8(m) => write!(f, "utf-8: {m}"),
            Error::Json(m) => write!(f, "json: {m}"),
            Error::TooLarge { what, size, limit } => {
                write!(f, "too large: {what} is {size} bytes, the limit is {limit} bytes")
            }
            Error::Event(m) => write!(f, "event: {m}"),
            Error::Spool(m) => write!(f, "spool: {m}"),
            Error::NotInitialized => {
                write!(f, "engine: not initialized; call hooks_init with the engine settings first")
            }
            Error::Timeout(m) => write!(f, "timeout: {m}"),
            Error::NotFound(m) => write!(f, "not found: {m}"),
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    /// A spool error naming what was being done and the OS error.
    pub(crate) fn spool(doing: impl fmt::Display, e: std::io::Error) -> Error {
        let hint = match e.raw_os_error() {
            Some(28) => " (disk full)",
            Some(13) | Some(1) => " (permission denied: the PHP user must own the spool directory)",
            Some(30) => " (read-only file system)",
            Some(122) => " (disk quota exceeded)",
            _ => "",
        };
        Error::Spool(format!("{doing}: {e}{hint}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_has_family_prefix() {
        assert_eq!(Error::Config("webhooks[2].url: not an http(s) URL".into()).to_string(),
            "config: webhooks[2].url: not an http(s) URL");
        let e = Error::spool("writing queue/x.seg", std::io::Error::from_raw_os_error(28));
        assert!(e.to_string().starts_with("spool: writing queue/x.seg: "), "{e}");
        assert!(e.to_string().ends_with("(disk full)"), "{e}");
    }
}

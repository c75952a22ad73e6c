//! The crate's one error type: every failure has a family prefix, a readable message and a
//! machine kind.

use std::fmt;

/// Everything that can go wrong in the engine, by family.
///
/// `Display` is lower case and starts with the family (`spool: …`, `config: …`), so the
/// message can be shown to a network admin as it is; [`Error::kind`] is the stable machine
/// name PHP translates from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// A required pointer argument of a C function is NULL (it names the argument).
    Null(String),
    /// Engine settings given to `init` are invalid (unknown field, value out of range).
    Settings(String),
    /// The endpoint snapshot given to `configure` (or an endpoint) is invalid.
    Config(String),
    /// A webhook URL breaks the URL rule ([`crate::config::check_url`]).
    Url {
        /// Where the URL was given, e.g. `url` or `endpoint.url`.
        field: String,
        /// The rule's machine code, e.g. `bad_port`.
        code: &'static str,
        /// What is wrong, in a short English phrase.
        detail: String,
    },
    /// An argument is not valid UTF-8.
    Utf8(String),
    /// A request is not valid JSON, or not of the expected shape.
    Json(String),
    /// A payload is valid JSON but not a JSON object.
    NotObject(String),
    /// A payload nests objects and arrays deeper than the limit.
    TooDeep {
        /// How deep it nests.
        depth: usize,
        /// The deepest nesting accepted.
        limit: usize,
    },
    /// A payload has a `\uXXXX` escape that is half of a UTF-16 surrogate pair.
    LoneSurrogate {
        /// The escape as written, e.g. `\ud83d`.
        escape: String,
        /// Its byte offset in the payload.
        at: usize,
    },
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
    /// A bug: a caught panic, or output the engine could not hand over.
    Internal(String),
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Null(name) => write!(f, "argument: {name} is NULL"),
            Error::Settings(m) => write!(f, "settings: {m}"),
            Error::Config(m) => write!(f, "config: {m}"),
            Error::Url { field, code, detail } => write!(f, "config: {field}: {code}: {detail}"),
            Error::Utf8(m) => write!(f, "utf-8: {m}"),
            Error::Json(m) | Error::NotObject(m) => write!(f, "json: {m}"),
            Error::TooDeep { depth, limit } => {
                write!(f, "json: the payload nests {depth} levels deep, the limit is {limit}")
            }
            Error::LoneSurrogate { escape, at } => {
                write!(f, "json: the payload has {escape} at byte {at}, half of a UTF-16 surrogate pair without the other half")
            }
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
            Error::Internal(m) => write!(f, "internal: {m}"),
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    /// The machine name of this failure, stable across versions (`hooks_last_error_kind`):
    /// `null_argument`, `invalid_utf8`, `invalid_json`, `not_object`, `too_large`, `too_deep`,
    /// `lone_surrogate`, `invalid_settings`, `invalid_config`, `invalid_url`, `invalid_event`,
    /// `not_initialized`, `spool`, `timeout`, `not_found` or `internal`.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Null(_) => "null_argument",
            Error::Settings(_) => "invalid_settings",
            Error::Config(_) => "invalid_config",
            Error::Url { .. } => "invalid_url",
            Error::Utf8(_) => "invalid_utf8",
            Error::Json(_) => "invalid_json",
            Error::NotObject(_) => "not_object",
            Error::TooDeep { .. } => "too_deep",
            Error::LoneSurrogate { .. } => "lone_surrogate",
            Error::TooLarge { .. } => "too_large",
            Error::Event(_) => "invalid_event",
            Error::Spool(_) => "spool",
            Error::NotInitialized => "not_initialized",
            Error::Timeout(_) => "timeout",
            Error::NotFound(_) => "not_found",
            Error::Internal(_) => "internal",
        }
    }

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

    /// One error of every variant (for tests that must cover them all).
    #[cfg(test)]
    pub(crate) fn every_variant() -> Vec<Error> {
        vec![
            Error::Null(String::new()),
            Error::Settings(String::new()),
            Error::Config(String::new()),
            Error::Url { field: String::new(), code: "empty", detail: String::new() },
            Error::Utf8(String::new()),
            Error::Json(String::new()),
            Error::NotObject(String::new()),
            Error::TooDeep { depth: 65, limit: 64 },
            Error::LoneSurrogate { escape: String::new(), at: 0 },
            Error::TooLarge { what: "", size: 0, limit: 0 },
            Error::Event(String::new()),
            Error::Spool(String::new()),
            Error::NotInitialized,
            Error::Timeout(String::new()),
            Error::NotFound(String::new()),
            Error::Internal(String::new()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_has_family_prefix() {
        assert_eq!(
            Error::Config("webhooks[2].url: not an http(s) URL".into()).to_string(),
            "config: webhooks[2].url: not an http(s) URL"
        );
        let e = Error::spool("writing queue/x.seg", std::io::Error::from_raw_os_error(28));
        assert!(e.to_string().starts_with("spool: writing queue/x.seg: "), "{e}");
        assert!(e.to_string().ends_with("(disk full)"), "{e}");
        let url = Error::Url {
            field: "url".into(),
            code: "bad_port",
            detail: "the port is not a number from 1 to 65535".into(),
        };
        assert_eq!(url.to_string(), "config: url: bad_port: the port is not a number from 1 to 65535");
        assert_eq!(
            Error::TooDeep { depth: 65, limit: 64 }.to_string(),
            "json: the payload nests 65 levels deep, the limit is 64"
        );
    }

    #[test]
    fn every_variant_has_its_own_kind() {
        let all = Error::every_variant();
        let mut kinds: Vec<&str> = all.iter().map(Error::kind).collect();
        assert!(
            kinds
                .iter()
                .all(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')),
            "{kinds:?}"
        );
        kinds.sort_unstable();
        kinds.dedup();
        assert_eq!(kinds.len(), all.len(), "one kind per variant");
    }
}

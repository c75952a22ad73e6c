// The statuses the C API returns: this table is their one source. The constants and
// `hooks_status_name` are built on it, build.rs writes the header's status comment from it
// (it includes this file, so it holds only plain items), and tests compare README.md's table
// and the PHP bridge's EngineException with it.

/// Success.
pub const HOOKS_OK: i32 = 0;
/// A required pointer argument is NULL.
pub const HOOKS_ERR_NULL: i32 = 1;
/// A string argument is not valid UTF-8.
pub const HOOKS_ERR_UTF8: i32 = 2;
/// Invalid JSON, or JSON of the wrong shape.
pub const HOOKS_ERR_JSON: i32 = 3;
/// A payload is over the size limit.
pub const HOOKS_ERR_TOO_LARGE: i32 = 4;
/// Invalid engine settings.
pub const HOOKS_ERR_SETTINGS: i32 = 5;
/// Invalid endpoint snapshot or endpoint.
pub const HOOKS_ERR_CONFIG: i32 = 6;
/// The engine is not initialized.
pub const HOOKS_ERR_NOT_INITIALIZED: i32 = 7;
/// Invalid event slug.
pub const HOOKS_ERR_EVENT: i32 = 8;
/// Spool I/O failure.
pub const HOOKS_ERR_SPOOL: i32 = 9;
/// A deadline passed.
pub const HOOKS_ERR_TIMEOUT: i32 = 10;
/// Unknown id.
pub const HOOKS_ERR_NOT_FOUND: i32 = 11;
/// A panic was caught.
pub const HOOKS_ERR_PANIC: i32 = 99;

/// Every status: its code, its name (the first kind `hooks_last_error_kind()` gives with it),
/// and what it means, in a few words.
pub const STATUSES: [(i32, &std::ffi::CStr, &str); 13] = [
    (HOOKS_OK, c"ok", "success"),
    (HOOKS_ERR_NULL, c"null_argument", "NULL argument"),
    (HOOKS_ERR_UTF8, c"invalid_utf8", "invalid UTF-8"),
    (HOOKS_ERR_JSON, c"invalid_json", "invalid JSON"),
    (HOOKS_ERR_TOO_LARGE, c"too_large", "payload too large"),
    (HOOKS_ERR_SETTINGS, c"invalid_settings", "invalid settings"),
    (HOOKS_ERR_CONFIG, c"invalid_config", "invalid snapshot/endpoint"),
    (HOOKS_ERR_NOT_INITIALIZED, c"not_initialized", "not initialized"),
    (HOOKS_ERR_EVENT, c"invalid_event", "invalid event slug"),
    (HOOKS_ERR_SPOOL, c"spool", "spool I/O failure"),
    (HOOKS_ERR_TIMEOUT, c"timeout", "deadline passed"),
    (HOOKS_ERR_NOT_FOUND, c"not_found", "unknown id"),
    (HOOKS_ERR_PANIC, c"internal", "internal error (caught panic)"),
];

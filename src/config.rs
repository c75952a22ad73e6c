//! The endpoint snapshot: which webhooks exist, where they point, what they hear, how they sign.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::signing::Secret;

/// How the request body is built from an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// The payload object as given (Ultimate Multisite compatible). Defaults to this.
    #[default]
    Flat,
    /// `{"type":…,"timestamp":…,"data":…}` as Standard Webhooks recommends.
    Envelope,
}

/// One endpoint as given in the snapshot JSON.
///
/// Every field of an element of `endpoints` is checked on its own (see
/// [`Snapshot::from_json`]); the serde derive serves `send_test`, whose request carries one
/// endpoint, and the spool copy.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointSpec {
    /// The webhook's id in the plugin's table (> 0).
    pub id: u64,
    /// `http://` or `https://` URL passing [`check_url`].
    pub url: String,
    /// Event slugs this endpoint hears; `"*"` hears every event.
    pub events: Vec<String>,
    /// Signing secrets (`whsec_…`), newest first; while a secret rotates, both sign.
    #[serde(default)]
    pub secrets: Vec<String>,
    /// Defaults to true.
    #[serde(default = "yes")]
    pub active: bool,
    /// Defaults to `flat`.
    #[serde(default)]
    pub format: Format,
    /// When the webhook was created or last turned on (ms since the epoch): events accepted
    /// before then are not for it, even when a new leader reads them again after a hand-over.
    /// Defaults to 0 (every event it hears).
    #[serde(default)]
    pub since_ms: i64,
    /// Changes whenever the webhook is edited; an engine-side disable (410, failing for days)
    /// applies to one revision only, so re-enabling the webhook in the admin takes effect.
    /// Defaults to 0.
    #[serde(default)]
    pub revision: u64,
    /// Headers sent with every request to this endpoint, by name (`Authorization`,
    /// `X-API-Key`, …): credentials the receiver asks for. Their values are never recorded in
    /// results. Names the engine sets itself ([`OWNED_HEADERS`], `webhook-*`, `proxy-*`) are
    /// refused. Defaults to none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
}

/// The header carrying the event slug.
pub const EVENT_HEADER: &str = "x-webhook-event";
/// The header carrying the attempt number.
pub const ATTEMPT_HEADER: &str = "x-webhook-attempt";
/// Headers the engine sets (or HTTP reserves) that an endpoint's own headers cannot replace,
/// besides every name starting with `webhook-` or `proxy-`.
pub const OWNED_HEADERS: [&str; 13] = [
    "content-type",
    "content-length",
    "content-encoding",
    "user-agent",
    "host",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    EVENT_HEADER,
    ATTEMPT_HEADER,
];
/// Most headers of one endpoint.
pub const MAX_HEADERS: usize = 20;
/// Longest header value, in bytes.
pub const MAX_HEADER_VALUE: usize = 4096;

fn yes() -> bool {
    true
}

/// The fields an endpoint may have.
const ENDPOINT_FIELDS: [&str; 9] =
    ["id", "url", "events", "secrets", "active", "format", "since_ms", "revision", "headers"];

/// The document given to `hooks_configure`: only its outer shape is checked as a whole.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SnapshotDoc {
    version: u64,
    endpoints: Vec<serde_json::Value>,
}

/// The spool copy of a snapshot (`endpoints.json`): the endpoints applied and the ones left out.
#[derive(Debug, Deserialize)]
struct StoredDoc {
    version: u64,
    endpoints: Vec<serde_json::Value>,
    #[serde(default)]
    rejected: Vec<Rejected>,
}

/// An endpoint of a snapshot that was left out, and why. Part of the `hooks_configure` answer
/// and, for the newest snapshot, of every process's stats (`rejected_endpoints`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    /// The webhook's id, or `None` when no positive integer id could be read.
    pub id: Option<u64>,
    /// Its position in `endpoints`.
    pub index: usize,
    /// `invalid_url` (then `code` is the URL rule's) or `invalid_config`.
    pub kind: String,
    /// What is wrong: a URL rule code, or `bad_id`, `no_events`, `bad_event`, `bad_secret`,
    /// `duplicate_id`, `unknown_field`, `not_object`, `bad_field`.
    pub code: String,
    /// The field at fault (`url`, `events`, …; the unknown name for `unknown_field`), or
    /// `None` when the element is not an object.
    pub field: Option<String>,
    /// A short English phrase naming the field.
    pub detail: String,
}

/// What is wrong with one endpoint, before it is reported (as a [`Rejected`] entry, or as an
/// [`Error`] for `send_test`).
#[derive(Debug)]
struct Problem {
    /// The URL rule failed (the code is the rule's).
    url: bool,
    code: &'static str,
    /// The field at fault.
    field: Option<String>,
    /// Where inside the endpoint, e.g. `events[1]` (the field alone when it is not a list).
    at: String,
    /// What is wrong there.
    detail: String,
}

impl Problem {
    fn config(code: &'static str, field: &str, at: impl Into<String>, detail: impl Into<String>) -> Problem {
        Problem { url: false, code, field: Some(field.to_string()), at: at.into(), detail: detail.into() }
    }

    fn into_rejected(self, id: Option<u64>, index: usize) -> Rejected {
        let detail = if self.at.is_empty() { self.detail } else { format!("{}: {}", self.at, self.detail) };
        Rejected {
            id,
            index,
            kind: if self.url { "invalid_url" } else { "invalid_config" }.to_string(),
            code: self.code.to_string(),
            field: self.field,
            detail,
        }
    }

    /// As an error naming the endpoint `at` (e.g. `endpoint`).
    fn into_error(self, at: &str) -> Error {
        let place = if self.at.is_empty() { at.to_string() } else { format!("{at}.{}", self.at) };
        if self.url {
            Error::Url { field: place, code: self.code, detail: self.detail }
        } else {
            Error::Config(format!("{place}: {}", self.detail))
        }
    }
}

/// A validated endpoint, ready to deliver to.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// As given.
    pub spec: EndpointSpec,
    /// Decoded secrets.
    pub secrets: Vec<Secret>,
}

impl Endpoint {
    /// Whether this endpoint hears `event`.
    pub fn hears(&self, event: &str) -> bool {
        self.spec.events.iter().any(|e| e == event || e == "*")
    }
}

/// A validated snapshot.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// The version given (0 = none configured yet).
    pub version: u64,
    /// Endpoints by id.
    pub endpoints: HashMap<u64, Endpoint>,
    /// The endpoints of the document that were left out, in document order.
    pub rejected: Vec<Rejected>,
    /// Active endpoints per event slug (`"*"` subscribers are counted under `"*"`).
    listeners: HashMap<String, usize>,
}

/// Longest event slug accepted.
pub const MAX_EVENT_LEN: usize = 191;

/// Checks an event slug: 1–191 characters of `[A-Za-z0-9_.:-]`.
pub fn check_event(slug: &str) -> Result<()> {
    if slug.is_empty() {
        return Err(Error::Event("the event slug is empty".into()));
    }
    if slug.len() > MAX_EVENT_LEN {
        return Err(Error::Event(format!("the event slug is {} characters, the limit is {MAX_EVENT_LEN}", slug.len())));
    }
    if let Some(c) = slug.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))) {
        return Err(Error::Event(format!(
            "the event slug {slug:?} has {c:?}; use letters, digits, '_', '-', '.', ':'"
        )));
    }
    Ok(())
}

/// Longest webhook URL accepted, in bytes.
pub const MAX_URL_LEN: usize = 2048;

/// Why a URL breaks the URL rule: the machine `code` (PHP translates by it) and a short
/// English `detail`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlError {
    /// `empty`, `too_long`, `not_ascii`, `control`, `forbidden_char`, `fragment`, `scheme`,
    /// `userinfo`, `bad_host`, `no_host`, `bad_port` or `bad_percent`.
    pub code: &'static str,
    /// What is wrong, in a short English phrase.
    pub detail: String,
}

impl std::fmt::Display for UrlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.detail)
    }
}

/// Characters a webhook URL may not hold as they are (they must be percent-encoded).
const FORBIDDEN: &[u8] = b"\"<>\\^`{|}";

/// The webhook URL rule — the one definition of what a webhook URL may be, shared by
/// `hooks_configure`, `hooks_send_test` and `hooks_check_url` (and by the plugin, which is
/// tested against the same vectors, `tests/fixtures/url-rule.json`). Checked in this order on
/// the raw text:
///
/// 1. `empty`; 2. `too_long` (over [`MAX_URL_LEN`] bytes); 3. `not_ascii` (a byte ≥ 0x80:
///    hosts arrive in their `xn--` form, paths percent-encoded); 4. `control` (a byte < 0x21,
///    spaces included, or 0x7F); 5. `forbidden_char` (one of `"<>\^`{|}`); 6. `fragment` (`#`);
/// 7. `scheme`: `http` or `https` (any case), then `://`;
/// 8. the authority is what follows `//` up to the first `/` or `?`: `userinfo` if it has `@`;
/// 9. `[…]` must hold an IPv6 address (no zone id) else `bad_host`, followed by nothing or
///    `:port` else `bad_port`; otherwise the host runs to the first `:` and the port is the rest;
/// 10. `no_host` if the host is empty; 11. `bad_host` if it has a byte outside
///     `[A-Za-z0-9._-]` (so no percent-encoded hosts); 12. `bad_port` unless the port, when
///     present, is 1–5 digits from 1 to 65535; 13. `bad_percent` for a `%` not followed by two
///     hex digits.
///
/// Returns the URL parsed as the HTTP client parses it.
pub fn check_url(u: &str) -> std::result::Result<ureq::http::Uri, UrlError> {
    let (host, port) = url_rule(u)?;
    // Whatever the rule admits the HTTP client reads exactly so, with the same host and port
    // (tested below); this is the seat belt.
    let fail = |detail: &str| Err(UrlError { code: "bad_host", detail: detail.into() });
    let uri: ureq::http::Uri = match u.parse() {
        Ok(uri) => uri,
        Err(_) => return fail("the HTTP client cannot read this URL"),
    };
    if !uri.host().is_some_and(|h| h.eq_ignore_ascii_case(host)) || uri.port_u16() != port {
        return fail("the HTTP client reads another host or port in this URL");
    }
    Ok(uri)
}

/// Steps 1–13 of [`check_url`]: the host (IPv6 with its brackets) and port of a URL that
/// passes them.
fn url_rule(u: &str) -> std::result::Result<(&str, Option<u16>), UrlError> {
    let fail = |code: &'static str, detail: String| Err(UrlError { code, detail });
    let b = u.as_bytes();
    if b.is_empty() {
        return fail("empty", "the URL is empty".into());
    }
    if b.len() > MAX_URL_LEN {
        return fail("too_long", format!("the URL is {} bytes long, the limit is {MAX_URL_LEN}", b.len()));
    }
    if let Some(i) = b.iter().position(|&c| c >= 0x80) {
        return fail("not_ascii", format!("the URL has a character that is not ASCII at byte {i}; write the host in its xn-- form and percent-encode the rest"));
    }
    if let Some(i) = b.iter().position(|&c| c < 0x21 || c == 0x7f) {
        return fail("control", format!("the URL has a space or control character at byte {i}"));
    }
    if let Some(i) = b.iter().position(|c| FORBIDDEN.contains(c)) {
        return fail("forbidden_char", format!("the URL has '{}' at byte {i}; percent-encode it", b[i] as char));
    }
    if b.contains(&b'#') {
        return fail("fragment", "the URL has a #fragment, which is never sent to a receiver; leave it out".into());
    }
    let scheme_end = b.iter().position(|&c| c == b':').filter(|&end| {
        end > 0
            && b[0].is_ascii_alphabetic()
            && b[1..end].iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'.' | b'-'))
    });
    let Some(scheme_end) = scheme_end.filter(|&end| {
        (u[..end].eq_ignore_ascii_case("http") || u[..end].eq_ignore_ascii_case("https"))
            && u[end + 1..].starts_with("//")
    }) else {
        return fail("scheme", "the URL must start with http:// or https://".into());
    };
    let rest = &u[scheme_end + 3..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    if authority.contains('@') {
        return fail(
            "userinfo",
            "the URL has a user name or password before '@'; webhook URLs may not carry credentials".into(),
        );
    }
    let (host, port) = match authority.strip_prefix('[') {
        Some(inner) => {
            let Some(close) = inner.find(']') else {
                return fail("bad_host", "the IPv6 address in [ ] has no closing ']'".into());
            };
            if inner[..close].parse::<std::net::Ipv6Addr>().is_err() {
                return fail(
                    "bad_host",
                    format!("'{}' is not an IPv6 address (zone ids are not allowed)", &inner[..close]),
                );
            }
            let port = match &inner[close + 1..] {
                "" => None,
                after => match after.strip_prefix(':') {
                    Some(p) => Some(p),
                    None => return fail("bad_port", "only ':' and a port may follow the IPv6 address".into()),
                },
            };
            (&authority[..close + 2], port)
        }
        None => {
            let (host, port) = match authority.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            };
            if host.is_empty() {
                return fail("no_host", "the URL has no host".into());
            }
            if let Some(c) = host.bytes().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))) {
                return fail(
                    "bad_host",
                    format!(
                        "the host has '{}'; use letters, digits, '.', '-' and '_' (xn-- for other scripts)",
                        c as char
                    ),
                );
            }
            (host, port)
        }
    };
    let port_number = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if (1..=5).contains(&p.len()) && p.bytes().all(|c| c.is_ascii_digit()) && n >= 1 => Some(n),
            _ => return fail("bad_port", format!("the port '{p}' is not a number from 1 to 65535")),
        },
    };
    let tb = tail.as_bytes();
    if let Some(i) = tb.iter().enumerate().position(|(i, &c)| {
        c == b'%'
            && !(tb.get(i + 1).is_some_and(u8::is_ascii_hexdigit) && tb.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    }) {
        return fail(
            "bad_percent",
            format!(
                "'%' at byte {} is not followed by two hex digits; write '%25' for a percent sign",
                scheme_end + 3 + authority_end + i
            ),
        );
    }
    Ok((host, port_number))
}

/// Checks the fields of an endpoint after its id: URL, events, secrets.
fn check_spec(spec: &EndpointSpec) -> std::result::Result<Vec<Secret>, Problem> {
    if spec.id == 0 {
        return Err(Problem::config("bad_id", "id", "id", "must be a positive integer"));
    }
    if let Err(e) = check_url(&spec.url) {
        return Err(Problem { url: true, code: e.code, field: Some("url".into()), at: "url".into(), detail: e.detail });
    }
    if spec.events.is_empty() {
        return Err(Problem::config("no_events", "events", "events", "choose at least one event"));
    }
    for (j, e) in spec.events.iter().enumerate() {
        if e != "*" {
            check_event(e)
                .map_err(|err| Problem::config("bad_event", "events", format!("events[{j}]"), err.to_string()))?;
        }
    }
    check_headers(&spec.headers)?;
    let mut secrets = Vec::with_capacity(spec.secrets.len());
    for (j, s) in spec.secrets.iter().enumerate() {
        secrets
            .push(Secret::parse(s).map_err(|m| Problem::config("bad_secret", "secrets", format!("secrets[{j}]"), m))?);
    }
    Ok(secrets)
}

/// Checks an endpoint's own headers: at most [`MAX_HEADERS`], each name an HTTP token the
/// engine does not own, each value visible ASCII (spaces and tabs inside) of at most
/// [`MAX_HEADER_VALUE`] bytes. Errors name the header, never its value.
fn check_headers(headers: &BTreeMap<String, String>) -> std::result::Result<(), Problem> {
    if headers.len() > MAX_HEADERS {
        let detail = format!("at most {MAX_HEADERS} headers, {} given", headers.len());
        return Err(Problem::config("bad_header", "headers", "headers", detail));
    }
    let mut seen = std::collections::HashSet::new();
    for (name, value) in headers {
        let at = format!("headers.{}", name.escape_default());
        let lower = name.to_ascii_lowercase();
        let token = |c: u8| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c);
        if name.is_empty() || name.len() > 64 || !name.bytes().all(token) {
            let detail = "a header name is 1 to 64 letters, digits and !#$%&'*+-.^_`|~";
            return Err(Problem::config("bad_header", "headers", at, detail));
        }
        if OWNED_HEADERS.contains(&lower.as_str()) || lower.starts_with("webhook-") || lower.starts_with("proxy-") {
            let detail = "the engine sets this header itself; it cannot be replaced";
            return Err(Problem::config("owned_header", "headers", at, detail));
        }
        if !seen.insert(lower) {
            return Err(Problem::config("bad_header", "headers", at, "given twice (header names ignore case)"));
        }
        if value.len() > MAX_HEADER_VALUE
            || value.starts_with([' ', '\t'])
            || value.ends_with([' ', '\t'])
            || !value.bytes().all(|c| c == b'\t' || (b' '..=b'~').contains(&c))
        {
            let detail = format!(
                "the value must be at most {MAX_HEADER_VALUE} bytes of visible ASCII, spaces and tabs only inside"
            );
            return Err(Problem::config("bad_header", "headers", at, detail));
        }
    }
    Ok(())
}

/// Reads field `name` of an endpoint object as a `T`, if present.
fn field<T: serde::de::DeserializeOwned>(
    obj: &serde_json::Map<String, serde_json::Value>, name: &str, must: &str,
) -> std::result::Result<Option<T>, Problem> {
    match obj.get(name) {
        None => Ok(None),
        Some(v) => T::deserialize(v).map(Some).map_err(|_| Problem::config("bad_field", name, name, must)),
    }
}

/// Reads and validates one element of a snapshot's `endpoints`: its id if one can be read,
/// and the endpoint or what is wrong with it (duplicates aside).
fn endpoint_of(v: &serde_json::Value) -> (Option<u64>, std::result::Result<Endpoint, Problem>) {
    let Some(obj) = v.as_object() else {
        let p = Problem {
            url: false,
            code: "not_object",
            field: None,
            at: String::new(),
            detail: "the endpoint is not a JSON object".into(),
        };
        return (None, Err(p));
    };
    let id = obj.get("id").and_then(serde_json::Value::as_u64).filter(|id| *id > 0);
    let result = (|| {
        let Some(id) = id else {
            let detail = if obj.contains_key("id") {
                "must be a positive integer"
            } else {
                "missing; must be a positive integer"
            };
            return Err(Problem::config("bad_id", "id", "id", detail));
        };
        if let Some(k) = obj.keys().find(|k| !ENDPOINT_FIELDS.contains(&k.as_str())) {
            return Err(Problem::config(
                "unknown_field",
                k,
                k.as_str(),
                format!("unknown field; the fields are {}", ENDPOINT_FIELDS.join(", ")),
            ));
        }
        let url: Option<String> = field(obj, "url", "must be a string")?;
        let events: Option<Vec<String>> = field(obj, "events", "must be a list of event slugs")?;
        let secrets: Option<Vec<String>> = field(obj, "secrets", "must be a list of secrets (whsec_…)")?;
        let active: Option<bool> = field(obj, "active", "must be true or false")?;
        let format: Option<Format> = field(obj, "format", "must be \"flat\" or \"envelope\"")?;
        let since_ms: Option<i64> = field(obj, "since_ms", "must be an integer (ms since the epoch)")?;
        let revision: Option<u64> = field(obj, "revision", "must be a non-negative integer")?;
        let headers: Option<BTreeMap<String, String>> =
            field(obj, "headers", "must be an object of header names and string values")?;
        let Some(url) = url else { return Err(Problem::config("bad_field", "url", "url", "missing")) };
        let spec = EndpointSpec {
            id,
            url,
            events: events.unwrap_or_default(),
            secrets: secrets.unwrap_or_default(),
            active: active.unwrap_or(true),
            format: format.unwrap_or_default(),
            since_ms: since_ms.unwrap_or(0),
            revision: revision.unwrap_or(0),
            headers: headers.unwrap_or_default(),
        };
        let secrets = check_spec(&spec)?;
        Ok(Endpoint { spec, secrets })
    })();
    (id, result)
}

impl Endpoint {
    /// Validates one endpoint; `at` names it in errors (e.g. `endpoint`). A URL breaking the
    /// rule is [`Error::Url`]; anything else [`Error::Config`].
    pub fn from_spec(spec: EndpointSpec, at: &str) -> Result<Endpoint> {
        let secrets = check_spec(&spec).map_err(|p| p.into_error(at))?;
        Ok(Endpoint { spec, secrets })
    }
}

/// Reads a snapshot document, which must be a JSON object (serde would take an array too).
fn object<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(Error::Config("the snapshot must be a JSON object {\"version\":…,\"endpoints\":[…]}".into()));
    }
    serde_json::from_slice(bytes).map_err(|e| Error::Config(e.to_string()))
}

impl Snapshot {
    /// Parses the document given to `hooks_configure`. Only a document that is not JSON or not
    /// `{"version":u64,"endpoints":[…]}` is refused ([`Error::Config`]); each element of
    /// `endpoints` is validated on its own, and one that fails (not an object, no positive
    /// id, an unknown field, a bad URL, no events, a bad slug or secret, an id already given
    /// by an earlier element) is left out and listed in [`Snapshot::rejected`].
    pub fn from_json(bytes: &[u8]) -> Result<Snapshot> {
        let doc: SnapshotDoc = object(bytes)?;
        Ok(Snapshot::build(doc.version, &doc.endpoints, Vec::new()))
    }

    /// Parses the spool copy written by [`Snapshot::to_json`] (the endpoints applied and the
    /// ones left out).
    pub fn from_stored(bytes: &[u8]) -> Result<Snapshot> {
        let doc: StoredDoc = object(bytes)?;
        Ok(Snapshot::build(doc.version, &doc.endpoints, doc.rejected))
    }

    fn build(version: u64, elements: &[serde_json::Value], mut rejected: Vec<Rejected>) -> Snapshot {
        let mut endpoints = HashMap::with_capacity(elements.len());
        let mut seen = std::collections::HashSet::new();
        for (i, v) in elements.iter().enumerate() {
            let (id, result) = endpoint_of(v);
            let first = id.is_none_or(|id| seen.insert(id));
            match result {
                Err(p) => rejected.push(p.into_rejected(id, i)),
                Ok(_) if !first => rejected.push(
                    Problem::config(
                        "duplicate_id",
                        "id",
                        "id",
                        format!("{} is the id of an earlier endpoint", id.unwrap_or_default()),
                    )
                    .into_rejected(id, i),
                ),
                Ok(ep) => {
                    endpoints.insert(ep.spec.id, ep);
                }
            }
        }
        let mut listeners: HashMap<String, usize> = HashMap::new();
        for ep in endpoints.values().filter(|e| e.spec.active) {
            for ev in &ep.spec.events {
                *listeners.entry(ev.clone()).or_default() += 1;
            }
        }
        Snapshot { version, endpoints, rejected, listeners }
    }

    /// The snapshot as JSON again, for the spool copy: `{"version","endpoints","rejected"}`.
    pub fn to_json(&self) -> Vec<u8> {
        let mut eps: Vec<&EndpointSpec> = self.endpoints.values().map(|e| &e.spec).collect();
        eps.sort_by_key(|e| e.id);
        serde_json::to_vec(&serde_json::json!({"version": self.version, "endpoints": eps, "rejected": self.rejected}))
            .unwrap_or_default()
    }

    /// How many active endpoints hear `event`.
    pub fn listeners(&self, event: &str) -> usize {
        self.listeners.get(event).copied().unwrap_or(0) + self.listeners.get("*").copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    #[test]
    fn counts_active_listeners() {
        let s = Snapshot::from_json(
            format!(
                r#"{{"version":3,"endpoints":[
            {{"id":1,"url":"http://a.test/x","events":["site_created","user_registered"],"secrets":["{SECRET}"]}},
            {{"id":2,"url":"https://b.test","events":["site_created"],"active":false}},
            {{"id":3,"url":"https://c.test","events":["*"],"format":"envelope"}}]}}"#
            )
            .as_bytes(),
        )
        .unwrap();
        assert_eq!(s.version, 3);
        assert!(s.rejected.is_empty(), "{:?}", s.rejected);
        assert_eq!(s.listeners("site_created"), 2);
        assert_eq!(s.listeners("payment_received"), 1);
        let again = Snapshot::from_stored(&s.to_json()).unwrap();
        assert_eq!(again.endpoints.len(), 3);
    }

    #[test]
    fn only_the_outer_shape_refuses_a_document() {
        for (json, want) in [
            ("{\"version\":", "config: EOF while parsing"),
            ("[]", "config: the snapshot must be a JSON object"),
            ("[5,[]]", "config: the snapshot must be a JSON object"),
            (r#"{"endpoints":[]}"#, "config: missing field `version`"),
            (r#"{"version":-1,"endpoints":[]}"#, "config: invalid value: integer `-1`"),
            (r#"{"version":1,"endpoints":{}}"#, "config: invalid type: map"),
            (r#"{"version":1,"endpoints":[],"rejected":[]}"#, "config: unknown field `rejected`"),
        ] {
            let got = Snapshot::from_json(json.as_bytes()).unwrap_err();
            assert_eq!(got.kind(), "invalid_config");
            assert!(got.to_string().starts_with(want), "{got:?} should start with {want:?}");
        }
    }

    /// (element JSON, id read, kind, code, field, detail start)
    type Case = (&'static str, Option<u64>, &'static str, &'static str, Option<&'static str>, &'static str);

    #[test]
    fn each_bad_endpoint_is_left_out_with_its_reason_and_the_others_kept() {
        let cases: [Case; 15] = [
            (
                r#"{"id":1,"url":"ftp://x","events":["a"]}"#,
                Some(1),
                "invalid_url",
                "scheme",
                Some("url"),
                "url: the URL must start with http:// or https://",
            ),
            (
                r#"{"id":2,"url":"http://x:0/","events":["a"]}"#,
                Some(2),
                "invalid_url",
                "bad_port",
                Some("url"),
                "url: the port '0' is not",
            ),
            (
                r#"{"id":3,"url":"http://x","events":[]}"#,
                Some(3),
                "invalid_config",
                "no_events",
                Some("events"),
                "events: choose at least one",
            ),
            (
                r#"{"id":4,"url":"http://x"}"#,
                Some(4),
                "invalid_config",
                "no_events",
                Some("events"),
                "events: choose at least one",
            ),
            (
                r#"{"id":5,"url":"http://x","events":["a","bad slug"]}"#,
                Some(5),
                "invalid_config",
                "bad_event",
                Some("events"),
                "events[1]: event: the event slug \"bad slug\"",
            ),
            (
                r#"{"id":6,"url":"http://x","events":["a"],"secrets":["nope"]}"#,
                Some(6),
                "invalid_config",
                "bad_secret",
                Some("secrets"),
                "secrets[0]: ",
            ),
            (
                r#"{"id":7,"url":"http://x","events":["a"],"colour":1}"#,
                Some(7),
                "invalid_config",
                "unknown_field",
                Some("colour"),
                "colour: unknown field",
            ),
            (r#"{"url":"http://x","events":["a"]}"#, None, "invalid_config", "bad_id", Some("id"), "id: missing"),
            (
                r#"{"id":0,"url":"http://x","events":["a"]}"#,
                None,
                "invalid_config",
                "bad_id",
                Some("id"),
                "id: must be a positive integer",
            ),
            (
                r#"{"id":"8","url":"http://x","events":["a"]}"#,
                None,
                "invalid_config",
                "bad_id",
                Some("id"),
                "id: must be a positive integer",
            ),
            (r#"[1]"#, None, "invalid_config", "not_object", None, "the endpoint is not a JSON object"),
            (
                r#"{"id":9,"url":7,"events":["a"]}"#,
                Some(9),
                "invalid_config",
                "bad_field",
                Some("url"),
                "url: must be a string",
            ),
            (r#"{"id":10,"events":["a"]}"#, Some(10), "invalid_config", "bad_field", Some("url"), "url: missing"),
            (
                r#"{"id":11,"url":"http://x","events":["a"],"format":"xml"}"#,
                Some(11),
                "invalid_config",
                "bad_field",
                Some("format"),
                "format: must be",
            ),
            (
                r#"{"id":100,"url":"http://y","events":["a"]}"#,
                Some(100),
                "invalid_config",
                "duplicate_id",
                Some("id"),
                "id: 100 is the id of an earlier endpoint",
            ),
        ];
        let mut elements = vec![r#"{"id":100,"url":"http://x","events":["a"]}"#.to_string()];
        elements.extend(cases.iter().map(|c| c.0.to_string()));
        elements.push(r#"{"id":200,"url":"https://ok.example/h","events":["*"],"active":false}"#.into());
        let doc = format!(r#"{{"version":5,"endpoints":[{}]}}"#, elements.join(","));
        let s = Snapshot::from_json(doc.as_bytes()).unwrap();
        let mut kept: Vec<u64> = s.endpoints.keys().copied().collect();
        kept.sort_unstable();
        assert_eq!(kept, [100, 200], "the good ones are applied");
        assert_eq!(s.endpoints[&100].spec.url, "http://x", "the first of two with one id is kept");
        assert_eq!(s.rejected.len(), cases.len());
        for (i, (c, r)) in cases.iter().zip(&s.rejected).enumerate() {
            assert_eq!(r.index, i + 1, "{r:?}");
            assert_eq!((r.id, r.kind.as_str(), r.code.as_str(), r.field.as_deref()), (c.1, c.2, c.3, c.4), "{}", c.0);
            assert!(r.detail.starts_with(c.5), "{:?} should start with {:?}", r.detail, c.5);
        }
        // The spool copy keeps the rejections, and other processes read them back.
        let stored = Snapshot::from_stored(&s.to_json()).unwrap();
        assert_eq!(stored.rejected, s.rejected);
        assert_eq!(stored.endpoints.len(), 2);
        let v: serde_json::Value = serde_json::from_slice(&s.to_json()).unwrap();
        assert_eq!(
            v["rejected"][0],
            serde_json::json!({"id": 1, "index": 1, "kind": "invalid_url", "code": "scheme",
            "field": "url", "detail": "url: the URL must start with http:// or https://"})
        );
        assert_eq!(v["rejected"][7]["id"], serde_json::Value::Null);
    }

    #[test]
    fn a_single_endpoint_errors_name_the_field() {
        let spec = |url: &str, events: &[&str], secrets: &[&str]| EndpointSpec {
            id: 1,
            url: url.into(),
            events: events.iter().map(|e| e.to_string()).collect(),
            secrets: secrets.iter().map(|e| e.to_string()).collect(),
            active: true,
            format: Format::Flat,
            since_ms: 0,
            revision: 0,
            headers: BTreeMap::new(),
        };
        let e = Endpoint::from_spec(spec("http://a:99999/", &["a"], &[]), "endpoint").unwrap_err();
        assert_eq!(e.kind(), "invalid_url");
        assert_eq!(e.to_string(), "config: endpoint.url: bad_port: the port '99999' is not a number from 1 to 65535");
        let e = Endpoint::from_spec(spec("http://a/", &[], &[]), "endpoint").unwrap_err();
        assert_eq!(
            (e.kind(), e.to_string().as_str()),
            ("invalid_config", "config: endpoint.events: choose at least one event")
        );
        let e = Endpoint::from_spec(spec("http://a/", &["a b"], &[]), "endpoint").unwrap_err();
        assert!(e.to_string().starts_with("config: endpoint.events[0]: event: "), "{e}");
        let e = Endpoint::from_spec(spec("http://a/", &["a"], &["nope"]), "endpoint").unwrap_err();
        assert!(e.to_string().starts_with("config: endpoint.secrets[0]: "), "{e}");
        assert!(Endpoint::from_spec(spec("http://a/", &["a"], &[SECRET]), "endpoint").is_ok());
    }

    #[test]
    fn an_endpoints_own_headers_are_tokens_it_does_not_own_with_visible_values() {
        let snap = |headers: serde_json::Value| {
            let doc = serde_json::json!({"version": 1, "endpoints": [
                {"id": 1, "url": "http://a/", "events": ["a"], "headers": headers}]});
            Snapshot::from_json(doc.to_string().as_bytes()).unwrap()
        };
        let ok = snap(serde_json::json!({"Authorization": "Bearer s3cr3t", "X-API-Key": "k\tv 1"}));
        assert!(ok.rejected.is_empty(), "{:?}", ok.rejected);
        assert_eq!(ok.endpoints[&1].spec.headers["Authorization"], "Bearer s3cr3t");
        for (headers, code, at) in [
            (serde_json::json!({"Content-Type": "text/plain"}), "owned_header", "headers.Content-Type"),
            (serde_json::json!({"webhook-signature": "v1,x"}), "owned_header", "headers.webhook-signature"),
            (serde_json::json!({"Proxy-Authorization": "x"}), "owned_header", "headers.Proxy-Authorization"),
            (serde_json::json!({"HOST": "evil"}), "owned_header", "headers.HOST"),
            (serde_json::json!({"X-Webhook-Attempt": "9"}), "owned_header", "headers.X-Webhook-Attempt"),
            (serde_json::json!({"Bad Name": "x"}), "bad_header", "headers.Bad Name"),
            (serde_json::json!({"": "x"}), "bad_header", "headers."),
            (serde_json::json!({"X-A": "line\r\nX-Injected: 1"}), "bad_header", "headers.X-A"),
            (serde_json::json!({"X-A": " padded"}), "bad_header", "headers.X-A"),
            (serde_json::json!({"X-A": "é"}), "bad_header", "headers.X-A"),
            (serde_json::json!({"X-A": "a".repeat(MAX_HEADER_VALUE + 1)}), "bad_header", "headers.X-A"),
            (serde_json::json!({"X-A": "1", "x-a": "2"}), "bad_header", "headers.x-a"),
            (serde_json::json!({"X-A": 1}), "bad_field", "headers"),
            (serde_json::json!(["X-A"]), "bad_field", "headers"),
        ] {
            let s = snap(headers.clone());
            assert!(s.endpoints.is_empty(), "{headers} is refused");
            let r = &s.rejected[0];
            assert_eq!((r.code.as_str(), r.field.as_deref()), (code, Some("headers")), "{headers}: {r:?}");
            assert!(r.detail.starts_with(&format!("{at}: ")), "{headers}: {}", r.detail);
            assert!(!r.detail.contains("X-Injected") && !r.detail.contains("evil"), "the value is never echoed");
        }
        let many: serde_json::Map<String, serde_json::Value> =
            (0..=MAX_HEADERS).map(|i| (format!("X-{i}"), serde_json::json!("v"))).collect();
        assert_eq!(snap(serde_json::Value::Object(many)).rejected[0].code, "bad_header");
    }

    #[test]
    fn event_slugs() {
        assert!(check_event("site_created").is_ok());
        assert!(check_event("wu:payment.received-2").is_ok());
        assert!(check_event("").is_err());
        assert!(check_event("a b").is_err());
        assert!(check_event(&"x".repeat(192)).is_err());
    }

    #[test]
    fn every_printable_character_the_rule_allows_in_a_path_passes_and_parses() {
        let mut allowed = 0;
        for c in 0x21u8..0x7f {
            if FORBIDDEN.contains(&c) || c == b'%' || c == b'#' {
                continue;
            }
            let url = format!("http://a.example/x{}y", c as char);
            assert_eq!(url_rule(&url), Ok(("a.example", None)), "{url:?}");
            let direct: ureq::http::Uri = url.parse().unwrap_or_else(|e| panic!("{url:?} does not parse: {e}"));
            assert_eq!(direct.host(), Some("a.example"), "{url:?}");
            assert!(check_url(&url).is_ok(), "{url:?}");
            allowed += 1;
        }
        assert_eq!(allowed, 94 - FORBIDDEN.len() - 2);
        for c in FORBIDDEN {
            assert_eq!(check_url(&format!("http://a.example/x{}y", *c as char)).unwrap_err().code, "forbidden_char");
        }
    }

    #[test]
    fn whatever_the_rule_admits_the_http_client_reads_with_the_same_host_and_port() {
        // Every short string over an alphabet rich in the rule's edge characters.
        let alphabet = b"a1.-_:[]/?%@!;=+~";
        let mut admitted = 0usize;
        let mut n = 0u64;
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        while n < 200_000 {
            n += 1;
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 12) as usize;
            let tail: String =
                (0..len).map(|k| alphabet[((state >> (k * 5)) % alphabet.len() as u64) as usize] as char).collect();
            let url = format!("{}://{tail}", if state & 1 == 0 { "http" } else { "HTTPS" });
            if let Ok((host, port)) = url_rule(&url) {
                admitted += 1;
                let direct: ureq::http::Uri =
                    url.parse().unwrap_or_else(|e| panic!("{url:?} passes the rule, and the client refuses it: {e}"));
                assert!(
                    direct.host().is_some_and(|h| h.eq_ignore_ascii_case(host)),
                    "{url:?}: {:?} vs {host:?}",
                    direct.host()
                );
                assert_eq!(direct.port_u16(), port, "{url:?}");
            }
        }
        assert!(admitted > 1000, "the sample admits some URLs: {admitted}");
    }
}

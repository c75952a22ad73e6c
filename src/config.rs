//! The endpoint snapshot: which webhooks exist, where they point, what they hear, how they sign.

use std::collections::HashMap;

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
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointSpec {
    /// The webhook's id in the plugin's table (> 0).
    pub id: u64,
    /// `http://` or `https://` URL.
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
}

fn yes() -> bool {
    true
}

/// The snapshot JSON given to `hooks_configure`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotSpec {
    /// Increases with every change; an older snapshot never replaces a newer one.
    pub version: u64,
    /// Every webhook of the network, active or not.
    pub endpoints: Vec<EndpointSpec>,
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
        return Err(Error::Event(format!("the event slug {slug:?} has {c:?}; use letters, digits, '_', '-', '.', ':'")));
    }
    Ok(())
}

/// Checks that `url` is an absolute http(s) URL with a host; returns it parsed, or the reason
/// if it is not one.
pub fn check_url(url: &str) -> std::result::Result<ureq::http::Uri, String> {
    if url.len() > 2048 {
        return Err("longer than 2048 characters".into());
    }
    let uri: ureq::http::Uri = url.parse().map_err(|_| format!("not an http(s) URL: {url:?}"))?;
    match uri.scheme_str() {
        Some("http") | Some("https") => {}
        _ => return Err(format!("not an http(s) URL: {url:?}")),
    }
    match uri.host() {
        Some(h) if !h.is_empty() => Ok(uri),
        _ => Err(format!("no host in URL: {url:?}")),
    }
}

impl Endpoint {
    /// Validates one endpoint; `at` names it in errors (e.g. `endpoints[2]`).
    pub fn from_spec(spec: EndpointSpec, at: &str) -> Result<Endpoint> {
        if spec.id == 0 {
            return Err(Error::Config(format!("{at}.id: must be a positive integer")));
        }
        check_url(&spec.url).map_err(|m| Error::Config(format!("{at}.url: {m}")))?;
        if spec.events.is_empty() {
            return Err(Error::Config(format!("{at}.events: choose at least one event")));
        }
        for (j, e) in spec.events.iter().enumerate() {
            if e != "*" {
                check_event(e).map_err(|err| Error::Config(format!("{at}.events[{j}]: {err}")))?;
            }
        }
        let mut secrets = Vec::with_capacity(spec.secrets.len());
        for (j, s) in spec.secrets.iter().enumerate() {
            secrets.push(Secret::parse(s).map_err(|m| Error::Config(format!("{at}.secrets[{j}]: {m}")))?);
        }
        Ok(Endpoint { spec, secrets })
    }
}

impl Snapshot {
    /// Parses and validates snapshot JSON.
    pub fn from_json(bytes: &[u8]) -> Result<Snapshot> {
        let spec: SnapshotSpec = serde_json::from_slice(bytes).map_err(|e| Error::Config(e.to_string()))?;
        Snapshot::from_spec(spec)
    }

    /// Validates a parsed snapshot.
    pub fn from_spec(spec: SnapshotSpec) -> Result<Snapshot> {
        let mut endpoints = HashMap::with_capacity(spec.endpoints.len());
        for (i, e) in spec.endpoints.into_iter().enumerate() {
            let id = e.id;
            let ep = Endpoint::from_spec(e, &format!("endpoints[{i}]"))?;
            if endpoints.insert(id, ep).is_some() {
                return Err(Error::Config(format!("endpoints[{i}].id: {id} appears twice")));
            }
        }
        let mut listeners: HashMap<String, usize> = HashMap::new();
        for ep in endpoints.values().filter(|e| e.spec.active) {
            for ev in &ep.spec.events {
                *listeners.entry(ev.clone()).or_default() += 1;
            }
        }
        Ok(Snapshot { version: spec.version, endpoints, listeners })
    }

    /// The snapshot as JSON again (for the spool copy).
    pub fn to_json(&self) -> Vec<u8> {
        let mut eps: Vec<&EndpointSpec> = self.endpoints.values().map(|e| &e.spec).collect();
        eps.sort_by_key(|e| e.id);
        serde_json::to_vec(&serde_json::json!({"version": self.version, "endpoints": eps})).unwrap_or_default()
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
        let s = Snapshot::from_json(format!(r#"{{"version":3,"endpoints":[
            {{"id":1,"url":"http://a.test/x","events":["site_created","user_registered"],"secrets":["{SECRET}"]}},
            {{"id":2,"url":"https://b.test","events":["site_created"],"active":false}},
            {{"id":3,"url":"https://c.test","events":["*"],"format":"envelope"}}]}}"#).as_bytes()).unwrap();
        assert_eq!(s.version, 3);
        assert_eq!(s.listeners("site_created"), 2);
        assert_eq!(s.listeners("payment_received"), 1);
        let again = Snapshot::from_json(&s.to_json()).unwrap();
        assert_eq!(again.endpoints.len(), 3);
    }

    #[test]
    fn errors_name_the_field() {
        let cases = [
            (r#"{"version":1,"endpoints":[{"id":1,"url":"ftp://x","events":["a"]}]}"#, "config: endpoints[0].url: not an http(s) URL"),
            (r#"{"version":1,"endpoints":[{"id":1,"url":"http://x","events":["a"]},{"id":2,"url":"javascript:alert(1)","events":["a"]}]}"#, "config: endpoints[1].url: not an http(s) URL"),
            (r#"{"version":1,"endpoints":[{"id":1,"url":"http://x","events":[]}]}"#, "config: endpoints[0].events: choose at least one"),
            (r#"{"version":1,"endpoints":[{"id":1,"url":"http://x","events":["bad slug"]}]}"#, "config: endpoints[0].events[0]: event: "),
            (r#"{"version":1,"endpoints":[{"id":1,"url":"http://x","events":["a"],"secrets":["nope"]}]}"#, "config: endpoints[0].secrets[0]: "),
            (r#"{"version":1,"endpoints":[{"id":1,"url":"http://x","events":["a"],"colour":1}]}"#, "config: unknown field `colour`"),
            (r#"{"version":1,"endpoints":[{"id":1,"url":"http://x","events":["a"]},{"id":1,"url":"http://y","events":["a"]}]}"#, "config: endpoints[1].id: 1 appears twice"),
        ];
        for (json, want) in cases {
            let got = Snapshot::from_json(json.as_bytes()).unwrap_err().to_string();
            assert!(got.starts_with(want), "{got:?} should start with {want:?}");
        }
    }

    #[test]
    fn event_slugs() {
        assert!(check_event("site_created").is_ok());
        assert!(check_event("wu:payment.received-2").is_ok());
        assert!(check_event("").is_err());
        assert!(check_event("a b").is_err());
        assert!(check_event(&"x".repeat(192)).is_err());
    }
}

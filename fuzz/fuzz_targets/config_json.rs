//! The endpoint snapshot (what `hooks_configure` parses) from arbitrary bytes: refused as a
//! whole with a `config:` error only when it is not `{"version":u64,"endpoints":[…]}`;
//! otherwise every element is either applied or listed as rejected with a documented kind and
//! code, and the snapshot survives its own spool copy unchanged.

#![no_main]

use libfuzzer_sys::fuzz_target;
use multisite_webhooks::config::{check_event, check_url, Snapshot, MAX_EVENT_LEN, MAX_URL_LEN};
use multisite_webhooks::Error;

/// The codes a rejected endpoint may carry, by kind.
const URL_CODES: [&str; 12] = [
    "empty",
    "too_long",
    "not_ascii",
    "control",
    "forbidden_char",
    "fragment",
    "scheme",
    "userinfo",
    "bad_host",
    "no_host",
    "bad_port",
    "bad_percent",
];
const CONFIG_CODES: [&str; 8] =
    ["bad_id", "no_events", "bad_event", "bad_secret", "duplicate_id", "unknown_field", "not_object", "bad_field"];

fuzz_target!(|data: &[u8]| {
    match Snapshot::from_json(data) {
        Ok(s) => {
            // Every element is accounted for: applied, or rejected (each index once).
            let elements = serde_json::from_slice::<serde_json::Value>(data)
                .ok()
                .and_then(|v| v["endpoints"].as_array().map(Vec::len))
                .expect("an accepted document has a list of endpoints");
            assert_eq!(
                s.endpoints.len() + s.rejected.len(),
                elements,
                "{} applied, {:?}",
                s.endpoints.len(),
                s.rejected
            );
            let mut indexes: Vec<usize> = s.rejected.iter().map(|r| r.index).collect();
            indexes.dedup();
            assert_eq!(indexes.len(), s.rejected.len(), "in document order, each once");
            assert!(indexes.iter().all(|i| *i < elements));
            for r in &s.rejected {
                match r.kind.as_str() {
                    "invalid_url" => {
                        assert!(URL_CODES.contains(&r.code.as_str()) && r.field.as_deref() == Some("url"), "{r:?}")
                    }
                    "invalid_config" => assert!(CONFIG_CODES.contains(&r.code.as_str()), "{r:?}"),
                    other => panic!("kind {other:?}"),
                }
                assert!(r.id != Some(0) && !r.detail.is_empty(), "{r:?}");
                assert_eq!(r.field.is_none(), r.code == "not_object", "{r:?}");
                // A later element with an applied id is reported by the first rule it breaks,
                // `duplicate_id` when it breaks no other.
                if r.code == "duplicate_id" {
                    assert!(
                        r.id.is_some_and(|id| s.endpoints.contains_key(&id)
                            || s.rejected.iter().any(|o| o.index < r.index && o.id == Some(id))),
                        "{r:?}"
                    );
                }
            }
            for (id, ep) in &s.endpoints {
                assert_eq!(*id, ep.spec.id);
                assert!(*id > 0);
                assert!(check_url(&ep.spec.url).is_ok(), "{:?}", ep.spec.url);
                assert!(!ep.spec.events.is_empty());
                assert!(ep.spec.events.iter().all(|e| e == "*" || check_event(e).is_ok()));
                assert_eq!(ep.secrets.len(), ep.spec.secrets.len());
                for ev in &ep.spec.events {
                    if ep.spec.active && ev != "*" {
                        assert!(s.listeners(ev) >= 1, "active endpoint {id} hears {ev:?}");
                        assert!(ep.hears(ev));
                    }
                }
            }
            // What every other process reads back from the spool is the same snapshot.
            let again = Snapshot::from_stored(&s.to_json()).expect("a snapshot's own spool copy parses");
            assert_eq!(again.version, s.version);
            assert_eq!(again.endpoints.len(), s.endpoints.len());
            assert_eq!(again.rejected, s.rejected);
            for (id, ep) in &s.endpoints {
                let other = &again.endpoints[id];
                assert_eq!(other.spec.url, ep.spec.url);
                assert_eq!(other.spec.events, ep.spec.events);
                assert_eq!(other.spec.secrets, ep.spec.secrets);
                assert_eq!(
                    (other.spec.active, other.spec.format, other.spec.revision),
                    (ep.spec.active, ep.spec.format, ep.spec.revision)
                );
            }
        }
        Err(e @ Error::Config(_)) => assert_eq!(e.kind(), "invalid_config"),
        Err(other) => panic!("snapshot refused with the wrong family: {other}"),
    }
    // The slug and URL checks on their own, as the admin types them.
    if let Ok(s) = std::str::from_utf8(data) {
        if check_event(s).is_ok() {
            assert!(!s.is_empty() && s.len() <= MAX_EVENT_LEN);
        }
        match check_url(s) {
            Ok(uri) => {
                assert!(matches!(uri.scheme_str(), Some("http" | "https")));
                assert!(uri.host().is_some_and(|h| !h.is_empty()));
                assert!(s.len() <= MAX_URL_LEN && s.bytes().all(|b| b.is_ascii_graphic()) && !s.contains('#'));
                let after = &s[s.find("//").expect("scheme://") + 2..];
                let authority = &after[..after.find(['/', '?']).unwrap_or(after.len())];
                assert!(!authority.contains('@'), "no credentials in an accepted URL: {s:?}");
            }
            Err(e) => assert!(URL_CODES.contains(&e.code) && !e.detail.is_empty(), "{e:?}"),
        }
    }
});

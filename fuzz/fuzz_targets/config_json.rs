//! The endpoint snapshot (what `hooks_configure` parses) from arbitrary bytes: refused with a
//! `config:` error, or accepted as a snapshot that survives its own spool copy unchanged.

#![no_main]

use libfuzzer_sys::fuzz_target;
use multisite_webhooks::config::{check_event, check_url, Snapshot, MAX_EVENT_LEN};
use multisite_webhooks::Error;

fuzz_target!(|data: &[u8]| {
    match Snapshot::from_json(data) {
        Ok(s) => {
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
            let again = Snapshot::from_json(&s.to_json()).expect("a snapshot's own spool copy parses");
            assert_eq!(again.version, s.version);
            assert_eq!(again.endpoints.len(), s.endpoints.len());
            for (id, ep) in &s.endpoints {
                let other = &again.endpoints[id];
                assert_eq!(other.spec.url, ep.spec.url);
                assert_eq!(other.spec.events, ep.spec.events);
                assert_eq!(other.spec.secrets, ep.spec.secrets);
                assert_eq!((other.spec.active, other.spec.format, other.spec.revision), (ep.spec.active, ep.spec.format, ep.spec.revision));
            }
        }
        Err(Error::Config(m)) => assert!(!m.is_empty()),
        Err(other) => panic!("snapshot refused with the wrong family: {other}"),
    }
    // The slug and URL checks on their own, as the admin types them.
    if let Ok(s) = std::str::from_utf8(data) {
        if check_event(s).is_ok() {
            assert!(!s.is_empty() && s.len() <= MAX_EVENT_LEN);
        }
        if let Ok(uri) = check_url(s) {
            assert!(matches!(uri.scheme_str(), Some("http" | "https")));
            assert!(uri.host().is_some_and(|h| !h.is_empty()));
        }
    }
});

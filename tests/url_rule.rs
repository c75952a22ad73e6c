//! The webhook URL rule against its vectors, `tests/fixtures/url-rule.json` — the same file
//! the plugin's own pre-check is tested with, so both give every URL the same verdict and code.

use multisite_webhooks::config::check_url;
use serde_json::Value;

fn vectors() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/url-rule.json");
    let text = std::fs::read_to_string(path).expect("tests/fixtures/url-rule.json");
    let v: Value = serde_json::from_str(&text).expect("the vector file is JSON");
    v["vectors"].as_array().expect("a list of vectors").clone()
}

#[test]
fn every_vector_gets_its_verdict_and_code() {
    let all = vectors();
    assert!(all.len() >= 50, "{} vectors", all.len());
    let mut wrong = Vec::new();
    for v in &all {
        let url = v["url"].as_str().expect("url is a string");
        let ok = v["ok"].as_bool().expect("ok is a boolean");
        let got = check_url(url);
        match (ok, &got) {
            (true, Ok(_)) => {}
            (false, Err(e)) if v["code"].as_str() == Some(e.code) => assert!(!e.detail.is_empty()),
            _ => wrong.push(format!(
                "{url:?}: want {}, got {:?}",
                if ok { "ok".to_string() } else { v["code"].to_string() },
                got.as_ref().map(|u| u.to_string()).map_err(|e| e.code)
            )),
        }
    }
    assert!(wrong.is_empty(), "{} of {} vectors disagree:\n{}", wrong.len(), all.len(), wrong.join("\n"));
}

#[test]
fn every_accepted_vector_is_read_by_the_http_client_with_the_same_host() {
    for v in vectors().iter().filter(|v| v["ok"] == true) {
        let url = v["url"].as_str().unwrap();
        let uri = check_url(url).unwrap();
        let direct: ureq::http::Uri = url.parse().unwrap_or_else(|e| panic!("{url:?}: {e}"));
        assert_eq!(uri, direct);
        // The host as written: after "//", before the path, query or port (brackets kept).
        let after = &url[url.find("//").unwrap() + 2..];
        let authority = &after[..after.find(['/', '?']).unwrap_or(after.len())];
        let host = if authority.starts_with('[') {
            &authority[..=authority.find(']').unwrap()]
        } else {
            authority.split(':').next().unwrap()
        };
        assert!(
            direct.host().is_some_and(|h| h.eq_ignore_ascii_case(host)),
            "{url:?}: {:?} is not {host:?}",
            direct.host()
        );
        assert!(matches!(direct.scheme_str(), Some("http" | "https")), "{url:?}");
    }
}

#[test]
fn the_codes_are_the_documented_ones() {
    let codes = [
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
    for v in vectors().iter().filter(|v| v["ok"] == false) {
        let code = v["code"].as_str().unwrap();
        assert!(codes.contains(&code), "{code}");
    }
    // Every code has at least one vector.
    for c in codes {
        assert!(vectors().iter().any(|v| v["code"] == c), "no vector for {c}");
    }
}

//! Standard Webhooks signatures: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// A decoded signing secret. Its bytes never appear in `Debug` output or messages.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret(<{} bytes>)", self.0.len())
    }
}

impl Secret {
    /// Parses `whsec_` + base64 of 24–64 bytes. The error never repeats the secret.
    pub fn parse(s: &str) -> Result<Secret, String> {
        let b64 = s.strip_prefix("whsec_").ok_or("a secret starts with whsec_")?;
        let bytes = B64.decode(b64).map_err(|_| "a secret is whsec_ followed by base64".to_string())?;
        if !(24..=64).contains(&bytes.len()) {
            return Err(format!("a secret holds 24 to 64 bytes, this one {}", bytes.len()));
        }
        Ok(Secret(bytes))
    }

    /// `v1,<base64 signature>` of `id.timestamp.body`.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.0) {
            Ok(m) => m,
            Err(_) => unreachable!("HMAC accepts keys of any length"),
        };
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", B64.encode(mac.finalize().into_bytes()))
    }
}

/// The `webhook-signature` header: one `v1,…` entry per secret, separated by spaces.
pub fn signature_header(secrets: &[Secret], id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets.iter().map(|s| s.sign(id, timestamp, body)).collect::<Vec<_>>().join(" ")
}

/// Whether any `v1` entry of `header` is a valid signature by `secret` (constant time per
/// entry). For tests and for receivers written in Rust.
pub fn verify(secret: &Secret, id: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
    let want = secret.sign(id, timestamp, body);
    header.split(' ').any(|entry| {
        entry.starts_with("v1,")
            && entry.len() == want.len()
            && entry.bytes().zip(want.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vectors of the Standard Webhooks reference libraries (shared/data).
    #[test]
    fn standard_webhooks_vectors() {
        let s = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(
            s.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, br#"{"test": 2432232314}"#),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        let s2 = Secret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
        assert_eq!(
            s2.sign(
                "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
                1649367553,
                br#"{"email":"test@example.com","username":"test_user"}"#
            ),
            "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
        );
    }

    #[test]
    fn verify_accepts_and_rejects_like_the_spec() {
        let s = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let (id, ts, body) = ("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, br#"{"test": 2432232314}"#.as_slice());
        for bad in [
            "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
            "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            "v1,",
        ] {
            assert!(!verify(&s, id, ts, body, bad), "{bad}");
        }
        assert!(verify(
            &s,
            id,
            ts,
            body,
            "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        ));
    }

    #[test]
    fn rotation_signs_with_every_secret() {
        let a = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let b = Secret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
        let h = signature_header(&[a.clone(), b.clone()], "msg_1", 5, b"{}");
        assert_eq!(h.split(' ').count(), 2);
        assert!(verify(&a, "msg_1", 5, b"{}", &h) && verify(&b, "msg_1", 5, b"{}", &h));
    }

    #[test]
    fn bad_secrets_are_refused_without_echo() {
        for s in ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_!!!", "whsec_c2hvcnQ="] {
            let e = Secret::parse(s).unwrap_err();
            assert!(!e.contains(s), "{e}");
        }
        assert_eq!(
            format!("{:?}", Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap()),
            "Secret(<24 bytes>)"
        );
    }
}

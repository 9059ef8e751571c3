//! What an attacker sends: forged tokens and keys aimed at another user's home.
//! Shared by the token, isolation and end-to-end suites so they try the same things.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD as B64URL};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::Value;

/// The files a victim holds in the isolation tests.
pub const VICTIM_FILES: [(&str, &str); 2] = [
    ("secret.txt", "alice's secret"),
    ("docs/plan.txt", "alice's plan"),
];

/// Keys another user might send to reach the victim's files, given the victim's
/// Identity ID and the home prefix: traversal, absolute, nested, encoded, Windows-style.
pub fn keys_aimed_at(victim_id: &str, home: &str) -> Vec<String> {
    vec![
        "secret.txt".into(),
        "docs/plan.txt".into(),
        format!("../{victim_id}/secret.txt"),
        format!("../../{home}/{victim_id}/secret.txt"),
        format!("{victim_id}/secret.txt"),
        format!("{victim_id}/"),
        format!("{home}/{victim_id}/secret.txt"),
        format!("/{home}/{victim_id}/secret.txt"),
        format!("./../{victim_id}/secret.txt"),
        format!("x/../../{victim_id}/secret.txt"),
        format!("..\\{victim_id}\\secret.txt"),
        format!("%2E%2E/{victim_id}/secret.txt"),
        format!("{victim_id}%2Fsecret.txt"),
        format!("..%2F{victim_id}%2Fsecret.txt"),
    ]
}

/// The claims of a JWT, unverified.
pub fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&B64URL.decode(payload).expect("base64url")).expect("JSON claims")
}

/// The `kid` of a JWT's header.
pub fn kid_of(token: &str) -> String {
    jsonwebtoken::decode_header(token)
        .expect("a JWT header")
        .kid
        .expect("a kid")
}

/// `claims` signed RS256 with `key` under `kid`.
pub fn sign(claims: &Value, key: &EncodingKey, kid: &str) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, key).expect("signed")
}

/// A freshly generated RSA key nobody published.
pub fn stranger_key() -> EncodingKey {
    use aws_lc_rs::encoding::AsDer;
    let pair =
        aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).expect("RSA keygen");
    let der = pair.as_der().expect("PKCS#8");
    let body = STANDARD.encode(der.as_ref());
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).expect("ASCII"))
        .collect();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    );
    EncodingKey::from_rsa_pem(pem.as_bytes()).expect("an RSA key")
}

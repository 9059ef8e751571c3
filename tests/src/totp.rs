//! The codes an authenticator app shows: RFC 6238 TOTP (HMAC-SHA-1, 30-second steps,
//! six digits, the key as base32), as Cognito's software tokens use it.
//! <https://www.rfc-editor.org/rfc/rfc6238>

use aws_lc_rs::hmac;

/// The step of a TOTP code, in seconds.
pub const STEP_SECS: u64 = 30;

/// The six-digit code for the base32 `secret` at `unix_secs`.
pub fn code_at(secret: &str, unix_secs: u64) -> String {
    let key = base32(secret).unwrap_or_else(|| panic!("not a base32 key: {secret:?}"));
    hotp(&key, unix_secs / STEP_SECS, 6)
}

/// The code the app shows now.
pub fn code_now(secret: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs();
    code_at(secret, now)
}

/// RFC 4226 HOTP: HMAC-SHA-1 of the counter, dynamically truncated to `digits`.
fn hotp(key: &[u8], counter: u64, digits: u32) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, key);
    let mac = hmac::sign(&key, &counter.to_be_bytes());
    let mac = mac.as_ref();
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    let binary = u32::from_be_bytes([
        mac[offset] & 0x7f,
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ]);
    let code = binary % 10u32.pow(digits);
    format!("{code:0width$}", width = digits as usize)
}

/// RFC 4648 base32 (the alphabet A–Z, 2–7), case and padding ignored.
fn base32(text: &str) -> Option<Vec<u8>> {
    let mut bits = 0u32;
    let mut count = 0u32;
    let mut out = Vec::new();
    for c in text.chars().filter(|c| *c != '=' && !c.is_whitespace()) {
        let value = match c.to_ascii_uppercase() {
            c @ 'A'..='Z' => c as u32 - 'A' as u32,
            c @ '2'..='7' => c as u32 - '2' as u32 + 26,
            _ => return None,
        };
        bits = (bits << 5) | value;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, Appendix B: the SHA-1 seed "12345678901234567890", eight digits.
    #[test]
    fn the_rfc_s_test_vectors() {
        let seed = b"12345678901234567890";
        for (time, expected) in [
            (59u64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(hotp(seed, time / STEP_SECS, 8), expected, "T = {time}");
        }
    }

    #[test]
    fn base32_keys_as_cognito_and_authenticator_apps_write_them() {
        assert_eq!(
            base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").as_deref(),
            Some(&b"12345678901234567890"[..])
        );
        assert_eq!(
            base32("gezdgnbvgy3tqojq====").as_deref(),
            Some(&b"1234567890"[..])
        );
        assert_eq!(base32("not base32!"), None);
        // Six digits: the last six of the eight-digit vector at T = 59.
        assert_eq!(code_at("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", 59), "287082");
    }
}

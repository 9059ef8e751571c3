//! Test data: random bytes of a given size, and their digest to compare them by.

use aws_lc_rs::digest::{SHA256, digest};
use bytes::Bytes;
use rand::RngCore;

pub const MIB: usize = 1024 * 1024;

/// `len` random bytes.
pub fn random(len: usize) -> Bytes {
    let mut data = vec![0u8; len];
    rand::rng().fill_bytes(&mut data);
    Bytes::from(data)
}

/// The SHA-256 of `data`: large bodies are compared by it, so a failure does not
/// print megabytes.
pub fn sha256(data: &[u8]) -> Vec<u8> {
    digest(&SHA256, data).as_ref().to_vec()
}

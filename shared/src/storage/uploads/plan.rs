//! How a file is cut into parts, and the upload id the client holds.
//!
//! The `upload_id` handed to clients is `<size>.<part size>.<tag>.<S3's upload id>`:
//! the plan travels with the upload, so resuming and completing need no state here
//! and no extra AWS call. The tag authenticates it: an HMAC-SHA-256 (truncated to 128
//! bits, hex) under the deployment's `UPLOAD_ID_KEY` of the space's root, the key, the
//! plan and S3's id, so an id whose plan was edited (a larger size, other part sizes)
//! is refused before any AWS call, and the size declared at the start is the size the
//! completion holds S3 to (`x-amz-mp-object-size`). S3 binds its upload id to the key,
//! and the key to the caller's space, so no id reaches another user's upload either.

use aws_lc_rs::{constant_time, hmac};

use crate::error::Error;

const MIB: u64 = 1024 * 1024;
/// The smallest part the API plans (S3's minimum is 5 MiB; 8 MiB halves the
/// requests of a typical file at no cost).
pub const MIN_PART_BYTES: u64 = 8 * MIB;
/// S3's largest part.
pub const MAX_PART_BYTES: u64 = 5 * 1024 * MIB;
/// S3's most parts per upload.
pub const MAX_PARTS: u32 = 10_000;
/// Part URLs per response: 1,000 URLs of ~1.5 KB keep a response far below
/// Lambda's 6 MB; the resume call hands out the rest.
pub const URLS_PER_RESPONSE: u32 = 1_000;

/// How a file of `size` bytes is cut into parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub size: u64,
    pub part_size: u64,
}

impl Plan {
    /// Parts of at least [`MIN_PART_BYTES`], whole MiB, at most [`MAX_PARTS`] of them.
    pub fn for_size(size: u64) -> Plan {
        let needed = size.div_ceil(u64::from(MAX_PARTS));
        let part_size = needed.div_ceil(MIB).saturating_mul(MIB).max(MIN_PART_BYTES);
        Plan { size, part_size }
    }

    /// How many parts (an empty file is one empty part).
    pub fn parts(&self) -> u32 {
        u32::try_from(self.size.div_ceil(self.part_size).max(1)).unwrap_or(u32::MAX)
    }

    /// The size of part `number` (1-based).
    pub fn part_bytes(&self, number: u32) -> u64 {
        let before = u64::from(number.saturating_sub(1)) * self.part_size;
        self.size.saturating_sub(before).min(self.part_size)
    }

    fn is_valid(&self) -> bool {
        (MIN_PART_BYTES..=MAX_PART_BYTES).contains(&self.part_size)
            && self.part_size.is_multiple_of(MIB)
            && self.size.div_ceil(self.part_size) <= u64::from(MAX_PARTS)
    }
}

/// The API's upload id: the plan, its tag and S3's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadId {
    pub plan: Plan,
    /// [`TAG_HEX`] lowercase hex digits: the plan's authentication (see [`UploadKey`]).
    pub tag: String,
    pub s3: String,
}

/// The length of an upload id's tag: 128 bits in hex.
pub const TAG_HEX: usize = 32;

impl UploadId {
    /// The shape of an upload id this API issues (its tag is checked with the caller's
    /// space, by [`UploadKey::verify`]).
    pub fn parse(raw: &str, max_size: u64) -> Result<UploadId, Error> {
        let mut fields = raw.splitn(4, '.');
        let (Some(size), Some(part_size), Some(tag), Some(s3)) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Err(not_issued());
        };
        let number = |text: &str| {
            (!text.is_empty() && text.len() <= 20 && text.bytes().all(|b| b.is_ascii_digit()))
                .then(|| text.parse::<u64>().ok())
                .flatten()
        };
        let plan = Plan {
            size: number(size).ok_or_else(not_issued)?,
            part_size: number(part_size).ok_or_else(not_issued)?,
        };
        let tag_ok = tag.len() == TAG_HEX
            && tag
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        // S3's upload ids are URL-safe text of a few hundred characters.
        let s3_ok = !s3.is_empty()
            && s3.len() <= 1024
            && s3.bytes().all(|b| b.is_ascii_graphic() && b != b'/');
        if !plan.is_valid() || plan.size > max_size || !tag_ok || !s3_ok {
            return Err(not_issued());
        }
        Ok(UploadId {
            plan,
            tag: tag.to_owned(),
            s3: s3.to_owned(),
        })
    }
}

/// The one answer to an upload id this API did not issue, or issued for another plan,
/// key or space: nothing tells a forger which part was wrong.
pub fn not_issued() -> Error {
    Error::InvalidRequest("upload_id is not an upload id this API issued".into())
}

impl std::fmt::Display for UploadId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}.{}.{}.{}",
            self.plan.size, self.plan.part_size, self.tag, self.s3
        )
    }
}

/// The deployment's key for upload id tags (`UPLOAD_ID_KEY`).
#[derive(Clone)]
pub struct UploadKey(hmac::Key);

impl UploadKey {
    pub fn new(secret: &[u8]) -> UploadKey {
        UploadKey(hmac::Key::new(hmac::HMAC_SHA256, secret))
    }

    /// The upload id of S3's upload `s3` of `plan`, for `key` under `root`.
    pub fn issue(&self, root: &str, key: &str, plan: Plan, s3: String) -> UploadId {
        let tag = hex(&self.mac(root, key, plan, &s3)[..TAG_HEX / 2]);
        UploadId { plan, tag, s3 }
    }

    /// Whether `id` was issued for `key` under `root` with exactly its plan.
    pub fn verify(&self, root: &str, key: &str, id: &UploadId) -> Result<(), Error> {
        let expected = hex(&self.mac(root, key, id.plan, &id.s3)[..TAG_HEX / 2]);
        constant_time::verify_slices_are_equal(expected.as_bytes(), id.tag.as_bytes())
            .map_err(|_| not_issued())
    }

    fn mac(&self, root: &str, key: &str, plan: Plan, s3: &str) -> Vec<u8> {
        // Length-prefixed fields: no two different inputs share a message.
        let mut message = Vec::with_capacity(root.len() + key.len() + s3.len() + 64);
        for field in [
            root,
            key,
            &plan.size.to_string(),
            &plan.part_size.to_string(),
            s3,
        ] {
            message.extend_from_slice(&(field.len() as u64).to_be_bytes());
            message.extend_from_slice(field.as_bytes());
        }
        hmac::sign(&self.0, &message).as_ref().to_vec()
    }
}

impl std::fmt::Debug for UploadKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UploadKey(<secret>)")
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: u64 = 1024 * MIB;
    const TIB: u64 = 1024 * GIB;

    #[test]
    fn plans_use_8_mib_parts_until_10_000_parts_need_more() {
        assert_eq!(Plan::for_size(0).parts(), 1);
        assert_eq!(Plan::for_size(0).part_bytes(1), 0);
        assert_eq!(Plan::for_size(1).part_size, MIN_PART_BYTES);
        let p = Plan::for_size(64 * MIB);
        assert_eq!((p.part_size, p.parts()), (8 * MIB, 8));
        let p = Plan::for_size(64 * MIB + 1);
        assert_eq!((p.parts(), p.part_bytes(9)), (9, 1));
        let p = Plan::for_size(5 * GIB);
        assert_eq!(p.part_size, 8 * MIB);
        assert_eq!(p.parts(), 640);
        let p = Plan::for_size(5 * TIB);
        assert!(
            p.parts() <= MAX_PARTS && p.part_size <= MAX_PART_BYTES,
            "{p:?}"
        );
        assert!(p.part_size.is_multiple_of(MIB));
    }

    #[test]
    fn every_plan_covers_its_size_exactly() {
        for size in [
            0,
            1,
            MIB,
            8 * MIB - 1,
            8 * MIB,
            8 * MIB + 1,
            80 * GIB + 7,
            5 * TIB,
        ] {
            let plan = Plan::for_size(size);
            assert!(plan.is_valid(), "{plan:?}");
            let total: u64 = (1..=plan.parts()).map(|n| plan.part_bytes(n)).sum();
            assert_eq!(total, size, "{plan:?}");
            if plan.parts() > 1 {
                for n in 1..plan.parts() {
                    assert_eq!(plan.part_bytes(n), plan.part_size);
                }
                assert!(plan.part_bytes(plan.parts()) > 0);
            }
        }
    }

    #[test]
    fn upload_ids_round_trip_and_refuse_what_the_api_did_not_issue() {
        let id = UploadKey::new(b"a key of the deployment, 32 bytes+").issue(
            "home/us-east-1:abc/",
            "docs/a.bin",
            Plan::for_size(100 * MIB),
            "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA.x-_".into(),
        );
        let text = id.to_string();
        assert_eq!(UploadId::parse(&text, 5 * GIB), Ok(id));
        const T: &str = "0123456789abcdef0123456789abcdef";
        for bad in [
            String::new(),
            "abc".into(),
            "1.2".into(),
            format!("100.8388608.{T}."),
            format!("x.8388608.{T}.id"),
            format!("100.x.{T}.id"),
            format!("-1.8388608.{T}.id"),
            format!("100.1048576.{T}.id"), // parts smaller than the API plans
            format!("100.8388609.{T}.id"), // not whole MiB
            format!("99999999999.8388608.{T}.id"), // more than 10,000 parts
            format!("100.8388608.{T}.a/b"), // not an S3 upload id
            format!("100.8388608.{T}.a b"),
            format!("+100.8388608.{T}.id"),
            "100.8388608.id".into(),                        // no tag
            format!("100.8388608.{}.id", &T[1..]),          // a short tag
            format!("100.8388608.{}.id", T.to_uppercase()), // not lowercase hex
            format!("100.8388608.{}g.id", &T[1..]),         // not hex
        ] {
            assert!(UploadId::parse(&bad, 5 * GIB).is_err(), "{bad:?}");
        }
        assert!(
            UploadId::parse(&format!("{}.8388608.{T}.id", 6 * GIB), 5 * GIB).is_err(),
            "over MAX_UPLOAD_BYTES"
        );
    }

    #[test]
    fn a_tag_holds_only_for_its_plan_key_space_and_deployment() {
        let key = UploadKey::new(b"a key of the deployment, 32 bytes+");
        let (root, name) = ("home/us-east-1:abc/", "docs/a.bin");
        let id = key.issue(root, name, Plan::for_size(100 * MIB), "s3-id".into());
        assert_eq!(key.verify(root, name, &id), Ok(()));
        let mut larger = id.clone();
        larger.plan = Plan::for_size(7 * GIB);
        let mut other_parts = id.clone();
        other_parts.plan.part_size = 16 * MIB;
        let mut other_upload = id.clone();
        other_upload.s3 = "s3-id2".into();
        for forged in [&larger, &other_parts, &other_upload] {
            assert!(key.verify(root, name, forged).is_err(), "{forged:?}");
        }
        assert!(key.verify(root, "docs/b.bin", &id).is_err());
        assert!(key.verify("home/us-east-1:abd/", name, &id).is_err());
        // Fields are length-prefixed: moving a character between root and key fails.
        assert!(
            key.verify("home/us-east-1:abc/d", "ocs/a.bin", &id)
                .is_err()
        );
        let other = UploadKey::new(b"another deployment's key, 32 bytes");
        assert!(other.verify(root, name, &id).is_err());
        assert_eq!(format!("{key:?}"), "UploadKey(<secret>)");
    }
}

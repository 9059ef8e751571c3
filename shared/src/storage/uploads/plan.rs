//! How a file is cut into parts, and the upload id the client holds.
//!
//! The `upload_id` handed to clients is `<size>.<part size>.<S3's upload id>`: the
//! plan travels with the upload, so resuming and completing need no state here and no
//! extra AWS call. A client that edits it only changes its own plan; S3 binds the
//! upload id to the key, and the key to the caller's home, so no edit reaches another
//! user's upload.

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

/// The API's upload id: the plan and S3's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadId {
    pub plan: Plan,
    pub s3: String,
}

impl UploadId {
    pub fn parse(raw: &str, max_size: u64) -> Result<UploadId, Error> {
        let invalid =
            || Error::InvalidRequest("upload_id is not an upload id this API issued".into());
        let mut fields = raw.splitn(3, '.');
        let (Some(size), Some(part_size), Some(s3)) = (fields.next(), fields.next(), fields.next())
        else {
            return Err(invalid());
        };
        let number = |text: &str| {
            (!text.is_empty() && text.len() <= 20 && text.bytes().all(|b| b.is_ascii_digit()))
                .then(|| text.parse::<u64>().ok())
                .flatten()
        };
        let plan = Plan {
            size: number(size).ok_or_else(invalid)?,
            part_size: number(part_size).ok_or_else(invalid)?,
        };
        // S3's upload ids are URL-safe text of a few hundred characters.
        let s3_ok = !s3.is_empty()
            && s3.len() <= 1024
            && s3.bytes().all(|b| b.is_ascii_graphic() && b != b'/');
        if !plan.is_valid() || plan.size > max_size || !s3_ok {
            return Err(invalid());
        }
        Ok(UploadId {
            plan,
            s3: s3.to_owned(),
        })
    }
}

impl std::fmt::Display for UploadId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.plan.size, self.plan.part_size, self.s3)
    }
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
        let id = UploadId {
            plan: Plan::for_size(100 * MIB),
            s3: "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA.x-_".into(),
        };
        let text = id.to_string();
        assert_eq!(UploadId::parse(&text, 5 * GIB), Ok(id));
        for bad in [
            "",
            "abc",
            "1.2",
            "100.8388608.",
            "x.8388608.id",
            "100.x.id",
            "-1.8388608.id",
            "100.1048576.id",         // parts smaller than the API plans
            "100.8388609.id",         // not whole MiB
            "99999999999.8388608.id", // more than 10,000 parts
            "100.8388608.a/b",        // not an S3 upload id
            "100.8388608.a b",
            "+100.8388608.id",
        ] {
            assert!(UploadId::parse(bad, 5 * GIB).is_err(), "{bad:?}");
        }
        assert!(
            UploadId::parse(&format!("{}.8388608.id", 6 * GIB), 5 * GIB).is_err(),
            "over MAX_UPLOAD_BYTES"
        );
    }
}

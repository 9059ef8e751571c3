//! The usage table: what is stored, under which keys.
//!
//! One DynamoDB table (on-demand, point-in-time recovery), keyed by `space` (the
//! partition: a space's root, `home/<identity id>/` or `teams/<team>/`) and `item`
//! (the sort key):
//!
//! | `item` | attributes | what it is |
//! |---|---|---|
//! | `total` | `bytes`, `versions`, `rev`, `over`, `quota` | the space's totals: the sum of its live version items, changed only in the same transaction as one of them; `rev` counts those changes; `over` whether the space is full (the usage function's last verdict); `quota` the owner's per-user quota (`custom:quota`) as the API last saw it, absent for the default |
//! | `v#<32 hex>` | `size`, `gone`, `expires` | one object version (the hex is the first half of SHA-256 of the S3 key and the version id): `size` bytes while it exists; once removed `gone` is true and `expires` lets DynamoDB's TTL delete the item after [`TOMBSTONE_DAYS`] |
//!
//! and one partition of bookkeeping, `space` = [`QUOTA_PARTITION`]: `over` (the spaces
//! the IAM deny documents name, a string set), `recount` (where the scheduled recount
//! continues) and one `changed#<space root>` per space whose owner's per-user quota
//! the API saw change ([`quota_change_key`]): `quota` counts those changes (the API adds
//! one, the only attribute its role may write besides a total's `quota`), `judged` is
//! the count the usage function's reconcile last judged the space at, and `expires`
//! lets DynamoDB's TTL delete it once judged. Without it a quota lowered below what a
//! home holds would reach IAM only with the home's next event, which the first direct
//! PutObject (of any size) would be.
//!
//! Why one item per version: S3's events are delivered at least once and in no
//! particular order, and a removal does not say how large the version was. A version
//! item moves only forward (absent → live → gone, or absent → gone when the removal
//! arrives first), each move is a conditional write, and the total changes in the same
//! transaction as the move: a duplicate finds the move done and changes nothing, and
//! since additions commute, any order of the same events ends at the same totals.

use aws_lc_rs::digest;

use crate::aws::dynamodb::{Attr, Item};

/// The partition key.
pub const SPACE: &str = "space";
/// The sort key.
pub const ITEM: &str = "item";
/// The sort key of a space's totals.
pub const TOTAL: &str = "total";
/// The partition of the bookkeeping items.
pub const QUOTA_PARTITION: &str = "#quota";
/// Bookkeeping: the spaces over quota (what the deny documents name).
pub const OVER: &str = "over";
/// Bookkeeping: the prefix of the items of spaces whose per-user quota changed.
pub const CHANGED: &str = "changed#";
/// Bookkeeping: where the scheduled recount goes on.
pub const RECOUNT: &str = "recount";
/// The TTL attribute (seconds since the epoch).
pub const EXPIRES: &str = "expires";
/// How long a removed version's item is kept: far longer than S3 retries an event
/// (Lambda's asynchronous invocations give up after 6 hours), so a late duplicate of
/// its creation still finds it gone.
pub const TOMBSTONE_DAYS: u64 = 7;

/// The key of a space's totals.
pub fn total_key(root: &str) -> Item {
    key(root, TOTAL)
}

/// The key of one version's item.
pub fn version_key(root: &str, s3_key: &str, version: &str) -> Item {
    key(root, &version_item(s3_key, version))
}

/// The bookkeeping item recording that the per-user quota of the space whose root is
/// `root` changed.
pub fn quota_change_key(root: &str) -> Item {
    key(QUOTA_PARTITION, &format!("{CHANGED}{root}"))
}

/// The key of a bookkeeping item.
pub fn bookkeeping_key(name: &str) -> Item {
    key(QUOTA_PARTITION, name)
}

pub fn key(space: &str, item: &str) -> Item {
    Item::new()
        .with(SPACE, Attr::S(space.to_owned()))
        .with(ITEM, Attr::S(item.to_owned()))
}

/// `v#` and 32 hex digits: SHA-256 of the key's length, the key and the version id,
/// cut to 128 bits. Fixed length whatever the key (a sort key holds at most 1024
/// bytes, a key as many), and the same for the event and for a listing of the version.
pub fn version_item(s3_key: &str, version: &str) -> String {
    let mut context = digest::Context::new(&digest::SHA256);
    context.update(&(s3_key.len() as u64).to_be_bytes());
    context.update(s3_key.as_bytes());
    context.update(version.as_bytes());
    let hash = context.finish();
    let mut item = String::with_capacity(34);
    item.push_str("v#");
    for byte in &hash.as_ref()[..16] {
        item.push_str(&format!("{byte:02x}"));
    }
    item
}

/// A space's totals as stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Can drift below zero only if the table was edited by hand; read as zero.
    pub bytes: i64,
    pub versions: i64,
    pub rev: u64,
    pub over: bool,
    /// The per-user quota the API last saw (`None`: the default applies).
    pub quota: Option<u64>,
}

impl Totals {
    pub fn from_item(item: Option<&Item>) -> Totals {
        let Some(item) = item else {
            return Totals::default();
        };
        Totals {
            bytes: item.i64("bytes").unwrap_or(0),
            versions: item.i64("versions").unwrap_or(0),
            rev: item.u64("rev").unwrap_or(0),
            over: item.bool("over").unwrap_or(false),
            quota: item.u64("quota"),
        }
    }

    pub fn bytes(&self) -> u64 {
        u64::try_from(self.bytes).unwrap_or(0)
    }

    pub fn versions(&self) -> u64 {
        u64::try_from(self.versions).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_items_are_fixed_length_and_tell_keys_and_versions_apart() {
        let a = version_item("home/x/a", "v1");
        assert_eq!(a.len(), 34);
        assert!(a.starts_with("v#"));
        assert_eq!(a, version_item("home/x/a", "v1"), "deterministic");
        assert_ne!(a, version_item("home/x/a", "v2"));
        assert_ne!(a, version_item("home/x/b", "v1"));
        // The key's length is hashed first: key "ab" + version "c" is not "a" + "bc".
        assert_ne!(version_item("ab", "c"), version_item("a", "bc"));
        let long = "k".repeat(1024);
        assert_eq!(version_item(&long, "v").len(), 34);
    }

    #[test]
    fn totals_read_what_is_there_and_default_the_rest() {
        assert_eq!(Totals::from_item(None), Totals::default());
        let item = total_key("home/x/")
            .with("bytes", Attr::n(10))
            .with("versions", Attr::n(2))
            .with("over", Attr::Bool(true))
            .with("quota", Attr::n(100));
        let totals = Totals::from_item(Some(&item));
        assert_eq!((totals.bytes(), totals.versions()), (10, 2));
        assert!(totals.over);
        assert_eq!(totals.quota, Some(100));
        let drifted = Totals::from_item(Some(&total_key("t").with("bytes", Attr::n(-3))));
        assert_eq!(drifted.bytes(), 0);
    }
}

//! Recounting a space from S3 itself: whatever the events missed or the table lost,
//! the versions `ListObjectVersions` lists are the truth.
//!
//! The table's version items are read first, then S3 is listed: an event that lands
//! in between is then either already in the items (its change is found done) or in
//! the listing (the recount's own change finds it done), so a recount never undoes an
//! event that races it. Then:
//!
//! - a listed version with no item is counted as created, one with a tombstone is
//!   revived; a live item S3 no longer lists is counted as removed, each through the
//!   same conditional writes as the events' ([`Ledger`]);
//! - the total is set to the sum of the live items if it differs (a total edited or
//!   corrupted by hand), conditional on it not moving meanwhile.
//!
//! The report says what it found: the totals before and after, and how many versions
//! it added, removed or revived.

use std::collections::BTreeMap;

use aws_sdk_s3::Client;
use serde::Serialize;

use super::table::{Totals, version_item};
use super::tally::Ledger;
use crate::aws::Failure;
use crate::aws::dynamodb::DbError;
use crate::error::{Error, Upstream};

/// What a recount found and repaired.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Drift {
    pub space: String,
    pub bytes_before: i64,
    pub versions_before: i64,
    pub bytes: u64,
    pub versions: u64,
    /// Versions S3 holds that the table had not counted.
    pub added: u64,
    /// Versions the table counted that S3 no longer holds.
    pub removed: u64,
    /// Versions counted as removed that S3 still holds.
    pub revived: u64,
    /// Whether the total itself had to be set (it disagreed with its items).
    pub total_repaired: bool,
}

impl Drift {
    /// Whether the table was right all along.
    pub fn none(&self) -> bool {
        self.added == 0 && self.removed == 0 && self.revived == 0 && !self.total_repaired
    }
}

/// One version S3 lists: its item id and size.
pub type Listed = BTreeMap<String, u64>;

/// Every version (delete markers excluded: they hold nothing) under `root`, by item.
pub async fn list_versions(s3: &Client, bucket: &str, root: &str) -> Result<Listed, Error> {
    let mut listed = Listed::new();
    let (mut key_marker, mut version_marker) = (None, None);
    loop {
        let page = s3
            .list_object_versions()
            .bucket(bucket)
            .prefix(root)
            .set_key_marker(key_marker.take())
            .set_version_id_marker(version_marker.take())
            .send()
            .await
            .map_err(|error| Failure::of(&error).into_error(Upstream::S3, "ListObjectVersions"))?;
        for version in page.versions() {
            let Some(key) = version.key() else { continue };
            let id = version.version_id().unwrap_or("null");
            let size = u64::try_from(version.size().unwrap_or(0)).unwrap_or(0);
            listed.insert(version_item(key, id), size);
        }
        if page.is_truncated() != Some(true) {
            return Ok(listed);
        }
        key_marker = page.next_key_marker().map(str::to_owned);
        version_marker = page.next_version_id_marker().map(str::to_owned);
        if key_marker.is_none() {
            return Ok(listed);
        }
    }
}

/// The changes that bring the items in line with S3: (added, removed, revived), each
/// added or revived version with its size.
pub type Plan = (Vec<(String, u64)>, Vec<String>, Vec<(String, u64)>);

/// The [`Plan`] that brings `items` in line with what S3 `listed`.
pub fn plan(items: &[(String, u64, bool)], listed: &Listed) -> Plan {
    let known: BTreeMap<&str, (u64, bool)> = items
        .iter()
        .map(|(id, size, gone)| (id.as_str(), (*size, *gone)))
        .collect();
    let mut added = Vec::new();
    let mut revived = Vec::new();
    for (id, size) in listed {
        match known.get(id.as_str()) {
            None => added.push((id.clone(), *size)),
            Some((_, true)) => revived.push((id.clone(), *size)),
            Some((_, false)) => {}
        }
    }
    let removed = items
        .iter()
        .filter(|(id, _, gone)| !gone && !listed.contains_key(id))
        .map(|(id, _, _)| id.clone())
        .collect();
    (added, removed, revived)
}

/// Recounts the space whose root is `root` in `bucket`.
pub async fn recount(
    ledger: &Ledger<'_>,
    s3: &Client,
    bucket: &str,
    root: &str,
) -> Result<Drift, Error> {
    let db = |e: DbError| e.into_error("recount");
    let before = ledger.totals(root).await.map_err(db)?;
    let items = ledger.versions(root).await.map_err(db)?;
    let listed = list_versions(s3, bucket, root).await?;
    let (added, removed, revived) = plan(&items, &listed);
    let mut drift = Drift {
        space: root.to_owned(),
        bytes_before: before.bytes,
        versions_before: before.versions,
        ..Drift::default()
    };
    for (id, size) in &added {
        if ledger.created(root, id, *size).await.map_err(db)? == super::tally::Applied::Counted {
            drift.added += 1;
        }
    }
    for id in &removed {
        if ledger.removed(root, id).await.map_err(db)? == super::tally::Applied::Counted {
            drift.removed += 1;
        }
    }
    for (id, size) in &revived {
        if ledger.revived(root, id, *size).await.map_err(db)? == super::tally::Applied::Counted {
            drift.revived += 1;
        }
    }
    // The total against its items, read between two reads of the total that agree.
    for _ in 0..8 {
        let seen = ledger.totals(root).await.map_err(db)?;
        let live: Vec<u64> = ledger
            .versions(root)
            .await
            .map_err(db)?
            .into_iter()
            .filter(|(_, _, gone)| !gone)
            .map(|(_, size, _)| size)
            .collect();
        let again = ledger.totals(root).await.map_err(db)?;
        if again.rev != seen.rev {
            continue;
        }
        let (bytes, versions) = (live.iter().sum::<u64>(), live.len() as u64);
        if (seen.bytes, seen.versions) != (bytes as i64, versions as i64) {
            if !ledger
                .set_totals(root, &seen, bytes, versions)
                .await
                .map_err(db)?
            {
                continue;
            }
            drift.total_repaired = true;
        }
        drift.bytes = bytes;
        drift.versions = versions;
        return Ok(drift);
    }
    let Totals {
        bytes, versions, ..
    } = ledger.totals(root).await.map_err(db)?;
    drift.bytes = u64::try_from(bytes).unwrap_or(0);
    drift.versions = u64::try_from(versions).unwrap_or(0);
    Ok(drift)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_adds_what_s3_has_and_removes_what_it_lost() {
        let items = vec![
            ("v#a".to_owned(), 10, false), // in S3: fine
            ("v#b".to_owned(), 20, false), // gone from S3: removed
            ("v#c".to_owned(), 0, true),   // a tombstone S3 still lists: revived
            ("v#d".to_owned(), 0, true),   // a tombstone, gone from S3: fine
        ];
        let listed = Listed::from([
            ("v#a".to_owned(), 10),
            ("v#c".to_owned(), 30),
            ("v#e".to_owned(), 40), // never counted: added
        ]);
        let (added, removed, revived) = plan(&items, &listed);
        assert_eq!(added, [("v#e".to_owned(), 40)]);
        assert_eq!(removed, ["v#b".to_owned()]);
        assert_eq!(revived, [("v#c".to_owned(), 30)]);
        let (added, removed, revived) = plan(&[], &Listed::new());
        assert!(added.is_empty() && removed.is_empty() && revived.is_empty());
    }
}

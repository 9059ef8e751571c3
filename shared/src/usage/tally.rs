//! Changes applied to the usage table, so that a duplicated or reordered event never
//! changes a total (see [`super::table`] for the layout and why it holds).
//!
//! - A creation puts the version's item only if it does not exist, and adds its size
//!   to the total in the same transaction: a duplicate, or a creation whose removal
//!   came first (the item is a tombstone), cancels the transaction and changes nothing.
//! - A removal reads the item: a live one becomes a tombstone while its size leaves
//!   the total (one transaction, conditional on it still being live); a missing one
//!   becomes a tombstone at once, so the late creation finds it; a tombstone means the
//!   removal was already counted.
//! - A space's full/not-full verdict ([`Ledger::judge`]) changes in one transaction
//!   with the set of spaces the IAM deny documents name, conditional on the total not
//!   having moved since it was read (`rev`), so concurrent verdicts cannot cross.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::SpaceId;
use super::quota::{Quotas, is_full};
use super::table::{self, EXPIRES, ITEM, OVER, SPACE, TOMBSTONE_DAYS, Totals};
use crate::aws::dynamodb::{Attr, DbError, DynamoDb, Item};

/// A version's state in the table: live with its size, or gone (a tombstone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionState {
    Live(u64),
    Gone,
}

/// What one change does to a version's item and to its space's total: the new state
/// and the change of (bytes, versions), or `None` when it changes nothing. The states
/// only move forward (absent → live → gone, absent → gone), which is what makes any
/// number of duplicates, in any order, end at the same totals. [`Ledger`] makes each
/// of these moves one conditional DynamoDB write.
pub fn step(
    state: Option<VersionState>,
    created: Option<u64>,
) -> Option<(VersionState, i128, i64)> {
    match (state, created) {
        (None, Some(size)) => Some((VersionState::Live(size), i128::from(size), 1)),
        (None, None) => Some((VersionState::Gone, 0, 0)),
        (Some(VersionState::Live(size)), None) => Some((VersionState::Gone, -i128::from(size), -1)),
        (Some(VersionState::Live(_)), Some(_)) | (Some(VersionState::Gone), _) => None,
    }
}

/// How often a write that lost a race (a concurrent transaction on the same item) is
/// tried again before the event is left to Lambda's own retry.
const RACES: usize = 8;

/// What applying one change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The total changed by this version.
    Counted,
    /// Nothing: the change had been applied already (a duplicate event).
    Already,
    /// A removal that came before its creation: remembered, the total unchanged.
    RemovedFirst,
}

/// The spaces the deny documents must name, as the table holds them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OverSet {
    /// Roots of the spaces over quota.
    pub roots: Vec<String>,
    /// Changes with every verdict that adds or removes a space.
    pub version: u64,
    /// The version last written to IAM.
    pub written: u64,
}

/// The usage table, written by the usage function.
pub struct Ledger<'a> {
    pub db: &'a DynamoDb,
    pub table: &'a str,
}

impl Ledger<'_> {
    /// A version of `size` bytes was created in the space whose root is `root`.
    pub async fn created(&self, root: &str, item: &str, size: u64) -> Result<Applied, DbError> {
        for _ in 0..RACES {
            let request = json!({"TransactItems": [
                {"Put": {
                    "TableName": self.table,
                    "Item": table::key(root, item).with("size", Attr::n(size)).to_json(),
                    "ConditionExpression": "attribute_not_exists(#i)",
                    "ExpressionAttributeNames": {"#i": ITEM},
                }},
                self.add_to_total(root, i128::from(size), 1),
            ]});
            match self.db.call("TransactWriteItems", &request).await {
                Ok(_) => return Ok(Applied::Counted),
                Err(DbError::Cancelled(reasons)) if first_condition_failed(&reasons) => {
                    return Ok(Applied::Already);
                }
                Err(DbError::Cancelled(_)) => continue,
                Err(other) => return Err(other),
            }
        }
        Err(lost_races())
    }

    /// The version whose item is `item` no longer exists.
    pub async fn removed(&self, root: &str, item: &str) -> Result<Applied, DbError> {
        let key = table::key(root, item);
        for _ in 0..RACES {
            let found = self.db.get(self.table, &key).await?;
            match found {
                Some(version) if version.bool("gone") == Some(true) => return Ok(Applied::Already),
                Some(version) => {
                    let size = version.u64("size").unwrap_or(0);
                    let request = json!({"TransactItems": [
                        {"Update": {
                            "TableName": self.table,
                            "Key": key.to_json(),
                            "UpdateExpression": "SET #g = :t, #e = :e",
                            "ConditionExpression": "attribute_exists(#i) AND attribute_not_exists(#g)",
                            "ExpressionAttributeNames": {"#g": "gone", "#e": EXPIRES, "#i": ITEM},
                            "ExpressionAttributeValues": {":t": {"BOOL": true}, ":e": tombstone_expiry()},
                        }},
                        self.add_to_total(root, -i128::from(size), -1),
                    ]});
                    match self.db.call("TransactWriteItems", &request).await {
                        Ok(_) => return Ok(Applied::Counted),
                        Err(DbError::Cancelled(_)) => continue,
                        Err(other) => return Err(other),
                    }
                }
                None => {
                    let request = json!({
                        "TableName": self.table,
                        "Item": key.clone()
                            .with("gone", Attr::Bool(true))
                            .with(EXPIRES, Attr::N(expiry_seconds().to_string()))
                            .to_json(),
                        "ConditionExpression": "attribute_not_exists(#i)",
                        "ExpressionAttributeNames": {"#i": ITEM},
                    });
                    match self.db.call("PutItem", &request).await {
                        Ok(_) => return Ok(Applied::RemovedFirst),
                        // Its creation was counted meanwhile: remove it now.
                        Err(DbError::ConditionFailed) => continue,
                        Err(other) => return Err(other),
                    }
                }
            }
        }
        Err(lost_races())
    }

    /// A version that a recount finds in S3 although its item is a tombstone (its
    /// removal was counted, wrongly): live again, its size back in the total.
    pub async fn revived(&self, root: &str, item: &str, size: u64) -> Result<Applied, DbError> {
        let request = json!({"TransactItems": [
            {"Update": {
                "TableName": self.table,
                "Key": table::key(root, item).to_json(),
                "UpdateExpression": "SET #s = :s REMOVE #g, #e",
                "ConditionExpression": "#g = :t",
                "ExpressionAttributeNames": {"#s": "size", "#g": "gone", "#e": EXPIRES},
                "ExpressionAttributeValues": {":s": Attr::n(size).to_json(), ":t": {"BOOL": true}},
            }},
            self.add_to_total(root, i128::from(size), 1),
        ]});
        match self.db.call("TransactWriteItems", &request).await {
            Ok(_) => Ok(Applied::Counted),
            Err(DbError::Cancelled(_)) => Ok(Applied::Already),
            Err(other) => Err(other),
        }
    }

    fn add_to_total(&self, root: &str, bytes: i128, versions: i64) -> Value {
        json!({"Update": {
            "TableName": self.table,
            "Key": table::total_key(root).to_json(),
            "UpdateExpression": "ADD #b :b, #v :v, #r :one",
            "ExpressionAttributeNames": {"#b": "bytes", "#v": "versions", "#r": "rev"},
            "ExpressionAttributeValues": {
                ":b": Attr::n(bytes).to_json(),
                ":v": Attr::n(versions).to_json(),
                ":one": {"N": "1"},
            },
        }})
    }

    /// A space's totals.
    pub async fn totals(&self, root: &str) -> Result<Totals, DbError> {
        let item = self.db.get(self.table, &table::total_key(root)).await?;
        Ok(Totals::from_item(item.as_ref()))
    }

    /// Judges whether the space is full, and records a changed verdict with the set
    /// of spaces over quota, atomically. `Some(verdict)` when it changed.
    pub async fn judge(
        &self,
        root: &str,
        space: &SpaceId,
        quotas: &Quotas,
    ) -> Result<Option<bool>, DbError> {
        for _ in 0..RACES {
            let totals = self.totals(root).await?;
            let quota = match space {
                SpaceId::Home(_) => quotas.home(totals.quota),
                SpaceId::Team(_) => quotas.team(),
            };
            let full = is_full(totals.bytes(), quota);
            if full == totals.over {
                return Ok(None);
            }
            let (set_expression, values) = if full {
                (
                    "ADD #s :root, #n :one",
                    json!({":root": {"SS": [root]}, ":one": {"N": "1"}}),
                )
            } else {
                (
                    "DELETE #s :root ADD #n :one",
                    json!({":root": {"SS": [root]}, ":one": {"N": "1"}}),
                )
            };
            // The verdict holds for the total as read: no change may have come between.
            let (condition, mut verdict_values) = if totals.rev == 0 {
                ("attribute_not_exists(#r)", json!({}))
            } else {
                ("#r = :rev", json!({":rev": Attr::n(totals.rev).to_json()}))
            };
            verdict_values[":full"] = json!({"BOOL": full});
            let request = json!({"TransactItems": [
                {"Update": {
                    "TableName": self.table,
                    "Key": table::total_key(root).to_json(),
                    "UpdateExpression": "SET #o = :full",
                    "ConditionExpression": condition,
                    "ExpressionAttributeNames": {"#o": "over", "#r": "rev"},
                    "ExpressionAttributeValues": verdict_values,
                }},
                {"Update": {
                    "TableName": self.table,
                    "Key": table::bookkeeping_key(OVER).to_json(),
                    "UpdateExpression": set_expression,
                    "ExpressionAttributeNames": {"#s": "spaces", "#n": "version"},
                    "ExpressionAttributeValues": values,
                }},
            ]});
            match self.db.call("TransactWriteItems", &request).await {
                Ok(_) => {
                    tracing::info!(space = root, full, bytes = totals.bytes(), quota = ?quota, "quota verdict changed");
                    return Ok(Some(full));
                }
                Err(DbError::Cancelled(_)) => continue,
                Err(other) => return Err(other),
            }
        }
        Err(lost_races())
    }

    /// The spaces over quota, and which version of that set IAM has.
    pub async fn over_set(&self) -> Result<OverSet, DbError> {
        let item = self
            .db
            .get(self.table, &table::bookkeeping_key(OVER))
            .await?
            .unwrap_or_default();
        let mut roots = item.strings("spaces");
        roots.sort();
        Ok(OverSet {
            roots,
            version: item.u64("version").unwrap_or(0),
            written: item.u64("written").unwrap_or(0),
        })
    }

    /// Records that IAM now has `version` of the set (unless a later one was written).
    pub async fn mark_written(&self, version: u64) -> Result<(), DbError> {
        let request = json!({
            "TableName": self.table,
            "Key": table::bookkeeping_key(OVER).to_json(),
            "UpdateExpression": "SET #w = :v",
            "ConditionExpression": "attribute_not_exists(#w) OR #w < :v",
            "ExpressionAttributeNames": {"#w": "written"},
            "ExpressionAttributeValues": {":v": Attr::n(version).to_json()},
        });
        match self.db.call("UpdateItem", &request).await {
            Ok(_) | Err(DbError::ConditionFailed) => Ok(()),
            Err(other) => Err(other),
        }
    }

    /// Every version item of a space: item id → (size, gone).
    pub async fn versions(&self, root: &str) -> Result<Vec<(String, u64, bool)>, DbError> {
        let items = self
            .db
            .query(json!({
                "TableName": self.table,
                "KeyConditionExpression": "#p = :p AND begins_with(#i, :v)",
                "ExpressionAttributeNames": {"#p": SPACE, "#i": ITEM},
                "ExpressionAttributeValues": {":p": {"S": root}, ":v": {"S": "v#"}},
                "ConsistentRead": true,
            }))
            .await?;
        Ok(items
            .iter()
            .filter_map(|item| {
                let id = item.s(ITEM)?.to_owned();
                Some((
                    id,
                    item.u64("size").unwrap_or(0),
                    item.bool("gone") == Some(true),
                ))
            })
            .collect())
    }

    /// Sets a space's totals to what its items add up to, if the total has not moved
    /// (`rev`) since it was read: the repair of a total that drifted.
    pub async fn set_totals(
        &self,
        root: &str,
        seen: &Totals,
        bytes: u64,
        versions: u64,
    ) -> Result<bool, DbError> {
        let mut request = json!({
            "TableName": self.table,
            "Key": table::total_key(root).to_json(),
            "UpdateExpression": "SET #b = :b, #v = :v, #r = :next",
            "ConditionExpression": "#r = :rev",
            "ExpressionAttributeNames": {"#b": "bytes", "#v": "versions", "#r": "rev"},
            "ExpressionAttributeValues": {
                ":b": Attr::n(bytes).to_json(),
                ":v": Attr::n(versions).to_json(),
                ":rev": Attr::n(seen.rev).to_json(),
                ":next": Attr::n(seen.rev + 1).to_json(),
            },
        });
        if seen.rev == 0 {
            request["ConditionExpression"] = json!("attribute_not_exists(#r)");
            if let Some(values) = request["ExpressionAttributeValues"].as_object_mut() {
                values.remove(":rev");
            }
        }
        match self.db.call("UpdateItem", &request).await {
            Ok(_) => Ok(true),
            Err(DbError::ConditionFailed) => Ok(false),
            Err(other) => Err(other),
        }
    }

    /// A bookkeeping item (the recount's cursor).
    pub async fn bookkeeping(&self, name: &str) -> Result<Item, DbError> {
        Ok(self
            .db
            .get(self.table, &table::bookkeeping_key(name))
            .await?
            .unwrap_or_default())
    }

    /// The spaces whose per-user quota the API saw change since the reconcile last
    /// judged them: (root, the count of changes seen).
    pub async fn quota_changes(&self) -> Result<Vec<(String, u64)>, DbError> {
        let items = self
            .db
            .query(json!({
                "TableName": self.table,
                "KeyConditionExpression": "#p = :p AND begins_with(#i, :c)",
                "FilterExpression": "attribute_not_exists(#j) OR #j < #q",
                "ExpressionAttributeNames": {"#p": SPACE, "#i": ITEM, "#j": "judged", "#q": "quota"},
                "ExpressionAttributeValues": {":p": {"S": table::QUOTA_PARTITION}, ":c": {"S": table::CHANGED}},
                "ConsistentRead": true,
            }))
            .await?;
        Ok(items
            .iter()
            .filter_map(|item| {
                let root = item.s(ITEM)?.strip_prefix(table::CHANGED)?;
                Some((root.to_owned(), item.u64("quota").unwrap_or(0)))
            })
            .collect())
    }

    /// Records that the space's quota change number `seen` was judged (unless the
    /// API saw another meanwhile: then the next reconcile judges it again); the item
    /// expires with the tombstones.
    pub async fn quota_change_judged(&self, root: &str, seen: u64) -> Result<(), DbError> {
        let request = json!({
            "TableName": self.table,
            "Key": table::quota_change_key(root).to_json(),
            "UpdateExpression": "SET #j = :seen, #e = :e",
            "ConditionExpression": "#q = :seen",
            "ExpressionAttributeNames": {"#j": "judged", "#e": EXPIRES, "#q": "quota"},
            "ExpressionAttributeValues": {
                ":seen": Attr::n(seen).to_json(),
                ":e": tombstone_expiry(),
            },
        });
        match self.db.call("UpdateItem", &request).await {
            Ok(_) | Err(DbError::ConditionFailed) => Ok(()),
            Err(other) => Err(other),
        }
    }

    /// Sets one string attribute of a bookkeeping item (absent: removed).
    pub async fn set_bookkeeping(
        &self,
        name: &str,
        attribute: &str,
        value: Option<&str>,
    ) -> Result<(), DbError> {
        let key = table::bookkeeping_key(name).to_json();
        let request = match value {
            Some(value) => json!({
                "TableName": self.table, "Key": key,
                "UpdateExpression": "SET #a = :v",
                "ExpressionAttributeNames": {"#a": attribute},
                "ExpressionAttributeValues": {":v": {"S": value}},
            }),
            None => json!({
                "TableName": self.table, "Key": key,
                "UpdateExpression": "REMOVE #a",
                "ExpressionAttributeNames": {"#a": attribute},
            }),
        };
        self.db.call("UpdateItem", &request).await.map(drop)
    }
}

/// Whether a cancelled transaction's first action (the conditional put of the
/// version's item) is what failed.
fn first_condition_failed(reasons: &[String]) -> bool {
    reasons.first().map(String::as_str) == Some("ConditionalCheckFailed")
}

fn lost_races() -> DbError {
    DbError::Other(crate::aws::Failure {
        code: Some("TransactionConflict".into()),
        status: Some(400),
        transport: false,
    })
}

/// When a tombstone may go: [`TOMBSTONE_DAYS`] from now, in seconds since the epoch.
fn expiry_seconds() -> u64 {
    (SystemTime::now() + Duration::from_secs(TOMBSTONE_DAYS * 24 * 3600))
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn tombstone_expiry() -> Value {
    Attr::n(expiry_seconds()).to_json()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    /// Replays `events` (version, `Some(size)` for its creation, `None` for its
    /// removal) through [`step`]: the totals.
    fn replay(events: &[(u8, Option<u64>)]) -> (i128, i64) {
        let mut states = BTreeMap::new();
        let (mut bytes, mut versions) = (0i128, 0i64);
        for (version, created) in events {
            if let Some((next, db, dv)) = step(states.get(version).copied(), *created) {
                states.insert(*version, next);
                bytes += db;
                versions += dv;
            }
        }
        (bytes, versions)
    }

    proptest! {
        /// Each version is created once (with its size) and maybe removed; every event
        /// is delivered one to three times, in any order: the totals are always those of
        /// the versions created and not removed.
        #[test]
        fn duplicated_and_reordered_events_end_at_the_same_totals(
            versions in proptest::collection::vec((1u64..1_000_000, any::<bool>()), 0..12),
            copies in proptest::collection::vec(1usize..=3, 24),
            order in any::<u64>(),
        ) {
            let mut events = Vec::new();
            for (index, (size, removed)) in versions.iter().enumerate() {
                let version = u8::try_from(index).expect("few versions");
                events.extend(std::iter::repeat_n((version, Some(*size)), copies[2 * index]));
                if *removed {
                    events.extend(std::iter::repeat_n((version, None), copies[2 * index + 1]));
                }
            }
            // A deterministic shuffle from `order`.
            let mut seed = order | 1;
            for i in (1..events.len()).rev() {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                events.swap(i, (seed % (i as u64 + 1)) as usize);
            }
            let expected_bytes: i128 = versions.iter().filter(|(_, r)| !r).map(|(s, _)| i128::from(*s)).sum();
            let expected_versions = versions.iter().filter(|(_, r)| !r).count() as i64;
            prop_assert_eq!(replay(&events), (expected_bytes, expected_versions));
        }
    }

    #[test]
    fn a_removal_before_its_creation_leaves_nothing_counted() {
        assert_eq!(replay(&[(1, None), (1, Some(10))]), (0, 0));
        assert_eq!(
            replay(&[(1, Some(10)), (1, Some(10)), (2, Some(5))]),
            (15, 2)
        );
        assert_eq!(replay(&[(1, Some(10)), (1, None), (1, None)]), (0, 0));
    }

    #[test]
    fn a_duplicate_creation_is_told_by_its_put_failing() {
        assert!(first_condition_failed(&[
            "ConditionalCheckFailed".into(),
            "None".into()
        ]));
        assert!(!first_condition_failed(&[
            "None".into(),
            "TransactionConflict".into()
        ]));
        assert!(!first_condition_failed(&[]));
    }

    #[test]
    fn tombstones_outlive_every_retry_of_an_event() {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .as_secs();
        assert!(expiry_seconds() >= now + 6 * 3600);
    }
}

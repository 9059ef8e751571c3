//! Quotas: how much a space may hold, and the API's check before anything is written.
//!
//! A home's quota is its owner's `custom:quota` (bytes, set only by an operator, a
//! claim of the ID token) or else `QUOTA_BYTES`; a team space's is `TEAM_QUOTA_BYTES`.
//! Zero is no quota. A space is **full** once it holds at least its quota: then every
//! write is refused (507 `quota_exceeded`), and so is any write that would take it past
//! the quota. Reads, lists, deletes and downloads never read the table.
//!
//! The check is one DynamoDB read of the space's total (GetItem, strongly consistent,
//! with the function's own role, keyed by the root Cognito vouched for), made only for
//! a space that has a quota. When the caller's `custom:quota` differs from what the
//! total records, the API records it (UpdateItem of that one attribute) and that it
//! changed (an UpdateItem of the space's `changed#` bookkeeping item), so the usage
//! function judges the home by the same quota the API does, at its next reconcile.

use std::sync::Arc;

use homedir_wire::{QuotaExceeded, Usage};
use serde_json::json;

use super::table::{self, Totals};
use crate::aws::dynamodb::{Attr, DynamoDb};
use crate::error::Error;
use crate::storage::Admission;

/// `QUOTA_BYTES` and `TEAM_QUOTA_BYTES`: the defaults (0: no quota).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Quotas {
    pub home: u64,
    pub team: u64,
}

impl Quotas {
    /// The quota of a home whose owner's `custom:quota` is `claim`.
    pub fn home(&self, claim: Option<u64>) -> Option<u64> {
        nonzero(claim.unwrap_or(self.home))
    }

    /// The quota of a team's space.
    pub fn team(&self) -> Option<u64> {
        nonzero(self.team)
    }
}

fn nonzero(bytes: u64) -> Option<u64> {
    (bytes > 0).then_some(bytes)
}

/// Whether a space holding `bytes` is full under `quota`.
pub fn is_full(bytes: u64, quota: Option<u64>) -> bool {
    quota.is_some_and(|quota| bytes >= quota)
}

/// A space's usage as the API answers it.
pub fn usage(totals: &Totals, quota: Option<u64>) -> Usage {
    Usage {
        bytes: totals.bytes(),
        versions: totals.versions(),
        quota_bytes: quota,
        over: is_full(totals.bytes(), quota),
    }
}

/// Whether `size` more bytes fit: `Err(quota_exceeded)` if the space is full or would
/// go past its quota.
pub fn check(used: u64, quota: Option<u64>, size: u64) -> Result<(), Error> {
    match quota {
        Some(quota) if used >= quota || used.saturating_add(size) > quota => {
            Err(Error::QuotaExceeded(QuotaExceeded { used, quota, size }))
        }
        _ => Ok(()),
    }
}

/// The `custom:quota` claim: a whole number of bytes. Anything else is no override
/// (the default applies), and is logged.
pub fn parse_claim(claim: Option<&str>) -> Option<u64> {
    let text = claim?.trim();
    if text.is_empty() {
        return None;
    }
    match text.parse::<u64>() {
        Ok(bytes) => Some(bytes),
        Err(_) => {
            tracing::warn!(
                "the token's custom:quota is not a whole number of bytes; the default applies"
            );
            None
        }
    }
}

/// The usage table as the API functions read it: one total at a time.
pub struct UsageReader {
    db: Arc<DynamoDb>,
    /// `USAGE_TABLE`; without it there is no usage to read and no quota to enforce.
    table: Option<String>,
    pub quotas: Quotas,
}

impl UsageReader {
    pub fn new(db: Arc<DynamoDb>, table: Option<String>, quotas: Quotas) -> Self {
        UsageReader { db, table, quotas }
    }

    /// Whether usage is counted in this deployment.
    pub fn enabled(&self) -> bool {
        self.table.is_some()
    }

    /// The total of the space whose root is `root`; with `claim` (a home's owner's
    /// `custom:quota`, `None` for a team), the recorded quota is brought in step.
    pub async fn totals(&self, root: &str, claim: Option<Option<u64>>) -> Result<Totals, Error> {
        let Some(table) = &self.table else {
            return Err(Error::InvalidRequest(
                "usage is not counted in this deployment (no USAGE_TABLE)".into(),
            ));
        };
        let item = self
            .db
            .get(table, &table::total_key(root))
            .await
            .map_err(|e| e.into_error("GetItem"))?;
        let totals = Totals::from_item(item.as_ref());
        if let Some(claim) = claim
            && claim != totals.quota
        {
            self.record_quota(table, root, claim).await?;
            return Ok(Totals {
                quota: claim,
                ..totals
            });
        }
        Ok(totals)
    }

    /// The owner's quota as their token says, on their total (only that attribute).
    async fn record_quota(&self, table: &str, root: &str, claim: Option<u64>) -> Result<(), Error> {
        let key = table::total_key(root).to_json();
        let request = match claim {
            Some(bytes) => json!({
                "TableName": table,
                "Key": key,
                "UpdateExpression": "SET #q = :q",
                "ExpressionAttributeNames": {"#q": "quota"},
                "ExpressionAttributeValues": {":q": Attr::n(bytes).to_json()},
            }),
            None => json!({
                "TableName": table,
                "Key": key,
                "UpdateExpression": "REMOVE #q",
                "ExpressionAttributeNames": {"#q": "quota"},
            }),
        };
        self.db
            .call("UpdateItem", &request)
            .await
            .map_err(|e| e.into_error("UpdateItem"))?;
        // And that it changed, for the usage function's reconcile to judge the space
        // by it: a quota lowered below what the space holds must reach IAM without
        // waiting for the space's next event.
        self.db
            .call(
                "UpdateItem",
                &json!({
                    "TableName": table,
                    "Key": table::quota_change_key(root).to_json(),
                    "UpdateExpression": "ADD #q :one",
                    "ExpressionAttributeNames": {"#q": "quota"},
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }),
            )
            .await
            .map(drop)
            .map_err(|e| e.into_error("UpdateItem"))
    }
}

/// A space's gate: its root, its quota, and the reader that knows its usage.
pub struct Gate<'a> {
    pub reader: &'a UsageReader,
    pub root: String,
    pub quota: Option<u64>,
    /// For a home: the owner's `custom:quota` (recorded if it changed).
    pub claim: Option<Option<u64>>,
}

impl Admission for Gate<'_> {
    async fn admit(&self, size: u64) -> Result<(), Error> {
        if self.quota.is_none() || !self.reader.enabled() {
            return Ok(());
        }
        let totals = self.reader.totals(&self.root, self.claim).await?;
        check(totals.bytes(), self.quota, size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_fits_while_the_space_stays_within_its_quota() {
        assert_eq!(check(0, None, u64::MAX), Ok(()));
        assert_eq!(check(10, Some(100), 90), Ok(()));
        let refused = |used, size| {
            Err(Error::QuotaExceeded(QuotaExceeded {
                used,
                quota: 100,
                size,
            }))
        };
        assert_eq!(check(10, Some(100), 91), refused(10, 91));
        // Full: even an empty file is refused (IAM refuses it too).
        assert_eq!(check(100, Some(100), 0), refused(100, 0));
        assert_eq!(check(150, Some(100), 0), refused(150, 0));
        assert_eq!(check(1, Some(100), u64::MAX), refused(1, u64::MAX));
    }

    #[test]
    fn the_claim_overrides_the_default_and_zero_is_no_quota() {
        let quotas = Quotas {
            home: 1000,
            team: 5000,
        };
        assert_eq!(quotas.home(None), Some(1000));
        assert_eq!(quotas.home(Some(10)), Some(10));
        assert_eq!(quotas.home(Some(0)), None);
        assert_eq!(quotas.team(), Some(5000));
        assert_eq!(Quotas::default().home(None), None);
        assert_eq!(parse_claim(Some("1048576")), Some(1_048_576));
        assert_eq!(parse_claim(Some(" 0 ")), Some(0));
        for bad in [None, Some(""), Some("1 MiB"), Some("-1"), Some("1.5")] {
            assert_eq!(parse_claim(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn usage_says_full_at_the_quota() {
        let totals = Totals {
            bytes: 100,
            versions: 3,
            ..Totals::default()
        };
        assert_eq!(
            usage(&totals, Some(100)),
            Usage {
                bytes: 100,
                versions: 3,
                quota_bytes: Some(100),
                over: true
            }
        );
        assert!(!usage(&totals, Some(101)).over);
        assert!(!usage(&totals, None).over);
    }
}

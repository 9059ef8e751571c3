//! The usage function: the one writer of the usage table and of the quota deny
//! policies. What invokes it, and what it does:
//!
//! | event | from | what it does |
//! |---|---|---|
//! | an S3 notification (`{"Records": [...]}`) | the bucket | each creation and removal tallied ([`super::tally`]), then each touched space judged full or not; a changed verdict rewrites the deny policies |
//! | `{"task": "reconcile"}` | a schedule, every minute | every space the deny policies name judged again (a quota raised, versions expired without an event reaching us), and every space whose owner's quota the API saw change (a quota lowered below what the home holds), and the policies rewritten if IAM does not have the latest set |
//! | `{"task": "recount-pass", "bucket": B}` | a schedule, every hour | writes the policies (a stack update may have reset them), then recounts spaces for up to `RECOUNT_BUDGET_SECS`, continuing where the last pass stopped; a whole pass visits every home and team space |
//! | `{"recount": "<space root>", "bucket": B}` | an operator (`aws lambda invoke`, docs/quotas.md) | recounts that space; answers what it found ([`Drift`]) |
//!
//! It runs with its own role: the usage table, `s3:ListBucketVersions` of the homes and
//! team spaces (to recount; it can read no object), and new versions of the quota
//! policies. The bucket is named by the events that list it, not by the environment:
//! the bucket's notification refers to this function, so the function cannot refer to
//! the bucket.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_s3::config::IdentityCache;
use aws_smithy_runtime_api::client::behavior_version::BehaviorVersion;
use aws_types::SdkConfig;
use aws_types::region::Region;
use serde_json::{Value, json};

use super::deny::{self, Target};
use super::events::{self, Change};
use super::iam::Iam;
use super::quota::Quotas;
use super::recount::{self, Drift};
use super::table::{self, RECOUNT};
use super::tally::Ledger;
use super::{Layout, SpaceId};
use crate::aws::dynamodb::{DbError, DynamoDb};
use crate::aws::{AwsCalls, CountCalls, function_credentials, timeouts_of};
use crate::config::{ConfigError, Settings};
use crate::error::Error;

/// The usage function's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageConfig {
    pub region: String,
    pub layout: Layout,
    pub table: String,
    pub quotas: Quotas,
    /// `QUOTA_POLICY_ARNS`: the managed policies the deny documents go into (empty: no
    /// IAM bound, only the API's).
    pub policies: Vec<String>,
    pub endpoint_url: Option<String>,
    pub upstream_timeout: Duration,
    /// How long one pass of the scheduled recount runs.
    pub recount_budget: Duration,
}

impl UsageConfig {
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let settings = Settings::new(lookup);
        let region = settings.region()?;
        Ok(UsageConfig {
            layout: Layout {
                home_prefix: settings.home_prefix()?,
                team_prefix: settings.team_prefix()?,
                identity_region_prefix: format!("{region}:"),
            },
            table: settings.usage_table()?.ok_or(ConfigError {
                variable: "USAGE_TABLE",
                problem: "is not set (required by the usage function)".into(),
            })?,
            quotas: settings.quotas()?,
            policies: settings
                .get("QUOTA_POLICY_ARNS")
                .map(|list| {
                    list.split(',')
                        .map(str::trim)
                        .filter(|arn| !arn.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            endpoint_url: settings.endpoint_url()?,
            upstream_timeout: Duration::from_secs(settings.number(
                "UPSTREAM_TIMEOUT_SECS",
                10,
                1,
                25,
            )?),
            recount_budget: settings.seconds("RECOUNT_BUDGET_SECS", 240, 840)?,
            region,
        })
    }
}

/// What the usage function holds: built once per cold start.
pub struct UsageApp {
    config: UsageConfig,
    db: DynamoDb,
    iam: Iam,
    /// S3 with the function's own credentials, which allow ListObjectVersions of the
    /// spaces and nothing else.
    s3: aws_sdk_s3::Client,
    calls: Arc<AwsCalls>,
}

impl UsageApp {
    pub fn from_env() -> Result<UsageApp, ConfigError> {
        let config = UsageConfig::from_lookup(|name| std::env::var(name).ok())?;
        let credentials = function_credentials(|name| std::env::var(name).ok())?;
        let mut sdk = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(config.region.clone()))
            .credentials_provider(SharedCredentialsProvider::new(credentials));
        sdk.set_endpoint_url(config.endpoint_url.clone());
        Ok(UsageApp::new(config, &sdk.build()))
    }

    pub fn new(config: UsageConfig, sdk: &SdkConfig) -> UsageApp {
        let calls = Arc::new(AwsCalls::default());
        let s3 = aws_sdk_s3::config::Builder::from(sdk)
            .identity_cache(IdentityCache::no_cache())
            .timeout_config(timeouts_of(config.upstream_timeout))
            .force_path_style(config.endpoint_url.is_some())
            .interceptor(CountCalls(calls.clone()))
            .build();
        let endpoint = config.endpoint_url.as_deref();
        UsageApp {
            db: DynamoDb::new(
                &config.region,
                endpoint,
                config.upstream_timeout,
                sdk.credentials_provider(),
                calls.clone(),
            ),
            iam: Iam::new(
                &config.region,
                endpoint,
                config.upstream_timeout,
                sdk.credentials_provider(),
                calls.clone(),
            ),
            s3: aws_sdk_s3::Client::from_conf(s3),
            calls,
            config,
        }
    }

    /// The AWS calls this process has made.
    pub fn calls(&self) -> &AwsCalls {
        &self.calls
    }

    fn ledger(&self) -> Ledger<'_> {
        Ledger {
            db: &self.db,
            table: &self.config.table,
        }
    }

    /// One invocation: its answer, or the error that makes Lambda retry it.
    pub async fn handle(&self, payload: Value) -> Result<Value, Error> {
        let started = Instant::now();
        let calls_before = self.calls.total();
        let task = if events::is_notification(&payload) {
            "events"
        } else if payload.get("recount").is_some() {
            "recount"
        } else {
            match payload.get("task").and_then(Value::as_str) {
                Some("reconcile") => "reconcile",
                Some("recount-pass") => "recount-pass",
                _ => "unknown",
            }
        };
        let outcome = match task {
            "events" => self.tally(payload).await,
            "recount" => self.recount_one(&payload).await,
            "reconcile" => self.reconcile().await,
            "recount-pass" => self.recount_pass(&payload).await,
            _ => Err(Error::InvalidRequest(
                "not an S3 notification, a schedule's task or a recount".into(),
            )),
        };
        let aws_calls = self.calls.total().saturating_sub(calls_before);
        let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        match &outcome {
            Ok(answer) => {
                tracing::info!(task, aws_calls, duration_ms, answer = %answer, "usage event handled")
            }
            Err(error) => {
                tracing::error!(task, aws_calls, duration_ms, detail = %error.log_detail(), "usage event failed")
            }
        }
        outcome
    }

    /// An S3 notification: each change tallied, each touched space judged.
    async fn tally(&self, payload: Value) -> Result<Value, Error> {
        let events = events::parse(payload).map_err(Error::InvalidRequest)?;
        let ledger = self.ledger();
        let db = |e: DbError| e.into_error("tally");
        let mut touched: Vec<(String, SpaceId)> = Vec::new();
        let (mut counted, mut ignored) = (0u64, 0u64);
        for event in events {
            let Some(change) = event.change else {
                ignored += 1;
                continue;
            };
            let Some(space) = self.config.layout.space_of(change.key()) else {
                tracing::warn!(event = %event.name, "an event for a key in no space was ignored");
                ignored += 1;
                continue;
            };
            let root = self.config.layout.root(&space);
            let item = table::version_item(change.key(), change.version());
            match change {
                Change::Created { size, .. } => ledger.created(&root, &item, size).await,
                Change::Removed { .. } => ledger.removed(&root, &item).await,
            }
            .map_err(db)?;
            counted += 1;
            if !touched.iter().any(|(r, _)| r == &root) {
                touched.push((root, space));
            }
        }
        let mut changed = false;
        for (root, space) in &touched {
            changed |= ledger
                .judge(root, space, &self.config.quotas)
                .await
                .map_err(db)?
                .is_some();
        }
        if changed {
            self.sync_policies(false).await?;
        }
        Ok(json!({"counted": counted, "ignored": ignored, "spaces": touched.len()}))
    }

    /// Every space over quota judged again, and every space whose owner's quota the
    /// API saw change; the policies brought up to date.
    async fn reconcile(&self) -> Result<Value, Error> {
        let ledger = self.ledger();
        let db = |e: DbError| e.into_error("reconcile");
        let set = ledger.over_set().await.map_err(db)?;
        let (mut released, mut filled) = (0u64, 0u64);
        let mut judge = |verdict: Option<bool>| match verdict {
            Some(true) => filled += 1,
            Some(false) => released += 1,
            None => {}
        };
        for root in &set.roots {
            let Some(space) = self.config.layout.parse_root(root) else {
                continue;
            };
            judge(
                ledger
                    .judge(root, &space, &self.config.quotas)
                    .await
                    .map_err(db)?,
            );
        }
        let changes = ledger.quota_changes().await.map_err(db)?;
        for (root, seen) in &changes {
            if let Some(space) = self.config.layout.parse_root(root) {
                judge(
                    ledger
                        .judge(root, &space, &self.config.quotas)
                        .await
                        .map_err(db)?,
                );
            }
            ledger.quota_change_judged(root, *seen).await.map_err(db)?;
        }
        let written = self.sync_policies(false).await?;
        let over = ledger.over_set().await.map_err(db)?.roots.len();
        Ok(json!({
            "over": over,
            "released": released,
            "filled": filled,
            "quota_changes": changes.len(),
            "policies_written": written,
        }))
    }

    /// An operator's recount of one space.
    async fn recount_one(&self, payload: &Value) -> Result<Value, Error> {
        let bucket = bucket_of(payload)?;
        let root = payload
            .get("recount")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let space = self.config.layout.parse_root(root).ok_or_else(|| {
            Error::InvalidRequest(format!(
                "recount names a space's root: {}/<identity id>/ or {}/<team>/",
                self.config.layout.home_prefix, self.config.layout.team_prefix
            ))
        })?;
        let drift = self.recount_space(bucket, root, &space).await?;
        serde_json::to_value(&drift).map_err(|e| Error::Internal(e.to_string()))
    }

    async fn recount_space(
        &self,
        bucket: &str,
        root: &str,
        space: &SpaceId,
    ) -> Result<Drift, Error> {
        let ledger = self.ledger();
        let drift = recount::recount(&ledger, &self.s3, bucket, root).await?;
        if drift.none() {
            tracing::info!(space = root, bytes = drift.bytes, "recount: no drift");
        } else {
            tracing::warn!(space = root, drift = ?drift, "recount: drift repaired");
        }
        if ledger
            .judge(root, space, &self.config.quotas)
            .await
            .map_err(|e| e.into_error("recount"))?
            .is_some()
        {
            self.sync_policies(false).await?;
        }
        Ok(drift)
    }

    /// The scheduled recount: spaces in order (homes, then team spaces), from where
    /// the last pass stopped, until the budget is spent.
    async fn recount_pass(&self, payload: &Value) -> Result<Value, Error> {
        let bucket = bucket_of(payload)?;
        let started = Instant::now();
        // Once an hour the policies are written whatever the table says, so a stack
        // update that reset them to the template's version is undone within the hour.
        self.sync_policies(true).await?;
        let ledger = self.ledger();
        let db = |e: DbError| e.into_error("recount pass");
        let mut cursor = ledger
            .bookkeeping(RECOUNT)
            .await
            .map_err(db)?
            .s("next")
            .map(str::to_owned);
        let (mut recounted, mut drifted) = (0u64, 0u64);
        let prefixes = [
            format!("{}/", self.config.layout.home_prefix),
            format!("{}/", self.config.layout.team_prefix),
        ];
        for prefix in &prefixes {
            if cursor
                .as_deref()
                .is_some_and(|c| !c.starts_with(prefix.as_str()) && prefix == &prefixes[0])
            {
                continue; // the pass is already among the team spaces
            }
            let after = cursor.clone().filter(|c| c.starts_with(prefix.as_str()));
            for root in self.spaces_under(bucket, prefix, after.as_deref()).await? {
                if started.elapsed() >= self.config.recount_budget {
                    ledger
                        .set_bookkeeping(RECOUNT, "next", cursor.as_deref())
                        .await
                        .map_err(db)?;
                    return Ok(json!({"recounted": recounted, "drifted": drifted, "done": false}));
                }
                let Some(space) = self.config.layout.parse_root(&root) else {
                    continue;
                };
                if !self.recount_space(bucket, &root, &space).await?.none() {
                    drifted += 1;
                }
                recounted += 1;
                cursor = Some(root);
            }
            cursor = None;
        }
        ledger
            .set_bookkeeping(RECOUNT, "next", None)
            .await
            .map_err(db)?;
        Ok(json!({"recounted": recounted, "drifted": drifted, "done": true}))
    }

    /// The roots of the spaces under `prefix` (`home/`), after `after` if given.
    async fn spaces_under(
        &self,
        bucket: &str,
        prefix: &str,
        after: Option<&str>,
    ) -> Result<Vec<String>, Error> {
        let mut roots = Vec::new();
        let mut key_marker = None;
        loop {
            let page = self
                .s3
                .list_object_versions()
                .bucket(bucket)
                .prefix(prefix)
                .delimiter("/")
                .set_key_marker(key_marker.take())
                .send()
                .await
                .map_err(|error| {
                    crate::aws::Failure::of(&error)
                        .into_error(crate::error::Upstream::S3, "ListObjectVersions")
                })?;
            roots.extend(
                page.common_prefixes()
                    .iter()
                    .filter_map(|p| p.prefix())
                    .filter(|root| after.is_none_or(|after| *root > after))
                    .map(str::to_owned),
            );
            if page.is_truncated() != Some(true) {
                return Ok(roots);
            }
            key_marker = page.next_key_marker().map(str::to_owned);
            if key_marker.is_none() {
                return Ok(roots);
            }
        }
    }

    /// Brings the deny policies to the latest set of full spaces (`force`: even if the
    /// table says IAM has it); `true` if written.
    async fn sync_policies(&self, force: bool) -> Result<bool, Error> {
        if self.config.policies.is_empty() {
            tracing::warn!("no QUOTA_POLICY_ARNS: full spaces are refused by the API only");
            return Ok(false);
        }
        let ledger = self.ledger();
        let db = |e: DbError| e.into_error("policies");
        let target = Target {
            partition: deny::partition(&self.config.region).to_owned(),
            home_prefix: self.config.layout.home_prefix.clone(),
            team_prefix: self.config.layout.team_prefix.clone(),
        };
        let mut wrote = false;
        for _ in 0..5 {
            let set = ledger.over_set().await.map_err(db)?;
            if set.written >= set.version && (!force || wrote) {
                return Ok(wrote);
            }
            let (mut homes, mut teams) = (Vec::new(), Vec::new());
            for root in &set.roots {
                match self.config.layout.parse_root(root) {
                    Some(SpaceId::Home(id)) => homes.push(id),
                    Some(SpaceId::Team(team)) => teams.push(team),
                    None => {}
                }
            }
            let (documents, left_out) =
                deny::documents(&target, &homes, &teams, self.config.policies.len());
            if left_out > 0 {
                tracing::error!(
                    left_out,
                    "the quota deny policies are full: these spaces are refused by the API only"
                );
            }
            for (arn, document) in self.config.policies.iter().zip(&documents) {
                self.iam
                    .replace_default(arn, &document.to_string())
                    .await
                    .map_err(|failure| {
                        failure.into_error(crate::error::Upstream::Iam, "CreatePolicyVersion")
                    })?;
            }
            ledger.mark_written(set.version).await.map_err(db)?;
            wrote = true;
            tracing::info!(
                over = set.roots.len(),
                version = set.version,
                "quota deny policies written"
            );
            // Written: done unless the set changed while IAM was being written.
            if ledger.over_set().await.map_err(db)?.version == set.version {
                return Ok(true);
            }
        }
        Ok(wrote)
    }
}

fn bucket_of(payload: &Value) -> Result<&str, Error> {
    payload
        .get("bucket")
        .and_then(Value::as_str)
        .filter(|b| crate::config::is_bucket_name(b))
        .ok_or_else(|| {
            Error::InvalidRequest("the event names no bucket (\"bucket\": \"…\")".into())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_settings_name_the_table_the_quotas_and_the_policies() {
        let env = |name: &str| {
            match name {
                "AWS_REGION" => Some("us-east-1"),
                "USAGE_TABLE" => Some("homedir-usage"),
                "QUOTA_BYTES" => Some("1048576"),
                "QUOTA_POLICY_ARNS" => Some("arn:aws:iam::1:policy/a, arn:aws:iam::1:policy/b"),
                _ => None,
            }
            .map(str::to_owned)
        };
        let config = UsageConfig::from_lookup(env).expect("complete");
        assert_eq!(config.table, "homedir-usage");
        assert_eq!(
            config.quotas,
            Quotas {
                home: 1_048_576,
                team: 0
            }
        );
        assert_eq!(config.policies.len(), 2);
        assert_eq!(config.layout.identity_region_prefix, "us-east-1:");
        let missing =
            UsageConfig::from_lookup(|name| (name == "AWS_REGION").then(|| "us-east-1".to_owned()));
        assert_eq!(missing.expect_err("no table").variable, "USAGE_TABLE");
    }

    #[test]
    fn a_task_names_its_bucket() {
        assert_eq!(
            bucket_of(&json!({"bucket": "homes-1"})).ok(),
            Some("homes-1")
        );
        assert!(bucket_of(&json!({})).is_err());
        assert!(bucket_of(&json!({"bucket": "Not A Bucket"})).is_err());
    }
}

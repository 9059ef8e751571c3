//! Usage and quotas (docs/quotas.md): the table, what feeds the usage function (the
//! bucket's notification, two schedules), and who may invoke it.

use serde_json::json;
use serde_yaml::Value as Yaml;

use super::support::*;

#[test]
fn the_usage_table_is_on_demand_recoverable_and_keyed_by_space_and_item() {
    let t = template();
    let p = props(&t, "UsageTable");
    assert_eq!(at(p, &["BillingMode"]).as_str(), Some("PAY_PER_REQUEST"));
    assert_eq!(
        at(
            p,
            &[
                "PointInTimeRecoverySpecification",
                "PointInTimeRecoveryEnabled"
            ]
        ),
        &Yaml::Bool(true),
        "point-in-time recovery on"
    );
    assert_eq!(
        as_placeholder_json(&t, at(p, &["KeySchema"]), "KeySchema").unwrap(),
        json!([
            {"AttributeName": "space", "KeyType": "HASH"},
            {"AttributeName": "item", "KeyType": "RANGE"}
        ])
    );
    assert_eq!(
        as_placeholder_json(&t, at(p, &["TimeToLiveSpecification"]), "TTL").unwrap(),
        json!({"AttributeName": "expires", "Enabled": true}),
        "removed versions' items expire on their own"
    );
    for (id, effective, _) in functions(&t) {
        if id == "WebFunction" {
            continue;
        }
        assert_eq!(
            ref_target(at(&effective, &["Environment", "Variables", "USAGE_TABLE"])),
            Some("UsageTable"),
            "{id}: USAGE_TABLE"
        );
    }
}

/// Every version created or removed, by anyone, reaches the usage function: S3's
/// `ObjectCreated:*`, `ObjectRemoved:*` and `LifecycleExpiration:*`, for the whole bucket.
#[test]
fn the_bucket_notifies_the_usage_function_of_every_creation_and_removal() {
    let t = template();
    let bucket = props(&t, "HomeBucket");
    let configurations = at(
        bucket,
        &["NotificationConfiguration", "LambdaConfigurations"],
    )
    .as_sequence()
    .expect("a list");
    let mut events = Vec::new();
    for configuration in configurations {
        assert_eq!(
            getatt_target(at(configuration, &["Function"])).as_deref(),
            Some("UsageFunction.Arn")
        );
        assert!(
            get(configuration, "Filter").is_none(),
            "no filter: every key counts (the function ignores keys in no space)"
        );
        events.push(at(configuration, &["Event"]).as_str().expect("an event"));
    }
    assert_eq!(
        events,
        [
            "s3:ObjectCreated:*",
            "s3:ObjectRemoved:*",
            "s3:LifecycleExpiration:*"
        ]
    );
    let notification = get(bucket, "NotificationConfiguration").expect("notification");
    for other in [
        "QueueConfigurations",
        "TopicConfigurations",
        "EventBridgeConfiguration",
    ] {
        assert!(get(notification, other).is_none(), "no {other}");
    }
    let depends = at(resource(&t, "HomeBucket"), &["DependsOn"]);
    assert_eq!(
        depends.as_str(),
        Some("UsageFunctionS3Permission"),
        "S3 checks its permission when the notification is set"
    );
}

/// S3 of this account, the minute's schedule and the hour's rule may invoke it; no one
/// else (no route, no function URL).
#[test]
fn only_s3_of_this_account_and_the_two_schedules_invoke_the_usage_function() {
    let t = template();
    let s3 = as_placeholder_json(
        &t,
        props(&t, "UsageFunctionS3Permission"),
        "UsageFunctionS3Permission",
    )
    .unwrap();
    assert_eq!(
        s3,
        json!({
            "Action": "lambda:InvokeFunction",
            "FunctionName": "${UsageFunction.Arn}",
            "Principal": "s3.amazonaws.com",
            "SourceAccount": "${AWS::AccountId}"
        })
    );
    let rule = as_placeholder_json(
        &t,
        props(&t, "UsageRecountSchedulePermission"),
        "UsageRecountSchedulePermission",
    )
    .unwrap();
    assert_eq!(
        rule,
        json!({
            "Action": "lambda:InvokeFunction",
            "FunctionName": "${UsageFunction.Arn}",
            "Principal": "events.amazonaws.com",
            "SourceArn": "${UsageRecountSchedule.Arn}"
        })
    );
    let (_, effective, _) = functions(&t)
        .into_iter()
        .find(|(id, _, _)| id == "UsageFunction")
        .expect("a UsageFunction");
    let reconcile = at(&effective, &["Events", "Reconcile", "Properties"]);
    assert_eq!(
        at(reconcile, &["Schedule"]).as_str(),
        Some("rate(1 minute)")
    );
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(at(reconcile, &["Input"]).as_str().unwrap())
            .unwrap(),
        json!({"task": "reconcile"})
    );
    let hourly = props(&t, "UsageRecountSchedule");
    assert_eq!(
        at(hourly, &["ScheduleExpression"]).as_str(),
        Some("rate(1 hour)")
    );
    let targets = at(hourly, &["Targets"]).as_sequence().expect("a list");
    assert_eq!(targets.len(), 1);
    assert_eq!(
        getatt_target(at(&targets[0], &["Arn"])).as_deref(),
        Some("UsageFunction.Arn")
    );
    let input = as_placeholder_json(&t, at(&targets[0], &["Input"]), "Input").unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(input.as_str().unwrap()).unwrap(),
        json!({"task": "recount-pass", "bucket": "${HomeBucket}"})
    );
    let env = at(&effective, &["Environment", "Variables"]);
    assert!(
        get(env, "BUCKET_NAME").is_none(),
        "the events name the bucket"
    );
}

//! How an operator hears about trouble: with AlarmEmail, an SNS topic and its email
//! subscription, four CloudWatch alarms on the metrics docs/operations.md ("Alarms")
//! names, and with BudgetLimit too, a monthly cost budget; without them, none of it.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;
use serde_yaml::Value as Yaml;

use super::support::*;

/// Every alarm of the template, with the name it gets in the account.
const ALARMS: [(&str, &str); 4] = [
    ("ApiErrorRateAlarm", "${AWS::StackName}-api-5xx-rate"),
    ("FunctionErrorsAlarm", "${AWS::StackName}-function-errors"),
    (
        "FunctionThrottlesAlarm",
        "${AWS::StackName}-function-throttles",
    ),
    (
        "CognitoThrottlesAlarm",
        "${AWS::StackName}-cognito-throttles",
    ),
];

fn parameters<'a>(pairs: &[(&'a str, &'a str)]) -> BTreeMap<&'a str, &'a str> {
    pairs.iter().copied().collect()
}

/// An alarm's metric queries by `Id`.
fn queries(t: &Yaml, alarm: &str) -> BTreeMap<String, Yaml> {
    at(props(t, alarm), &["Metrics"])
        .as_sequence()
        .unwrap_or_else(|| panic!("{alarm}.Metrics is a list"))
        .iter()
        .map(|q| {
            let id = at(q, &["Id"]).as_str().expect("an Id").to_owned();
            (id, q.clone())
        })
        .collect()
}

/// The one query whose value the alarm compares (`ReturnData: true`), and the others.
fn returned_and_inputs(t: &Yaml, alarm: &str) -> (Yaml, BTreeMap<String, Yaml>) {
    let mut inputs = queries(t, alarm);
    let returned: Vec<String> = inputs
        .iter()
        .filter(|(_, q)| get(q, "ReturnData") == Some(&Yaml::Bool(true)))
        .map(|(id, _)| id.clone())
        .collect();
    assert_eq!(returned.len(), 1, "{alarm}: one query is the alarm's value");
    let returned = inputs.remove(&returned[0]).expect("present");
    for (id, q) in &inputs {
        assert_eq!(
            get(q, "ReturnData"),
            Some(&Yaml::Bool(false)),
            "{alarm}.{id}: an input of the expression, not a value of its own"
        );
    }
    (returned, inputs)
}

/// A `MetricStat` query as (namespace, metric, dimensions as name → placeholder
/// text), checking the 5-minute sum every alarm here uses.
fn metric(
    t: &Yaml,
    alarm: &str,
    id: &str,
    query: &Yaml,
) -> (String, String, BTreeMap<String, String>) {
    let stat = at(query, &["MetricStat"]);
    assert_eq!(
        at(stat, &["Period"]).as_u64(),
        Some(300),
        "{alarm}.{id}: 5 minutes"
    );
    assert_eq!(
        at(stat, &["Stat"]).as_str(),
        Some("Sum"),
        "{alarm}.{id}: a sum"
    );
    let m = at(stat, &["Metric"]);
    let dimensions = at(m, &["Dimensions"])
        .as_sequence()
        .expect("a list of dimensions")
        .iter()
        .map(|d| {
            let name = at(d, &["Name"]).as_str().expect("a Name").to_owned();
            let value = as_placeholder_json(t, at(d, &["Value"]), &format!("{alarm}.{id}"))
                .unwrap_or_else(|e| panic!("{e}"));
            (name, value.as_str().expect("a text value").to_owned())
        })
        .collect();
    (
        at(m, &["Namespace"])
            .as_str()
            .expect("a namespace")
            .to_owned(),
        at(m, &["MetricName"])
            .as_str()
            .expect("a metric name")
            .to_owned(),
        dimensions,
    )
}

#[test]
fn alarm_email_is_optional_and_every_alarm_resource_exists_only_with_it() {
    let t = template();
    assert_eq!(
        declaration(&t, "AlarmEmail"),
        yaml(r#"{Type: String, Default: "", AllowedPattern: "^([^@\\s]+@[^@\\s]+\\.[^@\\s]+)?$"}"#),
        "AlarmEmail: empty (no alarms) or an email address"
    );
    for (email, alarms) in [("", false), ("ops@example.com", true)] {
        assert_eq!(
            condition(&t, "HasAlarms", &parameters(&[("AlarmEmail", email)])),
            alarms,
            "AlarmEmail {email:?}: HasAlarms {alarms}"
        );
    }
    let mut expected: BTreeSet<String> = ALARMS.iter().map(|(id, _)| id.to_string()).collect();
    expected.extend(["AlarmTopic".to_owned(), "AlarmTopicPolicy".to_owned()]);
    assert_eq!(
        resources_under(&t, "HasAlarms"),
        expected,
        "the topic, its policy and the four alarms exist only with AlarmEmail"
    );
    // Whatever is added later: every alarm and every topic hangs on AlarmEmail.
    for ty in [
        "AWS::CloudWatch::Alarm",
        "AWS::CloudWatch::CompositeAlarm",
        "AWS::SNS::Topic",
        "AWS::SNS::TopicPolicy",
        "AWS::SNS::Subscription",
    ] {
        for (id, r) in resources_of_type(&t, ty) {
            assert_eq!(
                get(r, "Condition").and_then(Yaml::as_str),
                Some("HasAlarms"),
                "{ty} {id} only with AlarmEmail"
            );
        }
    }
    let alarms: BTreeSet<String> = resources_of_type(&t, "AWS::CloudWatch::Alarm")
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(
        alarms,
        ALARMS.iter().map(|(id, _)| id.to_string()).collect(),
        "the four alarms docs/operations.md describes, no other"
    );
    let topic = props(&t, "AlarmTopic");
    assert_eq!(
        at(topic, &["Subscription"]),
        &yaml("[{Protocol: email, Endpoint: !Ref AlarmEmail}]"),
        "AlarmEmail subscribes to the topic (and confirms from the email)"
    );
    assert_eq!(
        as_placeholder_json(&t, at(topic, &["TopicName"]), "AlarmTopic.TopicName").unwrap(),
        json!("${AWS::StackName}-alarms")
    );
    assert_eq!(
        get(at(&t, &["Outputs", "AlarmTopicArn"]), "Condition").and_then(Yaml::as_str),
        Some("HasAlarms"),
        "the topic's ARN is an output only with AlarmEmail"
    );
    assert_eq!(
        ref_target(at(&t, &["Outputs", "AlarmTopicArn", "Value"])),
        Some("AlarmTopic")
    );
}

#[test]
fn every_alarm_notifies_the_topic_when_it_fires_and_when_it_clears() {
    let t = template();
    for (id, name) in ALARMS {
        let alarm = props(&t, id);
        for actions in ["AlarmActions", "OKActions"] {
            assert_eq!(
                at(alarm, &[actions]),
                &yaml("[!Ref AlarmTopic]"),
                "{id}.{actions}: the topic, and only it"
            );
        }
        assert!(
            get(alarm, "InsufficientDataActions").is_none(),
            "{id}: no message for missing data"
        );
        assert_eq!(
            at(alarm, &["TreatMissingData"]).as_str(),
            Some("notBreaching"),
            "{id}: an idle stack (no data) is not in alarm"
        );
        assert_eq!(
            at(alarm, &["EvaluationPeriods"]).as_u64(),
            Some(1),
            "{id}: one 5-minute period decides"
        );
        assert_eq!(
            as_placeholder_json(&t, at(alarm, &["AlarmName"]), id).unwrap(),
            json!(name),
            "{id}: named after the stack"
        );
        let description = at(alarm, &["AlarmDescription"]).as_str().expect("a text");
        assert!(
            description.contains("docs/operations.md"),
            "{id}: the description says where to read what to do: {description}"
        );
        assert!(
            get(alarm, "Metrics").is_some() && get(alarm, "MetricName").is_none(),
            "{id}: metric math over named queries"
        );
    }
}

/// More than 5 % of the API's answers 5xx over 5 minutes, counted only from 20
/// requests on.
#[test]
fn the_api_error_rate_alarm_divides_5xx_by_count_of_this_api() {
    let t = template();
    let alarm = props(&t, "ApiErrorRateAlarm");
    assert_eq!(
        at(alarm, &["ComparisonOperator"]).as_str(),
        Some("GreaterThanThreshold")
    );
    assert_eq!(at(alarm, &["Threshold"]).as_u64(), Some(5), "5 %");
    let (rate, inputs) = returned_and_inputs(&t, "ApiErrorRateAlarm");
    assert_eq!(
        at(&rate, &["Expression"]).as_str(),
        Some("IF(requests >= 20, 100 * errors / requests, 0)"),
        "the percentage of 5xx, from 20 requests in the period on"
    );
    let api_metric = |id: &str| metric(&t, "ApiErrorRateAlarm", id, &inputs[id]);
    let api = BTreeMap::from([("ApiId".to_owned(), "${HttpApi}".to_owned())]);
    assert_eq!(
        api_metric("errors"),
        ("AWS/ApiGateway".to_owned(), "5xx".to_owned(), api.clone()),
        "errors: the HTTP API's 5xx"
    );
    assert_eq!(
        api_metric("requests"),
        ("AWS/ApiGateway".to_owned(), "Count".to_owned(), api),
        "requests: the HTTP API's Count"
    );
    assert_eq!(inputs.len(), 2, "two inputs");
}

/// Any error or throttle of any of the eight functions in 5 minutes (the trigger's
/// included: a failing trigger fails sign-ins).
#[test]
fn the_function_alarms_sum_errors_and_throttles_of_every_function() {
    let t = template();
    let every_function: BTreeSet<String> = functions(&t)
        .into_iter()
        .map(|(id, _, _)| format!("${{{id}}}"))
        .collect();
    assert_eq!(every_function.len(), 8, "eight functions");
    for (alarm, metric_name) in [
        ("FunctionErrorsAlarm", "Errors"),
        ("FunctionThrottlesAlarm", "Throttles"),
    ] {
        let p = props(&t, alarm);
        assert_eq!(
            at(p, &["ComparisonOperator"]).as_str(),
            Some("GreaterThanOrEqualToThreshold")
        );
        assert_eq!(at(p, &["Threshold"]).as_u64(), Some(1), "{alarm}: any one");
        let (total, inputs) = returned_and_inputs(&t, alarm);
        let mut ids: Vec<&str> = inputs.keys().map(String::as_str).collect();
        ids.sort();
        let expression = at(&total, &["Expression"]).as_str().expect("an expression");
        let summed: Vec<&str> = {
            let inner = expression
                .strip_prefix("SUM([")
                .and_then(|e| e.strip_suffix("])"))
                .unwrap_or_else(|| panic!("{alarm}: SUM([...]), found {expression}"));
            let mut ids: Vec<&str> = inner.split(',').map(str::trim).collect();
            ids.sort();
            ids
        };
        assert_eq!(summed, ids, "{alarm}: the sum of every input");
        let mut functions_seen = BTreeSet::new();
        for (id, query) in &inputs {
            let (namespace, name, dimensions) = metric(&t, alarm, id, query);
            assert_eq!(
                (namespace.as_str(), name.as_str()),
                ("AWS/Lambda", metric_name),
                "{alarm}.{id}"
            );
            assert_eq!(
                dimensions.keys().map(String::as_str).collect::<Vec<_>>(),
                ["FunctionName"],
                "{alarm}.{id}: per function"
            );
            assert!(
                functions_seen.insert(dimensions["FunctionName"].clone()),
                "{alarm}.{id}: a function counted twice"
            );
        }
        assert_eq!(
            functions_seen, every_function,
            "{alarm}: {metric_name} of every function, the web page's and the usage function's included"
        );
    }
}

/// Cognito's throttling of the user pool quota categories homedir's calls fall in:
/// UserRead (the functions' AdminGetUser) and UserAuthentication (sign-in, refresh).
#[test]
fn the_cognito_alarm_counts_throttles_of_user_read_and_user_authentication() {
    let t = template();
    let p = props(&t, "CognitoThrottlesAlarm");
    assert_eq!(
        at(p, &["ComparisonOperator"]).as_str(),
        Some("GreaterThanOrEqualToThreshold")
    );
    assert_eq!(
        at(p, &["Threshold"]).as_u64(),
        Some(1),
        "any one throttled call"
    );
    let (total, inputs) = returned_and_inputs(&t, "CognitoThrottlesAlarm");
    assert_eq!(
        at(&total, &["Expression"]).as_str(),
        Some("SUM([userread, authentication])")
    );
    let mut categories = BTreeSet::new();
    for (id, query) in &inputs {
        let (namespace, name, mut dimensions) = metric(&t, "CognitoThrottlesAlarm", id, query);
        assert_eq!(
            (namespace.as_str(), name.as_str()),
            ("AWS/Usage", "ThrottleCount"),
            "{id}: the usage metric Cognito publishes per quota category"
        );
        categories.insert(dimensions.remove("Resource").expect("a Resource"));
        assert_eq!(
            dimensions,
            BTreeMap::from(
                [
                    ("Service", "Cognito User Pools"),
                    ("Type", "API"),
                    ("Class", "None")
                ]
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
            ),
            "{id}: Cognito user pools' API usage"
        );
    }
    assert_eq!(
        categories,
        BTreeSet::from(["UserRead".to_owned(), "UserAuthentication".to_owned()])
    );
}

/// BudgetLimit: a monthly cost budget, only with AlarmEmail (its messages go to the
/// same topic), at 80 % spent and when the forecast passes the limit.
#[test]
fn the_budget_exists_only_with_alarms_and_a_limit_and_notifies_the_topic() {
    let t = template();
    assert_eq!(
        declaration(&t, "BudgetLimit"),
        yaml("{Type: Number, Default: 0, MinValue: 0}"),
        "BudgetLimit: 0 (no budget) by default, in USD"
    );
    for (email, limit, budget) in [
        ("", "0", false),
        ("", "100", false),
        ("ops@example.com", "0", false),
        ("ops@example.com", "100", true),
    ] {
        assert_eq!(
            condition(
                &t,
                "HasBudget",
                &parameters(&[("AlarmEmail", email), ("BudgetLimit", limit)])
            ),
            budget,
            "AlarmEmail {email:?}, BudgetLimit {limit}: a budget {budget}"
        );
    }
    assert_eq!(
        resources_under(&t, "HasBudget"),
        BTreeSet::from(["CostBudget".to_owned()])
    );
    assert_eq!(
        resources_of_type(&t, "AWS::Budgets::Budget").len(),
        1,
        "one budget"
    );
    let p = props(&t, "CostBudget");
    let budget = at(p, &["Budget"]);
    assert_eq!(
        as_placeholder_json(&t, at(budget, &["BudgetName"]), "BudgetName").unwrap(),
        json!("${AWS::StackName}-monthly")
    );
    assert_eq!(at(budget, &["BudgetType"]).as_str(), Some("COST"));
    assert_eq!(at(budget, &["TimeUnit"]).as_str(), Some("MONTHLY"));
    assert_eq!(
        at(budget, &["BudgetLimit"]),
        &yaml("{Amount: !Ref BudgetLimit, Unit: USD}"),
        "the limit is the parameter, in USD"
    );
    let notifications = at(p, &["NotificationsWithSubscribers"])
        .as_sequence()
        .expect("a list");
    let mut seen = BTreeSet::new();
    for n in notifications {
        assert_eq!(
            at(n, &["Subscribers"]),
            &yaml("[{SubscriptionType: SNS, Address: !Ref AlarmTopic}]"),
            "every budget message goes to the alarm topic, and only there"
        );
        let notification = at(n, &["Notification"]);
        assert_eq!(
            at(notification, &["ComparisonOperator"]).as_str(),
            Some("GREATER_THAN")
        );
        assert_eq!(
            at(notification, &["ThresholdType"]).as_str(),
            Some("PERCENTAGE")
        );
        seen.insert((
            at(notification, &["NotificationType"])
                .as_str()
                .expect("a type")
                .to_owned(),
            at(notification, &["Threshold"]).as_u64().expect("a number"),
        ));
    }
    assert_eq!(
        seen,
        BTreeSet::from([("ACTUAL".to_owned(), 80), ("FORECASTED".to_owned(), 100)]),
        "80 % of the limit spent, and a forecast past it"
    );
}

/// Only CloudWatch alarms and AWS Budgets of this account may publish to the topic.
#[test]
fn only_cloudwatch_and_budgets_of_this_account_may_publish_to_the_topic() {
    let t = template();
    let p = props(&t, "AlarmTopicPolicy");
    assert_eq!(at(p, &["Topics"]), &yaml("[!Ref AlarmTopic]"));
    let policies = resources_of_type(&t, "AWS::SNS::TopicPolicy");
    assert_eq!(policies.len(), 1, "one topic policy");
    let document = as_placeholder_json(&t, at(p, &["PolicyDocument"]), "AlarmTopicPolicy")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        document,
        json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "CloudWatchAndBudgetsPublish",
                "Effect": "Allow",
                "Principal": {"Service": ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"]},
                "Action": "sns:Publish",
                "Resource": "${AlarmTopic}",
                "Condition": {"StringEquals": {"aws:SourceAccount": "${AWS::AccountId}"}}
            }]
        }),
        "publishing only, only by CloudWatch and Budgets, only on behalf of this account"
    );
}

//! The IAM documents that stop a full space from growing with direct credentials.
//!
//! The authenticated role (every signed-in user's credentials) has managed policies
//! attached whose only statements deny `s3:PutObject` (which covers PutObject,
//! CopyObject's destination, CreateMultipartUpload, UploadPart, UploadPartCopy and
//! CompleteMultipartUpload) in the spaces over quota:
//!
//! - `DenyNewObjectsInHomesOverQuota`: on `<HomePrefix>/${cognito-identity.amazonaws.com:sub}/*`
//!   when the caller's Identity ID is one of the full homes';
//! - `DenyNewObjectsInTeamSpacesOverQuota`: on `<TeamPrefix>/${aws:PrincipalTag/team}/*`
//!   when the caller's team tag is one of the full teams'.
//!
//! The usage function rewrites them (a new default version) when the set of full spaces
//! changes; IAM applies a policy change to sessions already issued, so the bound is the
//! time from the write that fills a space to its event and the new version, seconds
//! (docs/quotas.md). An empty list is `["/"]`: no Identity ID holds a `/`, and a team tag
//! that does reaches no team space (the allow statements refuse it), so it names no
//! one. The role's permissions boundary (`infra-policies/authenticated-boundary-policy.json`)
//! allows no more than the role's own statements, so whatever these documents said,
//! they could only take away.

use serde_json::{Value, json};

/// IAM's limit on a managed policy document: 6,144 characters, whitespace not counted
/// (IAM and STS quotas, "Managed policy size").
pub const MAX_POLICY_CHARS: usize = 6144;

/// The value that names no one.
pub const NO_ONE: &str = "/";

/// Where the documents point: the partition and the two prefixes, in any bucket (`*`:
/// the role reaches no other, and the template's policies cannot name the bucket, whose
/// notification names the usage function, which names them). For the template's own
/// documents these are CloudFormation's `${…}` placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub partition: String,
    pub home_prefix: String,
    pub team_prefix: String,
}

impl Target {
    /// The placeholders `template.yaml` writes (`infra-policies/quota-deny-policy.json`).
    pub fn placeholders() -> Target {
        Target {
            partition: "${AWS::Partition}".into(),
            home_prefix: "${HomePrefix}".into(),
            team_prefix: "${TeamPrefix}".into(),
        }
    }
}

/// The partition of a region: `aws`, `aws-cn` or `aws-us-gov`.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// One document naming `homes` (Identity IDs) and `teams`.
pub fn document(target: &Target, homes: &[String], teams: &[String]) -> Value {
    let names = |names: &[String]| -> Vec<String> {
        if names.is_empty() {
            vec![NO_ONE.to_owned()]
        } else {
            names.to_vec()
        }
    };
    let Target {
        partition,
        home_prefix,
        team_prefix,
    } = target;
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyNewObjectsInHomesOverQuota",
                "Effect": "Deny",
                "Action": "s3:PutObject",
                "Resource": format!("arn:{partition}:s3:::*/{home_prefix}/${{cognito-identity.amazonaws.com:sub}}/*"),
                "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:sub": names(homes)}}
            },
            {
                "Sid": "DenyNewObjectsInTeamSpacesOverQuota",
                "Effect": "Deny",
                "Action": "s3:PutObject",
                "Resource": format!("arn:{partition}:s3:::*/{team_prefix}/${{aws:PrincipalTag/team}}/*"),
                "Condition": {"StringEquals": {"aws:PrincipalTag/team": names(teams)}}
            }
        ]
    })
}

/// The size IAM counts: the compact JSON's characters, whitespace excluded.
pub fn policy_chars(document: &Value) -> usize {
    document
        .to_string()
        .chars()
        .filter(|c| !c.is_whitespace())
        .count()
}

/// The full spaces spread over `count` documents, each within [`MAX_POLICY_CHARS`]:
/// the documents, and how many spaces did not fit (named by no document: the API still
/// refuses their writes, IAM does not).
pub fn documents(
    target: &Target,
    homes: &[String],
    teams: &[String],
    count: usize,
) -> (Vec<Value>, usize) {
    let mut pending: Vec<(bool, &String)> = homes
        .iter()
        .map(|h| (true, h))
        .chain(teams.iter().map(|t| (false, t)))
        .collect();
    pending.reverse();
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let (mut these_homes, mut these_teams) = (Vec::new(), Vec::new());
        while let Some((home, name)) = pending.last() {
            let list = if *home {
                &mut these_homes
            } else {
                &mut these_teams
            };
            list.push((*name).clone());
            if policy_chars(&document(target, &these_homes, &these_teams)) > MAX_POLICY_CHARS {
                if *home {
                    these_homes.pop();
                } else {
                    these_teams.pop();
                }
                break;
            }
            pending.pop();
        }
        out.push(document(target, &these_homes, &these_teams));
    }
    (out, pending.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> Target {
        Target {
            partition: "aws".into(),
            home_prefix: "home".into(),
            team_prefix: "teams".into(),
        }
    }

    fn id(n: usize) -> String {
        format!("us-east-1:{n:08x}-1111-2222-3333-444455556666")
    }

    #[test]
    fn an_empty_set_names_no_one_in_both_statements() {
        let document = document(&target(), &[], &[]);
        assert_eq!(
            document["Statement"][0]["Condition"]["StringEquals"]["cognito-identity.amazonaws.com:sub"],
            json!(["/"])
        );
        assert_eq!(
            document["Statement"][1]["Condition"]["StringEquals"]["aws:PrincipalTag/team"],
            json!(["/"])
        );
        assert_eq!(
            document["Statement"][0]["Resource"],
            "arn:aws:s3:::*/home/${cognito-identity.amazonaws.com:sub}/*"
        );
    }

    #[test]
    fn spaces_fill_the_documents_in_order_within_iam_s_limit() {
        let homes: Vec<String> = (0..300).map(id).collect();
        let teams: Vec<String> = (0..10).map(|n| format!("team-{n}")).collect();
        let (documents, left_out) = documents(&target(), &homes, &teams, 4);
        assert_eq!(documents.len(), 4);
        assert_eq!(left_out, 0, "300 homes and 10 teams fit in four");
        let mut named = Vec::new();
        for document in &documents {
            assert!(policy_chars(document) <= MAX_POLICY_CHARS);
            for statement in document["Statement"].as_array().expect("statements") {
                for value in statement["Condition"]["StringEquals"]
                    .as_object()
                    .expect("one key")
                    .values()
                    .flat_map(|v| v.as_array().expect("a list").clone())
                {
                    if value != NO_ONE {
                        named.push(value.as_str().expect("text").to_owned());
                    }
                }
            }
        }
        let expected: Vec<String> = homes.iter().chain(&teams).cloned().collect();
        assert_eq!(named, expected, "each space named once, in order");
        // More than fits: what is left out is counted, nothing is cut silently.
        let many: Vec<String> = (0..1000).map(id).collect();
        let (documents, left_out) = super::documents(&target(), &many, &[], 2);
        assert!(
            documents
                .iter()
                .all(|d| policy_chars(d) <= MAX_POLICY_CHARS)
        );
        assert!(left_out > 700 && left_out < 800, "{left_out}");
    }

    #[test]
    fn partitions_follow_the_region() {
        assert_eq!(partition("eu-west-1"), "aws");
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
    }
}

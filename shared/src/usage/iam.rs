//! Writing the deny documents: a new default version of each quota policy, through
//! IAM's query API (a form POST, an XML answer) signed by [`crate::aws::signed`], with
//! the usage function's own credentials, which may do exactly this to exactly these
//! policies (`infra-policies/usage-function-policy.json`).
//!
//! A managed policy keeps at most five versions (IAM quotas): before adding one, the
//! oldest that is not the default is deleted.
//! <https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicyVersion.html>,
//! <https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListPolicyVersions.html>,
//! <https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeletePolicyVersion.html>

use std::sync::Arc;
use std::time::Duration;

use aws_credential_types::provider::SharedCredentialsProvider;
use bytes::Bytes;

use super::deny::partition;
use crate::aws::signed::{Answer, Endpoint, SignedClient};
use crate::aws::{AwsCalls, Failure};

/// IAM keeps at most this many versions of a managed policy.
const MAX_VERSIONS: usize = 5;

/// IAM, with the function's own credentials.
pub struct Iam {
    client: SignedClient,
    endpoint: Endpoint,
}

impl Iam {
    /// IAM of `region`'s partition (a global service), or `endpoint_url` locally.
    pub fn new(
        region: &str,
        endpoint_url: Option<&str>,
        timeout: Duration,
        credentials: Option<SharedCredentialsProvider>,
        calls: Arc<AwsCalls>,
    ) -> Self {
        let (url, signing_region) = match partition(region) {
            "aws-cn" => ("https://iam.cn-north-1.amazonaws.com.cn", "cn-north-1"),
            "aws-us-gov" => ("https://iam.us-gov.amazonaws.com", "us-gov-west-1"),
            _ => ("https://iam.amazonaws.com", "us-east-1"),
        };
        Iam {
            client: SignedClient::new(credentials, calls, timeout),
            endpoint: Endpoint {
                url: endpoint_url.unwrap_or(url).to_owned(),
                region: signing_region.to_owned(),
                service: "iam",
            },
        }
    }

    /// Makes `document` the default version of the policy `arn`.
    pub async fn replace_default(&self, arn: &str, document: &str) -> Result<(), Failure> {
        let listed = self
            .call("ListPolicyVersions", &[("PolicyArn", arn)])
            .await?;
        let versions = versions(&listed);
        if versions.len() >= MAX_VERSIONS
            && let Some(oldest) = oldest_not_default(&versions)
        {
            self.call(
                "DeletePolicyVersion",
                &[("PolicyArn", arn), ("VersionId", oldest)],
            )
            .await?;
        }
        self.call(
            "CreatePolicyVersion",
            &[
                ("PolicyArn", arn),
                ("PolicyDocument", document),
                ("SetAsDefault", "true"),
            ],
        )
        .await
        .map(drop)
    }

    async fn call(
        &self,
        action: &'static str,
        parameters: &[(&str, &str)],
    ) -> Result<String, Failure> {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("Action", action);
        form.append_pair("Version", "2010-05-08");
        for (name, value) in parameters {
            form.append_pair(name, value);
        }
        let answer = self
            .client
            .post(
                &self.endpoint,
                action,
                &[(
                    "content-type",
                    "application/x-www-form-urlencoded; charset=utf-8",
                )],
                Bytes::from(form.finish()),
                error_code,
            )
            .await
            .map_err(|refusal| refusal.failure)?;
        Ok(String::from_utf8_lossy(&answer.body).into_owned())
    }
}

/// A policy version as ListPolicyVersions lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub id: String,
    pub default: bool,
}

/// The versions of a ListPolicyVersions answer.
pub fn versions(xml: &str) -> Vec<Version> {
    let Some(list) = element(xml, "Versions") else {
        return Vec::new();
    };
    elements(list, "member")
        .into_iter()
        .filter_map(|member| {
            Some(Version {
                id: element(member, "VersionId")?.trim().to_owned(),
                default: element(member, "IsDefaultVersion").map(str::trim) == Some("true"),
            })
        })
        .collect()
}

/// The oldest version that is not the default (`v3` before `v12`).
pub fn oldest_not_default(versions: &[Version]) -> Option<&str> {
    versions
        .iter()
        .filter(|v| !v.default)
        .min_by_key(|v| {
            v.id.trim_start_matches('v')
                .parse::<u64>()
                .unwrap_or(u64::MAX)
        })
        .map(|v| v.id.as_str())
}

/// The code of an IAM error answer (`<Error><Code>…</Code>`).
fn error_code(answer: &Answer) -> Option<String> {
    let text = std::str::from_utf8(&answer.body).ok()?;
    element(element(text, "Error")?, "Code").map(|code| code.trim().to_owned())
}

/// The text inside the first `<name>…</name>` of `xml`.
fn element<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&close)?;
    Some(&xml[start..end])
}

/// The text inside every `<name>…</name>` of `xml`, in order.
fn elements<'a>(xml: &'a str, name: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut rest = xml;
    let close = format!("</{name}>");
    while let Some(inner) = element(rest, name) {
        out.push(inner);
        let Some(at) = rest.find(&close) else { break };
        rest = &rest[at + close.len()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ListPolicyVersions' answer as the IAM API Reference shows it.
    const LISTED: &str = r#"<ListPolicyVersionsResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <ListPolicyVersionsResult>
    <Versions>
      <member><IsDefaultVersion>false</IsDefaultVersion><VersionId>v12</VersionId><CreateDate>2024-01-02T00:00:00Z</CreateDate></member>
      <member><IsDefaultVersion>true</IsDefaultVersion><VersionId>v14</VersionId><CreateDate>2024-01-04T00:00:00Z</CreateDate></member>
      <member><IsDefaultVersion>false</IsDefaultVersion><VersionId>v3</VersionId><CreateDate>2024-01-01T00:00:00Z</CreateDate></member>
    </Versions>
    <IsTruncated>false</IsTruncated>
  </ListPolicyVersionsResult>
</ListPolicyVersionsResponse>"#;

    #[test]
    fn versions_are_read_and_the_oldest_non_default_goes_first() {
        let listed = versions(LISTED);
        assert_eq!(listed.len(), 3);
        assert_eq!(
            listed[1],
            Version {
                id: "v14".into(),
                default: true
            }
        );
        assert_eq!(oldest_not_default(&listed), Some("v3"));
        assert_eq!(
            oldest_not_default(&[Version {
                id: "v1".into(),
                default: true
            }]),
            None
        );
        assert!(versions("<x/>").is_empty());
    }

    #[test]
    fn error_codes_come_from_the_error_element() {
        let answer = Answer {
            status: 409,
            body: Bytes::from_static(
                b"<ErrorResponse><Error><Type>Sender</Type><Code>LimitExceeded</Code><Message>m</Message></Error></ErrorResponse>",
            ),
        };
        assert_eq!(error_code(&answer).as_deref(), Some("LimitExceeded"));
    }
}

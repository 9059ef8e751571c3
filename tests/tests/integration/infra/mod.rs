//! The infrastructure, offline: what `template.yaml` declares and what the IAM
//! documents of `infra-policies/` allow and deny.

/// The files of `infra-policies/`, evaluated with iam-rs.
mod policies;
/// `template.yaml`: its documents equal the files, and the properties no linter checks.
mod template;

//! Properties of `template.yaml` that no linter checks: the template's IAM documents
//! are *equal* to the files in `infra-policies/` (which `infra/policies.rs` evaluates),
//! the functions can never touch S3 with their own role, unauthenticated identities
//! are off, the bucket keeps versions and refuses plain HTTP, every route sits
//! behind the Cognito JWT authorizer, and the operator's controls (sign-up, MFA, token
//! lifetimes, old versions kept, alarms, the budget, the upload id key) land where
//! the docs say.
//!
//! The template is parsed with serde_yaml, where CloudFormation's short tags (`!Ref`,
//! `!Sub`, `!GetAtt`, `!If`, ...) arrive as tagged values. To compare a document with
//! its file, the template side is rewritten into the placeholder text the files use
//! (see infra-policies/README.md): `!Sub "s"` becomes `s` with Fn::Sub's `${!x}` escape
//! turned into the literal `${x}`, `!Ref X` becomes `${X}`, `!GetAtt X.Y` becomes
//! `${X.Y}`. Any other intrinsic inside a policy document fails the comparison.
//!
//! A module per part of the stack; `support` holds the loading and rewriting they
//! share.

mod alarms;
mod api;
mod bucket;
mod cognito;
mod directory;
mod functions;
mod iam;
mod retention;
mod support;
mod teams;
mod usage;

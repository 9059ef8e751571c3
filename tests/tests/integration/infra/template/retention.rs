//! What survives deleting or replacing the stack, and what goes with it.

use serde_yaml::Value as Yaml;

use super::support::*;

fn policy_of<'a>(t: &'a Yaml, logical_id: &str, attribute: &str) -> Option<&'a str> {
    get(resource(t, logical_id), attribute).and_then(Yaml::as_str)
}

/// The home folders are named after Identity IDs that exist only in this identity pool,
/// whose identities are users of this user pool: the bucket, both pools and the bucket
/// policy survive stack deletion and replacement. Only the rollback of the operation
/// that created them may delete the bucket, its policy and the identity pool (no
/// orphan after a failed first deploy); the user pool is plain Retain because its
/// deletion protection would make such a rollback fail.
#[test]
fn stateful_resources_survive_stack_deletion_and_replacement() {
    let t = template();
    for (id, deletion) in [
        ("UserPool", "Retain"),
        ("IdentityPool", "RetainExceptOnCreate"),
        ("HomeBucket", "RetainExceptOnCreate"),
        ("HomeBucketPolicy", "RetainExceptOnCreate"),
    ] {
        assert_eq!(
            policy_of(&t, id, "DeletionPolicy"),
            Some(deletion),
            "{id}: DeletionPolicy {deletion}"
        );
        assert_eq!(
            policy_of(&t, id, "UpdateReplacePolicy"),
            Some("Retain"),
            "{id}: UpdateReplacePolicy Retain (a replacement must not delete the old one)"
        );
    }
    // Whatever is added later: no user pool, identity pool, bucket or bucket policy of
    // this template may be deleted by a stack operation.
    for ty in [
        "AWS::Cognito::UserPool",
        "AWS::Cognito::IdentityPool",
        "AWS::S3::Bucket",
        "AWS::S3::BucketPolicy",
    ] {
        for (id, _) in resources_of_type(&t, ty) {
            assert!(
                matches!(
                    policy_of(&t, &id, "DeletionPolicy"),
                    Some("Retain" | "RetainExceptOnCreate")
                ),
                "{ty} {id} must be retained on stack deletion"
            );
            assert_eq!(
                policy_of(&t, &id, "UpdateReplacePolicy"),
                Some("Retain"),
                "{ty} {id} must be retained on replacement"
            );
        }
    }
}

#[test]
fn user_pool_has_deletion_protection() {
    let t = template();
    assert_eq!(
        get(props(&t, "UserPool"), "DeletionProtection").and_then(Yaml::as_str),
        Some("ACTIVE"),
        "UserPool.DeletionProtection ACTIVE: deleting the pool by hand needs a deliberate step first"
    );
}

/// The decision README.md explains: the authenticated role and its attachment go with
/// the stack, so a deleted stack leaves an identity pool that issues no credentials
/// (no direct S3 access for anyone) while files and Identity IDs survive.
#[test]
fn authenticated_role_and_its_attachment_are_deleted_with_the_stack() {
    let t = template();
    for id in ["AuthenticatedRole", "IdentityPoolRoleAttachment"] {
        for attribute in ["DeletionPolicy", "UpdateReplacePolicy"] {
            assert!(
                matches!(policy_of(&t, id, attribute), None | Some("Delete")),
                "{id}.{attribute}: deleted with the stack (see README, Deleting the stack)"
            );
        }
    }
}

//! The caller's team: the one shared space a user may belong to besides their home.
//!
//! Membership is the user pool attribute `custom:team`, which only an operator sets
//! (the app client cannot write it, so neither `SignUp` nor `UpdateUserAttributes`
//! with the user's own token can), and which Cognito puts in the ID token. The
//! identity pool maps the same claim to the principal tag `team` of the caller's
//! credentials, and the role's policy grants `<TeamPrefix>/${aws:PrincipalTag/team}/*`:
//! the API and IAM read the team from the same signed token.
//!
//! A team name is what IAM will substitute into a resource path, so only names that
//! keep the path one plain segment are a team here: lowercase letters, digits and
//! `-`, 1–63 characters, starting with a letter or digit. A claim of another shape
//! (an operator's typo) is no team: the API answers `no_team`, and the policy, which
//! refuses tags holding `/`, grants it nothing either.

use crate::error::Error;

/// The longest team name.
pub const MAX_TEAM_BYTES: usize = 63;

/// A validated team name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Team(String);

impl Team {
    /// `acme`, `r-and-d`, `team42`: `^[a-z0-9][a-z0-9-]{0,62}$`.
    pub fn parse(raw: &str) -> Option<Team> {
        let mut bytes = raw.bytes();
        let first_fits = bytes
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        let rest_fits = bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        (first_fits && rest_fits && raw.len() <= MAX_TEAM_BYTES).then(|| Team(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What the token says about the caller's team.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Membership {
    /// No `custom:team` claim (or an empty one).
    #[default]
    None,
    Member(Team),
    /// A claim that is not a team name: nothing to grant.
    Invalid,
}

impl Membership {
    /// From the `custom:team` claim as the token carries it.
    pub fn from_claim(claim: Option<&str>) -> Membership {
        match claim {
            None | Some("") => Membership::None,
            Some(raw) => Team::parse(raw).map_or(Membership::Invalid, Membership::Member),
        }
    }

    /// The team, or `no_team` (before any AWS call) for a caller without one.
    pub fn team(&self) -> Result<&Team, Error> {
        match self {
            Membership::Member(team) => Ok(team),
            Membership::None => Err(Error::NoTeam(
                "your account belongs to no team; an operator adds you to one",
            )),
            Membership::Invalid => {
                tracing::warn!("the token's custom:team is not a valid team name");
                Err(Error::NoTeam(
                    "your account's team name is not a valid team name (a-z, 0-9 and -, at most 63 characters); an operator corrects it",
                ))
            }
        }
    }

    /// The team, if the caller is a member of one.
    pub fn member_of(&self) -> Option<&Team> {
        match self {
            Membership::Member(team) => Some(team),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn team_names_are_one_plain_segment() {
        for good in ["acme", "a", "0", "r-and-d", "acme-2", &"a".repeat(63)] {
            assert_eq!(
                Team::parse(good).map(|t| t.0),
                Some(good.to_owned()),
                "{good}"
            );
        }
        for bad in [
            "",
            "-acme",
            "Acme",
            "acme/x",
            "acme/",
            "..",
            "a.b",
            "a b",
            "a_b",
            "a*",
            "${aws:username}",
            "ä",
            &"a".repeat(64),
        ] {
            assert_eq!(Team::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn claims_become_memberships() {
        assert_eq!(Membership::from_claim(None), Membership::None);
        assert_eq!(Membership::from_claim(Some("")), Membership::None);
        assert_eq!(
            Membership::from_claim(Some("acme")),
            Membership::Member(Team("acme".into()))
        );
        assert_eq!(Membership::from_claim(Some("acme/x")), Membership::Invalid);
        assert_eq!(
            Membership::from_claim(Some("acme"))
                .team()
                .map(Team::as_str),
            Ok("acme")
        );
        for no in [Membership::None, Membership::Invalid] {
            assert_eq!(
                no.team().unwrap_err().code(),
                homedir_wire::ErrorCode::NoTeam
            );
            assert_eq!(no.member_of(), None);
        }
    }
}

//! Usage and quotas: what every space holds, and the quota that bounds it.
//!
//! - [`events`]: S3's event notifications read as changes: a version of some size was
//!   created in a space, or a version was removed (pure);
//! - [`table`]: the usage table's layout: one item per object version with its size,
//!   and a total per space derived from them (pure);
//! - [`tally`]: a change applied to the table, idempotent and order-independent
//!   (conditional transactions), and a space's full/not-full state kept in step;
//! - [`recount`]: a space recounted from `ListObjectVersions`, repairing any drift;
//! - [`deny`]: the IAM documents that deny new objects in the spaces over quota (pure),
//!   and [`iam`], writing them;
//! - [`quota`]: the quota of a space and the API's check before a write;
//! - [`function`]: the usage function's events (S3 notifications, schedules, an
//!   operator's recount).
//!
//! The API functions read one total (their own role, the caller's record only) and
//! never touch the rest; only the usage function writes totals.

pub mod deny;
pub mod events;
pub mod function;
pub mod iam;
pub mod quota;
pub mod recount;
pub mod table;
pub mod tally;

use crate::auth::{Team, is_identity_id};

/// A space whose usage is counted: a home (by its Identity ID) or a team's space.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SpaceId {
    Home(String),
    Team(String),
}

/// Where the spaces live in the bucket: what turns a key into its space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// `home`: homes are `<home_prefix>/<identity id>/`.
    pub home_prefix: String,
    /// `teams`: team spaces are `<team_prefix>/<team>/`.
    pub team_prefix: String,
    /// `us-east-1:`: every Identity ID of the identity pool starts with its region.
    pub identity_region_prefix: String,
}

impl Layout {
    /// The space an S3 key lies in, or `None` for a key in no space (the bucket root,
    /// `home/` itself, a folder whose name is not an Identity ID or a team name).
    pub fn space_of(&self, key: &str) -> Option<SpaceId> {
        if let Some(rest) = key
            .strip_prefix(self.home_prefix.as_str())
            .and_then(|rest| rest.strip_prefix('/'))
        {
            let (id, _) = rest.split_once('/')?;
            return is_identity_id(id, &self.identity_region_prefix)
                .then(|| SpaceId::Home(id.to_owned()));
        }
        let rest = key
            .strip_prefix(self.team_prefix.as_str())?
            .strip_prefix('/')?;
        let (team, _) = rest.split_once('/')?;
        Team::parse(team).map(|team| SpaceId::Team(team.as_str().to_owned()))
    }

    /// The space's root in the bucket: `home/<identity id>/` or `teams/<team>/`; also
    /// its key in the usage table.
    pub fn root(&self, space: &SpaceId) -> String {
        match space {
            SpaceId::Home(id) => format!("{}/{id}/", self.home_prefix),
            SpaceId::Team(team) => format!("{}/{team}/", self.team_prefix),
        }
    }

    /// The space whose root is `root` (the inverse of [`Layout::root`]).
    pub fn parse_root(&self, root: &str) -> Option<SpaceId> {
        let space = self.space_of(root)?;
        (self.root(&space) == root).then_some(space)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> Layout {
        Layout {
            home_prefix: "home".into(),
            team_prefix: "teams".into(),
            identity_region_prefix: "us-east-1:".into(),
        }
    }

    const ID: &str = "us-east-1:0f2a7c3e-1111-2222-3333-444455556666";

    #[test]
    fn every_key_in_a_space_names_it_and_nothing_else_does() {
        let layout = layout();
        let home = SpaceId::Home(ID.into());
        assert_eq!(
            layout.space_of(&format!("home/{ID}/a/b.txt")),
            Some(home.clone())
        );
        assert_eq!(layout.space_of(&format!("home/{ID}/")), Some(home.clone()));
        assert_eq!(
            layout.space_of("teams/acme/q3/plan.md"),
            Some(SpaceId::Team("acme".into()))
        );
        for outside in [
            "",
            "home/",
            &format!("home/{ID}"),
            "home/not-an-id/f",
            "home/eu-west-1:0f2a7c3e/f",
            "teams/acme",
            "teams/Acme/f",
            "teams//f",
            "homework/x/f",
            "f",
        ] {
            assert_eq!(layout.space_of(outside), None, "{outside:?}");
        }
        assert_eq!(layout.root(&home), format!("home/{ID}/"));
        assert_eq!(layout.parse_root(&format!("home/{ID}/")), Some(home));
        assert_eq!(layout.parse_root(&format!("home/{ID}/x/")), None);
        assert_eq!(
            layout.parse_root("teams/acme/"),
            Some(SpaceId::Team("acme".into()))
        );
    }

    #[test]
    fn prefixes_of_several_segments_are_followed() {
        let layout = Layout {
            home_prefix: "data/home".into(),
            team_prefix: "data/teams".into(),
            identity_region_prefix: "us-east-1:".into(),
        };
        assert_eq!(
            layout.space_of(&format!("data/home/{ID}/f")),
            Some(SpaceId::Home(ID.into()))
        );
        assert_eq!(
            layout.space_of("data/teams/acme/f"),
            Some(SpaceId::Team("acme".into()))
        );
        assert_eq!(layout.space_of(&format!("home/{ID}/f")), None);
    }
}

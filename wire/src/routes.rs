//! The API's routes and the headers it defines. Keys, prefixes and every other
//! argument travel in the query string (see `openapi.yaml` for why).

/// `GET`: a file's bytes, a link to it, or one of its versions.
pub const READ_FILE: &str = "read-file";
/// `PUT`: write, restore, copy, move; `POST`/`GET`/`DELETE`: multipart uploads.
pub const WRITE_FILE: &str = "write-file";
/// `GET`: a folder, the versions under a prefix, or the trash.
pub const LIST: &str = "list";
/// `DELETE`: a file or a folder.
pub const DELETE: &str = "delete";

/// Every API route.
pub const ALL: [&str; 4] = [READ_FILE, WRITE_FILE, LIST, DELETE];

/// Which space a request works in (`space=home`, the default, or `space=team`), and
/// where a copy or move across spaces takes its source from (`from_space`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Space {
    /// The caller's home: `<HomePrefix>/<Identity ID>/`.
    #[default]
    Home,
    /// The caller's team's space: `<TeamPrefix>/<team>/`.
    Team,
}

impl Space {
    pub const ALL: [Space; 2] = [Space::Home, Space::Team];

    pub const fn as_str(self) -> &'static str {
        match self {
            Space::Home => "home",
            Space::Team => "team",
        }
    }

    pub fn parse(text: &str) -> Option<Space> {
        Space::ALL.into_iter().find(|space| space.as_str() == text)
    }
}

/// The response header naming the version a read returned or a delete created.
pub const VERSION_ID_HEADER: &str = "x-version-id";

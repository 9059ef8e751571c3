//! An AWS config profile that gets its credentials from `homedir credentials`
//! (`credential_process`), and the edit of the AWS config file that sets it: the
//! profile's own section is updated in place, everything else in the file is kept as
//! it was. The profile holds no secret, only the command that fetches one.

/// Keys this profile sets (or, for `endpoint_url` on AWS, removes).
const OWNED: [&str; 3] = ["credential_process", "region", "endpoint_url"];

/// Other ways a profile may name credentials, which would take precedence over (or
/// conflict with) `credential_process`: removed from the profile's section.
const CONFLICTING: [&str; 14] = [
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_security_token",
    "role_arn",
    "source_profile",
    "credential_source",
    "web_identity_token_file",
    "role_session_name",
    "sso_session",
    "sso_start_url",
    "sso_region",
    "sso_account_id",
    "sso_role_name",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    /// The command line of `credential_process`.
    pub credential_process: String,
    pub region: String,
    /// The local emulator (S3 and Cognito); `None` on AWS.
    pub endpoint_url: Option<String>,
}

impl Profile {
    /// The section's name as the config file spells it: `default`, or `profile NAME`.
    fn section(&self) -> String {
        if self.name == "default" {
            "default".to_owned()
        } else {
            format!("profile {}", self.name)
        }
    }

    fn keys(&self) -> Vec<String> {
        let mut keys = vec![
            format!("credential_process = {}", self.credential_process),
            format!("region = {}", self.region),
        ];
        if let Some(endpoint) = &self.endpoint_url {
            keys.push(format!("endpoint_url = {endpoint}"));
        }
        keys
    }

    /// The profile alone, as `--print` shows it.
    pub fn text(&self) -> String {
        let mut text = format!("[{}]\n", self.section());
        for key in self.keys() {
            text.push_str(&key);
            text.push('\n');
        }
        text
    }

    /// `config` (the AWS config file's text) with this profile set: its section
    /// updated (this profile's keys first, the credential settings it replaces removed,
    /// every other line kept), or appended when there is none.
    pub fn merged_into(&self, config: &str) -> String {
        let lines: Vec<&str> = config.lines().collect();
        let wanted = self.section();
        let Some(start) = lines
            .iter()
            .position(|line| section_name(line).as_deref() == Some(wanted.as_str()))
        else {
            let mut text = config.to_owned();
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            if !text.trim().is_empty() && !text.ends_with("\n\n") {
                text.push('\n');
            }
            text.push_str(&self.text());
            return text;
        };
        let end = lines[start + 1..]
            .iter()
            .position(|line| section_name(line).is_some())
            .map_or(lines.len(), |i| start + 1 + i);
        let mut out: Vec<String> = lines[..=start].iter().map(|l| (*l).to_owned()).collect();
        out.extend(self.keys());
        let mut dropping = false;
        for line in &lines[start + 1..end] {
            let continuation = line.starts_with([' ', '\t']) && !line.trim().is_empty();
            if continuation {
                if !dropping {
                    out.push((*line).to_owned());
                }
                continue;
            }
            dropping = key_of(line).is_some_and(|key| {
                OWNED.contains(&key.as_str()) || CONFLICTING.contains(&key.as_str())
            });
            if !dropping {
                out.push((*line).to_owned());
            }
        }
        out.extend(lines[end..].iter().map(|l| (*l).to_owned()));
        let mut text = out.join("\n");
        text.push('\n');
        text
    }
}

/// The name of the section a line opens (`[profile  x ]` → `profile x`), if it opens one.
fn section_name(line: &str) -> Option<String> {
    let inner = line.trim().strip_prefix('[')?.strip_suffix(']')?;
    Some(inner.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The key a `key = value` line sets, lower case.
fn key_of(line: &str) -> Option<String> {
    let trimmed = line.trim_start();
    if trimmed.starts_with(['#', ';']) || line.starts_with([' ', '\t']) {
        return None;
    }
    let (key, _) = trimmed.split_once('=')?;
    Some(key.trim().to_ascii_lowercase())
}

/// Whether `name` can be a profile's name here: letters, digits, `.`, `_`, `-`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// The `credential_process` command line for the binary at `path`: the path as it is
/// when it needs no quoting, in double quotes when it holds spaces; `None` when it
/// holds a character that a shell or shlex would read differently.
pub fn command_line(path: &str) -> Option<String> {
    if path.is_empty() || path.contains(['"', '\\', '$', '`', '\'', '\n', '\r']) {
        return None;
    }
    let plain = path
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | '+' | ':'));
    Some(if plain {
        format!("{path} credentials")
    } else {
        format!("\"{path}\" credentials")
    })
}

/// Whether the shared credentials file's text has a `[name]` section with keys: the
/// AWS CLI and SDKs prefer those to the config file's `credential_process`.
pub fn has_static_keys(credentials_file: &str, name: &str) -> bool {
    let mut inside = false;
    for line in credentials_file.lines() {
        if let Some(section) = section_name(line) {
            inside = section == name;
        } else if inside && key_of(line).is_some_and(|k| k == "aws_access_key_id") {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(name: &str, endpoint: Option<&str>) -> Profile {
        Profile {
            name: name.into(),
            credential_process: "/usr/local/bin/homedir credentials".into(),
            region: "eu-west-1".into(),
            endpoint_url: endpoint.map(str::to_owned),
        }
    }

    #[test]
    fn a_new_profile_is_appended_after_a_blank_line() {
        let p = profile("homedir", Some("http://127.0.0.1:5000"));
        let expected = "[profile homedir]\ncredential_process = /usr/local/bin/homedir credentials\n\
                        region = eu-west-1\nendpoint_url = http://127.0.0.1:5000\n";
        assert_eq!(p.text(), expected);
        assert_eq!(p.merged_into(""), expected);
        assert_eq!(
            p.merged_into("[default]\nregion = us-east-1"),
            format!("[default]\nregion = us-east-1\n\n{expected}")
        );
        assert_eq!(
            p.merged_into("[default]\nregion = us-east-1\n\n"),
            format!("[default]\nregion = us-east-1\n\n{expected}")
        );
        assert_eq!(
            profile("default", None).text(),
            "[default]\ncredential_process = /usr/local/bin/homedir credentials\nregion = eu-west-1\n"
        );
    }

    #[test]
    fn an_existing_profile_is_updated_and_everything_else_kept() {
        let config = "\
# my settings
[default]
region = us-east-1

[profile  homedir ]
output = json
aws_access_key_id = AKIAOLD
aws_secret_access_key = old
Region = us-west-2
endpoint_url = http://127.0.0.1:5000
s3 =
    addressing_style = path
# a comment is kept
credential_process = old-command
    continued

[profile other]
region = ap-south-1
credential_process = other
";
        let merged = profile("homedir", None).merged_into(config);
        assert_eq!(
            merged,
            "\
# my settings
[default]
region = us-east-1

[profile  homedir ]
credential_process = /usr/local/bin/homedir credentials
region = eu-west-1
output = json
s3 =
    addressing_style = path
# a comment is kept

[profile other]
region = ap-south-1
credential_process = other
"
        );
        // Setting it again changes nothing.
        assert_eq!(profile("homedir", None).merged_into(&merged), merged);
    }

    #[test]
    fn an_owned_key_s_continuation_lines_go_with_it() {
        let config = "[profile homedir]\nendpoint_url =\n    http://old\noutput = text\n";
        assert_eq!(
            profile("homedir", Some("http://127.0.0.1:9")).merged_into(config),
            "[profile homedir]\ncredential_process = /usr/local/bin/homedir credentials\n\
             region = eu-west-1\nendpoint_url = http://127.0.0.1:9\noutput = text\n"
        );
    }

    #[test]
    fn names_and_command_lines() {
        for ok in ["homedir", "default", "work.home-dir_2"] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in ["", "a b", "a]", "profile x", "ü"] {
            assert!(!valid_name(bad), "{bad}");
        }
        assert_eq!(
            command_line("/home/a/.cargo/bin/homedir").as_deref(),
            Some("/home/a/.cargo/bin/homedir credentials")
        );
        assert_eq!(
            command_line("/Users/A B/bin/homedir").as_deref(),
            Some("\"/Users/A B/bin/homedir\" credentials")
        );
        assert_eq!(command_line("/tmp/a$b/homedir"), None);
        assert_eq!(command_line("/tmp/a\"b/homedir"), None);
    }

    #[test]
    fn static_keys_in_the_credentials_file_are_found() {
        let file = "[default]\naws_access_key_id = A\n[homedir]\nregion = x\n";
        assert!(has_static_keys(file, "default"));
        assert!(!has_static_keys(file, "homedir"));
        assert!(has_static_keys(
            "[ homedir ]\nAWS_ACCESS_KEY_ID = A\n",
            "homedir"
        ));
    }
}

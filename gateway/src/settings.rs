//! What each function runs with, as Lambda configures a function: its name and ARN,
//! its timeout and memory size, its environment variables (the template's, resolved by
//! the stack) and its execution role's credentials. Locally these come from the
//! `--function-config` file `tests/emulator/deploy.py` writes from the deployed stack
//! (the emulator's Lambda model of each `AWS::Lambda::Function`); a binary the file
//! does not name runs with defaults and the `--env-file` settings only.
//!
//! The precedence of a process's variables, lowest first: the template's `Environment`,
//! the `--env-file` (the local settings: the emulator's endpoint, the web page's local
//! URLs), then what Lambda itself sets and a function cannot override: the role's
//! credentials and the runtime variables
//! (<https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime>).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

/// One function the gateway serves: its binary and its configuration.
#[derive(Debug, Clone)]
pub struct FunctionSettings {
    /// The binary's name: the function's name in `/lambda-url/<binary>/`.
    pub binary: String,
    pub path: PathBuf,
    /// The function's name (`FunctionName`, the stack's physical id), else the binary's.
    pub name: String,
    pub arn: String,
    /// The function's `Timeout`; `None`: the gateway's `--timeout`.
    pub timeout: Option<Duration>,
    pub memory_mb: u32,
    /// The template's `Environment.Variables`, as deployed.
    pub environment: Vec<(String, String)>,
    /// The execution role's credentials (`AWS_ACCESS_KEY_ID`, …), set last.
    pub credentials: Vec<(String, String)>,
}

impl FunctionSettings {
    /// A binary no configuration names: Lambda's defaults.
    pub fn plain(binary: &str, path: PathBuf) -> FunctionSettings {
        FunctionSettings {
            binary: binary.to_owned(),
            path,
            name: binary.to_owned(),
            arn: format!("arn:aws:lambda:us-east-1:000000000000:function:{binary}"),
            timeout: None,
            memory_mb: 256,
            environment: Vec::new(),
            credentials: Vec::new(),
        }
    }

    /// Whether `reference` (a name, a full or partial ARN, each optionally with the
    /// `$LATEST` qualifier) names this function, as the Invoke API's `FunctionName`
    /// may (<https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html>).
    pub fn answers_to(&self, reference: &str) -> bool {
        let unqualified = reference.strip_suffix(":$LATEST").unwrap_or(reference);
        if unqualified == self.binary || unqualified == self.name || unqualified == self.arn {
            return true;
        }
        // A partial ARN: ACCOUNT:function:NAME.
        let partial = self.arn.split(':').skip(4).collect::<Vec<_>>().join(":");
        unqualified == partial
    }
}

/// The `--function-config` file: `{"functions": {"<binary>": {"name", "arn",
/// "timeout", "memory", "environment": {…}, "credentials": {…}}}}`.
pub fn read_config(path: &Path) -> Result<HashMap<String, Value>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let document: Value =
        serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
    let Some(functions) = document.get("functions").and_then(Value::as_object) else {
        return Err(format!("{} has no \"functions\" object", path.display()));
    };
    Ok(functions.clone().into_iter().collect())
}

/// A configured binary's settings from its entry in the file.
pub fn configured(binary: &str, path: PathBuf, entry: &Value) -> FunctionSettings {
    let mut settings = FunctionSettings::plain(binary, path);
    if let Some(name) = entry.get("name").and_then(Value::as_str) {
        settings.name = name.to_owned();
    }
    if let Some(arn) = entry.get("arn").and_then(Value::as_str) {
        settings.arn = arn.to_owned();
    }
    if let Some(seconds) = entry.get("timeout").and_then(Value::as_f64) {
        settings.timeout = Some(Duration::from_secs_f64(seconds.max(0.001)));
    }
    if let Some(memory) = entry.get("memory").and_then(Value::as_u64) {
        settings.memory_mb = u32::try_from(memory).unwrap_or(u32::MAX);
    }
    settings.environment = pairs(entry.get("environment"));
    settings.credentials = pairs(entry.get("credentials"));
    settings
}

fn pairs(value: Option<&Value>) -> Vec<(String, String)> {
    value
        .and_then(Value::as_object)
        .map(|object| {
            object
                .iter()
                .map(|(k, v)| {
                    let text = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (k.clone(), text)
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_function_answers_to_its_name_arn_partial_arn_and_binary() {
        let entry = json!({
            "name": "stack-UsageFunction-ABC",
            "arn": "arn:aws:lambda:us-east-1:123456789012:function:stack-UsageFunction-ABC",
            "timeout": 15, "memory": 128,
            "environment": {"TABLE": "t", "N": 3},
            "credentials": {"AWS_ACCESS_KEY_ID": "ASIAX"},
        });
        let settings = configured("usage", PathBuf::from("/bin/usage"), &entry);
        for name in [
            "usage",
            "stack-UsageFunction-ABC",
            "stack-UsageFunction-ABC:$LATEST",
            "arn:aws:lambda:us-east-1:123456789012:function:stack-UsageFunction-ABC",
            "123456789012:function:stack-UsageFunction-ABC",
        ] {
            assert!(settings.answers_to(name), "{name}");
        }
        for name in ["other", "stack-UsageFunction-ABC:1", "usage:alias"] {
            assert!(!settings.answers_to(name), "{name}");
        }
        assert_eq!(settings.timeout, Some(Duration::from_secs(15)));
        assert_eq!(settings.memory_mb, 128);
        assert!(settings.environment.contains(&("N".into(), "3".into())));
        assert_eq!(
            settings.credentials,
            vec![("AWS_ACCESS_KEY_ID".into(), "ASIAX".into())]
        );
    }
}

//! `config`: where the stack is. With `--stack NAME` from CloudFormation's outputs,
//! with `--local` from `make dev`'s settings file; without an option, what is saved.

use std::path::Path;

use aws_config::BehaviorVersion;
use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};

use super::emit;
use crate::auth::Tokens;
use crate::cli::Config;
use crate::config::{Settings, api_url_template, local_api_url, parse_env_file};
use crate::error::{Error, Result};

pub async fn config(args: Config) -> Result<()> {
    let settings = match (&args.stack, &args.local) {
        (Some(stack), _) => from_stack(stack, args.region.as_deref()).await?,
        (None, Some(file)) => from_env_file(file, args.port)?,
        (None, None) => return show(),
    };
    settings.save()?;
    let mut lines = vec![format!(
        "saved to {}",
        crate::store::config_dir()?.join("config.json").display()
    )];
    lines.extend(describe(&settings));
    lines.push("next: homedir login".into());
    emit(&lines)
}

fn show() -> Result<()> {
    let settings = Settings::load()?;
    let mut lines = describe(&settings);
    let stale = stale_local(&settings);
    lines.push(match (Tokens::load(&settings)?, stale) {
        (_, Some(reason)) => format!("stale: {reason}; run homedir config --local again"),
        (Some(tokens), None) => format!("signed in as {}", tokens.email),
        (None, None) => "signed out".into(),
    });
    emit(&lines)
}

/// Why a local configuration no longer matches the stack `make dev` runs, if it does
/// not: `.local/stack.env` (here, where `make dev` writes it) names another app client.
fn stale_local(settings: &Settings) -> Option<String> {
    settings.cognito_endpoint.as_ref()?;
    let text = std::fs::read_to_string(".local/stack.env").ok()?;
    let pairs = parse_env_file(&text);
    let now = pairs
        .iter()
        .rev()
        .find(|(k, _)| k == "USER_POOL_CLIENT_ID")
        .map(|(_, v)| v.as_str())?;
    (now != settings.client_id)
        .then(|| "the local stack was started afresh and has a new app client".to_owned())
}

fn describe(settings: &Settings) -> Vec<String> {
    let mut lines = vec![
        format!("api          {}", settings.api_url),
        format!("region       {}", settings.region),
        format!("user pool    {}", settings.user_pool_id),
        format!("app client   {}", settings.client_id),
    ];
    if let Some(endpoint) = &settings.cognito_endpoint {
        lines.push(format!("cognito      {endpoint}"));
    }
    lines
}

/// A deployed stack's outputs, read with the ambient AWS credentials.
async fn from_stack(stack: &str, region: Option<&str>) -> Result<Settings> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = region {
        loader = loader.region(aws_config::Region::new(region.to_owned()));
    }
    let sdk = loader.load().await;
    let where_ = sdk.region().map(|r| r.to_string()).ok_or_else(|| {
        Error::NotConfigured("no AWS region: pass --region or set AWS_REGION".into())
    })?;
    let answer = aws_sdk_cloudformation::Client::new(&sdk)
        .describe_stacks()
        .stack_name(stack)
        .send()
        .await
        .map_err(|e| stack_error(stack, &where_, e))?;
    let Some(found) = answer.stacks().first() else {
        return Err(Error::NotConfigured(format!(
            "no stack {stack} in {where_}"
        )));
    };
    let output = |name: &str| {
        found
            .outputs()
            .iter()
            .find(|o| o.output_key() == Some(name))
            .and_then(|o| o.output_value())
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| {
                Error::NotConfigured(format!(
                    "the stack {stack} has no output {name}: is it homedir's template.yaml?"
                ))
            })
    };
    Ok(Settings {
        api_url: api_url_template(&output("ApiUrl")?),
        region: output("Region").unwrap_or(where_),
        user_pool_id: output("UserPoolId")?,
        client_id: output("UserPoolClientId")?,
        cognito_endpoint: None,
    })
}

fn stack_error<E: ProvideErrorMetadata, R>(
    stack: &str,
    region: &str,
    error: SdkError<E, R>,
) -> Error {
    let message = error.message().unwrap_or_default().to_owned();
    match error.code() {
        Some("ValidationError") if message.contains("does not exist") => {
            Error::NotConfigured(format!("no stack {stack} in {region}"))
        }
        Some(
            code @ ("AccessDenied"
            | "AccessDeniedException"
            | "ExpiredToken"
            | "InvalidClientTokenId"
            | "UnrecognizedClientException"),
        ) => Error::NotConfigured(format!(
            "AWS refused to describe the stack {stack} ({code}): check your AWS credentials"
        )),
        Some(code) => Error::NotConfigured(format!(
            "cannot read the stack {stack} in {region} ({code})"
        )),
        None => match error {
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
                Error::Unavailable(format!("cannot reach CloudFormation in {region}"))
            }
            _ => Error::NotConfigured(format!(
                "cannot read the stack {stack} in {region}: are AWS credentials configured?"
            )),
        },
    }
}

/// The local stack of `make dev` (or any stack env file the test scripts write).
fn from_env_file(file: &Path, port: Option<u16>) -> Result<Settings> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::NotConfigured(format!(
                "no {}: is `make dev` running? (run this from the repository, or pass the file)",
                file.display()
            ))
        } else {
            Error::local("cannot read", file, e)
        }
    })?;
    let pairs = parse_env_file(&text);
    let get = |name: &str| {
        pairs
            .iter()
            .rev()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.clone())
            .ok_or_else(|| Error::NotConfigured(format!("{} has no {name}", file.display())))
    };
    let port = match port {
        Some(port) => port,
        None => match std::env::var("WATCH_PORT") {
            Ok(p) if !p.is_empty() => p
                .parse()
                .map_err(|_| Error::NotConfigured(format!("WATCH_PORT={p} is not a port")))?,
            _ => 9000,
        },
    };
    Ok(Settings {
        api_url: local_api_url(port),
        region: get("AWS_REGION")?,
        user_pool_id: get("USER_POOL_ID")?,
        client_id: get("USER_POOL_CLIENT_ID")?,
        cognito_endpoint: Some(get("AWS_ENDPOINT_URL")?),
    })
}

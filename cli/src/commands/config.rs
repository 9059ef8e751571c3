//! `config`: where the stack is. With `--stack NAME` from CloudFormation's outputs (AWS's,
//! or the local emulator's with `--endpoint` / `$AWS_ENDPOINT_URL`: `make dev` deploys
//! template.yaml there as the stack homedir-local), with `--local` from `make dev`'s
//! settings file; without an option, what is saved.

use std::path::Path;

use aws_config::BehaviorVersion;
use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};

use super::emit;
use crate::auth::Tokens;
use crate::cli::Config;
use crate::config::{
    DEFAULT_HOME_PREFIX, DEFAULT_TEAM_PREFIX, Settings, api_url_template, local_api_url,
    parse_env_file,
};
use crate::error::{Error, Result};

pub async fn config(args: Config) -> Result<()> {
    let settings = match (&args.stack, &args.local) {
        (Some(stack), _) => {
            let endpoint = args.endpoint.clone().or_else(|| {
                std::env::var("AWS_ENDPOINT_URL")
                    .ok()
                    .filter(|v| !v.trim().is_empty())
            });
            if endpoint.is_none() && args.port.is_some() {
                return Err(Error::NotConfigured(
                    "--port is for a local stack: give --endpoint (or --local)".into(),
                ));
            }
            from_stack(
                stack,
                args.region.as_deref(),
                endpoint.as_deref(),
                args.port,
            )
            .await?
        }
        (None, Some(file)) => from_env_file(file, args.port)?,
        (None, None) if args.port.is_some() => {
            return Err(Error::NotConfigured(
                "--port is for a local stack: give --local or --stack with --endpoint".into(),
            ));
        }
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
    if !settings.identity_pool_id.is_empty() {
        lines.push(format!("id pool      {}", settings.identity_pool_id));
    }
    if !settings.bucket.is_empty() {
        let or = |value: &str, default: &'static str| {
            if value.is_empty() {
                default.to_owned()
            } else {
                value.to_owned()
            }
        };
        lines.push(format!(
            "bucket       {} (homes in {}/, team spaces in {}/)",
            settings.bucket,
            or(&settings.home_prefix, DEFAULT_HOME_PREFIX),
            or(&settings.team_prefix, DEFAULT_TEAM_PREFIX),
        ));
    }
    lines
}

/// A stack's outputs: a deployed stack's, read with the ambient AWS credentials; or,
/// with `endpoint`, the stack of an emulator (`make dev`'s, which needs no credentials),
/// whose Cognito is at the same endpoint and whose API, when the stack has no ApiUrl
/// (the local stack leaves the HTTP API to homedir-gateway), is the local gateway's.
async fn from_stack(
    stack: &str,
    region: Option<&str>,
    endpoint: Option<&str>,
    port: Option<u16>,
) -> Result<Settings> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(endpoint) = endpoint {
        loader = loader
            .endpoint_url(endpoint)
            .region(aws_config::Region::new(
                region.unwrap_or("us-east-1").to_owned(),
            ))
            .credentials_provider(aws_sdk_cloudformation::config::Credentials::new(
                "AKIAHOMEDIRLOCAL000",
                "local",
                None,
                None,
                "homedir-local-emulator",
            ));
    }
    if let Some(region) = region {
        loader = loader.region(aws_config::Region::new(region.to_owned()));
    }
    let sdk = loader.load().await;
    let where_ = match endpoint {
        Some(endpoint) => endpoint.to_owned(),
        None => sdk.region().map(|r| r.to_string()).ok_or_else(|| {
            Error::NotConfigured("no AWS region: pass --region or set AWS_REGION".into())
        })?,
    };
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
    let api_url = match (output("ApiUrl"), endpoint) {
        (Ok(url), _) => api_url_template(&url),
        (Err(_), Some(_)) => local_api_url(local_port(port)?),
        (Err(error), None) => return Err(error),
    };
    let region = match (output("Region"), sdk.region()) {
        (Ok(region), _) => region,
        (Err(_), Some(region)) => region.to_string(),
        (Err(error), None) => return Err(error),
    };
    // HomePrefix and TeamPrefix are parameters, not outputs (absent: the defaults).
    let parameter = |name: &str| {
        found
            .parameters()
            .iter()
            .find(|p| p.parameter_key() == Some(name))
            .and_then(|p| p.parameter_value())
            .unwrap_or_default()
            .to_owned()
    };
    Ok(Settings {
        api_url,
        region,
        user_pool_id: output("UserPoolId")?,
        client_id: output("UserPoolClientId")?,
        cognito_endpoint: endpoint.map(|e| e.trim_end_matches('/').to_owned()),
        identity_pool_id: output("IdentityPoolId")?,
        bucket: output("BucketName")?,
        home_prefix: parameter("HomePrefix"),
        team_prefix: parameter("TeamPrefix"),
    })
}

/// The port `make dev` serves the functions on: the given one, else $WATCH_PORT, else 9000.
fn local_port(port: Option<u16>) -> Result<u16> {
    match port {
        Some(port) => Ok(port),
        None => match std::env::var("WATCH_PORT") {
            Ok(p) if !p.is_empty() => p
                .parse()
                .map_err(|_| Error::NotConfigured(format!("WATCH_PORT={p} is not a port"))),
            _ => Ok(9000),
        },
    }
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
    Ok(Settings {
        api_url: local_api_url(local_port(port)?),
        region: get("AWS_REGION")?,
        user_pool_id: get("USER_POOL_ID")?,
        client_id: get("USER_POOL_CLIENT_ID")?,
        cognito_endpoint: Some(get("AWS_ENDPOINT_URL")?),
        identity_pool_id: get("IDENTITY_POOL_ID")?,
        bucket: get("BUCKET_NAME")?,
        home_prefix: get("HOME_PREFIX").unwrap_or_default(),
        team_prefix: get("TEAM_PREFIX").unwrap_or_default(),
    })
}

//! The state every function builds once per cold start, and the request flow that
//! ties the steps together: [`App::authenticate`] (steps 1–2, local), then
//! [`App::space`] (steps 3–4, the user check and the credential exchange, then the
//! caller's home or team space in S3).

use std::sync::Arc;
use std::time::Duration;

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_runtime_api::client::behavior_version::BehaviorVersion;
use aws_types::SdkConfig;
use aws_types::region::Region;
use http::HeaderMap;

use homedir_wire::routes::Space as SpaceName;
use homedir_wire::{Usage, Whoami};

use crate::auth::{
    self, AwsBackend, Caller, IdentityBroker, Team, TokenVerifier, UserCredentials, UserDirectory,
};
use crate::aws::{AwsCalls, Clients, function_credentials};
use crate::config::{Config, ConfigError};
use crate::error::Error;
use crate::storage::keys;
use crate::storage::{Space, Storage};
use crate::usage::quota::{self, Gate, UsageReader};

/// Everything a handler needs; built once in `main`.
pub struct App {
    config: Config,
    verifier: TokenVerifier,
    users: UserDirectory,
    identities: IdentityBroker,
    storage: Storage,
    usage: UsageReader,
    calls: Arc<AwsCalls>,
}

impl App {
    /// Reads the environment and builds the clients: the whole cold start. No
    /// network call happens here; the JWKS is fetched by the first request.
    ///
    /// The function's own credentials are the ones Lambda puts in the environment
    /// (they last as long as the execution environment). Reading them directly,
    /// instead of through aws-config's provider chain, keeps the chain's STS and
    /// profile-file machinery out of the binary and the cold start.
    pub async fn from_env() -> Result<App, ConfigError> {
        let config = Config::from_env()?;
        let credentials = function_credentials(|name| std::env::var(name).ok())?;
        let mut sdk = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(config.region.clone()))
            .credentials_provider(SharedCredentialsProvider::new(credentials));
        sdk.set_endpoint_url(config.endpoint_url.clone());
        let sdk = sdk.build();
        App::new(config, &sdk)
    }

    /// Builds the state from a configuration and an SDK configuration (whose
    /// credentials are the function's own, used only for AdminGetUser). Every client
    /// gets the timeouts of [`crate::aws::timeouts`], whatever `sdk` says.
    pub fn new(config: Config, sdk: &SdkConfig) -> Result<App, ConfigError> {
        let calls = Arc::new(AwsCalls::default());
        let clients = Clients::new(&config, sdk, &calls);
        let verifier = TokenVerifier::new(&config).map_err(|e| ConfigError {
            variable: "USER_POOL_ID",
            problem: e.log_detail(),
        })?;
        let backend = Arc::new(AwsBackend::new(
            clients.user_pool,
            clients.identity_pool,
            clients.dynamodb.clone(),
            &config,
        ));
        Ok(App {
            users: UserDirectory::new(backend.clone(), &config),
            identities: IdentityBroker::new(backend, &config),
            storage: Storage::new(clients.s3, &config),
            usage: UsageReader::new(clients.dynamodb, config.usage_table.clone(), config.quotas),
            verifier,
            calls,
            config,
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The AWS calls this process has made.
    pub fn calls(&self) -> &AwsCalls {
        &self.calls
    }

    /// How many times the pool's signing keys were fetched.
    pub fn jwks_fetches(&self) -> u64 {
        self.verifier.fetches()
    }

    /// The longest key the API accepts in `space` (see [`keys::max_key_bytes`]).
    pub fn max_key_bytes(&self, space: SpaceName) -> usize {
        match space {
            SpaceName::Home => keys::max_key_bytes(&self.config.home_prefix),
            SpaceName::Team => keys::max_team_key_bytes(&self.config.team_prefix),
        }
    }

    pub fn max_file_bytes(&self) -> usize {
        self.storage.max_file_bytes()
    }

    /// The largest file a multipart upload may declare (`MAX_UPLOAD_BYTES`).
    pub fn max_upload_bytes(&self) -> u64 {
        self.config.max_upload_bytes
    }

    /// Steps 1–2: find and verify the ID token, locally.
    pub async fn authenticate<'r>(&self, headers: &'r HeaderMap) -> Result<Caller<'r>, Error> {
        let token = auth::extract(headers)?;
        let claims = self.verifier.verify(token).await?;
        Ok(Caller { token, claims })
    }

    /// Steps 3–4: the user check and the credential exchange, concurrently, then the
    /// caller's `space`. Warm, this makes no AWS call at all. A caller without a team
    /// asking for the team space is refused before any AWS call (`no_team`).
    pub async fn space(&self, caller: &Caller<'_>, space: SpaceName) -> Result<Space<'_>, Error> {
        self.space_lasting(caller, space, Duration::ZERO).await
    }

    /// The caller's `space`, with credentials still valid `life` from now if
    /// Cognito's can be (for URLs signed with them; see
    /// [`IdentityBroker::credentials_lasting`]).
    pub async fn space_lasting(
        &self,
        caller: &Caller<'_>,
        space: SpaceName,
        life: Duration,
    ) -> Result<Space<'_>, Error> {
        let team = team_of(caller, space)?;
        let credentials = self.credentials(caller, life).await?;
        Ok(self.storage.space(&credentials, team))
    }

    /// Two of the caller's spaces with one set of credentials: the destination and
    /// the source of a copy or move (the same space, or home and team).
    pub async fn spaces(
        &self,
        caller: &Caller<'_>,
        dest: SpaceName,
        source: SpaceName,
    ) -> Result<(Space<'_>, Space<'_>), Error> {
        let (dest_team, source_team) = (team_of(caller, dest)?, team_of(caller, source)?);
        let credentials = self.credentials(caller, Duration::ZERO).await?;
        Ok((
            self.storage.space(&credentials, dest_team),
            self.storage.space(&credentials, source_team),
        ))
    }

    /// Who the caller is to the API (`GET /list?whoami=1`): their Identity ID, which
    /// takes the same user check and exchange as any request, and their team.
    pub async fn whoami(&self, caller: &Caller<'_>) -> Result<Whoami, Error> {
        let credentials = self.credentials(caller, Duration::ZERO).await?;
        Ok(Whoami {
            identity_id: credentials.identity_id.to_string(),
            team: caller
                .claims
                .team
                .member_of()
                .map(|team| team.as_str().to_owned()),
        })
    }

    /// `GET /list?usage=1[&space=team]`: what the caller's space holds and its quota
    /// (one DynamoDB read of that space's total, keyed by the root Cognito vouched for).
    pub async fn usage(&self, caller: &Caller<'_>, which: SpaceName) -> Result<Usage, Error> {
        let space = self.space(caller, which).await?;
        let gate = self.gate(caller, &space, which);
        let totals = self.usage.totals(&gate.root, gate.claim).await?;
        Ok(quota::usage(&totals, gate.quota))
    }

    /// What a write into `space` (the caller's space `which`) must pass: its quota.
    pub fn gate<'a>(
        &'a self,
        caller: &Caller<'_>,
        space: &Space<'_>,
        which: SpaceName,
    ) -> Gate<'a> {
        let (quota, claim) = match which {
            SpaceName::Home => (
                self.usage.quotas.home(caller.claims.quota),
                Some(caller.claims.quota),
            ),
            SpaceName::Team => (self.usage.quotas.team(), None),
        };
        Gate {
            reader: &self.usage,
            root: space.root().to_owned(),
            quota,
            claim,
        }
    }

    /// The user check and the credential exchange, concurrently: with the token's
    /// `identity_id` claim, a user's first request in an environment is one Cognito
    /// round trip. The user check's verdict comes first whichever finishes first: a
    /// deleted or disabled user is 403 `user_disabled`, even when the identity pool
    /// (with `ServerSideTokenCheck`) refuses the same token as fast.
    async fn credentials(
        &self,
        caller: &Caller<'_>,
        life: Duration,
    ) -> Result<UserCredentials, Error> {
        let (active, credentials) = tokio::join!(
            Box::pin(self.users.ensure_active(
                &caller.claims.username,
                &caller.claims.sub,
                caller.claims.iat
            )),
            Box::pin(
                self.identities
                    .credentials_lasting(caller.token, &caller.claims, life)
            ),
        );
        active?;
        credentials
    }
}

/// The team whose space `space` names: none for the home, the caller's team (or
/// `no_team`) for the team space.
fn team_of<'c>(caller: &'c Caller<'_>, space: SpaceName) -> Result<Option<&'c Team>, Error> {
    match space {
        SpaceName::Home => Ok(None),
        SpaceName::Team => caller.claims.team.team().map(Some),
    }
}

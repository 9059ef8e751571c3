//! The fleet model: how many AWS calls a Lambda fleet of the four API functions makes
//! per second, measured by running the functions' own user check
//! ([`UserDirectory::ensure_active`]) and identity exchange
//! ([`IdentityBroker::credentials`]) through simulated hours on a manual
//! [`Clock`], against a counting fake of the AWS side ([`Fake`], a [`Backend`]).
//! Nothing of the policy is restated here: what is counted is what that code calls.
//!
//! The model (every number a parameter of [`Model`]):
//! - **Users**: `users` active users, each sending `requests_per_minute` requests as a
//!   Poisson stream (the fleet's arrivals are one Poisson stream of the summed rate,
//!   each request going to a user chosen uniformly: the same thing). Each user holds
//!   an ID token valid 60 minutes and replaced every 55 (clients refresh about five
//!   minutes before expiry); the users' token phases are spread uniformly.
//! - **Functions**: read-file 30 %, write-file 20 %, list 40 %, delete 10 % of the
//!   requests ([`MIX`]).
//! - **Execution environments**: each function has `E_f` environments, from Little's
//!   law: concurrency = request rate × mean duration (40 ms) × headroom (2), at least
//!   one. Each environment is its own `UserDirectory` and `IdentityBroker` (its own
//!   caches, exactly as separate Lambda environments have), all sharing the one fake
//!   AWS and clock. An environment serves one request at a time (requests are run one
//!   after the other, so no two share a cache miss).
//! - **Routing**: each request goes to an environment of its function chosen uniformly
//!   at random. Lambda does not document how it routes; uniform spreading is the worst
//!   case for per-environment caches (a sticky router would do better).
//! - **Recycling**: environments are replaced after `lifetime` (2 h by default; Lambda
//!   documents no number), each first at a random point of its lifetime so they do not
//!   go at once; a replacement starts with empty caches (so its first minutes miss:
//!   with few environments, a replacement is a burst of GetId and
//!   GetCredentialsForIdentity calls, which the peak second shows).
//! - **Run**: a warm-up of 65 min, then a measured window (20 min); calls are counted
//!   in one-second buckets of simulated time. 65 minutes is enough: every token has been
//!   replaced once (so every cache holds what it holds in steady state), and because
//!   each environment is first recycled at a uniformly random point of its lifetime,
//!   their ages already have the steady state's spread (half of them younger than an
//!   hour at any time past the warm-up, as a renewal process of uniform phase has).
//!
//! The policy switch ([`Policy`]): OLD is what main did before the record of user
//! changes and the `identity_id` claim (AdminGetUser per user per environment per
//! `USER_CHECK_TTL_SECS`, GetId once per user per environment); NEW keeps the record
//! (one DynamoDB Query per environment per TTL) and tokens carry the claim (no GetId,
//! so no PutItem either, in steady state).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures::FutureExt;
use homedir::Config;
use homedir::auth::backend::{Backend, Issued, UserChange, UserRecord};
use homedir::auth::{Claims, IdentityBroker, Membership, UserDirectory};
use homedir::aws::Failure;
use homedir::clock::Clock;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::Table;

/// Where the Cognito quotas below are documented.
pub const COGNITO_QUOTAS_PAGE: &str =
    "https://docs.aws.amazon.com/cognito/latest/developerguide/quotas.html";
/// Where the DynamoDB throughput quotas below are documented.
pub const DYNAMODB_QUOTAS_PAGE: &str =
    "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html";

/// The request mix: each function's share of the requests.
pub const MIX: [(&str, f64); 4] = [
    ("read-file", 0.30),
    ("write-file", 0.20),
    ("list", 0.40),
    ("delete", 0.10),
];

/// Every AWS operation of the user check and the identity exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    GetId,
    GetCredentialsForIdentity,
    AdminGetUser,
    Query,
    PutItem,
}

pub const OPS: [Op; 5] = [
    Op::GetCredentialsForIdentity,
    Op::AdminGetUser,
    Op::GetId,
    Op::Query,
    Op::PutItem,
];

impl Op {
    /// The operation's name as AWS (and the emulator's call log) spells it.
    pub fn name(self) -> &'static str {
        match self {
            Op::GetId => "GetId",
            Op::GetCredentialsForIdentity => "GetCredentialsForIdentity",
            Op::AdminGetUser => "AdminGetUser",
            Op::Query => "Query",
            Op::PutItem => "PutItem",
        }
    }

    pub fn short(self) -> &'static str {
        match self {
            Op::GetCredentialsForIdentity => "GCFI",
            other => other.name(),
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Requests per second each operation may make before AWS throttles it.
#[derive(Clone, Copy, Debug)]
pub struct Quotas([f64; 5]);

impl Default for Quotas {
    /// The default quotas, as documented on [`COGNITO_QUOTAS_PAGE`] and
    /// [`DYNAMODB_QUOTAS_PAGE`]:
    /// - GetId 25 RPS and GetCredentialsForIdentity 200 RPS (identity pools, per
    ///   operation, per account and Region; adjustable);
    /// - AdminGetUser: the `UserRead` category (AdminGetUser, AdminGetUserAuthFactors,
    ///   GetUser), 120 RPS per account and Region, adjustable;
    /// - Query of the record of user changes: one partition (`pk = "changes"`), which
    ///   DynamoDB serves at up to 3,000 read units per second; a strongly consistent
    ///   read of up to 4 KB is one unit, so a small record is one unit per Query (the
    ///   on-demand table's own default, 40,000 read request units, is higher);
    /// - PutItem of the identity table (keyed by `sub`, so spread over partitions):
    ///   the on-demand table's default of 40,000 write request units per second, one
    ///   unit per item of up to 1 KB.
    fn default() -> Self {
        let mut quotas = [0.0; 5];
        quotas[Op::GetId.index()] = 25.0;
        quotas[Op::GetCredentialsForIdentity.index()] = 200.0;
        quotas[Op::AdminGetUser.index()] = 120.0;
        quotas[Op::Query.index()] = 3_000.0;
        quotas[Op::PutItem.index()] = 40_000.0;
        Quotas(quotas)
    }
}

impl Quotas {
    pub fn of(&self, op: Op) -> f64 {
        self.0[op.index()]
    }
}

/// What the functions do, as far as the AWS calls go.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    pub name: &'static str,
    /// The deployment keeps the record of user changes (`USER_CHANGES_TABLE`).
    pub keeps_user_changes: bool,
    /// The users' ID tokens carry the `identity_id` claim.
    pub claim: bool,
    /// A GetId is recorded in the identity table (`IDENTITY_TABLE`: one PutItem).
    pub records_identity: bool,
}

/// Main before this change: AdminGetUser per user per environment per TTL, GetId once
/// per user per environment, no tables.
pub const OLD: Policy = Policy {
    name: "old",
    keeps_user_changes: false,
    claim: false,
    records_identity: false,
};

/// The record of user changes, and tokens with the `identity_id` claim.
pub const NEW: Policy = Policy {
    name: "new",
    keeps_user_changes: true,
    claim: true,
    records_identity: true,
};

/// The fleet and the run (see the module documentation).
#[derive(Clone, Debug)]
pub struct Model {
    pub users: u64,
    pub requests_per_minute: f64,
    /// Mean duration of a request in an environment, for Little's law.
    pub mean_duration: Duration,
    /// Environments kept beyond the mean concurrency.
    pub headroom: f64,
    /// A fixed number of environments per function (in [`MIX`] order) instead of
    /// Little's law.
    pub envs: Option<[usize; 4]>,
    /// Environments are replaced after this long; `None`: never.
    pub lifetime: Option<Duration>,
    /// A user's next ID token replaces the current one this long after it was issued.
    pub token_refresh: Duration,
    /// An ID token's validity (`exp - iat`).
    pub token_life: Duration,
    /// Users' token phases spread uniformly over `token_refresh`; otherwise every
    /// user's first token is issued at the start.
    pub stagger_tokens: bool,
    pub warm_up: Duration,
    pub window: Duration,
    pub seed: u64,
}

impl Model {
    /// The model of the issue: `users` at 3 requests a minute, 40 ms × 2 headroom,
    /// environments recycled after 2 h, 60-minute tokens refreshed every 55.
    pub fn fleet(users: u64) -> Model {
        let lifetime = Duration::from_secs(2 * 3600);
        Model {
            users,
            requests_per_minute: 3.0,
            mean_duration: Duration::from_millis(40),
            headroom: 2.0,
            envs: None,
            lifetime: Some(lifetime),
            token_refresh: Duration::from_secs(55 * 60),
            token_life: Duration::from_secs(3600),
            stagger_tokens: true,
            warm_up: Duration::from_secs(65 * 60),
            window: Duration::from_secs(minutes_from_env("HOMEDIR_FLEET_WINDOW_MIN", 20) * 60),
            seed: 0x0005_EEDF_1EE7 ^ users,
        }
    }

    /// Environments per function ([`MIX`] order).
    pub fn environments(&self) -> [usize; 4] {
        self.envs.unwrap_or_else(|| {
            let rate = self.users as f64 * self.requests_per_minute / 60.0;
            MIX.map(|(_, share)| {
                let concurrency = rate * share * self.mean_duration.as_secs_f64() * self.headroom;
                (concurrency.ceil() as usize).max(1)
            })
        })
    }
}

fn minutes_from_env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The AWS side: instant, correct answers, every call counted in the one-second
/// bucket of simulated time it was made in (from `window_start` on).
pub struct Fake {
    clock: Clock,
    window_start: SystemTime,
    policy: Policy,
    /// `<region>:`, the identity pool's.
    region_prefix: String,
    buckets: Mutex<Vec<[u32; 5]>>,
}

impl Fake {
    fn new(clock: Clock, window_start: SystemTime, policy: Policy, config: &Config) -> Fake {
        let region = config
            .identity_pool_id
            .split(':')
            .next()
            .unwrap_or_default();
        Fake {
            clock,
            window_start,
            policy,
            region_prefix: format!("{region}:"),
            buckets: Mutex::new(Vec::new()),
        }
    }

    fn count(&self, op: Op) {
        let Ok(since) = self.clock.now().duration_since(self.window_start) else {
            return;
        };
        let second = since.as_secs() as usize;
        let mut buckets = self.buckets.lock().expect("counts");
        if buckets.len() <= second {
            buckets.resize(second + 1, [0; 5]);
        }
        buckets[second][op.index()] += 1;
    }

    /// User `user`'s Identity ID: stable, Cognito-shaped.
    fn identity_of(&self, user: u64) -> String {
        format!(
            "{}{:08x}-0000-4000-8000-{:012x}",
            self.region_prefix,
            user & 0xffff_ffff,
            user
        )
    }
}

/// The user a fake token (`<user>.<n>`) or username (`u<user>`) names.
fn user_of(text: &str) -> u64 {
    let digits = text.trim_start_matches('u');
    digits
        .split('.')
        .next()
        .and_then(|u| u.parse().ok())
        .expect("a fleet model token or username")
}

impl Backend for Fake {
    async fn get_id(&self, token: &str) -> Result<String, Failure> {
        self.count(Op::GetId);
        Ok(self.identity_of(user_of(token)))
    }

    async fn get_credentials_for_identity(
        &self,
        identity_id: &str,
        _token: &str,
    ) -> Result<Issued, Failure> {
        self.count(Op::GetCredentialsForIdentity);
        Ok(Issued {
            identity_id: Some(identity_id.to_owned()),
            access_key_id: Some("ASIAFLEET".to_owned()),
            secret_key: Some("fleet".to_owned()),
            session_token: Some("fleet".to_owned()),
            expiration: Some(self.clock.now() + Duration::from_secs(3600)),
        })
    }

    async fn admin_get_user(&self, username: &str) -> Result<UserRecord, Failure> {
        self.count(Op::AdminGetUser);
        Ok(UserRecord {
            enabled: true,
            confirmed: true,
            sub: Some(format!("s{}", user_of(username))),
        })
    }

    fn keeps_user_changes(&self) -> bool {
        self.policy.keeps_user_changes
    }

    async fn user_changes_since(&self, _since: u64) -> Result<Vec<UserChange>, Failure> {
        self.count(Op::Query);
        Ok(Vec::new())
    }

    async fn record_identity(&self, _sub: &str, _identity_id: &str) -> Result<(), Failure> {
        if self.policy.records_identity {
            self.count(Op::PutItem);
        }
        Ok(())
    }
}

/// One execution environment: its own caches.
struct Environment {
    users: UserDirectory<Fake>,
    broker: IdentityBroker<Fake>,
    /// When it is replaced (simulated seconds).
    recycle_at: f64,
}

impl Environment {
    fn new(backend: &Arc<Fake>, config: &Config, clock: &Clock, recycle_at: f64) -> Self {
        Environment {
            users: UserDirectory::with_backend(backend.clone(), config, clock.clone()),
            broker: IdentityBroker::with_backend(backend.clone(), config, clock.clone()),
            recycle_at,
        }
    }
}

/// What one run counted in its window.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub users: u64,
    pub envs: [usize; 4],
    /// Requests in the window.
    pub requests: u64,
    pub totals: [u64; 5],
    pub peaks: [u32; 5],
    pub window_secs: u64,
    /// Real time the run took.
    pub wall: Duration,
}

impl Outcome {
    pub fn total(&self, op: Op) -> u64 {
        self.totals[op.index()]
    }

    pub fn mean(&self, op: Op) -> f64 {
        self.total(op) as f64 / self.window_secs as f64
    }

    pub fn peak(&self, op: Op) -> u32 {
        self.peaks[op.index()]
    }

    /// The operation closest to (or furthest over) its quota, by peak second.
    pub fn tightest(&self, quotas: &Quotas) -> (Op, f64) {
        OPS.iter()
            .map(|&op| (op, f64::from(self.peak(op)) / quotas.of(op)))
            .fold((Op::GetCredentialsForIdentity, f64::MIN), |best, next| {
                if next.1 > best.1 { next } else { best }
            })
    }

    /// The first quota to bind: the highest peak/quota ratio, if over 1.
    pub fn binding(&self, quotas: &Quotas) -> Option<Op> {
        let (op, ratio) = self.tightest(quotas);
        (ratio > 1.0).then_some(op)
    }
}

/// Runs the functions' user check and identity exchange over the model's simulated
/// requests, under `policy`, with `config` (the functions' settings: TTL, capacity).
pub fn run(model: &Model, policy: Policy, config: &Config) -> Outcome {
    let wall = Instant::now();
    let start = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let start_secs = 1_800_000_000f64;
    let clock = Clock::manual(start);
    let backend = Arc::new(Fake::new(
        clock.clone(),
        start + model.warm_up,
        policy,
        config,
    ));
    let envs = model.environments();
    let lifetime = model.lifetime.map(|l| l.as_secs_f64());
    let mut rng = StdRng::seed_from_u64(model.seed);
    let mut fleet: Vec<Vec<Environment>> = envs
        .iter()
        .map(|&n| {
            (0..n)
                .map(|_| {
                    // Staggered ages: each environment is first replaced at a uniformly
                    // random point of its lifetime, independently of the others.
                    let recycle_at = lifetime.map_or(f64::INFINITY, |l| l * rng.random::<f64>());
                    Environment::new(&backend, config, &clock, recycle_at)
                })
                .collect()
        })
        .collect();
    let refresh = model.token_refresh.as_secs_f64();
    let phases: Vec<f32> = (0..model.users)
        .map(|_| {
            if model.stagger_tokens {
                rng.random::<f32>() * refresh as f32
            } else {
                0.0
            }
        })
        .collect();
    let mut cumulative = [0.0; 4];
    let mut sum = 0.0;
    for (i, (_, share)) in MIX.iter().enumerate() {
        sum += share;
        cumulative[i] = sum;
    }
    let rate = model.users as f64 * model.requests_per_minute / 60.0;
    let warm_up = model.warm_up.as_secs_f64();
    let end = warm_up + model.window.as_secs_f64();
    let token_life = model.token_life.as_secs();
    let mut t = 0.0;
    let mut requests = 0;
    loop {
        t += -(1.0 - rng.random::<f64>()).ln() / rate;
        if t >= end {
            break;
        }
        let user = rng.random_range(0..model.users);
        let pick = rng.random::<f64>() * sum;
        let function = cumulative.iter().position(|&c| pick < c).unwrap_or(3);
        let index = rng.random_range(0..envs[function]);
        clock.set(start + Duration::from_secs_f64(t));
        let env = &mut fleet[function][index];
        if env.recycle_at <= t {
            let l = lifetime.expect("only a finite lifetime recycles");
            let mut next = env.recycle_at + l;
            while next <= t {
                next += l;
            }
            *env = Environment::new(&backend, config, &clock, next);
        }
        let phase = f64::from(phases[user as usize]);
        let generation = ((t + phase) / refresh).floor() as i64;
        let issued = generation as f64 * refresh - phase;
        let iat = (start_secs + issued).floor() as u64;
        let token = format!("{user}.{generation}");
        let claims = Claims {
            sub: format!("s{user}"),
            username: format!("u{user}"),
            exp: iat + token_life,
            iat,
            identity_id: policy.claim.then(|| backend.identity_of(user)),
            team: Membership::from_claim(None),
            quota: None,
        };
        env.users
            .ensure_active(&claims.username, &claims.sub, iat)
            .now_or_never()
            .expect("the fake answers at once")
            .expect("every modelled user is active");
        env.broker
            .credentials(&token, &claims)
            .now_or_never()
            .expect("the fake answers at once")
            .expect("every modelled exchange succeeds");
        if t >= warm_up {
            requests += 1;
        }
    }
    let window_secs = model.window.as_secs().max(1);
    let buckets = backend.buckets.lock().expect("counts");
    let mut totals = [0u64; 5];
    let mut peaks = [0u32; 5];
    for bucket in buckets.iter().take(window_secs as usize) {
        for op in OPS {
            totals[op.index()] += u64::from(bucket[op.index()]);
            peaks[op.index()] = peaks[op.index()].max(bucket[op.index()]);
        }
    }
    Outcome {
        users: model.users,
        envs,
        requests,
        totals,
        peaks,
        window_secs,
        wall: wall.elapsed(),
    }
}

/// The functions' settings with the defaults every deployment has unless it says
/// otherwise (USER_CHECK_TTL_SECS 60, CACHE_CAPACITY 10,000, a 30 s margin).
pub fn default_config() -> Config {
    Config::from_lookup(|name| {
        match name {
            "AWS_REGION" => Some("us-east-1"),
            "USER_POOL_ID" => Some("us-east-1_fleet"),
            "USER_POOL_CLIENT_ID" => Some("fleetmodelclient"),
            "IDENTITY_POOL_ID" => Some("us-east-1:00000000-0000-4000-8000-000000000000"),
            "BUCKET_NAME" => Some("fleet-model-bucket"),
            _ => None,
        }
        .map(str::to_owned)
    })
    .expect("the fleet model's configuration is valid")
}

/// The largest user count under every quota, by geometric bisection with the model
/// (same warm-up and window) between the user counts already run, to within 5 %.
/// Returns the count and the quota that binds just above it.
fn largest_under(
    policy: Policy,
    config: &Config,
    quotas: &Quotas,
    runs: &[Outcome],
) -> (u64, Option<Op>, Vec<Outcome>) {
    let mut probes = Vec::new();
    let under = |o: &Outcome| o.binding(quotas).is_none();
    let mut lo = runs.iter().filter(|o| under(o)).map(|o| o.users).max();
    let mut hi = runs
        .iter()
        .filter(|o| !under(o))
        .min_by_key(|o| o.users)
        .cloned();
    let Some(mut above) = hi.take() else {
        // Nothing binds at the largest count run: report that count as a floor.
        let most = runs.iter().map(|o| o.users).max().unwrap_or(0);
        return (most, None, probes);
    };
    let mut low = match lo.take() {
        Some(low) => low,
        None => {
            let mut low = above.users;
            loop {
                low /= 2;
                if low < 2 {
                    return (0, above.binding(quotas), probes);
                }
                let probe = run(&Model::fleet(low), policy, config);
                probes.push(probe.clone());
                if under(&probe) {
                    break low;
                }
                above = probe;
            }
        }
    };
    while above.users as f64 > low as f64 * 1.05 {
        let mid = ((low as f64 * above.users as f64).sqrt()).round() as u64;
        let probe = run(&Model::fleet(mid), policy, config);
        probes.push(probe.clone());
        eprintln!(
            "bench: fleet model, {} policy, {mid} users: {}",
            policy.name,
            if under(&probe) { "under" } else { "over" }
        );
        if under(&probe) {
            low = mid;
        } else {
            above = probe;
        }
    }
    (low, above.binding(quotas), probes)
}

/// One policy's runs at each user count and its largest count under the quotas.
struct PolicyResult {
    policy: Policy,
    runs: Vec<Outcome>,
    largest: u64,
    binds: Option<Op>,
    search_wall: Duration,
    search_probes: usize,
}

fn evaluate(policy: Policy, counts: &[u64], quotas: &Quotas) -> PolicyResult {
    let config = default_config();
    let runs: Vec<Outcome> = counts
        .iter()
        .map(|&users| {
            let outcome = run(&Model::fleet(users), policy, &config);
            eprintln!(
                "bench: fleet model, {} policy, {users} users: {} requests in the window, {:.1} s",
                policy.name,
                outcome.requests,
                outcome.wall.as_secs_f64()
            );
            outcome
        })
        .collect();
    let started = Instant::now();
    let (largest, binds, probes) = largest_under(policy, &config, quotas, &runs);
    PolicyResult {
        policy,
        runs,
        largest,
        binds,
        search_wall: started.elapsed(),
        search_probes: probes.len(),
    }
}

fn calls_summary(outcome: &Outcome, quotas: &Quotas) -> String {
    OPS.iter()
        .map(|&op| {
            format!(
                "{} {:.1}/{}",
                op.short(),
                f64::from(outcome.peak(op)),
                quotas.of(op)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn bind_name(op: Option<Op>) -> &'static str {
    op.map_or("none", Op::short)
}

fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `make bench`'s fleet section: both policies at 1,000, 10,000 and 100,000 users,
/// and the largest user count under every default quota before and after.
pub fn fleet(table: &mut Table) {
    let quotas = Quotas::default();
    let counts: Vec<u64> = std::env::var("HOMEDIR_FLEET_USERS")
        .ok()
        .map(|list| {
            list.split(',')
                .filter_map(|n| n.trim().parse().ok())
                .collect()
        })
        .unwrap_or_else(|| vec![1_000, 10_000, 100_000]);
    let started = Instant::now();
    // The two policies run side by side (two cores).
    let (old, new) = std::thread::scope(|scope| {
        let old = scope.spawn(|| evaluate(OLD, &counts, &quotas));
        let new = scope.spawn(|| evaluate(NEW, &counts, &quotas));
        (
            old.join().expect("the old policy's runs"),
            new.join().expect("the new policy's runs"),
        )
    });
    let elapsed = started.elapsed();
    print_markdown(&[&old, &new], &quotas);
    for result in [&old, &new] {
        for outcome in &result.runs {
            table.add(
                format!(
                    "fleet model, {} users at 3 req/min, {} policy: peak calls/s (of quota)",
                    group(outcome.users),
                    result.policy.name
                ),
                format!(
                    "{}; binds: {}",
                    calls_summary(outcome, &quotas),
                    bind_name(outcome.binding(&quotas))
                ),
                "informational",
                None,
            );
        }
    }
    let largest = |r: &PolicyResult| {
        let most = r.runs.iter().map(|o| o.users).max().unwrap_or(0);
        if r.binds.is_none() && r.largest >= most {
            format!("≥ {} (nothing binds)", group(r.largest))
        } else {
            format!("{} (then {} binds)", group(r.largest), bind_name(r.binds))
        }
    };
    table.add(
        "fleet model, old policy: largest user count under default quotas",
        largest(&old),
        "reported",
        None,
    );
    table.add(
        "fleet model, new policy: largest user count under default quotas",
        largest(&new),
        "> old",
        Some(new.largest > old.largest),
    );
    table.add(
        "fleet model: run time (both policies, side by side)",
        format!(
            "{:.0} s ({} + {} search probes)",
            elapsed.as_secs_f64(),
            old.search_probes,
            new.search_probes
        ),
        "reported",
        None,
    );
}

fn print_markdown(results: &[&PolicyResult], quotas: &Quotas) {
    let model = Model::fleet(1);
    println!();
    println!(
        "Fleet model: 3 requests/min per user (Poisson); mix {}; environments per function = \
         ceil(rate × {} ms × {}) (≥ 1), uniform routing, recycled every {} min (staggered); \
         60-min ID tokens refreshed every 55 min; {} min warm-up, {} min measured; calls/s \
         mean and peak second. Quotas: {COGNITO_QUOTAS_PAGE}, {DYNAMODB_QUOTAS_PAGE} \
         (Query: one partition, 3,000 RU/s).",
        MIX.iter()
            .map(|(name, share)| format!("{name} {:.0} %", share * 100.0))
            .collect::<Vec<_>>()
            .join(", "),
        model.mean_duration.as_millis(),
        model.headroom,
        model.lifetime.map_or(0, |l| l.as_secs() / 60),
        model.warm_up.as_secs() / 60,
        model.window.as_secs() / 60,
    );
    println!();
    print!("| policy | users | req/s | environments (r/w/l/d) |");
    for op in OPS {
        print!(" {} mean / peak (quota) |", op.short());
    }
    println!(" first to bind | run time |");
    print!("|---|---|---|---|");
    for _ in OPS {
        print!("---|");
    }
    println!("---|---|");
    for result in results {
        for outcome in &result.runs {
            print!(
                "| {} | {} | {:.0} | {} |",
                result.policy.name,
                group(outcome.users),
                outcome.requests as f64 / outcome.window_secs as f64,
                outcome
                    .envs
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("/")
            );
            for op in OPS {
                print!(
                    " {:.1} / {} ({}) |",
                    outcome.mean(op),
                    outcome.peak(op),
                    quotas.of(op)
                );
            }
            let (op, ratio) = outcome.tightest(quotas);
            let bind = if ratio > 1.0 {
                format!("{} ({:.1}× quota)", op.short(), ratio)
            } else {
                format!("none (closest: {} at {:.0} %)", op.short(), ratio * 100.0)
            };
            println!(" {bind} | {:.1} s |", outcome.wall.as_secs_f64());
        }
    }
    println!();
    for result in results {
        println!(
            "{} policy: largest user count under every default quota {} (then {} binds; \
             bisection with the model to 5 %, {} probes, {:.0} s)",
            result.policy.name,
            group(result.largest),
            bind_name(result.binds),
            result.search_probes,
            result.search_wall.as_secs_f64()
        );
    }
    println!();
}

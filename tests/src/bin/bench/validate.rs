//! `fleet-validate`: the fleet model against the real functions at small scale.
//!
//! Real users of the local stack (real ID tokens, signed in a second time after one
//! request, so that their tokens carry the `identity_id` claim as in steady state) send
//! requests as Poisson streams to
//! [`ENVIRONMENTS`] release builds of each of the four functions, each behind its own
//! Lambda Runtime API on loopback (one request at a time per environment, as Lambda
//! runs them), routed uniformly at random among a function's environments, for a few
//! real minutes. The emulator counts the AWS calls it receives. The model then runs
//! with the same users, environments, duration, mix, routing, settings and token state
//! (whether the tokens carry the `identity_id` claim is read from the tokens; whether
//! the functions keep the record of user changes and the identity table from their
//! environment), with its own random draws, and each operation's prediction must be
//! within 10 % of the count (within 5 calls where fewer than 50 were counted).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use homedir::Config;
use homedir_tests::emulator;
use homedir_tests::forge::claims_of;
use homedir_tests::runtime::{Function, binary, http_event};
use homedir_tests::stack::{Stack, User};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::fleet::{self, MIX, Model, OPS, Policy};
use super::{Table, profile};

/// Environments per function.
const ENVIRONMENTS: usize = 3;
const REQUESTS_PER_MINUTE: f64 = 3.0;

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Whether an ID token carries the `identity_id` claim (decoded, not verified: the
/// token is the emulator's own).
fn has_identity_claim(token: &str) -> bool {
    claims_of(token)
        .get("identity_id")
        .is_some_and(serde_json::Value::is_string)
}

fn event(function: &str, token: &str) -> serde_json::Value {
    let auth = format!("Bearer {token}");
    let headers = [("authorization", auth.as_str())];
    match function {
        "read-file" => http_event("GET", "read-file", "key=fleet.txt", &headers, None),
        "write-file" => http_event(
            "PUT",
            "write-file",
            "key=fleet.txt",
            &headers,
            Some(b"fleet"),
        ),
        "list" => http_event("GET", "list", "", &headers, None),
        _ => http_event("DELETE", "delete", "key=fleet.txt", &headers, None),
    }
}

/// The validation rows, for the old policy (no record of user changes, no identity
/// table: AdminGetUser and GetId) and the new one (the record, tokens with the claim):
/// one per operation, and the verdict.
pub async fn validate(stack: &Stack, table: &mut Table) {
    for old in [true, false] {
        validate_one(stack, table, old).await;
    }
}

async fn validate_one(stack: &Stack, table: &mut Table, old: bool) {
    let which = if old { "old policy" } else { "new policy" };
    let users_wanted = setting("HOMEDIR_FLEET_VALIDATE_USERS", 200) as usize;
    let seconds = setting("HOMEDIR_FLEET_VALIDATE_SECS", 240);
    let section = Instant::now();

    let created = Instant::now();
    let fresh: Vec<User> = futures::stream::iter(0..users_wanted)
        .map(|_| User::new(stack))
        .buffer_unordered(20)
        .collect()
        .await;
    // The steady state: each user's Identity ID recorded (one request through an
    // in-process function), then a second sign-in, whose token carries the claim.
    let primer = stack.app(&[]);
    let primer = &primer;
    let users: Vec<User> = futures::stream::iter(fresh)
        .map(|mut user| async move {
            if old {
                // The old policy's users: their first tokens, no claim.
                return user;
            }
            homedir_tests::requests::Req::get("list", &[])
                .token(&user.id_token)
                .send(primer)
                .await
                .expect(200, None);
            user.id_token = user.sign_in_again(stack).await;
            user
        })
        .buffer_unordered(20)
        .collect()
        .await;
    let creating = created.elapsed();
    let with_claim = users
        .iter()
        .filter(|u| has_identity_claim(&u.id_token))
        .count();
    let claim = with_claim * 2 > users.len();

    let mut env = stack.function_env();
    if old {
        env.retain(|(name, _)| name != "IDENTITY_TABLE" && name != "USER_CHANGES_TABLE");
    }
    let has = |name: &str| env.iter().any(|(k, v)| k == name && !v.is_empty());
    let policy = Policy {
        name: "as deployed",
        keeps_user_changes: has("USER_CHANGES_TABLE"),
        claim,
        records_identity: has("IDENTITY_TABLE"),
    };
    let lookup: HashMap<String, String> = env.iter().cloned().collect();
    let config = Config::from_lookup(|name| lookup.get(name).cloned())
        .expect("the functions' configuration is valid");

    let mut fleet_envs: Vec<Vec<Arc<Function>>> = Vec::new();
    for (name, _) in MIX {
        let path = binary(name, &profile());
        let mut environments = Vec::new();
        for _ in 0..ENVIRONMENTS {
            let function = Function::spawn(&path, &env).await;
            function.init_duration().await;
            environments.push(Arc::new(function));
        }
        fleet_envs.push(environments);
    }

    // The schedule: each user's Poisson stream, a function by the mix, an environment
    // uniformly at random.
    let mut rng = StdRng::seed_from_u64(0x00F1_EE77_E570);
    let rate = REQUESTS_PER_MINUTE / 60.0;
    let mut schedule: Vec<(f64, usize, usize, usize)> = Vec::new();
    for user in 0..users.len() {
        let mut t = 0.0;
        loop {
            t += -(1.0 - rng.random::<f64>()).ln() / rate;
            if t >= seconds as f64 {
                break;
            }
            let pick = rng.random::<f64>();
            let mut sum = 0.0;
            let function = MIX
                .iter()
                .position(|(_, share)| {
                    sum += share;
                    pick < sum
                })
                .unwrap_or(3);
            let index = rng.random_range(0..ENVIRONMENTS);
            schedule.push((t, user, function, index));
        }
    }
    let requests = schedule.len();

    emulator::reset_calls(stack).await;
    let started = tokio::time::Instant::now();
    let tasks: Vec<_> = schedule
        .into_iter()
        .map(|(at, user, function, index)| {
            let target = fleet_envs[function][index].clone();
            let payload = event(MIX[function].0, &users[user].id_token);
            tokio::spawn(async move {
                tokio::time::sleep_until(started + Duration::from_secs_f64(at)).await;
                let response = target.invoke(&payload).await;
                response["statusCode"].as_u64().unwrap_or(0)
            })
        })
        .collect();
    let mut refused = 0;
    for task in tasks {
        let status = task.await.expect("a request task");
        if matches!(status, 401 | 403) || status >= 500 {
            refused += 1;
        }
    }
    let real = started.elapsed();
    let calls = emulator::calls(stack).await;
    for environments in fleet_envs {
        for function in environments {
            if let Ok(function) = Arc::try_unwrap(function) {
                function.stop().await;
            }
        }
    }
    let mut counted = [0u64; 5];
    for call in &calls {
        if let Some(op) = OPS.iter().find(|op| op.name() == call.operation) {
            counted[OPS.iter().position(|o| o == op).expect("listed")] += 1;
        }
    }

    let model = Model {
        users: users.len() as u64,
        requests_per_minute: REQUESTS_PER_MINUTE,
        envs: Some([ENVIRONMENTS; 4]),
        lifetime: None,
        stagger_tokens: false,
        warm_up: Duration::ZERO,
        window: Duration::from_secs(seconds),
        seed: 0x7E57_0002,
        ..Model::fleet(users.len() as u64)
    };
    let predicted = fleet::run(&model, policy, &config);

    eprintln!(
        "bench: fleet validation: {} users created in {:.1} s ({with_claim} tokens with the \
         identity_id claim), {requests} requests in {:.0} s ({refused} refused or failed), \
         user changes record {}, identity table {}",
        users.len(),
        creating.as_secs_f64(),
        real.as_secs_f64(),
        policy.keeps_user_changes,
        policy.records_identity
    );
    let mut all_within = refused == 0;
    for (i, op) in OPS.iter().enumerate() {
        let count = counted[i];
        let guess = predicted.total(*op);
        let diff = guess.abs_diff(count);
        let (within, how) = if count < 50 {
            (diff <= 5, format!("|Δ| {diff} (≤ 5 when under 50)"))
        } else {
            let share = diff as f64 / count as f64;
            (share <= 0.10, format!("{:.1} %", share * 100.0))
        };
        all_within &= within;
        table.add(
            format!(
                "fleet model vs real functions, {which} ({} users, {ENVIRONMENTS}×4 environments, {} s): {}",
                users.len(),
                seconds,
                op.name()
            ),
            format!("predicted {guess}, counted {count}: {how}"),
            "within 10 %",
            Some(within),
        );
    }
    table.add(
        format!("fleet model vs real functions, {which}: every operation within 10 %"),
        format!(
            "{} ({requests} requests, {refused} refused; tokens {} the claim; record of user \
             changes {}; section {:.0} s)",
            if all_within { "yes" } else { "no" },
            if claim { "carry" } else { "lack" },
            if policy.keeps_user_changes {
                "kept"
            } else {
                "not kept"
            },
            section.elapsed().as_secs_f64()
        ),
        "all within",
        Some(all_within),
    );
}

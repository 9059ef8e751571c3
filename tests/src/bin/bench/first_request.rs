//! A user's first request in an execution environment, before and after the
//! `identity_id` claim (issue 21): its Cognito round trips and its latency.
//!
//! - **Before** (the old policy): an environment without the user directory's tables
//!   (`IDENTITY_TABLE`, `USER_CHANGES_TABLE` unset), a token without the claim:
//!   AdminGetUser ∥ GetId, then GetCredentialsForIdentity: two Cognito round trips.
//! - **After**: the template's environment, a token with the claim (the user's second
//!   sign-in, once the functions recorded their Identity ID): GetCredentialsForIdentity
//!   ∥ the record of user changes (read once per TTL per environment): one round trip.
//!
//! Each side serves `USERS` users' first requests in one environment (its key set
//! fetched beforehand by a throwaway user), interleaved user by user; the latency ratio
//! is of the medians. The emulator answers Cognito on loopback in about a millisecond,
//! so the ratio here is the lower bound of what a saved round trip (tens of
//! milliseconds to Cognito in a Region) is worth.

use std::time::{Duration, Instant};

use homedir::aws::sequential_round_trips;
use homedir_tests::requests::Req;
use homedir_tests::stack::{Stack, User};

use super::{COGNITO_OPERATIONS, Table, ms};

const USERS: usize = 20;

pub async fn first_requests(stack: &Stack, table: &mut Table) {
    let old = stack.app(&[("IDENTITY_TABLE", ""), ("USER_CHANGES_TABLE", "")]);
    let new = stack.app(&[]);
    let setup = stack.app(&[]);
    for app in [&old, &new] {
        let warm = User::new(stack).await;
        Req::get("list", &[])
            .token(&warm.id_token)
            .send(app)
            .await
            .expect(200, None);
    }
    let mut users = Vec::new();
    for _ in 0..USERS {
        let user = User::new(stack).await;
        // Records the Identity ID: the next sign-in's token carries the claim.
        Req::get("list", &[])
            .token(&user.id_token)
            .send(&setup)
            .await
            .expect(200, None);
        let claimed = user.sign_in_again(stack).await;
        users.push((user, claimed));
    }
    let (mut before, mut after) = (Vec::new(), Vec::new());
    let (mut trips_before, mut trips_after) = (0, 0);
    let (mut calls_before, mut calls_after) = (0, 0);
    for (user, claimed) in &users {
        for (app, token, times, trips, calls) in [
            (
                &old,
                &user.id_token,
                &mut before,
                &mut trips_before,
                &mut calls_before,
            ),
            (
                &new,
                claimed,
                &mut after,
                &mut trips_after,
                &mut calls_after,
            ),
        ] {
            let spans_before = app.calls().spans().len();
            let calls_at = cognito_calls(app);
            let started = Instant::now();
            Req::get("list", &[])
                .token(token)
                .send(app)
                .await
                .expect(200, None);
            times.push(started.elapsed());
            let spans = app.calls().spans();
            let cognito: Vec<_> = spans[spans_before.min(spans.len())..]
                .iter()
                .filter(|s| COGNITO_OPERATIONS.contains(&s.operation.as_str()))
                .cloned()
                .collect();
            *trips = (*trips).max(sequential_round_trips(&cognito));
            *calls = (*calls).max(cognito_calls(app) - calls_at);
        }
    }
    table.add(
        "first request of a user: Cognito round trips (before → with the identity_id claim)",
        format!(
            "{trips_before} → {trips_after} ({calls_before} → {calls_after} Cognito calls, worst of {USERS} users)"
        ),
        "2 → 1, no more calls than before",
        Some(trips_after == 1 && trips_before == 2 && calls_after <= calls_before),
    );
    let (b, a) = (median(before), median(after));
    table.add(
        "first request of a user: latency, median (before → with the claim)",
        format!(
            "{} → {} (ratio {:.2})",
            ms(b),
            ms(a),
            a.as_secs_f64() / b.as_secs_f64()
        ),
        "reported (Cognito on loopback: a lower bound)",
        None,
    );
}

fn cognito_calls(app: &homedir::App) -> u64 {
    COGNITO_OPERATIONS.iter().map(|op| app.calls().of(op)).sum()
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

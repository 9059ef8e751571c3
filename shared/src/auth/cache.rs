//! The caches of the user check and the identity exchange: bounded, expiring,
//! single-flight, and reading time only from a [`Clock`].
//!
//! What they must do (and what the tests below pin):
//! - **single flight**: concurrent misses of one key share one load; its result,
//!   success or failure, goes to every waiter, so a burst of first requests costs one
//!   AWS call, and a burst under throttling one failure, not fifty retries;
//! - **failures are never cached**: the next request loads again;
//! - **expiry** per entry: a fixed time to live, a time to idle, or a deadline the
//!   value itself carries (credentials: shortly before they expire), whichever comes
//!   first, on the monotonic clock;
//! - **bounded**: at most `capacity` entries; a full cache makes room by dropping an
//!   expired entry, else the least recently used of a few sampled at random (an O(1)
//!   approximation of LRU, as Redis evicts);
//! - a load whose caller goes away (the request was dropped) hands the key over: a
//!   waiter loads it itself.
//!
//! It replaces moka's future cache, whose clock cannot be driven from outside the
//! crate, so that the fleet model can run the functions' own caches through simulated
//! hours; production reads [`Clock::system`] and nothing else changes.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::watch;

use crate::clock::Clock;

/// How many entries a full cache looks at to choose one to drop.
const EVICTION_SAMPLE: usize = 8;

/// A deadline a value carries (e.g. credentials: until when they may be reused).
pub(crate) type Deadline<V> = fn(&V) -> SystemTime;

type Shared<V, E> = watch::Receiver<Option<Result<V, E>>>;

enum Slot<V, E> {
    Ready {
        value: V,
        /// Monotonic expiry; `None`: none but idleness and capacity.
        expires: Option<Instant>,
        used: Instant,
    },
    Loading {
        load: u64,
        result: Shared<V, E>,
    },
}

struct State<K, V, E> {
    /// The entries, densely packed so a random one is one index away.
    slots: Vec<(K, Slot<V, E>)>,
    index: HashMap<K, usize>,
    /// xorshift state for the eviction sample.
    random: u64,
    next_load: u64,
}

pub(crate) struct Cache<K, V, E> {
    clock: Clock,
    capacity: usize,
    ttl: Option<Duration>,
    idle: Option<Duration>,
    deadline: Option<Deadline<V>>,
    state: Mutex<State<K, V, E>>,
}

/// What a lookup found.
enum Found<V, E> {
    Value(V),
    Wait(Shared<V, E>),
    Load(u64, watch::Sender<Option<Result<V, E>>>),
}

impl<K, V, E> Cache<K, V, E>
where
    K: Hash + Eq + Clone,
    V: Clone,
    E: Clone,
{
    /// A cache of at most `capacity` entries (at least one).
    pub(crate) fn new(clock: Clock, capacity: u64) -> Self {
        let capacity = usize::try_from(capacity).unwrap_or(usize::MAX).max(1);
        Cache {
            clock,
            capacity,
            ttl: None,
            idle: None,
            deadline: None,
            state: Mutex::new(State {
                slots: Vec::new(),
                index: HashMap::new(),
                random: 0x9E37_79B9_7F4A_7C15,
                next_load: 0,
            }),
        }
    }

    /// Each entry lives at most `ttl` after it was loaded.
    pub(crate) fn time_to_live(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// An entry not read for `idle` expires.
    pub(crate) fn time_to_idle(mut self, idle: Duration) -> Self {
        self.idle = Some(idle);
        self
    }

    /// Each entry expires at the deadline its value names.
    pub(crate) fn until(mut self, deadline: Deadline<V>) -> Self {
        self.deadline = Some(deadline);
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State<K, V, E>> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The value for `key`, from the cache or from `load`; concurrent callers for one
    /// key share one load and its result. A failed load is not kept.
    pub(crate) async fn try_get_with<F>(&self, key: &K, load: F) -> Result<V, E>
    where
        F: Future<Output = Result<V, E>>,
    {
        let mut load = Some(load);
        loop {
            let found = self.find(key);
            match found {
                Found::Value(value) => return Ok(value),
                Found::Wait(mut result) => {
                    // Err: the loader went away without an answer; look again (one of
                    // the waiters becomes the loader).
                    if let Ok(answer) = result.wait_for(Option::is_some).await
                        && let Some(answer) = answer.as_ref()
                    {
                        return answer.clone();
                    }
                }
                Found::Load(id, sender) => {
                    let mut guard = LoadGuard {
                        cache: self,
                        key,
                        id,
                        done: false,
                    };
                    let load = load.take().expect("a caller loads at most once");
                    let result = load.await;
                    self.finish(key, id, &result);
                    guard.done = true;
                    // Nobody may be waiting; that is fine.
                    let _ = sender.send(Some(result.clone()));
                    return result;
                }
            }
        }
    }

    /// The cached value of `key`, if there is a live one (no load).
    pub(crate) fn get(&self, key: &K) -> Option<V> {
        let now = self.clock.instant();
        let mut state = self.lock();
        let &at = state.index.get(key)?;
        let live = match &state.slots[at].1 {
            Slot::Ready { expires, used, .. } => !self.expired(*expires, *used, now),
            Slot::Loading { .. } => false,
        };
        match &mut state.slots[at].1 {
            Slot::Ready { value, used, .. } if live => {
                *used = now;
                Some(value.clone())
            }
            _ => None,
        }
    }

    /// Forgets `key`. A load in flight still answers its waiters, but its result is
    /// not kept.
    pub(crate) fn invalidate(&self, key: &K) {
        let mut state = self.lock();
        remove(&mut state, key);
    }

    /// How many entries are held (live, expired but not yet dropped, or loading).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().slots.len()
    }

    fn expired(&self, expires: Option<Instant>, used: Instant, now: Instant) -> bool {
        expires.is_some_and(|at| now >= at) || self.idle.is_some_and(|idle| now >= used + idle)
    }

    fn find(&self, key: &K) -> Found<V, E> {
        let now = self.clock.instant();
        let mut state = self.lock();
        if let Some(&at) = state.index.get(key) {
            let expired = match &state.slots[at].1 {
                Slot::Ready { expires, used, .. } => self.expired(*expires, *used, now),
                Slot::Loading { .. } => false,
            };
            if !expired {
                match &mut state.slots[at].1 {
                    Slot::Ready { value, used, .. } => {
                        *used = now;
                        return Found::Value(value.clone());
                    }
                    Slot::Loading { result, .. } => return Found::Wait(result.clone()),
                }
            }
            remove(&mut state, key);
        }
        if state.slots.len() >= self.capacity {
            self.make_room(&mut state, now);
        }
        state.next_load += 1;
        let id = state.next_load;
        let (sender, result) = watch::channel(None);
        let at = state.slots.len();
        state
            .slots
            .push((key.clone(), Slot::Loading { load: id, result }));
        state.index.insert(key.clone(), at);
        Found::Load(id, sender)
    }

    /// Drops one entry of a full cache: an expired one if the sample finds one, else
    /// the least recently used of the sample. Loads in flight are never dropped.
    fn make_room(&self, state: &mut State<K, V, E>, now: Instant) {
        let len = state.slots.len();
        let mut victim: Option<(usize, Instant)> = None;
        for _ in 0..EVICTION_SAMPLE.min(len) {
            let at = (next_random(&mut state.random) % len as u64) as usize;
            if let Slot::Ready { expires, used, .. } = &state.slots[at].1 {
                if self.expired(*expires, *used, now) {
                    victim = Some((at, *used));
                    break;
                }
                if victim.is_none_or(|(_, oldest)| *used < oldest) {
                    victim = Some((at, *used));
                }
            }
        }
        if let Some((at, _)) = victim {
            let key = state.slots[at].0.clone();
            remove(state, &key);
        }
    }

    /// Keeps a load's value (if it succeeded and the key was not invalidated or taken
    /// over meanwhile), or drops the loading slot.
    fn finish(&self, key: &K, id: u64, result: &Result<V, E>) {
        let now = self.clock.instant();
        let wall = self.clock.now();
        let mut state = self.lock();
        let Some(&at) = state.index.get(key) else {
            return;
        };
        if !matches!(&state.slots[at].1, Slot::Loading { load, .. } if *load == id) {
            return;
        }
        match result {
            Ok(value) => {
                let from_value = self
                    .deadline
                    .map(|deadline| now + deadline(value).duration_since(wall).unwrap_or_default());
                let from_ttl = self.ttl.map(|ttl| now + ttl);
                let expires = match (from_value, from_ttl) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                state.slots[at].1 = Slot::Ready {
                    value: value.clone(),
                    expires,
                    used: now,
                };
            }
            Err(_) => remove(&mut state, key),
        }
    }

    /// Called when a load's future was dropped before it finished.
    fn abandon(&self, key: &K, id: u64) {
        let mut state = self.lock();
        if let Some(&at) = state.index.get(key)
            && matches!(&state.slots[at].1, Slot::Loading { load, .. } if *load == id)
        {
            remove(&mut state, key);
        }
    }
}

fn remove<K: Hash + Eq + Clone, V, E>(state: &mut State<K, V, E>, key: &K) {
    let Some(at) = state.index.remove(key) else {
        return;
    };
    state.slots.swap_remove(at);
    if at < state.slots.len() {
        let moved = state.slots[at].0.clone();
        state.index.insert(moved, at);
    }
}

fn next_random(state: &mut u64) -> u64 {
    let mut x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    x
}

/// Drops the loading slot if the loader's future is dropped mid-way.
struct LoadGuard<'c, K, V, E>
where
    K: Hash + Eq + Clone,
    V: Clone,
    E: Clone,
{
    cache: &'c Cache<K, V, E>,
    key: &'c K,
    id: u64,
    done: bool,
}

impl<K, V, E> Drop for LoadGuard<'_, K, V, E>
where
    K: Hash + Eq + Clone,
    V: Clone,
    E: Clone,
{
    fn drop(&mut self) {
        if !self.done {
            self.cache.abandon(self.key, self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::UNIX_EPOCH;

    fn clock() -> Clock {
        Clock::manual(UNIX_EPOCH + Duration::from_secs(1_800_000_000))
    }

    type TestCache = Cache<String, u32, String>;

    async fn counted(loads: &AtomicU32, value: u32) -> Result<u32, String> {
        loads.fetch_add(1, Ordering::SeqCst);
        Ok(value)
    }

    #[tokio::test]
    async fn a_value_is_loaded_once_and_kept_for_its_time_to_live() {
        let clock = clock();
        let cache = TestCache::new(clock.clone(), 10).time_to_live(Duration::from_secs(60));
        let loads = AtomicU32::new(0);
        let key = "alice".to_owned();
        for _ in 0..3 {
            assert_eq!(cache.try_get_with(&key, counted(&loads, 7)).await, Ok(7));
        }
        assert_eq!(loads.load(Ordering::SeqCst), 1);
        clock.advance(Duration::from_secs(59));
        assert_eq!(cache.get(&key), Some(7));
        clock.advance(Duration::from_secs(1));
        assert_eq!(cache.get(&key), None, "expired at exactly its TTL");
        assert_eq!(cache.try_get_with(&key, counted(&loads, 8)).await, Ok(8));
        assert_eq!(loads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn an_idle_entry_expires_and_a_read_one_stays() {
        let clock = clock();
        let cache = TestCache::new(clock.clone(), 10).time_to_idle(Duration::from_secs(100));
        let loads = AtomicU32::new(0);
        let (read, idle) = ("read".to_owned(), "idle".to_owned());
        cache.try_get_with(&read, counted(&loads, 1)).await.unwrap();
        cache.try_get_with(&idle, counted(&loads, 2)).await.unwrap();
        for _ in 0..5 {
            clock.advance(Duration::from_secs(60));
            assert_eq!(cache.get(&read), Some(1), "read every minute: kept");
        }
        assert_eq!(cache.get(&idle), None, "not read for 300 s: gone");
    }

    #[tokio::test]
    async fn a_value_expires_at_its_own_deadline_or_the_ttl_whichever_is_first() {
        let clock = clock();
        let start = clock.now();
        // The value is a number of seconds from the start: its own deadline.
        let cache: Cache<String, u32, String> = Cache::new(clock.clone(), 10)
            .until(|seconds| UNIX_EPOCH + Duration::from_secs(1_800_000_000 + u64::from(*seconds)))
            .time_to_live(Duration::from_secs(500));
        assert_eq!(clock.now(), start);
        let (short, long) = ("short".to_owned(), "long".to_owned());
        cache.try_get_with(&short, async { Ok(30) }).await.unwrap();
        cache
            .try_get_with(&long, async { Ok(10_000) })
            .await
            .unwrap();
        clock.advance(Duration::from_secs(29));
        assert_eq!(cache.get(&short), Some(30));
        clock.advance(Duration::from_secs(1));
        assert_eq!(cache.get(&short), None, "its deadline");
        clock.advance(Duration::from_secs(470));
        assert_eq!(cache.get(&long), None, "the TTL came first");
        // A deadline already past: not reusable at all.
        let past = "past".to_owned();
        cache.try_get_with(&past, async { Ok(0) }).await.unwrap();
        assert_eq!(cache.get(&past), None);
    }

    #[tokio::test]
    async fn concurrent_misses_share_one_load_and_its_failure() {
        let cache = Arc::new(TestCache::new(clock(), 10));
        let loads = Arc::new(AtomicU32::new(0));
        let (release, released) = tokio::sync::watch::channel(false);
        let key = "bob".to_owned();
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let (cache, loads, key) = (cache.clone(), loads.clone(), key.clone());
                let mut released = released.clone();
                tokio::spawn(async move {
                    cache
                        .try_get_with(&key, async {
                            loads.fetch_add(1, Ordering::SeqCst);
                            let _ = released.wait_for(|r| *r).await;
                            Err::<u32, _>("throttled".to_owned())
                        })
                        .await
                })
            })
            .collect();
        tokio::task::yield_now().await;
        release.send(true).unwrap();
        for task in tasks {
            assert_eq!(task.await.unwrap(), Err("throttled".to_owned()));
        }
        assert_eq!(
            loads.load(Ordering::SeqCst),
            1,
            "one load for fifty callers"
        );
        assert_eq!(cache.len(), 0, "the failure was not kept");
        assert_eq!(
            cache.try_get_with(&key, async { Ok(5) }).await,
            Ok(5),
            "the next caller loads again"
        );
    }

    #[tokio::test]
    async fn a_dropped_loader_hands_the_key_to_a_waiter() {
        let cache = Arc::new(TestCache::new(clock(), 10));
        let key = "carol".to_owned();
        let (cache2, key2) = (cache.clone(), key.clone());
        let stuck = tokio::spawn(async move {
            cache2
                .try_get_with(&key2, std::future::pending::<Result<u32, String>>())
                .await
        });
        tokio::task::yield_now().await;
        let (cache3, key3) = (cache.clone(), key.clone());
        let waiter = tokio::spawn(async move { cache3.try_get_with(&key3, async { Ok(9) }).await });
        tokio::task::yield_now().await;
        stuck.abort();
        assert_eq!(waiter.await.unwrap(), Ok(9), "the waiter loaded it itself");
        assert_eq!(cache.get(&key), Some(9));
    }

    #[tokio::test]
    async fn invalidated_entries_are_loaded_again() {
        let cache = TestCache::new(clock(), 10);
        let loads = AtomicU32::new(0);
        let key = "dave".to_owned();
        cache.try_get_with(&key, counted(&loads, 1)).await.unwrap();
        cache.invalidate(&key);
        assert_eq!(cache.get(&key), None);
        assert_eq!(cache.try_get_with(&key, counted(&loads, 2)).await, Ok(2));
        assert_eq!(loads.load(Ordering::SeqCst), 2);
        cache.invalidate(&"nobody".to_owned());
    }

    #[tokio::test]
    async fn a_full_cache_stays_at_its_capacity_and_drops_old_entries_first() {
        let clock = clock();
        let cache = TestCache::new(clock.clone(), 100);
        for i in 0..100u32 {
            cache
                .try_get_with(&format!("u{i}"), async move { Ok(i) })
                .await
                .unwrap();
            clock.advance(Duration::from_secs(1));
        }
        // The newest half is read again: recently used.
        for i in 50..100u32 {
            assert_eq!(cache.get(&format!("u{i}")), Some(i));
        }
        for i in 100..150u32 {
            cache
                .try_get_with(&format!("u{i}"), async move { Ok(i) })
                .await
                .unwrap();
            assert!(cache.len() <= 100);
        }
        assert_eq!(cache.len(), 100);
        let kept_recent = (50..100u32)
            .filter(|i| cache.get(&format!("u{i}")).is_some())
            .count();
        let kept_old = (0..50u32)
            .filter(|i| cache.get(&format!("u{i}")).is_some())
            .count();
        assert!(
            kept_recent > kept_old,
            "sampled LRU keeps mostly the recently used: {kept_recent} recent vs {kept_old} old"
        );
    }

    #[tokio::test]
    async fn an_expired_entry_is_dropped_before_a_live_one() {
        let clock = clock();
        let cache = TestCache::new(clock.clone(), 2).time_to_live(Duration::from_secs(10));
        cache
            .try_get_with(&"old".to_owned(), async { Ok(1) })
            .await
            .unwrap();
        clock.advance(Duration::from_secs(20));
        cache
            .try_get_with(&"live".to_owned(), async { Ok(2) })
            .await
            .unwrap();
        cache
            .try_get_with(&"new".to_owned(), async { Ok(3) })
            .await
            .unwrap();
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.get(&"live".to_owned()), Some(2));
        assert_eq!(cache.get(&"new".to_owned()), Some(3));
    }
}

//! Used nonces per token, kept only as long as their timestamp could still be accepted, so
//! memory is bounded by the window and the request rate, never by total traffic. Each entry is
//! a 64-bit hash of (token, nonce) plus its expiry, about 35 bytes, so a server taking 5,000
//! requests a second with a 300 s window holds about 50 MB of nonces; past the capacity the
//! oldest entries are forgotten early rather than valid requests refused.

use std::collections::hash_map::RandomState;
use std::collections::{HashSet, VecDeque};
use std::hash::BuildHasher;

/// What the store says of a nonce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NonceVerdict {
    /// Not seen inside the window; now recorded.
    Fresh,
    /// Seen before with this token (`nonce_used`).
    Replayed,
    /// Not seen, recorded, but the store was at capacity: its oldest entry was forgotten
    /// early to make room (memory stays bounded; that one nonce could be replayed before its
    /// window ends).
    FreshEvicted,
}

#[derive(Debug)]
pub struct NonceStore {
    window_secs: u64,
    capacity: usize,
    /// Keyed per process, so nobody can aim collisions at it; a collision (about one in
    /// 10^12 at full capacity) would only refuse one request as a replay.
    hasher: RandomState,
    seen: HashSet<u64>,
    /// (expiry, hash) in insertion order. Timestamps arrive roughly in order, so pruning from
    /// the front until an unexpired entry keeps memory bounded; an entry is never dropped
    /// before its own expiry.
    by_expiry: VecDeque<(u64, u64)>,
}

impl NonceStore {
    /// `window_secs`: how far a timestamp may be from the clock; `capacity`: a hard bound on
    /// remembered nonces.
    pub fn new(window_secs: u64, capacity: usize) -> NonceStore {
        NonceStore {
            window_secs,
            capacity,
            hasher: RandomState::new(),
            seen: HashSet::new(),
            by_expiry: VecDeque::new(),
        }
    }

    /// Records `nonce` for `token` unless it was used; `timestamp` is the request's
    /// (already checked to be within the window of `now`), both in Unix seconds.
    pub fn check_and_insert(
        &mut self,
        token: &str,
        nonce: &str,
        timestamp: u64,
        now: u64,
    ) -> NonceVerdict {
        self.prune(now);
        let key = self.hasher.hash_one((token, nonce));
        if self.seen.contains(&key) {
            return NonceVerdict::Replayed;
        }
        let mut verdict = NonceVerdict::Fresh;
        if self.seen.len() >= self.capacity
            && let Some((_, oldest)) = self.by_expiry.pop_front()
        {
            self.seen.remove(&oldest);
            verdict = NonceVerdict::FreshEvicted;
        }
        // After this moment the timestamp is outside the window, so the nonce cannot return.
        self.by_expiry.push_back((timestamp.saturating_add(self.window_secs), key));
        self.seen.insert(key);
        verdict
    }

    fn prune(&mut self, now: u64) {
        while let Some(&(expiry, key)) = self.by_expiry.front() {
            if expiry >= now {
                break;
            }
            self.by_expiry.pop_front();
            self.seen.remove(&key);
        }
    }

    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    pub fn clear(&mut self) {
        self.seen.clear();
        self.by_expiry.clear();
    }
}

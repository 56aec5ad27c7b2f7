//! Used nonces per token, kept only as long as their timestamp could still be accepted, so
//! memory is bounded by the window and the request rate, never by total traffic.

use std::collections::{BTreeSet, HashSet};

/// What the store says of a nonce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NonceVerdict {
    /// Not seen inside the window; now recorded.
    Fresh,
    /// Seen before with this token (`nonce_used`).
    Replayed,
    /// The store is at capacity even after dropping expired entries; refuse rather than grow.
    Full,
}

#[derive(Debug)]
pub struct NonceStore {
    window_secs: u64,
    capacity: usize,
    seen: HashSet<(String, String)>,
    /// (expiry, token, nonce), oldest expiry first.
    by_expiry: BTreeSet<(u64, String, String)>,
}

impl NonceStore {
    /// `window_secs`: how far a timestamp may be from the clock; `capacity`: a hard bound on
    /// remembered nonces.
    pub fn new(window_secs: u64, capacity: usize) -> NonceStore {
        NonceStore { window_secs, capacity, seen: HashSet::new(), by_expiry: BTreeSet::new() }
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
        let key = (token.to_string(), nonce.to_string());
        if self.seen.contains(&key) {
            return NonceVerdict::Replayed;
        }
        if self.seen.len() >= self.capacity {
            return NonceVerdict::Full;
        }
        // After this moment the timestamp is outside the window, so the nonce cannot return.
        let expiry = timestamp.saturating_add(self.window_secs);
        self.by_expiry.insert((expiry, key.0.clone(), key.1.clone()));
        self.seen.insert(key);
        NonceVerdict::Fresh
    }

    fn prune(&mut self, now: u64) {
        while let Some(first) = self.by_expiry.first() {
            if first.0 >= now {
                break;
            }
            let (_, token, nonce) = self.by_expiry.pop_first().expect("first exists");
            self.seen.remove(&(token, nonce));
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

//! Concurrency governance (contract 4.2; facts 5.1): a limit on requests in flight per account
//! and optionally per integration. A request over the limit is refused at once; an admitted
//! one holds a [`Permit`] until its response is complete.
//!
//! The limiter is a plain struct of atomics, with no tokio types, so it can be tested alone.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use serde::Serialize;

#[derive(Debug)]
pub(crate) struct Limiter {
    limit: u32,
    in_flight: AtomicU32,
    peak: AtomicU32,
    admitted: AtomicU64,
    rejected: AtomicU64,
}

/// Holds one slot of a limiter; the slot is freed when this is dropped.
#[derive(Debug)]
pub(crate) struct Permit {
    limiter: Arc<Limiter>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.limiter.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A limiter's numbers, for the admin API and metrics.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LimiterState {
    pub limit: u32,
    pub in_flight: u32,
    pub peak: u32,
    pub admitted: u64,
    pub rejected: u64,
}

impl Limiter {
    pub(crate) fn new(limit: u32) -> Arc<Limiter> {
        Arc::new(Limiter {
            limit,
            in_flight: AtomicU32::new(0),
            peak: AtomicU32::new(0),
            admitted: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
        })
    }

    /// Takes a slot if one is free; never waits.
    pub(crate) fn try_acquire(self: &Arc<Self>) -> Option<Permit> {
        let mut current = self.in_flight.load(Ordering::Acquire);
        loop {
            if current >= self.limit {
                self.rejected.fetch_add(1, Ordering::Relaxed);
                return None;
            }
            match self.in_flight.compare_exchange_weak(
                current,
                current + 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    self.admitted.fetch_add(1, Ordering::Relaxed);
                    self.peak.fetch_max(current + 1, Ordering::Relaxed);
                    return Some(Permit { limiter: Arc::clone(self) });
                }
                Err(actual) => current = actual,
            }
        }
    }

    /// Forgets the counters (not the requests in flight).
    pub(crate) fn reset_counters(&self) {
        self.peak.store(self.in_flight.load(Ordering::Acquire), Ordering::Relaxed);
        self.admitted.store(0, Ordering::Relaxed);
        self.rejected.store(0, Ordering::Relaxed);
    }

    pub(crate) fn state(&self) -> LimiterState {
        LimiterState {
            limit: self.limit,
            in_flight: self.in_flight.load(Ordering::Acquire),
            peak: self.peak.load(Ordering::Relaxed),
            admitted: self.admitted.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admits_up_to_the_limit_and_frees_on_drop() {
        let limiter = Limiter::new(2);
        let a = limiter.try_acquire().unwrap();
        let _b = limiter.try_acquire().unwrap();
        assert!(limiter.try_acquire().is_none());
        drop(a);
        let _c = limiter.try_acquire().unwrap();
        let state = limiter.state();
        assert_eq!((state.in_flight, state.peak, state.admitted, state.rejected), (2, 2, 3, 1));
    }

    #[test]
    fn never_exceeds_the_limit_under_contention() {
        let limiter = Limiter::new(5);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..2000 {
                        if let Some(p) = limiter.try_acquire() {
                            assert!(limiter.state().in_flight <= 5);
                            drop(p);
                        }
                    }
                });
            }
        });
        let state = limiter.state();
        assert!(state.peak <= 5);
        assert_eq!(state.in_flight, 0);
        assert_eq!(state.admitted + state.rejected, 16_000);
    }
}

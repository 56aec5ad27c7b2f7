//! The emulator clock: system time plus an offset, or frozen, so tests can move time for
//! timestamp windows, lockouts and jobs (contract 7).

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

#[derive(Debug, Default)]
pub(crate) struct Clock {
    offset_ms: AtomicI64,
    frozen: AtomicBool,
    frozen_at_ms: AtomicI64,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ClockState {
    pub now_ms: i64,
    pub offset_ms: i64,
    pub frozen: bool,
}

impl Clock {
    /// Unix milliseconds as the emulator sees them.
    pub(crate) fn now_ms(&self) -> i64 {
        if self.frozen.load(Ordering::Acquire) {
            return self.frozen_at_ms.load(Ordering::Acquire);
        }
        let system =
            SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0);
        system + self.offset_ms.load(Ordering::Acquire)
    }

    pub(crate) fn set_offset(&self, offset_ms: i64) {
        self.frozen.store(false, Ordering::Release);
        self.offset_ms.store(offset_ms, Ordering::Release);
    }

    pub(crate) fn freeze(&self, at_ms: i64) {
        self.frozen_at_ms.store(at_ms, Ordering::Release);
        self.frozen.store(true, Ordering::Release);
    }

    pub(crate) fn reset(&self) {
        self.set_offset(0);
    }

    pub(crate) fn state(&self) -> ClockState {
        ClockState {
            now_ms: self.now_ms(),
            offset_ms: self.offset_ms.load(Ordering::Acquire),
            frozen: self.frozen.load(Ordering::Acquire),
        }
    }
}

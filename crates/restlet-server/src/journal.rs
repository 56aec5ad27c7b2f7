//! The bounded request journal: the most recent RESTlet calls with what came in and went out,
//! for debugging and for recording scenarios (contract 7).

use std::collections::VecDeque;
use std::sync::Mutex;

use serde::Serialize;

/// Bodies longer than this are cut in the journal (the call itself is not affected).
const BODY_KEEP: usize = 64 * 1024;

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JournalEntry {
    pub seq: u64,
    /// Unix milliseconds on the emulator clock.
    pub time: i64,
    pub account: Option<String>,
    pub method: String,
    /// Path and query as received.
    pub uri: String,
    pub content_type: Option<String>,
    pub token: Option<String>,
    pub request_body: String,
    pub status: u16,
    pub code: Option<String>,
    pub response_body: String,
    pub duration_ms: f64,
}

pub(crate) struct Journal {
    inner: Mutex<(u64, VecDeque<JournalEntry>)>,
    capacity: usize,
}

impl Journal {
    pub(crate) fn new(capacity: usize) -> Journal {
        Journal { inner: Mutex::new((0, VecDeque::new())), capacity }
    }

    pub(crate) fn cut(body: &[u8]) -> String {
        let keep = &body[..body.len().min(BODY_KEEP)];
        String::from_utf8_lossy(keep).into_owned()
    }

    pub(crate) fn push(&self, mut entry: JournalEntry) {
        if self.capacity == 0 {
            return;
        }
        let mut inner = self.inner.lock().expect("journal lock");
        inner.0 += 1;
        entry.seq = inner.0;
        inner.1.push_back(entry);
        while inner.1.len() > self.capacity {
            inner.1.pop_front();
        }
    }

    /// Entries after `after_seq`, oldest first, at most `limit`.
    pub(crate) fn list(&self, after_seq: u64, limit: usize) -> Vec<JournalEntry> {
        let inner = self.inner.lock().expect("journal lock");
        inner.1.iter().filter(|e| e.seq > after_seq).take(limit).cloned().collect()
    }

    pub(crate) fn len(&self) -> usize {
        self.inner.lock().expect("journal lock").1.len()
    }

    pub(crate) fn clear(&self) {
        self.inner.lock().expect("journal lock").1.clear();
    }
}

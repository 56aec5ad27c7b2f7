//! Durable inventory state on SQLite (bundled, through rusqlite).
//!
//! The live state of every account is held in memory as an [`Inventory`] and mirrored in
//! SQLite. A [`Work`] unit applies transactions in memory and writes what they changed inside
//! one SQLite db transaction; `commit` makes both visible, and anything else (an error, a
//! drop) rolls both back. This is the only crate that speaks SQL.

mod rows;
mod schema;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fixture::Fixture;
use inventory_domain::{Applied, DocId, Document, Inventory, SetupError, Tx, TxError};
use rusqlite::{Connection, OptionalExtension, params};

pub use rows::{JobRow, TxLineRow, TxQuery, TxRow};

/// Where the database lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DbTarget {
    /// Throw-away state (`--db :memory:`).
    Memory,
    File(PathBuf),
}

impl DbTarget {
    /// `:memory:` or a file path.
    pub fn parse(text: &str) -> DbTarget {
        if text == ":memory:" { DbTarget::Memory } else { DbTarget::File(PathBuf::from(text)) }
    }
}

/// How hard SQLite syncs at commit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// `synchronous=FULL`: a committed write survives power loss. The default.
    Full,
    /// `synchronous=NORMAL` in WAL mode: survives a process crash (kill -9), not power loss.
    Normal,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("unknown account {0}")]
    UnknownAccount(String),
    #[error(
        "the database does not match the fixture (account {account}: {problem}); start with another --db or delete the file"
    )]
    FixtureMismatch { account: String, problem: SetupError },
    #[error("corrupt value in the database: {0}")]
    Corrupt(String),
}

/// Why a transaction in a [`Work`] unit was not applied.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// A business rule refused it; nothing changed.
    #[error(transparent)]
    Refused(#[from] TxError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for ApplyError {
    fn from(err: rusqlite::Error) -> ApplyError {
        ApplyError::Store(StoreError::Sql(err))
    }
}

/// Who made a transaction and under which external id, for the audit trail.
#[derive(Clone, Copy, Debug)]
pub struct TxMeta<'a> {
    pub external_id: Option<&'a str>,
    /// The token name (never its secret).
    pub actor: &'a str,
    /// Unix milliseconds.
    pub now: i64,
}

/// How an idempotent apply ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Applied now; the response was rendered and remembered under the external id.
    Applied { response: String },
    /// The external id was seen with the same body: the original response, nothing applied.
    Replayed { response: String },
}

/// A response remembered for an external id (contract 5, idempotency).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remembered {
    pub body_hash: String,
    pub response: String,
}

pub struct Store {
    conn: Connection,
    fixture: Fixture,
    accounts: BTreeMap<String, Inventory>,
}

impl Store {
    /// Opens (creating and migrating if needed) the database and loads every account of the
    /// fixture, seeding those the database has not seen yet.
    pub fn open(
        target: &DbTarget,
        fixture: Fixture,
        durability: Durability,
    ) -> Result<Store, StoreError> {
        let mut conn = match target {
            DbTarget::Memory => Connection::open_in_memory()?,
            DbTarget::File(path) => Connection::open(path)?,
        };
        conn.pragma_update(None, "journal_mode", "WAL")?;
        let sync = match durability {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        };
        conn.pragma_update(None, "synchronous", sync)?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.set_prepared_statement_cache_capacity(64);
        schema::migrate(&mut conn)?;
        let mut store = Store { conn, fixture, accounts: BTreeMap::new() };
        let ids: Vec<String> = store.fixture.accounts.iter().map(|a| a.value.id.clone()).collect();
        for id in ids {
            store.load_account(&id)?;
        }
        Ok(store)
    }

    /// The path of a file database, if any.
    pub fn path(&self) -> Option<&Path> {
        self.conn.path().filter(|p| !p.is_empty()).map(Path::new)
    }

    pub fn fixture(&self) -> &Fixture {
        &self.fixture
    }

    pub fn inventory(&self, account: &str) -> Option<&Inventory> {
        self.accounts.get(account)
    }

    pub fn account_ids(&self) -> impl Iterator<Item = &str> {
        self.accounts.keys().map(String::as_str)
    }

    fn load_account(&mut self, account: &str) -> Result<(), StoreError> {
        let def = self
            .fixture
            .account(account)
            .ok_or_else(|| StoreError::UnknownAccount(account.into()))?;
        let mut inventory = def.inventory();
        // Memory holds open state only; closed documents live on disk.
        inventory.set_evict_closed(true);
        let next_id: Option<u64> = self
            .conn
            .query_row("SELECT next_id FROM accounts WHERE account = ?1", [account], |row| {
                row.get(0)
            })
            .optional()?;
        match next_id {
            None => {
                let db_tx = self.conn.transaction()?;
                db_tx.execute(
                    "INSERT INTO accounts (account, next_id) VALUES (?1, ?2)",
                    params![account, inventory.next_id()],
                )?;
                let keys: Vec<_> = inventory.levels().map(|(key, _)| key).collect();
                for key in keys {
                    rows::write_level(&db_tx, account, &inventory, key)?;
                }
                db_tx.commit()?;
            }
            Some(next_id) => {
                rows::load_state(&self.conn, account, &mut inventory).map_err(|err| match err {
                    rows::LoadError::Store(err) => err,
                    rows::LoadError::Setup(problem) => {
                        StoreError::FixtureMismatch { account: account.into(), problem }
                    }
                })?;
                inventory.set_next_id(next_id);
            }
        }
        self.accounts.insert(account.to_string(), inventory);
        Ok(())
    }

    /// Restores one account (or all) to the fixture exactly: stock, documents, the audit trail,
    /// external ids and jobs.
    pub fn reset(&mut self, account: Option<&str>) -> Result<(), StoreError> {
        let ids: Vec<String> = match account {
            Some(id) => {
                if !self.accounts.contains_key(id) {
                    return Err(StoreError::UnknownAccount(id.into()));
                }
                vec![id.to_string()]
            }
            None => self.accounts.keys().cloned().collect(),
        };
        for id in ids {
            rows::delete_account(&mut self.conn, &id)?;
            self.accounts.remove(&id);
            self.load_account(&id)?;
        }
        Ok(())
    }

    /// Starts a unit of work on one account.
    pub fn begin(&mut self, account: &str) -> Result<Work<'_>, StoreError> {
        if !self.accounts.contains_key(account) {
            return Err(StoreError::UnknownAccount(account.into()));
        }
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(Work {
            store: self,
            account: account.to_string(),
            applied: Vec::new(),
            savepoints: Vec::new(),
            open: true,
        })
    }

    /// The audit trail, oldest first.
    pub fn transactions(&self, account: &str, query: &TxQuery) -> Result<Vec<TxRow>, StoreError> {
        rows::transactions(&self.conn, account, query)
    }

    /// Every external id starting with `prefix`, with its record type and how many records
    /// carry it (more than one would mean a duplicate slipped through).
    pub fn external_ids(
        &self,
        account: &str,
        prefix: &str,
    ) -> Result<Vec<(String, String, u64)>, StoreError> {
        rows::external_ids(&self.conn, account, prefix)
    }

    /// A document by id, open (from memory) or closed (from disk).
    pub fn document(&self, account: &str, id: DocId) -> Result<Option<Document>, StoreError> {
        if let Some(document) = self.accounts.get(account).and_then(|inv| inv.document(id)) {
            return Ok(Some(document.clone()));
        }
        rows::document(&self.conn, account, id.0)
    }

    pub fn job(&self, account: &str, id: &str) -> Result<Option<JobRow>, StoreError> {
        rows::job(&self.conn, account, id)
    }

    /// Jobs that were queued or running when the process stopped.
    pub fn unfinished_jobs(&self) -> Result<Vec<JobRow>, StoreError> {
        rows::unfinished_jobs(&self.conn)
    }

    pub fn put_job(&mut self, job: &JobRow) -> Result<(), StoreError> {
        rows::put_job(&self.conn, job)
    }
}

/// A unit of work on one account: one SQLite db transaction plus the in-memory changes made
/// under it. Dropped without [`Work::commit`], it rolls both back.
pub struct Work<'a> {
    store: &'a mut Store,
    account: String,
    /// Applied transactions, oldest first, for undoing the in-memory state.
    applied: Vec<Applied>,
    /// For each open savepoint, how many transactions were applied when it was taken.
    savepoints: Vec<usize>,
    open: bool,
}

impl Work<'_> {
    pub fn inventory(&self) -> &Inventory {
        &self.store.accounts[&self.account]
    }

    pub fn account(&self) -> &str {
        &self.account
    }

    /// What was remembered for an external id of a record type.
    pub fn remembered(
        &self,
        record_type: &str,
        external_id: &str,
    ) -> Result<Option<Remembered>, StoreError> {
        Ok(self
            .store
            .conn
            .prepare_cached(
                "SELECT body_hash, response FROM external_ids WHERE account = ?1 AND record_type = ?2 AND external_id = ?3",
            )?
            .query_row(params![self.account, record_type, external_id], |row| {
                Ok(Remembered { body_hash: row.get(0)?, response: row.get(1)? })
            })
            .optional()?)
    }

    /// Remembers the response for an external id, so a repeat is answered from it.
    pub fn remember(
        &mut self,
        record_type: &str,
        external_id: &str,
        remembered: &Remembered,
    ) -> Result<(), StoreError> {
        self.store.conn.prepare_cached(
            "INSERT OR REPLACE INTO external_ids (account, record_type, external_id, body_hash, response) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![self.account, record_type, external_id, remembered.body_hash, remembered.response])?;
        Ok(())
    }

    /// Applies one transaction and writes what it changed. On `Err` nothing of it remains.
    pub fn apply(&mut self, tx: Tx, meta: TxMeta<'_>) -> Result<&Applied, ApplyError> {
        let conn = &self.store.conn;
        let inventory =
            self.store.accounts.get_mut(&self.account).expect("account checked at begin");
        exec(conn, "SAVEPOINT apply")?;
        let on_closed = closed_error(&tx);
        let account = self.account.as_str();
        let written = inventory
            .apply(tx, meta.now)
            .map_err(|err| match (err, on_closed) {
                // The domain forgot a closed document; the database still has it.
                (TxError::UnknownRecord { id, .. }, Some((doc, expected, precise)))
                    if doc.0 == id
                        && rows::document_type(conn, account, id).ok().flatten().as_deref()
                            == Some(expected) =>
                {
                    ApplyError::Refused(precise)
                }
                (err, _) => ApplyError::Refused(err),
            })
            .and_then(|applied| {
                match rows::write_applied(conn, &self.account, inventory, &applied, meta) {
                    Ok(()) => Ok(applied),
                    Err(err) => {
                        inventory.undo(applied);
                        Err(ApplyError::Store(err.into()))
                    }
                }
            });
        match written {
            Ok(applied) => {
                exec(conn, "RELEASE apply")?;
                self.applied.push(applied);
                Ok(self.applied.last().expect("just pushed"))
            }
            Err(err) => {
                // The transaction wrote nothing, or only rows the rollback removes.
                let _ = exec(conn, "ROLLBACK TO apply").and_then(|()| exec(conn, "RELEASE apply"));
                Err(err)
            }
        }
    }

    /// Applies `txs` (one request's transactions, usually one) once per external id
    /// (contract 5, idempotency): a repeat with the same `body_hash` returns the remembered
    /// response and changes nothing; a repeat with another body is refused with `DUP_RCRD`.
    /// External ids are scoped by the record type of the first transaction (facts 7.1). A
    /// refused request is not remembered, so a corrected retry under the same external id is a
    /// fresh attempt, as on NetSuite where no record was created.
    pub fn apply_once(
        &mut self,
        txs: Vec<Tx>,
        meta: TxMeta<'_>,
        body_hash: &str,
        render: impl FnOnce(&Inventory, &[Applied]) -> String,
    ) -> Result<Outcome, ApplyError> {
        let record_type = txs.first().map_or("", Tx::record_type);
        if let Some(external_id) = meta.external_id
            && let Some(seen) = self.remembered(record_type, external_id)?
        {
            return if seen.body_hash == body_hash {
                Ok(Outcome::Replayed { response: seen.response })
            } else {
                Err(TxError::DuplicateRecord { record_type, external_id: external_id.to_string() }
                    .into())
            };
        }
        // Inside an attempt, so that a refusal of a later transaction undoes the earlier ones.
        self.attempt(|work| {
            let start = work.applied.len();
            for (n, tx) in txs.into_iter().enumerate() {
                // The external id marks the request's first record only.
                let meta = TxMeta { external_id: meta.external_id.filter(|_| n == 0), ..meta };
                work.apply(tx, meta)?;
            }
            let response = render(&work.store.accounts[&work.account], &work.applied[start..]);
            if let Some(external_id) = meta.external_id {
                let remembered =
                    Remembered { body_hash: body_hash.to_string(), response: response.clone() };
                work.remember(record_type, external_id, &remembered)?;
            }
            Ok(response)
        })
        .map(|response| Outcome::Applied { response })
    }

    /// Runs `f` so that, if it fails, everything it applied is undone and the rest of the
    /// unit stays (a partial batch's per-operation isolation).
    pub fn attempt<T, E>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        exec(&self.store.conn, "SAVEPOINT attempt").map_err(|e| E::from(e.into()))?;
        self.savepoints.push(self.applied.len());
        let result = f(self);
        let mark = self.savepoints.pop().expect("pushed above");
        match result {
            Ok(value) => {
                exec(&self.store.conn, "RELEASE attempt").map_err(|e| E::from(e.into()))?;
                Ok(value)
            }
            Err(err) => {
                self.undo_to(mark);
                exec(&self.store.conn, "ROLLBACK TO attempt")
                    .and_then(|()| exec(&self.store.conn, "RELEASE attempt"))
                    .map_err(|e| E::from(e.into()))?;
                Err(err)
            }
        }
    }

    fn undo_to(&mut self, mark: usize) {
        let inventory =
            self.store.accounts.get_mut(&self.account).expect("account checked at begin");
        while self.applied.len() > mark {
            let applied = self.applied.pop().expect("len > mark");
            inventory.undo(applied);
        }
    }

    /// The transactions applied so far in this unit, oldest first.
    pub fn applied(&self) -> &[Applied] {
        &self.applied
    }

    /// The id the next transaction will get.
    pub fn next_id(&self) -> DocId {
        DocId(self.inventory().next_id())
    }

    pub fn put_job(&mut self, job: &JobRow) -> Result<(), StoreError> {
        rows::put_job(&self.store.conn, job)
    }

    /// Makes the unit durable (per the store's [`Durability`]) and visible.
    pub fn commit(mut self) -> Result<(), StoreError> {
        let next_id = self.inventory().next_id();
        let result = self
            .store
            .conn
            .prepare_cached("UPDATE accounts SET next_id = ?2 WHERE account = ?1")
            .and_then(|mut stmt| stmt.execute(params![self.account, next_id]))
            .and_then(|_| self.store.conn.execute_batch("COMMIT"));
        match result {
            Ok(()) => {
                self.open = false;
                Ok(())
            }
            // Drop rolls back the db transaction and the memory.
            Err(err) => Err(err.into()),
        }
    }
}

/// For a step on an existing document: the document, the record type it must have, and the
/// error NetSuite gives when that document is already closed.
fn closed_error(tx: &Tx) -> Option<(DocId, &'static str, TxError)> {
    let init = |record_type, order: DocId| TxError::InvalidInitializeRef { record_type, id: order };
    Some(match tx {
        Tx::ItemReceipt(s) => (s.order, "purchaseorder", init("itemreceipt", s.order)),
        Tx::ItemFulfillment(s) => (s.order, "salesorder", init("itemfulfillment", s.order)),
        Tx::TransferOrderShip(s) => (s.order, "transferorder", init("itemfulfillment", s.order)),
        Tx::TransferOrderReceive(s) => (s.order, "transferorder", init("itemreceipt", s.order)),
        Tx::CountApprove(id) => (
            *id,
            "inventorycount",
            TxError::InvalidState(format!("Inventory count {id} is already approved.")),
        ),
        Tx::CountEnter(t) => (
            t.count,
            "inventorycount",
            TxError::InvalidState(format!(
                "Inventory count {} is approved; counts can only be entered while it is started.",
                t.count
            )),
        ),
        Tx::CountReject(id) => (
            *id,
            "inventorycount",
            TxError::InvalidState(format!(
                "Inventory count {id} is approved; only a completed count can be rejected."
            )),
        ),
        _ => return None,
    })
}

/// Runs a statement without parameters through the statement cache (savepoints run on every
/// write).
fn exec(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

impl Drop for Work<'_> {
    fn drop(&mut self) {
        if self.open {
            self.undo_to(0);
            let _ = self.store.conn.execute_batch("ROLLBACK");
        }
    }
}

//! The SQLite schema and its migrations. Quantities are stored as decimal TEXT so that no
//! binary floating point ever touches them.

use rusqlite::Connection;

/// Migrations in order; `user_version` records how many have run.
const MIGRATIONS: &[&str] = &[
    // 1: accounts, stock, open documents, the audit trail, external ids.
    "
    CREATE TABLE accounts (
        account     TEXT PRIMARY KEY,
        next_id     INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE levels (
        account      TEXT NOT NULL,
        item         INTEGER NOT NULL,
        location     INTEGER NOT NULL,
        on_hand      TEXT NOT NULL,
        committed    TEXT NOT NULL,
        on_order     TEXT NOT NULL,
        in_transit   TEXT NOT NULL,
        back_ordered TEXT NOT NULL,
        PRIMARY KEY (account, item, location)
    ) WITHOUT ROWID;
    CREATE TABLE documents (
        account      TEXT NOT NULL,
        id           INTEGER NOT NULL,
        record_type  TEXT NOT NULL,
        created_at   INTEGER NOT NULL,
        location     INTEGER,
        to_location  INTEGER,
        count_status TEXT,
        PRIMARY KEY (account, id)
    ) WITHOUT ROWID;
    -- Each document type uses the columns that mean something for it; the others are NULL.
    CREATE TABLE document_lines (
        account      TEXT NOT NULL,
        doc_id       INTEGER NOT NULL,
        line_no      INTEGER NOT NULL,
        item         INTEGER NOT NULL,
        location     INTEGER,
        quantity     TEXT,
        received     TEXT,
        fulfilled    TEXT,
        shipped      TEXT,
        committed    TEXT,
        back_ordered TEXT,
        snapshot     TEXT,
        counted      TEXT,
        rate         TEXT,
        PRIMARY KEY (account, doc_id, line_no)
    ) WITHOUT ROWID;
    CREATE TABLE transactions (
        seq          INTEGER PRIMARY KEY AUTOINCREMENT,
        account      TEXT NOT NULL,
        id           INTEGER NOT NULL,
        record_type  TEXT NOT NULL,
        action       TEXT NOT NULL,
        source       INTEGER,
        external_id  TEXT,
        actor        TEXT NOT NULL,
        created_at   INTEGER NOT NULL
    );
    CREATE INDEX transactions_by_account ON transactions (account, seq);
    CREATE TABLE transaction_lines (
        seq          INTEGER NOT NULL,
        line_no      INTEGER NOT NULL,
        item         INTEGER NOT NULL,
        location     INTEGER NOT NULL,
        quantity     TEXT NOT NULL,
        rate         TEXT,
        PRIMARY KEY (seq, line_no)
    ) WITHOUT ROWID;
    CREATE TABLE external_ids (
        account      TEXT NOT NULL,
        record_type  TEXT NOT NULL,
        external_id  TEXT NOT NULL,
        body_hash    TEXT NOT NULL,
        response     TEXT NOT NULL,
        PRIMARY KEY (account, record_type, external_id)
    ) WITHOUT ROWID;
    ",
    // 2: asynchronous batch jobs (the Map/Reduce pattern).
    "
    CREATE TABLE jobs (
        account      TEXT NOT NULL,
        id           TEXT NOT NULL,
        status       TEXT NOT NULL,
        request      TEXT NOT NULL,
        actor        TEXT NOT NULL,
        result       TEXT,
        created_at   INTEGER NOT NULL,
        updated_at   INTEGER NOT NULL,
        PRIMARY KEY (account, id)
    ) WITHOUT ROWID;
    ",
];

/// Brings the schema up to date, each migration in its own db transaction.
pub(crate) fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let done: usize = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(done) {
        let db_tx = conn.transaction()?;
        db_tx.execute_batch(sql)?;
        db_tx.pragma_update(None, "user_version", i + 1)?;
        db_tx.commit()?;
    }
    Ok(())
}

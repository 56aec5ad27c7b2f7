//! Mapping between domain values and rows: writing what an applied transaction changed,
//! loading an account back, and reading the audit trail.

use inventory_domain::{
    Applied, CountLine, CountStatus, DocId, Document, Inventory, ItemId, Level, LocationId, PoLine,
    SetupError, SoLine, ToLine,
};
use rusqlite::{Connection, OptionalExtension, Row, params};
use rust_decimal::Decimal;

use crate::{StoreError, TxMeta};

pub(crate) enum LoadError {
    Store(StoreError),
    Setup(SetupError),
}

impl From<rusqlite::Error> for LoadError {
    fn from(err: rusqlite::Error) -> LoadError {
        LoadError::Store(StoreError::Sql(err))
    }
}

impl From<StoreError> for LoadError {
    fn from(err: StoreError) -> LoadError {
        LoadError::Store(err)
    }
}

fn text(d: Decimal) -> String {
    d.to_string()
}

fn opt_text(d: Option<Decimal>) -> Option<String> {
    d.map(text)
}

fn dec(row: &Row<'_>, idx: usize) -> rusqlite::Result<Decimal> {
    let value: String = row.get(idx)?;
    value.parse().map_err(|_| {
        rusqlite::Error::FromSqlConversionFailure(
            idx,
            rusqlite::types::Type::Text,
            format!("not a decimal: {value:?}").into(),
        )
    })
}

fn opt_dec(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<Decimal>> {
    let value: Option<String> = row.get(idx)?;
    value
        .map(|value| {
            value.parse().map_err(|_| {
                rusqlite::Error::FromSqlConversionFailure(
                    idx,
                    rusqlite::types::Type::Text,
                    format!("not a decimal: {value:?}").into(),
                )
            })
        })
        .transpose()
}

fn zero_or(d: Option<Decimal>) -> Decimal {
    d.unwrap_or_default()
}

pub(crate) fn write_level(
    conn: &Connection,
    account: &str,
    inventory: &Inventory,
    key: (ItemId, LocationId),
) -> rusqlite::Result<()> {
    let level = inventory.level(key.0, key.1);
    if level.is_zero() {
        conn.prepare_cached(
            "DELETE FROM levels WHERE account = ?1 AND item = ?2 AND location = ?3",
        )?
        .execute(params![account, key.0.0, key.1.0])?;
    } else {
        conn.prepare_cached(
            "INSERT OR REPLACE INTO levels (account, item, location, on_hand, committed, on_order, in_transit, back_ordered)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            account,
            key.0.0,
            key.1.0,
            text(level.on_hand),
            text(level.committed),
            text(level.on_order),
            text(level.in_transit),
            text(level.back_ordered)
        ])?;
    }
    Ok(())
}

/// A `document_lines` row.
#[derive(Default)]
struct LineRow {
    item: u64,
    location: Option<u64>,
    quantity: Option<Decimal>,
    received: Option<Decimal>,
    fulfilled: Option<Decimal>,
    shipped: Option<Decimal>,
    committed: Option<Decimal>,
    back_ordered: Option<Decimal>,
    snapshot: Option<Decimal>,
    counted: Option<Decimal>,
    rate: Option<Decimal>,
}

fn write_document(
    conn: &Connection,
    account: &str,
    id: DocId,
    document: &Document,
) -> rusqlite::Result<()> {
    let (created_at, location, to_location, count_status) = match document {
        Document::PurchaseOrder { created_at, .. } | Document::SalesOrder { created_at, .. } => {
            (*created_at, None, None, None)
        }
        Document::TransferOrder { created_at, from, to, .. } => {
            (*created_at, Some(from.0), Some(to.0), None)
        }
        Document::Count { created_at, location, status, .. } => {
            (*created_at, Some(location.0), None, Some(status.as_str()))
        }
    };
    conn.prepare_cached(
        "INSERT OR REPLACE INTO documents (account, id, record_type, created_at, location, to_location, count_status)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![account, id.0, document.record_type(), created_at, location, to_location, count_status])?;
    let mut insert = conn.prepare_cached(
        "INSERT OR REPLACE INTO document_lines (account, doc_id, line_no, item, location, quantity, received, fulfilled,
             shipped, committed, back_ordered, snapshot, counted, rate)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?;
    // One row shape for every document type; the columns a type does not use stay NULL.
    let rows: Vec<LineRow> = match document {
        Document::PurchaseOrder { lines, .. } => lines
            .iter()
            .map(|l| LineRow {
                item: l.item.0,
                location: Some(l.location.0),
                quantity: Some(l.quantity),
                received: Some(l.received),
                rate: l.rate,
                ..LineRow::default()
            })
            .collect(),
        Document::SalesOrder { lines, .. } => lines
            .iter()
            .map(|l| LineRow {
                item: l.item.0,
                location: Some(l.location.0),
                quantity: Some(l.quantity),
                fulfilled: Some(l.fulfilled),
                committed: Some(l.committed),
                back_ordered: Some(l.back_ordered),
                rate: l.rate,
                ..LineRow::default()
            })
            .collect(),
        Document::TransferOrder { lines, .. } => lines
            .iter()
            .map(|l| LineRow {
                item: l.item.0,
                quantity: Some(l.quantity),
                received: Some(l.received),
                shipped: Some(l.shipped),
                committed: Some(l.committed),
                back_ordered: Some(l.back_ordered),
                ..LineRow::default()
            })
            .collect(),
        Document::Count { lines, .. } => lines
            .iter()
            .map(|l| LineRow {
                item: l.item.0,
                snapshot: Some(l.snapshot),
                counted: l.counted,
                ..LineRow::default()
            })
            .collect(),
    };
    for (n, r) in rows.iter().enumerate() {
        insert.execute(params![
            account,
            id.0,
            n,
            r.item,
            r.location,
            opt_text(r.quantity),
            opt_text(r.received),
            opt_text(r.fulfilled),
            opt_text(r.shipped),
            opt_text(r.committed),
            opt_text(r.back_ordered),
            opt_text(r.snapshot),
            opt_text(r.counted),
            opt_text(r.rate)
        ])?;
    }
    Ok(())
}

/// Writes every row an applied transaction changed, and its records to the audit trail.
pub(crate) fn write_applied(
    conn: &Connection,
    account: &str,
    inventory: &Inventory,
    applied: &Applied,
    meta: TxMeta<'_>,
) -> rusqlite::Result<()> {
    for key in &applied.changed_levels {
        write_level(conn, account, inventory, *key)?;
    }
    for id in &applied.changed_documents {
        // A document the transaction closed has left memory; its final state is in `closed`.
        let document = inventory
            .document(*id)
            .or_else(|| applied.closed.iter().find(|(closed, _)| closed == id).map(|(_, d)| d))
            .expect("a changed document is open in memory or listed as closed");
        write_document(conn, account, *id, document)?;
    }
    let mut insert_tx = conn.prepare_cached(
        "INSERT INTO transactions (account, id, record_type, action, source, external_id, actor, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    let mut insert_line = conn.prepare_cached(
        "INSERT INTO transaction_lines (seq, line_no, item, location, quantity, rate) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for (n, record) in applied.records.iter().enumerate() {
        // The external id belongs to the main record only.
        let external_id = if n == 0 { meta.external_id } else { None };
        insert_tx.execute(params![
            account,
            record.id.0,
            record.record_type,
            record.action,
            record.source.map(|s| s.0),
            external_id,
            meta.actor,
            meta.now
        ])?;
        let seq = conn.last_insert_rowid();
        for line in &record.lines {
            insert_line.execute(params![
                seq,
                line.index,
                line.item.0,
                line.location.0,
                text(line.quantity),
                opt_text(line.rate)
            ])?;
        }
    }
    Ok(())
}

pub(crate) fn load_state(
    conn: &Connection,
    account: &str,
    inventory: &mut Inventory,
) -> Result<(), LoadError> {
    let mut stmt = conn.prepare(
        "SELECT item, location, on_hand, committed, on_order, in_transit, back_ordered FROM levels WHERE account = ?1",
    )?;
    let levels = stmt.query_map([account], |row| {
        Ok((
            ItemId(row.get(0)?),
            LocationId(row.get(1)?),
            Level {
                on_hand: dec(row, 2)?,
                committed: dec(row, 3)?,
                on_order: dec(row, 4)?,
                in_transit: dec(row, 5)?,
                back_ordered: dec(row, 6)?,
            },
        ))
    })?;
    // Clear fixture levels first: the database is the truth once seeded.
    let fixture_keys: Vec<_> = inventory.levels().map(|(key, _)| key).collect();
    for (item, location) in fixture_keys {
        inventory.load_level(item, location, Level::default()).map_err(LoadError::Setup)?;
    }
    for level in levels {
        let (item, location, level) = level?;
        inventory.load_level(item, location, level).map_err(LoadError::Setup)?;
    }

    let mut stmt = conn.prepare(
        "SELECT id, record_type, created_at, location, to_location, count_status FROM documents WHERE account = ?1 ORDER BY id",
    )?;
    type Header = (u64, String, i64, Option<u64>, Option<u64>, Option<String>);
    let headers: Vec<Header> = stmt
        .query_map([account], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    for (id, record_type, created_at, location, to_location, count_status) in headers {
        let document = read_document(
            conn,
            account,
            id,
            &record_type,
            created_at,
            location,
            to_location,
            count_status.as_deref(),
        )?;
        inventory.load_document(DocId(id), document).map_err(LoadError::Setup)?;
    }
    Ok(())
}

/// One document with its lines, from its header fields.
#[expect(clippy::too_many_arguments, reason = "the header columns of one row")]
fn read_document(
    conn: &Connection,
    account: &str,
    id: u64,
    record_type: &str,
    created_at: i64,
    location: Option<u64>,
    to_location: Option<u64>,
    count_status: Option<&str>,
) -> Result<Document, LoadError> {
    let mut lines_stmt = conn.prepare_cached(
        "SELECT item, location, quantity, received, fulfilled, shipped, committed, back_ordered, snapshot, counted, rate
         FROM document_lines WHERE account = ?1 AND doc_id = ?2 ORDER BY line_no",
    )?;
    let cols: Vec<LineRow> = lines_stmt
        .query_map(params![account, id], |row| {
            Ok(LineRow {
                item: row.get(0)?,
                location: row.get(1)?,
                quantity: opt_dec(row, 2)?,
                received: opt_dec(row, 3)?,
                fulfilled: opt_dec(row, 4)?,
                shipped: opt_dec(row, 5)?,
                committed: opt_dec(row, 6)?,
                back_ordered: opt_dec(row, 7)?,
                snapshot: opt_dec(row, 8)?,
                counted: opt_dec(row, 9)?,
                rate: opt_dec(row, 10)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let corrupt =
        |what: &str| LoadError::Store(StoreError::Corrupt(format!("document {id}: {what}")));
    Ok(match record_type {
        "purchaseorder" => Document::PurchaseOrder {
            created_at,
            lines: cols
                .iter()
                .map(|c| {
                    Ok(PoLine {
                        item: ItemId(c.item),
                        location: LocationId(
                            c.location.ok_or_else(|| corrupt("line without location"))?,
                        ),
                        quantity: zero_or(c.quantity),
                        received: zero_or(c.received),
                        rate: c.rate,
                    })
                })
                .collect::<Result<_, LoadError>>()?,
        },
        "salesorder" => Document::SalesOrder {
            created_at,
            lines: cols
                .iter()
                .map(|c| {
                    Ok(SoLine {
                        item: ItemId(c.item),
                        location: LocationId(
                            c.location.ok_or_else(|| corrupt("line without location"))?,
                        ),
                        quantity: zero_or(c.quantity),
                        fulfilled: zero_or(c.fulfilled),
                        committed: zero_or(c.committed),
                        back_ordered: zero_or(c.back_ordered),
                        rate: c.rate,
                    })
                })
                .collect::<Result<_, LoadError>>()?,
        },
        "transferorder" => Document::TransferOrder {
            created_at,
            from: LocationId(location.ok_or_else(|| corrupt("no from location"))?),
            to: LocationId(to_location.ok_or_else(|| corrupt("no to location"))?),
            lines: cols
                .iter()
                .map(|c| ToLine {
                    item: ItemId(c.item),
                    quantity: zero_or(c.quantity),
                    received: zero_or(c.received),
                    shipped: zero_or(c.shipped),
                    committed: zero_or(c.committed),
                    back_ordered: zero_or(c.back_ordered),
                })
                .collect(),
        },
        "inventorycount" => Document::Count {
            created_at,
            location: LocationId(location.ok_or_else(|| corrupt("no location"))?),
            status: match count_status {
                Some("started") => CountStatus::Started,
                Some("completed") => CountStatus::Completed,
                Some("approved") => CountStatus::Approved,
                other => return Err(corrupt(&format!("count status {other:?}"))),
            },
            lines: cols
                .iter()
                .map(|c| CountLine {
                    item: ItemId(c.item),
                    snapshot: zero_or(c.snapshot),
                    counted: c.counted,
                })
                .collect(),
        },
        other => return Err(corrupt(&format!("record type {other:?}"))),
    })
}

/// One document by id, open or closed.
pub(crate) fn document(
    conn: &Connection,
    account: &str,
    id: u64,
) -> Result<Option<Document>, StoreError> {
    type Header = (String, i64, Option<u64>, Option<u64>, Option<String>);
    let header: Option<Header> = conn
        .prepare_cached("SELECT record_type, created_at, location, to_location, count_status FROM documents WHERE account = ?1 AND id = ?2")?
        .query_row(params![account, id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?)))
        .optional()?;
    let Some((record_type, created_at, location, to_location, count_status)) = header else {
        return Ok(None);
    };
    read_document(
        conn,
        account,
        id,
        &record_type,
        created_at,
        location,
        to_location,
        count_status.as_deref(),
    )
    .map(Some)
    .map_err(|err| match err {
        LoadError::Store(err) => err,
        LoadError::Setup(problem) => StoreError::Corrupt(problem.to_string()),
    })
}

/// The record type of a stored document, if there is one with that id.
pub(crate) fn document_type(
    conn: &Connection,
    account: &str,
    id: u64,
) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT record_type FROM documents WHERE account = ?1 AND id = ?2")?
        .query_row(params![account, id], |row| row.get(0))
        .optional()
}

pub(crate) fn delete_account(conn: &mut Connection, account: &str) -> rusqlite::Result<()> {
    let db_tx = conn.transaction()?;
    db_tx.execute("DELETE FROM transaction_lines WHERE seq IN (SELECT seq FROM transactions WHERE account = ?1)", [account])?;
    for table in [
        "accounts",
        "levels",
        "documents",
        "document_lines",
        "transactions",
        "external_ids",
        "jobs",
    ] {
        db_tx.execute(&format!("DELETE FROM {table} WHERE account = ?1"), [account])?;
    }
    db_tx.commit()
}

/// A filter on the audit trail.
#[derive(Clone, Debug, Default)]
pub struct TxQuery {
    pub record_type: Option<String>,
    pub external_id: Option<String>,
    pub id: Option<u64>,
    /// Only rows with `seq` greater than this.
    pub after_seq: Option<i64>,
    /// At most this many rows (newest dropped); 1000 when unset.
    pub limit: Option<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxRow {
    /// Position in the audit trail; increases with every record written.
    pub seq: i64,
    pub id: u64,
    pub record_type: String,
    pub action: String,
    pub source: Option<u64>,
    pub external_id: Option<String>,
    pub actor: String,
    pub created_at: i64,
    pub lines: Vec<TxLineRow>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxLineRow {
    pub index: u64,
    pub item: u64,
    pub location: u64,
    pub quantity: Decimal,
    pub rate: Option<Decimal>,
}

pub(crate) fn transactions(
    conn: &Connection,
    account: &str,
    query: &TxQuery,
) -> Result<Vec<TxRow>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, id, record_type, action, source, external_id, actor, created_at FROM transactions
         WHERE account = ?1 AND (?2 IS NULL OR record_type = ?2) AND (?3 IS NULL OR external_id = ?3)
           AND (?4 IS NULL OR id = ?4) AND seq > ?5
         ORDER BY seq LIMIT ?6",
    )?;
    let limit = query.limit.unwrap_or(1000) as i64;
    let mut rows: Vec<TxRow> = stmt
        .query_map(
            params![
                account,
                query.record_type,
                query.external_id,
                query.id,
                query.after_seq.unwrap_or(0),
                limit
            ],
            |row| {
                Ok(TxRow {
                    seq: row.get(0)?,
                    id: row.get(1)?,
                    record_type: row.get(2)?,
                    action: row.get(3)?,
                    source: row.get(4)?,
                    external_id: row.get(5)?,
                    actor: row.get(6)?,
                    created_at: row.get(7)?,
                    lines: Vec::new(),
                })
            },
        )?
        .collect::<rusqlite::Result<_>>()?;
    let mut lines = conn.prepare_cached(
        "SELECT line_no, item, location, quantity, rate FROM transaction_lines WHERE seq = ?1 ORDER BY line_no",
    )?;
    for row in &mut rows {
        row.lines = lines
            .query_map([row.seq], |r| {
                Ok(TxLineRow {
                    index: r.get(0)?,
                    item: r.get(1)?,
                    location: r.get(2)?,
                    quantity: dec(r, 3)?,
                    rate: opt_dec(r, 4)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
    }
    Ok(rows)
}

/// (record type, external id, records) for every external id starting with `prefix`.
pub(crate) fn external_ids(
    conn: &Connection,
    account: &str,
    prefix: &str,
) -> Result<Vec<(String, String, u64)>, StoreError> {
    let escaped = prefix.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    Ok(conn
        .prepare_cached(
            "SELECT record_type, external_id, COUNT(*) FROM transactions
             WHERE account = ?1 AND external_id LIKE ?2 ESCAPE '\\'
             GROUP BY record_type, external_id ORDER BY record_type, external_id",
        )?
        .query_map(params![account, format!("{escaped}%")], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })?
        .collect::<rusqlite::Result<_>>()?)
}

/// An asynchronous batch job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobRow {
    pub account: String,
    pub id: String,
    /// `PENDING`, `PROCESSING`, `COMPLETE`, `FAILED`.
    pub status: String,
    /// The request body, as received.
    pub request: String,
    pub actor: String,
    /// The results, as JSON text, once finished.
    pub result: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

fn job_from_row(row: &Row<'_>) -> rusqlite::Result<JobRow> {
    Ok(JobRow {
        account: row.get(0)?,
        id: row.get(1)?,
        status: row.get(2)?,
        request: row.get(3)?,
        actor: row.get(4)?,
        result: row.get(5)?,
        created_at: row.get(6)?,
        updated_at: row.get(7)?,
    })
}

pub(crate) fn job(
    conn: &Connection,
    account: &str,
    id: &str,
) -> Result<Option<JobRow>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT account, id, status, request, actor, result, created_at, updated_at FROM jobs WHERE account = ?1 AND id = ?2")?
        .query_row(params![account, id], job_from_row)
        .optional()?)
}

pub(crate) fn unfinished_jobs(conn: &Connection) -> Result<Vec<JobRow>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT account, id, status, request, actor, result, created_at, updated_at FROM jobs
             WHERE status IN ('PENDING', 'PROCESSING') ORDER BY created_at",
        )?
        .query_map([], job_from_row)?
        .collect::<rusqlite::Result<_>>()?)
}

pub(crate) fn put_job(conn: &Connection, job: &JobRow) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO jobs (account, id, status, request, actor, result, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![job.account, job.id, job.status, job.request, job.actor, job.result, job.created_at, job.updated_at])?;
    Ok(())
}

//! Batches of operations (script 110): `atomic` (all or nothing) or `partial` (each operation
//! on its own), run at once or as an asynchronous job polled by GET, the way integrations use a
//! Map/Reduce script for large loads.

use fixture::HandlerKind;
use inventory_domain::TxError;
use serde_json::{Value, json};

use super::{WriteOp, decode};
use crate::app::{App, Ctx};
use crate::error::{RestletError, invalid_field};
use crate::wire::Fields;

/// Batches with more operations than this run as jobs unless `"async": false`.
pub(crate) const ASYNC_THRESHOLD: usize = 100;
/// The most operations one batch may carry.
pub(crate) const MAX_OPERATIONS: usize = 10_000;

/// How a batch treats a failing operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Atomic,
    Partial,
}

impl Mode {
    fn as_str(self) -> &'static str {
        match self {
            Mode::Atomic => "atomic",
            Mode::Partial => "partial",
        }
    }
}

fn operation_kind(name: &str) -> Option<HandlerKind> {
    Some(match name {
        "inventoryAdjustment" => HandlerKind::InventoryAdjustment,
        "purchaseOrder" => HandlerKind::PurchaseOrder,
        "itemReceipt" => HandlerKind::ItemReceipt,
        "salesOrder" => HandlerKind::SalesOrder,
        "itemFulfillment" => HandlerKind::ItemFulfillment,
        "inventoryTransfer" => HandlerKind::InventoryTransfer,
        "transferOrder" => HandlerKind::TransferOrder,
        "inventoryCount" => HandlerKind::InventoryCount,
        _ => return None,
    })
}

/// One operation: `{"type":"inventoryAdjustment","body":{…}}`.
fn decode_operation(value: &Value) -> Result<WriteOp, RestletError> {
    let fields = Fields::new(value)?;
    let kind = fields.string("type")?.ok_or(TxError::MissingField("type"))?;
    let kind = operation_kind(kind).ok_or_else(|| invalid_field("type", kind))?;
    let body = fields.get("body").ok_or(TxError::MissingField("body"))?;
    decode(kind, body)
}

/// The parsed top of a batch request.
pub(crate) struct Batch {
    pub mode: Mode,
    pub operations: Vec<Result<WriteOp, RestletError>>,
}

pub(crate) fn parse(input: &Value) -> Result<(Batch, bool), RestletError> {
    let fields = Fields::new(input)?;
    let mode = match fields.string("mode")?.unwrap_or("atomic") {
        "atomic" => Mode::Atomic,
        "partial" => Mode::Partial,
        other => return Err(invalid_field("mode", other)),
    };
    let operations = fields.array("operations")?.ok_or(TxError::MissingField("operations"))?;
    if operations.is_empty() {
        return Err(TxError::NoLines.into());
    }
    if operations.len() > MAX_OPERATIONS {
        return Err(TxError::TooManyLines { max: MAX_OPERATIONS }.into());
    }
    let asynchronous = match fields.get("async") {
        None => operations.len() > ASYNC_THRESHOLD,
        Some(_) => fields.bool("async")?,
    };
    let operations = operations.iter().map(decode_operation).collect();
    Ok((Batch { mode, operations }, asynchronous))
}

pub(super) async fn submit(app: &App, ctx: &mut Ctx, input: Value) -> Result<Value, RestletError> {
    let (batch, asynchronous) = parse(&input)?;
    if asynchronous {
        if batch.mode == Mode::Atomic
            && let Some((index, Err(err))) =
                batch.operations.iter().enumerate().find(|(_, op)| op.is_err())
        {
            return Err(RestletError::Batch { index, inner: Box::new(err.clone()) });
        }
        let n = batch.operations.len();
        let job_id = app.create_job(ctx, &input).await?;
        finish_job_later(app.clone(), ctx.account.clone(), job_id.clone());
        return Ok(
            json!({"success": true, "jobId": job_id, "status": "PENDING", "mode": batch.mode.as_str(), "operations": n}),
        );
    }
    let units: u32 =
        batch.operations.iter().filter_map(|op| op.as_ref().ok()).map(|op| op.units).sum();
    ctx.meter.charge(units)?;
    let mode = batch.mode;
    let results = app.write_many(ctx, batch).await?;
    Ok(results_json(mode, results))
}

pub(crate) fn results_json(mode: Mode, results: Vec<Result<Value, RestletError>>) -> Value {
    let success = results.iter().all(Result::is_ok);
    let results: Vec<Value> = results
        .into_iter()
        .enumerate()
        .map(|(index, result)| match result {
            Ok(value) => json!({"index": index, "success": true, "result": value}),
            Err(err) => {
                let (_, code, message) = err.parts();
                json!({"index": index, "success": false, "error": {"code": code, "message": message}})
            }
        })
        .collect();
    json!({"success": success, "mode": mode.as_str(), "results": results})
}

/// GET `?jobId=`.
pub(super) fn status(app: &App, ctx: &mut Ctx, input: &Value) -> Result<Value, RestletError> {
    ctx.meter.charge(super::UNITS_SEARCH)?;
    let job_id = Fields::new(input)?.text("jobId")?.ok_or(RestletError::MissingParam("jobId"))?;
    let job = app
        .job(&ctx.account, &job_id)?
        .ok_or(TxError::UnknownRecord { record_type: "job", id: 0 })?;
    let request: Value = serde_json::from_str(&job.request).unwrap_or(Value::Null);
    let mut out = json!({
        "jobId": job.id,
        "status": job.status,
        "mode": request.get("mode").cloned().unwrap_or_else(|| json!("atomic")),
        "operations": request.get("operations").and_then(Value::as_array).map_or(0, Vec::len),
        "submittedAt": job.created_at,
        "updatedAt": job.updated_at,
    });
    if let Some(result) = job.result.as_deref().and_then(|r| serde_json::from_str::<Value>(r).ok())
        && let (Value::Object(out), Value::Object(result)) = (&mut out, result)
    {
        out.extend(result);
    }
    Ok(out)
}

/// Runs a queued job in the background.
pub(crate) fn finish_job_later(app: App, account: String, job_id: String) {
    tokio::spawn(async move {
        let worker = app.clone();
        let outcome =
            tokio::task::spawn_blocking(move || worker.process_job(&account, &job_id)).await;
        if let Ok(Err(err)) | Err(err) = outcome.map_err(RestletError::internal) {
            tracing::error!(%err, "batch job failed to run");
        }
    });
}

/// Picks up jobs left queued or running when the emulator last stopped.
pub(crate) fn resume_jobs(app: &App) {
    match app.unfinished_jobs() {
        Ok(jobs) => {
            for job in jobs {
                finish_job_later(app.clone(), job.account, job.id);
            }
        }
        Err(err) => tracing::error!(%err, "cannot list unfinished jobs"),
    }
}

//! The built-in RESTlets (contract 3, 5). Each write handler decodes wire JSON into domain
//! transactions and renders the applied result; reads render straight from the inventory.
//! Shapes are documented in docs/restlets.md.

mod adjustment;
pub(crate) mod batch;
mod count;
mod orders;
mod stock;
mod transfers;

use fixture::HandlerKind;
use http::Method;
use inventory_domain::{Applied, Inventory, LinePick, LineSel, OrderStepTx, Tx};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::app::{App, Ctx};
use crate::error::{RestletError, invalid_field};
use crate::wire::{Fields, quantity_value};

pub(crate) use batch::resume_jobs;

/// Usage units (facts 5.2.3-5.2.4): creating or transforming a transaction record and saving
/// it; a lookup per line; a record load; a search.
pub(crate) const UNITS_CREATE_AND_SAVE: u32 = 10 + 20;
pub(crate) const UNITS_LOAD: u32 = 10;
pub(crate) const UNITS_SEARCH: u32 = 10;

/// The methods a handler has entry points for.
pub(crate) fn methods(kind: HandlerKind) -> &'static [Method] {
    match kind {
        HandlerKind::StockQuery => &[Method::GET],
        HandlerKind::PurchaseOrder | HandlerKind::SalesOrder | HandlerKind::InventoryBatch => {
            &[Method::GET, Method::POST]
        }
        _ => &[Method::POST],
    }
}

/// A decoded write: the transactions one request makes (usually one), under one external id.
pub(crate) struct WriteOp {
    pub kind: HandlerKind,
    pub txs: Vec<Tx>,
    pub external_id: Option<String>,
    /// Hash of the canonical request body, for idempotency.
    pub body_hash: String,
    pub units: u32,
}

/// Runs a handler for one call.
pub(crate) async fn dispatch(
    app: &App,
    ctx: &mut Ctx,
    kind: HandlerKind,
    method: &Method,
    input: Value,
) -> Result<Value, RestletError> {
    match (kind, method) {
        (HandlerKind::StockQuery, _) => {
            ctx.meter.charge(UNITS_SEARCH)?;
            app.read(&ctx.account, |inv| stock::query(inv, &input))
        }
        (HandlerKind::PurchaseOrder | HandlerKind::SalesOrder, &Method::GET) => {
            ctx.meter.charge(UNITS_LOAD)?;
            orders::read(&app.store(), &ctx.account, kind, &input)
        }
        (HandlerKind::InventoryBatch, &Method::GET) => batch::status(app, ctx, &input),
        (HandlerKind::InventoryBatch, _) => batch::submit(app, ctx, input).await,
        _ => {
            let op = decode(kind, &input)?;
            ctx.meter.charge(op.units)?;
            app.write_one(ctx, op).await
        }
    }
}

/// Decodes the body of a write handler.
pub(crate) fn decode(kind: HandlerKind, body: &Value) -> Result<WriteOp, RestletError> {
    let fields = Fields::new(body)?;
    let external_id = fields.text("externalId")?;
    let txs = match kind {
        HandlerKind::InventoryAdjustment => vec![adjustment::decode(&fields)?],
        HandlerKind::PurchaseOrder => vec![Tx::PurchaseOrder(orders::decode_order(&fields)?)],
        HandlerKind::SalesOrder => vec![Tx::SalesOrder(orders::decode_order(&fields)?)],
        HandlerKind::ItemReceipt => vec![Tx::ItemReceipt(step(&fields, "purchaseOrderId")?)],
        HandlerKind::ItemFulfillment => vec![Tx::ItemFulfillment(step(&fields, "salesOrderId")?)],
        HandlerKind::InventoryTransfer => vec![Tx::Transfer(transfers::decode_transfer(&fields)?)],
        HandlerKind::TransferOrder => vec![transfers::decode_transfer_order(&fields)?],
        HandlerKind::InventoryCount => count::decode(&fields)?,
        HandlerKind::StockQuery | HandlerKind::InventoryBatch => {
            return Err(RestletError::internal(format!("{kind} is not a write handler")));
        }
    };
    let lines: usize = txs.iter().map(tx_lines).sum();
    let units = UNITS_CREATE_AND_SAVE * txs.len() as u32 + lines as u32;
    Ok(WriteOp { kind, txs, external_id, body_hash: body_hash(body), units })
}

fn tx_lines(tx: &Tx) -> usize {
    match tx {
        Tx::Adjustment(t) => t.lines.len(),
        Tx::PurchaseOrder(t) | Tx::SalesOrder(t) => t.lines.len(),
        Tx::Transfer(t) | Tx::TransferOrder(t) => t.lines.len(),
        Tx::ItemReceipt(t)
        | Tx::ItemFulfillment(t)
        | Tx::TransferOrderShip(t)
        | Tx::TransferOrderReceive(t) => t.lines.as_ref().map_or(1, Vec::len),
        Tx::CountStart(t) => t.items.as_ref().map_or(1, Vec::len),
        Tx::CountEnter(t) => t.counts.len(),
        Tx::CountReconcile(t) => t.counts.len() + 2 * UNITS_CREATE_AND_SAVE as usize,
        Tx::CountApprove(_) | Tx::CountReject(_) => 1,
    }
}

/// Renders the result of an applied write.
pub(crate) fn render(
    kind: HandlerKind,
    inv: &Inventory,
    applied: &[Applied],
    external_id: Option<&str>,
) -> Value {
    let mut out = match kind {
        HandlerKind::InventoryAdjustment => adjustment::render(inv, &applied[0]),
        HandlerKind::PurchaseOrder | HandlerKind::SalesOrder => {
            orders::render_created(inv, kind, applied)
        }
        HandlerKind::ItemReceipt | HandlerKind::ItemFulfillment => {
            orders::render_step(inv, kind, applied)
        }
        HandlerKind::InventoryTransfer | HandlerKind::TransferOrder => {
            transfers::render(inv, kind, applied)
        }
        HandlerKind::InventoryCount => count::render(inv, applied),
        HandlerKind::StockQuery | HandlerKind::InventoryBatch => json!({"success": true}),
    };
    if let (Some(external_id), Value::Object(map)) = (external_id, &mut out) {
        map.insert("externalId".into(), Value::String(external_id.to_string()));
    }
    out
}

/// A document as the applied transactions left it: open in memory, or closed by them.
pub(crate) fn document_after<'a>(
    inv: &'a Inventory,
    applied: &'a [Applied],
    id: inventory_domain::DocId,
) -> Option<&'a inventory_domain::Document> {
    inv.document(id).or_else(|| {
        applied
            .iter()
            .rev()
            .flat_map(|a| &a.closed)
            .find(|(closed, _)| *closed == id)
            .map(|(_, d)| d)
    })
}

/// SHA-256 of the body's canonical JSON (keys sorted at every level), so key order and
/// spacing do not make a retry look like a different request.
fn body_hash(body: &Value) -> String {
    fn canonical(value: &Value, out: &mut String) {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push('{');
                for (i, key) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String(key.clone()).to_string());
                    out.push(':');
                    canonical(&map[key], out);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    canonical(item, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut text = String::new();
    canonical(body, &mut text);
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The order and optional line picks of a receipt, fulfillment, ship or receive.
fn step(fields: &Fields<'_>, order_field: &'static str) -> Result<OrderStepTx, RestletError> {
    let order = fields
        .id(order_field)?
        .ok_or(RestletError::Tx(inventory_domain::TxError::MissingField(order_field)))?;
    let lines = match fields.array("items")? {
        None => None,
        Some(items) => Some(items.iter().map(line_pick).collect::<Result<Vec<_>, _>>()?),
    };
    Ok(OrderStepTx { order: inventory_domain::DocId(order), lines })
}

fn line_pick(value: &Value) -> Result<LinePick, RestletError> {
    let fields = Fields::new(value)?;
    let line = match (fields.id("line")?, fields.item()?) {
        (Some(n), _) => LineSel::Line(n as usize),
        (None, Some(item)) => LineSel::Item(item),
        (None, None) => {
            return Err(RestletError::Tx(inventory_domain::TxError::MissingField(
                "line or itemId",
            )));
        }
    };
    let quantity = fields.get("quantity").map(|q| quantity_value(q, "quantity")).transpose()?;
    Ok(LinePick { line, quantity })
}

/// The `items` array of a body, required and non-empty handled by the domain.
fn items<'a>(fields: &Fields<'a>) -> Result<&'a [Value], RestletError> {
    match fields.array("items")? {
        Some(items) => Ok(items),
        None => Ok(&[]),
    }
}

fn required_item(fields: &Fields<'_>) -> Result<inventory_domain::ItemRef, RestletError> {
    fields.item()?.ok_or(RestletError::Tx(inventory_domain::TxError::MissingField("Item")))
}

fn required_quantity(
    fields: &Fields<'_>,
    name: &'static str,
) -> Result<inventory_domain::Quantity, RestletError> {
    fields.quantity(name)?.ok_or_else(|| invalid_field(name, "null"))
}

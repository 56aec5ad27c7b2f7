//! Purchase orders and item receipts, sales orders and item fulfillments (scripts 103-106).

use fixture::HandlerKind;
use inventory_domain::{Applied, DocId, Document, Inventory, OrderLine, OrderTx, TxError};
use inventory_store::Store;
use serde_json::{Value, json};

use super::{required_item, required_quantity};
use crate::error::RestletError;
use crate::wire::{Fields, dec};

/// `{"externalId","location","items":[{"itemId"|"sku","quantity","location","rate"}]}`.
pub(super) fn decode_order(fields: &Fields<'_>) -> Result<OrderTx, RestletError> {
    let lines = super::items(fields)?
        .iter()
        .map(|line| {
            let line = Fields::new(line)?;
            Ok(OrderLine {
                item: required_item(&line)?,
                location: line.location("location")?,
                quantity: required_quantity(&line, "quantity")?,
                rate: line.quantity("rate")?,
            })
        })
        .collect::<Result<_, RestletError>>()?;
    Ok(OrderTx { location: fields.location("location")?, lines })
}

fn id_field(kind: HandlerKind) -> &'static str {
    match kind {
        HandlerKind::PurchaseOrder => "purchaseOrderId",
        HandlerKind::SalesOrder => "salesOrderId",
        HandlerKind::ItemReceipt => "itemReceiptId",
        _ => "itemFulfillmentId",
    }
}

pub(super) fn render_created(inv: &Inventory, kind: HandlerKind, applied: &[Applied]) -> Value {
    let id = applied[0].id();
    let mut out = json!({"success": true});
    out[id_field(kind)] = json!(id.0);
    if let Some(document) = super::document_after(inv, applied, id) {
        out["status"] = json!(document.status());
        out["lines"] = lines(document);
    }
    out
}

pub(super) fn render_step(inv: &Inventory, kind: HandlerKind, applied: &[Applied]) -> Value {
    let record = &applied[0].records[0];
    let source = record.source.expect("receipts and fulfillments have a source order");
    let mut out = json!({"success": true});
    out[id_field(kind)] = json!(record.id.0);
    out[if kind == HandlerKind::ItemReceipt { "purchaseOrderId" } else { "salesOrderId" }] =
        json!(source.0);
    out["lines"] = record
        .lines
        .iter()
        .map(|l| json!({"item": l.item.0, "location": l.location.0, "quantity": dec(l.quantity)}))
        .collect();
    if let Some(document) = super::document_after(inv, applied, source) {
        out["orderStatus"] = json!(document.status());
    }
    out
}

/// GET `?id=`: the order with its lines, open or closed.
pub(super) fn read(
    store: &Store,
    account: &str,
    kind: HandlerKind,
    input: &Value,
) -> Result<Value, RestletError> {
    let record_type =
        if kind == HandlerKind::PurchaseOrder { "purchaseorder" } else { "salesorder" };
    let id = Fields::new(input)?.id("id")?.ok_or(RestletError::MissingParam("id"))?;
    let document = store
        .document(account, DocId(id))
        .map_err(RestletError::internal)?
        .filter(|d| d.record_type() == record_type)
        .ok_or(TxError::UnknownRecord { record_type, id })?;
    Ok(
        json!({"id": id, "recordType": record_type, "status": document.status(), "lines": lines(&document)}),
    )
}

pub(super) fn lines(document: &Document) -> Value {
    let rate = |r: Option<rust_decimal::Decimal>| r.map_or(Value::Null, dec);
    match document {
        Document::PurchaseOrder { lines, .. } => lines
            .iter()
            .enumerate()
            .map(|(i, l)| json!({"line": i + 1, "item": l.item.0, "location": l.location.0, "quantity": dec(l.quantity),
                "quantityReceived": dec(l.received), "rate": rate(l.rate)}))
            .collect(),
        Document::SalesOrder { lines, .. } => lines
            .iter()
            .enumerate()
            .map(|(i, l)| json!({"line": i + 1, "item": l.item.0, "location": l.location.0, "quantity": dec(l.quantity),
                "quantityCommitted": dec(l.committed), "quantityBackOrdered": dec(l.back_ordered),
                "quantityFulfilled": dec(l.fulfilled), "rate": rate(l.rate)}))
            .collect(),
        Document::TransferOrder { lines, .. } => lines
            .iter()
            .enumerate()
            .map(|(i, l)| json!({"line": i + 1, "item": l.item.0, "quantity": dec(l.quantity),
                "quantityCommitted": dec(l.committed), "quantityBackOrdered": dec(l.back_ordered),
                "quantityShipped": dec(l.shipped), "quantityReceived": dec(l.received)}))
            .collect(),
        Document::Count { lines, .. } => lines
            .iter()
            .enumerate()
            .map(|(i, l)| json!({"line": i + 1, "item": l.item.0, "snapshotQuantity": dec(l.snapshot),
                "countQuantity": l.counted.map_or(Value::Null, dec), "variance": dec(l.variance())}))
            .collect(),
    }
}

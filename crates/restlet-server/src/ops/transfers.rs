//! Inventory transfers and transfer orders (scripts 107, 108).

use fixture::HandlerKind;
use inventory_domain::{Applied, Document, Inventory, TransferLine, TransferTx, Tx};
use serde_json::{Value, json};

use super::{required_item, required_quantity};
use crate::error::{RestletError, invalid_field};
use crate::wire::{Fields, dec};

/// `{"externalId","fromLocation","toLocation","items":[{"itemId"|"sku","quantity"}]}`.
pub(super) fn decode_transfer(fields: &Fields<'_>) -> Result<TransferTx, RestletError> {
    let lines = super::items(fields)?
        .iter()
        .map(|line| {
            let line = Fields::new(line)?;
            Ok(TransferLine {
                item: required_item(&line)?,
                quantity: required_quantity(&line, "quantity")?,
            })
        })
        .collect::<Result<_, RestletError>>()?;
    Ok(TransferTx {
        from: fields.location("fromLocation")?,
        to: fields.location("toLocation")?,
        lines,
    })
}

/// `{"action":"create"|"ship"|"receive", ...}`: create takes a transfer's fields; ship and
/// receive take `transferOrderId` (and optional `items` picks by `line`).
pub(super) fn decode_transfer_order(fields: &Fields<'_>) -> Result<Tx, RestletError> {
    match fields.string("action")?.unwrap_or("create") {
        "create" => Ok(Tx::TransferOrder(decode_transfer(fields)?)),
        "ship" => Ok(Tx::TransferOrderShip(super::step(fields, "transferOrderId")?)),
        "receive" => Ok(Tx::TransferOrderReceive(super::step(fields, "transferOrderId")?)),
        other => Err(invalid_field("action", other)),
    }
}

pub(super) fn render(inv: &Inventory, kind: HandlerKind, applied: &[Applied]) -> Value {
    let record = &applied[0].records[0];
    let lines: Vec<Value> = record
        .lines
        .iter()
        .map(|l| json!({"item": l.item.0, "location": l.location.0, "quantity": dec(l.quantity)}))
        .collect();
    if kind == HandlerKind::InventoryTransfer {
        return json!({"success": true, "transferId": record.id.0, "lines": lines});
    }
    let order = record.source.unwrap_or(record.id);
    let mut out = json!({"success": true, "transferOrderId": order.0, "action": record.action, "lines": lines});
    if record.source.is_some() {
        let key = if record.action == "ship" { "itemFulfillmentId" } else { "itemReceiptId" };
        out[key] = json!(record.id.0);
    }
    if let Some(document @ Document::TransferOrder { from, to, .. }) =
        super::document_after(inv, applied, order)
    {
        out["status"] = json!(document.status());
        out["fromLocation"] = json!(from.0);
        out["toLocation"] = json!(to.0);
    }
    out
}

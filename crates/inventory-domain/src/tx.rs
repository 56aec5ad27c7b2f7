//! Transaction inputs (what a request asks for), open documents (what stays open after it),
//! and what an applied transaction reports back.

use rust_decimal::Decimal;

use crate::{DocId, ItemId, ItemRef, LocationId, Quantity, TxError};

/// NetSuite allows at most this many item lines on one transaction (facts 6.2, adjustments).
pub const MAX_LINES: usize = 1000;

/// One inventory transaction or document step, as the domain applies it.
#[derive(Clone, Debug)]
pub enum Tx {
    Adjustment(AdjustmentTx),
    PurchaseOrder(OrderTx),
    ItemReceipt(OrderStepTx),
    SalesOrder(OrderTx),
    ItemFulfillment(OrderStepTx),
    Transfer(TransferTx),
    TransferOrder(TransferTx),
    TransferOrderShip(OrderStepTx),
    TransferOrderReceive(OrderStepTx),
    CountStart(CountStartTx),
    CountEnter(CountEnterTx),
    CountApprove(DocId),
    CountReject(DocId),
    /// Start, count and approve in one transaction: a location reconciled in one call.
    CountReconcile(CountReconcileTx),
}

impl Tx {
    /// The NetSuite record type this transaction creates or acts on; external ids are unique
    /// per record type (facts 7.1).
    pub fn record_type(&self) -> &'static str {
        match self {
            Tx::Adjustment(_) => "inventoryadjustment",
            Tx::PurchaseOrder(_) => "purchaseorder",
            Tx::ItemReceipt(_) | Tx::TransferOrderReceive(_) => "itemreceipt",
            Tx::SalesOrder(_) => "salesorder",
            Tx::ItemFulfillment(_) | Tx::TransferOrderShip(_) => "itemfulfillment",
            Tx::Transfer(_) => "inventorytransfer",
            Tx::TransferOrder(_) => "transferorder",
            Tx::CountStart(_)
            | Tx::CountEnter(_)
            | Tx::CountApprove(_)
            | Tx::CountReject(_)
            | Tx::CountReconcile(_) => "inventorycount",
        }
    }
}

/// An inventory adjustment: signed lines, each at its own location (facts 6.2).
#[derive(Clone, Debug)]
pub struct AdjustmentTx {
    /// The GL adjustment account; required by NetSuite ("Adjustment Account").
    pub account: Option<u64>,
    /// `adjLocation`: the default for lines that name no location.
    pub location: Option<LocationId>,
    /// Lines as decoded; a line that failed to decode carries its error, so that
    /// `allow_partial` can report it by index.
    pub lines: Vec<Result<AdjustmentLine, TxError>>,
    /// Skip invalid lines and report them instead of refusing the whole adjustment.
    pub allow_partial: bool,
}

#[derive(Clone, Debug)]
pub struct AdjustmentLine {
    pub item: ItemRef,
    pub location: Option<LocationId>,
    /// Signed, non-zero.
    pub quantity: Quantity,
    /// Estimated unit cost; only on positive lines.
    pub rate: Option<Quantity>,
}

/// A purchase order or sales order.
#[derive(Clone, Debug)]
pub struct OrderTx {
    /// Header location: the default for lines that name none.
    pub location: Option<LocationId>,
    pub lines: Vec<OrderLine>,
}

#[derive(Clone, Debug)]
pub struct OrderLine {
    pub item: ItemRef,
    pub location: Option<LocationId>,
    /// Positive.
    pub quantity: Quantity,
    pub rate: Option<Quantity>,
}

/// A step on an existing order: item receipt (PO), item fulfillment (SO), transfer order ship
/// or receive. `lines: None` takes every line that can be processed.
#[derive(Clone, Debug)]
pub struct OrderStepTx {
    pub order: DocId,
    pub lines: Option<Vec<LinePick>>,
}

/// Picks one line of an order, by 1-based line number or by item (the first open line of it).
#[derive(Clone, Debug)]
pub struct LinePick {
    pub line: LineSel,
    /// `None`: the whole quantity the step can take for that line.
    pub quantity: Option<Quantity>,
}

#[derive(Clone, Debug)]
pub enum LineSel {
    Line(usize),
    Item(ItemRef),
}

/// An inventory transfer (one step) or a transfer order (create).
#[derive(Clone, Debug)]
pub struct TransferTx {
    pub from: Option<LocationId>,
    pub to: Option<LocationId>,
    pub lines: Vec<TransferLine>,
}

#[derive(Clone, Debug)]
pub struct TransferLine {
    pub item: ItemRef,
    /// Positive.
    pub quantity: Quantity,
}

/// Start an inventory count at a location: the snapshot of on hand is taken now.
#[derive(Clone, Debug)]
pub struct CountStartTx {
    pub location: Option<LocationId>,
    /// Items to count; `None` counts every item with a stock row at the location.
    pub items: Option<Vec<ItemRef>>,
}

/// Enter counted quantities on a started count.
#[derive(Clone, Debug)]
pub struct CountEnterTx {
    pub count: DocId,
    pub counts: Vec<(ItemRef, Quantity)>,
    /// Mark the count completed (pending approval).
    pub complete: bool,
}

/// Count the given items at a location and approve at once.
#[derive(Clone, Debug)]
pub struct CountReconcileTx {
    pub location: Option<LocationId>,
    pub counts: Vec<(ItemRef, Quantity)>,
}

/// A purchase order line. `received <= quantity`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoLine {
    pub item: ItemId,
    pub location: LocationId,
    pub quantity: Decimal,
    pub received: Decimal,
    pub rate: Option<Decimal>,
}

/// A sales order line. `committed + back_ordered + fulfilled == quantity`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SoLine {
    pub item: ItemId,
    pub location: LocationId,
    pub quantity: Decimal,
    pub committed: Decimal,
    pub back_ordered: Decimal,
    pub fulfilled: Decimal,
    pub rate: Option<Decimal>,
}

/// A transfer order line; lines move whole (facts 6.2): `shipped` and `received` are each
/// zero or `quantity`, and `committed + back_ordered + shipped == quantity`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToLine {
    pub item: ItemId,
    pub quantity: Decimal,
    pub committed: Decimal,
    pub back_ordered: Decimal,
    pub shipped: Decimal,
    pub received: Decimal,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CountStatus {
    Started,
    Completed,
    Approved,
}

impl CountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CountStatus::Started => "started",
            CountStatus::Completed => "completed",
            CountStatus::Approved => "approved",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountLine {
    pub item: ItemId,
    /// On hand when the count started.
    pub snapshot: Decimal,
    pub counted: Option<Decimal>,
}

impl CountLine {
    /// Counted less snapshot; zero while uncounted.
    pub fn variance(&self) -> Decimal {
        self.counted.map_or(Decimal::ZERO, |counted| counted - self.snapshot)
    }
}

/// A transaction that stays open after it is created and is acted on later.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Document {
    PurchaseOrder { created_at: i64, lines: Vec<PoLine> },
    SalesOrder { created_at: i64, lines: Vec<SoLine> },
    TransferOrder { created_at: i64, from: LocationId, to: LocationId, lines: Vec<ToLine> },
    Count { created_at: i64, location: LocationId, status: CountStatus, lines: Vec<CountLine> },
}

impl Document {
    pub fn record_type(&self) -> &'static str {
        match self {
            Document::PurchaseOrder { .. } => "purchaseorder",
            Document::SalesOrder { .. } => "salesorder",
            Document::TransferOrder { .. } => "transferorder",
            Document::Count { .. } => "inventorycount",
        }
    }

    /// Whether nothing more can happen to it: a fully received PO or transfer order, a fully
    /// fulfilled SO, an approved count. Closed documents hold no quantity anywhere.
    pub fn is_closed(&self) -> bool {
        match self {
            Document::PurchaseOrder { lines, .. } => lines.iter().all(|l| l.received == l.quantity),
            Document::SalesOrder { lines, .. } => lines.iter().all(|l| l.fulfilled == l.quantity),
            Document::TransferOrder { lines, .. } => lines.iter().all(|l| l.received == l.quantity),
            Document::Count { status, .. } => *status == CountStatus::Approved,
        }
    }

    /// NetSuite's status name for the document as it stands.
    pub fn status(&self) -> &'static str {
        fn progress(
            done: Decimal,
            total: Decimal,
            none: &'static str,
            part: &'static str,
            all: &'static str,
        ) -> &'static str {
            if done.is_zero() {
                none
            } else if done < total {
                part
            } else {
                all
            }
        }
        match self {
            Document::PurchaseOrder { lines, .. } => progress(
                lines.iter().map(|l| l.received).sum(),
                lines.iter().map(|l| l.quantity).sum(),
                "Pending Receipt",
                "Partially Received",
                "Fully Received",
            ),
            Document::SalesOrder { lines, .. } => progress(
                lines.iter().map(|l| l.fulfilled).sum(),
                lines.iter().map(|l| l.quantity).sum(),
                "Pending Fulfillment",
                "Partially Fulfilled",
                "Pending Billing",
            ),
            Document::TransferOrder { lines, .. } => {
                let total: Decimal = lines.iter().map(|l| l.quantity).sum();
                let received: Decimal = lines.iter().map(|l| l.received).sum();
                let shipped: Decimal = lines.iter().map(|l| l.shipped).sum();
                if received == total {
                    "Received"
                } else if shipped == total {
                    "Pending Receipt"
                } else if shipped.is_zero() {
                    "Pending Fulfillment"
                } else {
                    "Partially Fulfilled"
                }
            }
            Document::Count { status, .. } => match status {
                CountStatus::Started => "Started",
                CountStatus::Completed => "Pending Approval",
                CountStatus::Approved => "Approved",
            },
        }
    }
}

/// One line as the applied record stores it in the audit trail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostedLine {
    /// Index of the request line it came from (zero-based).
    pub index: usize,
    pub item: ItemId,
    pub location: LocationId,
    /// The line's quantity: signed for adjustments, the moved or ordered quantity otherwise.
    pub quantity: Decimal,
    pub rate: Option<Decimal>,
}

/// One record written by an applied transaction (a count approval writes the count and up to
/// two adjustments).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostedRecord {
    pub id: DocId,
    pub record_type: &'static str,
    /// `create`, `ship`, `receive`, `count`, `approve`, `reject`.
    pub action: &'static str,
    /// The order or count the record was made from.
    pub source: Option<DocId>,
    pub lines: Vec<PostedLine>,
}

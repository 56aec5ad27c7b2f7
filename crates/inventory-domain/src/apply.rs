//! Applying one transaction to an account: all of it, or nothing.
//!
//! Every mutation goes through a `Session`, which logs the prior value of each level and
//! document it touches; a refused transaction is rolled back from that log before `apply`
//! returns, and an applied one can still be undone (when the store fails to persist it).

use std::collections::HashSet;

use rust_decimal::Decimal;

use crate::{
    AdjustmentTx, CountEnterTx, CountLine, CountStartTx, CountStatus, DocId, Document, Inventory,
    ItemId, ItemRef, LinePick, LineSel, LocationId, NegativeInventory, OrderStepTx, OrderTx,
    PoLine, PostedLine, PostedRecord, SoLine, ToLine, TransferTx, Tx, TxError, tx::MAX_LINES,
};

type Key = (ItemId, LocationId);
/// Records written and lines skipped (by request line index).
type RunResult = Result<(Vec<PostedRecord>, Vec<(usize, TxError)>), TxError>;
/// A validated order line: item, location, quantity, rate.
type ValidLine = (ItemId, LocationId, Decimal, Option<Decimal>);

/// What an applied transaction wrote.
#[derive(Debug)]
pub struct Applied {
    /// The records written, main record first.
    pub records: Vec<PostedRecord>,
    /// Lines skipped under `allow_partial`, by request line index.
    pub rejected: Vec<(usize, TxError)>,
    /// Levels whose stored value changed (their new value is in the inventory).
    pub changed_levels: Vec<(ItemId, LocationId)>,
    /// Documents created or changed.
    pub changed_documents: Vec<DocId>,
    /// Documents closed by this transaction and evicted from memory, in their final state.
    pub closed: Vec<(DocId, Document)>,
    undo: Undo,
}

impl Applied {
    /// The internal id of the main record.
    pub fn id(&self) -> DocId {
        self.records[0].id
    }
}

#[derive(Debug, Default)]
struct Undo {
    levels: Vec<(Key, Option<crate::Level>)>,
    documents: Vec<(DocId, Option<Document>)>,
    next_id: u64,
}

impl Inventory {
    /// Applies `tx` at time `now` (Unix milliseconds). On `Err` nothing changed.
    pub fn apply(&mut self, tx: Tx, now: i64) -> Result<Applied, TxError> {
        let mut session = Session::new(self);
        match session.run(tx, now) {
            Ok((records, rejected)) => Ok(session.finish(records, rejected)),
            Err(err) => {
                let undo = session.undo;
                self.rollback(undo);
                Err(err)
            }
        }
    }

    /// Reverts an applied transaction; valid only while it is the newest one applied.
    pub fn undo(&mut self, applied: Applied) {
        self.rollback(applied.undo);
    }

    fn rollback(&mut self, undo: Undo) {
        for (key, level) in undo.levels.into_iter().rev() {
            match level {
                Some(level) => self.levels.insert(key, level),
                None => self.levels.remove(&key),
            };
        }
        for (id, document) in undo.documents.into_iter().rev() {
            match document {
                Some(document) => self.documents.insert(id, document),
                None => self.documents.remove(&id),
            };
            self.refresh_backordered(id);
        }
        self.next_id = undo.next_id;
    }
}

struct Session<'a> {
    inv: &'a mut Inventory,
    undo: Undo,
    seen_levels: HashSet<Key>,
    seen_documents: HashSet<DocId>,
}

impl<'a> Session<'a> {
    fn new(inv: &'a mut Inventory) -> Session<'a> {
        let next_id = inv.next_id;
        Session {
            inv,
            undo: Undo { next_id, ..Undo::default() },
            seen_levels: HashSet::new(),
            seen_documents: HashSet::new(),
        }
    }

    fn finish(mut self, records: Vec<PostedRecord>, rejected: Vec<(usize, TxError)>) -> Applied {
        if self.inv.settings.auto_commit {
            let keys: Vec<Key> = self.undo.levels.iter().map(|(key, _)| *key).collect();
            for key in keys {
                self.allocate(key);
            }
        }
        // Zero levels are not stored; drop them so the map stays the set of non-zero rows.
        for (key, _) in &self.undo.levels {
            if self.inv.levels.get(key).is_some_and(|level| level.is_zero()) {
                self.inv.levels.remove(key);
            }
        }
        let mut closed = Vec::new();
        for (id, _) in &self.undo.documents {
            if self.inv.evict_closed && self.inv.documents.get(id).is_some_and(Document::is_closed)
            {
                closed.push((*id, self.inv.documents.remove(id).expect("checked above")));
            }
            self.inv.refresh_backordered(*id);
        }
        Applied {
            records,
            rejected,
            changed_levels: self.undo.levels.iter().map(|(key, _)| *key).collect(),
            changed_documents: self.undo.documents.iter().map(|(id, _)| *id).collect(),
            closed,
            undo: self.undo,
        }
    }

    fn run(&mut self, tx: Tx, now: i64) -> RunResult {
        let mut rejected = Vec::new();
        let records = match tx {
            Tx::Adjustment(tx) => vec![self.adjustment(tx, &mut rejected)?],
            Tx::PurchaseOrder(tx) => vec![self.purchase_order(tx, now)?],
            Tx::ItemReceipt(tx) => vec![self.item_receipt(tx)?],
            Tx::SalesOrder(tx) => vec![self.sales_order(tx, now)?],
            Tx::ItemFulfillment(tx) => vec![self.item_fulfillment(tx)?],
            Tx::Transfer(tx) => vec![self.transfer(tx)?],
            Tx::TransferOrder(tx) => vec![self.transfer_order(tx, now)?],
            Tx::TransferOrderShip(tx) => vec![self.transfer_order_ship(tx)?],
            Tx::TransferOrderReceive(tx) => vec![self.transfer_order_receive(tx)?],
            Tx::CountStart(tx) => vec![self.count_start(tx, now)?],
            Tx::CountEnter(tx) => vec![self.count_enter(tx)?],
            Tx::CountApprove(id) => self.count_approve(id)?,
            Tx::CountReject(id) => vec![self.count_reject(id)?],
            Tx::CountReconcile(tx) => {
                let items = tx.counts.iter().map(|(item, _)| item.clone()).collect();
                let start = CountStartTx { location: tx.location, items: Some(items) };
                let started = self.count_start(start, now)?;
                let count = started.id;
                let enter = CountEnterTx { count, counts: tx.counts, complete: true };
                let counted = self.count_enter(enter)?;
                let mut records = vec![started, counted];
                records.extend(self.count_approve(count)?);
                records
            }
        };
        Ok((records, rejected))
    }

    // ---- primitives: every mutation goes through these ----

    fn level_mut(&mut self, key: Key) -> &mut crate::Level {
        if self.seen_levels.insert(key) {
            self.undo.levels.push((key, self.inv.levels.get(&key).copied()));
        }
        self.inv.levels.entry(key).or_default()
    }

    fn document_mut(&mut self, id: DocId) -> &mut Document {
        if self.seen_documents.insert(id) {
            self.undo.documents.push((id, self.inv.documents.get(&id).cloned()));
        }
        self.inv.documents.get_mut(&id).expect("callers check that the document exists")
    }

    fn insert_document(&mut self, id: DocId, document: Document) {
        if self.seen_documents.insert(id) {
            self.undo.documents.push((id, None));
        }
        self.inv.documents.insert(id, document);
    }

    fn new_id(&mut self) -> DocId {
        let id = DocId(self.inv.next_id);
        self.inv.next_id += 1;
        id
    }

    /// Adds `delta` to on hand; in `block` mode refuses to take it below zero (contract 5).
    fn move_on_hand(&mut self, key: Key, delta: Decimal) -> Result<(), TxError> {
        let on_hand = self.inv.level(key.0, key.1).on_hand;
        if delta.is_sign_negative()
            && on_hand + delta < Decimal::ZERO
            && self.inv.settings.negative_inventory == NegativeInventory::Block
        {
            return Err(TxError::Insufficient {
                item: key.0,
                location: key.1,
                available: on_hand.max(Decimal::ZERO),
            });
        }
        self.level_mut(key).on_hand += delta;
        Ok(())
    }

    /// Commits newly available stock to back-ordered lines at `key`, oldest order first
    /// (NetSuite's "Perform Item Commitment After Transaction Entry" with transaction-date order).
    fn allocate(&mut self, key: Key) {
        let orders: Vec<DocId> = self.inv.backordered.iter().copied().collect();
        for id in orders {
            let available = self.inv.level(key.0, key.1).available();
            if available.is_zero() {
                return;
            }
            let lines: Vec<(usize, Decimal)> = match &self.inv.documents[&id] {
                Document::SalesOrder { lines, .. } => lines
                    .iter()
                    .enumerate()
                    .filter(|(_, line)| (line.item, line.location) == key)
                    .map(|(i, line)| (i, line.back_ordered))
                    .collect(),
                Document::TransferOrder { from, lines, .. } if *from == key.1 => lines
                    .iter()
                    .enumerate()
                    .filter(|(_, line)| line.item == key.0)
                    .map(|(i, line)| (i, line.back_ordered))
                    .collect(),
                _ => continue,
            };
            for (i, back_ordered) in lines {
                let available = self.inv.level(key.0, key.1).available();
                let take = back_ordered.min(available);
                if take.is_zero() {
                    continue;
                }
                match self.document_mut(id) {
                    Document::SalesOrder { lines, .. } => {
                        lines[i].committed += take;
                        lines[i].back_ordered -= take;
                    }
                    Document::TransferOrder { lines, .. } => {
                        lines[i].committed += take;
                        lines[i].back_ordered -= take;
                    }
                    _ => unreachable!("filtered above"),
                }
                let level = self.level_mut(key);
                level.committed += take;
                level.back_ordered -= take;
            }
        }
    }

    // ---- lookups ----

    fn item(&self, item: &ItemRef) -> Result<ItemId, TxError> {
        self.inv.resolve_item(item)
    }

    fn location(
        &self,
        location: Option<LocationId>,
        field: &'static str,
    ) -> Result<LocationId, TxError> {
        let location = location.ok_or(TxError::MissingField(field))?;
        if self.inv.locations.contains_key(&location) {
            Ok(location)
        } else {
            Err(TxError::UnknownLocation(location.0))
        }
    }

    fn check_line_count(n: usize) -> Result<(), TxError> {
        match n {
            0 => Err(TxError::NoLines),
            n if n > MAX_LINES => Err(TxError::TooManyLines { max: MAX_LINES }),
            _ => Ok(()),
        }
    }

    fn positive(quantity: crate::Quantity, field: &'static str) -> Result<Decimal, TxError> {
        if quantity.is_positive() {
            Ok(quantity.get())
        } else {
            Err(TxError::InvalidField { field, value: quantity.to_string() })
        }
    }

    fn record(
        id: DocId,
        record_type: &'static str,
        action: &'static str,
        source: Option<DocId>,
        lines: Vec<PostedLine>,
    ) -> PostedRecord {
        PostedRecord { id, record_type, action, source, lines }
    }

    // ---- transactions ----

    fn adjustment(
        &mut self,
        tx: AdjustmentTx,
        rejected: &mut Vec<(usize, TxError)>,
    ) -> Result<PostedRecord, TxError> {
        Self::check_line_count(tx.lines.len())?;
        if tx.account.is_none() {
            return Err(TxError::MissingField("Adjustment Account"));
        }
        if let Some(location) = tx.location {
            self.location(Some(location), "Adjustment Location")?;
        }
        let mut posted = Vec::new();
        let mut first_error = None;
        for (index, line) in tx.lines.into_iter().enumerate() {
            let result = line.and_then(|line| {
                let item = self.item(&line.item)?;
                let location = self.location(line.location.or(tx.location), "Location")?;
                let quantity = line.quantity.get();
                if quantity.is_zero() {
                    return Err(TxError::InvalidField { field: "adjustqtyby", value: "0".into() });
                }
                let rate = match line.rate {
                    Some(rate) if quantity.is_sign_negative() => {
                        return Err(TxError::InvalidField {
                            field: "unitcost",
                            value: rate.to_string(),
                        });
                    }
                    Some(rate) => Some(Self::positive(rate, "unitcost")?),
                    None => None,
                };
                self.move_on_hand((item, location), quantity)?;
                Ok(PostedLine { index, item, location, quantity, rate })
            });
            match result {
                Ok(line) => posted.push(line),
                Err(err) if tx.allow_partial => {
                    first_error.get_or_insert_with(|| err.clone());
                    rejected.push((index, err));
                }
                Err(err) => return Err(err),
            }
        }
        if posted.is_empty() {
            return Err(first_error.unwrap_or(TxError::NoLines));
        }
        Ok(Self::record(self.new_id(), "inventoryadjustment", "create", None, posted))
    }

    fn order_lines(&self, tx: &OrderTx) -> Result<Vec<ValidLine>, TxError> {
        Self::check_line_count(tx.lines.len())?;
        if let Some(location) = tx.location {
            self.location(Some(location), "Location")?;
        }
        tx.lines
            .iter()
            .map(|line| {
                let item = self.item(&line.item)?;
                let location = self.location(line.location.or(tx.location), "Location")?;
                let quantity = Self::positive(line.quantity, "quantity")?;
                let rate = line.rate.map(|rate| rate.get());
                Ok((item, location, quantity, rate))
            })
            .collect()
    }

    fn purchase_order(&mut self, tx: OrderTx, now: i64) -> Result<PostedRecord, TxError> {
        let lines = self.order_lines(&tx)?;
        let id = self.new_id();
        let mut posted = Vec::new();
        let mut po_lines = Vec::new();
        for (index, (item, location, quantity, rate)) in lines.into_iter().enumerate() {
            self.level_mut((item, location)).on_order += quantity;
            po_lines.push(PoLine { item, location, quantity, received: Decimal::ZERO, rate });
            posted.push(PostedLine { index, item, location, quantity, rate });
        }
        self.insert_document(id, Document::PurchaseOrder { created_at: now, lines: po_lines });
        Ok(Self::record(id, "purchaseorder", "create", None, posted))
    }

    fn sales_order(&mut self, tx: OrderTx, now: i64) -> Result<PostedRecord, TxError> {
        let lines = self.order_lines(&tx)?;
        let id = self.new_id();
        let mut posted = Vec::new();
        let mut so_lines = Vec::new();
        for (index, (item, location, quantity, rate)) in lines.into_iter().enumerate() {
            let level = self.level_mut((item, location));
            let committed = quantity.min(level.available());
            level.committed += committed;
            level.back_ordered += quantity - committed;
            so_lines.push(SoLine {
                item,
                location,
                quantity,
                committed,
                back_ordered: quantity - committed,
                fulfilled: Decimal::ZERO,
                rate,
            });
            posted.push(PostedLine { index, item, location, quantity, rate });
        }
        self.insert_document(id, Document::SalesOrder { created_at: now, lines: so_lines });
        Ok(Self::record(id, "salesorder", "create", None, posted))
    }

    /// Resolves a pick to a zero-based line index of `items` (one entry per order line, with
    /// whether that line is still open for this step).
    fn pick_line(&self, pick: &LineSel, lines: &[(ItemId, bool)]) -> Result<usize, TxError> {
        match pick {
            LineSel::Line(n) if *n >= 1 && *n <= lines.len() => Ok(n - 1),
            LineSel::Line(n) => Err(TxError::UnknownLine { line: *n }),
            LineSel::Item(item) => {
                let item_id = self.item(item)?;
                lines
                    .iter()
                    .position(|(id, open)| *id == item_id && *open)
                    .or_else(|| lines.iter().position(|(id, _)| *id == item_id))
                    .ok_or_else(|| TxError::InvalidField { field: "item", value: item.to_string() })
            }
        }
    }

    fn purchase_order_lines(&self, id: DocId) -> Result<&Vec<PoLine>, TxError> {
        match self.inv.documents.get(&id) {
            Some(Document::PurchaseOrder { lines, .. }) => Ok(lines),
            _ => Err(TxError::UnknownRecord { record_type: "purchaseorder", id: id.0 }),
        }
    }

    fn item_receipt(&mut self, tx: OrderStepTx) -> Result<PostedRecord, TxError> {
        let lines = self.purchase_order_lines(tx.order)?;
        if lines.iter().all(|line| line.received == line.quantity) {
            return Err(TxError::InvalidInitializeRef { record_type: "itemreceipt", id: tx.order });
        }
        let picks: Vec<(usize, Option<Decimal>)> = match &tx.lines {
            None => (0..lines.len())
                .filter(|i| lines[*i].received < lines[*i].quantity)
                .map(|i| (i, None))
                .collect(),
            Some(picks) => {
                Self::check_line_count(picks.len())?;
                let open: Vec<(ItemId, bool)> =
                    lines.iter().map(|line| (line.item, line.received < line.quantity)).collect();
                picks
                    .iter()
                    .map(|pick| {
                        Ok((self.pick_line(&pick.line, &open)?, Self::pick_quantity(pick)?))
                    })
                    .collect::<Result<_, TxError>>()?
            }
        };
        let id = self.new_id();
        let mut posted = Vec::new();
        for (index, (i, quantity)) in picks.into_iter().enumerate() {
            let Document::PurchaseOrder { lines, .. } = self.document_mut(tx.order) else {
                unreachable!("checked above")
            };
            let line = &mut lines[i];
            let remaining = line.quantity - line.received;
            let quantity = quantity.unwrap_or(remaining);
            if quantity > remaining || quantity.is_zero() {
                return Err(TxError::OverReceipt { order: tx.order, line: i + 1, remaining });
            }
            line.received += quantity;
            let (key, rate) = ((line.item, line.location), line.rate);
            let level = self.level_mut(key);
            level.on_order -= quantity;
            level.on_hand += quantity;
            posted.push(PostedLine { index, item: key.0, location: key.1, quantity, rate });
        }
        Ok(Self::record(id, "itemreceipt", "create", Some(tx.order), posted))
    }

    fn pick_quantity(pick: &LinePick) -> Result<Option<Decimal>, TxError> {
        pick.quantity.map(|quantity| Self::positive(quantity, "quantity")).transpose()
    }

    fn item_fulfillment(&mut self, tx: OrderStepTx) -> Result<PostedRecord, TxError> {
        let lines = match self.inv.documents.get(&tx.order) {
            Some(Document::SalesOrder { lines, .. }) => lines,
            _ => return Err(TxError::UnknownRecord { record_type: "salesorder", id: tx.order.0 }),
        };
        if lines.iter().all(|line| line.fulfilled == line.quantity) {
            return Err(TxError::InvalidInitializeRef {
                record_type: "itemfulfillment",
                id: tx.order,
            });
        }
        let picks: Vec<(usize, Option<Decimal>)> = match &tx.lines {
            None => {
                let picks: Vec<_> = (0..lines.len())
                    .filter(|i| !lines[*i].committed.is_zero())
                    .map(|i| (i, None))
                    .collect();
                if picks.is_empty() {
                    return Err(TxError::NoLines);
                }
                picks
            }
            Some(picks) => {
                Self::check_line_count(picks.len())?;
                let open: Vec<(ItemId, bool)> =
                    lines.iter().map(|line| (line.item, line.fulfilled < line.quantity)).collect();
                picks
                    .iter()
                    .map(|pick| {
                        Ok((self.pick_line(&pick.line, &open)?, Self::pick_quantity(pick)?))
                    })
                    .collect::<Result<_, TxError>>()?
            }
        };
        let id = self.new_id();
        let mut posted = Vec::new();
        for (index, (i, quantity)) in picks.into_iter().enumerate() {
            let Document::SalesOrder { lines, .. } = self.document_mut(tx.order) else {
                unreachable!("checked above")
            };
            let line = &mut lines[i];
            let remaining = line.quantity - line.fulfilled;
            let quantity = quantity.unwrap_or(line.committed);
            if quantity > remaining {
                return Err(TxError::OverFulfill { order: tx.order, line: i + 1, remaining });
            }
            if quantity > line.committed || quantity.is_zero() {
                return Err(TxError::BeyondCommitted {
                    order: tx.order,
                    line: i + 1,
                    committed: line.committed,
                });
            }
            line.committed -= quantity;
            line.fulfilled += quantity;
            let (key, rate) = ((line.item, line.location), line.rate);
            self.level_mut(key).committed -= quantity;
            self.move_on_hand(key, -quantity)?;
            posted.push(PostedLine { index, item: key.0, location: key.1, quantity, rate });
        }
        Ok(Self::record(id, "itemfulfillment", "create", Some(tx.order), posted))
    }

    fn transfer_header(&self, tx: &TransferTx) -> Result<(LocationId, LocationId), TxError> {
        let from = self.location(tx.from, "From Location")?;
        let to = self.location(tx.to, "To Location")?;
        if from == to {
            return Err(TxError::InvalidField { field: "transferlocation", value: to.to_string() });
        }
        Self::check_line_count(tx.lines.len())?;
        Ok((from, to))
    }

    fn transfer(&mut self, tx: TransferTx) -> Result<PostedRecord, TxError> {
        let (from, to) = self.transfer_header(&tx)?;
        let mut posted = Vec::new();
        for (index, line) in tx.lines.iter().enumerate() {
            let item = self.item(&line.item)?;
            let quantity = Self::positive(line.quantity, "adjustqtyby")?;
            self.move_on_hand((item, from), -quantity)?;
            self.level_mut((item, to)).on_hand += quantity;
            posted.push(PostedLine { index, item, location: from, quantity, rate: None });
        }
        let id = self.new_id();
        Ok(Self::record(id, "inventorytransfer", "create", None, posted))
    }

    fn transfer_order(&mut self, tx: TransferTx, now: i64) -> Result<PostedRecord, TxError> {
        let (from, to) = self.transfer_header(&tx)?;
        let id = self.new_id();
        let mut posted = Vec::new();
        let mut to_lines = Vec::new();
        for (index, line) in tx.lines.iter().enumerate() {
            let item = self.item(&line.item)?;
            let quantity = Self::positive(line.quantity, "quantity")?;
            // "Only available stock can be committed to transfer orders" (facts 6.2).
            let source = self.level_mut((item, from));
            let committed = quantity.min(source.available());
            source.committed += committed;
            source.back_ordered += quantity - committed;
            self.level_mut((item, to)).on_order += quantity;
            to_lines.push(ToLine {
                item,
                quantity,
                committed,
                back_ordered: quantity - committed,
                shipped: Decimal::ZERO,
                received: Decimal::ZERO,
            });
            posted.push(PostedLine { index, item, location: from, quantity, rate: None });
        }
        self.insert_document(
            id,
            Document::TransferOrder { created_at: now, from, to, lines: to_lines },
        );
        Ok(Self::record(id, "transferorder", "create", None, posted))
    }

    fn transfer_order_doc(
        &self,
        id: DocId,
    ) -> Result<(LocationId, LocationId, &Vec<ToLine>), TxError> {
        match self.inv.documents.get(&id) {
            Some(Document::TransferOrder { from, to, lines, .. }) => Ok((*from, *to, lines)),
            _ => Err(TxError::UnknownRecord { record_type: "transferorder", id: id.0 }),
        }
    }

    /// Checks that a pick of a transfer order line takes the whole line (facts 6.2).
    fn whole_line(
        i: usize,
        quantity: Option<Decimal>,
        line_quantity: Decimal,
    ) -> Result<(), TxError> {
        match quantity {
            Some(q) if q < line_quantity => {
                Err(TxError::PartialTransferLine { line: i + 1, quantity: line_quantity })
            }
            Some(q) if q > line_quantity => {
                Err(TxError::OverTransferLine { line: i + 1, quantity: line_quantity })
            }
            _ => Ok(()),
        }
    }

    fn transfer_order_ship(&mut self, tx: OrderStepTx) -> Result<PostedRecord, TxError> {
        let (from, _, lines) = self.transfer_order_doc(tx.order)?;
        if lines.iter().all(|line| !line.shipped.is_zero()) {
            return Err(TxError::InvalidInitializeRef {
                record_type: "itemfulfillment",
                id: tx.order,
            });
        }
        let picks: Vec<usize> = match &tx.lines {
            None => {
                let unshipped: Vec<usize> =
                    (0..lines.len()).filter(|i| lines[*i].shipped.is_zero()).collect();
                let ready: Vec<usize> = unshipped
                    .iter()
                    .copied()
                    .filter(|i| lines[*i].committed == lines[*i].quantity)
                    .collect();
                if ready.is_empty() {
                    let i = unshipped[0];
                    return Err(TxError::BeyondCommitted {
                        order: tx.order,
                        line: i + 1,
                        committed: lines[i].committed,
                    });
                }
                ready
            }
            Some(picks) => {
                Self::check_line_count(picks.len())?;
                let open: Vec<(ItemId, bool)> =
                    lines.iter().map(|line| (line.item, line.shipped.is_zero())).collect();
                let mut chosen = Vec::new();
                for pick in picks {
                    let i = self.pick_line(&pick.line, &open)?;
                    let line = &lines[i];
                    if !line.shipped.is_zero() || chosen.contains(&i) {
                        return Err(TxError::OverTransferLine {
                            line: i + 1,
                            quantity: line.quantity,
                        });
                    }
                    Self::whole_line(i, Self::pick_quantity(pick)?, line.quantity)?;
                    if line.committed < line.quantity {
                        return Err(TxError::BeyondCommitted {
                            order: tx.order,
                            line: i + 1,
                            committed: line.committed,
                        });
                    }
                    chosen.push(i);
                }
                chosen
            }
        };
        let id = self.new_id();
        let mut posted = Vec::new();
        for (index, i) in picks.into_iter().enumerate() {
            let Document::TransferOrder { lines, .. } = self.document_mut(tx.order) else {
                unreachable!("checked above")
            };
            let line = &mut lines[i];
            let (item, quantity) = (line.item, line.quantity);
            line.shipped = quantity;
            line.committed = Decimal::ZERO;
            self.level_mut((item, from)).committed -= quantity;
            self.move_on_hand((item, from), -quantity)?;
            self.level_mut((item, from)).in_transit += quantity;
            posted.push(PostedLine { index, item, location: from, quantity, rate: None });
        }
        Ok(Self::record(id, "itemfulfillment", "ship", Some(tx.order), posted))
    }

    fn transfer_order_receive(&mut self, tx: OrderStepTx) -> Result<PostedRecord, TxError> {
        let (from, to, lines) = self.transfer_order_doc(tx.order)?;
        if lines.iter().all(|line| line.received == line.quantity) {
            return Err(TxError::InvalidInitializeRef { record_type: "itemreceipt", id: tx.order });
        }
        let in_transit = |line: &ToLine| !line.shipped.is_zero() && line.received.is_zero();
        let picks: Vec<usize> = match &tx.lines {
            None => {
                let picks: Vec<usize> =
                    (0..lines.len()).filter(|i| in_transit(&lines[*i])).collect();
                if picks.is_empty() {
                    let i = lines.iter().position(|line| line.shipped.is_zero()).unwrap_or(0);
                    return Err(TxError::ReceiveMoreThanShipped { line: i + 1 });
                }
                picks
            }
            Some(picks) => {
                Self::check_line_count(picks.len())?;
                let open: Vec<(ItemId, bool)> =
                    lines.iter().map(|line| (line.item, in_transit(line))).collect();
                let mut chosen = Vec::new();
                for pick in picks {
                    let i = self.pick_line(&pick.line, &open)?;
                    let line = &lines[i];
                    let quantity = Self::pick_quantity(pick)?;
                    if line.shipped.is_zero() || quantity.is_some_and(|q| q > line.shipped) {
                        return Err(TxError::ReceiveMoreThanShipped { line: i + 1 });
                    }
                    if !line.received.is_zero() || chosen.contains(&i) {
                        return Err(TxError::OverTransferLine {
                            line: i + 1,
                            quantity: line.quantity,
                        });
                    }
                    Self::whole_line(i, quantity, line.shipped)?;
                    chosen.push(i);
                }
                chosen
            }
        };
        let id = self.new_id();
        let mut posted = Vec::new();
        for (index, i) in picks.into_iter().enumerate() {
            let Document::TransferOrder { lines, .. } = self.document_mut(tx.order) else {
                unreachable!("checked above")
            };
            let line = &mut lines[i];
            let (item, quantity) = (line.item, line.shipped);
            line.received = quantity;
            self.level_mut((item, from)).in_transit -= quantity;
            let destination = self.level_mut((item, to));
            destination.on_order -= quantity;
            destination.on_hand += quantity;
            posted.push(PostedLine { index, item, location: to, quantity, rate: None });
        }
        Ok(Self::record(id, "itemreceipt", "receive", Some(tx.order), posted))
    }

    fn count_start(&mut self, tx: CountStartTx, now: i64) -> Result<PostedRecord, TxError> {
        let location = self.location(tx.location, "Location")?;
        let mut items: Vec<ItemId> = match &tx.items {
            Some(refs) => refs.iter().map(|item| self.item(item)).collect::<Result<_, _>>()?,
            None => self
                .inv
                .levels
                .iter()
                .filter(|((_, loc), level)| *loc == location && !level.on_hand.is_zero())
                .map(|((item, _), _)| *item)
                .collect(),
        };
        items.sort();
        items.dedup();
        Self::check_line_count(items.len())?;
        let lines: Vec<CountLine> = items
            .iter()
            .map(|item| CountLine {
                item: *item,
                snapshot: self.inv.level(*item, location).on_hand,
                counted: None,
            })
            .collect();
        let posted = lines
            .iter()
            .enumerate()
            .map(|(index, line)| PostedLine {
                index,
                item: line.item,
                location,
                quantity: line.snapshot,
                rate: None,
            })
            .collect();
        let id = self.new_id();
        self.insert_document(
            id,
            Document::Count { created_at: now, location, status: CountStatus::Started, lines },
        );
        Ok(Self::record(id, "inventorycount", "create", None, posted))
    }

    fn count_doc(&self, id: DocId) -> Result<(LocationId, CountStatus, &Vec<CountLine>), TxError> {
        match self.inv.documents.get(&id) {
            Some(Document::Count { location, status, lines, .. }) => {
                Ok((*location, *status, lines))
            }
            _ => Err(TxError::UnknownRecord { record_type: "inventorycount", id: id.0 }),
        }
    }

    fn count_enter(&mut self, tx: CountEnterTx) -> Result<PostedRecord, TxError> {
        let (location, status, lines) = self.count_doc(tx.count)?;
        if status != CountStatus::Started {
            return Err(TxError::InvalidState(format!(
                "Inventory count {} is {}; counts can only be entered while it is started.",
                tx.count,
                status.as_str()
            )));
        }
        Self::check_line_count(tx.counts.len())?;
        let mut entries = Vec::new();
        for (item, quantity) in &tx.counts {
            let item_id = self.item(item)?;
            let i = lines.iter().position(|line| line.item == item_id).ok_or_else(|| {
                TxError::InvalidState(format!(
                    "Item {item} is not on inventory count {}.",
                    tx.count
                ))
            })?;
            if quantity.get().is_sign_negative() {
                return Err(TxError::InvalidField {
                    field: "countquantity",
                    value: quantity.to_string(),
                });
            }
            entries.push((i, quantity.get()));
        }
        let Document::Count { lines, status, .. } = self.document_mut(tx.count) else {
            unreachable!("checked above")
        };
        let mut posted = Vec::new();
        for (index, (i, quantity)) in entries.into_iter().enumerate() {
            lines[i].counted = Some(quantity);
            posted.push(PostedLine { index, item: lines[i].item, location, quantity, rate: None });
        }
        if tx.complete {
            *status = CountStatus::Completed;
        }
        Ok(Self::record(tx.count, "inventorycount", "count", None, posted))
    }

    /// Approves a count: the variance of each counted line moves on hand, posted as up to two
    /// adjustments, one positive and one negative (facts 6.2).
    fn count_approve(&mut self, id: DocId) -> Result<Vec<PostedRecord>, TxError> {
        let (location, status, lines) = self.count_doc(id)?;
        if status == CountStatus::Approved {
            return Err(TxError::InvalidState(format!(
                "Inventory count {id} is already approved."
            )));
        }
        let variances: Vec<(usize, ItemId, Decimal)> = lines
            .iter()
            .enumerate()
            .filter(|(_, line)| !line.variance().is_zero())
            .map(|(index, line)| (index, line.item, line.variance()))
            .collect();
        let mut positive = Vec::new();
        let mut negative = Vec::new();
        let mut count_lines = Vec::new();
        for (index, item, variance) in variances {
            let result = self.inv.level(item, location).on_hand + variance;
            if result.is_sign_negative() && !result.is_zero() {
                return Err(TxError::CountWouldGoNegative { item, location, result });
            }
            self.level_mut((item, location)).on_hand += variance;
            let line = PostedLine { index, item, location, quantity: variance, rate: None };
            count_lines.push(line.clone());
            if variance.is_sign_positive() { positive.push(line) } else { negative.push(line) }
        }
        let Document::Count { status, .. } = self.document_mut(id) else {
            unreachable!("checked above")
        };
        *status = CountStatus::Approved;
        let mut records = vec![Self::record(id, "inventorycount", "approve", None, count_lines)];
        for lines in [positive, negative] {
            if !lines.is_empty() {
                let adjustment = self.new_id();
                records.push(Self::record(
                    adjustment,
                    "inventoryadjustment",
                    "create",
                    Some(id),
                    lines,
                ));
            }
        }
        Ok(records)
    }

    /// Rejects a count back to started; the snapshot is taken again and the counts cleared
    /// (NetSuite's "Recalculate Snapshot" behaviour).
    fn count_reject(&mut self, id: DocId) -> Result<PostedRecord, TxError> {
        let (location, status, _) = self.count_doc(id)?;
        if status != CountStatus::Completed {
            return Err(TxError::InvalidState(format!(
                "Inventory count {id} is {}; only a completed count can be rejected.",
                status.as_str()
            )));
        }
        let snapshots: Vec<Decimal> = match &self.inv.documents[&id] {
            Document::Count { lines, .. } => {
                lines.iter().map(|line| self.inv.level(line.item, location).on_hand).collect()
            }
            _ => unreachable!("checked above"),
        };
        let Document::Count { lines, status, .. } = self.document_mut(id) else {
            unreachable!("checked above")
        };
        *status = CountStatus::Started;
        let mut posted = Vec::new();
        for (index, (line, snapshot)) in lines.iter_mut().zip(snapshots).enumerate() {
            line.snapshot = snapshot;
            line.counted = None;
            posted.push(PostedLine {
                index,
                item: line.item,
                location,
                quantity: snapshot,
                rate: None,
            });
        }
        Ok(Self::record(id, "inventorycount", "reject", None, posted))
    }
}

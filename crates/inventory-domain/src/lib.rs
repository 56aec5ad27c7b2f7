//! NetSuite's multi-location inventory model: items, locations, per-location stock levels,
//! open documents (purchase, sales and transfer orders, counts) and the transactions that move
//! them, with NetSuite's rules and error codes.
//!
//! Pure: no clock (time is passed in), no I/O, no async, no SQL, no serialization. The store
//! persists what [`Applied`] says changed; the server decodes wire JSON into [`Tx`].

mod apply;
mod error;
mod tx;
mod types;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, HashMap};

pub use apply::Applied;
pub use error::TxError;
pub use tx::*;
pub use types::*;

/// The inventory state of one NetSuite account.
#[derive(Clone, Debug)]
pub struct Inventory {
    settings: Settings,
    items: BTreeMap<ItemId, Item>,
    skus: HashMap<String, ItemId>,
    locations: BTreeMap<LocationId, Location>,
    /// Absent key == all-zero level.
    levels: BTreeMap<(ItemId, LocationId), Level>,
    documents: BTreeMap<DocId, Document>,
    /// Sales and transfer orders that have a back-ordered line: where auto-commitment looks.
    backordered: BTreeSet<DocId>,
    /// The next transaction internal id; ids are never reused.
    next_id: u64,
    /// Drop documents from memory once closed (the store keeps them on disk), so memory holds
    /// open state only. Off by default: the domain alone then remembers every document.
    evict_closed: bool,
}

/// Why setting up an account's catalogue failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    #[error("item {0} is defined twice")]
    DuplicateItem(ItemId),
    #[error("sku {0:?} is used by two items")]
    DuplicateSku(String),
    #[error("location {0} is defined twice")]
    DuplicateLocation(LocationId),
    #[error("unknown item {0}")]
    UnknownItem(ItemId),
    #[error("unknown location {0}")]
    UnknownLocation(LocationId),
    #[error("document {0} is defined twice")]
    DuplicateDocument(DocId),
}

impl Inventory {
    /// An empty account; the first transaction gets id `first_id`.
    pub fn new(settings: Settings, first_id: u64) -> Inventory {
        Inventory {
            settings,
            items: BTreeMap::new(),
            skus: HashMap::new(),
            locations: BTreeMap::new(),
            levels: BTreeMap::new(),
            documents: BTreeMap::new(),
            backordered: BTreeSet::new(),
            next_id: first_id,
            evict_closed: false,
        }
    }

    /// With eviction on, a closed document leaves memory when the transaction that closed it
    /// is applied ([`Applied::closed`] carries its final state); a later reference to it is
    /// [`TxError::UnknownRecord`], which whoever keeps closed documents turns into the precise
    /// error.
    pub fn set_evict_closed(&mut self, evict: bool) {
        self.evict_closed = evict;
    }

    pub fn settings(&self) -> Settings {
        self.settings
    }

    pub fn add_item(&mut self, item: Item) -> Result<(), SetupError> {
        if self.items.contains_key(&item.id) {
            return Err(SetupError::DuplicateItem(item.id));
        }
        if self.skus.contains_key(&item.sku) {
            return Err(SetupError::DuplicateSku(item.sku));
        }
        self.skus.insert(item.sku.clone(), item.id);
        self.items.insert(item.id, item);
        Ok(())
    }

    pub fn add_location(&mut self, location: Location) -> Result<(), SetupError> {
        if self.locations.contains_key(&location.id) {
            return Err(SetupError::DuplicateLocation(location.id));
        }
        self.locations.insert(location.id, location);
        Ok(())
    }

    /// Sets a stored level directly: for loading a fixture or the store, never for business.
    pub fn load_level(
        &mut self,
        item: ItemId,
        location: LocationId,
        level: Level,
    ) -> Result<(), SetupError> {
        if !self.items.contains_key(&item) {
            return Err(SetupError::UnknownItem(item));
        }
        if !self.locations.contains_key(&location) {
            return Err(SetupError::UnknownLocation(location));
        }
        if level.is_zero() {
            self.levels.remove(&(item, location));
        } else {
            self.levels.insert((item, location), level);
        }
        Ok(())
    }

    /// Restores an open document from the store.
    pub fn load_document(&mut self, id: DocId, document: Document) -> Result<(), SetupError> {
        if self.documents.contains_key(&id) {
            return Err(SetupError::DuplicateDocument(id));
        }
        self.next_id = self.next_id.max(id.0 + 1);
        if !(self.evict_closed && document.is_closed()) {
            self.documents.insert(id, document);
            self.refresh_backordered(id);
        }
        Ok(())
    }

    /// Ids below this were handed out already.
    pub fn next_id(&self) -> u64 {
        self.next_id
    }

    pub fn set_next_id(&mut self, next_id: u64) {
        self.next_id = self.next_id.max(next_id);
    }

    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.items.values()
    }

    pub fn item(&self, id: ItemId) -> Option<&Item> {
        self.items.get(&id)
    }

    pub fn locations(&self) -> impl Iterator<Item = &Location> {
        self.locations.values()
    }

    pub fn location(&self, id: LocationId) -> Option<&Location> {
        self.locations.get(&id)
    }

    /// Resolves an item reference by internal id or SKU.
    pub fn resolve_item(&self, item: &ItemRef) -> Result<ItemId, TxError> {
        match item {
            ItemRef::Id(id) if self.items.contains_key(id) => Ok(*id),
            ItemRef::Sku(sku) => {
                self.skus.get(sku).copied().ok_or_else(|| TxError::UnknownItem(sku.clone()))
            }
            ItemRef::Id(id) => Err(TxError::UnknownItem(id.to_string())),
        }
    }

    pub fn level(&self, item: ItemId, location: LocationId) -> Level {
        self.levels.get(&(item, location)).copied().unwrap_or_default()
    }

    /// Every non-zero level of one item, by location.
    pub fn levels_of(&self, item: ItemId) -> impl Iterator<Item = (LocationId, &Level)> {
        self.levels
            .range((item, LocationId(0))..=(item, LocationId(u64::MAX)))
            .map(|((_, location), level)| (*location, level))
    }

    /// Every non-zero level in the account.
    pub fn levels(&self) -> impl Iterator<Item = ((ItemId, LocationId), &Level)> {
        self.levels.iter().map(|(key, level)| (*key, level))
    }

    pub fn document(&self, id: DocId) -> Option<&Document> {
        self.documents.get(&id)
    }

    pub fn documents(&self) -> impl Iterator<Item = (DocId, &Document)> {
        self.documents.iter().map(|(id, document)| (*id, document))
    }

    fn refresh_backordered(&mut self, id: DocId) {
        let has_backorder = match self.documents.get(&id) {
            Some(Document::SalesOrder { lines, .. }) => {
                lines.iter().any(|line| !line.back_ordered.is_zero())
            }
            Some(Document::TransferOrder { lines, .. }) => {
                lines.iter().any(|line| !line.back_ordered.is_zero())
            }
            _ => false,
        };
        if has_backorder {
            self.backordered.insert(id);
        } else {
            self.backordered.remove(&id);
        }
    }
}

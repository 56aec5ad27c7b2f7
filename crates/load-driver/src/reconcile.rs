//! The end of every run: from its own record of acknowledged operations the driver computes
//! the stock each (item, location) must show and compares it with the target's; with an
//! emulator it also checks the audit trail: every acknowledged external id there once,
//! nothing refused there at all.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;

use crate::client::{Reply, SignedClient};

/// On hand per (item, location).
pub type StockMap = BTreeMap<(u64, u64), Decimal>;

#[derive(Clone, Debug, Serialize)]
pub struct Discrepancy {
    pub item: u64,
    pub location: u64,
    pub expected: String,
    pub actual: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Reconciliation {
    pub clean: bool,
    pub checked_levels: usize,
    pub discrepancies: Vec<Discrepancy>,
    pub acknowledged: usize,
    pub rejected: usize,
    /// Operations whose outcome stayed unknown: the expected stock cannot be known.
    pub unresolved: u64,
    /// Acknowledged external ids missing from the audit trail.
    pub lost: Vec<String>,
    /// External ids in the audit trail more than once.
    pub duplicated: Vec<String>,
    /// Refused external ids that landed anyway.
    pub landed_after_refusal: Vec<String>,
    /// Whether the audit trail was checked (emulator targets only).
    pub audit_checked: bool,
}

impl Reconciliation {
    pub fn text(&self) -> String {
        let mut out = String::new();
        let verdict = if self.clean { "clean" } else { "DISCREPANCIES" };
        let _ = writeln!(
            out,
            "reconciliation: {verdict}: {} levels checked, {} acknowledged, {} refused, {} unresolved{}",
            self.checked_levels,
            self.acknowledged,
            self.rejected,
            self.unresolved,
            if self.audit_checked { ", audit trail checked" } else { "" }
        );
        for d in &self.discrepancies {
            let _ = writeln!(
                out,
                "  item {} at location {}: expected on hand {}, target shows {}",
                d.item, d.location, d.expected, d.actual
            );
        }
        for (what, ids) in [
            ("lost", &self.lost),
            ("applied twice", &self.duplicated),
            ("landed after refusal", &self.landed_after_refusal),
        ] {
            if !ids.is_empty() {
                let _ = writeln!(
                    out,
                    "  {what}: {}",
                    ids.iter().take(20).cloned().collect::<Vec<_>>().join(", ")
                );
            }
        }
        out
    }
}

fn decimal(value: &Value) -> Decimal {
    value.to_string().parse().unwrap_or_default()
}

/// Reads on hand: every row through the admin API on an emulator, else per item through the
/// stock query RESTlet.
pub(crate) async fn read_stock(
    client: &SignedClient,
    admin: bool,
    items: &[u64],
) -> Result<StockMap, String> {
    let mut out = StockMap::new();
    if admin {
        let Reply::Answered { status: 200, body } =
            client.admin("GET", "/__admin/stock", None).await
        else {
            return Err("cannot read /__admin/stock".into());
        };
        for row in body["stock"].as_array().into_iter().flatten() {
            let (Some(item), Some(location)) = (row["item"].as_u64(), row["location"].as_u64())
            else {
                continue;
            };
            out.insert((item, location), decimal(&row["quantityOnHand"]));
        }
        return Ok(out);
    }
    for chunk in items.chunks(100) {
        let ids: Vec<String> = chunk.iter().map(u64::to_string).collect();
        let query =
            format!("script=customscript_inventory_stock&deploy=1&item_ids={}", ids.join("%2C"));
        let Reply::Answered { status: 200, body } = client.restlet("GET", &query, None).await
        else {
            return Err("cannot read stock through the stock query".into());
        };
        for item in body["items"].as_array().into_iter().flatten() {
            let Some(id) = item["item"].as_u64() else { continue };
            for location in item["locations"].as_array().into_iter().flatten() {
                if let Some(loc) = location["location"].as_u64() {
                    out.insert((id, loc), decimal(&location["quantityOnHand"]));
                }
            }
        }
    }
    Ok(out)
}

/// The external ids the audit trail holds with the run's prefix, with their counts.
async fn audit(
    client: &SignedClient,
    prefix: &str,
) -> Result<BTreeMap<(String, String), usize>, String> {
    let path = format!("/__admin/external-ids?prefix={}", oauth1_signature::percent_encode(prefix));
    let Reply::Answered { status: 200, body } = client.admin("GET", &path, None).await else {
        return Err("cannot read /__admin/external-ids".into());
    };
    let mut out = BTreeMap::new();
    for row in body["ids"].as_array().into_iter().flatten() {
        if let (Some(rt), Some(ext), Some(n)) = (row[0].as_str(), row[1].as_str(), row[2].as_u64())
        {
            out.insert((rt.to_string(), ext.to_string()), n as usize);
        }
    }
    Ok(out)
}

/// Compares the target with what the run's acknowledged operations imply.
#[expect(clippy::too_many_arguments, reason = "one call site; the inputs are the run's ledger")]
pub(crate) async fn reconcile(
    client: &SignedClient,
    admin: bool,
    items: &[u64],
    opening: &StockMap,
    deltas: &StockMap,
    acknowledged: &[(String, String)],
    rejected: &[(String, String)],
    unresolved: u64,
    prefix: &str,
) -> Result<Reconciliation, String> {
    let actual = read_stock(client, admin, items).await?;
    let keys: BTreeSet<(u64, u64)> =
        opening.keys().chain(deltas.keys()).chain(actual.keys()).copied().collect();
    let mut discrepancies = Vec::new();
    for key in &keys {
        let expected = opening.get(key).copied().unwrap_or_default()
            + deltas.get(key).copied().unwrap_or_default();
        let got = actual.get(key).copied().unwrap_or_default();
        if expected != got {
            discrepancies.push(Discrepancy {
                item: key.0,
                location: key.1,
                expected: expected.to_string(),
                actual: got.to_string(),
            });
        }
    }
    let (mut lost, mut duplicated, mut landed) = (Vec::new(), Vec::new(), Vec::new());
    if admin {
        let trail = audit(client, prefix).await?;
        for id in acknowledged {
            if !trail.contains_key(id) {
                lost.push(id.1.clone());
            }
        }
        for (id, n) in &trail {
            if *n > 1 {
                duplicated.push(id.1.clone());
            }
        }
        for id in rejected {
            if trail.contains_key(id) {
                landed.push(id.1.clone());
            }
        }
    }
    let clean = discrepancies.is_empty()
        && lost.is_empty()
        && duplicated.is_empty()
        && landed.is_empty()
        && unresolved == 0;
    Ok(Reconciliation {
        clean,
        checked_levels: keys.len(),
        discrepancies,
        acknowledged: acknowledged.len(),
        rejected: rejected.len(),
        unresolved,
        lost,
        duplicated,
        landed_after_refusal: landed,
        audit_checked: admin,
    })
}

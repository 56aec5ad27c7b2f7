//! The operations a load mixes, and how each is carried out as a well-behaved integration
//! would: every write has an external id; an answer-less attempt is re-sent with the same
//! external id until the target says what happened; throttling is retried by policy.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rand::Rng;
use rand::rngs::StdRng;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::client::{Reply, SignedClient};
use crate::{Mix, RetryPolicy};

/// One operation of the mix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    StockGet {
        item: u64,
        location: u64,
    },
    /// One line per (item, quantity), all at one location.
    Adjust {
        location: u64,
        lines: Vec<(u64, i64)>,
    },
    Transfer {
        item: u64,
        from: u64,
        to: u64,
        quantity: i64,
    },
    /// A sales order, then an item fulfillment of what it committed.
    Order {
        item: u64,
        location: u64,
        quantity: i64,
    },
}

impl Op {
    pub fn kind(&self) -> &'static str {
        match self {
            Op::StockGet { .. } => "stock",
            Op::Adjust { .. } => "adjust",
            Op::Transfer { .. } => "transfer",
            Op::Order { .. } => "order",
        }
    }
}

/// Draws an operation from the mix over the item/location spread.
pub fn pick(rng: &mut StdRng, mix: &Mix, items: &[u64], locations: &[u64], lines: usize) -> Op {
    let total = mix.stock + mix.adjust + mix.transfer + mix.order;
    let mut roll = rng.gen_range(0..total.max(1));
    let item = items[rng.gen_range(0..items.len())];
    let location = locations[rng.gen_range(0..locations.len())];
    if roll < mix.stock {
        return Op::StockGet { item, location };
    }
    roll -= mix.stock;
    if roll < mix.adjust {
        // Mostly receipts, some shrinkage: stock drifts up, so block mode refuses few.
        let quantity = |rng: &mut StdRng| -> i64 {
            if rng.gen_bool(0.7) { rng.gen_range(1..=5) } else { -rng.gen_range(1..=3) }
        };
        let mut adjust_lines = vec![(item, quantity(rng))];
        for _ in 1..lines {
            // Extra lines only add stock, so a long adjustment is not refused for one line.
            adjust_lines.push((items[rng.gen_range(0..items.len())], quantity(rng).abs()));
        }
        return Op::Adjust { location, lines: adjust_lines };
    }
    roll -= mix.adjust;
    if roll < mix.transfer && locations.len() > 1 {
        let mut to = location;
        while to == location {
            to = locations[rng.gen_range(0..locations.len())];
        }
        return Op::Transfer { item, from: location, to, quantity: rng.gen_range(1..=3) };
    }
    Op::Order { item, location, quantity: rng.gen_range(1..=3) }
}

/// What the driver learned from one HTTP attempt, for the statistics.
pub(crate) trait Recorder: Send + Sync {
    /// `latency` is from the intended start (open loop) or the send (closed loop).
    fn attempt(&self, latency: Duration, reply: &Reply);
    fn retry(&self);
}

/// How one write ended.
#[derive(Clone, Debug)]
pub(crate) enum WriteEnd {
    /// 200: applied (possibly earlier, reported now as a duplicate).
    Applied(Value),
    /// A definitive refusal: nothing was applied.
    Rejected,
    /// No definitive answer before the deadline.
    Unresolved,
}

/// Everything an operation changed, as the integration knows it.
#[derive(Clone, Debug, Default)]
pub struct OpResult {
    /// Expected change of on hand per (item, location).
    pub deltas: BTreeMap<(u64, u64), Decimal>,
    /// (record type, external id) acknowledged.
    pub acknowledged: Vec<(String, String)>,
    /// (record type, external id) definitively refused.
    pub rejected: Vec<(String, String)>,
    pub unresolved: u64,
}

pub(crate) struct Exec<'a> {
    pub client: &'a SignedClient,
    pub retry: RetryPolicy,
    pub recorder: &'a dyn Recorder,
    /// After this, unknown outcomes stop being re-sent.
    pub deadline: Instant,
    /// The request's intended start (open loop), for the first attempt's latency.
    pub intended: Option<Instant>,
}

impl Exec<'_> {
    async fn attempt(&mut self, method: &str, query: &str, body: Option<&Value>) -> Reply {
        let started = self.intended.take().unwrap_or_else(Instant::now);
        let reply = self.client.restlet(method, query, body).await;
        self.recorder.attempt(started.elapsed(), &reply);
        reply
    }

    fn backoff(&self, attempt: u32, base_ms: u64, cap_ms: u64) -> Duration {
        // Exponential with full jitter.
        let ceiling = base_ms.saturating_mul(1u64 << attempt.min(16)).min(cap_ms).max(1);
        Duration::from_millis(rand::thread_rng().gen_range(0..=ceiling))
    }

    /// Sends a write until it is applied, refused, or the deadline passes.
    pub(crate) async fn write(&mut self, query: &str, body: &Value) -> WriteEnd {
        let mut throttled = 0u32;
        let mut unknown = 0u32;
        loop {
            let reply = self.attempt("POST", query, Some(body)).await;
            let retry_unknown = match &reply {
                Reply::Answered { status: 200, body } => return WriteEnd::Applied(body.clone()),
                Reply::Answered { .. } if reply.code() == Some("SSS_REQUEST_LIMIT_EXCEEDED") => {
                    // Governance refused it before anything ran.
                    match self.retry {
                        RetryPolicy::Backoff { max_retries, base_ms, cap_ms }
                            if throttled < max_retries =>
                        {
                            tokio::time::sleep(self.backoff(throttled, base_ms, cap_ms)).await;
                            throttled += 1;
                            self.recorder.retry();
                            continue;
                        }
                        _ => return WriteEnd::Rejected,
                    }
                }
                // 5xx: the target could not say; re-send under the same external id.
                Reply::Answered { status, .. } if *status >= 500 => true,
                Reply::Answered { .. } => return WriteEnd::Rejected,
                Reply::Unknown(_) => true,
            };
            if retry_unknown {
                if Instant::now() > self.deadline {
                    return WriteEnd::Unresolved;
                }
                tokio::time::sleep(self.backoff(unknown, 50, 1000)).await;
                unknown += 1;
                self.recorder.retry();
            }
        }
    }

    /// A read: retried on throttling by policy, never re-sent otherwise.
    async fn read(&mut self, query: &str) {
        let mut throttled = 0u32;
        loop {
            let reply = self.attempt("GET", query, None).await;
            match (reply.code(), self.retry) {
                (
                    Some("SSS_REQUEST_LIMIT_EXCEEDED"),
                    RetryPolicy::Backoff { max_retries, base_ms, cap_ms },
                ) if throttled < max_retries => {
                    tokio::time::sleep(self.backoff(throttled, base_ms, cap_ms)).await;
                    throttled += 1;
                    self.recorder.retry();
                }
                _ => return,
            }
        }
    }
}

fn add(result: &mut OpResult, key: (u64, u64), delta: Decimal) {
    *result.deltas.entry(key).or_default() += delta;
}

fn settle(result: &mut OpResult, end: &WriteEnd, record_type: &str, external_id: &str) -> bool {
    let id = (record_type.to_string(), external_id.to_string());
    match end {
        WriteEnd::Applied(_) => {
            result.acknowledged.push(id);
            true
        }
        WriteEnd::Rejected => {
            result.rejected.push(id);
            false
        }
        WriteEnd::Unresolved => {
            result.unresolved += 1;
            false
        }
    }
}

/// Carries out one operation; `tag` makes its external ids unique (`{run}-{n}`).
pub(crate) async fn execute(exec: &mut Exec<'_>, op: &Op, tag: &str) -> OpResult {
    let mut result = OpResult::default();
    match *op {
        Op::StockGet { item, location } => {
            exec.read(&format!(
                "script=customscript_inventory_stock&deploy=1&item_id={item}&location_id={location}"
            ))
            .await;
        }
        Op::Adjust { location, ref lines } => {
            let external_id = format!("ld-{tag}-adj");
            let items: Vec<Value> = lines.iter().map(|(item, quantity)| json!({"itemId": item, "location": location, "quantity": quantity})).collect();
            let body = json!({"externalId": external_id, "account": 113, "items": items});
            let end = exec.write("script=customscript_inventory_adjustment&deploy=1", &body).await;
            if settle(&mut result, &end, "inventoryadjustment", &external_id) {
                for (item, quantity) in lines {
                    add(&mut result, (*item, location), Decimal::from(*quantity));
                }
            }
        }
        Op::Transfer { item, from, to, quantity } => {
            let external_id = format!("ld-{tag}-tr");
            let body = json!({"externalId": external_id, "fromLocation": from, "toLocation": to, "items": [{"itemId": item, "quantity": quantity}]});
            let end = exec.write("script=customscript_inventory_transfer&deploy=1", &body).await;
            if settle(&mut result, &end, "inventorytransfer", &external_id) {
                add(&mut result, (item, from), Decimal::from(-quantity));
                add(&mut result, (item, to), Decimal::from(quantity));
            }
        }
        Op::Order { item, location, quantity } => {
            let so_id = format!("ld-{tag}-so");
            let body = json!({"externalId": so_id, "location": location, "items": [{"itemId": item, "quantity": quantity}]});
            let end = exec.write("script=customscript_sales_order&deploy=1", &body).await;
            if !settle(&mut result, &end, "salesorder", &so_id) {
                return result;
            }
            let WriteEnd::Applied(order) = end else { unreachable!("settled as applied") };
            let Some(order_id) = order["salesOrderId"].as_u64() else { return result };
            let committed = order["lines"][0]["quantityCommitted"].as_f64().unwrap_or(0.0);
            if committed <= 0.0 {
                return result;
            }
            let if_id = format!("ld-{tag}-if");
            let body = json!({"externalId": if_id, "salesOrderId": order_id});
            let end = exec.write("script=customscript_item_fulfillment&deploy=1", &body).await;
            if settle(&mut result, &end, "itemfulfillment", &if_id)
                && let WriteEnd::Applied(fulfillment) = &end
            {
                for line in fulfillment["lines"].as_array().into_iter().flatten() {
                    let (Some(item), Some(location)) =
                        (line["item"].as_u64(), line["location"].as_u64())
                    else {
                        continue;
                    };
                    let quantity: Decimal =
                        line["quantity"].to_string().parse().unwrap_or_default();
                    add(&mut result, (item, location), -quantity);
                }
            }
        }
    }
    result
}

//! Unit tests of the inventory domain, through its one boundary: `Inventory::apply`.

use proptest::prelude::*;
use rstest::rstest;
use rust_decimal::Decimal;

use crate::*;

const WIDGET: ItemId = ItemId(3569);
const GADGET: ItemId = ItemId(4152);
const GIZMO: ItemId = ItemId(100);
const DOOHICKEY: ItemId = ItemId(200);
const MAIN: LocationId = LocationId(1);
const STORE: LocationId = LocationId(3);
const EAST: LocationId = LocationId(103);

fn d(n: i64) -> Decimal {
    Decimal::from(n)
}

fn q(n: i64) -> Quantity {
    Quantity::new(d(n), "quantity").unwrap()
}

/// The demo fixture's catalogue and opening stock (contract 3).
fn demo(negative: NegativeInventory) -> Inventory {
    let mut inv =
        Inventory::new(Settings { negative_inventory: negative, auto_commit: true }, 1000);
    for (id, sku) in [
        (WIDGET, "WIDGET-RED"),
        (GADGET, "GADGET-BLUE"),
        (GIZMO, "GIZMO-GREEN"),
        (DOOHICKEY, "DOOHICKEY"),
    ] {
        inv.add_item(Item { id, sku: sku.into(), name: sku.into() }).unwrap();
    }
    for (id, name) in [(MAIN, "Main Warehouse"), (STORE, "Retail Store"), (EAST, "3PL East")] {
        inv.add_location(Location { id, name: name.into() }).unwrap();
    }
    for (item, location, on_hand) in [
        (WIDGET, MAIN, 20),
        (WIDGET, STORE, 5),
        (GADGET, MAIN, 10),
        (GIZMO, STORE, 25),
        (GIZMO, EAST, 40),
    ] {
        inv.load_level(item, location, Level { on_hand: d(on_hand), ..Level::default() }).unwrap();
    }
    inv
}

fn adj_line(
    item: ItemId,
    location: Option<LocationId>,
    quantity: i64,
) -> Result<AdjustmentLine, TxError> {
    Ok(AdjustmentLine { item: ItemRef::Id(item), location, quantity: q(quantity), rate: None })
}

fn adjustment(lines: Vec<Result<AdjustmentLine, TxError>>) -> Tx {
    Tx::Adjustment(AdjustmentTx {
        account: Some(113),
        location: Some(MAIN),
        lines,
        allow_partial: false,
    })
}

fn order(lines: &[(ItemId, LocationId, i64)]) -> OrderTx {
    OrderTx {
        location: None,
        lines: lines
            .iter()
            .map(|(item, location, quantity)| OrderLine {
                item: ItemRef::Id(*item),
                location: Some(*location),
                quantity: q(*quantity),
                rate: None,
            })
            .collect(),
    }
}

fn pick(line: usize, quantity: Option<i64>) -> LinePick {
    LinePick { line: LineSel::Line(line), quantity: quantity.map(q) }
}

fn step(order: DocId, picks: Option<Vec<LinePick>>) -> OrderStepTx {
    OrderStepTx { order, lines: picks }
}

fn transfer(from: LocationId, to: LocationId, lines: &[(ItemId, i64)]) -> TransferTx {
    TransferTx {
        from: Some(from),
        to: Some(to),
        lines: lines
            .iter()
            .map(|(item, quantity)| TransferLine {
                item: ItemRef::Id(*item),
                quantity: q(*quantity),
            })
            .collect(),
    }
}

/// Renders one level as `on_hand/committed/on_order/in_transit/back_ordered available`.
fn show(inv: &Inventory, item: ItemId, location: LocationId) -> String {
    let l = inv.level(item, location);
    format!(
        "{}/{}/{}/{}/{} avail {}",
        l.on_hand,
        l.committed,
        l.on_order,
        l.in_transit,
        l.back_ordered,
        l.available()
    )
}

#[track_caller]
fn check_err(inv: &mut Inventory, tx: Tx, code: &str, message: &str) {
    let before = inv.clone();
    let err = inv.apply(tx, 0).expect_err("transaction must be refused");
    assert_eq!((err.code(), err.to_string().as_str()), (code, message));
    assert_same(&before, inv);
}

#[track_caller]
fn assert_same(a: &Inventory, b: &Inventory) {
    assert_eq!(a.levels().collect::<Vec<_>>(), b.levels().collect::<Vec<_>>());
    assert_eq!(a.documents().collect::<Vec<_>>(), b.documents().collect::<Vec<_>>());
    assert_eq!(a.next_id(), b.next_id());
}

#[test]
fn adjustment_moves_on_hand_per_line_location() {
    let mut inv = demo(NegativeInventory::Block);
    let applied = inv
        .apply(adjustment(vec![adj_line(WIDGET, None, 5), adj_line(GADGET, Some(MAIN), -2)]), 0)
        .unwrap();
    assert_eq!(applied.id(), DocId(1000));
    assert_eq!(show(&inv, WIDGET, MAIN), "25/0/0/0/0 avail 25");
    assert_eq!(show(&inv, GADGET, MAIN), "8/0/0/0/0 avail 8");
    assert_eq!(inv.next_id(), 1001);
}

#[rstest]
#[case::no_lines(vec![], "USER_ERROR", "You must enter at least one line item for this transaction.")]
#[case::unknown_item(vec![Ok(AdjustmentLine { item: ItemRef::Id(ItemId(999)), location: None, quantity: q(1), rate: None })],
    "INVALID_KEY_OR_REF", "Invalid item reference key 999.")]
#[case::unknown_sku(vec![Ok(AdjustmentLine { item: ItemRef::Sku("NOPE".into()), location: None, quantity: q(1), rate: None })],
    "INVALID_KEY_OR_REF", "Invalid item reference key NOPE.")]
#[case::unknown_location(vec![adj_line(WIDGET, Some(LocationId(77)), 1)],
    "INVALID_KEY_OR_REF", "Invalid location reference key 77.")]
#[case::zero(vec![adj_line(WIDGET, None, 0)],
    "INVALID_FLD_VALUE", "You have entered an Invalid Field Value 0 for the following field: adjustqtyby")]
#[case::rate_on_negative(vec![Ok(AdjustmentLine { item: ItemRef::Id(WIDGET), location: None, quantity: q(-1), rate: Some(q(3)) })],
    "INVALID_FLD_VALUE", "You have entered an Invalid Field Value 3 for the following field: unitcost")]
#[case::below_zero(vec![adj_line(WIDGET, None, 5), adj_line(WIDGET, None, -26)], "USER_ERROR",
    "Insufficient quantity for item 3569 at location 1: You only have 25 available. Please enter a different quantity.")]
#[case::second_line_bad(vec![adj_line(WIDGET, None, 5), adj_line(ItemId(999), None, 1)],
    "INVALID_KEY_OR_REF", "Invalid item reference key 999.")]
fn adjustment_errors_change_nothing(
    #[case] lines: Vec<Result<AdjustmentLine, TxError>>,
    #[case] code: &str,
    #[case] message: &str,
) {
    let mut inv = demo(NegativeInventory::Block);
    check_err(&mut inv, adjustment(lines), code, message);
}

#[test]
fn adjustment_header_errors() {
    let mut inv = demo(NegativeInventory::Block);
    let tx = AdjustmentTx {
        account: None,
        location: Some(MAIN),
        lines: vec![adj_line(WIDGET, None, 1)],
        allow_partial: false,
    };
    check_err(
        &mut inv,
        Tx::Adjustment(tx),
        "USER_ERROR",
        "Please enter value(s) for: Adjustment Account",
    );
    let tx = AdjustmentTx {
        account: Some(113),
        location: None,
        lines: vec![adj_line(WIDGET, None, 1)],
        allow_partial: false,
    };
    check_err(&mut inv, Tx::Adjustment(tx), "USER_ERROR", "Please enter value(s) for: Location");
    let lines = (0..1001).map(|_| adj_line(WIDGET, None, 1)).collect();
    check_err(
        &mut inv,
        adjustment(lines),
        "EXCEEDED_MAX_TRANS_LINES",
        "You have exceeded the maximum number of lines (1000) allowed on this transaction.",
    );
}

#[test]
fn adjustment_allow_partial_skips_and_reports_bad_lines() {
    let mut inv = demo(NegativeInventory::Block);
    let lines = vec![
        adj_line(WIDGET, None, 2),
        adj_line(ItemId(999), None, 1),
        Err(TxError::InvalidField { field: "adjustqtyby", value: "abc".into() }),
        adj_line(GADGET, None, -11),
        adj_line(GADGET, None, -1),
    ];
    let tx = AdjustmentTx { account: Some(113), location: Some(MAIN), lines, allow_partial: true };
    let applied = inv.apply(Tx::Adjustment(tx), 0).unwrap();
    let rejected: Vec<(usize, &str)> =
        applied.rejected.iter().map(|(i, e)| (*i, e.code())).collect();
    assert_eq!(rejected, [(1, "INVALID_KEY_OR_REF"), (2, "INVALID_FLD_VALUE"), (3, "USER_ERROR")]);
    assert_eq!(show(&inv, WIDGET, MAIN), "22/0/0/0/0 avail 22");
    assert_eq!(show(&inv, GADGET, MAIN), "9/0/0/0/0 avail 9");

    let tx = AdjustmentTx {
        account: Some(113),
        location: Some(MAIN),
        lines: vec![adj_line(ItemId(5), None, 1)],
        allow_partial: true,
    };
    check_err(&mut inv, Tx::Adjustment(tx), "INVALID_KEY_OR_REF", "Invalid item reference key 5.");
}

#[test]
fn allow_mode_lets_on_hand_go_negative() {
    let mut inv = demo(NegativeInventory::Allow);
    inv.apply(adjustment(vec![adj_line(WIDGET, None, -25)]), 0).unwrap();
    assert_eq!(show(&inv, WIDGET, MAIN), "-5/0/0/0/0 avail 0");
}

#[test]
fn purchase_order_receipts_partial_then_full() {
    let mut inv = demo(NegativeInventory::Block);
    let po = inv
        .apply(Tx::PurchaseOrder(order(&[(DOOHICKEY, MAIN, 10), (WIDGET, STORE, 4)])), 7)
        .unwrap()
        .id();
    assert_eq!(show(&inv, DOOHICKEY, MAIN), "0/0/10/0/0 avail 0");
    assert_eq!(inv.document(po).unwrap().status(), "Pending Receipt");

    inv.apply(Tx::ItemReceipt(step(po, Some(vec![pick(1, Some(4))]))), 8).unwrap();
    assert_eq!(show(&inv, DOOHICKEY, MAIN), "4/0/6/0/0 avail 4");
    assert_eq!(inv.document(po).unwrap().status(), "Partially Received");

    check_err(
        &mut inv,
        Tx::ItemReceipt(step(po, Some(vec![pick(1, Some(7))]))),
        "OVERAGE_DISALLWD",
        "Overage is not allowed. Line 1 of purchase order 1000 has 6 remaining to receive.",
    );
    check_err(
        &mut inv,
        Tx::ItemReceipt(step(po, Some(vec![pick(3, None)]))),
        "INVALID_FLD_VALUE",
        "The order has no line 3.",
    );

    inv.apply(Tx::ItemReceipt(step(po, None)), 9).unwrap();
    assert_eq!(show(&inv, DOOHICKEY, MAIN), "10/0/0/0/0 avail 10");
    assert_eq!(show(&inv, WIDGET, STORE), "9/0/0/0/0 avail 9");
    assert_eq!(inv.document(po).unwrap().status(), "Fully Received");
    check_err(
        &mut inv,
        Tx::ItemReceipt(step(po, None)),
        "INVALID_INITIALIZE_REF",
        "You can not initialize itemreceipt: invalid reference 1000.",
    );
    check_err(
        &mut inv,
        Tx::ItemReceipt(step(DocId(5), None)),
        "RCRD_DSNT_EXIST",
        "That record does not exist.",
    );
}

#[test]
fn sales_order_commits_back_orders_and_fulfils_after_receipt() {
    let mut inv = demo(NegativeInventory::Block);
    let so = inv.apply(Tx::SalesOrder(order(&[(GADGET, MAIN, 15)])), 0).unwrap().id();
    assert_eq!(show(&inv, GADGET, MAIN), "10/10/0/0/5 avail 0");

    check_err(
        &mut inv,
        Tx::ItemFulfillment(step(so, Some(vec![pick(1, Some(11))]))),
        "USER_ERROR",
        "You can not fulfill more than the committed quantity: line 1 of order 1000 has 10 committed.",
    );
    check_err(
        &mut inv,
        Tx::ItemFulfillment(step(so, Some(vec![pick(1, Some(16))]))),
        "OVER_FULFILL_DISALLWD",
        "You can not over-fulfill an item unless you have selected the 'Allow Overage on Item Fulfillments' preference.",
    );

    inv.apply(Tx::ItemFulfillment(step(so, None)), 0).unwrap();
    assert_eq!(show(&inv, GADGET, MAIN), "0/0/0/0/5 avail 0");
    check_err(
        &mut inv,
        Tx::ItemFulfillment(step(so, None)),
        "USER_ERROR",
        "You must enter at least one line item for this transaction.",
    );

    // A receipt makes stock available; auto-commitment serves the back order.
    let po = inv.apply(Tx::PurchaseOrder(order(&[(GADGET, MAIN, 8)])), 0).unwrap().id();
    inv.apply(Tx::ItemReceipt(step(po, None)), 0).unwrap();
    assert_eq!(show(&inv, GADGET, MAIN), "8/5/0/0/0 avail 3");
    inv.apply(Tx::ItemFulfillment(step(so, None)), 0).unwrap();
    assert_eq!(show(&inv, GADGET, MAIN), "3/0/0/0/0 avail 3");
    assert_eq!(inv.document(so).unwrap().status(), "Pending Billing");
    check_err(
        &mut inv,
        Tx::ItemFulfillment(step(so, None)),
        "INVALID_INITIALIZE_REF",
        "You can not initialize itemfulfillment: invalid reference 1000.",
    );
}

#[test]
fn transfer_moves_stock_and_refuses_bad_input() {
    let mut inv = demo(NegativeInventory::Block);
    inv.apply(Tx::Transfer(transfer(STORE, EAST, &[(GIZMO, 5)])), 0).unwrap();
    assert_eq!(show(&inv, GIZMO, STORE), "20/0/0/0/0 avail 20");
    assert_eq!(show(&inv, GIZMO, EAST), "45/0/0/0/0 avail 45");
    check_err(
        &mut inv,
        Tx::Transfer(transfer(STORE, STORE, &[(GIZMO, 1)])),
        "INVALID_FLD_VALUE",
        "You have entered an Invalid Field Value 3 for the following field: transferlocation",
    );
    check_err(
        &mut inv,
        Tx::Transfer(transfer(STORE, EAST, &[(GIZMO, 21)])),
        "USER_ERROR",
        "Insufficient quantity for item 100 at location 3: You only have 20 available. Please enter a different quantity.",
    );
    check_err(
        &mut inv,
        Tx::Transfer(TransferTx { from: None, ..transfer(STORE, EAST, &[(GIZMO, 1)]) }),
        "USER_ERROR",
        "Please enter value(s) for: From Location",
    );
}

#[test]
fn transfer_order_create_ship_receive_with_in_transit() {
    let mut inv = demo(NegativeInventory::Block);
    let to = inv.apply(Tx::TransferOrder(transfer(EAST, MAIN, &[(GIZMO, 15)])), 0).unwrap().id();
    assert_eq!(show(&inv, GIZMO, EAST), "40/15/0/0/0 avail 25");
    assert_eq!(show(&inv, GIZMO, MAIN), "0/0/15/0/0 avail 0");
    check_err(
        &mut inv,
        Tx::TransferOrderReceive(step(to, None)),
        "TRANSORD_SHIP_REC_MISMATCH",
        "You can not recieve more from a transfer order than you have shipped",
    );
    check_err(
        &mut inv,
        Tx::TransferOrderShip(step(to, Some(vec![pick(1, Some(5))]))),
        "PARTIAL_FULFILL_RCEIV_DISALLWD",
        "Lines on transfer orders cannot be partially fulfilled or partially received; line 1 must be processed in full (15).",
    );

    inv.apply(Tx::TransferOrderShip(step(to, None)), 0).unwrap();
    assert_eq!(show(&inv, GIZMO, EAST), "25/0/0/15/0 avail 25");
    assert_eq!(inv.document(to).unwrap().status(), "Pending Receipt");
    check_err(
        &mut inv,
        Tx::TransferOrderShip(step(to, None)),
        "INVALID_INITIALIZE_REF",
        "You can not initialize itemfulfillment: invalid reference 1000.",
    );

    inv.apply(Tx::TransferOrderReceive(step(to, None)), 0).unwrap();
    assert_eq!(show(&inv, GIZMO, EAST), "25/0/0/0/0 avail 25");
    assert_eq!(show(&inv, GIZMO, MAIN), "15/0/0/0/0 avail 15");
    assert_eq!(inv.document(to).unwrap().status(), "Received");
}

#[test]
fn transfer_order_back_order_waits_for_stock() {
    let mut inv = demo(NegativeInventory::Block);
    let to = inv.apply(Tx::TransferOrder(transfer(MAIN, STORE, &[(GADGET, 12)])), 0).unwrap().id();
    assert_eq!(show(&inv, GADGET, MAIN), "10/10/0/0/2 avail 0");
    check_err(
        &mut inv,
        Tx::TransferOrderShip(step(to, None)),
        "USER_ERROR",
        "You can not fulfill more than the committed quantity: line 1 of order 1000 has 10 committed.",
    );
    inv.apply(adjustment(vec![adj_line(GADGET, None, 2)]), 0).unwrap();
    assert_eq!(show(&inv, GADGET, MAIN), "12/12/0/0/0 avail 0");
    inv.apply(Tx::TransferOrderShip(step(to, None)), 0).unwrap();
    assert_eq!(show(&inv, GADGET, MAIN), "0/0/0/12/0 avail 0");
}

#[test]
fn count_approval_posts_two_adjustments() {
    let mut inv = demo(NegativeInventory::Block);
    let count =
        inv.apply(Tx::CountStart(CountStartTx { location: Some(MAIN), items: None }), 0).unwrap();
    assert_eq!(count.records[0].lines.len(), 2);
    let count = count.id();
    // Stock moves after the snapshot; the variance still applies on top.
    inv.apply(adjustment(vec![adj_line(WIDGET, None, 1)]), 0).unwrap();
    let counts = vec![(ItemRef::Id(WIDGET), q(18)), (ItemRef::Sku("GADGET-BLUE".into()), q(12))];
    inv.apply(Tx::CountEnter(CountEnterTx { count, counts, complete: true }), 0).unwrap();
    assert_eq!(inv.document(count).unwrap().status(), "Pending Approval");
    let applied = inv.apply(Tx::CountApprove(count), 0).unwrap();
    let kinds: Vec<(&str, Option<DocId>, Vec<Decimal>)> = applied
        .records
        .iter()
        .map(|r| (r.record_type, r.source, r.lines.iter().map(|l| l.quantity).collect()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("inventorycount", None, vec![d(-2), d(2)]),
            ("inventoryadjustment", Some(count), vec![d(2)]),
            ("inventoryadjustment", Some(count), vec![d(-2)]),
        ]
    );
    assert_eq!(show(&inv, WIDGET, MAIN), "19/0/0/0/0 avail 19");
    assert_eq!(show(&inv, GADGET, MAIN), "12/0/0/0/0 avail 12");
    check_err(
        &mut inv,
        Tx::CountApprove(count),
        "USER_ERROR",
        "Inventory count 1000 is already approved.",
    );
}

#[test]
fn count_errors() {
    let mut inv = demo(NegativeInventory::Block);
    let count = inv
        .apply(
            Tx::CountStart(CountStartTx {
                location: Some(STORE),
                items: Some(vec![ItemRef::Id(GIZMO)]),
            }),
            0,
        )
        .unwrap()
        .id();
    check_err(
        &mut inv,
        Tx::CountEnter(CountEnterTx {
            count,
            counts: vec![(ItemRef::Id(WIDGET), q(1))],
            complete: false,
        }),
        "USER_ERROR",
        "Item 3569 is not on inventory count 1000.",
    );
    check_err(
        &mut inv,
        Tx::CountReject(count),
        "USER_ERROR",
        "Inventory count 1000 is started; only a completed count can be rejected.",
    );
    inv.apply(
        Tx::CountEnter(CountEnterTx {
            count,
            counts: vec![(ItemRef::Id(GIZMO), q(0))],
            complete: false,
        }),
        0,
    )
    .unwrap();
    inv.apply(adjustment(vec![adj_line(GIZMO, Some(STORE), -20)]), 0).unwrap();
    check_err(
        &mut inv,
        Tx::CountApprove(count),
        "USER_ERROR",
        "You cannot approve a count that results in negative inventory: item 100 at location 3 would be -20.",
    );
}

#[test]
fn quantity_bounds() {
    assert!(Quantity::new(Decimal::new(1, 9), "quantity").is_err());
    assert!(Quantity::new(Quantity::MAX + d(1), "quantity").is_err());
    assert!(Quantity::new(-Quantity::MAX, "quantity").is_ok());
    assert_eq!(Quantity::parse("1.50", "quantity").unwrap().to_string(), "1.5");
    assert!(Quantity::parse("abc", "quantity").is_err());
}

// ---------------------------------------------------------------------------------------------
// Property tests: random operation sequences against a deliberately simple model.

/// An operation, in terms the generator can produce without knowing the state.
#[derive(Clone, Debug)]
enum Op {
    Adjust(Vec<(usize, usize, i64)>),
    Po(Vec<(usize, usize, i64)>),
    Receive(usize, usize, Option<i64>),
    So(Vec<(usize, usize, i64)>),
    Fulfil(usize, usize, Option<i64>),
    Transfer(usize, usize, usize, i64),
    To(usize, usize, usize, i64),
    Ship(usize),
    Land(usize),
    Count(usize, Vec<(usize, i64)>),
}

const ITEMS: [ItemId; 4] = [WIDGET, GADGET, GIZMO, DOOHICKEY];
const LOCATIONS: [LocationId; 3] = [MAIN, STORE, EAST];

fn op_strategy() -> impl Strategy<Value = Op> {
    let line = (0..4usize, 0..3usize, -8i64..12);
    let pos_line = (0..4usize, 0..3usize, 0i64..12);
    prop_oneof![
        prop::collection::vec(line, 0..4).prop_map(Op::Adjust),
        prop::collection::vec(pos_line.clone(), 0..3).prop_map(Op::Po),
        (0..8usize, 0..3usize, prop::option::of(0i64..12))
            .prop_map(|(a, b, c)| Op::Receive(a, b, c)),
        prop::collection::vec(pos_line, 0..3).prop_map(Op::So),
        (0..8usize, 0..3usize, prop::option::of(0i64..12))
            .prop_map(|(a, b, c)| Op::Fulfil(a, b, c)),
        (0..4usize, 0..3usize, 0..3usize, 0i64..15)
            .prop_map(|(a, b, c, e)| Op::Transfer(a, b, c, e)),
        (0..4usize, 0..3usize, 0..3usize, 0i64..15).prop_map(|(a, b, c, e)| Op::To(a, b, c, e)),
        (0..8usize).prop_map(Op::Ship),
        (0..8usize).prop_map(Op::Land),
        (0..3usize, prop::collection::vec((0..4usize, 0i64..30), 0..3))
            .prop_map(|(a, b)| Op::Count(a, b)),
    ]
}

/// The model: on hand per (item, location) and in transit per item, moved only by what each
/// accepted operation asked for, plus the item totals that nothing but stock-moving
/// transactions may change.
#[derive(Default)]
struct Model {
    on_hand: std::collections::BTreeMap<(ItemId, LocationId), Decimal>,
    in_transit: std::collections::BTreeMap<ItemId, Decimal>,
    /// Opening + receipts − fulfillments + adjustments, per item.
    ledger: std::collections::BTreeMap<ItemId, Decimal>,
    pos: Vec<DocId>,
    sos: Vec<DocId>,
    tos: Vec<DocId>,
}

impl Model {
    fn new(inv: &Inventory) -> Model {
        let mut model = Model::default();
        for ((item, location), level) in inv.levels() {
            model.on_hand.insert((item, location), level.on_hand);
            *model.ledger.entry(item).or_default() += level.on_hand;
        }
        model
    }

    fn add(&mut self, item: ItemId, location: LocationId, delta: Decimal) {
        *self.on_hand.entry((item, location)).or_default() += delta;
    }
}

fn pick_doc(docs: &[DocId], i: usize) -> DocId {
    docs.get(i % docs.len().max(1)).copied().unwrap_or(DocId(1))
}

/// Applies one op to both; returns whether the domain accepted it.
fn step_both(inv: &mut Inventory, model: &mut Model, op: &Op) -> bool {
    let lines = |v: &[(usize, usize, i64)]| -> Vec<(ItemId, LocationId, i64)> {
        v.iter().map(|(i, l, n)| (ITEMS[*i], LOCATIONS[*l], *n)).collect()
    };
    let (tx, order_lines) = match op {
        Op::Adjust(v) => {
            let v = lines(v);
            let tx = adjustment(v.iter().map(|(i, l, n)| adj_line(*i, Some(*l), *n)).collect());
            (tx, v)
        }
        Op::Po(v) => (Tx::PurchaseOrder(order(&lines(v))), vec![]),
        Op::So(v) => (Tx::SalesOrder(order(&lines(v))), vec![]),
        Op::Receive(doc, line, n) => (
            Tx::ItemReceipt(step(pick_doc(&model.pos, *doc), Some(vec![pick(line + 1, *n)]))),
            vec![],
        ),
        Op::Fulfil(doc, line, n) => (
            Tx::ItemFulfillment(step(pick_doc(&model.sos, *doc), Some(vec![pick(line + 1, *n)]))),
            vec![],
        ),
        Op::Transfer(i, a, b, n) => {
            (Tx::Transfer(transfer(LOCATIONS[*a], LOCATIONS[*b], &[(ITEMS[*i], *n)])), vec![])
        }
        Op::To(i, a, b, n) => {
            (Tx::TransferOrder(transfer(LOCATIONS[*a], LOCATIONS[*b], &[(ITEMS[*i], *n)])), vec![])
        }
        Op::Ship(doc) => (Tx::TransferOrderShip(step(pick_doc(&model.tos, *doc), None)), vec![]),
        Op::Land(doc) => (Tx::TransferOrderReceive(step(pick_doc(&model.tos, *doc), None)), vec![]),
        Op::Count(l, counts) => {
            let location = LOCATIONS[*l];
            let items: Vec<ItemRef> = counts.iter().map(|(i, _)| ItemRef::Id(ITEMS[*i])).collect();
            let start =
                Tx::CountStart(CountStartTx { location: Some(location), items: Some(items) });
            let Ok(started) = inv.apply(start, 0) else { return false };
            let count = started.id();
            let counts: Vec<(ItemRef, Quantity)> =
                counts.iter().map(|(i, n)| (ItemRef::Id(ITEMS[*i]), q(*n))).collect();
            inv.apply(
                Tx::CountEnter(CountEnterTx { count, counts: counts.clone(), complete: true }),
                0,
            )
            .unwrap();
            let before = inv.clone();
            let Ok(applied) = inv.apply(Tx::CountApprove(count), 0) else {
                assert_same(&before, inv);
                return false;
            };
            for line in &applied.records[0].lines {
                model.add(line.item, location, line.quantity);
                *model.ledger.entry(line.item).or_default() += line.quantity;
            }
            return true;
        }
    };
    let before = inv.clone();
    let source = match &tx {
        Tx::ItemReceipt(s)
        | Tx::ItemFulfillment(s)
        | Tx::TransferOrderShip(s)
        | Tx::TransferOrderReceive(s) => Some(s.order),
        _ => None,
    };
    let to_header = match &tx {
        Tx::TransferOrderShip(s) | Tx::TransferOrderReceive(s) => match inv.document(s.order) {
            Some(Document::TransferOrder { from, to, .. }) => Some((*from, *to)),
            _ => None,
        },
        _ => None,
    };
    let result = inv.apply(tx, 0);
    let Ok(applied) = result else {
        assert_same(&before, inv);
        return false;
    };
    let id = applied.id();
    match op {
        Op::Adjust(_) => {
            for (item, location, n) in order_lines {
                model.add(item, location, d(n));
                *model.ledger.entry(item).or_default() += d(n);
            }
        }
        Op::Po(_) => model.pos.push(id),
        Op::So(_) => model.sos.push(id),
        Op::To(..) => model.tos.push(id),
        Op::Receive(..) | Op::Fulfil(..) => {
            let sign = if matches!(op, Op::Receive(..)) { d(1) } else { d(-1) };
            assert!(source.is_some());
            for line in &applied.records[0].lines {
                model.add(line.item, line.location, sign * line.quantity);
                *model.ledger.entry(line.item).or_default() += sign * line.quantity;
            }
        }
        Op::Transfer(i, a, b, n) => {
            model.add(ITEMS[*i], LOCATIONS[*a], d(-*n));
            model.add(ITEMS[*i], LOCATIONS[*b], d(*n));
        }
        Op::Ship(_) | Op::Land(_) => {
            let (from, to) = to_header.expect("an accepted step had a transfer order");
            for line in &applied.records[0].lines {
                if matches!(op, Op::Ship(_)) {
                    model.add(line.item, from, -line.quantity);
                    *model.in_transit.entry(line.item).or_default() += line.quantity;
                } else {
                    model.add(line.item, to, line.quantity);
                    *model.in_transit.entry(line.item).or_default() -= line.quantity;
                }
            }
        }
        Op::Count(..) => unreachable!("handled above"),
    }
    true
}

/// Every invariant of the issue, checked against the model and the open documents.
fn check_invariants(inv: &Inventory, model: &Model, negative: NegativeInventory) {
    use std::collections::BTreeMap;
    let mut committed: BTreeMap<(ItemId, LocationId), Decimal> = BTreeMap::new();
    let mut back_ordered: BTreeMap<(ItemId, LocationId), Decimal> = BTreeMap::new();
    let mut on_order: BTreeMap<(ItemId, LocationId), Decimal> = BTreeMap::new();
    let mut in_transit: BTreeMap<(ItemId, LocationId), Decimal> = BTreeMap::new();
    let mut ordered: BTreeMap<(ItemId, LocationId), Decimal> = BTreeMap::new();
    for (_, document) in inv.documents() {
        match document {
            Document::PurchaseOrder { lines, .. } => {
                for l in lines {
                    assert!(l.received <= l.quantity);
                    *on_order.entry((l.item, l.location)).or_default() += l.quantity - l.received;
                }
            }
            Document::SalesOrder { lines, .. } => {
                for l in lines {
                    assert_eq!(l.committed + l.back_ordered + l.fulfilled, l.quantity);
                    *committed.entry((l.item, l.location)).or_default() += l.committed;
                    *back_ordered.entry((l.item, l.location)).or_default() += l.back_ordered;
                    *ordered.entry((l.item, l.location)).or_default() += l.quantity - l.fulfilled;
                }
            }
            Document::TransferOrder { from, to, lines, .. } => {
                for l in lines {
                    assert_eq!(l.committed + l.back_ordered + l.shipped, l.quantity);
                    *committed.entry((l.item, *from)).or_default() += l.committed;
                    *back_ordered.entry((l.item, *from)).or_default() += l.back_ordered;
                    *ordered.entry((l.item, *from)).or_default() += l.quantity - l.shipped;
                    *on_order.entry((l.item, *to)).or_default() += l.quantity - l.received;
                    *in_transit.entry((l.item, *from)).or_default() += l.shipped - l.received;
                }
            }
            Document::Count { .. } => {}
        }
    }
    let mut totals: BTreeMap<ItemId, Decimal> = BTreeMap::new();
    for item in ITEMS {
        for location in LOCATIONS {
            let key = (item, location);
            let level = inv.level(item, location);
            let get = |m: &BTreeMap<_, Decimal>| m.get(&key).copied().unwrap_or_default();
            assert_eq!(level.on_hand, get(&model.on_hand), "on hand {key:?}");
            assert_eq!(level.committed, get(&committed), "committed {key:?}");
            assert_eq!(level.back_ordered, get(&back_ordered), "back ordered {key:?}");
            assert_eq!(level.on_order, get(&on_order), "on order {key:?}");
            assert_eq!(level.in_transit, get(&in_transit), "in transit {key:?}");
            assert!(level.committed <= get(&ordered), "committed beyond open orders {key:?}");
            assert_eq!(level.available(), (level.on_hand - level.committed).max(Decimal::ZERO));
            assert!(!level.available().is_sign_negative() || level.available().is_zero());
            if negative == NegativeInventory::Block {
                assert!(level.on_hand >= Decimal::ZERO, "negative on hand {key:?} in block mode");
            }
            *totals.entry(item).or_default() += level.on_hand + level.in_transit;
        }
        let transit = model.in_transit.get(&item).copied().unwrap_or_default();
        let expected = model.ledger.get(&item).copied().unwrap_or_default();
        assert_eq!(
            totals[&item], expected,
            "conservation for item {item} (model in transit {transit})"
        );
    }
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// Random sequences of every operation type keep every invariant, in both modes.
    #[test]
    fn random_sequences_keep_invariants(ops in prop::collection::vec(op_strategy(), 1..40), allow in any::<bool>()) {
        let negative = if allow { NegativeInventory::Allow } else { NegativeInventory::Block };
        let mut inv = demo(negative);
        let mut model = Model::new(&inv);
        for op in &ops {
            step_both(&mut inv, &mut model, op);
            check_invariants(&inv, &model, negative);
        }
    }

    /// `undo` of the newest applied transaction restores the state exactly.
    #[test]
    fn undo_restores_exactly(ops in prop::collection::vec(op_strategy(), 1..20), last in op_strategy()) {
        let mut inv = demo(NegativeInventory::Block);
        let mut model = Model::new(&inv);
        for op in &ops {
            step_both(&mut inv, &mut model, op);
        }
        let before = inv.clone();
        if let Op::Adjust(v) = &last {
            let tx = adjustment(v.iter().map(|(i, l, n)| adj_line(ITEMS[*i], Some(LOCATIONS[*l]), *n)).collect());
            if let Ok(applied) = inv.apply(tx, 0) {
                inv.undo(applied);
            }
            assert_same(&before, &inv);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Error tables for every transaction type: each case sets up with `setup`, then `tx` must be
// refused with exactly this code and message, changing nothing.

/// The state every case below starts from: PO 1000 (10 DOOHICKEY at MAIN, 4 received by
/// receipt 1001), SO 1002 (3 WIDGET, fully fulfilled by 1003), SO 1004 (12 GADGET: 10
/// committed, 2 back ordered), TO 1005 (5 GIZMO from EAST to MAIN, unshipped), count 1006 at
/// STORE (approved, no variance) and count 1007 at MAIN (started).
fn table_setup() -> Inventory {
    let mut inv = demo(NegativeInventory::Block);
    let po = inv.apply(Tx::PurchaseOrder(order(&[(DOOHICKEY, MAIN, 10)])), 0).unwrap().id();
    inv.apply(Tx::ItemReceipt(step(po, Some(vec![pick(1, Some(4))]))), 0).unwrap();
    let so = inv.apply(Tx::SalesOrder(order(&[(WIDGET, MAIN, 3)])), 0).unwrap().id();
    inv.apply(Tx::ItemFulfillment(step(so, None)), 0).unwrap();
    inv.apply(Tx::SalesOrder(order(&[(GADGET, MAIN, 12)])), 0).unwrap();
    inv.apply(Tx::TransferOrder(transfer(EAST, MAIN, &[(GIZMO, 5)])), 0).unwrap();
    let count = inv
        .apply(
            Tx::CountStart(CountStartTx {
                location: Some(STORE),
                items: Some(vec![ItemRef::Id(GIZMO)]),
            }),
            0,
        )
        .unwrap()
        .id();
    inv.apply(Tx::CountApprove(count), 0).unwrap();
    inv.apply(
        Tx::CountStart(CountStartTx {
            location: Some(MAIN),
            items: Some(vec![ItemRef::Id(WIDGET)]),
        }),
        0,
    )
    .unwrap();
    inv
}

#[rstest]
#[case::po_no_lines(Tx::PurchaseOrder(order(&[])), "USER_ERROR", "You must enter at least one line item for this transaction.")]
#[case::po_zero(Tx::PurchaseOrder(order(&[(WIDGET, MAIN, 0)])), "INVALID_FLD_VALUE", "You have entered an Invalid Field Value 0 for the following field: quantity")]
#[case::po_no_location(Tx::PurchaseOrder(OrderTx { location: None, lines: vec![OrderLine { item: ItemRef::Id(WIDGET), location: None, quantity: q(1), rate: None }] }), "USER_ERROR", "Please enter value(s) for: Location")]
#[case::po_unknown_item(Tx::PurchaseOrder(order(&[(ItemId(9), MAIN, 1)])), "INVALID_KEY_OR_REF", "Invalid item reference key 9.")]
#[case::receipt_unknown_order(
    Tx::ItemReceipt(step(DocId(999), None)),
    "RCRD_DSNT_EXIST",
    "That record does not exist."
)]
#[case::receipt_from_a_sales_order(
    Tx::ItemReceipt(step(DocId(1002), None)),
    "RCRD_DSNT_EXIST",
    "That record does not exist."
)]
#[case::receipt_over(Tx::ItemReceipt(step(DocId(1000), Some(vec![pick(1, Some(7))]))), "OVERAGE_DISALLWD", "Overage is not allowed. Line 1 of purchase order 1000 has 6 remaining to receive.")]
#[case::receipt_bad_line(Tx::ItemReceipt(step(DocId(1000), Some(vec![pick(2, None)]))), "INVALID_FLD_VALUE", "The order has no line 2.")]
#[case::receipt_item_not_on_order(Tx::ItemReceipt(step(DocId(1000), Some(vec![LinePick { line: LineSel::Item(ItemRef::Id(WIDGET)), quantity: None }]))), "INVALID_FLD_VALUE", "You have entered an Invalid Field Value 3569 for the following field: item")]
#[case::so_unknown_location(Tx::SalesOrder(order(&[(WIDGET, LocationId(8), 1)])), "INVALID_KEY_OR_REF", "Invalid location reference key 8.")]
#[case::fulfil_fully_fulfilled(
    Tx::ItemFulfillment(step(DocId(1002), None)),
    "INVALID_INITIALIZE_REF",
    "You can not initialize itemfulfillment: invalid reference 1002."
)]
#[case::fulfil_beyond_committed(Tx::ItemFulfillment(step(DocId(1004), Some(vec![pick(1, Some(11))]))), "USER_ERROR", "You can not fulfill more than the committed quantity: line 1 of order 1004 has 10 committed.")]
#[case::fulfil_over(Tx::ItemFulfillment(step(DocId(1004), Some(vec![pick(1, Some(13))]))), "OVER_FULFILL_DISALLWD", "You can not over-fulfill an item unless you have selected the 'Allow Overage on Item Fulfillments' preference.")]
#[case::fulfil_from_a_po(
    Tx::ItemFulfillment(step(DocId(1000), None)),
    "RCRD_DSNT_EXIST",
    "That record does not exist."
)]
#[case::transfer_no_to(Tx::Transfer(TransferTx { to: None, ..transfer(MAIN, STORE, &[(WIDGET, 1)]) }), "USER_ERROR", "Please enter value(s) for: To Location")]
#[case::transfer_no_lines(Tx::Transfer(transfer(MAIN, STORE, &[])), "USER_ERROR", "You must enter at least one line item for this transaction.")]
#[case::transfer_zero(Tx::Transfer(transfer(MAIN, STORE, &[(WIDGET, 0)])), "INVALID_FLD_VALUE", "You have entered an Invalid Field Value 0 for the following field: adjustqtyby")]
#[case::to_same_location(Tx::TransferOrder(transfer(MAIN, MAIN, &[(WIDGET, 1)])), "INVALID_FLD_VALUE", "You have entered an Invalid Field Value 1 for the following field: transferlocation")]
#[case::to_receive_unshipped(
    Tx::TransferOrderReceive(step(DocId(1005), None)),
    "TRANSORD_SHIP_REC_MISMATCH",
    "You can not recieve more from a transfer order than you have shipped"
)]
#[case::to_ship_partial(Tx::TransferOrderShip(step(DocId(1005), Some(vec![pick(1, Some(2))]))), "PARTIAL_FULFILL_RCEIV_DISALLWD", "Lines on transfer orders cannot be partially fulfilled or partially received; line 1 must be processed in full (5).")]
#[case::to_ship_over(Tx::TransferOrderShip(step(DocId(1005), Some(vec![pick(1, Some(6))]))), "OVER_FULFILL_RECEIV_DISALLWD", "You can not fulfill or receive more than the quantity of line 1 (5).")]
#[case::to_unknown(
    Tx::TransferOrderShip(step(DocId(1000), None)),
    "RCRD_DSNT_EXIST",
    "That record does not exist."
)]
#[case::count_no_location(Tx::CountStart(CountStartTx { location: None, items: None }), "USER_ERROR", "Please enter value(s) for: Location")]
#[case::count_nothing_to_count(Tx::CountStart(CountStartTx { location: Some(EAST), items: Some(vec![]) }), "USER_ERROR", "You must enter at least one line item for this transaction.")]
#[case::count_enter_approved(Tx::CountEnter(CountEnterTx { count: DocId(1006), counts: vec![(ItemRef::Id(GIZMO), q(1))], complete: false }), "USER_ERROR", "Inventory count 1006 is approved; counts can only be entered while it is started.")]
#[case::count_negative(Tx::CountEnter(CountEnterTx { count: DocId(1007), counts: vec![(ItemRef::Id(WIDGET), q(-1))], complete: false }), "INVALID_FLD_VALUE", "You have entered an Invalid Field Value -1 for the following field: countquantity")]
#[case::count_approve_twice(
    Tx::CountApprove(DocId(1006)),
    "USER_ERROR",
    "Inventory count 1006 is already approved."
)]
#[case::count_reject_started(
    Tx::CountReject(DocId(1007)),
    "USER_ERROR",
    "Inventory count 1007 is started; only a completed count can be rejected."
)]
#[case::count_unknown(
    Tx::CountApprove(DocId(1005)),
    "RCRD_DSNT_EXIST",
    "That record does not exist."
)]
fn every_transaction_type_refuses_bad_input(
    #[case] tx: Tx,
    #[case] code: &str,
    #[case] message: &str,
) {
    let mut inv = table_setup();
    check_err(&mut inv, tx, code, message);
}

#[test]
fn eviction_moves_closed_documents_out_of_memory_and_undo_brings_them_back() {
    let mut inv = demo(NegativeInventory::Block);
    inv.set_evict_closed(true);
    let po = inv.apply(Tx::PurchaseOrder(order(&[(DOOHICKEY, MAIN, 3)])), 0).unwrap().id();
    let before = inv.clone();
    let applied = inv.apply(Tx::ItemReceipt(step(po, None)), 0).unwrap();
    assert!(inv.document(po).is_none(), "a fully received PO leaves memory");
    assert_eq!(applied.closed.len(), 1);
    assert!(applied.closed[0].1.is_closed());
    assert_eq!(applied.changed_documents, vec![po]);
    inv.undo(applied);
    assert_same(&before, &inv);
    // Without the document in memory, the domain cannot tell closed from unknown.
    inv.apply(Tx::ItemReceipt(step(po, None)), 0).unwrap();
    check_err(
        &mut inv,
        Tx::ItemReceipt(step(po, None)),
        "RCRD_DSNT_EXIST",
        "That record does not exist.",
    );
}

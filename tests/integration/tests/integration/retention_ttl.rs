//! The TTL backstop on every item of a request (issue 16 item 3): the retention keeper copies
//! the request's `expires_at` onto every other item of its partition; a moved date moves the
//! copies, earlier or later, never an item's own shorter TTL; a re-delivered batch changes
//! nothing; only the records that can need it reach the keeper, and the matcher is left to
//! matching.

use std::collections::BTreeMap;

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use lambda_runtime::{Context, LambdaEvent};
use local_runner::streams::passes_filters;
use local_runner::template::{EventSpec, Template};
use records::store::{Item, get_i64, get_s, n, s};
use serde_json::json;

use crate::support::{TestStack, spawn, unique_address};

/// A stack with a request its contact has not confirmed (nothing moves its date but the test),
/// once its partition carries its TTL: the request's id, TTL, and the other items' TTLs.
async fn unconfirmed(urn: &str) -> (TestStack, String, i64, BTreeMap<String, Option<i64>>) {
    let app = spawn().await;
    let reference = app.submit_unconfirmed(urn, &unique_address("senco")).await;
    let id = app.request_id(reference.as_str()).await;
    let ttl = every_item_carries_the_request_ttl(&app, &id).await;
    let (_, others) = ttls(&app, &id).await;
    (app, id, ttl, others)
}

/// A request's TTL, and every other item of its partition's (the retention marker's aside, it
/// has none), by sort key, as stored now.
pub async fn ttls(app: &TestStack, request_id: &str) -> (i64, BTreeMap<String, Option<i64>>) {
    let pk = records::keys::request_pk(request_id);
    let items = app.table_handle().partition_items(&pk, None).await.unwrap();
    let mut request = None;
    let mut others = BTreeMap::new();
    for item in &items {
        let sk = get_s(item, "sk").unwrap();
        let ttl = get_i64(item, "expires_at");
        match sk {
            "REQUEST" => request = ttl,
            records::retention::MARKER_SORT_KEY => assert_eq!(ttl, None, "the marker outlives"),
            _ => drop(others.insert(sk.to_owned(), ttl)),
        }
    }
    (request.expect("the request's TTL"), others)
}

/// Waits (a few seconds at most) until `done` holds of the partition's TTLs; returns them.
async fn ttls_until(
    app: &TestStack,
    request_id: &str,
    done: impl Fn(i64, &BTreeMap<String, Option<i64>>) -> bool,
) -> (i64, BTreeMap<String, Option<i64>>) {
    for _ in 0..50 {
        let (request, others) = ttls(app, request_id).await;
        if done(request, &others) {
            return (request, others);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (request, others) = ttls(app, request_id).await;
    assert!(done(request, &others), "{request}: {others:?}");
    (request, others)
}

/// Whether a TTL is a request's backstop (those fall at midnight UTC; an item's own TTL, a
/// pending upload's day, does not): a copy still to follow a moved date is told apart.
fn is_backstop(ttl: i64) -> bool {
    ttl % 86_400 == 0
}

/// Waits for every item of the request's partition to carry the request's TTL or an earlier
/// own one, then checks that a re-delivered batch of the partition's records changes nothing;
/// returns the request's TTL.
pub async fn every_item_carries_the_request_ttl(app: &TestStack, request_id: &str) -> i64 {
    let (request, others) = ttls_until(app, request_id, |request, others| {
        others.values().all(|ttl| match *ttl {
            Some(ttl) if is_backstop(ttl) => ttl == request,
            Some(ttl) => ttl < request,
            None => false,
        })
    })
    .await;
    assert!(!others.is_empty(), "the request has other items");
    // The request's record (its TTL set) and every item's insert, delivered again, twice.
    let pk = records::keys::request_pk(request_id);
    let items = app.table_handle().partition_items(&pk, None).await.unwrap();
    let batch: Vec<EventRecord> = items.iter().map(|item| insert(item.clone())).collect();
    redeliver(app, &batch).await;
    redeliver(app, &batch).await;
    assert_eq!(ttls(app, request_id).await, (request, others));
    request
}

/// A stream record of `item` inserted.
fn insert(item: Item) -> EventRecord {
    change("INSERT", None, item)
}

/// A stream record of a change from `old` (none: an insert) to `new`.
fn change(event: &str, old: Option<Item>, new: Item) -> EventRecord {
    let mut record: EventRecord = serde_json::from_value(json!({
        "awsRegion": "eu-west-2",
        "eventID": "redelivered",
        "eventName": event,
        "eventSource": "aws:dynamodb",
        "dynamodb": {
            "ApproximateCreationDateTime": 1_900_000_000.0,
            "SequenceNumber": "100",
            "SizeBytes": 100,
            "StreamViewType": "NEW_AND_OLD_IMAGES"
        }
    }))
    .unwrap();
    let keys: Item = ["pk", "sk"]
        .into_iter()
        .map(|key| (key.to_owned(), new[key].clone()))
        .collect();
    record.change.keys = keys.into();
    record.change.new_image = new.into();
    if let Some(old) = old {
        record.change.old_image = old.into();
    }
    record
}

/// Hands `records` to the retention keeper as the stream would, once more.
async fn redeliver(app: &TestStack, records: &[EventRecord]) {
    let mut event = Event::default();
    event.records = records.to_vec();
    let response = retention_keeper::handle(
        &app.table_handle(),
        LambdaEvent::new(event, Context::default()),
    )
    .await
    .unwrap();
    assert!(response.batch_item_failures.is_empty());
}

/// Sets item `sk` of the request's TTL (or, with none, removes it) as another writer would.
async fn set_ttl(app: &TestStack, request_id: &str, sk: &str, ttl: Option<i64>) {
    let update = app
        .table_handle()
        .update(records::keys::request_pk(request_id), sk);
    let update = match ttl {
        Some(ttl) => update
            .update_expression("SET expires_at = :ttl")
            .expression_attribute_values(":ttl", n(ttl)),
        None => update.update_expression("REMOVE expires_at"),
    };
    update.send().await.unwrap();
}

/// A new item of the request's partition with its own TTL (or none).
async fn put_item(app: &TestStack, request_id: &str, sk: &str, ttl: Option<i64>) {
    let mut item = Item::from([
        ("pk".to_owned(), s(records::keys::request_pk(request_id))),
        ("sk".to_owned(), s(sk)),
        ("note".to_owned(), s("written by the test")),
    ]);
    item.extend(ttl.map(|ttl| ("expires_at".to_owned(), n(ttl))));
    let table = app.table_handle();
    let put = table.client.put_item().table_name(&table.name);
    put.set_item(Some(item)).send().await.unwrap();
}

#[tokio::test]
async fn a_moved_purge_date_moves_the_copies_and_never_raises_an_own_shorter_ttl() {
    let (app, id, first, copies) = unconfirmed("100171").await;
    let day = 86_400;
    // An item with its own shorter life, one with a longer one (it gets the request's), a new
    // one with none, and a copy that is then given its own shorter TTL.
    put_item(&app, &id, "TEST#short", Some(first - 10 * day + 7)).await;
    put_item(&app, &id, "TEST#long", Some(first + 30 * day + 7)).await;
    put_item(&app, &id, "TEST#none", None).await;
    let own = copies.keys().find(|sk| sk.starts_with("EVENT#")).unwrap();
    set_ttl(&app, &id, own, Some(first - 3 * day + 7)).await;
    let expected = |request: i64, short: i64, own_now: i64| {
        move |got: i64, others: &BTreeMap<String, Option<i64>>| {
            got == request
                && others.iter().all(|(sk, ttl)| {
                    *ttl == Some(match sk.as_str() {
                        "TEST#short" => short,
                        sk if sk == own => own_now,
                        _ => request,
                    })
                })
        }
    };
    ttls_until(
        &app,
        &id,
        expected(first, first - 10 * day + 7, first - 3 * day + 7),
    )
    .await;

    // The request's date moves later, then earlier twice (each time as its own change would).
    let later = first + 100 * day;
    let mut moves = Vec::new();
    for (to, own_after) in [
        (later, first - 3 * day + 7),
        (first - day, first - 3 * day + 7),
        (first - 5 * day, first - 5 * day),
    ] {
        let pk = records::keys::request_pk(&id);
        let before = app.item(pk.clone(), "REQUEST").await.unwrap();
        set_ttl(&app, &id, "REQUEST", Some(to)).await;
        let after = app.item(pk, "REQUEST").await.unwrap();
        moves.push(change("MODIFY", Some(before), after));
        // Copies follow; the shorter own TTL stays; the copy given its own shorter one keeps it
        // until the request's falls below it.
        ttls_until(&app, &id, expected(to, first - 10 * day + 7, own_after)).await;
    }

    // The whole history delivered again, in order, twice: nothing changes.
    let settled = ttls(&app, &id).await;
    redeliver(&app, &moves).await;
    redeliver(&app, &moves).await;
    assert_eq!(ttls(&app, &id).await, settled);
    app.assert_aws_calls_allowed();
}

#[tokio::test]
async fn an_item_written_without_the_request_s_ttl_gets_it_back() {
    let (app, id, ttl, others) = unconfirmed("100172").await;
    let (sk, _) = others
        .iter()
        .find(|(sk, own)| sk.starts_with("EVENT#") && **own == Some(ttl))
        .unwrap();
    // A whole-item put that does not know the copied TTL, and an update that removes it.
    let table = app.table_handle();
    let mut item = app.item(records::keys::request_pk(&id), sk).await.unwrap();
    item.remove("expires_at");
    let put = table.client.put_item().table_name(&table.name);
    put.set_item(Some(item)).send().await.unwrap();
    ttls_until(&app, &id, |_, now| now[sk] == Some(ttl)).await;
    set_ttl(&app, &id, sk, None).await;
    ttls_until(&app, &id, |_, now| now[sk] == Some(ttl)).await;
    every_item_carries_the_request_ttl(&app, &id).await;
}

/// A stream record of the request item changing `old` to `new` (its TTL as given).
fn request_record(
    event: &str,
    old: Option<i64>,
    new: Option<i64>,
    state: &str,
) -> serde_json::Value {
    let image = |ttl: Option<i64>| {
        let mut image = json!({
            "pk": {"S": "REQUEST#r1"}, "sk": {"S": "REQUEST"}, "state": {"S": state}
        });
        if let Some(ttl) = ttl {
            image["expires_at"] = json!({"N": ttl.to_string()});
        }
        image
    };
    let mut dynamodb = json!({"Keys": {"pk": {"S": "REQUEST#r1"}, "sk": {"S": "REQUEST"}}});
    dynamodb["NewImage"] = image(new);
    if event == "MODIFY" {
        dynamodb["OldImage"] = image(old);
    }
    json!({"eventName": event, "dynamodb": dynamodb})
}

/// The stream filters of function `binary` in the template.
fn filters_of(template: &Template, binary: &str) -> Vec<serde_json::Value> {
    let functions = template.functions().unwrap();
    let function = functions.iter().find(|f| f.binary == binary).unwrap();
    function
        .events
        .iter()
        .flat_map(|event| match event {
            EventSpec::DynamoStream { filters, .. } => filters.clone(),
            _ => Vec::new(),
        })
        .collect()
}

#[test]
fn the_matcher_sees_only_requests_needing_a_reviewer() {
    let template = Template::load(&crate::support::template_path()).unwrap();
    let matcher = filters_of(&template, "matcher");
    let keeper = filters_of(&template, "retention-keeper");
    // A booked request's purge date moving, or any other change of it: not the matcher's.
    let booked = request_record("MODIFY", Some(100), Some(200), "booked");
    assert!(!passes_filters(&matcher, &booked));
    assert!(passes_filters(&keeper, &booked));
    assert!(passes_filters(
        &matcher,
        &request_record("MODIFY", Some(100), Some(200), "matching")
    ));
    // New items of a request, and items left without a TTL, reach the keeper only.
    let item = |event: &str, image: serde_json::Value| json!({"eventName": event, "dynamodb": {"Keys": {"pk": image["pk"], "sk": image["sk"]}, "NewImage": image}});
    let event = json!({"pk": {"S": "REQUEST#r1"}, "sk": {"S": "EVENT#1"}});
    let with_ttl =
        json!({"pk": {"S": "REQUEST#r1"}, "sk": {"S": "EVENT#1"}, "expires_at": {"N": "5"}});
    for record in [item("INSERT", event.clone()), item("MODIFY", event.clone())] {
        assert!(passes_filters(&keeper, &record));
        assert!(!passes_filters(&matcher, &record));
    }
    // An item that kept its TTL, the retention marker, and anything outside a request: neither.
    let marker = json!({"pk": {"S": "REQUEST#r1"}, "sk": {"S": "RETENTION"}});
    let outbox = json!({"pk": {"S": "OUTBOX#1"}, "sk": {"S": "OUTBOX"}});
    for record in [
        item("MODIFY", with_ttl),
        item("INSERT", marker.clone()),
        item("MODIFY", marker),
        item("INSERT", outbox),
    ] {
        assert!(!passes_filters(&keeper, &record), "{record}");
    }
    // Filters cannot compare images: the keeper's handler tells an unmoved date from the record.
    let unmoved = ttl_backstop::Record {
        event_name: "MODIFY",
        pk: "REQUEST#r1",
        sk: "REQUEST",
        old_ttl: Some(100),
        new_ttl: Some(100),
    };
    assert_eq!(ttl_backstop::Trigger::of(&unmoved), None);
}

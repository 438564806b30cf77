//! Demo data for the local stack: the fictional Northshire programme and its 20 reviewers
//! (`dev/demo/reviewers.csv`), loaded through the same code the admin tool uses.
//!
//! The reviewers' dates (training, DBS checks, unavailable days) are written relative to the
//! day the stack starts (`today-15m`, `today+8w..today+9w+4d`: see [`crate::relative_dates`]),
//! so the demo tells the same story, and the tests that book these reviewers pass, on any day.

use anyhow::{Context as _, anyhow};
use records::programme::{self, ProgrammeSettings};
use records::reviewers::{self, Reviewer};
use records::store::Table;
use time::Date;

use crate::LocalStack;
use crate::relative_dates;

#[cfg(test)]
#[path = "demo/story_tests.rs"]
mod story_tests;

/// The demo pool as written: an import file whose dates are relative to the day it is seeded.
pub const REVIEWERS_CSV: &str = include_str!("../../demo/reviewers.csv");

/// The demo pool as an ordinary import file (`YYYY-MM-DD` dates) for a stack started on `today`.
pub fn reviewers_csv(today: Date) -> String {
    relative_dates::resolve(REVIEWERS_CSV, today)
        .expect("every relative date in dev/demo/reviewers.csv is well formed (unit tested)")
}

/// The demo pool for a stack started on `today`, read by the product's own CSV parser.
pub fn pool(today: Date) -> anyhow::Result<Vec<Reviewer>> {
    let rows = reviewers::parse_csv(&reviewers_csv(today)).map_err(|errors| {
        anyhow!(
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        )
    })?;
    Ok(rows.into_iter().map(|row| row.reviewer).collect())
}

/// Seeds the programme and the demo pool as they are on `today`.
pub async fn seed(stack: &LocalStack, today: Date) -> anyhow::Result<()> {
    let table = Table {
        client: stack.aws.dynamodb.clone(),
        name: stack.table_name().to_owned(),
    };
    programme::put(&table, &ProgrammeSettings::demo())
        .await
        .context("saving the programme")?;
    let pool = pool(today)?;
    let report = reviewers::upsert_all(
        &table,
        &pool,
        &records::audit::Actor::new("demo data", time::OffsetDateTime::now_utc()),
    )
    .await
    .context("importing the demo reviewers")?;
    tracing::info!(
        created = report.created,
        updated = report.updated,
        %today,
        "demo data seeded"
    );
    Ok(())
}

/// The stored pool, as the tests that book demo reviewers need it: who they are, how many
/// reviews a term they take, and the days they cannot visit (`GET /_dev/demo/reviewers.json`).
pub async fn stored_pool(table: &Table) -> anyhow::Result<serde_json::Value> {
    let pool = reviewers::list(table).await?;
    Ok(serde_json::Value::Array(
        pool.iter()
            .map(|r| {
                serde_json::json!({
                    "name": r.name,
                    "email": r.email,
                    "active": r.active,
                    "may_lead": r.may_lead,
                    "capacity_per_term": r.capacity_per_term,
                    "trained_on": r.trained_on.map(|d| d.to_string()),
                    "dbs_checked_on": r.dbs_checked_on.map(|d| d.to_string()),
                    "unavailable": r.unavailable.iter().map(|range| serde_json::json!({
                        "start": range.start().to_string(),
                        "end": range.end().to_string(),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect(),
    ))
}

/// Gives the request with `reference` a final report (the typical example report), as
/// [`finalise`] does. For tests of what a school does with a final report
/// (`POST /_dev/demo/final-report`).
pub async fn final_report(table: &Table, reference: &str) -> anyhow::Result<serde_json::Value> {
    let request_id = request_id_of(table, reference).await?;
    let item = table
        .get(records::keys::request_pk(&request_id), "REQUEST")
        .await?
        .ok_or_else(|| anyhow!("no request {request_id}"))?;
    // The typical text under the request's own areas, as its framework names them.
    let areas = records::request::read_request(item)?.request.areas();
    let report = workflows::report::examples::typical_for(&areas);
    finalise(table, &request_id, &report).await?;
    Ok(serde_json::json!({
        "request_id": request_id,
        "recommendations": report.recommendations.len(),
    }))
}

/// Queues the feedback emails of request `reference` (whose report is final), as finalising
/// through the lead's editor does: the demo's final report queues none, so that a test reading
/// the school's newest email still finds its status link.
pub async fn feedback_invitations(
    table: &Table,
    reference: &str,
) -> anyhow::Result<serde_json::Value> {
    let request_id = request_id_of(table, reference).await?;
    let item = table
        .get(records::keys::request_pk(&request_id), "REQUEST")
        .await?
        .ok_or_else(|| anyhow!("no request {request_id}"))?;
    let stored = records::request::read_request(item)?;
    let items =
        coordination::feedback::invitations(table, &stored, time::OffsetDateTime::now_utc())
            .await?;
    let emails = items.len();
    match table.transact(items).await? {
        records::store::Transacted::Committed => Ok(serde_json::json!({ "emails": emails })),
        cancelled => Err(anyhow!(
            "the feedback emails were not queued: {cancelled:?}"
        )),
    }
}

/// Books a visit today with a stand-in lead ("Demo Lead") for request `request_id`, which has
/// none and no offer waiting: a report exists only for a booked review (the lifecycle's rule),
/// and a demo request's school may have nobody eligible in the demo pool. Today's date.
async fn book_demo_visit(table: &Table, request_id: &str) -> anyhow::Result<time::Date> {
    use records::store::s;
    let today = time::OffsetDateTime::now_utc().date();
    let lead = records::request::TeamMember {
        reviewer_id: "DEMO-LEAD".into(),
        reviewer_name: "Demo Lead".into(),
        visit_date: today,
        offer_id: String::new(),
    };
    let accepted = records::lifecycle::RequestState::Accepted.as_str();
    table
        .client
        .update_item()
        .table_name(&table.name)
        .key("pk", s(records::keys::request_pk(request_id)))
        .key("sk", s("REQUEST"))
        .update_expression("SET #lead = :lead, #state = :accepted, gsi1pk = :index")
        .condition_expression("attribute_not_exists(#lead) AND attribute_not_exists(open_offer)")
        .expression_attribute_names("#lead", "lead")
        .expression_attribute_names("#state", "state")
        .expression_attribute_values(
            ":lead",
            aws_sdk_dynamodb::types::AttributeValue::M(serde_dynamo::to_item(&lead)?),
        )
        .expression_attribute_values(":accepted", s(accepted))
        .expression_attribute_values(":index", s(records::keys::state_index_key(accepted)))
        .send()
        .await
        .map_err(|e| anyhow!("request {request_id} has an offer waiting for an answer: {e}"))?;
    Ok(today)
}

/// Moves the booked visit of the request with `reference` to `date` (`YYYY-MM-DD`, any day,
/// past ones too): the lead's date and the second reviewer's, nothing else. For tests of what
/// happens on and after the visit day, which is weeks away in any request a test can make
/// (`POST /_dev/requests/<reference>/visit-date`).
pub async fn set_visit_date(
    table: &Table,
    reference: &str,
    date: &str,
) -> anyhow::Result<serde_json::Value> {
    let date = records::domain::parse_date(date.trim())
        .map_err(|_| anyhow!("{date:?} is not a date written YYYY-MM-DD"))?;
    let request_id = request_id_of(table, reference).await?;
    let key = |u: aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder| {
        u.table_name(&table.name)
            .key(
                "pk",
                records::store::s(records::request::request_pk(&request_id)),
            )
            .key("sk", records::store::s("REQUEST"))
            .expression_attribute_values(":day", records::store::s(date.to_string()))
    };
    key(table.client.update_item())
        .update_expression("SET #lead.visit_date = :day")
        .condition_expression("attribute_exists(#lead)")
        .expression_attribute_names("#lead", "lead")
        .send()
        .await
        .map_err(|e| anyhow!("request {reference} has no booked visit: {e}"))?;
    // The second reviewer visits with the lead, if the review has one.
    let second = key(table.client.update_item())
        .update_expression("SET #second.visit_date = :day")
        .condition_expression("attribute_exists(#second)")
        .expression_attribute_names("#second", "second")
        .send()
        .await
        .is_ok();
    Ok(serde_json::json!({
        "request_id": request_id,
        "visit_date": date.to_string(),
        "second_reviewer": second,
    }))
}

/// The id of the request with `reference`.
pub(crate) async fn request_id_of(table: &Table, reference: &str) -> anyhow::Result<String> {
    let item = table
        .client
        .get_item()
        .table_name(&table.name)
        .key(
            "pk",
            records::store::s(records::keys::reference_pk(reference.trim())),
        )
        .key("sk", records::store::s("REFERENCE"))
        .send()
        .await?
        .item;
    Ok(item
        .as_ref()
        .and_then(|item| records::store::get_s(item, "request_id"))
        .ok_or_else(|| anyhow!("no request has the reference {reference:?}"))?
        .to_owned())
}

/// Takes `report` for request `request_id` through the report's own steps to final (saved,
/// sent to the school, accepted, finalised with the retention marker the finalising
/// transaction writes), as if the visit had happened and the lead had finalised it. No files
/// are stored in S3 and no email is sent. The steps are dated on the visit's day when it is
/// still to come (the lifecycle opens the report on that day), else now.
pub async fn finalise(
    table: &Table,
    request_id: &str,
    report: &workflows::report::Report,
) -> anyhow::Result<()> {
    use workflows::report::store::{Moved, Saved};
    use workflows::report::{FactualCheck, store};

    let item = table
        .get(records::keys::request_pk(request_id), "REQUEST")
        .await?
        .ok_or_else(|| anyhow!("no request {request_id}"))?;
    let stored = records::request::read_request(item)?;
    let visit = match stored.lead.as_ref() {
        Some(lead) => lead.visit_date,
        None => book_demo_visit(table, request_id).await?,
    };
    let now = time::OffsetDateTime::now_utc()
        .max(visit.midnight().assume_utc() + time::Duration::hours(12));
    let Saved::Saved { version } =
        store::save_draft(table, request_id, 0, report, "Demo Lead", now).await?
    else {
        return Err(anyhow!("the request already has a report"));
    };
    let moved = store::submit(table, request_id, version, None, now, Vec::new()).await?;
    anyhow::ensure!(moved == Moved::Done, "submitting the report: {moved:?}");
    let accepted = FactualCheck::Accepted;
    let moved =
        store::record_factual_check(table, request_id, version, &accepted, now, Vec::new()).await?;
    anyhow::ensure!(moved == Moved::Done, "the school's check: {moved:?}");
    let (html, pdf) = store::object_keys(request_id);
    let retention_months = ProgrammeSettings::demo().retention_months;
    let purge_after = workflows::retention::purge_date(now.date(), retention_months);
    let also = workflows::retention::schedule_purge(&table.name, request_id, purge_after);
    let moved = store::finalise(table, request_id, version, &html, &pdf, now, also).await?;
    anyhow::ensure!(moved == Moved::Done, "finalising the report: {moved:?}");
    Ok(())
}

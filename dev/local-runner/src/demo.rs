//! Demo data for the local stack: the fictional Northshire programme and its 20 reviewers
//! (`dev/demo/reviewers.csv`), loaded through the same code the admin tool uses.

use anyhow::{Context as _, anyhow};
use records::programme::ProgrammeSettings;
use records::store::Table;
use records::{programme, reviewers};

use crate::LocalStack;

pub const REVIEWERS_CSV: &str = include_str!("../../demo/reviewers.csv");

pub async fn seed(stack: &LocalStack) -> anyhow::Result<()> {
    let table = Table {
        client: stack.aws.dynamodb.clone(),
        name: stack.table_name().to_owned(),
    };
    programme::put(&table, &ProgrammeSettings::demo())
        .await
        .context("saving the programme")?;
    let rows = reviewers::parse_csv(REVIEWERS_CSV).map_err(|errors| {
        anyhow!(
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        )
    })?;
    let pool: Vec<_> = rows.into_iter().map(|row| row.reviewer).collect();
    let report = reviewers::upsert_all(&table, &pool)
        .await
        .context("importing the demo reviewers")?;
    tracing::info!(
        created = report.created,
        updated = report.updated,
        "demo data seeded"
    );
    Ok(())
}

/// Gives the request with `reference` a final report (the typical example report), as
/// [`finalise`] does. For tests of what a school does with a final report
/// (`POST /_dev/demo/final-report`).
pub async fn final_report(table: &Table, reference: &str) -> anyhow::Result<serde_json::Value> {
    let request_id = request_id_of(table, reference).await?;
    let report = workflows::report::examples::typical();
    finalise(table, &request_id, &report).await?;
    Ok(serde_json::json!({
        "request_id": request_id,
        "recommendations": report.recommendations.len(),
    }))
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
async fn request_id_of(table: &Table, reference: &str) -> anyhow::Result<String> {
    let item = table
        .client
        .get_item()
        .table_name(&table.name)
        .key(
            "pk",
            records::store::s(format!("REFERENCE#{}", reference.trim())),
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
/// are stored in S3 and no email is sent.
pub async fn finalise(
    table: &Table,
    request_id: &str,
    report: &workflows::report::Report,
) -> anyhow::Result<()> {
    use workflows::report::store::{Moved, Saved};
    use workflows::report::{FactualCheck, store};

    let now = time::OffsetDateTime::now_utc();
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

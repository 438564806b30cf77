//! Demo data for the local stack: the fictional Northshire programme and its 20 reviewers
//! (`dev/demo/reviewers.csv`), loaded through the same code the admin tool uses.

use anyhow::{Context as _, anyhow};
use shared::programme::{self, ProgrammeSettings};
use shared::reviewers;
use shared::store::Table;

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

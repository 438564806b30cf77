//! `send-review-admin`: what a programme administrator does from a terminal, against the same
//! DynamoDB table as the functions (reviewers, requests, the funders' export).
//!
//! Each command is a function here taking the [`Table`]: reads return values, renderers write
//! human text to any `Write`, so the integration tests run every command against DynamoDB
//! Local. `main.rs` only parses arguments and prints.
//!
//! Layer: the top, over `records`, `workflows` (a command-line adapter: each command calls the same
//! code the functions use). A rule, a stored shape or a page goes down into those crates (see the
//! workspace README's layout), never here.

pub mod export;
pub mod frameworks;
pub mod requests;
pub mod reviewers;
pub mod settings;

use std::collections::HashMap;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::AttributeValue;
use records::reviewers::RowError;
use records::store::Table;

pub type Item = HashMap<String, AttributeValue>;

/// Why a command failed (exit status 1). Each displays as one line.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The reviewer or request asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// An imported file has bad rows (each one in the list); nothing was written.
    #[error("nothing was imported: the file has {} problem{}", .0.len(), if .0.len() == 1 { "" } else { "s" })]
    InvalidCsv(Vec<RowError>),
    /// What was asked contradicts what is stored; nothing was written.
    #[error("{0}")]
    Refused(String),
    /// DynamoDB could not be reached or refused the call, or an item is unreadable.
    #[error("{0}")]
    Store(String),
    /// A local file could not be read or written.
    #[error("{0}")]
    Io(String),
}

/// Item `pk` / `sk`, read consistently, or `missing` when there is none.
pub(crate) async fn get_item(
    table: &Table,
    pk: String,
    sk: &str,
    missing: impl FnOnce() -> AdminError,
) -> Result<records::store::Item, AdminError> {
    let item = table
        .get(pk, sk)
        .await
        .map_err(|e| stored_error(table, e))?;
    item.ok_or_else(missing)
}

/// A failed read or write of the table, on one line, naming the table (a wrong `--table`
/// shows as `ResourceNotFoundException` here).
pub(crate) fn stored_error(table: &Table, error: records::store::StoreError) -> AdminError {
    AdminError::Store(one_line(&format!("{error} (table {})", table.name)))
}

/// A failed DynamoDB call `operation`, as [`stored_error`] says it.
pub(crate) fn store_error<E>(table: &Table, operation: &'static str, err: E) -> AdminError
where
    E: ProvideErrorMetadata + std::error::Error,
{
    stored_error(table, records::store::dynamo_error(operation, err))
}

pub(crate) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Text from the table made safe for a terminal: control characters (an escape sequence could
/// rewrite the screen) become U+FFFD. Form input is already checked; this is defence in depth.
pub(crate) fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

/// Writes rows as left-aligned columns separated by two spaces, the first row being the header.
pub(crate) fn write_columns(
    out: &mut impl std::io::Write,
    rows: &[Vec<String>],
) -> std::io::Result<()> {
    let columns = rows.first().map_or(0, Vec::len);
    let mut widths = vec![0; columns];
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for row in rows {
        let mut line = String::new();
        for (i, (cell, width)) in row.iter().zip(&widths).enumerate() {
            line.push_str(cell);
            if i + 1 < columns {
                line.extend(std::iter::repeat_n(' ', width - cell.chars().count() + 2));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_and_lines_have_no_trailing_space() {
        let mut out = Vec::new();
        write_columns(
            &mut out,
            &[
                vec!["name".into(), "active".into(), "x".into()],
                vec!["Ada Okafor".into(), "yes".into(), "".into()],
            ],
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "name        active  x\nAda Okafor  yes\n"
        );
    }

    #[test]
    fn control_characters_are_not_printed() {
        assert_eq!(printable("a\u{1b}[2Jb"), "a\u{fffd}[2Jb");
        assert_eq!(one_line("a\n  b\tc"), "a b c");
    }
}

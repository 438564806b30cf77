//! Rules on what is inside a file of the right type: CSV cells a spreadsheet would run as
//! formulas (CSV injection), web pages sent as CSV, and 97-2003 Office files carrying macros.

use super::files::{FileType, Rejection};

/// A cell whose first character (after spaces) makes a spreadsheet treat it as a formula:
/// `=`, `+`, `-`, `@`, and the tab and carriage return OWASP adds (some spreadsheets skip them
/// and read on). A plain number such as `-0.4` or `+3` is a value, not a formula, and so is a
/// lone `-` (the usual "no data"): schools' data summaries are full of both.
pub fn is_formula(cell: &str) -> bool {
    let text = cell.trim_start_matches(' ');
    match text.chars().next() {
        Some('=' | '@' | '\t' | '\r') => true,
        Some('+' | '-') => text != "-" && !is_plain_number(text),
        _ => false,
    }
}

/// `-0.4`, `+3`, `-1e3`: what `f64` parses, except the words it also takes (`inf`, `NaN`).
fn is_plain_number(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'))
        && text.parse::<f64>().is_ok()
}

/// The tags that make a text file a web page, looked for anywhere, case-insensitively, and
/// followed by `>`, `/` or a space (so `<headteacher>` in a cell is not one).
const HTML_TAGS: &[&[u8]] = &[
    b"<!doctype",
    b"<html",
    b"<head",
    b"<body",
    b"<script",
    b"<iframe",
    b"<svg",
    b"<meta",
];

/// Whether CSV text is really a web page: it starts with `<`, or holds an HTML tag anywhere.
pub fn looks_like_html(text: &[u8]) -> bool {
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    if text.trim_ascii_start().starts_with(b"<") {
        return true;
    }
    let lower = text.to_ascii_lowercase();
    HTML_TAGS.iter().any(|tag| {
        lower.windows(tag.len() + 1).any(|window| {
            window.starts_with(tag)
                && matches!(
                    window[tag.len()],
                    b'>' | b'/' | b' ' | b'\t' | b'\r' | b'\n'
                )
        })
    })
}

/// A CSV file (already known to be UTF-8 text) is refused if it is a web page, or at its first
/// cell a spreadsheet would run as a formula (its row and column, counted from 1).
pub fn csv_cells(bytes: &[u8]) -> Result<(), Rejection> {
    if looks_like_html(bytes) {
        return Err(Rejection::WebPage);
    }
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text);
    for (row, record) in reader.byte_records().enumerate() {
        let record = record.map_err(|_| Rejection::NotTheDeclaredType(FileType::Csv))?;
        for (column, cell) in record.iter().enumerate() {
            if is_formula(&String::from_utf8_lossy(cell)) {
                return Err(Rejection::Formula {
                    row: row as u64 + 1,
                    column: column as u64 + 1,
                });
            }
        }
    }
    Ok(())
}

/// The storages (folders) in which Office 97-2003 keeps macros: Word's `Macros`, Excel's
/// `_VBA_PROJECT_CUR`, and the `VBA` project inside either.
const MACRO_STORAGES: &[&str] = &["Macros", "_VBA_PROJECT_CUR", "VBA"];

/// The size of one directory entry of a compound file.
const ENTRY_BYTES: usize = 128;

/// Whether an OLE compound file (a .doc, .xls or .ppt) has a macro storage in its directory.
///
/// Every directory entry starts at a multiple of 128 bytes in the file (sectors are 512 or 4096
/// bytes, after a header of one sector), so rather than follow the file's own sector chains,
/// which a crafted file can make lie, every 128-byte boundary is read as an entry: one that is
/// a well-formed storage or stream entry named like a macro storage refuses the file. A
/// forged-looking entry inside ordinary data can only refuse a file, never let one through.
/// Not caught: PowerPoint 97-2003 keeps its VBA inside the document stream, and Excel 4.0
/// macro sheets are ordinary sheets; the malware scan is the check for those.
pub fn ole_macros(bytes: &[u8]) -> bool {
    bytes
        .chunks_exact(ENTRY_BYTES)
        .skip(512 / ENTRY_BYTES)
        .filter_map(entry_name)
        .any(|name| {
            MACRO_STORAGES
                .iter()
                .any(|storage| name.eq_ignore_ascii_case(storage))
        })
}

/// The name of a directory entry that is a storage (1) or a stream (2), if `entry` is one.
fn entry_name(entry: &[u8]) -> Option<String> {
    let name_bytes = usize::from(u16::from_le_bytes([entry[64], entry[65]]));
    let object_type = entry[66];
    let colour = entry[67];
    if !matches!(object_type, 1 | 2) || colour > 1 {
        return None;
    }
    if !(4..=64).contains(&name_bytes) || name_bytes % 2 != 0 {
        return None;
    }
    let units: Vec<u16> = entry[..name_bytes]
        .chunks_exact(2)
        .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
        .collect();
    let (last, name) = units.split_last()?;
    if *last != 0 {
        return None;
    }
    String::from_utf16(name).ok()
}

use super::files::{OLE_MAGIC, PNG_MAGIC};
use super::*;
use std::io::Write;

fn ooxml(entries: &[&str]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for name in entries {
        writer.start_file(*name, options).unwrap();
        writer.write_all(b"<xml/>").unwrap();
    }
    writer.finish().unwrap().into_inner()
}

#[test]
fn each_type_knows_its_magic_bytes() {
    let docx = ooxml(&["[Content_Types].xml", "_rels/.rels", "word/document.xml"]);
    let xlsx = ooxml(&["[Content_Types].xml", "xl/workbook.xml"]);
    let pptx = ooxml(&["[Content_Types].xml", "ppt/presentation.xml"]);
    let plain_zip = ooxml(&["notes.txt"]);
    let mut ole = OLE_MAGIC.to_vec();
    ole.extend([0; 504]);
    let samples: Vec<(&str, Vec<u8>)> = vec![
        ("pdf", b"%PDF-1.7\n%\xE2\xE3\n1 0 obj".to_vec()),
        ("docx", docx),
        ("xlsx", xlsx),
        ("pptx", pptx),
        ("ole", ole),
        (
            "csv",
            "name,score\nGroup A,12\nÉcole,3\n".as_bytes().to_vec(),
        ),
        ("png", [PNG_MAGIC, b"\0\0\0\rIHDR"].concat()),
        ("jpeg", vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F']),
        ("zip", plain_zip),
        ("exe", b"MZ\x90\0\x03\0\0\0".to_vec()),
        ("binary", vec![b'a', b',', 0, b'b']),
    ];
    let accepts = |file_type: FileType| -> Vec<&str> {
        samples
            .iter()
            .filter(|(_, bytes)| file_type.matches(bytes))
            .map(|(name, _)| *name)
            .collect()
    };
    assert_eq!(accepts(FileType::Pdf), ["pdf"]);
    assert_eq!(accepts(FileType::Docx), ["docx"]);
    assert_eq!(accepts(FileType::Xlsx), ["xlsx"]);
    assert_eq!(accepts(FileType::Pptx), ["pptx"]);
    for legacy in [FileType::Doc, FileType::Xls, FileType::Ppt] {
        assert_eq!(accepts(legacy), ["ole"]);
    }
    assert_eq!(accepts(FileType::Png), ["png"]);
    assert_eq!(accepts(FileType::Jpeg), ["jpeg"]);
    // Any UTF-8 text without NULs passes as CSV (the PDF sample is not UTF-8).
    assert_eq!(accepts(FileType::Csv), ["csv"]);
    assert!(FileType::Csv.matches(b"\xEF\xBB\xBFa,b\n"), "a BOM is fine");
    assert!(
        !FileType::Csv.matches(b"caf\xE9,1\n"),
        "Latin-1 is not UTF-8"
    );
}

#[test]
fn verify_checks_emptiness_size_then_type() {
    assert_eq!(verify(FileType::Pdf, b"", 10), Err(Rejection::Empty));
    assert_eq!(
        verify(FileType::Pdf, b"%PDF-1.4 and more", 10),
        Err(Rejection::TooLarge { max_bytes: 10 })
    );
    assert_eq!(
        verify(FileType::Pdf, b"PK\x03\x04", 10),
        Err(Rejection::NotTheDeclaredType(FileType::Pdf))
    );
    assert_eq!(verify(FileType::Pdf, b"%PDF-1.4", 10), Ok(()));
    let reason = Rejection::NotTheDeclaredType(FileType::Docx).reason();
    assert!(
        reason.starts_with("The file was not a Word document"),
        "{reason}"
    );
    assert!(
        Rejection::TooLarge {
            max_bytes: 20 * 1024 * 1024
        }
        .reason()
        .contains("larger than 20 MB")
    );
}

#[test]
fn each_type_declares_one_content_type_and_its_extensions() {
    for file_type in FileType::ALL {
        assert_eq!(FileType::parse(file_type.as_str()), Some(*file_type));
        for ext in file_type.extensions() {
            assert_eq!(
                FileType::from_file_name(&format!("Report{}", ext.to_uppercase())),
                Some(*file_type)
            );
        }
        assert!(file_type.accept().ends_with(file_type.content_type()));
    }
    assert_eq!(FileType::Jpeg.accept(), ".jpg,.jpeg,image/jpeg");
    assert_eq!(FileType::from_file_name("notes.txt"), None);
    let types: std::collections::HashSet<_> =
        FileType::ALL.iter().map(|t| t.content_type()).collect();
    assert_eq!(types.len(), FileType::ALL.len(), "content types are unique");
}

#[test]
fn sizes_read_like_a_file_manager() {
    assert_eq!(size_text(0), "0 bytes");
    assert_eq!(size_text(1), "1 byte");
    assert_eq!(size_text(1500), "1 KB");
    assert_eq!(size_text(20 * 1024 * 1024), "20 MB");
    assert_eq!(size_text(2_500_000), "2.4 MB");
}

/// An OLE compound file's header sector, then one directory sector holding the root entry and
/// `entries` (name, object type: 1 storage, 2 stream).
fn ole(entries: &[(&str, u8)]) -> Vec<u8> {
    let mut bytes = OLE_MAGIC.to_vec();
    bytes.resize(512, 0);
    let mut entry = |name: &str, object_type: u8| {
        let mut raw = [0u8; 128];
        let units: Vec<u16> = name.encode_utf16().chain([0]).collect();
        for (i, unit) in units.iter().enumerate() {
            raw[i * 2..i * 2 + 2].copy_from_slice(&unit.to_le_bytes());
        }
        raw[64..66].copy_from_slice(&((units.len() * 2) as u16).to_le_bytes());
        raw[66] = object_type;
        raw[67] = 1;
        bytes.extend_from_slice(&raw);
    };
    entry("Root Entry", 5);
    for (name, object_type) in entries {
        entry(name, *object_type);
    }
    bytes
}

#[test]
fn legacy_office_files_with_macro_storage_are_refused() {
    let plain = ole(&[("WordDocument", 2), ("1Table", 2), ("ObjectPool", 1)]);
    assert_eq!(verify(FileType::Doc, &plain, 1 << 20), Ok(()));
    for (file_type, storage) in [
        (FileType::Doc, "Macros"),
        (FileType::Xls, "_VBA_PROJECT_CUR"),
        (FileType::Ppt, "VBA"),
        (FileType::Xls, "vba"),
    ] {
        let with_macros = ole(&[("WordDocument", 2), (storage, 1)]);
        assert_eq!(
            verify(file_type, &with_macros, 1 << 20),
            Err(Rejection::Macros(file_type)),
            "{storage}"
        );
    }
    // A macro name that is not a well-formed entry (no terminating NUL, or an unused entry)
    // does not refuse the file.
    let mut unterminated = ole(&[("Macros", 1)]);
    let at = 512 + 128;
    unterminated[at + 64..at + 66].copy_from_slice(&12u16.to_le_bytes());
    assert!(!ole_macros(&unterminated));
    let unused = ole(&[("Macros", 0)]);
    assert!(!ole_macros(&unused));
    let reason = Rejection::Macros(FileType::Xls).reason();
    assert!(
        reason.contains("Excel 97-2003 spreadsheet contains macros"),
        "{reason}"
    );
    assert!(reason.contains(".xlsx"), "{reason}");
}

#[test]
fn csv_cells_a_spreadsheet_would_run_are_refused_with_their_row_and_column() {
    assert_eq!(
        verify(
            FileType::Csv,
            b"group,score\nA,-0.4\nB,+3\nC,-\nD,12\n",
            1 << 20
        ),
        Ok(())
    );
    for (csv, row, column) in [
        ("a,b\n1,=HYPERLINK(\"http://x\")\n", 2, 2),
        ("=1+1\n", 1, 1),
        ("a,b,c\n1,2,3\nx,y,\"@SUM(A1)\"\n", 3, 3),
        ("a\n -2+3\n", 2, 1),
        ("a,b\n\"+cmd|' /C calc'!A0\",1\n", 2, 1),
        ("a,b\n1,\"\tx\"\n", 2, 2),
    ] {
        assert_eq!(
            verify(FileType::Csv, csv.as_bytes(), 1 << 20),
            Err(Rejection::Formula { row, column }),
            "{csv:?}"
        );
    }
    let reason = Rejection::Formula { row: 4, column: 28 }.reason();
    assert!(
        reason.starts_with("Row 4, column AB of the CSV file"),
        "{reason}"
    );
}

#[test]
fn a_web_page_sent_as_csv_is_refused() {
    for page in [
        "<!DOCTYPE html><p>hi</p>",
        "\u{feff}  <html>",
        "name,notes\nA,\"<SCRIPT src=x>\"\n",
        "a\n<svg/onload=alert(1)>\n",
    ] {
        assert_eq!(
            verify(FileType::Csv, page.as_bytes(), 1 << 20),
            Err(Rejection::WebPage),
            "{page:?}"
        );
    }
    assert_eq!(
        verify(
            FileType::Csv,
            b"role,count\n<headteacher>,1\nunder <5,3\n",
            1 << 20
        ),
        Ok(())
    );
}

#[test]
fn columns_are_named_as_a_spreadsheet_names_them() {
    let names: Vec<String> = [1, 2, 26, 27, 28, 52, 53, 702, 703]
        .into_iter()
        .map(column_letters)
        .collect();
    assert_eq!(names, ["A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]);
}

#[test]
fn only_two_clean_scan_results_let_a_file_through() {
    use status::*;
    assert_eq!(verdict(NO_THREATS_FOUND, Some(NO_THREATS_FOUND)), Ok(()));
    assert_eq!(verdict(THREATS_FOUND, None), Err(Rejection::Threat));
    assert_eq!(
        verdict(NO_THREATS_FOUND, Some(THREATS_FOUND)),
        Err(Rejection::Threat)
    );
    for (event, tag) in [
        (NO_THREATS_FOUND, None),
        ("FAILED", Some("FAILED")),
        ("UNSUPPORTED", Some("UNSUPPORTED")),
        ("ACCESS_DENIED", None),
        (NO_THREATS_FOUND, Some("FAILED")),
        ("", Some(NO_THREATS_FOUND)),
    ] {
        assert_eq!(
            verdict(event, tag),
            Err(Rejection::NotScanned),
            "{event} {tag:?}"
        );
    }
}

mod properties {
    use super::super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever a cell holds, a CSV of it is refused exactly when the cell is a formula,
        /// at its own row and column.
        #[test]
        fn a_formula_cell_is_found_where_it_is(
            cell in "[=+@ a-z0-9.-]{0,8}",
            row in 1u64..5,
            column in 1u64..4,
        ) {
            let mut csv = String::new();
            for r in 1..=row {
                let cells: Vec<String> = (1..=column)
                    .map(|c| if (r, c) == (row, column) { format!("\"{cell}\"") } else { "1".into() })
                    .collect();
                csv.push_str(&cells.join(","));
                csv.push('\n');
            }
            let expected = if is_formula(&cell) {
                Err(Rejection::Formula { row, column })
            } else {
                Ok(())
            };
            prop_assert_eq!(verify(FileType::Csv, csv.as_bytes(), 1 << 20), expected);
        }

        /// A plain number, however signed, is a value.
        #[test]
        fn signed_numbers_are_not_formulas(n in -1.0e6f64..1.0e6) {
            let signed = n.to_string();
            let plus = format!("+{}", n.abs());
            prop_assert!(!is_formula(&signed), "{}", signed);
            prop_assert!(!is_formula(&plus), "{}", plus);
        }

        /// No bytes make the macro scan panic.
        #[test]
        fn any_bytes_are_read_safely(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = ole_macros(&bytes);
            let _ = verify(FileType::Csv, &bytes, 4096);
        }
    }
}

mod upload_limits {
    use super::super::*;
    use time::macros::datetime;
    use time::{Duration, OffsetDateTime};

    const LIMITS: UploadLimits = UploadLimits {
        max_files: 3,
        per_hour: 2,
    };

    fn at(time: OffsetDateTime) -> String {
        time.format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    }

    #[test]
    fn held_files_and_the_last_hours_uploads_are_counted() {
        let now = datetime!(2027-03-01 10:00 UTC);
        let old = at(now - Duration::hours(2));
        let recent = at(now - Duration::minutes(40));
        let files = [
            ("received", old.as_str()),
            ("rejected", old.as_str()),
            ("deleted", old.as_str()),
            ("pending", recent.as_str()),
        ];
        let some = allowance(files, LIMITS, now);
        assert_eq!((some.files_left, some.hour_left), (1, 1));
        assert_eq!(some.left(), 1);
        assert_eq!(some.refusal(), None);
        assert_eq!(some.left_text(), "You can add 1 more file to this request.");

        // Full: the reason says how to make room.
        let full = allowance(
            [
                ("received", old.as_str()),
                ("received", old.as_str()),
                ("pending", old.as_str()),
            ],
            LIMITS,
            now,
        );
        assert_eq!(full.left(), 0);
        let reason = full.refusal().unwrap();
        assert!(
            reason.starts_with("This request already has 3 files"),
            "{reason}"
        );

        // Too many this hour: deleted and rejected uploads count too; the wait is said.
        let burst = allowance(
            [
                ("deleted", recent.as_str()),
                ("rejected", at(now - Duration::minutes(5)).as_str()),
            ],
            LIMITS,
            now,
        );
        assert_eq!((burst.files_left, burst.hour_left), (3, 0));
        assert_eq!(
            burst.left_text(),
            "You can add 0 more files this hour, and 3 more files to this request in all."
        );
        let reason = burst.refusal().unwrap();
        assert!(
            reason.contains("You can add another file in 20 minutes."),
            "{reason}"
        );
    }

    proptest::proptest! {
        /// However the files stand, what is left never exceeds either limit, and a refusal is
        /// given exactly when nothing is left.
        #[test]
        fn left_is_within_both_limits(
            files in proptest::collection::vec((0usize..4, 0i64..180), 0..12),
            max_files in 1u16..6,
            per_hour in 1u16..6,
        ) {
            let now = datetime!(2027-03-01 10:00 UTC);
            let states = ["pending", "received", "rejected", "deleted"];
            let times: Vec<(usize, String)> = files
                .iter()
                .map(|(state, minutes)| (*state, at(now - Duration::minutes(*minutes))))
                .collect();
            let limits = UploadLimits { max_files, per_hour };
            let left = allowance(times.iter().map(|(s, t)| (states[*s], t.as_str())), limits, now);
            let held = files.iter().filter(|(s, _)| *s < 2).count() as u16;
            let in_hour = files.iter().filter(|(_, m)| *m < 60).count() as u16;
            proptest::prop_assert_eq!(left.files_left, max_files.saturating_sub(held));
            proptest::prop_assert_eq!(left.hour_left, per_hour.saturating_sub(in_hour));
            proptest::prop_assert_eq!(left.refusal().is_some(), left.left() == 0);
        }
    }
}

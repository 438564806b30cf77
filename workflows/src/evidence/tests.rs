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
fn keys_are_under_the_request_prefix_and_parse_back() {
    let request = Ulid::new().to_string();
    let evidence = Ulid::new().to_string();
    let key = object_key(&request, &evidence);
    assert!(key.starts_with(&request_prefix(&request)));
    assert_eq!(
        parse_object_key(&key),
        Some((request.as_str(), evidence.as_str()))
    );
    for bad in [
        "requests/x/evidence/y",
        "other/key",
        &format!("requests/{request}/evidence/{evidence}/extra"),
        &format!("requests/{request}/notes/{evidence}"),
    ] {
        assert_eq!(parse_object_key(bad), None, "{bad}");
    }
}

#[test]
fn the_form_is_parsed_with_an_error_per_field() {
    let errors = NewEvidence::parse(&RawNewEvidence::default()).unwrap_err();
    let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
    assert_eq!(fields, ["name", "category", "file_type", "no_pupil_named"]);
    let good = RawNewEvidence {
        name: "  SEN information report 2026  ".into(),
        category: "sen_information_report".into(),
        file_type: "pdf".into(),
        no_pupil_named: Some("yes".into()),
    };
    assert_eq!(
        NewEvidence::parse(&good),
        Ok(NewEvidence {
            name: "SEN information report 2026".into(),
            category: Category::SenInformationReport,
            file_type: FileType::Pdf,
        })
    );
    let long = RawNewEvidence {
        name: "x".repeat(MAX_NAME_CHARS + 1),
        category: "nonsense".into(),
        ..good
    };
    let errors = NewEvidence::parse(&long).unwrap_err();
    assert_eq!(errors.len(), 2);
    assert!(errors[0].message.contains("100 characters"));
}

#[test]
fn download_names_are_safe_and_keep_the_extension() {
    let mut evidence = Evidence {
        id: "01".into(),
        request_id: "02".into(),
        name: "Provision map: \"spring\"/2026".into(),
        category: Category::ProvisionMap,
        file_type: FileType::Xlsx,
        state: state::RECEIVED.into(),
        created_at: String::new(),
        max_bytes: 1,
        size: None,
        version_id: None,
        checked_at: None,
        rejected_reason: None,
        deleted_at: None,
    };
    assert_eq!(
        evidence.download_file_name(),
        "Provision map_ _spring__2026.xlsx"
    );
    evidence.name = "plan.XLSX".into();
    assert_eq!(evidence.download_file_name(), "plan.XLSX");
    evidence.name = "…".into();
    assert_eq!(evidence.download_file_name(), "_.xlsx");
}

#[test]
fn sizes_read_like_a_file_manager() {
    assert_eq!(size_text(0), "0 bytes");
    assert_eq!(size_text(1), "1 byte");
    assert_eq!(size_text(1500), "1 KB");
    assert_eq!(size_text(20 * 1024 * 1024), "20 MB");
    assert_eq!(size_text(2_500_000), "2.4 MB");
}

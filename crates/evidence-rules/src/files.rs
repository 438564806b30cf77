//! What an evidence file may be: its category, its declared type (checked against the file's
//! first bytes, and for Office files the folders inside), and the reasons a file is refused.

use serde::{Deserialize, Serialize};

/// What a file is evidence of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    SenInformationReport,
    ProvisionMap,
    AnonymisedDataSummary,
    SendPolicy,
    DevelopmentPlan,
    Other,
}

impl Category {
    pub const ALL: &'static [Category] = &[
        Category::SenInformationReport,
        Category::ProvisionMap,
        Category::AnonymisedDataSummary,
        Category::SendPolicy,
        Category::DevelopmentPlan,
        Category::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::SenInformationReport => "sen_information_report",
            Category::ProvisionMap => "provision_map",
            Category::AnonymisedDataSummary => "anonymised_data_summary",
            Category::SendPolicy => "send_policy",
            Category::DevelopmentPlan => "development_plan",
            Category::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Category::SenInformationReport => "SEN information report",
            Category::ProvisionMap => "Provision map",
            Category::AnonymisedDataSummary => "Anonymised data summary",
            Category::SendPolicy => "SEND policy",
            Category::DevelopmentPlan => "Development plan",
            Category::Other => "Other",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.as_str() == text)
    }
}

/// The kinds of file a school may upload, each with the one content type its form declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileType {
    Pdf,
    Docx,
    Doc,
    Xlsx,
    Xls,
    Pptx,
    Ppt,
    Csv,
    Png,
    Jpeg,
}

/// The first bytes of an OLE compound file (Office 97-2003 documents).
pub(super) const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
pub(super) const PNG_MAGIC: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
const JPEG_MAGIC: &[u8] = &[0xFF, 0xD8, 0xFF];

impl FileType {
    pub const ALL: &'static [FileType] = &[
        FileType::Pdf,
        FileType::Docx,
        FileType::Doc,
        FileType::Xlsx,
        FileType::Xls,
        FileType::Pptx,
        FileType::Ppt,
        FileType::Csv,
        FileType::Png,
        FileType::Jpeg,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FileType::Pdf => "pdf",
            FileType::Docx => "docx",
            FileType::Doc => "doc",
            FileType::Xlsx => "xlsx",
            FileType::Xls => "xls",
            FileType::Pptx => "pptx",
            FileType::Ppt => "ppt",
            FileType::Csv => "csv",
            FileType::Png => "png",
            FileType::Jpeg => "jpeg",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|t| t.as_str() == text)
    }

    /// What the school calls it.
    pub fn label(self) -> &'static str {
        match self {
            FileType::Pdf => "PDF",
            FileType::Docx => "Word document",
            FileType::Doc => "Word 97-2003 document",
            FileType::Xlsx => "Excel spreadsheet",
            FileType::Xls => "Excel 97-2003 spreadsheet",
            FileType::Pptx => "PowerPoint presentation",
            FileType::Ppt => "PowerPoint 97-2003 presentation",
            FileType::Csv => "CSV file",
            FileType::Png => "PNG image",
            FileType::Jpeg => "JPEG image",
        }
    }

    /// The declared MIME type: the upload form sends exactly this and S3 refuses any other.
    pub fn content_type(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            FileType::Doc => "application/msword",
            FileType::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            FileType::Xls => "application/vnd.ms-excel",
            FileType::Pptx => {
                "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            }
            FileType::Ppt => "application/vnd.ms-powerpoint",
            FileType::Csv => "text/csv",
            FileType::Png => "image/png",
            FileType::Jpeg => "image/jpeg",
        }
    }

    /// File name extensions, the usual one first.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            FileType::Pdf => &[".pdf"],
            FileType::Docx => &[".docx"],
            FileType::Doc => &[".doc"],
            FileType::Xlsx => &[".xlsx"],
            FileType::Xls => &[".xls"],
            FileType::Pptx => &[".pptx"],
            FileType::Ppt => &[".ppt"],
            FileType::Csv => &[".csv"],
            FileType::Png => &[".png"],
            FileType::Jpeg => &[".jpg", ".jpeg"],
        }
    }

    /// The newer, macro-free format's extension for a 97-2003 type (the type's own otherwise).
    pub fn macro_free_extension(self) -> &'static str {
        match self {
            FileType::Doc => ".docx",
            FileType::Xls => ".xlsx",
            FileType::Ppt => ".pptx",
            other => other.extensions()[0],
        }
    }

    /// The file input's `accept`: the extensions and the MIME type.
    pub fn accept(self) -> String {
        let mut accept: Vec<&str> = self.extensions().to_vec();
        accept.push(self.content_type());
        accept.join(",")
    }

    /// The type a file name's extension suggests.
    pub fn from_file_name(name: &str) -> Option<Self> {
        let lower = name.to_ascii_lowercase();
        Self::ALL
            .iter()
            .copied()
            .find(|t| t.extensions().iter().any(|ext| lower.ends_with(ext)))
    }

    /// Whether `bytes` (the whole file) really are this type: the magic bytes, and for the
    /// Office Open XML formats the zip's `[Content_Types].xml` and the application's folder.
    pub fn matches(self, bytes: &[u8]) -> bool {
        match self {
            FileType::Pdf => bytes.starts_with(b"%PDF-"),
            FileType::Docx => office_open_xml(bytes, "word/"),
            FileType::Xlsx => office_open_xml(bytes, "xl/"),
            FileType::Pptx => office_open_xml(bytes, "ppt/"),
            FileType::Doc | FileType::Xls | FileType::Ppt => bytes.starts_with(OLE_MAGIC),
            FileType::Csv => {
                let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
                !text.contains(&0) && std::str::from_utf8(text).is_ok()
            }
            FileType::Png => bytes.starts_with(PNG_MAGIC),
            FileType::Jpeg => bytes.starts_with(JPEG_MAGIC),
        }
    }
}

/// A zip whose entries include `[Content_Types].xml` and something under `folder`.
fn office_open_xml(bytes: &[u8], folder: &str) -> bool {
    if !bytes.starts_with(ZIP_MAGIC) {
        return false;
    }
    let Ok(archive) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) else {
        return false;
    };
    let names: Vec<&[u8]> = archive.file_names_raw().collect();
    names.contains(&b"[Content_Types].xml".as_slice())
        && names.iter().any(|name| name.starts_with(folder.as_bytes()))
}

/// Why the checker refused a file, in words the school can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    Empty,
    TooLarge {
        max_bytes: u64,
    },
    NotTheDeclaredType(FileType),
    /// A CSV cell (1-based row and column) a spreadsheet would run as a formula.
    Formula {
        row: u64,
        column: u64,
    },
    /// A web page (HTML) sent as a CSV file.
    WebPage,
    /// A 97-2003 Office file with macro storage.
    Macros(FileType),
    /// The malware scan found a threat.
    Threat,
    /// No clean scan result (the scan failed, could not read the file, or is missing).
    NotScanned,
}

impl Rejection {
    pub fn reason(&self) -> String {
        match self {
            Rejection::Empty => "The file was empty. Upload the file again.".into(),
            Rejection::TooLarge { max_bytes } => format!(
                "The file was larger than {}, the most we can take. Make it smaller (for example, save it as a PDF) and upload it again.",
                size_text(*max_bytes)
            ),
            Rejection::NotTheDeclaredType(declared) => format!(
                "The file was not a {label}, although you chose {label} as its type. Upload it again and choose the type that matches the file (for example, from the end of its name).",
                label = declared.label()
            ),
            Rejection::Formula { row, column } => format!(
                "Row {row}, column {letters} of the CSV file begins with =, +, - or @, which a spreadsheet would run as a formula. Replace formulas with their values (copy the cells, then paste values only), save the file as CSV again and upload it.",
                letters = column_letters(*column)
            ),
            Rejection::WebPage => "The file is a web page (HTML), not a CSV file. Open the data in your spreadsheet, save it as CSV and upload that file.".into(),
            Rejection::Macros(declared) => format!(
                "The {label} contains macros (code that runs when it is opened), which we do not accept. Save it without macros (for example as a PDF, or in the newer format ending {newer}) and upload it again.",
                label = declared.label(),
                newer = declared.macro_free_extension()
            ),
            Rejection::Threat => "Our malware scan found a threat in the file, so we deleted it and no reviewer saw it. Ask your IT support to check the computer it came from before you upload a clean copy.".into(),
            Rejection::NotScanned => "We could not scan the file for malware, so we deleted it. Upload it again; if this happens again, save it as a PDF and upload that.".into(),
        }
    }
}

/// Checks a whole uploaded file against its declared type and the size limit.
pub fn verify(declared: FileType, bytes: &[u8], max_bytes: u64) -> Result<(), Rejection> {
    if bytes.is_empty() {
        return Err(Rejection::Empty);
    }
    if bytes.len() as u64 > max_bytes {
        return Err(Rejection::TooLarge { max_bytes });
    }
    if !declared.matches(bytes) {
        return Err(Rejection::NotTheDeclaredType(declared));
    }
    match declared {
        FileType::Csv => super::content::csv_cells(bytes),
        FileType::Doc | FileType::Xls | FileType::Ppt if super::content::ole_macros(bytes) => {
            Err(Rejection::Macros(declared))
        }
        _ => Ok(()),
    }
}

/// `A`, `B`, ... `Z`, `AA`: a 1-based column as a spreadsheet names it.
pub fn column_letters(column: u64) -> String {
    let mut letters = Vec::new();
    let mut n = column;
    while n > 0 {
        let digit = ((n - 1) % 26) as u8;
        letters.push(b'A' + digit);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// `2.4 MB`, `850 KB`, `12 bytes` (1 MB = 1024 KB, as the size limit is counted).
pub fn size_text(bytes: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = 1024 * 1024;
    if bytes >= MB {
        let tenths = (bytes * 10 + MB / 2) / MB;
        if tenths.is_multiple_of(10) {
            format!("{} MB", tenths / 10)
        } else {
            format!("{}.{} MB", tenths / 10, tenths % 10)
        }
    } else if bytes >= KB {
        format!("{} KB", (bytes + KB / 2) / KB)
    } else if bytes == 1 {
        "1 byte".into()
    } else {
        format!("{bytes} bytes")
    }
}

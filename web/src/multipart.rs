//! Reading a `multipart/form-data` body (RFC 7578): what a form with a file input sends. Small
//! on purpose: the parts' names, file names and bytes, nothing streamed (the body is already
//! in memory, under the route's size limit).

/// One part of the form: a field, or a file when it has a file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub name: String,
    /// The file's name as the browser sent it (empty when no file was chosen); `None` for a
    /// plain field.
    pub filename: Option<String>,
    pub body: Vec<u8>,
}

/// Why a body is not a form's parts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MultipartError {
    #[error("the content type names no boundary")]
    NoBoundary,
    #[error("the body is not a multipart form: {0}")]
    Malformed(&'static str),
}

/// The boundary of a `multipart/form-data` content type, if it is one.
pub fn boundary(content_type: &str) -> Option<Result<String, MultipartError>> {
    let mut params = content_type.split(';');
    let kind = params.next()?.trim();
    if !kind.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    let boundary = params
        .filter_map(|p| p.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, value)| value.trim().trim_matches('"').to_owned())
        .filter(|b| !b.is_empty() && b.len() <= 70);
    Some(boundary.ok_or(MultipartError::NoBoundary))
}

/// The parts of `body`, delimited by `boundary`, in order.
pub fn parse(body: &[u8], boundary: &str) -> Result<Vec<Part>, MultipartError> {
    let delimiter = format!("--{boundary}").into_bytes();
    let next_delimiter = format!("\r\n--{boundary}").into_bytes();
    // The first delimiter opens the body (a preamble before it is ignored).
    let mut at = if body.starts_with(&delimiter) {
        delimiter.len()
    } else {
        find(body, &next_delimiter, 0).ok_or(MultipartError::Malformed("no first boundary"))?
            + next_delimiter.len()
    };
    let mut parts = Vec::new();
    loop {
        let rest = &body[at..];
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        // Transport padding may follow a delimiter before its line break.
        let padding = rest
            .iter()
            .take_while(|b| **b == b' ' || **b == b'\t')
            .count();
        if !rest[padding..].starts_with(b"\r\n") {
            return Err(MultipartError::Malformed(
                "a boundary is not followed by a line break",
            ));
        }
        let headers_start = at + padding + 2;
        let headers_end = find(body, b"\r\n\r\n", headers_start)
            .ok_or(MultipartError::Malformed("a part's headers never end"))?;
        let headers = std::str::from_utf8(&body[headers_start..headers_end])
            .map_err(|_| MultipartError::Malformed("a part's headers are not text"))?;
        let content_start = headers_end + 4;
        let content_end = find(body, &next_delimiter, content_start)
            .ok_or(MultipartError::Malformed("the last part never ends"))?;
        let (name, filename) = disposition(headers)?;
        parts.push(Part {
            name,
            filename,
            body: body[content_start..content_end].to_vec(),
        });
        at = content_end + next_delimiter.len();
    }
}

/// The field name and file name of a part's `Content-Disposition: form-data` header.
fn disposition(headers: &str) -> Result<(String, Option<String>), MultipartError> {
    let value = headers
        .split("\r\n")
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-disposition"))
        .map(|(_, value)| value.trim())
        .ok_or(MultipartError::Malformed(
            "a part has no Content-Disposition",
        ))?;
    let (kind, params) = value.split_once(';').unwrap_or((value, ""));
    if !kind.trim().eq_ignore_ascii_case("form-data") {
        return Err(MultipartError::Malformed("a part is not form-data"));
    }
    let params = parameters(params);
    let find = |wanted: &str| {
        params
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
            .map(|(_, value)| value.clone())
    };
    let name = find("name").ok_or(MultipartError::Malformed("a part has no name"))?;
    Ok((name, find("filename")))
}

/// `; name="value"; other=token` as pairs; a quoted value may hold `;` and `\"`.
fn parameters(text: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ';' || c.is_whitespace()) {
            chars.next();
        }
        let name: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if name.is_empty() {
            return pairs;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| *c != ';') {
                value.push(c);
            }
            value = value.trim().to_owned();
        }
        pairs.push((name.trim().to_owned(), value));
    }
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|window| window == needle)
        .map(|i| i + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A body as Chromium sends it: a token field and a CSV file.
    fn chromium_body(csv: &[u8]) -> Vec<u8> {
        let mut body = b"------WebKitFormBoundaryAbC123\r\n\
Content-Disposition: form-data; name=\"csrf\"\r\n\r\n\
tok-en\r\n\
------WebKitFormBoundaryAbC123\r\n\
Content-Disposition: form-data; name=\"file\"; filename=\"pool; \\\"new\\\".csv\"\r\n\
Content-Type: text/csv\r\n\r\n"
            .to_vec();
        body.extend_from_slice(csv);
        body.extend_from_slice(b"\r\n------WebKitFormBoundaryAbC123--\r\n");
        body
    }

    #[test]
    fn a_browsers_form_reads_as_its_fields_and_file() {
        let csv = b"name,email\r\nAda,ada@example.org\r\n\r\n--not a boundary\r\n";
        let parts = parse(&chromium_body(csv), "----WebKitFormBoundaryAbC123").unwrap();
        assert_eq!(
            parts,
            vec![
                Part {
                    name: "csrf".into(),
                    filename: None,
                    body: b"tok-en".to_vec(),
                },
                Part {
                    name: "file".into(),
                    filename: Some("pool; \"new\".csv".into()),
                    body: csv.to_vec(),
                },
            ]
        );
    }

    #[test]
    fn a_file_of_any_bytes_is_kept_as_sent() {
        let bytes = [0xff, 0xfe, 0x00, b'\r', b'\n', b'-', b'-'];
        let parts = parse(&chromium_body(&bytes), "----WebKitFormBoundaryAbC123").unwrap();
        assert_eq!(parts[1].body, bytes);
        let empty = parse(&chromium_body(b""), "----WebKitFormBoundaryAbC123").unwrap();
        assert_eq!(empty[1].body, b"");
    }

    #[test]
    fn the_boundary_comes_from_the_content_type() {
        assert_eq!(
            boundary("multipart/form-data; boundary=----X1"),
            Some(Ok("----X1".into()))
        );
        assert_eq!(
            boundary("Multipart/Form-Data; charset=utf-8; BOUNDARY=\"a b\""),
            Some(Ok("a b".into()))
        );
        assert_eq!(
            boundary("multipart/form-data"),
            Some(Err(MultipartError::NoBoundary))
        );
        assert_eq!(boundary("application/x-www-form-urlencoded"), None);
    }

    #[test]
    fn a_damaged_body_is_refused_not_half_read() {
        let body = chromium_body(b"a,b");
        let boundary = "----WebKitFormBoundaryAbC123";
        // Cut before the closing boundary: the file part never ends.
        assert_eq!(
            parse(&body[..body.len() - 20], boundary),
            Err(MultipartError::Malformed("the last part never ends"))
        );
        assert!(parse(b"no boundary here", boundary).is_err());
        assert!(parse(&body, "other").is_err());
        let no_name = b"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--";
        assert_eq!(
            parse(no_name, "b"),
            Err(MultipartError::Malformed("a part has no name"))
        );
        let no_headers_end = b"--b\r\nContent-Disposition: form-data; name=\"a\"";
        assert!(parse(no_headers_end, "b").is_err());
        let not_form_data = b"--b\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--b--";
        assert!(parse(not_form_data, "b").is_err());
    }

    #[test]
    fn a_form_with_no_parts_is_empty() {
        assert_eq!(parse(b"--b--\r\n", "b"), Ok(Vec::new()));
        assert_eq!(parse(b"preamble\r\n--b--", "b"), Ok(Vec::new()));
    }
}

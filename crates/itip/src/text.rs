//! Values and lines of an iCalendar file (RFC 5545 3.1 and 3.3.11).

/// `text` as an iCalendar TEXT value: backslash, semicolon and comma escaped, each line break
/// (CRLF, CR or LF) as `\n`, other control characters (but tab) as spaces. Readers unescape it
/// to the text, line breaks as LF.
pub fn text_value(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut value = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '\\' => value.push_str("\\\\"),
            ';' => value.push_str("\\;"),
            ',' => value.push_str("\\,"),
            '\n' => value.push_str("\\n"),
            '\t' => value.push('\t'),
            c if c.is_control() => value.push(' '),
            c => value.push(c),
        }
    }
    value
}

/// `text` with every control character as a space: for values that are one line (a summary, a
/// place, a name).
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A parameter value (a `CN`): quoted, so `:`, `;` and `,` stay inside it; a double quote,
/// which cannot be in a quoted value, becomes a single one.
pub(crate) fn param_value(text: &str) -> String {
    format!("\"{}\"", one_line(text).replace('"', "'"))
}

/// A `mailto:` URI of `address`, which has no white space or control characters (stored
/// addresses are checked; this keeps a malformed one from breaking the line).
pub(crate) fn mailto(address: &str) -> String {
    let address: String = address
        .chars()
        .filter(|c| !c.is_control() && !c.is_whitespace())
        .collect();
    format!("mailto:{address}")
}

/// One content line, folded: at most 75 octets a line, cut on character boundaries, each
/// continuation starting with a space (RFC 5545 3.1); CRLF after each.
pub(crate) fn fold(line: &str) -> String {
    let mut folded = String::with_capacity(line.len() + line.len() / 32 + 2);
    let (mut rest, mut limit) = (line, 75);
    while rest.len() > limit {
        let mut cut = limit;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        folded.push_str(&rest[..cut]);
        folded.push_str("\r\n ");
        // A continuation line starts with its space: 74 octets of content.
        (rest, limit) = (&rest[cut..], 74);
    }
    folded.push_str(rest);
    folded.push_str("\r\n");
    folded
}

//! The mail that was sent, read back from moto's SES (`/_send-review/sent-mail.json`, which
//! `dev/moto/server.py` adds to moto: moto's own `/moto-api/data.json` serialises everything it
//! holds, a second a call late in the suite) and parsed as the recipient's mail client would,
//! each message once per process. Used by the `/_dev/mail` page and by tests.

use std::collections::HashMap;
use std::sync::LazyLock;

use anyhow::Context as _;
use mail_parser::MimeHeaders;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct SentMail {
    pub id: String,
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub links: Vec<String>,
    pub attachments: Vec<Attachment>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub size: usize,
    /// The decoded bytes (tests open them; the mail page shows only the size).
    #[serde(skip)]
    pub content: Vec<u8>,
}

impl SentMail {
    /// Whether `address` is among the recipients (addresses compared without case).
    pub fn is_to(&self, address: &str) -> bool {
        self.to.iter().any(|to| to.eq_ignore_ascii_case(address))
    }
}

/// Every message moto's SES accepted, newest first.
pub async fn sent_mail(moto_url: &str) -> anyhow::Result<Vec<SentMail>> {
    sent_mail_where(moto_url, |_| true).await
}

/// The messages moto's SES accepted that `keep` keeps, newest first.
///
/// Each message is parsed once per process: what was read of each moto is kept, and a call
/// asks moto only for the messages sent since. Tests poll ten times a second, each test binary
/// and runner sharing one moto, and by the end of the suite it holds thousands of messages.
pub async fn sent_mail_where(
    moto_url: &str,
    keep: impl Fn(&SentMail) -> bool,
) -> anyhow::Result<Vec<SentMail>> {
    static READ: LazyLock<tokio::sync::Mutex<HashMap<String, Read>>> =
        LazyLock::new(Default::default);
    // Held while reading, so that concurrent callers parse each new message once.
    let mut all = READ.lock().await;
    let read = all.entry(moto_url.to_owned()).or_default();
    let mut page = fetch_since(moto_url, read.count).await?;
    if page.total < read.count {
        // moto was reset: what was read is gone.
        *read = Read::default();
        page = fetch_since(moto_url, 0).await?;
    }
    read.count += page.messages.len();
    read.mails.extend(page.messages.iter().filter_map(|m| {
        parse(
            m["id"].as_str()?,
            m["raw_data"].as_str()?,
            &m["destinations"],
        )
    }));
    Ok(read
        .mails
        .iter()
        .rev()
        .filter(|m| keep(m))
        .cloned()
        .collect())
}

/// What was read of one moto's sent mail: how many messages, and those that parsed, oldest
/// first.
#[derive(Default)]
struct Read {
    count: usize,
    mails: Vec<SentMail>,
}

#[derive(serde::Deserialize)]
struct SentSince {
    total: usize,
    messages: Vec<serde_json::Value>,
}

async fn fetch_since(moto_url: &str, since: usize) -> anyhow::Result<SentSince> {
    // moto serves every test's calls at once: a read that fails is tried again a moment later.
    let mut attempt = 0;
    loop {
        attempt += 1;
        let answer = async {
            reqwest::get(format!(
                "{moto_url}/_send-review/sent-mail.json?since={since}"
            ))
            .await
            .context("reaching moto")?
            .error_for_status()
            .context("moto's sent mail")?
            .json::<SentSince>()
            .await
            .context("reading moto's sent mail")
        }
        .await;
        match answer {
            Ok(page) => return Ok(page),
            Err(error) if attempt >= 5 => return Err(error),
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(200)).await,
        }
    }
}

fn parse(id: &str, raw: &str, destinations: &serde_json::Value) -> Option<SentMail> {
    let message = mail_parser::MessageParser::default().parse(raw.as_bytes())?;
    let addresses = |list: Option<&mail_parser::Address>| -> Vec<String> {
        list.map(|a| {
            a.iter()
                .filter_map(|addr| addr.address().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
    };
    let mut to = addresses(message.to());
    if to.is_empty() {
        to = destinations
            .as_array()
            .map(|d| {
                d.iter()
                    .filter_map(|a| a.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
    }
    let html = message
        .body_html(0)
        .map(|h| h.into_owned())
        .unwrap_or_default();
    let attachments = message
        .attachments()
        .map(|part| Attachment {
            filename: part.attachment_name().unwrap_or("attachment").to_owned(),
            content_type: part.content_type().map(content_type).unwrap_or_default(),
            size: part.contents().len(),
            content: part.contents().to_vec(),
        })
        .collect();
    Some(SentMail {
        id: id.to_owned(),
        from: addresses(message.from()).join(", "),
        to,
        subject: message.subject().unwrap_or_default().to_owned(),
        text: message
            .body_text(0)
            .map(|t| t.into_owned())
            .unwrap_or_default(),
        links: links(&html),
        html,
        attachments,
    })
}

/// `type/subtype; name=value...` as the part declares it (a calendar message's `method`, its
/// `charset`), the names lower case.
fn content_type(ct: &mail_parser::ContentType) -> String {
    let mut text = match ct.subtype() {
        Some(sub) => format!("{}/{}", ct.ctype(), sub),
        None => ct.ctype().to_owned(),
    };
    for attribute in ct.attributes().unwrap_or_default() {
        let name = attribute.name.to_ascii_lowercase();
        // The file's name is the attachment's own field.
        if name != "name" {
            text.push_str(&format!("; {name}={}", attribute.value));
        }
    }
    text
}

/// The `href`s of an HTML body, unescaped, in order.
pub fn links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|href| href.replace("&#38;", "&").replace("&amp;", "&"))
        .collect()
}

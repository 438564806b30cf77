//! Schools' requests: list by state, show with the timeline, withdraw.

use std::fmt;
use std::io::Write;

use records::domain::format_date;
use records::domain::request::{FocusAreas, Percentage, Reference, ReviewRequest, Text};
use records::lifecycle::RequestState;
use records::request::{StoredRequest, request_pk};
use records::store::{Table, get_s};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use workflows::offers::{Withdrawn, Workflow};

use crate::{AdminError, Item, get_item, printable, store_error, write_columns};

/// Every state a request can be in, in workflow order.
pub const STATES: &[&str] = RequestState::NAMES;
pub const WITHDRAWN: &str = RequestState::Withdrawn.as_str();

/// The longest reason a withdrawal may record.
pub const MAX_REASON_CHARS: usize = 500;

/// A line of a request's timeline (`REQUEST#<id>` / `EVENT#<time>#<ulid>`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Event {
    pub at: String,
    pub kind: String,
    #[serde(default)]
    pub detail: Option<String>,
}

/// A request with its timeline, oldest first.
#[derive(Debug, Clone)]
pub struct RequestDetails {
    pub request: StoredRequest,
    pub timeline: Vec<Event>,
    /// Set when mail to the contact's address bounced for good or was marked as spam.
    pub contact_undeliverable: Option<workflows::deliverability::Undeliverable>,
}

pub(crate) fn read_request(item: Item) -> Result<StoredRequest, AdminError> {
    let key = get_s(&item, "pk").unwrap_or("(no pk)").to_owned();
    serde_dynamo::from_item(item)
        .map_err(|e| AdminError::Store(format!("stored item {key} is unreadable: {e}")))
}

/// Requests in `state`, or in every known state, oldest first.
pub async fn list(table: &Table, state: Option<&str>) -> Result<Vec<StoredRequest>, AdminError> {
    let states = match state {
        Some(state) => vec![state],
        None => STATES.to_vec(),
    };
    let mut requests = Vec::new();
    for state in states {
        let items = table
            .index_items(&records::keys::state_index_key(state), None)
            .await
            .map_err(|e| store_error(table, "Query", e))?;
        for item in items {
            requests.push(read_request(item)?);
        }
    }
    sort_oldest_first(&mut requests);
    Ok(requests)
}

pub(crate) fn sort_oldest_first(requests: &mut [StoredRequest]) {
    requests.sort_by_cached_key(|r| {
        (
            OffsetDateTime::parse(&r.created_at, &Rfc3339).ok(),
            r.created_at.clone(),
            r.reference.to_string(),
        )
    });
}

/// `2027-01-05 09:30` (UTC) from a stored RFC 3339 time, or the stored text if unreadable.
fn minute(at: &str) -> String {
    match OffsetDateTime::parse(at, &Rfc3339) {
        Ok(t) => {
            let t = t.to_offset(time::UtcOffset::UTC);
            format!(
                "{} {:02}:{:02}",
                format_date(t.date()),
                t.hour(),
                t.minute()
            )
        }
        Err(_) => printable(at),
    }
}

/// Requests as a table: reference, created, school, URN, LA, review type, state.
pub fn write_list(out: &mut impl Write, requests: &[StoredRequest]) -> std::io::Result<()> {
    if requests.is_empty() {
        return writeln!(out, "no requests");
    }
    let mut rows = vec![
        [
            "reference",
            "created (UTC)",
            "school",
            "URN",
            "local authority",
            "review type",
            "state",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for r in requests {
        let school = &r.request.school;
        rows.push(vec![
            r.reference.to_string(),
            minute(&r.created_at),
            printable(school.name.as_str()),
            school.urn.to_string(),
            la_name(school.local_authority_code),
            r.request.review_type.label().to_owned(),
            printable(r.state.as_str()),
        ]);
    }
    write_columns(out, &rows)?;
    writeln!(
        out,
        "{} request{}",
        requests.len(),
        if requests.len() == 1 { "" } else { "s" }
    )
}

fn la_name(code: u16) -> String {
    records::domain::LocalAuthority::by_code(code)
        .map_or_else(|| format!("unknown LA {code}"), |la| la.name.to_owned())
}

/// The summary of each request as JSON (no contact details).
pub fn list_json(requests: &[StoredRequest]) -> Value {
    Value::Array(
        requests
            .iter()
            .map(|r| {
                let school = &r.request.school;
                json!({
                    "reference": r.reference.as_str(),
                    "id": r.id,
                    "created_at": r.created_at,
                    "state": r.state,
                    "school_name": school.name.as_str(),
                    "urn": school.urn.as_str(),
                    "local_authority": {
                        "code": school.local_authority_code,
                        "name": la_name(school.local_authority_code),
                    },
                    "review_type": r.request.review_type.as_str(),
                })
            })
            .collect(),
    )
}

/// The id of the request with this reference.
async fn request_id(table: &Table, reference: &Reference) -> Result<String, AdminError> {
    let pk = records::keys::reference_pk(reference.as_str());
    let item = get_item(table, pk, "REFERENCE", || {
        AdminError::NotFound(format!("no request has reference {reference}"))
    })
    .await?;
    get_s(&item, "request_id")
        .map(str::to_owned)
        .ok_or_else(|| {
            AdminError::Store(format!(
                "stored item REFERENCE#{reference} is unreadable: request_id is missing"
            ))
        })
}

/// The request with this reference, with its timeline (oldest first).
pub async fn show(table: &Table, reference: &Reference) -> Result<RequestDetails, AdminError> {
    let id = request_id(table, reference).await?;
    let mut request = None;
    let mut timeline = Vec::new();
    let items = table
        .partition_items(&request_pk(&id), None)
        .await
        .map_err(|e| store_error(table, "Query", e))?;
    for item in items {
        match get_s(&item, "sk") {
            Some("REQUEST") => request = Some(read_request(item)?),
            Some(sk) if sk.starts_with(records::keys::EVENT_PREFIX) => {
                let sk = sk.to_owned();
                let event: Event = serde_dynamo::from_item(item).map_err(|e| {
                    AdminError::Store(format!(
                        "stored item {} / {sk} is unreadable: {e}",
                        request_pk(&id)
                    ))
                })?;
                timeline.push((sk, event));
            }
            _ => {}
        }
    }
    let request = request.ok_or_else(|| {
        AdminError::Store(format!(
            "reference {reference} points at request {id}, which is not stored"
        ))
    })?;
    // The sort key starts with the time; parsing it too keeps order whatever its precision.
    timeline.sort_by_cached_key(|(sk, event)| {
        (OffsetDateTime::parse(&event.at, &Rfc3339).ok(), sk.clone())
    });
    let contact_undeliverable =
        workflows::deliverability::get(table, request.request.contact.email.as_str())
            .await
            .map_err(|e| AdminError::Store(e.to_string()))?;
    Ok(RequestDetails {
        contact_undeliverable,
        request,
        timeline: timeline.into_iter().map(|(_, event)| event).collect(),
    })
}

pub(crate) fn percent(value: &Percentage) -> String {
    value.to_string()
}

/// A stored phone number as typed (the type keeps it private; it serialises as its text).
pub(crate) fn phone_text(request: &ReviewRequest) -> Option<String> {
    request
        .contact
        .phone
        .as_ref()
        .and_then(|p| serde_json::to_value(p).ok())
        .and_then(|v| v.as_str().map(str::to_owned))
}

/// Focus areas as storage values (keys of the request's framework), every one of them when
/// the school asked for the whole review.
pub(crate) fn focus_values(request: &ReviewRequest) -> Vec<String> {
    request
        .areas()
        .into_iter()
        .map(|a| a.key.to_string())
        .collect()
}

/// Visit windows as `start..end`, ISO dates.
pub(crate) fn window_values(request: &ReviewRequest) -> Vec<String> {
    request
        .visit_windows
        .iter()
        .map(|w| format!("{}..{}", format_date(w.start), format_date(w.end)))
        .collect()
}

/// Every field of a request, then its timeline, oldest first.
pub fn write_details(out: &mut impl Write, details: &RequestDetails) -> std::io::Result<()> {
    let stored = &details.request;
    let r = &stored.request;
    let school = &r.school;
    let field = |out: &mut dyn Write, label: &str, value: &str| -> std::io::Result<()> {
        // Multi-line text (the learning goal) is indented under its first line.
        let mut lines = value.lines();
        writeln!(
            out,
            "  {label:<17} {}",
            printable(lines.next().unwrap_or(""))
        )?;
        for line in lines {
            writeln!(out, "  {:<17} {}", "", printable(line))?;
        }
        Ok(())
    };
    writeln!(out, "Request {}", stored.reference)?;
    field(out, "id", &stored.id)?;
    field(out, "state", stored.state.as_str())?;
    field(out, "created", &stored.created_at)?;
    if let Some(lead) = &stored.lead {
        field(
            out,
            "lead reviewer",
            &format!("{} ({})", lead.reviewer_name, lead.reviewer_id),
        )?;
        field(
            out,
            "visit date",
            &records::domain::format_date(lead.visit_date),
        )?;
    }
    if let Some(second_state) = &stored.second_state {
        let second = match &stored.second {
            Some(second) => format!(
                "{} ({}), {second_state}",
                second.reviewer_name, second.reviewer_id
            ),
            None => second_state.clone(),
        };
        field(out, "second reviewer", &second)?;
    }
    if let Some(change) = &stored.date_change {
        let asked_by = match change.asked_by {
            records::request::Side::School => "the school",
            records::request::Side::Reviewer => "the lead reviewer",
        };
        field(
            out,
            "date change",
            &format!("{} asked by {asked_by}, waiting", change.proposed_date),
        )?;
    }
    if let Some(offer) = stored.open_offer.as_ref().or(stored.second_offer.as_ref()) {
        field(out, "open offer", offer)?;
    }
    if let Some(original) = &stored.follow_up_of {
        field(out, "follows up", &original.reference)?;
    }
    if let Some(follow_up) = &stored.follow_up {
        field(
            out,
            "follow-up visit",
            &format!(
                "{} (asked on {})",
                follow_up.reference,
                asked_on(&follow_up.asked_at)
            ),
        )?;
    }
    if !stored.excluded_reviewers.is_empty() {
        field(
            out,
            "not asked again",
            &stored.excluded_reviewers.join(", "),
        )?;
    }
    writeln!(out, "School")?;
    field(out, "URN", school.urn.as_str())?;
    field(out, "name", school.name.as_str())?;
    field(out, "phase", school.phase.label())?;
    field(out, "type", school.school_type.label())?;
    field(
        out,
        "local authority",
        &format!(
            "{} ({})",
            la_name(school.local_authority_code),
            school.local_authority_code
        ),
    )?;
    field(
        out,
        "trust",
        school.trust.as_ref().map_or("-", Text::as_str),
    )?;
    field(out, "postcode", school.postcode.as_str())?;
    field(out, "number on roll", &school.number_on_roll.to_string())?;
    field(out, "SEN support", &percent(&school.sen_support_percent))?;
    field(out, "EHC plans", &percent(&school.ehc_plan_percent))?;
    field(
        out,
        "areas of need",
        &school
            .areas_of_need
            .iter()
            .map(|a| a.label())
            .collect::<Vec<_>>()
            .join("; "),
    )?;
    writeln!(out, "Review")?;
    field(out, "type", r.review_type.label())?;
    let titles = || {
        r.areas()
            .into_iter()
            .map(|a| a.title)
            .collect::<Vec<_>>()
            .join("; ")
    };
    let focus = match &r.focus_areas {
        FocusAreas::All => format!("all: {}", titles()),
        FocusAreas::Chosen(_) => titles(),
    };
    field(out, "focus areas", &focus)?;
    field(out, "visit windows", &window_values(r).join("; "))?;
    field(out, "learning goal", r.learning_goal.as_str())?;
    writeln!(out, "Contact")?;
    field(out, "name", r.contact.name.as_str())?;
    field(out, "role", r.contact.role.as_str())?;
    field(out, "email", r.contact.email.as_str())?;
    if let Some(stopped) = &details.contact_undeliverable {
        let what = match stopped.reason {
            workflows::deliverability::Reason::Bounce => "BOUNCED",
            workflows::deliverability::Reason::Complaint => "MARKED AS SPAM",
        };
        field(
            out,
            "",
            &format!(
                "{what} on {} ({}): no email reaches the school; ask for another address",
                stopped.first_at, stopped.detail
            ),
        )?;
    }
    field(out, "phone", phone_text(r).as_deref().unwrap_or("-"))?;
    writeln!(out, "Timeline (oldest first)")?;
    if details.timeline.is_empty() {
        writeln!(out, "  (no events)")?;
    }
    for event in &details.timeline {
        match &event.detail {
            Some(detail) => writeln!(
                out,
                "  {}  {}: {}",
                printable(&event.at),
                printable(&event.kind),
                printable(detail)
            )?,
            None => writeln!(
                out,
                "  {}  {}",
                printable(&event.at),
                printable(&event.kind)
            )?,
        }
    }
    Ok(())
}

/// The day a follow-up was asked for, `YYYY-MM-DD`.
fn asked_on(at: &str) -> String {
    OffsetDateTime::parse(at, &Rfc3339)
        .map(|at| format_date(at.date()))
        .unwrap_or_else(|_| at.to_owned())
}

/// Every field of a request and its timeline as JSON, with storage values and ISO dates.
pub fn details_json(details: &RequestDetails) -> Value {
    let stored = &details.request;
    let r = &stored.request;
    let school = &r.school;
    json!({
        "id": stored.id,
        "reference": stored.reference.as_str(),
        "state": stored.state,
        "created_at": stored.created_at,
        "school": {
            "urn": school.urn.as_str(),
            "name": school.name.as_str(),
            "phase": school.phase.as_str(),
            "type": school.school_type.as_str(),
            "local_authority": {
                "code": school.local_authority_code,
                "name": la_name(school.local_authority_code),
            },
            "trust": school.trust.as_ref().map(Text::as_str),
            "postcode": school.postcode.as_str(),
            "number_on_roll": school.number_on_roll,
            "sen_support_percent": percent(&school.sen_support_percent),
            "ehc_plan_percent": percent(&school.ehc_plan_percent),
            "areas_of_need": school.areas_of_need.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
        },
        "review_type": r.review_type.as_str(),
        "focus_scope": match r.focus_areas { FocusAreas::All => "all", FocusAreas::Chosen(_) => "chosen" },
        "focus_areas": focus_values(r),
        "visit_windows": r.visit_windows.iter().map(|w| json!({
            "start": format_date(w.start),
            "end": format_date(w.end),
        })).collect::<Vec<_>>(),
        "learning_goal": r.learning_goal.as_str(),
        "follows_up": stored.follow_up_of.as_ref().map(|original| original.reference.as_str()),
        "follow_up": stored.follow_up.as_ref().map(|follow_up| json!({
            "reference": follow_up.reference,
            "asked_on": asked_on(&follow_up.asked_at),
        })),
        "contact": {
            "name": r.contact.name.as_str(),
            "role": r.contact.role.as_str(),
            "email": r.contact.email.as_str(),
            "phone": phone_text(r),
            "email_undeliverable": details.contact_undeliverable.as_ref().map(|u| json!({
                "reason": u.reason.as_str(),
                "detail": u.detail,
                "since": u.first_at,
            })),
        },
        "timeline": details.timeline.iter().map(|e| json!({
            "at": e.at,
            "kind": e.kind,
            "detail": e.detail,
        })).collect::<Vec<_>>(),
    })
}

/// What [`withdraw`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Withdrawal {
    Withdrawn {
        reference: Reference,
        previous_state: String,
    },
    /// It was withdrawn before: nothing was written.
    AlreadyWithdrawn { reference: Reference },
}

impl fmt::Display for Withdrawal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Withdrawal::Withdrawn {
                reference,
                previous_state,
            } => write!(
                f,
                "withdrew {reference} (it was {}); the withdrawal is on its timeline",
                printable(previous_state)
            ),
            Withdrawal::AlreadyWithdrawn { reference } => {
                write!(f, "{reference} was already withdrawn: nothing changed")
            }
        }
    }
}

/// A reason for a withdrawal: one line, not empty, at most [`MAX_REASON_CHARS`] characters.
pub fn parse_reason(text: &str) -> Result<String, String> {
    Text::parse(text, MAX_REASON_CHARS, false)
        .map(|t| t.as_str().to_owned())
        .map_err(|e| match e {
            records::domain::request::TextError::Empty => "the reason must not be empty".into(),
            records::domain::request::TextError::TooLong(max) => {
                format!("the reason must be at most {max} characters")
            }
            records::domain::request::TextError::ControlCharacters => {
                "the reason must be one line of text, without control characters".into()
            }
        })
}

/// Withdraws a request (see `workflows::offers::Workflow::withdraw`: its state becomes
/// `withdrawn`, an open offer is withdrawn with it, and the timeline says so). Idempotent.
pub async fn withdraw(
    table: &Table,
    reference: &Reference,
    reason: Option<&str>,
    now: OffsetDateTime,
) -> Result<Withdrawal, AdminError> {
    let id = request_id(table, reference).await?;
    let reference = reference.clone();
    match workflow(table).withdraw(&id, reason, now, Vec::new()).await {
        Ok(Withdrawn::Withdrawn { previous_state }) => Ok(Withdrawal::Withdrawn {
            reference,
            previous_state,
        }),
        Ok(Withdrawn::Already) => Ok(Withdrawal::AlreadyWithdrawn { reference }),
        Ok(Withdrawn::Busy) => Err(AdminError::Refused(format!(
            "{reference} changed while it was being withdrawn; nothing was written: try again"
        ))),
        Ok(Withdrawn::NoSuchRequest) => Err(AdminError::Store(format!(
            "reference {reference} points at request {id}, which is not stored"
        ))),
        Err(error) => Err(AdminError::Store(crate::one_line(&format!(
            "{error} (table {})",
            table.name
        )))),
    }
}

/// The offer workflow, as the administrator runs it (no email goes to the administrator).
fn workflow(table: &Table) -> Workflow {
    Workflow::new(
        table.clone(),
        String::new(),
        records::programme::ProgrammeSettings::new("", ""),
    )
}

/// Erases request `reference` now (see `workflows::retention::purge`). A visit still to come
/// is cancelled in the team's calendars, as the console's erase does.
pub async fn purge(
    store: &workflows::evidence::EvidenceStore,
    reference: &Reference,
    now: OffsetDateTime,
) -> Result<workflows::retention::Purged, AdminError> {
    let failed = |e: &dyn std::fmt::Display| AdminError::Store(crate::one_line(&e.to_string()));
    let id = request_id(&store.table, reference).await?;
    let workflow = workflow(&store.table);
    let cancellations = match workflow.request(&id).await.map_err(|e| failed(&e))? {
        Some(stored) => workflow
            .erasure_cancellations(&stored, now)
            .await
            .map_err(|e| failed(&e))?,
        None => Vec::new(),
    };
    let purged = workflows::retention::purge(store, &id)
        .await
        .map_err(|e| failed(&e))?;
    if !cancellations.is_empty()
        && let records::store::Transacted::Cancelled(reasons) = store
            .table
            .transact(cancellations)
            .await
            .map_err(|e| failed(&records::store::dynamo_error("TransactWriteItems", e)))?
    {
        return Err(AdminError::Store(format!(
            "purged, but the team's calendar cancellations were not queued: {reasons:?}"
        )));
    }
    Ok(purged)
}

/// Every object version and item a purge removed, one per line.
pub fn write_purged(
    out: &mut impl Write,
    reference: &Reference,
    purged: &workflows::retention::Purged,
) -> std::io::Result<()> {
    for (key, version) in &purged.objects {
        writeln!(
            out,
            "object  {}  (version {})",
            printable(key),
            printable(version)
        )?;
    }
    for (pk, sk) in &purged.items {
        writeln!(out, "item    {}  {}", printable(pk), printable(sk))?;
    }
    writeln!(
        out,
        "purged {reference}: {} object version{}, {} item{}",
        purged.objects.len(),
        if purged.objects.len() == 1 { "" } else { "s" },
        purged.items.len(),
        if purged.items.len() == 1 { "" } else { "s" }
    )
}

/// Gives a request to another reviewer: not there yet.
/// Matches the request again (see `workflows::offers::Workflow::reassign`): the matcher, running
/// on the table's stream, then offers it to the next best reviewer or tells the administrator.
pub async fn reassign(table: &Table, reference: &Reference) -> Result<String, AdminError> {
    let id = request_id(table, reference).await?;
    match workflow(table)
        .reassign(&id, time::OffsetDateTime::now_utc(), Vec::new())
        .await
    {
        Ok(workflows::offers::Reassigned::Rematching) => Ok(format!(
            "{reference}: matching again; the next offer goes out in a few seconds"
        )),
        Ok(workflows::offers::Reassigned::Refused(why)) => {
            Err(AdminError::Refused(format!("{reference}: {why}")))
        }
        Err(error) => Err(AdminError::Refused(format!("{reference}: {error}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_is_one_short_line() {
        assert_eq!(parse_reason("  duplicate  "), Ok("duplicate".into()));
        assert!(parse_reason(" ").is_err());
        assert!(parse_reason("a\nb").is_err());
        assert!(parse_reason(&"x".repeat(501)).is_err());
    }

    #[test]
    fn times_show_to_the_minute_in_utc() {
        assert_eq!(minute("2027-01-05T09:30:59.123Z"), "2027-01-05 09:30");
        assert_eq!(minute("2027-01-05T10:30:00+01:00"), "2027-01-05 09:30");
        assert_eq!(minute("yesterday"), "yesterday");
    }
}

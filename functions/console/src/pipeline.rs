//! The pipeline: every request by stage, read without a scan.
//!
//! What it reads, and how:
//! - the requests: one query of `gsi1` per request state (`REQUEST_STATE#<state>`, sorted by
//!   creation time, so the oldest comes first);
//! - for the booked ones (state `accepted`), their documents' states (self-evaluation, report,
//!   action plan): they are items of the request's partition, in no index, so they are read by
//!   key, 100 a call (`BatchGetItem`), only `state` and `updated_at`;
//! - the programme's settings (the report's due days), by key;
//! - for "needs attention" (the `attention` module): the open offers due to expire (`OFFER_OPEN`,
//!   sorted by expiry) and the undeliverable addresses (`UNDELIVERABLE`).
//!
//! The stage of each request is `records::progress` on the day of the injected clock.

use std::collections::{BTreeMap, HashMap};

use records::domain::LocalAuthority;
use records::domain::calendar::Term;
use records::domain::request::{ReviewType, long_date};
use records::lifecycle::{ReportState, RequestState};
use records::progress::{Documents, Progress, progress, visit_date};
use records::request::StoredRequest;
use records::store::{Item, StoreError, Table, dynamo_error, get_s};
use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};
use web::pages::console::{FilterOption, PipelineFilters, PipelineRow, PipelineStage};

/// The documents of a booked request whose states place it, by sort key.
const DOCUMENT_KEYS: [&str; 3] = [
    records::keys::SELF_EVALUATION_SK,
    records::lifecycle::REPORT_SORT_KEY,
    records::keys::ACTION_PLAN_SK,
];

/// One request on the pipeline, placed.
#[derive(Debug, Clone)]
pub struct Entry {
    pub request: StoredRequest,
    pub progress: Progress,
    pub documents: Documents,
}

/// Every request, placed on `today`, in index order (the oldest first within each state).
pub async fn load(table: &Table, today: Date) -> Result<Vec<Entry>, StoreError> {
    let mut requests = Vec::new();
    for state in RequestState::ALL {
        for item in state_items(table, *state).await? {
            requests.push(read_request(item, *state)?);
        }
    }
    let booked: Vec<&str> = requests
        .iter()
        .filter(|r| r.state == RequestState::Accepted)
        .map(|r| r.id.as_str())
        .collect();
    let mut documents = documents_of(table, &booked).await?;
    let due_days = records::programme::get(table)
        .await?
        .unwrap_or_else(|| records::programme::ProgrammeSettings::new("", ""))
        .report_due_working_days;
    Ok(requests
        .into_iter()
        .map(|request| {
            let documents = documents.remove(&request.id).unwrap_or_default();
            Entry {
                progress: progress(&request, &documents, today, due_days),
                request,
                documents,
            }
        })
        .collect())
}

/// The request items in `state`, as the index holds them.
pub async fn state_items(table: &Table, state: RequestState) -> Result<Vec<Item>, StoreError> {
    table
        .index_items(&records::keys::state_index_key(state.as_str()), None)
        .await
        .map_err(|e| dynamo_error("Query", e))
}

fn read_request(item: Item, state: RequestState) -> Result<StoredRequest, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt {
        key: format!("a request in {state}"),
        reason: e.to_string(),
    })
}

/// The keys of the documents of the booked requests `ids`.
pub fn document_keys(ids: &[&str]) -> Vec<(String, String)> {
    ids.iter()
        .flat_map(|id| {
            DOCUMENT_KEYS
                .iter()
                .map(move |sk| (records::keys::request_pk(id), (*sk).to_owned()))
        })
        .collect()
}

/// The attributes of a document that place its request.
pub const DOCUMENT_ATTRIBUTES: [&str; 4] = ["pk", "sk", "state", "updated_at"];

/// The documents' states of the booked requests `ids`, by request id.
async fn documents_of(
    table: &Table,
    ids: &[&str],
) -> Result<HashMap<String, Documents>, StoreError> {
    let items = table
        .batch_get(&document_keys(ids), &DOCUMENT_ATTRIBUTES)
        .await?;
    let mut documents: HashMap<String, Documents> = HashMap::new();
    for item in items {
        let Some(id) = get_s(&item, "pk").and_then(records::keys::request_id_of) else {
            continue;
        };
        let state = get_s(&item, "state").map(str::to_owned);
        let entry = documents.entry(id.to_owned()).or_default();
        match get_s(&item, "sk") {
            Some(records::keys::SELF_EVALUATION_SK) => entry.self_evaluation = state,
            Some(records::lifecycle::REPORT_SORT_KEY) => {
                entry.report = match state.as_deref().map(str::parse::<ReportState>) {
                    Some(Ok(report)) => Some(report),
                    Some(Err(e)) => {
                        return Err(StoreError::Corrupt {
                            key: format!("REQUEST#{id}/REPORT"),
                            reason: e.to_string(),
                        });
                    }
                    None => None,
                }
            }
            Some(records::keys::ACTION_PLAN_SK) => {
                entry.action_plan_updated_at = get_s(&item, "updated_at").map(str::to_owned)
            }
            _ => {}
        }
    }
    Ok(documents)
}

/// The filters as the form sends them (`GET /console?stage=...&term=...`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FilterQuery {
    pub stage: String,
    pub term: String,
    pub la: String,
    pub review_type: String,
    pub overdue: String,
}

/// The filters that could be read.
#[derive(Debug, Default)]
struct Filters {
    stage: Option<Progress>,
    term: Option<Term>,
    la: Option<u16>,
    review_type: Option<ReviewType>,
    overdue: bool,
}

impl Filters {
    /// The filters of `query`; each value no list holds is ignored and named in the errors.
    fn read(query: &FilterQuery) -> (Self, Vec<(&'static str, String)>) {
        let mut errors = Vec::new();
        let stage = chosen(
            &mut errors,
            "stage",
            &query.stage,
            "stage",
            Progress::from_key(query.stage.trim()),
        );
        let term = chosen(
            &mut errors,
            "term",
            &query.term,
            "term",
            Term::from_key(query.term.trim()),
        );
        let la = chosen(
            &mut errors,
            "la",
            &query.la,
            "local authority",
            query
                .la
                .trim()
                .parse::<u16>()
                .ok()
                .filter(|code| LocalAuthority::by_code(*code).is_some()),
        );
        let review_type = chosen(
            &mut errors,
            "review_type",
            &query.review_type,
            "review type",
            query.review_type.trim().parse::<ReviewType>().ok(),
        );
        let overdue = matches!(query.overdue.trim(), "yes" | "on" | "true");
        (
            Self {
                stage,
                term,
                la,
                review_type,
                overdue,
            },
            errors,
        )
    }

    fn active(&self) -> bool {
        self.stage.is_some()
            || self.term.is_some()
            || self.la.is_some()
            || self.review_type.is_some()
            || self.overdue
    }

    /// Whether `entry` passes every filter but the stage's.
    fn keeps(&self, entry: &Entry) -> bool {
        self.term
            .is_none_or(|term| term_of(&entry.request) == Some(term))
            && self
                .la
                .is_none_or(|la| entry.request.request.school.local_authority_code == la)
            && self
                .review_type
                .is_none_or(|kind| entry.request.request.review_type == kind)
            && (!self.overdue || entry.progress.is_overdue())
    }

    /// The query string of these filters with `stage` instead of this one's.
    fn href_with_stage(&self, stage: Progress) -> String {
        let mut pairs = vec![("stage", stage.key().to_owned())];
        if let Some(term) = self.term {
            pairs.push(("term", term.key()));
        }
        if let Some(la) = self.la {
            pairs.push(("la", la.to_string()));
        }
        if let Some(kind) = self.review_type {
            pairs.push(("review_type", kind.as_str().to_owned()));
        }
        if self.overdue {
            pairs.push(("overdue", "yes".to_owned()));
        }
        let query: Vec<String> = pairs
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        format!("/console?{}#stage-{}", query.join("&"), stage.key())
    }
}

/// `found`, the value of filter `field` read from `text`, or (`text` named nothing the list
/// holds) nothing and an error saying so.
fn chosen<T>(
    errors: &mut Vec<(&'static str, String)>,
    field: &'static str,
    text: &str,
    what: &str,
    found: Option<T>,
) -> Option<T> {
    if text.trim().is_empty() {
        return None;
    }
    if found.is_none() {
        errors.push((
            field,
            format!(
                "There is no {what} {:?}: choose one from the list",
                text.trim()
            ),
        ));
    }
    found
}

/// The term a request belongs to: its visit's, or before one is booked the school's first
/// window's.
fn term_of(request: &StoredRequest) -> Option<Term> {
    visit_date(request)
        .or_else(|| request.request.visit_windows.first().map(|w| w.start))
        .map(Term::of)
}

fn local_authority(request: &StoredRequest) -> String {
    LocalAuthority::by_code(request.request.school.local_authority_code)
        .map(|la| la.name.to_owned())
        .unwrap_or_default()
}

fn received(request: &StoredRequest) -> String {
    OffsetDateTime::parse(&request.created_at, &Rfc3339)
        .map(|t| long_date(t.date()))
        .unwrap_or_else(|_| request.created_at.clone())
}

/// Where `entry` is within its stage, in a few words.
fn detail(entry: &Entry) -> String {
    let visit = visit_date(&entry.request);
    match entry.progress {
        Progress::SelfEvaluationDue | Progress::SelfEvaluationLate => visit
            .map(|v| {
                format!(
                    "due {}",
                    long_date(records::progress::self_evaluation_due(v))
                )
            })
            .unwrap_or_default(),
        Progress::ActionPlan => entry
            .documents
            .action_plan_updated_at
            .as_deref()
            .and_then(|at| OffsetDateTime::parse(at, &Rfc3339).ok())
            .map(|at| format!("last updated {}", long_date(at.date())))
            .unwrap_or_default(),
        _ => String::new(),
    }
}

fn row(entry: &Entry) -> PipelineRow {
    let r = &entry.request;
    PipelineRow {
        reference: r.reference.to_string(),
        school: r.request.school.name.to_string(),
        local_authority: local_authority(r),
        review_type: r.request.review_type.label().to_owned(),
        received: received(r),
        visit: visit_date(r).map(long_date).unwrap_or_default(),
        detail: detail(entry),
        overdue: entry.progress.is_overdue(),
    }
}

/// The page's stages (every one, with its count under the filters; rows for the shown ones,
/// the oldest first) and its filter form.
pub fn view(entries: &[Entry], query: &FilterQuery) -> (Vec<PipelineStage>, PipelineFilters) {
    let (filters, errors) = Filters::read(query);
    let mut by_stage: HashMap<Progress, Vec<&Entry>> = HashMap::new();
    for entry in entries.iter().filter(|e| filters.keeps(e)) {
        by_stage.entry(entry.progress).or_default().push(entry);
    }
    let stages = Progress::ALL
        .iter()
        .map(|stage| {
            let mut kept = by_stage.remove(stage).unwrap_or_default();
            kept.sort_by(|a, b| a.request.created_at.cmp(&b.request.created_at));
            let shown = filters.stage.is_none_or(|chosen| chosen == *stage);
            PipelineStage {
                key: stage.key(),
                label: stage.label(),
                count: kept.len(),
                href: filters.href_with_stage(*stage),
                rows: if shown {
                    kept.into_iter().map(row).collect()
                } else {
                    Vec::new()
                },
            }
        })
        .collect();
    let option = |value: String, label: String, selected: bool| FilterOption {
        value,
        label,
        selected,
    };
    // The terms and local authorities the pipeline holds, in order.
    let terms: BTreeMap<Date, Term> = entries
        .iter()
        .filter_map(|e| term_of(&e.request))
        .chain(filters.term)
        .map(|t| (t.first_day(), t))
        .collect();
    let las: BTreeMap<&str, u16> = entries
        .iter()
        .map(|e| e.request.request.school.local_authority_code)
        .chain(filters.la)
        .filter_map(|code| LocalAuthority::by_code(code).map(|la| (la.name, code)))
        .collect();
    let form = PipelineFilters {
        stages: Progress::ALL
            .iter()
            .map(|s| {
                option(
                    s.key().to_owned(),
                    s.label().to_owned(),
                    filters.stage == Some(*s),
                )
            })
            .collect(),
        terms: terms
            .values()
            .map(|t| {
                option(
                    t.key(),
                    capitalised(&t.to_string()),
                    filters.term == Some(*t),
                )
            })
            .collect(),
        local_authorities: las
            .iter()
            .map(|(name, code)| {
                option(
                    code.to_string(),
                    (*name).to_owned(),
                    filters.la == Some(*code),
                )
            })
            .collect(),
        review_types: ReviewType::ALL
            .iter()
            .map(|k| {
                option(
                    k.as_str().to_owned(),
                    k.label().to_owned(),
                    filters.review_type == Some(*k),
                )
            })
            .collect(),
        overdue: filters.overdue,
        active: filters.active(),
        errors,
    };
    (stages, form)
}

pub(crate) fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn csv_field(value: &str) -> String {
    // Quoted, and a leading formula character neutralised (spreadsheets run `=...`).
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    format!("\"{}\"", value.replace('"', "\"\""))
}

/// The pipeline as CSV, with each school's contact (personal data: coordinators only).
pub fn csv(entries: &[Entry]) -> String {
    let mut out = String::from(
        "stage,reference,school,urn,local_authority,review_type,received,visit,contact_name,contact_email\n",
    );
    for entry in entries {
        let r = &entry.request;
        let fields = [
            entry.progress.key().to_owned(),
            r.reference.to_string(),
            r.request.school.name.to_string(),
            r.request.school.urn.to_string(),
            local_authority(r),
            r.request.review_type.label().to_owned(),
            r.created_at.clone(),
            r.lead
                .as_ref()
                .map(|l| records::domain::format_date(l.visit_date))
                .unwrap_or_default(),
            r.request.contact.name.to_string(),
            r.request.contact.email.to_string(),
        ];
        out.push_str(
            &fields
                .iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("Oak \"Primary\""), "\"Oak \"\"Primary\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "\"'=HYPERLINK(1)\"");
    }

    #[test]
    fn a_value_no_list_holds_is_named_and_ignored() {
        let query = FilterQuery {
            stage: "report_late".into(),
            term: "winter-2026".into(),
            la: "999".into(),
            review_type: "send_review".into(),
            overdue: "yes".into(),
        };
        let (filters, errors) = Filters::read(&query);
        assert_eq!(filters.stage, Some(Progress::ReportLate));
        assert_eq!(filters.term, None);
        assert_eq!(filters.la, None);
        assert_eq!(filters.review_type, Some(ReviewType::SendReview));
        assert!(filters.overdue);
        let fields: Vec<&str> = errors.iter().map(|(field, _)| *field).collect();
        assert_eq!(fields, ["term", "la"]);
        assert_eq!(
            errors[0].1,
            "There is no term \"winter-2026\": choose one from the list"
        );
        assert_eq!(
            filters.href_with_stage(Progress::Final),
            "/console?stage=final&review_type=send_review&overdue=yes#stage-final"
        );
    }
}

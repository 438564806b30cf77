//! Planning a term (`/console/plan`), over `coordination`'s term plan: `GET ?term=` computes
//! and shows the plan (nothing is stored); `POST /console/plan` computes it again with the
//! pins, forbids and confirmed reciprocal arrangements the form carries (the page keeps the
//! whole state in its forms: no draft is stored); `POST /console/plan/send` sends the lead
//! offers the page showed, each only if its request is as the plan saw it.

use coordination::{PairChoice, PlanView, PlannedOffer, Role as PlaceRole};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use records::audit::Actor;
use records::branding::Branding;
use records::matching::{Score, Term};
use time::{Date, Duration, OffsetDateTime};
use web::pages::console::plan::{
    ArrangementRow, Arrangements, Choices, LeftRow, Places, PlanPage, PlanRow, PlanShown,
    RequestCell, TermChooser, TermOption,
};

use crate::pipeline::capitalised;
use crate::{Console, Role, SignedIn, message, unavailable};

const PAGE: &str = "/console/plan";
const SEND: &str = "/console/plan/send";
/// A plan's forms carry a line per pair: room for a few hundred.
const PLAN_FORM_BYTES: usize = 256 * 1024;

pub(crate) fn handles(path: &str) -> bool {
    path == PAGE || path == SEND
}

/// The most a plan's form may carry, on its paths.
pub(crate) fn form_limit(path: &str) -> Option<usize> {
    handles(path).then_some(PLAN_FORM_BYTES)
}

#[derive(serde::Deserialize, Default)]
struct PlanForm {
    #[serde(default)]
    term: String,
    #[serde(default)]
    pin: Vec<String>,
    #[serde(default)]
    forbid: Vec<String>,
    #[serde(default)]
    arrangement: Vec<String>,
    #[serde(default)]
    offer: Vec<String>,
}

impl Console {
    /// Answers a request to `path` (one [`handles`]) as at `now` (Unix seconds).
    pub(crate) async fn plan_page(
        &self,
        branding: &Branding,
        request: &Request,
        path: &str,
        now: i64,
    ) -> Response<Body> {
        match planned(self, branding, request, path, now).await {
            Ok(answer) | Err(answer) => answer,
        }
    }
}

/// [`Console::plan_page`], with every early answer (not signed in, not allowed) as an error.
async fn planned(
    console: &Console,
    branding: &Branding,
    request: &Request,
    path: &str,
    now: i64,
) -> Result<Response<Body>, Response<Body>> {
    let user = console.signed_in(branding, request, now).await?;
    let at = OffsetDateTime::from_unix_timestamp(now)
        .map_err(|_| unavailable(branding, &"the clock is out of range"))?;
    let get = request.method() == lambda_http::http::Method::GET;
    let form: PlanForm = if get && path == PAGE {
        serde_html_form::from_str(request.uri().query().unwrap_or_default()).unwrap_or_default()
    } else if get || request.method() != lambda_http::http::Method::POST {
        return Err(message(
            branding,
            StatusCode::NOT_FOUND,
            "Page not found",
            &[],
            "",
        ));
    } else if user.role != Role::Coordinator {
        return Err(crate::forbidden(branding));
    } else {
        web::http::read_form(request, PLAN_FORM_BYTES).unwrap_or_default()
    };
    let today = at.date();
    let chosen = form.term.trim();
    let term = Term::from_key(chosen);
    if chosen.is_empty() || term.is_none() {
        let (status, error) = if chosen.is_empty() {
            (StatusCode::OK, String::new())
        } else {
            (
                StatusCode::BAD_REQUEST,
                "Choose a term from the list".to_owned(),
            )
        };
        return Ok(render(
            branding,
            &user,
            status,
            terms(today, None),
            error,
            None,
        ));
    }
    let term = term.expect("checked above");
    if path == SEND {
        let actor = Actor::new(user.claims.email.clone(), at);
        return Ok(send(console, branding, &actor, term, &form.offer).await);
    }
    let mut pins: Vec<PairChoice> = form.pin.iter().filter_map(|k| pair(k)).collect();
    pins.extend(
        (form.arrangement.iter())
            .flat_map(|legs| legs.split(';'))
            .filter_map(pair),
    );
    let forbids: Vec<PairChoice> = form.forbid.iter().filter_map(|k| pair(k)).collect();
    // Forbidding wins over pinning the same pair.
    pins.retain(|p| !forbids.contains(p));
    pins.dedup();
    let view = (console.coordination())
        .plan_term(term, today, &pins, &forbids)
        .await
        .map_err(|e| unavailable(branding, &e))?;
    let shown = shown(&view, &forbids, &form.arrangement);
    let options = terms(today, Some(term));
    Ok(render(
        branding,
        &user,
        StatusCode::OK,
        options,
        String::new(),
        Some(shown),
    ))
}

/// Sends the offers the page listed, and says what became of each.
async fn send(
    console: &Console,
    branding: &Branding,
    actor: &Actor,
    term: Term,
    values: &[String],
) -> Response<Body> {
    let offers: Vec<PlannedOffer> = values.iter().filter_map(|v| planned_offer(v)).collect();
    let back = format!("{PAGE}?term={}", term.key());
    if offers.is_empty() {
        return message(
            branding,
            StatusCode::UNPROCESSABLE_ENTITY,
            "There are no offers to send",
            &["Compute the plan again and send the offers it lists.".into()],
            &back,
        );
    }
    let coordination = console.coordination();
    let sent = match coordination.send_plan(actor, term, &offers).await {
        Ok(sent) => sent,
        Err(e) => return unavailable(branding, &e),
    };
    let mut paragraphs = vec![format!(
        "{} of {} offers were sent, each with its email.",
        sent.sent.len(),
        offers.len()
    )];
    for (request_id, refused) in &sent.skipped {
        let reference = match coordination.workflow().request(request_id).await {
            Ok(Some(stored)) => stored.reference.to_string(),
            _ => "A request".to_owned(),
        };
        paragraphs.push(format!("{reference} was skipped: {refused}"));
    }
    message(
        branding,
        StatusCode::OK,
        "The plan's offers",
        &paragraphs,
        &back,
    )
}

/// An offer as the send form carries it: `role|request|reviewer|seen`.
fn planned_offer(value: &str) -> Option<PlannedOffer> {
    let mut parts = value.splitn(4, '|');
    let role = match parts.next()? {
        "lead" => PlaceRole::Lead,
        "second" => PlaceRole::Second,
        _ => return None,
    };
    Some(PlannedOffer {
        role,
        request_id: parts.next()?.to_owned(),
        reviewer_id: parts.next()?.to_owned(),
        seen: parts.next()?.to_owned(),
    })
}

fn render(
    branding: &Branding,
    user: &SignedIn,
    status: StatusCode,
    terms: Vec<TermOption>,
    term_error: String,
    plan: Option<PlanShown>,
) -> Response<Body> {
    let shown_user = crate::settings_page::shown(user);
    let page = PlanPage {
        branding,
        user: &shown_user,
        csrf: (user.role == Role::Coordinator).then_some(user.session.csrf.as_str()),
        chooser: TermChooser {
            options: terms,
            error: term_error,
        },
        plan,
    };
    web::http::page(status, askama::Template::render(&page))
}

/// This term and the three after it, `chosen` (or the next term) selected.
fn terms(today: Date, chosen: Option<Term>) -> Vec<TermOption> {
    let mut term = Term::of(today);
    let next = Term::of(term.last_day() + Duration::days(1));
    let chosen = chosen.unwrap_or(next);
    let mut options = Vec::new();
    for _ in 0..4 {
        options.push(TermOption {
            key: term.key(),
            label: capitalised(&term.to_string()),
            selected: term == chosen,
        });
        term = Term::of(term.last_day() + Duration::days(1));
    }
    if !options.iter().any(|o| o.selected) {
        options.push(TermOption {
            key: chosen.key(),
            label: capitalised(&chosen.to_string()),
            selected: true,
        });
    }
    options
}

fn role_key(role: PlaceRole) -> &'static str {
    match role {
        PlaceRole::Lead => "lead",
        PlaceRole::Second => "second",
    }
}

fn role_label(role: PlaceRole) -> &'static str {
    match role {
        PlaceRole::Lead => "Lead",
        PlaceRole::Second => "Second reviewer",
    }
}

/// A pair as the forms name it: `request|reviewer|role`.
fn pair_key(request_id: &str, reviewer_id: &str, role: PlaceRole) -> String {
    format!("{request_id}|{reviewer_id}|{}", role_key(role))
}

fn pair(key: &str) -> Option<PairChoice> {
    let mut parts = key.split('|');
    let (request_id, reviewer_id, role) = (parts.next()?, parts.next()?, parts.next()?);
    let role = match role {
        "lead" => PlaceRole::Lead,
        "second" => PlaceRole::Second,
        _ => return None,
    };
    Some(PairChoice {
        request_id: request_id.to_owned(),
        reviewer_id: reviewer_id.to_owned(),
        role,
    })
}

/// The points of a pair, part by part.
fn why(score: &Score) -> String {
    let mut parts = Vec::new();
    if score.original_lead {
        parts.push("led the review this follows up".to_owned());
    }
    for (points, what) in [
        (score.phase_fit, "phase"),
        (score.school_type_fit, "school type"),
        (score.specialisms, "specialisms"),
        (score.home_region, "home region"),
        (score.load_spread, "reviews already that term"),
        (score.special_mainstream_mix, "special and mainstream mix"),
    ] {
        if points != 0 {
            parts.push(format!("{what} {points:+}"));
        }
    }
    if parts.is_empty() {
        "no points".to_owned()
    } else {
        parts.join(", ")
    }
}

fn cell(request: &coordination::PlannedRequest) -> RequestCell {
    RequestCell {
        reference: request.reference.clone(),
        school: request.school.clone(),
    }
}

/// What the page shows of `view`.
fn shown(view: &PlanView, forbids: &[PairChoice], confirmed: &[String]) -> PlanShown {
    let name = |id: &str| {
        view.reviewers
            .get(id)
            .cloned()
            .unwrap_or_else(|| "a reviewer no longer in the pool".to_owned())
    };
    let reference = |id: &str| {
        (view.requests.iter())
            .find(|r| r.id == id)
            .map(|r| r.reference.clone())
            .unwrap_or_else(|| "a request no longer waiting".to_owned())
    };
    let mut rows = Vec::new();
    let mut offers = Vec::new();
    for p in &view.plan.proposed {
        let request = &view.requests[p.request];
        let reviewer = p.reviewer.to_string();
        rows.push(PlanRow {
            request: cell(request),
            place: role_label(p.role),
            reviewer: name(&reviewer),
            score: (p.score.total(), why(&p.score)),
            key: pair_key(&request.id, &reviewer, p.role),
            pinned: p.pinned,
            // A second is sent only for a booked team (its day is the lead's).
            not_sent: p.role == PlaceRole::Second && !request.second_only,
        });
        if p.role == PlaceRole::Lead || request.second_only {
            offers.push(format!(
                "{}|{}|{reviewer}|{}",
                role_key(p.role),
                request.id,
                request.seen
            ));
        }
    }
    let left = (view.plan.left_without.iter())
        .map(|l| {
            let request = &view.requests[l.request];
            let eligible = match l.eligible {
                0 => "Nobody eligible".to_owned(),
                1 => "1 eligible reviewer, needed elsewhere".to_owned(),
                n => format!("{n} eligible reviewers, all needed elsewhere"),
            };
            LeftRow {
                request: cell(request),
                place: role_label(l.role),
                why: (
                    eligible,
                    (l.ruled_out.iter())
                        .map(|(rule, n)| {
                            let who = if *n == 1 { "reviewer" } else { "reviewers" };
                            format!("{n} {who}: {}", rule.description())
                        })
                        .collect(),
                ),
            }
        })
        .collect();
    let arrangements = (view.reciprocal.arrangements.iter())
        .map(|legs| {
            let key = (legs.iter())
                .map(|leg| {
                    let request = &view.requests[leg.reviews];
                    pair_key(&request.id, &leg.reviewer.to_string(), PlaceRole::Lead)
                })
                .collect::<Vec<_>>()
                .join(";");
            ArrangementRow {
                legs: (legs.iter())
                    .map(|leg| {
                        format!(
                            "{} from {} reviews {} ({}, score {})",
                            name(&leg.reviewer.to_string()),
                            view.requests[leg.from].school,
                            view.requests[leg.reviews].school,
                            view.requests[leg.reviews].reference,
                            leg.score.total()
                        )
                    })
                    .collect(),
                confirmed: confirmed.contains(&key),
                key,
            }
        })
        .collect();
    let r = &view.reciprocal;
    let arrangements_note = if r.optimal {
        "The arrangements proposed are the best possible.".to_owned()
    } else {
        format!(
            "The search stopped at its budget: the best arrangements could serve at most {} schools (cost bound {}).",
            r.schools_bound, r.cost_bound
        )
    };
    PlanShown {
        term: TermOption {
            key: view.term.key(),
            label: view.term.to_string(),
            selected: true,
        },
        summary: format!(
            "{} of {} places filled.",
            view.plan.proposed.len(),
            view.plan.proposed.len() + view.plan.left_without.len()
        ),
        places: Places { rows, left, offers },
        arrangements: Arrangements {
            list: arrangements,
            note: arrangements_note,
        },
        choices: Choices {
            forbidden: (forbids.iter())
            .filter(|f| !view.dropped.contains(f))
            .map(|f| {
                let label = format!(
                    "{} may not be {} on {}",
                    name(&f.reviewer_id),
                    role_label(f.role).to_lowercase(),
                    reference(&f.request_id)
                );
                (pair_key(&f.request_id, &f.reviewer_id, f.role), label)
            })
            .collect(),
        dropped: (view.dropped.iter())
            .map(|d| {
                format!(
                    "The pin or forbid of {} on {} no longer applies: that place is not open, or the pins cannot all hold.",
                    name(&d.reviewer_id),
                    reference(&d.request_id)
                )
            })
            .collect(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_terms_start_now_and_the_next_is_chosen_by_default() {
        let options = terms(date!(2026 - 11 - 23), None);
        let keys: Vec<&str> = options.iter().map(|o| o.key.as_str()).collect();
        assert_eq!(
            keys,
            ["autumn-2026", "spring-2027", "summer-2027", "autumn-2027"]
        );
        assert!(options[1].selected && !options[0].selected);
        assert_eq!(options[1].label, "Spring term 2027");
        // A term further off, chosen, is listed too.
        let far = terms(date!(2026 - 11 - 23), Some(Term::Summer(2029)));
        assert_eq!(far.last().map(|o| o.key.as_str()), Some("summer-2029"));
        assert!(far.last().is_some_and(|o| o.selected));
    }

    #[test]
    fn a_pair_key_reads_back_and_a_bad_one_is_ignored() {
        let key = pair_key("req", "01ARZ3NDEKTSV4RRFFQ69G5FAV", PlaceRole::Second);
        assert_eq!(
            pair(&key),
            Some(PairChoice {
                request_id: "req".into(),
                reviewer_id: "01ARZ3NDEKTSV4RRFFQ69G5FAV".into(),
                role: PlaceRole::Second,
            })
        );
        assert_eq!(pair("req|x|boss"), None);
        assert_eq!(pair("req"), None);
    }

    #[test]
    fn a_planned_offer_reads_its_place_and_a_bad_one_is_ignored() {
        let offer = planned_offer("second|req|01ARZ3NDEKTSV4RRFFQ69G5FAV|state|v|1").unwrap();
        assert_eq!(offer.role, PlaceRole::Second);
        assert_eq!(offer.request_id, "req");
        assert_eq!(offer.reviewer_id, "01ARZ3NDEKTSV4RRFFQ69G5FAV");
        assert_eq!(offer.seen, "state|v|1");
        assert_eq!(
            planned_offer("lead|req|rev|seen").map(|o| o.role),
            Some(PlaceRole::Lead)
        );
        assert_eq!(planned_offer("boss|req|rev|seen"), None);
        assert_eq!(planned_offer("lead|req"), None);
    }

    #[test]
    fn why_names_each_part_of_the_score() {
        let score = Score {
            phase_fit: 30,
            school_type_fit: 20,
            specialisms: 10,
            home_region: 0,
            load_spread: -5,
            special_mainstream_mix: 0,
            reviews_in_visit_term: 1,
            original_lead: false,
        };
        assert_eq!(
            why(&score),
            "phase +30, school type +20, specialisms +10, reviews already that term -5"
        );
    }
}

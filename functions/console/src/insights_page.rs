//! Programme insights (`GET /console/insights?period=...` and its CSV): a term's or a school
//! year's counters (`insights::store::load`: a read by key per term and one for the
//! programme, however many reviews are behind them), drawn as charts with their tables.
//! Aggregates only, so viewers see it too.

use std::str::FromStr;

use insights::counters::{self, Counts};
use insights::{Period, store};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use records::branding::Branding;
use records::domain::calendar::Term;
use records::domain::request::ReviewType;
use records::domain::{Phase, SchoolType};
use records::lifecycle::RequestState;
use serde::Deserialize;
use time::Date;
use web::pages::console::FilterOption;
use web::pages::console::insights::{
    Chart, ChartRow, InsightsPage, InsightsView, ScoreRow, SpreadRow,
};

use crate::{Console, SignedInUser, clock, unavailable};

pub const PAGE: &str = "/console/insights";
pub const CSV: &str = "/console/insights.csv";

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PeriodQuery {
    period: String,
}

/// The period a query asks for (the term of `today` when none), and the error when it names
/// none.
fn period_of(query: &str, today: Date) -> (Period, Option<String>) {
    let query: PeriodQuery = serde_html_form::from_str(query).unwrap_or_default();
    let asked = query.period.trim();
    let current = Period::Term(Term::of(today));
    if asked.is_empty() {
        return (current, None);
    }
    match Period::from_key(asked) {
        Some(period) => (period, None),
        None => (
            current,
            Some(format!(
                "There is no term or school year {asked:?}: choose one from the list"
            )),
        ),
    }
}

/// The periods offered: the last six terms and the next, then the last three school years.
fn periods(today: Date, chosen: Period) -> Vec<FilterOption> {
    let mut terms = vec![Term::of(today)];
    for _ in 0..6 {
        let before = terms.last().expect("one").first_day().previous_day();
        terms.push(Term::of(before.expect("a day before")));
    }
    terms.insert(
        0,
        Term::of(Term::of(today).last_day().next_day().expect("a day after")),
    );
    let this_year = Period::year_of(Term::of(today));
    let Period::Year(year) = this_year else {
        unreachable!("year_of gives a year")
    };
    let mut list: Vec<Period> = terms.into_iter().map(Period::Term).collect();
    list.extend((0..3).map(|back| Period::Year(year - back)));
    if !list.contains(&chosen) {
        list.push(chosen);
    }
    list.into_iter()
        .map(|period| FilterOption {
            value: period.key(),
            label: crate::pipeline::capitalised(&period.to_string()),
            selected: period == chosen,
        })
        .collect()
}

/// The title of a focus area as the counters name it (one function): `key` of the whole-school
/// framework, or `<review type>#<key>` of another, titled from that type's built-in framework
/// (else the key in words: a programme's own area) and named with its kind of review.
pub fn area_title(counted: &str) -> String {
    let (review_type, key) = match counted.split_once('#') {
        Some((review_type, key)) => (review_type.parse::<ReviewType>().ok(), key),
        None => (Some(ReviewType::SendReview), counted),
    };
    let title = review_type
        .and_then(|review_type| {
            frameworks::Framework::built_in(review_type)
                .areas
                .into_iter()
                .find(|area| area.key.as_str() == key)
                .map(|area| area.title)
        })
        .unwrap_or_else(|| key.replace('_', " "));
    match review_type {
        Some(ReviewType::SendReview) => title,
        Some(other) => format!("{title} ({})", other.label()),
        None => title,
    }
}

fn stage_label(state: &str) -> String {
    match state.parse::<RequestState>() {
        Ok(RequestState::PendingConfirmation) => "Waiting for the school to confirm".into(),
        Ok(RequestState::Held) => "Held for release".into(),
        Ok(RequestState::Submitted) => "Waiting to be matched".into(),
        Ok(RequestState::Matching) => "Being matched again".into(),
        Ok(RequestState::Offered) => "Offered to a reviewer".into(),
        Ok(RequestState::Accepted) => "Booked".into(),
        Ok(RequestState::NeedsAttention) => "Needs attention".into(),
        Ok(RequestState::Withdrawn) => "Withdrawn".into(),
        Err(_) => state.to_owned(),
    }
}

fn rows(counts: &Counts, prefix: &str, label: impl Fn(&str) -> String) -> Vec<ChartRow> {
    counts
        .under(prefix)
        .into_iter()
        .map(|(key, value)| ChartRow {
            label: label(&key),
            value,
        })
        .collect()
}

fn labelled<T: FromStr>(key: &str, label: impl Fn(T) -> &'static str) -> String {
    T::from_str(key)
        .map(|v| label(v).to_owned())
        .unwrap_or_else(|_| key.to_owned())
}

/// The charts of `counts`, in the page's order.
pub fn charts(counts: &Counts) -> Vec<Chart> {
    let chart = |id, title: &str, unit, rows, funnel| Chart {
        id,
        title: title.to_owned(),
        unit,
        rows,
        funnel,
    };
    let mut ebi = rows(counts, "ebi", area_title);
    ebi.sort_by(|a, b| b.value.cmp(&a.value).then(a.label.cmp(&b.label)));
    vec![
        chart(
            "funnel",
            "From request to final report",
            "Requests",
            vec![
                ChartRow {
                    label: "Received".into(),
                    value: counts.get(counters::RECEIVED),
                },
                ChartRow {
                    label: "Booked".into(),
                    value: counts.get(counters::BOOKED),
                },
                ChartRow {
                    label: "Final report".into(),
                    value: counts.get(counters::FINAL),
                },
            ],
            true,
        ),
        chart(
            "stage",
            "Requests by stage now",
            "Requests",
            RequestState::ALL
                .iter()
                .filter(|s| **s != RequestState::PendingConfirmation)
                .map(|s| ChartRow {
                    label: stage_label(s.as_str()),
                    value: counts.get(&counters::stage(s.as_str())),
                })
                .collect(),
            false,
        ),
        chart(
            "review_type",
            "Requests by review type",
            "Requests",
            rows(counts, "review_type", |k| labelled(k, ReviewType::label)),
            false,
        ),
        chart(
            "phase",
            "Requests by phase",
            "Requests",
            rows(counts, "phase", |k| labelled(k, Phase::label)),
            false,
        ),
        chart(
            "school_type",
            "Requests by school type",
            "Requests",
            rows(counts, "school_type", |k| labelled(k, SchoolType::label)),
            false,
        ),
        chart(
            "ebi",
            "Where final reports say \"even better if\"",
            "Final reports",
            ebi,
            false,
        ),
    ]
}

fn days(value: Option<i64>) -> String {
    value.map(|d| d.to_string()).unwrap_or_else(|| "–".into())
}

pub fn spreads(counts: &Counts) -> Vec<SpreadRow> {
    [
        ("Booked", counters::TO_BOOKED),
        ("Visit", counters::TO_VISIT),
        ("Final report", counters::TO_FINAL),
    ]
    .into_iter()
    .map(|(label, milestone)| {
        let spread = counts.spread(milestone);
        SpreadRow {
            label,
            count: spread.count,
            median: days(spread.median),
            p90: days(spread.p90),
        }
    })
    .collect()
}

/// The consenting strong schools per area, each area by its title.
fn strengths(counts: &Counts) -> Vec<counters::Strength> {
    let mut strengths = counts.strengths();
    for strength in &mut strengths {
        strength.area = area_title(&strength.area);
    }
    strengths
}

fn scores(counts: &Counts) -> Vec<ScoreRow> {
    counts
        .scores()
        .into_iter()
        .map(|s| ScoreRow {
            side: if s.side == "school" {
                "Schools"
            } else {
                "Reviewers"
            },
            question: insights::feedback::questions(s.side)
                .iter()
                .find(|q| q.key == s.question)
                .map(|q| q.text)
                .unwrap_or(s.question),
            answers: s.answers(),
            mean: s
                .mean()
                .map(|m| format!("{m:.1}"))
                .unwrap_or_else(|| "–".into()),
            by_score: s.by_score,
        })
        .collect()
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// The figures of the page as CSV: `section,item,value` (names only where the page names them).
pub fn csv(period: Period, counts: &Counts) -> String {
    let mut out = String::from("period,section,item,value\n");
    let mut line = |section: &str, item: &str, value: String| {
        out.push_str(&format!(
            "{},{},{},{}\n",
            period.key(),
            csv_field(section),
            csv_field(item),
            csv_field(&value)
        ));
    };
    for chart in charts(counts) {
        for row in &chart.rows {
            line(&chart.title, &row.label, row.value.to_string());
        }
    }
    for spread in spreads(counts) {
        line("Median days from request", spread.label, spread.median);
        line(
            "90th percentile days from request",
            spread.label,
            spread.p90,
        );
    }
    for strength in strengths(counts) {
        line(
            "Consenting schools strong",
            &strength.area,
            strength.schools.to_string(),
        );
        if let Some(names) = strength.names {
            line(
                "Consenting schools strong, named",
                &strength.area,
                names.join("; "),
            );
        }
    }
    for score in scores(counts) {
        line(
            &format!("Feedback from {}", score.side.to_lowercase()),
            score.question,
            score.mean,
        );
    }
    out
}

/// `GET /console/insights.csv?period=...`: the page's figures as CSV, for every role.
pub(crate) async fn csv_download(
    console: &Console,
    branding: &Branding,
    request: &Request,
    now: i64,
) -> Response<Body> {
    if let Err(answer) = console.signed_in(branding, request, now).await {
        return answer;
    }
    let (period, _) = period_of(request.uri().query().unwrap_or_default(), clock(now).date());
    match store::load(&console.table, period).await {
        Ok(counts) => {
            let mut response = web::http::text(
                StatusCode::OK,
                "text/csv; charset=utf-8",
                csv(period, &counts),
            );
            if let Ok(value) = lambda_http::http::HeaderValue::from_str(&format!(
                "attachment; filename=\"insights-{}.csv\"",
                period.key()
            )) {
                response.headers_mut().insert("content-disposition", value);
            }
            response
        }
        Err(e) => unavailable(branding, &e),
    }
}

/// The insights page's view of `query` on the day of `now`: the reads and the figures.
pub(crate) async fn view(
    console: &Console,
    query: &str,
    now: i64,
) -> Result<(StatusCode, InsightsView), records::store::StoreError> {
    let today = clock(now).date();
    let (period, error) = period_of(query, today);
    let counts = store::load(&console.table, period).await?;
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        InsightsView {
            period_label: crate::pipeline::capitalised(&period.to_string()),
            period_key: period.key(),
            periods: periods(today, period),
            error,
            charts: charts(&counts),
            spreads: spreads(&counts),
            strengths: strengths(&counts),
            min_schools_named: counters::MIN_SCHOOLS_NAMED,
            scores: scores(&counts),
        },
    ))
}

/// `view` rendered for `user`.
pub(crate) fn render(
    branding: &Branding,
    user: &SignedInUser,
    csrf: &str,
    view: &InsightsView,
) -> askama::Result<String> {
    askama::Template::render(&InsightsPage {
        branding,
        user,
        csrf,
        view,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn an_area_is_titled_from_its_own_framework() {
        assert_eq!(area_title("outcomes"), "Outcomes for learners with SEND");
        assert_eq!(
            area_title("ta_deployment#preparation"),
            "Preparation and time with teachers (Teaching assistant deployment review)"
        );
        assert_eq!(
            area_title("trust_send#our_own_area"),
            "our own area (Trust-level (MAT) SEND review)"
        );
    }

    #[test]
    fn a_period_that_is_none_is_an_error_and_the_current_term_is_shown() {
        let today = date!(2026 - 10 - 05);
        assert_eq!(
            period_of("", today),
            (Period::Term(Term::Autumn(2026)), None)
        );
        assert_eq!(
            period_of("period=year-2025", today),
            (Period::Year(2025), None)
        );
        let (period, error) = period_of("period=winter-2026", today);
        assert_eq!(period, Period::Term(Term::Autumn(2026)));
        assert!(error.unwrap().contains("winter-2026"));
        let offered: Vec<String> = periods(today, Period::Year(2026))
            .into_iter()
            .map(|o| o.value)
            .collect();
        assert_eq!(offered[0], "spring-2027");
        assert!(offered.contains(&"summer-2025".to_owned()));
        assert!(offered.contains(&"year-2024".to_owned()));
    }

    #[test]
    fn the_csv_names_schools_only_where_the_page_does() {
        let mut counts = Counts::default();
        counts.numbers.insert(counters::strong("outcomes"), 4);
        counts.names.insert(
            counters::strong_names("outcomes"),
            ["A", "B", "C", "D"].map(String::from).into(),
        );
        counts.numbers.insert(counters::RECEIVED.into(), 7);
        let text = csv(Period::Term(Term::Autumn(2026)), &counts);
        assert!(text.contains("autumn-2026,From request to final report,Received,7\n"));
        assert!(text.contains("Consenting schools strong,Outcomes for learners with SEND,4"));
        assert!(!text.contains("named"), "{text}");
        counts.numbers.insert(counters::strong("outcomes"), 5);
        counts
            .names
            .get_mut(&counters::strong_names("outcomes"))
            .unwrap()
            .insert("E".into());
        let text = csv(Period::Term(Term::Autumn(2026)), &counts);
        assert!(text.contains(
            "\"Consenting schools strong, named\",Outcomes for learners with SEND,A; B; C; D; E\n"
        ));
    }

    #[test]
    fn every_chart_bar_carries_its_tables_value() {
        let mut counts = Counts::default();
        counts.numbers.insert(counters::phase("primary"), 3);
        counts.numbers.insert(counters::phase("secondary"), 1);
        let phase = charts(&counts)
            .into_iter()
            .find(|c| c.id == "phase")
            .unwrap();
        let svg = phase.svg();
        assert_eq!(svg.matches("data-value=\"3\"").count(), 1);
        assert_eq!(svg.matches("data-value=\"1\"").count(), 1);
        assert!(svg.contains("aria-hidden=\"true\""));
        assert!(svg.contains(">Primary<"));
    }
}

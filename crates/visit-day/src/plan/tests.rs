use super::*;

fn areas(keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| k.to_string()).collect()
}

fn row(kind: &str, start: &str, end: &str) -> RawSession {
    RawSession {
        kind: kind.into(),
        start: start.into(),
        end: end.into(),
        ..RawSession::default()
    }
}

#[test]
fn the_draft_serves_the_requested_areas_with_the_usual_sessions() {
    let asked = areas(&["outcomes", "learners_and_families"]);
    let plan = Plan::draft(&asked, "send_review");
    let kinds: Vec<SessionKind> = plan.sessions.iter().map(|s| s.kind).collect();
    assert_eq!(kinds.first(), Some(&SessionKind::SencoMeeting));
    assert_eq!(kinds.last(), Some(&SessionKind::VerbalFeedback));
    assert!(kinds.contains(&SessionKind::ParentVoice));
    // No session that serves none of the asked areas (the governors serve leadership and resources).
    assert!(!kinds.contains(&SessionKind::GovernorsMeeting));
    assert!(plan.uncovered(&asked).is_empty());
    // Every area a session names was asked for.
    assert!(
        plan.sessions
            .iter()
            .all(|s| s.areas.iter().all(|a| asked.contains(a)))
    );
    // The draft is a valid plan: it parses back as itself.
    assert_eq!(
        Plan::parse(&RawPlan::from_plan(&plan), &asked),
        Ok(plan.clone())
    );
    // Another framework's areas are met in the SENCO meeting and on the learning walk.
    let ta = areas(&["ta_preparation", "outcomes"]);
    let plan = Plan::draft(&ta, "ta_deployment");
    assert!(plan.uncovered(&ta).is_empty());
    assert!(plan.sessions[0].serves("ta_preparation"));
    // A trust-level review has no lesson visits.
    let trust = Plan::draft(&asked, "trust_send");
    assert!(
        !trust
            .sessions
            .iter()
            .any(|s| s.kind == SessionKind::LessonVisits)
    );
}

#[test]
fn uncovered_areas_are_listed_in_order() {
    let asked = areas(&["outcomes", "leadership", "use_of_resources"]);
    let raw = RawPlan {
        rows: vec![RawSession {
            areas: areas(&["leadership"]),
            ..row("head_meeting", "9:00", "09:30")
        }],
        next_id: 0,
    };
    let plan = Plan::parse(&raw, &asked).unwrap();
    assert_eq!(plan.uncovered(&asked), ["outcomes", "use_of_resources"]);
    assert_eq!(plan.sessions[0].start, "09:00");
    assert_eq!(plan.sessions[0].id, "s1");
}

#[test]
fn every_problem_is_given_per_field_and_nothing_parses() {
    let asked = areas(&["outcomes"]);
    let raw = RawPlan {
        rows: vec![
            row("", "09:00", "10:00"),
            row("learning_walk", "half nine", "10:00"),
            row("pupil_voice", "11:00", "10:30"),
            RawSession {
                place: "p".repeat(MAX_PLACE_CHARS + 1),
                attendees: "a".repeat(MAX_ATTENDEES_CHARS + 1),
                areas: areas(&["leadership"]),
                ..row("work_scrutiny", "12:00", "")
            },
            row("", "", ""),
        ],
        next_id: 0,
    };
    let errors = Plan::parse(&raw, &asked).unwrap_err();
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "session-1-kind",
            "session-2-start",
            "session-3-end",
            "session-4-end",
            "session-4-place",
            "session-4-attendees",
            "session-4-areas",
        ]
    );
    assert_eq!(errors[0].message, "Choose what session 1 is");
    assert!(errors[1].message.contains("like 09:30"));
    assert!(errors[2].message.contains("must end after it starts"));
    assert!(errors[5].message.contains("roles only"));
}

#[test]
fn sessions_are_kept_in_time_order_and_must_not_overlap() {
    let asked = areas(&["outcomes"]);
    let plan_of = |rows: Vec<RawSession>| Plan::parse(&RawPlan { rows, next_id: 0 }, &asked);
    let plan = plan_of(vec![
        row("reflection", "14:00", "14:30"),
        row("senco_meeting", "09:00", "10:00"),
    ]);
    assert_eq!(plan.unwrap().sessions[0].kind, SessionKind::SencoMeeting);
    let overlapping = vec![
        row("senco_meeting", "09:00", "10:00"),
        row("learning_walk", "09:45", "10:30"),
    ];
    let errors = plan_of(overlapping).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, "session-2-start");
    assert!(
        errors[0]
            .message
            .contains("before meeting with the senco ends at 10:00")
    );
}

#[test]
fn ids_stay_with_their_sessions_and_new_ones_are_never_reused() {
    let asked = areas(&["outcomes"]);
    // A form as posted: fields `&`-separated, a row's areas repeated.
    let form = "next_id=5&session-1-id=s2&session-1-kind=senco_meeting&session-1-start=09:00\
        &session-1-end=09:30&session-2-id=s4&session-2-kind=learning_walk&session-2-start=10:00\
        &session-2-end=11:00&session-2-remove=yes&session-3-kind=lesson_visits\
        &session-3-start=11:00&session-3-end=12:00&session-3-area=outcomes&session-3-area=outcomes";
    let pairs: Vec<(String, String)> = form
        .split('&')
        .map(|field| field.trim().split_once('=').unwrap())
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
    let plan = Plan::parse(&RawPlan::from_pairs(&pairs), &asked).unwrap();
    let ids: Vec<&str> = plan.sessions.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["s2", "s5"]);
    assert_eq!(plan.next_id, 6);
    assert_eq!(plan.sessions[1].areas, ["outcomes"]);
}

#[test]
fn an_empty_plan_is_refused_and_times_parse_strictly() {
    let errors = Plan::parse(&RawPlan::default(), &[]).unwrap_err();
    assert_eq!(errors[0].message, "Add at least one session to the plan");
    for bad in ["24:00", "9", "09:60", "-1:00", "09:30:15", "0930", ""] {
        assert_eq!(TimeOfDay::parse(bad), None, "{bad}");
    }
    assert_eq!(TimeOfDay::parse("09:30:00"), Some(TimeOfDay::at(9, 30)));
    assert_eq!(TimeOfDay::at(9, 5).to_string(), "09:05");
}

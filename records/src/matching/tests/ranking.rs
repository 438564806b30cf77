//! How eligible reviewers are scored and ordered.

use super::*;

fn fixture_visit(request: &ReviewRequest) -> Visit<'_> {
    Visit::of(request, None, TODAY)
}

#[test]
fn knowing_the_schools_phase_earns_30() {
    let secondary_only = Reviewer {
        phases: vec![Phase::Secondary, Phase::Post16],
        ..reviewer(1)
    };
    assert_eq!(phase_fit_points(&reviewer(1), Phase::Primary), 30);
    assert_eq!(phase_fit_points(&secondary_only, Phase::Primary), 0);
    assert_eq!(judge_lead(&secondary_only).unwrap().score.phase_fit, 0);
}

#[test]
fn knowing_the_schools_type_earns_20() {
    let special_only = Reviewer {
        school_types: vec![SchoolType::Special],
        ..reviewer(1)
    };
    assert_eq!(
        school_type_fit_points(&reviewer(1), SchoolType::Mainstream),
        20
    );
    assert_eq!(
        school_type_fit_points(&special_only, SchoolType::Mainstream),
        0
    );
    assert_eq!(judge_lead(&special_only).unwrap().score.school_type_fit, 0);
}

#[test]
fn each_wanted_specialism_earns_10_up_to_30() {
    let mut request = request();
    request.school.areas_of_need = vec![
        AreaOfNeed::CommunicationAndInteraction,
        AreaOfNeed::SocialEmotionalMentalHealth,
        AreaOfNeed::SensoryPhysical,
    ];
    request.review_type = ReviewType::TaDeployment;
    let wanted = fixture_visit(&request).wanted_specialisms;
    assert_eq!(
        wanted,
        SpecialismSet::of(&[
            Specialism::SpeechLanguageCommunication,
            Specialism::Autism,
            Specialism::Semh,
            Specialism::Sensory,
            Specialism::Physical,
            Specialism::TaDeployment,
        ])
    );
    let with = |specialisms: &[Specialism]| Reviewer {
        specialisms: specialisms.to_vec(),
        ..reviewer(1)
    };
    assert_eq!(specialism_points(&with(&[]), wanted), 0);
    assert_eq!(
        specialism_points(&with(&[Specialism::EarlyYears]), wanted),
        0
    );
    assert_eq!(specialism_points(&with(&[Specialism::Autism]), wanted), 10);
    let two = with(&[Specialism::Autism, Specialism::EarlyYears, Specialism::Semh]);
    assert_eq!(specialism_points(&two, wanted), 20);
    let four = with(&[
        Specialism::Autism,
        Specialism::Semh,
        Specialism::Physical,
        Specialism::TaDeployment,
    ]);
    assert_eq!(specialism_points(&four, wanted), 30, "capped");

    let need_only = |need| {
        let mut request = super::fixtures::request();
        request.school.areas_of_need = vec![need];
        fixture_visit(&request).wanted_specialisms
    };
    assert_eq!(
        need_only(AreaOfNeed::CognitionAndLearning),
        SpecialismSet::of(&[Specialism::SpecificLearningDifficulties])
    );
    for (review_type, specialism) in [
        (
            ReviewType::PreparingForAdulthood,
            Specialism::PreparingForAdulthood,
        ),
        (
            ReviewType::AlternativeProvision,
            Specialism::AlternativeProvision,
        ),
    ] {
        assert_eq!(specialism_for_review_type(review_type), Some(specialism));
    }
    assert_eq!(specialism_for_review_type(ReviewType::SendReview), None);
    assert_eq!(specialism_for_review_type(ReviewType::TrustSend), None);
}

#[test]
fn a_home_in_the_schools_region_earns_15_and_travellers_still_qualify() {
    let from_kent = Reviewer {
        local_authority: la(KENT),
        regions: vec![Region::SouthEast, Region::London],
        ..reviewer(1)
    };
    assert_eq!(home_region_points(&reviewer(1), Some(Region::London)), 15);
    assert_eq!(home_region_points(&from_kent, Some(Region::London)), 0);
    assert_eq!(home_region_points(&reviewer(1), None), 0);
    let candidate = judge_lead(&from_kent).unwrap();
    assert_eq!(
        (candidate.score.home_region, candidate.score.total()),
        (0, 50)
    );
}

#[test]
fn each_review_already_in_the_visit_term_costs_5() {
    assert_eq!(load_spread_points(0), 0);
    assert_eq!(load_spread_points(3), -15);
    assert_eq!(load_spread_points(u32::MAX), i32::MIN, "saturates");
    let busy = Reviewer {
        capacity_per_term: 4,
        ..reviewer(1)
    };
    let offers = [
        date!(2027 - 01 - 25),
        date!(2027 - 02 - 08),
        date!(2027 - 03 - 15),
    ];
    let record = ReviewerRecord {
        open_offers: &offers,
        ..record(&busy)
    };
    let score = judge(record, &request(), Role::Lead, None, &settings())
        .unwrap()
        .score;
    assert_eq!((score.reviews_in_visit_term, score.load_spread), (3, -15));
    assert_eq!(score.total(), 50);
}

#[test]
fn a_second_from_the_other_kind_of_school_earns_25() {
    let mainstream_lead = reviewer(1);
    let special = Reviewer {
        school_types: vec![SchoolType::Special, SchoolType::Mainstream],
        ..reviewer(2)
    };
    let mainstream = reviewer(3);
    assert_eq!(mix_points(&special, Role::Second, false), 25);
    assert_eq!(mix_points(&mainstream, Role::Second, true), 25);
    assert_eq!(mix_points(&mainstream, Role::Second, false), 0);
    assert_eq!(
        mix_points(&special, Role::Lead, false),
        0,
        "leads get no mix bonus"
    );

    let request = request();
    let as_second = |second: &Reviewer, lead: Option<&Reviewer>| {
        judge(record(second), &request, Role::Second, lead, &settings())
            .unwrap()
            .score
            .special_mainstream_mix
    };
    assert_eq!(as_second(&special, Some(&mainstream_lead)), 25);
    assert_eq!(as_second(&mainstream, Some(&mainstream_lead)), 0);
    assert_eq!(as_second(&mainstream, Some(&special)), 25);
    // With no lead yet, the school's own type is the other side: Brook is mainstream.
    assert_eq!(as_second(&special, None), 25);
    assert_eq!(as_second(&mainstream, None), 0);
}

/// The ranked reviewers' ids and scores, best first.
fn scores(outcome: &MatchOutcome<'_>) -> Vec<(Ulid, i32)> {
    outcome
        .ranked
        .iter()
        .map(|c| (c.reviewer.id, c.score.total()))
        .collect()
}

#[test]
fn ties_go_to_fewer_reviews_in_the_term_then_the_lower_id() {
    // 65 + 10 (autism) - 10 (two reviews) = 65, the same total as a plain reviewer's.
    let specialist = Reviewer {
        specialisms: vec![Specialism::Autism],
        capacity_per_term: 3,
        ..reviewer(1)
    };
    let (plain_later, plain_earlier) = (reviewer(9), reviewer(5));
    let offers = [date!(2027 - 01 - 25), date!(2027 - 02 - 08)];
    let pool = [
        ReviewerRecord {
            open_offers: &offers,
            ..record(&specialist)
        },
        record(&plain_later),
        record(&plain_earlier),
    ];
    let request = request();
    let excluded = no_one();
    let order = scores(&rank_for_lead(&request, &excluded, &pool));
    assert_eq!(
        order,
        [
            (plain_earlier.id, 65),
            (plain_later.id, 65),
            (specialist.id, 65)
        ]
    );
}

#[test]
fn the_best_fit_comes_first() {
    let specialist = Reviewer {
        specialisms: vec![Specialism::Autism, Specialism::SpeechLanguageCommunication],
        ..reviewer(3)
    };
    let secondary = Reviewer {
        phases: vec![Phase::Secondary],
        ..reviewer(1)
    };
    let plain = reviewer(2);
    let declined = reviewer(4);
    let pool = [
        record(&secondary),
        record(&plain),
        record(&specialist),
        record(&declined),
    ];
    let request = request();
    let excluded = HashSet::from([declined.id]);
    let outcome = rank_for_lead(&request, &excluded, &pool);
    let order = scores(&outcome);
    assert_eq!(
        order,
        [(specialist.id, 85), (plain.id, 65), (secondary.id, 35)]
    );
    assert_eq!(outcome.ruled_out.len(), 1);
    assert_eq!(outcome.ruled_out[0].0.id, declined.id);
}

/// The pool ranked as the lead of a follow-up of `original`'s review on `visited`.
fn rank_follow_up<'a>(
    pool: &[ReviewerRecord<'a>],
    original: &Reviewer,
    visited: Date,
    role: Role,
) -> MatchOutcome<'a> {
    let request = request();
    let excluded = no_one();
    let match_request = MatchRequest {
        request: &request,
        excluded: &excluded,
        role,
        lead: None,
        follow_up_of: Some(OriginalReview {
            lead: original.id,
            visit_date: visited,
        }),
    };
    rank(&match_request, pool, &settings(), TODAY)
}

#[test]
fn a_follow_up_tries_the_original_lead_first_and_their_own_review_is_no_conflict() {
    let visited = date!(2026 - 03 - 10);
    let original = reviewer(7);
    let their_review = [review(SCHOOL_URN, visited)];
    // Better on points: 65 + 20 (two wanted specialisms) = 85 against the original's 65.
    let specialist = Reviewer {
        specialisms: vec![Specialism::Autism, Specialism::SpeechLanguageCommunication],
        ..reviewer(3)
    };
    let pool = [
        record(&specialist),
        ReviewerRecord {
            history: &their_review,
            ..record(&original)
        },
    ];
    let outcome = rank_follow_up(&pool, &original, visited, Role::Lead);
    let order: Vec<(Ulid, i32, bool)> = outcome
        .ranked
        .iter()
        .map(|c| (c.reviewer.id, c.score.total(), c.score.original_lead))
        .collect();
    assert_eq!(
        order,
        [(original.id, 65, true), (specialist.id, 85, false)],
        "points only order everyone after the original lead"
    );

    // Not a follow-up: the same review is a recent review of the school.
    let request = request();
    let excluded = no_one();
    let plain = MatchRequest {
        request: &request,
        excluded: &excluded,
        role: Role::Lead,
        lead: None,
        follow_up_of: None,
    };
    let outcome = rank(&plain, &pool, &settings(), TODAY);
    assert_eq!(outcome.ranked[0].reviewer.id, specialist.id);
    assert_eq!(
        outcome.ruled_out,
        [(&original, vec![RuleOut::ReviewedRecently { years: 3 }])]
    );
}

#[test]
fn a_follow_up_keeps_every_other_hard_rule_for_the_original_lead() {
    let visited = date!(2026 - 03 - 10);
    // Another, later review of the school by them still counts.
    let original = reviewer(7);
    let two_reviews = [
        review(SCHOOL_URN, visited),
        review(SCHOOL_URN, date!(2026 - 06 - 15)),
    ];
    let pool = [ReviewerRecord {
        history: &two_reviews,
        ..record(&original)
    }];
    let outcome = rank_follow_up(&pool, &original, visited, Role::Lead);
    assert_eq!(
        outcome.ruled_out[0].1,
        [RuleOut::ReviewedRecently { years: 3 }]
    );

    // Capacity, DBS and the rest apply to them as to anyone.
    let full = Reviewer {
        capacity_per_term: 0,
        dbs_checked_on: None,
        ..reviewer(7)
    };
    let their_review = [review(SCHOOL_URN, visited)];
    let pool = [ReviewerRecord {
        history: &their_review,
        ..record(&full)
    }];
    let outcome = rank_follow_up(&pool, &full, visited, Role::Lead);
    assert!(outcome.ranked.is_empty());
    assert_eq!(
        outcome.ruled_out[0].1,
        [RuleOut::NoDbsCheck, RuleOut::AtCapacity]
    );

    // Someone else who reviewed the school on that day is not exempt.
    let colleague = reviewer(8);
    let pool = [ReviewerRecord {
        history: &their_review,
        ..record(&colleague)
    }];
    let outcome = rank_follow_up(&pool, &original, visited, Role::Lead);
    assert_eq!(
        outcome.ruled_out[0].1,
        [RuleOut::ReviewedRecently { years: 3 }]
    );

    // As a second reviewer the original lead is eligible but not put first.
    let pool = [
        ReviewerRecord {
            history: &their_review,
            ..record(&original)
        },
        record(&colleague),
    ];
    let outcome = rank_follow_up(&pool, &original, visited, Role::Second);
    assert!(outcome.ranked.iter().all(|c| !c.score.original_lead));
    assert_eq!(outcome.ranked.len(), 2);
}

#[test]
fn ulid_order_is_the_order_of_their_strings() {
    let ids = [
        Ulid(0),
        Ulid(31),
        Ulid(32),
        Ulid(1 << 64),
        Ulid::from_parts(1_760_000_000_000, 7),
        Ulid::from_parts(1_760_000_000_001, 0),
        Ulid(u128::MAX - 1),
        Ulid(u128::MAX),
    ];
    for pair in ids.windows(2) {
        assert!(pair[0] < pair[1]);
        assert!(pair[0].to_string() < pair[1].to_string(), "{pair:?}");
    }
}

#[test]
fn a_second_reviewer_is_needed_for_listed_review_or_school_types() {
    let mut request = request();
    let listing = |types: &[&str]| ProgrammeSettings {
        second_reviewer_for_types: types.iter().map(|t| t.to_string()).collect(),
        ..settings()
    };
    assert!(!needs_second_reviewer(&request, &settings()));
    assert!(needs_second_reviewer(
        &request,
        &listing(&["special", "mainstream"])
    ));
    assert!(needs_second_reviewer(
        &request,
        &listing(&[" send_review "])
    ));
    assert!(!needs_second_reviewer(
        &request,
        &listing(&["ta_deployment", "special"])
    ));
    request.review_type = ReviewType::TaDeployment;
    assert!(needs_second_reviewer(
        &request,
        &listing(&["ta_deployment"])
    ));
    request.school.school_type = SchoolType::Special;
    request.review_type = ReviewType::SendReview;
    assert!(needs_second_reviewer(&request, &listing(&["special"])));
}

#[test]
fn a_request_without_windows_finds_nobody() {
    let mut request = request();
    windows(&mut request, &[]);
    assert_eq!(
        judge(
            record(&reviewer(1)),
            &request,
            Role::Lead,
            None,
            &settings()
        )
        .unwrap_err(),
        [RuleOut::UnavailableInEveryWindow]
    );
}

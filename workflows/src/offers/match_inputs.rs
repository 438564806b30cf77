//! What matching reads for one place on one request, and the items of an offer to one reviewer:
//! the matcher and a coordinator's offer to a named reviewer share both, so they judge alike.

use super::*;

/// Everything [`matching::rank`] needs for one place on one request, read once.
pub struct MatchInputs {
    pub settings: ProgrammeSettings,
    /// The whole pool (inactive reviewers are ruled out by a rule of their own).
    pub pool: Vec<Reviewer>,
    pub role: Role,
    /// The request as matched: for a second reviewer, its windows narrowed to the lead's date.
    pub request: records::domain::request::ReviewRequest,
    history: HashMap<String, Vec<ReviewHistory>>,
    open_offers: HashMap<String, Vec<Date>>,
    pub excluded: HashSet<Ulid>,
    /// The lead, when the place is the second's.
    lead: Option<TeamMember>,
    /// The one day the place is offered for (the second's, or a replacement lead's).
    fixed_date: Option<Date>,
    pub follow_up_of: Option<matching::OriginalReview>,
    today: Date,
}

impl MatchInputs {
    /// Leaves `reviewer` out (e.g. the booked reviewer being replaced).
    pub fn exclude(&mut self, reviewer: Ulid) {
        self.excluded.insert(reviewer);
    }

    /// The matcher's verdict on every reviewer of the pool: candidates best first, and everyone
    /// else with every hard rule they break.
    pub fn rank(&self) -> matching::MatchOutcome<'_> {
        let records = self.records();
        let lead = (self.lead.as_ref()).and_then(|lead| {
            self.pool
                .iter()
                .find(|r| r.id.to_string() == lead.reviewer_id)
        });
        matching::rank(
            &MatchRequest {
                request: &self.request,
                excluded: &self.excluded,
                role: self.role,
                lead,
                follow_up_of: self.follow_up_of,
            },
            &records,
            &self.settings,
            self.today,
        )
    }

    /// The pool with each reviewer's history and open offers, as matching reads it.
    pub fn records(&self) -> Vec<ReviewerRecord<'_>> {
        (self.pool.iter())
            .map(|reviewer| {
                let id = reviewer.id.to_string();
                ReviewerRecord {
                    reviewer,
                    history: self.history.get(&id).map(Vec::as_slice).unwrap_or_default(),
                    open_offers: (self.open_offers.get(&id).map(Vec::as_slice)).unwrap_or_default(),
                }
            })
            .collect()
    }
}

impl Workflow {
    /// Reads what matching `role` on `stored` needs, as on `today`.
    pub async fn match_inputs(
        &self,
        stored: &StoredRequest,
        role: Role,
        today: Date,
    ) -> Result<MatchInputs, WorkflowError> {
        let settings = self.settings().await;
        let pool = reviewers::list(&self.table)
            .await
            .map_err(|e| WorkflowError::Corrupt(e.to_string()))?;
        // Reviews done or booked since the oldest date any rule looks at.
        let since = today - Duration::days(366 * i64::from(settings.recent_review_years.max(1)));
        let mut history: HashMap<String, Vec<ReviewHistory>> = HashMap::new();
        for item in self
            .index(HISTORY_INDEX_KEY, Some(format_date(since)))
            .await?
        {
            let (Some(reviewer), Some(urn), Some(date)) = (
                get_s(&item, "reviewer_id"),
                get_s(&item, "school_urn"),
                get_s(&item, "visit_date"),
            ) else {
                continue;
            };
            if let (Ok(school), Ok(visit_date)) = (urn.parse(), parse_date(date)) {
                history
                    .entry(reviewer.to_owned())
                    .or_default()
                    .push(ReviewHistory { school, visit_date });
            }
        }
        let mut open_offers: HashMap<String, Vec<Date>> = HashMap::new();
        for item in self.index(OPEN_INDEX_KEY, None).await? {
            let Ok(offer) = serde_dynamo::from_item::<_, Offer>(item) else {
                continue;
            };
            let dates = offer.load_dates.iter().filter_map(|d| parse_date(d).ok());
            open_offers
                .entry(offer.reviewer_id)
                .or_default()
                .extend(dates);
        }
        let mut excluded: HashSet<Ulid> = stored
            .excluded_reviewers
            .iter()
            .filter_map(|id| id.parse().ok())
            .collect();
        // A second (or a lead replacing one who dropped out) is matched to the booked day: the
        // windows narrow to it (availability, capacity); nobody on the team is asked again.
        let lead_record = stored.lead.as_ref().filter(|_| role == Role::Second);
        let fixed_date = match role {
            Role::Second => lead_record.map(|member| member.visit_date),
            Role::Lead => (stored.fixed_visit_date.as_deref()).and_then(|d| parse_date(d).ok()),
        };
        let mut request = stored.request.clone();
        if let Some(date) = fixed_date {
            request.visit_windows = vec![VisitWindow {
                start: date,
                end: date,
            }];
        }
        excluded.extend(
            stored
                .team()
                .filter_map(|m| m.reviewer_id.parse::<Ulid>().ok()),
        );
        Ok(MatchInputs {
            settings,
            pool,
            role,
            request,
            history,
            open_offers,
            excluded,
            lead: lead_record.cloned(),
            fixed_date,
            follow_up_of: stored
                .follow_up_of
                .as_ref()
                .and_then(|original| original.review()),
            today,
        })
    }

    /// The transaction of an offer of `inputs`' place on `stored` to `reviewer`: the offer, the
    /// request moved on from the state it was read in, the timeline and the reviewer's email.
    /// Answers the new offer's id with the items, the request's update first.
    pub fn offer_items(
        &self,
        stored: &StoredRequest,
        inputs: &MatchInputs,
        reviewer: &Reviewer,
        now: OffsetDateTime,
    ) -> Result<(String, Vec<TransactWriteItem>), WorkflowError> {
        let table = self.table.name.as_str();
        let at = now.format(&Rfc3339).unwrap_or_default();
        let role = inputs.role;
        let offer_id = Ulid::new().to_string();
        let lifetime = Duration::days(i64::from(inputs.settings.offer_expiry_days.max(1)));
        let expires = now + lifetime;
        let offer = Offer {
            id: offer_id.clone(),
            request_id: stored.id.clone(),
            reviewer_id: reviewer.id.to_string(),
            reviewer_name: reviewer.name.clone(),
            reviewer_email: reviewer.email.clone(),
            state: offer_state::OPEN.into(),
            created_at: at.clone(),
            expires_at: expires.unix_timestamp(),
            remind_at: (now + lifetime / 2_i32).unix_timestamp(),
            reminded: false,
            load_dates: load_dates(&inputs.request.visit_windows),
            visit_date: inputs.fixed_date.map(format_date),
            decline_reason: None,
            role,
        };
        let mut offer_item: HashMap<String, AttributeValue> =
            serde_dynamo::to_item(&offer).map_err(|e| WorkflowError::Corrupt(e.to_string()))?;
        offer_item.insert("pk".into(), s(offer_pk(&offer_id)));
        offer_item.insert("sk".into(), s("OFFER"));
        offer_item.insert("gsi1pk".into(), s(OPEN_INDEX_KEY));
        offer_item.insert(
            "gsi1sk".into(),
            s(format!("{:012}#{offer_id}", offer.expires_at)),
        );
        let email = offer_email(&offer, stored);
        let request_update = match role {
            Role::Lead => set_request_state(
                table,
                stored,
                RequestState::Offered,
                Some(&offer_id),
                activity(now.date(), &inputs.settings),
            ),
            Role::Second => {
                set_second_state(table, &stored.id, second_state::OFFERED, Some(&offer_id))
            }
        };
        let items = vec![
            request_update,
            records::request::put(table, offer_item, true),
            timeline_put(
                table,
                &stored.id,
                &TimelineEvent {
                    at,
                    kind: "offered".into(),
                    detail: Some(
                        match role {
                            Role::Lead => "A reviewer has been asked.",
                            Role::Second => "A second reviewer has been asked to join the visit.",
                        }
                        .into(),
                    ),
                },
            ),
            outbox::put(table, Some(&stored.id), &reviewer.email, &email, now),
        ];
        Ok((offer_id, items))
    }
}

//! The five built-in frameworks, one per review type: the files in `crates/frameworks/builtin/`, in the
//! documented file format, written in our own words from public sources (facts carry over;
//! wording is ours; each file's `source` names its own):
//!
//! - whole-school SEND review: the eight focus areas of the SEND Review guide for schools
//!   (Whole School SEND, the team's domain brief `shared/domain.md`);
//! - teaching assistant deployment: the Education Endowment Foundation's guidance report
//!   *Making Best Use of Teaching Assistants* (2015, updated since) and its seven
//!   recommendations, grouped into six areas;
//! - Preparing for Adulthood: the SEND Code of Practice: 0 to 25 years (DfE and DHSC, 2015),
//!   chapter 8, its four adult outcomes planned for from Year 9, with transition planning and
//!   pupils' voice (chapter 1's principles);
//! - alternative provision: the DfE's statutory guidance *Alternative provision* (2013) and its
//!   expectations of admissions, reintegration, curriculum, safeguarding, partnership and
//!   outcomes;
//! - trust-level (MAT): the same review applied across a trust's schools: strategy, central
//!   leadership, consistency, resources and governance (the domain brief).

use std::sync::LazyLock;

use super::Framework;

/// The files, in the order of the review types.
const FILES: [(&str, &str); 5] = [
    ("send_review", include_str!("../builtin/send_review.json")),
    (
        "ta_deployment",
        include_str!("../builtin/ta_deployment.json"),
    ),
    (
        "preparing_for_adulthood",
        include_str!("../builtin/preparing_for_adulthood.json"),
    ),
    (
        "alternative_provision",
        include_str!("../builtin/alternative_provision.json"),
    ),
    ("trust_send", include_str!("../builtin/trust_send.json")),
];

/// Read once, on first use; the tests read every file, so a bad one fails them, not a page.
pub(super) static BUILT_IN: LazyLock<Vec<Framework>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|(name, file)| match Framework::from_json(file) {
            Ok(framework) => framework,
            Err(problems) => panic!("crates/frameworks/builtin/{name}.json: {problems:?}"),
        })
        .collect()
});

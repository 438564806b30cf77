//! One test binary (linking the AWS SDK once), one module per capability.

mod admin;
mod after_report;
mod evidence;
mod follow_up_report;
mod intake;
mod lifecycle;
mod lifecycle_model;
mod local_runner;
mod mail_delivery;
mod mail_feedback;
mod offers;
mod preparation;
mod report;
mod report_status;
mod review_team;
mod settings;
mod sharing;
mod support;
mod template_checks;

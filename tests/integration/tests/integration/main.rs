//! One test binary (linking the AWS SDK once), one module per capability.

mod admin;
mod admin_workflows;
mod after_report;
mod console;
mod console_request;
mod evidence;
mod faults;
mod follow_up_report;
mod intake;
mod lifecycle;
mod lifecycle_model;
mod lifecycle_rules;
mod local_runner;
mod mail_delivery;
mod mail_feedback;
mod offers;
mod preparation;
mod private_links;
mod report;
mod report_status;
mod review_team;
mod settings;
mod sharing;
mod support;
mod template_checks;

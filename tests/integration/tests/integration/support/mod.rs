//! The one test API every integration test module uses (and the only module they import
//! from): [`TestStack`], a whole local stack per test, with one method per thing a person or a
//! scheduled function does to it (the school submits, the reviewer accepts with a date, the
//! school uploads evidence, the lead sends the draft, the clock moves, the schedule runs...),
//! and the pure helpers those steps share (dates, forms, links on pages and in emails).

mod clock;
mod dates;
mod evidence;
mod forms;
mod people;
mod people_console;
mod report;
mod stack;
mod staff;

pub(crate) use dates::{
    at_nine, date_from_now, day, follow_up_windows, reminder_time_after, school_day,
    school_day_after, visit_day,
};
pub(crate) use evidence::{PDF, School, unescape, upload_form};
pub(crate) use forms::{
    Answered, Route, all_areas, areas, attached_pdf_text, body, complete_report,
    complete_self_evaluation, csp, encode_fields, form_encode, link_containing, location,
    mail_starting, offer_id, offer_link, pdf_text, redirect, report_form, routes_under, step,
    tampered, tampered_token, valid_form, valid_json, version_on,
};
pub(crate) use people::{Booked, pool_of, reviewer_row, second_row};
pub(crate) use people_console::{POOL_HEADER, pool_row, reviewer_fields};
pub(crate) use stack::{
    TestStack, spawn, spawn_with, spawn_with_parameter, template_path, unique_address,
};
pub(crate) use staff::{
    MOTO_SECRET, PASSWORD, REGION, StaffBrowser, add_staff, between, client_id, code, cognito,
    csrf_in, first_sign_in, now, pool_id, totp,
};

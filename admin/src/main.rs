//! `send-review-admin`: argument parsing and printing only; the commands are in the library.
//!
//! Exit status: 0 done, 1 failed (one line on stderr saying why), 2 usage.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use records::audit::Actor;
use records::aws::AwsClients;
use records::domain::request::{Reference, ReviewType};
use records::store::Table;
use send_review_admin::reviewers::ReviewerKey;
use send_review_admin::{AdminError, export, frameworks, requests, reviewers, settings};

const AFTER_HELP: &str = "\
Credentials and region come from the usual AWS settings (AWS_PROFILE, AWS_REGION, ...). Against
the local stack of scripts/start: AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:8000, any dummy
credentials, AWS_REGION=eu-west-2 and --table send-review-Table.

Exit status: 0 done, 1 failed, 2 wrong usage.";

/// Administers a send-review programme: the reviewer pool, schools' requests, the export.
#[derive(Debug, Parser)]
#[command(name = "send-review-admin", version, after_help = AFTER_HELP)]
struct Cli {
    /// The programme's DynamoDB table (the stack's table name).
    #[arg(long, value_name = "NAME", env = "SEND_REVIEW_TABLE", global = true)]
    table: Option<String>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The reviewer pool: import, list, show, deactivate, activate.
    #[command(subcommand)]
    Reviewers(ReviewersCommand),
    /// Schools' requests: list, show, withdraw.
    #[command(subcommand)]
    Requests(RequestsCommand),
    /// The programme's settings: show them, or set some (a new version, audited).
    #[command(subcommand)]
    Settings(SettingsCommand),
    /// Review frameworks: list, export one as a file, import (publish) one.
    #[command(subcommand)]
    Frameworks(FrameworksCommand),
    /// Every request as CSV, for funders: no contact name, email or phone.
    #[command(long_about = "\
Writes every request, in every state, as CSV: reference, created_at, state, urn, school_name,
phase, school_type, la_code, la_name, review_type, focus_areas (;-joined), visit_windows
(start..end;-joined), contact_role.

An export is meant to be shared with funders, so it leaves out the contact's name, email
address and phone number, and the school's learning goal: only the contact's role is kept.
Use `requests show REF` to reach a school. Cells of free text that a spreadsheet would run as
a formula (starting with = + - @) are prefixed with '.")]
    Export {
        /// Write to FILE (replaced if it exists) instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum ReviewersCommand {
    /// Add or update reviewers from a CSV file (all rows, or none if any row is bad).
    #[command(long_about = "\
Adds or updates reviewers from a CSV file, matched by id, else by email (case ignored):
importing the same file twice changes nothing. The format is documented at the top of
records/src/reviewers.rs; admin/examples/reviewers.csv is an example. If any row is bad, every
problem is printed (`line N: ...`) and nothing is written. An import sets `active` from the
file (yes when empty), so keep `active = no` in the file for someone deactivated here.")]
    Import {
        /// The CSV file.
        #[arg(value_name = "FILE.csv")]
        file: PathBuf,
    },
    /// Every reviewer, active or not, in name order.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Every field of one reviewer.
    Show {
        /// The reviewer's email (case ignored) or id.
        #[arg(value_name = "EMAIL_OR_ID")]
        reviewer: ReviewerKey,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Stop offering reviews to a reviewer (kept in the pool; idempotent).
    Deactivate {
        /// The reviewer's email (case ignored) or id.
        #[arg(value_name = "EMAIL_OR_ID")]
        reviewer: ReviewerKey,
    },
    /// Offer reviews to a reviewer again (idempotent).
    Activate {
        /// The reviewer's email (case ignored) or id.
        #[arg(value_name = "EMAIL_OR_ID")]
        reviewer: ReviewerKey,
    },
}

#[derive(Debug, Subcommand)]
enum RequestsCommand {
    /// Requests in one state, or in every state, oldest first.
    List {
        /// Only requests in this state.
        #[arg(long, value_name = "STATE", value_parser = clap::builder::PossibleValuesParser::new(requests::STATES))]
        state: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Every field of a request, and its timeline.
    Show {
        /// The request's reference, e.g. SR-7K3M-Q9.
        #[arg(value_name = "REF", value_parser = parse_reference)]
        reference: Reference,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Withdraw a request (idempotent); the reason goes on its timeline.
    Withdraw {
        /// The request's reference, e.g. SR-7K3M-Q9.
        #[arg(value_name = "REF", value_parser = parse_reference)]
        reference: Reference,
        /// Why, in one line (at most 500 characters).
        #[arg(long, value_name = "TEXT", value_parser = requests::parse_reason)]
        reason: Option<String>,
    },
    /// Erase a request now (the right to erasure): every evidence object version and every
    /// item of the request; prints what it removed.
    #[command(long_about = "\
Removes everything of one request, at once and for good: every object version and delete
marker under requests/<id>/ in the evidence bucket, every item of the request (the request,
its timeline, evidence, access log, self-evaluation), and every item that names it (its
reference, status link, idempotency records, offers, emails about it). The reviewers' own
review history (school URN and visit date) is kept: the matching rules need it. Prints every
object and item removed. Safe to run again if it stops half way.")]
    Purge {
        /// The request's reference, e.g. SR-7K3M-Q9.
        #[arg(value_name = "REF", value_parser = parse_reference)]
        reference: Reference,
        /// The evidence bucket (the stack's EvidenceBucket).
        #[arg(long, value_name = "NAME", env = "SEND_REVIEW_BUCKET")]
        bucket: String,
    },
    /// Give a request to another reviewer (not available yet: comes with matching).
    Reassign {
        /// The request's reference, e.g. SR-7K3M-Q9.
        #[arg(value_name = "REF", value_parser = parse_reference)]
        reference: Reference,
    },
}

#[derive(Debug, Subcommand)]
enum FrameworksCommand {
    /// The framework new requests of each review type get, and its version (0: built in).
    List,
    /// Write a review type's framework as a file (crates/frameworks/framework.schema.json).
    Export {
        /// The review type, e.g. ta_deployment.
        #[arg(value_name = "TYPE", value_parser = parse_review_type)]
        review_type: ReviewType,
        /// This version instead of the one new requests get (0: the built-in).
        #[arg(long, value_name = "N")]
        version: Option<u64>,
        /// Write to FILE (replaced if it exists) instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Publish a framework file as the next version of its review type's framework.
    #[command(long_about = "\
Reads a framework file (the format of crates/frameworks/framework.schema.json; `frameworks export`
writes one) and publishes it as the next version of its review type's framework: new requests of
that type get it, and reviews already under way keep the version they started with. If the file
has any problem, each is printed with its JSON pointer and nothing is published. The publish is
written to the audit log with your operating-system user name.")]
    Import {
        /// The framework file.
        #[arg(value_name = "FILE.json")]
        file: PathBuf,
    },
}

fn parse_review_type(text: &str) -> Result<ReviewType, String> {
    text.parse()
        .map_err(|e: records::domain::UnknownValue| e.to_string())
}

#[derive(Debug, Subcommand)]
enum SettingsCommand {
    /// Every setting with its value, its default and what it means.
    Show {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Set one or more settings at once: all of them, or none if any value is refused.
    #[command(long_about = "\
Sets one or more settings, given as KEY VALUE pairs, e.g.
  settings set local_authority_conflict_rule off offer_expiry_days 7
All of them are saved as one new version of the settings, or none if any value is refused (each
problem is printed). An empty VALUE (\"\") clears an optional setting. The change is written to the
audit log with your operating-system user name. `settings show` lists the keys and what they mean.
Before any settings are saved, give name and contact_email in the same command.")]
    Set {
        /// KEY VALUE [KEY VALUE ...]
        #[arg(value_name = "KEY VALUE", num_args = 2.., required = true, allow_hyphen_values = true)]
        words: Vec<String>,
    },
}

fn parse_reference(text: &str) -> Result<Reference, String> {
    text.parse()
        .map_err(|()| format!("{text:?} is not a request reference (like SR-7K3M-Q9)"))
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage(e),
    };
    let Some(table) = cli
        .table
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    else {
        eprintln!("error: which table? Give --table NAME or set SEND_REVIEW_TABLE");
        return ExitCode::from(2);
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => return report(Err(AdminError::Io(format!("cannot start: {e}")))),
    };
    report(runtime.block_on(run(cli.command, table.to_owned())))
}

/// Help and version go to stdout (exit 0); other usage errors are one line (exit 2).
fn usage(error: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match error.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => error.exit(),
        _ => {
            let text = error.render().to_string();
            let mut parts: Vec<&str> = text
                .lines()
                .map(str::trim)
                .filter(|line| {
                    line.starts_with("error:")
                        || line.starts_with("tip:")
                        || line.starts_with("[possible values:")
                })
                .collect();
            if parts.is_empty() {
                parts.push(text.trim());
            }
            eprintln!("{}; see --help", parts.join("; "));
            ExitCode::from(2)
        }
    }
}

fn report(result: Result<(), AdminError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(AdminError::Io(message)) if message.contains("Broken pipe") => ExitCode::SUCCESS,
        Err(e) => {
            if let AdminError::InvalidCsv(problems) = &e {
                for problem in problems {
                    eprintln!("{problem}");
                }
            }
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn output(e: std::io::Error) -> AdminError {
    AdminError::Io(format!("cannot write the output: {e}"))
}

fn print_json(value: &serde_json::Value) -> Result<(), AdminError> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)
        .map_err(|e| AdminError::Io(format!("cannot write the output: {e}")))?;
    writeln!(out).map_err(output)
}

fn print_line(line: impl std::fmt::Display) -> Result<(), AdminError> {
    writeln!(std::io::stdout().lock(), "{line}").map_err(output)
}

fn read_file(path: &Path) -> Result<String, AdminError> {
    let bytes = std::fs::read(path)
        .map_err(|e| AdminError::Io(format!("cannot read {}: {e}", path.display())))?;
    String::from_utf8(bytes).map_err(|_| {
        AdminError::Io(format!(
            "{} is not UTF-8 text: save it from the spreadsheet as \"CSV UTF-8\"",
            path.display()
        ))
    })
}

/// Who the audit log says made a change: the tool and the operating-system user, now.
fn actor() -> Actor {
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".to_owned());
    Actor::new(
        format!("admin tool (user {user})"),
        time::OffsetDateTime::now_utc(),
    )
}

async fn run(command: Command, table_name: String) -> Result<(), AdminError> {
    let aws = AwsClients::from_environment().await;
    let table = Table {
        client: aws.dynamodb.clone(),
        name: table_name,
    };
    let mut stdout = std::io::stdout();
    match command {
        Command::Reviewers(command) => match command {
            ReviewersCommand::Import { file } => {
                let text = read_file(&file)?;
                print_line(reviewers::import(&table, &text, &actor()).await?)
            }
            ReviewersCommand::List { json } => {
                let pool = reviewers::list(&table).await?;
                if json {
                    print_json(&serde_json::Value::Array(
                        pool.iter().map(reviewers::to_json).collect(),
                    ))
                } else {
                    reviewers::write_table(&mut stdout, &pool).map_err(output)
                }
            }
            ReviewersCommand::Show { reviewer, json } => {
                let reviewer = reviewers::find(&table, &reviewer).await?;
                if json {
                    print_json(&reviewers::to_json(&reviewer))
                } else {
                    reviewers::write_details(&mut stdout, &reviewer).map_err(output)
                }
            }
            ReviewersCommand::Deactivate { reviewer } => {
                print_line(reviewers::set_active(&table, &reviewer, false, &actor()).await?)
            }
            ReviewersCommand::Activate { reviewer } => {
                print_line(reviewers::set_active(&table, &reviewer, true, &actor()).await?)
            }
        },
        Command::Requests(command) => match command {
            RequestsCommand::List { state, json } => {
                let found = requests::list(&table, state.as_deref()).await?;
                if json {
                    print_json(&requests::list_json(&found))
                } else {
                    requests::write_list(&mut stdout, &found).map_err(output)
                }
            }
            RequestsCommand::Show { reference, json } => {
                let details = requests::show(&table, &reference).await?;
                if json {
                    print_json(&requests::details_json(&details))
                } else {
                    requests::write_details(&mut stdout, &details).map_err(output)
                }
            }
            RequestsCommand::Withdraw { reference, reason } => {
                let now = time::OffsetDateTime::now_utc();
                print_line(requests::withdraw(&table, &reference, reason.as_deref(), now).await?)
            }
            RequestsCommand::Purge { reference, bucket } => {
                let store = workflows::evidence::EvidenceStore {
                    table: table.clone(),
                    s3: aws.s3.clone(),
                    bucket,
                    credentials: None,
                };
                let now = time::OffsetDateTime::now_utc();
                let purged = requests::purge(&store, &reference, now).await?;
                requests::write_purged(&mut stdout, &reference, &purged).map_err(output)
            }
            RequestsCommand::Reassign { reference } => {
                print_line(requests::reassign(&table, &reference).await?)
            }
        },
        Command::Settings(SettingsCommand::Show { json }) => {
            let stored = settings::show(&table).await?;
            if json {
                print_json(&settings::to_json(stored.as_ref()))
            } else {
                settings::write_settings(&mut stdout, stored.as_ref()).map_err(output)
            }
        }
        Command::Settings(SettingsCommand::Set { words }) => {
            let pairs = settings::pairs(&words).map_err(AdminError::Refused)?;
            print_line(settings::set(&table, &pairs, &actor()).await?)
        }
        Command::Frameworks(FrameworksCommand::List) => {
            let current = frameworks::list(&table).await?;
            frameworks::write_list(&mut stdout, &current).map_err(output)
        }
        Command::Frameworks(FrameworksCommand::Export {
            review_type,
            version,
            out,
        }) => {
            let file = frameworks::export(&table, review_type, version).await?;
            match out {
                None => write!(stdout, "{file}").map_err(output),
                Some(path) => {
                    std::fs::write(&path, file).map_err(|e| {
                        AdminError::Io(format!("cannot write {}: {e}", path.display()))
                    })?;
                    print_line(format!("exported to {}", path.display()))
                }
            }
        }
        Command::Frameworks(FrameworksCommand::Import { file }) => {
            let text = read_file(&file)?;
            print_line(frameworks::import(&table, &text, &actor()).await?)
        }
        Command::Export { out: None } => export::export(&table, &mut stdout).await.map(|_| ()),
        Command::Export { out: Some(path) } => {
            // Built in memory first, so a failed read leaves no half-written file.
            let mut csv = Vec::new();
            let rows = export::export(&table, &mut csv).await?;
            std::fs::write(&path, csv)
                .map_err(|e| AdminError::Io(format!("cannot write {}: {e}", path.display())))?;
            print_line(format!(
                "exported {rows} request{} to {}",
                if rows == 1 { "" } else { "s" },
                path.display()
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_arguments_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn commands_parse_their_arguments() {
        let cli = Cli::try_parse_from([
            "send-review-admin",
            "requests",
            "withdraw",
            "sr-2345-67",
            "--reason",
            "asked twice",
            "--table",
            "t",
        ])
        .unwrap();
        assert_eq!(cli.table.as_deref(), Some("t"));
        let Command::Requests(RequestsCommand::Withdraw { reference, reason }) = cli.command else {
            panic!("parsed as another command");
        };
        assert_eq!(reference.as_str(), "SR-2345-67");
        assert_eq!(reason.as_deref(), Some("asked twice"));
    }

    #[test]
    fn bad_values_are_usage_errors() {
        for args in [
            vec!["send-review-admin", "requests", "show", "SR-1"],
            vec!["send-review-admin", "requests", "list", "--state", "lost"],
            vec!["send-review-admin", "reviewers", "show", "nobody"],
            vec![
                "send-review-admin",
                "requests",
                "withdraw",
                "SR-2345-67",
                "--reason",
                " ",
            ],
        ] {
            let error = Cli::try_parse_from(&args).unwrap_err();
            assert_eq!(error.exit_code(), 2, "{args:?}");
        }
    }

    #[test]
    fn the_export_help_says_what_is_left_out() {
        let mut command = Cli::command();
        let export = command.find_subcommand_mut("export").unwrap();
        let help = export.render_long_help().to_string();
        assert!(
            help.contains("leaves out the contact's name, email"),
            "{help}"
        );
    }
}

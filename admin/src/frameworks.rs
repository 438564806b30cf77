//! `frameworks list`, `frameworks export TYPE` and `frameworks import FILE`: a programme's review
//! frameworks as files (the format of `crates/frameworks/framework.schema.json`), to share between
//! programmes. An import publishes the file as the next version of its review type's framework,
//! through the same versioned publish as the console (the `frameworks` crate).

use ::frameworks::{self as framework, Framework, Published, Versioned};
use records::audit::{Actor, AuditSubject};
use records::domain::request::ReviewType;
use records::store::Table;

use crate::{AdminError, printable, stored_error, write_columns};

/// The framework new requests of each review type get, with its version (0: built in).
pub async fn list(table: &Table) -> Result<Vec<Versioned>, AdminError> {
    let mut frameworks = Vec::with_capacity(ReviewType::ALL.len());
    for review_type in ReviewType::ALL {
        frameworks.push(
            framework::current(table, *review_type)
                .await
                .map_err(|e| stored_error(table, e))?,
        );
    }
    Ok(frameworks)
}

pub fn write_list(out: &mut impl std::io::Write, frameworks: &[Versioned]) -> std::io::Result<()> {
    let mut rows = vec![vec![
        "review type".to_owned(),
        "version".to_owned(),
        "areas".to_owned(),
        "name".to_owned(),
    ]];
    for current in frameworks {
        rows.push(vec![
            current.framework.review_type.as_str().to_owned(),
            match current.version {
                0 => "0 (built in)".to_owned(),
                version => version.to_string(),
            },
            current.framework.areas.len().to_string(),
            printable(&current.framework.name),
        ]);
    }
    write_columns(out, &rows)
}

/// The file of `review_type`'s framework: version `version`, or the one new requests get.
pub async fn export(
    table: &Table,
    review_type: ReviewType,
    version: Option<u64>,
) -> Result<String, AdminError> {
    let framework = match version {
        None => framework::current(table, review_type)
            .await
            .map(|c| Some(c.framework)),
        Some(version) => framework::version(table, review_type, version).await,
    }
    .map_err(|e| stored_error(table, e))?;
    framework
        .map(|framework| framework.to_json() + "\n")
        .ok_or_else(|| {
            AdminError::NotFound(format!(
                "{} has no framework version {}",
                review_type.as_str(),
                version.unwrap_or_default()
            ))
        })
}

/// Publishes the framework in `file` as the next version of its review type's framework:
/// new requests of that type get it; reviews under way keep theirs. Nothing is stored if the
/// file has any problem (each is named by its JSON pointer).
pub async fn import(table: &Table, file: &str, actor: &Actor) -> Result<String, AdminError> {
    let framework = Framework::from_json(file).map_err(refused)?;
    let current = framework::current(table, framework.review_type)
        .await
        .map_err(|e| stored_error(table, e))?;
    let detail = format!(
        "{}: version {} from a file ({} areas)",
        framework.review_type.as_str(),
        current.version + 1,
        framework.areas.len()
    );
    let audit = actor.entry("framework published", AuditSubject::Programme, detail);
    match framework::publish(table, &framework, current.version, &audit)
        .await
        .map_err(|e| stored_error(table, e))?
    {
        Published::Published { version } => Ok(printable(&format!(
            "published {} version {version}: {} ({} areas); new requests of this type get it",
            framework.review_type.as_str(),
            framework.name,
            framework.areas.len()
        ))),
        Published::Refused(problems) => Err(refused(problems)),
        Published::Stale { current } => Err(AdminError::Refused(format!(
            "nothing was published: version {} was published meanwhile; run the command again",
            current.version
        ))),
    }
}

fn refused(problems: Vec<framework::Problem>) -> AdminError {
    let problems: Vec<String> = problems
        .into_iter()
        .map(|p| match p.pointer.as_str() {
            "" => p.message,
            pointer => format!("{pointer}: {}", p.message),
        })
        .collect();
    AdminError::Refused(printable(&format!(
        "nothing was published: {}",
        problems.join(" ")
    )))
}

//! How many files a school may still add to a request: at most the programme's number of files
//! (pending or received; rejected and deleted ones make room again), and at most its number of
//! uploads started in any hour (every file started counts, whatever became of it), so a leaked
//! status link cannot fill the bucket.

use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

/// The window of the upload rate.
pub const RATE_WINDOW: Duration = Duration::hours(1);

/// The programme's limits on one request's evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadLimits {
    pub max_files: u16,
    pub per_hour: u16,
}

/// What the school may still add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowance {
    /// Files the request may still hold.
    pub files_left: u16,
    /// Uploads that may still start in the current hour.
    pub hour_left: u16,
    /// How long until the oldest upload of the last hour leaves the window (one more may
    /// start then).
    pub more_in: Option<Duration>,
    pub limits: UploadLimits,
}

impl Allowance {
    /// How many more files may be added now.
    pub fn left(&self) -> u16 {
        self.files_left.min(self.hour_left)
    }

    /// How many more files may be added, for the school's evidence page.
    pub fn left_text(&self) -> String {
        let files = |n: u16| match n {
            1 => "1 more file".to_owned(),
            n => format!("{n} more files"),
        };
        if self.hour_left < self.files_left {
            format!(
                "You can add {} this hour, and {} to this request in all.",
                files(self.hour_left),
                files(self.files_left)
            )
        } else {
            format!("You can add {} to this request.", files(self.files_left))
        }
    }

    /// Why no file may be added now, for the school; `None` while one may.
    pub fn refusal(&self) -> Option<String> {
        if self.files_left == 0 {
            Some(format!(
                "This request already has {max} files, the most it can hold. Delete a file you no longer need to make room for another.",
                max = self.limits.max_files
            ))
        } else if self.hour_left == 0 {
            let when = match self.more_in.map(|wait| (wait.whole_seconds() + 59) / 60) {
                Some(minutes @ 2..) => format!(" in {minutes} minutes"),
                _ => " in a minute".to_owned(),
            };
            Some(format!(
                "You have started {per_hour} uploads in the last hour, the most we take in an hour. You can add another file{when}.",
                per_hour = self.limits.per_hour
            ))
        } else {
            None
        }
    }
}

/// The allowance of a request whose files are `files` (every one ever started, as `(state,
/// created_at)` with `created_at` in RFC 3339), at `now`.
pub fn allowance<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a str)>,
    limits: UploadLimits,
    now: OffsetDateTime,
) -> Allowance {
    let mut held: u16 = 0;
    let mut recent: Vec<OffsetDateTime> = Vec::new();
    for (state, created_at) in files {
        if matches!(state, "pending" | "received") {
            held = held.saturating_add(1);
        }
        // An unreadable time counts as just now: it can only make the limit stricter.
        let created = OffsetDateTime::parse(created_at, &Rfc3339).unwrap_or(now);
        if created > now - RATE_WINDOW {
            recent.push(created);
        }
    }
    recent.sort();
    let in_hour = u16::try_from(recent.len()).unwrap_or(u16::MAX);
    Allowance {
        files_left: limits.max_files.saturating_sub(held),
        hour_left: limits.per_hour.saturating_sub(in_hour),
        more_in: recent.first().map(|first| *first + RATE_WINDOW - now),
        limits,
    }
}

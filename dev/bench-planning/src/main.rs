//! `scripts/bench planning [FILE...]`: the term planner against the anchor (OR-Tools' min-cost
//! flow, `../shared/bench/ortools_anchor.py`), on the same instances in the same run.
//!
//! `bench-planning compare --python PY --anchor SCRIPT [--expected FILE] INSTANCE...` prints,
//! per instance, `NAME product assigned=N cost=C solve_s=T anchor assigned=N cost=C solve_s=T
//! ratio=R rss_mb=M`; it exits non-zero when the product's (assigned, cost) differs from the
//! anchor's or from the instance's line in `expected.txt` (instances named
//! `SCHOOLS_REVIEWERS_SEED.txt` are looked up there). Each solve runs in a child process
//! (`bench-planning solve INSTANCE`), so `rss_mb` is that one solve's peak resident memory.
//!
//! `solve_s` is the planner's whole solve from the parsed candidate list (building its arrays
//! included), as the anchor's is OR-Tools' `Solve()` after its arcs are added.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use term_planning::{Candidate, Problem, plan};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.first().map(String::as_str) {
        Some("solve") if args.len() == 2 => solve(Path::new(&args[1])),
        Some("compare") => compare(&args[1..]),
        _ => Err(
            "usage: bench-planning solve INSTANCE | bench-planning compare --python PY \
                  --anchor SCRIPT [--expected FILE] INSTANCE..."
                .into(),
        ),
    };
    match outcome {
        Ok(code) => code,
        Err(message) => {
            eprintln!("bench-planning: {message}");
            ExitCode::FAILURE
        }
    }
}

/// An instance in `matching_instance.py`'s format.
struct Instance {
    wanted: Vec<u32>,
    capacity: Vec<u32>,
    candidates: Vec<Candidate>,
}

/// Reads the instance as a stream (never the whole file at once, so the peak memory is the
/// planner's, not the file's).
fn read_instance(path: &Path) -> Result<Instance, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut numbers = Numbers {
        reader: BufReader::with_capacity(1 << 16, file),
        path,
    };
    let (schools, reviewers, pairs) = (numbers.next("S")?, numbers.next("R")?, numbers.next("E")?);
    let mut wanted = Vec::with_capacity(schools as usize);
    for _ in 0..schools {
        wanted.push(numbers.next("a demand")? as u32);
    }
    let mut capacity = Vec::with_capacity(reviewers as usize);
    for _ in 0..reviewers {
        capacity.push(numbers.next("a capacity")? as u32);
    }
    let mut candidates = Vec::with_capacity(pairs as usize);
    for _ in 0..pairs {
        let (request, reviewer) = (numbers.next("a pair")?, numbers.next("a pair")?);
        candidates.push(Candidate {
            request: request as u32,
            reviewer: reviewer as u32,
            cost: numbers.next("a cost")? as i32,
        });
    }
    Ok(Instance {
        wanted,
        capacity,
        candidates,
    })
}

/// Whitespace-separated integers.
struct Numbers<'p, R> {
    reader: R,
    path: &'p Path,
}

impl<R: BufRead> Numbers<'_, R> {
    fn next(&mut self, what: &str) -> Result<i64, String> {
        let (mut value, mut negative, mut digits) = (0_i64, false, 0);
        loop {
            let buffer = self
                .reader
                .fill_buf()
                .map_err(|e| format!("{}: {e}", self.path.display()))?;
            if buffer.is_empty() {
                break;
            }
            let mut used = 0;
            let mut ended = false;
            for &byte in buffer {
                used += 1;
                match byte {
                    b'0'..=b'9' => {
                        value = value * 10 + i64::from(byte - b'0');
                        digits += 1;
                    }
                    b'-' if digits == 0 && !negative => negative = true,
                    _ if byte.is_ascii_whitespace() => {
                        if digits > 0 || negative {
                            ended = true;
                            break;
                        }
                    }
                    _ => {
                        return Err(format!(
                            "{}: {:?} in {what}",
                            self.path.display(),
                            byte as char
                        ));
                    }
                }
            }
            self.reader.consume(used);
            if ended {
                break;
            }
        }
        match digits {
            0 => Err(format!("{}: no number for {what}", self.path.display())),
            _ if negative => Ok(-value),
            _ => Ok(value),
        }
    }
}

fn solve(path: &Path) -> Result<ExitCode, String> {
    let instance = read_instance(path)?;
    let problem = Problem {
        wanted: &instance.wanted,
        capacity: &instance.capacity,
        candidates: &instance.candidates,
        pins: &[],
        forbids: &[],
    };
    let started = Instant::now();
    let plan = plan(&problem).map_err(|e| e.to_string())?;
    let solve_s = started.elapsed().as_secs_f64();
    println!(
        "assigned={} cost={} solve_s={solve_s:.4} rss_mb={:.0}",
        plan.assigned,
        plan.cost,
        peak_rss_mb()
    );
    Ok(ExitCode::SUCCESS)
}

/// This process's peak resident set (VmHWM), in MiB.
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn compare(args: &[String]) -> Result<ExitCode, String> {
    let mut python = None;
    let mut anchor = None;
    let mut expected_file = None;
    let mut instances = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = || args.next().cloned().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--python" => python = Some(value()?),
            "--anchor" => anchor = Some(value()?),
            "--expected" => expected_file = Some(value()?),
            _ => instances.push(PathBuf::from(arg)),
        }
    }
    let python = python.ok_or("--python is required")?;
    let anchor = anchor.ok_or("--anchor is required")?;
    let expected = match &expected_file {
        Some(file) => read_expected(Path::new(file))?,
        None => HashMap::new(),
    };
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut failures = Vec::new();
    for path in &instances {
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into(),
        );
        let product = fields(&run(Command::new(&me).arg("solve").arg(path))?);
        let theirs = fields(&run(Command::new(&python).arg(&anchor).arg(path))?);
        let get = |map: &HashMap<String, String>, key: &str| -> Result<String, String> {
            map.get(key)
                .cloned()
                .ok_or(format!("{name}: no {key}= in the output"))
        };
        let (p_assigned, p_cost, p_time) = (
            get(&product, "assigned")?,
            get(&product, "cost")?,
            get(&product, "solve_s")?,
        );
        let (a_assigned, a_cost, a_time) = (
            get(&theirs, "assigned")?,
            get(&theirs, "cost")?,
            get(&theirs, "solve_s")?,
        );
        let seconds = |s: &str| s.parse::<f64>().map_err(|e| format!("{name}: {s}: {e}"));
        // The anchor prints milliseconds: below one, no ratio can be told.
        let anchor_s = seconds(&a_time)?;
        let ratio = if anchor_s > 0.0 {
            format!("{:.2}", seconds(&p_time)? / anchor_s)
        } else {
            "n/a".to_owned()
        };
        println!(
            "{name} product assigned={p_assigned} cost={p_cost} solve_s={p_time} anchor \
             assigned={a_assigned} cost={a_cost} solve_s={a_time} ratio={ratio} rss_mb={}",
            get(&product, "rss_mb")?
        );
        if (&p_assigned, &p_cost) != (&a_assigned, &a_cost) {
            failures.push(format!(
                "{name}: the product's plan differs from the anchor's"
            ));
        }
        if let Some((assigned, cost)) = expected_of(&name).and_then(|key| expected.get(&key)) {
            if (p_assigned.as_str(), p_cost.as_str()) != (assigned.as_str(), cost.as_str()) {
                failures.push(format!(
                    "{name}: expected assigned={assigned} cost={cost} (expected.txt)"
                ));
            }
        } else if expected_file.is_some() {
            eprintln!("{name}: not in expected.txt; compared with the anchor only");
        }
    }
    for failure in &failures {
        eprintln!("MISMATCH {failure}");
    }
    Ok(if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn run(command: &mut Command) -> Result<String, String> {
    let output = command.output().map_err(|e| format!("{command:?}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// `key=value` words of a line of output.
fn fields(output: &str) -> HashMap<String, String> {
    output
        .split_whitespace()
        .filter_map(|word| word.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// `expected.txt`: `schools reviewers seed assigned cost` per line, `#` comments.
fn read_expected(path: &Path) -> Result<HashMap<String, (String, String)>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut expected = HashMap::new();
    for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words[..] {
            [] => {}
            [s, r, seed, assigned, cost] => {
                expected.insert(
                    format!("{s}_{r}_{seed}"),
                    (assigned.to_owned(), cost.to_owned()),
                );
            }
            _ => return Err(format!("{}: bad line {line:?}", path.display())),
        }
    }
    Ok(expected)
}

/// `60_45_1.txt` -> `60_45_1`, the key of its line in `expected.txt`.
fn expected_of(name: &str) -> Option<String> {
    let stem = name.strip_suffix(".txt")?;
    let parts: Vec<&str> = stem.split('_').collect();
    (parts.len() == 3 && parts.iter().all(|p| p.parse::<u64>().is_ok())).then(|| stem.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_names_find_their_expected_line() {
        assert_eq!(
            expected_of("6000_4500_4.txt").as_deref(),
            Some("6000_4500_4")
        );
        assert_eq!(expected_of("mine.txt"), None);
        assert_eq!(expected_of("6000_4500.txt"), None);
        let dir = std::env::temp_dir().join(format!("bench-planning-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("expected.txt");
        std::fs::write(&file, "# comment\n60 45 1 94 42516\n\n").unwrap();
        let expected = read_expected(&file).unwrap();
        assert_eq!(
            expected.get("60_45_1"),
            Some(&("94".to_owned(), "42516".to_owned()))
        );
        std::fs::write(&file, "60 45 1 94\n").unwrap();
        assert!(read_expected(&file).unwrap_err().contains("bad line"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn numbers_are_read_across_buffer_boundaries() {
        let text = "2 1 2\n1 2\n3\n0 0 -7\n1 0 12\n";
        // A 1-byte buffer splits every number.
        let mut numbers = Numbers {
            reader: BufReader::with_capacity(1, text.as_bytes()),
            path: Path::new("test"),
        };
        let all: Vec<i64> = (0..11).map(|_| numbers.next("x").unwrap()).collect();
        assert_eq!(all, [2, 1, 2, 1, 2, 3, 0, 0, -7, 1, 0]);
        assert_eq!(numbers.next("x"), Ok(12));
        assert!(numbers.next("the end").unwrap_err().contains("no number"));
        let mut bad = Numbers {
            reader: BufReader::new("1 x".as_bytes()),
            path: Path::new("test"),
        };
        assert_eq!(bad.next("a"), Ok(1));
        assert!(bad.next("a cost").unwrap_err().contains("'x' in a cost"));
    }

    #[test]
    fn output_words_become_fields() {
        let f = fields("assigned=94 unfilled=0 cost=42516 build_s=0.001 solve_s=0.000\n");
        assert_eq!(f["assigned"], "94");
        assert_eq!(f["solve_s"], "0.000");
    }
}

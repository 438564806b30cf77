//! Settings come from environment variables, named in `infra/template.yaml`.
//!
//! In Lambda they are the process environment; in the local runner they are the function's
//! `Environment` from the same template, resolved locally. Functions read them only through
//! [`Env`], so a variable a function reads is always one the template sets.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

#[derive(Clone, Debug, Default)]
pub struct Env {
    vars: HashMap<String, String>,
    /// Every name asked for, set or not (shared by clones): the infra checks compare it with
    /// the variables the template sets for the function.
    asked: Arc<Mutex<BTreeSet<String>>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(String),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: String, reason: String },
    #[error("could not load {what}: {reason}")]
    Load { what: String, reason: String },
}

impl Env {
    pub fn from_process() -> Self {
        Self::from_map(std::env::vars().collect())
    }

    pub fn from_map(vars: HashMap<String, String>) -> Self {
        Self {
            vars,
            asked: Arc::default(),
        }
    }

    /// The names read so far, through any clone.
    pub fn asked(&self) -> BTreeSet<String> {
        self.asked.lock().expect("not poisoned").clone()
    }

    fn ask(&self, name: &str) {
        self.asked
            .lock()
            .expect("not poisoned")
            .insert(name.to_owned());
    }

    pub fn required(&self, name: &str) -> Result<String, ConfigError> {
        self.ask(name);
        match self.vars.get(name) {
            Some(value) if !value.trim().is_empty() => Ok(value.clone()),
            _ => Err(ConfigError::Missing(name.to_owned())),
        }
    }

    pub fn optional(&self, name: &str) -> Option<String> {
        self.ask(name);
        self.vars
            .get(name)
            .filter(|v| !v.trim().is_empty())
            .cloned()
    }

    /// A required variable parsed with `FromStr`, with the variable named in the error.
    pub fn parsed<T>(&self, name: &str) -> Result<T, ConfigError>
    where
        T: std::str::FromStr,
        T::Err: std::fmt::Display,
    {
        self.required(name)?
            .parse()
            .map_err(|e: T::Err| ConfigError::Invalid {
                name: name.to_owned(),
                reason: e.to_string(),
            })
    }
}

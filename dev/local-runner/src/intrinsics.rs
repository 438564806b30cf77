//! Resolves the template's intrinsic functions (`!Ref`, `!Sub`, `!GetAtt`, `!If`, `!Join` and
//! the condition functions) against the local stack's resources, so a function's environment
//! is computed from the template exactly as CloudFormation would, with local names.

use std::collections::HashMap;

use anyhow::{Context as _, anyhow, bail};
use serde_norway::{Mapping, Value};

use crate::template::scalar_string;

pub const REGION: &str = "eu-west-2";
pub const ACCOUNT_ID: &str = "000000000000";

/// What `!Ref X` and `!GetAtt X.Attr` give for each local resource or parameter.
#[derive(Debug, Clone, Default)]
pub struct LocalValues {
    pub refs: HashMap<String, String>,
    pub attributes: HashMap<(String, String), String>,
}

pub struct Resolver<'a> {
    pub values: &'a LocalValues,
    pub conditions: &'a Mapping,
}

impl Resolver<'_> {
    pub fn resolve(&self, value: &Value) -> anyhow::Result<String> {
        match value {
            Value::Tagged(tagged) => {
                let name = tagged.tag.to_string();
                self.function(name.trim_start_matches('!'), &tagged.value)
            }
            Value::Mapping(m) if m.len() == 1 => {
                let (key, argument) = m.iter().next().expect("one entry");
                let key = scalar_string(key);
                match key.as_str() {
                    "Ref" => self.function("Ref", argument),
                    other if other.starts_with("Fn::") => {
                        self.function(other.trim_start_matches("Fn::"), argument)
                    }
                    _ => bail!("cannot resolve the mapping {key:?} to a string"),
                }
            }
            Value::String(_) | Value::Number(_) | Value::Bool(_) => Ok(scalar_string(value)),
            other => bail!("cannot resolve {other:?} to a string"),
        }
    }

    fn function(&self, name: &str, argument: &Value) -> anyhow::Result<String> {
        match name {
            "Ref" => self.reference(&scalar_string(argument)),
            "GetAtt" => {
                let (resource, attribute) = match argument {
                    Value::String(s) => s
                        .split_once('.')
                        .map(|(r, a)| (r.to_owned(), a.to_owned()))
                        .ok_or_else(|| anyhow!("!GetAtt {s} needs Resource.Attribute"))?,
                    Value::Sequence(parts) if parts.len() == 2 => {
                        (scalar_string(&parts[0]), scalar_string(&parts[1]))
                    }
                    other => bail!("unsupported !GetAtt argument {other:?}"),
                };
                self.attribute(&resource, &attribute)
            }
            "Sub" => self.substitute(argument),
            "If" => {
                let parts = argument
                    .as_sequence()
                    .filter(|p| p.len() == 3)
                    .ok_or_else(|| anyhow!("!If takes [condition, then, else]"))?;
                if self.condition(&scalar_string(&parts[0]))? {
                    self.resolve(&parts[1])
                } else {
                    self.resolve(&parts[2])
                }
            }
            "Join" => {
                let parts = argument
                    .as_sequence()
                    .filter(|p| p.len() == 2)
                    .ok_or_else(|| anyhow!("!Join takes [delimiter, list]"))?;
                let items = parts[1]
                    .as_sequence()
                    .ok_or_else(|| anyhow!("!Join's second argument must be a list"))?
                    .iter()
                    .map(|item| self.resolve(item))
                    .collect::<anyhow::Result<Vec<_>>>()?;
                Ok(items.join(&scalar_string(&parts[0])))
            }
            other => bail!("the local runner does not resolve !{other}"),
        }
    }

    fn reference(&self, name: &str) -> anyhow::Result<String> {
        match name {
            "AWS::Region" => Ok(REGION.into()),
            "AWS::AccountId" => Ok(ACCOUNT_ID.into()),
            "AWS::URLSuffix" => Ok("amazonaws.com".into()),
            "AWS::Partition" => Ok("aws".into()),
            "AWS::StackName" => Ok("send-review-local".into()),
            _ => self
                .values
                .refs
                .get(name)
                .cloned()
                .ok_or_else(|| anyhow!("!Ref {name}: no such parameter or local resource")),
        }
    }

    fn attribute(&self, resource: &str, attribute: &str) -> anyhow::Result<String> {
        self.values
            .attributes
            .get(&(resource.to_owned(), attribute.to_owned()))
            .cloned()
            .ok_or_else(|| anyhow!("!GetAtt {resource}.{attribute} has no local value"))
    }

    fn substitute(&self, argument: &Value) -> anyhow::Result<String> {
        let (text, variables) = match argument {
            Value::String(s) => (s.clone(), Mapping::new()),
            Value::Sequence(parts) if parts.len() == 2 => (
                scalar_string(&parts[0]),
                parts[1].as_mapping().cloned().unwrap_or_default(),
            ),
            other => bail!("unsupported !Sub argument {other:?}"),
        };
        let mut out = String::new();
        let mut rest = text.as_str();
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| anyhow!("unclosed ${{ in !Sub"))?;
            let name = &after[..end];
            let value = match variables.get(name) {
                Some(v) => self.resolve(v)?,
                None => match name.split_once('.') {
                    Some((resource, attr)) if !name.starts_with("AWS::") => {
                        self.attribute(resource, attr)?
                    }
                    _ => self.reference(name)?,
                },
            };
            out.push_str(&value);
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    pub fn condition(&self, name: &str) -> anyhow::Result<bool> {
        let definition = self
            .conditions
            .get(name)
            .ok_or_else(|| anyhow!("no condition {name}"))?;
        self.evaluate(definition)
            .with_context(|| format!("condition {name}"))
    }

    fn evaluate(&self, value: &Value) -> anyhow::Result<bool> {
        let (name, argument) = match value {
            Value::Tagged(t) => (
                t.tag.to_string().trim_start_matches('!').to_owned(),
                &t.value,
            ),
            Value::Mapping(m) if m.len() == 1 => {
                let (k, v) = m.iter().next().expect("one entry");
                (scalar_string(k).trim_start_matches("Fn::").to_owned(), v)
            }
            other => bail!("unsupported condition {other:?}"),
        };
        let items = || argument.as_sequence().cloned().unwrap_or_default();
        match name.as_str() {
            "Equals" => {
                let items = items();
                if items.len() != 2 {
                    bail!("!Equals takes two values");
                }
                Ok(self.resolve(&items[0])? == self.resolve(&items[1])?)
            }
            "Not" => Ok(!self.evaluate(items().first().ok_or_else(|| anyhow!("!Not takes one"))?)?),
            "And" => items()
                .iter()
                .try_fold(true, |acc, c| Ok(acc && self.evaluate(c)?)),
            "Or" => items()
                .iter()
                .try_fold(false, |acc, c| Ok(acc || self.evaluate(c)?)),
            "Condition" => self.condition(&scalar_string(argument)),
            other => bail!("unsupported condition function {other}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(yaml: &str, values: &LocalValues, conditions: &Mapping) -> anyhow::Result<String> {
        let value: Value = serde_norway::from_str(yaml).unwrap();
        Resolver { values, conditions }.resolve(&value)
    }

    #[test]
    fn resolves_refs_subs_getatts_and_conditions() {
        let mut values = LocalValues::default();
        values.refs.insert("Table".into(), "local-table".into());
        values.refs.insert("Domain".into(), "".into());
        values
            .attributes
            .insert(("Table".into(), "Arn".into()), "arn:table".into());
        let conditions: Mapping =
            serde_norway::from_str("HasDomain: !Not [!Equals [!Ref Domain, \"\"]]").unwrap();
        assert_eq!(
            resolve("!Ref Table", &values, &conditions).unwrap(),
            "local-table"
        );
        assert_eq!(
            resolve("!GetAtt Table.Arn", &values, &conditions).unwrap(),
            "arn:table"
        );
        assert_eq!(
            resolve(
                "!Sub \"${Table.Arn}/index/${Table}-${AWS::Region}\"",
                &values,
                &conditions
            )
            .unwrap(),
            "arn:table/index/local-table-eu-west-2"
        );
        assert_eq!(
            resolve("!If [HasDomain, yes, no]", &values, &conditions).unwrap(),
            "no"
        );
        assert!(resolve("!Ref Missing", &values, &conditions).is_err());
        assert!(resolve("!FindInMap [a, b, c]", &values, &conditions).is_err());
    }
}

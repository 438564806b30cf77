//! What describes a school (and what a reviewer knows about schools): phase, type, areas of
//! need, region, local authority, URN, and reviewers' specialisms.
//!
//! Each closed list is an enum with a stable snake_case storage value (`as_str`, what we store
//! and what serde writes) and a human label (`label`, also its `Display`). Parsing accepts
//! either, ignoring case and surrounding space, so a spreadsheet may use whichever it has.

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

/// A value that is none of a closed list's members.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a known {kind}; expected one of: {}", allowed.join(", "))]
pub struct UnknownValue {
    pub kind: &'static str,
    pub value: String,
    pub allowed: &'static [&'static str],
}

/// Declares a closed list: the enum, `ALL`, `as_str`, `label`, `Display`, `FromStr`, serde.
macro_rules! closed_list {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($kind:literal) {
            $( $variant:ident = $value:literal, $label:literal; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $variant, )+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$( $name::$variant, )+];
            const VALUES: &'static [&'static str] = &[$( $value, )+];

            /// The stable storage value.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $value, )+
                }
            }

            /// The text people read.
            pub const fn label(self) -> &'static str {
                match self {
                    $( $name::$variant => $label, )+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.label())
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                let text = text.trim();
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| {
                        v.as_str().eq_ignore_ascii_case(text) || v.label().eq_ignore_ascii_case(text)
                    })
                    .ok_or_else(|| UnknownValue {
                        kind: $kind,
                        value: text.to_owned(),
                        allowed: $name::VALUES,
                    })
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

closed_list! {
    /// The ages a school teaches.
    pub enum Phase ("phase") {
        Nursery = "nursery", "Nursery";
        Primary = "primary", "Primary";
        Middle = "middle", "Middle";
        Secondary = "secondary", "Secondary";
        AllThrough = "all_through", "All-through";
        Post16 = "post_16", "Post-16";
    }
}

closed_list! {
    /// The kind of setting, which decides e.g. the self-evaluation template.
    pub enum SchoolType ("school type") {
        Mainstream = "mainstream", "Mainstream";
        Special = "special", "Special";
        AlternativeProvision = "alternative_provision", "Alternative provision";
        ResourcedProvision = "resourced_provision", "Resourced provision or SEN unit";
    }
}

closed_list! {
    /// The four broad areas of need of the SEND Code of Practice.
    pub enum AreaOfNeed ("area of need") {
        CommunicationAndInteraction = "communication_and_interaction", "Communication and interaction";
        CognitionAndLearning = "cognition_and_learning", "Cognition and learning";
        SocialEmotionalMentalHealth = "social_emotional_mental_health", "Social, emotional and mental health";
        SensoryPhysical = "sensory_physical", "Sensory and/or physical";
    }
}

closed_list! {
    /// The nine regions of England.
    pub enum Region ("region") {
        NorthEast = "north_east", "North East";
        NorthWest = "north_west", "North West";
        YorkshireHumber = "yorkshire_humber", "Yorkshire and the Humber";
        EastMidlands = "east_midlands", "East Midlands";
        WestMidlands = "west_midlands", "West Midlands";
        EastOfEngland = "east_of_england", "East of England";
        London = "london", "London";
        SouthEast = "south_east", "South East";
        SouthWest = "south_west", "South West";
    }
}

closed_list! {
    /// What a reviewer knows especially well; matched against a school's needs and review type.
    pub enum Specialism ("specialism") {
        Autism = "autism", "Autism";
        Semh = "semh", "Social, emotional and mental health (SEMH)";
        SpeechLanguageCommunication = "speech_language_communication", "Speech, language and communication";
        SpecificLearningDifficulties = "specific_learning_difficulties", "Specific learning difficulties (such as dyslexia)";
        Sensory = "sensory", "Sensory impairment (hearing, vision, multi-sensory)";
        Physical = "physical", "Physical disability";
        PreparingForAdulthood = "preparing_for_adulthood", "Preparing for adulthood";
        TaDeployment = "ta_deployment", "Deployment of teaching assistants";
        AlternativeProvision = "alternative_provision", "Alternative provision";
        EarlyYears = "early_years", "Early years";
    }
}

/// A school's Unique Reference Number: exactly 6 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Urn(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} must be 6 digits")]
pub struct UrnError(pub String);

checked_text!(Urn);

impl FromStr for Urn {
    type Err = UrnError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text.len() == 6 && text.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Urn(text.to_owned()))
        } else {
            Err(UrnError(text.to_owned()))
        }
    }
}

impl serde::Serialize for Urn {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Urn {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A local authority in England, from the bundled list (`records/data/local_authorities.csv`).
/// Get one with [`LocalAuthority::by_code`]; the list is the only source of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LocalAuthority {
    /// The DfE's 3-digit LA code, e.g. 202 for Camden.
    pub code: u16,
    pub name: &'static str,
    pub region: Region,
}

static LOCAL_AUTHORITIES: LazyLock<Vec<LocalAuthority>> = LazyLock::new(|| {
    parse_local_authorities(include_str!("../../data/local_authorities.csv"))
        .expect("the bundled local_authorities.csv is valid (its tests say so)")
});

#[derive(serde::Deserialize)]
struct LocalAuthorityRecord {
    code: u16,
    name: String,
    region: String,
}

fn parse_local_authorities(text: &str) -> Result<Vec<LocalAuthority>, String> {
    let mut all = Vec::new();
    for record in csv::Reader::from_reader(text.as_bytes()).deserialize() {
        let record: LocalAuthorityRecord = record.map_err(|e| e.to_string())?;
        all.push(LocalAuthority {
            code: record.code,
            // Loaded once into a static that lives as long as the process: leaking is the
            // same lifetime, and gives callers plain `&'static str` names.
            name: record.name.leak(),
            region: record
                .region
                .parse()
                .map_err(|e: UnknownValue| e.to_string())?,
        });
    }
    all.sort_by_key(|la| la.code);
    Ok(all)
}

impl LocalAuthority {
    /// Every local authority in England, in code order.
    pub fn all() -> &'static [LocalAuthority] {
        &LOCAL_AUTHORITIES
    }

    pub fn by_code(code: u16) -> Option<&'static LocalAuthority> {
        let all = Self::all();
        all.binary_search_by_key(&code, |la| la.code)
            .ok()
            .map(|i| &all[i])
    }
}

impl fmt::Display for LocalAuthority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_closed_list_round_trips_through_its_storage_value_and_label() {
        fn check<T>(all: &[T], as_str: fn(T) -> &'static str, label: fn(T) -> &'static str)
        where
            T: Copy + PartialEq + fmt::Debug + FromStr,
            T::Err: fmt::Debug,
        {
            let mut seen = HashSet::new();
            for &value in all {
                let stored = as_str(value);
                assert!(seen.insert(stored), "{stored} is used twice");
                assert!(
                    stored
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                );
                assert_eq!(stored.parse::<T>().unwrap(), value);
                assert_eq!(label(value).to_uppercase().parse::<T>().unwrap(), value);
            }
        }
        check(Phase::ALL, Phase::as_str, Phase::label);
        check(SchoolType::ALL, SchoolType::as_str, SchoolType::label);
        check(AreaOfNeed::ALL, AreaOfNeed::as_str, AreaOfNeed::label);
        check(Region::ALL, Region::as_str, Region::label);
        check(Specialism::ALL, Specialism::as_str, Specialism::label);
        assert_eq!(Phase::ALL.len(), 6);
        assert_eq!(SchoolType::ALL.len(), 4);
        assert_eq!(AreaOfNeed::ALL.len(), 4);
        assert_eq!(Region::ALL.len(), 9);
        assert_eq!(Specialism::ALL.len(), 10);
    }

    #[test]
    fn unknown_values_say_what_was_expected() {
        let error = "reception".parse::<Phase>().unwrap_err();
        assert_eq!(
            error.to_string(),
            r#""reception" is not a known phase; expected one of: nursery, primary, middle, secondary, all_through, post_16"#
        );
    }

    #[test]
    fn closed_lists_serialise_as_their_storage_value() {
        let json = serde_json::to_string(&[Region::YorkshireHumber, Region::London]).unwrap();
        assert_eq!(json, r#"["yorkshire_humber","london"]"#);
        let back: Vec<Region> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, [Region::YorkshireHumber, Region::London]);
        assert!(serde_json::from_str::<Region>(r#""mars""#).is_err());
    }

    #[test]
    fn urns_are_exactly_six_digits() {
        assert_eq!(" 100001 ".parse::<Urn>().unwrap().as_str(), "100001");
        for bad in ["12345", "1234567", "12345a", "", "１２３４５６"] {
            assert!(bad.parse::<Urn>().is_err(), "{bad:?} parsed");
        }
        assert_eq!(
            "12345".parse::<Urn>().unwrap_err().to_string(),
            r#""12345" must be 6 digits"#
        );
    }

    #[test]
    fn the_bundled_local_authorities_are_all_there() {
        let all = LocalAuthority::all();
        assert_eq!(all.len(), 153);
        let codes: HashSet<u16> = all.iter().map(|la| la.code).collect();
        assert_eq!(codes.len(), 153, "codes are unique");
        assert_eq!(
            all.iter().filter(|la| la.region == Region::London).count(),
            33
        );
        for region in Region::ALL {
            assert!(
                all.iter().any(|la| la.region == *region),
                "{region} has no LA"
            );
        }
    }

    #[test]
    fn local_authorities_are_found_by_code() {
        let camden = LocalAuthority::by_code(202).unwrap();
        assert_eq!((camden.name, camden.region), ("Camden", Region::London));
        let hull = LocalAuthority::by_code(810).unwrap();
        assert_eq!(hull.name, "Kingston upon Hull, City of");
        assert_eq!(hull.region, Region::YorkshireHumber);
        assert_eq!(LocalAuthority::by_code(999), None);
    }
}

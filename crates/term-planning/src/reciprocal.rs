//! Reciprocal arrangements (to come).

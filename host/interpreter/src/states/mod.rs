//! The per-state work, split by query language (data flow) and by state
//! type (the action in the middle).

pub(crate) mod batch;
pub(crate) mod choice;
pub(crate) mod fail;
pub(crate) mod jsonata;
pub(crate) mod jsonpath;
pub(crate) mod map;
pub(crate) mod parallel;
pub(crate) mod task;
pub(crate) mod wait;

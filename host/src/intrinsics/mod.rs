//! TEMPORARY stub (replaced by the `paths` branch).
#![allow(dead_code)]
use std::borrow::Cow;

use serde_json::Value;

use crate::jsonpath::{JsonPath, PathError};

pub trait PathResolver {
    fn resolve<'a>(&'a self, path: &JsonPath) -> Result<Cow<'a, Value>, PathError>;
}

#[derive(Debug, Clone)]
pub struct IntrinsicCall;

#[derive(Debug, Clone, thiserror::Error)]
#[error("intrinsic syntax")]
pub struct IntrinsicSyntaxError;

#[derive(Debug, Clone, thiserror::Error)]
#[error("intrinsic failed")]
pub struct IntrinsicError;

impl IntrinsicCall {
    pub fn parse(_src: &str) -> Result<IntrinsicCall, IntrinsicSyntaxError> {
        Err(IntrinsicSyntaxError)
    }
    pub fn evaluate(&self, _r: &dyn PathResolver) -> Result<Value, IntrinsicError> {
        Err(IntrinsicError)
    }
}

//! The errors the Step Functions API returns, with AWS's codes and texts.

use stepyard_store::StoreError;

/// An API error: AWS's error code (the `__type` of a JSON 1.0 error) and
/// its message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ServiceError {
    /// AWS's error code, such as `ValidationException` or `ExecutionDoesNotExist`.
    pub code: &'static str,
    /// The human-readable `message` of the error document.
    pub message: String,
}

impl ServiceError {
    /// An error with AWS's `code`, which also sets its HTTP [`status`](Self::status).
    pub fn new(code: &'static str, message: impl Into<String>) -> ServiceError {
        ServiceError {
            code,
            message: message.into(),
        }
    }

    /// The HTTP status AWS answers this error with.
    pub fn status(&self) -> u16 {
        match self.code {
            "InternalFailure" | "ServiceUnavailable" => 500,
            "ThrottlingException" => 429,
            _ => 400,
        }
    }

    /// A `ValidationException`: the request breaks a constraint of its shape.
    pub fn validation(message: impl Into<String>) -> ServiceError {
        ServiceError::new("ValidationException", message)
    }

    pub(crate) fn invalid_arn(arn: &str, reason: &str) -> ServiceError {
        ServiceError::new("InvalidArn", format!("Invalid Arn: '{reason}: {arn}'"))
    }

    pub(crate) fn machine_missing(arn: &str) -> ServiceError {
        ServiceError::new(
            "StateMachineDoesNotExist",
            format!("State Machine Does Not Exist: '{arn}'"),
        )
    }

    pub(crate) fn execution_missing(arn: &str) -> ServiceError {
        ServiceError::new("ExecutionDoesNotExist", format!("Execution Does Not Exist: '{arn}'"))
    }

    pub(crate) fn invalid_token(token: &str) -> ServiceError {
        ServiceError::new("InvalidToken", format!("Invalid Token: '{token}'"))
    }

    pub(crate) fn resource_missing(arn: &str) -> ServiceError {
        ServiceError::new("ResourceNotFound", format!("Resource not found: '{arn}'"))
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> ServiceError {
        // Storage trouble is the service's fault, never the caller's.
        ServiceError::new("InternalFailure", format!("The request could not be stored: {e}"))
    }
}

/// A result of an API operation.
pub(crate) type ServiceResult<T> = Result<T, ServiceError>;

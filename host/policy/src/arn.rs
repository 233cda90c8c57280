//! The local pseudo-account and region, and the ARNs policies name local
//! resources by: the same ARNs the resources would have in an AWS account,
//! so a policy written for AWS reads the same here.

/// The local pseudo-account that ARNs are built in.
pub const ACCOUNT: &str = "123456789012";
/// The local region that ARNs are built in.
pub const REGION: &str = "us-east-1";

/// The table's ARN, as a DynamoDB policy names it.
pub fn table_arn(table: &str) -> String {
    format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}")
}

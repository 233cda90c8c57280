//! Workflow variables (`Assign`) and their scopes.
//!
//! The top-level states share one scope. Each Parallel branch and inline Map
//! iteration gets a scope of its own that can read the enclosing ones; a
//! Distributed Map iteration cannot. Assignments made inside a branch stay
//! in the branch.

use serde_json::{Map, Value};

/// One level of variables.
#[derive(Debug, Default)]
pub(crate) struct Scope<'p> {
    parent: Option<&'p Scope<'p>>,
    vars: Map<String, Value>,
}

impl<'p> Scope<'p> {
    /// A scope that reads through to `parent`.
    pub(crate) fn child(parent: Option<&'p Scope<'p>>) -> Scope<'p> {
        Scope {
            parent,
            vars: Map::new(),
        }
    }

    /// The innermost value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&Value> {
        let mut scope = Some(self);
        while let Some(s) = scope {
            if let Some(v) = s.vars.get(name) {
                return Some(v);
            }
            scope = s.parent;
        }
        None
    }

    /// The variables assigned at this level (not the enclosing ones).
    pub(crate) fn own_variables(&self) -> &Map<String, Value> {
        &self.vars
    }

    /// Applies a state's assignments (all evaluated before any takes effect).
    pub(crate) fn assign(&mut self, values: Map<String, Value>) {
        for (k, v) in values {
            self.vars.insert(k, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn inner_scopes_read_outer_values_and_keep_their_own() {
        let mut outer = Scope::child(None);
        outer.assign(Map::from_iter([("x".to_owned(), json!(1))]));
        let mut inner = Scope::child(Some(&outer));
        assert_eq!(inner.get("x"), Some(&json!(1)));
        inner.assign(Map::from_iter([("x".to_owned(), json!(2)), ("y".to_owned(), json!(3))]));
        assert_eq!(inner.get("x"), Some(&json!(2)));
        assert_eq!(outer.get("x"), Some(&json!(1)));
        assert_eq!(outer.get("y"), None);
    }
}

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
    /// Where this branch or iteration sits in the execution, stable across
    /// reruns (`4[1]`: branch 1 of the state entered at event 4;
    /// `4[1]/Inner#0[7]`: item 7 of the first visit of `Inner` in it).
    /// `None` at the top level, where event ids are stable themselves.
    lineage: Option<String>,
    /// How often each state of this graph was entered (only kept with a
    /// lineage).
    visits: Vec<u32>,
}

impl<'p> Scope<'p> {
    /// A branch's or iteration's scope, at `lineage`, for a graph of
    /// `states` states.
    pub(crate) fn branch(parent: Option<&'p Scope<'p>>, lineage: Option<String>, states: usize) -> Scope<'p> {
        let visits = if lineage.is_some() { vec![0; states] } else { Vec::new() };
        Scope {
            parent,
            vars: Map::new(),
            lineage,
            visits,
        }
    }

    /// Counts an entry into state `index`; returns how many came before.
    pub(crate) fn visit(&mut self, index: usize) -> u32 {
        match self.visits.get_mut(index) {
            Some(n) => {
                *n += 1;
                *n - 1
            }
            None => 0,
        }
    }

    pub(crate) fn lineage(&self) -> Option<&str> {
        self.lineage.as_deref()
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
        let mut outer = Scope::branch(None, None, 0);
        outer.assign(Map::from_iter([("x".to_owned(), json!(1))]));
        let mut inner = Scope::branch(Some(&outer), None, 0);
        assert_eq!(inner.get("x"), Some(&json!(1)));
        inner.assign(Map::from_iter([("x".to_owned(), json!(2)), ("y".to_owned(), json!(3))]));
        assert_eq!(inner.get("x"), Some(&json!(2)));
        assert_eq!(outer.get("x"), Some(&json!(1)));
        assert_eq!(outer.get("y"), None);
    }
}

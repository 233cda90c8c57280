//! Checks that need a whole graph: reachability and a way to end.

use super::diagnostics::codes;
use super::model::{Graph, StateKind, Transition};
use super::parse::Parser;

/// Reports unreachable states and graphs with no terminal state.
pub(crate) fn check_graph(parser: &mut Parser, graph: &Graph, location: &str) {
    let n = graph.states.len();
    let mut reached = vec![false; n];
    let mut stack = vec![graph.start_at];
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut reached[i], true) {
            continue;
        }
        let state = &graph.states[i];
        if let Transition::Next(next) = state.transition {
            stack.push(next);
        }
        if let StateKind::Choice(choice) = &state.kind {
            stack.extend(choice.choices.iter().map(|c| c.next));
            stack.extend(choice.default);
        }
        stack.extend(state.catch.iter().map(|c| c.next));
    }
    for (state, _) in graph.states.iter().zip(&reached).filter(|(_, r)| !**r) {
        parser.error(
            codes::MISSING_TRANSITION_TARGET,
            format!("State \"{}\" is not reachable.", state.name),
            &format!("{location}/States/{}", state.name),
        );
    }
    let terminal = graph
        .states
        .iter()
        .any(|s| s.transition == Transition::End || matches!(s.kind, StateKind::Succeed | StateKind::Fail(_)));
    if !terminal {
        parser.error(codes::MISSING_END_STATE, "Workflow has no terminal state", location);
    }
}

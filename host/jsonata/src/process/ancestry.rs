//! Parent (`%`) resolution: which steps must record their ancestors in the tuple stream, and
//! the final labels those bindings use (jsonata-js's `seekParent`/`resolveAncestry`).

use std::sync::Arc;

use super::Processor;
use crate::ast::{Kind, Node, Stage};
use crate::error::{Err, Result};

impl Processor {
    pub(super) fn push_ancestry(result: &mut Node, value: &Node) {
        let mut slots = value.seeking_parent.clone();
        if let Kind::Parent { slot, .. } = value.kind {
            slots.push(slot);
        }
        result.seeking_parent.extend(slots);
    }

    pub(super) fn seek_parent(&mut self, node: &mut Node, slot: usize) -> Result<usize> {
        match &mut node.kind {
            Kind::Name(_) | Kind::Wildcard => {
                self.slots[slot].level -= 1;
                if self.slots[slot].level == 0 {
                    if let Some(existing) = node.ancestor {
                        self.slots[slot].label = self.slots[existing].label.clone();
                    }
                    node.ancestor = Some(slot);
                    node.tuple = true;
                }
            }
            Kind::Parent { .. } => self.slots[slot].level += 1,
            Kind::Block(exprs) => {
                if let Some(last) = exprs.last_mut() {
                    node.tuple = true;
                    return self.seek_parent(last, slot);
                }
            }
            Kind::Path { steps, .. } => {
                node.tuple = true;
                let mut index = steps.len() as isize - 1;
                let mut s = self.seek_parent(&mut steps[index as usize], slot)?;
                index -= 1;
                while self.slots[s].level > 0 && index >= 0 {
                    s = self.seek_parent(&mut steps[index as usize], s)?;
                    index -= 1;
                }
                return Ok(s);
            }
            _ => {
                let tok = format!("{:?}", std::mem::discriminant(&node.kind));
                let _ = tok;
                return Err(Err::new("S0217").pos(node.pos).token(kind_name(&node.kind)).build());
            }
        }
        Ok(slot)
    }

    pub(super) fn resolve_ancestry(&mut self, path: &mut Node) -> Result<()> {
        let steps = Self::steps_mut(path);
        let Some(last) = steps.last() else {
            return Ok(());
        };
        let mut slots = last.seeking_parent.clone();
        if let Kind::Parent { slot, .. } = last.kind {
            slots.push(slot);
        }
        let mut extra = Vec::new();
        for mut slot in slots {
            let steps = Self::steps_mut(path);
            let mut index = steps.len() as isize - 2;
            while self.slots[slot].level > 0 {
                if index < 0 {
                    extra.push(slot);
                    break;
                }
                let mut i = index as usize;
                index -= 1;
                while index >= 0 && steps[i].focus.is_some() && steps[index as usize].focus.is_some() {
                    i = index as usize;
                    index -= 1;
                }
                slot = self.seek_parent(&mut steps[i], slot)?;
            }
        }
        path.seeking_parent.extend(extra);
        Ok(())
    }

    pub(super) fn fix_labels(&self, n: &mut Node) {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.fix_labels_inner(n))
    }

    fn fix_labels_inner(&self, n: &mut Node) {
        if let Some(a) = n.ancestor {
            n.ancestor_label = Some(self.slots[a].label.clone());
        }
        for s in &mut n.stages {
            if let Stage::Filter(f) = s {
                self.fix_labels(f);
            }
        }
        for p in &mut n.predicate {
            self.fix_labels(p);
        }
        if let Some(g) = &mut n.group {
            for (k, v) in &mut g.pairs {
                self.fix_labels(k);
                self.fix_labels(v);
            }
        }
        match &mut n.kind {
            Kind::Parent { slot, label } => *label = self.slots[*slot].label.clone(),
            Kind::Path { steps, .. } | Kind::Array(steps) | Kind::Block(steps) => {
                steps.iter_mut().for_each(|s| self.fix_labels(s))
            }
            Kind::Binary { lhs, rhs, .. } | Kind::Apply { lhs, rhs } => {
                self.fix_labels(lhs);
                self.fix_labels(rhs);
            }
            Kind::Neg(e) | Kind::Bind { rhs: e, .. } => self.fix_labels(e),
            Kind::Object(pairs) => {
                for (k, v) in pairs {
                    self.fix_labels(k);
                    self.fix_labels(v);
                }
            }
            Kind::Condition { cond, then, els } => {
                self.fix_labels(cond);
                self.fix_labels(then);
                if let Some(e) = els {
                    self.fix_labels(e);
                }
            }
            Kind::Function { proc, args } => {
                self.fix_labels(proc);
                args.iter_mut().for_each(|a| self.fix_labels(a));
            }
            Kind::Partial { proc, args } => {
                self.fix_labels(proc);
                args.iter_mut().flatten().for_each(|a| self.fix_labels(a));
            }
            Kind::Lambda(def) => {
                if let Some(d) = Arc::get_mut(def) {
                    self.fix_labels(&mut d.body);
                }
            }
            Kind::Transform {
                pattern,
                update,
                delete,
            } => {
                self.fix_labels(pattern);
                self.fix_labels(update);
                if let Some(d) = delete {
                    self.fix_labels(d);
                }
            }
            Kind::Sort { terms } => terms.iter_mut().for_each(|t| self.fix_labels(&mut t.expr)),
            _ => {}
        }
    }
}

fn kind_name(k: &Kind) -> &'static str {
    match k {
        Kind::Path { .. } => "path",
        Kind::Binary { .. } => "binary",
        Kind::Neg(_) | Kind::Array(_) | Kind::Object(_) => "unary",
        Kind::Str(_) => "string",
        Kind::Num(_) => "number",
        Kind::Bool(_) | Kind::Null => "value",
        Kind::Function { .. } => "function",
        Kind::Partial { .. } => "partial",
        Kind::Lambda(_) => "lambda",
        Kind::Condition { .. } => "condition",
        Kind::Transform { .. } => "transform",
        Kind::Bind { .. } => "bind",
        Kind::Apply { .. } => "apply",
        Kind::Regex(_) => "regex",
        Kind::Var(_) => "variable",
        Kind::Descendant => "descendant",
        _ => "expression",
    }
}

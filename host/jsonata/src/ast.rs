//! The processed syntax tree that the evaluator walks (jsonata-js's post-`processAST` shape:
//! location paths flattened into steps, predicates attached as stages, parent slots resolved).

use std::sync::Arc;

use crate::signature::Signature;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Concat,
    And,
    Or,
    In,
    Range,
}

impl BinOp {
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
            BinOp::Eq => "=",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Concat => "&",
            BinOp::And => "and",
            BinOp::Or => "or",
            BinOp::In => "in",
            BinOp::Range => "..",
        }
    }
}

/// A compiled regex literal: the JS source plus its Rust translation.
#[derive(Debug)]
pub(crate) struct RegexLit {
    pub source: String,
    pub regex: regex::Regex,
}

#[derive(Debug)]
pub(crate) struct LambdaDef {
    pub params: Vec<String>,
    pub signature: Option<Signature>,
    pub body: Node,
    /// A tail-call thunk wrapping a function call (jsonata-js's `thunk: true` lambdas).
    pub thunk: bool,
}

#[derive(Debug, Clone)]
pub(crate) enum Stage {
    Filter(Node),
    Index(String),
}

#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub pairs: Vec<(Node, Node)>,
    pub pos: usize,
}

#[derive(Debug, Clone)]
pub(crate) struct SortTerm {
    pub descending: bool,
    pub expr: Node,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Path {
        steps: Vec<Node>,
        keep_singleton: bool,
    },
    Binary {
        op: BinOp,
        lhs: Box<Node>,
        rhs: Box<Node>,
    },
    Neg(Box<Node>),
    Array(Vec<Node>),
    Object(Vec<(Node, Node)>),
    Name(String),
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    Wildcard,
    Descendant,
    /// `%`, with the label of the tuple binding holding the ancestor.
    Parent {
        slot: usize,
        label: String,
    },
    Var(String),
    Regex(Arc<RegexLit>),
    Condition {
        cond: Box<Node>,
        then: Box<Node>,
        els: Option<Box<Node>>,
    },
    Block(Vec<Node>),
    Bind {
        name: String,
        rhs: Box<Node>,
    },
    Function {
        proc: Box<Node>,
        args: Vec<Node>,
    },
    /// Partial application; `None` marks a `?` placeholder.
    Partial {
        proc: Box<Node>,
        args: Vec<Option<Node>>,
    },
    Lambda(Arc<LambdaDef>),
    Apply {
        lhs: Box<Node>,
        rhs: Box<Node>,
    },
    Transform {
        pattern: Box<Node>,
        update: Box<Node>,
        delete: Option<Box<Node>>,
    },
    Sort {
        terms: Vec<SortTerm>,
    },
    /// The `?` placeholder before it is folded into a `Partial`.
    Placeholder,
}

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub kind: Kind,
    pub pos: usize,
    pub keep_array: bool,
    pub cons_array: bool,
    pub tuple: bool,
    pub focus: Option<String>,
    pub index: Option<String>,
    /// Slot of a parent reference that this step must record (`expr.ancestor`).
    pub ancestor: Option<usize>,
    pub ancestor_label: Option<String>,
    /// Filters and index bindings on a path step.
    pub stages: Vec<Stage>,
    /// Filters on a non-step expression.
    pub predicate: Vec<Node>,
    pub group: Option<Box<Group>>,
    pub seeking_parent: Vec<usize>,
}

impl Node {
    pub(crate) fn new(kind: Kind, pos: usize) -> Node {
        Node {
            kind,
            pos,
            keep_array: false,
            cons_array: false,
            tuple: false,
            focus: None,
            index: None,
            ancestor: None,
            ancestor_label: None,
            stages: Vec::new(),
            predicate: Vec::new(),
            group: None,
            seeking_parent: Vec::new(),
        }
    }

    pub(crate) fn is_path(&self) -> bool {
        matches!(self.kind, Kind::Path { .. })
    }

    pub(crate) fn is_array_cons(&self) -> bool {
        matches!(self.kind, Kind::Array(_))
    }
}

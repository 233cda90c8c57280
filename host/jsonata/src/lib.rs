//! JSONata engine (in progress).

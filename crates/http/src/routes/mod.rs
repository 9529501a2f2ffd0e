//! Route handlers, one module per resource.

pub mod ops;

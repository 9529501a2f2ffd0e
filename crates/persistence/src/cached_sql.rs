//! Hand-written SQL that is prepared once per connection.
//!
//! Diesel never caches the prepared statement of a `sql_query`, because its text could be
//! built at run time (an unbounded number of statements). PostgreSQL then parses and plans it
//! on every call: for the leaderboards' three-table joins the planning costs more than the
//! execution. [`Cached`] marks a `sql_query` whose text is a constant, so the connection's
//! statement cache keys it by its SQL text and bind types and reuses it.

use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};

/// A `sql_query(..)` (with its binds) of a constant SQL text, cached like a DSL query when
/// `keep` is set. Only for `&'static str` texts: each distinct text stays prepared on every
/// pooled connection for the connection's life, and PostgreSQL may then run it with a generic
/// plan (made without the parameter values): keep only statements whose generic plan is good.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cached<Q> {
    query: Q,
    keep: bool,
}

impl<Q> Cached<Q> {
    pub(crate) fn new(query: Q, keep: bool) -> Self {
        Self { query, keep }
    }
}

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Cached<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.query.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, backend: &Pg) -> QueryResult<bool> {
        if self.keep {
            Ok(true)
        } else {
            self.query.is_safe_to_cache_prepared(backend)
        }
    }
}

impl<Q> QueryId for Cached<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Cached<Q> {
    type SqlType = Q::SqlType;
}

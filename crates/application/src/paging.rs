//! Pagination of list endpoints: `page` from 1, `limit` 1-100.

use thiserror::Error;

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    page: u32,
    limit: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PageError {
    #[error("must be a whole number of at least 1")]
    Page,
    #[error("must be a whole number from 1 to 100")]
    Limit,
}

impl Page {
    pub const DEFAULT_LIMIT: u32 = 20;
    pub const MAX_LIMIT: u32 = 100;
    /// Page 1 with the default limit.
    pub const FIRST: Page = Page {
        page: 1,
        limit: Self::DEFAULT_LIMIT,
    };

    pub fn new(page: u32, limit: u32) -> Result<Self, PageError> {
        if page == 0 {
            return Err(PageError::Page);
        }
        if !(1..=Self::MAX_LIMIT).contains(&limit) {
            return Err(PageError::Limit);
        }
        Ok(Self { page, limit })
    }

    pub fn number(self) -> u32 {
        self.page
    }

    pub fn limit(self) -> u32 {
        self.limit
    }

    /// Rows to skip.
    pub fn offset(self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.limit)
    }
}

/// One page of results and the total across all pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: Page,
}

impl<T> Paged<T> {
    pub fn has_more(&self) -> bool {
        self.page.offset() + (self.items.len() as i64) < self.total
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Paged<U> {
        Paged {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            page: self.page,
        }
    }
}

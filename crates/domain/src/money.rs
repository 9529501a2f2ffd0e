//! Money: a whole, never negative number of coins.

use crate::client::ClientMessage;
use std::fmt;

/// An amount of coins. Invariant: never negative.
///
/// Arithmetic is checked: a sum that would overflow or a difference that would go below zero
/// gives `None` instead of a wrong amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Money(i64);

/// Balance of a new account.
pub const STARTING_MONEY: Money = Money(10_000);

/// Price of buying one horse.
pub const HORSE_PRICE: Money = Money(1_000);

/// A negative number offered as an amount of money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("amount {coins} is negative: expected a whole number of coins, 0 or more")]
pub struct NegativeMoney {
    /// The amount that was given.
    pub coins: i64,
}

impl Money {
    /// No coins.
    pub const ZERO: Money = Money(0);

    /// Accepts any amount of 0 coins or more.
    pub const fn new(coins: i64) -> Result<Money, NegativeMoney> {
        if coins >= 0 {
            Ok(Money(coins))
        } else {
            Err(NegativeMoney { coins })
        }
    }

    /// The number of coins (never negative).
    pub const fn coins(self) -> i64 {
        self.0
    }

    /// `self + other`, or `None` on overflow.
    pub const fn checked_add(self, other: Money) -> Option<Money> {
        match self.0.checked_add(other.0) {
            Some(sum) => Some(Money(sum)),
            None => None,
        }
    }

    /// `self - other`, or `None` when `other` is larger (money never goes negative).
    pub const fn checked_sub(self, other: Money) -> Option<Money> {
        if other.0 > self.0 {
            None
        } else {
            Some(Money(self.0 - other.0))
        }
    }

    /// Checked sum of several amounts: `None` on overflow.
    pub fn checked_sum(amounts: impl IntoIterator<Item = Money>) -> Option<Money> {
        amounts
            .into_iter()
            .try_fold(Money::ZERO, |total, m| total.checked_add(m))
    }

    /// The amount as a negative ledger amount (a debit of this many coins).
    pub const fn as_debit(self) -> i64 {
        -self.0
    }

    /// The amount as a positive ledger amount (a credit of this many coins).
    pub const fn as_credit(self) -> i64 {
        self.0
    }

    /// `floor(self * percent / 100)`, computed without overflow. `percent` above 100 is allowed
    /// but the result saturates at `i64::MAX`.
    pub fn percent_floor(self, percent: u32) -> Money {
        let share = i128::from(self.0) * i128::from(percent) / 100;
        Money(i64::try_from(share).unwrap_or(i64::MAX))
    }
}

impl TryFrom<i64> for Money {
    type Error = NegativeMoney;

    fn try_from(coins: i64) -> Result<Self, Self::Error> {
        Money::new(coins)
    }
}

impl From<Money> for i64 {
    fn from(money: Money) -> i64 {
        money.0
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} coins", self.0)
    }
}

impl ClientMessage for NegativeMoney {
    fn client_message(&self) -> String {
        "must be a whole number of coins, 0 or more".to_owned()
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_money_constants_are_those_of_the_rules() {
        assert_eq!(STARTING_MONEY.coins(), 10_000);
        assert_eq!(HORSE_PRICE.coins(), 1_000);
    }

    #[test]
    fn negative_amounts_are_refused() {
        assert_eq!(Money::new(-1), Err(NegativeMoney { coins: -1 }));
        assert_eq!(Money::new(0), Ok(Money::ZERO));
    }

    #[test]
    fn spending_more_than_the_balance_is_refused() {
        let balance = Money::new(999).unwrap();
        assert_eq!(balance.checked_sub(HORSE_PRICE), None);
        assert_eq!(
            STARTING_MONEY.checked_sub(HORSE_PRICE),
            Some(Money::new(9_000).unwrap())
        );
    }

    #[test]
    fn adding_past_the_largest_amount_is_refused() {
        let max = Money::new(i64::MAX).unwrap();
        assert_eq!(max.checked_add(Money::new(1).unwrap()), None);
    }

    proptest! {
        #[test]
        fn subtraction_never_goes_below_zero(a in 0i64..=i64::MAX, b in 0i64..=i64::MAX) {
            let (a, b) = (Money::new(a).unwrap(), Money::new(b).unwrap());
            match a.checked_sub(b) {
                Some(diff) => prop_assert_eq!(diff.coins(), a.coins() - b.coins()),
                None => prop_assert!(b > a),
            }
        }

        #[test]
        fn percent_shares_round_down(coins in 0i64..=i64::MAX, percent in 0u32..=100) {
            let share = Money::new(coins).unwrap().percent_floor(percent);
            let exact = i128::from(coins) * i128::from(percent);
            prop_assert!(i128::from(share.coins()) * 100 <= exact);
            prop_assert!(exact < (i128::from(share.coins()) + 1) * 100);
        }
    }
}

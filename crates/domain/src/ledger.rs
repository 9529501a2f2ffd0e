//! Why money and XP move: the reason written beside every ledger and XP history row.
//!
//! The stored text ([`LedgerReason::as_str`], [`XpReason::as_str`]) is what the histories
//! show players, so it never changes for an existing reason.

/// Why a balance moved, in the player's ledger or in the house ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LedgerReason {
    /// The starting money of a new account (from the house).
    RegistrationGrant,
    /// The price of a bought horse (to the house).
    HorsePurchase,
    /// The fee of a show entry (to the house).
    ShowEntryFee,
    /// A prize won in a show (paid from the show's prize pool).
    ShowPrize,
    /// A show's whole prize pool leaving the house when the show runs (house ledger only).
    ShowPrizePool,
    /// The unpaid rest of a show's prize pool coming back to the house (house ledger only).
    ShowPoolRefund,
}

impl LedgerReason {
    /// Every reason.
    pub const ALL: [LedgerReason; 6] = [
        LedgerReason::RegistrationGrant,
        LedgerReason::HorsePurchase,
        LedgerReason::ShowEntryFee,
        LedgerReason::ShowPrize,
        LedgerReason::ShowPrizePool,
        LedgerReason::ShowPoolRefund,
    ];

    /// The stored text (snake_case).
    pub const fn as_str(self) -> &'static str {
        match self {
            LedgerReason::RegistrationGrant => "registration_grant",
            LedgerReason::HorsePurchase => "horse_purchase",
            LedgerReason::ShowEntryFee => "show_entry_fee",
            LedgerReason::ShowPrize => "show_prize",
            LedgerReason::ShowPrizePool => "show_prize_pool",
            LedgerReason::ShowPoolRefund => "show_pool_refund",
        }
    }

    /// Whether a player's balance change for this reason is mirrored in the house ledger (the
    /// opposite amount, under the same reason): the grant, purchases and fees are money from or
    /// to the house itself. A prize is not mirrored: the house records the show's whole pool
    /// and its refund instead. The house-only reasons are never a player's change.
    pub const fn mirror_to_house(self) -> bool {
        match self {
            LedgerReason::RegistrationGrant
            | LedgerReason::HorsePurchase
            | LedgerReason::ShowEntryFee => true,
            LedgerReason::ShowPrize
            | LedgerReason::ShowPrizePool
            | LedgerReason::ShowPoolRefund => false,
        }
    }
}

/// Why XP was awarded, to a player or to a horse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum XpReason {
    /// A training session (the owner's XP).
    Training,
    /// A placement in a show (the owner's and the horse's XP).
    ShowPlacement,
}

impl XpReason {
    /// The stored text (snake_case).
    pub const fn as_str(self) -> &'static str {
        match self {
            XpReason::Training => "training",
            XpReason::ShowPlacement => "show_placement",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_texts_are_the_ones_the_histories_already_hold() {
        let texts: Vec<&str> = LedgerReason::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(
            texts,
            [
                "registration_grant",
                "horse_purchase",
                "show_entry_fee",
                "show_prize",
                "show_prize_pool",
                "show_pool_refund",
            ]
        );
        assert_eq!(XpReason::Training.as_str(), "training");
        assert_eq!(XpReason::ShowPlacement.as_str(), "show_placement");
    }

    #[test]
    fn grants_purchases_and_fees_are_mirrored_in_the_house_ledger_but_prizes_are_not() {
        let house: Vec<LedgerReason> = LedgerReason::ALL
            .into_iter()
            .filter(|r| r.mirror_to_house())
            .collect();
        assert_eq!(
            house,
            [
                LedgerReason::RegistrationGrant,
                LedgerReason::HorsePurchase,
                LedgerReason::ShowEntryFee,
            ]
        );
    }
}

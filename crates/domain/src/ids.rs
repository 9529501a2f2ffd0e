//! Identifier newtypes, so a horse id can never be passed where a user id
//! is expected. Ids are assigned by the database; any positive value is
//! well formed (existence is a storage question).

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(i64);

        impl $name {
            /// Wraps a database id.
            pub const fn new(value: i64) -> Self {
                Self(value)
            }

            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A player account.
    UserId
);
id_type!(
    /// A horse.
    HorseId
);
id_type!(
    /// A show (competition).
    ShowId
);
id_type!(
    /// A breed.
    BreedId
);

//! The one place that pairs each domain [`Stat`] with the columns storing it: its column in
//! `horses` and its mean column in `breeds`.
//!
//! Diesel needs a static type per column, so the pairing is one table (the invocation of
//! `stat_columns!` below) from which everything else is generated: [`with_stat_column!`] (the
//! `horses` column of a stat known only at run time), the reads of the twelve values
//! ([`StoredStats`], embedded in the row structs) and the values of an insert
//! ([`horse_stat_values`]). The names themselves come from the domain's [`Stat::as_str`]; the
//! tests below check that every column is named after its stat.

use std::fmt;
use std::marker::PhantomData;

use diesel::deserialize::{self, Queryable};
use diesel::pg::Pg;
use diesel::prelude::*;
use equoria_domain::stats::{STAT_COUNT, StatValueError};
use equoria_domain::{Stat, StatValue, Stats};

use crate::schema::{breeds, horses};

/// The twelve stat values of one row as stored (`SMALLINT`), each with its stat, from the
/// `horses` stats or the `breeds` means (`T` is the table). Embed it in a row struct with
/// `#[diesel(embed)]`; [`StoredStats::to_stats`] checks the values.
pub(crate) struct StoredStats<T> {
    values: [(Stat, i16); STAT_COUNT],
    table: PhantomData<T>,
}

impl<T> StoredStats<T> {
    fn new(values: [(Stat, i16); STAT_COUNT]) -> Self {
        Self {
            values,
            table: PhantomData,
        }
    }

    /// The values as domain stats; the first one outside `0..=100` is refused.
    pub(crate) fn to_stats(&self) -> Result<Stats, StatValueError> {
        self.values
            .iter()
            .try_fold(Stats::default(), |stats, &(stat, raw)| {
                Ok(stats.with(stat, StatValue::try_from(raw)?))
            })
    }
}

impl<T> fmt::Debug for StoredStats<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.values.iter().map(|(stat, raw)| (stat.as_str(), raw)))
            .finish()
    }
}

/// Stands for `i16` once per stat in the generated tuple types.
macro_rules! stored_value {
    ($column:ident) => {
        i16
    };
}

/// Generates the stat column items from the table: `$d` is a `$` (so that the generated
/// [`with_stat_column!`] can have metavariables of its own), then one
/// `Stat variant => horses column, breeds mean column;` line per stat, in rule order.
macro_rules! define_stat_columns {
    ($d:tt $($stat:ident => $column:ident, $mean:ident;)+) => {
        /// Runs `$body` with `$col` bound to the `horses` column of `$stat` (a [`Stat`] known
        /// only at run time): the one mapping from a stat to its column's static type.
        macro_rules! with_stat_column {
            ($d stat:expr, $d col:ident => $d body:expr) => {
                match $d stat {
                    $(::equoria_domain::Stat::$stat => {
                        let $d col = $crate::schema::horses::$column;
                        $d body
                    })+
                }
            };
        }
        pub(crate) use with_stat_column;

        /// The stat columns of `horses`, in rule order.
        type HorseStatColumns = ($(horses::$column,)+);

        /// The stat mean columns of `breeds`, in rule order.
        type BreedMeanColumns = ($(breeds::$mean,)+);

        /// The values of an insert setting every stat column of `horses`.
        pub(crate) type HorseStatValues = ($(diesel::dsl::Eq<horses::$column, i16>,)+);

        /// Sets every stat column of a new `horses` row: a part of the insert's values.
        pub(crate) fn horse_stat_values(stats: &Stats) -> HorseStatValues {
            ($(horses::$column.eq(i16::from(stats.get(Stat::$stat).get())),)+)
        }

        impl<T> Queryable<diesel::dsl::SqlTypeOf<HorseStatColumns>, Pg> for StoredStats<T> {
            type Row = ($(stored_value!($column),)+);

            fn build(($($column,)+): Self::Row) -> deserialize::Result<Self> {
                Ok(Self::new([$((Stat::$stat, $column)),+]))
            }
        }

        impl Selectable<Pg> for StoredStats<horses::table> {
            type SelectExpression = HorseStatColumns;

            fn construct_selection() -> Self::SelectExpression {
                ($(horses::$column,)+)
            }
        }

        impl Selectable<Pg> for StoredStats<breeds::table> {
            type SelectExpression = BreedMeanColumns;

            fn construct_selection() -> Self::SelectExpression {
                ($(breeds::$mean,)+)
            }
        }
    };
}

define_stat_columns! { $
    Speed => speed, speed_mean;
    Stamina => stamina, stamina_mean;
    Agility => agility, agility_mean;
    Balance => balance, balance_mean;
    Precision => precision, precision_mean;
    Intelligence => intelligence, intelligence_mean;
    Boldness => boldness, boldness_mean;
    Flexibility => flexibility, flexibility_mean;
    Obedience => obedience, obedience_mean;
    Focus => focus, focus_mean;
    Strength => strength, strength_mean;
    Endurance => endurance, endurance_mean;
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]

    use diesel::Column;
    use diesel::debug_query;

    use super::*;

    fn column_name<C: Column>(_: C) -> &'static str {
        C::NAME
    }

    /// `"table"."prefix<name>suffix", ...` for every stat in rule order.
    fn quoted_columns(table: &str, suffix: &str) -> String {
        Stat::ALL
            .map(|stat| format!("\"{table}\".\"{}{suffix}\"", stat.as_str()))
            .join(", ")
    }

    #[test]
    fn every_stat_maps_to_the_horses_column_of_its_name() {
        for stat in Stat::ALL {
            assert_eq!(with_stat_column!(stat, c => column_name(c)), stat.as_str());
        }
    }

    #[test]
    fn the_reads_select_the_columns_named_after_the_stats_in_rule_order() {
        let horses_sql =
            debug_query::<Pg, _>(&horses::table.select(StoredStats::<horses::table>::as_select()))
                .to_string();
        assert!(
            horses_sql.contains(&quoted_columns("horses", "")),
            "{horses_sql}"
        );
        let breeds_sql =
            debug_query::<Pg, _>(&breeds::table.select(StoredStats::<breeds::table>::as_select()))
                .to_string();
        assert!(
            breeds_sql.contains(&quoted_columns("breeds", "_mean")),
            "{breeds_sql}"
        );
    }

    #[test]
    fn the_insert_writes_each_stat_to_its_own_column() {
        let raw: [u8; STAT_COUNT] = std::array::from_fn(|i| 10 + i as u8);
        let stats = Stats::from_array(raw).unwrap();
        let sql = debug_query::<Pg, _>(
            &diesel::insert_into(horses::table).values(horse_stat_values(&stats)),
        )
        .to_string();
        let columns = Stat::ALL
            .map(|stat| format!("\"{}\"", stat.as_str()))
            .join(", ");
        assert!(sql.contains(&format!("({columns})")), "{sql}");
        let binds = raw.map(|v| v.to_string()).join(", ");
        assert!(sql.contains(&format!("binds: [{binds}]")), "{sql}");
    }

    #[test]
    fn stored_values_become_stats_and_out_of_range_values_are_refused() {
        let values = Stat::ALL.map(|stat| (stat, 100 - stat.index() as i16));
        let stats = StoredStats::<horses::table>::new(values)
            .to_stats()
            .unwrap();
        for (stat, value) in stats.iter() {
            assert_eq!(i16::from(value.get()), 100 - stat.index() as i16);
        }
        let mut bad = values;
        bad[Stat::Focus.index()].1 = 101;
        let err = StoredStats::<breeds::table>::new(bad)
            .to_stats()
            .unwrap_err();
        assert_eq!(err, StatValueError { value: 101 });
    }
}

#![expect(clippy::unwrap_used)]

use super::*;
use crate::stats::{Stat, StatValue};
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;

fn stats_with(values: &[(Stat, u8)]) -> Stats {
    values.iter().fold(
        Stats::uniform(StatValue::new(10).unwrap()),
        |stats, &(stat, v)| stats.with(stat, StatValue::new(v).unwrap()),
    )
}

fn entrant(entry_sequence: u64, stats: Stats) -> Entrant {
    Entrant {
        entry_sequence,
        stats,
        discipline_score: DisciplineScore::ZERO,
        age: 6,
    }
}

fn money(coins: i64) -> Money {
    Money::new(coins).unwrap()
}

#[test]
fn the_base_score_weights_the_primary_stats_half_three_tenths_and_a_fifth() {
    // Barrel Racing: speed, agility, stamina.
    let stats = stats_with(&[(Stat::Speed, 50), (Stat::Agility, 40), (Stat::Stamina, 30)]);
    let base = base_score(&stats, Discipline::BarrelRacing);
    assert_eq!(base.tenths(), 430);
    assert_eq!(base.to_string(), "43.0");
}

#[test]
fn the_score_multiplies_base_training_age_and_luck_and_rounds_to_cents() {
    // 43.0 * (1 + 0.5 * 50/100) * 0.95 * 1.0 = 51.0625 -> 51.06
    let base = BaseScore(430);
    let score = score_entry(base, DisciplineScore::new(50).unwrap(), 5, Luck::NEUTRAL);
    assert_eq!(score.hundredths(), 5106);
    assert_eq!(score.to_string(), "51.06");
    // 43.0 * 1.5 * 1.0 * 1.09 = 70.305 -> 70.31 (to within float rounding of the half)
    let lucky = score_entry(base, DisciplineScore::MAX, 7, Luck::new(LUCK_MAX).unwrap());
    assert!((7030..=7031).contains(&lucky.hundredths()));
    // 43.0 * 1.0 * 0.80 * 0.91 = 31.304 -> 31.30
    let unlucky = score_entry(
        base,
        DisciplineScore::ZERO,
        15,
        Luck::new(LUCK_MIN).unwrap(),
    );
    assert_eq!(unlucky.hundredths(), 3130);
}

#[test]
fn the_age_factor_follows_the_table() {
    let table: Vec<u32> = (3..=13).map(age_factor_percent).collect();
    assert_eq!(table, [85, 90, 95, 100, 100, 100, 95, 90, 85, 80, 80]);
    assert_eq!(age_factor_percent(21), 80);
}

#[test]
fn luck_outside_0_91_to_1_09_is_refused() {
    assert!(Luck::new(0.90).is_err());
    assert!(Luck::new(1.10).is_err());
    assert!(Luck::new(f64::NAN).is_err());
    let mut rng = StdRng::seed_from_u64(5);
    for _ in 0..1_000 {
        let luck = Luck::draw(&mut rng).get();
        assert!((LUCK_MIN..=LUCK_MAX).contains(&luck));
    }
}

#[test]
fn ties_break_by_base_score_then_by_earlier_entry() {
    let key = |score, base, entry_sequence| RankKey {
        score: Score(score),
        base: BaseScore(base),
        entry_sequence,
    };
    let mut keys = vec![
        key(5000, 400, 1),
        key(5000, 410, 9),
        key(6000, 100, 7),
        key(5000, 400, 0),
    ];
    rank(&mut keys);
    let order: Vec<u64> = keys.iter().map(|k| k.entry_sequence).collect();
    assert_eq!(order, [7, 9, 0, 1]);
}

#[test]
fn the_podium_gets_50_30_20_percent_rounded_down_and_the_rest_is_refunded() {
    let entrants: Vec<Entrant> = (0..5)
        .map(|i| entrant(i, Stats::uniform(StatValue::new(50).unwrap())))
        .collect();
    let outcome = run_show(
        Discipline::Racing,
        &entrants,
        money(1_001),
        &mut StdRng::seed_from_u64(1),
    );
    let prizes: Vec<i64> = outcome.results.iter().map(|r| r.prize.coins()).collect();
    assert_eq!(prizes, [500, 300, 200, 0, 0]);
    assert_eq!(outcome.refund.coins(), 1);
}

#[test]
fn with_one_entrant_half_the_pool_is_refunded() {
    let entrants = [entrant(1, Stats::default())];
    let outcome = run_show(
        Discipline::Polo,
        &entrants,
        money(1_000),
        &mut StdRng::seed_from_u64(1),
    );
    assert_eq!(outcome.results[0].prize.coins(), 500);
    assert_eq!(outcome.refund.coins(), 500);
}

#[test]
fn with_no_entrants_the_whole_pool_is_refunded() {
    let outcome = run_show(
        Discipline::Polo,
        &[],
        money(777),
        &mut StdRng::seed_from_u64(1),
    );
    assert!(outcome.results.is_empty());
    assert_eq!(outcome.refund.coins(), 777);
    assert_eq!(outcome.winner(), None);
}

#[test]
fn xp_goes_30_27_25_then_20_to_horses_and_20_15_10_then_0_to_owners() {
    let entrants: Vec<Entrant> = (0..5).map(|i| entrant(i, Stats::default())).collect();
    let outcome = run_show(
        Discipline::Racing,
        &entrants,
        Money::ZERO,
        &mut StdRng::seed_from_u64(1),
    );
    let horse: Vec<u32> = outcome.results.iter().map(|r| r.horse_xp).collect();
    let owner: Vec<u32> = outcome.results.iter().map(|r| r.owner_xp).collect();
    assert_eq!(horse, [30, 27, 25, 20, 20]);
    assert_eq!(owner, [20, 15, 10, 0, 0]);
}

#[test]
fn a_much_stronger_horse_always_wins() {
    // Luck moves a score by at most 1.09/0.91 ~ 1.2x, so a base 5x larger always wins.
    let strong = Stats::uniform(StatValue::new(100).unwrap());
    let weak = Stats::uniform(StatValue::new(20).unwrap());
    for seed in 0..200 {
        let outcome = run_show(
            Discipline::Dressage,
            &[entrant(1, weak), entrant(2, strong)],
            Money::ZERO,
            &mut StdRng::seed_from_u64(seed),
        );
        assert_eq!(outcome.results[0].entry_sequence, 2);
    }
}

#[test]
fn a_seeded_rng_repeats_the_run_whatever_the_input_order() {
    let entrants: Vec<Entrant> = (0..12)
        .map(|i| {
            let v = StatValue::new(u8::try_from(30 + i * 5).unwrap()).unwrap();
            entrant(i, Stats::uniform(v))
        })
        .collect();
    let mut reversed = entrants.clone();
    reversed.reverse();
    let run = |list: &[Entrant]| {
        run_show(
            Discipline::Eventing,
            list,
            money(10_000),
            &mut StdRng::seed_from_u64(99),
        )
    };
    assert_eq!(run(&entrants), run(&entrants));
    assert_eq!(run(&entrants), run(&reversed));
}

#[test]
fn the_winner_gains_a_primary_stat_about_one_time_in_ten() {
    // n = 20_000, p = 0.10: mean 2_000, sd ~ 42.4; a 6-sigma band cannot flake.
    let n = 20_000_u32;
    let p = PLACEMENT_STAT_GAIN_CHANCE[0];
    let band = 6.0 * (f64::from(n) * p * (1.0 - p)).sqrt();
    let discipline = Discipline::Hunter;
    let entrants = [entrant(1, Stats::uniform(StatValue::new(60).unwrap()))];
    let mut rng = StdRng::seed_from_u64(7);
    let mut gains = 0_u32;
    for _ in 0..n {
        let outcome = run_show(discipline, &entrants, Money::ZERO, &mut rng);
        if let Some(gain) = outcome.results[0].stat_gain {
            assert!(discipline.primary_stats().contains(&gain.stat));
            assert_eq!((gain.amount, gain.new_value.get()), (1, 61));
            gains += 1;
        }
    }
    let mean = f64::from(n) * p;
    assert!((f64::from(gains) - mean).abs() <= band, "{gains} gains");
}

fn entrants_strategy() -> impl Strategy<Value = Vec<Entrant>> {
    proptest::collection::vec(
        (proptest::array::uniform12(0u8..=100), 0u8..=100, 0u32..30),
        0..25,
    )
    .prop_map(|rows| {
        rows.into_iter()
            .zip(0u64..)
            .map(|((stats, ds, age), seq)| Entrant {
                entry_sequence: seq * 3 + 1,
                stats: Stats::from_array(stats).unwrap(),
                discipline_score: DisciplineScore::new(ds).unwrap(),
                age,
            })
            .collect()
    })
}

proptest! {
    #[test]
    fn prizes_paid_plus_refund_equal_the_pool_exactly(
        entrants in entrants_strategy(),
        pool in 0i64..=i64::MAX,
        discipline_index in 0usize..23,
        seed in any::<u64>(),
    ) {
        let pool = money(pool);
        let outcome = run_show(
            Discipline::ALL[discipline_index],
            &entrants,
            pool,
            &mut StdRng::seed_from_u64(seed),
        );
        let paid = outcome.total_paid();
        prop_assert_eq!(paid.checked_add(outcome.refund), Some(pool));
        for r in &outcome.results {
            let expected = match r.placement {
                1 => pool.percent_floor(50),
                2 => pool.percent_floor(30),
                3 => pool.percent_floor(20),
                _ => Money::ZERO,
            };
            prop_assert_eq!(r.prize, expected);
        }
    }

    #[test]
    fn placements_are_1_to_n_without_gaps_and_follow_the_ranking_order(
        entrants in entrants_strategy(),
        discipline_index in 0usize..23,
        seed in any::<u64>(),
    ) {
        let discipline = Discipline::ALL[discipline_index];
        let mut rng = StdRng::seed_from_u64(seed);
        let outcome = run_show(discipline, &entrants, Money::ZERO, &mut rng);
        prop_assert_eq!(outcome.results.len(), entrants.len());
        for (i, r) in outcome.results.iter().enumerate() {
            prop_assert_eq!(r.placement as usize, i + 1);
        }
        let mut sequences: Vec<u64> =
            outcome.results.iter().map(|r| r.entry_sequence).collect();
        sequences.sort_unstable();
        let mut expected: Vec<u64> = entrants.iter().map(|e| e.entry_sequence).collect();
        expected.sort_unstable();
        prop_assert_eq!(sequences, expected);
        for pair in outcome.results.windows(2) {
            let key = |r: &EntryResult| RankKey {
                score: r.score,
                base: r.base,
                entry_sequence: r.entry_sequence,
            };
            prop_assert_eq!(key(&pair[0]).cmp_rank(&key(&pair[1])), Ordering::Less);
        }
    }

    #[test]
    fn stat_gains_only_reach_the_podium_and_stay_within_100(
        entrants in entrants_strategy(),
        discipline_index in 0usize..23,
        seed in any::<u64>(),
    ) {
        let discipline = Discipline::ALL[discipline_index];
        let mut rng = StdRng::seed_from_u64(seed);
        let outcome = run_show(discipline, &entrants, Money::ZERO, &mut rng);
        for r in &outcome.results {
            if let Some(gain) = r.stat_gain {
                prop_assert!(r.placement <= 3);
                prop_assert!(discipline.primary_stats().contains(&gain.stat));
                let owner = entrants.iter().find(|e| e.entry_sequence == r.entry_sequence);
                let before = owner.unwrap().stats.get(gain.stat);
                prop_assert_eq!(gain.amount, 1);
                prop_assert_eq!(gain.new_value.get(), before.get() + 1);
                prop_assert!(gain.new_value.get() <= 100);
            }
        }
    }

    #[test]
    fn scores_stay_between_zero_and_the_best_possible(
        stats in proptest::array::uniform12(0u8..=100),
        ds in 0u8..=100,
        age in 0u32..40,
        luck in LUCK_MIN..=LUCK_MAX,
    ) {
        let base = base_score(&Stats::from_array(stats).unwrap(), Discipline::Racing);
        let ds_value = DisciplineScore::new(ds).unwrap();
        let score = score_entry(base, ds_value, age, Luck::new(luck).unwrap());
        let expected = base.as_f64() * (1.0 + 0.5 * f64::from(ds) / 100.0)
            * f64::from(age_factor_percent(age)) / 100.0 * luck;
        prop_assert!((score.as_f64() - expected).abs() <= 0.005 + 1e-9);
        prop_assert!(score.hundredths() <= 16_350);
    }
}

//! The rules of teams, pure: who may do what to whom, what a team may see of its members, and
//! the orderings of the team dashboard's table and leaderboards.
//!
//! What a team sees is made of member-hours: one member's activity in one clock hour of one of
//! their days (each member in their own time zone). Two rules, cell by cell:
//!
//! ```text
//! an hour counts toward team numbers    <=> at least 3 members counted in it
//! members who keep their figures private count in an hour only with at least 3 of them in it
//! ```
//!
//! Every team number (totals, averages, week rhythm) is a sum over the hours that count, and the
//! same for chords (a chord counts when at least 3 members used it in the range). So each number a
//! private member is part of holds at least two other private members, whose share of it appears
//! in no other number: no sum, difference or other combination of the team's numbers, the
//! sharing members' own figures included, isolates a private member's activity. Hours with only
//! one or two members count 0, which hides who worked late alone; the team's totals are therefore
//! the activity of hours people shared, not all activity.
//!
//! Leaderboards resist forged uploads: a member-hour counts at most what a person can do in its
//! active minutes ([`HUMAN_MAX_PRESSES_PER_MINUTE`], [`HUMAN_MAX_CLICKS_PER_MINUTE`], typing no
//! faster than [`HUMAN_MAX_WPM`]), for the team's numbers and the sharing members' figures alike.

use std::collections::{BTreeMap, HashMap};

use keytrack_wire::{
    ChordCount, ErgonomicsDay, HUMAN_MAX_CLICKS_PER_MINUTE, HUMAN_MAX_PRESSES_PER_MINUTE, HUMAN_MAX_WPM,
    MIN_CONTRIBUTORS, MemberFigures, PairTotals, TeamErgonomics, TeamRole, TeamTotals, words_per_minute,
};

use super::ergonomics::Ergonomics;
use super::rollup::HourCells;

/// May `actor` remove a member whose role is `target`? Owners remove anyone, admins plain members.
pub fn may_remove(actor: TeamRole, target: TeamRole) -> bool {
    match actor {
        TeamRole::Owner => true,
        TeamRole::Admin => target == TeamRole::Member,
        TeamRole::Member => false,
    }
}

/// May `actor` change a member's role from `target` to `new`? Owners change any role (handing
/// over ownership included); admins move others between member and admin only.
pub fn may_set_role(actor: TeamRole, target: TeamRole, new: TeamRole) -> bool {
    match actor {
        TeamRole::Owner => true,
        TeamRole::Admin => target != TeamRole::Owner && new != TeamRole::Owner,
        TeamRole::Member => false,
    }
}

/// Where an invite stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InviteStatus {
    Active,
    Expired,
    UsedUp,
    Revoked,
}

impl InviteStatus {
    /// The status of an invite at `now` (Unix seconds): revoked wins over expired, expired over
    /// used up.
    pub fn of(revoked: bool, expires_at: i64, max_uses: Option<i64>, uses: i64, now: i64) -> InviteStatus {
        if revoked {
            InviteStatus::Revoked
        } else if expires_at <= now {
            InviteStatus::Expired
        } else if max_uses.is_some_and(|max| uses >= max) {
            InviteStatus::UsedUp
        } else {
            InviteStatus::Active
        }
    }

    /// How the invite list says it.
    pub fn label(self) -> &'static str {
        match self {
            InviteStatus::Active => "active",
            InviteStatus::Expired => "expired",
            InviteStatus::UsedUp => "used up",
            InviteStatus::Revoked => "revoked",
        }
    }
}

/// One of a member's days, as team statistics read it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MemberDay {
    /// `YYYY-MM-DD`, the member's own day.
    pub day: String,
    /// 0 = Monday.
    pub weekday: usize,
    pub hours: HourCells,
}

/// A member's activity over a range.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MemberActivity {
    pub user_id: i64,
    pub name: String,
    pub shares_figures: bool,
    pub days: Vec<MemberDay>,
    /// Chord presses over the range.
    pub chords: BTreeMap<String, i64>,
}

/// What the team may see of its members over a range.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamFigures {
    /// `None` when no hour and no chord counts.
    pub totals: Option<TeamTotals>,
    /// Members counted in the totals.
    pub contributors: u32,
    /// The sharing members' own figures, most keys first.
    pub member_figures: Vec<MemberFigures>,
}

/// How many chords the team's top list holds.
const TOP_CHORDS: usize = 10;

/// Typing time per typed key, at least, at [`HUMAN_MAX_WPM`] (5 keys a word).
const HUMAN_MIN_MS_PER_TYPED_KEY: i64 = 60_000 / (HUMAN_MAX_WPM as i64 * 5);

/// A member-hour as team views count it: at most what a person can do in its active minutes.
#[derive(Debug, Clone, Copy, Default)]
struct HourFigures {
    keys: i64,
    clicks: i64,
    seconds: i64,
    typed: i64,
    typing_ms: i64,
}

impl HourFigures {
    /// The figures of an hour the member was active in (`None` otherwise).
    fn of(hours: &HourCells, hour: usize) -> Option<HourFigures> {
        let at = |v: &Vec<i64>| v.get(hour).copied().unwrap_or(0).max(0);
        let minutes = at(&hours.minutes);
        if minutes == 0 {
            return None;
        }
        let keys = at(&hours.keys).min(minutes * i64::from(HUMAN_MAX_PRESSES_PER_MINUTE));
        let typed = at(&hours.typed).min(keys);
        Some(HourFigures {
            keys,
            clicks: at(&hours.clicks).min(minutes * i64::from(HUMAN_MAX_CLICKS_PER_MINUTE)),
            seconds: at(&hours.seconds).min(minutes * 60),
            typed,
            typing_ms: at(&hours.typing_ms).max(typed * HUMAN_MIN_MS_PER_TYPED_KEY),
        })
    }

    fn add(&mut self, other: HourFigures) {
        self.keys += other.keys;
        self.clicks += other.clicks;
        self.seconds += other.seconds;
        self.typed += other.typed;
        self.typing_ms += other.typing_ms;
    }
}

/// Who was active in one member-hour cell: (day, hour) -> sharing and private members.
#[derive(Debug, Clone, Copy, Default)]
struct CellCount {
    sharing: u32,
    private: u32,
}

impl CellCount {
    /// Whether a member who shares (or does not) counts in this cell.
    fn counts(self, shares_figures: bool) -> bool {
        let private_counted = self.private >= MIN_CONTRIBUTORS;
        let counted = self.sharing + if private_counted { self.private } else { 0 };
        counted >= MIN_CONTRIBUTORS && (shares_figures || private_counted)
    }
}

/// The team's numbers and the sharing members' figures, by the rules of this module, for members
/// whose days are in memory (`MemberActivity::days`; the series per day run over the days any
/// member has); [`TeamTally`] takes the days one at a time.
pub fn team_figures(members: &[MemberActivity]) -> TeamFigures {
    let mut by_day: BTreeMap<&str, Vec<(usize, usize, &HourCells)>> = BTreeMap::new();
    for (index, member) in members.iter().enumerate() {
        for day in &member.days {
            by_day.entry(day.day.as_str()).or_default().push((index, day.weekday, &day.hours));
        }
    }
    let mut tally = TeamTally::new(members);
    for (date, day) in &by_day {
        let weekday = day.first().map_or(0, |(_, weekday, _)| *weekday);
        tally.add_day(date, weekday, day.iter().map(|(index, _, hours)| (*index, *hours)));
    }
    let days: Vec<String> = by_day.keys().map(|d| d.to_string()).collect();
    tally.finish(members, &days)
}

/// The ergonomic figures of the members who share theirs, averaged (each member's own figures
/// over the range weigh the same): `keys` holds each sharing member's presses per key (indexed
/// as [`keytrack_wire::KEY_CODES`]) over the range. `None` with fewer than [`MIN_CONTRIBUTORS`]
/// members who typed on the main block.
pub fn team_ergonomics(keys: &[Vec<i64>]) -> Option<TeamErgonomics> {
    let figures: Vec<_> = keys
        .iter()
        .map(|counts| Ergonomics::of_key_vector(counts).day(&PairTotals::default()))
        .filter(|e| e.keys > 0)
        .collect();
    let n = figures.len() as u32;
    if n < MIN_CONTRIBUTORS {
        return None;
    }
    let mean = |f: fn(&ErgonomicsDay) -> f64| figures.iter().map(f).sum::<f64>() / f64::from(n);
    Some(TeamErgonomics {
        members: n,
        left_hand_share: mean(|e| e.left_hand_share),
        home_row_share: mean(|e| e.home_row_share),
        little_finger_share: mean(|e| e.little_finger_share),
        modifier_share: mean(|e| e.modifier_share),
        effort: mean(|e| e.effort),
    })
}

/// The team's numbers added up one day at a time, so that a year of a large team never needs to
/// be in memory at once: the at-least-3 rule looks at one (day, hour) cell at a time.
pub struct TeamTally {
    /// Per member (in the order given to [`TeamTally::new`]): shares figures.
    shares: Vec<bool>,
    own: Vec<HourFigures>,
    active_days: Vec<u32>,
    sum: HourFigures,
    rhythm: [[i64; 24]; 7],
    /// Per member: whether any of their hours counted in the team's numbers.
    contributed: Vec<bool>,
    /// The days added, in order; the team's counted key presses on each, and each member's own
    /// (day slot, presses) on the days they typed: slots rather than names, since a team-year
    /// is thousands of member-days.
    dates: Vec<String>,
    team_daily: Vec<i64>,
    own_daily: Vec<Vec<(usize, i64)>>,
}

impl TeamTally {
    pub fn new(members: &[MemberActivity]) -> TeamTally {
        TeamTally {
            shares: members.iter().map(|m| m.shares_figures).collect(),
            own: vec![HourFigures::default(); members.len()],
            active_days: vec![0; members.len()],
            sum: HourFigures::default(),
            rhythm: [[0; 24]; 7],
            contributed: vec![false; members.len()],
            dates: Vec::new(),
            team_daily: Vec::new(),
            own_daily: vec![Vec::new(); members.len()],
        }
    }

    /// One day, `date` (`YYYY-MM-DD`, weekday 0 = Monday): the hour cells of each member active
    /// that day, by index into the members given to [`TeamTally::new`], each member at most once.
    pub fn add_day<'h>(
        &mut self,
        date: &str,
        weekday: usize,
        day: impl Iterator<Item = (usize, &'h HourCells)> + Clone,
    ) {
        let slot = match self.dates.iter().rposition(|d| d == date) {
            Some(slot) => slot,
            None => {
                self.dates.push(date.to_string());
                self.team_daily.push(0);
                self.dates.len() - 1
            }
        };
        // Who was active in each hour of the day: sharing and private members.
        let mut cells = [CellCount::default(); 24];
        for (index, hours) in day.clone() {
            let Some(&shares) = self.shares.get(index) else { continue };
            for (hour, cell) in cells.iter_mut().enumerate() {
                if HourFigures::of(hours, hour).is_some() {
                    if shares {
                        cell.sharing += 1;
                    } else {
                        cell.private += 1;
                    }
                }
            }
        }
        // The member-hours that count go into the team's numbers; each member's own take all.
        let mut team_keys = 0;
        for (index, hours) in day {
            let Some(&shares) = self.shares.get(index) else { continue };
            let mut active = false;
            let mut own_keys = 0;
            for (hour, cell) in cells.iter().enumerate() {
                let Some(figures) = HourFigures::of(hours, hour) else { continue };
                active = true;
                self.own[index].add(figures);
                own_keys += figures.keys;
                if cell.counts(shares) {
                    self.sum.add(figures);
                    team_keys += figures.keys;
                    if let Some(contributed) = self.contributed.get_mut(index) {
                        *contributed = true;
                    }
                    if let Some(slot) = self.rhythm.get_mut(weekday).and_then(|row| row.get_mut(hour)) {
                        *slot += figures.keys;
                    }
                }
            }
            self.active_days[index] += u32::from(active);
            // Once per member-day, not per hour: a team-year is thousands of member-days.
            if let Some(own) = self.own_daily.get_mut(index).filter(|_| own_keys > 0) {
                own.push((slot, own_keys));
            }
        }
        if let Some(day) = self.team_daily.get_mut(slot) {
            *day += team_keys;
        }
    }

    /// The figures, with the members' chords (`MemberActivity::chords`) for the top list; the
    /// series per day run over `days` (the range's days in order).
    pub fn finish(self, members: &[MemberActivity], days: &[String]) -> TeamFigures {
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        let slot_of: HashMap<&str, usize> = self.dates.iter().enumerate().map(|(slot, d)| (d.as_str(), slot)).collect();
        // A value per day slot -> a value per day of `days`.
        let series = |by_slot: &[i64]| -> Vec<u64> {
            days.iter()
                .map(|d| slot_of.get(d.as_str()).and_then(|s| by_slot.get(*s)).map_or(0, |n| count(*n)))
                .collect()
        };
        let own_series = |own: &[(usize, i64)]| {
            let mut by_slot = vec![0; self.dates.len()];
            for (slot, keys) in own {
                if let Some(day) = by_slot.get_mut(*slot) {
                    *day += keys;
                }
            }
            series(&by_slot)
        };
        let mut member_figures: Vec<MemberFigures> = members
            .iter()
            .zip(self.own.iter().zip(&self.active_days).zip(&self.own_daily))
            .filter(|(member, _)| member.shares_figures)
            .map(|(member, ((own, active_days), own_daily))| MemberFigures {
                user_id: member.user_id,
                name: member.name.clone(),
                total_keys: count(own.keys),
                total_clicks: count(own.clicks),
                active_seconds: count(own.seconds),
                wpm: words_per_minute(count(own.typed), count(own.typing_ms)),
                active_days: *active_days,
                daily_keys: own_series(own_daily),
            })
            .collect();
        sort_members(&mut member_figures, MemberColumn::Keys, true);
        let top_chords = team_chords(members);
        let contributors = self.contributed.iter().filter(|c| **c).count() as u32;
        let sum = self.sum;
        let rhythm = self.rhythm;
        let totals = (contributors > 0 || !top_chords.is_empty()).then(|| {
            let per = u64::from(contributors.max(1));
            TeamTotals {
                total_keys: count(sum.keys),
                total_clicks: count(sum.clicks),
                active_seconds: count(sum.seconds),
                wpm: words_per_minute(count(sum.typed), count(sum.typing_ms)),
                average_keys: count(sum.keys) / per,
                average_clicks: count(sum.clicks) / per,
                average_active_seconds: count(sum.seconds) / per,
                by_weekday_hour: rhythm.iter().map(|row| row.iter().map(|n| count(*n)).collect()).collect(),
                top_chords,
                daily_keys: series(&self.team_daily),
            }
        });
        TeamFigures { totals, contributors, member_figures }
    }
}

/// The team's most used chords: a chord counts with at least [`MIN_CONTRIBUTORS`] members using
/// it, private members only when at least that many of them did.
fn team_chords(members: &[MemberActivity]) -> Vec<ChordCount> {
    let mut users: BTreeMap<&str, CellCount> = BTreeMap::new();
    for member in members {
        for (chord, n) in &member.chords {
            if *n > 0 {
                let cell = users.entry(chord.as_str()).or_default();
                if member.shares_figures {
                    cell.sharing += 1;
                } else {
                    cell.private += 1;
                }
            }
        }
    }
    let mut top: Vec<ChordCount> = users
        .into_iter()
        .map(|(chord, cell)| {
            let total: i64 = members
                .iter()
                .filter(|m| cell.counts(m.shares_figures))
                .map(|m| m.chords.get(chord).copied().unwrap_or(0).max(0))
                .sum();
            ChordCount { chord: chord.to_string(), count: u64::try_from(total).unwrap_or(0) }
        })
        .filter(|c| c.count > 0)
        .collect();
    top.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.chord.cmp(&b.chord)));
    top.truncate(TOP_CHORDS);
    top
}

/// A column of the member comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberColumn {
    Name,
    Keys,
    Clicks,
    ActiveTime,
    Wpm,
    ActiveDays,
}

impl MemberColumn {
    pub const ALL: [MemberColumn; 6] = [
        MemberColumn::Name,
        MemberColumn::Keys,
        MemberColumn::Clicks,
        MemberColumn::ActiveTime,
        MemberColumn::Wpm,
        MemberColumn::ActiveDays,
    ];

    pub fn label(self) -> &'static str {
        match self {
            MemberColumn::Name => "Member",
            MemberColumn::Keys => "Key presses",
            MemberColumn::Clicks => "Clicks",
            MemberColumn::ActiveTime => "Active time",
            MemberColumn::Wpm => "WPM",
            MemberColumn::ActiveDays => "Active days",
        }
    }
}

/// Sorts members by a column; ties keep name order, so the table never shuffles between renders.
pub fn sort_members(members: &mut [MemberFigures], column: MemberColumn, descending: bool) {
    members.sort_by(|a, b| {
        let order = match column {
            MemberColumn::Name => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
            MemberColumn::Keys => a.total_keys.cmp(&b.total_keys),
            MemberColumn::Clicks => a.total_clicks.cmp(&b.total_clicks),
            MemberColumn::ActiveTime => a.active_seconds.cmp(&b.active_seconds),
            MemberColumn::Wpm => a.wpm.total_cmp(&b.wpm),
            MemberColumn::ActiveDays => a.active_days.cmp(&b.active_days),
        };
        let order = if descending { order.reverse() } else { order };
        order.then_with(|| a.name.cmp(&b.name)).then_with(|| a.user_id.cmp(&b.user_id))
    });
}

/// The first `n` members by a column, highest first, leaving out members with nothing in it.
pub fn leaderboard(members: &[MemberFigures], column: MemberColumn, n: usize) -> Vec<MemberFigures> {
    let mut ranked: Vec<MemberFigures> = members
        .iter()
        .filter(|m| match column {
            MemberColumn::Keys => m.total_keys > 0,
            MemberColumn::Clicks => m.total_clicks > 0,
            MemberColumn::ActiveTime => m.active_seconds > 0,
            MemberColumn::Wpm => m.wpm > 0.0,
            MemberColumn::ActiveDays => m.active_days > 0,
            MemberColumn::Name => true,
        })
        .cloned()
        .collect();
    sort_members(&mut ranked, column, true);
    ranked.truncate(n);
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;
    use TeamRole::{Admin, Member, Owner};

    fn key_vector(counts: &[(&str, i64)]) -> Vec<i64> {
        let mut keys = vec![0; keytrack_wire::KEY_CODES.len()];
        for (code, n) in counts {
            keys[keytrack_wire::key_index(code).expect("known key")] = *n;
        }
        keys
    }

    #[test]
    fn team_ergonomics_average_members_alike_and_need_three_who_typed() {
        // A: all on the left little finger's home key; B: half A, half J (right index); C: all J;
        // D typed only arrows (off the main block: not counted, so not a member of the average).
        let a = key_vector(&[("KeyA", 300)]);
        let b = key_vector(&[("KeyA", 50), ("KeyJ", 50)]);
        let c = key_vector(&[("KeyJ", 10)]);
        let d = key_vector(&[("ArrowUp", 500)]);
        let team = team_ergonomics(&[a.clone(), b.clone(), c, d.clone()]).expect("three typed");
        assert_eq!(team.members, 3);
        // Each member weighs the same, whatever their number of presses: (100 + 50 + 0) / 3.
        assert!((team.left_hand_share - 50.0).abs() < 1e-9, "{team:?}");
        assert!((team.home_row_share - 100.0).abs() < 1e-9);
        assert!((team.little_finger_share - 50.0).abs() < 1e-9, "(100 + 50 + 0) / 3");
        assert_eq!((team.modifier_share, team.effort), (0.0, 0.0), "A and J cost nothing in carpalx");
        assert_eq!(team_ergonomics(&[a, b, d]), None, "two who typed are too few");
    }

    #[test]
    fn an_invite_is_revoked_expired_used_up_or_active_in_that_order() {
        use InviteStatus::{Active, Expired, Revoked, UsedUp};
        assert_eq!(InviteStatus::of(false, 200, None, 50, 100), Active);
        assert_eq!(InviteStatus::of(false, 200, Some(2), 1, 100), Active);
        assert_eq!(InviteStatus::of(false, 200, Some(2), 2, 100), UsedUp);
        assert_eq!(InviteStatus::of(false, 100, Some(2), 2, 100), Expired, "expiry wins, at the very second");
        assert_eq!(InviteStatus::of(true, 200, None, 0, 100), Revoked);
        assert_eq!(InviteStatus::of(true, 50, Some(1), 1, 100), Revoked, "revoked wins over everything");
        assert_eq!(UsedUp.label(), "used up");
    }

    #[test]
    fn owners_manage_everyone_admins_only_plain_members() {
        assert!(may_remove(Owner, Owner) && may_remove(Owner, Admin) && may_remove(Owner, Member));
        assert!(may_remove(Admin, Member));
        assert!(!may_remove(Admin, Admin) && !may_remove(Admin, Owner));
        assert!(!may_remove(Member, Member));
        assert!(may_set_role(Owner, Member, Owner));
        assert!(may_set_role(Admin, Member, Admin) && may_set_role(Admin, Admin, Member));
        assert!(!may_set_role(Admin, Member, Owner) && !may_set_role(Admin, Owner, Member));
        assert!(!may_set_role(Member, Member, Admin));
    }

    /// A member active at the given (day, hour) cells with `keys` presses in each, over one minute.
    fn active(user_id: i64, shares: bool, cells: &[(&str, usize)], keys: i64) -> MemberActivity {
        let mut days: Vec<MemberDay> = Vec::new();
        for (day, hour) in cells {
            if !days.iter().any(|d| d.day == *day) {
                let hours = HourCells {
                    minutes: vec![0; 24],
                    keys: vec![0; 24],
                    clicks: vec![0; 24],
                    seconds: vec![0; 24],
                    typed: vec![0; 24],
                    typing_ms: vec![0; 24],
                };
                days.push(MemberDay { day: day.to_string(), weekday: 0, hours });
            }
            let day = days.iter_mut().find(|d| d.day == *day).expect("day");
            day.hours.minutes[*hour] += 1;
            day.hours.keys[*hour] += keys;
            day.hours.seconds[*hour] += 30;
        }
        MemberActivity { user_id, name: format!("m{user_id}"), shares_figures: shares, days, chords: BTreeMap::new() }
    }

    #[test]
    fn an_hour_counts_with_three_members_and_private_members_only_three_at_a_time() {
        // The issue's subtraction: F and G share, H, I, J private, only F, G and H active.
        let team = [
            active(1, true, &[("d", 9)], 20),
            active(2, true, &[("d", 9)], 30),
            active(3, false, &[("d", 9)], 70),
            active(4, false, &[], 0),
            active(5, false, &[], 0),
        ];
        let seen = team_figures(&team);
        assert_eq!(seen.totals, None, "two sharing members and one private member: nothing counts");
        assert_eq!(seen.member_figures.iter().map(|m| m.total_keys).collect::<Vec<_>>(), vec![30, 20]);
        // With I and J active in the same hour, the private members count, together.
        let team = [
            active(1, true, &[("d", 9)], 20),
            active(2, true, &[("d", 9)], 30),
            active(3, false, &[("d", 9)], 70),
            active(4, false, &[("d", 9)], 5),
            active(5, false, &[("d", 9)], 7),
        ];
        let seen = team_figures(&team);
        assert_eq!(seen.totals.map(|t| t.total_keys), Some(132));
        assert_eq!(seen.contributors, 5);
        // Three sharing members count without the lone private one.
        let team = [
            active(1, true, &[("d", 9)], 20),
            active(2, true, &[("d", 9)], 30),
            active(6, true, &[("d", 9)], 1),
            active(3, false, &[("d", 9)], 70),
        ];
        assert_eq!(team_figures(&team).totals.map(|t| t.total_keys), Some(51));
    }

    #[test]
    fn a_member_alone_in_an_hour_appears_in_no_cell_and_no_total() {
        // C, private, alone on Sunday 17:00; the others together at 9:00.
        let team = [
            active(1, true, &[("mon", 9)], 10),
            active(2, true, &[("mon", 9)], 10),
            active(3, false, &[("mon", 9), ("sun", 17)], 500),
            active(4, false, &[("mon", 9)], 10),
            active(5, false, &[("mon", 9)], 10),
        ];
        let seen = team_figures(&team);
        let totals = seen.totals.expect("totals");
        assert_eq!(totals.total_keys, 540, "Sunday's 500 are in no team number");
        assert_eq!(totals.by_weekday_hour[0][17], 0);
        // Day by day ("mon", "sun"): Sunday counts 0 for the team; the sharing members' own
        // trends are theirs.
        assert_eq!(totals.daily_keys, vec![540, 0]);
        assert_eq!(seen.member_figures[0].daily_keys, vec![10, 0]);
    }

    #[test]
    fn forged_figures_count_as_a_person_could_have_made_them() {
        let mut forger = active(1, true, &[("d", 9)], 60_000);
        forger.days[0].hours.typed[9] = 60_000;
        forger.days[0].hours.typing_ms[9] = 1;
        forger.days[0].hours.clicks[9] = 60_000;
        let figures = &team_figures(&[forger]).member_figures[0];
        assert_eq!((figures.total_keys, figures.total_clicks), (1_500, 1_200));
        assert!((figures.wpm - f64::from(HUMAN_MAX_WPM)).abs() < 1e-9, "{}", figures.wpm);
    }

    #[test]
    fn chords_count_with_three_users() {
        let with = |id, shares, chords: &[(&str, i64)]| {
            let mut member = active(id, shares, &[], 0);
            member.chords = chords.iter().map(|(c, n)| (c.to_string(), *n)).collect();
            member
        };
        let team = [
            with(1, true, &[("Ctrl+KeyC", 5), ("Ctrl+KeyZ", 1)]),
            with(2, true, &[("Ctrl+KeyC", 2), ("Ctrl+KeyZ", 9)]),
            with(3, false, &[("Ctrl+KeyC", 1), ("Alt+Tab", 4)]),
            with(4, false, &[("Ctrl+KeyC", 1), ("Alt+Tab", 4)]),
            with(5, false, &[("Ctrl+KeyC", 1), ("Alt+Tab", 4)]),
        ];
        let chords = team_figures(&team).totals.expect("chords").top_chords;
        let seen: Vec<(&str, u64)> = chords.iter().map(|c| (c.chord.as_str(), c.count)).collect();
        assert_eq!(seen, vec![("Alt+Tab", 12), ("Ctrl+KeyC", 10)], "Ctrl+KeyZ: two users only");
    }

    fn member(id: i64, name: &str, keys: u64, wpm: f64) -> MemberFigures {
        MemberFigures { user_id: id, name: name.into(), total_keys: keys, wpm, ..Default::default() }
    }

    #[test]
    fn sorting_and_leaderboards() {
        let mut members = vec![member(1, "bob", 10, 40.0), member(2, "Ada", 30, 0.0), member(3, "cy", 10, 55.5)];
        sort_members(&mut members, MemberColumn::Keys, true);
        let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["Ada", "bob", "cy"]);
        sort_members(&mut members, MemberColumn::Name, false);
        let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["Ada", "bob", "cy"]);
        sort_members(&mut members, MemberColumn::Wpm, false);
        assert_eq!(members[0].name, "Ada");
        let fastest = leaderboard(&members, MemberColumn::Wpm, 5);
        let names: Vec<&str> = fastest.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["cy", "bob"], "a member who typed nothing is not on the speed board");
        assert_eq!(leaderboard(&members, MemberColumn::Keys, 1)[0].name, "Ada");
    }
}

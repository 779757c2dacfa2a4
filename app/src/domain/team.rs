//! The rules of teams, pure: who may do what to whom, what a team may see of its members, and
//! the orderings of the team dashboard's table and leaderboards.

use keytrack_wire::{MIN_CONTRIBUTORS, MemberFigures, TeamRole};

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

/// What the team dashboard may show over a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Visibility {
    /// Team totals (sums, averages, rhythm, top chords).
    pub totals: bool,
    /// The figures of the members who share theirs (table, charts, leaderboards).
    pub members: bool,
}

/// `contributors`: members with activity in the range; `private_members`: members, active or
/// not, who keep their own figures private. Totals need [`MIN_CONTRIBUTORS`]. Beside the totals,
/// the sharing members' figures would reveal the private members' sum by subtraction, so they are
/// shown only when nobody is private or at least [`MIN_CONTRIBUTORS`] members are. This depends on
/// who chose what, never on who was active: a rule that looked at the private members' activity
/// would tell, by showing or hiding the table for a day, whether they worked that day.
pub fn visibility(contributors: u32, private_members: u32) -> Visibility {
    let totals = contributors >= MIN_CONTRIBUTORS;
    let members = private_members == 0 || private_members >= MIN_CONTRIBUTORS;
    Visibility { totals, members }
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

    #[test]
    fn totals_need_three_contributors_and_never_reveal_one_or_two_private_members() {
        // Everyone shares: the figures are shown whatever the totals.
        assert_eq!(visibility(3, 0), Visibility { totals: true, members: true });
        assert_eq!(visibility(2, 0), Visibility { totals: false, members: true });
        assert_eq!(visibility(0, 0), Visibility { totals: false, members: true });
        // One or two private members: totals minus the shown members would be theirs, so no
        // member figures, with or without totals, however active they were.
        assert_eq!(visibility(3, 1), Visibility { totals: true, members: false });
        assert_eq!(visibility(10, 2), Visibility { totals: true, members: false });
        assert_eq!(visibility(2, 1), Visibility { totals: false, members: false });
        assert_eq!(visibility(0, 2), Visibility { totals: false, members: false });
        // Three or more private members stay hidden in their own sum.
        assert_eq!(visibility(10, 3), Visibility { totals: true, members: true });
        assert_eq!(visibility(1, 5), Visibility { totals: false, members: true });
    }

    #[test]
    fn what_is_shown_does_not_depend_on_whether_private_members_were_active() {
        // A team of five, one of them private: the private member active or not, the same view.
        for private_member_active in [false, true] {
            let contributors = 3 + u32::from(private_member_active);
            assert!(!visibility(contributors, 1).members);
        }
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

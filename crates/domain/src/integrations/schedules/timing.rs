//! When a schedule fires: standard five-field cron expressions and "every N minutes/hours/days", read in an IANA
//! time zone. Pure: no clock, no database.
//!
//! Wall-clock rules across daylight-saving changes (the same as RFC 5545 and `java.time`):
//! - a wall-clock time that does not exist (the hour skipped when clocks go forward) is read with the offset in
//!   force before the change, so a 02:30 job fires at 03:30 on that day: once, one hour late;
//! - a wall-clock time that happens twice (the hour repeated when clocks go back) fires once, at its first
//!   instance. Each wall-clock time fires at most once, so an hourly job does not fire again in the repeated hour.
//!
//! Every N minutes or hours is a fixed length of real time; every N days is the same wall-clock time N calendar
//! days later.
use chrono::offset::LocalResult;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Offset, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// The unit of an "every N" schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IntervalUnit {
    Minutes,
    Hours,
    Days,
}

impl IntervalUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Minutes => "minutes",
            Self::Hours => "hours",
            Self::Days => "days",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "minutes" => Some(Self::Minutes),
            "hours" => Some(Self::Hours),
            "days" => Some(Self::Days),
            _ => None,
        }
    }

    /// The largest N accepted: about a year.
    pub fn max_n(self) -> i32 {
        match self {
            Self::Minutes => 366 * 24 * 60,
            Self::Hours => 366 * 24,
            Self::Days => 366,
        }
    }
}

/// A parsed five-field cron expression (`minute hour day-of-month month day-of-week`) with the usual meaning:
/// lists, ranges, steps, month and weekday names, 0 or 7 for Sunday, and, as in Vixie cron, a day matching
/// either day field when both are restricted. `@yearly`, `@monthly`, `@weekly`, `@daily` and `@hourly` stand for
/// their expansions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronExpr {
    minutes: u64,
    hours: u32,
    days_of_month: u32,
    months: u16,
    days_of_week: u8,
    /// Both day fields restricted (neither starts with `*`): a day matches when either does.
    either_day: bool,
}

const MONTH_NAMES: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAY_NAMES: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

struct FieldSpec {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
    /// The first name's number (months count from 1, weekdays from 0).
    names_from: u32,
}

const FIELDS: [FieldSpec; 5] = [
    FieldSpec {
        name: "minute",
        min: 0,
        max: 59,
        names: &[],
        names_from: 0,
    },
    FieldSpec {
        name: "hour",
        min: 0,
        max: 23,
        names: &[],
        names_from: 0,
    },
    FieldSpec {
        name: "day of month",
        min: 1,
        max: 31,
        names: &[],
        names_from: 0,
    },
    FieldSpec {
        name: "month",
        min: 1,
        max: 12,
        names: &MONTH_NAMES,
        names_from: 1,
    },
    FieldSpec {
        name: "day of week",
        min: 0,
        max: 7,
        names: &DAY_NAMES,
        names_from: 0,
    },
];

impl FieldSpec {
    fn value(&self, text: &str) -> Result<u32, String> {
        let lower = text.to_ascii_lowercase();
        if let Some(idx) = self.names.iter().position(|n| *n == lower) {
            return Ok(idx as u32 + self.names_from);
        }
        let value: u32 = text
            .parse()
            .map_err(|_| format!("`{text}` is not a valid {} value", self.name))?;
        if value < self.min || value > self.max {
            return Err(format!(
                "{} `{value}` is out of range ({}–{})",
                self.name, self.min, self.max
            ));
        }
        Ok(value)
    }

    /// The set of values a field allows, as bits.
    fn parse(&self, field: &str) -> Result<u64, String> {
        let mut bits = 0u64;
        for item in field.split(',') {
            let (range, step) = match item.split_once('/') {
                Some((range, step)) => {
                    let step: u32 =
                        step.parse().ok().filter(|s| *s >= 1).ok_or_else(|| {
                            format!("step `{step}` in the {} field is not a positive number", self.name)
                        })?;
                    (range, step)
                }
                None => (item, 1),
            };
            let (from, to) = if range == "*" {
                (self.min, self.max)
            } else if let Some((a, b)) = range.split_once('-') {
                let (a, b) = (self.value(a)?, self.value(b)?);
                if a > b {
                    return Err(format!("range `{range}` in the {} field runs backwards", self.name));
                }
                (a, b)
            } else {
                let a = self.value(range)?;
                // `5/15` means from 5 to the end in steps of 15.
                (a, if item.contains('/') { self.max } else { a })
            };
            for v in (from..=to).step_by(step as usize) {
                bits |= 1 << v;
            }
        }
        Ok(bits)
    }
}

impl CronExpr {
    pub fn parse(expression: &str) -> Result<Self, String> {
        let expression = expression.trim();
        let expanded = match expression.to_ascii_lowercase().as_str() {
            "@yearly" | "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" | "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            other if other.starts_with('@') => {
                return Err(format!(
                    "`{expression}` is not one of @yearly, @monthly, @weekly, @daily, @hourly"
                ));
            }
            _ => expression,
        };
        let fields: Vec<&str> = expanded.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(format!(
                "must have five fields (minute hour day-of-month month day-of-week), not {}",
                fields.len()
            ));
        }
        let mut bits = [0u64; 5];
        for (i, (spec, field)) in FIELDS.iter().zip(&fields).enumerate() {
            bits[i] = spec.parse(field)?;
        }
        // 7 is another name for Sunday.
        let mut days_of_week = bits[4];
        if days_of_week & (1 << 7) != 0 {
            days_of_week = (days_of_week & !(1 << 7)) | 1;
        }
        let expr = Self {
            minutes: bits[0],
            hours: bits[1] as u32,
            days_of_month: bits[2] as u32,
            months: bits[3] as u16,
            days_of_week: days_of_week as u8,
            either_day: !fields[2].starts_with('*') && !fields[4].starts_with('*'),
        };
        if !expr.can_match() {
            return Err("names a day that never comes (such as 30 February)".into());
        }
        Ok(expr)
    }

    fn can_match(&self) -> bool {
        if self.either_day || self.days_of_month == ALL_DAYS_OF_MONTH {
            return true;
        }
        const LONGEST: [u32; 12] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        (1..=12)
            .any(|m| self.months & (1 << m) != 0 && (1..=LONGEST[m - 1]).any(|d| self.days_of_month & (1 << d) != 0))
    }

    fn matches_day(&self, date: NaiveDate) -> bool {
        if self.months & (1 << date.month()) == 0 {
            return false;
        }
        let dom = self.days_of_month & (1 << date.day()) != 0;
        let dow = self.days_of_week & (1 << date.weekday().num_days_from_sunday()) != 0;
        if self.either_day { dom || dow } else { dom && dow }
    }

    /// The first wall-clock minute matching the expression strictly after `after`.
    pub fn next_local(&self, after: NaiveDateTime) -> Option<NaiveDateTime> {
        let start = after.with_second(0)?.with_nanosecond(0)? + Duration::minutes(1);
        let mut date = start.date();
        // 29 February may be eight years away (2096 → 2104).
        for _ in 0..366 * 9 {
            if self.matches_day(date) {
                let from = if date == start.date() {
                    (start.hour(), start.minute())
                } else {
                    (0, 0)
                };
                for hour in from.0..24 {
                    if self.hours & (1 << hour) == 0 {
                        continue;
                    }
                    let first_minute = if hour == from.0 { from.1 } else { 0 };
                    if let Some(minute) = (first_minute..60).find(|m| self.minutes & (1 << m) != 0) {
                        return date.and_hms_opt(hour, minute, 0);
                    }
                }
            }
            date = date.succ_opt()?;
        }
        None
    }
}

const ALL_DAYS_OF_MONTH: u32 = ((1u64 << 32) - 2) as u32;

/// How often a schedule fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Timing {
    Cron(CronExpr),
    Every { n: u32, unit: IntervalUnit },
}

/// A timing read in a zone: the schedule's series of occurrences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recurrence {
    pub timing: Timing,
    pub zone: Tz,
}

/// The instant a wall-clock time means in `zone` (see the module's rules), if it is after `after`.
fn resolve(zone: Tz, local: NaiveDateTime, after: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    let later = |t: &DateTime<Utc>| after.is_none_or(|a| *t > a);
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.to_utc()).filter(later),
        LocalResult::Ambiguous(first, second) => [first.to_utc(), second.to_utc()].into_iter().find(later),
        LocalResult::None => {
            // In a gap: read with the offset in force just before it.
            let before = (1..=48 * 60)
                .map(|m| local - Duration::minutes(m))
                .find_map(|t| zone.from_local_datetime(&t).earliest())?;
            let offset = before.offset().fix().local_minus_utc();
            Some((local - Duration::seconds(offset.into())).and_utc()).filter(later)
        }
    }
}

impl Recurrence {
    pub fn new(timing: Timing, zone: Tz) -> Self {
        Self { timing, zone }
    }

    /// The first run of a schedule created (or re-activated) at `now`: the next cron occurrence, or one interval
    /// from now.
    pub fn first(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let now = now.with_nanosecond(0)?;
        match &self.timing {
            Timing::Cron(expr) => self.next_cron(expr, now),
            Timing::Every { .. } => self.step(now, 1),
        }
    }

    /// The first occurrence strictly after `now` in the series that `due` belongs to: what a schedule that was
    /// due at `due` waits for next when it is handled at `now`. Intervals stay anchored to `due`, so a late tick
    /// does not make them drift.
    pub fn following(&self, due: DateTime<Utc>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match &self.timing {
            Timing::Cron(expr) => {
                // Walking on from `due` keeps a repeated wall-clock hour from firing twice; after a long outage
                // that walk would be long, and a day back is more than any clock change.
                let mut from = if now - due > Duration::days(1) { now } else { due };
                for _ in 0..2 * 24 * 60 {
                    let next = self.next_cron(expr, from)?;
                    if next > now {
                        return Some(next);
                    }
                    from = next;
                }
                self.next_cron(expr, now)
            }
            Timing::Every { n, unit } => {
                let length = match unit {
                    IntervalUnit::Minutes => Duration::minutes(i64::from(*n)),
                    IntervalUnit::Hours => Duration::hours(i64::from(*n)),
                    IntervalUnit::Days => Duration::days(i64::from(*n)),
                };
                // A first guess of how many steps cover the gap; days may be 23 or 25 hours long.
                let mut k = ((now - due).num_seconds() / length.num_seconds()).max(1);
                loop {
                    let next = self.step(due, k)?;
                    if next > now {
                        return Some(next);
                    }
                    k += 1;
                }
            }
        }
    }

    /// `k` intervals after `from`.
    fn step(&self, from: DateTime<Utc>, k: i64) -> Option<DateTime<Utc>> {
        let Timing::Every { n, unit } = &self.timing else {
            return None;
        };
        let n = i64::from(*n).checked_mul(k)?;
        match unit {
            IntervalUnit::Minutes => from.checked_add_signed(Duration::try_minutes(n)?),
            IntervalUnit::Hours => from.checked_add_signed(Duration::try_hours(n)?),
            IntervalUnit::Days => {
                let local = from.with_timezone(&self.zone).naive_local();
                let later = local.checked_add_signed(Duration::try_days(n)?)?;
                resolve(self.zone, later, None)
            }
        }
    }

    fn next_cron(&self, expr: &CronExpr, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut local = after.with_timezone(&self.zone).naive_local();
        // Each step moves on by at least a minute; a wall-clock time that resolves to an instant not after
        // `after` (inside a repeated hour) is passed over.
        for _ in 0..1000 {
            local = expr.next_local(local)?;
            if let Some(at) = resolve(self.zone, local, Some(after)) {
                return Some(at);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Australia::Sydney;
    use chrono_tz::Europe::London;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn cron(expr: &str, zone: Tz) -> Recurrence {
        Recurrence::new(Timing::Cron(CronExpr::parse(expr).unwrap()), zone)
    }

    fn every(n: u32, unit: IntervalUnit, zone: Tz) -> Recurrence {
        Recurrence::new(Timing::Every { n, unit }, zone)
    }

    /// The next `count` occurrences after `from`, each as the schedule would compute it after firing.
    fn series(r: &Recurrence, from: &str, count: usize) -> Vec<String> {
        let mut at = r.first(utc(from)).unwrap();
        let mut out = vec![at.with_timezone(&r.zone).to_rfc3339()];
        for _ in 1..count {
            at = r.following(at, at).unwrap();
            out.push(at.with_timezone(&r.zone).to_rfc3339());
        }
        out
    }

    #[test]
    fn cron_expressions_parse_or_say_what_is_wrong() {
        for ok in [
            "* * * * *",
            "*/15 9-17 * * mon-fri",
            "0 2 1,15 * *",
            "30 2 * JAN-jun 0,7",
            "5/10 * * * *",
            "@daily",
            "  0 0 29 2 *  ",
        ] {
            assert!(CronExpr::parse(ok).is_ok(), "{ok}");
        }
        for (bad, says) in [
            ("* * * *", "five fields"),
            ("0 0 0 * * *", "five fields"),
            ("60 * * * *", "out of range"),
            ("* 24 * * *", "out of range"),
            ("* * 0 * *", "out of range"),
            ("* * * 13 *", "out of range"),
            ("* * * * 8", "out of range"),
            ("*/0 * * * *", "step"),
            ("5-1 * * * *", "backwards"),
            ("x * * * *", "not a valid minute"),
            ("0 0 30 2 *", "never comes"),
            ("@reboot", "@yearly"),
            ("", "five fields"),
        ] {
            let err = CronExpr::parse(bad).unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }

    #[test]
    fn weekdays_count_from_sunday_zero_and_seven_is_sunday() {
        // Monday to Friday at 09:00: 1-5 means Monday to Friday, as in every crontab.
        let r = cron("0 9 * * 1-5", Sydney);
        assert_eq!(
            series(&r, "2026-06-05T00:00:00Z", 3), // Friday 10:00 in Sydney
            [
                "2026-06-08T09:00:00+10:00",
                "2026-06-09T09:00:00+10:00",
                "2026-06-10T09:00:00+10:00"
            ]
        );
        let sunday = cron("0 9 * * 7", Sydney);
        assert_eq!(
            series(&sunday, "2026-06-05T00:00:00Z", 1),
            ["2026-06-07T09:00:00+10:00"]
        );
        // Both day fields restricted: either matches (the 1st, or any Monday).
        let either = cron("0 0 1 * mon", London);
        assert_eq!(
            series(&either, "2026-06-20T00:00:00Z", 4),
            [
                "2026-06-22T00:00:00+01:00",
                "2026-06-29T00:00:00+01:00",
                "2026-07-01T00:00:00+01:00",
                "2026-07-06T00:00:00+01:00",
            ]
        );
        let leap = cron("0 0 29 2 *", Tz::UTC);
        assert_eq!(series(&leap, "2026-01-01T00:00:00Z", 1), ["2028-02-29T00:00:00+00:00"]);
    }

    /// Each cron expression's series in Sydney from a start, as local times.
    fn check_sydney(cases: &[(&str, &str, &[&str])]) {
        for (expr, from, expected) in cases {
            assert_eq!(
                series(&cron(expr, Sydney), from, expected.len()),
                *expected,
                "{expr} from {from}"
            );
        }
    }

    #[test]
    fn sydney_spring_forward_fires_a_skipped_time_once_an_hour_late() {
        // 4 October 2026: at 02:00 AEST clocks go to 03:00 AEDT. 02:30 does not exist that night.
        check_sydney(&[
            (
                "30 2 * * *",
                "2026-10-02T12:00:00Z",
                &[
                    "2026-10-03T02:30:00+10:00",
                    "2026-10-04T03:30:00+11:00",
                    "2026-10-05T02:30:00+11:00",
                    "2026-10-06T02:30:00+11:00",
                ],
            ),
            // 01:30 is untouched.
            (
                "30 1 * * *",
                "2026-10-03T12:00:00Z",
                &["2026-10-04T01:30:00+10:00", "2026-10-05T01:30:00+11:00"],
            ),
            // An hourly job skips nothing and fires nothing twice: 01:00, 03:00 (the skipped 02:00), 04:00.
            (
                "0 * * * *",
                "2026-10-03T14:30:00Z",
                &[
                    "2026-10-04T01:00:00+10:00",
                    "2026-10-04T03:00:00+11:00",
                    "2026-10-04T04:00:00+11:00",
                ],
            ),
        ]);
    }

    #[test]
    fn sydney_fall_back_fires_a_repeated_time_once() {
        // 5 April 2026: at 03:00 AEDT clocks go back to 02:00 AEST. 02:30 happens twice that night.
        check_sydney(&[
            (
                "30 2 * * *",
                "2026-04-03T12:00:00Z",
                &[
                    "2026-04-04T02:30:00+11:00",
                    "2026-04-05T02:30:00+11:00",
                    "2026-04-06T02:30:00+10:00",
                ],
            ),
            // 01:30 is not in the repeated hour: once a day as ever.
            (
                "30 1 * * *",
                "2026-04-04T12:00:00Z",
                &["2026-04-05T01:30:00+11:00", "2026-04-06T01:30:00+10:00"],
            ),
        ]);
        let r = cron("30 2 * * *", Sydney);
        // A tick that handles the first 02:30 late, inside the repeated hour, must not fire the second 02:30.
        let due = utc("2026-04-04T15:30:00Z"); // 02:30 AEDT
        let late = utc("2026-04-04T16:10:00Z"); // 02:10 AEST
        assert_eq!(r.following(due, late).unwrap(), utc("2026-04-05T16:30:00Z"));
        // Created inside the repeated hour after the first 02:30 passed: the second one is still to come.
        assert_eq!(r.first(late).unwrap(), utc("2026-04-04T16:30:00Z"));
    }

    #[test]
    fn every_n_minutes_and_hours_are_real_time_every_n_days_keeps_the_wall_clock() {
        let hours = every(1, IntervalUnit::Hours, Sydney);
        // Across spring forward: one real hour apart, the wall clock jumps.
        assert_eq!(
            series(&hours, "2026-10-03T15:00:00Z", 3),
            [
                "2026-10-04T03:00:00+11:00",
                "2026-10-04T04:00:00+11:00",
                "2026-10-04T05:00:00+11:00"
            ]
        );
        let days = every(1, IntervalUnit::Days, Sydney);
        assert_eq!(
            series(&days, "2026-10-02T23:00:00Z", 3), // 09:00 AEST on 3 October
            [
                "2026-10-04T09:00:00+11:00",
                "2026-10-05T09:00:00+11:00",
                "2026-10-06T09:00:00+11:00"
            ]
        );
        let minutes = every(90, IntervalUnit::Minutes, London);
        assert_eq!(
            minutes.first(utc("2026-01-01T00:00:00.123Z")).unwrap(),
            utc("2026-01-01T01:30:00Z")
        );
    }

    #[test]
    fn following_skips_everything_missed_and_stays_on_the_series() {
        let minutes = every(15, IntervalUnit::Minutes, Sydney);
        let due = utc("2026-01-01T00:00:00Z");
        // Exactly on an occurrence: the next one.
        assert_eq!(
            minutes.following(due, utc("2026-01-01T00:30:00Z")).unwrap(),
            utc("2026-01-01T00:45:00Z")
        );
        assert_eq!(
            minutes.following(due, utc("2026-01-01T00:31:00Z")).unwrap(),
            utc("2026-01-01T00:45:00Z")
        );
        assert_eq!(minutes.following(due, due).unwrap(), utc("2026-01-01T00:15:00Z"));
        // A year down: straight to the first occurrence after now.
        assert_eq!(
            minutes.following(due, utc("2027-01-01T00:01:00Z")).unwrap(),
            utc("2027-01-01T00:15:00Z")
        );
        let days = every(2, IntervalUnit::Days, Sydney);
        assert_eq!(
            days.following(utc("2026-09-30T23:00:00Z"), utc("2026-10-05T00:00:00Z"))
                .unwrap(),
            utc("2026-10-06T22:00:00Z"), // 09:00 AEDT on 7 October
        );
        let cron = cron("*/5 * * * *", Sydney);
        assert_eq!(
            cron.following(utc("2026-01-01T00:00:00Z"), utc("2026-03-01T10:02:00Z"))
                .unwrap(),
            utc("2026-03-01T10:05:00Z")
        );
        assert_eq!(
            cron.following(utc("2026-03-01T10:00:00Z"), utc("2026-03-01T10:12:00Z"))
                .unwrap(),
            utc("2026-03-01T10:15:00Z")
        );
    }
}

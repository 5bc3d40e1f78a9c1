//! The simulated workforce that both HR sources serve: a deterministic generator and the changes made to it.
//!
//! Seeded people are never stored: person `i` is generated from `(seed, i)` whenever it is read, so a 100,000
//! person seed costs nothing until someone is changed. Only added, edited and deleted people take memory.
use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};

/// One employee as the HR sources hold them; each source renders it in its own shape and ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Honorific, such as `Ms` (Employment Hero's `title`).
    pub honorific: Option<String>,
    pub first_name: String,
    pub middle_name: Option<String>,
    pub last_name: String,
    /// What the person goes by (Employment Hero `known_as`, BambooHR `preferredName`).
    pub preferred_name: Option<String>,
    pub work_email: Option<String>,
    pub personal_email: Option<String>,
    pub job_title: Option<String>,
    pub department: Option<String>,
    pub location: Option<String>,
    /// The manager's index in the population.
    pub manager: Option<u32>,
    pub hire_date: NaiveDate,
    pub termination_date: Option<NaiveDate>,
    pub date_of_birth: Option<NaiveDate>,
    /// ISO 3166 alpha-2.
    pub country: String,
    pub employee_number: String,
    pub employing_entity: String,
}

impl Person {
    /// A person with just a name and a start date; the rest can be filled in by the caller.
    pub fn new(first_name: &str, last_name: &str, hire_date: NaiveDate) -> Self {
        Self {
            honorific: None,
            first_name: first_name.to_owned(),
            middle_name: None,
            last_name: last_name.to_owned(),
            preferred_name: None,
            work_email: None,
            personal_email: None,
            job_title: None,
            department: None,
            location: None,
            manager: None,
            hire_date,
            termination_date: None,
            date_of_birth: None,
            country: "AU".into(),
            employee_number: String::new(),
            employing_entity: COMPANY.into(),
        }
    }

    pub fn full_name(&self) -> String {
        format!(
            "{} {}",
            self.preferred_name.as_deref().unwrap_or(&self.first_name),
            self.last_name
        )
    }

    /// Terminated once the termination date has passed; a future date is a leaver who still works here.
    pub fn is_terminated(&self, today: NaiveDate) -> bool {
        self.termination_date.is_some_and(|d| d <= today)
    }
}

pub const COMPANY: &str = "Acme Pty Ltd";
pub const EMAIL_DOMAIN: &str = "acme.example";

/// How to generate a population.
#[derive(Debug, Clone)]
pub struct SeedOptions {
    pub count: u32,
    pub seed: u64,
    /// The day generated dates are relative to (start dates in the past, some leavers, a few future starters).
    /// Fixing it makes the population identical across days.
    pub today: NaiveDate,
}

impl SeedOptions {
    pub fn new(count: u32) -> Self {
        Self {
            count,
            seed: 42,
            today: Utc::now().date_naive(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeAction {
    Inserted,
    Updated,
    Deleted,
}

impl ChangeAction {
    /// As BambooHR's change feed spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inserted => "Inserted",
            Self::Updated => "Updated",
            Self::Deleted => "Deleted",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub action: ChangeAction,
    pub at: DateTime<Utc>,
}

/// The population: generated people plus what was changed since.
#[derive(Debug)]
pub struct Population {
    seed: u64,
    generated: u32,
    today: NaiveDate,
    /// When the generated people were last changed, as far as the change feed is concerned.
    seeded_changed_at: DateTime<Utc>,
    next: u32,
    edited: HashMap<u32, Person>,
    deleted: BTreeSet<u32>,
    changes: HashMap<u32, Change>,
}

impl Population {
    pub fn generate(options: &SeedOptions) -> Self {
        Self {
            seed: options.seed,
            generated: options.count,
            today: options.today,
            // A day before seeding, so a sync that starts after seeding sees no seeded person as changed.
            seeded_changed_at: Utc::now() - Duration::days(1),
            next: options.count,
            edited: HashMap::new(),
            deleted: BTreeSet::new(),
            changes: HashMap::new(),
        }
    }

    pub fn today(&self) -> NaiveDate {
        self.today
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// People that exist (not deleted), terminated ones included.
    pub fn len(&self) -> usize {
        self.next as usize - self.deleted.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether generated people report to `index` (people added later may report to anyone).
    pub fn has_reports(&self, index: u32) -> bool {
        has_reports(index, self.generated)
    }

    pub fn exists(&self, index: u32) -> bool {
        index < self.next && !self.deleted.contains(&index)
    }

    pub fn get(&self, index: u32) -> Option<Person> {
        if !self.exists(index) {
            return None;
        }
        Some(match self.edited.get(&index) {
            Some(person) => person.clone(),
            None => generate(self.seed, self.generated, self.today, index),
        })
    }

    /// Indices of existing people in order.
    pub fn indices(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.next).filter(|i| !self.deleted.contains(i))
    }

    /// The index of the `position`-th existing person (from 0), for paging without walking everyone.
    pub fn nth(&self, position: usize) -> Option<u32> {
        if self.deleted.is_empty() {
            return u32::try_from(position).ok().filter(|p| *p < self.next);
        }
        self.indices().nth(position)
    }

    pub fn add(&mut self, mut person: Person) -> u32 {
        let index = self.next;
        self.next += 1;
        if person.employee_number.is_empty() {
            person.employee_number = employee_number(index);
        }
        self.edited.insert(index, person);
        self.record(index, ChangeAction::Inserted);
        index
    }

    /// Applies `edit` to an existing person; returns the person before and after.
    pub fn update(&mut self, index: u32, edit: impl FnOnce(&mut Person)) -> Option<(Person, Person)> {
        let before = self.get(index)?;
        let mut after = before.clone();
        edit(&mut after);
        if after != before {
            self.edited.insert(index, after.clone());
            self.record(index, ChangeAction::Updated);
        }
        Some((before, after))
    }

    pub fn delete(&mut self, index: u32) -> bool {
        if !self.exists(index) {
            return false;
        }
        self.deleted.insert(index);
        self.edited.remove(&index);
        self.record(index, ChangeAction::Deleted);
        true
    }

    fn record(&mut self, index: u32, action: ChangeAction) {
        // An employee inserted and then edited is still reported as inserted, as a change feed would.
        let action = match (self.changes.get(&index).map(|c| c.action), action) {
            (Some(ChangeAction::Inserted), ChangeAction::Updated) => ChangeAction::Inserted,
            (_, action) => action,
        };
        self.changes.insert(index, Change { action, at: Utc::now() });
    }

    /// When a person (existing or deleted) last changed.
    pub fn last_change(&self, index: u32) -> Option<Change> {
        if let Some(change) = self.changes.get(&index) {
            return Some(*change);
        }
        (index < self.generated).then_some(Change {
            action: ChangeAction::Inserted,
            at: self.seeded_changed_at,
        })
    }

    /// Everyone changed at or after `since`, deleted people included, in index order.
    pub fn changed_since(&self, since: DateTime<Utc>) -> Vec<(u32, Change)> {
        if since > self.seeded_changed_at {
            let mut changed: Vec<_> = self
                .changes
                .iter()
                .filter(|(_, c)| c.at >= since)
                .map(|(i, c)| (*i, *c))
                .collect();
            changed.sort_by_key(|(i, _)| *i);
            return changed;
        }
        (0..self.next)
            .filter_map(|i| self.last_change(i).map(|c| (i, c)))
            .filter(|(_, c)| c.at >= since)
            .collect()
    }
}

pub fn employee_number(index: u32) -> String {
    format!("{:05}", index + 1)
}

/// Each node has at most this many direct reports, which makes a hierarchy about log6(N) deep.
const SPAN: u32 = 6;

pub fn manager_of(index: u32) -> Option<u32> {
    (index > 0).then(|| (index - 1) / SPAN)
}

fn has_reports(index: u32, count: u32) -> bool {
    index.saturating_mul(SPAN).saturating_add(1) < count
}

/// SplitMix64: tiny, fast and deterministic, which is all a name generator needs.
struct Rng(u64);

impl Rng {
    fn for_person(seed: u64, index: u32) -> Self {
        Self(seed ^ (u64::from(index).wrapping_add(1)).wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// True `percent` times in a hundred.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// (first name, what they go by, honorific)
const FIRST_NAMES: &[(&str, Option<&str>, &str)] = &[
    ("Olivia", Some("Liv"), "Ms"),
    ("Charlotte", Some("Charlie"), "Ms"),
    ("Amelia", None, "Ms"),
    ("Isla", None, "Ms"),
    ("Mia", None, "Ms"),
    ("Ava", None, "Ms"),
    ("Grace", None, "Dr"),
    ("Chloe", None, "Ms"),
    ("Matilda", Some("Tilly"), "Ms"),
    ("Harper", None, "Ms"),
    ("Zoe", None, "Ms"),
    ("Ruby", None, "Ms"),
    ("Sienna", None, "Ms"),
    ("Evelyn", Some("Evie"), "Ms"),
    ("Aaliyah", None, "Ms"),
    ("Priya", None, "Dr"),
    ("Mei", None, "Ms"),
    ("Aroha", None, "Ms"),
    ("Fatima", None, "Ms"),
    ("Sofia", None, "Ms"),
    ("Hannah", None, "Ms"),
    ("Lucy", None, "Ms"),
    ("Eleanor", Some("Nell"), "Ms"),
    ("Margaret", Some("Peggy"), "Mrs"),
    ("Katherine", Some("Kate"), "Ms"),
    ("Yuki", None, "Ms"),
    ("Ngaio", None, "Ms"),
    ("Leila", None, "Ms"),
    ("Ananya", None, "Ms"),
    ("Thi", None, "Ms"),
    ("Jessica", Some("Jess"), "Ms"),
    ("Alex", None, "Mx"),
    ("Oliver", Some("Ollie"), "Mr"),
    ("Noah", None, "Mr"),
    ("Jack", None, "Mr"),
    ("William", Some("Will"), "Mr"),
    ("Leo", None, "Mr"),
    ("Lucas", None, "Mr"),
    ("Thomas", Some("Tom"), "Mr"),
    ("Henry", None, "Mr"),
    ("James", Some("Jim"), "Mr"),
    ("Charles", Some("Charlie"), "Mr"),
    ("Mateo", None, "Mr"),
    ("Hugo", None, "Mr"),
    ("Arjun", None, "Dr"),
    ("Wei", None, "Mr"),
    ("Tane", None, "Mr"),
    ("Mohammed", None, "Mr"),
    ("Daniel", Some("Dan"), "Mr"),
    ("Samuel", Some("Sam"), "Mr"),
    ("Benjamin", Some("Ben"), "Mr"),
    ("Ethan", None, "Mr"),
    ("Isaac", None, "Mr"),
    ("Hiroshi", None, "Mr"),
    ("Kai", None, "Mr"),
    ("Liam", None, "Mr"),
    ("Nikolai", Some("Niko"), "Mr"),
    ("Patrick", Some("Paddy"), "Mr"),
    ("Robert", Some("Bob"), "Mr"),
    ("Sebastian", Some("Seb"), "Mr"),
    ("Duc", None, "Mr"),
    ("Jordan", None, "Mx"),
    ("Riley", None, "Mx"),
    ("Sam", None, "Mx"),
];

const LAST_NAMES: &[&str] = &[
    "Smith",
    "Jones",
    "Williams",
    "Brown",
    "Wilson",
    "Taylor",
    "Nguyen",
    "Johnson",
    "Martin",
    "White",
    "Anderson",
    "Walker",
    "Thompson",
    "Harris",
    "Lee",
    "Ryan",
    "Robinson",
    "Kelly",
    "King",
    "Davis",
    "Wright",
    "Evans",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "Patel",
    "Singh",
    "Chen",
    "Wang",
    "Li",
    "Zhang",
    "Tran",
    "Le",
    "Kaur",
    "O'Brien",
    "O'Connor",
    "McDonald",
    "MacKenzie",
    "Murphy",
    "Hughes",
    "Edwards",
    "Mitchell",
    "Campbell",
    "Young",
    "Scott",
    "Stewart",
    "Morris",
    "Cook",
    "Baker",
    "Te Rangi",
    "Ngata",
    "Papadopoulos",
    "Rossi",
    "Kowalski",
    "Müller",
    "García",
    "Fernández",
    "Hamilton",
    "Hopper",
    "Lovelace",
    "Vaughan",
];

/// Level-one managers each run one of these; everyone below them inherits it.
const DEPARTMENTS: &[(&str, &[&str])] = &[
    (
        "Engineering",
        &[
            "Software Engineer",
            "Senior Software Engineer",
            "QA Engineer",
            "Site Reliability Engineer",
            "Data Engineer",
        ],
    ),
    (
        "Sales",
        &[
            "Account Executive",
            "Sales Development Representative",
            "Account Manager",
        ],
    ),
    (
        "Marketing",
        &["Marketing Specialist", "Content Writer", "Product Marketing Manager"],
    ),
    ("Finance", &["Accountant", "Financial Analyst", "Payroll Officer"]),
    (
        "People & Culture",
        &["HR Advisor", "Recruiter", "Learning & Development Specialist"],
    ),
    (
        "Operations",
        &[
            "Operations Coordinator",
            "Customer Support Specialist",
            "Office Manager",
        ],
    ),
];

const LOCATIONS: &[(&str, &str)] = &[
    ("Sydney", "AU"),
    ("Sydney", "AU"),
    ("Melbourne", "AU"),
    ("Melbourne", "AU"),
    ("Brisbane", "AU"),
    ("Perth", "AU"),
    ("Adelaide", "AU"),
    ("Auckland", "NZ"),
    ("Remote", "AU"),
];

const PERSONAL_DOMAINS: &[&str] = &["mail.example", "inbox.example", "post.example"];

fn department_of(index: u32) -> Option<(&'static str, &'static [&'static str])> {
    let mut current = index;
    loop {
        match manager_of(current) {
            None => return None,
            Some(0) => return Some(DEPARTMENTS[((current - 1) as usize) % DEPARTMENTS.len()]),
            Some(manager) => current = manager,
        }
    }
}

fn email_local(first: &str, last: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .filter_map(|c| match c {
                'ü' => Some('u'),
                'í' => Some('i'),
                'á' => Some('a'),
                c if c.is_ascii_alphabetic() => Some(c.to_ascii_lowercase()),
                _ => None,
            })
            .collect()
    };
    format!("{}.{}", clean(first), clean(last))
}

/// Person `index` of a population of `count` generated from `seed`.
pub fn generate(seed: u64, count: u32, today: NaiveDate, index: u32) -> Person {
    let mut rng = Rng::for_person(seed, index);
    // Walk the name grid with a stride coprime to its size, so the first |grid| people all get distinct names
    // that still look shuffled; later rounds add a number to the email.
    let grid = (FIRST_NAMES.len() * LAST_NAMES.len()) as u64;
    let cell = (u64::from(index) * 1597 + seed) % grid;
    let round = u64::from(index) / grid;
    let (first, nickname, honorific) = FIRST_NAMES[(cell % FIRST_NAMES.len() as u64) as usize];
    let last = LAST_NAMES[(cell / FIRST_NAMES.len() as u64) as usize];
    let local = if round == 0 {
        email_local(first, last)
    } else {
        format!("{}{round}", email_local(first, last))
    };

    let manages = has_reports(index, count);
    let department = department_of(index);
    let job_title = match (index, manages, department) {
        (0, _, _) => "Chief Executive Officer".to_owned(),
        (_, true, Some((name, _))) if manager_of(index) == Some(0) => format!("Head of {name}"),
        (_, true, Some((name, _))) => format!("{name} Manager"),
        (_, false, Some((_, titles))) => (*rng.pick(titles)).to_owned(),
        _ => "Generalist".to_owned(),
    };
    let (location, country) = *rng.pick(LOCATIONS);

    let tenure_days = rng.below(3650) as i64 + 30;
    let mut hire_date = today - Duration::days(tenure_days);
    let mut termination_date = None;
    // Managers and the CEO stay, so the hierarchy keeps an active spine; others come and go.
    if index > 0 && !manages {
        let roll = rng.below(100);
        if roll < 6 {
            let gone = rng.below(tenure_days.min(365) as u64) as i64 + 1;
            termination_date = Some(today - Duration::days(gone));
        } else if roll < 7 {
            termination_date = Some(today + Duration::days(rng.below(30) as i64 + 1));
        } else if roll < 9 {
            hire_date = today + Duration::days(rng.below(60) as i64 + 1);
        }
    }
    let work_email = (manages || index == 0 || !rng.chance(3)).then(|| format!("{local}@{EMAIL_DOMAIN}"));
    let personal_email = rng
        .chance(85)
        .then(|| format!("{local}{}@{}", rng.below(90) + 10, rng.pick(PERSONAL_DOMAINS)));
    let middle_name = rng
        .chance(30)
        .then(|| FIRST_NAMES[rng.below(FIRST_NAMES.len() as u64) as usize].0.to_owned());
    let preferred_name = nickname.filter(|_| rng.chance(50)).map(str::to_owned);
    let age_days = 365 * (rng.below(40) as i64 + 21) + rng.below(365) as i64;

    Person {
        honorific: Some(honorific.to_owned()),
        first_name: first.to_owned(),
        middle_name,
        last_name: last.to_owned(),
        preferred_name,
        work_email,
        personal_email,
        job_title: Some(job_title),
        department: Some(department.map_or("Executive", |(name, _)| name).to_owned()),
        location: Some(location.to_owned()),
        manager: manager_of(index),
        hire_date,
        termination_date,
        date_of_birth: Some(today - Duration::days(age_days)),
        country: country.to_owned(),
        employee_number: employee_number(index),
        employing_entity: if country == "NZ" {
            "Acme NZ Limited".to_owned()
        } else {
            COMPANY.to_owned()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(count: u32) -> SeedOptions {
        SeedOptions {
            count,
            seed: 7,
            today: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
        }
    }

    #[test]
    fn generation_is_deterministic_and_realistic() {
        let a = Population::generate(&options(2_000));
        let b = Population::generate(&options(2_000));
        assert_eq!(a.get(1234), b.get(1234));
        let people: Vec<Person> = a.indices().map(|i| a.get(i).unwrap()).collect();
        let today = a.today();
        let emails: BTreeSet<_> = people.iter().filter_map(|p| p.work_email.clone()).collect();
        assert_eq!(
            emails.len(),
            people.iter().filter(|p| p.work_email.is_some()).count(),
            "work emails are unique"
        );
        let terminated = people.iter().filter(|p| p.is_terminated(today)).count();
        assert!((40..=200).contains(&terminated), "some leavers: {terminated}");
        let without_email = people.iter().filter(|p| p.work_email.is_none()).count();
        assert!(
            (10..=120).contains(&without_email),
            "some without email: {without_email}"
        );
        assert!(people.iter().any(|p| p.hire_date > today), "some future starters");
        for (i, p) in people.iter().enumerate().skip(1) {
            let manager = p.manager.unwrap();
            assert!(manager < i as u32);
            assert!(!people[manager as usize].is_terminated(today), "managers stay");
        }
        assert_eq!(people[0].manager, None);
    }

    #[test]
    fn a_large_seed_costs_nothing_until_changed() {
        let mut population = Population::generate(&options(100_000));
        assert_eq!(population.len(), 100_000);
        assert!(population.get(99_999).is_some());
        assert!(population.get(100_000).is_none());
        let since = Utc::now();
        population.update(5, |p| p.job_title = Some("Principal".into()));
        let added = population.add(Person::new("Ada", "Lovelace", population.today()));
        population.delete(7);
        let changed: Vec<_> = population
            .changed_since(since)
            .into_iter()
            .map(|(i, c)| (i, c.action))
            .collect();
        assert_eq!(
            changed,
            vec![
                (5, ChangeAction::Updated),
                (7, ChangeAction::Deleted),
                (added, ChangeAction::Inserted)
            ]
        );
        assert_eq!(population.len(), 100_000);
        assert_eq!(population.nth(7), Some(8), "paging skips the deleted");
    }
}

//! The sandbox account: two users, three interviews, a template library, languages, and the
//! text bank simulated candidates answer from.

use chrono::Utc;

use super::model::{Category, Interview, Language, Question, Role, Template, User};
use crate::keys::{hex_key, seeded_key};

/// The demo account owner's API key (admin: sees every interview).
/// The organisation both demo users belong to.
pub const DEMO_ORGANISATION: &str = "Acme Recruiting";

pub const ADMIN_API_KEY: &str = "5a4d1b0e9c3f47e2b8a61d0c7e9f2a3b";
/// A standard user's key: sees only that user's own interview.
pub const STANDARD_API_KEY: &str = "c0ffee00c0ffee00c0ffee00c0ffee00";

pub fn users() -> Vec<User> {
    vec![
        User {
            key: seeded_key("user-admin"),
            api_key: ADMIN_API_KEY.into(),
            name: "Alex Morgan".into(),
            role: Role::Admin,
            organisation: DEMO_ORGANISATION.into(),
        },
        User {
            key: seeded_key("user-standard"),
            api_key: STANDARD_API_KEY.into(),
            name: "Sam Patel".into(),
            role: Role::Standard,
            organisation: DEMO_ORGANISATION.into(),
        },
    ]
}

fn question(seed: &str, order: u32, kind: &str, prompt: &str) -> Question {
    let timed = matches!(kind, "video" | "audio");
    Question {
        key: seeded_key(&format!("{seed}-q{order}")),
        order,
        kind: kind.into(),
        prompt: prompt.into(),
        max_duration: timed.then_some(120),
        thinking_time: timed.then_some(30),
        max_retakes: timed.then_some(2),
        options: if kind == "multiple_choice" {
            vec![
                "Immediately".into(),
                "Within a month".into(),
                "In two to three months".into(),
            ]
        } else {
            Vec::new()
        },
    }
}

pub fn interviews(users: &[User]) -> Vec<Interview> {
    let owner = |i: usize| users.get(i).map(|u| u.key.clone()).unwrap_or_default();
    let make = |seed: &str,
                title: &str,
                department: &str,
                owner: String,
                questions: Vec<Question>| Interview {
        key: seeded_key(seed),
        title: title.into(),
        description: format!("{title}: a short one-way interview. Answer in your own time."),
        department: department.into(),
        language: "en".into(),
        questions,
        created: Utc::now(),
        owner,
    };
    vec![
        make(
            "interview-cs",
            "Customer Success Associate: screening",
            "Customer Success",
            owner(0),
            vec![
                question(
                    "interview-cs",
                    1,
                    "video",
                    "Tell us about yourself and why this role.",
                ),
                question(
                    "interview-cs",
                    2,
                    "video",
                    "Describe a time you turned an unhappy customer around.",
                ),
                question(
                    "interview-cs",
                    3,
                    "text",
                    "Which tools have you used to manage customer conversations?",
                ),
                question(
                    "interview-cs",
                    4,
                    "multiple_choice",
                    "When could you start?",
                ),
            ],
        ),
        make(
            "interview-be",
            "Backend Engineer: async screen",
            "Engineering",
            owner(0),
            vec![
                question(
                    "interview-be",
                    1,
                    "video",
                    "Walk us through a system you designed and what you would change.",
                ),
                question(
                    "interview-be",
                    2,
                    "audio",
                    "How do you make a flaky integration reliable?",
                ),
                question(
                    "interview-be",
                    3,
                    "text",
                    "Link to code you are proud of, and say why.",
                ),
            ],
        ),
        make(
            "interview-sdr",
            "Sales Development Rep: first round",
            "Sales",
            owner(1),
            vec![
                question(
                    "interview-sdr",
                    1,
                    "video",
                    "Pitch us a product you love in one minute.",
                ),
                question(
                    "interview-sdr",
                    2,
                    "audio",
                    "How do you handle a prospect who says no?",
                ),
            ],
        ),
    ]
}

pub fn categories() -> Vec<Category> {
    ["Customer facing", "Technical"]
        .iter()
        .map(|name| Category {
            key: seeded_key(&format!("category-{name}")),
            name: (*name).into(),
        })
        .collect()
}

pub fn templates(categories: &[Category]) -> Vec<Template> {
    let category = |i: usize| categories.get(i).map(|c| c.key.clone()).unwrap_or_default();
    let make = |seed: &str, name: &str, category: String, questions: Vec<Question>| Template {
        key: seeded_key(seed),
        name: name.into(),
        category,
        description: format!("A ready-made {name} interview."),
        language: "en".into(),
        questions,
    };
    vec![
        make(
            "template-support",
            "Support specialist",
            category(0),
            vec![
                question(
                    "template-support",
                    1,
                    "video",
                    "Why do you enjoy helping people?",
                ),
                question(
                    "template-support",
                    2,
                    "text",
                    "How would you reply to an angry email?",
                ),
            ],
        ),
        make(
            "template-retail",
            "Retail associate",
            category(0),
            vec![question(
                "template-retail",
                1,
                "video",
                "Tell us about a busy day at work.",
            )],
        ),
        make(
            "template-graduate",
            "Graduate engineer",
            category(1),
            vec![
                question(
                    "template-graduate",
                    1,
                    "video",
                    "What did you build at university?",
                ),
                question(
                    "template-graduate",
                    2,
                    "audio",
                    "Explain recursion to a ten-year-old.",
                ),
            ],
        ),
        make(
            "template-data",
            "Data analyst",
            category(1),
            vec![question(
                "template-data",
                1,
                "text",
                "Which metric would you watch first in a new business, and why?",
            )],
        ),
    ]
}

pub fn languages() -> Vec<Language> {
    [
        ("en", "English"),
        ("fr", "French"),
        ("de", "German"),
        ("es", "Spanish"),
        ("nl", "Dutch"),
        ("pt", "Portuguese"),
    ]
    .iter()
    .map(|(code, name)| Language {
        code: (*code).into(),
        name: (*name).into(),
    })
    .collect()
}

/// Lines a simulated candidate says; a transcript is a few of them.
pub const SPOKEN_LINES: [&str; 10] = [
    "Thanks for having me, I'm really excited about this role.",
    "In my last job I looked after about forty accounts at once.",
    "The key for me is listening first and only then proposing a fix.",
    "We cut our response time in half by writing clear runbooks.",
    "I like measuring things, so I set up a simple weekly dashboard.",
    "When something breaks I write down what happened and why.",
    "I learned the most from a project that did not go to plan.",
    "My colleagues would say I am calm under pressure.",
    "I'd love to grow into a team lead role over the next two years.",
    "That's my answer, thank you for your time.",
];

pub const WRITTEN_ANSWERS: [&str; 4] = [
    "Mostly Zendesk and Intercom, plus a shared spreadsheet for escalations.",
    "I keep a small list of open-source fixes; the one I like best removed a race in a job queue.",
    "I'd acknowledge the problem, say what I'll do and by when, then follow up the same day.",
    "Retention: it tells you whether what you sell keeps its promise.",
];

pub const SUMMARIES: [&str; 3] = [
    "Confident, structured communicator with relevant customer-facing experience. Gives concrete examples and numbers; could say more about handling conflict.",
    "Strong technical depth and a calm, methodical approach to failures. Answers were concise; motivation for the role came through clearly.",
    "Energetic and persuasive. Good listening skills in the objection-handling answer; the pitch ran a little long.",
];

/// A stable pseudo-random pick, so the same participant always gets the same answers. (FNV-1a
/// over the seed, then a 64-bit finaliser, so nearby salts land on unrelated lines.)
pub fn pick<'a>(bank: &'a [&'a str], seed: &str, salt: u32) -> &'a str {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ u64::from(salt).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    for b in seed.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    let index = usize::try_from(h % bank.len() as u64).unwrap_or(0);
    bank.get(index).copied().unwrap_or_default()
}

/// A fresh random key for something created at run time.
pub fn new_key() -> String {
    hex_key(rand::random())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_are_stable_and_vary_with_the_salt() {
        assert_eq!(pick(&SPOKEN_LINES, "abc", 1), pick(&SPOKEN_LINES, "abc", 1));
        let lines: std::collections::HashSet<&str> = (0..40)
            .map(|salt| pick(&SPOKEN_LINES, "abc", salt))
            .collect();
        assert!(
            lines.len() >= 6,
            "forty salts reach most of the bank: {}",
            lines.len()
        );
        let q1: Vec<&str> = (10..13).map(|s| pick(&SPOKEN_LINES, "abc", s)).collect();
        let q2: Vec<&str> = (20..23).map(|s| pick(&SPOKEN_LINES, "abc", s)).collect();
        assert_ne!(q1, q2, "different questions get different transcripts");
    }
}

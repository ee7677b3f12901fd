//! Fuzzy search over glossary terms, lessons and modules, with a typo fallback.
//!
//! Ranking is tiered so the order is predictable: an exact name beats a name prefix, which beats an
//! exact alias, a fuzzy name match, a fuzzy alias match, a near-miss typo, and last a fuzzy match in
//! the summary. fuzzy-matcher only finds subsequences ("quorm" in "quorum"), so transpositions such
//! as "qourum" or "shrading" are caught by a Damerau–Levenshtein comparison instead.

use fuzzy_matcher::skim::SkimMatcherV2;
use fuzzy_matcher::FuzzyMatcher;

use crate::content::Content;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    Term(usize),
    Lesson(usize),
    Module(usize),
    /// Index into the lab registry.
    Lab(usize),
    /// A module's quiz questions (module index).
    Quiz(usize),
}

impl Target {
    pub fn kind(self) -> &'static str {
        match self {
            Target::Term(_) => "term",
            Target::Lesson(_) => "lesson",
            Target::Module(_) => "module",
            Target::Lab(_) => "lab",
            Target::Quiz(_) => "quiz",
        }
    }
}

struct Entry {
    target: Target,
    name: String,
    name_lower: String,
    aliases_lower: Vec<String>,
    summary_lower: String,
}

/// One result: what it points at, its score and which characters of its name matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub target: Target,
    pub score: i64,
    /// Char indices into the entry's name that matched the query (for highlighting).
    pub name_matches: Vec<usize>,
}

pub struct SearchIndex {
    entries: Vec<Entry>,
    by_target: std::collections::HashMap<Target, usize>,
    matcher: SkimMatcherV2,
}

const EXACT_NAME: i64 = 10_000;
const NAME_PREFIX: i64 = 8_000;
const EXACT_ALIAS: i64 = 7_000;
const FUZZY_NAME: i64 = 4_000;
const FUZZY_ALIAS: i64 = 3_000;
const TYPO: i64 = 2_500;
/// How many of the best hits get their matched characters worked out.
const HIGHLIGHTED: usize = 80;
/// Fuzzy scores are capped below the gap between tiers so a tier is never overtaken.
const FUZZY_CAP: i64 = 999;

impl SearchIndex {
    /// The glossary: terms only, listed alphabetically when the query is empty.
    pub fn terms(content: &Content) -> SearchIndex {
        let mut entries: Vec<Entry> = content
            .terms
            .iter()
            .enumerate()
            .map(|(i, t)| entry(Target::Term(i), &t.name, &t.aliases, &t.summary))
            .collect();
        entries.sort_by(|a, b| a.name_lower.cmp(&b.name_lower));
        SearchIndex::from_entries(entries)
    }

    /// "Go to anything": modules, lessons and terms.
    pub fn everything(content: &Content) -> SearchIndex {
        let mut entries = Vec::new();
        for (i, m) in content.modules.iter().enumerate() {
            entries.push(entry(
                Target::Module(i),
                &m.title,
                std::slice::from_ref(&m.id),
                &m.summary,
            ));
        }
        for (i, l) in content.lessons.iter().enumerate() {
            // A lesson is found by its title and summary; its id would only repeat the title.
            entries.push(entry(Target::Lesson(i), &l.title, &[], &l.summary));
        }
        for (i, lab) in crate::engines::lab::registry().iter().enumerate() {
            entries.push(entry(
                Target::Lab(i),
                lab.title,
                &[lab.id.to_string(), "lab".into()],
                lab.summary,
            ));
        }
        for (i, m) in content.modules.iter().enumerate() {
            if content.questions.iter().any(|q| q.module == m.id) {
                let name = format!("Quiz: {}", m.title);
                entries.push(entry(Target::Quiz(i), &name, &["quiz".into()], &m.summary));
            }
        }
        let mut terms = SearchIndex::terms(content).entries;
        entries.append(&mut terms);
        SearchIndex::from_entries(entries)
    }

    fn from_entries(entries: Vec<Entry>) -> SearchIndex {
        let by_target = entries.iter().enumerate().map(|(i, e)| (e.target, i)).collect();
        SearchIndex {
            entries,
            by_target,
            matcher: SkimMatcherV2::default().ignore_case(),
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn name(&self, target: Target) -> Option<&str> {
        self.by_target.get(&target).map(|&i| self.entries[i].name.as_str())
    }

    /// Best hits first, at most `limit`. An empty query lists entries in their natural order.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        let query = query.trim().to_lowercase();
        if query.is_empty() {
            return self
                .entries
                .iter()
                .take(limit)
                .map(|e| Hit {
                    target: e.target,
                    score: 0,
                    name_matches: vec![],
                })
                .collect();
        }
        let mut scored: Vec<(i64, usize, bool)> = Vec::new();
        for (i, e) in self.entries.iter().enumerate() {
            if let Some((score, on_name)) = self.score(e, &query) {
                scored.push((score, i, on_name));
            }
        }
        scored.sort_by(|a, b| {
            b.0.cmp(&a.0)
                .then_with(|| self.entries[a.1].name.len().cmp(&self.entries[b.1].name.len()))
                .then_with(|| kind_rank(self.entries[a.1].target).cmp(&kind_rank(self.entries[b.1].target)))
                .then_with(|| self.entries[a.1].name_lower.cmp(&self.entries[b.1].name_lower))
        });
        scored
            .into_iter()
            .take(limit)
            .enumerate()
            .map(|(rank, (score, i, on_name))| {
                let e = &self.entries[i];
                // Highlights are for the rows a screen can show; the rest of a long list skips
                // the costlier index-finding pass.
                let name_matches = if on_name && rank < HIGHLIGHTED {
                    self.matcher
                        .fuzzy_indices(&e.name, &query)
                        .map(|(_, idx)| idx)
                        .unwrap_or_default()
                } else {
                    vec![]
                };
                Hit {
                    target: e.target,
                    score,
                    name_matches,
                }
            })
            .collect()
    }

    /// The entry's score for `query` (lowercase) and whether the name itself matched.
    fn score(&self, e: &Entry, query: &str) -> Option<(i64, bool)> {
        if e.name_lower == query {
            return Some((EXACT_NAME, true));
        }
        if e.name_lower.starts_with(query) {
            return Some((NAME_PREFIX - e.name_lower.len() as i64, true));
        }
        if e.aliases_lower.iter().any(|a| a == query) {
            return Some((EXACT_ALIAS, false));
        }
        if let Some(s) = self.fuzzy(&e.name_lower, query) {
            return Some((FUZZY_NAME + s, true));
        }
        let alias = e.aliases_lower.iter().filter_map(|a| self.fuzzy(a, query)).max();
        if let Some(s) = alias {
            return Some((FUZZY_ALIAS + s, false));
        }
        if let Some(d) = typo_distance(e, query) {
            return Some((TYPO - 300 * d as i64, false));
        }
        // In a summary, a long query is read as words: each word of it must appear whole before
        // the fuzzy scorer runs (fuzzy-matching 18 letters against every summary is slow and
        // finds noise).
        let words_present = || {
            query
                .split_whitespace()
                .all(|w| w.len() < 3 || e.summary_lower.contains(w))
        };
        if query.chars().count() >= 3 && (query.len() <= 8 || words_present()) {
            if let Some(s) = self.fuzzy(&e.summary_lower, query) {
                // Scattered letters across a long summary are noise; ask for a decent match.
                if s >= 12 * query.chars().count() as i64 {
                    return Some((s, false));
                }
            }
        }
        None
    }

    fn fuzzy(&self, haystack: &str, query: &str) -> Option<i64> {
        if !is_subsequence(query, haystack) {
            return None;
        }
        self.matcher.fuzzy_match(haystack, query).map(|s| s.min(FUZZY_CAP))
    }
}

/// On a tie the glossary entry comes first: it is the definition; then lessons, modules, labs.
fn kind_rank(target: Target) -> u8 {
    match target {
        Target::Term(_) => 0,
        Target::Lesson(_) => 1,
        Target::Module(_) => 2,
        Target::Lab(_) => 3,
        Target::Quiz(_) => 4,
    }
}

fn entry(target: Target, name: &str, aliases: &[String], summary: &str) -> Entry {
    Entry {
        target,
        name: name.to_string(),
        name_lower: name.to_lowercase(),
        aliases_lower: aliases.iter().map(|a| a.to_lowercase()).collect(),
        summary_lower: summary.to_lowercase(),
    }
}

/// Cheap test that every character of `needle` occurs in order in `hay` (both lowercase), so
/// the fuzzy matcher only runs where it can match.
fn is_subsequence(needle: &str, hay: &str) -> bool {
    let mut hay = hay.chars();
    needle
        .chars()
        .filter(|c| !c.is_whitespace())
        .all(|n| hay.any(|h| h == n))
}

/// Smallest edit distance (with transpositions) between the query and the entry's name, a word
/// of it, an alias, or the name's prefix of the query's length, when it is a plausible typo.
fn typo_distance(e: &Entry, query: &str) -> Option<usize> {
    let len = query.chars().count();
    if len < 4 {
        return None;
    }
    let allowed = if len <= 5 { 1 } else { 2 };
    let prefix = match e.name_lower.char_indices().nth(len) {
        Some((at, _)) => &e.name_lower[..at],
        None => e.name_lower.as_str(),
    };
    let query_bag = letter_bag(query);
    let words = e
        .name_lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() >= 3);
    std::iter::once(e.name_lower.as_str())
        .chain(std::iter::once(prefix))
        .chain(words)
        .chain(e.aliases_lower.iter().map(String::as_str))
        // Cheap lower bounds first, so the O(n·m) edit distance runs only where it can pass:
        // lengths further apart than the allowance, or letter counts too different (each edit
        // changes the counts by at most 2), cannot be within it.
        .filter(|candidate| candidate.chars().count().abs_diff(len) <= allowed)
        .filter(|candidate| bag_distance(&query_bag, &letter_bag(candidate)) <= 2 * allowed)
        .map(|candidate| strsim::damerau_levenshtein(query, candidate))
        .min()
        .filter(|&d| d <= allowed)
}

/// How many times each ASCII letter and digit occurs.
fn letter_bag(text: &str) -> [u8; 36] {
    let mut bag = [0u8; 36];
    for b in text.bytes() {
        let slot = match b {
            b'a'..=b'z' => b - b'a',
            b'0'..=b'9' => 26 + b - b'0',
            _ => continue,
        };
        bag[usize::from(slot)] = bag[usize::from(slot)].saturating_add(1);
    }
    bag
}

fn bag_distance(a: &[u8; 36], b: &[u8; 36]) -> usize {
    a.iter().zip(b).map(|(x, y)| usize::from(x.abs_diff(*y))).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(items: &[(&str, &[&str], &str)]) -> SearchIndex {
        let entries = items
            .iter()
            .enumerate()
            .map(|(i, (n, a, s))| {
                let aliases: Vec<String> = a.iter().map(|x| x.to_string()).collect();
                entry(Target::Term(i), n, &aliases, s)
            })
            .collect();
        SearchIndex::from_entries(entries)
    }

    fn names(idx: &SearchIndex, q: &str) -> Vec<String> {
        idx.search(q, 10)
            .iter()
            .map(|h| idx.name(h.target).unwrap().to_string())
            .collect()
    }

    #[test]
    fn exact_name_beats_alias_beats_fuzzy_summary() {
        let idx = index(&[
            ("Cache hit", &[], "a request served by the cache"),
            ("Write-through", &["cache"], "writes go to the cache and the store"),
            ("Cache", &[], "a fast copy of data"),
            ("Eviction", &[], "removing entries from a full cache"),
        ]);
        let got = names(&idx, "cache");
        assert_eq!(got[0], "Cache");
        assert_eq!(got[1], "Cache hit");
        assert_eq!(got[2], "Write-through");
        assert_eq!(got[3], "Eviction");
    }

    #[test]
    fn typos_find_the_term() {
        let idx = index(&[
            ("Read quorum", &[], "replicas a read waits for"),
            ("Quorum", &["majority"], "the minimum number of votes"),
            ("Sharding", &["partitioning"], "splitting data across machines"),
            ("Sharded counter", &[], "a counter spread over shards"),
        ]);
        assert_eq!(names(&idx, "quorm")[0], "Quorum");
        assert_eq!(names(&idx, "qourum")[0], "Quorum");
        assert_eq!(names(&idx, "shrading")[0], "Sharding");
    }

    #[test]
    fn name_matches_are_reported_for_highlighting() {
        let idx = index(&[("Quorum", &[], "")]);
        let hit = &idx.search("qrm", 1)[0];
        assert_eq!(hit.name_matches, vec![0, 3, 5]);
    }

    #[test]
    fn empty_query_lists_everything_in_order() {
        let idx = index(&[("A", &[], ""), ("B", &[], "")]);
        assert_eq!(names(&idx, ""), vec!["A", "B"]);
    }

    #[test]
    fn unrelated_queries_find_nothing() {
        let idx = index(&[("Quorum", &[], "votes")]);
        assert!(idx.search("zzzz", 10).is_empty());
    }
}

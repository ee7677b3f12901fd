//! Fuzzy search over glossary terms, lessons and modules, with a typo fallback and a full-text tier.
//!
//! Ranking is tiered so the order is predictable: an exact name beats a name prefix, which beats an
//! exact alias, a fuzzy name match, a fuzzy alias match and a near-miss typo. fuzzy-matcher only
//! finds subsequences ("quorm" in "quorum"), so transpositions such as "qourum" or "shrading" are
//! caught by a Damerau–Levenshtein comparison instead, allowed more edits the longer the query.
//!
//! Below every name comes the text tier: entries whose summary or body contains each word of the
//! query (whole, or as the start of a word while it is being typed). These hits are marked
//! `mention`, so a screen can say "no term named paxos, but these mention it" instead of passing
//! a scattered-letter match in some summary off as the answer.

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
    /// The distinct lowercase words of the summary, and of the body, sorted for prefix lookup.
    summary_words: Vec<String>,
    body_words: Vec<String>,
}

/// One result: what it points at, its score and which characters of its name matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub target: Target,
    pub score: i64,
    /// Char indices into the entry's name that matched the query (for highlighting).
    pub name_matches: Vec<usize>,
    /// Only the entry's text (summary or body) mentions the query, not its name or aliases.
    pub mention: bool,
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
/// The text tier stays below the worst typo (`TYPO` minus two edits).
const TEXT: i64 = 900;
/// Query words shorter than this are skipped by the text tier: two letters start too many words.
const TEXT_MIN_WORD: usize = 3;
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
            .map(|(i, t)| entry(Target::Term(i), &t.name, &t.aliases, &t.summary, &t.body))
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
                "",
            ));
        }
        for (i, l) in content.lessons.iter().enumerate() {
            // A lesson is found by its title and summary; its id would only repeat the title.
            entries.push(entry(Target::Lesson(i), &l.title, &[], &l.summary, ""));
        }
        for (i, lab) in crate::engines::lab::registry().iter().enumerate() {
            entries.push(entry(
                Target::Lab(i),
                lab.title,
                &[lab.id.to_string(), "lab".into()],
                lab.summary,
                "",
            ));
        }
        for (i, m) in content.modules.iter().enumerate() {
            if content.questions.iter().any(|q| q.module == m.id) {
                let name = format!("Quiz: {}", m.title);
                entries.push(entry(Target::Quiz(i), &name, &["quiz".into()], &m.summary, ""));
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

    /// Best hits first, at most `limit`: name and alias matches, then the text tier (marked
    /// `mention`). An empty query lists entries in their natural order.
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
                    mention: false,
                })
                .collect();
        }
        let words: Vec<&str> = query
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= TEXT_MIN_WORD)
            .collect();
        // (score, entry, whether the name matched, whether only the text did)
        let mut scored: Vec<(i64, usize, bool, bool)> = Vec::new();
        for (i, e) in self.entries.iter().enumerate() {
            if let Some((score, on_name)) = self.score(e, &query) {
                scored.push((score, i, on_name, false));
            } else if let Some(score) = text_score(e, &words) {
                scored.push((score, i, false, true));
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
            .map(|(rank, (score, i, on_name, mention))| {
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
                    mention,
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
        None
    }

    fn fuzzy(&self, haystack: &str, query: &str) -> Option<i64> {
        if !is_subsequence(query, haystack) {
            return None;
        }
        let (score, at) = self.matcher.fuzzy_indices(haystack, query)?;
        compact(haystack, &at).then(|| score.min(FUZZY_CAP))
    }
}

/// Whether matched characters (char indices into `haystack`) read as the query rather than as
/// letters picked out of unrelated words: they lie within twice the query's length, or each
/// starts a word or follows the previous match (initials and word starts: "lb" in "load
/// balancing", "vnode" in "virtual nodes"). "stampede" spread over "timestamp-based conflict
/// resolution" is neither.
fn compact(haystack: &str, at: &[usize]) -> bool {
    let (Some(first), Some(last)) = (at.first(), at.last()) else {
        return false;
    };
    if last - first < 2 * at.len() {
        return true;
    }
    let chars: Vec<char> = haystack.chars().collect();
    let word_start = |i: usize| i == 0 || !chars[i - 1].is_alphanumeric();
    at.iter()
        .enumerate()
        .all(|(k, &i)| word_start(i) || (k > 0 && at[k - 1] + 1 == i))
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

fn entry(target: Target, name: &str, aliases: &[String], summary: &str, body: &str) -> Entry {
    Entry {
        target,
        name: name.to_string(),
        name_lower: name.to_lowercase(),
        aliases_lower: aliases.iter().map(|a| a.to_lowercase()).collect(),
        summary_words: distinct_words(summary),
        body_words: distinct_words(body),
    }
}

/// The distinct lowercase words of `text`, sorted. Markdown punctuation (backticks, link
/// targets' brackets) splits words like any other non-letter.
fn distinct_words(text: &str) -> Vec<String> {
    let mut words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    words.sort_unstable();
    words.dedup();
    words
}

/// Whether `word` is one of `words` (Some(true)) or starts one of them (Some(false)).
fn find_word(words: &[String], word: &str) -> Option<bool> {
    let at = words.partition_point(|w| w.as_str() < word);
    let next = words.get(at)?;
    if next == word {
        Some(true)
    } else {
        next.starts_with(word).then_some(false)
    }
}

/// The text tier: every query word (of `TEXT_MIN_WORD` letters or more) is in the summary or the
/// body. A summary mention ranks above a body one, and whole words above word starts.
fn text_score(e: &Entry, words: &[&str]) -> Option<i64> {
    if words.is_empty() {
        return None;
    }
    let (mut in_summary, mut whole) = (true, true);
    for w in words {
        match (find_word(&e.summary_words, w), find_word(&e.body_words, w)) {
            (Some(s), b) => whole &= s || b == Some(true),
            (None, Some(b)) => {
                in_summary = false;
                whole &= b;
            }
            (None, None) => return None,
        }
    }
    Some(TEXT + 60 * i64::from(in_summary) + 30 * i64::from(whole))
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

/// Edits a typo of a query this long may have: none below four letters (three letters are one
/// edit from hundreds of words), one up to seven, two from eight. A fixed allowance let a
/// five-letter word sit one edit from a four-letter name it shares no sense with.
fn typo_allowance(len: usize) -> usize {
    match len {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// Smallest edit distance (with transpositions) between the query and the entry's name, a word
/// of it, an alias, or the name's prefix of the query's length, when it is a plausible typo
/// (within the query's allowance).
fn typo_distance(e: &Entry, query: &str) -> Option<usize> {
    let len = query.chars().count();
    let allowed = typo_allowance(len);
    if allowed == 0 {
        return None;
    }
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
        let with_bodies: Vec<_> = items.iter().map(|&(n, a, s)| (n, a, s, "")).collect();
        index_with_bodies(&with_bodies)
    }

    fn index_with_bodies(items: &[(&str, &[&str], &str, &str)]) -> SearchIndex {
        let entries = items
            .iter()
            .enumerate()
            .map(|(i, (n, a, s, b))| {
                let aliases: Vec<String> = a.iter().map(|x| x.to_string()).collect();
                entry(Target::Term(i), n, &aliases, s, b)
            })
            .collect();
        SearchIndex::from_entries(entries)
    }

    /// The hits that name the query (not the text-tier mentions).
    fn named(idx: &SearchIndex, q: &str) -> Vec<String> {
        idx.search(q, 10)
            .iter()
            .filter(|h| !h.mention)
            .map(|h| idx.name(h.target).unwrap().to_string())
            .collect()
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
        let hits = idx.search("cache", 10);
        assert!(hits[3].mention, "a summary mention is marked");
        assert!(hits[..3].iter().all(|h| !h.mention));
    }

    /// Scattered letters in a summary are not a match: "paxos" is p(lain) a x(t) o(bjects)
    /// s(trings) in JSON's summary, and "zipf" is (g)zip … (be)f(ore) in Response compression's.
    /// Both were once the best answer. (The real summaries and aliases.)
    #[test]
    fn scattered_letters_in_a_summary_are_not_a_match() {
        let idx = index(&[
            (
                "JSON",
                &["JavaScript Object Notation", "application/json"],
                "A plain-text format for structured data (objects, arrays, strings, numbers) and the usual body of web API requests and responses.",
            ),
            (
                "Response compression",
                &["gzip", "Brotli", "HTTP compression", "content encoding"],
                "Compressing HTTP responses (gzip, Brotli) before sending them to cut bandwidth and transfer time for text content.",
            ),
        ]);
        assert!(idx.search("paxos", 10).is_empty(), "{:?}", names(&idx, "paxos"));
        assert!(idx.search("zipf", 10).is_empty(), "{:?}", names(&idx, "zipf"));
        // The words themselves still find their terms through the text tier.
        assert_eq!(names(&idx, "structured"), vec!["JSON"]);
        assert_eq!(
            names(&idx, "bandwid"),
            vec!["Response compression"],
            "a word being typed"
        );
    }

    /// A fuzzy match must read as the query: close together, or on word starts.
    #[test]
    fn fuzzy_matches_spread_over_unrelated_words_do_not_count() {
        let idx = index(&[
            ("Last-write-wins", &["timestamp-based conflict resolution"], ""),
            ("At-least-once delivery", &[], ""),
            ("Load balancing", &[], ""),
            ("Virtual nodes", &[], ""),
            ("Quorum", &[], ""),
        ]);
        assert!(named(&idx, "stampede").is_empty(), "{:?}", named(&idx, "stampede"));
        assert!(named(&idx, "leader").is_empty(), "{:?}", named(&idx, "leader"));
        assert_eq!(named(&idx, "lb"), vec!["Load balancing"], "initials");
        assert_eq!(named(&idx, "vnode"), vec!["Virtual nodes"], "word starts");
        assert_eq!(named(&idx, "qrm"), vec!["Quorum"], "close together");
    }

    #[test]
    fn the_typo_allowance_grows_with_the_query() {
        assert_eq!(typo_allowance(3), 0);
        assert_eq!(typo_allowance(5), 1);
        assert_eq!(typo_allowance(7), 1);
        assert_eq!(typo_allowance(8), 2);
        let idx = index(&[("Cache", &[], ""), ("Replication", &[], "")]);
        assert_eq!(named(&idx, "cahce"), vec!["Cache"], "one transposition in five letters");
        assert!(
            named(&idx, "cxhxe").is_empty(),
            "two edits in five letters is another word"
        );
        assert_eq!(named(&idx, "replicatoin"), vec!["Replication"]);
        assert_eq!(
            named(&idx, "relpicatoin"),
            vec!["Replication"],
            "two edits in eleven letters"
        );
        // Six letters once allowed two edits, so "crafty" found Raft (drop c, drop y).
        let idx = index(&[("Raft", &[], "")]);
        assert!(named(&idx, "crafty").is_empty());
    }

    #[test]
    fn bodies_that_mention_the_query_come_after_every_name() {
        let idx = index_with_bodies(&[
            (
                "Quorum",
                &[],
                "the minimum number of votes",
                "Paxos and Raft both wait for a majority.",
            ),
            (
                "Leader election",
                &[],
                "how a cluster picks a leader",
                "Raft elects a leader; Paxos need not.",
            ),
            (
                "Consensus",
                &[],
                "agreeing on one value; Paxos is the classic algorithm",
                "Nodes agree.",
            ),
            ("Pacing", &[], "spacing requests out", "No mention here."),
        ]);
        let hits = idx.search("paxos", 10);
        let got: Vec<(&str, bool)> = hits.iter().map(|h| (idx.name(h.target).unwrap(), h.mention)).collect();
        assert_eq!(
            got,
            vec![("Consensus", true), ("Quorum", true), ("Leader election", true)],
            "all mentions, the summary one first"
        );
        // Every word must be there, whole or as a word's start.
        assert_eq!(names(&idx, "raft lead"), vec!["Leader election"]);
        assert!(idx.search("paxos zookeeper", 10).is_empty());
        // A name match still leads and is not marked.
        let hits = idx.search("quorum", 10);
        assert!(!hits[0].mention);
        assert_eq!(idx.name(hits[0].target), Some("Quorum"));
    }

    #[test]
    fn two_letter_words_do_not_search_the_text() {
        let idx = index_with_bodies(&[("Quorum", &[], "", "an odd number of nodes")]);
        assert!(idx.search("of", 10).is_empty());
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

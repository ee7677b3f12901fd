//! Kafka's own placement rules, reproduced bit for bit: the default partitioner (murmur2 of the
//! key bytes, masked positive, mod the partition count) and the two classic consumer-group
//! assignors (range and round-robin). The lab and the lessons show what Kafka really does, so
//! these must agree with Kafka's client, not merely resemble it.

use std::collections::BTreeMap;
use std::fmt;

/// Kafka's `Utils.murmur2`: MurmurHash2 (32-bit) with seed 0x9747b28c, read little-endian in
/// 4-byte blocks, returned as Java's signed int.
pub fn murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let len = data.len();
    // Java computes `seed ^ length` on ints: the length wraps to 32 bits.
    let mut h: u32 = SEED ^ (len as u32);
    let mut blocks = data.chunks_exact(4);
    for b in &mut blocks {
        let mut k = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        // Java's switch falls through from case 3 to case 1.
        if tail.len() == 3 {
            h ^= u32::from(tail[2]) << 16;
        }
        if tail.len() >= 2 {
            h ^= u32::from(tail[1]) << 8;
        }
        h ^= u32::from(tail[0]);
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// Kafka's `Utils.toPositive`: clears the sign bit (not `abs`, which overflows on MIN_VALUE).
pub fn to_positive(x: i32) -> i32 {
    x & 0x7fff_ffff
}

/// The partition Kafka's default partitioner gives a keyed record
/// (`BuiltInPartitioner.partitionForKey`).
pub fn partition_for_key(key: &[u8], partitions: u32) -> u32 {
    debug_assert!(partitions > 0);
    to_positive(murmur2(key)) as u32 % partitions
}

/// A topic's partition, printed as Kafka prints a `TopicPartition`: `topic-partition`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: u32,
}

impl fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

/// The two assignors of Kafka's classic consumer-group protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Assignor {
    /// `org.apache.kafka.clients.consumer.RangeAssignor`, the consumer's long-time default.
    #[default]
    Range,
    /// `org.apache.kafka.clients.consumer.RoundRobinAssignor`.
    RoundRobin,
}

impl Assignor {
    pub fn parse(text: &str) -> Result<Assignor, String> {
        match text {
            "range" => Ok(Assignor::Range),
            "roundrobin" | "round-robin" => Ok(Assignor::RoundRobin),
            other => Err(format!("unknown assignor {other:?}: use range or roundrobin")),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Assignor::Range => "range",
            Assignor::RoundRobin => "roundrobin",
        }
    }
}

/// A group member and the topics it subscribes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    pub topics: Vec<String>,
}

/// Partitions per member id, each list sorted by (topic, partition). Every member appears, idle
/// ones with an empty list.
pub type Assignment = BTreeMap<String, Vec<TopicPartition>>;

/// Assigns the partitions of `topics` (name → partition count) to `members` as Kafka's assignor
/// does. Members are ordered by id (string order, as Kafka sorts member ids).
pub fn assign(assignor: Assignor, topics: &BTreeMap<String, u32>, members: &[Member]) -> Assignment {
    let mut out: Assignment = members.iter().map(|m| (m.id.clone(), Vec::new())).collect();
    match assignor {
        Assignor::Range => {
            // Per topic: the subscribed members in id order, the partitions in order; each gets
            // P / C consecutive partitions and the first P mod C get one more.
            for (topic, &count) in topics {
                let mut subs: Vec<&str> = members
                    .iter()
                    .filter(|m| m.topics.iter().any(|t| t == topic))
                    .map(|m| m.id.as_str())
                    .collect();
                subs.sort_unstable();
                subs.dedup();
                if subs.is_empty() {
                    continue;
                }
                let c = subs.len() as u32;
                let (per, extra) = (count / c, count % c);
                for (i, id) in subs.iter().enumerate() {
                    let i = i as u32;
                    let start = per * i + i.min(extra);
                    let len = per + u32::from(i < extra);
                    if let Some(list) = out.get_mut(*id) {
                        list.extend((start..start + len).map(|p| TopicPartition {
                            topic: topic.clone(),
                            partition: p,
                        }));
                    }
                }
            }
        }
        Assignor::RoundRobin => {
            // Every topic-partition in (topic, partition) order, dealt to the members in id
            // order round a circle, skipping members not subscribed to that topic.
            let mut ids: Vec<&Member> = members.iter().collect();
            ids.sort_by(|a, b| a.id.cmp(&b.id));
            ids.dedup_by(|a, b| a.id == b.id);
            if ids.is_empty() {
                return out;
            }
            let mut next = 0usize;
            for (topic, &count) in topics {
                if !ids.iter().any(|m| m.topics.iter().any(|t| t == topic)) {
                    continue;
                }
                for p in 0..count {
                    while !ids[next % ids.len()].topics.iter().any(|t| t == topic) {
                        next += 1;
                    }
                    let id = &ids[next % ids.len()].id;
                    next += 1;
                    if let Some(list) = out.get_mut(id) {
                        list.push(TopicPartition {
                            topic: topic.clone(),
                            partition: p,
                        });
                    }
                }
            }
        }
    }
    for list in out.values_mut() {
        list.sort();
    }
    out
}

/// `t0:3,t1:3` → topic name → partition count.
pub fn parse_topics(text: &str) -> Result<BTreeMap<String, u32>, String> {
    let mut topics = BTreeMap::new();
    for part in text.split(',').map(str::trim) {
        let bad = || format!("topic {part:?}: write NAME:PARTITIONS, e.g. t0:3,t1:3");
        let (name, count) = part.split_once(':').ok_or_else(bad)?;
        let count: u32 = count.trim().parse().map_err(|_| bad())?;
        let name = name.trim();
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(bad());
        }
        if !(1..=10_000).contains(&count) {
            return Err(format!("topic {name}: give 1 to 10000 partitions (got {count})"));
        }
        if topics.insert(name.to_string(), count).is_some() {
            return Err(format!("topic {name} is listed twice"));
        }
    }
    Ok(topics)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(ids: &[&str], topics: &[&str]) -> Vec<Member> {
        ids.iter()
            .map(|id| Member {
                id: id.to_string(),
                topics: topics.iter().map(|t| t.to_string()).collect(),
            })
            .collect()
    }

    fn names(a: &Assignment, id: &str) -> Vec<String> {
        a[id].iter().map(ToString::to_string).collect()
    }

    /// Kafka's `UtilsTest.testMurmur2` (clients/src/test/java/org/apache/kafka/common/utils/
    /// UtilsTest.java): byte arrays and the signed ints `Utils.murmur2` returns for them.
    #[test]
    fn murmur2_matches_kafkas_own_test_vectors() {
        let cases: [(&[u8], i32); 6] = [
            (b"21", -973_932_308),
            (b"foobar", -790_332_482),
            (b"a-little-bit-long-string", -985_981_536),
            (b"a-little-bit-longer-string", -1_486_304_829),
            (b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58_897_971),
            (b"abc", 479_470_107),
        ];
        for (data, want) in cases {
            assert_eq!(murmur2(data), want, "{:?}", String::from_utf8_lossy(data));
        }
    }

    /// Values Akka's Kafka-compatible sharding allocator checks against the Java client
    /// (akka-cluster-sharding-typed, Murmur2Spec): every tail length 1..=5.
    #[test]
    fn murmur2_covers_every_tail_length() {
        for (key, want) in [
            ("1", -1_993_445_489),
            ("12", 126_087_238),
            ("123", -267_702_483),
            ("1234", -1_614_185_708),
            ("12345", -1_188_365_604),
        ] {
            assert_eq!(murmur2(key.as_bytes()), want, "{key}");
        }
    }

    #[test]
    fn to_positive_masks_the_sign_bit() {
        assert_eq!(to_positive(-1), i32::MAX);
        assert_eq!(to_positive(i32::MIN), 0);
        assert_eq!(to_positive(-973_932_308), -973_932_308 & 0x7fff_ffff);
        // "21" hashes to -973932308; masked that is 1173551340, and 1173551340 mod 3 = 0.
        assert_eq!(partition_for_key(b"21", 3), 1_173_551_340 % 3);
    }

    /// The RangeAssignor javadoc's example: two consumers C0, C1 subscribed to t0 and t1 of three
    /// partitions each.
    #[test]
    fn range_assignor_matches_its_javadoc_example() {
        let topics = parse_topics("t0:3,t1:3").unwrap();
        let a = assign(Assignor::Range, &topics, &members(&["C0", "C1"], &["t0", "t1"]));
        assert_eq!(names(&a, "C0"), ["t0-0", "t0-1", "t1-0", "t1-1"]);
        assert_eq!(names(&a, "C1"), ["t0-2", "t1-2"]);
    }

    /// The RoundRobinAssignor javadoc's first example (same subscriptions as above).
    #[test]
    fn roundrobin_assignor_matches_its_javadoc_example() {
        let topics = parse_topics("t0:3,t1:3").unwrap();
        let a = assign(Assignor::RoundRobin, &topics, &members(&["C0", "C1"], &["t0", "t1"]));
        assert_eq!(names(&a, "C0"), ["t0-0", "t0-2", "t1-1"]);
        assert_eq!(names(&a, "C1"), ["t0-1", "t1-0", "t1-2"]);
    }

    /// The RoundRobinAssignor javadoc's second example: C0 subscribes to t0; C1 to t0, t1; C2 to
    /// t0, t1, t2, where t0, t1, t2 have 1, 2 and 3 partitions.
    #[test]
    fn roundrobin_skips_members_not_subscribed() {
        let topics = parse_topics("t0:1,t1:2,t2:3").unwrap();
        let ms = vec![
            members(&["C0"], &["t0"]).remove(0),
            members(&["C1"], &["t0", "t1"]).remove(0),
            members(&["C2"], &["t0", "t1", "t2"]).remove(0),
        ];
        let a = assign(Assignor::RoundRobin, &topics, &ms);
        assert_eq!(names(&a, "C0"), ["t0-0"]);
        assert_eq!(names(&a, "C1"), ["t1-0"]);
        assert_eq!(names(&a, "C2"), ["t1-1", "t2-0", "t2-1", "t2-2"]);
    }

    #[test]
    fn more_consumers_than_partitions_leaves_one_idle() {
        let topics = parse_topics("orders:3").unwrap();
        for assignor in [Assignor::Range, Assignor::RoundRobin] {
            let a = assign(assignor, &topics, &members(&["c1", "c2", "c3", "c4"], &["orders"]));
            assert!(a["c4"].is_empty(), "{assignor:?}");
            assert_eq!(a.values().map(Vec::len).sum::<usize>(), 3);
        }
    }

    #[test]
    fn member_ids_sort_as_strings() {
        // Kafka sorts member ids lexicographically: c10 comes before c2.
        let topics = parse_topics("t:3").unwrap();
        let a = assign(Assignor::Range, &topics, &members(&["c2", "c10", "c1"], &["t"]));
        assert_eq!(names(&a, "c1"), ["t-0"]);
        assert_eq!(names(&a, "c10"), ["t-1"]);
        assert_eq!(names(&a, "c2"), ["t-2"]);
    }

    #[test]
    fn malformed_topics_are_refused_in_words() {
        for bad in ["t0", "t0:x", "t0:0", ":3", "t0:3,t0:2", ""] {
            assert!(parse_topics(bad).is_err(), "{bad:?}");
        }
        assert!(Assignor::parse("sticky").unwrap_err().contains("range or roundrobin"));
    }
}

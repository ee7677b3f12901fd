//! One cache node: a fixed number of slots holding catalog items, an eviction policy, and
//! optional TTLs.
//!
//! Every request is O(1) (O(log C) for the two LFU policies) and allocates nothing: items are
//! catalog indices, so the key → slot map is a plain array over the catalog, and the recency
//! order is an intrusive doubly-linked list threaded through the slot arrays. LFU keeps an
//! indexed min-heap of slots ordered by (count, last use), so ties evict the least recently used.

use serde::{Deserialize, Serialize};

use crate::engines::sim::{Micros, SimRng};
use rand::RngExt;

/// Marks "no slot" / "no neighbour" in the index arrays.
const NONE: u32 = u32::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Policy {
    /// Evict the least recently used item.
    #[default]
    Lru,
    /// Evict the least frequently used item, counting uses only while it is cached.
    Lfu,
    /// Evict the item with the fewest uses ever (counts survive eviction: "perfect LFU").
    LfuGlobal,
    /// Evict the oldest insertion, whatever its use since.
    Fifo,
    /// Evict a slot chosen uniformly at random.
    Random,
}

impl Policy {
    pub const ALL: [Policy; 5] = [
        Policy::Lru,
        Policy::Lfu,
        Policy::LfuGlobal,
        Policy::Fifo,
        Policy::Random,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Policy::Lru => "lru",
            Policy::Lfu => "lfu",
            Policy::LfuGlobal => "lfu-global",
            Policy::Fifo => "fifo",
            Policy::Random => "random",
        }
    }

    pub fn parse(s: &str) -> Result<Policy, String> {
        Policy::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| format!("unknown policy {s:?}: use lru, lfu, lfu-global, fifo or random"))
    }

    fn uses_heap(self) -> bool {
        matches!(self, Policy::Lfu | Policy::LfuGlobal)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TtlMode {
    /// The entry expires a fixed time after it was written; reads do not extend it.
    #[default]
    Write,
    /// The entry expires a fixed time after its last read or write.
    Access,
}

impl TtlMode {
    pub fn name(self) -> &'static str {
        match self {
            TtlMode::Write => "write",
            TtlMode::Access => "access",
        }
    }

    pub fn parse(s: &str) -> Result<TtlMode, String> {
        match s {
            "write" => Ok(TtlMode::Write),
            "access" => Ok(TtlMode::Access),
            _ => Err(format!(
                "unknown TTL mode {s:?}: use write (expire after write) or access (expire after access)"
            )),
        }
    }
}

/// What a lookup found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// Cached, with the version of the value it holds.
    Hit(u64),
    Miss,
    /// It was cached but its TTL had run out; it is gone now.
    Expired,
}

/// An item pushed out to make room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Evicted {
    pub item: u32,
    /// It held a write the database has not seen yet (write-back).
    pub dirty: bool,
    /// The version it held (what a write-back flushes on eviction).
    pub version: u64,
}

/// A slot as a view draws it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SlotView {
    pub item: u32,
    /// Recency rank (0 = most recent; FIFO: 0 = newest) or use count (LFU policies).
    pub mark: u64,
    pub dirty: bool,
    pub version: u64,
    /// When the entry expires, if it has a TTL.
    pub expires_at: Option<Micros>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StoreStats {
    pub hits: u64,
    pub misses: u64,
    pub evictions: u64,
    pub expirations: u64,
}

#[derive(Debug, Clone)]
pub struct Store {
    policy: Policy,
    capacity: usize,
    ttl: Option<(Micros, TtlMode)>,
    /// Per catalog item: its slot, or NONE.
    slot_of: Vec<u32>,
    /// Per slot: the item it holds (meaningful only while the slot is in use).
    item: Vec<u32>,
    version: Vec<u64>,
    dirty: Vec<bool>,
    expires: Vec<Micros>,
    /// Slots ever used; slots below this that are free sit on `free`.
    used: u32,
    free: Vec<u32>,
    len: usize,
    /// LRU / FIFO order: head is the most recent (LRU) or newest (FIFO).
    prev: Vec<u32>,
    next: Vec<u32>,
    head: u32,
    tail: u32,
    /// LFU: a min-heap of slots by (count, stamp), and each slot's place in it.
    heap: Vec<u32>,
    heap_pos: Vec<u32>,
    count: Vec<u64>,
    stamp: Vec<u64>,
    /// LFU with global counts: every item's uses ever.
    global: Vec<u64>,
    clock: u64,
    rng: SimRng,
    pub stats: StoreStats,
}

impl Store {
    /// A cache of `capacity` items over a catalog of `catalog` items (item ids `0..catalog`).
    pub fn new(policy: Policy, capacity: usize, catalog: usize, ttl: Option<(Micros, TtlMode)>, seed: u64) -> Store {
        // More slots than items could never fill; a capacity above the catalog is "unbounded".
        let slots = capacity.min(catalog).max(1);
        let heap = policy.uses_heap();
        Store {
            policy,
            capacity: slots,
            ttl,
            slot_of: vec![NONE; catalog],
            item: vec![NONE; slots],
            version: vec![0; slots],
            dirty: vec![false; slots],
            expires: vec![Micros::MAX; slots],
            used: 0,
            free: Vec::with_capacity(slots),
            len: 0,
            prev: if heap { Vec::new() } else { vec![NONE; slots] },
            next: if heap { Vec::new() } else { vec![NONE; slots] },
            head: NONE,
            tail: NONE,
            heap: if heap { Vec::with_capacity(slots) } else { Vec::new() },
            heap_pos: if heap { vec![NONE; slots] } else { Vec::new() },
            count: if heap { vec![0; slots] } else { Vec::new() },
            stamp: if heap { vec![0; slots] } else { Vec::new() },
            global: if policy == Policy::LfuGlobal {
                vec![0; catalog]
            } else {
                Vec::new()
            },
            clock: 0,
            rng: crate::engines::sim::rng(seed),
            stats: StoreStats::default(),
        }
    }

    pub fn policy(&self) -> Policy {
        self.policy
    }
    pub fn capacity(&self) -> usize {
        self.capacity
    }
    pub fn catalog(&self) -> usize {
        self.slot_of.len()
    }
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    pub fn ttl(&self) -> Option<(Micros, TtlMode)> {
        self.ttl
    }
    pub fn contains(&self, item: u32) -> bool {
        self.find(item) != NONE
    }

    /// The slot holding `item`, or NONE. The index is cleared lazily: an evicted item's entry
    /// still names its old slot, which now holds another item, so the check against
    /// `self.item` rejects it. That saves a cache miss on the catalog-sized array per eviction.
    fn find(&self, item: u32) -> u32 {
        let slot = self.slot_of[item as usize];
        if slot != NONE && self.item[slot as usize] == item {
            slot
        } else {
            NONE
        }
    }

    /// Looks an item up at time `now`, counting a hit or a miss and updating its recency or
    /// frequency. An expired entry is removed (expiry is lazy, as in most caches: the entry
    /// holds its slot until it is read or evicted).
    pub fn get(&mut self, item: u32, now: Micros) -> Lookup {
        self.clock += 1;
        if self.policy == Policy::LfuGlobal {
            self.global[item as usize] += 1;
        }
        let slot = self.find(item);
        if slot == NONE {
            self.stats.misses += 1;
            return Lookup::Miss;
        }
        let s = slot as usize;
        if now >= self.expires[s] {
            self.remove_slot(slot);
            self.stats.expirations += 1;
            self.stats.misses += 1;
            return Lookup::Expired;
        }
        self.stats.hits += 1;
        if let Some((ttl, TtlMode::Access)) = self.ttl {
            self.expires[s] = now.saturating_add(ttl);
        }
        match self.policy {
            Policy::Lru => self.move_to_front(slot),
            Policy::Lfu => {
                self.count[s] += 1;
                self.stamp[s] = self.clock;
                self.sift_down(self.heap_pos[s] as usize);
            }
            Policy::LfuGlobal => {
                self.count[s] = self.global[item as usize];
                self.stamp[s] = self.clock;
                self.sift_down(self.heap_pos[s] as usize);
            }
            Policy::Fifo | Policy::Random => {}
        }
        Lookup::Hit(self.version[s])
    }

    /// Stores `version` of an item (a fill after a miss, or a write). Returns what was evicted
    /// to make room. Rewriting a cached item restarts its TTL and keeps its place otherwise.
    pub fn put(&mut self, item: u32, version: u64, dirty: bool, now: Micros) -> Option<Evicted> {
        let expires = self.ttl.map_or(Micros::MAX, |(ttl, _)| now.saturating_add(ttl));
        let existing = self.find(item);
        if existing != NONE {
            let s = existing as usize;
            self.version[s] = version;
            self.dirty[s] |= dirty;
            self.expires[s] = expires;
            return None;
        }
        let mut evicted = None;
        if self.len == self.capacity {
            let victim = self.victim();
            let s = victim as usize;
            evicted = Some(Evicted {
                item: self.item[s],
                dirty: self.dirty[s],
                version: self.version[s],
            });
            self.remove_slot(victim);
            self.stats.evictions += 1;
        }
        let slot = self.free.pop().unwrap_or_else(|| {
            self.used += 1;
            self.used - 1
        });
        let s = slot as usize;
        self.slot_of[item as usize] = slot;
        self.item[s] = item;
        self.version[s] = version;
        self.dirty[s] = dirty;
        self.expires[s] = expires;
        self.len += 1;
        match self.policy {
            Policy::Lru | Policy::Fifo => self.push_front(slot),
            Policy::Lfu | Policy::LfuGlobal => {
                self.count[s] = if self.policy == Policy::Lfu {
                    1
                } else {
                    self.global[item as usize]
                };
                self.stamp[s] = self.clock;
                self.heap_pos[s] = self.heap.len() as u32;
                self.heap.push(slot);
                self.sift_up(self.heap.len() - 1);
            }
            Policy::Random => {}
        }
        evicted
    }

    /// A read through the cache: a hit, or a miss that fills the slot (cache-aside with the
    /// database always answering version 0). Returns whether it hit.
    pub fn request(&mut self, item: u32, now: Micros) -> bool {
        match self.get(item, now) {
            Lookup::Hit(_) => true,
            Lookup::Miss | Lookup::Expired => {
                self.put(item, 0, false, now);
                false
            }
        }
    }

    /// Every cached entry as (item, version, dirty), in slot order: O(capacity) with no
    /// allocation, for counts a view needs every frame.
    pub fn entries(&self) -> impl Iterator<Item = (u32, u64, bool)> + '_ {
        (0..self.used as usize)
            .filter(|&s| self.item[s] != NONE)
            .map(|s| (self.item[s], self.version[s], self.dirty[s]))
    }

    /// The version and dirty flag of a cached item, without counting a use or expiring it.
    pub fn peek(&self, item: u32) -> Option<(u64, bool)> {
        let slot = self.find(item);
        (slot != NONE).then(|| (self.version[slot as usize], self.dirty[slot as usize]))
    }

    /// When a cached item expires (None: not cached, or no TTL).
    pub fn expires_at(&self, item: u32) -> Option<Micros> {
        let slot = self.find(item);
        (slot != NONE && self.expires[slot as usize] != Micros::MAX).then(|| self.expires[slot as usize])
    }

    /// Drops an item (an invalidation). Returns whether it was cached and whether it was dirty.
    pub fn remove(&mut self, item: u32) -> Option<bool> {
        let slot = self.find(item);
        if slot == NONE {
            return None;
        }
        let dirty = self.dirty[slot as usize];
        self.remove_slot(slot);
        Some(dirty)
    }

    /// Marks a cached item clean (its write reached the database).
    pub fn mark_clean(&mut self, item: u32) {
        let slot = self.find(item);
        if slot != NONE {
            self.dirty[slot as usize] = false;
        }
    }

    /// Empties the cache (a crash or restart). Returns the dirty items lost with it.
    pub fn clear(&mut self) -> Vec<u32> {
        let lost = self.slots().filter(|v| v.dirty).map(|v| v.item).collect();
        let catalog = self.catalog();
        let global = std::mem::take(&mut self.global);
        let stats = self.stats;
        *self = Store::new(self.policy, self.capacity, catalog, self.ttl, self.rng.random());
        if self.policy == Policy::LfuGlobal {
            self.global = global;
        }
        self.stats = stats;
        lost
    }

    /// The cached slots in policy order (most recent first, newest first, or fewest uses
    /// first), for drawing; allocates, so not for the request path.
    pub fn slots(&self) -> impl Iterator<Item = SlotView> + '_ {
        let mut order: Vec<u32> = Vec::with_capacity(self.len);
        if self.policy.uses_heap() {
            order.extend(self.heap.iter().copied());
            order.sort_by_key(|&s| (self.count[s as usize], self.stamp[s as usize]));
        } else if self.policy == Policy::Random {
            order.extend((0..self.used).filter(|&s| self.item[s as usize] != NONE));
        } else {
            let mut s = self.head;
            while s != NONE {
                order.push(s);
                s = self.next[s as usize];
            }
        }
        order.into_iter().enumerate().map(move |(rank, slot)| {
            let s = slot as usize;
            SlotView {
                item: self.item[s],
                mark: if self.policy.uses_heap() {
                    self.count[s]
                } else {
                    rank as u64
                },
                dirty: self.dirty[s],
                version: self.version[s],
                expires_at: (self.expires[s] != Micros::MAX).then_some(self.expires[s]),
            }
        })
    }

    fn victim(&mut self) -> u32 {
        match self.policy {
            Policy::Lru | Policy::Fifo => self.tail,
            Policy::Lfu | Policy::LfuGlobal => self.heap[0],
            // The cache is full, so every slot below `capacity` is in use.
            Policy::Random => self.rng.random_range(0..self.capacity as u32),
        }
    }

    fn remove_slot(&mut self, slot: u32) {
        let s = slot as usize;
        // A free slot holds no item, so no stale index entry can match it.
        self.item[s] = NONE;
        match self.policy {
            Policy::Lru | Policy::Fifo => self.unlink(slot),
            Policy::Lfu | Policy::LfuGlobal => {
                let i = self.heap_pos[s] as usize;
                let last = self.heap.len() - 1;
                self.heap.swap(i, last);
                self.heap_pos[self.heap[i] as usize] = i as u32;
                self.heap.pop();
                self.heap_pos[s] = NONE;
                if i < self.heap.len() {
                    self.sift_up(i);
                    self.sift_down(i);
                }
            }
            Policy::Random => {}
        }
        self.dirty[s] = false;
        self.expires[s] = Micros::MAX;
        self.free.push(slot);
        self.len -= 1;
    }

    fn push_front(&mut self, slot: u32) {
        let s = slot as usize;
        self.prev[s] = NONE;
        self.next[s] = self.head;
        if self.head != NONE {
            self.prev[self.head as usize] = slot;
        } else {
            self.tail = slot;
        }
        self.head = slot;
    }

    fn unlink(&mut self, slot: u32) {
        let s = slot as usize;
        let (p, n) = (self.prev[s], self.next[s]);
        if p != NONE {
            self.next[p as usize] = n;
        } else {
            self.head = n;
        }
        if n != NONE {
            self.prev[n as usize] = p;
        } else {
            self.tail = p;
        }
    }

    fn move_to_front(&mut self, slot: u32) {
        if self.head != slot {
            self.unlink(slot);
            self.push_front(slot);
        }
    }

    fn key(&self, slot: u32) -> (u64, u64) {
        (self.count[slot as usize], self.stamp[slot as usize])
    }

    fn sift_up(&mut self, mut i: usize) {
        while i > 0 {
            let parent = (i - 1) / 2;
            if self.key(self.heap[i]) >= self.key(self.heap[parent]) {
                break;
            }
            self.swap_heap(i, parent);
            i = parent;
        }
    }

    fn sift_down(&mut self, mut i: usize) {
        let n = self.heap.len();
        loop {
            let (l, r) = (2 * i + 1, 2 * i + 2);
            let mut least = i;
            if l < n && self.key(self.heap[l]) < self.key(self.heap[least]) {
                least = l;
            }
            if r < n && self.key(self.heap[r]) < self.key(self.heap[least]) {
                least = r;
            }
            if least == i {
                break;
            }
            self.swap_heap(i, least);
            i = least;
        }
    }

    fn swap_heap(&mut self, a: usize, b: usize) {
        self.heap.swap(a, b);
        self.heap_pos[self.heap[a] as usize] = a as u32;
        self.heap_pos[self.heap[b] as usize] = b as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(store: &Store) -> Vec<u32> {
        store.slots().map(|s| s.item).collect()
    }

    #[test]
    fn lru_evicts_the_least_recently_used() {
        let mut c = Store::new(Policy::Lru, 3, 10, None, 1);
        for i in [1, 2, 3] {
            assert!(!c.request(i, 0));
        }
        assert!(c.request(1, 0));
        c.request(4, 0); // evicts 2, the least recent
        assert_eq!(items(&c), [4, 1, 3]);
        assert!(!c.contains(2));
        assert_eq!(c.stats.evictions, 1);
    }

    #[test]
    fn fifo_ignores_hits() {
        let mut c = Store::new(Policy::Fifo, 3, 10, None, 1);
        for i in [1, 2, 3, 1] {
            c.request(i, 0);
        }
        c.request(4, 0); // evicts 1, the oldest insertion, although it was just used
        assert_eq!(items(&c), [4, 3, 2]);
    }

    #[test]
    fn lfu_counts_only_while_cached_but_global_counts_remember() {
        // 1 is used three times, pushed out by newcomers, then comes back once.
        let seq = [1, 1, 1, 2, 2, 2, 2, 3, 4, 1];
        let mut lfu = Store::new(Policy::Lfu, 2, 10, None, 1);
        let mut global = Store::new(Policy::LfuGlobal, 2, 10, None, 1);
        for i in seq {
            lfu.request(i, 0);
            global.request(i, 0);
        }
        let marks = |c: &Store| -> Vec<(u32, u64)> { c.slots().map(|s| (s.item, s.mark)).collect() };
        // In-cache LFU forgot 1's early uses; global LFU kept them.
        assert_eq!(marks(&lfu), [(1, 1), (2, 4)]);
        assert_eq!(marks(&global), [(2, 4), (1, 4)]);
    }

    #[test]
    fn ties_in_lfu_evict_the_least_recent() {
        let mut c = Store::new(Policy::Lfu, 2, 10, None, 1);
        c.request(1, 0);
        c.request(2, 0);
        c.request(3, 0); // 1 and 2 both used once: 1 is older
        assert!(!c.contains(1) && c.contains(2) && c.contains(3));
    }

    #[test]
    fn random_eviction_keeps_the_cache_full_and_consistent() {
        let mut c = Store::new(Policy::Random, 50, 1000, None, 9);
        let mut rng = crate::engines::sim::rng(3);
        for _ in 0..20_000 {
            c.request(rng.random_range(0..1000), 0);
        }
        assert_eq!(c.len(), 50);
        let cached: Vec<u32> = items(&c);
        assert_eq!(cached.len(), 50);
        assert_eq!((0..1000).filter(|&i| c.contains(i)).count(), 50);
    }

    #[test]
    fn expire_after_write_is_not_extended_by_reads() {
        let mut c = Store::new(Policy::Lru, 10, 10, Some((100, TtlMode::Write)), 1);
        c.request(1, 0);
        assert!(c.request(1, 99));
        assert_eq!(c.get(1, 100), Lookup::Expired);
        assert_eq!(c.stats.expirations, 1);
        let mut a = Store::new(Policy::Lru, 10, 10, Some((100, TtlMode::Access)), 1);
        a.request(1, 0);
        assert!(a.request(1, 99));
        assert!(a.request(1, 198), "the read at 99 moved the expiry to 199");
        assert_eq!(a.get(1, 298), Lookup::Expired);
    }

    #[test]
    fn removal_from_the_middle_keeps_every_structure_consistent() {
        for policy in Policy::ALL {
            let mut c = Store::new(policy, 8, 100, None, 5);
            let mut rng = crate::engines::sim::rng(11);
            for step in 0..5_000u32 {
                let item = rng.random_range(0..30);
                if step % 7 == 0 {
                    c.remove(item);
                } else {
                    c.request(item, 0);
                }
                assert!(c.len() <= 8);
                let listed = items(&c);
                assert_eq!(listed.len(), c.len(), "{policy:?}");
                assert!(listed.iter().all(|&i| c.contains(i)), "{policy:?}");
            }
        }
    }

    #[test]
    fn a_crash_loses_the_dirty_entries() {
        let mut c = Store::new(Policy::Lru, 4, 10, None, 1);
        c.put(1, 1, true, 0);
        c.put(2, 1, false, 0);
        c.put(3, 2, true, 0);
        c.mark_clean(3);
        assert_eq!(c.clear(), vec![1]);
        assert!(c.is_empty());
    }
}

//! A persistent (immutable, structure-sharing) ordered map: the core of the frozen-value pattern.
//!
//! [`FrozenMap`] is a path-copying AVL tree whose nodes are shared through [`Arc`]. A map is
//! never changed after it is built: [`FrozenMap::insert`], [`FrozenMap::remove`] and
//! [`FrozenMap::merge`] return a *new* map that copies only the O(log n) nodes on the path to
//! the change and shares every other node with the old map. Because no node is ever written
//! after it is published, any number of threads can read any number of versions with no lock,
//! no atomic other than the `Arc` reference counts, and no way to observe a half-done update.
//!
//! Invariants (checked by `check_invariants` in the tests below):
//! * in-order traversal yields strictly increasing keys (so iteration is sorted, deterministic);
//! * every node's `height` is `1 + max(child heights)` and the two child heights differ by ≤ 1
//!   (AVL balance, so depth ≤ 1.44·log2(n+2): recursion and the iterator's stack stay small);
//! * every node's `len` is the number of entries in its subtree, so `len()` is O(1);
//! * a node reachable from a published map is never mutated (there is no `&mut Node` anywhere
//!   in this file: nodes are only built by `make_node`), hence old versions never change.
//!
//! Why not the `rpds` crate (checked: 1.2.1, persistent HAMT / RB-tree, MPL-2.0, pointer kind
//! chosen through `archery`)? It would work, but (1) it takes its `Arc` from `archery`, bypassing
//! the crate's sync shim, (2) its MPL-2.0 file-level copyleft is one more licence in an
//! MIT/Apache crate, and (3) the ~200 lines here are the pattern being taught: path copying
//! *is* the immutability guarantee, and it is short enough to read and to property-test.
//!
//! The map is generic over keys and values; the Python binding (`src/py/frozen.rs`) uses
//! `String` keys and `Arc<Py<PyAny>>` values (cloning a value clones an `Arc`, never touches a
//! Python reference count and never needs the interpreter).

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;

use crate::sync::Arc;

type Link<K, V> = Option<Arc<Node<K, V>>>;

struct Node<K, V> {
    key: K,
    value: V,
    left: Link<K, V>,
    right: Link<K, V>,
    /// AVL height of this subtree (a leaf has height 1). u8 suffices: height ≤ 1.44·log2(n+2).
    height: u8,
    /// Number of entries in this subtree.
    len: usize,
}

fn height<K, V>(link: &Link<K, V>) -> u8 {
    link.as_ref().map_or(0, |n| n.height)
}

fn subtree_len<K, V>(link: &Link<K, V>) -> usize {
    link.as_ref().map_or(0, |n| n.len)
}

/// The only constructor of nodes: a fresh node, never aliased until it is returned.
fn make_node<K, V>(key: K, value: V, left: Link<K, V>, right: Link<K, V>) -> Arc<Node<K, V>> {
    let height = 1 + height(&left).max(height(&right));
    let len = 1 + subtree_len(&left) + subtree_len(&right);
    Arc::new(Node {
        key,
        value,
        left,
        right,
        height,
        len,
    })
}

/// Builds a node over `left` and `right` whose heights differ by at most 2, rotating (by
/// building new nodes; the old ones stay untouched) so the result is AVL-balanced.
fn balance<K: Clone, V: Clone>(
    key: K,
    value: V,
    left: Link<K, V>,
    right: Link<K, V>,
) -> Arc<Node<K, V>> {
    let (hl, hr) = (height(&left), height(&right));
    if hl > hr + 1 {
        let l = left.as_ref().expect("left is taller, so it exists");
        if height(&l.left) >= height(&l.right) {
            // Single right rotation.
            let new_right = make_node(key, value, l.right.clone(), right);
            make_node(
                l.key.clone(),
                l.value.clone(),
                l.left.clone(),
                Some(new_right),
            )
        } else {
            // Left-right double rotation.
            let lr = l
                .right
                .as_ref()
                .expect("left-right is taller, so it exists");
            let new_left = make_node(
                l.key.clone(),
                l.value.clone(),
                l.left.clone(),
                lr.left.clone(),
            );
            let new_right = make_node(key, value, lr.right.clone(), right);
            make_node(
                lr.key.clone(),
                lr.value.clone(),
                Some(new_left),
                Some(new_right),
            )
        }
    } else if hr > hl + 1 {
        let r = right.as_ref().expect("right is taller, so it exists");
        if height(&r.right) >= height(&r.left) {
            // Single left rotation.
            let new_left = make_node(key, value, left, r.left.clone());
            make_node(
                r.key.clone(),
                r.value.clone(),
                Some(new_left),
                r.right.clone(),
            )
        } else {
            // Right-left double rotation.
            let rl = r.left.as_ref().expect("right-left is taller, so it exists");
            let new_left = make_node(key, value, left, rl.left.clone());
            let new_right = make_node(
                r.key.clone(),
                r.value.clone(),
                rl.right.clone(),
                r.right.clone(),
            );
            make_node(
                rl.key.clone(),
                rl.value.clone(),
                Some(new_left),
                Some(new_right),
            )
        }
    } else {
        make_node(key, value, left, right)
    }
}

/// Path-copying insert: returns the new subtree root and whether the key was new.
fn insert_node<K: Ord + Clone, V: Clone>(
    link: &Link<K, V>,
    key: K,
    value: V,
) -> (Arc<Node<K, V>>, bool) {
    match link {
        None => (make_node(key, value, None, None), true),
        Some(n) => match key.cmp(&n.key) {
            Ordering::Less => {
                let (left, added) = insert_node(&n.left, key, value);
                let node = balance(n.key.clone(), n.value.clone(), Some(left), n.right.clone());
                (node, added)
            }
            Ordering::Greater => {
                let (right, added) = insert_node(&n.right, key, value);
                let node = balance(n.key.clone(), n.value.clone(), n.left.clone(), Some(right));
                (node, added)
            }
            Ordering::Equal => (
                make_node(key, value, n.left.clone(), n.right.clone()),
                false,
            ),
        },
    }
}

/// Removes the smallest entry of the subtree rooted at `node`: (its key, its value, the rest).
fn remove_min<K: Clone, V: Clone>(node: &Arc<Node<K, V>>) -> (K, V, Link<K, V>) {
    match &node.left {
        None => (node.key.clone(), node.value.clone(), node.right.clone()),
        Some(left) => {
            let (k, v, rest) = remove_min(left);
            let node = balance(
                node.key.clone(),
                node.value.clone(),
                rest,
                node.right.clone(),
            );
            (k, v, Some(node))
        }
    }
}

/// Path-copying remove: `None` if `key` is absent (so the caller can share the old root).
fn remove_node<K, V, Q>(link: &Link<K, V>, key: &Q) -> Option<Link<K, V>>
where
    K: Borrow<Q> + Clone,
    V: Clone,
    Q: Ord + ?Sized,
{
    let n = link.as_ref()?;
    match key.cmp(n.key.borrow()) {
        Ordering::Less => {
            let left = remove_node(&n.left, key)?;
            Some(Some(balance(
                n.key.clone(),
                n.value.clone(),
                left,
                n.right.clone(),
            )))
        }
        Ordering::Greater => {
            let right = remove_node(&n.right, key)?;
            Some(Some(balance(
                n.key.clone(),
                n.value.clone(),
                n.left.clone(),
                right,
            )))
        }
        Ordering::Equal => Some(match (&n.left, &n.right) {
            (None, only) | (only, None) => only.clone(),
            (left, Some(right)) => {
                let (k, v, rest) = remove_min(right);
                Some(balance(k, v, left.clone(), rest))
            }
        }),
    }
}

/// An immutable ordered map sharing structure between versions (see the module docs).
pub struct FrozenMap<K, V> {
    root: Link<K, V>,
}

impl<K, V> Clone for FrozenMap<K, V> {
    /// O(1): clones one `Arc` (the root). The clone shares every node.
    fn clone(&self) -> Self {
        FrozenMap {
            root: self.root.clone(),
        }
    }
}

impl<K, V> Default for FrozenMap<K, V> {
    fn default() -> Self {
        FrozenMap { root: None }
    }
}

impl<K, V> FrozenMap<K, V> {
    /// The empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of entries (O(1)).
    pub fn len(&self) -> usize {
        subtree_len(&self.root)
    }

    /// True if the map has no entries.
    pub fn is_empty(&self) -> bool {
        self.root.is_none()
    }

    /// True if both maps are the very same version (same root node, or both empty).
    /// Such maps are equal without comparing a single entry.
    pub fn ptr_eq(&self, other: &Self) -> bool {
        match (&self.root, &other.root) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// Iterates over the entries in increasing key order.
    pub fn iter(&self) -> Iter<'_, K, V> {
        let mut iter = Iter {
            stack: Vec::with_capacity(height(&self.root) as usize),
            remaining: self.len(),
        };
        iter.push_left_spine(&self.root);
        iter
    }

    /// Iterates over the keys in increasing order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &K> + '_ {
        self.iter().map(|(k, _)| k)
    }

    /// Iterates over the values in increasing key order.
    pub fn values(&self) -> impl ExactSizeIterator<Item = &V> + '_ {
        self.iter().map(|(_, v)| v)
    }

    /// The value stored under `key`, if any. O(log n), no allocation, no atomic operation.
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let mut link = &self.root;
        while let Some(n) = link {
            match key.cmp(n.key.borrow()) {
                Ordering::Less => link = &n.left,
                Ordering::Greater => link = &n.right,
                Ordering::Equal => return Some(&n.value),
            }
        }
        None
    }

    /// True if `key` is present.
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.get(key).is_some()
    }
}

impl<K: Ord + Clone, V: Clone> FrozenMap<K, V> {
    /// A new map with `key` bound to `value` (replacing any previous binding). `self` is
    /// unchanged; the result shares all but O(log n) nodes with it.
    #[must_use = "insert returns a new map and leaves this one unchanged"]
    pub fn insert(&self, key: K, value: V) -> Self {
        let (root, _added) = insert_node(&self.root, key, value);
        FrozenMap { root: Some(root) }
    }

    /// A new map without `key`, or `None` if `key` is absent. `self` is unchanged.
    #[must_use = "remove returns a new map and leaves this one unchanged"]
    pub fn remove<Q>(&self, key: &Q) -> Option<Self>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        remove_node(&self.root, key).map(|root| FrozenMap { root })
    }

    /// A new map holding the entries of both maps; where both have a key, `other`'s value wins
    /// (like `dict | other`). Neither input changes. Shares `other` outright when `self` is
    /// empty, and `self` when `other` is empty.
    #[must_use = "merge returns a new map and leaves both inputs unchanged"]
    pub fn merge(&self, other: &Self) -> Self {
        if self.is_empty() {
            return other.clone();
        }
        other
            .iter()
            .fold(self.clone(), |acc, (k, v)| acc.insert(k.clone(), v.clone()))
    }
}

impl<K: Ord + Clone, V: Clone> FromIterator<(K, V)> for FrozenMap<K, V> {
    /// Builds a map from pairs; a later pair wins over an earlier one with the same key.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        iter.into_iter()
            .fold(FrozenMap::new(), |acc, (k, v)| acc.insert(k, v))
    }
}

impl<K: PartialEq, V: PartialEq> PartialEq for FrozenMap<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.ptr_eq(other) || (self.len() == other.len() && self.iter().eq(other.iter()))
    }
}

impl<K: Eq, V: Eq> Eq for FrozenMap<K, V> {}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for FrozenMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// In-order iterator over a [`FrozenMap`]; its stack holds at most one node per tree level.
pub struct Iter<'a, K, V> {
    stack: Vec<&'a Node<K, V>>,
    remaining: usize,
}

impl<'a, K, V> Iter<'a, K, V> {
    fn push_left_spine(&mut self, mut link: &'a Link<K, V>) {
        while let Some(n) = link {
            self.stack.push(n);
            link = &n.left;
        }
    }
}

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        let node = self.stack.pop()?;
        self.push_left_spine(&node.right);
        self.remaining -= 1;
        Some((&node.key, &node.value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<K, V> ExactSizeIterator for Iter<'_, K, V> {}

impl<'a, K, V> IntoIterator for &'a FrozenMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(all(test, not(ftlab_loom)))]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::{BTreeMap, HashSet};

    /// Checks every structural invariant from the module docs; returns the subtree height.
    fn check_node<K: Ord, V>(link: &Link<K, V>, lo: Option<&K>, hi: Option<&K>) -> (u8, usize) {
        let Some(n) = link else { return (0, 0) };
        if let Some(lo) = lo {
            assert!(*lo < n.key, "keys out of order");
        }
        if let Some(hi) = hi {
            assert!(n.key < *hi, "keys out of order");
        }
        let (hl, ll) = check_node(&n.left, lo, Some(&n.key));
        let (hr, lr) = check_node(&n.right, Some(&n.key), hi);
        assert!(hl.abs_diff(hr) <= 1, "AVL balance violated: {hl} vs {hr}");
        assert_eq!(n.height, 1 + hl.max(hr), "stale height");
        assert_eq!(n.len, 1 + ll + lr, "stale len");
        (n.height, n.len)
    }

    fn check_invariants<K: Ord, V>(map: &FrozenMap<K, V>) {
        check_node(&map.root, None, None);
    }

    fn node_ptrs<K, V>(link: &Link<K, V>, out: &mut HashSet<*const Node<K, V>>) {
        if let Some(n) = link {
            out.insert(Arc::as_ptr(n));
            node_ptrs(&n.left, out);
            node_ptrs(&n.right, out);
        }
    }

    /// Nodes of `new` that are not nodes of `old` (i.e. that an update had to copy).
    fn copied_nodes<K, V>(old: &FrozenMap<K, V>, new: &FrozenMap<K, V>) -> usize {
        let (mut a, mut b) = (HashSet::new(), HashSet::new());
        node_ptrs(&old.root, &mut a);
        node_ptrs(&new.root, &mut b);
        b.difference(&a).count()
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u8, u32),
        Remove(u8),
        Merge(Vec<(u8, u32)>),
    }

    fn op() -> impl Strategy<Value = Op> {
        // Keys from a small range, so inserts overwrite and removes hit often.
        prop_oneof![
            4 => (0u8..48, any::<u32>()).prop_map(|(k, v)| Op::Insert(k, v)),
            2 => (0u8..48).prop_map(Op::Remove),
            1 => proptest::collection::vec((0u8..48, any::<u32>()), 0..8).prop_map(Op::Merge),
        ]
    }

    proptest! {
        /// Every version agrees with a BTreeMap model, and every OLD version still equals the
        /// model snapshot taken when it was made, after all later updates.
        #[test]
        fn matches_btreemap_and_old_versions_never_change(ops in proptest::collection::vec(op(), 0..120)) {
            let mut map: FrozenMap<u8, u32> = FrozenMap::new();
            let mut model: BTreeMap<u8, u32> = BTreeMap::new();
            let mut versions = vec![(map.clone(), model.clone())];
            for op in ops {
                match op {
                    Op::Insert(k, v) => {
                        map = map.insert(k, v);
                        model.insert(k, v);
                    }
                    Op::Remove(k) => {
                        let removed = map.remove(&k);
                        prop_assert_eq!(removed.is_some(), model.remove(&k).is_some());
                        if let Some(m) = removed {
                            map = m;
                        }
                    }
                    Op::Merge(pairs) => {
                        let other: FrozenMap<u8, u32> = pairs.iter().copied().collect();
                        map = map.merge(&other);
                        model.extend(pairs.iter().copied().collect::<BTreeMap<_, _>>());
                    }
                }
                check_invariants(&map);
                prop_assert_eq!(map.len(), model.len());
                prop_assert!(map.iter().map(|(k, v)| (*k, *v)).eq(model.iter().map(|(k, v)| (*k, *v))));
                for k in 0u8..48 {
                    prop_assert_eq!(map.get(&k), model.get(&k));
                }
                versions.push((map.clone(), model.clone()));
            }
            for (old, snapshot) in &versions {
                check_invariants(old);
                prop_assert_eq!(old.len(), snapshot.len());
                prop_assert!(old.iter().map(|(k, v)| (*k, *v)).eq(snapshot.iter().map(|(k, v)| (*k, *v))));
            }
        }

        /// Equality is by content, whatever the insertion order (the tree shape may differ).
        #[test]
        fn equality_is_by_content(pairs in proptest::collection::vec((0u8..32, 0u32..4), 0..40)) {
            let forward: FrozenMap<u8, u32> = pairs.iter().copied().collect();
            let model: BTreeMap<u8, u32> = pairs.iter().copied().collect();
            let sorted: FrozenMap<u8, u32> = model.iter().map(|(k, v)| (*k, *v)).collect();
            prop_assert_eq!(&forward, &sorted);
            if let Some((&k, &v)) = model.iter().next() {
                prop_assert_ne!(&forward, &sorted.insert(k, v + 1));
            }
        }
    }

    #[test]
    fn updates_copy_only_a_path() {
        let base: FrozenMap<u32, u32> = (0..1000).map(|i| (i * 2, i)).collect();
        check_invariants(&base);
        let h = base.root.as_ref().unwrap().height as usize;
        // Insert, overwrite and remove each copy at most one root-to-leaf path plus the few
        // nodes a rotation rebuilds; everything else is shared with `base`.
        let inserted = base.insert(501, 0);
        let overwritten = base.insert(500, 7);
        let removed = base.remove(&500).unwrap();
        for new in [&inserted, &overwritten, &removed] {
            let copied = copied_nodes(&base, new);
            assert!(copied <= h + 3, "copied {copied} nodes, tree height {h}");
        }
        assert_eq!(base.get(&500), Some(&250));
        assert_eq!(overwritten.get(&500), Some(&7));
        assert!(removed.get(&500).is_none());
        assert!(
            base.remove(&501).is_none(),
            "removing an absent key reports it"
        );
    }

    #[test]
    fn merge_shares_when_one_side_is_empty() {
        let a: FrozenMap<u8, u8> = [(1, 1), (2, 2)].into_iter().collect();
        let empty = FrozenMap::new();
        assert!(empty.merge(&a).ptr_eq(&a));
        assert!(a.merge(&empty).ptr_eq(&a));
        let b: FrozenMap<u8, u8> = [(2, 20), (3, 30)].into_iter().collect();
        let merged = a.merge(&b);
        assert_eq!(format!("{merged:?}"), "{1: 1, 2: 20, 3: 30}");
        assert_eq!(format!("{a:?}"), "{1: 1, 2: 2}");
    }

    #[test]
    fn str_lookups_on_string_keys() {
        let m: FrozenMap<String, u8> = [("b".to_string(), 2), ("a".to_string(), 1)]
            .into_iter()
            .collect();
        assert_eq!(m.get("a"), Some(&1));
        assert!(!m.contains_key("c"));
        assert_eq!(m.keys().cloned().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(m.remove("b").unwrap().len(), 1);
    }

    /// The map is `Send + Sync` and readable from many threads while others derive versions.
    #[test]
    fn shared_between_threads() {
        let base: FrozenMap<u32, u32> = (0..256).map(|i| (i, i)).collect();
        std::thread::scope(|s| {
            for t in 0..4u32 {
                let base = &base;
                s.spawn(move || {
                    let mut mine = base.clone();
                    for i in 0..256 {
                        mine = mine.insert(i, i + 1000 * (t + 1));
                        assert_eq!(base.get(&i), Some(&i));
                    }
                    assert!(mine
                        .values()
                        .zip(0..)
                        .all(|(v, i)| *v == i + 1000 * (t + 1)));
                });
            }
        });
        assert!(base.iter().all(|(k, v)| k == v));
    }
}

//! Word counting that splits exactly like Python's `str.split()`, sequentially and with rayon.
//!
//! Python's argument-less `str.split()` splits on runs of the characters for which
//! `str.isspace()` is true and drops empty words. That set is *not* Rust's
//! `char::is_whitespace` (Unicode `White_Space`): Python also treats the four ASCII
//! information separators U+001C..U+001F (bidirectional class B/S) as whitespace. The full set,
//! checked against every code point of CPython 3.13 (Unicode 15.1) by
//! `python-tests/test_parallel.py`, is [`is_py_whitespace`]; it has been stable since Unicode
//! 6.3 dropped U+180E, so it holds for every Python ftlab supports.
//!
//! The parallel count cuts the text into chunks *at the start of a whitespace character*, so no
//! word is ever split between chunks; each chunk is counted independently by a rayon task and
//! the per-chunk maps are summed. Counting is commutative, so the result equals the sequential
//! count for any chunking (property-tested below with explicit chunk counts).
//!
//! Words are borrowed from the input (`&str` keys): no allocation per word.

use std::collections::HashMap;

use rayon::prelude::*;

/// Word -> number of occurrences, with words borrowed from the counted text.
pub type WordCounts<'a> = HashMap<&'a str, usize>;

/// Below this many bytes per chunk, splitting the text costs more than it saves.
const MIN_CHUNK_BYTES: usize = 64 * 1024;

/// True for exactly the characters Python's `str.isspace()` accepts (see the module docs).
pub fn is_py_whitespace(c: char) -> bool {
    matches!(
        c,
        '\t'..='\r'               // \t \n \x0b \x0c \r
            | '\x1c'..='\x1f'     // file/group/record/unit separators: Python only
            | ' '
            | '\u{85}'            // NEL
            | '\u{a0}'            // NO-BREAK SPACE
            | '\u{1680}'          // OGHAM SPACE MARK
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'          // LINE SEPARATOR
            | '\u{2029}'          // PARAGRAPH SEPARATOR
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
}

/// The words of `text` as Python's `text.split()` returns them.
pub fn py_split(text: &str) -> impl Iterator<Item = &str> {
    text.split(is_py_whitespace).filter(|w| !w.is_empty())
}

/// Counts the words of `text` on the calling thread.
pub fn word_count(text: &str) -> WordCounts<'_> {
    let mut counts = WordCounts::new();
    for word in py_split(text) {
        *counts.entry(word).or_insert(0) += 1;
    }
    counts
}

/// Counts the words of `text` with rayon, in about four chunks per worker thread (fewer for
/// short texts). Same result as [`word_count`].
pub fn word_count_parallel(text: &str) -> WordCounts<'_> {
    let by_size = text.len() / MIN_CHUNK_BYTES;
    let chunks = by_size.clamp(1, 4 * rayon::current_num_threads());
    word_count_parallel_in_chunks(text, chunks)
}

/// Counts the words of `text` with rayon over (at most) `chunks` chunks cut at whitespace.
pub fn word_count_parallel_in_chunks(text: &str, chunks: usize) -> WordCounts<'_> {
    split_at_whitespace(text, chunks)
        .into_par_iter()
        .map(word_count)
        .reduce(WordCounts::new, merge_counts)
}

/// Adds the smaller map into the larger one.
fn merge_counts<'a>(a: WordCounts<'a>, b: WordCounts<'a>) -> WordCounts<'a> {
    let (mut into, from) = if a.len() >= b.len() { (a, b) } else { (b, a) };
    for (word, n) in from {
        *into.entry(word).or_insert(0) += n;
    }
    into
}

/// Cuts `text` into at most `chunks` consecutive pieces, each cut placed at the first byte of
/// a whitespace character at or after an even split point, so no word straddles two pieces.
/// The pieces concatenate back to `text`.
pub fn split_at_whitespace(text: &str, chunks: usize) -> Vec<&str> {
    let chunks = chunks.max(1);
    let target = text.len().div_ceil(chunks).max(1);
    let mut pieces = Vec::with_capacity(chunks);
    let mut start = 0;
    while start < text.len() {
        let mut probe = (start + target).min(text.len());
        while !text.is_char_boundary(probe) {
            probe += 1;
        }
        let end = text[probe..]
            .char_indices()
            .find(|&(_, c)| is_py_whitespace(c))
            .map_or(text.len(), |(i, _)| probe + i);
        // end >= probe > start: every piece is non-empty and spans at least `target` bytes
        // (except the last), so there are at most `chunks` pieces.
        pieces.push(&text[start..end]);
        start = end;
    }
    pieces
}

#[cfg(all(test, not(ftlab_loom)))]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    /// The naive model: walk the characters, build each word by hand, count in a BTreeMap.
    fn naive_count(text: &str) -> BTreeMap<String, usize> {
        const PY_WHITESPACE: &[u32] = &[
            0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000,
            0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028,
            0x2029, 0x202f, 0x205f, 0x3000,
        ];
        let mut counts = BTreeMap::new();
        let mut word = String::new();
        for c in text.chars().chain(std::iter::once(' ')) {
            if PY_WHITESPACE.contains(&(c as u32)) {
                if !word.is_empty() {
                    *counts.entry(std::mem::take(&mut word)).or_insert(0) += 1;
                }
            } else {
                word.push(c);
            }
        }
        counts
    }

    fn sorted(counts: WordCounts<'_>) -> BTreeMap<String, usize> {
        counts
            .into_iter()
            .map(|(w, n)| (w.to_string(), n))
            .collect()
    }

    /// Texts made of short words from a tiny alphabet (so words repeat) glued by every kind
    /// of separator, including the ones Rust and Python disagree on.
    fn text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            4 => "[ab\u{e9}\u{4e16}]{1,3}",
            3 => prop::sample::select(vec![
                " ", "\t", "\n", "\r\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f",
                "\u{85}", "\u{a0}", "\u{1680}", "\u{2003}", "\u{2028}", "\u{3000}",
                // Not whitespace for Python: must stay inside words.
                "\u{200b}", "\u{180e}", "\u{feff}", "\x1b",
            ]).prop_map(str::to_string),
            1 => any::<char>().prop_map(String::from),
        ];
        proptest::collection::vec(piece, 0..60).prop_map(|v| v.concat())
    }

    proptest! {
        /// The sequential count equals the naive model.
        #[test]
        fn sequential_matches_naive_model(text in text()) {
            prop_assert_eq!(sorted(word_count(&text)), naive_count(&text));
        }

        /// The parallel count equals the sequential one for every chunking, and the chunks
        /// always reassemble the text without cutting a word.
        #[test]
        fn parallel_matches_sequential(text in text(), chunks in 1usize..12) {
            let pieces = split_at_whitespace(&text, chunks);
            prop_assert_eq!(pieces.concat(), text.clone());
            prop_assert!(pieces.len() <= chunks);
            for pair in pieces.windows(2) {
                let first_of_next = pair[1].chars().next();
                prop_assert!(first_of_next.is_some_and(is_py_whitespace), "cut inside a word: {:?}", pair);
            }
            prop_assert_eq!(word_count_parallel_in_chunks(&text, chunks), word_count(&text));
            prop_assert_eq!(word_count_parallel(&text), word_count(&text));
        }
    }

    #[test]
    fn python_whitespace_is_rust_whitespace_plus_info_separators() {
        for c in (0..=0x10ffffu32).filter_map(char::from_u32) {
            let expected = c.is_whitespace() || ('\x1c'..='\x1f').contains(&c);
            assert_eq!(is_py_whitespace(c), expected, "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn large_text_uses_many_chunks() {
        let text = "lorem ipsum dolor sit amet\u{3000}".repeat(50_000);
        assert!(split_at_whitespace(&text, 16).len() > 8);
        let counts = word_count_parallel(&text);
        assert_eq!(counts["lorem"], 50_000);
        assert_eq!(counts, word_count(&text));
    }
}

//! A hand-written JSON reader for the admission hot path, with serde_json as its reference.
//!
//! An AdmissionReview is read once per request, and through serde_json that was ~80 % of the review: the
//! visitor machinery, a validating skip of ~13 instructions per byte, a `Cow` per key. This reader walks the
//! bytes directly: strings are searched sixteen bytes at a time (SSE2), keys are borrowed from the input,
//! and the parts of an object nothing reads are skipped with the checks building them would make.
//!
//! **Contract.** Every method returns `None` both for input it does not handle and for invalid input; it
//! never words an error. The caller then decodes the same bytes with the serde_json path (the reference),
//! which decides and words the error. Whatever this reader accepts, it decodes exactly as the reference does:
//! the same strings, numbers and tree, pruned the same way ([`Place`]). Being stricter than the reference is
//! allowed (it only costs the second decode); being looser is not. Outside the subset (`None`):
//! - keys that contain escapes, nesting deeper than [`MAX_DEPTH`], escapes that encode unpaired surrogates;
//! - a duplicate key in any object, also where the reference would ignore it (unknown envelope members);
//! - any syntax error, a control character in a string, trailing bytes.
//!
//! After a `None` the reader is in an unspecified state and must be dropped.
//!
//! Numbers: decimal integers of up to 18 digits are read here; everything else (fractions, exponents, larger
//! integers, `-0`) is handed to serde_json's own number parser on the token, so the value is bit for bit the
//! reference's.

use crate::json::{number_value, Place};
use mamori_model::{Entry, Node, Pos, Value};
use std::borrow::Cow;
use std::collections::HashSet;

/// The deepest nesting of objects and arrays handled here, counted from the first value read. serde_json's
/// reference limit is 128; staying well below it means the reference never fails on depth for an input
/// this reader accepts.
pub const MAX_DEPTH: u32 = 96;

/// Objects with more keys than this check duplicates through a set instead of a linear scan, so a hostile
/// object with 100k keys stays linear.
const LINEAR_KEY_CHECK: usize = 32;

/// Which parts of an object [`JsonScanner::node`] builds, as the serde paths of [`crate::JsonNode`] do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectBuild {
    /// Everything ([`crate::JsonNode`]'s `Deserialize`).
    Full,
    /// Everything but the root's bookkeeping ([`crate::JsonNode::deserialize_without_bookkeeping`]).
    WithoutBookkeeping,
    /// What Pod Security reads ([`crate::JsonNode::deserialize_pod_security_fields`]).
    PodSecurity,
}

impl ObjectBuild {
    fn root(self) -> Place {
        match self {
            ObjectBuild::Full => Place::Elsewhere,
            ObjectBuild::WithoutBookkeeping => Place::Root,
            ObjectBuild::PodSecurity => Place::PodSecurityRoot,
        }
    }
}

/// A cursor over one JSON text. See the module documentation for what `None` means.
pub struct JsonScanner<'a> {
    text: &'a str,
    at: usize,
    depth: u32,
    /// Scratch stacks of the tree being built (a map's entries are moved into one exactly sized vector).
    entries: Vec<Entry>,
    items: Vec<Node>,
    /// Keys of every object being read, built or skipped, for the duplicate check.
    keys: Vec<&'a str>,
    /// The keys of the objects open in a skipped value (arrays need no state: a bit says which is which).
    skipped_objects: Vec<ObjectKeys<'a>>,
    /// Nodes [`JsonScanner::node`] may still build (the reference's `Limits::max_nodes`).
    budget: usize,
}

/// An object being read by [`JsonScanner::next_member`]: its keys so far, for the duplicate check.
pub struct ObjectReader<'a> {
    keys: ObjectKeys<'a>,
    first: bool,
}

/// An array being read by [`JsonScanner::next_item`].
pub struct ArrayReader {
    first: bool,
}

/// The keys read so far in one object, for the duplicate check: where they start on the scanner's key stack
/// (or the set they moved to once the object had many), and a 64-bit filter of them. A key whose filter bit is
/// clear was not read before, so the common case (no duplicate) rarely compares strings at all.
struct ObjectKeys<'a> {
    start: usize,
    filter: u64,
    set: Option<HashSet<&'a str>>,
}

impl<'a> ObjectKeys<'a> {
    fn new(start: usize) -> ObjectKeys<'a> {
        ObjectKeys {
            start,
            filter: 0,
            set: None,
        }
    }

    /// Records `key` (pushed on `stack` while the object has few); `None` when it was read before. The
    /// common case, a filter bit not seen before in this object, is a few instructions inline; the rest
    /// ([`ObjectKeys::note_slow`]) is out of line.
    #[inline(always)]
    fn note(&mut self, stack: &mut Vec<&'a str>, key: &'a str) -> Option<()> {
        let bit = key_filter_bit(key);
        if self.filter & bit == 0 {
            self.filter |= bit;
            stack.push(key);
            return Some(());
        }
        self.note_slow(stack, key)
    }

    /// A key whose filter bit was set: compared with the object's keys, which move to a set once there are
    /// more than [`LINEAR_KEY_CHECK`] (the filter is then full, so every later key comes here).
    #[cold]
    #[inline(never)]
    fn note_slow(&mut self, stack: &mut Vec<&'a str>, key: &'a str) -> Option<()> {
        if let Some(set) = &mut self.set {
            return set.insert(key).then_some(());
        }
        if stack.get(self.start..).unwrap_or_default().contains(&key) {
            return None;
        }
        stack.push(key);
        if stack.len() - self.start > LINEAR_KEY_CHECK {
            self.set = Some(stack.drain(self.start..).collect());
            self.filter = u64::MAX;
        }
        Some(())
    }
}

/// One of 64 bits for a key, from its length and its first and last bytes (enough to tell apart most keys of
/// one Kubernetes object).
#[inline(always)]
fn key_filter_bit(key: &str) -> u64 {
    let bytes = key.as_bytes();
    let first = u32::from(bytes.first().copied().unwrap_or(0));
    let last = u32::from(bytes.last().copied().unwrap_or(0));
    let mixed = (bytes.len() as u32 ^ (first << 8) ^ (last << 16)).wrapping_mul(0x9E37_79B9);
    1 << (mixed >> 26)
}

impl<'a> JsonScanner<'a> {
    pub fn new(text: &'a str) -> JsonScanner<'a> {
        JsonScanner {
            text,
            at: 0,
            depth: 0,
            entries: Vec::with_capacity(64),
            items: Vec::with_capacity(32),
            keys: Vec::with_capacity(64),
            skipped_objects: Vec::with_capacity(16),
            budget: usize::MAX,
        }
    }

    /// At most `max_nodes` built nodes, as the reference's node budget allows (more: `None`).
    pub fn with_node_budget(mut self, max_nodes: usize) -> JsonScanner<'a> {
        self.budget = max_nodes;
        self
    }

    /// The byte offset of the cursor.
    pub fn offset(&self) -> usize {
        self.at
    }

    /// The input between two offsets this scanner reported.
    pub fn text_between(&self, start: usize, end: usize) -> Option<&'a str> {
        self.text.get(start..end)
    }

    /// The text from `start` to `stop`, where `start` is just past an ASCII byte (a string's opening quote or
    /// the end of an escape) or is 0, and `stop` is at an ASCII byte (`"`, `\\` or a control character found
    /// by [`find_string_special`]). Both are then char boundaries, so the slice is valid UTF-8 without the
    /// two boundary checks `str::get` makes (a string's content is sliced per key and value).
    #[inline(always)]
    fn between_ascii(&self, start: usize, stop: usize) -> Option<&'a str> {
        let bytes = self.text.as_bytes();
        let slice = bytes.get(start..stop)?;
        debug_assert!(bytes.get(stop).is_some_and(u8::is_ascii));
        debug_assert!(start == 0 || bytes.get(start - 1).is_some_and(u8::is_ascii));
        // SAFETY: `slice` is part of `self.text`, valid UTF-8, cut at two char boundaries: the byte at `stop`
        // is ASCII (callers pass an offset `find_string_special` stopped at), so it starts a char, and the
        // byte before `start` is ASCII (a quote or the last byte of an escape), so `start` starts a char
        // too. A slice of valid UTF-8 between char boundaries is valid UTF-8.
        Some(unsafe { std::str::from_utf8_unchecked(slice) })
    }

    pub fn skip_whitespace(&mut self) {
        let _ = self.significant();
    }

    /// Skips whitespace and returns the byte under the cursor (not consumed). API servers send compact JSON,
    /// so the common case is one comparison, inlined; whitespace takes the out-of-line loop.
    #[inline(always)]
    fn significant(&mut self) -> Option<u8> {
        let b = *self.text.as_bytes().get(self.at)?;
        if b > b' ' {
            return Some(b);
        }
        self.after_whitespace()
    }

    #[cold]
    #[inline(never)]
    fn after_whitespace(&mut self) -> Option<u8> {
        let bytes = self.text.as_bytes();
        let mut at = self.at;
        loop {
            let b = *bytes.get(at)?;
            if b > b' ' || !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                self.at = at;
                return Some(b);
            }
            at += 1;
        }
    }

    /// Whitespace, then `byte`.
    #[inline(always)]
    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.significant()? == byte).then(|| self.at += 1)
    }

    /// Only whitespace is left.
    pub fn finish(&mut self) -> Option<()> {
        self.significant().is_none().then_some(())
    }

    #[inline]
    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    /// Whitespace, then the `{` of an object whose members [`JsonScanner::object_key`] then reads.
    pub fn object_start(&mut self) -> Option<()> {
        self.eat(b'{')?;
        self.enter()
    }

    /// The next member's key, its `:` consumed (the value is next), or `Some(None)` once the closing brace is
    /// read. `first`: no member of this object has been read yet.
    #[inline(always)]
    pub fn object_key(&mut self, first: bool) -> Option<Option<&'a str>> {
        match self.significant()? {
            b'}' => {
                self.at += 1;
                self.depth -= 1;
                return Some(None);
            }
            b',' if !first => {
                self.at += 1;
                if self.significant()? != b'"' {
                    return None;
                }
            }
            b'"' if first => {}
            _ => return None,
        }
        let key = self.plain_key()?;
        self.eat(b':')?;
        Some(Some(key))
    }

    /// With the cursor on a key's opening quote: the key, which must have no escapes (borrowed).
    #[inline(always)]
    fn plain_key(&mut self) -> Option<&'a str> {
        let bytes = self.text.as_bytes();
        let start = self.at + 1;
        let stop = find_string_special(bytes, start)?;
        if bytes.get(stop) != Some(&b'"') {
            return None;
        }
        let key = self.between_ascii(start, stop)?;
        self.at = stop + 1;
        Some(key)
    }

    /// Whitespace, then a string, unescaped (borrowed when it has no escapes).
    #[inline]
    pub fn string(&mut self) -> Option<Cow<'a, str>> {
        if self.significant()? != b'"' {
            return None;
        }
        let start = self.at + 1;
        let bytes = self.text.as_bytes();
        let stop = find_string_special(bytes, start)?;
        match bytes.get(stop)? {
            b'"' => {
                self.at = stop + 1;
                self.between_ascii(start, stop).map(Cow::Borrowed)
            }
            b'\\' => {
                let mut out = String::with_capacity(stop - start + 16);
                out.push_str(self.between_ascii(start, stop)?);
                self.at = stop;
                self.unescape_rest(&mut out)?;
                Some(Cow::Owned(out))
            }
            _ => None,
        }
    }

    /// Whitespace, then a string or `null`.
    pub fn string_or_null(&mut self) -> Option<Option<Cow<'a, str>>> {
        if self.null() {
            return Some(None);
        }
        self.string().map(Some)
    }

    /// Whitespace, then `null` if it is there (consumed); `false` leaves the cursor on the value.
    pub fn null(&mut self) -> bool {
        self.skip_whitespace();
        let found = self
            .text
            .as_bytes()
            .get(self.at..self.at + 4)
            .is_some_and(|word| word == b"null");
        if found {
            self.at += 4;
        }
        found
    }

    /// Continues a string at the backslash or quote under the cursor, appending the unescaped rest to `out`.
    fn unescape_rest(&mut self, out: &mut String) -> Option<()> {
        let bytes = self.text.as_bytes();
        loop {
            match *bytes.get(self.at)? {
                b'"' => {
                    self.at += 1;
                    return Some(());
                }
                b'\\' => {
                    let escape = *bytes.get(self.at + 1)?;
                    self.at += 2;
                    let ch = match escape {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return None,
                    };
                    out.push(ch);
                }
                _ => return None,
            }
            let stop = find_string_special(bytes, self.at)?;
            out.push_str(self.between_ascii(self.at, stop)?);
            self.at = stop;
        }
    }

    /// The four hex digits after `\u` (a surrogate pair takes the following `\uXXXX` too); unpaired
    /// surrogates are left to the reference.
    fn unicode_escape(&mut self) -> Option<char> {
        let first = self.hex4()?;
        match first {
            0xD800..=0xDBFF => {
                if self.text.as_bytes().get(self.at..self.at + 2)? != b"\\u" {
                    return None;
                }
                self.at += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return None;
                }
                char::from_u32((((first - 0xD800) << 10) | (second - 0xDC00)) + 0x1_0000)
            }
            _ => char::from_u32(first),
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.text.get(self.at..self.at + 4)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.at += 4;
        u32::from_str_radix(digits, 16).ok()
    }

    /// A number. Plain decimal integers of up to 18 digits are read in one pass here ([`plain_integer`]); any
    /// other token (the maximal run of number characters) goes to serde_json's parser, which validates it.
    #[inline]
    fn number(&mut self) -> Option<Value> {
        let bytes = self.text.as_bytes();
        let start = self.at;
        if let Some((end, value)) = plain_integer(bytes, start) {
            self.at = end;
            return Some(Value::Int(value));
        }
        let mut at = start;
        while bytes
            .get(at)
            .is_some_and(|b| matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
        {
            at += 1;
        }
        self.at = at;
        let number: serde_json::Number = serde_json::from_str(self.text.get(start..at)?).ok()?;
        Some(number_value(&number))
    }

    #[inline]
    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let found = self.text.as_bytes().get(self.at..self.at + word.len())? == word;
        found.then(|| self.at += word.len())
    }

    /// Whitespace, then the `{` of an object read member by member with [`JsonScanner::next_member`], which
    /// checks for duplicate keys as building the object would.
    pub fn begin_object(&mut self) -> Option<ObjectReader<'a>> {
        self.object_start()?;
        Some(ObjectReader {
            keys: ObjectKeys::new(self.keys.len()),
            first: true,
        })
    }

    /// The next key of `object` (its `:` consumed, the value next), or `Some(None)` once the object is
    /// closed. `None` for a duplicate key or a syntax error.
    #[inline(always)]
    pub fn next_member(&mut self, object: &mut ObjectReader<'a>) -> Option<Option<&'a str>> {
        match self.object_key(object.first)? {
            Some(key) => {
                object.first = false;
                object.keys.note(&mut self.keys, key)?;
                Some(Some(key))
            }
            None => {
                self.keys.truncate(object.keys.start);
                Some(None)
            }
        }
    }

    /// Whitespace, then the `[` of an array read item by item with [`JsonScanner::next_item`].
    pub fn begin_array(&mut self) -> Option<ArrayReader> {
        self.eat(b'[')?;
        self.enter()?;
        Some(ArrayReader { first: true })
    }

    /// `Some(true)` when another item of `array` follows (the cursor before it), `Some(false)` once the array
    /// is closed.
    #[inline]
    pub fn next_item(&mut self, array: &mut ArrayReader) -> Option<bool> {
        let first = std::mem::replace(&mut array.first, false);
        match self.significant()? {
            b']' => {
                self.at += 1;
                self.depth -= 1;
                Some(false)
            }
            b',' if !first => {
                self.at += 1;
                Some(true)
            }
            _ if first => Some(true),
            _ => None,
        }
    }

    /// Whitespace, then the first byte of the next value, not consumed (`None` at the end of the input).
    #[inline]
    pub fn peek(&mut self) -> Option<u8> {
        self.significant()
    }

    /// Whitespace, then `true` or `false`.
    pub fn boolean(&mut self) -> Option<bool> {
        match self.significant()? {
            b't' => self.literal(b"true").map(|()| true),
            b'f' => self.literal(b"false").map(|()| false),
            _ => None,
        }
    }

    /// Whitespace, then a number, as the reference reads it (an integer when it fits `i64`, else a float).
    pub fn number_value(&mut self) -> Option<Value> {
        match self.significant()? {
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    /// Whitespace, then any value, validated (duplicate keys included) and passed over. Scalars, most of what
    /// a reader passes over, are handled inline; containers go to [`JsonScanner::skip`].
    #[inline]
    pub fn skip_value(&mut self) -> Option<()> {
        match self.significant()? {
            b'"' => self.skip_string(),
            b'{' | b'[' => self.skip(),
            b'-' | b'0'..=b'9' => self.skip_number(),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => None,
        }
    }

    /// Whitespace, then any value, validated (duplicate keys included) and not built; its text.
    pub fn raw_value(&mut self) -> Option<&'a str> {
        self.skip_whitespace();
        let start = self.at;
        self.skip()?;
        self.text.get(start..self.at)
    }

    /// Skips one value without recursion. The containers it opens are a stack of bits in a register (set: an
    /// object, whose keys are on [`JsonScanner::skipped_objects`]); [`MAX_DEPTH`] keeps it within 128. Skipped
    /// parts are the bulk of a review in the Pod Security build (docs/benchmarks.md).
    fn skip(&mut self) -> Option<()> {
        const _: () = assert!(MAX_DEPTH <= u128::BITS);
        let mut objects: u128 = 0;
        let mut open: u32 = 0;
        loop {
            // A value starts here.
            match self.significant()? {
                b'"' => self.skip_string()?,
                b'{' => {
                    self.at += 1;
                    self.enter()?;
                    if self.significant()? == b'}' {
                        self.at += 1;
                        self.depth -= 1;
                    } else {
                        objects = (objects << 1) | 1;
                        open += 1;
                        self.skipped_objects.push(ObjectKeys::new(self.keys.len()));
                        self.skipped_key()?;
                        continue;
                    }
                }
                b'[' => {
                    self.at += 1;
                    self.enter()?;
                    if self.significant()? == b']' {
                        self.at += 1;
                        self.depth -= 1;
                    } else {
                        objects <<= 1;
                        open += 1;
                        continue;
                    }
                }
                b'-' | b'0'..=b'9' => self.skip_number()?,
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                _ => return None,
            }
            // A value is complete: close the containers it completes, up to one that has another member.
            loop {
                if open == 0 {
                    return Some(());
                }
                let in_object = objects & 1 != 0;
                match self.significant()? {
                    b',' => {
                        self.at += 1;
                        if in_object {
                            self.skipped_key()?;
                        }
                        break;
                    }
                    b']' if !in_object => {
                        self.at += 1;
                        self.depth -= 1;
                        objects >>= 1;
                        open -= 1;
                    }
                    b'}' if in_object => {
                        self.at += 1;
                        self.depth -= 1;
                        objects >>= 1;
                        open -= 1;
                        let keys = self.skipped_objects.pop()?;
                        self.keys.truncate(keys.start);
                    }
                    _ => return None,
                }
            }
        }
    }

    /// A number skipped: a plain decimal integer ([`plain_integer`]) is passed over here; any other token goes
    /// through [`JsonScanner::number`], which validates it as reading it would.
    #[inline(always)]
    fn skip_number(&mut self) -> Option<()> {
        match plain_integer(self.text.as_bytes(), self.at) {
            Some((end, _)) => {
                self.at = end;
                Some(())
            }
            None => self.number().map(drop),
        }
    }

    /// The next key of the innermost skipped object (the cursor after its `{` or `,`), noted for the duplicate
    /// check, and its `:`.
    #[inline(always)]
    fn skipped_key(&mut self) -> Option<()> {
        if self.significant()? != b'"' {
            return None;
        }
        let key = self.plain_key()?;
        self.skipped_objects.last_mut()?.note(&mut self.keys, key)?;
        self.eat(b':')
    }

    /// A string skipped: its escapes are checked as reading it would check them ([`JsonScanner::skip_escapes`]).
    #[inline(always)]
    fn skip_string(&mut self) -> Option<()> {
        let bytes = self.text.as_bytes();
        let stop = find_string_special(bytes, self.at + 1)?;
        match bytes.get(stop)? {
            b'"' => {
                self.at = stop + 1;
                Some(())
            }
            b'\\' => {
                self.at = stop;
                self.skip_escapes()
            }
            _ => None,
        }
    }

    /// Continues a skipped string at the backslash under the cursor: every escape is checked exactly as
    /// [`JsonScanner::unescape_rest`] checks it (the same escapes, `\u` surrogates paired), but nothing is
    /// copied. Strings full of escapes are common in what is skipped: kubectl's last-applied annotation is the
    /// whole object as escaped JSON.
    fn skip_escapes(&mut self) -> Option<()> {
        let bytes = self.text.as_bytes();
        #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
        match sse2::skip_escaped_string(bytes, self.at) {
            Ok(Some(end)) => {
                self.at = end;
                return Some(());
            }
            Ok(None) => return None,
            Err(resume) => self.at = find_string_special(bytes, resume)?,
        }
        loop {
            match *bytes.get(self.at)? {
                b'"' => {
                    self.at += 1;
                    return Some(());
                }
                b'\\' => {
                    let escape = *bytes.get(self.at + 1)?;
                    self.at += 2;
                    match escape {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                        b'u' => {
                            self.unicode_escape()?;
                        }
                        _ => return None,
                    }
                }
                _ => return None,
            }
            self.at = find_string_special(bytes, self.at)?;
        }
    }

    /// Whitespace, then any value built into a tree, the parts `build` leaves out skipped with the same checks.
    pub fn node(&mut self, build: ObjectBuild) -> Option<Node> {
        self.value(build.root())
    }

    fn value(&mut self, place: Place) -> Option<Node> {
        self.budget = self.budget.checked_sub(1)?;
        let value = match self.significant()? {
            b'{' => self.map(place)?,
            b'[' => self.seq(place)?,
            b'"' => Value::Str(self.string()?.into_owned()),
            b't' => {
                self.literal(b"true")?;
                Value::Bool(true)
            }
            b'f' => {
                self.literal(b"false")?;
                Value::Bool(false)
            }
            b'n' => {
                self.literal(b"null")?;
                Value::Null
            }
            b'-' | b'0'..=b'9' => self.number()?,
            _ => return None,
        };
        Some(Node::new(Pos::UNKNOWN, value))
    }

    fn map(&mut self, place: Place) -> Option<Value> {
        self.at += 1;
        self.enter()?;
        let start = self.entries.len();
        let mut keys = ObjectKeys::new(self.keys.len());
        let mut first = true;
        while let Some(key) = self.object_key(first)? {
            first = false;
            keys.note(&mut self.keys, key)?;
            match place.child(key) {
                Some(child) => {
                    let value = self.value(child)?;
                    self.entries.push(Entry {
                        key: key.to_owned(),
                        key_pos: Pos::UNKNOWN,
                        value,
                    });
                }
                None => self.skip()?,
            }
        }
        self.keys.truncate(keys.start);
        Some(Value::Map(self.entries.drain(start..).collect()))
    }

    fn seq(&mut self, place: Place) -> Option<Value> {
        self.at += 1;
        self.enter()?;
        let start = self.items.len();
        let item = place.item();
        if self.significant()? == b']' {
            self.at += 1;
        } else {
            loop {
                let node = self.value(item)?;
                self.items.push(node);
                match self.significant()? {
                    b',' => self.at += 1,
                    b']' => {
                        self.at += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        self.depth -= 1;
        Some(Value::Seq(self.items.drain(start..).collect()))
    }
}

/// The number token at `start` when it is a plain decimal integer of 1 to 18 digits (no fraction, exponent or
/// leading zero, and not `-0`, which serde_json reads as the float -0.0): where it ends and its value. `None`
/// for every other token, valid or not.
#[inline(always)]
fn plain_integer(bytes: &[u8], start: usize) -> Option<(usize, i64)> {
    let negative = bytes.get(start) == Some(&b'-');
    let digits_start = start + usize::from(negative);
    let mut at = digits_start;
    let mut magnitude: i64 = 0;
    while let Some(&digit) = bytes.get(at).filter(|b| b.is_ascii_digit()) {
        // Wrapping only matters past 18 digits, which are not plain.
        magnitude = magnitude
            .wrapping_mul(10)
            .wrapping_add(i64::from(digit - b'0'));
        at += 1;
    }
    let count = at - digits_start;
    let continues = bytes
        .get(at)
        .is_some_and(|b| matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'));
    let leading_zero = count > 1 && bytes.get(digits_start) == Some(&b'0');
    let negative_zero = negative && magnitude == 0;
    ((1..=18).contains(&count) && !continues && !leading_zero && !negative_zero)
        .then(|| (at, if negative { -magnitude } else { magnitude }))
}

/// The offset of the first `"`, `\` or control character at or after `at`: where a string's plain run ends.
/// Sixteen bytes at a time with SSE2 (part of every x86-64 CPU), then eight at a time ([`find_special_swar`])
/// for what is left.
#[inline(always)]
fn find_string_special(bytes: &[u8], at: usize) -> Option<usize> {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    let at = match sse2::find_special(bytes, at) {
        Ok(found) => return Some(found),
        Err(rest) => rest,
    };
    find_special_swar(bytes, at)
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod sse2 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };

    /// The first special byte in the whole 16-byte blocks from `at` (`Ok`), or where the unsearched tail
    /// starts (`Err`, fewer than 16 bytes left).
    #[inline(always)]
    pub(super) fn find_special(bytes: &[u8], mut at: usize) -> Result<usize, usize> {
        // SAFETY: the intrinsics need SSE2, which this module is only compiled with (`target_feature`, part
        // of the x86-64 baseline). The one load reads `block`, a slice of exactly 16 initialised bytes, and
        // `_mm_loadu_si128` has no alignment requirement. Nothing else touches memory.
        unsafe {
            let quotes = _mm_set1_epi8(b'"' as i8);
            let backslashes = _mm_set1_epi8(b'\\' as i8);
            let controls_max = _mm_set1_epi8(0x1f);
            while let Some(block) = bytes.get(at..at + 16) {
                let word = _mm_loadu_si128(block.as_ptr().cast());
                // A control character is a byte whose unsigned max with 0x1f is 0x1f.
                let control = _mm_cmpeq_epi8(_mm_max_epu8(word, controls_max), controls_max);
                let special = _mm_or_si128(
                    _mm_or_si128(
                        _mm_cmpeq_epi8(word, quotes),
                        _mm_cmpeq_epi8(word, backslashes),
                    ),
                    control,
                );
                let mask = _mm_movemask_epi8(special);
                if mask != 0 {
                    return Ok(at + mask.trailing_zeros() as usize);
                }
                at += 16;
            }
        }
        Err(at)
    }

    /// The 64 bytes of `block` as four SSE2 vectors.
    ///
    /// # Safety
    /// SSE2 must be available (this module is only compiled with it).
    #[inline(always)]
    unsafe fn load64(block: &[u8; 64]) -> [__m128i; 4] {
        // SAFETY: each load reads 16 of the 64 initialised bytes of `block`; `_mm_loadu_si128` has no
        // alignment requirement.
        unsafe {
            [
                _mm_loadu_si128(block.as_ptr().cast()),
                _mm_loadu_si128(block.as_ptr().add(16).cast()),
                _mm_loadu_si128(block.as_ptr().add(32).cast()),
                _mm_loadu_si128(block.as_ptr().add(48).cast()),
            ]
        }
    }

    /// One bit per byte of the block: set where `test` marks the byte (a vector of 0xff/0x00 lanes).
    #[inline(always)]
    fn mask64(vectors: &[__m128i; 4], test: impl Fn(__m128i) -> __m128i) -> u64 {
        let mut mask = 0;
        for (index, vector) in vectors.iter().enumerate() {
            // SAFETY: SSE2 is available (module `cfg`); movemask only reads a register.
            let bits = unsafe { _mm_movemask_epi8(test(*vector)) } as u16;
            mask |= u64::from(bits) << (16 * index);
        }
        mask
    }

    /// [`ESCAPE_CLASS`] of a byte that cannot follow a backslash.
    const INVALID_ESCAPE: u8 = 1;
    /// [`ESCAPE_CLASS`] of `u`, whose escape the byte-wise loop checks.
    const UNICODE_ESCAPE: u8 = 2;
    /// What each byte is after an escaping backslash: 0 for the simple escapes `"\\/bfnrt`.
    const ESCAPE_CLASS: [u8; 256] = {
        let mut class = [INVALID_ESCAPE; 256];
        let simple = *b"\"\\/bfnrt";
        let mut index = 0;
        while index < simple.len() {
            class[simple[index] as usize] = 0;
            index += 1;
        }
        class[b'u' as usize] = UNICODE_ESCAPE;
        class
    };

    /// Skips the rest of a string 64 bytes at a time, from `at`, an escaping backslash inside it: for the
    /// escape-dense strings skipped in reviews (kubectl's last-applied annotation is a whole object as escaped
    /// JSON), going from escape to escape one search at a time was ~7 % of a Deployment review.
    /// - `Ok(Some(end))`: the string is valid and ends just before `end`;
    /// - `Ok(None)`: it has a control character or an escape the reference refuses;
    /// - `Err(resume)`: not decided here (a `\u` escape, whose digits and surrogate pairing the byte-wise
    ///   loop checks, or fewer than 64 bytes left). `resume` is a byte that is not escaped, at or after `at`,
    ///   from which the byte-wise loop decides exactly as it would have from `at`.
    #[inline]
    pub(super) fn skip_escaped_string(bytes: &[u8], at: usize) -> Result<Option<usize>, usize> {
        let mut pos = at;
        let mut carry = 0;
        while let Some(block) = bytes.get(pos..pos + 64) {
            let resume = pos - carry as usize;
            let Ok(block) = <&[u8; 64]>::try_from(block) else {
                return Err(resume);
            };
            // SAFETY: SSE2 is available (module `cfg`), and `block` is exactly the 64 bytes `load64` reads.
            let vectors = unsafe { load64(block) };
            let eq = |byte: u8| {
                // SAFETY: SSE2 is available (module `cfg`); these intrinsics only read registers.
                mask64(&vectors, |v| unsafe {
                    _mm_cmpeq_epi8(v, _mm_set1_epi8(byte as i8))
                })
            };
            // A control character is a byte whose unsigned max with 0x1f is 0x1f.
            // SAFETY: SSE2 is available (module `cfg`); these intrinsics only read registers.
            let controls = mask64(&vectors, |v| unsafe {
                let max = _mm_set1_epi8(0x1f);
                _mm_cmpeq_epi8(_mm_max_epu8(v, max), max)
            });
            let mut next_carry = carry;
            let escaped = super::escaped_bytes(eq(b'\\'), &mut next_carry);
            let quotes = eq(b'"') & !escaped;
            // The bytes that belong to the string: up to its closing quote, or the whole block.
            let inside = match quotes.trailing_zeros() {
                64 => u64::MAX,
                end => (1u64 << end) - 1,
            };
            if controls & inside != 0 {
                return Ok(None);
            }
            // The escape codes (the byte after each escaping backslash), about one in six bytes of such
            // strings: looked up one by one, the verdict taken once per block.
            let mut codes = escaped & inside;
            let mut class = 0;
            while codes != 0 {
                class |= ESCAPE_CLASS[usize::from(block[codes.trailing_zeros() as usize])];
                codes &= codes - 1;
            }
            if class != 0 {
                // `\u` goes to the byte-wise loop; anything else is an invalid escape.
                return if class & INVALID_ESCAPE == 0 {
                    Err(resume)
                } else {
                    Ok(None)
                };
            }
            if quotes != 0 {
                return Ok(Some(pos + quotes.trailing_zeros() as usize + 1));
            }
            carry = next_carry;
            pos += 64;
        }
        Err(pos - carry as usize)
    }
}

/// Which bytes of a 64-byte block are escaped (the character after an escaping backslash), given the
/// backslashes of the block and whether its first byte is escaped (`carry`, updated for the next block). A
/// backslash escapes the next byte unless it is escaped itself, so in a run of backslashes every second one
/// escapes, counting from the run's start. Branch-free: the subtraction (`ODD | starts << 1) - starts`
/// borrows through each run, which marks runs that start on an even bit apart from runs that start on an
/// odd bit; the XORs turn that into "escaped" for every byte after an escaping backslash. Checked against a
/// byte-by-byte count in the tests, exhaustively on 16-bit patterns and by property on 64-bit ones.
#[inline(always)]
fn escaped_bytes(backslashes: u64, carry: &mut u64) -> u64 {
    const ODD: u64 = 0xAAAA_AAAA_AAAA_AAAA;
    let starts = backslashes & !*carry;
    let codes = ((starts << 1) | ODD).wrapping_sub(starts) ^ ODD;
    let escaped = codes ^ (backslashes | *carry);
    *carry = (codes & backslashes) >> 63;
    escaped
}

/// [`find_string_special`] eight bytes at a time: for each of the three tests, the lowest flagged byte of a
/// word is always a true hit (the borrow of the subtraction only runs upwards from a true hit), so the lowest
/// of the three is the first.
#[inline(always)]
fn find_special_swar(bytes: &[u8], mut at: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const QUOTES: u64 = ONES * b'"' as u64;
    const BACKSLASHES: u64 = ONES * b'\\' as u64;
    const SPACES: u64 = ONES * 0x20;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let word = u64::from_le_bytes(chunk.try_into().ok()?);
        let quote = word ^ QUOTES;
        let backslash = word ^ BACKSLASHES;
        let found = ((quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (word.wrapping_sub(SPACES) & !word))
            & HIGHS;
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    let rest = bytes.get(at..)?;
    rest.iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .map(|i| at + i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::JsonNode;
    use proptest::prelude::*;

    /// The reference: serde_json through the tree builder `build` names.
    fn reference(text: &str, build: ObjectBuild) -> Result<Node, String> {
        let mut de = serde_json::Deserializer::from_str(text);
        let node = match build {
            ObjectBuild::Full => serde::Deserialize::deserialize(&mut de),
            ObjectBuild::WithoutBookkeeping => JsonNode::deserialize_without_bookkeeping(&mut de),
            ObjectBuild::PodSecurity => JsonNode::deserialize_pod_security_fields(&mut de),
        };
        node.and_then(|node: JsonNode| de.end().map(|()| node.0))
            .map_err(|e| e.to_string())
    }

    fn scanned(text: &str, build: ObjectBuild) -> Option<Node> {
        let mut scanner = JsonScanner::new(text);
        let node = scanner.node(build)?;
        scanner.finish()?;
        Some(node)
    }

    const BUILDS: [ObjectBuild; 3] = [
        ObjectBuild::Full,
        ObjectBuild::WithoutBookkeeping,
        ObjectBuild::PodSecurity,
    ];

    /// Accepts only what the reference accepts, and then builds the same tree (Debug text: floats compared
    /// bit for bit, so -0.0 is not 0.0).
    fn agrees(text: &str) {
        for build in BUILDS {
            if let Some(node) = scanned(text, build) {
                let expected = reference(text, build).map(|node| format!("{node:?}"));
                assert_eq!(Ok(format!("{node:?}")), expected, "{build:?}: {text:?}");
            }
        }
    }

    #[test]
    fn the_special_byte_search_finds_the_first_in_every_position() {
        for len in 0..48 {
            for hit in 0..len {
                for special in [b'"', b'\\', 0x00, 0x1f] {
                    // Bytes around the hit that must not be taken for it (high bytes, neighbours of the specials).
                    let mut bytes: Vec<u8> = (0..len)
                        .map(|i| [b'a', 0x21, 0x7f, 0xc3, 0x5b, 0x5d, 0x20, 0xff][i % 8])
                        .collect();
                    bytes[hit] = special;
                    if hit + 1 < len {
                        bytes[hit + 1] = b'"';
                    }
                    assert_eq!(find_string_special(&bytes, 0), Some(hit), "{bytes:?}");
                    assert_eq!(find_special_swar(&bytes, 0), Some(hit), "{bytes:?}");
                    for start in 1..=hit {
                        assert_eq!(find_string_special(&bytes, start), Some(hit), "{bytes:?}");
                    }
                }
            }
            assert_eq!(find_string_special(&vec![b'x'; len], 0), None);
        }
    }

    #[test]
    fn common_values_are_read_as_the_reference_reads_them() {
        let texts = [
            r#"{"a":1,"b":-2,"c":"x","d":true,"e":false,"f":null,"g":[],"h":{},"i":[1,[2,{"j":"k"}]]}"#,
            " { \"a\" : [ 1 , 2 ] ,\n\t\"b\" : { } }\r\n",
            r#"{"s":"tab\there \"q\" \\ \/ \b\f\n\r \u00e9 \u20ac \ud83d\ude00 end"}"#,
            r#"{"n":[0,-0,1.5,-1e3,1E+2,123456789012345678,1234567890123456789,18446744073709551615,
               18446744073709551616,-9223372036854775808,-9223372036854775809,0.1,2.5e-308]}"#,
            r#""just a string""#,
            "42",
            "[]",
            r#"{"ünï":"cödé","emoji":"😀"}"#,
        ];
        for text in texts {
            for build in BUILDS {
                assert!(scanned(text, build).is_some(), "accepts {text}");
            }
            agrees(text);
        }
    }

    #[test]
    fn pruned_builds_match_the_reference() {
        let pod = r#"{"kind":"Pod","metadata":{"name":"p","managedFields":[{"manager":"m"}],
            "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}","a":"b"}},
            "spec":{"hostPID":true,"affinity":{"x":[1]},"containers":[{"name":"c","image":"i",
            "env":[{"name":"A","value":"1"}],"ports":[{"containerPort":80,"hostPort":8080}],
            "readinessProbe":{"httpGet":{"host":"h","path":"/"},"periodSeconds":5},
            "lifecycle":{"preStop":{"tcpSocket":{"host":"t","port":1}}},"securityContext":{"privileged":true}}]},
            "status":{"phase":"Running"}}"#;
        for build in BUILDS {
            assert!(scanned(pod, build).is_some(), "{build:?}");
        }
        agrees(pod);
        let lean = scanned(pod, ObjectBuild::PodSecurity).expect("accepts");
        assert_eq!(lean.get("status"), None);
        assert_eq!(lean.path(&["metadata", "managedFields"]), None);
    }

    #[test]
    fn what_the_reference_rejects_is_left_to_it() {
        let texts = [
            "",
            "{",
            "[1,]",
            r#"{"a":1,}"#,
            r#"{"a":1 "b":2}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"status":{"x":1,"x":2}}"#,
            r#"{"a":"\u0001 ok"}"#,
            "{\"a\":\"raw \u{1} control\"}",
            r#"{"a":"\x"}"#,
            r#"{"a":"\ud800"}"#,
            r#"{"a":"\udc00"}"#,
            r#"{"a":"\ud800\u0041"}"#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":-}"#,
            r#"{"a":1e}"#,
            r#"{"a":1e400}"#,
            r#"{"a":tru}"#,
            r#"{"a":nul}"#,
            r#"{"a":truex}"#,
            r#"{"a":1} x"#,
            r#"{"a\n":1}"#,
            r#"{"a":"unterminated}"#,
        ];
        for text in texts {
            agrees(text);
        }
        // Rejections of the subset the reference accepts: an escaped key, nesting past MAX_DEPTH.
        assert!(scanned(r#"{"\u0061":1}"#, ObjectBuild::Full).is_none());
        let deep = format!("{}{}", "[".repeat(97), "]".repeat(97));
        assert!(scanned(&deep, ObjectBuild::Full).is_none());
        let shallow = format!("{}{}", "[".repeat(96), "]".repeat(96));
        assert!(scanned(&shallow, ObjectBuild::Full).is_some());
        agrees(&shallow);
    }

    #[test]
    fn escapes_in_skipped_strings_are_checked_as_read_ones() {
        // `status` is skipped by the Pod Security build and `x` by none: the same string must be accepted or
        // declined alike in both places, and exactly when the reference accepts it.
        let strings = [
            r#""a\"b\\c\/\b\f\n\r\t\u0041\u00e9\ud83d\ude00 end""#,
            r#""\\\\\\\"""#,
            r#""\u0000""#,
            r#""\x""#,
            r#""\ud800""#,
            r#""\udc00""#,
            r#""\ud800\u0041""#,
            r#""\ud800\""#,
            r#""\u12""#,
            r#""\u12G4""#,
            r#""tail\"#,
            "\"raw \u{1} control after \\n\"",
        ];
        for string in strings {
            let skipped = format!(r#"{{"spec":{{}},"status":{{"s":{string}}}}}"#);
            let read = format!(r#"{{"x":{string}}}"#);
            let accepted = reference(&read, ObjectBuild::Full).is_ok();
            assert_eq!(
                reference(&skipped, ObjectBuild::PodSecurity).is_ok(),
                accepted,
                "{string}"
            );
            assert_eq!(
                scanned(&read, ObjectBuild::Full).is_some(),
                accepted,
                "{string}"
            );
            assert_eq!(
                scanned(&skipped, ObjectBuild::PodSecurity).is_some(),
                accepted,
                "{string}"
            );
            agrees(&skipped);
            let mut scanner = JsonScanner::new(&read);
            let skipped_alone = scanner.skip_value().and_then(|()| scanner.finish());
            assert_eq!(skipped_alone.is_some(), accepted, "{string}");
        }
    }

    /// The escaped bytes of a block, one byte at a time: what [`escaped_bytes`] computes without branches.
    fn escaped_bytes_slowly(backslashes: u64, carry: &mut u64) -> u64 {
        let mut escaped = 0;
        let mut pending = *carry != 0;
        for bit in 0..64 {
            if pending {
                escaped |= 1 << bit;
                pending = false;
            } else if backslashes & (1 << bit) != 0 {
                pending = true;
            }
        }
        *carry = u64::from(pending);
        escaped
    }

    #[test]
    fn escaped_bytes_match_a_byte_wise_count_on_every_16_bit_pattern() {
        for low in 0..=u64::from(u16::MAX) {
            for shift in [0, 24, 48] {
                for carry_in in [0, 1] {
                    let backslashes = low << shift;
                    let (mut fast, mut slow) = (carry_in, carry_in);
                    assert_eq!(
                        escaped_bytes(backslashes, &mut fast),
                        escaped_bytes_slowly(backslashes, &mut slow),
                        "{backslashes:064b} carry {carry_in}"
                    );
                    assert_eq!(fast, slow, "{backslashes:064b} carry {carry_in}");
                }
            }
        }
    }

    /// A skipped string is accepted exactly when the reference accepts it as a read one.
    fn skipped_string_agrees(content: &str) {
        let string = format!("\"{content}\"");
        let read = format!(r#"{{"x":{string}}}"#);
        let skipped = format!(r#"{{"spec":{{}},"status":{{"s":{string},"t":1}}}}"#);
        let accepted = reference(&read, ObjectBuild::Full).is_ok();
        assert_eq!(
            scanned(&skipped, ObjectBuild::PodSecurity).is_some(),
            accepted,
            "{string}"
        );
        let mut scanner = JsonScanner::new(&read);
        let skipped_alone = scanner.skip_value().and_then(|()| scanner.finish());
        assert_eq!(skipped_alone.is_some(), accepted, "{string}");
        agrees(&skipped);
    }

    #[test]
    fn long_escaped_strings_are_skipped_as_the_reference_reads_them() {
        let applied = r#"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"annotations\":{},\"name\":\"shop\"},\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"args\":[\"--path=C:\\\\x\"]}]}}}}\n"#;
        skipped_string_agrees(applied);
        for pad in 0..130 {
            let lead = "a".repeat(pad);
            // An escape, an odd and an even run of backslashes, across every position of a 64-byte block.
            skipped_string_agrees(&format!(r#"\"{lead}\\\"x\\\\y{applied}"#));
            skipped_string_agrees(&format!(r#"\n{lead}\\"#));
            skipped_string_agrees(&format!(r#"\n{lead}\u00e9{applied}"#));
            for bad in [r#"\x"#, "\u{1}", r#"\u12"#, r#"\ud800"#, r#"\"#, "\\\u{1f}"] {
                skipped_string_agrees(&format!(r#"\t{lead}{bad}{applied}"#));
                skipped_string_agrees(&format!(r#"\t{applied}{lead}{bad}"#));
            }
        }
    }

    #[test]
    fn many_keys_are_checked_through_a_set() {
        let keys: Vec<String> = (0..100).map(|i| format!(r#""k{i}":{i}"#)).collect();
        let many = format!("{{{}}}", keys.join(","));
        assert!(scanned(&many, ObjectBuild::Full).is_some());
        agrees(&many);
        let skipped = format!(r#"{{"status":{{{}}}}}"#, keys.join(","));
        assert!(scanned(&skipped, ObjectBuild::PodSecurity).is_some());
        for text in [
            format!("{{{},\"k42\":0}}", keys.join(",")),
            format!(r#"{{"status":{{{},"k99":0}}}}"#, keys.join(",")),
        ] {
            for build in BUILDS {
                assert!(scanned(&text, build).is_none(), "{text}");
            }
        }
    }

    #[test]
    fn the_key_filter_only_narrows_the_duplicate_check() {
        // Same length, first and last byte: one filter bit, yet different keys.
        let alike = ["axxz", "ayyz", "azzz", "a01z"];
        assert!(alike
            .iter()
            .all(|key| key_filter_bit(key) == key_filter_bit(alike[0])));
        let members: Vec<String> = alike.iter().map(|k| format!(r#""{k}":1"#)).collect();
        let object = format!("{{{}}}", members.join(","));
        agrees(&object);
        assert!(scanned(&object, ObjectBuild::Full).is_some());
        assert!(scanned(
            &format!(r#"{{"status":{object}}}"#),
            ObjectBuild::PodSecurity
        )
        .is_some());
        // A repeat of any member, built or skipped, is still found.
        for key in alike {
            let repeated = format!(r#"{{{},"{key}":2}}"#, members.join(","));
            for text in [repeated.clone(), format!(r#"{{"status":{repeated}}}"#)] {
                for build in BUILDS {
                    assert!(scanned(&text, build).is_none(), "{text}");
                }
            }
        }
    }

    #[test]
    fn the_node_budget_is_the_references() {
        let limits = crate::Limits {
            max_nodes: 4,
            ..crate::Limits::default()
        };
        for (text, fits) in [
            ("[1,2,3]", true),
            ("[1,2,3,4]", false),
            (r#"{"a":{"b":1}}"#, true),
        ] {
            let mut scanner = JsonScanner::new(text).with_node_budget(limits.max_nodes);
            let scanned = scanner.node(ObjectBuild::Full);
            assert_eq!(scanned.is_some(), fits, "{text}");
            assert_eq!(
                crate::parse_json(text.as_bytes(), &limits).is_ok(),
                fits,
                "{text}"
            );
        }
    }

    #[test]
    fn raw_values_span_exactly_the_value() {
        let text = r#"{"a": [1, {"b": "c"}] , "d":null}"#;
        let mut scanner = JsonScanner::new(text);
        scanner.object_start().expect("object");
        assert_eq!(scanner.object_key(true), Some(Some("a")));
        assert_eq!(scanner.raw_value(), Some(r#"[1, {"b": "c"}]"#));
        assert_eq!(scanner.object_key(false), Some(Some("d")));
        assert!(scanner.null());
        assert_eq!(scanner.object_key(false), Some(None));
        assert_eq!(scanner.finish(), Some(()));
    }

    /// Arbitrary JSON-ish text built from the pieces the reader tells apart, with the keys that steer pruning.
    fn jsonish() -> impl Strategy<Value = String> {
        let atom = prop_oneof![
            Just("1".to_owned()),
            Just("-0".to_owned()),
            Just("1.5e3".to_owned()),
            Just("01".to_owned()),
            Just("99999999999999999999".to_owned()),
            Just("true".to_owned()),
            Just("nul".to_owned()),
            Just("null".to_owned()),
            Just(r#""s""#.to_owned()),
            Just(r#""\u00e9\n""#.to_owned()),
            Just(r#""\ud800""#.to_owned()),
            Just("\"\u{1}\"".to_owned()),
            "[a-z\"\\\\ ]{0,6}".prop_map(|s| format!("\"{s}\"")),
        ];
        atom.prop_recursive(5, 48, 6, |inner| {
            let key = prop_oneof![
                Just("metadata"),
                Just("spec"),
                Just("status"),
                Just("containers"),
                Just("env"),
                Just("name"),
                Just("managedFields"),
                Just("ports"),
                Just("hostPort"),
                Just("a"),
            ];
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5)
                    .prop_map(|v| format!("[{}]", v.join(","))),
                prop::collection::vec((key, inner), 0..5).prop_map(|members| {
                    let members: Vec<String> = members
                        .iter()
                        .map(|(k, v)| format!("\"{k}\":{v}"))
                        .collect();
                    format!("{{{}}}", members.join(","))
                }),
            ]
        })
    }

    proptest! {
        #[test]
        fn escaped_bytes_match_a_byte_wise_count(backslashes in any::<u64>(), runs in any::<u64>(), carry_in in 0u64..2) {
            // Dense and sparse backslash patterns: `runs` makes long runs likely.
            for pattern in [backslashes, backslashes | runs, backslashes & runs] {
                let (mut fast, mut slow) = (carry_in, carry_in);
                prop_assert_eq!(escaped_bytes(pattern, &mut fast), escaped_bytes_slowly(pattern, &mut slow));
                prop_assert_eq!(fast, slow);
            }
        }

        #[test]
        fn escape_dense_strings_are_skipped_as_the_reference_reads_them(
            parts in prop::collection::vec(prop_oneof![
                Just("a"), Just("é"), Just("/"), Just(r#"\""#), Just(r#"\\"#), Just(r#"\n"#), Just(r#"\/"#),
                Just(r#"\u0041"#), Just(r#"\ud83d\ude00"#), Just(r#"\ud800"#), Just(r#"\x"#), Just("\u{1}"),
                Just("\\"), Just("\""), Just("abcdefghijklmnopqrstuvwxyz"),
            ], 0..80)
        ) {
            skipped_string_agrees(&parts.concat());
        }

        #[test]
        fn never_disagrees_with_the_reference(text in jsonish(), cut in 0usize..200, junk in "[ ,:{}\\[\\]\"]?") {
            agrees(&text);
            // Truncated or with a stray byte: still never accepted differently.
            let cut = text.char_indices().map(|(i, _)| i).find(|&i| i >= cut).unwrap_or(text.len());
            agrees(&text[..cut]);
            agrees(&format!("{}{junk}{}", &text[..cut], &text[cut..]));
        }
    }
}

//! A small, strict, non-allocating JSON reader for JOSE headers, claims and
//! JWKS documents.
//!
//! Why not `serde-json-core` alone: the rules this crate needs are checked on
//! the *whole* document, including members nobody reads — duplicate members
//! anywhere (compared after unescaping, so `"ex\u0070"` duplicates `"exp"`),
//! a nesting bound that also covers ignored values, and strings compared by
//! their unescaped value without a scratch buffer per string. A derive-based
//! deserializer only sees the fields it knows, so this module validates the
//! document once ([`validate`]) and then reads members lazily from the
//! validated text.
//!
//! Grammar: RFC 8259, with these refusals: invalid UTF-8, lone surrogates in
//! `\u` escapes, nesting deeper than [`MAX_JSON_DEPTH`], more than
//! [`MAX_OBJECT_MEMBERS`] member names in the objects open at any point
//! (one object's members plus those of the objects around it read so far),
//! duplicate member names.
//!
//! Cost: validation is linear in the document. Each value is read once;
//! an object's duplicate check works on a fixed stack of name entries (1
//! KiB, no heap) when the object closes: it hashes the names (keyed by the
//! object's own names, so their writer cannot pick which collide), sorts
//! the entries as integers, and compares by value only names of equal hash,
//! sorted in turn. It reads name bytes only, O(names × log2 256), never the
//! values between them. (Before, each new name re-read every earlier
//! member, values included: nesting × members × bytes.)

use crate::limits::{MAX_JSON_DEPTH, MAX_OBJECT_MEMBERS};

/// Why a document was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JsonError {
    Syntax,
    NotObject,
    Duplicate,
    TooDeep,
    TooManyMembers,
}

/// Validates `doc` as one JSON object (with optional surrounding whitespace)
/// and returns it as `&str`.
pub(crate) fn validate(doc: &[u8]) -> Result<&str, JsonError> {
    parse(doc, None)
}

/// [`validate`], handing each member of the top-level object to `sink` as
/// it is read (name and value, in document order), so a caller collects
/// what it needs in the same pass instead of walking the text again with
/// [`Members`]. The sink also sees the members of a document that is
/// refused later: a caller uses what it collected only on `Ok`.
pub(crate) fn validate_with<'a>(
    doc: &'a [u8],
    sink: &mut dyn FnMut(JsonStr<'a>, Value<'a>),
) -> Result<&'a str, JsonError> {
    parse(doc, Some(sink))
}

fn parse<'a>(
    doc: &'a [u8],
    sink: Option<&mut dyn FnMut(JsonStr<'a>, Value<'a>)>,
) -> Result<&'a str, JsonError> {
    let text = core::str::from_utf8(doc).map_err(|_| JsonError::Syntax)?;
    let mut p = Parser {
        b: doc,
        text,
        pos: 0,
        names: [0; MAX_OBJECT_MEMBERS],
        open: 0,
        sink,
        #[cfg(test)]
        steps: 0,
    };
    p.ws();
    if p.peek() != Some(b'{') {
        // Distinguish "valid JSON but not an object" from garbage.
        p.value(0)?;
        p.ws();
        return Err(if p.pos == doc.len() {
            JsonError::NotObject
        } else {
            JsonError::Syntax
        });
    }
    p.value(0)?;
    p.ws();
    if p.pos != doc.len() {
        return Err(JsonError::Syntax);
    }
    Ok(text)
}

struct Parser<'a, 's> {
    b: &'a [u8],
    /// `b` as text (checked UTF-8), for the values handed to `sink`.
    text: &'a str,
    pos: usize,
    /// The member names of every object open at this point (offset, escape
    /// flag and a small hash: [`name_entry`]), outermost object first: a
    /// stack shared by all nesting levels, [`MAX_OBJECT_MEMBERS`] entries
    /// (1 KiB), so the duplicate check never re-reads a value and needs no
    /// heap.
    names: [u32; MAX_OBJECT_MEMBERS],
    /// Entries of `names` in use.
    open: usize,
    /// Receives the top-level object's members ([`validate_with`]).
    sink: Option<&'s mut dyn FnMut(JsonStr<'a>, Value<'a>)>,
    /// Bytes of member names the duplicate check has read (tests only: the
    /// regression test for linear cost counts work, not time).
    #[cfg(test)]
    steps: usize,
}

impl<'a> Parser<'a, '_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.pos += 1;
        Some(c)
    }

    fn expect(&mut self, c: u8) -> Result<(), JsonError> {
        if self.bump() == Some(c) {
            Ok(())
        } else {
            Err(JsonError::Syntax)
        }
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// `depth` is the number of containers already open around this value.
    fn value(&mut self, depth: usize) -> Result<(), JsonError> {
        match self.peek() {
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => self.string().map(|_| ()),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(JsonError::Syntax),
        }
    }

    fn literal(&mut self, lit: &[u8]) -> Result<(), JsonError> {
        let end = self.pos.checked_add(lit.len()).ok_or(JsonError::Syntax)?;
        if self.b.get(self.pos..end) == Some(lit) {
            self.pos = end;
            Ok(())
        } else {
            Err(JsonError::Syntax)
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<(), JsonError> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(JsonError::Syntax),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(JsonError::Syntax);
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(JsonError::Syntax);
            }
        }
        Ok(())
    }

    fn hex4(&mut self) -> Result<u16, JsonError> {
        let mut v: u16 = 0;
        for _ in 0..4 {
            let c = self.bump().ok_or(JsonError::Syntax)?;
            let d = hex_val(c).ok_or(JsonError::Syntax)?;
            v = (v << 4) | d;
        }
        Ok(v)
    }

    /// Parses a string; returns the raw span between the quotes and
    /// whether it holds an escape. Runs of plain bytes (no quote, no
    /// backslash, no control character) are skipped eight at a time
    /// ([`plain_run`]).
    fn string(&mut self) -> Result<(usize, usize, bool), JsonError> {
        self.expect(b'"')?;
        let start = self.pos;
        let mut escaped = false;
        loop {
            self.pos = plain_run(self.b, self.pos);
            match self.bump().ok_or(JsonError::Syntax)? {
                b'"' => return Ok((start, self.pos - 1, escaped)),
                b'\\' => match self.bump().ok_or(JsonError::Syntax)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => escaped = true,
                    b'u' => {
                        escaped = true;
                        let u = self.hex4()?;
                        if (0xD800..0xDC00).contains(&u) {
                            // A high surrogate must be followed by a low one.
                            self.expect(b'\\')?;
                            self.expect(b'u')?;
                            let lo = self.hex4()?;
                            if !(0xDC00..0xE000).contains(&lo) {
                                return Err(JsonError::Syntax);
                            }
                        } else if (0xDC00..0xE000).contains(&u) {
                            return Err(JsonError::Syntax);
                        }
                    }
                    _ => return Err(JsonError::Syntax),
                },
                0x00..=0x1F => return Err(JsonError::Syntax),
                _ => {}
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<(), JsonError> {
        if depth > MAX_JSON_DEPTH {
            return Err(JsonError::TooDeep);
        }
        self.expect(b'[')?;
        self.ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.ws();
            self.value(depth)?;
            self.ws();
            match self.bump() {
                Some(b',') => continue,
                Some(b']') => return Ok(()),
                _ => return Err(JsonError::Syntax),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<(), JsonError> {
        if depth > MAX_JSON_DEPTH {
            return Err(JsonError::TooDeep);
        }
        self.expect(b'{')?;
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        let base = self.open;
        loop {
            self.ws();
            let (ks, ke, escaped) = self.string()?;
            // The names of all open objects share one stack: past its room
            // (nested objects open inside a large one) the document is refused.
            let entry = name_entry(ks, escaped)?;
            let slot = self
                .names
                .get_mut(self.open)
                .ok_or(JsonError::TooManyMembers)?;
            *slot = entry;
            self.open += 1;
            self.ws();
            self.expect(b':')?;
            self.ws();
            let vs = self.pos;
            self.value(depth)?;
            if depth == 1 {
                if let Some(sink) = self.sink.as_mut() {
                    if let (Some(name), Some(v)) =
                        (self.text.get(ks..ke), value_at(self.text, vs, self.pos))
                    {
                        sink(JsonStr::from_raw(name), v);
                    }
                }
            }
            self.ws();
            match self.bump() {
                Some(b',') => continue,
                Some(b'}') => {
                    let r = self.check_duplicates(base);
                    self.open = base;
                    return r;
                }
                _ => return Err(JsonError::Syntax),
            }
        }
    }

    /// Refuses duplicate names among `names[base..open]` (one object's
    /// members), compared by unescaped value: sorts the entries as integers
    /// (heapsort, O(K log K)), then sorts each run of equal hashes by value
    /// (O(r log r) comparisons, each reading at most the two names) and
    /// compares neighbours. The total work is bounded by the name bytes
    /// times log2 of [`MAX_OBJECT_MEMBERS`], whatever the values hold.
    fn check_duplicates(&mut self, base: usize) -> Result<(), JsonError> {
        let b = self.b;
        let names = self.names.get_mut(base..self.open).unwrap_or(&mut []);
        if names.len() < 2 {
            return Ok(());
        }
        if names.len() <= SMALL_OBJECT && names.iter().all(|e| *e & ESCAPED == 0) {
            if let Some((r, _read)) = small_object_duplicates(b, names) {
                #[cfg(test)]
                {
                    self.steps += _read;
                }
                return r;
            }
        }
        #[cfg(test)]
        let mut steps = 0usize;
        // The hash key: FNV-1a over this object's raw names, so the names
        // decide it (see `name_hash`). Then each entry gets its hash.
        let mut key: u32 = 0x811c_9dc5;
        for e in names.iter() {
            for &byte in plain_name(b, *e) {
                key = (key ^ u32::from(byte)).wrapping_mul(0x0100_0193);
            }
        }
        for e in names.iter_mut() {
            let hash = if *e & ESCAPED == 0 {
                let raw = plain_name(b, *e);
                #[cfg(test)]
                {
                    steps += 2 * raw.len();
                }
                fnv_mix(raw.iter().copied(), key)
            } else {
                name_hash(&name_at(b, *e & START_MASK), key)
            };
            *e = (*e & !(u32::MAX << HASH_SHIFT)) | (hash << HASH_SHIFT);
        }
        // Only names that share their hash can be duplicates: count the
        // hashes (1024 counters, 2 KiB on the stack) and keep just those
        // names, moved to the front, for the sort below. Random names
        // rarely share one, so a large object sorts a few entries instead
        // of all of them; crafted collisions keep them all (the cost of
        // the sort, as before).
        let mut counts = [0u16; 1 << (32 - HASH_SHIFT)];
        let bucket = |e: u32| usize::try_from(e >> HASH_SHIFT).unwrap_or(0);
        for e in names.iter() {
            if let Some(c) = counts.get_mut(bucket(*e)) {
                *c = c.saturating_add(1);
            }
        }
        let mut shared = 0usize;
        for i in 0..names.len() {
            let e = names.get(i).copied().unwrap_or(0);
            if counts.get(bucket(e)).is_some_and(|c| *c > 1) {
                names.swap(shared, i);
                shared += 1;
            }
        }
        let names = names.get_mut(..shared).unwrap_or(&mut []);
        let mut cmp = |x: u32, y: u32| {
            let (sx, sy) = (x & START_MASK, y & START_MASK);
            if (x | y) & ESCAPED == 0 {
                // Both plain: byte order up to the closing quote, which is
                // the order of their (unescaped) values.
                let (sx, sy) = (
                    usize::try_from(sx).unwrap_or(0),
                    usize::try_from(sy).unwrap_or(0),
                );
                let mut i = 0usize;
                loop {
                    #[cfg(test)]
                    {
                        steps += 2;
                    }
                    let cx = b.get(sx + i).copied().unwrap_or(b'"');
                    let cy = b.get(sy + i).copied().unwrap_or(b'"');
                    match (cx == b'"', cy == b'"') {
                        (true, true) => return core::cmp::Ordering::Equal,
                        (true, false) => return core::cmp::Ordering::Less,
                        (false, true) => return core::cmp::Ordering::Greater,
                        _ if cx != cy => return cx.cmp(&cy),
                        _ => i += 1,
                    }
                }
            }
            let (nx, ny) = (name_at(b, sx), name_at(b, sy));
            #[cfg(test)]
            {
                steps += nx.raw.len() + ny.raw.len();
            }
            nx.cmp_json(&ny)
        };
        // Sorted as integers, names of equal hash (the top bits) are
        // neighbours; only such a run needs its names compared, sorted by
        // value in turn so that even a run of crafted collisions costs
        // O(r log r) name comparisons, never r².
        heapsort(names, &mut |x: u32, y: u32| x.cmp(&y));
        let mut dup = false;
        let mut rest = &mut names[..];
        while !dup && rest.len() > 1 {
            let h = rest.first().copied().unwrap_or(0) >> HASH_SHIFT;
            let run = rest.iter().take_while(|e| **e >> HASH_SHIFT == h).count();
            let (same, tail) = rest.split_at_mut(run);
            if same.len() > 1 {
                heapsort(same, &mut cmp);
                dup = same.windows(2).any(|w| {
                    cmp(
                        w.first().copied().unwrap_or(0),
                        w.get(1).copied().unwrap_or(0),
                    )
                    .is_eq()
                });
            }
            rest = tail;
        }
        #[cfg(test)]
        {
            self.steps += steps;
        }
        if dup {
            Err(JsonError::Duplicate)
        } else {
            Ok(())
        }
    }
}

/// Objects of at most this many names, none escaped and none longer than
/// [`SMALL_NAME`] bytes, are checked for duplicates pair by pair (at most
/// 120 comparisons, each a length compare and, for names of equal length,
/// a compare of at most 32 bytes): a JWS header or an access token's claims
/// take a few hundred instructions instead of the keyed hash and the sort,
/// which pay off only for many or long names. Bounded work per name byte
/// either way; other objects take the hash path.
const SMALL_OBJECT: usize = 16;
/// See [`SMALL_OBJECT`].
const SMALL_NAME: usize = 32;

/// [`Parser::check_duplicates`] for a small object of short plain names,
/// with the name bytes it read (the linear-cost test counts them); `None`
/// when a name is longer than [`SMALL_NAME`].
fn small_object_duplicates(b: &[u8], names: &[u32]) -> Option<(Result<(), JsonError>, usize)> {
    let mut spans = [(0usize, 0usize); SMALL_OBJECT];
    let mut read = 0usize;
    for (span, e) in spans.iter_mut().zip(names) {
        let start = usize::try_from(*e & START_MASK).unwrap_or(usize::MAX);
        // A plain name ends at the first quote.
        *span = (start, plain_run(b, start));
        read += span.1 - start;
        if span.1 - start > SMALL_NAME {
            return None;
        }
    }
    let spans = spans.get(..names.len()).unwrap_or(&[]);
    for (i, &(s1, e1)) in spans.iter().enumerate() {
        for &(s2, e2) in spans.get(i + 1..).unwrap_or(&[]) {
            // Equal lengths and first bytes before the slice compare.
            if e1 - s1 == e2 - s2 && b.get(s1) == b.get(s2) {
                read += 2 * (e1 - s1);
                if b.get(s1..e1) == b.get(s2..e2) {
                    return Some((Err(JsonError::Duplicate), read));
                }
            }
        }
    }
    Some((Ok(()), read))
}

fn hex_val(c: u8) -> Option<u16> {
    match c {
        b'0'..=b'9' => Some(u16::from(c - b'0')),
        b'a'..=b'f' => Some(u16::from(c - b'a' + 10)),
        b'A'..=b'F' => Some(u16::from(c - b'A' + 10)),
        _ => None,
    }
}

/// A `names` entry packs, from the top: a 10-bit hash of the name's
/// unescaped value (filled in when its object closes, so most comparisons
/// are one integer compare), one bit saying the name holds a `\\` escape
/// (compared by unescaped value, not by bytes), and the 21-bit offset of
/// its first byte. Documents whose member names start past 2 MiB are
/// refused (`Syntax`); every caller's documents are bounded to 1 MiB
/// (`MAX_TOKEN_BYTES_LIMIT`, `MAX_KEY_DOCUMENT_BYTES`).
const START_BITS: u32 = 21;
const START_MASK: u32 = (1 << START_BITS) - 1;
const ESCAPED: u32 = 1 << START_BITS;
const HASH_SHIFT: u32 = START_BITS + 1;

/// The `names` entry of the name starting at `ks` (after its quote), its
/// hash bits still zero.
fn name_entry(ks: usize, escaped: bool) -> Result<u32, JsonError> {
    let start = u32::try_from(ks)
        .ok()
        .filter(|s| *s <= START_MASK)
        .ok_or(JsonError::Syntax)?;
    Ok(if escaped { ESCAPED } else { 0 } | start)
}

/// The value spanning `vs..ve` of checked text, as [`read_value`] would
/// read it.
fn value_at(text: &str, vs: usize, ve: usize) -> Option<Value<'_>> {
    let t = text.get(vs..ve)?;
    Some(match t.as_bytes().first()? {
        b'"' => Value::Str(JsonStr::from_raw(t.get(1..t.len().checked_sub(1)?)?)),
        b't' => Value::Bool(true),
        b'f' => Value::Bool(false),
        b'n' => Value::Null,
        b'{' => Value::Object(t),
        b'[' => Value::Array(t),
        _ => Value::Num(t),
    })
}

/// The first position from `pos` of a byte that ends a run of plain string
/// bytes: `"`, `\\` or a control character (< 0x20), or `b.len()`. Eight
/// bytes at a time (SWAR: a byte equal to `c` is a zero byte of `w ^ c`,
/// and `(x - 0x01…) & !x & 0x80…` is non-zero exactly when some byte of
/// `x` is zero; `(w - 0x20…) & !w & 0x80…` when some byte is below 0x20;
/// a borrow can only mark bytes above the first match, so the lowest mark
/// is exact), then byte by byte in the last, shorter word.
#[inline]
fn plain_run(b: &[u8], mut pos: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const QUOTE: u64 = ONES * 0x22;
    const BACKSLASH: u64 = ONES * 0x5c;
    const SPACE: u64 = ONES * 0x20;
    while let Some(word) = b
        .get(pos..pos.saturating_add(8))
        .and_then(|c| <[u8; 8]>::try_from(c).ok())
    {
        let w = u64::from_le_bytes(word);
        let q = w ^ QUOTE;
        let s = w ^ BACKSLASH;
        let special = ((q.wrapping_sub(ONES) & !q)
            | (s.wrapping_sub(ONES) & !s)
            | (w.wrapping_sub(SPACE) & !w))
            & HIGH;
        if special != 0 {
            let lowest = usize::try_from(special.trailing_zeros() / 8).unwrap_or(0);
            return pos + lowest;
        }
        pos += 8;
    }
    while let Some(&c) = b.get(pos) {
        if c == b'"' || c == b'\\' || c < 0x20 {
            break;
        }
        pos += 1;
    }
    pos
}

/// FNV-1a from `key` over a name's unescaped UTF-8, then a murmur3
/// finaliser, folded to 10 bits.
///
/// Keyed per object (see [`Parser::check_duplicates`]): the key is a hash
/// of all the object's names, so whoever writes the names cannot know in
/// advance which of them will share a hash, and cannot build the long runs
/// of equal hashes that would make every comparison read the names.
fn name_hash(name: &JsonStr<'_>, key: u32) -> u32 {
    match name.as_plain() {
        Some(p) => fnv_mix(p.bytes(), key),
        None => {
            let mut buf = [0u8; 4];
            fnv_mix(
                name.chars().flat_map(|c| {
                    let n = c.encode_utf8(&mut buf).len();
                    buf.into_iter().take(n)
                }),
                key,
            )
        }
    }
}

/// The bytes of a name without escapes, from its entry: up to the closing
/// quote, found directly (a plain name holds no `\\"`). For an escaped name,
/// its raw bytes up to the first quote (enough for the object's key).
fn plain_name(b: &[u8], entry: u32) -> &[u8] {
    let start = usize::try_from(entry & START_MASK).unwrap_or(usize::MAX);
    let rest = b.get(start..).unwrap_or(&[]);
    let len = rest.iter().position(|&c| c == b'"').unwrap_or(rest.len());
    rest.get(..len).unwrap_or(&[])
}

/// See [`name_hash`].
fn fnv_mix(bytes: impl Iterator<Item = u8>, key: u32) -> u32 {
    let mut h = key;
    for byte in bytes {
        h = (h ^ u32::from(byte)).wrapping_mul(0x0100_0193);
    }
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h >> (32 - 10)
}

/// The member name whose text starts at `start` (after its opening quote)
/// in a document whose strings were already checked.
fn name_at(b: &[u8], start: u32) -> JsonStr<'_> {
    let start = usize::try_from(start).unwrap_or(usize::MAX);
    let end = string_end(b, start.saturating_sub(1)).saturating_sub(1);
    let raw = b
        .get(start..end)
        .and_then(|s| core::str::from_utf8(s).ok())
        .unwrap_or("");
    JsonStr::from_raw(raw)
}

/// In-place heapsort: O(n log n) comparisons in the worst case, no heap,
/// a few instructions of code (the duplicate check's only sort).
fn heapsort<F: FnMut(u32, u32) -> core::cmp::Ordering>(v: &mut [u32], cmp: &mut F) {
    fn sift<F: FnMut(u32, u32) -> core::cmp::Ordering>(
        v: &mut [u32],
        mut root: usize,
        end: usize,
        cmp: &mut F,
    ) {
        let at = |v: &[u32], i: usize| v.get(i).copied().unwrap_or(0);
        loop {
            let mut child = 2 * root + 1;
            if child >= end {
                return;
            }
            if child + 1 < end && cmp(at(v, child), at(v, child + 1)).is_lt() {
                child += 1;
            }
            if !cmp(at(v, root), at(v, child)).is_lt() {
                return;
            }
            v.swap(root, child);
            root = child;
        }
    }
    let n = v.len();
    for i in (0..n / 2).rev() {
        sift(v, i, n, cmp);
    }
    for end in (1..n).rev() {
        v.swap(0, end);
        sift(v, 0, end, cmp);
    }
}

/// A JSON string as it appears in validated text (between the quotes, still
/// escaped). Compares and copies by its unescaped value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct JsonStr<'a> {
    raw: &'a str,
}

impl<'a> JsonStr<'a> {
    pub(crate) fn from_raw(raw: &'a str) -> Self {
        Self { raw }
    }

    /// The string as written between its quotes.
    pub(crate) fn raw(&self) -> &'a str {
        self.raw
    }

    /// The value without copying, when it has no escapes.
    pub(crate) fn as_plain(&self) -> Option<&'a str> {
        if self.raw.as_bytes().contains(&b'\\') {
            None
        } else {
            Some(self.raw)
        }
    }

    /// The unescaped characters.
    pub(crate) fn chars(&self) -> Unescape<'a> {
        Unescape {
            rest: self.raw.chars(),
        }
    }

    /// Whether the unescaped value equals `s`.
    ///
    /// Cheap in the common case: an escape (2–12 raw bytes) always stands
    /// for fewer bytes than it takes, so a raw string shorter than `s`
    /// never equals it, one of the same length equals it only byte for
    /// byte without escapes, and only a longer one with an escape needs
    /// unescaping.
    pub(crate) fn eq_str(&self, s: &str) -> bool {
        let raw = self.raw.as_bytes();
        match raw.len().cmp(&s.len()) {
            core::cmp::Ordering::Less => false,
            core::cmp::Ordering::Equal => raw == s.as_bytes() && !raw.contains(&b'\\'),
            core::cmp::Ordering::Greater => raw.contains(&b'\\') && self.chars().eq(s.chars()),
        }
    }

    /// Orders two JSON strings by their unescaped values (code point order,
    /// which is also the byte order of their UTF-8).
    fn cmp_json(&self, other: &JsonStr<'_>) -> core::cmp::Ordering {
        match (self.as_plain(), other.as_plain()) {
            (Some(a), Some(b)) => a.as_bytes().cmp(b.as_bytes()),
            _ => self.chars().cmp(other.chars()),
        }
    }

    /// Whether the unescaped value equals `s`, ignoring ASCII case.
    pub(crate) fn eq_ignore_ascii_case(&self, s: &str) -> bool {
        let mut a = self.chars();
        let mut b = s.chars();
        loop {
            match (a.next(), b.next()) {
                (None, None) => return true,
                (Some(x), Some(y)) if x.eq_ignore_ascii_case(&y) => {}
                _ => return false,
            }
        }
    }

    /// Unescaped length in bytes.
    pub(crate) fn unescaped_len(&self) -> usize {
        match self.as_plain() {
            Some(p) => p.len(),
            None => self.chars().map(char::len_utf8).sum(),
        }
    }

    /// Writes the unescaped value at the start of `out`; returns the bytes
    /// written, or `None` when `out` is too short.
    pub(crate) fn unescape_into(&self, out: &mut [u8]) -> Option<usize> {
        let mut n = 0usize;
        for c in self.chars() {
            let end = n.checked_add(c.len_utf8())?;
            let dst = out.get_mut(n..end)?;
            c.encode_utf8(dst);
            n = end;
        }
        Some(n)
    }
}

/// Iterator over the unescaped characters of a validated JSON string.
pub(crate) struct Unescape<'a> {
    rest: core::str::Chars<'a>,
}

impl Unescape<'_> {
    fn hex4(&mut self) -> u32 {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = self.rest.next().and_then(|c| c.to_digit(16)).unwrap_or(0);
            v = (v << 4) | d;
        }
        v
    }
}

impl Iterator for Unescape<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        let c = self.rest.next()?;
        if c != '\\' {
            return Some(c);
        }
        Some(match self.rest.next()? {
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'u' => {
                let hi = self.hex4();
                let cp = if (0xD800..0xDC00).contains(&hi) {
                    // Validation guaranteed `\uDCxx` follows.
                    self.rest.next();
                    self.rest.next();
                    let lo = self.hex4();
                    0x10000 + ((hi - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF)
                } else {
                    hi
                };
                char::from_u32(cp).unwrap_or('\u{FFFD}')
            }
            other => other, // '"', '\\', '/'
        })
    }
}

/// A value in validated JSON text.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Value<'a> {
    Str(JsonStr<'a>),
    /// The number's text.
    Num(&'a str),
    Bool(bool),
    Null,
    /// The array's text, brackets included.
    Array(&'a str),
    /// The object's text, braces included.
    #[cfg_attr(not(feature = "alloc"), allow(dead_code))]
    Object(&'a str),
}

impl<'a> Value<'a> {
    pub(crate) fn as_str(&self) -> Option<JsonStr<'a>> {
        match self {
            Value::Str(s) => Some(*s),
            _ => None,
        }
    }
}

/// Skips whitespace from `pos` in validated text.
fn skip_ws(b: &[u8], mut pos: usize) -> usize {
    while matches!(b.get(pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        pos += 1;
    }
    pos
}

// Bytes the validated-text readers (`string_end`, `read_value`) have
// stepped over on this thread (tests only): a re-scan of earlier members,
// the old quadratic path, shows up here.
#[cfg(test)]
std::thread_local! {
    static SCANNED: core::cell::Cell<usize> = const { core::cell::Cell::new(0) };
}

#[cfg(test)]
fn scanned(n: usize) {
    SCANNED.with(|c| c.set(c.get() + n));
}

/// End (exclusive) of the string starting with the quote at `pos`.
fn string_end(b: &[u8], pos: usize) -> usize {
    let end = string_end_uncounted(b, pos);
    #[cfg(test)]
    scanned(end.saturating_sub(pos));
    end
}

fn string_end_uncounted(b: &[u8], mut pos: usize) -> usize {
    pos += 1;
    loop {
        // Checked text: no control characters, so the run ends at a quote
        // or a backslash.
        pos = plain_run(b, pos);
        match b.get(pos) {
            Some(b'\\') => pos += 2,
            Some(b'"') => return pos + 1,
            Some(_) => pos += 1,
            None => return b.len(),
        }
    }
}

/// Reads the value at `pos` of validated text; returns it and its end.
fn read_value(text: &str, pos: usize) -> Option<(Value<'_>, usize)> {
    let b = text.as_bytes();
    let start = pos;
    match *b.get(pos)? {
        b'"' => {
            let end = string_end(b, pos);
            Some((
                Value::Str(JsonStr::from_raw(text.get(start + 1..end - 1)?)),
                end,
            ))
        }
        b't' => Some((Value::Bool(true), pos + 4)),
        b'f' => Some((Value::Bool(false), pos + 5)),
        b'n' => Some((Value::Null, pos + 4)),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut p = pos;
            while let Some(&c) = b.get(p) {
                match c {
                    b'"' => {
                        p = string_end(b, p);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            #[cfg(test)]
                            scanned(p + 1 - start);
                            let t = text.get(start..=p)?;
                            let v = if b[start] == b'{' {
                                Value::Object(t)
                            } else {
                                Value::Array(t)
                            };
                            return Some((v, p + 1));
                        }
                    }
                    _ => {}
                }
                p += 1;
            }
            None
        }
        _ => {
            let mut p = pos;
            while matches!(
                b.get(p),
                Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
            ) {
                p += 1;
            }
            Some((Value::Num(text.get(start..p)?), p))
        }
    }
}

/// The members of a validated object, in document order.
pub(crate) struct Members<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Members<'a> {
    /// Members of validated object text (braces included).
    pub(crate) fn of(object: &'a str) -> Self {
        let pos = skip_ws(object.as_bytes(), 0);
        Self {
            text: object,
            pos: pos + 1,
        }
    }
}

impl<'a> Iterator for Members<'a> {
    type Item = (JsonStr<'a>, Value<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let b = self.text.as_bytes();
        let mut p = skip_ws(b, self.pos);
        if *b.get(p)? == b',' {
            p = skip_ws(b, p + 1);
        }
        if *b.get(p)? != b'"' {
            self.pos = b.len();
            return None;
        }
        let kend = string_end(b, p);
        let key = JsonStr::from_raw(self.text.get(p + 1..kend.checked_sub(1)?)?);
        p = skip_ws(b, kend);
        if *b.get(p)? != b':' {
            self.pos = b.len();
            return None;
        }
        p = skip_ws(b, p + 1);
        let (v, end) = read_value(self.text, p)?;
        self.pos = end;
        Some((key, v))
    }
}

/// The elements of a validated array, in order.
pub(crate) struct Elements<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Elements<'a> {
    /// Elements of validated array text (brackets included).
    pub(crate) fn of(array: &'a str) -> Self {
        let pos = skip_ws(array.as_bytes(), 0);
        Self {
            text: array,
            pos: pos + 1,
        }
    }
}

impl<'a> Iterator for Elements<'a> {
    type Item = Value<'a>;

    fn next(&mut self) -> Option<Value<'a>> {
        let b = self.text.as_bytes();
        let mut p = skip_ws(b, self.pos);
        if *b.get(p)? == b',' {
            p = skip_ws(b, p + 1);
        }
        if matches!(b.get(p), None | Some(b']')) {
            self.pos = b.len();
            return None;
        }
        let (v, end) = read_value(self.text, p)?;
        self.pos = end;
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_members_compare_unescaped() {
        assert_eq!(
            validate(br#"{"ex\u0070":1,"exp":2}"#),
            Err(JsonError::Duplicate)
        );
        // Past the remembered key spans, the re-scan still finds duplicates.
        let mut many = std::string::String::from("{");
        for i in 0..40 {
            many.push_str(&std::format!("\"k{i}\":{i},"));
        }
        many.push_str("\"k3\":0}");
        assert_eq!(validate(many.as_bytes()), Err(JsonError::Duplicate));
        assert_eq!(
            validate(br#"{"exp":1,"ex\u0070":2}"#),
            Err(JsonError::Duplicate)
        );
        assert_eq!(
            validate(br#"{"a":{"b":1,"b":2}}"#),
            Err(JsonError::Duplicate)
        );
        assert_eq!(validate(br#"{"a":[{"b":1},{"b":2}]}"#).map(|_| ()), Ok(()));
        assert_eq!(
            validate(br#"{"a":{"b":1},"c":{"b":2}}"#).map(|_| ()),
            Ok(())
        );
    }

    /// The hostile shape of issue 16: nested objects, each with a large
    /// first member and then many short names (`{"alg":..,"x":{"a":{"a":
    /// "xxxx…",k0..kK},k0..kK}}`), which once cost nesting × members × bytes.
    fn hostile(levels: usize, names: usize, filler: usize) -> std::string::String {
        let mut doc = std::string::String::from(r#"{"alg":"ES256","x":"#);
        for _ in 0..levels {
            doc.push_str(r#"{"a":"#);
        }
        doc.push('"');
        doc.push_str(&"x".repeat(filler));
        doc.push('"');
        for _ in 0..levels {
            for k in 0..names {
                doc.push_str(&std::format!(",\"k{k}\":0"));
            }
            doc.push('}');
        }
        doc.push('}');
        doc
    }

    fn steps(doc: &[u8]) -> (Result<(), JsonError>, usize) {
        let mut p = Parser {
            b: doc,
            text: "",
            pos: 0,
            names: [0; MAX_OBJECT_MEMBERS],
            open: 0,
            sink: None,
            steps: 0,
        };
        SCANNED.with(|c| c.set(0));
        let r = p.value(0);
        (r, p.steps + SCANNED.with(core::cell::Cell::get))
    }

    #[test]
    fn duplicate_check_reads_only_names_so_its_work_is_linear() {
        // Without counting time: the bytes the duplicate check reads (names
        // it compares, plus anything re-scanned through the validated-text
        // readers) stay within a fixed multiple of the document, however the
        // nesting, the member count and the filler are traded against each
        // other (the old re-scan read the filler once per later name).
        for (levels, names, filler) in [
            (1, 8, 16_000),
            (14, 16, 16_000),
            (14, 16, 1_000_000),
            (1, 250, 1_000_000),
            (4, 60, 250_000),
        ] {
            let doc = hostile(levels, names, filler);
            let (r, work) = steps(doc.as_bytes());
            assert_eq!(r, Ok(()), "{levels}/{names}/{filler}");
            // ≤ 2 names of ≤ 5 bytes per comparison, ≤ 2·K·log2(K)+K
            // comparisons per object of K names: well under 64 per byte.
            assert!(
                work <= 64 * doc.len(),
                "{levels} levels × {names} names, filler {filler}: {work} name bytes read for a {} byte document",
                doc.len()
            );
            // Independent of the filler: the values are never re-read.
            let small = hostile(levels, names, 16);
            assert_eq!(
                steps(small.as_bytes()).1,
                work,
                "work depends on the filler"
            );
        }
    }

    #[test]
    fn names_of_all_open_objects_share_one_bounded_stack() {
        // 256 names in one object: the limit, accepted.
        let mut doc = std::string::String::from("{");
        for i in 0..MAX_OBJECT_MEMBERS {
            doc.push_str(&std::format!("\"k{i}\":0,"));
        }
        doc.pop();
        doc.push('}');
        assert_eq!(validate(doc.as_bytes()).map(|_| ()), Ok(()));
        // 250 names, then an object of 10 open inside: 260 names open.
        let mut doc = std::string::String::from("{");
        for i in 0..250 {
            doc.push_str(&std::format!("\"k{i}\":0,"));
        }
        doc.push_str(r#""n":{"#);
        for i in 0..10 {
            doc.push_str(&std::format!("\"m{i}\":0,"));
        }
        doc.pop();
        doc.push_str("}}");
        assert_eq!(validate(doc.as_bytes()), Err(JsonError::TooManyMembers));
        // Siblings do not add up: each object's names leave when it closes.
        let mut doc = std::string::String::from("{");
        for i in 0..100 {
            doc.push_str(&std::format!("\"o{i}\":{{\"a\":1,\"b\":2,\"c\":3}},"));
        }
        doc.pop();
        doc.push('}');
        assert_eq!(validate(doc.as_bytes()).map(|_| ()), Ok(()));
    }

    #[test]
    fn duplicates_are_found_at_every_level_and_position() {
        for doc in [
            &br#"{"a":{"b":{"c":1,"d":2,"c":3}}}"#[..],
            br#"{"z":1,"a":{"b":1},"z":2}"#,
            br#"{"a":{"k\u0031":1,"x":[1,{"y":2}],"k1":2}}"#,
            br#"{"\u00e9":1,"\u00E9":2}"#,
            r#"{"\u00e9":1,"é":2}"#.as_bytes(),
        ] {
            assert_eq!(validate(doc), Err(JsonError::Duplicate), "{doc:?}");
        }
        assert_eq!(
            validate(br#"{"a":{"b":1},"b":{"a":1},"ab":0,"ba":0}"#).map(|_| ()),
            Ok(())
        );
    }

    #[test]
    fn names_with_equal_hashes_are_compared_by_value() {
        // 250 names in 1024 hash values: runs of equal hashes occur, and are
        // sorted by value; a duplicate anywhere (plain or escaped) is found,
        // and distinct names in a run are not mistaken for duplicates.
        let names: std::vec::Vec<std::string::String> =
            (0..249).map(|i| std::format!("name{i}")).collect();
        let mut doc = std::string::String::from("{");
        for n in &names {
            doc.push_str(&std::format!("\"{n}\":0,"));
        }
        let (r, work) = steps(std::format!("{doc}\"last\":0}}").as_bytes());
        assert_eq!(r, Ok(()));
        assert!(work > 0);
        for i in [0, 17, 123, 248] {
            let dup = std::format!("{doc}\"{}\":1}}", names[i]);
            assert_eq!(validate(dup.as_bytes()), Err(JsonError::Duplicate), "{i}");
            let esc = std::format!("{doc}\"\\u006e{}\":1}}", &names[i][1..]);
            assert_eq!(validate(esc.as_bytes()), Err(JsonError::Duplicate), "{i}");
        }
        // The same name hashes the same escaped or not, under any key.
        let plain = JsonStr::from_raw("name7");
        let escaped = JsonStr::from_raw(r"\u006eame7");
        for key in [0, 1, 0x811c_9dc5, u32::MAX] {
            assert_eq!(name_hash(&plain, key), name_hash(&escaped, key));
        }
    }

    #[test]
    fn deep_nesting_is_refused_without_recursion_blowup() {
        let mut doc = [b'['; 10_010];
        doc[..5].copy_from_slice(br#"{"a":"#);
        assert_eq!(validate(&doc), Err(JsonError::TooDeep));
        // Depth 16 (the object plus 15 arrays) is the limit.
        let mut ok = [0u8; 36];
        ok[..5].copy_from_slice(br#"{"a":"#);
        ok[5..20].fill(b'[');
        ok[20..35].fill(b']');
        ok[35] = b'}';
        assert_eq!(validate(&ok).map(|_| ()), Ok(()));
        let mut deep = [0u8; 38];
        deep[..5].copy_from_slice(br#"{"a":"#);
        deep[5..21].fill(b'[');
        deep[21..37].fill(b']');
        deep[37] = b'}';
        assert_eq!(validate(&deep), Err(JsonError::TooDeep));
    }

    #[test]
    fn escaped_strings_compare_by_value() {
        let t = validate(br#"{"iss":"https:\/\/issuer.example\/"}"#).unwrap();
        let (k, v) = Members::of(t).next().unwrap();
        assert!(k.eq_str("iss"));
        assert!(v.as_str().unwrap().eq_str("https://issuer.example/"));
    }

    #[test]
    fn refuses_lone_surrogates_and_control_chars() {
        assert_eq!(validate(br#"{"a":"\ud800"}"#), Err(JsonError::Syntax));
        assert_eq!(validate(b"{\"a\":\"\x01\"}"), Err(JsonError::Syntax));
        assert_eq!(validate(br#"[1]"#), Err(JsonError::NotObject));
        assert_eq!(validate(br#"{"a":01}"#), Err(JsonError::Syntax));
    }

    /// The byte-at-a-time definition `plain_run` must agree with.
    fn plain_run_naive(b: &[u8], pos: usize) -> usize {
        (pos..b.len())
            .find(|&i| matches!(b[i], b'"' | b'\\' | 0x00..=0x1F))
            .unwrap_or(b.len())
    }

    #[test]
    fn plain_run_finds_the_first_quote_backslash_or_control_byte_like_a_byte_loop() {
        // Every special byte (and the bytes next to the SWAR thresholds:
        // 0x1F/0x20, 0x21/0x23 around the quote, 0x5B/0x5D around the
        // backslash, bytes with the high bit set) at every position of
        // buffers of 0-24 bytes, from every start.
        let fillers = [
            b'a', 0x20, 0x21, 0x23, 0x5B, 0x5D, 0x7F, 0x80, 0xA2, 0xDC, 0xFF,
        ];
        let specials = [b'"', b'\\', 0x00, 0x01, 0x1F];
        for len in 0..=24usize {
            for &fill in &fillers {
                for at in 0..=len {
                    for &sp in &specials {
                        let mut b = std::vec![fill; len];
                        if at < len {
                            b[at] = sp;
                        }
                        for start in 0..=len {
                            assert_eq!(
                                plain_run(&b, start),
                                plain_run_naive(&b, start),
                                "{b:?} from {start}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn long_strings_refuse_control_bytes_and_keep_escapes_at_every_offset() {
        for at in 0..20 {
            let mut doc = std::string::String::from("{\"a\":\"");
            doc.push_str(&"x".repeat(at));
            let mut bad = doc.clone().into_bytes();
            bad.push(0x1F);
            bad.extend_from_slice(b"yyyyyyyyyyyy\"}");
            assert_eq!(validate(&bad), Err(JsonError::Syntax), "control at {at}");
            doc.push_str("\\\"q\\u00e9yyyyyyyyyy\"}");
            assert!(validate(doc.as_bytes()).is_ok(), "escapes at {at}");
        }
    }

    #[test]
    fn small_objects_find_duplicates_pair_by_pair_and_long_names_take_the_hash_path() {
        assert_eq!(
            validate(br#"{"iss":1,"iat":2,"iss":3}"#),
            Err(JsonError::Duplicate)
        );
        assert_eq!(
            validate(br#"{"a":1,"b":2,"c":{"x":1,"x":2}}"#),
            Err(JsonError::Duplicate)
        );
        assert!(validate(br#"{"iss":1,"iat":2,"isz":3,"is":4}"#).is_ok());
        let long = "n".repeat(40);
        let doc = std::format!(r#"{{"{long}":1,"b":2,"{long}":3}}"#);
        assert_eq!(validate(doc.as_bytes()), Err(JsonError::Duplicate));
        let doc = std::format!(r#"{{"{long}":1,"b":2,"{long}x":3}}"#);
        assert!(validate(doc.as_bytes()).is_ok());
        // 16 names: the pairwise path; 17: the hash path; both find it.
        for n in [16usize, 17] {
            let mut doc = std::string::String::from("{");
            for i in 0..n - 1 {
                doc.push_str(&std::format!("\"k{i}\":{i},"));
            }
            doc.push_str("\"k0\":0}");
            assert_eq!(
                validate(doc.as_bytes()),
                Err(JsonError::Duplicate),
                "{n} names"
            );
        }
    }

    #[test]
    fn validate_with_hands_over_the_top_level_members_as_members_reads_them() {
        let doc =
            br#" {"a" : "x\"y", "b":[1,{"c":2}], "n":-1.5e3, "t":true, "z":null, "o":{"p":"q"}} "#;
        let mut seen = std::vec::Vec::new();
        let text = validate_with(doc, &mut |k, v| seen.push((k.raw(), std::format!("{v:?}"))))
            .expect("valid");
        let walked: std::vec::Vec<_> = Members::of(text.trim())
            .map(|(k, v)| (k.raw(), std::format!("{v:?}")))
            .collect();
        assert_eq!(seen, walked);
        assert_eq!(seen.len(), 6);
    }

    #[test]
    fn large_objects_find_a_duplicate_wherever_it_is_among_names_of_unique_hashes() {
        // Past the small-object path, the hash buckets keep only names
        // that share a hash for the sort: a duplicate of any name, at any
        // place, is still found, and distinct names are not refused.
        for n in [17usize, 40, 120, 255] {
            let names: std::vec::Vec<std::string::String> = (0..n)
                .map(|i| std::format!("name-{}", i * 7919 % 10007))
                .collect();
            let object = |extra: Option<(usize, usize)>| {
                let mut members: std::vec::Vec<std::string::String> =
                    names.iter().map(|k| std::format!("\"{k}\":0")).collect();
                if let Some((copy, at)) = extra {
                    members.insert(at, std::format!("\"{}\":1", names[copy]));
                }
                std::format!("{{{}}}", members.join(","))
            };
            assert!(
                validate(object(None).as_bytes()).is_ok(),
                "{n} distinct names"
            );
            for (copy, at) in [(0, n), (n - 1, 0), (n / 2, n / 3), (n / 3, n / 2 + 1)] {
                assert_eq!(
                    validate(object(Some((copy, at))).as_bytes()),
                    Err(JsonError::Duplicate),
                    "{n} names, a copy of {copy} at {at}"
                );
            }
        }
    }
}

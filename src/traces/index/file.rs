//! An index file: which lines of one store file hold which trace ids, with the store
//! file's identity (size, modification time, inode) when it was read. Little-endian
//! binary, ending with a CRC32 of everything before it; anything that does not check out
//! (another version, a short or corrupt file, another store file) reads as no index.

use std::fs::Metadata;
use std::os::unix::fs::MetadataExt as _;
use std::path::Path;

/// The first bytes of an index file: its kind and the version of its layout.
const MAGIC: &[u8; 12] = b"AMTRACEIDX01";
/// Bytes before the lines: magic, stamp (5 × 8), line and id counts.
const HEADER: usize = MAGIC.len() + 5 * 8 + 2 * 8;
/// Bytes of a line: offset, length, flags.
const LINE: usize = 8 + 8 + 1;
/// Bytes of an id: the id, its line's number.
const ID: usize = 16 + 4;
/// Bytes of the CRC at the end.
const CRC: usize = 4;

const PARTIAL: u8 = 1;
const SEARCH: u8 = 2;

/// Which store file an index was made from, as it was then: any write since changes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stamp {
    len: u64,
    mtime: i64,
    mtime_nanos: i64,
    ino: u64,
    dev: u64,
}

impl Stamp {
    pub fn of(meta: &Metadata) -> Stamp {
        Stamp {
            len: meta.len(),
            mtime: meta.mtime(),
            mtime_nanos: meta.mtime_nsec(),
            ino: meta.ino(),
            dev: meta.dev(),
        }
    }

    /// The store file's size.
    pub fn len(&self) -> u64 {
        self.len
    }
}

/// One line of the store file that an index names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexedLine {
    /// Where it starts in the store file.
    pub offset: u64,
    /// Its length, without its newline.
    pub len: u64,
    /// The file's last line, with no newline after it (it may have been cut short).
    pub partial: bool,
    /// Its ids could not all be read from its text: search it for the id as text.
    pub search: bool,
}

/// The index of one store file.
#[derive(Debug)]
pub struct Index {
    stamp: Stamp,
    lines: Vec<IndexedLine>,
    /// Sorted; each with the number of a line in `lines`.
    ids: Vec<([u8; 16], u32)>,
}

impl Index {
    /// `ids` sorted, each naming a line of `lines`.
    pub fn new(stamp: Stamp, lines: Vec<IndexedLine>, ids: Vec<([u8; 16], u32)>) -> Index {
        Index { stamp, lines, ids }
    }

    pub fn stamp(&self) -> Stamp {
        self.stamp
    }

    pub fn lines(&self) -> &[IndexedLine] {
        &self.lines
    }

    /// The numbers of the lines that may hold a span of a trace whose id starts with
    /// `prefix` (lowercase hex): those with such an id, and those to search; in file order.
    pub fn lines_for(&self, prefix: &str) -> Vec<usize> {
        let (low, high) = id_range(prefix);
        let from = self.ids.partition_point(|(id, _)| *id < low);
        let to = self.ids.partition_point(|(id, _)| *id <= high);
        let mut numbers: Vec<usize> = self.ids[from..to]
            .iter()
            .map(|&(_, line)| line as usize)
            .chain(
                self.lines
                    .iter()
                    .enumerate()
                    .filter(|(_, l)| l.search)
                    .map(|(n, _)| n),
            )
            .collect();
        numbers.sort_unstable();
        numbers.dedup();
        numbers
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER + self.lines.len() * LINE + self.ids.len() * ID);
        out.extend_from_slice(MAGIC);
        let s = &self.stamp;
        for word in [s.len, s.mtime as u64, s.mtime_nanos as u64, s.ino, s.dev] {
            out.extend_from_slice(&word.to_le_bytes());
        }
        out.extend_from_slice(&(self.lines.len() as u64).to_le_bytes());
        out.extend_from_slice(&(self.ids.len() as u64).to_le_bytes());
        for line in &self.lines {
            out.extend_from_slice(&line.offset.to_le_bytes());
            out.extend_from_slice(&line.len.to_le_bytes());
            let flags =
                if line.partial { PARTIAL } else { 0 } | if line.search { SEARCH } else { 0 };
            out.push(flags);
        }
        for (id, line) in &self.ids {
            out.extend_from_slice(id);
            out.extend_from_slice(&line.to_le_bytes());
        }
        out.extend_from_slice(&crc32fast::hash(&out).to_le_bytes());
        out
    }

    /// The index in `bytes`, if they are a whole, consistent index file.
    pub fn decode(bytes: &[u8]) -> Option<Index> {
        let (body, crc) = bytes.split_at_checked(bytes.len().checked_sub(CRC)?)?;
        if crc32fast::hash(body).to_le_bytes() != crc || !body.starts_with(MAGIC) {
            return None;
        }
        let mut reader = Reader(&body[MAGIC.len()..]);
        let mut word = || reader.u64();
        let stamp = Stamp {
            len: word()?,
            mtime: word()? as i64,
            mtime_nanos: word()? as i64,
            ino: word()?,
            dev: word()?,
        };
        let (lines, ids) = (word()?, word()?);
        let expected =
            (lines.checked_mul(LINE as u64)?).checked_add(ids.checked_mul(ID as u64)?)?;
        if expected != (body.len() - HEADER) as u64 {
            return None;
        }
        let lines: Vec<IndexedLine> = (0..lines)
            .map(|_| {
                let (offset, len, flags) = (reader.u64()?, reader.u64()?, reader.u8()?);
                let line = IndexedLine {
                    offset,
                    len,
                    partial: flags & PARTIAL != 0,
                    search: flags & SEARCH != 0,
                };
                (offset.checked_add(len)? <= stamp.len).then_some(line)
            })
            .collect::<Option<_>>()?;
        let ids: Vec<([u8; 16], u32)> = (0..ids)
            .map(|_| {
                let id = reader.id()?;
                let line = reader.u32()?;
                ((line as usize) < lines.len()).then_some((id, line))
            })
            .collect::<Option<_>>()?;
        ids.is_sorted().then(|| Index::new(stamp, lines, ids))
    }

    /// The index at `path` if it is one, made from the store file as `stamp` describes it.
    pub fn load(path: &Path, stamp: Stamp) -> Option<Index> {
        let file = std::fs::File::open(path).ok()?;
        // An index is smaller than its file (each entry stands for more text than its
        // bytes, but for the odd hand-written line): what is larger is not read whole.
        let most = stamp
            .len
            .saturating_mul(2)
            .saturating_add((HEADER + CRC) as u64);
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::Read::take(file, most), &mut bytes).ok()?;
        Index::decode(&bytes).filter(|index| index.stamp == stamp)
    }
}

/// The lowest and highest ids that start with `prefix` (lowercase hex).
fn id_range(prefix: &str) -> ([u8; 16], [u8; 16]) {
    let (mut low, mut high) = ([0u8; 16], [0xffu8; 16]);
    for (i, digit) in prefix.bytes().take(32).enumerate() {
        let nibble = (digit as char).to_digit(16).unwrap_or(0) as u8;
        let (keep, shift) = if i % 2 == 0 { (0x0f, 4) } else { (0xf0, 0) };
        low[i / 2] = low[i / 2] & keep | nibble << shift;
        high[i / 2] = high[i / 2] & keep | nibble << shift;
    }
    (low, high)
}

/// Reads an index file's fields in order.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*head)
    }

    fn u64(&mut self) -> Option<u64> {
        self.take().map(u64::from_le_bytes)
    }

    fn u32(&mut self) -> Option<u32> {
        self.take().map(u32::from_le_bytes)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take::<1>().map(|[b]| b)
    }

    fn id(&mut self) -> Option<[u8; 16]> {
        self.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Index {
        let stamp = Stamp {
            len: 100,
            mtime: 1_767_571_200,
            mtime_nanos: 5,
            ino: 42,
            dev: 7,
        };
        let line = |offset, search| IndexedLine {
            offset,
            len: 10,
            partial: false,
            search,
        };
        let ids = vec![([0xab; 16], 0), ([0xab; 16], 2), ([0xcd; 16], 1)];
        Index::new(
            stamp,
            vec![line(0, false), line(20, true), line(40, false)],
            ids,
        )
    }

    #[test]
    fn an_index_reads_back_as_written() {
        let index = sample();
        let back = Index::decode(&index.encode()).unwrap();
        assert_eq!(back.stamp, index.stamp);
        assert_eq!(back.lines, index.lines);
        assert_eq!(back.ids, index.ids);
    }

    #[test]
    fn a_damaged_or_short_index_reads_as_none() {
        let bytes = sample().encode();
        for cut in [0, 3, HEADER, bytes.len() - 1] {
            assert!(Index::decode(&bytes[..cut]).is_none(), "cut at {cut}");
        }
        for flip in [0, HEADER - 1, HEADER + 3, bytes.len() - 2] {
            let mut damaged = bytes.clone();
            damaged[flip] ^= 0x10;
            assert!(Index::decode(&damaged).is_none(), "bit flipped at {flip}");
        }
    }

    #[test]
    fn lines_for_a_prefix_are_those_of_its_ids_and_those_to_search() {
        let index = sample();
        assert_eq!(index.lines_for("abab"), [0, 1, 2]);
        assert_eq!(index.lines_for(&"cd".repeat(16)), [1]);
        assert_eq!(index.lines_for("cdce"), [1]);
        assert_eq!(index.lines_for("0000"), [1]);
        assert_eq!(id_range("a1b"), {
            let (mut low, mut high) = ([0; 16], [0xff; 16]);
            (low[0], low[1], high[0], high[1]) = (0xa1, 0xb0, 0xa1, 0xbf);
            (low, high)
        });
    }
}

//! Trace and span ids: fixed-size byte arrays with the W3C hex form.

/// A 16-byte trace id; all zeroes is invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TraceId(pub [u8; 16]);

/// An 8-byte span id; all zeroes is invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SpanId(pub [u8; 8]);

impl TraceId {
    /// Random, all 128 bits (a UUID would fix some, and sampling reads the low bits).
    pub fn random() -> TraceId {
        TraceId(fastrand::u128(1..).to_be_bytes())
    }

    /// The 32 lowercase hex digits of the W3C form.
    pub fn to_hex(self) -> String {
        hex(&self.0)
    }

    /// Reads 32 hex digits (either case); `None` for any other text or for the invalid
    /// all-zero id.
    pub fn from_hex(text: &str) -> Option<TraceId> {
        let mut id = [0; 16];
        from_hex(text, &mut id)
            .then_some(TraceId(id))
            .filter(|t| t.0 != [0; 16])
    }
}

impl SpanId {
    /// A random id, never all zeroes.
    pub fn random() -> SpanId {
        SpanId(fastrand::u64(1..).to_be_bytes())
    }

    /// The 16 lowercase hex digits of the W3C form.
    pub fn to_hex(self) -> String {
        hex(&self.0)
    }

    /// Reads 16 hex digits (either case); `None` for any other text or for the invalid
    /// all-zero id.
    pub fn from_hex(text: &str) -> Option<SpanId> {
        let mut id = [0; 8];
        from_hex(text, &mut id)
            .then_some(SpanId(id))
            .filter(|s| s.0 != [0; 8])
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        text.push(char::from(DIGITS[usize::from(b >> 4)]));
        text.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    text
}

fn from_hex(text: &str, out: &mut [u8]) -> bool {
    if text.len() != out.len() * 2 || !text.is_ascii() {
        return false;
    }
    for (i, byte) in out.iter_mut().enumerate() {
        match u8::from_str_radix(&text[i * 2..i * 2 + 2], 16) {
            Ok(b) => *byte = b,
            Err(_) => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_ids_parse_back() {
        let id = TraceId::random();
        assert_eq!(TraceId::from_hex(&id.to_hex()), Some(id));
        assert_eq!(SpanId::from_hex("zz00000000000000"), None);
        assert_eq!(SpanId::from_hex("0000000000000000"), None);
    }
}

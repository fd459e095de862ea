//! Span timestamps (nanoseconds since the Unix epoch) as UTC text; the store's file names
//! use the same calendar ([`crate::export::local::civil_from_days`]).

use crate::export::local::civil_from_days;

const NANOS_PER_SEC: u64 = 1_000_000_000;

struct Utc {
    date: (i64, u32, u32),
    hour: u64,
    minute: u64,
    second: u64,
    nanos: u64,
}

fn utc(unix_nanos: u64) -> Utc {
    let secs = unix_nanos / NANOS_PER_SEC;
    let of_day = secs % 86_400;
    Utc {
        date: civil_from_days((secs / 86_400) as i64),
        hour: of_day / 3600,
        minute: of_day % 3600 / 60,
        second: of_day % 60,
        nanos: unix_nanos % NANOS_PER_SEC,
    }
}

/// `2026-01-05 14:03:22` (UTC, to the second).
pub fn utc_date_time(unix_nanos: u64) -> String {
    let t = utc(unix_nanos);
    let (y, m, d) = t.date;
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        t.hour, t.minute, t.second
    )
}

/// `14:03:22.123` (UTC, to the millisecond).
pub fn utc_time_of_day(unix_nanos: u64) -> String {
    let t = utc(unix_nanos);
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        t.hour,
        t.minute,
        t.second,
        t.nanos / 1_000_000
    )
}

/// `2026-01-05T14:03:22.123456789Z` (RFC 3339, UTC, to the nanosecond).
pub fn rfc3339(unix_nanos: u64) -> String {
    let t = utc(unix_nanos);
    let (y, m, d) = t.date;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:09}Z",
        t.hour, t.minute, t.second, t.nanos
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_read_as_utc() {
        // 2026-01-05 14:03:22.5 UTC
        let nanos = (1_767_621_802 * NANOS_PER_SEC) + 500_000_000;
        assert_eq!(utc_date_time(nanos), "2026-01-05 14:03:22");
        assert_eq!(utc_time_of_day(nanos), "14:03:22.500");
        assert_eq!(rfc3339(nanos), "2026-01-05T14:03:22.500000000Z");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000000000Z");
    }
}

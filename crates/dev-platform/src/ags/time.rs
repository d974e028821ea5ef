//! RFC 3339 timestamps, the profile of ISO 8601 that AGS uses.

/// RFC 3339 date-time (the profile of ISO 8601 AGS uses), e.g. `2024-05-01T12:30:00.5Z`.
pub(crate) fn is_timestamp(text: &str) -> bool {
    text.split_once(['T', 't'])
        .is_some_and(|(date, time)| is_date(date) && is_time(time))
}

/// `text` split at `separator` into fixed-width decimal fields.
fn fields(text: &str, separator: char, widths: &[usize]) -> Option<Vec<u32>> {
    let parts: Vec<&str> = text.split(separator).collect();
    if parts.len() != widths.len() {
        return None;
    }
    parts
        .iter()
        .zip(widths)
        .map(|(part, width)| {
            let digits = part.len() == *width && part.bytes().all(|b| b.is_ascii_digit());
            digits.then(|| part.parse().ok()).flatten()
        })
        .collect()
}

fn is_date(text: &str) -> bool {
    matches!(fields(text, '-', &[4, 2, 2]).as_deref(),
        Some([_, month, day]) if (1..=12).contains(month) && (1..=31).contains(day))
}

fn is_time(text: &str) -> bool {
    let (clock, offset) = match text.strip_suffix(['Z', 'z']) {
        Some(clock) => (clock, "00:00"),
        None => match text.rfind(['+', '-']) {
            Some(at) => (&text[..at], &text[at + 1..]),
            None => return false,
        },
    };
    let clock = match clock.split_once('.') {
        Some((clock, fraction))
            if !fraction.is_empty() && fraction.bytes().all(|b| b.is_ascii_digit()) =>
        {
            clock
        }
        Some(_) => return false,
        None => clock,
    };
    // Second 60 is a leap second, which RFC 3339 allows.
    let clock_ok = matches!(fields(clock, ':', &[2, 2, 2]).as_deref(),
        Some([hour, minute, second]) if *hour < 24 && *minute < 60 && *second <= 60);
    let offset_ok = matches!(fields(offset, ':', &[2, 2]).as_deref(),
        Some([hour, minute]) if *hour < 24 && *minute < 60);
    clock_ok && offset_ok
}

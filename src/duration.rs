//! Durations as the format spells them: a number, then `ms`, `s` or `m`,
//! nothing between (`250ms`, `1.5s`, `2m`).

use std::time::Duration;

pub const FORM: &str = "a duration is a number and a unit (`ms`, `s` or `m`) with nothing between, such as `250ms`, `1.5s` or `2m`";

/// Why a text is no duration, with a help that shows the accepted form and,
/// where one is likely, the value that was meant.
#[derive(Debug, PartialEq, Eq)]
pub struct DurationError {
    pub message: String,
    pub help: String,
}

/// The longest duration a program may spell: a week. Longer waits are
/// more likely a slip (`100000m`) than a plan, and bounding each keeps the
/// runner's deadlines far from what a clock can hold.
pub const MAX: Duration = Duration::from_secs(7 * 24 * 3600);

pub fn parse(text: &str) -> Result<Duration, DurationError> {
    let shown = crate::diagnostic::shown(text);
    if let Some(duration) = parse_exact(text) {
        if duration > MAX {
            return Err(DurationError {
                message: format!("`{shown}` is longer than a week"),
                help: "the longest duration is `10080m` (7 days)".to_string(),
            });
        }
        if !whole_millis(text) {
            // Timers tick in milliseconds: finer instants could not be kept
            // apart, and "which came first" would depend on the clock.
            let rounded = Duration::from_millis(duration.as_millis() as u64 + 1);
            return Err(DurationError {
                message: format!("`{shown}` is finer than a millisecond"),
                help: format!(
                    "iotrun's clock counts whole milliseconds: did you mean `{}`?",
                    display(rounded)
                ),
            });
        }
        return Ok(duration);
    }
    let trimmed = text.trim();
    if trimmed.starts_with('-') {
        return Err(DurationError {
            message: format!("`{shown}` is negative; a duration cannot be"),
            help: FORM.to_string(),
        });
    }
    if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(DurationError {
            message: format!("`{shown}` has no unit"),
            help: {
                let number = crate::diagnostic::shown(trimmed);
                format!("add a unit: `{number}ms` or `{number}s`")
            },
        });
    }
    let message = format!("`{shown}` is not a duration");
    match likely_meant(trimmed) {
        Some(meant) => Err(DurationError {
            message,
            help: format!("did you mean `{meant}`? {FORM}"),
        }),
        None => Err(DurationError {
            message,
            help: FORM.to_string(),
        }),
    }
}

/// The strict form, computed exactly in nanoseconds (no float rounding).
fn parse_exact(text: &str) -> Option<Duration> {
    let (number, unit_nanos) = if let Some(n) = text.strip_suffix("ms") {
        (n, 1_000_000u128)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1_000_000_000)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60_000_000_000)
    } else {
        return None;
    };
    let (whole, fraction) = match number.split_once('.') {
        Some((whole, fraction)) => (whole, fraction),
        None => (number, ""),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || (number.contains('.') && !digits(fraction)) || whole.len() > 20 {
        return None;
    }
    let fraction = &fraction[..fraction.len().min(18)];
    let whole_nanos = whole.parse::<u128>().ok()?.checked_mul(unit_nanos)?;
    let fraction_nanos = if fraction.is_empty() {
        0
    } else {
        fraction.parse::<u128>().ok()? * unit_nanos / 10u128.pow(fraction.len() as u32)
    };
    let nanos = whole_nanos.checked_add(fraction_nanos)?;
    let secs = u64::try_from(nanos / 1_000_000_000).ok()?;
    Some(Duration::new(secs, (nanos % 1_000_000_000) as u32))
}

/// Reads common near-misses (`10 ms`, `5 seconds`, `1,5s`, `2min`, `1h`) and
/// spells them the accepted way.
fn likely_meant(text: &str) -> Option<String> {
    let compact: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    // `1,5s` means 1.5 s; `1,000ms` means a thousand.
    let compact = match compact.split_once(',') {
        Some((whole, rest))
            // Bytes, not a `&str` slice: the text is the user's, and byte 3
            // need not be a char boundary (`1,a€`).
            if rest.len() > 3
                && rest.as_bytes().iter().take(3).all(u8::is_ascii_digit)
                && rest.as_bytes().get(3).is_some_and(|b| !b.is_ascii_digit()) =>
        {
            format!("{whole}{rest}")
        }
        _ => compact.replace(',', "."),
    };
    let split = compact
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(compact.len());
    let (number, unit) = compact.split_at(split);
    if number.is_empty() || number.starts_with('.') || number.ends_with('.') {
        return None;
    }
    let unit = match unit {
        "ms" | "msec" | "msecs" | "millis" | "millisecond" | "milliseconds" => "ms",
        "s" | "sec" | "secs" | "second" | "seconds" => "s",
        "m" | "min" | "mins" | "minute" | "minutes" => "m",
        "h" | "hr" | "hrs" | "hour" | "hours" => {
            let hours: f64 = number.parse().ok()?;
            let meant = format!("{}m", hours * 60.0);
            return accepted(&meant).then_some(meant);
        }
        _ => return None,
    };
    let meant = format!("{number}{unit}");
    accepted(&meant).then_some(meant)
}

/// A duration the way the format spells it: `250ms`, `1.5s`, `2m`.
/// Computed from whole milliseconds, not floats, so `1235ms` shows as
/// `1.235s` and never as `1.2349999999999999s`.
pub fn display(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis >= 60_000 && millis.is_multiple_of(60_000) {
        format!("{}m", millis / 60_000)
    } else if millis >= 1000 {
        let fraction = format!("{:03}", millis % 1000);
        let fraction = fraction.trim_end_matches('0');
        if fraction.is_empty() {
            format!("{}s", millis / 1000)
        } else {
            format!("{}.{fraction}s", millis / 1000)
        }
    } else {
        format!("{millis}ms")
    }
}

/// Whether `text` is a duration a program may use: the strict form, whole
/// milliseconds, at most a week.
fn accepted(text: &str) -> bool {
    parse_exact(text).is_some_and(|d| d <= MAX) && whole_millis(text)
}

/// Whether a duration in the strict form is a whole number of milliseconds,
/// read from its digits (a float, or nanoseconds, would round away a
/// fraction such as `1.0000000001s`).
fn whole_millis(text: &str) -> bool {
    let (number, unit_millis) = if let Some(n) = text.strip_suffix("ms") {
        (n, 1u128)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1000)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60_000)
    } else {
        return false;
    };
    let fraction = number
        .split_once('.')
        .map_or("", |(_, f)| f)
        .trim_end_matches('0');
    if fraction.len() > 10 {
        return false;
    }
    let Ok(digits) = fraction.parse::<u128>() else {
        return fraction.is_empty();
    };
    (digits * unit_millis).is_multiple_of(10u128.pow(fraction.len() as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_documented_forms() {
        assert_eq!(parse("0ms"), Ok(Duration::ZERO));
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse("0.1s"), Ok(Duration::from_millis(100)));
        assert_eq!(parse("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse("0.001s"), Ok(Duration::from_millis(1)));
        for text in ["250ms", "1.5s", "2m", "1ms", "90s", "1.235s", "1.05s"] {
            assert_eq!(display(parse(text).unwrap_or_default()), text);
        }
    }

    #[test]
    fn rejects_everything_else_with_a_likely_meaning() {
        let help = |text| parse(text).unwrap_err().help;
        assert!(help("10 ms").starts_with("did you mean `10ms`?"));
        assert!(help("5 seconds").starts_with("did you mean `5s`?"));
        assert!(help("1,5s").starts_with("did you mean `1.5s`?"));
        assert!(help("1,000ms").starts_with("did you mean `1000ms`?"));
        assert_eq!(parse("10080m"), Ok(MAX));
        assert_eq!(help("10081m"), "the longest duration is `10080m` (7 days)");
        assert_eq!(help("169h"), FORM);
        assert_eq!(
            help("0.5ms"),
            "iotrun's clock counts whole milliseconds: did you mean `1ms`?"
        );
        assert_eq!(
            help("1.0005s"),
            "iotrun's clock counts whole milliseconds: did you mean `1.001s`?"
        );
        assert!(parse("1.0000000001s").is_err());
        assert!(parse("1.0000001ms").is_err());
        assert_eq!(parse("0.001m"), Ok(Duration::from_millis(60)));
        assert_eq!(
            help("0.00001m"),
            "iotrun's clock counts whole milliseconds: did you mean `1ms`?"
        );
        assert_eq!(parse("1.500000s"), Ok(Duration::from_millis(1500)));
        // A suggestion is always itself accepted.
        assert_eq!(help("1,5ms"), FORM);
        assert!(help("2min").starts_with("did you mean `2m`?"));
        assert!(help("1h").starts_with("did you mean `60m`?"));
        assert_eq!(help("500"), "add a unit: `500ms` or `500s`");
        assert_eq!(help("-3ms"), FORM);
        assert_eq!(help("fast"), FORM);
        for bad in [
            "",
            "ms",
            ".5s",
            "1.s",
            "1e3ms",
            "99999999999999999999999m",
            "1000000000000s",
            " 1s",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} parsed");
        }
    }
}

//! Numbers in from input text, and numbers and strings into an output line without
//! `core::fmt`. In: decimals as `str::parse::<f64>` reads them. Out: floats as Rust's
//! `Display` writes them (the shortest digits that read back to the same `f64`, in
//! plain decimal: `0.2`, `100`, `0.0000001`, `-0`), from zmij's shortest digits
//! (Schubfach, like ryu, with fewer multiplications); JSON
//! strings escaped as serde_json escapes them.

/// Appends finite `v` as `format!("{v}")` would.
#[inline]
pub fn push_f64(s: &mut String, v: f64) {
    // a whole number below 1e15 (a count, a weight of 0 or 1) is its digits, by itoa
    let whole = v as i64;
    if whole as f64 == v && whole.unsigned_abs() < 1_000_000_000_000_000 {
        if v.is_sign_negative() {
            s.push('-');
        }
        s.push_str(itoa::Buffer::new().format(whole.unsigned_abs()));
        return;
    }
    let mut buf = zmij::Buffer::new();
    let text = buf.format_finite(v);
    // zmij writes plain decimals for exponents from -5 to 15, so surely for magnitudes
    // in [1e-4, 1e15); there, a number that is not whole is `Display`'s text as it is
    if (1e-4..1e15).contains(&v.abs()) {
        s.push_str(text);
    } else {
        push_display(s, text);
    }
}

/// Appends zmij's `text` of a number outside [1e-4, 1e15) as `Display` writes it: plain
/// decimal without a trailing `.0`.
#[cold]
#[inline(never)]
fn push_display(s: &mut String, text: &str) {
    if !text.contains('e') {
        s.push_str(text.strip_suffix(".0").unwrap_or(text));
        return;
    }
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match text.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    // the significant digits and where the decimal point falls among them
    let mut digits: [u8; 40] = [0; 40];
    let mut n = 0usize;
    for &d in int.as_bytes().iter().chain(frac.as_bytes()) {
        if n < digits.len() {
            digits[n] = d;
            n += 1;
        }
    }
    let mut point = int.len() as i32 + exponent;
    let mut first = 0usize;
    while first < n && digits[first] == b'0' {
        first += 1;
        point -= 1;
    }
    while n > first && digits[n - 1] == b'0' {
        n -= 1;
    }
    if negative {
        s.push('-');
    }
    let sig = &digits[first..n];
    if sig.is_empty() {
        s.push('0');
        return;
    }
    let digit = |d: &u8| char::from(*d);
    if point <= 0 {
        s.push_str("0.");
        (0..-point).for_each(|_| s.push('0'));
        s.extend(sig.iter().map(digit));
    } else if point as usize >= sig.len() {
        s.extend(sig.iter().map(digit));
        (sig.len()..point as usize).for_each(|_| s.push('0'));
    } else {
        let (a, b) = sig.split_at(point as usize);
        s.extend(a.iter().map(digit));
        s.push('.');
        s.extend(b.iter().map(digit));
    }
}

/// Reads `text` as `text.parse::<f64>()` does (the correctly rounded value), `None`
/// where that fails. Plain decimals take [`clinger_fast_path`]; the rest std's parser.
pub fn parse_f64(text: &str) -> Option<f64> {
    clinger_fast_path(text).or_else(|| text.parse().ok())
}

/// Powers of ten that are exact in `f64`.
const EXACT_POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// `[+-]digits[.digits]` whose digits, read as one integer `w`, are at most 2^53 with
/// at most 22 of them after the point: `w` and `10^k` are exact, so `w / 10^k` is one
/// correctly rounded division, the value a full parser gives (Clinger 1990). `None`
/// for anything else.
fn clinger_fast_path(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    let (negative, digits) = match bytes.split_first()? {
        (b'-', rest) => (true, rest),
        (b'+', rest) => (false, rest),
        _ => (false, bytes),
    };
    let (mut w, mut count, mut point) = (0u64, 0usize, None);
    for &b in digits {
        let d = b.wrapping_sub(b'0');
        if d < 10 {
            // past 19 digits this wraps, and the count refuses it below
            w = w.wrapping_mul(10).wrapping_add(u64::from(d));
            count += 1;
        } else if b == b'.' && point.is_none() {
            point = Some(count);
        } else {
            return None;
        }
    }
    if count == 0 || count > 19 || w > 1 << 53 {
        return None;
    }
    let after_point = count - point.unwrap_or(count);
    let v = w as f64 / EXACT_POWERS_OF_TEN.get(after_point)?;
    Some(if negative { -v } else { v })
}

/// Appends `v` as a JSON number, `null` when it is not finite.
#[inline]
pub fn push_json(s: &mut String, v: f64) {
    if v.is_finite() {
        push_f64(s, v);
    } else {
        s.push_str("null");
    }
}

/// Appends `v` as a CSV cell, empty when it is not finite.
#[inline]
pub fn push_cell(s: &mut String, v: f64) {
    if v.is_finite() {
        push_f64(s, v);
    }
}

/// Appends `text` as a JSON string, escaped as serde_json does.
pub fn push_json_str(s: &mut String, text: &str) {
    s.push('"');
    let mut rest = text;
    // the bytes to escape are ASCII, so each run between them is whole characters
    while let Some(at) = rest
        .bytes()
        .position(|b| b < 0x20 || b == b'"' || b == b'\\')
    {
        let (plain, tail) = rest.split_at(at);
        s.push_str(plain);
        let mut chars = tail.chars();
        if let Some(c) = chars.next() {
            push_escape(s, c);
        }
        rest = chars.as_str();
    }
    s.push_str(rest);
    s.push('"');
}

/// Appends the JSON escape of `c` (a control character, `"` or `\\`).
fn push_escape(s: &mut String, c: char) {
    match c {
        '"' => s.push_str("\\\""),
        '\\' => s.push_str("\\\\"),
        '\n' => s.push_str("\\n"),
        '\r' => s.push_str("\\r"),
        '\t' => s.push_str("\\t"),
        '\u{8}' => s.push_str("\\b"),
        '\u{c}' => s.push_str("\\f"),
        c => {
            s.push_str("\\u00");
            for nibble in [(c as u32) >> 4, (c as u32) & 0xF] {
                s.push(char::from_digit(nibble, 16).unwrap_or('0'));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic xorshift64 stream from `state` (not 0).
    fn xorshift(mut state: u64) -> impl FnMut() -> u64 {
        move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        }
    }

    /// Against `Display` and serde_json on values of every magnitude and random bit
    /// patterns: the same text, but for the values exactly halfway between two shortest
    /// candidates, where zmij (as ryu) rounds the last digit to even and `Display` up (both read
    /// back to the same value and have the same length).
    #[test]
    fn floats_print_as_display_and_strings_as_serde_json() {
        let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
        let mut values = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.2,
            100.0,
            1e-7,
            1e21,
            1e22,
            123456.789,
            5e-324,
            f64::MAX,
            f64::MIN_POSITIVE,
            0.30000000000000004,
        ];
        for _ in 0..200_000 {
            let v = f64::from_bits(next());
            if v.is_finite() {
                values.push(v);
            }
            let u = (next() >> 11) as f64 / (1u64 << 53) as f64;
            values.push((u - 0.5) * 10f64.powi((next() % 40) as i32 - 20));
        }
        let (mut ties, total) = (0usize, values.len());
        for v in values {
            let mut s = String::new();
            push_f64(&mut s, v);
            let display = format!("{v}");
            assert_eq!(s.parse::<f64>().unwrap().to_bits(), v.to_bits(), "{s}");
            if s != display {
                assert_eq!(s.len(), display.len(), "{s} vs {display}");
                ties += 1;
            }
        }
        assert!(ties * 100 < total, "{ties} of {total} differ");
        // whole numbers, which take itoa below 1e15, print exactly as `Display`
        let mut wholes = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            3.0,
            1e15,
            -1e15,
            1e16,
            9007199254740992.0,
        ];
        for limit in [999_999_999_999_999i64, (1 << 53) - 1] {
            wholes.extend([limit as f64, -(limit as f64), (limit - 1) as f64]);
        }
        for _ in 0..100_000 {
            let magnitude = 10u64.pow((next() % 17) as u32);
            let w = (next() % magnitude) as f64;
            wholes.push(if next().is_multiple_of(2) { w } else { -w });
        }
        for v in wholes {
            let mut s = String::new();
            push_f64(&mut s, v);
            assert_eq!(s, format!("{v}"), "{v:?}");
        }
        for text in [
            "plain",
            "a\"b\\c",
            "tab\tnew\nline\r",
            "\u{1}\u{1f}\u{8}\u{c}",
            "é ü 中",
            "",
            "\"first",
            "last\\",
            "中\u{0}é\"\"ü\n",
        ] {
            let mut s = String::new();
            push_json_str(&mut s, text);
            assert_eq!(s, serde_json::to_string(text).unwrap());
        }
    }

    /// Against std's parser (correctly rounded) on decimals of every length, both sides
    /// of the fast path's limits (2^53, 22 places, 19 digits), and on what it refuses.
    #[test]
    fn decimals_parse_as_std_parses_them() {
        let mut next = xorshift(0x2545_F491_4F6C_DD1D);
        let mut texts: Vec<String> = [
            "0",
            "-0",
            "+0",
            "0.0",
            "-0.0",
            "1.",
            ".5",
            "-.5",
            "100.013285",
            "9007199254740992",
            "9007199254740993",
            "9007199254740992.5",
            "0.1",
            "0.30000000000000004",
            "1.0000000000000000000000",
            "0.00000000000000000000001",
            "18446744073709551616",
            "12345678901234567890",
            "1e5",
            "1E-5",
            "inf",
            "-infinity",
            "NaN",
            "",
            "-",
            ".",
            "1.2.3",
            "1,5",
            " 1",
            "0x10",
            "--1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for _ in 0..200_000 {
            let digits = (next() % 20 + 1) as usize;
            let mut t = String::new();
            if next().is_multiple_of(3) {
                t.push('-');
            }
            let point = (next() % (digits as u64 + 1)) as usize;
            for i in 0..digits {
                if i == point && !next().is_multiple_of(4) {
                    t.push('.');
                }
                t.push(char::from(b'0' + (next() % 10) as u8));
            }
            texts.push(t);
        }
        for t in texts {
            let ours = parse_f64(&t).map(f64::to_bits);
            let std = t.parse::<f64>().ok().map(f64::to_bits);
            assert_eq!(ours, std, "{t:?}");
        }
    }
}

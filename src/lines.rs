//! A sparse line index: where lines start, at a few bytes of memory per
//! kilobyte of text whatever the lines are like. A full index (an offset per
//! line) of a 512 MiB file of newlines would take 4 GiB; this one keeps a
//! count of newlines before every block of `BLOCK` bytes and counts the
//! rest of a block when asked.

/// Bytes per block: a lookup scans at most this much text.
const BLOCK: usize = 256;

#[derive(Debug, Default)]
pub struct Lines {
    /// Newlines before each block's first byte: `before[b]` counts those in
    /// `text[..b * BLOCK]`.
    before: Vec<usize>,
    len: usize,
}

fn newlines(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

impl Lines {
    pub fn new(text: &str) -> Self {
        let mut before = Vec::with_capacity(text.len() / BLOCK + 1);
        let mut seen = 0;
        for block in text.as_bytes().chunks(BLOCK) {
            before.push(seen);
            seen += newlines(block);
        }
        Lines {
            before,
            len: text.len(),
        }
    }

    /// The 1-based line that holds byte `offset` (the last line past the
    /// end).
    pub fn line_of(&self, text: &str, offset: usize) -> usize {
        let offset = offset.min(self.len);
        let block = offset / BLOCK;
        let Some(&before) = self.before.get(block) else {
            // `offset` is the end of a text that fills its last block.
            return 1 + self.before.last().map_or(0, |&b| {
                b + newlines(&text.as_bytes()[(self.before.len() - 1) * BLOCK..])
            });
        };
        1 + before + newlines(&text.as_bytes()[block * BLOCK..offset])
    }

    /// Where 0-based line `line` starts, if the text has it.
    pub fn line_start(&self, text: &str, line: usize) -> Option<usize> {
        if line == 0 {
            return Some(0);
        }
        // The block that holds the `line`-th newline: the last one with
        // fewer newlines before it.
        let block = self.before.partition_point(|&n| n < line).checked_sub(1)?;
        let start = block * BLOCK;
        let wanted = line - self.before[block];
        text.as_bytes()[start..]
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(wanted - 1)
            .map(|(i, _)| start + i + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A text of newlines only (the worst case of a full index) costs one
    /// count per block.
    #[test]
    fn a_text_of_newlines_costs_one_count_per_block() {
        let text = "\n".repeat(BLOCK * 1000);
        let lines = Lines::new(&text);
        assert_eq!(lines.before.len(), 1000);
        assert_eq!(lines.line_of(&text, text.len()), BLOCK * 1000 + 1);
        assert_eq!(lines.line_start(&text, 12345), Some(12345));
    }

    /// The index agrees with a full one on texts of every shape.
    #[test]
    fn agrees_with_a_full_index() {
        let texts = [
            String::new(),
            "\n".repeat(1000),
            "x".repeat(1000),
            "a\nbb\nccc\n".repeat(200),
            format!("{}\n{}", "y".repeat(700), "z\n".repeat(300)),
            "ü€\n".repeat(300),
            "no newline at the end".to_string(),
            "x".repeat(BLOCK * 3),
            format!("{}\n", "x".repeat(BLOCK * 2 - 1)),
        ];
        for text in &texts {
            let lines = Lines::new(text);
            let starts: Vec<usize> = std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect();
            for offset in 0..=text.len() + 2 {
                let full = starts.partition_point(|&s| s <= offset.min(text.len()));
                assert_eq!(lines.line_of(text, offset), full.max(1), "offset {offset}");
            }
            for line in 0..starts.len() + 2 {
                assert_eq!(
                    lines.line_start(text, line),
                    starts.get(line).copied(),
                    "line {line}"
                );
            }
        }
    }
}

//! CSV files as RFC 4180 describes them (comma separated, CRLF line ends, quotes doubled inside
//! quoted cells), made safe to open in a spreadsheet: a text cell that begins with `=`, `+`, `-`,
//! `@`, a tab or a carriage return would run as a formula there, so it gets a leading `'`
//! (OWASP's advice). Numbers are written as they are.

use std::fmt::{Display, Write};

/// Rows being written, handed out in chunks ([`Csv::take`]) so that a long file streams.
#[derive(Debug, Default)]
pub struct Csv {
    out: String,
    row_started: bool,
}

impl Csv {
    pub fn new() -> Csv {
        Csv::default()
    }

    /// A line of explanation before the header row, `# ` first (pandas: `comment="#"`). Commas
    /// and line breaks become spaces, so that a reader that does not skip it sees one cell.
    pub fn comment(&mut self, text: &str) -> &mut Csv {
        self.end_row();
        self.out.push_str("# ");
        self.out.extend(text.chars().map(|c| if matches!(c, ',' | '\r' | '\n' | '"') { ' ' } else { c }));
        self.out.push_str("\r\n");
        self
    }

    /// A row of text cells (a header row).
    pub fn header(&mut self, names: &[&str]) -> &mut Csv {
        for name in names {
            self.text(name);
        }
        self.end_row()
    }

    /// A text cell.
    pub fn text(&mut self, value: &str) -> &mut Csv {
        self.separate();
        let formula = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
        let quoted = formula || value.contains([',', '"', '\r', '\n']);
        if quoted {
            self.out.push('"');
        }
        if formula {
            self.out.push('\'');
        }
        for c in value.chars() {
            if c == '"' {
                self.out.push('"');
            }
            self.out.push(c);
        }
        if quoted {
            self.out.push('"');
        }
        self
    }

    /// A number cell.
    pub fn number(&mut self, value: impl Display) -> &mut Csv {
        self.separate();
        let _ = write!(self.out, "{value}");
        self
    }

    /// A number with at most `decimals` places (no trailing zeros).
    pub fn decimal(&mut self, value: f64, decimals: usize) -> &mut Csv {
        let text = format!("{value:.decimals$}");
        let text = if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.') } else { &text };
        self.number(text)
    }

    /// Ends the row (nothing when no cell was written since the last).
    pub fn end_row(&mut self) -> &mut Csv {
        if self.row_started {
            self.out.push_str("\r\n");
            self.row_started = false;
        }
        self
    }

    /// Bytes written and not yet taken.
    pub fn len(&self) -> usize {
        self.out.len()
    }

    pub fn is_empty(&self) -> bool {
        self.out.is_empty()
    }

    /// The finished rows so far (a row in progress is ended first).
    pub fn take(&mut self) -> String {
        self.end_row();
        std::mem::take(&mut self.out)
    }

    fn separate(&mut self) {
        if self.row_started {
            self.out.push(',');
        }
        self.row_started = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_as_rfc_4180_says() {
        let mut csv = Csv::new();
        csv.header(&["name", "count"]);
        csv.text("plain").number(3).end_row();
        csv.text("a, b").number(-4).end_row();
        csv.text("say \"hi\"").decimal(12.50, 2).end_row();
        csv.text("two\nlines").decimal(3.0, 1).end_row();
        assert_eq!(
            csv.take(),
            "name,count\r\nplain,3\r\n\"a, b\",-4\r\n\"say \"\"hi\"\"\",12.5\r\n\"two\nlines\",3\r\n"
        );
    }

    #[test]
    fn text_that_a_spreadsheet_would_run_is_defused() {
        let mut csv = Csv::new();
        for evil in ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            csv.text(evil).end_row();
        }
        let out = csv.take();
        let lines: Vec<&str> = out.split("\r\n").collect();
        assert_eq!(lines[0], "\"'=HYPERLINK(\"\"http://x\"\")\"");
        assert_eq!(lines[1], "\"'+1\"");
        assert_eq!(lines[2], "\"'-2+3\"");
        assert_eq!(lines[3], "\"'@SUM(A1)\"");
        assert_eq!(lines[4], "\"'\tx\"");
        assert!(out.contains("\"'\rx\""));
        // Text in the middle of a cell is left alone, and numbers stay numbers.
        let mut csv = Csv::new();
        csv.text("a=b").number(-7).end_row();
        assert_eq!(csv.take(), "a=b,-7\r\n");
    }

    #[test]
    fn comments_stay_one_cell_and_rows_end_once() {
        let mut csv = Csv::new();
        csv.comment("days 2026-01-01 to 2026-01-31, in \"Europe/Paris\"\nnext");
        csv.text("x").end_row().end_row();
        assert_eq!(csv.take(), "# days 2026-01-01 to 2026-01-31  in  Europe/Paris  next\r\nx\r\n");
        assert!(csv.is_empty());
    }
}

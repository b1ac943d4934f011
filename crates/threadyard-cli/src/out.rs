//! Writing to stdout when the reader may leave early.
//!
//! `println!` panics when stdout is a pipe whose reader has gone
//! (`threadyard seed | head -1`); a command-line tool should end quietly
//! there, as Unix tools do.

use std::fmt;
use std::io::{self, Write};
use std::process;

/// Writes one line to stdout. If the reader has gone, ends the program
/// quietly (exit code 0: nobody is left to read anything); any other write
/// error ends it with a message and exit code 1.
pub fn line(text: fmt::Arguments<'_>) {
    let mut out = io::stdout().lock();
    let written = out
        .write_fmt(text)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    match written {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => process::exit(0),
        Err(error) => {
            eprintln!("threadyard: could not write to stdout: {error}");
            process::exit(1);
        }
    }
}

/// `println!` that ends the program quietly when the reader has gone.
macro_rules! say {
    () => {
        $crate::out::line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::out::line(format_args!($($arg)*))
    };
}
pub(crate) use say;

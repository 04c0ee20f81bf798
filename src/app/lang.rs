//! The command language as the TUI needs it: `parse_line`, `completions`, `Names`.
//!
//! One door between the prompt and the parser in [`crate::script::parse`], which `socklab run`
//! shares: the prompt and script files speak exactly one grammar.

pub use crate::script::parse::{Names, ParseError, completions, parse_line};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::ast::StmtKind;

    #[test]
    fn the_lines_keys_produce_parse() {
        let mut names = Names::default();
        for (i, l) in [
            "socket tcp",
            "socket udp",
            "ioctlsocket s FIONBIO 1",
            "setsockopt s2 SO_BROADCAST 1",
            "connect s @refuse",
            "select read=s write=s except=s timeout=0",
            "wait 1000",
            "closesocket s",
        ]
        .iter()
        .enumerate()
        {
            let stmt = parse_line(l, i + 1, &mut names).unwrap_or_else(|e| panic!("{l}: {e}")).unwrap();
            assert!(matches!(stmt.kind, StmtKind::Call(_) | StmtKind::Wait(_)));
        }
        let e = parse_line("connect nosuch @refuse", 9, &mut names).unwrap_err();
        assert_eq!((e.line, e.col), (9, 9));
        assert!(completions("connect s @re", &names).contains(&"@refuse".to_string()));
    }
}

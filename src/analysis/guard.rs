//! Rejects source nested too deeply to analyse safely.
//!
//! The parser grows its own stack as it recurses, but walking its tree (in `walk`) and
//! dropping it recurse once per nesting level on the caller's stack, which is about 1 MB
//! in wasm. So before parsing, the depth of every statement's tree is bounded from its
//! tokens, and a source over [`MAX_DEPTH`] is refused as a parse error. CPython refuses
//! most such code too ("too many nested parentheses" past 200 brackets, a
//! `RecursionError` in its compiler from one to three thousand levels), so nothing a
//! notebook runs is lost. At the limit, walking takes at most about 256 KB of stack in
//! an optimised build (measured on x86-64: 960 chained calls 128 KB, 490 nested lambdas
//! 256 KB) and dropping less; a debug build needs up to about 1.5 MB.
//!
//! The bound counts, for the statement being read, its indentation level, one per open
//! bracket and, in each open bracket, the tokens that can add a level to the tree
//! (operators, keywords, string starts) since the last comma that separates siblings.
//! A closed bracket group adds its own depth plus one to the enclosing element. Names,
//! numbers and strings are leaves and do not count. Inside `lambda` parameters commas do
//! not separate siblings of the enclosing node, so they do not reset the count there.
//!
//! Computing it takes a pass of the lexer, which costs about a fifth of a parse; a cheap
//! byte count that bounds it from above lets most cells (up to about 80 lines) skip that
//! pass. The lexer is not shared with the parser, which exposes tokens only after
//! building the tree, and dropping a too-deep tree would already overflow.

use ruff_python_ast::token::TokenKind;
use ruff_python_parser::lexer::lex;
use ruff_python_parser::Mode;

/// The largest accepted depth estimate of one statement.
pub(super) const MAX_DEPTH: usize = 1000;

/// A source whose [`cheap_bound`] is at most this cannot reach [`MAX_DEPTH`].
const CHEAP_LIMIT: usize = MAX_DEPTH - 2;

/// Why a source was refused, and where.
#[derive(Debug)]
pub(super) struct TooDeep {
    /// Byte offset just after the token where the estimate passed the limit.
    pub(super) offset: usize,
    /// A message for the user.
    pub(super) message: String,
}

/// Checks that `source` is shallow enough to parse, walk and drop.
pub(super) fn check(source: &str) -> Result<(), TooDeep> {
    if cheap_bound(source) <= CHEAP_LIMIT || !exceeds(source) {
        return Ok(());
    }
    Err(TooDeep {
        offset: first_excess(source),
        message: format!(
            "code nested too deeply to analyse (more than {MAX_DEPTH} levels in one \
             statement, or a bracket that is never closed)"
        ),
    })
}

/// An upper bound of the estimate [`exceeds`] computes, from bytes alone: the number of
/// ASCII punctuation characters, line breaks, non-ASCII characters and hard keywords.
/// Counting stops once it passes [`CHEAP_LIMIT`].
///
/// Every token the estimate counts is an operator or bracket (it contains punctuation),
/// a hard keyword, or the start of an f-string or t-string (whose quote is punctuation);
/// each indentation level needs a line break. A keyword is a word of its own unless it
/// follows a number (`1if`, `0xfor`: the lexer splits those, so a word starting with a
/// digit that ends with a keyword counts) or touches a non-ASCII character (counted
/// apart). Punctuation inside strings and comments counts too, which only loosens the
/// bound, and the estimate starts at 1. Each counted item takes at least one byte, so a
/// source no longer than the limit needs no scan.
fn cheap_bound(source: &str) -> usize {
    let bytes = source.as_bytes();
    if bytes.len() <= CHEAP_LIMIT {
        return bytes.len();
    }
    let mut count = 0;
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        match BYTE_CLASS[usize::from(byte)] {
            WORD => {
                let start = index;
                index += 1;
                while bytes
                    .get(index)
                    .is_some_and(|&b| BYTE_CLASS[usize::from(b)] == WORD)
                {
                    index += 1;
                }
                let word = bytes.get(start..index).unwrap_or_default();
                let keyword = if byte.is_ascii_digit() {
                    (2..=8).any(|len| {
                        word.len() > len
                            && word.get(word.len() - len..).is_some_and(is_hard_keyword)
                    })
                } else {
                    (2..=8).contains(&word.len()) && is_hard_keyword(word)
                };
                count += usize::from(keyword);
            }
            COUNTED => {
                count += 1;
                index += 1;
            }
            _ => index += 1,
        }
        if count > CHEAP_LIMIT {
            break;
        }
    }
    count
}

/// [`BYTE_CLASS`] of bytes that are not counted.
const OTHER: u8 = 0;
/// [`BYTE_CLASS`] of bytes counted one each: ASCII punctuation, line breaks and the first
/// byte of each non-ASCII character.
const COUNTED: u8 = 1;
/// [`BYTE_CLASS`] of ASCII letters, digits and `_`.
const WORD: u8 = 2;

/// The class of every byte value, for [`cheap_bound`].
static BYTE_CLASS: [u8; 256] = {
    let mut table = [OTHER; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        table[byte] = if b.is_ascii_alphanumeric() || b == b'_' {
            WORD
        } else if b.is_ascii_punctuation() || b == b'\n' || b == b'\r' || b >= 0xC0 {
            COUNTED
        } else {
            OTHER
        };
        byte += 1;
    }
    table
};

/// Python's hard keywords except `True`, `False` and `None` (leaves of the tree).
fn is_hard_keyword(word: &[u8]) -> bool {
    matches!(
        word,
        b"and"
            | b"as"
            | b"assert"
            | b"async"
            | b"await"
            | b"break"
            | b"class"
            | b"continue"
            | b"def"
            | b"del"
            | b"elif"
            | b"else"
            | b"except"
            | b"finally"
            | b"for"
            | b"from"
            | b"global"
            | b"if"
            | b"import"
            | b"in"
            | b"is"
            | b"lambda"
            | b"nonlocal"
            | b"not"
            | b"or"
            | b"pass"
            | b"raise"
            | b"return"
            | b"try"
            | b"while"
            | b"with"
            | b"yield"
    )
}

/// One open bracket (or the statement itself, at the bottom of the stack).
#[derive(Default)]
struct Frame {
    /// Counted tokens and closed groups in the current element (since the last comma).
    current: usize,
    /// The largest `current` of the element's earlier siblings.
    widest: usize,
    /// `lambda`s whose parameter list (ended by `:`) is still open in this bracket.
    open_lambdas: usize,
}

/// Whether the depth estimate of some statement in `source` passes [`MAX_DEPTH`].
fn exceeds(source: &str) -> bool {
    let mut lexer = lex(source, Mode::Module);
    let mut frames: Vec<Frame> = vec![Frame::default()];
    let mut indent: usize = 0;
    // Sum of `current` over all frames plus one per frame: the depth of the node being
    // read, as bounded by the tokens so far.
    let mut path: usize = 1;
    loop {
        let kind = lexer.next_token();
        match kind {
            TokenKind::EndOfFile => return false,
            TokenKind::Lpar | TokenKind::Lsqb | TokenKind::Lbrace => {
                frames.push(Frame::default());
                path += 1;
            }
            TokenKind::Rpar | TokenKind::Rsqb | TokenKind::Rbrace => {
                // An unmatched closing bracket is a syntax error; it closes nothing here.
                if frames.len() > 1 {
                    if let Some(closed) = frames.pop() {
                        path -= closed.current + 1;
                        let group = closed.current.max(closed.widest) + 1;
                        if let Some(top) = frames.last_mut() {
                            top.current += group;
                            path += group;
                        }
                    }
                }
            }
            TokenKind::Comma => {
                if let Some(top) = frames.last_mut() {
                    if top.open_lambdas == 0 {
                        top.widest = top.widest.max(top.current);
                        path -= top.current;
                        top.current = 0;
                    }
                }
            }
            TokenKind::Colon => {
                if let Some(top) = frames.last_mut() {
                    top.open_lambdas = top.open_lambdas.saturating_sub(1);
                    top.current += 1;
                    path += 1;
                }
            }
            TokenKind::Lambda => {
                if let Some(top) = frames.last_mut() {
                    top.open_lambdas += 1;
                    top.current += 1;
                    path += 1;
                }
            }
            // The lexer emits logical newlines only outside brackets, so the statement
            // frame is the only one left; `;` ends a statement only there.
            TokenKind::Newline | TokenKind::Semi => {
                if let [statement] = frames.as_mut_slice() {
                    *statement = Frame::default();
                    path = 1;
                } else if let Some(top) = frames.last_mut() {
                    top.current += 1;
                    path += 1;
                }
            }
            TokenKind::Indent => indent += 1,
            TokenKind::Dedent => indent = indent.saturating_sub(1),
            kind if is_leaf(kind) => {}
            _ => {
                if let Some(top) = frames.last_mut() {
                    top.current += 1;
                    path += 1;
                }
            }
        }
        if indent + path > MAX_DEPTH {
            return true;
        }
    }
}

/// Tokens that never add a level to the tree: names, literals, soft keywords (which
/// introduce statements whose depth the indentation already counts), trivia, IPython
/// escapes and lexing errors.
fn is_leaf(kind: TokenKind) -> bool {
    matches!(
        kind,
        TokenKind::Name
            | TokenKind::Int
            | TokenKind::Float
            | TokenKind::Complex
            | TokenKind::String
            | TokenKind::FStringMiddle
            | TokenKind::FStringEnd
            | TokenKind::TStringMiddle
            | TokenKind::TStringEnd
            | TokenKind::IpyEscapeCommand
            | TokenKind::Comment
            | TokenKind::NonLogicalNewline
            | TokenKind::True
            | TokenKind::False
            | TokenKind::None
            | TokenKind::Ellipsis
            | TokenKind::Case
            | TokenKind::Lazy
            | TokenKind::Match
            | TokenKind::Type
            | TokenKind::Unknown
    )
}

/// The byte offset where the estimate first passes the limit: the shortest prefix of
/// `source` that [`exceeds`] it, found by bisection (only run on refused sources).
///
/// The estimate's running maximum only grows as the prefix grows, except that cutting a
/// string in two turns its rest into one unterminated string; that can only hide tokens,
/// so the bisection still lands at or before the first real excess of a longer prefix.
fn first_excess(source: &str) -> usize {
    let mut low = 0;
    let mut high = source.len();
    while low < high {
        let mut middle = low + (high - low) / 2;
        while !source.is_char_boundary(middle) {
            middle -= 1;
        }
        if middle <= low {
            break;
        }
        if source.get(..middle).is_some_and(exceeds) {
            high = middle;
        } else {
            low = middle;
        }
    }
    high
}

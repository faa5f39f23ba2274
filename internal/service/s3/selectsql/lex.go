// Package selectsql reads S3 Select's SQL (SelectObjectContent's
// Expression) and translates it, in this one place, to the SQL engine's
// dialect (Trino's, which internal/sqlengine runs). S3 Select's grammar is
// a small subset: one SELECT over S3Object with an optional alias, WHERE
// and LIMIT; columns named by position (s._1), by header or key name
// (s.name, s."Name"), or by a JSON path (s.a.b[0]); CAST, CASE, LIKE,
// BETWEEN, IN, IS [NOT] NULL/MISSING, the aggregates COUNT, SUM, AVG,
// MIN and MAX, and the string, date and conditional functions S3 Select
// documents. Anything else is refused with S3 Select's error codes.
package selectsql

import (
	"fmt"
	"strings"
)

// MaxExpression is S3 Select's limit on an expression's length (256 KB).
const MaxExpression = 256 * 1024

// Error is an S3 Select error: Code is its error code, answered with
// HTTP 400.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func errf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tQuoted // "double-quoted" name
	tString // 'string'
	tNumber
	tPunct
)

type token struct {
	kind tokKind
	text string
	pos  int // byte offset, for the line/column of errors
}

// lex splits an expression into tokens.
func lex(s string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case isIdentStart(c):
			j := i
			for j < len(s) && isIdentPart(s[j]) {
				j++
			}
			toks = append(toks, token{tIdent, s[i:j], i})
			i = j
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			j := i
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
				j++
			}
			if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
				k := j + 1
				if k < len(s) && (s[k] == '+' || s[k] == '-') {
					k++
				}
				if k < len(s) && s[k] >= '0' && s[k] <= '9' {
					for k < len(s) && s[k] >= '0' && s[k] <= '9' {
						k++
					}
					j = k
				}
			}
			if strings.Count(s[i:j], ".") > 1 {
				return nil, errAt(s, i, "ParseInvalidNumber", "The SQL expression contains an invalid number")
			}
			toks = append(toks, token{tNumber, s[i:j], i})
			i = j
		case c == '\'' || c == '"':
			var b strings.Builder
			j := i + 1
			for {
				if j >= len(s) {
					if c == '\'' {
						return nil, errAt(s, i, "LexerInvalidLiteral", "The SQL expression contains an unterminated string literal")
					}
					return nil, errAt(s, i, "LexerInvalidChar", "The SQL expression contains an unterminated quoted identifier")
				}
				if s[j] == c {
					if j+1 < len(s) && s[j+1] == c {
						b.WriteByte(c)
						j += 2
						continue
					}
					break
				}
				b.WriteByte(s[j])
				j++
			}
			k := tString
			if c == '"' {
				k = tQuoted
			}
			toks = append(toks, token{k, b.String(), i})
			i = j + 1
		default:
			two := ""
			if i+1 < len(s) {
				two = s[i : i+2]
			}
			switch two {
			case "<=", ">=", "<>", "!=", "||":
				toks = append(toks, token{tPunct, two, i})
				i += 2
				continue
			}
			if strings.IndexByte("(),.*[]=<>+-/%", c) < 0 {
				return nil, errAt(s, i, "LexerInvalidChar", "The SQL expression contains an invalid character")
			}
			toks = append(toks, token{tPunct, string(c), i})
			i++
		}
	}
	return append(toks, token{tEOF, "", len(s)}), nil
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentPart(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' || c == '$' }

// errAt is an error whose message names the line and column of offset
// pos in s, as S3 Select's do.
func errAt(s string, pos int, code, msg string) *Error {
	line, col := 1, 1
	for i := 0; i < pos && i < len(s); i++ {
		if s[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return errf(code, "%s at line %d, column %d.", msg, line, col)
}

// Package display is how the action, the credential helper and the CLI show
// a problem to a person: an error that keeps its fix apart, and quoting that
// stops text from outside (inputs, tokens, policies, server answers) from
// breaking a line or starting a workflow command.
//
// It keeps several quotes on purpose, each pinned by golden files: the
// action log shows values as users typed them (LogQuote), the CLI shows Go
// syntax (Quote, QuoteList, QuoteCut), JSON documents need JSON (JSON), and
// server text is cut to a size the caller picks (QuoteBounded). It imports
// only the standard library, so every product package may use it.
package display

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// FixedError says what is wrong, and by its Fix method what to do, which
// the caller prints apart, as idtoken's and stsexchange's errors do.
type FixedError struct{ msg, fix string }

// Fixed returns an error whose message is msg and whose Fix is fix.
func Fixed(msg, fix string) *FixedError { return &FixedError{msg, fix} }

func (e *FixedError) Error() string { return e.msg }

// Fix says what to do about the error.
func (e *FixedError) Fix() string { return e.fix }

// Escape makes outside text safe inside one log line: line breaks and other
// control characters become visible escapes. Everything else is kept as it
// was written, so a name reads in the log as the user typed it.
func Escape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// LogQuote quotes a value for the action's log: Escape, in double quotes,
// with inner quotes escaped. It differs from Quote on purpose: the log keeps
// backslashes and non-ASCII text as written, where the CLI prints Go syntax.
func LogQuote(s string) string { return `"` + Escape(strings.ReplaceAll(s, `"`, `\"`)) + `"` }

// Quote quotes a value for the CLI's output and errors in Go syntax.
// strconv.Quote escapes CR, LF and every other non-printable rune (U+2028
// included), so a printed value can never start a new line in a CI log,
// where "::" at the start of a line is a workflow command.
func Quote(s string) string { return strconv.Quote(s) }

// QuoteList shows values as a bracketed, comma-separated list of Quote.
func QuoteList(vals []string) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = Quote(v)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// QuoteCut is Quote of at most max bytes of s, marked with "…" when cut,
// so that a long input cannot flood an error.
func QuoteCut(s string, max int) string {
	if len(s) > max {
		s = s[:max] + "…"
	}
	return Quote(s)
}

// JSON quotes s exactly as encoding/json does, for finding a value in a
// JSON document or writing one. It is not a display quote: like
// encoding/json it leaves C1 controls such as U+0085 as they are, so text
// for a reader goes through Quote.
func JSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// Bounded escapes what could break a line or mislead a reader (invalid
// UTF-8, control characters, and format runes, which include bidi
// overrides that make a line read differently from what it contains), then
// cuts the result to at most max bytes on a rune boundary, marked with "…".
func Bounded(s string, max int) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		var piece string
		switch {
		case r == utf8.RuneError && size == 1:
			piece = fmt.Sprintf(`\x%02x`, s[i])
		case r == '\n':
			piece = `\n`
		case r == '\r':
			piece = `\r`
		case r == '\t':
			piece = `\t`
		case unicode.IsGraphic(r) && !unicode.In(r, unicode.Cf):
			piece = s[i : i+size]
		case r < 0x80:
			piece = fmt.Sprintf(`\x%02x`, r)
		default:
			piece = fmt.Sprintf(`\u%04x`, r)
		}
		if b.Len()+len(piece) > max {
			b.WriteString("…")
			break
		}
		b.WriteString(piece)
		i += size
	}
	return b.String()
}

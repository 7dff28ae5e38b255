package display

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestQuotes(t *testing.T) {
	for _, tc := range []struct {
		name, got, want string
	}{
		{"log quote keeps text as typed", LogQuote(`dép\loy "prod"`), `"dép\loy \"prod\""`},
		{"log quote escapes line breaks", LogQuote("a\nb\r\u2028c\x00"), `"a\nb\r\u2028c\u0000"`},
		{"quote is Go syntax", Quote("dép\\loy\n"), `"dép\\loy\n"`},
		{"quote list", QuoteList([]string{"a", "b\"c"}), `["a", "b\"c"]`},
		{"empty quote list", QuoteList(nil), `[]`},
		{"quote cut leaves short values whole", QuoteCut("abc", 3), `"abc"`},
		{"quote cut marks a cut value", QuoteCut("abcd", 3), `"abc…"`},
		{"json", JSON("a\"<b>\n"), `"a\"\u003cb\u003e\n"`},
		{"bounded escapes bidi overrides and bad UTF-8", Bounded("a\u202eb\xff\x01", 100), `a\u202eb\xff\x01`},
		{"bounded cuts on a rune boundary", Bounded("ééé", 5), "éé…"},
		{"bounded never splits an escape", Bounded("ab\n", 3), "ab…"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, tc.got, tc.want)
		}
	}
}

func TestFixedErrorKeepsItsFixApart(t *testing.T) {
	var err error = Fixed("it broke", "mend it")
	var f interface{ Fix() string }
	if !errors.As(err, &f) || err.Error() != "it broke" || f.Fix() != "mend it" {
		t.Fatalf("got %q with fix %v, want \"it broke\" with fix \"mend it\"", err, f)
	}
}

// FuzzQuotesStayOnOneLine checks that no quote lets outside text start a
// new line, where "::" would be a workflow command.
func FuzzQuotesStayOnOneLine(f *testing.F) {
	for _, s := range []string{"", "a\nb", "::set-env", "\u2028", "\xff\r", "é\u202e"} {
		f.Add(s, 8)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 0 || max > 1<<10 {
			return
		}
		out := map[string]string{
			"LogQuote": LogQuote(s), "Quote": Quote(s), "QuoteCut": QuoteCut(s, max),
			"JSON": JSON(s), "Bounded": Bounded(s, max), "QuoteList": QuoteList([]string{s, s}),
		}
		for name, o := range out {
			breaks := "\r\n\u0085\u2028\u2029"
			if name == "JSON" {
				// encoding/json's own rule, which JSON must keep to find
				// values in documents: every C0 control and U+2028/9
				// escaped, C1 controls (U+0085) not.
				breaks = "\r\n\u2028\u2029"
			}
			if strings.ContainsAny(o, breaks) {
				t.Errorf("%s(%q) = %q: holds a line break", name, s, o)
			}
		}
		if b := out["Bounded"]; len(b) > max+len("…") || !utf8.ValidString(b) {
			t.Errorf("Bounded(%q, %d) = %q: longer than the bound or not UTF-8", s, max, b)
		}
	})
}

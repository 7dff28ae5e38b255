package stsexchange

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/org/oidc-aws-action/pkg/display"
)

const (
	maxMessageBytes   = 500
	maxCodeBytes      = 64
	maxRequestIDBytes = 128
	redacted          = "[REDACTED]"
)

// jwtLike matches anything shaped like a JWT, so that a server echoing some
// token (not only ours) cannot get it into logs.
var jwtLike = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*`)

// sanitize makes server-controlled text safe to log: secrets are redacted
// first (so truncation cannot leave a recognizable prefix behind), then
// non-printable runes are escaped, then the result is cut to at most max bytes
// on a rune boundary.
func sanitize(s string, max int, secrets []string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, redacted)
		}
	}
	s = jwtLike.ReplaceAllString(s, redacted)
	return display.Bounded(s, max)
}

// quote renders untrusted text for an error message: escaped, cut, in quotes.
func quote(s string, max int) string {
	return `"` + sanitize(s, max, nil) + `"`
}

// unsafeText reports whether s contains anything that could break a
// line-oriented file such as GITHUB_ENV or GITHUB_OUTPUT: invalid UTF-8,
// control characters, line or paragraph separators, or format runes.
func unsafeText(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || !unicode.IsGraphic(r) || unicode.In(r, unicode.Cf) {
			return true
		}
		i += size
	}
	return false
}

package reliability

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode"

	"github.com/org/oidc-aws-action/pkg/internal/runnersim"
)

// jwtShape matches the start of a compact JWS whose header is JSON ("eyJ" is
// base64url of `{"`): two dot-separated base64url segments are enough to say
// a token was printed, even if it was cut off after the payload.
var jwtShape = regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.`)

// Leaks lists every place a secret shows in a step's output, or nil.
//
// secrets maps a name (for the report) to a value. stdout is checked raw,
// line by line as the runner splits it, except `::add-mask::` lines, which
// are how a value gets masked and so must carry it; the log the runner would
// display (masks applied) is checked too, and so is stderr, in full. Any
// JWT-shaped string outside an add-mask line counts, so a token is caught
// even when the caller never saw its value.
func Leaks(stdout, stderr []byte, secrets map[string]string) []string {
	names := make([]string, 0, len(secrets))
	for n, v := range secrets {
		// A value this short would match by chance; none of ours is.
		if len(v) >= 8 {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var out []string
	scan := func(where, text string) {
		for _, n := range names {
			if strings.Contains(text, secrets[n]) {
				out = append(out, fmt.Sprintf("%s shows %s", where, n))
			}
		}
		if m := jwtShape.FindString(text); m != "" {
			out = append(out, fmt.Sprintf("%s shows a JWT-shaped string starting %q", where, m[:min(len(m), 12)]))
		}
	}
	for i, line := range splitRunnerLines(string(stdout)) {
		if isAddMask(line) {
			continue
		}
		scan(fmt.Sprintf("stdout line %d", i+1), line)
	}
	scan("the runner's visible log", runnersim.ParseLog(stdout).Text())
	scan("stderr", string(stderr))
	return out
}

// MaskedValues returns the values a step's stdout registered with
// ::add-mask::, as the runner would.
func MaskedValues(stdout []byte) []string { return runnersim.ParseLog(stdout).Masks }

// JWTs returns the JWT-shaped values among masks: the ID tokens the action
// fetched and masked.
func JWTs(masks []string) []string {
	var out []string
	for _, m := range masks {
		if jwtShape.MatchString(m) {
			out = append(out, m)
		}
	}
	return out
}

func isAddMask(line string) bool {
	return strings.HasPrefix(strings.TrimLeftFunc(line, unicode.IsSpace), "::add-mask::")
}

// splitRunnerLines splits where the runner does: "\n", "\r\n" or a lone "\r".
func splitRunnerLines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
}

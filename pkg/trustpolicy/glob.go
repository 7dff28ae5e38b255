package trustpolicy

import (
	"strings"
	"unicode/utf8"
)

// glob matches IAM's StringLike patterns: "*" is any run of characters
// (including none), "?" exactly one; everything else is literal. It
// backtracks only to the last star, so it runs in O(len(p)·len(s)).
func glob(pattern, s string) bool {
	px, sx := 0, 0
	starP, starS := -1, 0
	for sx < len(s) {
		if px < len(pattern) {
			switch pattern[px] {
			case '*':
				starP, starS = px, sx
				px++
				continue
			case '?':
				_, n := utf8.DecodeRuneInString(s[sx:])
				px++
				sx += n
				continue
			default:
				if pattern[px] == s[sx] {
					px++
					sx++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		// Let the last star swallow one more character and retry.
		_, n := utf8.DecodeRuneInString(s[starS:])
		starS += n
		px, sx = starP+1, starS
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}

// globFold is glob ignoring case, for action names.
func globFold(pattern, s string) bool {
	return glob(strings.ToLower(pattern), strings.ToLower(s))
}

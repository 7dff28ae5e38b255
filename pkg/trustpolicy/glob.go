package trustpolicy

import (
	"strings"
	"unicode/utf8"
)

// glob matches IAM's StringLike patterns: "*" is any run of characters
// (including none), "?" exactly one; everything else is literal. It
// backtracks only to the last star, so it runs in O(len(p)·len(s)).
func glob(pattern, s string) bool { return globLit(pattern, nil, s) }

// globLit is glob where lit[i] marks pattern byte i as literal even if it
// is * or ?, for values built from policy variables.
func globLit(pattern string, lit []bool, s string) bool {
	wild := func(i int) bool { return lit == nil || !lit[i] }
	px, sx := 0, 0
	starP, starS := -1, 0
	for sx < len(s) {
		if px < len(pattern) {
			switch {
			case pattern[px] == '*' && wild(px):
				starP, starS = px, sx
				px++
				continue
			case pattern[px] == '?' && wild(px):
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
	for px < len(pattern) && pattern[px] == '*' && wild(px) {
		px++
	}
	return px == len(pattern)
}

// globFold is glob ignoring case, for action names.
func globFold(pattern, s string) bool {
	return glob(strings.ToLower(pattern), strings.ToLower(s))
}

// Like reports whether s matches pattern as IAM's StringLike does: "*" is
// any run of characters, "?" exactly one. Packages that judge the rest of a
// role (its permissions, its provider's audiences) match the same way.
func Like(pattern, s string) bool { return glob(pattern, s) }

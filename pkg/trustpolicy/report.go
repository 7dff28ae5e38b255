package trustpolicy

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/org/oidc-aws-action/pkg/display"
)

// WriteText prints the decision and one line per statement, principal,
// action and condition, each marked PASS or FAIL, with a "fix:" line under
// every failure that has one. Values from the policy or token are quoted,
// so no line can carry a raw newline or start with a workflow command.
func (r *Result) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "decision: %s\n", oneLine(r.Decision))
	fmt.Fprintf(bw, "request: action %s, issuer %s\n", display.Quote(r.Action), display.Quote(r.Issuer))
	for _, s := range r.Statements {
		var state string
		switch {
		case s.Matched && s.Effect == "Deny":
			state = "MATCHED, denies (explicit deny overrides every Allow)"
		case s.Matched:
			state = "MATCHED, allows"
		case s.Effect == "Deny":
			state = "not matched, so this Deny does not apply"
		default:
			state = "not matched"
		}
		fmt.Fprintf(bw, "statement %s (%s): %s\n", s.Label(), oneLine(s.Effect), state)
		writeVerdict(bw, "principal", s.Principal, s.Effect)
		writeVerdict(bw, "action", s.Action, s.Effect)
		for _, c := range s.Conditions {
			fmt.Fprintf(bw, "  %s %s %s: %s\n", passFail(c.Passed), oneLine(c.Operator), display.Quote(c.Key), oneLine(c.Reason))
			if c.Fix != "" && (!c.Passed || (s.Matched && s.Effect == "Deny")) {
				fmt.Fprintf(bw, "       fix: %s\n", oneLine(c.Fix))
			}
		}
		if s.Matched && s.Effect == "Deny" {
			fmt.Fprintf(bw, "       fix: to let this token through, narrow the Deny's conditions so one of them fails for it\n")
		}
	}
	return bw.Flush()
}

func writeVerdict(w io.Writer, what string, v Verdict, effect string) {
	fmt.Fprintf(w, "  %s %s: %s\n", passFail(v.Passed), what, oneLine(v.Reason))
	if !v.Passed && v.Fix != "" && effect == "Allow" {
		fmt.Fprintf(w, "       fix: %s\n", oneLine(v.Fix))
	}
}

func passFail(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

// oneLine is a second line of defence behind display.Quote: reasons and
// fixes are built from quoted values, but should a raw value ever slip into
// one, its line breaks are escaped here rather than reaching the log.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n\u0085\u2028\u2029") {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\r', '\n', '\u0085', '\u2028', '\u2029':
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

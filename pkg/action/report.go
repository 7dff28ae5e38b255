package action

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/org/oidc-aws-action/pkg/claims"
	"github.com/org/oidc-aws-action/pkg/display"
	"github.com/org/oidc-aws-action/pkg/inputs"
	"github.com/org/oidc-aws-action/pkg/trustpolicy"
	"github.com/org/oidc-aws-action/pkg/workflow"
)

// showClaims prints the token's claims, never the token, in a log group and
// as a table in the step summary.
func showClaims(r *workflow.Runner, c *claims.Claims) {
	r.Group("OIDC token claims (unverified; the token itself is never printed)")
	for _, name := range c.Names() {
		r.Infof("%-22s %s", workflow.Escape(name)+":", workflow.Escape(claimText(c, name)))
	}
	r.Infof("")
	r.Infof("Condition keys IAM sets from this token (a claim not listed is no key, and a condition on it never sees the claim):")
	for _, k := range conditionKeys(c) {
		r.Infof("  %s = %s", workflow.Escape(k.name), display.LogQuote(k.value))
	}
	compact, indented, err := claimsJSON(c)
	if err == nil {
		r.Infof("")
		r.Infof("As JSON, for `oidc-aws policy explain --claims FILE` (also the claims-json output):")
		r.Lines(indented)
	}
	r.EndGroup()
	if err == nil {
		err = r.SetOutput(claimsJSONOutput, compact)
	}
	if err != nil {
		r.Warningf("the claims-json output is not set: %s", err)
	}

	var b strings.Builder
	b.WriteString("### OIDC token claims (unverified)\n\n| claim | value |\n|---|---|\n")
	for _, name := range c.Names() {
		fmt.Fprintf(&b, "| `%s` | %s |\n", mdCode(name), mdCell(claimText(c, name)))
	}
	b.WriteString("\n")
	if err := r.Summary(b.String()); err != nil {
		r.Warningf("%s", err)
	}
}

type conditionKey struct{ name, value string }

// conditionKeys lists the keys IAM sets from the token, sub and aud first:
// users write conditions from this list, and a claim IAM does not turn
// into a key (repository_owner, event_name, …) would make a condition
// that never matches.
func conditionKeys(c *claims.Claims) []conditionKey {
	host := c.IssuerHost()
	keys := []conditionKey{{host + ":sub", c.Subject}, {host + ":aud", strings.Join(c.Audience, ",")}}
	for _, name := range c.Names() {
		if name == "sub" || name == "aud" {
			continue
		}
		if ok, _ := trustpolicy.ConditionKeyProvided(c.Issuer, host+":"+name); ok {
			keys = append(keys, conditionKey{host + ":" + name, c.String(name)})
		}
	}
	return keys
}

// claimsJSONOutput is the step output with the claims as JSON.
const claimsJSONOutput = "claims-json"

// claimsJSON renders the token's claims (its payload, never the token) as
// `oidc-aws policy explain --claims` reads them: one line for the step
// output, indented for the log. Control characters, U+2028 and U+2029 are
// escaped, so neither form can break a line; a value the runner masks in
// the log stays masked, inside a JSON string.
func claimsJSON(c *claims.Claims) (compact, indented string, err error) {
	b, err := json.Marshal(c.Raw)
	if err != nil {
		return "", "", err
	}
	var ind bytes.Buffer
	if err := json.Indent(&ind, b, "  ", "  "); err != nil {
		return "", "", err
	}
	return string(b), "  " + ind.String(), nil
}

// claimText shows a claim's value, with the time spelled out for the
// timestamp claims, which people otherwise decode by hand.
func claimText(c *claims.Claims, name string) string {
	v := c.String(name)
	var t time.Time
	switch name {
	case "exp":
		t = c.ExpiresAt
	case "iat":
		t = c.IssuedAt
	case "nbf":
		t = c.NotBefore
	}
	if t.IsZero() {
		return v
	}
	return v + " (" + t.UTC().Format(time.RFC3339) + ")"
}

func successSummary(in *inputs.Inputs, account, expiration string, c *claims.Claims) string {
	var b strings.Builder
	b.WriteString("### AWS credentials configured\n\n| Setting | Value |\n|---|---|\n")
	role := in.Role.ARN
	if in.MaskAccountID {
		role = "(masked)"
	}
	row := func(k, v string) { fmt.Fprintf(&b, "| %s | %s |\n", k, mdCell(v)) }
	row("Role", role)
	row("Session name", in.SessionName)
	row("Account", firstNonEmpty(account, "(none)"))
	row("Region", in.Region)
	row("Expires", firstNonEmpty(expiration, "(not given)"))
	if c != nil {
		row("Token subject", c.Subject)
	} else {
		row("Source", "role chaining from the environment's credentials")
	}
	b.WriteString("\n")
	return b.String()
}

// mdCell renders outside text inside a table cell as code, so neither
// markdown nor HTML in a claim can change the summary.
func mdCell(s string) string {
	if s == "" {
		return ""
	}
	return "`" + mdCode(s) + "`"
}

func mdCode(s string) string {
	s = workflow.Escape(s)
	s = strings.ReplaceAll(s, "`", "'")
	return strings.ReplaceAll(s, "|", `\|`)
}

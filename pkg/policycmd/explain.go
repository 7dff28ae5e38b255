package policycmd

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/org/oidc-aws-action/pkg/claims"
	"github.com/org/oidc-aws-action/pkg/display"
	"github.com/org/oidc-aws-action/pkg/trustpolicy"
)

// explainOptions are explain's flags.
type explainOptions struct {
	policyPath, claimsPath, tokenPath string
	action, role, sessionName, issuer string
}

// explainToken is the token (or claim set) to judge and how we got it.
type explainToken struct {
	claims  *claims.Claims
	source  string
	expired string // non-empty: why STS would refuse the token before any policy
}

func runExplain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, code := parseExplainFlags(args, stdout, stderr)
	if code >= 0 {
		return code
	}
	in := &inputReader{stdin: stdin}
	docs, code := loadExplainPolicies(in, o, stderr)
	if code >= 0 {
		return code
	}
	tok, err := loadExplainToken(in, o, time.Now())
	if err != nil {
		return inputError(stderr, "explain", err)
	}
	return explainDocuments(docs, tok, o, stdout, stderr)
}

func parseExplainFlags(args []string, stdout, stderr io.Writer) (explainOptions, int) {
	var o explainOptions
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	fs.StringVar(&o.policyPath, "policy", "", "")
	fs.StringVar(&o.claimsPath, "claims", "", "")
	fs.StringVar(&o.tokenPath, "token", "", "")
	fs.StringVar(&o.action, "action", trustpolicy.DefaultAction, "")
	fs.StringVar(&o.role, "role", "", "")
	fs.StringVar(&o.sessionName, "session-name", "", "")
	fs.StringVar(&o.issuer, "issuer", "", "")
	if code := parseFlags(fs, args, stdout, stderr); code >= 0 {
		return o, code
	}
	switch {
	case fs.NArg() > 0:
		return o, usageError(stderr, "explain", fmt.Sprintf("unexpected argument %s; give the policy with --policy FILE", strconv.Quote(fs.Arg(0))))
	case o.policyPath == "":
		return o, usageError(stderr, "explain", "missing --policy FILE (a policy document, `aws iam get-role` output, or `terraform show -json` output)")
	case o.claimsPath == "" && o.tokenPath == "":
		return o, usageError(stderr, "explain", "missing --claims FILE or --token FILE: give the token's claims as JSON, or the token itself")
	case o.claimsPath != "" && o.tokenPath != "":
		return o, usageError(stderr, "explain", "--claims and --token both given; give one")
	case o.action == "":
		return o, usageError(stderr, "explain", "--action is empty; omit it for sts:AssumeRoleWithWebIdentity")
	}
	return o, -1
}

// loadExplainPolicies reads --policy and picks --role.
func loadExplainPolicies(in *inputReader, o explainOptions, stderr io.Writer) ([]trustpolicy.Document, int) {
	data, err := in.read(o.policyPath, trustpolicy.MaxInputBytes)
	if err != nil {
		return nil, inputError(stderr, "explain", pathError("--policy", o.policyPath, err))
	}
	docs, err := trustpolicy.ParseDocuments(data)
	if err != nil {
		return nil, inputError(stderr, "explain", pathError("--policy", o.policyPath, err))
	}
	if o.role == "" {
		return docs, -1
	}
	var picked []trustpolicy.Document
	var names []string
	for _, d := range docs {
		names = append(names, strconv.Quote(d.Name))
		if d.Name == o.role {
			picked = append(picked, d)
		}
	}
	if len(picked) == 0 {
		return nil, usageError(stderr, "explain", fmt.Sprintf("--role %s names no policy in %s; it holds %s", strconv.Quote(o.role), strconv.Quote(o.policyPath), strings.Join(names, ", ")))
	}
	return picked, -1
}

// loadExplainToken reads --token or --claims and settles the issuer.
func loadExplainToken(in *inputReader, o explainOptions, now time.Time) (*explainToken, error) {
	t := &explainToken{}
	if o.tokenPath != "" {
		raw, err := in.read(o.tokenPath, maxClaimsBytes)
		if err != nil {
			return nil, pathError("--token", o.tokenPath, err)
		}
		if t.claims, err = claims.Decode(string(raw)); err != nil {
			return nil, pathError("--token", o.tokenPath, err)
		}
		t.source = "token (signature NOT verified: claims were only decoded; STS verifies the real token)"
		if exp := t.claims.ExpiresAt; !exp.IsZero() && !now.Before(exp) {
			t.expired = fmt.Sprintf("the token expired at %s; STS refuses it with ExpiredTokenException before it reads the trust policy. Request a new token (they live for minutes) and explain that one", exp.UTC().Format(time.RFC3339))
		}
	} else {
		raw, err := in.read(o.claimsPath, maxClaimsBytes)
		if err != nil {
			return nil, pathError("--claims", o.claimsPath, err)
		}
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		var m map[string]any
		if err := d.Decode(&m); err != nil || m == nil {
			return nil, pathError("--claims", o.claimsPath, errors.New("want a JSON object of claims such as {\"iss\": ..., \"sub\": ..., \"aud\": ...} (debug-claims prints one)"))
		}
		if t.claims, err = claims.FromMap(m); err != nil {
			return nil, pathError("--claims", o.claimsPath, err)
		}
		t.source = "claims from " + strconv.Quote(o.claimsPath)
	}
	return t, settleIssuer(t.claims, o.issuer)
}

// pathError says what is wrong with the file a flag names, showing the
// path as lint shows file names.
func pathError(flag, path string, err error) error {
	return fmt.Errorf("%s %s: %w", flag, displayPath(path), err)
}

// settleIssuer fills a missing iss from --issuer and refuses a conflict:
// condition keys are named after the issuer, so it must be known.
func settleIssuer(c *claims.Claims, flagIssuer string) error {
	if flagIssuer != "" && !strings.Contains(flagIssuer, "://") {
		flagIssuer = "https://" + flagIssuer
	}
	switch {
	case c.Issuer == "" && flagIssuer == "":
		return errors.New("the claims have no \"iss\"; condition keys are named after the issuer, so add it or give --issuer (e.g. https://token.actions.githubusercontent.com)")
	case c.Issuer == "":
		c.Issuer = flagIssuer
	case flagIssuer != "" && claims.IssuerHost(flagIssuer) != claims.IssuerHost(c.Issuer):
		return fmt.Errorf("--issuer %s differs from the claims' iss %s; drop --issuer, or use claims from that issuer", strconv.Quote(flagIssuer), strconv.Quote(c.Issuer))
	}
	return nil
}

// explainDocuments evaluates every policy and prints the reports. Exit 0
// when one allows the token (and STS would accept the token at all).
func explainDocuments(docs []trustpolicy.Document, t *explainToken, o explainOptions, stdout, stderr io.Writer) int {
	tok := t.claims
	fmt.Fprintf(stdout, "%s: iss %s, sub %s, aud %s\n", t.source, strconv.Quote(tok.Issuer), strconv.Quote(tok.Subject), display.QuoteList(tok.Audience))
	if t.expired != "" {
		fmt.Fprintf(stdout, "token: EXPIRED: %s\n", t.expired)
	}
	code := ExitFindings
	var allowed []string
	compileFailed := false
	for _, d := range docs {
		if len(docs) > 1 {
			fmt.Fprintf(stdout, "\n== %s ==\n", strconv.Quote(d.Name))
		}
		c, err := d.Policy.Compile()
		if err != nil {
			fmt.Fprintf(stderr, "explain: %s: %v\n", strconv.Quote(d.Name), err)
			compileFailed = true
			continue
		}
		res := c.Check(trustpolicy.Request{Issuer: tok.Issuer, Claims: tok.Raw, Action: o.action, SessionName: o.sessionName})
		if err := res.WriteText(stdout); err != nil {
			fmt.Fprintf(stderr, "explain: cannot write the report: %v\n", err)
			return ExitUsage
		}
		if res.Allowed {
			allowed = append(allowed, strconv.Quote(d.Name))
			code = ExitOK
		}
	}
	if len(docs) > 1 {
		fmt.Fprintf(stdout, "\nsummary: %d of %d policies allow this token", len(allowed), len(docs))
		if len(allowed) > 0 {
			fmt.Fprintf(stdout, ": %s", strings.Join(allowed, ", "))
		}
		fmt.Fprintln(stdout)
	}
	switch {
	case compileFailed:
		return ExitUsage
	case t.expired != "":
		fmt.Fprintf(stdout, "verdict: STS would refuse this token (ExpiredTokenException), whatever the policy allows\n")
		return ExitFindings
	}
	return code
}

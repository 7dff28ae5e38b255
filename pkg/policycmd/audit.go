package policycmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/org/oidc-aws-action/pkg/display"
	"github.com/org/oidc-aws-action/pkg/permissions"
	"github.com/org/oidc-aws-action/pkg/trustpolicy"
)

// unusedAfter is how long a role may go unused before audit mentions it.
const unusedAfter = 90 * 24 * time.Hour

// auditRules are the rules only audit reports, about a role as IAM holds
// it rather than its trust policy.
var auditRules = []trustpolicy.Rule{
	{ID: "OIDC102", Severity: trustpolicy.SeverityInfo, Summary: "Role unused",
		Help: "IAM records no use of the role for over 90 days, or none at all in the 400 days it tracks. A role that GitHub can assume but no workflow uses is attack surface with no benefit. Delete it, or narrow its trust policy."},
}

// allRules are the rules lint and audit know, for --ignore and SARIF.
func allRules() []trustpolicy.Rule {
	return slices.Concat(trustpolicy.Rules(), []trustpolicy.Rule{permissions.SharedRule}, auditRules, providerRules)
}

// auditRole is one role that trusts an OIDC provider, with what audit
// found about it.
type auditRole struct {
	File        string
	Account     string
	Name, ARN   string
	Permissions permissions.Assessment
	LastUsed    string // "never", a date, or "" when the file does not say
	Findings    []trustpolicy.Finding
	uses        map[string]*trustUse // by provider ARN
}

type auditReport struct {
	roles     []auditRole
	providers []*oidcProvider
	failures  []failure
	checked   int // files read
	total     int // roles in the files read
}

func runAudit(args []string, stdin io.Reader, stdout, stderr io.Writer, now func() time.Time) int {
	g, code := parseGate("audit", []string{"text", "json", "sarif", "markdown"}, "missing FILE: give the output of `aws iam get-account-authorization-details`, one file per account (\"-\" for stdin)", args, stdout, stderr)
	if code >= 0 {
		return code
	}
	defer g.report.discard()
	rep := auditFiles(g.files, &inputReader{stdin: stdin}, g.ignored, now())
	rep.failures = append(g.unsearched, rep.failures...)
	return g.finish(stdout, stderr, rep.failures, rep.lintReport().findings, func(w io.Writer) error {
		switch g.format {
		case "json":
			return writeAuditJSON(w, rep)
		case "sarif":
			return writeSARIF(w, rep.lintReport())
		case "markdown":
			return writeAuditMarkdown(w, rep)
		}
		return writeAuditText(w, rep)
	})
}

func auditFiles(files []string, in *inputReader, ignored map[string]bool, now time.Time) auditReport {
	var rep auditReport
	accounts := 0 // account-details files read
	for _, file := range files {
		data, err := in.read(file, trustpolicy.MaxInputBytes)
		if err != nil {
			rep.failures = append(rep.failures, failure{file, err})
			continue
		}
		if p, ok, err := readProvider(file, data); ok {
			if err != nil {
				rep.failures = append(rep.failures, failure{file, err})
				continue
			}
			rep.checked++
			rep.providers = append(rep.providers, p)
			continue
		}
		acct, err := permissions.ReadAccount(data)
		if err != nil {
			rep.failures = append(rep.failures, failure{file, err})
			continue
		}
		rep.checked++
		accounts++
		rep.total += len(acct.Roles)
		// By name within a file, whatever order IAM listed them in.
		slices.SortStableFunc(acct.Roles, func(a, b permissions.AccountRole) int { return strings.Compare(a.Name, b.Name) })
		for i := range acct.Roles {
			r, ok, err := auditRoleOf(file, &acct.Roles[i], now)
			if err != nil {
				rep.failures = append(rep.failures, failure{file, err})
				continue
			}
			if !ok {
				continue
			}
			kept := r.Findings[:0]
			for _, f := range r.Findings {
				if !ignored[f.ID] {
					kept = append(kept, f)
				}
			}
			r.Findings = kept
			rep.roles = append(rep.roles, r)
		}
	}
	if len(rep.providers) > 0 && accounts == 0 {
		// Without an account's roles a provider's ARN cannot be built.
		for _, p := range rep.providers {
			rep.failures = append(rep.failures, failure{p.File, errors.New("an OIDC provider's file needs its account's `aws iam get-account-authorization-details` output on the same command line: the provider's ARN is built from the account of the roles")})
		}
		rep.providers = nil
		return rep
	}
	judgeProviders(&rep)
	for _, p := range rep.providers {
		kept := p.Findings[:0]
		for _, f := range p.Findings {
			if !ignored[f.ID] {
				kept = append(kept, f)
			}
		}
		p.Findings = kept
	}
	return rep
}

// auditRoleOf judges one role; ok is false when it trusts no OIDC provider.
func auditRoleOf(file string, ar *permissions.AccountRole, now time.Time) (auditRole, bool, error) {
	p, err := parseTrust(ar.Trust)
	if err != nil {
		return auditRole{}, false, fmt.Errorf("role %s: AssumeRolePolicyDocument: %w", strconv.Quote(ar.Name), err)
	}
	if !trustsOIDC(p) {
		return auditRole{}, false, nil
	}
	r := auditRole{File: file, Account: accountOf(ar.ARN), Name: ar.Name, ARN: ar.ARN, Permissions: permissions.Assess(ar.Role), uses: providerUses(p)}
	r.Findings = permissions.Weigh(trustpolicy.Lint(p), r.Permissions)
	if f, ok := permissions.Shared(p, r.Findings, r.Permissions); ok {
		r.Findings = append(r.Findings, f)
	}
	if ar.UsageKnown {
		rule := auditRules[0]
		unused := trustpolicy.Finding{ID: rule.ID, Severity: rule.Severity, Index: -1,
			Fix: "delete the role if no workflow needs it, or narrow its trust policy"}
		switch age := now.Sub(ar.LastUsed); {
		case ar.LastUsed.IsZero():
			r.LastUsed = "never"
			unused.Message = "IAM records no use of this role (it tracks the last 400 days), yet GitHub workflows can assume it"
			r.Findings = append(r.Findings, unused)
		case age > unusedAfter:
			r.LastUsed = ar.LastUsed.UTC().Format(time.DateOnly)
			unused.Message = fmt.Sprintf("last used %s, %d days ago, yet GitHub workflows can still assume it", r.LastUsed, int(age.Hours()/24))
			r.Findings = append(r.Findings, unused)
		default:
			r.LastUsed = ar.LastUsed.UTC().Format(time.DateOnly)
		}
	}
	return r, true, nil
}

// parseTrust reads a trust policy as account details hold it: JSON, or
// the API's URL-encoded string.
func parseTrust(raw []byte) (*trustpolicy.Policy, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		raw = []byte(s)
		if t := strings.TrimSpace(s); !strings.HasPrefix(t, "{") {
			dec, err := url.QueryUnescape(t)
			if err != nil {
				return nil, errors.New("neither JSON nor URL-encoded JSON")
			}
			raw = []byte(dec)
		}
	}
	if len(raw) == 0 || string(raw) == "null" {
		return nil, errors.New("missing")
	}
	return trustpolicy.Parse(raw)
}

// trustsOIDC reports whether a statement names an OIDC provider as its
// Federated principal.
func trustsOIDC(p *trustpolicy.Policy) bool {
	for _, s := range p.Statements {
		if s.Principal == nil {
			continue
		}
		for _, f := range s.Principal.Federated {
			if strings.Contains(f, ":oidc-provider/") {
				return true
			}
		}
	}
	return false
}

// accountOf is the account ID field of an ARN.
func accountOf(arn string) string {
	f := strings.SplitN(arn, ":", 6)
	if len(f) == 6 {
		return f[4]
	}
	return ""
}

// lintReport puts audit's findings in lint's shape, for SARIF: the role
// name stands where lint puts a document name.
func (rep auditReport) lintReport() lintReport {
	out := lintReport{failures: rep.failures, checked: rep.checked}
	for _, r := range rep.roles {
		for _, f := range r.Findings {
			out.findings = append(out.findings, located{Finding: f, File: r.File, Document: r.Name})
		}
	}
	for _, p := range rep.providers {
		for _, f := range p.Findings {
			out.findings = append(out.findings, located{Finding: f, File: p.File, Document: "provider " + p.URL})
		}
	}
	return out
}

func writeAuditText(w io.Writer, rep auditReport) error {
	var b strings.Builder
	counts := map[trustpolicy.Severity]int{}
	for _, r := range rep.roles {
		// A literal word leads every line, so none starts with input text.
		fmt.Fprintf(&b, "role %s %s in %s\n", strconv.Quote(r.Name), r.ARN, displayPath(r.File))
		fmt.Fprintf(&b, "  permissions: %s\n", oneLine(r.Permissions.Summary()))
		if r.LastUsed != "" {
			fmt.Fprintf(&b, "  last used: %s\n", r.LastUsed)
		}
		for _, f := range r.Findings {
			counts[f.Severity]++
			fmt.Fprintf(&b, "  %s %s", f.Severity, f.ID)
			if f.Statement != "" {
				fmt.Fprintf(&b, " statement %s", f.Statement)
			}
			fmt.Fprintf(&b, ": %s\n", oneLine(f.Message))
			if f.Fix != "" {
				fmt.Fprintf(&b, "      fix: %s\n", oneLine(f.Fix))
			}
		}
	}
	for _, p := range rep.providers {
		fmt.Fprintf(&b, "provider %s in %s\n", display.Quote(p.URL), displayPath(p.File))
		fmt.Fprintf(&b, "  client IDs: %s\n", oneLine(display.QuoteList(p.ClientIDs)))
		for _, f := range p.Findings {
			counts[f.Severity]++
			fmt.Fprintf(&b, "  %s %s: %s\n", f.Severity, f.ID, oneLine(f.Message))
			if f.Fix != "" {
				fmt.Fprintf(&b, "      fix: %s\n", oneLine(f.Fix))
			}
		}
	}
	fmt.Fprintf(&b, "%d error(s), %d warning(s), %d info; %s an OIDC provider, of %d in %s",
		counts[trustpolicy.SeverityError], counts[trustpolicy.SeverityWarning], counts[trustpolicy.SeverityInfo], plural(len(rep.roles), "role trusts", "roles trust"), rep.total, plural(rep.checked, "file", "files"))
	if n := len(rep.failures); n > 0 {
		fmt.Fprintf(&b, "; %s could not be audited", plural(n, "file", "files"))
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

type jsonAuditRole struct {
	File        string          `json:"file"`
	Account     string          `json:"account"`
	Name        string          `json:"name"`
	ARN         string          `json:"arn"`
	Permissions jsonPermissions `json:"permissions"`
	LastUsed    string          `json:"last_used,omitempty"`
	Findings    []jsonFinding   `json:"findings"`
}

type jsonAuditProvider struct {
	File      string        `json:"file"`
	URL       string        `json:"url"`
	ClientIDs []string      `json:"client_ids"`
	Findings  []jsonFinding `json:"findings"`
}

type jsonPermissions struct {
	Level    string      `json:"level"`
	Complete bool        `json:"complete"`
	Summary  string      `json:"summary"`
	Grants   []jsonGrant `json:"grants"`
	Unknown  []string    `json:"unknown"`
	Boundary string      `json:"boundary,omitempty"`
	Capped   bool        `json:"capped_by_boundary,omitempty"`
}

type jsonGrant struct {
	Level  string `json:"level"`
	What   string `json:"what"`
	Policy string `json:"policy"`
}

func writeAuditJSON(w io.Writer, rep auditReport) error {
	out := struct {
		Roles     []jsonAuditRole     `json:"roles"`
		Providers []jsonAuditProvider `json:"providers"`
		Failures  []jsonFailure       `json:"failures"`
		Summary   map[string]int      `json:"summary"`
	}{Roles: []jsonAuditRole{}, Providers: []jsonAuditProvider{}, Failures: []jsonFailure{},
		Summary: map[string]int{"error": 0, "warning": 0, "info": 0, "files_checked": rep.checked, "files_failed": len(rep.failures),
			"roles": rep.total, "oidc_roles": len(rep.roles)}}
	for _, r := range rep.roles {
		a := r.Permissions
		jr := jsonAuditRole{File: r.File, Account: r.Account, Name: r.Name, ARN: r.ARN, LastUsed: r.LastUsed, Findings: []jsonFinding{},
			Permissions: jsonPermissions{Level: a.Level.String(), Complete: len(a.Unknown) == 0, Summary: a.Summary(),
				Grants: []jsonGrant{}, Unknown: append([]string{}, a.Unknown...), Boundary: a.Boundary, Capped: a.Capped}}
		for _, g := range a.Grants {
			jr.Permissions.Grants = append(jr.Permissions.Grants, jsonGrant{g.Level.String(), g.What, g.Policy})
		}
		for _, f := range r.Findings {
			out.Summary[string(f.Severity)]++
			jr.Findings = append(jr.Findings, jsonFinding{File: r.File, Document: r.Name, ID: f.ID, Severity: string(f.Severity), Statement: f.Statement, Message: f.Message, Fix: f.Fix})
		}
		out.Roles = append(out.Roles, jr)
	}
	for _, p := range rep.providers {
		jp := jsonAuditProvider{File: p.File, URL: p.URL, ClientIDs: append([]string{}, p.ClientIDs...), Findings: []jsonFinding{}}
		for _, f := range p.Findings {
			out.Summary[string(f.Severity)]++
			jp.Findings = append(jp.Findings, jsonFinding{File: p.File, ID: f.ID, Severity: string(f.Severity), Message: f.Message, Fix: f.Fix})
		}
		out.Providers = append(out.Providers, jp)
	}
	for _, f := range rep.failures {
		out.Failures = append(out.Failures, jsonFailure{f.File, f.Err.Error()})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

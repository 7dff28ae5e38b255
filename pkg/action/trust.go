package action

import (
	"context"
	"fmt"
	"strings"

	"github.com/org/oidc-aws-action/pkg/claims"
	"github.com/org/oidc-aws-action/pkg/display"
	"github.com/org/oidc-aws-action/pkg/inputfile"
	"github.com/org/oidc-aws-action/pkg/trustpolicy"
	"github.com/org/oidc-aws-action/pkg/workflow"
)

// maxPolicyFileBytes bounds the trust-policy file we read.
const maxPolicyFileBytes = 1 << 20

// trustCheck is the trust-policy input: loaded and compiled before any
// network call, evaluated once the token is known.
type trustCheck struct {
	file     string
	name     string
	compiled *trustpolicy.Compiled
	allowed  bool
	text     string // the file as read, to find the accounts it names
}

// loadTrustPolicy reads the file within ctx: a FIFO or device committed in
// its place is refused rather than waited on (package inputfile).
func loadTrustPolicy(ctx context.Context, path string) (*trustCheck, error) {
	data, err := inputfile.Read(ctx, path, maxPolicyFileBytes)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("input \"trust-policy\": %q: %w", path, err)
		}
		return nil, display.Fixed(
			fmt.Sprintf("input \"trust-policy\": %q: %v", path, err),
			"give trust-policy the path of the role's trust policy, a regular JSON file of at most 1 MiB (relative paths are read from GITHUB_WORKSPACE)",
		)
	}
	docs, err := trustpolicy.ParseDocuments(data)
	if err != nil {
		return nil, fmt.Errorf("input \"trust-policy\": %q: %w", path, err)
	}
	if len(docs) != 1 {
		return nil, fmt.Errorf("input \"trust-policy\": %q holds %d trust policies; give a file with the role's policy only", path, len(docs))
	}
	c, err := docs[0].Policy.Compile()
	if err != nil {
		return nil, fmt.Errorf("input \"trust-policy\": %q: %w", path, err)
	}
	return &trustCheck{file: path, name: docs[0].Name, compiled: c, text: string(data)}, nil
}

// report evaluates the policy against the token and the session name the
// call will carry (the sts:RoleSessionName key), and prints the verdict.
// STS still decides: this only explains.
func (t *trustCheck) report(r *workflow.Runner, c *claims.Claims, sessionName string) {
	res := t.compiled.Check(trustpolicy.Request{Issuer: c.Issuer, Claims: c.Raw, SessionName: sessionName})
	t.allowed = res.Allowed
	verdict := "DENIES"
	if res.Allowed {
		verdict = "allows"
	}
	r.Group(fmt.Sprintf("Trust policy %s %s this token", t.file, verdict))
	var b strings.Builder
	if err := res.WriteText(&b); err == nil {
		r.Lines(b.String())
	}
	findings := trustpolicy.Lint(t.compiled.Policy())
	if len(findings) > 0 {
		r.Infof("")
		r.Infof("Lint findings for %s:", display.LogQuote(t.file))
		for _, f := range findings {
			r.Infof("  %s %s %s: %s", f.Severity, f.ID, workflow.Escape(f.Statement), workflow.Escape(f.Message))
			if f.Fix != "" {
				r.Infof("      fix: %s", workflow.Escape(f.Fix))
			}
		}
	}
	r.EndGroup()
	for _, f := range findings {
		// A policy that works can still be too broad; say so where people look.
		if f.Severity == trustpolicy.SeverityError {
			r.Warningf("trust policy %s: %s %s (fix: %s)", display.LogQuote(t.file), f.ID, workflow.Escape(f.Message), workflow.Escape(f.Fix))
		}
	}
	if !res.Allowed {
		r.Warningf("The trust policy in %s does not allow this token (subject %s); STS will most likely refuse it. See the group above for the failing condition.", display.LogQuote(t.file), display.LogQuote(c.Subject))
	}
}

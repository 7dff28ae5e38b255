package trustpolicy

import (
	"fmt"
	"strings"

	"github.com/org/oidc-aws-action/pkg/display"
)

// Rule OIDC017: a subject or job_workflow_ref that any owner on GitHub can
// produce. The subject template is chosen by each token's owner, so a
// custom sub such as "environment:production" is as open as "*": anyone
// sets their own repository's template to ["environment"] and names an
// environment "production". job_workflow_ref names the called workflow,
// and any repository allowed to call it gets a token carrying it; GitHub's
// OIDC reference: "For reusable workflows outside your enterprise or
// organization, set the `permissions` setting for `id-token` to `write`
// explicitly at the caller workflow or job level."

func lintAnyOwner(r *reporter, f *stmtFacts) {
	if f.neverMatches() {
		return
	}
	id := f.subjectScope()
	if !id.ok || id.level != scopeAnyOwner {
		return
	}
	host := hostFor(f.providers)
	if is := f.issuers(); len(is) > 0 {
		host = is[0]
	}
	var how string
	if id.claim == "job_workflow_ref" {
		workflow, _, _ := strings.Cut(id.evidence, "@")
		how = fmt.Sprintf("job_workflow_ref %s names the reusable workflow, not the repository that calls it: every repository allowed to call %s (any repository on GitHub when the workflow's repository is public) gets a token with this value, and nothing else here pins the caller",
			display.Quote(id.evidence), display.Quote(workflow))
	} else if id.late {
		how = fmt.Sprintf("sub pattern %s pins the caller only in a pair after a wildcard; a wildcard can stand for whole key:value pairs of a template the token's owner chooses, so that pin is not counted and the pattern is treated as open to any owner",
			display.Quote(id.evidence))
		r.report(how, "put the pinning pair first, before any wildcard (e.g. \"repository_owner_id:ID:environment:prod*\"), or "+pinFix(host), id.evidence)
		return
	} else if id.partial {
		how = fmt.Sprintf("sub pattern %s does not pin the repository's owner: the subject template is chosen by each token's owner, so anyone can set include_claim_keys on their own repository to the keys the pattern names and run a job whose values match it",
			display.Quote(id.evidence))
	} else {
		how = fmt.Sprintf("sub %s does not pin the repository's owner: the subject template is chosen by each token's owner, so anyone can set include_claim_keys to %s on their own repository and %s to get a matching token",
			display.Quote(id.evidence), templateOf(id.pairs), runWith(id.pairs))
	}
	r.report(how, pinFix(host), id.evidence)
}

// templateOf is the include_claim_keys list that yields pairs.
func templateOf(pairs []subjectPair) string {
	keys := make([]string, 0, len(pairs))
	for _, p := range pairs {
		k := p.key
		if k == "pull_request" {
			k = "context" // the default form's context for pull requests
		}
		keys = append(keys, display.Quote(k))
	}
	return "[" + strings.Join(keys, ", ") + "]"
}

// runWith says how a stranger's run gets the values of pairs.
func runWith(pairs []subjectPair) string {
	var parts []string
	for _, p := range pairs {
		switch p.key {
		case "pull_request":
			parts = append(parts, "open a pull request")
		case "job_workflow_ref":
			wf, _, _ := strings.Cut(p.value, "@")
			parts = append(parts, fmt.Sprintf("call the reusable workflow %s (possible whenever its repository is public)", display.Quote(wf)))
		case "environment":
			parts = append(parts, fmt.Sprintf("run a job in an environment named %s", display.Quote(p.value)))
		case "ref":
			parts = append(parts, fmt.Sprintf("run a workflow on %s", display.Quote(p.value)))
		default:
			parts = append(parts, fmt.Sprintf("run a job whose %s is %s", p.key, display.Quote(p.value)))
		}
	}
	return strings.Join(parts, " and ")
}

// pinFix names the conditions that pin the caller for issuer host: the ID
// keys where IAM provides them, else the pairs a sub pattern can require.
func pinFix(host string) string {
	const why = "; changing your own subject template protects nothing, because each token's owner chooses its own"
	if ok, _ := ConditionKeyProvided(host, host+":repository_id"); ok {
		return fmt.Sprintf("add StringEquals %s (or %s for every repository of one owner), or require the default form \"repo:OWNER/REPO:...\" in sub%s",
			display.Quote(host+":repository_id"), display.Quote(host+":repository_owner_id"), why)
	}
	return "require the default form \"repo:OWNER/REPO:...\" in sub, or start it with \"repository_owner_id:ID:\" or \"repository_id:ID:\"" + why
}

package trustpolicy

import "fmt"

// Rule OIDC019: an enterprise pinned, nothing narrower. Only the
// enterprise's repositories can produce it, but every one of them can, as
// with an owner-wide subject (OIDC003).

func lintEnterpriseWide(r *reporter, f *stmtFacts) {
	if f.neverMatches() {
		return
	}
	if id := f.subjectScope(); id.ok && id.level == scopeEnterprise {
		r.report(fmt.Sprintf("%s value %s admits every repository of one enterprise: anyone who can create or push to a repository in any of its organisations can assume this role", id.claim, quote(id.evidence)),
			"pin the repository as well: add StringEquals on repository_id, or require \"repo:OWNER/REPO:...\" in sub", id.evidence)
	}
}

package trustpolicy

import (
	"fmt"

	"github.com/org/oidc-aws-action/pkg/display"
)

// Rule OIDC019: an enterprise pinned, nothing narrower. Only the
// enterprise's repositories can produce it, but every one of them can, as
// with an owner-wide subject (OIDC003).

func lintEnterpriseWide(r *reporter, f *stmtFacts) {
	if f.neverMatches() {
		return
	}
	id := f.subjectScope()
	if !id.ok || id.level != scopeEnterprise {
		return
	}
	fix := "pin the repository as well: require \"repo:OWNER@OWNER_ID/REPO@REPO_ID:...\" in sub"
	if is := f.issuers(); len(is) > 0 {
		if ok, _ := ConditionKeyProvided(is[0], is[0]+":repository_id"); ok {
			fix += fmt.Sprintf(", or add StringEquals %s", display.Quote(is[0]+":repository_id"))
		}
	}
	r.report(fmt.Sprintf("%s value %s admits every repository of one enterprise: anyone who can create or push to a repository in any of its organisations can assume this role", id.claim, display.Quote(id.evidence)),
		fix, id.evidence)
}

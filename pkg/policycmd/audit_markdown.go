package policycmd

import (
	"fmt"
	"io"
	"strings"

	"github.com/org/oidc-aws-action/pkg/trustpolicy"
	"github.com/org/oidc-aws-action/pkg/workflow"
)

// writeAuditMarkdown writes the report for a step summary
// ($GITHUB_STEP_SUMMARY): a table of roles, then every finding. Text from
// the files (names, ARNs, values quoted in messages) is escaped, so no
// markdown or HTML in an account can change the summary.
func writeAuditMarkdown(w io.Writer, rep auditReport) error {
	var b strings.Builder
	counts := map[trustpolicy.Severity]int{}
	for _, f := range rep.lintReport().findings {
		counts[f.Severity]++
	}
	b.WriteString("## oidc-aws policy audit\n\n")
	fmt.Fprintf(&b, "**%d error(s), %d warning(s), %d info**; %s an OIDC provider, of %d in %s",
		counts[trustpolicy.SeverityError], counts[trustpolicy.SeverityWarning], counts[trustpolicy.SeverityInfo], plural(len(rep.roles), "role trusts", "roles trust"), rep.total, plural(rep.checked, "file", "files"))
	if n := len(rep.failures); n > 0 {
		fmt.Fprintf(&b, "; **%s could not be audited**", plural(n, "file", "files"))
	}
	b.WriteString(".\n\n")
	if len(rep.roles) > 0 {
		b.WriteString("| Role | Account | Permissions | Last used | Findings |\n|---|---|---|---|---|\n")
		for _, r := range rep.roles {
			per := map[trustpolicy.Severity]int{}
			for _, f := range r.Findings {
				per[f.Severity]++
			}
			var fs []string
			for _, sev := range []trustpolicy.Severity{trustpolicy.SeverityError, trustpolicy.SeverityWarning, trustpolicy.SeverityInfo} {
				if per[sev] > 0 {
					fs = append(fs, fmt.Sprintf("%d %s", per[sev], sev))
				}
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", mdCode(r.Name), mdCode(r.Account), mdText(r.Permissions.Summary()), mdText(r.LastUsed), strings.Join(fs, ", "))
		}
		b.WriteString("\n")
	}
	if findings := rep.lintReport().findings; len(findings) > 0 {
		b.WriteString("### Findings\n\n")
		for _, f := range findings {
			fmt.Fprintf(&b, "- **%s** %s %s", f.Severity, f.ID, mdCode(f.Document))
			if f.Statement != "" {
				fmt.Fprintf(&b, " statement %s", mdText(f.Statement))
			}
			fmt.Fprintf(&b, ": %s", mdText(f.Message))
			if f.Fix != "" {
				fmt.Fprintf(&b, " Fix: %s", mdText(f.Fix))
			}
			b.WriteString("\n")
		}
	}
	for _, f := range rep.failures {
		fmt.Fprintf(&b, "- **not audited** %s: %s\n", mdCode(f.File), mdText(f.Err.Error()))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdCode shows outside text as a code span: nothing in it renders.
func mdCode(s string) string {
	if s == "" {
		return ""
	}
	s = strings.NewReplacer("`", "'", "|", `\|`).Replace(workflow.Escape(s))
	return "`" + s + "`"
}

// mdText backslash-escapes the ASCII punctuation that could start
// emphasis, code, a link, an HTML tag or entity, or a table cell; ":" and
// "." too, so that GitHub's autolinks (http://…, www.…, a@b.c) cannot
// form. CommonMark shows an escaped character literally.
func mdText(s string) string {
	s = workflow.Escape(s)
	var b strings.Builder
	for _, r := range s {
		if r < 0x80 && strings.ContainsRune("\\`*_[]<>|#!~&:.{}", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

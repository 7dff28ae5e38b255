package metadata

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/org/oidc-aws-action/pkg/inputs"
)

// root is the repository root, from this package's directory (go test runs
// tests there).
const root = "../../.."

func readRepoFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, name))
	if err != nil {
		t.Fatalf("failed to read %s: %v", name, err)
	}
	return b
}

// diffSpecs lists every way got (read from where) differs from want (the
// code): missing and extra names, order, and each field. An empty list
// means they agree.
func diffSpecs(where string, want, got []inputs.Spec) []string {
	var problems []string
	gotByName := map[string]inputs.Spec{}
	for _, g := range got {
		if _, dup := gotByName[g.Name]; dup {
			problems = append(problems, fmt.Sprintf("%s lists %q twice", where, g.Name))
		}
		gotByName[g.Name] = g
	}
	wantByName := map[string]inputs.Spec{}
	for _, w := range want {
		wantByName[w.Name] = w
		g, ok := gotByName[w.Name]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s is missing %q, which pkg/inputs declares", where, w.Name))
			continue
		}
		if g.Description != w.Description {
			problems = append(problems, fmt.Sprintf("%s: %q has description %q, pkg/inputs has %q", where, w.Name, g.Description, w.Description))
		}
		if g.Required != w.Required {
			problems = append(problems, fmt.Sprintf("%s: %q has required %v, pkg/inputs has %v", where, w.Name, g.Required, w.Required))
		}
		if g.Default != w.Default {
			problems = append(problems, fmt.Sprintf("%s: %q has default %q, pkg/inputs has %q", where, w.Name, g.Default, w.Default))
		}
	}
	for _, g := range got {
		if _, ok := wantByName[g.Name]; !ok {
			problems = append(problems, fmt.Sprintf("%s has %q, which pkg/inputs does not declare (add it to pkg/inputs or remove it)", where, g.Name))
		}
	}
	if len(problems) == 0 {
		// Same set; the order is what users read, and pkg/inputs fixes it.
		if w, g := names(want), names(got); w != g {
			problems = append(problems, fmt.Sprintf("%s lists them in the order %s, pkg/inputs in the order %s", where, g, w))
		}
	}
	return problems
}

func names(specs []inputs.Spec) string {
	n := make([]string, len(specs))
	for i, s := range specs {
		n[i] = s.Name
	}
	return strings.Join(n, ", ")
}

func reportProblems(t *testing.T, problems []string, fix string) {
	t.Helper()
	if len(problems) == 0 {
		return
	}
	t.Errorf("%d disagreement(s):\n  %s\nFix: %s", len(problems), strings.Join(problems, "\n  "), fix)
}

func TestDiffSpecsReportsEachKindOfMismatch(t *testing.T) {
	a := inputs.Spec{Name: "a", Default: "1", Required: false, Description: "A."}
	b := inputs.Spec{Name: "b", Required: true, Description: "B."}
	cases := []struct {
		name string
		got  []inputs.Spec
		want string // a substring of the only problem; "" means agreement
	}{
		{"identical lists agree", []inputs.Spec{a, b}, ""},
		{"a missing name is reported", []inputs.Spec{a}, `is missing "b"`},
		{"an extra name is reported", []inputs.Spec{a, b, {Name: "c"}}, `has "c", which pkg/inputs does not declare`},
		{"a different description is reported", []inputs.Spec{a, {Name: "b", Required: true, Description: "B!"}}, `"b" has description "B!", pkg/inputs has "B."`},
		{"a different required is reported", []inputs.Spec{a, {Name: "b", Description: "B."}}, `"b" has required false, pkg/inputs has true`},
		{"a different default is reported", []inputs.Spec{{Name: "a", Default: "2", Description: "A."}, b}, `"a" has default "2", pkg/inputs has "1"`},
		{"a missing default is reported", []inputs.Spec{{Name: "a", Description: "A."}, b}, `"a" has default "", pkg/inputs has "1"`},
		{"another order is reported", []inputs.Spec{b, a}, "in the order b, a, pkg/inputs in the order a, b"},
		{"a duplicate is reported", []inputs.Spec{a, b, b}, `lists "b" twice`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := diffSpecs("here", []inputs.Spec{a, b}, tc.got)
			switch {
			case tc.want == "" && len(got) != 0:
				t.Fatalf("want agreement, got %q", got)
			case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)):
				t.Fatalf("want one problem containing %q, got %q", tc.want, got)
			}
		})
	}
}

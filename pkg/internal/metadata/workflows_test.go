package metadata

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func workflowFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pat := range []string{"*.yml", "*.yaml"} {
		m, err := filepath.Glob(filepath.Join(root, ".github", "workflows", pat))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatal("no workflow files in .github/workflows")
	}
	return files
}

// usesRef is one `uses:` value and the comment on its line.
type usesRef struct {
	Value, Comment string
	Line           int
}

// findUses collects every `uses:` value in a YAML tree: steps and reusable
// workflow calls alike.
func findUses(n *yaml.Node) []usesRef {
	var out []usesRef
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			out = append(out, findUses(c)...)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "uses" && v.Kind == yaml.ScalarNode {
				out = append(out, usesRef{Value: v.Value, Comment: v.LineComment, Line: v.Line})
				continue
			}
			out = append(out, findUses(v)...)
		}
	}
	return out
}

var (
	pinnedUses     = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$`)
	versionComment = regexp.MustCompile(`^#\s*v\d+(\.\d+)*\b`)
)

// checkPinned says what is wrong with one `uses:`, or "" when nothing is.
// Local actions and docker:// images are outside this rule: the first are
// this repository's own, the second are pinned by digest where used.
func checkPinned(u usesRef) string {
	if strings.HasPrefix(u.Value, "./") || strings.HasPrefix(u.Value, "docker://") {
		return ""
	}
	if !pinnedUses.MatchString(u.Value) {
		return fmt.Sprintf("line %d: uses %q is not pinned to a full 40-hex commit SHA; a tag can be moved to other code", u.Line, u.Value)
	}
	if !versionComment.MatchString(u.Comment) {
		return fmt.Sprintf("line %d: uses %q has comment %q, want the version it pins, e.g. `# v4.2.1`, so that readers and Dependabot know it", u.Line, u.Value, u.Comment)
	}
	return ""
}

func TestWorkflowsPinThirdPartyActionsBySHA(t *testing.T) {
	for _, f := range workflowFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			var doc yaml.Node
			if err := yaml.Unmarshal(readRepoFile(t, mustRel(t, f)), &doc); err != nil {
				t.Fatalf("failed to parse %s: %v", f, err)
			}
			uses := findUses(&doc)
			if len(uses) == 0 {
				t.Fatalf("%s has no uses: at all; is the walk broken?", f)
			}
			for _, u := range uses {
				if p := checkPinned(u); p != "" {
					t.Errorf("%s %s", filepath.Base(f), p)
				}
			}
		})
	}
}

func TestWorkflowsSetMinimalTopLevelPermissions(t *testing.T) {
	for _, f := range workflowFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			var wf struct {
				On          yaml.Node         `yaml:"on"`
				Permissions map[string]string `yaml:"permissions"`
				Jobs        map[string]any    `yaml:"jobs"`
			}
			if err := yaml.Unmarshal(readRepoFile(t, mustRel(t, f)), &wf); err != nil {
				t.Fatalf("failed to parse %s: %v", f, err)
			}
			if len(wf.Jobs) == 0 || wf.On.Kind == 0 {
				t.Fatalf("%s has no `on:` or no jobs", f)
			}
			// Jobs that need more ask for it themselves.
			if len(wf.Permissions) != 1 || wf.Permissions["contents"] != "read" {
				t.Errorf("%s: top-level permissions are %v, want only contents: read", filepath.Base(f), wf.Permissions)
			}
		})
	}
}

func TestCheckPinnedReportsEachMistake(t *testing.T) {
	sha := strings.Repeat("a", 40)
	cases := []struct {
		name string
		u    usesRef
		want string // substring; "" means accepted
	}{
		{"a SHA with a version comment is accepted", usesRef{Value: "actions/checkout@" + sha, Comment: "# v5.0.0"}, ""},
		{"a sub-path action pinned by SHA is accepted", usesRef{Value: "github/codeql-action/upload-sarif@" + sha, Comment: "# v3"}, ""},
		{"a local action is accepted", usesRef{Value: "./"}, ""},
		{"a docker image is accepted", usesRef{Value: "docker://alpine@sha256:" + strings.Repeat("b", 64)}, ""},
		{"a tag is rejected", usesRef{Value: "actions/checkout@v5", Comment: "# v5"}, "not pinned"},
		{"a short SHA is rejected", usesRef{Value: "actions/checkout@" + sha[:7], Comment: "# v5"}, "not pinned"},
		{"an upper-case SHA is rejected", usesRef{Value: "actions/checkout@" + strings.ToUpper(sha), Comment: "# v5"}, "not pinned"},
		{"a missing comment is rejected", usesRef{Value: "actions/checkout@" + sha}, "want the version"},
		{"a comment without a version is rejected", usesRef{Value: "actions/checkout@" + sha, Comment: "# latest"}, "want the version"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := checkPinned(tc.u)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Fatalf("checkPinned(%+v) = %q, want %q", tc.u, got, tc.want)
			}
		})
	}
}

func TestFindUsesSeesStepsAndReusableWorkflows(t *testing.T) {
	const wf = `
jobs:
  a:
    uses: org/repo/.github/workflows/x.yml@main
  b:
    steps:
      - uses: actions/checkout@v5 # v5
      - run: echo uses
`
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(wf), &doc); err != nil {
		t.Fatal(err)
	}
	got := findUses(&doc)
	if len(got) != 2 || got[0].Value != "org/repo/.github/workflows/x.yml@main" || got[1].Comment != "# v5" {
		t.Fatalf("findUses = %+v", got)
	}
}

func TestDependabotWatchesEveryPinnedThing(t *testing.T) {
	var cfg struct {
		Version int `yaml:"version"`
		Updates []struct {
			Ecosystem string `yaml:"package-ecosystem"`
			Directory string `yaml:"directory"`
			Schedule  struct {
				Interval string `yaml:"interval"`
			} `yaml:"schedule"`
		} `yaml:"updates"`
	}
	if err := yaml.Unmarshal(readRepoFile(t, ".github/dependabot.yml"), &cfg); err != nil {
		t.Fatalf("failed to parse .github/dependabot.yml: %v", err)
	}
	if cfg.Version != 2 {
		t.Errorf("dependabot.yml version is %d, want 2", cfg.Version)
	}
	got := map[string]string{}
	for _, u := range cfg.Updates {
		got[u.Ecosystem] = u.Schedule.Interval
	}
	for _, eco := range []string{"gomod", "docker", "github-actions"} {
		if got[eco] != "weekly" {
			t.Errorf("dependabot.yml: %s is updated %q, want weekly (got %v)", eco, got[eco], got)
		}
	}
}

func mustRel(t *testing.T, path string) string {
	t.Helper()
	rel, err := filepath.Rel(root, path)
	if err != nil {
		t.Fatal(err)
	}
	return rel
}

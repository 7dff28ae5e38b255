package metadata

import (
	"fmt"
	"regexp"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/org/oidc-aws-action/pkg/inputs"
)

// actionFile is the part of action.yml the tests read. Inputs and Outputs
// stay nodes so that their order is kept.
type actionFile struct {
	Name        string    `yaml:"name"`
	Description string    `yaml:"description"`
	Author      string    `yaml:"author"`
	Branding    yaml.Node `yaml:"branding"`
	Inputs      yaml.Node `yaml:"inputs"`
	Outputs     yaml.Node `yaml:"outputs"`
	Runs        struct {
		Using string `yaml:"using"`
		Image string `yaml:"image"`
	} `yaml:"runs"`
}

type actionInput struct {
	Description string  `yaml:"description"`
	Required    bool    `yaml:"required"`
	Default     *string `yaml:"default"`
}

func parseAction(b []byte) (*actionFile, error) {
	var a actionFile
	if err := yaml.Unmarshal(b, &a); err != nil {
		return nil, fmt.Errorf("failed to parse action.yml: %w", err)
	}
	return &a, nil
}

// mapping walks a YAML mapping in order, rejecting keys outside allowed so
// that a misspelt `requried:` cannot slip through as "not required".
func mapping(n *yaml.Node, what string, allowed ...string) ([]string, []*yaml.Node, error) {
	if n.Kind != yaml.MappingNode {
		return nil, nil, fmt.Errorf("%s is not a mapping (line %d)", what, n.Line)
	}
	var keys []string
	var vals []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if allowed != nil && v.Kind == yaml.MappingNode {
			for j := 0; j+1 < len(v.Content); j += 2 {
				if !contains(allowed, v.Content[j].Value) {
					return nil, nil, fmt.Errorf("%s %q has unknown key %q (line %d); allowed: %v", what, k.Value, v.Content[j].Value, v.Content[j].Line, allowed)
				}
			}
		}
		keys = append(keys, k.Value)
		vals = append(vals, v)
	}
	return keys, vals, nil
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

func actionInputs(a *actionFile) ([]inputs.Spec, error) {
	keys, vals, err := mapping(&a.Inputs, "input", "description", "required", "default", "deprecationMessage")
	if err != nil {
		return nil, err
	}
	specs := make([]inputs.Spec, len(keys))
	for i, v := range vals {
		var in actionInput
		if err := v.Decode(&in); err != nil {
			return nil, fmt.Errorf("failed to read input %q: %w", keys[i], err)
		}
		specs[i] = inputs.Spec{Name: keys[i], Description: in.Description, Required: in.Required}
		if in.Default != nil {
			if *in.Default == "" {
				return nil, fmt.Errorf("input %q has `default: \"\"`; omit default when it is empty, as pkg/inputs does", keys[i])
			}
			specs[i].Default = *in.Default
		}
	}
	return specs, nil
}

func actionOutputs(a *actionFile) ([]inputs.Spec, error) {
	keys, vals, err := mapping(&a.Outputs, "output", "description")
	if err != nil {
		return nil, err
	}
	specs := make([]inputs.Spec, len(keys))
	for i, v := range vals {
		var out struct {
			Description string `yaml:"description"`
		}
		if err := v.Decode(&out); err != nil {
			return nil, fmt.Errorf("failed to read output %q: %w", keys[i], err)
		}
		specs[i] = inputs.Spec{Name: keys[i], Description: out.Description}
	}
	return specs, nil
}

const fixAction = "edit action.yml (or pkg/inputs/spec.go) so that both say the same; pkg/inputs is what the binary reads"

func TestActionYMLInputsMatchCode(t *testing.T) {
	a, err := parseAction(readRepoFile(t, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := actionInputs(a)
	if err != nil {
		t.Fatal(err)
	}
	reportProblems(t, diffSpecs("action.yml inputs", inputs.Specs, got), fixAction)
}

func TestActionYMLOutputsMatchCode(t *testing.T) {
	a, err := parseAction(readRepoFile(t, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := actionOutputs(a)
	if err != nil {
		t.Fatal(err)
	}
	reportProblems(t, diffSpecs("action.yml outputs", inputs.Outputs, got), fixAction)
}

// The release workflow rewrites the one `  image:` line with sed; two such
// lines, or another indentation, would make it rewrite the wrong thing.
var imageLine = regexp.MustCompile(`(?m)^  image: .*$`)

var releasedImage = regexp.MustCompile(`^docker://ghcr\.io/[a-z0-9._/-]+@sha256:[0-9a-f]{64}$`)

func TestActionYMLRunsTheDockerImage(t *testing.T) {
	raw := readRepoFile(t, "action.yml")
	a, err := parseAction(raw)
	if err != nil {
		t.Fatal(err)
	}
	if a.Runs.Using != "docker" {
		t.Errorf("runs.using is %q, want %q: the action ships as a container", a.Runs.Using, "docker")
	}
	if a.Runs.Image != "Dockerfile" && !releasedImage.MatchString(a.Runs.Image) {
		t.Errorf("runs.image is %q, want %q (on main) or docker://ghcr.io/OWNER/REPO@sha256:DIGEST (on a release commit)", a.Runs.Image, "Dockerfile")
	}
	if n := len(imageLine.FindAll(raw, -1)); n != 1 {
		t.Errorf("action.yml has %d lines matching %q, want exactly 1: the release workflow rewrites that line", n, imageLine)
	}
	if a.Name == "" || a.Description == "" || a.Author == "" {
		t.Errorf("action.yml needs name, description and author for the Marketplace; got %q, %q, %q", a.Name, a.Description, a.Author)
	}
	// The Marketplace refuses to list an action whose description is not
	// shorter than this, and it checks only at publish time.
	if len(a.Description) >= 125 {
		t.Errorf("action.yml description is %d characters, the Marketplace wants fewer than 125", len(a.Description))
	}
	keys, vals, err := mapping(&a.Branding, "branding")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for i, k := range keys {
		got[k] = vals[i].Value
	}
	if got["icon"] == "" {
		t.Errorf("action.yml branding needs an icon, got %v", got)
	}
	colors := []string{"white", "black", "yellow", "blue", "green", "orange", "red", "purple", "gray-dark"}
	if !contains(colors, got["color"]) {
		t.Errorf("action.yml branding color is %q, want one of %v", got["color"], colors)
	}
}

func TestActionYMLParserRejectsMistakes(t *testing.T) {
	cases := []struct {
		name, yml, want string
	}{
		{"a misspelt key is rejected", "inputs:\n  a:\n    description: A.\n    requried: true\n", `unknown key "requried"`},
		{"an empty default is rejected", "inputs:\n  a:\n    description: A.\n    default: ''\n", "omit default"},
		{"inputs that are not a mapping are rejected", "inputs: [a]\n", "not a mapping"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := parseAction([]byte(tc.yml))
			if err != nil {
				t.Fatal(err)
			}
			_, err = actionInputs(a)
			if err == nil || !regexp.MustCompile(regexp.QuoteMeta(tc.want)).MatchString(err.Error()) {
				t.Fatalf("want an error containing %q, got %v", tc.want, err)
			}
		})
	}
}

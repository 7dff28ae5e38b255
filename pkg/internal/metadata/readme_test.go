package metadata

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/org/oidc-aws-action/pkg/inputs"
)

var updateREADME = flag.Bool("update-readme", false, "rewrite README.md's inputs and outputs tables (between the <!-- inputs:start/end --> and <!-- outputs:start/end --> markers) from pkg/inputs")

const (
	inputsHeading  = "### Inputs"
	outputsHeading = "### Outputs"
	inputsHeader   = "| Input | Default | Required | Description |"
	outputsHeader  = "| Output | Description |"
)

const (
	runUpdate = "run\n  go test ./pkg/internal/metadata -run TestREADMETables -update-readme\nwhich writes the tables from pkg/inputs between the markers"
	fixREADME = "add under `" + inputsHeading + "` a line `<!-- inputs:start -->` and a line `<!-- inputs:end -->`, and under `" +
		outputsHeading + "` the same with `outputs`, then " + runUpdate
)

// fixFor tells the reader the shortest fix: with the markers in place, only
// the generator needs running.
func fixFor(md []byte) string {
	if _, err := renderREADME(md); err == nil {
		return runUpdate
	}
	return fixREADME
}

func TestREADMETables(t *testing.T) {
	path := filepath.Join(root, "README.md")
	md, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Fatalf("README.md does not exist, so it cannot document the inputs and outputs.\nFix: create it, %s", fixREADME)
	}
	if err != nil {
		t.Fatal(err)
	}
	if *updateREADME {
		out, err := renderREADME(md)
		if err != nil {
			t.Fatalf("failed to update README.md: %v\nFix: %s", err, fixREADME)
		}
		if !bytes.Equal(out, md) {
			if err := os.WriteFile(path, out, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("rewrote the inputs and outputs tables in %s", path)
		}
		md = out
	}
	for _, c := range []struct {
		heading, header string
		want            []inputs.Spec
	}{
		{inputsHeading, inputsHeader, inputs.Specs},
		{outputsHeading, outputsHeader, inputs.Outputs},
	} {
		got, err := parseTable(string(md), c.heading, c.header)
		if err != nil {
			t.Errorf("README.md: %v\nFix: %s", err, fixFor(md))
			continue
		}
		reportProblems(t, diffSpecs("README.md's "+c.heading+" table", c.want, got), fixFor(md))
	}
}

// renderREADME replaces what lies between each pair of markers with the
// table generated from pkg/inputs.
func renderREADME(md []byte) ([]byte, error) {
	out := string(md)
	for _, b := range []struct{ name, table string }{
		{"inputs", renderTable(inputsHeader, inputs.Specs)},
		{"outputs", renderTable(outputsHeader, inputs.Outputs)},
	} {
		start, end := "<!-- "+b.name+":start -->", "<!-- "+b.name+":end -->"
		i, j := strings.Index(out, start), strings.Index(out, end)
		if i < 0 || j < 0 || j < i {
			return nil, fmt.Errorf("README.md has no %s ... %s block", start, end)
		}
		out = out[:i+len(start)] + "\n" + b.table + out[j:]
	}
	return []byte(out), nil
}

func renderTable(header string, specs []inputs.Spec) string {
	var b strings.Builder
	cols := strings.Count(header, "|") - 1
	b.WriteString(header + "\n|" + strings.Repeat(" --- |", cols) + "\n")
	for _, s := range specs {
		if cols == 2 {
			fmt.Fprintf(&b, "| `%s` | %s |\n", escapeCell(s.Name), escapeCell(s.Description))
			continue
		}
		def := ""
		if s.Default != "" {
			def = "`" + escapeCell(s.Default) + "`"
		}
		req := "no"
		if s.Required {
			req = "yes"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", escapeCell(s.Name), def, req, escapeCell(s.Description))
	}
	return b.String()
}

func escapeCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// parseTable reads the first table after heading, up to the next heading.
// header selects the layout: four columns for inputs, two for outputs.
func parseTable(md, heading, header string) ([]inputs.Spec, error) {
	lines := strings.Split(strings.ReplaceAll(md, "\r\n", "\n"), "\n")
	at := -1
	for i, l := range lines {
		if strings.TrimSpace(l) == heading {
			at = i
			break
		}
	}
	if at < 0 {
		return nil, fmt.Errorf("no %q heading", heading)
	}
	var table []string
	for _, l := range lines[at+1:] {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "#") {
			break
		}
		if strings.HasPrefix(l, "|") {
			table = append(table, l)
		} else if len(table) > 0 {
			break
		}
	}
	if len(table) == 0 {
		return nil, fmt.Errorf("no table under %q", heading)
	}
	want := splitRow(header)
	if got := splitRow(table[0]); strings.Join(got, "|") != strings.Join(want, "|") {
		return nil, fmt.Errorf("the table under %q has columns %q, want %q", heading, got, want)
	}
	if len(table) < 2 || strings.Trim(table[1], "|-: ") != "" {
		return nil, fmt.Errorf("the table under %q has no |---| line under its header", heading)
	}
	var specs []inputs.Spec
	for _, row := range table[2:] {
		cells := splitRow(row)
		if len(cells) != len(want) {
			return nil, fmt.Errorf("row %q under %q has %d cells, want %d", row, heading, len(cells), len(want))
		}
		name, ok := unquote(cells[0])
		if !ok || name == "" {
			return nil, fmt.Errorf("row %q under %q: the name must be in backticks", row, heading)
		}
		s := inputs.Spec{Name: name, Description: cells[len(cells)-1]}
		if len(cells) == 4 {
			if cells[1] != "" {
				if s.Default, ok = unquote(cells[1]); !ok || s.Default == "" {
					return nil, fmt.Errorf("row %q under %q: the default must be in backticks, or the cell empty", row, heading)
				}
			}
			switch cells[2] {
			case "yes":
				s.Required = true
			case "no":
			default:
				return nil, fmt.Errorf("row %q under %q: required is %q, want yes or no", row, heading, cells[2])
			}
		}
		specs = append(specs, s)
	}
	return specs, nil
}

// splitRow splits a table row on unescaped pipes and trims each cell.
func splitRow(row string) []string {
	row = strings.TrimSpace(row)
	row = strings.TrimPrefix(row, "|")
	if strings.HasSuffix(row, "|") && !strings.HasSuffix(row, `\|`) {
		row = row[:len(row)-1]
	}
	var cells []string
	var cell strings.Builder
	for i := 0; i < len(row); i++ {
		switch {
		case row[i] == '\\' && i+1 < len(row) && row[i+1] == '|':
			cell.WriteByte('|')
			i++
		case row[i] == '|':
			cells = append(cells, strings.TrimSpace(cell.String()))
			cell.Reset()
		default:
			cell.WriteByte(row[i])
		}
	}
	return append(cells, strings.TrimSpace(cell.String()))
}

func unquote(cell string) (string, bool) {
	if len(cell) < 2 || cell[0] != '`' || cell[len(cell)-1] != '`' {
		return "", false
	}
	return cell[1 : len(cell)-1], true
}

const sampleREADME = "# x\n\n### Inputs\n\n<!-- inputs:start -->\nold\n<!-- inputs:end -->\n\n### Outputs\n\n<!-- outputs:start -->\n<!-- outputs:end -->\n\n## Next\n"

func TestRenderedREADMETablesParseBackToTheCode(t *testing.T) {
	out, err := renderREADME([]byte(sampleREADME))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "old") {
		t.Fatalf("the old block survived:\n%s", out)
	}
	for _, c := range []struct {
		heading, header string
		want            []inputs.Spec
	}{{inputsHeading, inputsHeader, inputs.Specs}, {outputsHeading, outputsHeader, inputs.Outputs}} {
		got, err := parseTable(string(out), c.heading, c.header)
		if err != nil {
			t.Fatalf("%v in:\n%s", err, out)
		}
		if p := diffSpecs(c.heading, c.want, got); len(p) != 0 {
			t.Fatalf("rendered table does not round-trip: %q", p)
		}
	}
}

func TestREADMETableParserRejectsMistakes(t *testing.T) {
	cases := []struct{ name, md, want string }{
		{"a missing heading is reported", "# x\n", `no "### Inputs" heading`},
		{"a heading without a table is reported", "### Inputs\n\ntext\n\n## Next\n| a |\n", "no table under"},
		{"other columns are reported", "### Inputs\n| Name | Description |\n|---|---|\n", "has columns"},
		{"a missing separator is reported", "### Inputs\n" + inputsHeader + "\n| `a` | | no | A. |\n", "no |---| line"},
		{"a name without backticks is reported", "### Inputs\n" + inputsHeader + "\n|---|---|---|---|\n| a | | no | A. |\n", "must be in backticks"},
		{"a default without backticks is reported", "### Inputs\n" + inputsHeader + "\n|---|---|---|---|\n| `a` | 1 | no | A. |\n", "default must be in backticks"},
		{"a bad required cell is reported", "### Inputs\n" + inputsHeader + "\n|---|---|---|---|\n| `a` | | maybe | A. |\n", `required is "maybe"`},
		{"a short row is reported", "### Inputs\n" + inputsHeader + "\n|---|---|---|---|\n| `a` | no | A. |\n", "has 3 cells"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseTable(tc.md, inputsHeading, inputsHeader)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error containing %q, got %v", tc.want, err)
			}
		})
	}
}

func TestRenderREADMEWithoutMarkersFails(t *testing.T) {
	if _, err := renderREADME([]byte("### Inputs\n\n### Outputs\n")); err == nil || !strings.Contains(err.Error(), "<!-- inputs:start -->") {
		t.Fatalf("want an error naming the missing markers, got %v", err)
	}
}

func FuzzParseTable(f *testing.F) {
	table := renderTable(inputsHeader, inputs.Specs)
	f.Add("### Inputs\n\n" + table)
	f.Add("### Inputs\n" + inputsHeader + "\n|---|---|---|---|\n| `a\\|b` | `x` | yes | pipe \\| inside |\n")
	f.Add("### Inputs\n|\n|\n|\\")
	f.Add("")
	f.Fuzz(func(t *testing.T, md string) {
		specs, err := parseTable(md, inputsHeading, inputsHeader)
		if err != nil {
			return
		}
		// Whatever parses must survive rendering and parsing again, or the
		// generator could write a table the check then rejects.
		again, err := parseTable(inputsHeading+"\n"+renderTable(inputsHeader, specs), inputsHeading, inputsHeader)
		if err != nil {
			t.Fatalf("re-parsing the rendered table failed: %v", err)
		}
		if p := diffSpecs("round trip", specs, again); len(p) != 0 && !hasDuplicates(specs) {
			t.Fatalf("round trip changed the table: %q", p)
		}
	})
}

func hasDuplicates(specs []inputs.Spec) bool {
	seen := map[string]bool{}
	for _, s := range specs {
		if seen[s.Name] {
			return true
		}
		seen[s.Name] = true
	}
	return false
}

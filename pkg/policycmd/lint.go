package policycmd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/org/oidc-aws-action/pkg/display"
	"github.com/org/oidc-aws-action/pkg/permissions"
	"github.com/org/oidc-aws-action/pkg/trustpolicy"
)

// located is a finding with the file and document it came from and its
// line: right, or 0 when it cannot be known.
type located struct {
	trustpolicy.Finding
	File     string
	Document string // "" when the file holds a single policy
	Line     int
}

// failure is a file lint could not check, with why.
type failure struct {
	File string
	Err  error
}

// lintReport is everything lint found, for any output format.
type lintReport struct {
	findings []located
	failures []failure
	checked  int // files read and parsed
}

// failOn maps --fail-on to the lowest severity rank that fails the run.
var failOn = map[string]int{
	"error":   trustpolicy.SeverityError.Rank(),
	"warning": trustpolicy.SeverityWarning.Rank(),
	"info":    trustpolicy.SeverityInfo.Rank(),
	"none":    0,
}

func runLint(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	g, code := parseGate("lint", []string{"text", "json", "sarif"}, "missing FILE: give one or more policy files or directories (\"-\" for stdin)", args, stdout, stderr)
	if code >= 0 {
		return code
	}
	defer g.report.discard()
	rep := lintFiles(g.files, &inputReader{stdin: stdin}, g.ignored)
	rep.failures = append(g.unsearched, rep.failures...)
	return g.finish(stdout, stderr, rep.failures, rep.findings, func(w io.Writer) error {
		switch g.format {
		case "json":
			return writeJSON(w, rep)
		case "sarif":
			return writeSARIF(w, rep)
		}
		return writeText(w, rep)
	})
}

func knownRule(id string) bool {
	for _, r := range allRules() {
		if r.ID == id {
			return true
		}
	}
	return false
}

// ruleRanges names the rules lint and audit know, e.g. "OIDC000 to
// OIDC020 and OIDC101 to OIDC104": the trust-policy rules, then the ones
// about a role's permissions and account.
func ruleRanges() string {
	rs := allRules()
	var parts []string
	start := 0
	for i := 1; i <= len(rs); i++ {
		if i < len(rs) && ruleNumber(rs[i].ID) == ruleNumber(rs[i-1].ID)+1 {
			continue
		}
		if i-1 == start {
			parts = append(parts, rs[start].ID)
		} else {
			parts = append(parts, rs[start].ID+" to "+rs[i-1].ID)
		}
		start = i
	}
	return strings.Join(parts, " and ")
}

func ruleNumber(id string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(id, "OIDC"))
	return n
}

// lintFiles reads, parses and lints each file, dropping ignored rules.
func lintFiles(files []string, in *inputReader, ignored map[string]bool) lintReport {
	var rep lintReport
	for _, file := range files {
		data, err := in.read(file, trustpolicy.MaxInputBytes)
		if err != nil {
			rep.failures = append(rep.failures, failure{file, err})
			continue
		}
		input, err := trustpolicy.ParseInput(data)
		if err != nil {
			rep.failures = append(rep.failures, failure{file, err})
			continue
		}
		docs := input.Documents
		rep.checked++
		lines := newLineIndex(data)
		// Terraform holds what each role may do too; a file without
		// permissions (a policy, get-role output) yields no roles here.
		roles, _ := permissions.Terraform(data)
		// A role whose policy is unknown until apply (a first plan) is
		// reported, not a reason to reject the file.
		for i := range input.Unknown {
			u := &input.Unknown[i]
			for _, f := range trustpolicy.LintUnknown(u) {
				if !ignored[f.ID] {
					rep.findings = append(rep.findings, located{Finding: f, File: file, Document: u.Name, Line: lines.line(u.Offset)})
				}
			}
		}
		for _, d := range docs {
			for _, f := range lintWeighed(d, roles) {
				if ignored[f.ID] {
					continue
				}
				l := located{Finding: f, File: file, Line: lines.line(findOffset(data, d, f))}
				if len(docs)+len(input.Unknown) > 1 {
					l.Document = d.Name
				}
				rep.findings = append(rep.findings, l)
			}
		}
	}
	return rep
}

// lintWeighed lints one document and, when it is a terraform role whose
// policies the file holds, weighs the findings against what the role may
// do.
func lintWeighed(d trustpolicy.Document, roles map[string]permissions.Role) []trustpolicy.Finding {
	fs := trustpolicy.Lint(d.Policy)
	role, ok := roles[strings.TrimSuffix(d.Name, priorState)]
	if !ok {
		return fs
	}
	a := permissions.Assess(role)
	fs = permissions.Weigh(fs, a)
	if f, ok := permissions.Shared(d.Policy, fs, a); ok {
		fs = append(fs, f)
	}
	return fs
}

// priorState is the suffix trustpolicy gives a document read from a
// plan's prior state.
const priorState = " (prior state)"

// displayPath shows a path bare when that is unambiguous, quoted otherwise,
// so a hostile file name cannot break a log line.
func displayPath(p string) string {
	q := strconv.Quote(p)
	if q[1:len(q)-1] == p && !strings.ContainsAny(p, " \"") {
		return p
	}
	return q
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

func writeText(w io.Writer, rep lintReport) error {
	var b strings.Builder
	counts := map[trustpolicy.Severity]int{}
	for _, f := range rep.findings {
		counts[f.Severity]++
		// Severity leads so no line can start with text from the input.
		fmt.Fprintf(&b, "%s %s %s", f.Severity, f.ID, displayPath(f.File))
		if f.Line > 0 {
			fmt.Fprintf(&b, ":%d", f.Line)
		}
		if f.Document != "" {
			fmt.Fprintf(&b, " %s", strconv.Quote(f.Document))
		}
		if f.Statement != "" {
			fmt.Fprintf(&b, " statement %s", f.Statement)
		}
		fmt.Fprintf(&b, ": %s\n", oneLine(f.Message))
		if f.Fix != "" {
			fmt.Fprintf(&b, "    fix: %s\n", oneLine(f.Fix))
		}
	}
	if len(rep.findings) == 0 {
		fmt.Fprintf(&b, "no findings in %s", plural(rep.checked, "file", "files"))
	} else {
		fmt.Fprintf(&b, "%d error(s), %d warning(s), %d info in %s", counts[trustpolicy.SeverityError], counts[trustpolicy.SeverityWarning], counts[trustpolicy.SeverityInfo], plural(rep.checked, "file", "files"))
	}
	if n := len(rep.failures); n > 0 {
		fmt.Fprintf(&b, "; %s could not be checked", plural(n, "file", "files"))
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// oneLine escapes line breaks that could reach a CI log; lint messages are
// built from quoted values, so this is a second line of defence.
func oneLine(s string) string {
	r := strings.NewReplacer("\r", `\r`, "\n", `\n`, "\u0085", `\u0085`, "\u2028", `\u2028`, "\u2029", `\u2029`)
	return r.Replace(s)
}

type jsonFinding struct {
	File      string `json:"file"`
	Line      int    `json:"line,omitempty"`
	Document  string `json:"document,omitempty"`
	ID        string `json:"id"`
	Severity  string `json:"severity"`
	Statement string `json:"statement,omitempty"`
	Message   string `json:"message"`
	Fix       string `json:"fix,omitempty"`
}

type jsonFailure struct {
	File  string `json:"file"`
	Error string `json:"error"`
}

func writeJSON(w io.Writer, rep lintReport) error {
	out := struct {
		Findings []jsonFinding  `json:"findings"`
		Failures []jsonFailure  `json:"failures"`
		Summary  map[string]int `json:"summary"`
	}{Findings: []jsonFinding{}, Failures: []jsonFailure{},
		Summary: map[string]int{"error": 0, "warning": 0, "info": 0, "files_checked": rep.checked, "files_failed": len(rep.failures)}}
	for _, f := range rep.findings {
		out.Summary[string(f.Severity)]++
		out.Findings = append(out.Findings, jsonFinding{f.File, f.Line, f.Document, f.ID, string(f.Severity), f.Statement, f.Message, f.Fix})
	}
	for _, f := range rep.failures {
		out.Failures = append(out.Failures, jsonFailure{f.File, f.Err.Error()})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

// SARIF 2.1.0, the subset github/codeql-action/upload-sarif reads.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Results     []sarifResult     `json:"results"`
}

// sarifInvocation says whether the run checked everything it was given, so
// a file that could not be read does not look like a clean scan.
type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string    `json:"id"`
	Name                 string    `json:"name"`
	ShortDescription     sarifText `json:"shortDescription"`
	FullDescription      sarifText `json:"fullDescription"`
	Help                 sarifText `json:"help"`
	DefaultConfiguration struct {
		Level string `json:"level"`
	} `json:"defaultConfiguration"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations"`
}

type sarifLocation struct {
	PhysicalLocation struct {
		ArtifactLocation struct {
			URI string `json:"uri"`
		} `json:"artifactLocation"`
		Region *sarifRegion `json:"region,omitempty"`
	} `json:"physicalLocation"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

func sarifLocationOf(file string, line int) sarifLocation {
	var loc sarifLocation
	uri := filepath.ToSlash(file)
	if file == "-" {
		uri = "stdin"
	}
	loc.PhysicalLocation.ArtifactLocation.URI = uri
	if line > 0 {
		loc.PhysicalLocation.Region = &sarifRegion{StartLine: line}
	}
	return loc
}

// InformationURI is where SARIF viewers link the tool name.
const InformationURI = "https://github.com/org/oidc-aws-action"

func sarifLevel(sev trustpolicy.Severity) string {
	switch sev {
	case trustpolicy.SeverityError, trustpolicy.SeverityWarning:
		return string(sev)
	}
	return "note"
}

func writeSARIF(w io.Writer, rep lintReport) error {
	driver := sarifDriver{Name: "oidc-aws", InformationURI: InformationURI}
	index := map[string]int{}
	for i, r := range allRules() {
		help := r.Help
		if r.Doc != "" {
			help += " Source: " + r.Doc
		}
		sr := sarifRule{ID: r.ID, Name: ruleName(r.Summary), ShortDescription: sarifText{r.Summary}, FullDescription: sarifText{r.Help},
			Help: sarifText{help}}
		sr.DefaultConfiguration.Level = sarifLevel(r.Severity)
		driver.Rules = append(driver.Rules, sr)
		index[r.ID] = i
	}
	inv := sarifInvocation{ExecutionSuccessful: len(rep.failures) == 0}
	for _, f := range rep.failures {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{
			Level: "error", Message: sarifText{"not checked: " + f.Err.Error()}, Locations: []sarifLocation{sarifLocationOf(f.File, 0)}})
	}
	run := sarifRun{Tool: sarifTool{driver}, Invocations: []sarifInvocation{inv}, Results: []sarifResult{}}
	for _, f := range rep.findings {
		msg := f.Message
		if f.Statement != "" {
			msg = "statement " + f.Statement + ": " + msg
		}
		if f.Document != "" {
			msg = strconv.Quote(f.Document) + ": " + msg
		}
		if f.Fix != "" {
			msg += ". Fix: " + f.Fix
		}
		loc := sarifLocationOf(f.File, f.Line)
		run.Results = append(run.Results, sarifResult{RuleID: f.ID, RuleIndex: index[f.ID], Level: sarifLevel(f.Severity),
			Message: sarifText{msg}, Locations: []sarifLocation{loc}})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{run},
	})
}

// ruleName turns "Wildcard under StringEquals" into "WildcardUnderStringEquals",
// SARIF's conventional rule name form.
func ruleName(summary string) string {
	var b strings.Builder
	for _, w := range strings.Fields(summary) {
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}

// findOffset is the byte offset in data that finding f of document d is
// about, or -1 when it cannot be known. A statement's finding points at its
// evidence within the statement, or at the statement; a policy-wide one at
// the policy. An encoded policy (URL-encoded get-role output, terraform) is
// one JSON string, so one line holds all of it.
func findOffset(data []byte, d trustpolicy.Document, f trustpolicy.Finding) int {
	switch {
	case d.Offset < 0:
		return -1
	case d.Encoded || f.Index < 0 || f.Index >= len(d.StatementOffsets):
		return d.Offset
	}
	start, end := d.StatementOffsets[f.Index], d.End
	if f.Index+1 < len(d.StatementOffsets) {
		end = d.StatementOffsets[f.Index+1]
	}
	if f.Evidence != "" && start <= end && end <= len(data) {
		if i := bytes.Index(data[start:end], []byte(display.JSON(f.Evidence))); i >= 0 {
			return start + i
		}
	}
	return start
}

// lineIndex turns byte offsets into 1-based line numbers.
type lineIndex []int // offsets of each '\n'

func newLineIndex(data []byte) lineIndex {
	var idx lineIndex
	for i := 0; ; {
		j := bytes.IndexByte(data[i:], '\n')
		if j < 0 {
			return idx
		}
		idx = append(idx, i+j)
		i += j + 1
	}
}

// line is 0 for an unknown (negative) offset.
func (idx lineIndex) line(off int) int {
	if off < 0 {
		return 0
	}
	return 1 + sort.SearchInts(idx, off)
}

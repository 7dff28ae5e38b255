package policycmd

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/org/oidc-aws-action/pkg/trustpolicy"
)

// located is a finding with the file it came from and its best-guess line.
type located struct {
	trustpolicy.Finding
	File string
	Line int
}

func runLint(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("lint", flag.ContinueOnError)
	format := fs.String("format", "text", "")
	// Accept flags after file names too: `lint a.json --format sarif`.
	var files []string
	rest := args
	for {
		if code := parseFlags(fs, rest, stdout, stderr); code >= 0 {
			return code
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		files = append(files, rest[0])
		rest = rest[1:]
	}
	if len(files) == 0 {
		return usageError(stderr, "lint", "missing FILE: give one or more policy files (\"-\" for stdin)")
	}
	switch *format {
	case "text", "json", "sarif":
	default:
		return usageError(stderr, "lint", fmt.Sprintf("invalid --format %s: want text, json or sarif", strconv.Quote(*format)))
	}

	in := &inputReader{stdin: stdin}
	var all []located
	badInput := false
	for _, file := range files {
		data, err := in.read("FILE", file)
		if err != nil {
			fmt.Fprintf(stderr, "lint: %v\n", err)
			badInput = true
			continue
		}
		docs, err := trustpolicy.ParseDocuments(data)
		if err != nil {
			fmt.Fprintf(stderr, "lint: %s: %v\n", strconv.Quote(file), err)
			badInput = true
			continue
		}
		for _, f := range trustpolicy.LintDocuments(docs) {
			if len(docs) == 1 {
				f.Document = "" // one policy per file: the file names it
			}
			all = append(all, located{Finding: f, File: file, Line: findLine(data, f)})
		}
	}

	var err error
	switch *format {
	case "json":
		err = writeJSON(stdout, all)
	case "sarif":
		err = writeSARIF(stdout, all)
	default:
		err = writeText(stdout, all, len(files))
	}
	if err != nil {
		fmt.Fprintf(stderr, "lint: failed to write findings: %v\n", err)
		return ExitUsage
	}
	switch {
	case badInput:
		return ExitUsage
	case hasErrors(all):
		return ExitFindings
	}
	return ExitOK
}

func hasErrors(fs []located) bool {
	for _, f := range fs {
		if f.Severity == "error" {
			return true
		}
	}
	return false
}

// displayPath shows a path bare when that is unambiguous, quoted otherwise,
// so a hostile file name cannot break a log line.
func displayPath(p string) string {
	q := strconv.Quote(p)
	if q[1:len(q)-1] == p && !strings.ContainsAny(p, " \"") {
		return p
	}
	return q
}

func writeText(w io.Writer, fs []located, nfiles int) error {
	var b strings.Builder
	counts := map[string]int{}
	for _, f := range fs {
		counts[f.Severity]++
		// Severity leads so no line can start with text from the input.
		fmt.Fprintf(&b, "%s %s %s:%d", f.Severity, f.ID, displayPath(f.File), f.Line)
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
	noun := "files"
	if nfiles == 1 {
		noun = "file"
	}
	if len(fs) == 0 {
		fmt.Fprintf(&b, "no findings in %d %s\n", nfiles, noun)
	} else {
		fmt.Fprintf(&b, "%d error(s), %d warning(s), %d info in %d %s\n", counts["error"], counts["warning"], counts["info"], nfiles, noun)
	}
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
	Line      int    `json:"line"`
	Document  string `json:"document,omitempty"`
	ID        string `json:"id"`
	Severity  string `json:"severity"`
	Statement string `json:"statement,omitempty"`
	Message   string `json:"message"`
	Fix       string `json:"fix,omitempty"`
}

func writeJSON(w io.Writer, fs []located) error {
	out := struct {
		Findings []jsonFinding  `json:"findings"`
		Summary  map[string]int `json:"summary"`
	}{Findings: []jsonFinding{}, Summary: map[string]int{"error": 0, "warning": 0, "info": 0}}
	for _, f := range fs {
		out.Summary[f.Severity]++
		out.Findings = append(out.Findings, jsonFinding{f.File, f.Line, f.Document, f.ID, f.Severity, f.Statement, f.Message, f.Fix})
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
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
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
		Region struct {
			StartLine int `json:"startLine"`
		} `json:"region"`
	} `json:"physicalLocation"`
}

// InformationURI is where SARIF viewers link the tool name.
const InformationURI = "https://github.com/org/oidc-aws-action"

func sarifLevel(sev string) string {
	switch sev {
	case "error", "warning":
		return sev
	}
	return "note"
}

func writeSARIF(w io.Writer, fs []located) error {
	driver := sarifDriver{Name: "oidc-aws", InformationURI: InformationURI}
	index := map[string]int{}
	for i, r := range trustpolicy.Rules() {
		sr := sarifRule{ID: r.ID, Name: ruleName(r.Summary), ShortDescription: sarifText{r.Summary}, FullDescription: sarifText{r.Help},
			Help: sarifText{r.Help}}
		sr.DefaultConfiguration.Level = sarifLevel(r.Severity)
		driver.Rules = append(driver.Rules, sr)
		index[r.ID] = i
	}
	run := sarifRun{Tool: sarifTool{driver}, Results: []sarifResult{}}
	for _, f := range fs {
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
		var loc sarifLocation
		uri := filepath.ToSlash(f.File)
		if f.File == "-" {
			uri = "stdin"
		}
		loc.PhysicalLocation.ArtifactLocation.URI = uri
		loc.PhysicalLocation.Region.StartLine = f.Line
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

// findLine guesses the 1-based line a finding is about: the document (by
// terraform address or role name), then the statement's Sid, then the
// offending value, as it appears in plain or JSON-in-a-string form.
func findLine(data []byte, f trustpolicy.Finding) int {
	text := string(data)
	anchor := 0
	find := func(from int, needle string) int {
		if needle == "" || from > len(text) {
			return -1
		}
		for _, form := range []string{jsonQuote(needle), escapedQuote(needle)} {
			if i := strings.Index(text[from:], form); i >= 0 {
				return from + i
			}
		}
		return -1
	}
	doc := f.Document
	if d, ok := strings.CutSuffix(doc, " (prior state)"); ok {
		// Prior-state roles repeat addresses from planned_values; look
		// only in the prior_state block.
		doc = d
		if i := strings.Index(text, `"prior_state"`); i >= 0 {
			anchor = i
		}
	}
	if i := find(anchor, doc); i >= 0 {
		anchor = i
	}
	found := false
	if f.Index >= 0 {
		if sid := sidOf(f.Statement); sid != "" {
			if i := find(anchor, sid); i >= 0 {
				anchor, found = i, true
			}
		}
	}
	if f.Evidence != "" {
		if i := find(anchor, f.Evidence); i >= 0 {
			anchor, found = i, true
		} else if !found {
			if i := find(0, f.Evidence); i >= 0 {
				anchor, found = i, true
			}
		}
	}
	if !found && anchor == 0 {
		return 1
	}
	return 1 + strings.Count(text[:anchor], "\n")
}

// sidOf recovers the Sid from a statement label such as `#2 "DenyPR"`.
func sidOf(label string) string {
	_, q, ok := strings.Cut(label, " ")
	if !ok {
		return ""
	}
	s, err := strconv.Unquote(q)
	if err != nil {
		return ""
	}
	return s
}

func jsonQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// escapedQuote is s as it appears inside a JSON string that itself holds
// JSON, as terraform's assume_role_policy does: \"value\".
func escapedQuote(s string) string {
	q := jsonQuote(jsonQuote(s))
	return q[1 : len(q)-1]
}

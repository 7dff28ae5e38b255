package policycmd

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// gate is what makes lint and audit a CI gate, parsed one way for both: the
// report's format and destination, the severity that fails the run, the
// rules to leave out, and the files to read (directories searched).
type gate struct {
	cmd        string
	format     string
	minRank    int
	ignored    map[string]bool
	report     *reportFile
	files      []string
	unsearched []failure // arguments that could not be searched
}

// parseGate reads the shared flags, before or after the file names (`lint
// a.json --format sarif`). formats are the --format values the command
// writes, the first being the default; missing is the usage error when no
// file is named. A code >= 0 ends the command with that status. The caller
// must discard g.report when it is done.
func parseGate(cmd string, formats []string, missing string, args []string, stdout, stderr io.Writer) (g *gate, code int) {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	format := fs.String("format", formats[0], "")
	threshold := fs.String("fail-on", "warning", "")
	var ignore listFlag
	fs.Var(&ignore, "ignore", "")
	output := fs.String("output", "", "")
	var files []string
	rest := args
	for {
		if code := parseFlags(fs, rest, stdout, stderr); code >= 0 {
			return nil, code
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		files = append(files, rest[0])
		rest = rest[1:]
	}
	if len(files) == 0 {
		return nil, usageError(stderr, cmd, missing)
	}
	if !slices.Contains(formats, *format) {
		last := len(formats) - 1
		want := strings.Join(formats[:last], ", ") + " or " + formats[last]
		return nil, usageError(stderr, cmd, fmt.Sprintf("invalid --format %s: want %s", strconv.Quote(*format), want))
	}
	g = &gate{cmd: cmd, format: *format, ignored: map[string]bool{}}
	var ok bool
	if g.minRank, ok = failOn[*threshold]; !ok {
		return nil, usageError(stderr, cmd, fmt.Sprintf("invalid --fail-on %s: want error, warning, info or none", strconv.Quote(*threshold)))
	}
	for _, id := range ignore {
		if !knownRule(id) {
			return nil, usageError(stderr, cmd, fmt.Sprintf("invalid --ignore %s: no such rule; rules are %s (see `oidc-aws policy %s --help`)", strconv.Quote(id), ruleRanges(), cmd))
		}
		g.ignored[id] = true
	}
	report, err := openReport(*output)
	if err != nil {
		return nil, usageError(stderr, cmd, fmt.Sprintf("invalid --output %s: %v", strconv.Quote(*output), err))
	}
	g.report = report
	g.files, g.unsearched = expandArgs(files)
	return g, -1
}

// finish names each file that could not be checked, writes the report, and
// gives the exit status: a file not checked is a usage error, and a finding
// at or above --fail-on fails the run.
func (g *gate) finish(stdout, stderr io.Writer, failures []failure, findings []located, write func(io.Writer) error) int {
	for _, f := range failures {
		fmt.Fprintf(stderr, "%s: %s: %v\n", g.cmd, displayPath(f.File), f.Err)
	}
	if err := g.report.write(stdout, write); err != nil {
		fmt.Fprintf(stderr, "%s: cannot write the findings: %v\n", g.cmd, err)
		return ExitUsage
	}
	if len(failures) > 0 {
		return ExitUsage
	}
	for _, f := range findings {
		if g.minRank > 0 && f.Severity.Rank() >= g.minRank {
			return ExitFindings
		}
	}
	return ExitOK
}

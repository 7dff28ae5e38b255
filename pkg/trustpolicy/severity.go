package trustpolicy

// Severity is how much a finding matters. Its text is what lint prints and
// what `lint --fail-on` and SARIF levels are named after.
type Severity string

// The severities, from lightest to heaviest.
const (
	SeverityInfo    Severity = "info"
	SeverityWarning Severity = "warning"
	SeverityError   Severity = "error"
)

// Rank orders severities for a threshold such as `lint --fail-on`: 1 for
// info, 2 for warning, 3 for error, and 0 for anything else, so an unknown
// severity never fails a gate by accident.
func (s Severity) Rank() int {
	switch s {
	case SeverityInfo:
		return 1
	case SeverityWarning:
		return 2
	case SeverityError:
		return 3
	}
	return 0
}

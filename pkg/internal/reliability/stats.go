package reliability

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"
)

// Quantile returns the q-quantile (0 ≤ q ≤ 1) of ds by nearest rank, or 0
// for no durations. It does not reorder ds.
func Quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	q = min(max(q, 0), 1)
	// Nearest rank: the smallest value with at least q of the data at or
	// below it.
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(i, 0)]
}

// Gauge counts things in progress and remembers the most seen at once.
type Gauge struct {
	mu   sync.Mutex
	cur  int
	peak int
}

// Add moves the count by d (negative when things finish).
func (g *Gauge) Add(d int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.cur += d
	g.peak = max(g.peak, g.cur)
}

// Peak is the highest count so far.
func (g *Gauge) Peak() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.peak
}

// Table is a markdown table, for reports the README can quote.
type Table struct {
	Header []string
	Rows   [][]string
}

// Add appends a row.
func (t *Table) Add(cells ...string) { t.Rows = append(t.Rows, cells) }

// Markdown renders the table as GitHub-flavoured markdown. Pipes and line
// breaks in cells are escaped so that a cell cannot break the table.
func (t *Table) Markdown() string {
	var b strings.Builder
	row := func(cells []string) {
		b.WriteString("|")
		for i := range t.Header {
			c := ""
			if i < len(cells) {
				c = cells[i]
			}
			c = strings.NewReplacer("|", `\|`, "\r\n", " ", "\n", " ", "\r", " ").Replace(c)
			b.WriteString(" " + c + " |")
		}
		b.WriteString("\n")
	}
	row(t.Header)
	b.WriteString("|")
	for range t.Header {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range t.Rows {
		row(r)
	}
	return b.String()
}

// Millis renders a duration in milliseconds with a precision that suits
// its size, for tables.
func Millis(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case ms < 10:
		return fmt.Sprintf("%.2f ms", ms)
	case ms < 1000:
		return fmt.Sprintf("%.0f ms", ms)
	default:
		return fmt.Sprintf("%.2f s", ms/1000)
	}
}

// MiB renders KiB as MiB, for tables.
func MiB(kib int64) string {
	if kib <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f MiB", float64(kib)/1024)
}

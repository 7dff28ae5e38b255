package reliability

import (
	"container/heap"
	"math/rand/v2"
	"time"

	"github.com/org/oidc-aws-action/pkg/retry"
)

// LoadModel is a job matrix modelled rather than run: Runs action runs each
// send AssumeRoleWithWebIdentity to one STS that admits Rate requests per
// second with a bucket of Burst (as the local STS and an account-wide AWS
// quota do) and answers Throttling otherwise; a throttled run waits
// Backoff.Delay(attempt) and tries again, up to MaxAttempts.
//
// It exists to compare retry shapes at a scale and number of seeds that
// real processes cannot reach in a test; the load test checks the model
// against real runs.
type LoadModel struct {
	Runs  int
	Rate  float64
	Burst int
	// StartSpread spreads first attempts uniformly over [0, StartSpread):
	// a matrix's jobs (and a test's processes) never start at one instant.
	StartSpread time.Duration
	// RoundTrip is from sending a request to acting on its answer.
	RoundTrip   time.Duration
	Backoff     retry.Backoff
	MaxAttempts int
	Seed        uint64
}

// LoadOutcome is what a modelled matrix did.
type LoadOutcome struct {
	Succeeded, Failed int
	// Requests counts every STS request, throttled or not.
	Requests int
	// Makespan is from the first run's start to the last run's end.
	Makespan time.Duration
	// PerRun is each run's duration, start to end, in run order.
	PerRun []time.Duration
	// MaxAttemptsUsed is the most requests any one run made.
	MaxAttemptsUsed int
}

// Amplification is STS requests per successful run (+Inf-free: 0 when none
// succeeded).
func (o LoadOutcome) Amplification() float64 {
	if o.Succeeded == 0 {
		return 0
	}
	return float64(o.Requests) / float64(o.Succeeded)
}

// Simulate runs the model. The same model (Seed included) gives the same
// outcome.
func Simulate(m LoadModel) LoadOutcome {
	rng := rand.New(rand.NewPCG(m.Seed, m.Seed^0x9e3779b97f4a7c15))
	b := m.Backoff
	b.Rand = rng.Float64
	if m.MaxAttempts < 1 {
		m.MaxAttempts = 1
	}
	burst := float64(m.Burst)
	if burst <= 0 {
		burst = max(1, m.Rate)
	}
	tokens, last := burst, time.Duration(0)
	allow := func(t time.Duration) bool {
		if m.Rate <= 0 {
			return true
		}
		tokens = min(burst, tokens+(t-last).Seconds()*m.Rate)
		last = t
		if tokens < 1 {
			return false
		}
		tokens--
		return true
	}

	out := LoadOutcome{PerRun: make([]time.Duration, m.Runs)}
	starts := make([]time.Duration, m.Runs)
	q := &sendQueue{}
	for i := range m.Runs {
		if m.StartSpread > 0 {
			starts[i] = time.Duration(rng.Int64N(int64(m.StartSpread)))
		}
		heap.Push(q, send{at: starts[i], run: i, attempt: 1})
	}
	for q.Len() > 0 {
		s := heap.Pop(q).(send)
		out.Requests++
		out.MaxAttemptsUsed = max(out.MaxAttemptsUsed, s.attempt)
		answered := s.at + m.RoundTrip
		switch {
		case allow(s.at):
			out.Succeeded++
		case s.attempt >= m.MaxAttempts:
			out.Failed++
		default:
			heap.Push(q, send{at: answered + b.Delay(s.attempt), run: s.run, attempt: s.attempt + 1})
			continue
		}
		out.PerRun[s.run] = answered - starts[s.run]
		out.Makespan = max(out.Makespan, answered)
	}
	return out
}

type send struct {
	at      time.Duration
	run     int
	attempt int
}

// sendQueue orders sends by time, then run, so that ties are deterministic.
type sendQueue []send

func (q sendQueue) Len() int { return len(q) }
func (q sendQueue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].run < q[j].run
}
func (q sendQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *sendQueue) Push(x any)   { *q = append(*q, x.(send)) }
func (q *sendQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

package localsts

import (
	"crypto/rand"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Outcomes besides error codes (which are used verbatim) and faults (see
// FaultOutcome).
const (
	OutcomeSuccess    = "success"
	OutcomeClientGone = "client_gone"
)

// RequestRecord is what the server saw of one request. It holds parameter
// values tests assert on but never secrets: no web identity token, secret
// key, session token or signature.
type RequestRecord struct {
	Time            time.Time
	RequestID       string
	Method          string
	Action          string
	Version         string
	RoleArn         string
	RoleSessionName string
	DurationSeconds string // as sent; "" when absent
	Policy          string
	PolicyArns      []string
	// Tags and TransitiveTagKeys as sent to AssumeRole.
	Tags              []Tag
	TransitiveTagKeys []string
	ExternalID        string
	ProviderID        string
	SourceIdentity    string
	// Params names every parameter sent, sorted (values withheld).
	Params []string
	// From the web identity token, read without verification.
	TokenIssuer   string
	TokenSubject  string
	TokenAudience []string
	// AccessKeyID of a signed call's credentials.
	AccessKeyID string
	UserAgent   string
	// Outcome is OutcomeSuccess, an STS error code, FaultOutcome(kind) or
	// OutcomeClientGone.
	Outcome string
	Status  int
	// Fault is the injected fault's kind name, if one applied (a slow
	// answer still ends in a normal Outcome).
	Fault string
	// Detail says why, where the answer alone does not (e.g. which trust
	// check denied).
	Detail string
}

// Stats is a snapshot of the server's counters.
type Stats struct {
	Requests int64 // requests that reached the server

	InFlight          int64
	ByAction          map[string]int64
	ByOutcome         map[string]int64
	ByFault           map[string]int64 // injected faults applied, by kind name
	IssuedCredentials int64
}

type counters struct {
	mu        sync.Mutex
	requests  int64
	byAction  map[string]int64
	byOutcome map[string]int64
	byFault   map[string]int64
	issued    atomic.Int64
}

// arrive counts a request as soon as it reaches the handler, so a client
// that gave up mid-response still sees it counted immediately.
func (c *counters) arrive() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests++
}

func (c *counters) add(action, outcome, fault string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byAction == nil {
		c.byAction, c.byOutcome, c.byFault = map[string]int64{}, map[string]int64{}, map[string]int64{}
	}
	if fault != "" {
		c.byFault[fault]++
	}
	if action == "" {
		action = "(none)"
	}
	c.byAction[action]++
	c.byOutcome[outcome]++
}

// Stats snapshots the counters. Requests counts requests on arrival; the
// per-action, per-outcome and per-fault counts are added when each handler
// finishes, which for a client that hung up early (hang, oversized) may be a
// moment after the client returned.
func (s *Server) Stats() Stats {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	st := Stats{
		Requests:          s.stats.requests,
		InFlight:          s.lb.InFlight(),
		ByAction:          make(map[string]int64, len(s.stats.byAction)),
		ByOutcome:         make(map[string]int64, len(s.stats.byOutcome)),
		ByFault:           make(map[string]int64, len(s.stats.byFault)),
		IssuedCredentials: s.stats.issued.Load(),
	}
	for k, v := range s.stats.byAction {
		st.ByAction[k] = v
	}
	for k, v := range s.stats.byOutcome {
		st.ByOutcome[k] = v
	}
	for k, v := range s.stats.byFault {
		st.ByFault[k] = v
	}
	return st
}

type requestLog struct {
	mu   sync.Mutex
	size int
	ring []RequestRecord
	next int
	full bool
}

func (l *requestLog) add(r RequestRecord) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ring == nil {
		l.ring = make([]RequestRecord, l.size)
	}
	l.ring[l.next] = r
	l.next = (l.next + 1) % l.size
	if l.next == 0 {
		l.full = true
	}
}

// Requests returns the most recent requests (at most Options.RequestLogSize),
// oldest first.
func (s *Server) Requests() []RequestRecord {
	l := &s.log
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ring == nil {
		return nil
	}
	var out []RequestRecord
	if l.full {
		out = append(out, l.ring[l.next:]...)
	}
	return append(out, l.ring[:l.next]...)
}

// bucket is a token bucket shared by all callers, like an account-wide
// STS request quota.
type bucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func newBucket(rate, burst float64) *bucket {
	return &bucket{rate: rate, burst: burst, tokens: burst}
}

func (b *bucket) allow(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.last.IsZero() {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

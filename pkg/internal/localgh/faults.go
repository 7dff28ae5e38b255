package localgh

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// FaultKind is a way for the token endpoint to misbehave.
type FaultKind int

// Fault kinds. Each applies only to requests that passed authentication
// (a bad request token still gets a plain 401), so a drill exercises the
// client's handling of a service that is up but broken.
const (
	// FaultStatus answers Fault.Status (500 when zero) with a service-style
	// JSON error body.
	FaultStatus FaultKind = iota + 1
	// FaultUnauthorized answers 401 as if the request token had been revoked.
	FaultUnauthorized
	// FaultHang never answers; it returns when the client gives up or the
	// issuer closes.
	FaultHang
	// FaultGarbage answers 200 with a body that is not JSON.
	FaultGarbage
	// FaultNoValue answers 200 with JSON lacking "value".
	FaultNoValue
	// FaultOversized answers 200 with a valid token inside a JSON body of
	// Fault.Size bytes (8 MiB when zero), streamed, to test read limits.
	FaultOversized
	// FaultSlow waits Fault.Delay, then answers normally.
	FaultSlow
	// FaultRedirect answers 302 to Fault.Location.
	FaultRedirect
)

var faultNames = map[FaultKind]string{
	FaultStatus:       "status",
	FaultUnauthorized: "unauthorized",
	FaultHang:         "hang",
	FaultGarbage:      "garbage",
	FaultNoValue:      "no_value",
	FaultOversized:    "oversized",
	FaultSlow:         "slow",
	FaultRedirect:     "redirect",
}

func (k FaultKind) String() string {
	if n, ok := faultNames[k]; ok {
		return n
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// Fault programs the token endpoint. Times is how many requests it affects;
// 0 means every request until ClearFaults. Delay is waited before any kind
// (for FaultSlow it is the whole point).
type Fault struct {
	Kind     FaultKind
	Times    int
	Status   int
	Delay    time.Duration
	Size     int
	Location string
}

// Outcomes counted by Stats. Faults are counted as "fault_" + kind name.
const (
	OutcomeOK           = "ok"
	OutcomeUnauthorized = "unauthorized"
	OutcomeBadRequest   = "bad_request"
	OutcomeError        = "error"
	OutcomeClientGone   = "client_gone"
)

// Stats is a snapshot of what the token endpoint did.
type Stats struct {
	Requests int64 // requests that reached the token endpoint
	InFlight int64 // token requests being handled now
	Outcomes map[string]int64
	Minted   int64
}

type counters struct {
	mu       sync.Mutex
	requests int64
	outcomes map[string]int64
}

// arrive counts a request as soon as it reaches the handler, so a client
// that gave up mid-response still sees it counted immediately.
func (c *counters) arrive() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests++
}

func (c *counters) add(outcome string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.outcomes == nil {
		c.outcomes = map[string]int64{}
	}
	c.outcomes[outcome]++
}

// Stats snapshots the token endpoint's counters. Requests counts requests
// on arrival; each is counted once more under its final outcome when its
// handler finishes, which for a client that hung up early (hang, oversized)
// may be a moment after the client returned.
func (i *Issuer) Stats() Stats {
	i.stats.mu.Lock()
	defer i.stats.mu.Unlock()
	out := make(map[string]int64, len(i.stats.outcomes))
	for k, v := range i.stats.outcomes {
		out[k] = v
	}
	return Stats{Requests: i.stats.requests, InFlight: i.lb.InFlight(), Outcomes: out, Minted: i.minted.Load()}
}

// Inject queues a fault. Faults apply in the order injected: a fault with
// Times 0 shadows every fault after it until ClearFaults.
func (i *Issuer) Inject(f Fault) { i.faults.Add(f, f.Times) }

// ClearFaults removes every programmed fault.
func (i *Issuer) ClearFaults() { i.faults.Clear() }

func (i *Issuer) serveFault(w http.ResponseWriter, r *http.Request, f Fault) {
	outcome := "fault_" + f.Kind.String()
	if f.Kind == FaultHang {
		select {
		case <-r.Context().Done():
		case <-i.lb.Done():
			// Returning normally would send an empty 200; a hung server
			// that goes away drops the connection instead.
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				conn.Close()
			}
		}
		i.stats.add(outcome)
		return
	}
	if !i.lb.Sleep(r.Context(), f.Delay) {
		i.stats.add(OutcomeClientGone)
		return
	}
	switch f.Kind {
	case FaultStatus:
		status := f.Status
		if status == 0 {
			status = http.StatusInternalServerError
		}
		i.stats.add(outcome)
		vssError(w, status, "InternalServerErrorException", fmt.Sprintf("Injected failure: HTTP %d from the token service.", status))
	case FaultUnauthorized:
		i.stats.add(outcome)
		vssError(w, http.StatusUnauthorized, "UnauthorizedRequestException", "TF400813: The user '' is not authorized to access this resource.")
	case FaultGarbage:
		i.stats.add(outcome)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte("<html><body><h1>Service Unavailable</h1>\x00\xff not json")) //nolint:errcheck
	case FaultNoValue:
		i.stats.add(outcome)
		writeJSON(w, http.StatusOK, map[string]any{"count": 0})
	case FaultOversized:
		i.serveOversized(w, r, f.Size)
		i.stats.add(outcome)
	case FaultSlow:
		i.serveToken(w, r, outcome)
	case FaultRedirect:
		i.stats.add(outcome)
		http.Redirect(w, r, f.Location, http.StatusFound)
	default:
		i.stats.add(OutcomeError)
		vssError(w, http.StatusInternalServerError, "InternalServerErrorException", "unknown injected fault "+f.Kind.String())
	}
}

// serveOversized streams a syntactically valid response far larger than any
// real one; only a client without a read limit would accept it.
func (i *Issuer) serveOversized(w http.ResponseWriter, r *http.Request, size int) {
	if size <= 0 {
		size = 8 << 20
	}
	tok, err := i.mint(audienceOverride(r))
	if err != nil {
		vssError(w, http.StatusInternalServerError, "InternalServerErrorException", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	head := fmt.Sprintf(`{"count":%d,"value":%q,"padding":"`, len(tok), tok)
	if _, err := w.Write([]byte(head)); err != nil {
		return
	}
	chunk := []byte(strings.Repeat("A", 32<<10))
	for written := len(head); written < size; written += len(chunk) {
		select {
		case <-r.Context().Done():
			return
		case <-i.lb.Done():
			return
		default:
		}
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
	w.Write([]byte(`"}`)) //nolint:errcheck
}

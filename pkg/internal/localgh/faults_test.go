package localgh

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"
)

// waitFor polls cond: handlers record their outcome after the client has
// already seen the response.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestFaultKindsAsTheClientSeesThem(t *testing.T) {
	cases := []struct {
		name  string
		fault Fault
		check func(t *testing.T, f fetched)
	}{
		{"status 503", Fault{Kind: FaultStatus, Status: 503}, func(t *testing.T, f fetched) {
			if f.status != 503 {
				t.Errorf("status %d, want 503", f.status)
			}
		}},
		{"status defaults to 500", Fault{Kind: FaultStatus}, func(t *testing.T, f fetched) {
			if f.status != 500 {
				t.Errorf("status %d, want 500", f.status)
			}
		}},
		{"unauthorized", Fault{Kind: FaultUnauthorized}, func(t *testing.T, f fetched) {
			if f.status != 401 {
				t.Errorf("status %d, want 401", f.status)
			}
		}},
		{"garbage body", Fault{Kind: FaultGarbage}, func(t *testing.T, f fetched) {
			var v any
			if f.status != 200 || json.Unmarshal(f.body, &v) == nil {
				t.Errorf("want 200 with a non-JSON body, got %d %q", f.status, f.body)
			}
		}},
		{"JSON without value", Fault{Kind: FaultNoValue}, func(t *testing.T, f fetched) {
			var v map[string]any
			if err := json.Unmarshal(f.body, &v); err != nil {
				t.Fatalf("body not JSON: %v", err)
			}
			if _, ok := v["value"]; ok || f.status != 200 {
				t.Errorf("want 200 JSON lacking value, got %d %s", f.status, f.body)
			}
		}},
		{"oversized", Fault{Kind: FaultOversized, Size: 1 << 20}, func(t *testing.T, f fetched) {
			if len(f.body) < 1<<20 {
				t.Errorf("body %d bytes, want at least 1 MiB", len(f.body))
			}
			var v map[string]any
			if err := json.Unmarshal(f.body, &v); err != nil || v["value"] == nil {
				t.Errorf("oversized body should still be a valid token response: %v", err)
			}
		}},
		{"slow still answers", Fault{Kind: FaultSlow, Delay: 5 * time.Millisecond}, func(t *testing.T, f fetched) {
			tokenValue(t, f)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			iss := startIssuer(t, Options{})
			tc.fault.Times = 1
			iss.Inject(tc.fault)
			f, err := fetchToken(t, context.Background(), iss.Client(), iss.RequestURL(), "Bearer "+iss.RequestToken())
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, f)
			want := "fault_" + tc.fault.Kind.String()
			waitFor(t, want, func() bool { return iss.Stats().Outcomes[want] == 1 })

			f, err = fetchToken(t, context.Background(), iss.Client(), iss.RequestURL(), "Bearer "+iss.RequestToken())
			if err != nil {
				t.Fatal(err)
			}
			tokenValue(t, f) // Times: 1 means the next request is healthy again
		})
	}
}

func TestHangEndsWhenTheClientGivesUp(t *testing.T) {
	iss := startIssuer(t, Options{})
	iss.Inject(Fault{Kind: FaultHang})
	// Give up only once the request is surely hanging in the handler; a
	// fixed timeout could expire before a loaded machine even sends it.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for iss.Stats().InFlight == 0 && ctx.Err() == nil {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	if _, err := fetchToken(t, ctx, iss.Client(), iss.RequestURL(), "Bearer "+iss.RequestToken()); err == nil {
		t.Fatal("hung request returned a response")
	}
	waitFor(t, "hang to be released", func() bool { return iss.Stats().Outcomes["fault_hang"] == 1 })
}

func TestCloseReleasesHungRequests(t *testing.T) {
	iss, err := Start(Options{Key: sharedKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	iss.Inject(Fault{Kind: FaultHang})
	errc := make(chan error, 1)
	go func() {
		_, err := fetchToken(t, context.Background(), iss.Client(), iss.RequestURL(), "Bearer "+iss.RequestToken())
		errc <- err
	}()
	waitFor(t, "request to arrive", func() bool { return iss.Stats().InFlight == 1 })
	iss.Close()
	<-errc // returns at all: the hang did not outlive Close
	if got := iss.Stats().Outcomes["fault_hang"]; got != 1 {
		t.Errorf("fault_hang %d, want 1", got)
	}
}

func TestFaultsAreCountedExactlyUnderConcurrency(t *testing.T) {
	iss := startIssuer(t, Options{})
	const clients, faulty = 200, 50
	iss.Inject(Fault{Kind: FaultStatus, Status: 502, Times: faulty})
	c := iss.Client()
	c.Transport.(*http.Transport).MaxIdleConnsPerHost = clients
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, err := fetchToken(t, context.Background(), c, iss.RequestURL()+"&audience=sts.amazonaws.com", "Bearer "+iss.RequestToken())
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			statuses[f.status]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if statuses[502] != faulty || statuses[200] != clients-faulty {
		t.Errorf("statuses %v, want %d×502 and %d×200", statuses, faulty, clients-faulty)
	}
	waitFor(t, "all outcomes", func() bool { return iss.Stats().Requests == clients })
	s := iss.Stats()
	if s.Outcomes["fault_status"] != faulty || s.Outcomes[OutcomeOK] != clients-faulty || s.Minted != clients-faulty {
		t.Errorf("stats %+v", s)
	}
}

func TestClearFaultsRestoresService(t *testing.T) {
	iss := startIssuer(t, Options{})
	iss.Inject(Fault{Kind: FaultStatus})
	for range 2 {
		f, _ := fetchToken(t, context.Background(), iss.Client(), iss.RequestURL(), "Bearer "+iss.RequestToken())
		if f.status != 500 {
			t.Fatalf("status %d, want 500 while a forever fault is set", f.status)
		}
	}
	iss.ClearFaults()
	f, err := fetchToken(t, context.Background(), iss.Client(), iss.RequestURL(), "Bearer "+iss.RequestToken())
	if err != nil {
		t.Fatal(err)
	}
	tokenValue(t, f)
}

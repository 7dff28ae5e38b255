package reliability

import (
	"fmt"
	"testing"
	"time"

	"github.com/org/oidc-aws-action/pkg/retry"
)

// TestRetryShapeSweep models retry shapes against the load test's matrix
// and reports which meet its targets. It informs a choice; it asserts
// nothing about the action.
func TestRetryShapeSweep(t *testing.T) {
	if !*retrySweep {
		t.Skip("modelling only: run with -retry-sweep [-load-n N -load-rate R] to compare retry shapes")
	}
	n, rate := *loadN, *loadRate
	ideal := time.Duration(float64(n) / rate * float64(time.Second))
	const seeds = 200
	tab := Table{Header: []string{"base", "cap", "success", "STS req/run (mean)", "STS req/run (worst seed)", "makespan / ideal (median)", "makespan / ideal (worst seed)", "meets targets in every seed"}}
	for _, base := range []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 3 * time.Second, 4 * time.Second, 6 * time.Second} {
		for _, capd := range []time.Duration{2 * time.Second, 4 * time.Second, 6 * time.Second, 8 * time.Second, 10 * time.Second, 20 * time.Second} {
			if capd < base {
				continue
			}
			var amp, worstAmp float64
			var spans []time.Duration
			success, all := 0, 0
			ok := true
			for s := range seeds {
				o := Simulate(LoadModel{
					Runs: n, Rate: rate, Burst: int(rate),
					StartSpread: 2 * time.Second, RoundTrip: 5 * time.Millisecond,
					Backoff:     retry.Backoff{Base: base, Cap: capd},
					MaxAttempts: 12, Seed: uint64(s),
				})
				a := o.Amplification()
				amp += a
				worstAmp = max(worstAmp, a)
				spans = append(spans, o.Makespan)
				success += o.Succeeded
				all += n
				if o.Failed > 0 || a > 3 || o.Makespan > 2*ideal {
					ok = false
				}
			}
			tab.Add(base.String(), capd.String(), fmt.Sprintf("%.2f%%", 100*float64(success)/float64(all)),
				fmt.Sprintf("%.2f", amp/seeds), fmt.Sprintf("%.2f", worstAmp),
				fmt.Sprintf("%.2f", Quantile(spans, 0.5).Seconds()/ideal.Seconds()),
				fmt.Sprintf("%.2f", Quantile(spans, 1).Seconds()/ideal.Seconds()),
				fmt.Sprint(ok))
		}
	}
	t.Logf("model: %d runs starting over 2 s, STS %.0f req/s burst %.0f, full jitter, 12 attempts, %d seeds; ideal %v\n\n%s", n, rate, rate, seeds, ideal, tab.Markdown())
}

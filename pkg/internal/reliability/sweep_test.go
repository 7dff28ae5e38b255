package reliability

import (
	"fmt"
	"testing"
	"time"

	"github.com/org/oidc-aws-action/pkg/retry"
)

// TestRetryShapeSweep models full-jitter retry shapes against the load
// test's matrix under several start spreads and round trips, and reports
// which meet its targets everywhere. It informs a choice; it asserts
// nothing about the action.
func TestRetryShapeSweep(t *testing.T) {
	if !*retrySweep {
		t.Skip("modelling only: run with -retry-sweep [-load-n N -load-rate R] to compare retry shapes")
	}
	n, rate := *loadN, *loadRate
	ideal := time.Duration(float64(n) / rate * float64(time.Second))
	const seeds = 200
	type condition struct{ spread, rtt time.Duration }
	var conds []condition
	for _, s := range []time.Duration{250 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second} {
		for _, r := range []time.Duration{5 * time.Millisecond, 150 * time.Millisecond} {
			conds = append(conds, condition{s, r})
		}
	}
	tab := Table{Header: []string{"base", "cap", "failed runs (all)", "STS req/run: worst condition's mean", "STS req/run: p99", "makespan / ideal: worst condition's median", "makespan / ideal: p99", "meets targets at p99"}}
	for _, base := range []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 3 * time.Second, 4 * time.Second} {
		for _, capd := range []time.Duration{4 * time.Second, 6 * time.Second, 8 * time.Second, 10 * time.Second, 20 * time.Second} {
			if capd < base {
				continue
			}
			failed := 0
			var worstMeanAmp, worstP99Amp, worstMedSpan, worstP99Span float64
			for _, c := range conds {
				var amps, spans []time.Duration // amplification ×1000, to reuse Quantile
				sum := 0.0
				for s := range seeds {
					o := Simulate(LoadModel{
						Runs: n, Rate: rate, Burst: int(rate), StartSpread: c.spread, RoundTrip: c.rtt,
						Backoff: retry.Backoff{Base: base, Cap: capd}, MaxAttempts: *sweepAttempts, Seed: uint64(s),
					})
					failed += o.Failed
					sum += o.Amplification()
					amps = append(amps, time.Duration(o.Amplification()*1000))
					spans = append(spans, o.Makespan)
				}
				worstMeanAmp = max(worstMeanAmp, sum/seeds)
				worstP99Amp = max(worstP99Amp, float64(Quantile(amps, 0.99))/1000)
				worstMedSpan = max(worstMedSpan, Quantile(spans, 0.5).Seconds()/ideal.Seconds())
				worstP99Span = max(worstP99Span, Quantile(spans, 0.99).Seconds()/ideal.Seconds())
			}
			ok := failed == 0 && worstP99Amp <= 3 && worstP99Span <= 2
			tab.Add(base.String(), capd.String(), fmt.Sprint(failed), fmt.Sprintf("%.2f", worstMeanAmp), fmt.Sprintf("%.2f", worstP99Amp),
				fmt.Sprintf("%.2f", worstMedSpan), fmt.Sprintf("%.2f", worstP99Span), fmt.Sprint(ok))
		}
	}
	t.Logf("model: %d runs, STS %.0f req/s burst %.0f, full jitter, %d attempts, %d seeds under each of %d conditions (first requests spread over 0.25-4 s, round trip 5 or 150 ms); ideal %v; worst over conditions\n\n%s",
		n, rate, rate, *sweepAttempts, seeds, len(conds), ideal, tab.Markdown())
}

package localsts

import (
	"context"
	"testing"
)

// BenchmarkAssumeRoleWithWebIdentity measures a full SDK round trip
// (verification, trust decision, credential minting) with parallel clients.
func BenchmarkAssumeRoleWithWebIdentity(b *testing.B) {
	e := newEnv(b, nil)
	tok, err := e.gh.Mint(map[string]any{"aud": testAud})
	if err != nil {
		b.Fatal(err)
	}
	c := e.client(nil, 1)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.assumeWeb(context.Background(), c, tok, nil); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

package credprocess

import (
	"context"
	"os"
	"testing"

	"github.com/org/oidc-aws-action/pkg/rolehop"
)

// The last post step removes exactly the names the cache makes (package
// jobfiles), so IsCacheFile must know every one and nothing near them.
func TestIsCacheFileKnowsExactlyTheCachesNames(t *testing.T) {
	dir := t.TempDir()
	c := &cache{dir: dir}
	key := cacheKey(rolehop.Hop{SessionName: "a"})
	if err := c.write(key, &entry{Version: 1}); err != nil {
		t.Fatal(err)
	}
	unlock, err := c.lock(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Fatalf("the cache made %v, want an entry and a lock", entries)
	}
	for _, e := range entries {
		if !IsCacheFile(e.Name()) {
			t.Errorf("IsCacheFile(%q) = false for a file the cache made", e.Name())
		}
	}
	for name, want := range map[string]bool{
		".cred-123456.tmp":           true,
		"cred-" + key + ".json":      true,
		"cred-" + key + ".json/..":   false,
		"cred-" + key + ".txt":       false,
		"cred-" + key[:23] + ".json": false,
		"cred-../x.json":             false,
		".cred-.tmp":                 false,
		".cred-12a.tmp":              false,
		"config":                     false,
		"cred-":                      false,
	} {
		if got := IsCacheFile(name); got != want {
			t.Errorf("IsCacheFile(%q) = %v, want %v", name, got, want)
		}
	}
}

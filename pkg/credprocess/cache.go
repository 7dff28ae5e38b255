package credprocess

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/org/oidc-aws-action/pkg/display"
	"github.com/org/oidc-aws-action/pkg/inputfile"
	"github.com/org/oidc-aws-action/pkg/retry"
	"github.com/org/oidc-aws-action/pkg/stsexchange"
)

// maxMargin is the most time before expiry at which the cache stops handing
// out credentials and refreshes them: the earliest any of the SDKs that run
// the helper asks for new credentials. An SDK that asks inside its window
// and is handed the cached credentials asks again on its next call, each
// time starting the helper, until the helper renews; a margin as wide as
// the SDK's window makes its first ask the one that renews. The windows:
//
//   - botocore (boto3, the AWS CLI): ProcessProvider.load returns
//     RefreshableCredentials, which refresh from
//     _DEFAULT_ADVISORY_REFRESH_TIMEOUT (15 minutes) before expiry, and
//     block on it from _DEFAULT_MANDATORY_REFRESH_TIMEOUT (10 minutes)
//     (botocore/credentials.py).
//   - AWS SDK for JavaScript v3: the client memoizes its credential
//     provider with isIdentityExpired, EXPIRATION_MS = 300_000 before
//     expiry (@smithy/core, memoizeIdentityProvider), and the default chain
//     with credentialsTreatedAsExpired, the same 5 minutes
//     (@aws-sdk/credential-provider-node). Credentials it is handed inside
//     that window it treats as expired, and asks again within the request.
//   - aws-sdk-go-v2: config wraps processcreds in an aws.CredentialsCache
//     without an ExpiryWindow (config/resolve_credentials.go,
//     processCredentials and wrapWithCredentialsCache), so it asks when
//     Credentials.Expired(): at expiry.
//
// Credentials that live less than four times maxMargin get a quarter of
// their lifetime instead, so that one process never makes more than one
// STS call per three quarters of a lifetime; an SDK whose window is wider
// than that quarter then starts the helper on each call for the rest of
// its window, which is the price of not calling STS more often.
const maxMargin = 15 * time.Minute

// margin is how long before expiry credentials that lived lifetime are
// refreshed.
func margin(lifetime time.Duration) time.Duration {
	return max(0, min(maxMargin, lifetime/4))
}

// lastResort is how long before expiry credentials that lived lifetime
// stop being handed out even when their refresh fails: enough for a call
// signed now to reach AWS. It does not grow with maxMargin: during an
// outage the cached credentials should serve as long as they safely can.
func lastResort(lifetime time.Duration) time.Duration {
	return max(0, min(75*time.Second, lifetime/16))
}

// maxCacheBytes bounds a cache file read, far above what one entry (one set
// of credentials and its times) needs.
const maxCacheBytes = 64 << 10

// entry is one cached set of credentials. Issued is when this machine got
// them, which with Expiration gives their lifetime and so the margin.
type entry struct {
	Version         int
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
	Issued          time.Time
	// RefreshFailed is when a refresh of these credentials last failed
	// while they were still usable.
	RefreshFailed time.Time `json:",omitzero"`
}

func (e *entry) credentials() stsexchange.Credentials {
	return stsexchange.Credentials{AccessKeyID: e.AccessKeyID, SecretAccessKey: e.SecretAccessKey, SessionToken: e.SessionToken, Expiration: e.Expiration}
}

func (e *entry) freshAt(now time.Time) bool {
	return now.Before(e.Expiration.Add(-margin(e.Expiration.Sub(e.Issued))))
}

// usableAt reports whether credentials past their margin may still be
// handed out when a refresh fails.
func (e *entry) usableAt(now time.Time) bool {
	return now.Before(e.Expiration.Add(-lastResort(e.Expiration.Sub(e.Issued))))
}

// cache keeps entries as 0600 files in dir, named by key. Writers hold a
// lock on the key's lock file and replace the entry by rename, so readers,
// who take no lock, see either the old entry or the new one.
type cache struct {
	dir   string
	sleep retry.Sleeper
	owner *FileOwner
}

// FileOwner owns the cache files a run creates. The action's step runs as
// root in its container, and the helpers after it as the runner's user,
// who must be able to lock and replace what the step left.
type FileOwner struct{ UID, GID int }

// dirOwner is the owner of dir, or nil when it cannot be told.
func dirOwner(dir string) *FileOwner {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	return &FileOwner{UID: int(st.Uid), GID: int(st.Gid)}
}

// accessError is a cache file this run may not create or open; a
// permission error means another user's run (root's, most likely) left
// it, which the fix says how to clear.
func accessError(what, name, dir string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	msg := fmt.Sprintf("%s %s: %v", what, name, err)
	if errors.Is(err, fs.ErrPermission) {
		return display.Fixed(msg, "run the command as the user who owns "+dir+
			", or remove the cred-* files there that another user (root, under sudo or in a container) left")
	}
	return errors.New(msg)
}

func (c *cache) chown(f *os.File) error {
	if c.owner == nil {
		return nil
	}
	return f.Chown(c.owner.UID, c.owner.GID)
}

// The cache's file names in its directory, in one place: the cache makes
// them, and the action's last post step (package jobfiles) removes them.
const (
	cachePrefix      = "cred-"
	cacheEntrySuffix = ".json"
	cacheLockSuffix  = ".lock"
	// cacheTempPattern is an entry being written, before its rename.
	cacheTempPattern = "." + cachePrefix + "*.tmp"
)

// IsCacheFile reports whether name is exactly the name of a file the
// cache makes in its directory: an entry or a lock of a key, or an entry
// being written (os.CreateTemp puts decimal digits in its pattern's *).
func IsCacheFile(name string) bool {
	if key, ok := strings.CutPrefix(name, cachePrefix); ok {
		if k, ok := strings.CutSuffix(key, cacheEntrySuffix); ok {
			return isKey(k)
		}
		if k, ok := strings.CutSuffix(key, cacheLockSuffix); ok {
			return isKey(k)
		}
		return false
	}
	before, after, _ := strings.Cut(cacheTempPattern, "*")
	rest, ok := strings.CutPrefix(name, before)
	if !ok {
		return false
	}
	digits, ok := strings.CutSuffix(rest, after)
	return ok && digits != "" && strings.Trim(digits, "0123456789") == ""
}

// isKey reports whether k is a key as cacheKey makes them.
func isKey(k string) bool {
	return len(k) == cacheKeyLen && strings.Trim(k, "0123456789abcdef") == ""
}

func (c *cache) path(key string) string {
	return filepath.Join(c.dir, cachePrefix+key+cacheEntrySuffix)
}

// read returns the entry for key, or nil when there is none usable: a
// missing, unreadable or damaged entry is refreshed, not reported.
func (c *cache) read(key string) *entry {
	// Not following a symlink, and refusing a FIFO or device without
	// blocking, keeps whatever is planted under the name from hanging the
	// helper or being read as the cache (package inputfile).
	b, err := inputfile.ReadFile(c.path(key), syscall.O_NOFOLLOW, maxCacheBytes)
	if err != nil {
		return nil
	}
	var e entry
	if json.Unmarshal(b, &e) != nil || e.Version != 1 || e.AccessKeyID == "" || e.SecretAccessKey == "" || e.Expiration.IsZero() {
		return nil
	}
	return &e
}

// Seed stores credentials that a step just got, under the cache key of the
// helper flags args in dir, so that the first SDK call after the step is
// answered without another STS call. It returns the file written, which
// owner (nil: this process) owns.
func Seed(dir string, args []string, c stsexchange.Credentials, issued time.Time, owner *FileOwner) (string, error) {
	s, err := parse(args)
	if err != nil {
		return "", err
	}
	ca, key := &cache{dir: dir, owner: owner}, cacheKey(s.hop)
	return ca.path(key), ca.write(key, &entry{Version: 1, AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey,
		SessionToken: c.SessionToken, Expiration: c.Expiration, Issued: issued})
}

// write replaces key's entry: a new 0600 file in the same directory, then a
// rename over the old one. The values need no check of their own here: stsexchange refuses any
// answer whose credentials are not of STS's shape, and JSON holds any text.
func (c *cache) write(key string, e *entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(c.dir, cacheTempPattern) // mode 0600
	if err != nil {
		return accessError("could not write the credential cache in", c.dir, c.dir, err)
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	if err := c.chown(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("could not give the credential cache to the runner's user: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("could not write the credential cache: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("could not write the credential cache: %w", err)
	}
	if err := os.Rename(tmp.Name(), c.path(key)); err != nil {
		return fmt.Errorf("could not write the credential cache: %w", err)
	}
	return nil
}

// lockPoll is the first wait between attempts at a held lock; it doubles
// to lockPollMax. A refresh takes tens of milliseconds.
const (
	lockPoll    = 5 * time.Millisecond
	lockPollMax = 50 * time.Millisecond
)

// lock takes key's lock, waiting until ctx ends at the latest. The lock is
// an flock on a file of its own, released by unlock or when the process
// dies, so a helper killed mid-refresh cannot block the others.
func (c *cache) lock(ctx context.Context, key string) (unlock func(), err error) {
	name := filepath.Join(c.dir, cachePrefix+key+cacheLockSuffix)
	f, err := c.openLock(name)
	if err != nil {
		return nil, err
	}
	wait := lockPoll
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil // closing releases the lock
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("could not lock the credential cache: %w", err)
		}
		if err := c.sleep(ctx, wait); err != nil {
			f.Close()
			return nil, display.Fixed("timed out waiting for another credential-process run that holds the cache lock", "run the command again")
		}
		wait = min(2*wait, lockPollMax)
	}
}

// openLock opens the lock file, creating it if need be. Only a lock this
// run created is given to the owner: one that exists is someone else's,
// and changing its owner would fail for all but root.
func (c *cache) openLock(name string) (*os.File, error) {
	for range 3 {
		f, err := inputfile.Open(name, os.O_RDONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
		if err == nil {
			if err := c.chown(f); err != nil {
				f.Close()
				return nil, fmt.Errorf("could not give the cache lock to the runner's user: %w", err)
			}
			return f, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, accessError("could not create the cache lock", name, c.dir, err)
		}
		f, err = inputfile.Open(name, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, fs.ErrNotExist) { // removed in between: try again
			return nil, accessError("could not open the cache lock", name, c.dir, err)
		}
	}
	return nil, fmt.Errorf("the cache lock %s keeps disappearing", name)
}

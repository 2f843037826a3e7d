package hook

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/boot-guard/boot-guard/internal/atomicfile"
	"github.com/boot-guard/boot-guard/verify"
)

// aptCacheFile holds the verdicts of the last run, keyed by what was checked
// and the identity of every file the verdict depends on.
const aptCacheFile = "apt-audit.json"

// aptCache remembers verdicts across APT runs. A verdict is reused only
// when every file it was computed from (requestFiles) has the same identity
// (device, inode, size, mtime, ctime): a rebuilt initrd, a new modules.dep,
// a replaced kernel, a DKMS build or a dpkg run that changed its status all
// change it.
type aptCache struct {
	dir      string
	old      map[string]cachedCheck
	used     map[string]cachedCheck
	previous string // the last run's verdict
}

type cachedCheck struct {
	Files  []fileID            `json:"files"`
	Report verify.KernelReport `json:"report"`
}

type fileID struct {
	Path  string `json:"path"`
	Dev   uint64 `json:"dev,omitempty"`
	Ino   uint64 `json:"ino,omitempty"`
	Size  int64  `json:"size"`
	Mtime int64  `json:"mtime_ns"`
	Ctime int64  `json:"ctime_ns,omitempty"`
	// Missing: the file did not exist (its appearing changes the verdict).
	Missing bool `json:"missing,omitempty"`
}

type aptCacheDoc struct {
	Version     int                    `json:"version"`
	LastVerdict string                 `json:"last_verdict"`
	Checks      map[string]cachedCheck `json:"checks"`
}

// aptCacheVersion changes when the key or the report's meaning does: an old
// cache is then ignored.
const aptCacheVersion = 2 // 2: the files are verify.Inputs

// maxCacheBytes caps the cache file read back: a few kernels' reports.
const maxCacheBytes = 4 << 20

func loadAptCache(dir string) *aptCache {
	c := &aptCache{dir: dir, old: map[string]cachedCheck{}, used: map[string]cachedCheck{}}
	if dir == "" {
		return c
	}
	f, err := os.Open(filepath.Join(dir, aptCacheFile))
	if err != nil {
		return c
	}
	defer f.Close()
	// One byte more than the cap: reading it tells a file that is too big
	// from one that is exactly the cap.
	b, err := io.ReadAll(&io.LimitedReader{R: f, N: maxCacheBytes + 1})
	if err != nil || len(b) > maxCacheBytes {
		return c // unreadable or too big: start afresh
	}
	var doc aptCacheDoc
	if err := json.Unmarshal(b, &doc); err != nil || doc.Version != aptCacheVersion {
		return c // garbled or old: start afresh
	}
	c.old, c.previous = doc.Checks, doc.LastVerdict
	if c.old == nil {
		c.old = map[string]cachedCheck{}
	}
	return c
}

// check is verify.Check behind the cache.
func (c *aptCache) check(ctx context.Context, r verify.Request) verify.KernelReport {
	key := requestKey(r)
	ids := requestFiles(r)
	if old, ok := c.old[key]; ok && slices.Equal(old.Files, ids) {
		c.used[key] = old
		return old.Report
	}
	rep := verify.Check(ctx, r)
	if ctx.Err() == nil {
		c.used[key] = cachedCheck{Files: ids, Report: rep}
	}
	return rep
}

func (c *aptCache) save(v verify.Verdict) error {
	if c.dir == "" {
		return nil
	}
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return err
	}
	b, err := json.Marshal(aptCacheDoc{Version: aptCacheVersion, LastVerdict: v.String(), Checks: c.used})
	if err != nil {
		return fmt.Errorf("encode the audit cache: %w", err)
	}
	return atomicfile.WriteFile(filepath.Join(c.dir, aptCacheFile), b, 0o600)
}

// requestKey is everything of a Request that is not a file's content.
func requestKey(r verify.Request) string {
	mods := append([]string(nil), r.Modules...)
	sort.Strings(mods)
	b, _ := json.Marshal([]any{r.Root, r.Version, r.Kernel, r.Initrds, r.NoInitrd, r.InitrdSection, r.Cmdline, r.CmdlineSource, mods, r.Sys != nil, r.Proc != nil})
	return string(b)
}

// requestFiles are the identities of the files a verdict depends on:
// verify.Inputs, the list the check reads (so the key cannot drift from
// it), and the hook's own configuration, which made the request.
func requestFiles(r verify.Request) []fileID {
	root := r.Root
	if root == "" {
		root = "/"
	}
	paths := append(verify.Inputs(r), filepath.Join(root, ConfigPath))
	ids := make([]fileID, 0, len(paths))
	for _, p := range paths {
		ids = append(ids, identity(p))
	}
	return ids
}

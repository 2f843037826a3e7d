package hook

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadAptCache (issue 17 item 1): the APT cache file is read back on
// every dpkg run, from a directory another program could have written. Any
// content, garbled, truncated, oversized or of another version, loads as an
// empty cache or as the checks it holds: no panic, never nil maps, and what
// loads, encoded as save encodes it (without save's fsyncs, which would make
// each run take seconds), loads back the same.
func FuzzLoadAptCache(f *testing.F) {
	f.Add([]byte(`{"version":2,"last_verdict":"bootable","checks":{"k":{"files":[{"path":"/boot/x","size":1,"mtime_ns":2}],"report":{"version":"6.1","verdict":"bootable"}}}}`))
	f.Add([]byte(`{"version":2,"checks":null}`))
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte(`{"version":2,"checks":{"":{"files":null,"report":{"verdict":"nonsense","problems":[{"code":7}]}}}}`))
	f.Add([]byte("\x00\xff{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, aptCacheFile), data, 0o600); err != nil {
			t.Fatal(err)
		}
		c := loadAptCache(dir)
		if c.old == nil || c.used == nil {
			t.Fatal("nil maps")
		}
		if len(c.old) == 0 {
			return
		}
		b, err := json.Marshal(aptCacheDoc{Version: aptCacheVersion, LastVerdict: c.previous, Checks: c.old})
		if err != nil {
			t.Fatalf("encode what loaded: %v", err)
		}
		if err := os.WriteFile(filepath.Join(dir, aptCacheFile), b, 0o600); err != nil {
			t.Fatal(err)
		}
		again := loadAptCache(dir)
		if len(again.old) != len(c.old) {
			t.Fatalf("%d checks loaded back, %d saved", len(again.old), len(c.old))
		}
	})
}

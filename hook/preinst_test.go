package hook

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bootWithFiles makes ROOT/boot with sparse files of the given sizes.
func bootWithFiles(t *testing.T, sizes map[string]int64) string {
	t.Helper()
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "boot"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, size := range sizes {
		p := filepath.Join(root, "boot", name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(size); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	return root
}

const mb = 1 << 20

func preinst(t *testing.T, root string, free uint64, spaceErr error, args []string, kv ...string) (int, string) {
	t.Helper()
	var stderr bytes.Buffer
	var asked string
	space := func(dir string) (uint64, uint64, error) {
		asked = dir
		return free, 512 * mb, spaceErr
	}
	code := KernelPreinst(context.Background(), args, Env{Root: root, Getenv: getenv(kv...), Stderr: &stderr}, space)
	if asked != "" && asked != filepath.Join(root, "boot") {
		t.Errorf("statfs of %q, want /boot", asked)
	}
	return code, stderr.String()
}

func TestPreinstWarnsWhenBootIsFull(t *testing.T) {
	root := bootWithFiles(t, map[string]int64{
		"initrd.img-" + kvOld:   60 * mb,
		"initrd.img-5.10.0-28":  40 * mb,
		"vmlinuz-" + kvOld:      8 * mb,
		"System.map-" + kvOld:   4 * mb,
		"config-" + kvOld:       mb / 4,
		"grub/grubenv":          1024,
		"initrd.img-x.dpkg-bak": 500 * mb,
	})
	// need = 60 MiB * 1.1 + 12.25 MiB = 78.25 MiB
	code, out := preinst(t, root, 70*mb, nil, []string{kvNew, "/boot/vmlinuz-" + kvNew}, "DEB_MAINT_PARAMS", "install")
	if code != 0 {
		t.Fatalf("preinst must never fail: exit %d", code)
	}
	for _, want := range []string{
		"warning: /boot has 70.0 MiB free of 512.0 MiB; kernel " + kvNew + " needs about 78.2 MiB",
		"/boot/initrd.img-" + kvOld + " (60.0 MiB)",
		"No space left on device",
		"apt-get autoremove --purge",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if code, out := preinst(t, root, 80*mb, nil, []string{kvNew}, "DEB_MAINT_PARAMS", "upgrade 6.1.76-1"); code != 0 || out != "" {
		t.Errorf("enough room: exit %d\n%s", code, out)
	}
}

func TestPreinstQuietCases(t *testing.T) {
	full := bootWithFiles(t, map[string]int64{"initrd.img-" + kvOld: 60 * mb})
	cases := []struct {
		name string
		root string
		err  error
		args []string
		kv   []string
		want string
	}{
		{"abort-upgrade", full, nil, []string{kvNew}, []string{"DEB_MAINT_PARAMS", "abort-upgrade 1"}, ""},
		{"empty /boot", bootWithFiles(t, nil), nil, []string{kvNew}, nil, ""},
		{"statfs fails", full, errors.New("statfs: input/output error"), []string{kvNew}, nil, "cannot tell how much room /boot has"},
		{"no /boot", t.TempDir(), nil, []string{kvNew}, nil, "cannot estimate the room"},
		{"no version", full, nil, nil, nil, "want VERSION [IMAGE]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out := preinst(t, tc.root, 1, tc.err, tc.args, tc.kv...)
			if code != 0 {
				t.Fatalf("exit %d", code)
			}
			if tc.want == "" && out != "" || !strings.Contains(out, tc.want) {
				t.Errorf("output %q, want %q", out, tc.want)
			}
		})
	}
}

func TestStatfsRealDirectory(t *testing.T) {
	free, total, err := Statfs(t.TempDir())
	if err != nil || total == 0 || free > total {
		t.Fatalf("free %d total %d err %v", free, total, err)
	}
	if _, _, err := Statfs(filepath.Join(t.TempDir(), "missing")); err == nil || !strings.Contains(err.Error(), "statfs ") {
		t.Errorf("missing dir: %v", err)
	}
}

package kimage

import (
	"bytes"
	"compress/gzip"
	"errors"
	"strings"
	"testing"

	"github.com/boot-guard/boot-guard/verify/kimage/kimagetest"
)

func read(t *testing.T, b []byte) (Header, error) {
	t.Helper()
	return Read(bytes.NewReader(b), int64(len(b)))
}

func gz(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return buf.Bytes()
}

func TestRead(t *testing.T) {
	signed := kimagetest.SignedBzImage("6.1.0-18-amd64", 1472)
	arm := kimagetest.Arm64Image(0xaa64)
	cases := []struct {
		name    string
		img     []byte
		format  Format
		arch    string
		length  int64
		sigEnd  int64
		release string
		from    string
	}{
		{"bzImage", kimagetest.BzImage("6.1.0-18-amd64"), BzImage, "x86", 1056, 0, "6.1.0-18-amd64", "(setup_sects 1 + 1) * 512 + syssize 2 * 16"},
		{"signed bzImage", signed, BzImage, "x86", 1056, 1056 + 1472, "6.1.0-18-amd64", "setup header"},
		{"bzImage cut short", kimagetest.BzImage("6.1.0-18-amd64")[:900], BzImage, "x86", 1056, 0, "6.1.0-18-amd64", "setup header"},
		{"arm64 Image", arm, Arm64Image, "arm64", 8192, 0, "", `PE section ".text"`},
		{"arm64 Image cut in its section table", arm[:0x100], Arm64Image, "arm64", 0x40 + 24 + 160 + 40, 0, "", "section table"},
		{"zboot arm64", kimagetest.Zboot(0xaa64, "zstd"), Zboot, "arm64", 8192, 0, "", `PE section ".text"`},
		{"zboot riscv", kimagetest.Zboot(0x5064, "gzip"), Zboot, "riscv64", 8192, 0, "", "PE section"},
		{"gzip arm64 Image", gz(t, arm), Gzip, "arm64", 0, 0, "", ""},
		{"signed arm64 Image (Debian 12's)", kimagetest.SignedArm64Image(0xaa64, 1472), Arm64Image, "arm64", 8192, 8192 + 1472, "", `PE section ".text"`},
		{"signed arm64 Image cut into its signature", kimagetest.SignedArm64Image(0xaa64, 1472)[:8192+100], Arm64Image, "arm64", 8192, 8192 + 1472, "", `PE section ".text"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, err := read(t, c.img)
			if c.format == "" {
				if !errors.Is(err, ErrUnrecognized) {
					t.Fatalf("got %+v, %v; want ErrUnrecognized", h, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.Format != c.format || h.Arch != c.arch || h.Length != c.length || h.SignatureEnd != c.sigEnd || h.Release != c.release || !strings.Contains(h.LengthFrom, c.from) {
				t.Errorf("got %+v", h)
			}
		})
	}
}

func TestZbootCompression(t *testing.T) {
	h, err := read(t, kimagetest.Zboot(0xaa64, "zstd"))
	if err != nil || h.Compression != "zstd" {
		t.Fatalf("got %+v, %v", h, err)
	}
}

func TestUnrecognized(t *testing.T) {
	bad := map[string][]byte{
		"text":                      []byte("not a kernel image; only its name matters\n"),
		"empty":                     nil,
		"MZ without PE":             append([]byte("MZ"), make([]byte, 100)...),
		"gzip of text":              gz(t, []byte(strings.Repeat("x", 100))),
		"gzip header only":          gz(t, nil)[:5],
		"arm64 magic, PE for riscv": kimagetest.Arm64Image(0x5064),
	}
	for name, b := range bad {
		t.Run(name, func(t *testing.T) {
			if h, err := read(t, b); !errors.Is(err, ErrUnrecognized) {
				t.Errorf("got %+v, %v; want ErrUnrecognized", h, err)
			}
		})
	}
}

func TestGzipWhole(t *testing.T) {
	z := gz(t, kimagetest.Arm64Image(0xaa64))
	if err := GzipWhole(bytes.NewReader(z), 1<<20); err != nil {
		t.Fatalf("whole stream: %v", err)
	}
	if err := GzipWhole(bytes.NewReader(z[:len(z)-6]), 1<<20); err == nil {
		t.Error("a stream cut short reads whole")
	}
	bad := bytes.Clone(z)
	bad[len(bad)-6] ^= 0xff // the CRC32 in the trailer
	if err := GzipWhole(bytes.NewReader(bad), 1<<20); err == nil {
		t.Error("a stream with a bad checksum reads whole")
	}
	if err := GzipWhole(bytes.NewReader(z), 100); err == nil || !strings.Contains(err.Error(), "more than 100 bytes") {
		t.Errorf("over the limit: %v", err)
	}
}

// FuzzRead: no panic on any input; an error comes with a zero Header; a
// recognized image has a format and a length that is not negative.
func FuzzRead(f *testing.F) {
	f.Add(kimagetest.BzImage("6.1.0-18-amd64"))
	f.Add(kimagetest.SignedBzImage("6.1.0-18-amd64", 64))
	f.Add(kimagetest.Arm64Image(0xaa64))
	f.Add(kimagetest.Zboot(0xaa64, "gzip"))
	f.Add([]byte("MZ"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := Read(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			if h != (Header{}) {
				t.Fatalf("error %v with header %+v", err, h)
			}
			return
		}
		if h.Format == "" || h.Length < 0 || h.SignatureEnd < 0 {
			t.Fatalf("header %+v", h)
		}
	})
}

//go:build linux

package rootdev

import (
	"encoding/binary"
	"strings"
	"testing"
)

// dmAnswer builds a DM_TABLE_STATUS answer as the kernel's retrieve_status
// lays it out: struct dm_ioctl, then each dm_target_spec with its params,
// next counted from the start of the data and 8-byte aligned.
func dmAnswer(targets [][2]string) []byte {
	le := binary.LittleEndian
	buf := make([]byte, dmIoctlSize, 4096)
	le.PutUint32(buf[16:], dmIoctlSize)
	le.PutUint32(buf[20:], uint32(len(targets)))
	var data []byte
	for i, t := range targets {
		spec := make([]byte, dmTargetSpecSize)
		le.PutUint64(spec[0:], uint64(i)*1000)
		le.PutUint64(spec[8:], 1000)
		copy(spec[24:40], t[0])
		spec = append(spec, t[1]...)
		spec = append(spec, 0)
		for len(spec)%8 != 0 {
			spec = append(spec, 0)
		}
		le.PutUint32(spec[20:], uint32(len(data)+len(spec)))
		data = append(data, spec...)
	}
	return append(buf, data...)
}

func TestDMTargets(t *testing.T) {
	key := "6162636465666768696a6b6c6d6e6f707172737475767778797a414243444546"
	got, err := dmTargets(dmAnswer([][2]string{
		{"crypt", "aes-xts-plain64 " + key + " 0 259:2 32768 1 allow_discards"},
		{"linear", "254:1 2048"},
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := "0 1000 crypt aes-xts-plain64 - 0 259:2 32768 1 allow_discards\n1000 1000 linear 254:1 2048\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if strings.Contains(got, key) {
		t.Errorf("the key leaked: %q", got)
	}
	// A target count the answer does not hold is an error, not a panic.
	b := dmAnswer([][2]string{{"crypt", "aes-xts-plain64 - 0 8:2 0"}})
	binary.LittleEndian.PutUint32(b[20:], 1000)
	if _, err := dmTargets(b); err == nil {
		t.Errorf("no error for 1000 targets in a one-target answer")
	}
	binary.LittleEndian.PutUint32(b[16:], 1<<30)
	if _, err := dmTargets(b); err == nil {
		t.Errorf("no error for data outside the buffer")
	}
}

func TestHostSysWithoutControl(t *testing.T) {
	s := HostSys(t.TempDir(), "/nonexistent/mapper/control")
	r, ok := s.(TableReader)
	if !ok {
		t.Fatalf("%T is not a TableReader", s)
	}
	if _, err := r.DMTable("254:0"); err == nil {
		t.Errorf("no error without the control device")
	}
	if _, err := r.DMTable("x"); err == nil || !strings.Contains(err.Error(), "major:minor") {
		t.Errorf("%v", err)
	}
}

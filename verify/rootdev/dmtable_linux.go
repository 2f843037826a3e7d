//go:build linux

package rootdev

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
	"unsafe"
)

// HostSys is /sys at dir (os.DirFS) that reads device-mapper tables through
// the device-mapper control device (normally /dev/mapper/control), with
// the DM_TABLE_STATUS ioctl `dmsetup table` uses: no dmsetup needed.
func HostSys(dir, control string) fs.FS {
	return hostSys{dirFS: os.DirFS(dir).(dirFS), control: control}
}

// dirFS is what os.DirFS gives and rootdev reads /sys through.
type dirFS interface {
	fs.ReadLinkFS
	fs.ReadDirFS
	fs.ReadFileFS
	fs.StatFS
}

type hostSys struct {
	dirFS
	control string
}

// The device-mapper ioctl ABI (include/uapi/linux/dm-ioctl.h).
const (
	dmIoctlSize      = 312 // sizeof(struct dm_ioctl)
	dmTargetSpecSize = 40  // sizeof(struct dm_target_spec)
	// _IOWR(DM_IOCTL 0xfd, DM_TABLE_STATUS_CMD 12, struct dm_ioctl)
	dmTableStatus    = 0xc0000000 | dmIoctlSize<<16 | 0xfd<<8 | 12
	dmStatusTable    = 1 << 4 // DM_STATUS_TABLE_FLAG: the table, not the status
	dmBufferFull     = 1 << 8 // DM_BUFFER_FULL_FLAG
	dmMaxTableBuffer = 1 << 20
)

// DMTable reads the live table of the device-mapper device majMin.
func (h hostSys) DMTable(majMin string) (string, error) {
	maj, min, ok := strings.Cut(majMin, ":")
	major, err1 := strconv.ParseUint(maj, 10, 32)
	minor, err2 := strconv.ParseUint(min, 10, 32)
	if !ok || err1 != nil || err2 != nil {
		return "", fmt.Errorf("%q is not a major:minor", majMin)
	}
	f, err := os.Open(h.control)
	if err != nil {
		return "", err
	}
	defer f.Close()
	// huge_encode_dev, as the kernel's huge_decode_dev reads dm_ioctl.dev
	// (looked up by it when name and uuid are empty).
	dev := minor&0xff | major<<8 | (minor&^0xff)<<12
	le := binary.LittleEndian
	for size := 16 << 10; size <= dmMaxTableBuffer; size *= 4 {
		buf := make([]byte, size)
		le.PutUint32(buf[0:], 4) // DM_VERSION_MAJOR; minor and patch 0
		le.PutUint32(buf[12:], uint32(size))
		le.PutUint32(buf[16:], dmIoctlSize)
		le.PutUint32(buf[28:], dmStatusTable)
		le.PutUint64(buf[40:], dev)
		_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), dmTableStatus, uintptr(unsafe.Pointer(&buf[0])))
		if errno != 0 {
			return "", fmt.Errorf("%s: DM_TABLE_STATUS of %s: %w", h.control, majMin, errno)
		}
		if le.Uint32(buf[28:])&dmBufferFull != 0 {
			clear(buf)
			continue
		}
		t, err := dmTargets(buf)
		clear(buf) // a crypt target's key was in it
		return t, err
	}
	return "", errors.New("the table of " + majMin + " is larger than 1 MiB")
}

// dmTargets reads the targets of a DM_TABLE_STATUS answer into dmsetup's
// text, a crypt target's key (its second parameter) replaced by "-".
// Each dm_target_spec's next is counted from the start of the data
// (drivers/md/dm-ioctl.c, retrieve_status).
func dmTargets(buf []byte) (string, error) {
	le := binary.LittleEndian
	start, count := int(le.Uint32(buf[16:])), int(le.Uint32(buf[20:]))
	if start < dmIoctlSize || start > len(buf) {
		return "", fmt.Errorf("the kernel's answer has its data at %d, outside the buffer", start)
	}
	data := buf[start:]
	var b strings.Builder
	off := 0
	for i := 0; i < count; i++ {
		if off+dmTargetSpecSize > len(data) {
			return "", fmt.Errorf("target %d of %d lies outside the kernel's answer", i+1, count)
		}
		spec := data[off:]
		target := cString(spec[24:40])
		params := cString(spec[dmTargetSpecSize:])
		if target == "crypt" {
			if f := strings.Fields(params); len(f) > 1 {
				f[1] = "-"
				params = strings.Join(f, " ")
			}
		}
		fmt.Fprintf(&b, "%d %d %s %s\n", le.Uint64(spec[0:]), le.Uint64(spec[8:]), target, params)
		next := int(le.Uint32(spec[20:]))
		if next <= off {
			break
		}
		off = next
	}
	return b.String(), nil
}

func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

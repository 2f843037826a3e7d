package secureboot

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
)

// The vendor GUIDs of the variables read here.
const (
	// GlobalGUID is EFI_GLOBAL_VARIABLE: SecureBoot, SetupMode.
	GlobalGUID = "8be4df61-93ca-11d2-aa0d-00e098032b8c"
	// ShimGUID is shim's SHIM_LOCK_GUID: MokListRT, MokListXRT, MokSBStateRT.
	ShimGUID = "605dab50-e046-4300-abb6-3dd810dd8b23"
	// SecurityDatabaseGUID is EFI_IMAGE_SECURITY_DATABASE_GUID: db, dbx.
	SecurityDatabaseGUID = "d719b2cb-3d3a-4596-a3bc-dad00e67656f"
)

// Where the variables are, relative to /sys.
const (
	efiDir       = "firmware/efi"
	efivarsDir   = "firmware/efi/efivars"
	mokvarDir    = "firmware/efi/mok-variables"
	lockdownFile = "kernel/security/lockdown"
)

// MaxVar caps the bytes read of one variable (a MOK list or db with many
// certificates is tens of KiB; the firmware's variable store is smaller
// than this).
const MaxVar = 1 << 20

// ErrNoVar: the variable does not exist.
var ErrNoVar = errors.New("no such EFI variable")

// VarPath is the path of variable name-guid under /sys.
func VarPath(name, guid string) string { return efivarsDir + "/" + name + "-" + guid }

// ReadVar reads an EFI variable from efivarfs under sys: efivarfs files start
// with the variable's 4 attribute bytes (little-endian), then its value. A
// variable that does not exist wraps ErrNoVar.
func ReadVar(sys fs.FS, name, guid string) (attrs uint32, value []byte, err error) {
	b, err := readBounded(sys, VarPath(name, guid))
	if err != nil {
		return 0, nil, err
	}
	if len(b) < 4 {
		return 0, nil, fmt.Errorf("/sys/%s: %d bytes, shorter than the 4 attribute bytes every efivarfs file starts with", VarPath(name, guid), len(b))
	}
	return binary.LittleEndian.Uint32(b), b[4:], nil
}

// readBounded reads a file of sys, at most MaxVar bytes.
func readBounded(sys fs.FS, p string) ([]byte, error) {
	f, err := sys.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("/sys/%s: %w", p, ErrNoVar)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readMax(f, "/sys/"+p, MaxVar, "larger than any EFI variable")
}

// readMax reads all of r, named name, failing past max bytes with why.
func readMax(r io.Reader, name string, max int64, why string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: more than %d bytes, %s", name, max, why)
	}
	return b, nil
}

// readMokVar reads a MOK variable shim passes to the kernel: from the mokvar
// table (/sys/firmware/efi/mok-variables/NAME, the value alone), which
// holds lists too large for a runtime variable, else from efivarfs
// (NAME-ShimGUID).
func readMokVar(sys fs.FS, name string) ([]byte, error) {
	b, err := readBounded(sys, mokvarDir+"/"+name)
	if err == nil {
		return b, nil
	}
	if !errors.Is(err, ErrNoVar) {
		return nil, err
	}
	_, v, err := ReadVar(sys, name, ShimGUID)
	return v, err
}

// ParseLockdown reads /sys/kernel/security/lockdown's text ("none
// [integrity] confidentiality"): the level in brackets.
func ParseLockdown(text string) (string, error) {
	for _, w := range strings.Fields(text) {
		if strings.HasPrefix(w, "[") && strings.HasSuffix(w, "]") && len(w) > 2 {
			return w[1 : len(w)-1], nil
		}
	}
	return "", fmt.Errorf("no level in brackets in %q", strings.TrimSpace(text))
}

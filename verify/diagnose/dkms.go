package diagnose

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// DKMSFailure is a DKMS module build that did not produce modules for the kernel.
type DKMSFailure struct {
	Module, ModuleVersion string
	// Log is make.log's path as the machine sees it (/var/lib/dkms/...).
	Log string
	// FirstError is the first line of the log that reads like a compiler or
	// make error, "" when none was found.
	FirstError string
}

// String says what failed, for which kernel, and where to read why.
func (d DKMSFailure) String(version string) string {
	s := fmt.Sprintf("the DKMS build of %s/%s failed for kernel %s (log: %s", d.Module, d.ModuleVersion, version, d.Log)
	if d.FirstError != "" {
		s += fmt.Sprintf(`, first error: "%s"`, d.FirstError)
	}
	return s + "); see: dkms status"
}

// dkmsFailures finds, under /var/lib/dkms, each MODULE/MODULE_VERSION whose
// last build log names version but which has no built modules for it.
func dkmsFailures(root, version string) []DKMSFailure {
	base := filepath.Join(root, "var", "lib", "dkms")
	mods, err := os.ReadDir(base)
	if err != nil {
		return nil
	}
	var out []DKMSFailure
	for _, m := range mods {
		if !m.IsDir() {
			continue
		}
		vers, err := os.ReadDir(filepath.Join(base, m.Name()))
		if err != nil {
			continue
		}
		for _, v := range vers {
			if !v.IsDir() || strings.HasPrefix(v.Name(), "kernel-") || v.Name() == "original_module" {
				continue
			}
			dir := filepath.Join(base, m.Name(), v.Name())
			logPath := filepath.Join(dir, "build", "make.log")
			kernel, firstErr, ok := readMakeLog(logPath)
			if !ok || kernel != version {
				continue
			}
			if built(filepath.Join(dir, version)) {
				continue
			}
			out = append(out, DKMSFailure{
				Module:        m.Name(),
				ModuleVersion: v.Name(),
				Log:           path.Join("/var/lib/dkms", m.Name(), v.Name(), "build", "make.log"),
				FirstError:    firstErr,
			})
		}
	}
	return out
}

// built reports whether dir (MODULE/VERSION/KVER) holds built modules for some arch.
func built(dir string) bool {
	arches, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, a := range arches {
		kos, err := os.ReadDir(filepath.Join(dir, a.Name(), "module"))
		if err != nil {
			continue
		}
		for _, k := range kos {
			if strings.Contains(k.Name(), ".ko") {
				return true
			}
		}
	}
	return false
}

// readMakeLog returns the kernel a DKMS make.log was for and its first error
// line. It reads at most 4 MiB.
func readMakeLog(name string) (kernel, firstErr string, ok bool) {
	f, err := os.Open(name)
	if err != nil {
		return "", "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, 4<<20))
	sc.Buffer(make([]byte, 0, 4096), 256*1024)
	if !sc.Scan() {
		return "", "", false
	}
	head := sc.Text()
	i := strings.Index(head, " for kernel ")
	if !strings.HasPrefix(head, "DKMS make.log for ") || i < 0 {
		return "", "", false
	}
	fields := strings.Fields(head[i+len(" for kernel "):])
	if len(fields) == 0 {
		return "", "", false
	}
	kernel = fields[0]
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.Contains(line, "error:") || strings.Contains(line, "Error ") && strings.HasPrefix(line, "make") {
			if len(line) > 160 {
				line = line[:160] + "..."
			}
			firstErr = line
			break
		}
	}
	return kernel, firstErr, true
}

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

// dkmsBuild is one MODULE/MODULE_VERSION directory of the DKMS tree.
type dkmsBuild struct {
	Module, ModuleVersion string
	dir                   string // its host path
}

// makeLog is the log of a build's last run, in its MODULE_VERSION directory.
const makeLog = "build/make.log"

// logPath is the host path of the build's makeLog.
func (b dkmsBuild) logPath() string { return filepath.Join(b.dir, filepath.FromSlash(makeLog)) }

// builtDir holds the build's modules for kernel version, one ARCH directory
// each.
func (b dkmsBuild) builtDir(version string) string { return filepath.Join(b.dir, version) }

// builtModuleDirs are the ARCH/module directories in builtDir(version).
func (b dkmsBuild) builtModuleDirs(version string) []string {
	var out []string
	for _, a := range listDir(b.builtDir(version)) {
		out = append(out, filepath.Join(b.builtDir(version), a.Name(), "module"))
	}
	return out
}

// dkmsBuilds walks the DKMS tree under root: each MODULE directory, then
// each MODULE_VERSION directory in it but DKMS's own kernel-KVER-ARCH
// symlinks and original_module. It returns the builds and the directories
// it listed to find them.
func dkmsBuilds(root string) (builds []dkmsBuild, listed []string) {
	base := filepath.Join(root, filepath.FromSlash(dkmsTree))
	listed = []string{base}
	for _, m := range listDir(base) {
		if !m.IsDir() {
			continue
		}
		mdir := filepath.Join(base, m.Name())
		listed = append(listed, mdir)
		for _, v := range listDir(mdir) {
			if !v.IsDir() || strings.HasPrefix(v.Name(), "kernel-") || v.Name() == "original_module" {
				continue
			}
			builds = append(builds, dkmsBuild{m.Name(), v.Name(), filepath.Join(mdir, v.Name())})
		}
	}
	return builds, listed
}

// dkmsFailures finds, under /var/lib/dkms, each MODULE/MODULE_VERSION whose
// last build log names version but which has no built modules for it.
func dkmsFailures(root, version string) []DKMSFailure {
	var out []DKMSFailure
	builds, _ := dkmsBuilds(root)
	for _, b := range builds {
		kernel, firstErr, ok := readMakeLog(b.logPath())
		if !ok || kernel != version || built(b.builtModuleDirs(version)) {
			continue
		}
		out = append(out, DKMSFailure{
			Module:        b.Module,
			ModuleVersion: b.ModuleVersion,
			Log:           path.Join("/", dkmsTree, b.Module, b.ModuleVersion, makeLog),
			FirstError:    firstErr,
		})
	}
	return out
}

// built reports whether any of the module directories holds a built module.
func built(moduleDirs []string) bool {
	for _, d := range moduleDirs {
		for _, k := range listDir(d) {
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

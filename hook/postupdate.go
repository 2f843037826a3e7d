package hook

func init() { Register("initramfs-post-update", parsed("initramfs-post-update", InitramfsPostUpdate)) }

// InitramfsPostUpdate parses a call of /etc/initramfs/post-update.d/zz-boot-guard
// by update-initramfs(8) (initramfs-tools', or dracut's wrapper in dracut
// 110 and later; dracut 106 runs post-update.d itself and ignores the exit
// status), with VERSION and the image it has just written, so every
// update-initramfs run (-c, -u, -k all) is checked. run-parts runs this
// directory without --exit-on-error: a failure makes update-initramfs exit 1
// but stops no other post-update hook; systemd-boot's (named systemd-boot,
// sorting first) calls kernel-install, whose 89-boot-guard.install plugin
// refuses before 90-loaderentry. Under dpkg's trigger
// processing (initramfs-tools' postinst "triggered", DPKG_MAINTSCRIPT_PACKAGE
// =initramfs-tools) dpkg charges the failure to initramfs-tools although the
// image at fault is the kernel's: the message says so.
func InitramfsPostUpdate(args []string, env Env) (Action, error) {
	const name = "initramfs-post-update"
	if len(args) != 2 || args[0] == "" || args[1] == "" {
		return Action{}, usage(name, "want VERSION INITRD, got %d arguments %q", len(args), args)
	}
	a := Action{Version: args[0], Initrds: []string{args[1]}}
	switch pkg := env.Getenv("DPKG_MAINTSCRIPT_PACKAGE"); pkg {
	case "":
		if env.Getenv("DPKG_MAINTSCRIPT_NAME") != "" {
			// dracut's postinst runs its update-initramfs trigger with
			// DPKG_MAINTSCRIPT_PACKAGE='' (dracut 110 and later), so that
			// its wrapper does not defer to the trigger again.
			a.Notes = append(a.Notes, "update-initramfs was run from a package's "+env.Getenv("DPKG_MAINTSCRIPT_NAME")+
				" (dracut's update-initramfs trigger runs it so): dpkg will report that package as failing, "+
				"but the image at fault is the one just written for kernel "+a.Version+" ("+args[1]+"); after the fix run: dpkg --configure -a")
		}
	case "initramfs-tools":
		a.Notes = append(a.Notes, "dpkg is running initramfs-tools' trigger (update-initramfs -u): dpkg will report initramfs-tools as failing, "+
			"but the image at fault is the one just written for kernel "+a.Version+" ("+args[1]+"); after the fix run: dpkg --configure -a")
	default:
		a.Notes = append(a.Notes, "update-initramfs was run from "+pkg+"'s maintainer script: dpkg will report "+pkg+" as failing, "+
			"but the image at fault is the one just written for kernel "+a.Version+" ("+args[1]+"); after the fix run: dpkg --configure -a")
	}
	return a, nil
}
